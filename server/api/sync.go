package api

import (
	"net/http"
	"strconv"
	"sync"

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
		return server.Errorf(syncproto.CodeDeviceMismatch, "device_id is not the device this session logged in on")
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
	limit, err := limitParam(c, syncproto.DefaultPullLimit, syncproto.MaxPullLimit)
	if err != nil {
		return err
	}
	res, err := s.deps.Sync.Pull(c.Request().Context(), actorOf(c), c.QueryParam("cursor"), limit)
	if err != nil {
		return err
	}
	// Fields and meta are stored as validated JSON: copy them verbatim,
	// into a buffer that serves page after page.
	buf := pullBufs.Get().(*[]byte)
	defer pullBufs.Put(buf)
	*buf = res.AppendJSON((*buf)[:0])
	// Gzip, when the client asks for it, drops the length.
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(len(*buf)))
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, *buf)
}

// pullBufs holds the buffers pull pages are encoded into. A page is
// bounded by Limits.PullPageBytes (and one record), so a kept buffer is
// about that large.
var pullBufs = sync.Pool{New: func() any { return new([]byte) }}

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
	limit, err := limitParam(c, syncproto.DefaultConflictLimit, syncproto.MaxConflictLimit)
	if err != nil {
		return err
	}
	list, err := s.deps.Conflicts.ListConflicts(c.Request().Context(), actorOf(c), status, c.QueryParam("after"), limit+1)
	if err != nil {
		return err
	}
	page := syncproto.ConflictList{Conflicts: list}
	if len(list) > limit {
		page.Conflicts = list[:limit]
		page.Next = list[limit-1].ID
	}
	return c.JSON(http.StatusOK, page)
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
	limit, err := limitParam(c, syncproto.DefaultRejectionLimit, syncproto.MaxRejectionLimit)
	if err != nil {
		return err
	}
	page, err := s.deps.Conflicts.ListRejections(c.Request().Context(), actorOf(c), c.QueryParam("after"), limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

// limitParam reads ?limit=N: def when absent, at most max. Code
// bad_request for anything but a positive integer.
func limitParam(c echo.Context, def, max int) (int, error) {
	q := c.QueryParam("limit")
	if q == "" {
		return def, nil
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < 1 {
		return 0, server.Errorf(syncproto.CodeBadRequest, "limit must be a positive integer")
	}
	return min(n, max), nil
}
