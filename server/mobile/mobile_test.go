package mobile_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/ruhu-org/ruhu/server/mobile"
)

func get(t *testing.T, srv *httptest.Server, path string) (*http.Response, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestServesThePage(t *testing.T) {
	e := echo.New()
	mobile.Mount(e)
	srv := httptest.NewServer(e)
	defer srv.Close()

	res, body := get(t, srv, "/m/")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `<script src="ruhu.js"`) {
		t.Fatalf("GET /m/: %d %.200s", res.StatusCode, body)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "connect-src 'self'") {
		t.Fatalf("CSP %q", csp)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("content type %q", ct)
	}
	for _, f := range []string{"ruhu.js", "tus.js", "app.js", "app.css", "sw.js"} {
		res, body := get(t, srv, "/m/"+f)
		if res.StatusCode != http.StatusOK || len(body) < 500 {
			t.Fatalf("GET /m/%s: %d, %d bytes", f, res.StatusCode, len(body))
		}
	}
	if res, _ := get(t, srv, "/m/ruhu.js"); !strings.Contains(res.Header.Get("Content-Type"), "javascript") {
		t.Fatalf("ruhu.js served as %q", res.Header.Get("Content-Type"))
	}
	if res, _ := get(t, srv, "/m"); res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/m/" {
		t.Fatalf("GET /m: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	for _, p := range []string{"/m/nope.js", "/m/../go.mod", "/m/static/app.js", "/m/mobile.go"} {
		if res, _ := get(t, srv, p); res.StatusCode != http.StatusNotFound {
			t.Fatalf("GET %s: %d, want 404", p, res.StatusCode)
		}
	}
}
