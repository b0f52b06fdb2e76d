package sqlite

import (
	"database/sql"
	"errors"
	"time"

	"github.com/ruhu-org/ruhu/server"
)

// InsertSession implements server.Tx.
func (t *tx) InsertSession(s server.Session, tokenHash string, expires time.Time) error {
	if err := t.exec(`INSERT INTO sessions (id, user_id, device_id, created_at) VALUES (?, ?, ?, ?)`,
		s.ID, s.UserID, s.DeviceID, ts(s.CreatedAt)); err != nil {
		return err
	}
	return t.exec(`INSERT INTO refresh_tokens (token_hash, session_id, expires_at, created_at) VALUES (?, ?, ?, ?)`,
		tokenHash, s.ID, ts(expires), ts(s.CreatedAt))
}

// RefreshToken implements server.Tx.
func (t *tx) RefreshToken(hash string) (*server.RefreshToken, error) {
	var r server.RefreshToken
	var exp string
	var used, revoked sql.NullString
	err := t.queryRow(`SELECT t.session_id, t.expires_at, t.used_at, s.user_id, s.device_id, s.revoked_at
		FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.token_hash = ?`, []any{hash},
		&r.Session.ID, &exp, &used, &r.Session.UserID, &r.Session.DeviceID, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r.ExpiresAt, r.Used = parseTS(exp), used.Valid
	if revoked.Valid {
		r.Session.RevokedAt = parseTS(revoked.String)
	}
	return &r, nil
}

// UseRefresh implements server.Tx.
func (t *tx) UseRefresh(oldHash, newHash, session string, expires, at time.Time) error {
	if err := t.exec(`UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ?`, ts(at), oldHash); err != nil {
		return err
	}
	return t.exec(`INSERT INTO refresh_tokens (token_hash, session_id, expires_at, created_at) VALUES (?, ?, ?, ?)`,
		newHash, session, ts(expires), ts(at))
}

// Session implements server.Tx.
func (t *tx) Session(id string) (*server.Session, error) {
	var s server.Session
	var created string
	var revoked sql.NullString
	err := t.queryRow(`SELECT id, user_id, device_id, created_at, revoked_at FROM sessions WHERE id = ?`, []any{id},
		&s.ID, &s.UserID, &s.DeviceID, &created, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s.CreatedAt = parseTS(created)
	if revoked.Valid {
		s.RevokedAt = parseTS(revoked.String)
	}
	return &s, nil
}

// RevokeSession implements server.Tx.
func (t *tx) RevokeSession(id, why string, at time.Time) error {
	return t.exec(`UPDATE sessions SET revoked_at = ?, revoked_why = ? WHERE id = ? AND revoked_at IS NULL`, ts(at), why, id)
}

// RevokeUserSessions implements server.Tx.
func (t *tx) RevokeUserSessions(userID, why string, at time.Time) error {
	return t.exec(`UPDATE sessions SET revoked_at = ?, revoked_why = ? WHERE user_id = ? AND revoked_at IS NULL`,
		ts(at), why, userID)
}
