package syncproto

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/gowebpki/jcs"
)

// SignaturePrefix is prepended to the content hash to form the signed
// message: Ed25519 signs the ASCII bytes SignaturePrefix + content_hash.
const SignaturePrefix = "ruhu-sig-v1:"

// ErrNotCanonicalizable is returned when a record's fields cannot be put in
// RFC 8785 canonical form: fields that are not a JSON object, invalid JSON or
// UTF-8, a duplicate member name, a lone UTF-16 surrogate, a number outside
// the IEEE 754 double range, or a collection or id that is not valid UTF-8.
var ErrNotCanonicalizable = errors.New("syncproto: fields cannot be canonicalized")

// Canonical returns the RFC 8785 (JCS) canonical JSON of
// {"collection":collection,"id":id,"fields":fields}. fields must be a JSON
// object (the record's full stored field object); empty fields count as {}.
// It returns an error wrapping ErrNotCanonicalizable when that is impossible.
func Canonical(collection, id string, fields json.RawMessage) ([]byte, error) {
	if len(fields) == 0 {
		fields = json.RawMessage("{}")
	}
	if !isObject(fields) {
		return nil, fmt.Errorf("%w: fields is not a JSON object", ErrNotCanonicalizable)
	}
	// encoding/json would silently turn invalid UTF-8 into U+FFFD, so two
	// different ids could hash alike.
	if !utf8.ValidString(collection) || !utf8.ValidString(id) {
		return nil, fmt.Errorf("%w: collection or id is not valid UTF-8", ErrNotCanonicalizable)
	}
	doc := struct {
		Collection string          `json:"collection"`
		ID         string          `json:"id"`
		Fields     json.RawMessage `json:"fields"`
	}{collection, id, fields}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotCanonicalizable, err)
	}
	out, err := jcs.Transform(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotCanonicalizable, err)
	}
	return out, nil
}

// isObject reports whether raw starts, after JSON whitespace, with '{'. The
// rest of the syntax is checked by the canonicalizer.
func isObject(raw []byte) bool {
	trimmed := bytes.TrimLeft(raw, " \t\r\n")
	return len(trimmed) > 0 && trimmed[0] == '{'
}

// ContentHash returns the lowercase hex SHA-256 of Canonical(collection, id,
// fields): the value investigators sign.
func ContentHash(collection, id string, fields json.RawMessage) (string, error) {
	c, err := Canonical(collection, id, fields)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(c)
	return hex.EncodeToString(sum[:]), nil
}

// SignedMessage returns the exact bytes an investigator's key signs for a
// content hash.
func SignedMessage(contentHash string) []byte {
	return []byte(SignaturePrefix + contentHash)
}

// Sign signs a content hash and returns the standard base64 signature. Like
// ed25519.Sign, it panics if priv is not ed25519.PrivateKeySize bytes long.
func Sign(priv ed25519.PrivateKey, contentHash string) string {
	return base64.StdEncoding.EncodeToString(ed25519.Sign(priv, SignedMessage(contentHash)))
}

// Verify reports whether sig is a valid Ed25519 signature of contentHash by
// pub. sig must be the canonical standard base64 of the 64 signature bytes
// (88 characters, padded). Other spellings that encoding/base64 would
// accept (embedded newlines, non-zero padding bits) are refused, so that one
// signature has one text form.
func Verify(pub ed25519.PublicKey, contentHash, sig string) bool {
	raw, ok := decodeCanonicalBase64(sig)
	if !ok || len(raw) != ed25519.SignatureSize || len(pub) != ed25519.PublicKeySize {
		return false
	}
	return ed25519.Verify(pub, SignedMessage(contentHash), raw)
}

// ErrInvalidPublicKey is returned by ParsePublicKey.
var ErrInvalidPublicKey = errors.New("syncproto: public key is not the standard base64 of 32 bytes")

// ParsePublicKey decodes the public_key of a RegisterKeyRequest: the
// canonical standard base64 (44 characters, padded) of a 32-byte Ed25519
// public key. It returns ErrInvalidPublicKey otherwise.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	raw, ok := decodeCanonicalBase64(s)
	if !ok || len(raw) != ed25519.PublicKeySize {
		return nil, ErrInvalidPublicKey
	}
	return ed25519.PublicKey(raw), nil
}

// decodeCanonicalBase64 decodes standard padded base64 and accepts only the
// one spelling that encoding the result would produce.
func decodeCanonicalBase64(s string) ([]byte, bool) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || base64.StdEncoding.EncodeToString(raw) != s {
		return nil, false
	}
	return raw, true
}

// KeyID derives the id of a signing key from its public key: "ed25519:"
// followed by the lowercase hex of the first 16 bytes of SHA-256(public key).
// A device can therefore name its key before it has reached the server.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "ed25519:" + hex.EncodeToString(sum[:16])
}
