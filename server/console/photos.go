package console

import (
	"net/http"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// photo answers GET /review/photos/{sha}/{variant} (thumb or large): a
// photo whose household is in the actor's subtree, else 404.
func (h *Handler) photo(w http.ResponseWriter, r *http.Request, a *server.Actor) error {
	variant := r.PathValue("variant")
	if variant != syncproto.VariantThumb && variant != syncproto.VariantLarge {
		return server.Errorf(syncproto.CodeNotFound, "no such variant")
	}
	p, err := h.deps.Photos.Open(r.Context(), a, r.PathValue("sha"), variant)
	if err != nil {
		return err
	}
	defer p.Close()
	hd := w.Header()
	hd.Set("Content-Type", p.ContentType)
	hd.Set("Cache-Control", "private, max-age=86400")
	hd.Set("ETag", `"`+r.PathValue("sha")+"-"+variant+`"`)
	http.ServeContent(w, r, "", p.ModTime, p)
	return nil
}
