package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/ruhu-org/ruhu/syncproto"
)

func (s *Server) addField(c echo.Context) error {
	var req syncproto.ExtraField
	if err := s.bind(c, &req); err != nil {
		return err
	}
	f, err := s.deps.Schema.AddField(c.Request().Context(), actorOf(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, f)
}

func (s *Server) listFields(c echo.Context) error {
	fields, err := s.deps.Schema.ListFields(c.Request().Context(), actorOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, syncproto.ExtraFieldList{Fields: fields})
}

func (s *Server) removeField(c echo.Context) error {
	if err := s.deps.Schema.RemoveField(c.Request().Context(), actorOf(c), c.Param("collection"), c.Param("name")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
