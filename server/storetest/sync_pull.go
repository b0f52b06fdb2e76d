package storetest

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Pull: cursors and pages.

func testPullRejectsInvalidCursor(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	c := env.Login("worker1", "tab-01")
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, cursor := range []string{"garbage!", "djE6", enc("v2:5"), enc("v1:-1"), enc("v1:abc"), enc("5"),
		base64.StdEncoding.EncodeToString([]byte("v1:5")) + "=="} {
		st, b := c.Do(http.MethodGet, "/v1/sync/pull?cursor="+url.QueryEscape(cursor), nil)
		wantProblem(t, st, b, http.StatusBadRequest, syncproto.CodeInvalidCursor)
	}
	for _, limit := range []string{"0", "-1", "x"} {
		st, b := c.Do(http.MethodGet, "/v1/sync/pull?limit="+limit, nil)
		wantProblem(t, st, b, http.StatusBadRequest, syncproto.CodeBadRequest)
	}
	// The cursor of an empty pull is valid and stays where it is.
	var start, res syncproto.PullResponse
	c.JSON(http.MethodGet, "/v1/sync/pull", nil, http.StatusOK, &start)
	if len(start.Changes) != 0 || start.HasMore || start.Cursor == "" {
		t.Fatalf("empty pull %+v", start)
	}
	c.JSON(http.MethodGet, "/v1/sync/pull?cursor="+url.QueryEscape(start.Cursor), nil, http.StatusOK, &res)
	if len(res.Changes) != 0 || res.HasMore || res.Cursor != start.Cursor {
		t.Fatalf("pull at the empty pull's cursor %s: %+v", start.Cursor, res)
	}
}

func testPullPagination(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w1 := env.Login("worker1", "tab-01")
	county := env.Login("county", "pc-county")
	var batch []syncproto.Mutation
	for i := 0; i < 12; i++ {
		hh := fmt.Sprintf("hh%02d", i)
		batch = append(batch, ruhutest.Upsert(hhs, hh, 0, ruhutest.Household("t1-v1", i+1)),
			ruhutest.Upsert(mems, hh+"m", 0, member(hh, 100+i)))
	}
	res := w1.Push(batch...)
	// Changes, deletes and a move out of worker1's village interleave
	// live records, tombstones and scope exits.
	w1.Push(ruhutest.Upsert(hhs, "hh00", res.Results[0].Version, map[string]any{"notes": "改"}),
		ruhutest.Delete(mems, "hh03m", res.Results[7].Version))
	wantResult(t, push1(county, ruhutest.Upsert(hhs, "hh05", res.Results[10].Version, map[string]any{"unit_id": "t1-v2"})), syncproto.StatusApplied, "")
	w1.Push(ruhutest.Upsert(hhs, "hh99", 0, ruhutest.Household("t1-v1", 99)))

	var whole syncproto.PullResponse
	w1.JSON(http.MethodGet, "/v1/sync/pull?limit=5000", nil, http.StatusOK, &whole)
	if whole.HasMore || len(whole.Changes) != 25 {
		t.Fatalf("whole pull: %d changes, has_more %v; want 25, false", len(whole.Changes), whole.HasMore)
	}
	for _, limit := range []int{1, 2, 5, 7, 24, 25, 26} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			var pages []syncproto.Change
			cursor := ""
			for n := 0; ; n++ {
				if n > 100 {
					t.Fatal("pagination does not end")
				}
				var page syncproto.PullResponse
				w1.JSON(http.MethodGet, fmt.Sprintf("/v1/sync/pull?limit=%d&cursor=%s", limit, cursor), nil, http.StatusOK, &page)
				if len(page.Changes) > limit {
					t.Fatalf("page of %d changes for limit %d", len(page.Changes), limit)
				}
				if page.HasMore && len(page.Changes) != limit {
					t.Fatalf("has_more with a short page (%d of %d)", len(page.Changes), limit)
				}
				pages = append(pages, page.Changes...)
				cursor = page.Cursor
				if !page.HasMore {
					break
				}
			}
			if len(pages) != len(whole.Changes) {
				t.Fatalf("paged pull: %d changes, whole pull %d", len(pages), len(whole.Changes))
			}
			seen := map[string]bool{}
			for i, ch := range pages {
				w := whole.Changes[i]
				if ch.Version != w.Version || ch.Collection != w.Collection || ch.ID != w.ID || ch.Deleted != w.Deleted ||
					string(ch.Fields) != string(w.Fields) {
					t.Fatalf("change %d: paged %+v, whole %+v", i, ch, w)
				}
				if i > 0 && ch.Version <= pages[i-1].Version {
					t.Fatalf("versions out of order at %d: %d after %d", i, ch.Version, pages[i-1].Version)
				}
				if seen[ch.Collection+"/"+ch.ID] {
					t.Fatalf("%s/%s pulled twice", ch.Collection, ch.ID)
				}
				seen[ch.Collection+"/"+ch.ID] = true
			}
			// The last cursor is at the end: nothing more, same cursor.
			var end syncproto.PullResponse
			w1.JSON(http.MethodGet, "/v1/sync/pull?cursor="+cursor, nil, http.StatusOK, &end)
			if len(end.Changes) != 0 || end.HasMore || end.Cursor != cursor {
				t.Fatalf("pull at the end: %+v (cursor %s)", end, cursor)
			}
		})
	}
	var tomb, exits int
	for _, ch := range whole.Changes {
		if ch.Deleted {
			tomb++
			if metaOf(t, ch).LeftScope {
				exits++
			}
		}
	}
	if tomb != 3 || exits != 2 { // hh03m deleted; hh05 and hh05m left
		t.Fatalf("%d tombstones (%d scope exits), want 3 (2)", tomb, exits)
	}
}
