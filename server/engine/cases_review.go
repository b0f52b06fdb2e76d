package engine

import (
	"encoding/json"
	"fmt"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// The democratic review (民主评议, domain.md procedure step 3) is a record
// of collection reviews pushed from a tablet — committee size, members
// present, votes, date, minutes photo — co-signed (signatures with
// review_id) by the responsible cadre and the committee head. It is valid
// only if more than half of the committee attended, and passes only with
// the approval of more than half of those present.

// reviewNumbers are a review's counts.
type reviewNumbers struct {
	Size         int    `json:"committee_size"`
	Present      int    `json:"present"`
	For          int    `json:"votes_for"`
	Against      int    `json:"votes_against"`
	Abstentions  int    `json:"abstentions"`
	MinutesPhoto string `json:"minutes_photo"`
	Date         string `json:"date"`
}

// latestReview returns the household's named review, or its latest live
// one when id is empty (nil when none).
func (t *txn) latestReview(household, id string) (*server.Record, error) {
	if id != "" {
		r, err := t.get(syncproto.CollReviews, id)
		if err != nil || r == nil || r.Deleted || r.HouseholdID != household {
			return nil, err
		}
		return r, nil
	}
	children, err := t.tx.Children(household)
	if err != nil {
		return nil, err
	}
	var best *server.Record
	for _, r := range children {
		if r.Collection == syncproto.CollReviews && !r.Deleted && (best == nil || r.Version > best.Version) {
			best = r
		}
	}
	return best, nil
}

// openVillageNotice starts the village notice on a democratic review that
// is valid, passed and co-signed by the cadre and the committee head (two
// distinct people, both eligible and free of interest now); the review is
// then locked. Codes: review_missing, review_locked, validation_failed,
// review_no_quorum, review_not_passed, review_not_signed.
func (t *txn) openVillageNotice(cr *caseRec, in syncproto.TransitionRequest) (map[string]any, error) {
	rv, err := t.latestReview(cr.c.HouseholdID, in.ReviewID)
	if err != nil {
		return nil, err
	}
	if rv == nil {
		return nil, server.Errorf(syncproto.CodeReviewMissing, "no democratic review of the household is on file")
	}
	if rv.Meta.Submitted {
		return nil, server.Errorf(syncproto.CodeReviewLocked, "review %s was already used by a case; record a new review", rv.ID)
	}
	var n reviewNumbers
	if err := json.Unmarshal(rv.FieldsJSON(), &n); err != nil {
		return nil, fmt.Errorf("review %s: %w", rv.ID, err)
	}
	if n.Present > n.Size || n.For+n.Against+n.Abstentions > n.Present {
		return nil, server.Errorf(syncproto.CodeValidation, "review %s: %d present of %d, %d for, %d against, %d abstaining do not add up",
			rv.ID, n.Present, n.Size, n.For, n.Against, n.Abstentions)
	}
	if n.Present*2 <= n.Size {
		return nil, server.Errorf(syncproto.CodeReviewNoQuorum, "%d of %d committee members attended; more than half must", n.Present, n.Size)
	}
	if n.For*2 <= n.Present {
		return nil, server.Errorf(syncproto.CodeReviewNotPassed, "%d of %d present approved; more than half must (reject the case, or return it)", n.For, n.Present)
	}
	if err := t.checkMinutes(rv, n.MinutesPhoto); err != nil {
		return nil, err
	}
	if err := t.refreshSignatureState(rv); err != nil {
		return nil, err
	}
	if err := t.checkReviewSigners(rv); err != nil {
		return nil, err
	}
	if err := t.bump(rv); err != nil {
		return nil, err
	}
	rv.Meta.Submitted, rv.Meta.SubmittedAt, rv.Meta.SubmittedVersion = true, ts(t.now), rv.Version
	if err := t.save(rv); err != nil {
		return nil, err
	}
	if err := t.computeBenefit(cr); err != nil {
		return nil, err
	}
	proc, err := t.procedure()
	if err != nil {
		return nil, err
	}
	cr.c.ReviewID = rv.ID
	t.event(cr, syncproto.ActOpenVillageNotice, syncproto.StateVillageNotice, "", rv.ID)
	t.startNotice(cr, "village", proc.VillageNoticeDays)
	return map[string]any{"review_id": rv.ID, "present": n.Present, "committee_size": n.Size, "votes_for": n.For,
		"votes_against": n.Against, "signers": rv.Meta.Signatures.ValidSigners}, nil
}

// checkMinutes requires the minutes photo to be filed under the household.
// Code review_missing.
func (t *txn) checkMinutes(rv *server.Record, sha string) error {
	if sha == "" {
		return server.Errorf(syncproto.CodeReviewMissing, "review %s has no minutes photo (minutes_photo)", rv.ID)
	}
	filings, err := t.tx.PhotoFilings([]string{sha})
	if err != nil {
		return err
	}
	for _, p := range filings {
		if !p.Deleted && p.HouseholdID == rv.HouseholdID {
			return nil
		}
	}
	return server.Errorf(syncproto.CodeReviewMissing, "the minutes photo %s of review %s is not in the household's file; upload it", sha, rv.ID)
}

// checkReviewSigners requires, among the valid signers of the review's
// current content, a village worker (the responsible cadre) and a
// different person holding village_committee (the committee head), both
// eligible and free of interest now. Code review_not_signed.
func (t *txn) checkReviewSigners(rv *server.Record) error {
	var cadres, heads []string // persons (ID number, else account)
	for _, id := range rv.Meta.Signatures.ValidSigners {
		u, err := t.checkSigner(id, rv.HouseholdID, server.ReviewSignerRoles)
		if code := server.ErrorCode(err); code != "" {
			continue
		} else if err != nil {
			return err
		}
		person := u.IDNumber
		if person == "" {
			person = "user:" + u.ID
		}
		sa := server.Actor{Roles: u.Roles}
		if sa.Has(syncproto.RoleVillageWorker) {
			cadres = append(cadres, person)
		}
		if sa.Has(syncproto.RoleVillageCommittee) {
			heads = append(heads, person)
		}
	}
	for _, c := range cadres {
		for _, h := range heads {
			if c != h {
				return nil
			}
		}
	}
	return server.Errorf(syncproto.CodeReviewNotSigned,
		"the review's current content needs the signatures of the responsible cadre (village worker) and the committee head (village committee), two distinct eligible people; valid signers: %d", len(rv.Meta.Signatures.ValidSigners))
}
