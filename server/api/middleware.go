package api

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

const actorKey = "ruhu.actor"

// maxTokenLen is far above the length of any access token ruhu issues
// (about 400 bytes); a longer one is refused before it is decoded.
const maxTokenLen = 4096

// actorOf returns the authenticated caller set by requireAuth.
func actorOf(c echo.Context) *server.Actor {
	a, _ := c.Get(actorKey).(*server.Actor)
	return a
}

// requireAuth verifies the bearer token and puts the actor in the context.
func (s *Server) requireAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		token, ok := strings.CutPrefix(h, "Bearer ")
		if len(token) > maxTokenLen {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="ruhu", error="invalid_token"`)
			return server.Errorf(syncproto.CodeInvalidToken, "the access token is not valid")
		}
		if !ok || token == "" {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="ruhu"`)
			return server.Errorf(syncproto.CodeUnauthenticated, "a bearer token is required")
		}
		a, err := s.deps.Auth.Authenticate(c.Request().Context(), strings.TrimSpace(token))
		if err != nil {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="ruhu", error="invalid_token"`)
			return err
		}
		c.Set(actorKey, a)
		return next(c)
	}
}

// requireRole refuses actors without at least one of roles.
func requireRole(roles ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !actorOf(c).HasAny(roles...) {
				return server.Errorf(syncproto.CodeForbidden, "this needs one of the roles %s", strings.Join(roles, ", "))
			}
			return next(c)
		}
	}
}

// statusClientClosed is logged for a request whose client went away
// before it ended (photos.StatusClientClosed).
const statusClientClosed = 499

// accessLog logs one structured line per request; a transfer cut or left
// idle is logged as "http interrupted".
func accessLog(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			attrs := []any{"method", c.Request().Method, "path", c.Path(), "status", c.Response().Status,
				"bytes", c.Response().Size, "ms", time.Since(start).Milliseconds(), "ip", c.RealIP()}
			if a := actorOf(c); a != nil {
				attrs = append(attrs, "user", a.UserID, "device", a.DeviceID)
			}
			msg := "http"
			if s := c.Response().Status; s == http.StatusRequestTimeout || s == statusClientClosed {
				// A cut or idle link (an upload the client resumes), not
				// a bad request.
				msg = "http interrupted"
			}
			log.InfoContext(c.Request().Context(), msg, attrs...)
			return nil
		}
	}
}
