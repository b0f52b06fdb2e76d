package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/ruhu-org/ruhu/syncproto"
)

func (s *Server) login(c echo.Context) error {
	var req syncproto.LoginRequest
	if err := bindLimit(c, &req, min(s.deps.MaxBody, authBodyLimit)); err != nil {
		return err
	}
	res, err := s.deps.Auth.Login(c.Request().Context(), req, c.RealIP())
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, res)
}

func (s *Server) refresh(c echo.Context) error {
	var req syncproto.RefreshRequest
	if err := bindLimit(c, &req, min(s.deps.MaxBody, authBodyLimit)); err != nil {
		return err
	}
	res, err := s.deps.Auth.Refresh(c.Request().Context(), req.RefreshToken, c.RealIP())
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, res)
}

func (s *Server) logout(c echo.Context) error {
	if err := s.deps.Auth.Logout(c.Request().Context(), actorOf(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) me(c echo.Context) error {
	return c.JSON(http.StatusOK, actorOf(c).Wire())
}
