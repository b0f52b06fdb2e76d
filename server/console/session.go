package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ruhu-org/ruhu/server"
)

// The console keeps no session state of its own: a login opens a session
// of the identity service (the same users, roles and revocation as the
// API) on device DeviceID, and the browser holds its id in a cookie signed
// with a key derived from the server's secret. Logging out revokes the
// session, which ends every cookie naming it. Every form carries a CSRF
// token bound to the session (or, on the login form, to a random cookie).

// DeviceID is the device of every console session.
const DeviceID = "web-console"

// Cookie names. The session cookie is HttpOnly, SameSite=Strict, on
// /review/, Secure when the request came over TLS.
const (
	sessionCookie = "ruhu_console"
	loginCookie   = "ruhu_console_login"
	csrfField     = "csrf"
)

// MaxSessionAge is how long a console login lasts (a working day).
const MaxSessionAge = 12 * time.Hour

// keys are the HMAC keys of cookies and CSRF tokens, derived from the
// server's secret.
type keys struct{ cookie, csrf []byte }

func deriveKeys(secret []byte) keys {
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte("ruhu console " + label))
		return m.Sum(nil)
	}
	return keys{cookie: derive("cookie v1"), csrf: derive("csrf v1")}
}

func mac(key []byte, parts ...string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.Join(parts, "\x00")))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// sessionValue is the cookie value naming session id, issued at.
func (k keys) sessionValue(id string, at time.Time) string {
	v := id + "." + strconv.FormatInt(at.Unix(), 10)
	return v + "." + mac(k.cookie, "session", v)
}

// parseSession checks a cookie value and returns the session id; ok false
// when the signature is wrong or the login is older than MaxSessionAge.
func (k keys) parseSession(v string, now time.Time) (string, bool) {
	i := strings.LastIndexByte(v, '.')
	if i < 0 || len(v) > 512 || !equal(v[i+1:], mac(k.cookie, "session", v[:i])) {
		return "", false
	}
	id, at, ok := strings.Cut(v[:i], ".")
	secs, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil {
		return "", false
	}
	issued := time.Unix(secs, 0)
	if now.Sub(issued) > MaxSessionAge || issued.After(now.Add(time.Minute)) {
		return "", false
	}
	return id, true
}

// csrfToken is the CSRF token of a session.
func (k keys) csrfToken(sessionID string) string { return mac(k.csrf, "session", sessionID) }

// loginToken is the CSRF token of the login form, bound to the random
// value of the login cookie.
func (k keys) loginToken(nonce string) string { return mac(k.csrf, "login", nonce) }

func randomString() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// secure reports whether the browser reached the server over TLS (directly
// or through a proxy that says so): cookies are then Secure.
func (h *Handler) secure(r *http.Request) bool {
	return h.deps.SecureCookies || r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: Prefix, MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: h.secure(r)})
}

// actor returns the logged-in actor of the request, nil when there is
// none (no cookie, a bad or old one, or a revoked session).
func (h *Handler) actor(r *http.Request) *server.Actor {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	id, ok := h.keys.parseSession(c.Value, h.now())
	if !ok {
		return nil
	}
	sess, u, err := h.deps.Sessions.SessionUser(r.Context(), id)
	if err != nil {
		if server.ErrorCode(err) == "" {
			h.deps.Log.Error("console session", "err", err)
		}
		return nil
	}
	if sess.DeviceID != DeviceID || sess.UserID != u.ID {
		return nil
	}
	return &server.Actor{UserID: u.ID, Username: u.Username, Name: u.DisplayName, UnitID: u.UnitID,
		UnitPath: u.UnitPath, DeviceID: sess.DeviceID, SessionID: sess.ID, Roles: u.Roles}
}

// checkCSRF reports whether a POST carries the session's CSRF token.
func (h *Handler) checkCSRF(r *http.Request, a *server.Actor) bool {
	return equal(r.PostFormValue(csrfField), h.keys.csrfToken(a.SessionID))
}
