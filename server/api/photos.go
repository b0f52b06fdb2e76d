package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// photoCache lets a browser or tablet keep a photo for good: content at a
// hash never changes. private: it shows someone's home.
const photoCache = "private, max-age=31536000, immutable"

// missingPhotos answers POST /v1/photos/missing.
func (s *Server) missingPhotos(c echo.Context) error {
	var req syncproto.MissingPhotosRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	res, err := s.deps.Photos.Missing(c.Request().Context(), actorOf(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

// getPhoto answers GET /v1/photos/:sha256/:variant, with conditional and
// range requests (http.ServeContent).
func (s *Server) getPhoto(c echo.Context) error {
	sha, variant := c.Param("sha256"), c.Param("variant")
	p, err := s.deps.Photos.Open(c.Request().Context(), actorOf(c), sha, variant)
	if err != nil {
		return err
	}
	defer p.Close()
	etag := `"` + sha + `"`
	if variant != syncproto.VariantOriginal {
		etag = `"` + sha + "-" + variant + `"`
	}
	h := c.Response().Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", photoCache)
	h.Set(echo.HeaderContentType, p.ContentType)
	http.ServeContent(c.Response(), c.Request(), "", p.ModTime, p)
	return nil
}

// uploads hands a tus request to the upload handler with the caller in its
// context, under the path relative to /v1/uploads.
func (s *Server) uploads(c echo.Context) error {
	r := c.Request()
	r = r.WithContext(server.ContextWithActor(r.Context(), actorOf(c)))
	http.StripPrefix("/v1/uploads", s.deps.Uploads).ServeHTTP(c.Response(), r)
	return nil
}
