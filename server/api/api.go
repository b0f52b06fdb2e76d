// Package api is ruhu's HTTP adapter: one Echo router, problem+json errors,
// bearer authentication. Every URL of the service is in routes below.
package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/mobile"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Deps are the services the API calls.
type Deps struct {
	Auth           server.AuthService
	Admin          server.AdminService
	Keys           server.KeyService
	Sync           server.SyncService
	Conflicts      server.ConflictService
	Investigations server.InvestigationService
	// Cases carries cases through the procedure (optional).
	Cases  server.CaseService
	Hasher server.PasswordHasher
	// Ready reports whether the database answers (GET /readyz).
	Ready func(ctx context.Context) error
	// Uploads serves the tus resumable-upload protocol under /v1/uploads/
	// (optional); it finds the caller with server.ActorFromContext.
	Uploads http.Handler
	// Photos serves stored photos (optional).
	Photos server.PhotoService
	Log    *slog.Logger
	// MaxBody bounds JSON request bodies (default 16 MiB).
	MaxBody int64
	// BodyTimeout bounds the time to receive a push body (default 5
	// minutes: a 1,000-mutation push over a 50 kbit/s village link takes
	// about four).
	BodyTimeout time.Duration
	// SmallBodyTimeout bounds the time to receive any other request body
	// outside tus uploads (default 10 s): login, refresh and the other
	// small JSON bodies, which anyone can otherwise trickle for minutes.
	SmallBodyTimeout time.Duration
	// Schema serves GET /v1/schema and the county's added fields; it
	// defaults to Sync when Sync implements server.SchemaService.
	Schema server.SchemaService
	// Console serves the review console under /review/ (optional).
	Console http.Handler
}

// Server is the HTTP API.
type Server struct {
	deps Deps
	echo *echo.Echo
}

// New builds the router.
func New(d Deps) *Server {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.MaxBody <= 0 {
		d.MaxBody = 16 << 20
	}
	if d.BodyTimeout <= 0 {
		d.BodyTimeout = 5 * time.Minute
	}
	if d.SmallBodyTimeout <= 0 {
		d.SmallBodyTimeout = 10 * time.Second
	}
	if d.Schema == nil {
		d.Schema, _ = d.Sync.(server.SchemaService)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(d.Log)
	// The client address keys the login rate limit: it is the TCP peer,
	// or the address a configured proxy vouches for (TrustProxies, which
	// rewrites RemoteAddr). No header is believed here.
	e.IPExtractor = echo.ExtractIPDirect()
	s := &Server{deps: d, echo: e}
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
		d.Log.Error("panic", "path", c.Path(), "err", err, "stack", string(stack))
		return err
	}}))
	e.Use(accessLog(d.Log))
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("Ruhu-Protocol", strconv.Itoa(syncproto.ProtocolVersion))
			h.Set("X-Content-Type-Options", "nosniff")
			// Answers carry personal data and tokens: no cache keeps them.
			// Photos, which never change at a hash, set their own.
			h.Set("Cache-Control", "no-store")
			// A request body must arrive within SmallBodyTimeout, a push's
			// within BodyTimeout (tus uploads manage their own deadlines
			// chunk by chunk): a client that trickles a body cannot hold a
			// connection for long.
			if r := c.Request(); r.ContentLength != 0 && !strings.HasPrefix(r.URL.Path, "/v1/uploads") {
				limit := d.SmallBodyTimeout
				if c.Path() == pushPath {
					limit = d.BodyTimeout
				}
				_ = http.NewResponseController(c.Response().Writer).SetReadDeadline(time.Now().Add(limit))
			}
			return next(c)
		}
	})
	s.routes()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// routes is the one route table of the service. Middleware is given per
// route, never to a group: echo answers every unmatched path under a
// group with middleware through a catch-all route, which would turn a
// wrong method into 401 or 404 instead of 405.
func (s *Server) routes() {
	e := s.echo
	e.GET("/", s.landing)
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	mobile.Mount(e) // GET /m/: the village cadre's H5 page on the JS client

	v1 := e.Group("/v1")
	v1.POST("/auth/login", s.login)
	v1.POST("/auth/refresh", s.refresh)

	authed := s.requireAuth
	v1.POST("/auth/logout", s.logout, authed)
	v1.GET("/me", s.me, authed)

	admin := []echo.MiddlewareFunc{authed, requireRole(syncproto.RoleAdmin)}
	v1.POST("/admin/units", s.createUnit, admin...)
	v1.GET("/admin/units", s.listUnits, admin...)
	v1.PUT("/admin/units/:id/position", s.setUnitPosition, admin...)
	v1.POST("/admin/users", s.createUser, admin...)
	v1.GET("/admin/users", s.listUsers, admin...)
	v1.POST("/admin/users/:id/disable", s.disableUser, admin...)
	v1.POST("/admin/users/:id/enable", s.enableUser, admin...)
	v1.POST("/admin/users/:id/password", s.setPassword, admin...)
	v1.POST("/admin/relatives", s.addRelative, admin...)
	v1.GET("/admin/relatives", s.listRelatives, admin...)
	if s.deps.Schema != nil {
		v1.POST("/admin/fields", s.addField, admin...)
		v1.GET("/admin/fields", s.listFields, admin...)
		v1.DELETE("/admin/fields/:collection/:name", s.removeField, admin...)
		v1.GET("/schema", s.schema, authed, compress)
	}
	v1.GET("/openapi.json", s.openapi, compress)

	v1.POST("/keys", s.registerKey, authed)
	v1.GET("/keys", s.listKeys, authed)
	v1.DELETE("/keys/:key_id", s.revokeKey, authed)

	field := []echo.MiddlewareFunc{authed, requireRole(server.FieldRoles...)}
	v1.POST("/sync/push", s.push, field...) // pushPath
	v1.GET("/sync/pull", s.pull, append(field, compress, pullFilter)...)
	v1.GET("/conflicts", s.listConflicts, field...)
	v1.POST("/conflicts/:id/resolve", s.resolveConflict, field...)
	v1.GET("/rejections", s.listRejections, field...)
	v1.POST("/investigations/:id/submit", s.submitInvestigation, append(field,
		requireRole(syncproto.RoleVillageWorker, syncproto.RoleTownshipReviewer, syncproto.RoleInspector))...)

	s.caseRoutes(v1, field, admin)

	if s.deps.Uploads != nil {
		v1.Any("/uploads", s.uploads, field...)
		v1.Any("/uploads/*", s.uploads, field...)
	}
	if s.deps.Console != nil {
		e.Any("/review/*", echo.WrapHandler(s.deps.Console))
	}
	if s.deps.Photos != nil {
		v1.POST("/photos/missing", s.missingPhotos, field...)
		v1.GET("/photos/:sha256/:variant", s.getPhoto, field...)
	}
}

// pushPath is the one path whose body may take BodyTimeout to arrive.
const pushPath = "/v1/sync/push"

// authBodyLimit bounds the bodies of login and refresh, which anyone may
// send: credentials or a refresh token take well under a kilobyte.
const authBodyLimit = 8 << 10

// bind decodes a JSON body into v, refusing oversized or malformed input.
func (s *Server) bind(c echo.Context, v any) error {
	return bindLimit(c, v, s.deps.MaxBody)
}

// bindLimit is bind with a body limit of max bytes.
func bindLimit(c echo.Context, v any, max int64) error {
	body := http.MaxBytesReader(c.Response(), c.Request().Body, max)
	// A duplicate name or invalid UTF-8 inside a mutation's fields is that
	// mutation's rejection (invalid_field, kept for a person), not the
	// whole push's: the decoder lets them through, as encoding/json did.
	dec := jsontext.NewDecoder(body, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if err := jsonv2.UnmarshalDecode(dec, v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return server.Errorf(syncproto.CodePayloadTooLarge, "the request body is larger than %d bytes", max)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) && dec.InputOffset() == 0 {
			return server.Errorf(syncproto.CodeInvalidJSON, "the request body is empty")
		}
		return server.Errorf(syncproto.CodeInvalidJSON, "the request body is not valid JSON for this endpoint")
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		return server.Errorf(syncproto.CodeInvalidJSON, "the request body holds more than one JSON value")
	}
	return nil
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	if s.deps.Ready != nil {
		if err := s.deps.Ready(c.Request().Context()); err != nil {
			s.deps.Log.Error("readyz", "err", err)
			return problem(c, http.StatusServiceUnavailable, "not_ready", "the database is not reachable")
		}
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
