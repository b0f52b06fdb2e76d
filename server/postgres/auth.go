package postgres

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

const keyCols = `key_id, user_id, device_id, public_key, created_at, coalesce(revoked_at, '')`

func scanKey(row pgx.CollectableRow) (syncproto.Key, error) {
	var k syncproto.Key
	err := row.Scan(&k.KeyID, &k.UserID, &k.DeviceID, &k.PublicKey, &k.CreatedAt, &k.RevokedAt)
	return k, err
}

// Key loads a signing key of any county; nil when none.
func (t *tx) Key(keyID string) (*syncproto.Key, error) {
	rows, err := t.pg.Query(t.ctx, `SELECT `+keyCols+` FROM signing_keys WHERE key_id = $1`, keyID)
	if err != nil {
		return nil, fmt.Errorf("find key: %w", err)
	}
	ks, err := pgx.CollectRows(rows, scanKey)
	if err != nil || len(ks) == 0 {
		return nil, wrap("find key", err)
	}
	return &ks[0], nil
}

// InsertKey registers a signing key (ErrExists when its id is taken in
// the county).
func (t *tx) InsertKey(k syncproto.Key) error {
	return t.insert("insert key", `INSERT INTO signing_keys (county_id, key_id, user_id, device_id, public_key,
		created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		t.county, k.KeyID, k.UserID, k.DeviceID, k.PublicKey, k.CreatedAt, nullString(k.RevokedAt))
}

// KeysOf lists a user's keys by creation time.
func (t *tx) KeysOf(userID string) ([]syncproto.Key, error) {
	rows, err := t.pg.Query(t.ctx, `SELECT `+keyCols+` FROM signing_keys WHERE user_id = $1 ORDER BY created_at`, userID)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanKey)
	if out == nil {
		out = []syncproto.Key{}
	}
	return out, wrap("list keys", err)
}

// RevokeKey revokes a key of the county at at (nothing when already
// revoked).
func (t *tx) RevokeKey(keyID string, at time.Time) error {
	_, err := t.exec("revoke key", `UPDATE signing_keys SET revoked_at = $3 WHERE county_id = $1 AND key_id = $2
		AND revoked_at IS NULL`, t.county, keyID, at.UTC().Format(time.RFC3339Nano))
	return err
}

// InsertSession stores a new session and its first refresh token
// (ErrExists when the session id or token is taken). CreatedAt is now
// when zero.
func (t *tx) InsertSession(s server.Session, tokenHash string, expires time.Time) error {
	if s.CreatedAt.IsZero() {
		s.CreatedAt = t.now
	}
	if err := t.insert("insert session", `INSERT INTO sessions (county_id, id, user_id, device_id, created_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, t.county, s.ID, s.UserID, s.DeviceID, s.CreatedAt); err != nil {
		return err
	}
	return t.insertToken(tokenHash, s.ID, expires, s.CreatedAt)
}

func (t *tx) insertToken(hash, session string, expires, at time.Time) error {
	return t.insert("insert refresh token", `INSERT INTO refresh_tokens (county_id, token_hash, session_id, expires_at,
		created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, t.county, hash, session, expires, at)
}

// RefreshToken loads a refresh token of any county and its session; nil
// when none.
func (t *tx) RefreshToken(hash string) (*server.RefreshToken, error) {
	var rt server.RefreshToken
	var revoked *time.Time
	err := t.pg.QueryRow(t.ctx, `SELECT s.id, s.user_id, s.device_id, s.created_at, s.revoked_at, r.expires_at,
		r.used_at IS NOT NULL FROM refresh_tokens r JOIN sessions s ON s.county_id = r.county_id AND s.id = r.session_id
		WHERE r.token_hash = $1`, hash).Scan(&rt.Session.ID, &rt.Session.UserID, &rt.Session.DeviceID,
		&rt.Session.CreatedAt, &revoked, &rt.ExpiresAt, &rt.Used)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find refresh token: %w", err)
	}
	rt.Session.CreatedAt, rt.Session.RevokedAt, rt.ExpiresAt = rt.Session.CreatedAt.UTC(), utc(revoked), rt.ExpiresAt.UTC()
	return &rt, nil
}

// UseRefresh marks a token used at at and stores its successor.
func (t *tx) UseRefresh(oldHash, newHash, session string, expires, at time.Time) error {
	n, err := t.exec("use refresh token", `UPDATE refresh_tokens SET used_at = $3 WHERE county_id = $1
		AND token_hash = $2`, t.county, oldHash, at)
	if err == nil && n == 0 {
		return fmt.Errorf("use refresh token: none in county %q", t.county)
	}
	if err != nil {
		return err
	}
	return t.insertToken(newHash, session, expires, at)
}

// Session loads a session of any county; nil when none.
func (t *tx) Session(id string) (*server.Session, error) {
	var s server.Session
	var revoked *time.Time
	err := t.pg.QueryRow(t.ctx, `SELECT id, user_id, device_id, created_at, revoked_at FROM sessions WHERE id = $1`,
		id).Scan(&s.ID, &s.UserID, &s.DeviceID, &s.CreatedAt, &revoked)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find session: %w", err)
	}
	s.CreatedAt, s.RevokedAt = s.CreatedAt.UTC(), utc(revoked)
	return &s, nil
}

// RevokeSession revokes a live session of the county (nothing when
// already revoked).
func (t *tx) RevokeSession(id, why string, at time.Time) error {
	_, err := t.exec("revoke session", `UPDATE sessions SET revoked_at = $3, revoked_why = $4
		WHERE county_id = $1 AND id = $2 AND revoked_at IS NULL`, t.county, id, at, why)
	return err
}

// RevokeUserSessions revokes every live session of a user of the county.
func (t *tx) RevokeUserSessions(userID, why string, at time.Time) error {
	_, err := t.exec("revoke user sessions", `UPDATE sessions SET revoked_at = $3, revoked_why = $4
		WHERE county_id = $1 AND user_id = $2 AND revoked_at IS NULL`, t.county, userID, at, why)
	return err
}

// utc is *p in UTC, the zero time for nil.
func utc(p *time.Time) time.Time {
	if p == nil {
		return time.Time{}
	}
	return p.UTC()
}
