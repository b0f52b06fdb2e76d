package photos_test

import (
	"net/http"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// TestSecurityPhotoRefusedAtFilingLeavesNothing: the household is checked
// again when the last byte arrives. When it is gone or has left the
// uploader's jurisdiction meanwhile, the photo is refused — and its content
// (someone's home, their papers) must not stay in the store without a
// record that anyone could be answerable for.
func TestSecurityPhotoRefusedAtFilingLeavesNothing(t *testing.T) {
	w := newWorld(t)
	reviewer := w.env.Login("reviewer1", "pc-r1")
	version := func(id string) int64 {
		all, _ := reviewer.PullAll("")
		for _, ch := range all {
			if ch.Collection == syncproto.CollHouseholds && ch.ID == id {
				return ch.Version
			}
		}
		t.Fatalf("no household %s", id)
		return 0
	}
	scenarios := []struct {
		name      string
		household string
		meanwhile func(t *testing.T)
		status    int
		code      string
	}{
		{"household deleted", "hh1", func(t *testing.T) {
			res := w.w1.Push(ruhutest.Delete(syncproto.CollHouseholds, "hh1", version("hh1")))
			if res.Results[0].Status != syncproto.StatusApplied {
				t.Fatalf("delete: %+v", res.Results[0])
			}
		}, http.StatusUnprocessableEntity, syncproto.CodeUnknownHousehold},
		{"household moved to another village", "hh2", func(t *testing.T) {
			res := reviewer.Push(ruhutest.Upsert(syncproto.CollHouseholds, "hh2", version("hh2"), map[string]any{"unit_id": "t1-v2"}))
			if s := res.Results[0].Status; s != syncproto.StatusApplied && s != syncproto.StatusMerged {
				t.Fatalf("move: %+v", res.Results[0])
			}
		}, http.StatusForbidden, syncproto.CodeOutOfScope},
	}
	for i, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			data := housePhoto(t, 100+i)
			sha := shaHex(data)
			loc := w.t1.mustCreate(len(data), photoMeta(sha, sc.household, "house"))
			sc.meanwhile(t)
			w.t1.patch(loc, 0, data).wantProblem(t, sc.status, sc.code)
			if got := storedPhotos(t, w.env); len(got) != 0 {
				t.Fatalf("refused photo kept in the store: %v", got)
			}
			if got := pendingUploads(t, w.env); len(got) != 0 {
				t.Fatalf("refused upload kept: %v", got)
			}
			if a := get(reviewer, sha, syncproto.VariantOriginal, nil); a.status != http.StatusNotFound {
				t.Fatalf("refused photo served: %d", a.status)
			}
		})
	}
}
