package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/server/api"
	"github.com/ruhu-org/ruhu/server/ruhutest"
)

// TestLanding: a person who opens the server in a browser gets a page
// saying what it is, linking the pages this build serves; a script asking
// for JSON gets the same links, and each is marked available exactly when
// the server answers it (an unserved one answers 404, or 401 under /v1).
func TestLanding(t *testing.T) {
	env := ruhutest.New(t)
	res, body := send(t, env, http.MethodGet, "/", "", nil, map[string]string{"Accept": "text/html,*/*"})
	page := string(body)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s\n%s", res.StatusCode, res.Header.Get("Content-Type"), page)
	}
	for _, want := range []string{"ruhu", `<a href="/healthz">`, `<a href="/readyz">`, "ruhu-tablet", "login --server http://" + strings.TrimPrefix(env.URL, "http://")} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q", csp)
	}

	res, body = send(t, env, http.MethodGet, "/", "", nil, map[string]string{"Accept": "application/json"})
	var l api.Landing
	if err := json.Unmarshal(body, &l); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET / as JSON: %d %v\n%s", res.StatusCode, err, body)
	}
	if l.Service != "ruhu" || len(l.Links) < 4 {
		t.Fatalf("landing: %+v", l)
	}
	for _, link := range l.Links {
		res, _ := send(t, env, http.MethodGet, link.Href, "", nil, nil)
		unserved := res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusUnauthorized
		if link.Available && res.StatusCode == http.StatusNotFound || !link.Available && !unserved {
			t.Errorf("%s: available=%v but GET answers %d", link.Href, link.Available, res.StatusCode)
		}
		if link.Available && !strings.Contains(page, `<a href="`+link.Href+`">`) {
			t.Errorf("page does not link %s", link.Href)
		}
	}
}
