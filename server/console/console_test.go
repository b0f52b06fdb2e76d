package console_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
)

// browser is a cookie-keeping HTTP client that does not follow redirects.
type browser struct {
	t   *testing.T
	env *ruhutest.Env
	c   *http.Client
}

func newBrowser(t *testing.T, env *ruhutest.Env) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, env: env, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) do(method, path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.env.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res, string(out)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token in page:\n%s", page)
	}
	return m[1]
}

// login logs username in through the login form and returns the CSRF
// token of the pages that follow.
func (b *browser) login(username string) string {
	b.t.Helper()
	_, page := b.do(http.MethodGet, "/review/login", nil)
	res, body := b.do(http.MethodPost, "/review/login", url.Values{"csrf": {csrfOf(b.t, page)},
		"username": {username}, "password": {ruhutest.Password}, "next": {"/review/"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/review/" {
		b.t.Fatalf("login %s: %d %s\n%s", username, res.StatusCode, res.Header.Get("Location"), body)
	}
	res, page = b.do(http.MethodGet, "/review/", nil)
	if res.StatusCode != http.StatusOK {
		b.t.Fatalf("front page after login: %d\n%s", res.StatusCode, page)
	}
	return csrfOf(b.t, page)
}

// The session cookie is HttpOnly, SameSite=Strict and scoped to the
// console; pages need it; logout ends the session for good.
func TestSessionCookieAndLogout(t *testing.T) {
	env := ruhutest.New(t)
	b := newBrowser(t, env)
	res, _ := b.do(http.MethodGet, "/review/queue?village=t1-v1", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/review/login?next=%2Freview%2Fqueue%3Fvillage%3Dt1-v1" {
		t.Fatalf("anonymous queue: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	_, page := b.do(http.MethodGet, "/review/login", nil)
	res, _ = b.do(http.MethodPost, "/review/login", url.Values{"csrf": {csrfOf(t, page)}, "username": {"reviewer1"},
		"password": {ruhutest.Password}})
	var sess *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "ruhu_console" {
			sess = c
		}
	}
	if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteStrictMode || sess.Path != "/review/" || sess.Secure {
		t.Fatalf("session cookie %+v", sess)
	}
	_, page = b.do(http.MethodGet, "/review/", nil)
	token := csrfOf(t, page)
	res, _ = b.do(http.MethodPost, "/review/logout", url.Values{"csrf": {token}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	// The old cookie, replayed, names a revoked session.
	replay := newBrowser(t, env)
	u, _ := url.Parse(env.URL + "/review/")
	replay.c.Jar.SetCookies(u, []*http.Cookie{{Name: "ruhu_console", Value: sess.Value, Path: "/review/"}})
	if res, _ := replay.do(http.MethodGet, "/review/", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoked session still opens the console: %d", res.StatusCode)
	}
	// A forged cookie is refused too.
	forged := newBrowser(t, env)
	forged.c.Jar.SetCookies(u, []*http.Cookie{{Name: "ruhu_console", Value: strings.Replace(sess.Value, ".", "x.", 1), Path: "/review/"}})
	if res, _ := forged.do(http.MethodGet, "/review/", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("forged cookie opens the console: %d", res.StatusCode)
	}
}

// Every POST needs the CSRF token: without it, or with another session's,
// the answer is the 403 page and nothing happens.
func TestPostWithoutCSRFIsRefused(t *testing.T) {
	env := ruhutest.New(t)
	b := newBrowser(t, env)
	token := b.login("reviewer1")
	other := newBrowser(t, env).login("worker1")
	for _, form := range []url.Values{{}, {"csrf": {""}}, {"csrf": {other}}, {"csrf": {token + "x"}}} {
		res, page := b.do(http.MethodPost, "/review/logout", form)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(page, "安全令牌") {
			t.Fatalf("logout with %v: %d\n%s", form, res.StatusCode, page)
		}
	}
	if res, _ := b.do(http.MethodGet, "/review/", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("the session ended after refused POSTs: %d", res.StatusCode)
	}
	// The login form needs its token too.
	res, _ := newBrowser(t, env).do(http.MethodPost, "/review/login", url.Values{"username": {"reviewer1"}, "password": {ruhutest.Password}})
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("login without token: %d", res.StatusCode)
	}
}

// A wrong password shows the form again; the admin, who reads no
// household file, is not let in.
func TestLoginRefusals(t *testing.T) {
	env := ruhutest.New(t)
	b := newBrowser(t, env)
	_, page := b.do(http.MethodGet, "/review/login", nil)
	res, page := b.do(http.MethodPost, "/review/login", url.Values{"csrf": {csrfOf(t, page)}, "username": {"reviewer1"}, "password": {"wrong-password"}})
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "用户名或密码错误") {
		t.Fatalf("wrong password: %d\n%s", res.StatusCode, page)
	}
	res, page = b.do(http.MethodPost, "/review/login", url.Values{"csrf": {csrfOf(t, page)}, "username": {"admin"}, "password": {ruhutest.Password}})
	if res.StatusCode != http.StatusForbidden || !strings.Contains(page, "不使用审核台") {
		t.Fatalf("admin: %d\n%s", res.StatusCode, page)
	}
	if res, _ := b.do(http.MethodGet, "/review/", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin got a session: %d", res.StatusCode)
	}
}

// The village committee reads household files with ID numbers and health
// masked; the township reviewer sees them (the engine decides, per role).
func TestSensitiveFieldsMaskedByRole(t *testing.T) {
	env := ruhutest.New(t)
	w := env.Login("worker1", "tab-m")
	hh := ruhutest.Household("t1-v1", 31)
	w.Push(ruhutest.Upsert("households", "01HHM000000000000000000031", 0, hh),
		ruhutest.Upsert("members", "01HMM000000000000000000031", 0, map[string]any{"household_id": "01HHM000000000000000000031",
			"name": "钱三", "id_number": ruhutest.IDNumber(31), "relation": "户主", "health": "精神分裂症"}))
	full, masked := ruhutest.IDNumber(31), ruhutest.IDNumber(31)[:6]+"********"+ruhutest.IDNumber(31)[14:]
	for _, sc := range []struct {
		user       string
		see, never []string
	}{
		{"committee1", []string{masked, "（已隐藏）", "敏感信息已按您的角色隐藏"}, []string{full, "精神分裂症"}},
		{"reviewer1", []string{full, "精神分裂症"}, []string{"敏感信息已按您的角色隐藏"}},
	} {
		b := newBrowser(t, env)
		b.login(sc.user)
		res, page := b.do(http.MethodGet, "/review/households/01HHM000000000000000000031", nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", sc.user, res.StatusCode)
		}
		for _, s := range sc.see {
			if !strings.Contains(page, s) {
				t.Errorf("%s does not see %q", sc.user, s)
			}
		}
		for _, s := range sc.never {
			if strings.Contains(page, s) {
				t.Errorf("%s sees %q", sc.user, s)
			}
		}
	}
}
