package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
	"github.com/ruhu-org/ruhu/syncproto/exif"
)

// Issue #16, part 2: village positions from the admin API, and the
// evidence flags a photo filing gets from them and from the household's
// investigation dates.

// village is where the demo village t1-v1 is put (a village of Guizhou).
var village = syncproto.UnitPosition{Lat: ptr(26.5800), Lng: ptr(106.7100)}

func ptr[T any](v T) *T { return &v }

// setPosition puts unit at p as the client c, answering want.
func setPosition(c *ruhutest.Client, unit string, p syncproto.UnitPosition, want int) []byte {
	c.E.T.Helper()
	st, body := c.Do(http.MethodPut, "/v1/admin/units/"+unit+"/position", p)
	if st != want {
		c.E.T.Fatalf("PUT position of %s: status %d, want %d: %s", unit, st, want, body)
	}
	return body
}

// unitOf finds unit id in GET /v1/admin/units as c.
func unitOf(t *testing.T, c *ruhutest.Client, id string) syncproto.Unit {
	t.Helper()
	var list syncproto.UnitList
	c.JSON(http.MethodGet, "/v1/admin/units", nil, http.StatusOK, &list)
	for _, u := range list.Units {
		if u.ID == id {
			return u
		}
	}
	t.Fatalf("unit %s not listed", id)
	return syncproto.Unit{}
}

func testAdminSetsVillagePosition(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	admin := env.Login("admin", "dev-admin")
	if u := unitOf(t, admin, "t1-v1"); u.Lat != nil || u.Lng != nil {
		t.Fatalf("unset position listed as %v, %v", u.Lat, u.Lng)
	}
	var got syncproto.Unit
	admin.JSON(http.MethodPut, "/v1/admin/units/t1-v1/position", village, http.StatusOK, &got)
	if got.ID != "t1-v1" || got.Lat == nil || *got.Lat != *village.Lat || *got.Lng != *village.Lng {
		t.Fatalf("PUT answered %+v", got)
	}
	if u := unitOf(t, admin, "t1-v1"); u.Lat == nil || *u.Lat != *village.Lat || *u.Lng != *village.Lng {
		t.Fatalf("listed as %+v", u)
	}
	if au := auditOf(t, env, "unit", "t1-v1"); len(au) == 0 || au[len(au)-1].Action != "unit.position" ||
		detailOf(t, au[len(au)-1])["lat"] != *village.Lat {
		t.Fatalf("audit of t1-v1: %+v", au)
	}

	for name, p := range map[string]syncproto.UnitPosition{
		"lat too big":   {Lat: ptr(90.5), Lng: ptr(106.0)},
		"lng too small": {Lat: ptr(26.0), Lng: ptr(-181.0)},
		"lng missing":   {Lat: ptr(26.0)},
	} {
		st, body := admin.Do(http.MethodPut, "/v1/admin/units/t1-v1/position", p)
		t.Run(name, func(t *testing.T) { wantProblem(t, st, body, http.StatusUnprocessableEntity, syncproto.CodeValidation) })
	}
	st, body := admin.Do(http.MethodPut, "/v1/admin/units/nowhere/position", village)
	wantProblem(t, st, body, http.StatusNotFound, syncproto.CodeNotFound)

	// An admin of township t1 sets its villages, not t2's; a worker none.
	admin.JSON(http.MethodPost, "/v1/admin/users", syncproto.CreateUserRequest{Username: "admin-t1", Password: ruhutest.Password,
		DisplayName: "乡镇管理员", Roles: []string{syncproto.RoleAdmin}, UnitID: "t1", IDNumber: ruhutest.IDNumber(921)},
		http.StatusCreated, nil)
	a1 := env.Login("admin-t1", "dev-a1")
	setPosition(a1, "t1-v2", village, http.StatusOK)
	st, body = a1.Do(http.MethodPut, "/v1/admin/units/t2-v1/position", village)
	wantProblem(t, st, body, http.StatusNotFound, syncproto.CodeNotFound)
	st, body = env.Login("worker1", "tab-01").Do(http.MethodPut, "/v1/admin/units/t1-v1/position", village)
	wantProblem(t, st, body, http.StatusForbidden, syncproto.CodeForbidden)
	if u := unitOf(t, admin, "t2-v1"); u.Lat != nil {
		t.Fatalf("t2-v1 got a position: %+v", u)
	}
}

// exifJPEG is testJPEG(seed) carrying capture time taken (none when zero)
// and position gps (none when nil) in its EXIF.
func exifJPEG(t testing.TB, seed uint8, taken time.Time, gps *exif.GPS) ([]byte, string) {
	t.Helper()
	plain, _ := testJPEG(t, seed)
	data := exif.Insert(plain, exif.Segment(taken, gps))
	sum := sha256.Sum256(data)
	return data, hex.EncodeToString(sum[:])
}

// north returns the position d metres due north of p.
func north(p syncproto.UnitPosition, d float64) *exif.GPS {
	return &exif.GPS{Lat: *p.Lat + d/111195, Lon: *p.Lng}
}

func testPhotoEvidenceFlags(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	setPosition(env.Login("admin", "dev-admin"), "t1-v1", village, http.StatusOK)
	w1 := env.Login("worker1", "tab-01")
	push1(w1, ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1)))
	push1(w1, ruhutest.Upsert(hhs, "hh2", 0, ruhutest.Household("t1-v1", 2)))
	push1(w1, ruhutest.Upsert(syncproto.CollInvestigations, "inv1", 0, map[string]any{"household_id": "hh1", "date": "2024-05-01"}))
	cst := time.FixedZone("CST", 8*3600)
	visit := time.Date(2024, 5, 1, 10, 0, 0, 0, cst)
	at := &exif.GPS{Lat: *village.Lat, Lon: *village.Lng}

	type want struct {
		flags []any
		dist  any // float64 metres (± 1 %), or nil for none
	}
	scenarios := []struct {
		name      string
		household string
		taken     time.Time
		gps       *exif.GPS
		want      want
	}{
		{"10 km away", "hh1", visit, north(village, 10000), want{[]any{syncproto.PhotoFlagFarFromVillage}, 10000.0}},
		{"at the village", "hh1", visit.AddDate(0, 0, 2), at, want{[]any{}, 0.0}},
		{"2.5 km away", "hh1", visit, north(village, 2500), want{[]any{}, 2500.0}},
		{"90 days before the investigation", "hh1", visit.AddDate(0, 0, -90), at,
			want{[]any{syncproto.PhotoFlagOffInvestigationDate}, 0.0}},
		{"30 days after the investigation", "hh1", visit.AddDate(0, 0, 30), at, want{[]any{}, 0.0}},
		{"household without investigation", "hh2", visit.AddDate(-3, 0, 0), at, want{[]any{}, 0.0}},
		{"no EXIF", "hh1", time.Time{}, nil,
			want{[]any{syncproto.PhotoFlagNoPosition, syncproto.PhotoFlagNoCaptureTime}, nil}},
	}
	for i, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			data, sha := exifJPEG(t, uint8(40+i), sc.taken, sc.gps)
			if got := upload(t, w1, data, sha, sc.household, "house"); got != http.StatusNoContent {
				t.Fatalf("upload: status %d", got)
			}
			state, _ := stateOf(w1, "")
			f := fieldsOf(t, live(t, state, syncproto.CollPhotos, sha))
			if !reflect.DeepEqual(f["flags"], sc.want.flags) {
				t.Errorf("flags %v, want %v", f["flags"], sc.want.flags)
			}
			d, ok := f["distance_m"].(float64)
			switch w, _ := sc.want.dist.(float64); {
			case sc.want.dist == nil && f["distance_m"] != nil:
				t.Errorf("distance_m %v, want none", f["distance_m"])
			case sc.want.dist != nil && (!ok || math.Abs(d-w) > 0.01*w+1):
				t.Errorf("distance_m %v, want %v", f["distance_m"], w)
			}
			if au := auditOf(t, env, syncproto.CollPhotos, sha); len(au) != 1 ||
				!reflect.DeepEqual(detailOf(t, au[0])["flags"], sc.want.flags) {
				t.Errorf("audit %+v, want flags %v", au, sc.want.flags)
			}
		})
	}

	// The county may widen the limit: 10 km away is then near enough.
	setSetting(t, env, engine.SettingPhotoMaxDistanceKm, "12")
	data, sha := exifJPEG(t, 90, visit, north(village, 10000))
	if got := upload(t, w1, data, sha, "hh1", "house"); got != http.StatusNoContent {
		t.Fatalf("upload: status %d", got)
	}
	state, _ := stateOf(w1, "")
	if f := fieldsOf(t, live(t, state, syncproto.CollPhotos, sha)); !reflect.DeepEqual(f["flags"], []any{}) {
		t.Fatalf("with photo.max_distance_km 12, flags %v", f["flags"])
	}
}
