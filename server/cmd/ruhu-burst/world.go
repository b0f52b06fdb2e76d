package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ruhu-org/ruhu/syncproto"
)

// idNumber is person n's resident ID number: a valid birth date and
// sequence, unique for n below 25,000,000, and a correct check character.
func idNumber(n int) string {
	birth := time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n/1000)
	first17 := fmt.Sprintf("530121%s%03d", birth.Format("20060102"), n%1000)
	return syncproto.CompleteIDNumber(first17)
}

// signer is a village worker with a signing key.
type signer struct {
	username, userID string
	priv             ed25519.PrivateKey
}

func newKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("ruhu burst key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// day is the work of one tablet on one morning: households with their
// members, and investigations signed by the village's two workers.
type day struct {
	mutations []syncproto.Mutation
}

// dayOf builds tablet's work for a morning in village (its signers a, b).
// Person numbers are unique per (morning, tablet).
func dayOf(cfg Config, morning, tablet int, village string, a, b *signer) (*day, error) {
	d := &day{}
	add := func(coll, id string, fields map[string]any) (json.RawMessage, error) {
		raw, err := json.Marshal(fields)
		if err != nil {
			return nil, err
		}
		m := syncproto.Mutation{Collection: coll, ID: id, Op: syncproto.OpUpsert}
		if err := json.Unmarshal(raw, &m.Fields); err != nil {
			return nil, err
		}
		d.mutations = append(d.mutations, m)
		return raw, nil
	}
	perHH := cfg.Members
	base := ((morning*cfg.Tablets)+tablet)*cfg.Households*perHH + 1000
	for h := range cfg.Households {
		hh := fmt.Sprintf("m%d-t%d-h%d", morning, tablet, h)
		head := idNumber(base + h*perHH)
		if _, err := add(syncproto.CollHouseholds, hh, map[string]any{"unit_id": village, "head_name": "户主",
			"head_id_number": head, "address": fmt.Sprintf("%s 村道%d号", village, h), "category": "dibao"}); err != nil {
			return nil, err
		}
		for k := range perHH {
			rel := "子女"
			if k == 0 {
				rel = "户主"
			}
			if _, err := add(syncproto.CollMembers, fmt.Sprintf("%s-p%d", hh, k), map[string]any{"household_id": hh,
				"name": "成员", "id_number": idNumber(base + h*perHH + k), "relation": rel}); err != nil {
				return nil, err
			}
		}
	}
	for i := range min(cfg.Investigations, cfg.Households) {
		hh := fmt.Sprintf("m%d-t%d-h%d", morning, tablet, i)
		inv := hh + "-inv"
		raw, err := add(syncproto.CollInvestigations, inv, map[string]any{"household_id": hh, "date": "2026-11-24",
			"investigators": []string{a.userID, b.userID}, "findings": "入户核查：家庭成员四人，主要收入为务农。",
			"per_capita_income": 3908.5})
		if err != nil {
			return nil, err
		}
		hash, err := syncproto.ContentHash(syncproto.CollInvestigations, inv, raw)
		if err != nil {
			return nil, err
		}
		for k, s := range []*signer{a, b} {
			if _, err := add(syncproto.CollSignatures, fmt.Sprintf("%s-s%d", inv, k), map[string]any{
				"investigation_id": inv, "key_id": syncproto.KeyID(s.priv.Public().(ed25519.PublicKey)),
				"content_hash": hash, "signature": syncproto.Sign(s.priv, hash), "signed_at": "2026-11-24T09:41:07+08:00",
				"role": "investigator"}); err != nil {
				return nil, err
			}
		}
	}
	for i := range d.mutations {
		d.mutations[i].MutationID = int64(morning*100000 + i + 1)
	}
	return d, nil
}
