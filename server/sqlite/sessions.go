package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// CreateSession stores a new login session and its first refresh token, and
// audits the login.
func (db *DB) CreateSession(ctx context.Context, s server.Session, tokenHash string, expires time.Time) error {
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, user_id, device_id, created_at) VALUES (?, ?, ?, ?)`,
			s.ID, s.UserID, s.DeviceID, ts(s.CreatedAt)); err != nil {
			return fmt.Errorf("insert session: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO refresh_tokens (token_hash, session_id, expires_at, created_at)
			VALUES (?, ?, ?, ?)`, tokenHash, s.ID, ts(expires), ts(s.CreatedAt)); err != nil {
			return fmt.Errorf("insert refresh token: %w", err)
		}
		return db.auditTx(ctx, tx, &server.Actor{UserID: s.UserID, DeviceID: s.DeviceID}, "auth.login", "session", s.ID, nil)
	})
}

// errReused is returned by RotateRefresh after it has committed the
// revocation of a session whose used token came back.
var errReused = server.Errorf(syncproto.CodeRefreshReused, "this refresh token was already used; the session is revoked, log in again")

// RotateRefresh exchanges a refresh token for its successor. Codes:
// refresh_token_invalid, refresh_token_expired, refresh_token_reused,
// session_revoked.
func (db *DB) RotateRefresh(ctx context.Context, oldHash, newHash string, expires time.Time) (*server.Session, error) {
	var s server.Session
	var reused bool
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		var exp string
		var used, revoked sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT t.session_id, t.expires_at, t.used_at, s.user_id, s.device_id, s.revoked_at
			FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.token_hash = ?`, oldHash).
			Scan(&s.ID, &exp, &used, &s.UserID, &s.DeviceID, &revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return server.Errorf(syncproto.CodeRefreshInvalid, "unknown refresh token")
		}
		if err != nil {
			return fmt.Errorf("find refresh token: %w", err)
		}
		now := db.Now()
		switch {
		case used.Valid:
			reused = true
			if revoked.Valid {
				return nil
			}
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = ?, revoked_why = 'refresh_token_reused' WHERE id = ?`,
				ts(now), s.ID); err != nil {
				return err
			}
			return db.auditTx(ctx, tx, &server.Actor{UserID: s.UserID, DeviceID: s.DeviceID}, "auth.refresh_reused", "session", s.ID, nil)
		case revoked.Valid:
			return server.Errorf(syncproto.CodeRevoked, "the session was revoked; log in again")
		}
		if t, _ := time.Parse(time.RFC3339Nano, exp); !now.Before(t) {
			return server.Errorf(syncproto.CodeRefreshExpired, "the refresh token expired; log in again")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ?`, ts(now), oldHash); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO refresh_tokens (token_hash, session_id, expires_at, created_at)
			VALUES (?, ?, ?, ?)`, newHash, s.ID, ts(expires), ts(now))
		return err
	})
	if err != nil {
		return nil, err
	}
	if reused {
		return nil, errReused
	}
	return &s, nil
}

// RevokeSession revokes the actor's session (logout) and audits it.
func (db *DB) RevokeSession(ctx context.Context, a *server.Actor, why string) error {
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = ?, revoked_why = ? WHERE id = ? AND revoked_at IS NULL`,
			db.now(), why, a.SessionID); err != nil {
			return fmt.Errorf("revoke session: %w", err)
		}
		return db.auditTx(ctx, tx, a, "auth."+why, "session", a.SessionID, nil)
	})
}

// SessionUser returns a live session and its user. Code session_revoked.
func (db *DB) SessionUser(ctx context.Context, sessionID string) (*server.Session, *server.User, error) {
	var s server.Session
	var revoked sql.NullString
	err := db.read.QueryRowContext(ctx, `SELECT id, user_id, device_id, revoked_at FROM sessions WHERE id = ?`, sessionID).
		Scan(&s.ID, &s.UserID, &s.DeviceID, &revoked)
	if errors.Is(err, sql.ErrNoRows) || revoked.Valid {
		return nil, nil, server.Errorf(syncproto.CodeRevoked, "the session was revoked; log in again")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("find session: %w", err)
	}
	u, err := db.UserByID(ctx, s.UserID)
	if server.ErrorCode(err) == syncproto.CodeNotFound || (err == nil && u.Disabled) {
		return nil, nil, server.Errorf(syncproto.CodeRevoked, "the account is disabled")
	}
	if err != nil {
		return nil, nil, err
	}
	return &s, u, nil
}
