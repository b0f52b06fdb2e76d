package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// The AuthStore half of the engine: sessions with rotating refresh tokens.
// Each write goes to the county of the user it concerns; entries about no
// known user (a failed login for an unknown name) go to the store's
// county-less chain.

// countyOfUser returns the county of a user ("" when there is no such user).
func (e *Engine) countyOfUser(ctx context.Context, userID string) (string, error) {
	u, err := e.UserByID(ctx, userID)
	if server.ErrorCode(err) == syncproto.CodeNotFound {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return CountyOf(u.UnitPath), nil
}

// writeFor runs fn in a write transaction of userID's county, as actor a.
func (e *Engine) writeFor(ctx context.Context, userID string, a *server.Actor, fn func(*txn) error) error {
	county, err := e.countyOfUser(ctx, userID)
	if err != nil {
		return err
	}
	return e.Store.Write(ctx, county, func(tx server.Tx) error {
		return fn(&txn{e: e, tx: tx, a: a, now: e.now()})
	})
}

// CreateSession stores a new login session and its first refresh token, and
// audits the login.
func (e *Engine) CreateSession(ctx context.Context, s server.Session, tokenHash string, expires time.Time) error {
	a := &server.Actor{UserID: s.UserID, DeviceID: s.DeviceID}
	return e.writeFor(ctx, s.UserID, a, func(t *txn) error {
		if err := t.tx.InsertSession(s, tokenHash, expires); err != nil {
			return fmt.Errorf("insert session: %w", err)
		}
		return t.audit("auth.login", "session", s.ID, nil)
	})
}

// errReused is returned by RotateRefresh after it has committed the
// revocation of a session whose used token came back.
var errReused = server.Errorf(syncproto.CodeRefreshReused, "this refresh token was already used; the session is revoked, log in again")

// RotateRefresh exchanges a refresh token for its successor. Codes:
// refresh_token_invalid, refresh_token_expired, refresh_token_reused,
// session_revoked.
func (e *Engine) RotateRefresh(ctx context.Context, oldHash, newHash string, expires time.Time) (*server.Session, error) {
	var first *server.RefreshToken
	if err := e.Store.Read(ctx, func(tx server.Tx) (err error) {
		first, err = tx.RefreshToken(oldHash)
		return err
	}); err != nil {
		return nil, fmt.Errorf("find refresh token: %w", err)
	}
	if first == nil {
		return nil, server.Errorf(syncproto.CodeRefreshInvalid, "unknown refresh token")
	}
	var reused bool
	s := first.Session
	a := &server.Actor{UserID: s.UserID, DeviceID: s.DeviceID}
	err := e.writeFor(ctx, s.UserID, a, func(t *txn) error {
		tok, err := t.tx.RefreshToken(oldHash) // again, under the write lock
		if err != nil {
			return fmt.Errorf("find refresh token: %w", err)
		}
		s = tok.Session
		switch {
		case tok.Used:
			reused = true
			if !s.RevokedAt.IsZero() {
				return nil
			}
			if err := t.tx.RevokeSession(s.ID, syncproto.CodeRefreshReused, t.now); err != nil {
				return err
			}
			return t.audit("auth.refresh_reused", "session", s.ID, nil)
		case !s.RevokedAt.IsZero():
			return server.Errorf(syncproto.CodeRevoked, "the session was revoked; log in again")
		case !t.now.Before(tok.ExpiresAt):
			return server.Errorf(syncproto.CodeRefreshExpired, "the refresh token expired; log in again")
		}
		return t.tx.UseRefresh(oldHash, newHash, s.ID, expires, t.now)
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
func (e *Engine) RevokeSession(ctx context.Context, a *server.Actor, why string) error {
	return e.writeFor(ctx, a.UserID, a, func(t *txn) error {
		if err := t.tx.RevokeSession(a.SessionID, why, t.now); err != nil {
			return fmt.Errorf("revoke session: %w", err)
		}
		return t.audit("auth."+why, "session", a.SessionID, nil)
	})
}

// SessionUser returns a live session and its user. Code session_revoked.
func (e *Engine) SessionUser(ctx context.Context, sessionID string) (*server.Session, *server.User, error) {
	var s *server.Session
	var u *server.User
	err := e.Store.Read(ctx, func(tx server.Tx) error {
		var err error
		if s, err = tx.Session(sessionID); err != nil || s == nil || !s.RevokedAt.IsZero() {
			return err
		}
		u, err = tx.UserByID(s.UserID)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("find session: %w", err)
	}
	if s == nil || !s.RevokedAt.IsZero() {
		return nil, nil, server.Errorf(syncproto.CodeRevoked, "the session was revoked; log in again")
	}
	if u == nil || u.Disabled {
		return nil, nil, server.Errorf(syncproto.CodeRevoked, "the account is disabled")
	}
	return s, u, nil
}

// Audit appends an entry to the audit log of its actor's county in its own
// transaction.
func (e *Engine) Audit(ctx context.Context, entry server.AuditEntry) error {
	county, err := e.countyOfUser(ctx, entry.ActorID)
	if err != nil {
		return err
	}
	if entry.At.IsZero() {
		entry.At = e.now()
	}
	return e.Store.Write(ctx, county, func(tx server.Tx) error { return tx.AppendAudit(entry) })
}
