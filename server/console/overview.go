package console

import (
	"net/http"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/syncproto"
)

// overviewView is the data of the front page.
type overviewView struct {
	Since      string // the date asked, YYYY-MM-DD
	O          *engine.Overview
	Totals     engine.VillageActivity
	Rejections []syncproto.Rejection
}

// maxRejections bounds the rejected pushes listed on a page.
const maxRejections = 100

// overview answers GET /review/: what came in since a date (default
// today, Beijing time) per village.
func (h *Handler) overview(w http.ResponseWriter, r *http.Request, a *server.Actor) error {
	today := server.CivilDate(h.now())
	since := r.URL.Query().Get("since")
	if since == "" {
		since = today
	}
	day, err := time.ParseInLocation(time.DateOnly, since, server.China)
	if err != nil {
		return server.Errorf(syncproto.CodeValidation, "日期格式应为 YYYY-MM-DD")
	}
	o, err := h.deps.Engine.ConsoleOverview(r.Context(), a, day)
	if err != nil {
		return err
	}
	v := overviewView{Since: since, O: o}
	for _, va := range o.Villages {
		v.Totals.Households += va.Households
		v.Totals.Investigations += va.Investigations
		v.Totals.Signatures += va.Signatures
		v.Totals.Photos += va.Photos
		v.Totals.OpenConflicts += va.OpenConflicts
		v.Totals.Rejected += va.Rejected
	}
	rejected, err := h.deps.Engine.ListRejections(r.Context(), a, "", maxRejections)
	if err != nil {
		return err
	}
	for _, rj := range rejected.Rejections {
		if t, err := time.Parse(time.RFC3339Nano, rj.RejectedAt); err == nil && !t.Before(day) {
			v.Rejections = append(v.Rejections, rj)
		}
	}
	return h.show(w, a, "overview", "overview", "首页", v)
}
