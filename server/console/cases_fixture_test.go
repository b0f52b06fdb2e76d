package console_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// caseFixture is a demo county where three households of t1-v1 went
// through investigation, democratic review and the village notice: their
// cases await the township's review. Everything goes through the HTTP API
// as the tablets and the village would do it.
type caseFixture struct {
	env   *ruhutest.Env
	next  map[string]int64 // each user's last mutation id
	keys  map[string]sigKey
	cases []string
	hhs   []string
}

func newCaseFixture(t *testing.T) *caseFixture {
	t.Helper()
	env := ruhutest.New(t)
	if err := env.App.Engine.SetSetting(context.Background(), env.Actor("admin", "fixture"), engine.PolicyRequireCommitment, "false"); err != nil {
		t.Fatal(err)
	}
	f := &caseFixture{env: env, next: map[string]int64{}, keys: map[string]sigKey{}}
	for _, u := range []string{"worker1", "worker2", "committee1"} {
		f.keys[u] = registerKey(t, f.as(u))
	}
	for i := range 3 {
		f.toVillageNotice(t, 21+i)
	}
	env.Advance(7*24*time.Hour + time.Minute)
	for _, id := range f.cases {
		f.step(t, "worker1", id, syncproto.ActCloseNotice)
	}
	return f
}

func (f *caseFixture) as(user string) *ruhutest.Client { return f.env.Login(user, "dev-"+user) }

func (f *caseFixture) push(t *testing.T, user string, ms ...syncproto.Mutation) {
	t.Helper()
	for i := range ms {
		f.next[user]++
		ms[i].MutationID = f.next[user]
	}
	for _, r := range f.as(user).Push(ms...).Results {
		if r.Status != syncproto.StatusApplied {
			t.Fatalf("push as %s: %+v", user, r)
		}
	}
}

func (f *caseFixture) step(t *testing.T, user, id, action string) {
	t.Helper()
	f.as(user).JSON(http.MethodPost, "/v1/cases/"+id+"/transitions", syncproto.TransitionRequest{Action: action}, http.StatusOK, nil)
}

// sign signs the current content of an investigation or review as user.
func (f *caseFixture) sign(t *testing.T, collection, id, user string) {
	t.Helper()
	changes, _ := f.as(user).PullAll("")
	for _, ch := range changes {
		if ch.Collection != collection || ch.ID != id {
			continue
		}
		hash, err := syncproto.ContentHash(collection, id, ch.Fields)
		if err != nil {
			t.Fatal(err)
		}
		field := "investigation_id"
		if collection == syncproto.CollReviews {
			field = "review_id"
		}
		k := f.keys[user]
		f.push(t, user, ruhutest.Upsert("signatures", id+"-sig-"+user, 0, map[string]any{field: id, "key_id": k.id,
			"content_hash": hash, "signature": syncproto.Sign(k.priv, hash), "signed_at": "2026-11-20T10:41:07+08:00"}))
		return
	}
	t.Fatalf("%s pulled no %s %s", user, collection, id)
}

// toVillageNotice registers household head n, opens its case, has it
// investigated (signed by two workers, submitted) and reviewed (signed by
// the worker and the committee), and opens the village notice.
func (f *caseFixture) toVillageNotice(t *testing.T, n int) {
	t.Helper()
	hh, inv, rv := fmt.Sprintf("01HHC0000000000000000000%02d", n), fmt.Sprintf("01HIC0000000000000000000%02d", n),
		fmt.Sprintf("01HRC0000000000000000000%02d", n)
	fields := ruhutest.Household("t1-v1", n)
	fields["head_name"] = []string{"周一", "吴二", "郑三"}[n%3]
	f.push(t, "worker1", ruhutest.Upsert("households", hh, 0, fields),
		ruhutest.Upsert("members", hh+"-head", 0, map[string]any{"household_id": hh, "name": fields["head_name"],
			"id_number": ruhutest.IDNumber(n), "relation": "户主", "birth_date": "1960-05-01"}))
	var c syncproto.Case
	f.as("worker1").JSON(http.MethodPost, "/v1/cases", syncproto.CreateCaseRequest{HouseholdID: hh}, http.StatusCreated, &c)
	f.push(t, "worker1", ruhutest.Upsert("investigations", inv, 0, map[string]any{"household_id": hh,
		"date": f.env.Now().Format(time.DateOnly), "findings": "入户核实",
		"income_items": []map[string]any{{"member_id": hh + "-head", "type": "wage", "amount": "100.00"}}}))
	f.sign(t, "investigations", inv, "worker1")
	f.sign(t, "investigations", inv, "worker2")
	f.as("worker1").JSON(http.MethodPost, "/v1/investigations/"+inv+"/submit", nil, http.StatusOK, nil)
	f.env.Advance(time.Second)
	f.step(t, "worker1", c.ID, syncproto.ActSubmitInvestigation)

	sum := sha256.Sum256([]byte("minutes of " + hh))
	a := f.env.Actor("worker1", "dev-worker1")
	if _, err := f.env.App.Engine.AddPhoto(context.Background(), a, server.Photo{SHA256: hex.EncodeToString(sum[:]),
		HouseholdID: hh, Kind: "document", Width: 800, Height: 600, UploadedBy: a.UserID}); err != nil {
		t.Fatal(err)
	}
	f.push(t, "worker1", ruhutest.Upsert(syncproto.CollReviews, rv, 0, map[string]any{"household_id": hh,
		"committee_size": 9, "present": 7, "votes_for": 6, "votes_against": 1, "date": f.env.Now().Format(time.DateOnly),
		"method": "ballot", "minutes_photo": hex.EncodeToString(sum[:])}))
	f.sign(t, syncproto.CollReviews, rv, "worker1")
	f.sign(t, syncproto.CollReviews, rv, "committee1")
	f.step(t, "committee1", c.ID, syncproto.ActOpenVillageNotice)
	f.cases, f.hhs = append(f.cases, c.ID), append(f.hhs, hh)
}

// caseOf reads a case as reviewer1.
func (f *caseFixture) caseOf(t *testing.T, id string) *syncproto.Case {
	t.Helper()
	c, err := f.env.App.Engine.Case(context.Background(), f.env.Actor("reviewer1", "x"), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
