package sqlite

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// RegisterKey registers the actor's Ed25519 public key for their device.
// Registering the same key again returns it with created=false. Codes:
// invalid_public_key (also for a key of small order), already_exists (the
// key belongs to someone else).
func (db *DB) RegisterKey(ctx context.Context, a *server.Actor, publicKey string) (*syncproto.Key, bool, error) {
	raw, err := syncproto.ParsePublicKey(publicKey)
	if err != nil {
		return nil, false, server.Errorf(syncproto.CodeInvalidPublicKey, "public_key must be the standard base64 (44 characters, padded) of a 32-byte Ed25519 public key")
	}
	if smallOrder(raw) {
		return nil, false, server.Errorf(syncproto.CodeInvalidPublicKey, "public_key is a point of small order, for which anyone can make signatures")
	}
	k := syncproto.Key{KeyID: syncproto.KeyID(raw), UserID: a.UserID, DeviceID: a.DeviceID,
		PublicKey: base64.StdEncoding.EncodeToString(raw), CreatedAt: db.now()}
	created := false
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		old, err := findKey(ctx, tx, k.KeyID)
		if err == nil {
			if old.UserID != a.UserID {
				return server.Errorf(syncproto.CodeAlreadyExists, "this key is registered to another user")
			}
			k = *old
			return nil
		}
		if server.ErrorCode(err) != syncproto.CodeUnknownKey {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO signing_keys (key_id, user_id, device_id, public_key, created_at)
			VALUES (?, ?, ?, ?, ?)`, k.KeyID, k.UserID, k.DeviceID, k.PublicKey, k.CreatedAt); err != nil {
			return fmt.Errorf("insert key: %w", err)
		}
		created = true
		return db.auditTx(ctx, tx, a, "key.register", "key", k.KeyID, map[string]string{"public_key": k.PublicKey})
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

func findKey(ctx context.Context, q querier, keyID string) (*syncproto.Key, error) {
	var k syncproto.Key
	var revoked sql.NullString
	err := q.QueryRowContext(ctx, `SELECT key_id, user_id, device_id, public_key, created_at, revoked_at
		FROM signing_keys WHERE key_id = ?`, keyID).Scan(&k.KeyID, &k.UserID, &k.DeviceID, &k.PublicKey, &k.CreatedAt, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, server.Errorf(syncproto.CodeUnknownKey, "unknown key %q", keyID)
	}
	if err != nil {
		return nil, fmt.Errorf("find key: %w", err)
	}
	k.RevokedAt = revoked.String
	return &k, nil
}

// ListKeys lists a user's keys (the actor's own when userID is empty). The
// user must be the actor or lie in the actor's subtree. Codes: not_found,
// out_of_scope.
func (db *DB) ListKeys(ctx context.Context, a *server.Actor, userID string) ([]syncproto.Key, error) {
	if userID == "" {
		userID = a.UserID
	}
	if userID != a.UserID {
		u, err := db.UserByID(ctx, userID)
		if err != nil {
			return nil, err
		}
		if !a.Covers(u.UnitPath) {
			return nil, server.Errorf(syncproto.CodeOutOfScope, "user %q is outside your jurisdiction", userID)
		}
	}
	rows, err := db.read.QueryContext(ctx, `SELECT key_id, user_id, device_id, public_key, created_at, coalesce(revoked_at, '')
		FROM signing_keys WHERE user_id = ? ORDER BY created_at`, userID)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	defer rows.Close()
	out := []syncproto.Key{}
	for rows.Next() {
		var k syncproto.Key
		if err := rows.Scan(&k.KeyID, &k.UserID, &k.DeviceID, &k.PublicKey, &k.CreatedAt, &k.RevokedAt); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeKey revokes a key: the owner may revoke their own, an admin any key
// of a user in their subtree. Codes: unknown_key, forbidden.
func (db *DB) RevokeKey(ctx context.Context, a *server.Actor, keyID string) error {
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		k, err := findKey(ctx, tx, keyID)
		if err != nil {
			return err
		}
		if k.UserID != a.UserID {
			owner, err := findUser(ctx, tx, `u.id = ?`, k.UserID)
			if err != nil {
				return err
			}
			if !a.Has(syncproto.RoleAdmin) || !a.Covers(owner.UnitPath) {
				return server.Errorf(syncproto.CodeForbidden, "only the key's owner or an admin over them may revoke it")
			}
		}
		if k.RevokedAt != "" {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE signing_keys SET revoked_at = ? WHERE key_id = ?`, db.now(), keyID); err != nil {
			return fmt.Errorf("revoke key: %w", err)
		}
		return db.auditTx(ctx, tx, a, "key.revoke", "key", keyID, nil)
	})
}
