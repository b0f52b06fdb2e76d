// Package console is the township office's review console (审核台), served
// by the same server under /review/: server-rendered pages (html/template,
// embedded templates, a little CSS and JS, no third-party script) in
// Chinese. Every read and write goes through the engine with the
// logged-in actor, so roles and the org-unit subtree are checked there,
// once; the console only renders.
package console

import (
	"context"
	"embed"
	"log/slog"
	"net/http"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Prefix is where the console is served.
const Prefix = "/review/"

// Engine is what the console asks of server/engine.
type Engine interface {
	ConsoleOverview(ctx context.Context, a *server.Actor, since time.Time) (*engine.Overview, error)
	ConsoleQueue(ctx context.Context, a *server.Actor, f engine.QueueFilter) (*engine.Queue, error)
	ConsoleHousehold(ctx context.Context, a *server.Actor, id string) (*engine.HouseholdFile, error)
	ListConflicts(ctx context.Context, a *server.Actor, status, after string, limit int) ([]syncproto.Conflict, error)
	ResolveConflict(ctx context.Context, a *server.Actor, id string, req syncproto.ResolveRequest) (*syncproto.Conflict, error)
	ListRejections(ctx context.Context, a *server.Actor, after string, limit int) (*syncproto.RejectionList, error)
	ConsoleHeads(ctx context.Context, a *server.Actor, ids []string) (map[string]engine.HouseholdHead, error)
	// The case procedure: cases, transitions, objections, draws, notices,
	// the roster.
	server.CaseService
}

// Sessions finds the live session of a cookie and its user.
type Sessions interface {
	SessionUser(ctx context.Context, sessionID string) (*server.Session, *server.User, error)
}

// Deps are the services the console calls.
type Deps struct {
	Auth     server.AuthService
	Sessions Sessions
	Engine   Engine
	Photos   server.PhotoService
	// Secret is the server's secret; the console derives its cookie and
	// CSRF keys from it (at least 32 bytes).
	Secret []byte
	// SecureCookies marks cookies Secure even on plain HTTP (a TLS proxy
	// that sets no X-Forwarded-Proto).
	SecureCookies bool
	Now           func() time.Time
	Log           *slog.Logger
}

// Handler serves the console.
type Handler struct {
	deps Deps
	keys keys
	mux  *http.ServeMux
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// New returns the console handler.
func New(d Deps) *Handler {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	h := &Handler{deps: d, keys: deriveKeys(d.Secret), mux: http.NewServeMux()}
	h.routes()
	return h
}

// routes is the console's route table.
func (h *Handler) routes() {
	m := h.mux
	m.Handle("GET /review/static/{file}", http.StripPrefix(Prefix, static(http.FileServerFS(staticFS))))
	m.HandleFunc("GET /review/login", h.loginPage)
	m.HandleFunc("POST /review/login", h.login)
	m.HandleFunc("POST /review/logout", h.form(h.logout))
	m.HandleFunc("GET /review/{$}", h.page(h.overview))
	m.HandleFunc("GET /review/queue", h.page(h.queue))
	m.HandleFunc("GET /review/households/{id}", h.page(h.household))
	m.HandleFunc("GET /review/photos/{sha}/{variant}", h.page(h.photo))
	m.HandleFunc("GET /review/conflicts", h.page(h.conflicts))
	m.HandleFunc("POST /review/conflicts/{id}/resolve", h.form(h.resolve))
	m.HandleFunc("GET /review/cases", h.page(h.cases))
	m.HandleFunc("GET /review/cases/{id}", h.page(h.casePage))
	m.HandleFunc("POST /review/cases/{id}/transition", h.form(h.transition))
	m.HandleFunc("POST /review/cases/{id}/objections", h.form(h.object))
	m.HandleFunc("GET /review/draws", h.page(h.draws))
	m.HandleFunc("POST /review/draws", h.form(h.draw))
	m.HandleFunc("GET /review/draws/{id}", h.page(h.drawPage))
	m.HandleFunc("GET /review/notices", h.page(h.notices))
	m.HandleFunc("GET /review/notices/print", h.page(h.noticePrint))
	m.HandleFunc("GET /review/roster.xlsx", h.page(h.roster))
	m.HandleFunc("/review/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, nil, server.Errorf(syncproto.CodeNotFound, "no such page"))
	})
}

// static serves the embedded stylesheet and script, cacheable for an
// hour (ServeHTTP's no-store is for pages).
func static(fs http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fs.ServeHTTP(w, r)
	})
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) now() time.Time { return h.deps.Now().UTC() }

// actorHandler handles a request of a logged-in actor.
type actorHandler func(w http.ResponseWriter, r *http.Request, a *server.Actor) error

// page wraps a GET handler: without a login it sends the browser to the
// login page, coming back here after.
func (h *Handler) page(fn actorHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a := h.actor(r)
		if a == nil {
			http.Redirect(w, r, Prefix+"login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if err := fn(w, r, a); err != nil {
			h.fail(w, r, a, err)
		}
	}
}

// maxForm bounds a console form body.
const maxForm = 64 << 10

// form wraps a POST handler: it needs a login and the session's CSRF
// token, else the answer is the 403 page.
func (h *Handler) form(fn actorHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		a := h.actor(r)
		if a == nil || !h.checkCSRF(r, a) {
			h.fail(w, r, a, errCSRF)
			return
		}
		if err := fn(w, r, a); err != nil {
			h.fail(w, r, a, err)
		}
	}
}

// errCSRF answers a form without a login or a valid CSRF token.
var errCSRF = server.Errorf(syncproto.CodeForbidden, "请求缺少有效的安全令牌，或登录已失效。请刷新页面后重试。")
