// Package mobile serves /m/, the village cadre's H5 page: a small mobile
// page built on the JS light client (clientsdk/js, embedded here as
// static/ruhu.js, with tus-js-client as static/tus.js for photos). The
// page talks to the /v1 API like any other client; this package only
// serves its files. A service worker (static/sw.js) keeps them, so that the
// page opens with no network; the village's data is in IndexedDB.
package mobile

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

//go:embed static
var static embed.FS

// csp lets the page load only its own scripts and styles and talk only to
// its own origin; photos are shown from blob: URLs.
const csp = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; " +
	"connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler serves the page's files under /m/.
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree always has static/
	}
	files := http.StripPrefix("/m/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/m" {
			http.Redirect(w, r, "/m/", http.StatusMovedPermanently)
			return
		}
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/m")
		if name == "" || name == "/" {
			name = "/index.html"
		}
		if _, err := fs.Stat(sub, strings.TrimPrefix(name, "/")); err != nil {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// The page's code changes with the server: revalidate every time.
		h.Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}

// Mount adds GET /m and GET /m/* to e.
func Mount(e *echo.Echo) {
	h := echo.WrapHandler(Handler())
	e.GET("/m", h)
	e.GET("/m/*", h)
}
