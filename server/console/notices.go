package console

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/server/notice"
	"github.com/ruhu-org/ruhu/server/roster"
	"github.com/ruhu-org/ruhu/syncproto"
)

// noticesView is the data of the notices page.
type noticesView struct {
	Stage, Unit string
	List        *syncproto.NoticeList
	// Cases are the cases in the stage's notice, for recording objections.
	Cases    []syncproto.Case
	Heads    map[string]engine.HouseholdHead
	Objected string
	Today    string
}

var noticeStates = map[string]string{"village": syncproto.StateVillageNotice, "township": syncproto.StateTownshipNotice,
	"county": syncproto.StateCountyNotice}

// notices answers GET /review/notices?unit=&stage=: the notice list of a
// unit and stage (default the actor's unit, township), the cases in that
// notice with a form to record an objection, and the printable page.
func (h *Handler) notices(w http.ResponseWriter, r *http.Request, a *server.Actor) error {
	v := noticesView{Stage: r.URL.Query().Get("stage"), Unit: r.URL.Query().Get("unit"),
		Objected: r.URL.Query().Get("objected"), Today: server.CivilDate(h.now())}
	if v.Stage == "" {
		v.Stage = "township"
	}
	list, err := h.deps.Engine.Notice(r.Context(), a, v.Unit, v.Stage)
	if err != nil {
		return err
	}
	v.List = list
	cases, err := h.deps.Engine.Cases(r.Context(), a, server.CaseFilter{UnitID: v.Unit, State: noticeStates[v.Stage], Limit: 500})
	if err != nil {
		return err
	}
	v.Cases = cases.Cases
	if v.Heads, err = h.heads(r, a, v.Cases); err != nil {
		return err
	}
	return h.show(w, a, "notices", "notices", "公示与异议", v)
}

// printCSP lets the printable notice page (server/notice: an inline
// stylesheet and a print button) run, and nothing else.
var printCSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-hashes' 'sha256-" +
	hashOf("window.print()") + "'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// noticePrint answers GET /review/notices/print?unit=&stage=: the
// printable notice (A4, print stylesheet).
func (h *Handler) noticePrint(w http.ResponseWriter, r *http.Request, a *server.Actor) error {
	list, err := h.deps.Engine.Notice(r.Context(), a, r.URL.Query().Get("unit"), r.URL.Query().Get("stage"))
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := notice.Render(&b, list); err != nil {
		return err
	}
	w.Header().Set("Content-Security-Policy", printCSP)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(b.Bytes())
	return nil
}

// roster answers GET /review/roster.xlsx?unit=: the roster (花名册) of the
// unit's approved households as an xlsx workbook.
func (h *Handler) roster(w http.ResponseWriter, r *http.Request, a *server.Actor) error {
	unit := r.URL.Query().Get("unit")
	rows, err := h.deps.Engine.Roster(r.Context(), a, unit)
	if err != nil {
		return err
	}
	if unit == "" {
		unit = a.UnitID
	}
	var b bytes.Buffer
	if err := roster.WriteXLSX(&b, "花名册 "+unit, rows); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="roster-`+safeFilename(unit)+`.xlsx"`)
	_, _ = w.Write(b.Bytes())
	return nil
}

// safeFilename keeps the characters of a unit id that are safe in a
// Content-Disposition filename.
func safeFilename(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			b[i] = '_'
		}
	}
	return string(b)
}
