package sqlite

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// PolicyRequireCommitment is the settings key saying whether submission
// needs the household head's signed commitment photo ("true" by default).
const PolicyRequireCommitment = "policy.require_commitment"

// refreshSignatureState recomputes an investigation's content hash and which
// signers' signatures count for it, into its meta.
func (p *pushTx) refreshSignatureState(inv *record) error {
	hash, err := syncproto.ContentHash(syncproto.CollInvestigations, inv.ID, inv.fieldsJSON())
	if err != nil {
		return fmt.Errorf("content hash of %s: %w", inv.ID, err)
	}
	rows, err := p.QueryContext(p.ctx, `SELECT DISTINCT k.user_id FROM records s
		JOIN signing_keys k ON k.key_id = json_extract(s.fields, '$.key_id')
		WHERE s.collection = 'signatures' AND s.parent_id = ? AND s.deleted = 0
		AND json_extract(s.fields, '$.content_hash') = ? ORDER BY k.user_id`, inv.ID, hash)
	if err != nil {
		return fmt.Errorf("valid signers: %w", err)
	}
	defer rows.Close()
	signers := []string{}
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return err
		}
		signers = append(signers, u)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	inv.Meta.Signatures = &syncproto.SignatureState{ContentHash: hash, ValidSigners: signers, Satisfied: len(signers) >= 2}
	return nil
}

// checkSignature enforces the dual-signature rules on a new signature record.
// Codes: unknown_key, bad_signature, stale_content, signer_not_eligible,
// conflict_of_interest, duplicate_signature.
func (p *pushTx) checkSignature(m *syncproto.Mutation, invID, household string) error {
	keyID := stringField(m.Fields, "key_id")
	key, err := findKey(p.ctx, p, keyID)
	if err != nil {
		return err
	}
	if key.RevokedAt != "" {
		return server.Errorf(syncproto.CodeUnknownKey, "key %q was revoked", keyID)
	}
	if s := stringField(m.Fields, "signer_id"); s != "" && s != key.UserID {
		return server.Errorf(syncproto.CodeUnknownKey, "key %q does not belong to signer %q", keyID, s)
	}
	pub, err := base64.StdEncoding.DecodeString(key.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("stored key %s is corrupt", keyID)
	}
	hash := stringField(m.Fields, "content_hash")
	if !syncproto.Verify(pub, hash, stringField(m.Fields, "signature")) {
		return server.Errorf(syncproto.CodeBadSignature, "the signature does not verify with key %q", keyID)
	}
	inv, err := p.get(syncproto.CollInvestigations, invID)
	if err != nil {
		return err
	}
	if err := p.refreshSignatureState(inv); err != nil {
		return err
	}
	if hash != inv.Meta.Signatures.ContentHash {
		return server.Errorf(syncproto.CodeStaleContent, "the signed content is not the investigation's current content (%s)", inv.Meta.Signatures.ContentHash)
	}
	signer, err := findUser(p.ctx, p, `u.id = ?`, key.UserID)
	if err != nil {
		return err
	}
	hh, err := p.get(syncproto.CollHouseholds, household)
	if err != nil {
		return err
	}
	sa := server.Actor{UserID: signer.ID, UnitPath: signer.UnitPath, Roles: signer.Roles}
	if signer.Disabled || !sa.HasAny(server.SignerRoles...) || !sa.Covers(p.units[hh.UnitID].Path) {
		return server.Errorf(syncproto.CodeSignerNotEligible, "the signer may not sign for this household (role or jurisdiction)")
	}
	if err := p.checkInterest(signer, hh); err != nil {
		return err
	}
	if slices.Contains(inv.Meta.Signatures.ValidSigners, signer.ID) {
		return server.Errorf(syncproto.CodeDuplicateSignature, "the signer has already signed this content")
	}
	return nil
}

// checkInterest refuses a signer who is a member of the household or whose
// registered close relative (近亲属备案) is.
func (p *pushTx) checkInterest(signer *server.User, hh *record) error {
	ids := []string{hh.field("head_id_number")}
	members, err := p.findRecords(`collection = 'members' AND household_id = ? AND deleted = 0`, hh.ID)
	if err != nil {
		return err
	}
	for _, m := range members {
		ids = append(ids, m.field("id_number"))
	}
	if signer.IDNumber != "" && slices.Contains(ids, signer.IDNumber) {
		return server.Errorf(syncproto.CodeConflictOfInterest, "the signer is a member of this household")
	}
	for _, id := range ids {
		var n int
		if err := p.QueryRowContext(p.ctx, `SELECT count(*) FROM relatives WHERE user_id = ? AND id_number = ?`,
			signer.ID, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
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
func (db *DB) Submit(ctx context.Context, a *server.Actor, id string) (*syncproto.SubmitResponse, error) {
	var out *syncproto.SubmitResponse
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		p, err := db.beginPush(ctx, tx, a)
		if err != nil {
			return err
		}
		defer p.close()
		inv, err := findRecord(ctx, tx, syncproto.CollInvestigations, id)
		if err != nil {
			return err
		}
		if inv == nil || inv.Deleted || !p.covers(inv.UnitID) {
			return server.Errorf(syncproto.CodeNotFound, "no investigation %q", id)
		}
		if inv.Meta.Submitted {
			out = submitResponse(inv)
			return nil
		}
		if err := p.refreshSignatureState(inv); err != nil {
			return err
		}
		if !inv.Meta.Signatures.Satisfied {
			return server.Errorf(syncproto.CodeDualSignatureRequired, "%d valid signer(s) on the current content; at least 2 distinct investigators must sign", len(inv.Meta.Signatures.ValidSigners))
		}
		if err := p.checkCommitment(inv.HouseholdID); err != nil {
			return err
		}
		inv.Meta.Submitted, inv.Meta.SubmittedAt = true, db.Now().UTC().Format(time.RFC3339)
		inv.Version = p.nextVersion()
		if err := p.save(inv); err != nil {
			return err
		}
		out = submitResponse(inv)
		if err := p.audit.append(ctx, server.AuditEntry{ActorID: a.UserID, DeviceID: a.DeviceID, Action: "investigation.submit",
			ObjectType: inv.Collection, ObjectID: inv.ID, Detail: out}); err != nil {
			return err
		}
		return p.finish()
	})
	return out, err
}

func submitResponse(inv *record) *syncproto.SubmitResponse {
	return &syncproto.SubmitResponse{ID: inv.ID, Version: inv.Version, SubmittedAt: inv.Meta.SubmittedAt, Signatures: *inv.Meta.Signatures}
}

func (p *pushTx) checkCommitment(household string) error {
	required, err := p.db.setting(p.ctx, p, PolicyRequireCommitment, "true")
	if err != nil || required != "true" {
		return err
	}
	var n int
	if err := p.QueryRowContext(p.ctx, `SELECT count(*) FROM records WHERE collection = 'photos' AND household_id = ?
		AND deleted = 0 AND json_extract(fields, '$.kind') = 'commitment'`, household).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return server.Errorf(syncproto.CodeCommitmentRequired, "the household head's signed commitment (承诺书) photo is required before submission")
	}
	return nil
}

// setting reads a settings value, def when unset.
func (db *DB) setting(ctx context.Context, q querier, key, def string) (string, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return def, nil
	}
	return v, err
}

// SetSetting writes a settings value (county policy), audited.
func (db *DB) SetSetting(ctx context.Context, a *server.Actor, key, value string) error {
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
			return err
		}
		return db.auditTx(ctx, tx, a, "setting.set", "setting", key, map[string]string{"value": value})
	})
}
