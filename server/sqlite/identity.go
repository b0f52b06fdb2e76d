package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

var (
	unitIDRe   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	usernameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$`)
)

func requireAdmin(a *server.Actor) error {
	if !a.Has(syncproto.RoleAdmin) {
		return server.Errorf(syncproto.CodeForbidden, "the admin role is required")
	}
	return nil
}

// findUnit loads one unit; a missing unit is invalid_unit.
func findUnit(ctx context.Context, q querier, id string) (*server.Unit, error) {
	var u server.Unit
	var parent sql.NullString
	err := q.QueryRowContext(ctx, `SELECT id, parent_id, name, level, path FROM units WHERE id = ?`, id).
		Scan(&u.ID, &parent, &u.Name, &u.Level, &u.Path)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, server.Errorf(syncproto.CodeInvalidUnit, "unit %q does not exist", id)
	}
	if err != nil {
		return nil, fmt.Errorf("find unit: %w", err)
	}
	u.ParentID = parent.String
	return &u, nil
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func unitWire(u *server.Unit) *syncproto.Unit {
	return &syncproto.Unit{ID: u.ID, ParentID: u.ParentID, Name: u.Name, Level: u.Level}
}

// InitCounty creates the county at the root of the tree and its first
// admin in one transaction: either both exist afterwards or neither. It is
// used by `ruhu init` and the demo seeder, never through the API. Codes:
// invalid_unit, already_exists and those of CreateUser.
func (db *DB) InitCounty(ctx context.Context, id, name string, admin syncproto.CreateUserRequest, passwordHash string) (string, error) {
	if !unitIDRe.MatchString(id) {
		return "", server.Errorf(syncproto.CodeInvalidUnit, "unit id %q: use letters, digits, '_', '-', '.'", id)
	}
	admin.UnitID = id
	if err := validateNewUser(&admin); err != nil {
		return "", err
	}
	u := &server.User{ID: db.NewID(), Username: admin.Username, DisplayName: admin.DisplayName, UnitID: id,
		IDNumber: admin.IDNumber, Roles: admin.Roles, PasswordHash: passwordHash, CreatedAt: db.Now()}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO units (id, parent_id, name, level, path, created_at)
			VALUES (?, NULL, ?, 'county', ?, ?)`, id, name, "/"+id+"/", db.now())
		if isConstraint(err) {
			return server.Errorf(syncproto.CodeAlreadyExists, "unit %q already exists", id)
		}
		if err != nil {
			return fmt.Errorf("insert county: %w", err)
		}
		if err := insertUser(ctx, tx, u); err != nil {
			return err
		}
		system := &server.Actor{UserID: "system", DeviceID: "cli"}
		if err := db.auditTx(ctx, tx, system, "unit.create", "unit", id, map[string]string{"name": name, "level": "county"}); err != nil {
			return err
		}
		return db.auditTx(ctx, tx, system, "user.create", "user", u.ID,
			map[string]any{"username": u.Username, "unit_id": u.UnitID, "roles": u.Roles})
	})
	return u.ID, err
}

// CreateUnit adds a township under a county or a village under a township,
// inside the admin's subtree. Codes: forbidden, out_of_scope, invalid_unit,
// already_exists.
func (db *DB) CreateUnit(ctx context.Context, a *server.Actor, in syncproto.Unit) (*syncproto.Unit, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	if !unitIDRe.MatchString(in.ID) {
		return nil, server.Errorf(syncproto.CodeInvalidUnit, "unit id %q: use 1–64 letters, digits, '_', '-', '.'", in.ID)
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 200 {
		return nil, server.Errorf(syncproto.CodeValidation, "name is required (at most 200 bytes)")
	}
	want := server.ParentLevel(in.Level)
	if want == "" {
		return nil, server.Errorf(syncproto.CodeInvalidUnit, "level must be township or village (a county is created by ruhu init)")
	}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		parent, err := findUnit(ctx, tx, in.ParentID)
		if err != nil {
			return err
		}
		if !a.Covers(parent.Path) {
			return server.Errorf(syncproto.CodeOutOfScope, "unit %q is outside your jurisdiction", in.ParentID)
		}
		if parent.Level != want {
			return server.Errorf(syncproto.CodeInvalidUnit, "a %s must have a %s parent, %q is a %s", in.Level, want, parent.ID, parent.Level)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO units (id, parent_id, name, level, path, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, in.ID, parent.ID, in.Name, in.Level, parent.Path+in.ID+"/", db.now())
		if isConstraint(err) {
			return server.Errorf(syncproto.CodeAlreadyExists, "unit %q already exists", in.ID)
		}
		if err != nil {
			return fmt.Errorf("insert unit: %w", err)
		}
		return db.auditTx(ctx, tx, a, "unit.create", "unit", in.ID, in)
	})
	if err != nil {
		return nil, err
	}
	return &in, nil
}

// auditTx appends one audit row for actor a inside tx.
func (db *DB) auditTx(ctx context.Context, tx *sql.Tx, a *server.Actor, action, objType, objID string, detail any) error {
	c, err := db.newAuditChain(ctx, tx)
	if err != nil {
		return err
	}
	return c.append(ctx, server.AuditEntry{ActorID: a.UserID, DeviceID: a.DeviceID, Action: action,
		ObjectType: objType, ObjectID: objID, Detail: detail})
}

// ListUnits lists the units of the admin's subtree in tree order.
func (db *DB) ListUnits(ctx context.Context, a *server.Actor) ([]syncproto.Unit, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	units, err := db.SubtreeUnits(ctx, a.UnitPath)
	if err != nil {
		return nil, err
	}
	out := make([]syncproto.Unit, 0, len(units))
	for i := range units {
		out = append(out, *unitWire(&units[i]))
	}
	return out, nil
}

// SubtreeUnits returns every unit whose path starts with path, in path order.
func (db *DB) SubtreeUnits(ctx context.Context, path string) ([]server.Unit, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, coalesce(parent_id, ''), name, level, path FROM units
		WHERE substr(path, 1, length(?)) = ? ORDER BY path`, path, path)
	if err != nil {
		return nil, fmt.Errorf("list units: %w", err)
	}
	defer rows.Close()
	var out []server.Unit
	for rows.Next() {
		var u server.Unit
		if err := rows.Scan(&u.ID, &u.ParentID, &u.Name, &u.Level, &u.Path); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CreateUser adds a user in the admin's subtree. Codes: forbidden,
// out_of_scope, invalid_unit, invalid_role, invalid_id_number,
// validation_failed, already_exists.
func (db *DB) CreateUser(ctx context.Context, a *server.Actor, in syncproto.CreateUserRequest, passwordHash string) (*syncproto.UserDetail, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	if err := validateNewUser(&in); err != nil {
		return nil, err
	}
	u := &server.User{ID: db.NewID(), Username: in.Username, DisplayName: in.DisplayName, UnitID: in.UnitID,
		IDNumber: in.IDNumber, Roles: in.Roles, PasswordHash: passwordHash, CreatedAt: db.Now()}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		unit, err := findUnit(ctx, tx, in.UnitID)
		if err != nil {
			return err
		}
		if !a.Covers(unit.Path) {
			return server.Errorf(syncproto.CodeOutOfScope, "unit %q is outside your jurisdiction", in.UnitID)
		}
		if err := insertUser(ctx, tx, u); err != nil {
			return err
		}
		return db.auditTx(ctx, tx, a, "user.create", "user", u.ID, map[string]any{
			"username": u.Username, "display_name": u.DisplayName, "unit_id": u.UnitID, "roles": u.Roles,
			"id_number": syncproto.MaskIDNumber(u.IDNumber)})
	})
	if err != nil {
		return nil, err
	}
	return userDetail(u), nil
}

func validateNewUser(in *syncproto.CreateUserRequest) error {
	in.Username = strings.TrimSpace(in.Username)
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	if !usernameRe.MatchString(in.Username) {
		return server.Errorf(syncproto.CodeValidation, "username: 2–64 letters, digits or '_.@-'")
	}
	if err := server.CheckPassword(in.Password); err != nil {
		return err
	}
	switch {
	case in.DisplayName == "" || len(in.DisplayName) > 100:
		return server.Errorf(syncproto.CodeValidation, "display_name is required (at most 100 bytes)")
	case len(in.Roles) == 0:
		return server.Errorf(syncproto.CodeInvalidRole, "at least one role is required")
	}
	for _, r := range in.Roles {
		if !server.ValidRole(r) {
			return server.Errorf(syncproto.CodeInvalidRole, "unknown role %q", r)
		}
	}
	if in.IDNumber != "" && !syncproto.ValidIDNumber(in.IDNumber) {
		return server.Errorf(syncproto.CodeInvalidIDNumber, "id_number is not a valid 18-character resident ID number")
	}
	a := server.Actor{Roles: in.Roles}
	if in.IDNumber == "" && a.HasAny(server.SignerRoles...) {
		return server.Errorf(syncproto.CodeInvalidIDNumber, "id_number is required for investigators (conflict-of-interest checks use it)")
	}
	return nil
}

func insertUser(ctx context.Context, tx *sql.Tx, u *server.User) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO users (id, username, password_hash, display_name, unit_id, id_number, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, u.ID, u.Username, u.PasswordHash, u.DisplayName, u.UnitID, u.IDNumber,
		u.CreatedAt.UTC().Format(time.RFC3339Nano))
	if isConstraint(err) {
		return server.Errorf(syncproto.CodeAlreadyExists, "username %q is taken", u.Username)
	}
	if err != nil {
		return fmt.Errorf("insert user: %w", err)
	}
	for _, r := range u.Roles {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO user_roles (user_id, role) VALUES (?, ?)`, u.ID, r); err != nil {
			return fmt.Errorf("insert role: %w", err)
		}
	}
	return nil
}

func userDetail(u *server.User) *syncproto.UserDetail {
	d := &syncproto.UserDetail{User: u.Wire(), CreatedAt: u.CreatedAt.UTC().Format(time.RFC3339), Disabled: u.Disabled}
	if u.IDNumber != "" {
		d.IDNumber = syncproto.MaskIDNumber(u.IDNumber)
	}
	return d
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
	u.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
	u.Roles = []string{}
	if roles != "" {
		u.Roles = strings.Split(roles, ",")
	}
	return &u, nil
}

// ListUsers lists the users of the admin's subtree.
func (db *DB) ListUsers(ctx context.Context, a *server.Actor) ([]syncproto.UserDetail, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+userCols+` FROM users u JOIN units n ON n.id = u.unit_id
		WHERE substr(n.path, 1, length(?)) = ? ORDER BY u.username`, a.UnitPath, a.UnitPath)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	out := []syncproto.UserDetail{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *userDetail(u))
	}
	return out, rows.Err()
}

func findUser(ctx context.Context, q querier, where string, arg any) (*server.User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userCols+` FROM users u JOIN units n ON n.id = u.unit_id WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, server.Errorf(syncproto.CodeNotFound, "no such user")
	}
	if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	return u, nil
}

// UserByUsername finds a user by login name. Code not_found.
func (db *DB) UserByUsername(ctx context.Context, username string) (*server.User, error) {
	return findUser(ctx, db.read, `u.username = ?`, username)
}

// UserByID finds a user by id. Code not_found.
func (db *DB) UserByID(ctx context.Context, id string) (*server.User, error) {
	return findUser(ctx, db.read, `u.id = ?`, id)
}

// AddRelative registers a close relative of a user in the admin's subtree.
// Codes: forbidden, out_of_scope, not_found, invalid_id_number,
// validation_failed, already_exists.
func (db *DB) AddRelative(ctx context.Context, a *server.Actor, in syncproto.RelativeRequest) (*syncproto.Relative, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	if !syncproto.ValidIDNumber(in.IDNumber) {
		return nil, server.Errorf(syncproto.CodeInvalidIDNumber, "id_number is not a valid 18-character resident ID number")
	}
	in.Relation = strings.TrimSpace(in.Relation)
	if in.Relation == "" || len(in.Relation) > 40 {
		return nil, server.Errorf(syncproto.CodeValidation, "relation is required (at most 40 bytes)")
	}
	rel := &syncproto.Relative{ID: db.NewID(), UserID: in.UserID, IDNumber: syncproto.MaskIDNumber(in.IDNumber),
		Relation: in.Relation, CreatedAt: db.Now().Format(time.RFC3339)}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		u, err := findUser(ctx, tx, `u.id = ?`, in.UserID)
		if err != nil {
			return err
		}
		if !a.Covers(u.UnitPath) {
			return server.Errorf(syncproto.CodeOutOfScope, "user %q is outside your jurisdiction", in.UserID)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO relatives (id, user_id, id_number, relation, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, rel.ID, in.UserID, in.IDNumber, in.Relation, a.UserID, db.now())
		if isConstraint(err) {
			return server.Errorf(syncproto.CodeAlreadyExists, "this relative is already registered for the user")
		}
		if err != nil {
			return fmt.Errorf("insert relative: %w", err)
		}
		return db.auditTx(ctx, tx, a, "relative.create", "user", in.UserID, rel)
	})
	if err != nil {
		return nil, err
	}
	return rel, nil
}

// ListRelatives lists the registered relatives of users in the admin's
// subtree, of one user when userID is set.
func (db *DB) ListRelatives(ctx context.Context, a *server.Actor, userID string) ([]syncproto.Relative, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT r.id, r.user_id, r.id_number, r.relation, r.created_at
		FROM relatives r JOIN users u ON u.id = r.user_id JOIN units n ON n.id = u.unit_id
		WHERE substr(n.path, 1, length(?)) = ? AND (? = '' OR r.user_id = ?) ORDER BY r.user_id, r.created_at`,
		a.UnitPath, a.UnitPath, userID, userID)
	if err != nil {
		return nil, fmt.Errorf("list relatives: %w", err)
	}
	defer rows.Close()
	out := []syncproto.Relative{}
	for rows.Next() {
		var r syncproto.Relative
		if err := rows.Scan(&r.ID, &r.UserID, &r.IDNumber, &r.Relation, &r.CreatedAt); err != nil {
			return nil, err
		}
		r.IDNumber = syncproto.MaskIDNumber(r.IDNumber)
		out = append(out, r)
	}
	return out, rows.Err()
}

// userInScope loads a user the admin may manage. Codes: forbidden,
// not_found (also for users outside the subtree).
func (db *DB) userInScope(ctx context.Context, tx *sql.Tx, a *server.Actor, id string) (*server.User, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	u, err := findUser(ctx, tx, `u.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if !a.Covers(u.UnitPath) {
		return nil, server.Errorf(syncproto.CodeNotFound, "no such user")
	}
	return u, nil
}

// revokeUserSessions ends every session of a user.
func (db *DB) revokeUserSessions(ctx context.Context, tx *sql.Tx, userID, why string) error {
	_, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = ?, revoked_why = ? WHERE user_id = ? AND revoked_at IS NULL`,
		db.now(), why, userID)
	return err
}

// SetUserDisabled disables (or enables again) a user of the admin's
// subtree; disabling ends all their sessions at once. An admin cannot
// disable themselves. Codes: forbidden, not_found.
func (db *DB) SetUserDisabled(ctx context.Context, a *server.Actor, id string, disabled bool) (*syncproto.UserDetail, error) {
	if disabled && id == a.UserID {
		return nil, server.Errorf(syncproto.CodeForbidden, "you cannot disable your own account")
	}
	var out *syncproto.UserDetail
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		u, err := db.userInScope(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled = ? WHERE id = ?`, disabled, id); err != nil {
			return fmt.Errorf("disable user: %w", err)
		}
		action := "user.enable"
		if disabled {
			action = "user.disable"
			if err := db.revokeUserSessions(ctx, tx, id, "user_disabled"); err != nil {
				return err
			}
		}
		u.Disabled = disabled
		out = userDetail(u)
		return db.auditTx(ctx, tx, a, action, "user", id, nil)
	})
	return out, err
}

// SetPassword replaces the password of a user of the admin's subtree and
// ends all their sessions. Codes: forbidden, not_found.
func (db *DB) SetPassword(ctx context.Context, a *server.Actor, id, passwordHash string) error {
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.userInScope(ctx, tx, a, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, passwordHash, id); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if err := db.revokeUserSessions(ctx, tx, id, "password_reset"); err != nil {
			return err
		}
		return db.auditTx(ctx, tx, a, "user.password_reset", "user", id, nil)
	})
}
