package clientsdk

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ruhu-org/ruhu/syncproto"
)

// expirySlack refreshes an access token this long before it expires.
const expirySlack = 30 * time.Second

// Login logs username in on this device and makes them the current user:
// the one whose edits, signatures and photos are queued from now on. Other
// users who logged in before keep their sessions, so their queued work is
// still pushed under their own names. Errors: *APIError
// (invalid_credentials, rate_limited), ErrUnreachable.
func (c *Client) Login(ctx context.Context, username, password string) (*syncproto.User, error) {
	var tok syncproto.TokenResponse
	req := syncproto.LoginRequest{Username: username, Password: password, DeviceID: c.deviceID}
	if err := c.call(ctx, "", http.MethodPost, "/v1/auth/login", req, &tok); err != nil {
		return nil, err
	}
	err := inTx(ctx, c.db, func(tx *sql.Tx) error {
		if err := c.saveTokens(ctx, tx, &tok, true); err != nil {
			return err
		}
		return setMeta(ctx, tx, metaCurrentUser, tok.User.ID)
	})
	if err != nil {
		return nil, err
	}
	return &tok.User, nil
}

// saveTokens stores a login or refresh answer for its user.
func (c *Client) saveTokens(ctx context.Context, q querier, tok *syncproto.TokenResponse, login bool) error {
	user, err := json.Marshal(tok.User)
	if err != nil {
		return err
	}
	now := c.now()
	access := now.Add(time.Duration(tok.ExpiresIn) * time.Second).Format(time.RFC3339Nano)
	refresh := now.Add(time.Duration(tok.RefreshExpiresIn) * time.Second).Format(time.RFC3339Nano)
	_, err = q.ExecContext(ctx, `INSERT INTO sessions (user_id, username, user_json, access_token, access_expires,
		refresh_token, refresh_expires, logged_in_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET username = excluded.username, user_json = excluded.user_json,
		access_token = excluded.access_token, access_expires = excluded.access_expires,
		refresh_token = excluded.refresh_token, refresh_expires = excluded.refresh_expires,
		logged_in_at = CASE WHEN ? THEN excluded.logged_in_at ELSE logged_in_at END`,
		tok.User.ID, tok.User.Username, string(user), tok.AccessToken, access, tok.RefreshToken, refresh,
		now.Format(time.RFC3339Nano), login)
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

// session is a stored login.
type session struct {
	UserID, Username              string
	User                          syncproto.User
	Access, Refresh               string
	AccessExpires, RefreshExpires time.Time
	Cursor                        string
}

func findSession(ctx context.Context, q querier, userID string) (*session, error) {
	var s session
	var user, aexp, rexp string
	err := q.QueryRowContext(ctx, `SELECT user_id, username, user_json, access_token, access_expires, refresh_token,
		refresh_expires, cursor FROM sessions WHERE user_id = ?`, userID).
		Scan(&s.UserID, &s.Username, &user, &s.Access, &aexp, &s.Refresh, &rexp, &s.Cursor)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find session: %w", err)
	}
	_ = json.Unmarshal([]byte(user), &s.User)
	s.AccessExpires, _ = time.Parse(time.RFC3339Nano, aexp)
	s.RefreshExpires, _ = time.Parse(time.RFC3339Nano, rexp)
	return &s, nil
}

// currentUser returns the current user's id, or ErrNotLoggedIn.
func (c *Client) currentUser(ctx context.Context) (string, error) {
	if c.isClosed() {
		return "", ErrClosed
	}
	id, err := getMeta(ctx, c.db, metaCurrentUser)
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", ErrNotLoggedIn
	}
	return id, nil
}

// CurrentUser returns the user whose edits are being queued. Errors:
// ErrNotLoggedIn.
func (c *Client) CurrentUser(ctx context.Context) (*syncproto.User, error) {
	id, err := c.currentUser(ctx)
	if err != nil {
		return nil, err
	}
	s, err := findSession(ctx, c.db, id)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, ErrNotLoggedIn
	}
	return &s.User, nil
}

// accessToken returns a live access token for userID, refreshing it when
// it is about to expire. Errors: ErrReloginRequired (a *ReloginError).
func (c *Client) accessToken(ctx context.Context, userID string) (string, error) {
	c.authMu.Lock()
	defer c.authMu.Unlock()
	s, err := findSession(ctx, c.db, userID)
	if err != nil {
		return "", err
	}
	if s == nil {
		return "", &ReloginError{UserID: userID, Username: userID}
	}
	if s.Access != "" && c.now().Add(expirySlack).Before(s.AccessExpires) {
		return s.Access, nil
	}
	if s.Refresh == "" {
		return "", &ReloginError{UserID: userID, Username: s.Username}
	}
	return c.refresh(ctx, s)
}

// refresh rotates s's refresh token. The caller holds authMu, so two
// requests never present the same refresh token (which the server would
// take for theft and revoke the session).
func (c *Client) refresh(ctx context.Context, s *session) (string, error) {
	var tok syncproto.TokenResponse
	err := c.call(ctx, "", http.MethodPost, "/v1/auth/refresh", syncproto.RefreshRequest{RefreshToken: s.Refresh}, &tok)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusUnauthorized {
		return "", c.dropTokens(ctx, s.UserID, s.Username, ae.Code())
	}
	if err != nil {
		return "", err
	}
	if err := c.saveTokens(ctx, c.db, &tok, false); err != nil {
		return "", err
	}
	return tok.AccessToken, nil
}

// dropTokens forgets a dead session's tokens (keeping the user, the cursor
// and every queued change) and returns the ReloginError.
func (c *Client) dropTokens(ctx context.Context, userID, username, code string) error {
	if _, err := c.db.ExecContext(ctx, `UPDATE sessions SET access_token = '', refresh_token = '' WHERE user_id = ?`,
		userID); err != nil {
		return fmt.Errorf("drop tokens: %w", err)
	}
	return &ReloginError{UserID: userID, Username: username, Code: code}
}

// expireAccess marks token expired unless a refresh already replaced it.
func (c *Client) expireAccess(ctx context.Context, userID, token string) error {
	c.authMu.Lock()
	defer c.authMu.Unlock()
	_, err := c.db.ExecContext(ctx, `UPDATE sessions SET access_expires = '' WHERE user_id = ? AND access_token = ?`,
		userID, token)
	return err
}

// sessionDead handles a 401 that a refresh cannot fix (session_revoked).
func (c *Client) sessionDead(ctx context.Context, userID string, perr error) error {
	s, err := findSession(ctx, c.db, userID)
	if err != nil || s == nil {
		return perr
	}
	return c.dropTokens(ctx, userID, s.Username, ErrorCode(perr))
}

// Logout ends the current user's session on the server (best effort) and
// forgets its tokens. Their queued changes stay and are pushed after they
// log in again, so sync before logging out on a shared tablet.
func (c *Client) Logout(ctx context.Context) error {
	id, err := c.currentUser(ctx)
	if err != nil {
		return err
	}
	if err := c.call(ctx, id, http.MethodPost, "/v1/auth/logout", nil, nil); err != nil && !errors.Is(err, ErrReloginRequired) &&
		!errors.Is(err, ErrUnreachable) {
		return err
	}
	return inTx(ctx, c.db, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET access_token = '', refresh_token = '' WHERE user_id = ?`, id); err != nil {
			return err
		}
		return setMeta(ctx, tx, metaCurrentUser, "")
	})
}
