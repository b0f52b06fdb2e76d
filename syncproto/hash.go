package syncproto

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gowebpki/jcs"
)

// SignaturePrefix is prepended to the content hash to form the signed
// message: Ed25519 signs the ASCII bytes SignaturePrefix + content_hash.
const SignaturePrefix = "ruhu-sig-v1:"

// ErrNotCanonicalizable is returned when a record's fields cannot be put in
// RFC 8785 canonical form (invalid JSON, or a number JSON cannot carry).
var ErrNotCanonicalizable = errors.New("syncproto: fields cannot be canonicalized")

// Canonical returns the RFC 8785 (JCS) canonical JSON of
// {"collection":collection,"id":id,"fields":fields}. fields must be a JSON
// object (the record's full stored field object).
func Canonical(collection, id string, fields json.RawMessage) ([]byte, error) {
	if len(fields) == 0 {
		fields = json.RawMessage("{}")
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

// Sign signs a content hash and returns the standard base64 signature.
func Sign(priv ed25519.PrivateKey, contentHash string) string {
	return base64.StdEncoding.EncodeToString(ed25519.Sign(priv, SignedMessage(contentHash)))
}

// Verify reports whether sig (standard base64) is a valid Ed25519 signature
// of contentHash by pub.
func Verify(pub ed25519.PublicKey, contentHash, sig string) bool {
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(raw) != ed25519.SignatureSize || len(pub) != ed25519.PublicKeySize {
		return false
	}
	return ed25519.Verify(pub, SignedMessage(contentHash), raw)
}

// KeyID derives the id of a signing key from its public key: "ed25519:"
// followed by the lowercase hex of the first 16 bytes of SHA-256(public key).
// A device can therefore name its key before it has reached the server.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "ed25519:" + hex.EncodeToString(sum[:16])
}
