package console

import (
	"net"
	"net/http"
	"strings"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// loginView is the data of the login page.
type loginView struct {
	Token, Next, Username, Error string
}

// loginPage answers GET /review/login with a fresh login CSRF cookie.
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	if h.actor(r) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	h.showLogin(w, r, http.StatusOK, loginView{Next: safeNext(r.URL.Query().Get("next"))})
}

func (h *Handler) showLogin(w http.ResponseWriter, r *http.Request, status int, v loginView) {
	nonce := randomString()
	h.setCookie(w, r, loginCookie, nonce, 3600)
	v.Token = h.keys.loginToken(nonce)
	h.render(w, status, "login", view{Title: "登录", Data: v})
}

// login answers POST /review/login: the login form's CSRF token, then the
// identity service's login (its rate limits and audit), then the session
// cookie. Only roles that read household files may use the console.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	c, err := r.Cookie(loginCookie)
	if err != nil || !equal(r.PostFormValue(csrfField), h.keys.loginToken(c.Value)) {
		h.fail(w, r, nil, errCSRF)
		return
	}
	v := loginView{Next: safeNext(r.PostFormValue("next")), Username: strings.TrimSpace(r.PostFormValue("username"))}
	tok, err := h.deps.Auth.Login(r.Context(), syncproto.LoginRequest{Username: v.Username,
		Password: r.PostFormValue("password"), DeviceID: DeviceID}, clientIP(r))
	if err != nil {
		h.loginFailed(w, r, v, err)
		return
	}
	a, err := h.deps.Auth.Authenticate(r.Context(), tok.AccessToken)
	if err != nil {
		h.fail(w, r, nil, err)
		return
	}
	if !a.HasAny(server.FieldRoles...) {
		if err := h.deps.Auth.Logout(r.Context(), a); err != nil {
			h.deps.Log.Error("console logout", "err", err)
		}
		v.Error = "该账号的角色不使用审核台（系统管理员请使用管理接口）。"
		h.showLogin(w, r, http.StatusForbidden, v)
		return
	}
	h.setCookie(w, r, loginCookie, "", -1)
	h.setCookie(w, r, sessionCookie, h.keys.sessionValue(a.SessionID, h.now()), 0)
	http.Redirect(w, r, v.Next, http.StatusSeeOther)
}

func (h *Handler) loginFailed(w http.ResponseWriter, r *http.Request, v loginView, err error) {
	switch server.ErrorCode(err) {
	case syncproto.CodeInvalidCredentials, syncproto.CodeValidation:
		v.Error = "用户名或密码错误。"
		h.showLogin(w, r, http.StatusUnauthorized, v)
	case syncproto.CodeRateLimited, syncproto.CodeServerBusy:
		v.Error = "登录尝试过多或服务器繁忙，请稍后再试。"
		h.showLogin(w, r, http.StatusTooManyRequests, v)
	default:
		h.fail(w, r, nil, err)
	}
}

// logout answers POST /review/logout: the session is revoked.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request, a *server.Actor) error {
	if err := h.deps.Auth.Logout(r.Context(), a); err != nil {
		return err
	}
	h.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, Prefix+"login", http.StatusSeeOther)
	return nil
}

// safeNext keeps a return address inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.HasPrefix(next, Prefix+"login") || strings.ContainsAny(next, "\\\r\n") {
		return Prefix
	}
	return next
}

// clientIP is the request's peer address (server/api's TrustProxies has
// put a trusted proxy's client there), the key of the login rate limits.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
