package postgres

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ruhu-org/ruhu/server"
)

// pathCounties is the county filter of a query on units under path: the
// path's county, or every county in reach for a path without one.
func (t *tx) pathCounties(path string) ([]string, error) {
	if c := countyOfPath(path); c != "" {
		return []string{c}, nil
	}
	return t.counties()
}

// Units returns every unit whose path starts with path, in path order.
func (t *tx) Units(path string) ([]server.Unit, error) {
	counties, err := t.pathCounties(path)
	if err != nil {
		return nil, err
	}
	rows, err := t.pg.Query(t.ctx, `SELECT id, coalesce(parent_id, ''), name, level, path, lat, lng FROM units
		WHERE county_id = ANY($1) AND starts_with(path, $2) ORDER BY path`, counties, path)
	if err != nil {
		return nil, fmt.Errorf("list units: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (server.Unit, error) {
		var u server.Unit
		var lat, lng *float64
		err := row.Scan(&u.ID, &u.ParentID, &u.Name, &u.Level, &u.Path, &lat, &lng)
		if lat != nil && lng != nil {
			u.Position = &server.Position{Lat: *lat, Lng: *lng}
		}
		return u, err
	})
	return out, wrap("list units", err)
}

// InsertUnit adds a unit of the transaction's county (ErrExists when its
// id is taken in any county, or its path in this one).
func (t *tx) InsertUnit(u server.Unit, at time.Time) error {
	if c := countyOfPath(u.Path); c != t.county && t.county != "" {
		return fmt.Errorf("insert unit %s: path %q is not in county %q", u.ID, u.Path, t.county)
	}
	return t.insert("insert unit "+u.ID, `WITH n AS (INSERT INTO global_names (kind, name, county_id)
			VALUES ('unit', $2, $1) ON CONFLICT DO NOTHING RETURNING 1)
		INSERT INTO units (county_id, id, parent_id, name, level, path, created_at)
		SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (SELECT 1 FROM n) ON CONFLICT DO NOTHING`,
		t.county, u.ID, nullString(u.ParentID), u.Name, u.Level, u.Path, at)
}

// SetUnitPosition sets the position of a unit of the transaction's county.
func (t *tx) SetUnitPosition(id string, p server.Position) (bool, error) {
	n, err := t.exec("set position of unit "+id, `UPDATE units SET lat = $3, lng = $4
		WHERE county_id = $1 AND id = $2`, t.county, id, p.Lat, p.Lng)
	return n > 0, err
}

// Setting reads a server-wide settings value; ok false when unset.
func (t *tx) Setting(key string) (string, bool, error) {
	var v string
	err := t.pg.QueryRow(t.ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	return v, err == nil, wrap("setting "+key, err)
}

// SetSetting writes a server-wide settings value.
func (t *tx) SetSetting(key, value string) error {
	_, err := t.exec("set setting "+key, `INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

const userCols = `u.id, u.username, u.display_name, u.unit_id, n.path, u.id_number, u.password_hash, u.disabled,
	u.created_at, u.roles FROM users u JOIN units n ON n.county_id = u.county_id AND n.id = u.unit_id`

func scanUser(row pgx.CollectableRow) (server.User, error) {
	var u server.User
	err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &u.UnitID, &u.UnitPath, &u.IDNumber, &u.PasswordHash,
		&u.Disabled, &u.CreatedAt, &u.Roles)
	u.CreatedAt = u.CreatedAt.UTC()
	if u.Roles == nil {
		u.Roles = []string{}
	}
	return u, err
}

// findUser loads the user matching where ($1 its argument); nil when none.
func (t *tx) findUser(where string, arg any) (*server.User, error) {
	rows, err := t.pg.Query(t.ctx, `SELECT `+userCols+` WHERE `+where, arg)
	if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	us, err := pgx.CollectRows(rows, scanUser)
	if err != nil || len(us) == 0 {
		return nil, wrap("find user", err)
	}
	return &us[0], nil
}

// UserByID finds a user of any county by id; nil when none.
func (t *tx) UserByID(id string) (*server.User, error) { return t.findUser(`u.id = $1`, id) }

// UserByUsername finds a user of any county by login name (unique across
// counties); nil when none.
func (t *tx) UserByUsername(username string) (*server.User, error) {
	return t.findUser(`u.username = $1`, username)
}

// Users returns the users of units under path, by username.
func (t *tx) Users(path string) ([]server.User, error) {
	counties, err := t.pathCounties(path)
	if err != nil {
		return nil, err
	}
	rows, err := t.pg.Query(t.ctx, `SELECT `+userCols+` WHERE u.county_id = ANY($1) AND starts_with(n.path, $2)
		ORDER BY u.username`, counties, path)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanUser)
	return out, wrap("list users", err)
}

// InsertUser adds a user to the county (ErrExists when the username is
// taken in any county). CreatedAt is now when zero.
func (t *tx) InsertUser(u *server.User) error {
	if u.CreatedAt.IsZero() {
		u.CreatedAt = t.now
	}
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	return t.insert("insert user "+u.Username, `WITH n AS (INSERT INTO global_names (kind, name, county_id)
			VALUES ('username', $3, $1) ON CONFLICT DO NOTHING RETURNING 1)
		INSERT INTO users (county_id, id, username, password_hash, display_name, unit_id, id_number, roles, disabled,
			created_at)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 WHERE EXISTS (SELECT 1 FROM n) ON CONFLICT DO NOTHING`,
		t.county, u.ID, u.Username, u.PasswordHash, u.DisplayName, u.UnitID, u.IDNumber, roles, u.Disabled, u.CreatedAt)
}

// SetUserDisabled disables or enables a user of the county.
func (t *tx) SetUserDisabled(id string, disabled bool) error {
	return t.updateUser(id, `UPDATE users SET disabled = $3 WHERE county_id = $1 AND id = $2`, disabled)
}

// SetPasswordHash replaces the password hash of a user of the county.
func (t *tx) SetPasswordHash(id, hash string) error {
	return t.updateUser(id, `UPDATE users SET password_hash = $3 WHERE county_id = $1 AND id = $2`, hash)
}

func (t *tx) updateUser(id, sql string, v any) error {
	n, err := t.exec("update user "+id, sql, t.county, id, v)
	if err == nil && n == 0 {
		return fmt.Errorf("update user: no user %q in county %q", id, t.county)
	}
	return err
}

// InsertRelative registers a relative (ErrExists: already registered).
func (t *tx) InsertRelative(r server.StoredRelative) error {
	if r.CreatedAt.IsZero() {
		r.CreatedAt = t.now
	}
	return t.insert("insert relative", `INSERT INTO relatives (county_id, id, user_id, id_number, relation, created_by,
		created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		t.county, r.ID, r.UserID, r.IDNumber, r.Relation, r.CreatedBy, r.CreatedAt)
}

// Relatives lists the relatives of users under path (of userID when set),
// by user and time.
func (t *tx) Relatives(path, userID string) ([]server.StoredRelative, error) {
	counties, err := t.pathCounties(path)
	if err != nil {
		return nil, err
	}
	rows, err := t.pg.Query(t.ctx, `SELECT r.id, r.user_id, r.id_number, r.relation, r.created_by, r.created_at
		FROM relatives r JOIN users u ON u.county_id = r.county_id AND u.id = r.user_id
		JOIN units n ON n.county_id = u.county_id AND n.id = u.unit_id
		WHERE r.county_id = ANY($1) AND starts_with(n.path, $2) AND ($3 = '' OR r.user_id = $3)
		ORDER BY r.user_id, r.created_at`, counties, path, userID)
	if err != nil {
		return nil, fmt.Errorf("list relatives: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (server.StoredRelative, error) {
		var r server.StoredRelative
		err := row.Scan(&r.ID, &r.UserID, &r.IDNumber, &r.Relation, &r.CreatedBy, &r.CreatedAt)
		r.CreatedAt = r.CreatedAt.UTC()
		return r, err
	})
	return out, wrap("list relatives", err)
}

// RelativeIDNumbers implements server.Tx: the ID numbers of user's
// registered relatives, in one query.
func (t *tx) RelativeIDNumbers(userID string) (map[string]bool, error) {
	rows, err := t.pg.Query(t.ctx, `SELECT id_number FROM relatives WHERE user_id = $1`, userID)
	if err != nil {
		return nil, fmt.Errorf("relatives of %s: %w", userID, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, wrap("relatives", err)
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// IsRelative reports whether idNumber is a registered relative of user.
func (t *tx) IsRelative(userID, idNumber string) (bool, error) {
	var ok bool
	err := t.pg.QueryRow(t.ctx, `SELECT EXISTS (SELECT 1 FROM relatives WHERE user_id = $1 AND id_number = $2)`,
		userID, idNumber).Scan(&ok)
	return ok, wrap("is relative", err)
}
