package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

func (s *Server) createUnit(c echo.Context) error {
	var req syncproto.Unit
	if err := s.bind(c, &req); err != nil {
		return err
	}
	u, err := s.deps.Admin.CreateUnit(c.Request().Context(), actorOf(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, u)
}

func (s *Server) listUnits(c echo.Context) error {
	units, err := s.deps.Admin.ListUnits(c.Request().Context(), actorOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, syncproto.UnitList{Units: units})
}

func (s *Server) setUnitPosition(c echo.Context) error {
	var req syncproto.UnitPosition
	if err := s.bind(c, &req); err != nil {
		return err
	}
	u, err := s.deps.Admin.SetUnitPosition(c.Request().Context(), actorOf(c), c.Param("id"), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

func (s *Server) createUser(c echo.Context) error {
	var req syncproto.CreateUserRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	hash, err := s.hashPassword(req.Password)
	if err != nil {
		return err
	}
	u, err := s.deps.Admin.CreateUser(c.Request().Context(), actorOf(c), req, hash)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, u)
}

func (s *Server) listUsers(c echo.Context) error {
	users, err := s.deps.Admin.ListUsers(c.Request().Context(), actorOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, syncproto.UserList{Users: users})
}

func (s *Server) disableUser(c echo.Context) error { return s.setDisabled(c, true) }

func (s *Server) enableUser(c echo.Context) error { return s.setDisabled(c, false) }

func (s *Server) setDisabled(c echo.Context, disabled bool) error {
	u, err := s.deps.Admin.SetUserDisabled(c.Request().Context(), actorOf(c), c.Param("id"), disabled)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

func (s *Server) setPassword(c echo.Context) error {
	var req syncproto.PasswordRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	hash, err := s.hashPassword(req.Password)
	if err != nil {
		return err
	}
	if err := s.deps.Admin.SetPassword(c.Request().Context(), actorOf(c), c.Param("id"), hash); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// hashPassword checks a new password's length and hashes it.
func (s *Server) hashPassword(password string) (string, error) {
	if err := server.CheckPassword(password); err != nil {
		return "", err
	}
	return s.deps.Hasher.Hash(password)
}

func (s *Server) addRelative(c echo.Context) error {
	var req syncproto.RelativeRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	r, err := s.deps.Admin.AddRelative(c.Request().Context(), actorOf(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, r)
}

func (s *Server) listRelatives(c echo.Context) error {
	rs, err := s.deps.Admin.ListRelatives(c.Request().Context(), actorOf(c), c.QueryParam("user_id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, syncproto.RelativeList{Relatives: rs})
}

func (s *Server) registerKey(c echo.Context) error {
	var req syncproto.RegisterKeyRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	k, created, err := s.deps.Keys.RegisterKey(c.Request().Context(), actorOf(c), req.PublicKey)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	return c.JSON(status, k)
}

func (s *Server) listKeys(c echo.Context) error {
	keys, err := s.deps.Keys.ListKeys(c.Request().Context(), actorOf(c), c.QueryParam("user_id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, syncproto.KeyList{Keys: keys})
}

func (s *Server) revokeKey(c echo.Context) error {
	if err := s.deps.Keys.RevokeKey(c.Request().Context(), actorOf(c), c.Param("key_id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
