package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/server/policy"
	"github.com/ruhu-org/ruhu/syncproto"
)

// casesView is the data of the case list.
type casesView struct {
	List       *syncproto.CaseList
	Heads      map[string]engine.HouseholdHead
	Villages   []server.Unit
	States     []string
	Categories []string
	Filter     server.CaseFilter
	Village    string
	Total      int
	// Next is the query of the next page (nil at the end).
	Next url.Values
}

// casePageSize is the number of cases on a page of the list.
const casePageSize = 50

// cases answers GET /review/cases?village=&state=&category=&drawn=1&after=.
func (h *Handler) cases(w http.ResponseWriter, r *http.Request, a *server.Actor) error {
	q := r.URL.Query()
	f := server.CaseFilter{UnitID: q.Get("village"), State: q.Get("state"), Category: q.Get("category"),
		Drawn: q.Get("drawn") == "1", After: q.Get("after"), Limit: casePageSize}
	list, err := h.deps.Engine.Cases(r.Context(), a, f)
	if err != nil {
		return err
	}
	heads, err := h.heads(r, a, list.Cases)
	if err != nil {
		return err
	}
	qv, err := h.deps.Engine.ConsoleQueue(r.Context(), a, engine.QueueFilter{Page: 1})
	if err != nil {
		return err
	}
	v := casesView{List: list, Heads: heads, Villages: qv.Villages, States: syncproto.CaseStates,
		Categories: syncproto.Categories, Filter: f, Village: f.UnitID}
	for _, n := range list.Counts {
		v.Total += n
	}
	if list.Next != "" {
		next := url.Values{}
		for k, vs := range q {
			next[k] = vs
		}
		next.Set("after", list.Next)
		v.Next = next
	}
	return h.show(w, a, "cases", "cases", "案件审核", v)
}

// heads finds the household heads of cases.
func (h *Handler) heads(r *http.Request, a *server.Actor, cs []syncproto.Case) (map[string]engine.HouseholdHead, error) {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.HouseholdID
	}
	return h.deps.Engine.ConsoleHeads(r.Context(), a, ids)
}

// caseView is the data of the case page.
type caseView struct {
	C     *syncproto.Case
	Head  engine.HouseholdHead
	Terms []policy.Term
	// Pass is the action that moves the case on from its state ("" none);
	// Return, Reject and Close say which reasoned decisions the state
	// allows; Objection whether an objection can be recorded.
	Pass                                   string
	Return, Reject, Close, Objection, Exit bool
	Error                                  *errorView
	Done                                   string // the action just taken
	Today                                  string
}

// passActions is the step that moves a case on from each state.
var passActions = map[string]string{
	syncproto.StateInvestigating:  syncproto.ActSubmitInvestigation,
	syncproto.StateReturned:       syncproto.ActSubmitInvestigation,
	syncproto.StateVillageReview:  syncproto.ActOpenVillageNotice,
	syncproto.StateVillageNotice:  syncproto.ActCloseNotice,
	syncproto.StateTownshipReview: syncproto.ActTownshipApprove,
	syncproto.StateTownshipNotice: syncproto.ActCloseNotice,
	syncproto.StateCountyReview:   syncproto.ActCountyApprove,
	syncproto.StateCountyNotice:   syncproto.ActCloseNotice,
	syncproto.StateApproved:       syncproto.ActStartRecheck,
	syncproto.StateRecheck:        syncproto.ActConfirm,
}

func isNotice(state string) bool { return strings.HasSuffix(state, "_notice") }

func isReview(state string) bool { return strings.HasSuffix(state, "_review") }

// casePage answers GET /review/cases/{id}.
func (h *Handler) casePage(w http.ResponseWriter, r *http.Request, a *server.Actor) error {
	c, err := h.deps.Engine.Case(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.showCase(w, r, a, c, nil)
}

// showCase renders the case page, with the refusal of a decision when
// failed is set (and its status).
func (h *Handler) showCase(w http.ResponseWriter, r *http.Request, a *server.Actor, c *syncproto.Case, failed error) error {
	heads, err := h.heads(r, a, []syncproto.Case{*c})
	if err != nil {
		return err
	}
	v := caseView{C: c, Head: heads[c.HouseholdID], Pass: passActions[c.State], Return: isReview(c.State) || isNotice(c.State),
		Reject: isReview(c.State), Objection: isNotice(c.State), Done: r.URL.Query().Get("done"),
		Close: c.State == syncproto.StateApproved || c.State == syncproto.StateRecheck || c.State == syncproto.StateExiting,
		Exit:  c.State == syncproto.StateApproved || c.State == syncproto.StateRecheck,
		Today: server.CivilDate(h.now())}
	if c.Benefit != nil {
		_ = json.Unmarshal(c.Benefit.Terms, &v.Terms)
	}
	status := http.StatusOK
	if failed != nil {
		code := server.ErrorCode(failed)
		status = statusOf(code)
		v.Error = &errorView{Status: status, Heading: label(errorHeadings, code), Detail: server.ErrorMessage(failed)}
	}
	h.render(w, status, "case", view{Actor: a, CSRF: h.keys.csrfToken(a.SessionID), Nav: "cases", Title: "案件 " + c.Number, Data: v})
	return nil
}

// decided redirects to the case page after a decision, or shows the case
// with the refusal when the engine refused it by a rule of the procedure.
func (h *Handler) decided(w http.ResponseWriter, r *http.Request, a *server.Actor, id, action string, err error) error {
	code := server.ErrorCode(err)
	if err == nil {
		http.Redirect(w, r, Prefix+"cases/"+url.PathEscape(id)+"?done="+url.QueryEscape(action), http.StatusSeeOther)
		return nil
	}
	if code == "" || code == syncproto.CodeNotFound || code == syncproto.CodeOutOfScope {
		return err
	}
	c, cerr := h.deps.Engine.Case(r.Context(), a, id)
	if cerr != nil {
		return cerr
	}
	return h.showCase(w, r, a, c, err)
}

// transition answers POST /review/cases/{id}/transition: action, reason,
// expected_version (the version the page showed: a case changed since is
// refused as stale_case).
func (h *Handler) transition(w http.ResponseWriter, r *http.Request, a *server.Actor) error {
	id := r.PathValue("id")
	in := syncproto.TransitionRequest{Action: r.PostFormValue("action"), Reason: r.PostFormValue("reason")}
	if v := r.PostFormValue("expected_version"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return server.Errorf(syncproto.CodeValidation, "版本号无效")
		}
		in.ExpectedVersion = n
	}
	_, err := h.deps.Engine.Transition(r.Context(), a, id, in)
	return h.decided(w, r, a, id, in.Action, err)
}

// object answers POST /review/cases/{id}/objections: an objection brought
// during the notice.
func (h *Handler) object(w http.ResponseWriter, r *http.Request, a *server.Actor) error {
	id := r.PathValue("id")
	_, err := h.deps.Engine.Object(r.Context(), a, id, syncproto.ObjectionRequest{Text: r.PostFormValue("text"),
		Objector: r.PostFormValue("objector"), ReceivedOn: r.PostFormValue("received_on")})
	if err == nil && r.PostFormValue("next") == "notices" {
		http.Redirect(w, r, Prefix+"notices?objected="+url.QueryEscape(id), http.StatusSeeOther)
		return nil
	}
	return h.decided(w, r, a, id, "objection", err)
}
