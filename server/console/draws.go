package console

import (
	"net/http"
	"net/url"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/syncproto"
)

// drawsView is the data of the draw form.
type drawsView struct {
	// Units are the units the actor may draw over, with their stage.
	Units []drawUnit
	// Awaiting counts the cases awaiting review at each stage.
	Awaiting map[string]int
}

type drawUnit struct {
	ID, Name, Stage string
}

// draws answers GET /review/draws: the form drawing the re-visit
// (township, ≥ 20 %) or spot-check (county, ≥ 10 %) sample.
func (h *Handler) draws(w http.ResponseWriter, r *http.Request, a *server.Actor) error {
	list, err := h.deps.Engine.Cases(r.Context(), a, server.CaseFilter{Limit: 1})
	if err != nil {
		return err
	}
	v := drawsView{Awaiting: map[string]int{syncproto.DrawTownship: list.Counts[syncproto.StateTownshipReview],
		syncproto.DrawCounty: list.Counts[syncproto.StateCountyReview]}}
	if a.Has(syncproto.RoleTownshipReviewer) {
		v.Units = append(v.Units, drawUnit{ID: a.UnitID, Name: "本乡镇待审核案件", Stage: syncproto.DrawTownship})
	}
	if a.HasAny(syncproto.RoleCountyApprover, syncproto.RoleInspector) {
		v.Units = append(v.Units, drawUnit{ID: engine.CountyOf(a.UnitPath), Name: "全县待审批案件", Stage: syncproto.DrawCounty})
	}
	return h.show(w, a, "draws", "draws", "入户核查抽取", v)
}

// draw answers POST /review/draws (unit_id, stage): the engine draws and
// records the sample; the browser goes on to its printable list.
func (h *Handler) draw(w http.ResponseWriter, r *http.Request, a *server.Actor) error {
	d, err := h.deps.Engine.Draw(r.Context(), a, syncproto.DrawRequest{UnitID: r.PostFormValue("unit_id"),
		Stage: r.PostFormValue("stage")})
	if err != nil {
		return err
	}
	http.Redirect(w, r, Prefix+"draws/"+url.PathEscape(d.ID), http.StatusSeeOther)
	return nil
}

// drawView is the data of a draw's printable list.
type drawView struct {
	D     *syncproto.Draw
	Cases []drawnCase
}

type drawnCase struct {
	C    *syncproto.Case
	Head engine.HouseholdHead
}

// drawPage answers GET /review/draws/{id}: the drawn cases, printable.
func (h *Handler) drawPage(w http.ResponseWriter, r *http.Request, a *server.Actor) error {
	d, err := h.deps.Engine.GetDraw(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := drawView{D: d}
	var cs []syncproto.Case
	for _, id := range d.Selected {
		c, err := h.deps.Engine.Case(r.Context(), a, id)
		if err != nil {
			return err
		}
		cs = append(cs, *c)
	}
	heads, err := h.heads(r, a, cs)
	if err != nil {
		return err
	}
	for i := range cs {
		v.Cases = append(v.Cases, drawnCase{C: &cs[i], Head: heads[cs[i].HouseholdID]})
	}
	return h.show(w, a, "draw", "draws", "入户核查名单", v)
}
