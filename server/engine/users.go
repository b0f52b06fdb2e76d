package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// AddRelative registers a close relative of a user in the admin's subtree.
// Codes: forbidden, out_of_scope, not_found, invalid_id_number,
// validation_failed, already_exists.
func (e *Engine) AddRelative(ctx context.Context, a *server.Actor, in syncproto.RelativeRequest) (*syncproto.Relative, error) {
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
	now := e.now()
	rel := &syncproto.Relative{ID: e.NewID(), UserID: in.UserID, IDNumber: syncproto.MaskIDNumber(in.IDNumber),
		Relation: in.Relation, CreatedAt: now.Format(time.RFC3339)}
	err := e.write(ctx, a, func(t *txn) error {
		u, err := t.tx.UserByID(in.UserID)
		if err != nil {
			return err
		}
		if u == nil {
			return server.Errorf(syncproto.CodeNotFound, "no such user")
		}
		if !a.Covers(u.UnitPath) {
			return server.Errorf(syncproto.CodeOutOfScope, "user %q is outside your jurisdiction", in.UserID)
		}
		err = t.tx.InsertRelative(server.StoredRelative{ID: rel.ID, UserID: in.UserID, IDNumber: in.IDNumber,
			Relation: in.Relation, CreatedBy: a.UserID, CreatedAt: now})
		if errors.Is(err, server.ErrExists) {
			return server.Errorf(syncproto.CodeAlreadyExists, "this relative is already registered for the user")
		}
		if err != nil {
			return fmt.Errorf("insert relative: %w", err)
		}
		return t.audit("relative.create", "user", in.UserID, rel)
	})
	if err != nil {
		return nil, err
	}
	return rel, nil
}

// ListRelatives lists the registered relatives of users in the admin's
// subtree, of one user when userID is set.
func (e *Engine) ListRelatives(ctx context.Context, a *server.Actor, userID string) ([]syncproto.Relative, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	out := []syncproto.Relative{}
	err := e.Store.Read(ctx, func(tx server.Tx) error {
		list, err := tx.Relatives(a.UnitPath, userID)
		if err != nil {
			return fmt.Errorf("list relatives: %w", err)
		}
		for _, r := range list {
			out = append(out, syncproto.Relative{ID: r.ID, UserID: r.UserID, IDNumber: syncproto.MaskIDNumber(r.IDNumber),
				Relation: r.Relation, CreatedAt: r.CreatedAt.UTC().Format(time.RFC3339)})
		}
		return nil
	})
	return out, err
}

// userInScope loads a user the admin may manage. Codes: forbidden,
// not_found (also for users outside the subtree).
func (t *txn) userInScope(id string) (*server.User, error) {
	if err := requireAdmin(t.a); err != nil {
		return nil, err
	}
	u, err := t.tx.UserByID(id)
	if err != nil {
		return nil, err
	}
	if u == nil || !t.a.Covers(u.UnitPath) {
		return nil, server.Errorf(syncproto.CodeNotFound, "no such user")
	}
	return u, nil
}

// SetUserDisabled disables (or enables again) a user of the admin's
// subtree; disabling ends all their sessions at once. An admin cannot
// disable themselves. Codes: forbidden, not_found.
func (e *Engine) SetUserDisabled(ctx context.Context, a *server.Actor, id string, disabled bool) (*syncproto.UserDetail, error) {
	if disabled && id == a.UserID {
		return nil, server.Errorf(syncproto.CodeForbidden, "you cannot disable your own account")
	}
	var out *syncproto.UserDetail
	err := e.write(ctx, a, func(t *txn) error {
		u, err := t.userInScope(id)
		if err != nil {
			return err
		}
		if err := t.tx.SetUserDisabled(id, disabled); err != nil {
			return fmt.Errorf("disable user: %w", err)
		}
		action := "user.enable"
		if disabled {
			action = "user.disable"
			if err := t.tx.RevokeUserSessions(id, "user_disabled", t.now); err != nil {
				return err
			}
		}
		u.Disabled = disabled
		out = userDetail(u)
		return t.audit(action, "user", id, nil)
	})
	return out, err
}

// SetPassword replaces the password of a user of the admin's subtree and
// ends all their sessions. Codes: forbidden, not_found.
func (e *Engine) SetPassword(ctx context.Context, a *server.Actor, id, passwordHash string) error {
	return e.write(ctx, a, func(t *txn) error {
		if _, err := t.userInScope(id); err != nil {
			return err
		}
		if err := t.tx.SetPasswordHash(id, passwordHash); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if err := t.tx.RevokeUserSessions(id, "password_reset", t.now); err != nil {
			return err
		}
		return t.audit("user.password_reset", "user", id, nil)
	})
}
