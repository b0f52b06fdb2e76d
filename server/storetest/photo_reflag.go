package storetest

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
	"github.com/ruhu-org/ruhu/syncproto/exif"
)

// Issue #16: off_investigation_date follows the household's investigation
// dates. Re-dating, adding or deleting an investigation re-checks the
// household's photos; only a filing whose flag changes gets a new version
// and a photo.reflag audit entry, and an edit that leaves the dates alone
// touches no photo.

func testPhotoFlagsFollowInvestigationDates(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w1 := env.Login("worker1", "tab-01")
	push1(w1, ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1)))
	wantResult(t, push1(w1, ruhutest.Upsert(invs, "inv1", 0, map[string]any{"household_id": "hh1", "date": "2024-05-01"})),
		syncproto.StatusApplied, "")
	cst := time.FixedZone("CST", 8*3600)
	gps := &exif.GPS{Lat: 26.58, Lon: 106.71}
	may, shaMay := exifJPEG(t, 70, time.Date(2024, 5, 2, 10, 0, 0, 0, cst), gps)
	sep, shaSep := exifJPEG(t, 71, time.Date(2024, 9, 1, 10, 0, 0, 0, cst), gps)
	for sha, d := range map[string][]byte{shaMay: may, shaSep: sep} {
		if st := upload(t, w1, d, sha, "hh1", "house"); st != http.StatusNoContent {
			t.Fatalf("upload: %d", st)
		}
	}
	off := []any{syncproto.PhotoFlagOffInvestigationDate}
	step := func(name string, wantMay, wantSep []any, reflagged int) {
		t.Helper()
		state, _ := stateOf(w1, "")
		for _, p := range []struct {
			sha  string
			want []any
		}{{shaMay, wantMay}, {shaSep, wantSep}} {
			if f := fieldsOf(t, live(t, state, syncproto.CollPhotos, p.sha)); !reflect.DeepEqual(f["flags"], p.want) {
				t.Fatalf("%s: photo %s… flags %v, want %v", name, p.sha[:8], f["flags"], p.want)
			}
		}
		n := 0
		for _, sha := range []string{shaMay, shaSep} {
			for _, a := range auditOf(t, env, syncproto.CollPhotos, sha) {
				if a.Action == "photo.reflag" {
					n++
				}
			}
		}
		if n != reflagged {
			t.Fatalf("%s: %d photo.reflag audit entries, want %d", name, n, reflagged)
		}
	}
	step("filed", []any{}, off, 0)
	version := func(coll, id string) int64 {
		state, _ := stateOf(w1, "")
		return live(t, state, coll, id).Version
	}

	// Re-dated to September: May's photo is now off, September's is not.
	wantResult(t, push1(w1, ruhutest.Upsert(invs, "inv1", version(invs, "inv1"), map[string]any{"date": "2024-09-03"})),
		syncproto.StatusApplied, "")
	step("re-dated", off, []any{}, 2)

	// An edit that leaves the date alone touches no photo.
	before := [2]int64{version(syncproto.CollPhotos, shaMay), version(syncproto.CollPhotos, shaSep)}
	wantResult(t, push1(w1, ruhutest.Upsert(invs, "inv1", version(invs, "inv1"), map[string]any{"findings": "复核"})),
		syncproto.StatusApplied, "")
	if after := [2]int64{version(syncproto.CollPhotos, shaMay), version(syncproto.CollPhotos, shaSep)}; after != before {
		t.Fatalf("an edit without a date change re-versioned photos: %v → %v", before, after)
	}
	step("findings edited", off, []any{}, 2)

	// A second investigation in May clears May's photo; deleting it flags
	// the photo again.
	wantResult(t, push1(w1, ruhutest.Upsert(invs, "inv2", 0, map[string]any{"household_id": "hh1", "date": "2024-05-01"})),
		syncproto.StatusApplied, "")
	step("second investigation", []any{}, []any{}, 3)
	v2 := version(invs, "inv2")
	wantResult(t, push1(w1, ruhutest.Delete(invs, "inv2", v2)), syncproto.StatusApplied, "")
	step("second investigation deleted", off, []any{}, 4)

	// Revived by a conflict's resolution, its date counts again.
	res := push1(env.Login("worker2", "tab-02"), ruhutest.Upsert(invs, "inv2", v2, map[string]any{"findings": "离线补记"}))
	if res.Status != syncproto.StatusConflict {
		t.Fatalf("edit of the deleted investigation: %+v", res)
	}
	env.Login("reviewer1", "pc-r1").JSON(http.MethodPost, "/v1/conflicts/"+res.ConflictID+"/resolve",
		map[string]any{"choice": "client"}, http.StatusOK, nil)
	step("second investigation revived", []any{}, []any{}, 5)
	if _, broken := verifyAudit(t, env); broken {
		t.Fatal("audit chain broken")
	}
}
