package engine

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// RegisterKey registers the actor's Ed25519 public key for their device.
// Registering the same key again returns it with created=false. Codes:
// invalid_public_key (also for a key of small order), already_exists (the
// key belongs to someone else).
func (e *Engine) RegisterKey(ctx context.Context, a *server.Actor, publicKey string) (*syncproto.Key, bool, error) {
	raw, err := syncproto.ParsePublicKey(publicKey)
	if err != nil {
		return nil, false, server.Errorf(syncproto.CodeInvalidPublicKey, "public_key must be the standard base64 (44 characters, padded) of a 32-byte Ed25519 public key")
	}
	if smallOrder(raw) {
		return nil, false, server.Errorf(syncproto.CodeInvalidPublicKey, "public_key is a point of small order, for which anyone can make signatures")
	}
	k := syncproto.Key{KeyID: syncproto.KeyID(raw), UserID: a.UserID, DeviceID: a.DeviceID,
		PublicKey: base64.StdEncoding.EncodeToString(raw)}
	created := false
	err = e.write(ctx, a, func(t *txn) error {
		old, err := t.tx.Key(k.KeyID)
		if err != nil {
			return err
		}
		if old != nil {
			if old.UserID != a.UserID {
				return server.Errorf(syncproto.CodeAlreadyExists, "this key is registered to another user")
			}
			k = *old
			return nil
		}
		k.CreatedAt = t.now.Format(time.RFC3339Nano)
		if err := t.tx.InsertKey(k); err != nil {
			return fmt.Errorf("insert key: %w", err)
		}
		created = true
		return t.audit("key.register", "key", k.KeyID, map[string]string{"public_key": k.PublicKey})
	})
	if err != nil {
		return nil, false, err
	}
	return &k, created, nil
}

// smallOrderPoints are the encodings of the Ed25519 points of small order
// with the sign bit cleared (libsodium's blocklist): 0 (order 4), 1 (the
// identity), two points of order 8, p-1 (order 2), and p and p+1, which
// decode to 0 and 1. A signature under such a key is made without any
// secret (for the identity, R = identity and S = 0 verify every message),
// and a signature counts for the key's owner whoever pushes it.
var smallOrderPoints = [][32]byte{
	{},
	{0x01},
	{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
		0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
	{0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
		0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
	fieldElement(0xec),
	fieldElement(0xed),
	fieldElement(0xee),
}

// fieldElement is the 32-byte little-endian p-1, p or p+1 (p = 2^255-19)
// for low byte 0xec, 0xed or 0xee.
func fieldElement(low byte) [32]byte {
	var b [32]byte
	for i := range b {
		b[i] = 0xff
	}
	b[0], b[31] = low, 0x7f
	return b
}

// smallOrder reports whether the public key raw (32 bytes) is a point of
// small order, in either sign.
func smallOrder(raw []byte) bool {
	var k [32]byte
	copy(k[:], raw)
	k[31] &= 0x7f
	for _, p := range smallOrderPoints {
		if k == p {
			return true
		}
	}
	return false
}

// ListKeys lists a user's keys (the actor's own when userID is empty). The
// user must be the actor or lie in the actor's subtree. Codes: not_found,
// out_of_scope.
func (e *Engine) ListKeys(ctx context.Context, a *server.Actor, userID string) ([]syncproto.Key, error) {
	if userID == "" {
		userID = a.UserID
	}
	if userID != a.UserID {
		u, err := e.UserByID(ctx, userID)
		if err != nil {
			return nil, err
		}
		if !a.Covers(u.UnitPath) {
			return nil, server.Errorf(syncproto.CodeOutOfScope, "user %q is outside your jurisdiction", userID)
		}
	}
	out := []syncproto.Key{}
	err := e.Store.Read(ctx, func(tx server.Tx) error {
		keys, err := tx.KeysOf(userID)
		if err != nil {
			return fmt.Errorf("list keys: %w", err)
		}
		out = append(out, keys...)
		return nil
	})
	return out, err
}

// RevokeKey revokes a key: the owner may revoke their own, an admin any key
// of a user in their subtree. Codes: unknown_key, forbidden.
func (e *Engine) RevokeKey(ctx context.Context, a *server.Actor, keyID string) error {
	return e.write(ctx, a, func(t *txn) error {
		k, err := t.tx.Key(keyID)
		if err != nil {
			return err
		}
		if k == nil {
			return server.Errorf(syncproto.CodeUnknownKey, "unknown key %q", keyID)
		}
		if k.UserID != a.UserID {
			owner, err := t.tx.UserByID(k.UserID)
			if err != nil {
				return err
			}
			if owner == nil || !a.Has(syncproto.RoleAdmin) || !a.Covers(owner.UnitPath) {
				return server.Errorf(syncproto.CodeForbidden, "only the key's owner or an admin over them may revoke it")
			}
		}
		if k.RevokedAt != "" {
			return nil
		}
		if err := t.tx.RevokeKey(keyID, t.now); err != nil {
			return fmt.Errorf("revoke key: %w", err)
		}
		return t.audit("key.revoke", "key", keyID, nil)
	})
}
