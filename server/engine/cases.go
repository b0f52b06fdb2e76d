package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/merge"
	"github.com/ruhu-org/ruhu/server/policy"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A case is one household's application for a category, carried through
// the procedure (docs/procedure.md). It is stored as a record of
// collection cases, written by the server only, so tablets pull it with
// the rest of the household's file and every step is versioned and
// audited like any other write.

// maxReason bounds a reason or objection text, in bytes.
const maxReason = 2000

// maxCaseHistory bounds a case's history; a case that loops through
// returns and objections this often needs a person, not more steps.
const maxCaseHistory = 500

// caseRec is a case with its record.
type caseRec struct {
	rec *server.Record
	c   syncproto.Case
	// reset asks for a new investigation from this step on.
	reset bool
}

// openStates are the states of a case still in the procedure; a household
// has at most one case in them.
var openStates = []string{syncproto.StateInvestigating, syncproto.StateVillageReview, syncproto.StateVillageNotice,
	syncproto.StateTownshipReview, syncproto.StateTownshipNotice, syncproto.StateCountyReview,
	syncproto.StateCountyNotice, syncproto.StateReturned, syncproto.StateApproved, syncproto.StateRecheck,
	syncproto.StateExiting}

// noticeStage maps a notice state to its stage name and the state after it.
var noticeStage = map[string]struct{ stage, next string }{
	syncproto.StateVillageNotice:  {"village", syncproto.StateTownshipReview},
	syncproto.StateTownshipNotice: {"township", syncproto.StateCountyReview},
	syncproto.StateCountyNotice:   {"county", syncproto.StateApproved},
}

// noticeRoles are who closes (and may record objections during) each notice.
var noticeRoles = map[string][]string{
	syncproto.StateVillageNotice:  {syncproto.RoleVillageWorker, syncproto.RoleVillageCommittee},
	syncproto.StateTownshipNotice: {syncproto.RoleTownshipReviewer},
	syncproto.StateCountyNotice:   {syncproto.RoleCountyApprover},
}

// officialRoles may record an objection brought to them.
var officialRoles = []string{syncproto.RoleVillageWorker, syncproto.RoleVillageCommittee,
	syncproto.RoleTownshipReviewer, syncproto.RoleCountyApprover}

// loadCase loads a case the actor covers. Code not_found.
func (t *txn) loadCase(id string) (*caseRec, error) {
	r, err := t.get(syncproto.CollCases, id)
	if err != nil {
		return nil, err
	}
	if r == nil || r.Deleted || !t.covers(r.UnitID) {
		return nil, server.Errorf(syncproto.CodeNotFound, "no case %q", id)
	}
	return caseOf(r)
}

func caseOf(r *server.Record) (*caseRec, error) {
	cr := &caseRec{rec: r}
	if err := json.Unmarshal(r.FieldsJSON(), &cr.c); err != nil {
		return nil, fmt.Errorf("case %s: %w", r.ID, err)
	}
	cr.c.ID, cr.c.Version, cr.c.UnitID = r.ID, r.Version, r.UnitID
	if cr.c.Objections == nil {
		cr.c.Objections = []syncproto.CaseObjection{}
	}
	if cr.c.History == nil {
		cr.c.History = []syncproto.CaseEvent{}
	}
	return cr, nil
}

// storeCase writes cr's case as a new version of its record and audits
// the step as action with detail.
func (t *txn) storeCase(cr *caseRec, action string, detail any) error {
	if len(cr.c.History) > maxCaseHistory {
		return server.Errorf(syncproto.CodeInvalidTransition, "the case has %d steps; ask the county office", len(cr.c.History))
	}
	v, err := t.nextVersion()
	if err != nil {
		return err
	}
	if cr.reset {
		// Whatever was submitted before this step has a smaller version;
		// whatever is submitted after, a larger one.
		cr.c.NeedsInvestigationAfter, cr.c.NeedsInvestigationVersion, cr.reset = ts(t.now), v, false
	}
	fields, err := recordFields(&cr.c, "id", "version", "unit_id") // the record holds these
	if err != nil {
		return err
	}
	changes := map[string]json.RawMessage{}
	for k, v := range fields {
		if !merge.Equal(cr.rec.Fields[k], v) {
			changes[k] = v
		}
	}
	for k := range cr.rec.Fields {
		if _, ok := fields[k]; !ok {
			changes[k] = json.RawMessage("null")
		}
	}
	merge.Apply(&cr.rec.Record, changes, v)
	for k, val := range cr.rec.Fields {
		if string(val) == "null" {
			delete(cr.rec.Fields, k)
		}
	}
	if err := t.put(cr.rec); err != nil {
		return err
	}
	cr.c.Version = v
	return t.audit("case."+action, syncproto.CollCases, cr.rec.ID, detail)
}

// event appends a step to the case's history and moves it to state to.
func (t *txn) event(cr *caseRec, action, to, reason, ref string) {
	from := cr.c.State
	cr.c.History = append(cr.c.History, syncproto.CaseEvent{At: ts(t.now), Action: action, From: from, To: to,
		ActorID: t.a.UserID, ActorName: t.a.Name, Reason: reason, Ref: ref})
	if to != from {
		cr.c.State, cr.c.StateSince = to, ts(t.now)
	}
}

// actingUser loads the actor's account and checks it is live and free of
// interest in the household: a registered close relative of the acting
// official cannot review, vote on, decide or sign a case. Codes:
// forbidden, conflict_of_interest.
func (t *txn) actingUser(household string) error {
	u, err := t.tx.UserByID(t.a.UserID)
	if err != nil {
		return err
	}
	if u == nil || u.Disabled {
		return server.Errorf(syncproto.CodeForbidden, "your account is not active")
	}
	hh, err := t.get(syncproto.CollHouseholds, household)
	if err != nil {
		return err
	}
	if hh == nil || hh.Deleted {
		return server.Errorf(syncproto.CodeUnknownHousehold, "household %q does not exist", household)
	}
	return t.checkInterest(u, hh)
}

// CreateCase opens a case for a household (an application, an active
// discovery or a data match). Village workers and township reviewers of
// the household's subtree may. Codes: forbidden, not_found,
// unknown_household, invalid_field, case_already_open,
// conflict_of_interest.
func (e *Engine) CreateCase(ctx context.Context, a *server.Actor, in syncproto.CreateCaseRequest) (*syncproto.Case, error) {
	if !a.HasAny(syncproto.RoleVillageWorker, syncproto.RoleTownshipReviewer) {
		return nil, server.Errorf(syncproto.CodeForbidden, "village workers and township reviewers open cases")
	}
	if in.Kind == "" {
		in.Kind = "application"
	}
	if !slices.Contains(syncproto.CaseKinds, in.Kind) {
		return nil, server.Errorf(syncproto.CodeInvalidField, "kind must be one of %s", strings.Join(syncproto.CaseKinds, ", "))
	}
	var out *syncproto.Case
	err := e.write(ctx, a, func(t *txn) error {
		hh, err := t.get(syncproto.CollHouseholds, in.HouseholdID)
		if err != nil {
			return err
		}
		if hh == nil || hh.Deleted || !t.covers(hh.UnitID) {
			return server.Errorf(syncproto.CodeUnknownHousehold, "no household %q in your jurisdiction", in.HouseholdID)
		}
		if in.Category == "" {
			in.Category = hh.Field("category")
		}
		if !slices.Contains(syncproto.Categories, in.Category) {
			return server.Errorf(syncproto.CodeInvalidField, "category must be one of %s", strings.Join(syncproto.Categories, ", "))
		}
		if err := t.actingUser(hh.ID); err != nil {
			return err
		}
		open, lastEnded, err := t.householdCases(hh.ID)
		if err != nil {
			return err
		}
		if open != nil {
			return server.Errorf(syncproto.CodeCaseAlreadyOpen, "the household already has case %s (%s)", open.c.Number, open.c.State)
		}
		number, err := t.nextCaseNumber()
		if err != nil {
			return err
		}
		cr := &caseRec{rec: &server.Record{Collection: syncproto.CollCases, ID: t.e.NewID(), CreatedBy: a.UserID,
			UnitID: hh.UnitID, HouseholdID: hh.ID, Record: merge.Record{Fields: map[string]json.RawMessage{}}}}
		cr.c = syncproto.Case{Number: number, HouseholdID: hh.ID, Category: in.Category, Kind: in.Kind,
			CreatedAt: ts(t.now), CreatedBy: a.UserID, Objections: []syncproto.CaseObjection{},
			// An investigation made before the application reached the
			// server counts, but none that an ended case rested on.
			NeedsInvestigationVersion: lastEnded}
		cr.c.History = []syncproto.CaseEvent{}
		t.event(cr, "create", syncproto.StateInvestigating, "", "")
		if err := t.storeCase(cr, "create", map[string]any{"household_id": hh.ID, "number": number,
			"category": in.Category, "kind": in.Kind}); err != nil {
			return err
		}
		c := cr.c
		c.ID, c.UnitID = cr.rec.ID, cr.rec.UnitID
		out = &c
		return nil
	})
	return out, err
}

// householdCases returns the household's case still in the procedure (nil
// when none) and the version of its last ended case (rejected or closed).
func (t *txn) householdCases(household string) (open *caseRec, lastEnded int64, err error) {
	children, err := t.tx.Children(household)
	if err != nil {
		return nil, 0, err
	}
	for _, r := range children {
		if r.Collection != syncproto.CollCases || r.Deleted {
			continue
		}
		cr, err := caseOf(r)
		if err != nil {
			return nil, 0, err
		}
		if slices.Contains(openStates, cr.c.State) {
			open = cr
		} else if r.Version > lastEnded {
			lastEnded = r.Version
		}
	}
	return open, lastEnded, nil
}

// nextCaseNumber takes the county's next case number, "YYYY-NNNNNN": the
// roster's sequence numbers are these.
func (t *txn) nextCaseNumber() (string, error) {
	key := "case.seq/" + CountyOf(t.a.UnitPath)
	raw, _, err := t.tx.Setting(key)
	if err != nil {
		return "", err
	}
	n, _ := strconv.ParseInt(raw, 10, 64)
	n++
	if err := t.tx.SetSetting(key, strconv.FormatInt(n, 10)); err != nil {
		return "", err
	}
	return fmt.Sprintf("%04d-%06d", t.now.Year(), n), nil
}

// Case returns one case of the actor's subtree. Code not_found.
func (e *Engine) Case(ctx context.Context, a *server.Actor, id string) (*syncproto.Case, error) {
	if !a.HasAny(server.FieldRoles...) {
		return nil, server.Errorf(syncproto.CodeForbidden, "your role does not see cases")
	}
	var out *syncproto.Case
	err := e.read(ctx, a, func(t *txn) error {
		cr, err := t.loadCase(id)
		if err != nil {
			return err
		}
		out = &cr.c
		return nil
	})
	return out, err
}

// maxCasePage bounds a page of cases.
const maxCasePage = 500

// Cases lists the cases of the actor's subtree under the filter, by
// number, with counts per state. Codes: forbidden, out_of_scope,
// invalid_field.
func (e *Engine) Cases(ctx context.Context, a *server.Actor, f server.CaseFilter) (*syncproto.CaseList, error) {
	if !a.HasAny(server.FieldRoles...) {
		return nil, server.Errorf(syncproto.CodeForbidden, "your role does not see cases")
	}
	if f.State != "" && !slices.Contains(syncproto.CaseStates, f.State) {
		return nil, server.Errorf(syncproto.CodeInvalidField, "state must be one of %s", strings.Join(syncproto.CaseStates, ", "))
	}
	if f.Limit <= 0 || f.Limit > maxCasePage {
		f.Limit = 100
	}
	out := &syncproto.CaseList{Cases: []syncproto.Case{}, Counts: map[string]int{}}
	err := e.read(ctx, a, func(t *txn) error {
		all, err := t.casesUnder(f.UnitID)
		if err != nil {
			return err
		}
		for _, cr := range all {
			c := cr.c
			if (f.Category != "" && c.Category != f.Category) || (f.Household != "" && c.HouseholdID != f.Household) ||
				(f.Drawn && !drawn(&c)) {
				continue
			}
			out.Counts[c.State]++
			if f.State != "" && c.State != f.State {
				continue
			}
			if c.Number <= f.After {
				continue
			}
			if len(out.Cases) == f.Limit {
				out.Next = out.Cases[len(out.Cases)-1].Number
				continue
			}
			out.Cases = append(out.Cases, c)
		}
		return nil
	})
	return out, err
}

func drawn(c *syncproto.Case) bool {
	for _, d := range c.Draws {
		if d != nil && d.Selected {
			return true
		}
	}
	return false
}

// casesUnder returns the live cases under unit (the actor's own unit when
// empty), by number. Code out_of_scope.
func (t *txn) casesUnder(unitID string) ([]*caseRec, error) {
	path := t.a.UnitPath
	if unitID != "" {
		u, ok := t.units[unitID]
		if !ok || !t.a.Covers(u.Path) {
			return nil, server.Errorf(syncproto.CodeOutOfScope, "unit %q is outside your jurisdiction", unitID)
		}
		path = u.Path
	}
	var units []string
	for id, u := range t.units {
		if strings.HasPrefix(u.Path, path) {
			units = append(units, id)
		}
	}
	sort.Strings(units)
	recs, err := t.tx.RecordsIn(syncproto.CollCases, units)
	if err != nil {
		return nil, err
	}
	out := make([]*caseRec, 0, len(recs))
	for _, r := range recs {
		cr, err := caseOf(r)
		if err != nil {
			return nil, err
		}
		out = append(out, cr)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].c.Number < out[j].c.Number })
	return out, nil
}

// Transition moves a case one step, checking the actor's role and
// jurisdiction, their interest in the household, and the step's
// preconditions (docs/procedure.md lists them with their codes).
func (e *Engine) Transition(ctx context.Context, a *server.Actor, id string, in syncproto.TransitionRequest) (*syncproto.Case, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	if len(in.Reason) > maxReason || !utf8.ValidString(in.Reason) {
		return nil, server.Errorf(syncproto.CodeInvalidField, "reason: at most %d bytes of UTF-8", maxReason)
	}
	var out *syncproto.Case
	err := e.write(ctx, a, func(t *txn) error {
		cr, err := t.loadCase(id)
		if err != nil {
			return err
		}
		if in.ExpectedVersion != 0 && in.ExpectedVersion != cr.c.Version {
			return server.Errorf(syncproto.CodeStaleCase, "the case changed (version %d, you saw %d)", cr.c.Version, in.ExpectedVersion)
		}
		step, ok := steps[in.Action]
		if !ok {
			return server.Errorf(syncproto.CodeInvalidTransition, "unknown action %q", in.Action)
		}
		if !slices.Contains(step.from, cr.c.State) {
			return server.Errorf(syncproto.CodeInvalidTransition, "%s is not possible from %s", in.Action, cr.c.State)
		}
		if roles := step.roles(cr.c.State); !a.HasAny(roles...) {
			return server.Errorf(syncproto.CodeForbidden, "%s from %s needs the role %s", in.Action, cr.c.State, strings.Join(roles, " or "))
		}
		if step.reason && in.Reason == "" {
			return server.Errorf(syncproto.CodeReasonRequired, "%s needs a reason", in.Action)
		}
		if err := t.actingUser(cr.c.HouseholdID); err != nil {
			return err
		}
		detail, err := step.do(t, cr, in)
		if err != nil {
			return err
		}
		if detail == nil {
			detail = map[string]any{}
		}
		detail["from"], detail["to"], detail["reason"] = cr.c.History[len(cr.c.History)-1].From, cr.c.State, in.Reason
		if err := t.storeCase(cr, in.Action, detail); err != nil {
			return err
		}
		out = &cr.c
		return nil
	})
	return out, err
}

// step is one kind of transition.
type step struct {
	from []string
	// roles returns who may take the step from a state.
	roles  func(from string) []string
	reason bool
	do     func(t *txn, cr *caseRec, in syncproto.TransitionRequest) (map[string]any, error)
}

func fixed(roles ...string) func(string) []string { return func(string) []string { return roles } }

// reviewRoles are who decides at each review state.
var reviewRoles = map[string][]string{
	syncproto.StateVillageReview:  {syncproto.RoleVillageWorker, syncproto.RoleVillageCommittee},
	syncproto.StateTownshipReview: {syncproto.RoleTownshipReviewer},
	syncproto.StateCountyReview:   {syncproto.RoleCountyApprover},
}

var steps map[string]step

func init() {
	steps = map[string]step{
		syncproto.ActSubmitInvestigation: {
			from:  []string{syncproto.StateInvestigating, syncproto.StateReturned},
			roles: fixed(syncproto.RoleVillageWorker, syncproto.RoleTownshipReviewer),
			do:    (*txn).submitInvestigation,
		},
		syncproto.ActOpenVillageNotice: {
			from:  []string{syncproto.StateVillageReview},
			roles: fixed(syncproto.RoleVillageWorker, syncproto.RoleVillageCommittee),
			do:    (*txn).openVillageNotice,
		},
		syncproto.ActCloseNotice: {
			from:  []string{syncproto.StateVillageNotice, syncproto.StateTownshipNotice, syncproto.StateCountyNotice},
			roles: func(from string) []string { return noticeRoles[from] },
			do:    (*txn).closeNotice,
		},
		syncproto.ActTownshipApprove: {
			from:  []string{syncproto.StateTownshipReview},
			roles: fixed(syncproto.RoleTownshipReviewer),
			do: func(t *txn, cr *caseRec, in syncproto.TransitionRequest) (map[string]any, error) {
				return t.approveReview(cr, in.Action, syncproto.DrawTownship, syncproto.RoleTownshipReviewer,
					syncproto.CodeRevisitRequired, syncproto.StateTownshipNotice)
			},
		},
		syncproto.ActCountyApprove: {
			from:  []string{syncproto.StateCountyReview},
			roles: fixed(syncproto.RoleCountyApprover),
			do: func(t *txn, cr *caseRec, in syncproto.TransitionRequest) (map[string]any, error) {
				return t.approveReview(cr, in.Action, syncproto.DrawCounty, syncproto.RoleInspector,
					syncproto.CodeSpotCheckRequired, syncproto.StateCountyNotice)
			},
		},
		syncproto.ActReturn: {
			from: []string{syncproto.StateVillageReview, syncproto.StateVillageNotice, syncproto.StateTownshipReview,
				syncproto.StateTownshipNotice, syncproto.StateCountyReview, syncproto.StateCountyNotice},
			roles: func(from string) []string {
				if from == syncproto.StateCountyReview || from == syncproto.StateCountyNotice {
					return []string{syncproto.RoleCountyApprover}
				}
				return []string{syncproto.RoleTownshipReviewer, syncproto.RoleCountyApprover}
			},
			reason: true,
			do: func(t *txn, cr *caseRec, in syncproto.TransitionRequest) (map[string]any, error) {
				cr.c.Reason, cr.c.ResumeState, cr.c.Draws, cr.reset = in.Reason, "", nil, true
				t.event(cr, syncproto.ActReturn, syncproto.StateReturned, in.Reason, "")
				return nil, nil
			},
		},
		syncproto.ActReject: {
			from:   []string{syncproto.StateVillageReview, syncproto.StateTownshipReview, syncproto.StateCountyReview},
			roles:  func(from string) []string { return reviewRoles[from] },
			reason: true,
			do: func(t *txn, cr *caseRec, in syncproto.TransitionRequest) (map[string]any, error) {
				cr.c.Reason = in.Reason
				t.event(cr, syncproto.ActReject, syncproto.StateRejected, in.Reason, "")
				return nil, nil
			},
		},
		syncproto.ActStartRecheck: {
			from:  []string{syncproto.StateApproved},
			roles: fixed(syncproto.RoleTownshipReviewer, syncproto.RoleCountyApprover),
			do: func(t *txn, cr *caseRec, in syncproto.TransitionRequest) (map[string]any, error) {
				cr.reset = true
				t.event(cr, syncproto.ActStartRecheck, syncproto.StateRecheck, in.Reason, "")
				return nil, nil
			},
		},
		syncproto.ActConfirm: {
			from:  []string{syncproto.StateRecheck},
			roles: fixed(syncproto.RoleCountyApprover),
			do:    (*txn).confirmRecheck,
		},
		syncproto.ActStartExit: {
			from:  []string{syncproto.StateApproved, syncproto.StateRecheck},
			roles: fixed(syncproto.RoleCountyApprover),
			do:    (*txn).startExit,
		},
		syncproto.ActClose: {
			from:   []string{syncproto.StateApproved, syncproto.StateRecheck, syncproto.StateExiting},
			roles:  fixed(syncproto.RoleCountyApprover),
			reason: true,
			do: func(t *txn, cr *caseRec, in syncproto.TransitionRequest) (map[string]any, error) {
				cr.c.Reason = in.Reason
				t.event(cr, syncproto.ActClose, syncproto.StateClosed, in.Reason, "")
				return nil, nil
			},
		},
	}
}

// newInvestigation returns the household's latest submitted investigation
// submitted after the case asked for one; nil when there is none.
func (t *txn) newInvestigation(cr *caseRec, after int64) (*server.Record, error) {
	children, err := t.tx.Children(cr.c.HouseholdID)
	if err != nil {
		return nil, err
	}
	var best *server.Record
	for _, r := range children {
		if r.Collection != syncproto.CollInvestigations || r.Deleted || !r.Meta.Submitted || submittedVersion(r) <= after {
			continue
		}
		if best == nil || submittedVersion(r) > submittedVersion(best) {
			best = r
		}
	}
	return best, nil
}

// submitInvestigation moves a case under investigation (or returned) on to
// the village review — or, after an objection, back to the notice the
// objection interrupted, for at least the objection period. Code
// investigation_not_submitted.
func (t *txn) submitInvestigation(cr *caseRec, _ syncproto.TransitionRequest) (map[string]any, error) {
	inv, err := t.newInvestigation(cr, cr.c.NeedsInvestigationVersion)
	if err != nil {
		return nil, err
	}
	if inv == nil {
		return nil, server.Errorf(syncproto.CodeInvestigationRequired,
			"a dual-signed investigation of the household submitted since %s is required", since(cr.c.NeedsInvestigationAfter))
	}
	cr.c.InvestigationID, cr.c.Reason = inv.ID, ""
	if resume := cr.c.ResumeState; resume != "" {
		proc, err := t.procedure()
		if err != nil {
			return nil, err
		}
		days := max(noticeDays(proc, resume), proc.ObjectionNoticeDays)
		if err := t.computeBenefit(cr); err != nil {
			return nil, err
		}
		cr.c.ResumeState = ""
		t.event(cr, syncproto.ActSubmitInvestigation, resume, "", inv.ID)
		t.startNotice(cr, noticeStage[resume].stage, days)
		return map[string]any{"investigation_id": inv.ID, "resumed": resume, "notice_days": days}, nil
	}
	t.event(cr, syncproto.ActSubmitInvestigation, syncproto.StateVillageReview, "", inv.ID)
	return map[string]any{"investigation_id": inv.ID}, nil
}

func (t *txn) startNotice(cr *caseRec, stage string, days int) {
	cr.c.Notice = &syncproto.CaseNotice{Stage: stage, StartedAt: ts(t.now), Days: days,
		EndsAt: ts(t.now.Add(time.Duration(days) * 24 * time.Hour))}
}

// closeNotice ends a notice whose period has run: the case goes on to the
// next review, or is approved after the county's notice. Code
// notice_period_running.
func (t *txn) closeNotice(cr *caseRec, _ syncproto.TransitionRequest) (map[string]any, error) {
	n := cr.c.Notice
	if n == nil || n.Stage != noticeStage[cr.c.State].stage {
		return nil, fmt.Errorf("case %s is in %s without its notice", cr.rec.ID, cr.c.State)
	}
	if ts(t.now) < n.EndsAt {
		return nil, server.Errorf(syncproto.CodeNoticePeriodRunning, "the %s notice runs until %s", n.Stage, n.EndsAt)
	}
	next := noticeStage[cr.c.State].next
	if next == syncproto.StateApproved {
		if err := t.computeBenefit(cr); err != nil {
			return nil, err
		}
		cr.c.ApprovedAt = ts(t.now)
	} else {
		delete(cr.c.Draws, drawStageOf(next)) // a new round of review
	}
	t.event(cr, syncproto.ActCloseNotice, next, "", "")
	return map[string]any{"notice": n}, nil
}

func drawStageOf(review string) string {
	if review == syncproto.StateCountyReview {
		return syncproto.DrawCounty
	}
	return syncproto.DrawTownship
}

// approveReview passes a township or county review: the case must have
// been in a draw of its round, and a drawn case needs a submitted
// investigation since the draw signed by someone holding checkerRole (a
// township reviewer's re-visit, an inspector's spot check). Codes:
// draw_required, missingCode.
func (t *txn) approveReview(cr *caseRec, action, stage, checkerRole, missingCode, to string) (map[string]any, error) {
	d := cr.c.Draws[stage]
	if d == nil {
		return nil, server.Errorf(syncproto.CodeDrawRequired, "the case has not been in a %s draw this round; draw first", stage)
	}
	detail := map[string]any{"draw_id": d.DrawID, "selected": d.Selected}
	if d.Selected {
		inv, err := t.checkedInvestigation(cr, d.Version, checkerRole)
		if err != nil {
			return nil, err
		}
		if inv == nil {
			return nil, server.Errorf(missingCode, "the case was drawn (%s): a submitted investigation since the draw signed by a %s is required", d.DrawID, checkerRole)
		}
		d.DoneBy = inv.ID
		detail["investigation_id"] = inv.ID
	}
	if err := t.computeBenefit(cr); err != nil {
		return nil, err
	}
	proc, err := t.procedure()
	if err != nil {
		return nil, err
	}
	t.event(cr, action, to, "", d.DrawID)
	t.startNotice(cr, noticeStage[to].stage, noticeDays(proc, to))
	return detail, nil
}

// checkedInvestigation returns a submitted investigation of the case's
// household submitted since after and validly signed by a live user
// holding role (nil when none).
func (t *txn) checkedInvestigation(cr *caseRec, after int64, role string) (*server.Record, error) {
	children, err := t.tx.Children(cr.c.HouseholdID)
	if err != nil {
		return nil, err
	}
	for _, r := range children {
		if r.Collection != syncproto.CollInvestigations || r.Deleted || !r.Meta.Submitted || submittedVersion(r) <= after ||
			r.Meta.Signatures == nil {
			continue
		}
		for _, id := range r.Meta.Signatures.ValidSigners {
			u, err := t.tx.UserByID(id)
			if err != nil {
				return nil, err
			}
			if u != nil && !u.Disabled && slices.Contains(u.Roles, role) {
				return r, nil
			}
		}
	}
	return nil, nil
}

func noticeDays(p policy.Procedure, state string) int {
	switch state {
	case syncproto.StateVillageNotice:
		return p.VillageNoticeDays
	case syncproto.StateTownshipNotice:
		return p.TownshipNoticeDays
	default:
		return p.CountyNoticeDays
	}
}

// confirmRecheck ends a re-check with the case still approved, on a new
// investigation; the benefit is computed again. Code
// investigation_not_submitted.
func (t *txn) confirmRecheck(cr *caseRec, in syncproto.TransitionRequest) (map[string]any, error) {
	inv, err := t.newInvestigation(cr, cr.c.NeedsInvestigationVersion)
	if err != nil {
		return nil, err
	}
	if inv == nil {
		return nil, server.Errorf(syncproto.CodeInvestigationRequired, "a re-check needs a dual-signed investigation submitted since %s", since(cr.c.NeedsInvestigationAfter))
	}
	prev := *cr
	cr.c.InvestigationID = inv.ID
	res, p, err := t.benefit(cr)
	if err != nil {
		return nil, err
	}
	if res.Regime == policy.RegimeIneligible {
		*cr = prev
		return nil, server.Errorf(syncproto.CodeBenefitNotPayable, "on the new investigation nothing is payable (%s): start the gradual exit or close the case", res.Reason)
	}
	cr.c.Benefit = caseBenefit(res, p, ts(t.now))
	t.event(cr, syncproto.ActConfirm, syncproto.StateApproved, in.Reason, inv.ID)
	return map[string]any{"investigation_id": inv.ID}, nil
}

// Object records an objection (异议) brought during a notice: the case goes
// back to investigation, needs a new dual-signed investigation, and then a
// new notice of at least the objection period. Codes: not_in_notice,
// forbidden, invalid_field, conflict_of_interest.
func (e *Engine) Object(ctx context.Context, a *server.Actor, id string, in syncproto.ObjectionRequest) (*syncproto.Case, error) {
	in.Text, in.Objector = strings.TrimSpace(in.Text), strings.TrimSpace(in.Objector)
	if in.Text == "" || len(in.Text) > maxReason || len(in.Objector) > 200 || !utf8.ValidString(in.Text+in.Objector) {
		return nil, server.Errorf(syncproto.CodeInvalidField, "text is required (at most %d bytes); objector at most 200", maxReason)
	}
	if !a.HasAny(officialRoles...) {
		return nil, server.Errorf(syncproto.CodeForbidden, "your role does not record objections")
	}
	var out *syncproto.Case
	err := e.write(ctx, a, func(t *txn) error {
		if in.ReceivedOn == "" {
			in.ReceivedOn = server.CivilDate(t.now)
		} else if _, err := time.Parse(time.DateOnly, in.ReceivedOn); err != nil {
			return server.Errorf(syncproto.CodeInvalidField, "received_on must be a date (YYYY-MM-DD)")
		}
		cr, err := t.loadCase(id)
		if err != nil {
			return err
		}
		ns, ok := noticeStage[cr.c.State]
		if !ok {
			return server.Errorf(syncproto.CodeNotInNotice, "objections are recorded during a notice; the case is %s", cr.c.State)
		}
		if err := t.actingUser(cr.c.HouseholdID); err != nil {
			return err
		}
		o := syncproto.CaseObjection{ID: t.e.NewID(), At: ts(t.now), Stage: ns.stage, Text: in.Text,
			Objector: in.Objector, ReceivedOn: in.ReceivedOn, RecordedBy: a.UserID}
		cr.c.Objections = append(cr.c.Objections, o)
		cr.c.ResumeState, cr.reset = cr.c.State, true
		t.event(cr, "object", syncproto.StateInvestigating, in.Text, o.ID)
		if err := t.storeCase(cr, "object", map[string]any{"objection": o}); err != nil {
			return err
		}
		out = &cr.c
		return nil
	})
	return out, err
}

// submittedVersion is the version a record was submitted at (its version
// for one submitted before it was recorded).
func submittedVersion(r *server.Record) int64 {
	if r.Meta.SubmittedVersion != 0 {
		return r.Meta.SubmittedVersion
	}
	return r.Version
}

func since(at string) string {
	if at == "" {
		return "the case was opened"
	}
	return at
}
