package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"reflect"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Issue #16: one picture, several filings, through the real HTTP API
// (tus upload, /v1/photos/missing, pull, GET of the photo).

// testJPEG is a small JPEG whose content depends on seed.
func testJPEG(t testing.TB, seed uint8) ([]byte, string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = seed + uint8(i%7)
	}
	img.Set(0, 0, color.RGBA{seed, 0, 0, 255})
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b.Bytes())
	return b.Bytes(), hex.EncodeToString(sum[:])
}

// upload sends data in one tus creation and one PATCH, filed under
// household as kind; it returns the status of the PATCH (or of the POST
// when that refused).
func upload(t testing.TB, c *ruhutest.Client, data []byte, sha, household, kind string) int {
	t.Helper()
	return c.Upload(data, sha, household, kind, "")
}

// askMissing posts req to /v1/photos/missing.
func askMissing(c *ruhutest.Client, req syncproto.MissingPhotosRequest) syncproto.MissingPhotosResponse {
	var res syncproto.MissingPhotosResponse
	c.JSON(http.MethodPost, "/v1/photos/missing", req, http.StatusOK, &res)
	return res
}

func testPhotoFiledUnderTwoHouseholds(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w1, w2 := env.Login("worker1", "tab-01"), env.Login("worker2", "tab-02")
	push1(w1, ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1)))
	push1(w1, ruhutest.Upsert(hhs, "hh2", 0, ruhutest.Household("t1-v1", 2)))
	data, sha := testJPEG(t, 10)
	first := syncproto.PhotoFiling{SHA256: sha, HouseholdID: "hh1", Kind: "notice"}
	second := syncproto.PhotoFiling{SHA256: sha, HouseholdID: "hh2", Kind: "notice"}
	if got := upload(t, w1, data, sha, "hh1", "notice"); got != http.StatusNoContent {
		t.Fatalf("first upload: status %d", got)
	}

	// The server holds the content, but not the second filing: the client
	// must hear so, and its upload (the bytes again) files it.
	res := askMissing(w2, syncproto.MissingPhotosRequest{SHA256: []string{sha}, Filings: []syncproto.PhotoFiling{first, second}})
	if len(res.Missing) != 0 || !reflect.DeepEqual(res.MissingFilings, []syncproto.PhotoFiling{second}) {
		t.Fatalf("missing = %+v, want only the filing under hh2", res)
	}
	if got := upload(t, w2, data, sha, "hh2", "notice"); got != http.StatusNoContent {
		t.Fatalf("second upload: status %d", got)
	}
	if res := askMissing(w2, syncproto.MissingPhotosRequest{Filings: []syncproto.PhotoFiling{first, second}}); len(res.MissingFilings) != 0 {
		t.Fatalf("after both uploads missing_filings = %+v", res.MissingFilings)
	}

	// Both files hold it: two records in the feed, each naming the content.
	state, _ := stateOf(w1, "")
	secondID := syncproto.PhotoFilingID(sha, "hh2", "notice")
	for id, hh := range map[string]string{sha: "hh1", secondID: "hh2"} {
		f := fieldsOf(t, live(t, state, syncproto.CollPhotos, id))
		if f["household_id"] != hh || f["sha256"] != sha || f["kind"] != "notice" {
			t.Fatalf("filing %s fields %v, want household %s", id, f, hh)
		}
		if au := auditOf(t, env, syncproto.CollPhotos, id); len(au) != 1 || au[0].Action != "photo.add" ||
			detailOf(t, au[0])["sha256"] != sha || detailOf(t, au[0])["household_id"] != hh {
			t.Fatalf("audit of filing %s: %+v", id, au)
		}
	}
	// Uploading it once more for hh2 files nothing new.
	if got := upload(t, w2, data, sha, "hh2", "notice"); got != http.StatusNoContent {
		t.Fatalf("third upload: status %d", got)
	}
	if again, _ := stateOf(w1, ""); again[syncproto.CollPhotos+"/"+secondID].Version != state[syncproto.CollPhotos+"/"+secondID].Version {
		t.Fatal("uploading an existing filing again changed its record")
	}
	if st, body := w2.Do(http.MethodGet, "/v1/photos/"+sha+"/thumb", nil); st != http.StatusOK || len(body) == 0 {
		t.Fatalf("GET thumb: %d", st)
	}
}

func testPhotoMissingIsScopedToTheCaller(t *testing.T, newEnv NewEnv) {
	env := newEnv(t)
	w1, w3 := env.Login("worker1", "tab-01"), env.Login("worker3", "tab-03")
	push1(w1, ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1-v1", 1)))
	push1(w3, ruhutest.Upsert(hhs, "hh3", 0, ruhutest.Household("t2-v1", 3)))
	data, sha := testJPEG(t, 20)
	if got := upload(t, w1, data, sha, "hh1", "document"); got != http.StatusNoContent {
		t.Fatalf("upload: status %d", got)
	}

	// Another township: the content is "missing" whichever way it asks,
	// and the filing under hh1 (not its household) too.
	foreign := syncproto.PhotoFiling{SHA256: sha, HouseholdID: "hh1", Kind: "document"}
	own := syncproto.PhotoFiling{SHA256: sha, HouseholdID: "hh3", Kind: "document"}
	res := askMissing(w3, syncproto.MissingPhotosRequest{SHA256: []string{sha}, Filings: []syncproto.PhotoFiling{foreign, own}})
	if !reflect.DeepEqual(res.Missing, []string{sha}) || !reflect.DeepEqual(res.MissingFilings, []syncproto.PhotoFiling{foreign, own}) {
		t.Fatalf("worker3 missing = %+v, want everything", res)
	}
	if st, _ := w3.Do(http.MethodGet, "/v1/photos/"+sha+"/thumb", nil); st != http.StatusNotFound {
		t.Fatalf("worker3 GET before its own filing: %d, want 404", st)
	}
	// The same answer as for content nobody has.
	_, other := testJPEG(t, 30)
	if res := askMissing(w3, syncproto.MissingPhotosRequest{SHA256: []string{other}}); !reflect.DeepEqual(res.Missing, []string{other}) {
		t.Fatalf("unknown content missing = %+v", res)
	}

	// Sending the bytes proves it holds them: filed under hh3, seen by
	// worker3 only as its own filing, never as hh1's.
	if got := upload(t, w3, data, sha, "hh3", "document"); got != http.StatusNoContent {
		t.Fatalf("worker3 upload: status %d", got)
	}
	state3, _ := stateOf(w3, "")
	if len(state3) != 2 || fieldsOf(t, live(t, state3, syncproto.CollPhotos, syncproto.PhotoFilingID(sha, "hh3", "document")))["household_id"] != "hh3" {
		t.Fatalf("worker3 pulled %v", state3)
	}
	if st, _ := w3.Do(http.MethodGet, "/v1/photos/"+sha+"/thumb", nil); st != http.StatusOK {
		t.Fatalf("worker3 GET after its filing: %d", st)
	}
	if state1, _ := stateOf(w1, ""); len(state1) != 2 {
		t.Fatalf("worker1 pulled %d records, want hh1 and its photo", len(state1))
	}
	if res := askMissing(w3, syncproto.MissingPhotosRequest{Filings: []syncproto.PhotoFiling{foreign, own}}); !reflect.DeepEqual(res.MissingFilings, []syncproto.PhotoFiling{foreign}) {
		t.Fatalf("worker3 missing_filings after upload = %+v", res.MissingFilings)
	}
}
