package storetest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Rejections are bounded (issue 13, class 6): a user keeps at most
// Limits.RejectedPayloadsPerDay payloads a day, a role that may not write
// a collection keeps none, and the listing is paged by count and bytes.

func testRejectedPayloadQuota(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	env.App.Engine.Limits.RejectedPayloadsPerDay = 2
	w1 := env.Login("worker1", "tab-01")
	var ms []syncproto.Mutation
	for i := range 3 {
		bad := ruhutest.Household("t1-v1", 90+i)
		bad["head_id_number"] = badIDNumber(i)
		ms = append(ms, ruhutest.Upsert(hhs, "hq"+itoa(i), 0, bad))
	}
	res := w1.Push(ms...)
	for i, want := range []string{"", "", syncproto.DropRejectedQuota} {
		wantResult(t, res.Results[i], syncproto.StatusRejected, syncproto.CodeInvalidIDNumber)
		if got := res.Results[i].PayloadDropped; got != want {
			t.Fatalf("result %d: payload_dropped %q, want %q", i, got, want)
		}
	}
	// The replay answers the same, flag included.
	again := w1.Push(ms...)
	if r := again.Results[2]; !r.Replayed || r.PayloadDropped != syncproto.DropRejectedQuota {
		t.Fatalf("replayed third result %+v", r)
	}
	kept := rejections(w1)
	if len(kept) != 3 {
		t.Fatalf("%d rejections listed, want 3 (the reason is kept even without the payload)", len(kept))
	}
	byID := map[string]syncproto.Rejection{}
	for _, r := range kept {
		byID[r.Mutation.ID] = r
	}
	if r := byID["hq2"]; r.PayloadDropped != syncproto.DropRejectedQuota || r.Mutation.Fields != nil ||
		r.Mutation.Collection != hhs || r.Mutation.MutationID != 3 || r.Error == nil || r.Error.Code != syncproto.CodeInvalidIDNumber {
		t.Fatalf("rejection past the quota: %+v", r)
	}
	if r := byID["hq0"]; r.PayloadDropped != "" || !jsonEq(t, r.Mutation.Fields["head_id_number"], badIDNumber(0)) {
		t.Fatalf("rejection within the quota: %+v", r)
	}
	// Another user has a quota of their own; the next UTC day starts afresh.
	w2 := env.Login("worker2", "tab-02")
	bad := ruhutest.Household("t1-v2", 95)
	bad["head_id_number"] = badIDNumber(5)
	if r := w2.Push(ruhutest.Upsert(hhs, "hq5", 0, bad)).Results[0]; r.PayloadDropped != "" {
		t.Fatalf("another user's first rejection dropped: %+v", r)
	}
	env.Advance(24 * time.Hour)
	w1 = env.Login("worker1", "tab-01")
	bad["head_id_number"] = badIDNumber(6)
	if r := w1.Push(ruhutest.Upsert(hhs, "hq6", 0, bad)).Results[0]; r.Status != syncproto.StatusRejected || r.PayloadDropped != "" {
		t.Fatalf("first rejection of the next day: %+v", r)
	}
}

func testReadOnlyRoleKeepsNoPayload(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	c := env.Login("committee1", "tab-c1")
	res := c.Push(ruhutest.Upsert(hhs, "hh-c1", 0, ruhutest.Household("t1-v1", 61)))
	wantResult(t, res.Results[0], syncproto.StatusRejected, syncproto.CodeForbidden)
	if res.Results[0].PayloadDropped != syncproto.DropNotWritable {
		t.Fatalf("read-only role's rejection: %+v", res.Results[0])
	}
	kept := rejections(env.Login("county", "pc-county"))
	if len(kept) != 1 || kept[0].Mutation.Fields != nil || kept[0].PayloadDropped != syncproto.DropNotWritable {
		t.Fatalf("kept for a read-only role: %+v", kept)
	}
	// An unknown collection is writable by nobody.
	res = env.Login("worker1", "tab-01").Push(ruhutest.Upsert("nonesuch", "x1", 0, map[string]any{"a": "b"}))
	if r := res.Results[0]; r.Status != syncproto.StatusRejected || r.PayloadDropped != syncproto.DropNotWritable {
		t.Fatalf("unknown collection: %+v", r)
	}
}

func testRejectionsArePaged(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	env.App.Engine.Limits.PullPageBytes = 10_000
	w1 := env.Login("worker1", "tab-01")
	var ms []syncproto.Mutation
	for i := range 9 {
		bad := ruhutest.Household("t1-v1", 70+i)
		bad["head_id_number"] = badIDNumber(i)
		bad["address"] = strings.Repeat("a", 3000)
		ms = append(ms, ruhutest.Upsert(hhs, "hp"+itoa(i), 0, bad))
	}
	w1.Push(ms[:4]...)
	env.Advance(time.Second)
	w1.Push(ms[4:]...)
	county := env.Login("county", "pc-county")
	var first syncproto.RejectionList
	county.JSON(http.MethodGet, "/v1/rejections", nil, http.StatusOK, &first)
	if len(first.Rejections) != 3 || first.Next == "" {
		t.Fatalf("first page of 3000-byte payloads within 10000 bytes: %d rejections, next %q", len(first.Rejections), first.Next)
	}
	env.App.Engine.Limits.PullPageBytes = 1 << 20
	all := rejections(county)
	if len(all) != 9 {
		t.Fatalf("%d rejections, want 9", len(all))
	}
	env.App.Engine.Limits.PullPageBytes = 10_000
	for _, limit := range []int{2, 4, 100} {
		var got []syncproto.Rejection
		after, pages := "", 0
		for {
			var page syncproto.RejectionList
			county.JSON(http.MethodGet, "/v1/rejections?limit="+itoa(limit)+"&after="+url.QueryEscape(after), nil, http.StatusOK, &page)
			if n := len(page.Rejections); n == 0 || n > limit || n > 3 {
				t.Fatalf("limit %d: a page of %d (3000-byte payloads, 10000-byte pages)", limit, n)
			}
			got, pages = append(got, page.Rejections...), pages+1
			if page.Next == "" {
				break
			}
			after = page.Next
			if pages > 20 {
				t.Fatal("paging does not end")
			}
		}
		if len(got) != len(all) {
			t.Fatalf("limit %d: %d rejections over %d pages, want %d", limit, len(got), pages, len(all))
		}
		for i := range got {
			if got[i].Mutation.MutationID != all[i].Mutation.MutationID || got[i].DeviceID != all[i].DeviceID {
				t.Fatalf("limit %d: page order differs at %d", limit, i)
			}
		}
	}
	if all[0].Mutation.MutationID != 9 || all[8].Mutation.MutationID != 1 {
		t.Fatalf("not newest first: first %d, last %d", all[0].Mutation.MutationID, all[8].Mutation.MutationID)
	}
	code, body := county.Do(http.MethodGet, "/v1/rejections?after=not-a-cursor!", nil)
	if code != http.StatusBadRequest || !strings.Contains(string(body), syncproto.CodeBadRequest) {
		t.Fatalf("bad cursor: %d %s", code, body)
	}
}
