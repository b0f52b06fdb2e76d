package engine

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// PolicyRequireCommitment is the settings key saying whether submission
// needs the household head's signed commitment photo ("true" by default).
const PolicyRequireCommitment = "policy.require_commitment"

// refreshSignatureState recomputes an investigation's content hash and which
// signers' signatures count for it, into its meta.
func (t *txn) refreshSignatureState(inv *server.Record) error {
	hash, err := syncproto.ContentHash(inv.Collection, inv.ID, inv.FieldsJSON())
	if err != nil {
		return fmt.Errorf("content hash of %s: %w", inv.ID, err)
	}
	signers, err := t.tx.ValidSigners(inv.ID, hash)
	if err != nil {
		return fmt.Errorf("valid signers: %w", err)
	}
	if signers == nil {
		signers = []string{}
	}
	inv.Meta.Signatures = &syncproto.SignatureState{ContentHash: hash, ValidSigners: signers, Satisfied: len(signers) >= 2}
	return nil
}

// checkSignature enforces the dual-signature rules on a new signature
// record of target (an investigation or a democratic review). Codes:
// unknown_key, bad_signature, stale_content, signer_not_eligible,
// conflict_of_interest, duplicate_signature, already_submitted.
func (t *txn) checkSignature(m *syncproto.Mutation, targetID, household string) error {
	coll, _ := signedCollection(m, nil)
	keyID := server.StringField(m.Fields, "key_id")
	key, err := t.tx.Key(keyID)
	if err != nil {
		return err
	}
	if key == nil {
		return server.Errorf(syncproto.CodeUnknownKey, "unknown key %q", keyID)
	}
	if key.RevokedAt != "" {
		return server.Errorf(syncproto.CodeUnknownKey, "key %q was revoked", keyID)
	}
	if s := server.StringField(m.Fields, "signer_id"); s != "" && s != key.UserID {
		return server.Errorf(syncproto.CodeUnknownKey, "key %q does not belong to signer %q", keyID, s)
	}
	pub, err := base64.StdEncoding.DecodeString(key.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("stored key %s is corrupt", keyID)
	}
	hash := server.StringField(m.Fields, "content_hash")
	if !syncproto.Verify(pub, hash, server.StringField(m.Fields, "signature")) {
		return server.Errorf(syncproto.CodeBadSignature, "the signature does not verify with key %q", keyID)
	}
	target, err := t.get(coll, targetID)
	if err != nil {
		return err
	}
	if target == nil {
		return server.Errorf(syncproto.CodeUnknownInvestigation, "no %s %q", coll, targetID)
	}
	if target.Meta.Submitted {
		return server.Errorf(syncproto.CodeAlreadySubmitted, "the %s was submitted; its signatures are final", coll)
	}
	if err := t.refreshSignatureState(target); err != nil {
		return err
	}
	if hash != target.Meta.Signatures.ContentHash {
		return server.Errorf(syncproto.CodeStaleContent, "the signed content is not the %s's current content (%s)", coll, target.Meta.Signatures.ContentHash)
	}
	// Cheap before costly: a duplicate needs no look at the household.
	if slices.Contains(target.Meta.Signatures.ValidSigners, key.UserID) {
		return server.Errorf(syncproto.CodeDuplicateSignature, "the signer has already signed this content")
	}
	_, err = t.checkSigner(key.UserID, household, signerRoles(coll))
	return err
}

// signerRoles returns the roles that may sign a record of collection.
func signerRoles(collection string) []string {
	if collection == syncproto.CollReviews {
		return server.ReviewSignerRoles
	}
	return server.SignerRoles
}

// checkSignatureEdit guards a change to a stored signature record: only its
// author may change it (the role it signed in), and not once the
// investigation is submitted. Codes: forbidden, already_submitted.
func (t *txn) checkSignatureEdit(sig *server.Record) error {
	if sig.CreatedBy != t.a.UserID {
		return server.Errorf(syncproto.CodeForbidden, "a signature can only be changed by the person who signed")
	}
	coll := syncproto.CollInvestigations
	if sig.Field("review_id") != "" {
		coll = syncproto.CollReviews
	}
	target, err := t.get(coll, sig.ParentID)
	if err != nil {
		return err
	}
	if target != nil && target.Meta.Submitted {
		return server.Errorf(syncproto.CodeAlreadySubmitted, "the %s was submitted; its signatures are final", coll)
	}
	return nil
}

// checkHouseholdDelete refuses to delete a household that has a submitted
// investigation (signed_content_locked) or a case still in the procedure
// (case_already_open).
func (t *txn) checkHouseholdDelete(hh *server.Record) error {
	children, err := t.tx.Children(hh.ID)
	if err != nil {
		return err
	}
	for _, c := range children {
		if !c.Deleted && isLocked(c) {
			return server.Errorf(syncproto.CodeSignedContentLocked, "the household has a submitted investigation (%s) and cannot be deleted", c.ID)
		}
		if !c.Deleted && c.Collection == syncproto.CollCases && slices.Contains(openStates, server.StringField(c.Fields, "state")) {
			return server.Errorf(syncproto.CodeCaseAlreadyOpen, "the household has an open case (%s) and cannot be deleted", server.StringField(c.Fields, "number"))
		}
	}
	return nil
}

// checkSigner checks that a user may sign for household now: the account
// exists and is enabled, holds a signing role, covers the household, and is
// neither a member of it nor a registered relative of one. Codes:
// signer_not_eligible, conflict_of_interest.
func (t *txn) checkSigner(userID, household string, roles []string) (*server.User, error) {
	signer, err := t.tx.UserByID(userID)
	if err != nil {
		return nil, err
	}
	if signer == nil {
		return nil, server.Errorf(syncproto.CodeSignerNotEligible, "the signer's account does not exist")
	}
	hh, err := t.get(syncproto.CollHouseholds, household)
	if err != nil {
		return nil, err
	}
	if hh == nil {
		return nil, server.Errorf(syncproto.CodeSignerNotEligible, "the household %q does not exist", household)
	}
	sa := server.Actor{UserID: signer.ID, UnitPath: signer.UnitPath, Roles: signer.Roles}
	if signer.Disabled || !sa.HasAny(roles...) || !sa.Covers(t.units[hh.UnitID].Path) {
		return nil, server.Errorf(syncproto.CodeSignerNotEligible, "the signer may not sign for this household (role or jurisdiction)")
	}
	return signer, t.checkInterest(signer, hh)
}

// checkInterest refuses a signer who is a member of the household or whose
// registered close relative (近亲属备案) is.
func (t *txn) checkInterest(signer *server.User, hh *server.Record) error {
	ids := []string{hh.Field("head_id_number")}
	members, err := t.tx.LiveMembers(hh.ID)
	if err != nil {
		return err
	}
	for _, m := range members {
		ids = append(ids, m.Field("id_number"))
	}
	if signer.IDNumber != "" && slices.Contains(ids, signer.IDNumber) {
		return server.Errorf(syncproto.CodeConflictOfInterest, "the signer is a member of this household")
	}
	relatives, err := t.tx.RelativeIDNumbers(signer.ID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if relatives[id] {
			return server.Errorf(syncproto.CodeConflictOfInterest, "a member of this household is the signer's registered close relative")
		}
	}
	return nil
}

// Submit locks an investigation once at least two distinct investigators
// have validly signed its current content (and, when the county's policy
// requires it, the household head's commitment photo is on file). Submitting
// again answers the same. Codes: not_found, forbidden,
// dual_signature_required, commitment_required.
func (e *Engine) Submit(ctx context.Context, a *server.Actor, id string) (*syncproto.SubmitResponse, error) {
	var out *syncproto.SubmitResponse
	err := e.write(ctx, a, func(t *txn) error {
		inv, err := t.get(syncproto.CollInvestigations, id)
		if err != nil {
			return err
		}
		if inv == nil || inv.Deleted || !t.covers(inv.UnitID) {
			return server.Errorf(syncproto.CodeNotFound, "no investigation %q", id)
		}
		if inv.Meta.Submitted {
			out = submitResponse(inv)
			return nil
		}
		if err := t.refreshSignatureState(inv); err != nil {
			return err
		}
		if !inv.Meta.Signatures.Satisfied {
			return server.Errorf(syncproto.CodeDualSignatureRequired, "%d valid signer(s) on the current content; at least 2 distinct investigators must sign", len(inv.Meta.Signatures.ValidSigners))
		}
		if err := t.recheckSigners(inv); err != nil {
			return err
		}
		if err := t.checkCommitment(inv.HouseholdID); err != nil {
			return err
		}
		if err := t.bump(inv); err != nil {
			return err
		}
		inv.Meta.Submitted, inv.Meta.SubmittedAt, inv.Meta.SubmittedVersion = true, ts(t.now), inv.Version
		if err := t.save(inv); err != nil {
			return err
		}
		out = submitResponse(inv)
		return t.audit("investigation.submit", inv.Collection, inv.ID, out)
	})
	return out, err
}

// recheckSigners checks at submit what was checked at signing, since it
// may have changed: every valid signer must still be eligible (account
// live, signing role, jurisdiction) and free of interest (not a member, no
// registered relative in the household, as they are now), and at least two
// distinct people must remain — two accounts with one ID number are one
// person. Code dual_signature_required, naming why.
func (t *txn) recheckSigners(inv *server.Record) error {
	people := map[string]bool{}
	var refused []string
	for _, id := range inv.Meta.Signatures.ValidSigners {
		signer, err := t.checkSigner(id, inv.HouseholdID, signerRoles(inv.Collection))
		if code := server.ErrorCode(err); code != "" {
			refused = append(refused, fmt.Sprintf("%s: %s", code, server.ErrorMessage(err)))
			continue
		} else if err != nil {
			return err
		}
		person := signer.IDNumber
		if person == "" {
			person = "user:" + signer.ID
		}
		people[person] = true
	}
	if len(people) >= 2 {
		return nil
	}
	why := "the signers are one person (accounts with the same ID number)"
	if len(refused) > 0 {
		why = "no longer eligible since signing: " + strings.Join(refused, "; ")
	}
	return server.Errorf(syncproto.CodeDualSignatureRequired, "%d distinct eligible signer(s) at submission; %s", len(people), why)
}

func submitResponse(inv *server.Record) *syncproto.SubmitResponse {
	return &syncproto.SubmitResponse{ID: inv.ID, Version: inv.Version, SubmittedAt: inv.Meta.SubmittedAt, Signatures: *inv.Meta.Signatures}
}

func (t *txn) checkCommitment(household string) error {
	required, ok, err := t.tx.Setting(PolicyRequireCommitment)
	if err != nil || (ok && required != "true") {
		return err
	}
	has, err := t.tx.HasCommitmentPhoto(household)
	if err != nil {
		return err
	}
	if !has {
		return server.Errorf(syncproto.CodeCommitmentRequired, "the household head's signed commitment (承诺书) photo is required before submission")
	}
	return nil
}

// SetSetting writes a settings value (county policy), audited.
func (e *Engine) SetSetting(ctx context.Context, a *server.Actor, key, value string) error {
	return e.write(ctx, a, func(t *txn) error {
		if err := t.tx.SetSetting(key, value); err != nil {
			return err
		}
		return t.audit("setting.set", "setting", key, map[string]string{"value": value})
	})
}
