package clientsdk_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/ruhu-org/ruhu/clientsdk"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

func investigation(hh string, investigators ...string) clientsdk.Fields {
	return clientsdk.Fields{"household_id": hh, "date": "2026-03-18", "location": "城关镇东村三组17号",
		"findings": "户主患尿毒症，每周透析两次；配偶无劳动能力。", "per_capita_income": 3908.50,
		"investigators": investigators, "suggested_category": "dibao",
		"income_items": []map[string]any{{"type": "basic_pension", "amount": 1476.00, "exempt": true}}}
}

// Two investigators share one tablet: each logs in, has their own key,
// signs; one sync pushes both signatures and the server accepts the
// submission.
func TestDualSignatureOnSharedTablet(t *testing.T) {
	ctx := context.Background()
	env := ruhutest.New(t)
	commitmentOff(t, env)
	tab := tablet(t, env)
	w1 := login(t, tab, "worker1")
	hh := create(t, tab, syncproto.CollHouseholds, household(10))
	inv := create(t, tab, syncproto.CollInvestigations, investigation(hh))
	mustSync(t, tab)
	key1, err := tab.RegisterKey(ctx)
	if err != nil || key1.UserID != w1.ID || key1.DeviceID != tab.DeviceID() {
		t.Fatalf("register worker1's key: %+v %v", key1, err)
	}
	s1, err := tab.Sign(ctx, inv, clientsdk.SignOptions{Role: "investigator"})
	if err != nil || s1.Predicted || s1.ContentHash != s1.ServerHash || s1.KeyID != key1.KeyID {
		t.Fatalf("worker1 signs: %+v %v", s1, err)
	}
	w2 := login(t, tab, "worker2")
	key2, err := tab.RegisterKey(ctx)
	if err != nil || key2.UserID != w2.ID || key2.KeyID == key1.KeyID {
		t.Fatalf("register worker2's key: %+v %v", key2, err)
	}
	s2, err := tab.Sign(ctx, inv, clientsdk.SignOptions{Role: "investigator"})
	if err != nil || s2.ContentHash != s1.ContentHash {
		t.Fatalf("worker2 signs: %+v %v", s2, err)
	}
	if _, err := tab.Sign(ctx, inv, clientsdk.SignOptions{}); !errors.Is(err, clientsdk.ErrAlreadySigned) {
		t.Fatalf("signing twice: %v", err)
	}
	rep := mustSync(t, tab)
	if rep.Applied != 2 || len(rep.Rejected) != 0 {
		t.Fatalf("signature push: %+v", rep)
	}
	r := get(t, tab, syncproto.CollInvestigations, inv)
	if st := r.Meta.Signatures; st == nil || !st.Satisfied || !slices.Contains(st.ValidSigners, w1.ID) ||
		!slices.Contains(st.ValidSigners, w2.ID) {
		t.Fatalf("signature state: %+v", r.Meta.Signatures)
	}
	res, err := tab.Submit(ctx, inv)
	if err != nil || !res.Signatures.Satisfied || res.SubmittedAt == "" {
		t.Fatalf("submit: %+v %v", res, err)
	}
	// The submitted form is locked: a later edit is kept in a conflict.
	mustSync(t, tab)
	update(t, tab, syncproto.CollInvestigations, inv, clientsdk.Fields{"conclusion": "事后修改"})
	rep = mustSync(t, tab)
	if len(rep.Conflicts) != 1 || get(t, tab, syncproto.CollInvestigations, inv).Meta.Submitted != true {
		t.Fatalf("edit after submit: %+v", rep)
	}
}

// Offline, the tablet signs the content its queued edits will give the
// investigation; keys made offline are registered by Sync, and each
// user's queued work is pushed with their own session.
func TestOfflineSignaturesOfQueuedContent(t *testing.T) {
	ctx := context.Background()
	env := ruhutest.New(t)
	commitmentOff(t, env)
	tab := tablet(t, env)
	w1 := login(t, tab, "worker1")
	hh := create(t, tab, syncproto.CollHouseholds, household(11))
	inv := create(t, tab, syncproto.CollInvestigations, investigation(hh))
	update(t, tab, syncproto.CollInvestigations, inv, clientsdk.Fields{"conclusion": "建议纳入低保", "investigators": []string{w1.ID}})
	s1, err := tab.Sign(ctx, inv, clientsdk.SignOptions{})
	if err != nil || !s1.Predicted || s1.ServerHash != "" {
		t.Fatalf("offline signature: %+v %v", s1, err)
	}
	w2 := login(t, tab, "worker2")
	if _, err := tab.Sign(ctx, inv, clientsdk.SignOptions{}); err != nil {
		t.Fatal(err)
	}
	rep := mustSync(t, tab)
	if rep.KeysRegistered != 2 || len(rep.Rejected) != 0 || rep.Applied != 4 {
		t.Fatalf("sync: %+v", rep)
	}
	r := get(t, tab, syncproto.CollInvestigations, inv)
	if st := r.Meta.Signatures; st == nil || !st.Satisfied || st.ContentHash != s1.ContentHash {
		t.Fatalf("server state %+v, signed %s", r.Meta.Signatures, s1.ContentHash)
	}
	sigs, _ := tab.List(ctx, syncproto.CollSignatures)
	signers := []string{}
	for _, s := range sigs {
		signers = append(signers, s.String("signer_id"))
	}
	slices.Sort(signers)
	want := []string{w1.ID, w2.ID}
	slices.Sort(want)
	if !slices.Equal(signers, want) {
		t.Fatalf("signature records by %v, want %v", signers, want)
	}
	if _, err := tab.Submit(ctx, inv); err != nil {
		t.Fatalf("submit: %v", err)
	}
}

// A signature over content someone else changed meanwhile is refused by
// the server (stale_content) and surfaced; signing again after the pull
// works.
func TestStaleSignatureIsSurfaced(t *testing.T) {
	ctx := context.Background()
	env := ruhutest.New(t)
	a, b := tablet(t, env), tablet(t, env)
	login(t, a, "worker1")
	login(t, b, "worker2")
	hh := create(t, a, syncproto.CollHouseholds, household(12))
	inv := create(t, a, syncproto.CollInvestigations, investigation(hh))
	mustSync(t, a)
	mustSync(t, b)
	update(t, b, syncproto.CollInvestigations, inv, clientsdk.Fields{"findings": "复核后更正"})
	mustSync(t, b)
	if _, err := a.Sign(ctx, inv, clientsdk.SignOptions{}); err != nil {
		t.Fatal(err)
	}
	rep := mustSync(t, a)
	if len(rep.Rejected) != 1 || rep.Rejected[0].Code != syncproto.CodeStaleContent {
		t.Fatalf("stale signature: %+v", rep)
	}
	s, err := a.Sign(ctx, inv, clientsdk.SignOptions{})
	if err != nil || s.ContentHash != s.ServerHash {
		t.Fatalf("sign again: %+v %v", s, err)
	}
	if rep := mustSync(t, a); rep.Applied != 1 || len(rep.Rejected) != 0 {
		t.Fatalf("second signature: %+v", rep)
	}
	if st := get(t, a, syncproto.CollInvestigations, inv).Meta.Signatures; st == nil || len(st.ValidSigners) != 1 {
		t.Fatalf("signature state %+v", st)
	}
}
