package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// exists maps a unique-key violation to server.ErrExists.
func exists(err error) error {
	if isConstraint(err) {
		return server.ErrExists
	}
	return err
}

// Units implements server.Tx.
func (t *tx) Units(path string) ([]server.Unit, error) {
	rows, err := t.query(`SELECT id, coalesce(parent_id, ''), name, level, path, lat, lng FROM units
		WHERE substr(path, 1, length(?)) = ? ORDER BY path`, path, path)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []server.Unit
	for rows.Next() {
		var u server.Unit
		var lat, lng sql.NullFloat64
		if err := rows.Scan(&u.ID, &u.ParentID, &u.Name, &u.Level, &u.Path, &lat, &lng); err != nil {
			return nil, err
		}
		if lat.Valid && lng.Valid {
			u.Position = &server.Position{Lat: lat.Float64, Lng: lng.Float64}
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// InsertUnit implements server.Tx.
func (t *tx) InsertUnit(u server.Unit, at time.Time) error {
	var parent any
	if u.ParentID != "" {
		parent = u.ParentID
	}
	return exists(t.exec(`INSERT INTO units (id, parent_id, name, level, path, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		u.ID, parent, u.Name, u.Level, u.Path, ts(at)))
}

// SetUnitPosition implements server.Tx.
func (t *tx) SetUnitPosition(id string, p server.Position) (bool, error) {
	if t.readOnly {
		return false, errReadOnly
	}
	s, err := t.stmt(`UPDATE units SET lat = ?, lng = ? WHERE id = ?`)
	if err != nil {
		return false, err
	}
	res, err := s.ExecContext(t.ctx, p.Lat, p.Lng, id)
	if err != nil {
		return false, fmt.Errorf("set position of unit %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

const userCols = `u.id, u.username, u.display_name, u.unit_id, n.path, u.id_number, u.password_hash, u.disabled, u.created_at,
	coalesce((SELECT group_concat(role, ',') FROM user_roles r WHERE r.user_id = u.id), '')`

func scanUser(sc interface{ Scan(...any) error }) (*server.User, error) {
	var u server.User
	var created, roles string
	if err := sc.Scan(&u.ID, &u.Username, &u.DisplayName, &u.UnitID, &u.UnitPath, &u.IDNumber, &u.PasswordHash,
		&u.Disabled, &created, &roles); err != nil {
		return nil, err
	}
	u.CreatedAt = parseTS(created)
	u.Roles = []string{}
	if roles != "" {
		u.Roles = strings.Split(roles, ",")
	}
	return &u, nil
}

func (t *tx) findUser(where string, arg any) (*server.User, error) {
	rows, err := t.query(`SELECT `+userCols+` FROM users u JOIN units n ON n.id = u.unit_id WHERE `+where, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	return scanUser(rows)
}

// UserByID implements server.Tx.
func (t *tx) UserByID(id string) (*server.User, error) { return t.findUser(`u.id = ?`, id) }

// UserByUsername implements server.Tx.
func (t *tx) UserByUsername(username string) (*server.User, error) {
	return t.findUser(`u.username = ?`, username)
}

// Users implements server.Tx.
func (t *tx) Users(path string) ([]server.User, error) {
	rows, err := t.query(`SELECT `+userCols+` FROM users u JOIN units n ON n.id = u.unit_id
		WHERE substr(n.path, 1, length(?)) = ? ORDER BY u.username`, path, path)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []server.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	return out, rows.Err()
}

// InsertUser implements server.Tx.
func (t *tx) InsertUser(u *server.User) error {
	err := t.exec(`INSERT INTO users (id, username, password_hash, display_name, unit_id, id_number, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, u.ID, u.Username, u.PasswordHash, u.DisplayName, u.UnitID, u.IDNumber, ts(u.CreatedAt))
	if err != nil {
		return exists(err)
	}
	for _, r := range u.Roles {
		if err := t.exec(`INSERT OR IGNORE INTO user_roles (user_id, role) VALUES (?, ?)`, u.ID, r); err != nil {
			return fmt.Errorf("insert role: %w", err)
		}
	}
	return nil
}

// SetUserDisabled implements server.Tx.
func (t *tx) SetUserDisabled(id string, disabled bool) error {
	return t.exec(`UPDATE users SET disabled = ? WHERE id = ?`, disabled, id)
}

// SetPasswordHash implements server.Tx.
func (t *tx) SetPasswordHash(id, hash string) error {
	return t.exec(`UPDATE users SET password_hash = ? WHERE id = ?`, hash, id)
}

// InsertRelative implements server.Tx.
func (t *tx) InsertRelative(r server.StoredRelative) error {
	return exists(t.exec(`INSERT INTO relatives (id, user_id, id_number, relation, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, r.ID, r.UserID, r.IDNumber, r.Relation, r.CreatedBy, ts(r.CreatedAt)))
}

// Relatives implements server.Tx.
func (t *tx) Relatives(path, userID string) ([]server.StoredRelative, error) {
	rows, err := t.query(`SELECT r.id, r.user_id, r.id_number, r.relation, r.created_by, r.created_at
		FROM relatives r JOIN users u ON u.id = r.user_id JOIN units n ON n.id = u.unit_id
		WHERE substr(n.path, 1, length(?)) = ? AND (? = '' OR r.user_id = ?) ORDER BY r.user_id, r.created_at`,
		path, path, userID, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []server.StoredRelative
	for rows.Next() {
		var r server.StoredRelative
		var created string
		if err := rows.Scan(&r.ID, &r.UserID, &r.IDNumber, &r.Relation, &r.CreatedBy, &created); err != nil {
			return nil, err
		}
		r.CreatedAt = parseTS(created)
		out = append(out, r)
	}
	return out, rows.Err()
}

// IsRelative implements server.Tx.
func (t *tx) IsRelative(userID, idNumber string) (bool, error) {
	var n int
	err := t.queryRow(`SELECT count(*) FROM relatives WHERE user_id = ? AND id_number = ?`, []any{userID, idNumber}, &n)
	return n > 0, err
}

// RelativeIDNumbers implements server.Tx.
func (t *tx) RelativeIDNumbers(userID string) (map[string]bool, error) {
	rows, err := t.query(`SELECT id_number FROM relatives WHERE user_id = ?`, userID)
	if err != nil {
		return nil, fmt.Errorf("relatives of %s: %w", userID, err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// Key implements server.Tx.
func (t *tx) Key(keyID string) (*syncproto.Key, error) {
	var k syncproto.Key
	err := t.queryRow(`SELECT key_id, user_id, device_id, public_key, created_at, coalesce(revoked_at, '')
		FROM signing_keys WHERE key_id = ?`, []any{keyID}, &k.KeyID, &k.UserID, &k.DeviceID, &k.PublicKey, &k.CreatedAt, &k.RevokedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find key: %w", err)
	}
	return &k, nil
}

// InsertKey implements server.Tx.
func (t *tx) InsertKey(k syncproto.Key) error {
	return exists(t.exec(`INSERT INTO signing_keys (key_id, user_id, device_id, public_key, created_at)
		VALUES (?, ?, ?, ?, ?)`, k.KeyID, k.UserID, k.DeviceID, k.PublicKey, k.CreatedAt))
}

// KeysOf implements server.Tx.
func (t *tx) KeysOf(userID string) ([]syncproto.Key, error) {
	rows, err := t.query(`SELECT key_id, user_id, device_id, public_key, created_at, coalesce(revoked_at, '')
		FROM signing_keys WHERE user_id = ? ORDER BY created_at`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []syncproto.Key
	for rows.Next() {
		var k syncproto.Key
		if err := rows.Scan(&k.KeyID, &k.UserID, &k.DeviceID, &k.PublicKey, &k.CreatedAt, &k.RevokedAt); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeKey implements server.Tx.
func (t *tx) RevokeKey(keyID string, at time.Time) error {
	return t.exec(`UPDATE signing_keys SET revoked_at = ? WHERE key_id = ?`, ts(at), keyID)
}
