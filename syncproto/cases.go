package syncproto

import "encoding/json"

// Collections of the case procedure. Cases and draws are written by the
// server only (through /v1/cases and /v1/draws) and reach tablets through
// the sync feed; reviews (民主评议) are pushed from tablets.
const (
	CollCases   = "cases"
	CollDraws   = "draws"
	CollReviews = "reviews"
)

// Case states (docs/procedure.md).
const (
	StateInvestigating  = "investigating"
	StateVillageReview  = "village_review"
	StateVillageNotice  = "village_notice"
	StateTownshipReview = "township_review"
	StateTownshipNotice = "township_notice"
	StateCountyReview   = "county_review"
	StateCountyNotice   = "county_notice"
	StateApproved       = "approved"
	StateRejected       = "rejected"
	StateReturned       = "returned"
	StateRecheck        = "recheck"
	StateExiting        = "exiting"
	StateClosed         = "closed"
)

// CaseStates lists every state in procedure order.
var CaseStates = []string{StateInvestigating, StateVillageReview, StateVillageNotice, StateTownshipReview,
	StateTownshipNotice, StateCountyReview, StateCountyNotice, StateApproved, StateRejected, StateReturned,
	StateRecheck, StateExiting, StateClosed}

// Case transitions: the action named in a TransitionRequest.
const (
	// ActSubmitInvestigation: investigating|returned → village_review (or,
	// after an objection, back to the notice that was interrupted).
	ActSubmitInvestigation = "submit_investigation"
	// ActOpenVillageNotice: village_review → village_notice, on a valid,
	// co-signed democratic review that passed.
	ActOpenVillageNotice = "open_village_notice"
	// ActCloseNotice: *_notice → the next review (or approved), once the
	// notice period has run.
	ActCloseNotice = "close_notice"
	// ActTownshipApprove: township_review → township_notice.
	ActTownshipApprove = "township_approve"
	// ActCountyApprove: county_review → county_notice.
	ActCountyApprove = "county_approve"
	// ActReturn: a review or notice state → returned, with a reason.
	ActReturn = "return"
	// ActReject: a review state → rejected, with a reason.
	ActReject = "reject"
	// ActStartRecheck: approved → recheck.
	ActStartRecheck = "start_recheck"
	// ActConfirm: recheck → approved, on a new investigation.
	ActConfirm = "confirm"
	// ActStartExit: approved|recheck → exiting (gradual exit, 低保渐退).
	ActStartExit = "start_exit"
	// ActClose: approved|recheck|exiting → closed, with a reason.
	ActClose = "close"
)

// Case kinds.
var CaseKinds = []string{"application", "active_discovery", "data_match"}

// Draw stages.
const (
	DrawTownship = "township" // 乡镇入户核查 (≥ 20 %)
	DrawCounty   = "county"   // 县级抽查 (≥ 10 %)
)

// Codes of the case procedure (each names the rule that refused).
const (
	CodeInvalidTransition      = "invalid_transition"
	CodeCaseAlreadyOpen        = "case_already_open"
	CodeReasonRequired         = "reason_required"
	CodeInvestigationRequired  = "investigation_not_submitted"
	CodeReviewMissing          = "review_missing"
	CodeReviewNotSigned        = "review_not_signed"
	CodeReviewNoQuorum         = "review_no_quorum"
	CodeReviewNotPassed        = "review_not_passed"
	CodeReviewLocked           = "review_locked"
	CodeNoticePeriodRunning    = "notice_period_running"
	CodeNotInNotice            = "not_in_notice"
	CodeDrawRequired           = "draw_required"
	CodeRevisitRequired        = "revisit_required"
	CodeSpotCheckRequired      = "spot_check_required"
	CodeNothingToDraw          = "nothing_to_draw"
	CodeStaleCase              = "stale_case"
	CodeInvalidPolicy          = "invalid_policy"
	CodeBenefitNotPayable      = "benefit_not_payable"
	CodeCaseNotApproved        = "case_not_approved"
	CodeExitNotApplicable      = "exit_not_applicable"
	CodeCaseConflictOfInterest = CodeConflictOfInterest
)

// CreateCaseRequest is the body of POST /v1/cases.
type CreateCaseRequest struct {
	HouseholdID string `json:"household_id"`
	// Category defaults to the household's category.
	Category string `json:"category,omitempty"`
	// Kind is application (default), active_discovery or data_match.
	Kind string `json:"kind,omitempty"`
}

// TransitionRequest is the body of POST /v1/cases/{id}/transitions.
type TransitionRequest struct {
	Action string `json:"action"`
	Reason string `json:"reason,omitempty"`
	// ReviewID names the democratic review (open_village_notice); the
	// household's latest one when empty.
	ReviewID string `json:"review_id,omitempty"`
	// ExpectedVersion, when set, refuses the transition (stale_case) if
	// the case changed since the caller read it.
	ExpectedVersion int64 `json:"expected_version,omitempty"`
}

// ObjectionRequest is the body of POST /v1/cases/{id}/objections.
type ObjectionRequest struct {
	// Text is what was objected (异议内容).
	Text string `json:"text"`
	// Objector names who objected, as they gave it (may be empty:
	// anonymous objections are allowed).
	Objector string `json:"objector,omitempty"`
	// ReceivedOn is the civil date it was received (default today).
	ReceivedOn string `json:"received_on,omitempty"`
}

// Case is one household's application for a category, as served by
// /v1/cases and pulled in collection cases.
type Case struct {
	ID          string `json:"id"`
	Version     int64  `json:"version"`
	Number      string `json:"number"`
	HouseholdID string `json:"household_id"`
	UnitID      string `json:"unit_id"`
	Category    string `json:"category"`
	Kind        string `json:"kind"`
	State       string `json:"state"`
	// StateSince is when the case entered its state.
	StateSince string `json:"state_since"`
	// Reason is the reason of the last return, rejection or close.
	Reason string `json:"reason,omitempty"`
	// InvestigationID is the submitted investigation the case rests on.
	InvestigationID string `json:"investigation_id,omitempty"`
	ReviewID        string `json:"review_id,omitempty"`
	// Notice is the notice running or last run.
	Notice *CaseNotice `json:"notice,omitempty"`
	// NeedsInvestigationAfter: a new investigation submitted after this
	// time is required (set on creation, return and objection).
	NeedsInvestigationAfter string `json:"needs_investigation_after,omitempty"`
	// NeedsInvestigationVersion is the same moment as a version: an
	// investigation counts when it was submitted at a later version.
	NeedsInvestigationVersion int64 `json:"needs_investigation_version,omitempty"`
	// ResumeState is the notice an objection interrupted.
	ResumeState string `json:"resume_state,omitempty"`
	// Draws holds the case's draw of each stage in its current round.
	Draws map[string]*CaseDraw `json:"draws,omitempty"`
	// Benefit is the computed monthly benefit (at notices and approval).
	Benefit *CaseBenefit `json:"benefit,omitempty"`
	// ApprovedAt and ExitUntil are set on approval and gradual exit.
	ApprovedAt string `json:"approved_at,omitempty"`
	ExitUntil  string `json:"exit_until,omitempty"`
	// ExitSince and PriorMonthlyFen are the start of a gradual exit and
	// the benefit paid before it.
	ExitSince       string          `json:"exit_since,omitempty"`
	PriorMonthlyFen int64           `json:"prior_monthly_fen,omitempty"`
	Objections      []CaseObjection `json:"objections"`
	History         []CaseEvent     `json:"history"`
	CreatedAt       string          `json:"created_at"`
	CreatedBy       string          `json:"created_by"`
}

// CaseNotice is one public notice (公示) of a case.
type CaseNotice struct {
	Stage     string `json:"stage"` // village, township, county
	StartedAt string `json:"started_at"`
	Days      int    `json:"days"`
	EndsAt    string `json:"ends_at"`
}

// CaseDraw is a case's part in a re-visit or spot-check draw.
type CaseDraw struct {
	DrawID   string `json:"draw_id"`
	Selected bool   `json:"selected"`
	// Version is the draw's version: a re-visit counts when its
	// investigation was submitted at a later version.
	Version int64 `json:"version"`
	// DoneBy is the investigation that satisfied the draw, once found.
	DoneBy string `json:"done_by,omitempty"`
}

// CaseBenefit is the benefit computed for a case, with its explanation.
type CaseBenefit struct {
	ComputedAt      string          `json:"computed_at"`
	PolicyFrom      string          `json:"policy_effective_from"`
	Regime          string          `json:"regime"`
	Reason          string          `json:"reason,omitempty"`
	Size            int             `json:"size"`
	Standard        int64           `json:"standard_fen"`
	PerCapitaIncome int64           `json:"per_capita_income_fen"`
	Monthly         int64           `json:"monthly_fen"`
	Terms           json.RawMessage `json:"terms"`
}

// CaseObjection is an objection (异议) recorded during a notice.
type CaseObjection struct {
	ID         string `json:"id"`
	At         string `json:"at"`
	Stage      string `json:"stage"`
	Text       string `json:"text"`
	Objector   string `json:"objector,omitempty"`
	ReceivedOn string `json:"received_on"`
	RecordedBy string `json:"recorded_by"`
}

// CaseEvent is one step of a case's history.
type CaseEvent struct {
	At      string `json:"at"`
	Action  string `json:"action"`
	From    string `json:"from,omitempty"`
	To      string `json:"to"`
	ActorID string `json:"actor_id"`
	// ActorName is the actor's display name at the time.
	ActorName string `json:"actor_name,omitempty"`
	Reason    string `json:"reason,omitempty"`
	// Ref names what the step rests on (an investigation, review, draw
	// or objection id).
	Ref string `json:"ref,omitempty"`
}

// CaseList is the answer of GET /v1/cases.
type CaseList struct {
	Cases []Case `json:"cases"`
	// Next is the cursor of the next page (after=), empty at the end.
	Next string `json:"next,omitempty"`
	// Counts are the cases per state matching the filter but the state.
	Counts map[string]int `json:"counts"`
}

// DrawRequest is the body of POST /v1/draws.
type DrawRequest struct {
	// UnitID is the township (stage township) or county (stage county)
	// whose cases awaiting review are drawn from.
	UnitID string `json:"unit_id"`
	Stage  string `json:"stage"`
	// Seed makes the draw reproducible; a random one is chosen and
	// recorded when empty.
	Seed string `json:"seed,omitempty"`
}

// Draw is a re-visit (township) or spot-check (county) draw.
type Draw struct {
	ID         string   `json:"id"`
	UnitID     string   `json:"unit_id"`
	Stage      string   `json:"stage"`
	Seed       string   `json:"seed"`
	ShareBP    int64    `json:"share_bp"`
	Candidates []string `json:"candidates"`
	Selected   []string `json:"selected"`
	DrawnAt    string   `json:"drawn_at"`
	DrawnBy    string   `json:"drawn_by"`
	// Reproduced is set on GET: drawing again from the recorded seed and
	// candidates gives the recorded selection.
	Reproduced *bool `json:"reproduced,omitempty"`
}

// NoticeList is a public notice list (公示名单) of one unit and stage.
type NoticeList struct {
	UnitID   string      `json:"unit_id"`
	UnitName string      `json:"unit_name"`
	Stage    string      `json:"stage"`
	AsOf     string      `json:"as_of"`
	Rows     []NoticeRow `json:"rows"`
	// Withheld counts cases left off because their head is a minor or
	// confidential (never shown; only counted).
	Withheld int `json:"withheld"`
}

// NoticeRow is one household on a notice: no minor and no confidential
// member appears; ID numbers are masked (first 6, last 4).
type NoticeRow struct {
	CaseNumber  string   `json:"case_number"`
	HeadName    string   `json:"head_name"`
	HeadID      string   `json:"head_id_number_masked"`
	Village     string   `json:"village"`
	Category    string   `json:"category"`
	Size        int      `json:"size"`
	Members     []string `json:"members"`
	MonthlyFen  int64    `json:"monthly_fen"`
	NoticeStart string   `json:"notice_start"`
	NoticeEnd   string   `json:"notice_end"`
}

// RosterRow is one approved household of the roster (花名册).
type RosterRow struct {
	CaseNumber      string          `json:"case_number"`
	Township        string          `json:"township"`
	Village         string          `json:"village"`
	HeadName        string          `json:"head_name"`
	HeadID          string          `json:"head_id_number"`
	Category        string          `json:"category"`
	State           string          `json:"state"`
	Size            int             `json:"size"`
	Standard        int64           `json:"standard_fen"`
	PerCapitaIncome int64           `json:"per_capita_income_fen"`
	Monthly         int64           `json:"monthly_fen"`
	Breakdown       string          `json:"breakdown"`
	Terms           json.RawMessage `json:"terms"`
	ApprovedAt      string          `json:"approved_at"`
	ExitUntil       string          `json:"exit_until,omitempty"`
}
