package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// conflictsView is the data of the conflicts page.
type conflictsView struct {
	Conflicts  []syncproto.Conflict
	Rejections []syncproto.Rejection
	CanResolve bool
	Resolved   string // id of the conflict just resolved
}

// maxConflicts bounds the open conflicts listed on the page.
const maxConflicts = 200

// conflicts answers GET /review/conflicts: open conflicts, both values
// side by side, and the pushes rejected in the actor's subtree.
func (h *Handler) conflicts(w http.ResponseWriter, r *http.Request, a *server.Actor) error {
	cs, err := h.deps.Engine.ListConflicts(r.Context(), a, syncproto.ConflictOpen, "", maxConflicts)
	if err != nil {
		return err
	}
	rs, err := h.deps.Engine.ListRejections(r.Context(), a, "", maxRejections)
	if err != nil {
		return err
	}
	v := conflictsView{Conflicts: cs, Rejections: rs.Rejections, CanResolve: a.HasAny(server.ResolverRoles...),
		Resolved: r.URL.Query().Get("resolved")}
	return h.show(w, a, "conflicts", "conflicts", "冲突与退回", v)
}

// resolve answers POST /review/conflicts/{id}/resolve with choice server or
// client: the engine applies it as a new version the tablets pull.
func (h *Handler) resolve(w http.ResponseWriter, r *http.Request, a *server.Actor) error {
	choice := r.PostFormValue("choice")
	if choice != syncproto.ChoiceServer && choice != syncproto.ChoiceClient {
		return server.Errorf(syncproto.CodeInvalidChoice, "请选择保留服务器上的值或平板提交的值")
	}
	c, err := h.deps.Engine.ResolveConflict(r.Context(), a, r.PathValue("id"), syncproto.ResolveRequest{Choice: choice})
	if err != nil {
		return err
	}
	back := Prefix + "conflicts"
	if next := r.PostFormValue("next"); safeNext(next) == next && next != Prefix && !strings.Contains(next, "?") {
		back = next
	}
	http.Redirect(w, r, back+"?resolved="+url.QueryEscape(c.ID), http.StatusSeeOther)
	return nil
}
