package api

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// compress gzips an answer when the client accepts it: the pull pages,
// schema and API description small clients fetch over thin links.
var compress = middleware.GzipWithConfig(middleware.GzipConfig{Level: 5, MinLength: 1024})

// schema answers GET /v1/schema: the JSON Schema document of the caller's
// county, with its version as ETag (If-None-Match answers 304).
func (s *Server) schema(c echo.Context) error {
	doc, err := s.deps.Schema.Schema(c.Request().Context(), actorOf(c))
	if err != nil {
		return err
	}
	etag := `"` + doc.Version + `"`
	c.Response().Header().Set("ETag", etag)
	if etagMatches(c.Request().Header.Get("If-None-Match"), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.JSON(http.StatusOK, doc)
}

// etagMatches reports whether an If-None-Match header names etag.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// pullFieldRe is what a projected field may be called.
var pullFieldRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// maxPullFields bounds the names of ?fields=.
const maxPullFields = 64

// pullFilter reads ?household_id= and ?fields=a,b of GET /v1/sync/pull
// into the request's server.PullFilter. Code bad_request.
func pullFilter(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		var f server.PullFilter
		if h := c.QueryParam("household_id"); h != "" || c.QueryParams().Has("household_id") {
			if len(h) == 0 || len(h) > 64 {
				return server.Errorf(syncproto.CodeBadRequest, "household_id must be a record id")
			}
			f.HouseholdID = h
		}
		if q := c.QueryParam("fields"); q != "" {
			names := strings.Split(q, ",")
			if len(names) > maxPullFields {
				return server.Errorf(syncproto.CodeBadRequest, "fields names at most %d fields", maxPullFields)
			}
			for _, n := range names {
				if !pullFieldRe.MatchString(n) {
					return server.Errorf(syncproto.CodeBadRequest, "fields must be a comma-separated list of field names")
				}
			}
			f.Fields = names
		}
		if f.HouseholdID != "" || f.Fields != nil {
			r := c.Request()
			c.SetRequest(r.WithContext(server.WithPullFilter(r.Context(), f)))
		}
		return next(c)
	}
}
