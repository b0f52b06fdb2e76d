package sqlite

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// RegisterKey registers the actor's Ed25519 public key for their device.
// Registering the same key again returns it with created=false. Codes:
// invalid_public_key, already_exists (the key belongs to someone else).
func (db *DB) RegisterKey(ctx context.Context, a *server.Actor, publicKey string) (*syncproto.Key, bool, error) {
	raw, err := base64.StdEncoding.DecodeString(publicKey)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, false, server.Errorf(syncproto.CodeInvalidPublicKey, "public_key must be standard base64 of a 32-byte Ed25519 public key")
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
