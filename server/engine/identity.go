package engine

import (
	"context"
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

func unitWire(u *server.Unit) *syncproto.Unit {
	w := &syncproto.Unit{ID: u.ID, ParentID: u.ParentID, Name: u.Name, Level: u.Level}
	if p := u.Position; p != nil {
		w.Lat, w.Lng = &p.Lat, &p.Lng
	}
	return w
}

// system is the actor of writes made from the command line.
var system = &server.Actor{UserID: "system", DeviceID: "cli"}

// InitCounty creates the county at the root of the tree and its first
// admin in one transaction: either both exist afterwards or neither. It is
// used by `ruhu init` and the demo seeder, never through the API. Codes:
// invalid_unit, already_exists and those of CreateUser.
func (e *Engine) InitCounty(ctx context.Context, id, name string, admin syncproto.CreateUserRequest, passwordHash string) (string, error) {
	if !unitIDRe.MatchString(id) {
		return "", server.Errorf(syncproto.CodeInvalidUnit, "unit id %q: use letters, digits, '_', '-', '.'", id)
	}
	admin.UnitID = id
	if err := validateNewUser(&admin); err != nil {
		return "", err
	}
	now := e.now()
	u := &server.User{ID: e.NewID(), Username: admin.Username, DisplayName: admin.DisplayName, UnitID: id,
		IDNumber: admin.IDNumber, Roles: admin.Roles, PasswordHash: passwordHash, CreatedAt: now}
	err := e.Store.Write(ctx, id, func(tx server.Tx) error {
		t := &txn{e: e, tx: tx, a: system, now: now}
		err := tx.InsertUnit(server.Unit{ID: id, Name: name, Level: syncproto.LevelCounty, Path: "/" + id + "/"}, now)
		if errors.Is(err, server.ErrExists) {
			return server.Errorf(syncproto.CodeAlreadyExists, "unit %q already exists", id)
		}
		if err != nil {
			return fmt.Errorf("insert county: %w", err)
		}
		if err := insertUser(tx, u); err != nil {
			return err
		}
		if err := t.audit("unit.create", "unit", id, map[string]string{"name": name, "level": "county"}); err != nil {
			return err
		}
		return t.audit("user.create", "user", u.ID, map[string]any{"username": u.Username, "unit_id": u.UnitID, "roles": u.Roles})
	})
	return u.ID, err
}

// CreateUnit adds a township under a county or a village under a township,
// inside the admin's subtree. Codes: forbidden, out_of_scope, invalid_unit,
// already_exists.
func (e *Engine) CreateUnit(ctx context.Context, a *server.Actor, in syncproto.Unit) (*syncproto.Unit, error) {
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
	err := e.write(ctx, a, func(t *txn) error {
		parent, ok := t.units[in.ParentID]
		if !ok {
			return server.Errorf(syncproto.CodeInvalidUnit, "unit %q does not exist", in.ParentID)
		}
		if !a.Covers(parent.Path) {
			return server.Errorf(syncproto.CodeOutOfScope, "unit %q is outside your jurisdiction", in.ParentID)
		}
		if parent.Level != want {
			return server.Errorf(syncproto.CodeInvalidUnit, "a %s must have a %s parent, %q is a %s", in.Level, want, parent.ID, parent.Level)
		}
		err := t.tx.InsertUnit(server.Unit{ID: in.ID, ParentID: parent.ID, Name: in.Name, Level: in.Level,
			Path: parent.Path + in.ID + "/"}, t.now)
		if errors.Is(err, server.ErrExists) {
			return server.Errorf(syncproto.CodeAlreadyExists, "unit %q already exists", in.ID)
		}
		if err != nil {
			return fmt.Errorf("insert unit: %w", err)
		}
		return t.audit("unit.create", "unit", in.ID, in)
	})
	if err != nil {
		return nil, err
	}
	return &in, nil
}

// ListUnits lists the units of the admin's subtree in tree order.
func (e *Engine) ListUnits(ctx context.Context, a *server.Actor) ([]syncproto.Unit, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	units, err := e.SubtreeUnits(ctx, a.UnitPath)
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
func (e *Engine) SubtreeUnits(ctx context.Context, path string) ([]server.Unit, error) {
	var out []server.Unit
	err := e.Store.Read(ctx, func(tx server.Tx) error {
		var err error
		out, err = tx.Units(path)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list units: %w", err)
	}
	return out, nil
}

// CreateUser adds a user in the admin's subtree. Codes: forbidden,
// out_of_scope, invalid_unit, invalid_role, invalid_id_number,
// validation_failed, already_exists.
func (e *Engine) CreateUser(ctx context.Context, a *server.Actor, in syncproto.CreateUserRequest, passwordHash string) (*syncproto.UserDetail, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	if err := validateNewUser(&in); err != nil {
		return nil, err
	}
	u := &server.User{ID: e.NewID(), Username: in.Username, DisplayName: in.DisplayName, UnitID: in.UnitID,
		IDNumber: in.IDNumber, Roles: in.Roles, PasswordHash: passwordHash, CreatedAt: e.now()}
	err := e.write(ctx, a, func(t *txn) error {
		unit, ok := t.units[in.UnitID]
		if !ok {
			return server.Errorf(syncproto.CodeInvalidUnit, "unit %q does not exist", in.UnitID)
		}
		if !a.Covers(unit.Path) {
			return server.Errorf(syncproto.CodeOutOfScope, "unit %q is outside your jurisdiction", in.UnitID)
		}
		u.UnitPath = unit.Path
		if err := insertUser(t.tx, u); err != nil {
			return err
		}
		return t.audit("user.create", "user", u.ID, map[string]any{
			"username": u.Username, "display_name": u.DisplayName, "unit_id": u.UnitID, "roles": u.Roles,
			"id_number": syncproto.MaskIDNumber(u.IDNumber)})
	})
	if err != nil {
		return nil, err
	}
	return userDetail(u), nil
}

func insertUser(tx server.Tx, u *server.User) error {
	err := tx.InsertUser(u)
	if errors.Is(err, server.ErrExists) {
		return server.Errorf(syncproto.CodeAlreadyExists, "username %q is taken", u.Username)
	}
	if err != nil {
		return fmt.Errorf("insert user: %w", err)
	}
	return nil
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

func userDetail(u *server.User) *syncproto.UserDetail {
	d := &syncproto.UserDetail{User: u.Wire(), CreatedAt: u.CreatedAt.UTC().Format(time.RFC3339), Disabled: u.Disabled}
	if u.IDNumber != "" {
		d.IDNumber = syncproto.MaskIDNumber(u.IDNumber)
	}
	return d
}

// ListUsers lists the users of the admin's subtree.
func (e *Engine) ListUsers(ctx context.Context, a *server.Actor) ([]syncproto.UserDetail, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	out := []syncproto.UserDetail{}
	err := e.Store.Read(ctx, func(tx server.Tx) error {
		users, err := tx.Users(a.UnitPath)
		if err != nil {
			return fmt.Errorf("list users: %w", err)
		}
		for i := range users {
			out = append(out, *userDetail(&users[i]))
		}
		return nil
	})
	return out, err
}

// UserByUsername finds a user by login name. Code not_found.
func (e *Engine) UserByUsername(ctx context.Context, username string) (*server.User, error) {
	return e.findUser(ctx, func(tx server.Tx) (*server.User, error) { return tx.UserByUsername(username) })
}

// UserByID finds a user by id. Code not_found.
func (e *Engine) UserByID(ctx context.Context, id string) (*server.User, error) {
	return e.findUser(ctx, func(tx server.Tx) (*server.User, error) { return tx.UserByID(id) })
}

func (e *Engine) findUser(ctx context.Context, find func(server.Tx) (*server.User, error)) (*server.User, error) {
	var u *server.User
	err := e.Store.Read(ctx, func(tx server.Tx) error {
		var err error
		u, err = find(tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	if u == nil {
		return nil, server.Errorf(syncproto.CodeNotFound, "no such user")
	}
	return u, nil
}
