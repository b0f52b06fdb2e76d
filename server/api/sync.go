package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

func (s *Server) push(c echo.Context) error {
	var req syncproto.PushRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	a := actorOf(c)
	if req.DeviceID != a.DeviceID {
		return server.Errorf(syncproto.CodeDeviceMismatch, "device_id %q is not the device this session logged in on", req.DeviceID)
	}
	if len(req.Mutations) > syncproto.MaxMutationsPerPush {
		return server.Errorf(syncproto.CodePayloadTooLarge, "at most %d mutations per push", syncproto.MaxMutationsPerPush)
	}
	res, err := s.deps.Sync.Push(c.Request().Context(), a, &req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (s *Server) pull(c echo.Context) error {
	limit := syncproto.DefaultPullLimit
	if q := c.QueryParam("limit"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 {
			return server.Errorf(syncproto.CodeBadRequest, "limit must be a positive integer")
		}
		limit = min(n, syncproto.MaxPullLimit)
	}
	res, err := s.deps.Sync.Pull(c.Request().Context(), actorOf(c), c.QueryParam("cursor"), limit)
	if err != nil {
		return err
	}
	// Fields and meta are stored as validated JSON: copy them verbatim.
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, res.AppendJSON(nil))
}

func (s *Server) listConflicts(c echo.Context) error {
	status := c.QueryParam("status")
	switch status {
	case "", syncproto.ConflictOpen, syncproto.ConflictResolved, "all":
	default:
		return server.Errorf(syncproto.CodeBadRequest, "status must be open, resolved or all")
	}
	if status == "" {
		status = syncproto.ConflictOpen
	}
	list, err := s.deps.Conflicts.ListConflicts(c.Request().Context(), actorOf(c), status)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, syncproto.ConflictList{Conflicts: list})
}

func (s *Server) resolveConflict(c echo.Context) error {
	var req syncproto.ResolveRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	res, err := s.deps.Conflicts.ResolveConflict(c.Request().Context(), actorOf(c), c.Param("id"), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (s *Server) submitInvestigation(c echo.Context) error {
	res, err := s.deps.Investigations.Submit(c.Request().Context(), actorOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (s *Server) listRejections(c echo.Context) error {
	limit := 500
	if q := c.QueryParam("limit"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 {
			return server.Errorf(syncproto.CodeBadRequest, "limit must be a positive integer")
		}
		limit = n
	}
	list, err := s.deps.Conflicts.ListRejections(c.Request().Context(), actorOf(c), limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, syncproto.RejectionList{Rejections: list})
}
