package photos_test

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server/app"
	"github.com/ruhu-org/ruhu/server/photos"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Issue #5: photo uploads over tus, end to end through the real server.

// world is a server with a household in village t1-v1 (worker1's and
// worker2's) and one in t2-v1 (worker3's).
type world struct {
	env        *ruhutest.Env
	w1, w2, w3 *ruhutest.Client
	t1, t3     *tusClient // worker1's and worker3's tus clients
}

func newWorld(t *testing.T, opts ...ruhutest.Option) *world {
	t.Helper()
	env := ruhutest.New(t, opts...)
	w := &world{env: env, w1: env.Login("worker1", "tab-01"), w2: env.Login("worker2", "tab-02"),
		w3: env.Login("worker3", "tab-03")}
	w.t1, w.t3 = newTus(w.w1), newTus(w.w3)
	for _, p := range []struct {
		c      *ruhutest.Client
		id, vl string
		head   int
	}{{w.w1, "hh1", "t1-v1", 1}, {w.w1, "hh2", "t1-v1", 2}, {w.w3, "hh3", "t2-v1", 3}} {
		res := p.c.Push(ruhutest.Upsert(syncproto.CollHouseholds, p.id, 0, ruhutest.Household(p.vl, p.head)))
		if res.Results[0].Status != syncproto.StatusApplied {
			t.Fatalf("household %s: %+v", p.id, res.Results[0])
		}
	}
	return w
}

// photoChanges returns the photos records c pulls, by id.
func photoChanges(c *ruhutest.Client) map[string]syncproto.Change {
	all, _ := c.PullAll("")
	out := map[string]syncproto.Change{}
	for _, ch := range all {
		if ch.Collection == syncproto.CollPhotos {
			out[ch.ID] = ch
		}
	}
	return out
}

// storedPhotos lists the photo directories in the store.
func storedPhotos(t *testing.T, env *ruhutest.Env) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(env.Dir, "photos", "[0-9a-f][0-9a-f]", "*"))
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

// pendingUploads lists the files in the upload directory.
func pendingUploads(t *testing.T, env *ruhutest.Env) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(env.Dir, "uploads"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// housePhoto is a small JPEG; n makes its content (and SHA-256) unique.
func housePhoto(t *testing.T, n int) []byte {
	return photos.WithSegment(photos.EncodeTestJPEG(t, photos.MarkedLandscape()), 0xFE, []byte(fmt.Sprint("photo ", n)))
}

// cutPatch sends the first half of data as a PATCH that announces all of
// it, then shuts the connection's sending side, as a weak link would, and
// waits for the server's answer.
func cutPatch(t *testing.T, tc *tusClient, location string, data []byte) {
	t.Helper()
	u, err := url.Parse(location)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nTus-Resumable: 1.0.0\r\n"+
		"Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: %d\r\n\r\n",
		u.Path, u.Host, tc.token, len(data))
	if _, err := conn.Write(data[:len(data)/2]); err != nil {
		t.Fatal(err)
	}
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if res, err := http.ReadResponse(bufio.NewReader(conn), nil); err == nil {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		// Not a bad request: the link was cut (status 499, as nginx logs
		// a client that went away).
		answer{res.StatusCode, res.Header, b}.wantProblem(t, photos.StatusClientClosed, syncproto.CodeTransferInterrupted)
	}
}

func TestPhotoUploadResumesAfterCut(t *testing.T) {
	w := newWorld(t)
	data := housePhoto(t, 1)
	sha := shaHex(data)
	loc := w.t1.mustCreate(len(data), photoMeta(sha, "hh1", "house"))
	if !strings.Contains(loc, "/v1/uploads/") {
		t.Fatalf("Location %q is not under /v1/uploads/", loc)
	}
	cutPatch(t, w.t1, loc, data)

	h := w.t1.head(loc)
	half := len(data) / 2
	if h.status != http.StatusOK || h.header.Get("Upload-Offset") != strconv.Itoa(half) ||
		h.header.Get("Upload-Length") != strconv.Itoa(len(data)) {
		t.Fatalf("HEAD after the cut: %d, offset %q length %q; want offset %d", h.status,
			h.header.Get("Upload-Offset"), h.header.Get("Upload-Length"), half)
	}
	if _, ok := photoChanges(w.w1)[sha]; ok {
		t.Fatal("a half upload is already a photo")
	}
	w.t1.patch(loc, 0, data).wantProblem(t, http.StatusConflict, "mismatched_offset")
	if a := w.t1.patch(loc, half, data[half:]); a.status != http.StatusNoContent {
		t.Fatalf("resumed PATCH: %d %s", a.status, a.body)
	}
	ch, ok := photoChanges(w.w1)[sha]
	if !ok || ch.Deleted {
		t.Fatalf("photo %s not in pull after the resumed upload", sha)
	}
	orig := get(w.w1, sha, syncproto.VariantOriginal, nil)
	if orig.status != http.StatusOK || !bytes.Equal(orig.body, data) {
		t.Fatalf("original: %d, %d bytes (want the %d uploaded)", orig.status, len(orig.body), len(data))
	}
	if got := pendingUploads(t, w.env); len(got) != 0 {
		t.Fatalf("upload files left after completion: %v", got)
	}
	w.t1.head(loc).wantProblem(t, http.StatusNotFound, "")
}

func TestPhotoRefusedOnCompletion(t *testing.T) {
	w := newWorld(t)
	good := housePhoto(t, 2)
	scenarios := []struct {
		name   string
		data   []byte
		sha    string
		status int
		code   string
	}{
		{"wrong sha256", good, shaHex([]byte("another file")), http.StatusUnprocessableEntity, syncproto.CodeSHA256Mismatch},
		{"decompression bomb", photos.PNGBomb(100_000, 100_000), "", http.StatusUnprocessableEntity, syncproto.CodeImageTooLarge},
		{"not an image", []byte("%PDF-1.4 a scanned form"), "", http.StatusUnsupportedMediaType, syncproto.CodeNotAnImage},
		{"truncated JPEG", good[:len(good)/3], "", http.StatusUnsupportedMediaType, syncproto.CodeNotAnImage},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			sha := sc.sha
			if sha == "" {
				sha = shaHex(sc.data)
			}
			loc := w.t1.mustCreate(len(sc.data), photoMeta(sha, "hh1", "house"))
			w.t1.patch(loc, 0, sc.data).wantProblem(t, sc.status, sc.code)
			if _, ok := photoChanges(w.w1)[sha]; ok {
				t.Fatal("a refused upload became a photo")
			}
			if got := pendingUploads(t, w.env); len(got) != 0 {
				t.Fatalf("refused upload kept: %v", got)
			}
			w.t1.head(loc).wantProblem(t, http.StatusNotFound, "")
		})
	}
	if got := storedPhotos(t, w.env); len(got) != 0 {
		t.Fatalf("refused uploads stored: %v", got)
	}
}

func TestPhotoRefusedOnCreation(t *testing.T) {
	w := newWorld(t, func(c *app.Config) { c.MaxUploadSize = 64 << 10 })
	sha := shaHex([]byte("x"))
	scenarios := []struct {
		name   string
		tc     *tusClient
		size   int
		meta   map[string]string
		status int
		code   string
	}{
		{"over the size limit", w.t1, 64<<10 + 1, photoMeta(sha, "hh1", "house"), http.StatusRequestEntityTooLarge, syncproto.CodePayloadTooLarge},
		{"unknown kind", w.t1, 10, photoMeta(sha, "hh1", "selfie"), http.StatusUnprocessableEntity, syncproto.CodeInvalidKind},
		{"sha256 not hex", w.t1, 10, photoMeta("abc", "hh1", "house"), http.StatusUnprocessableEntity, syncproto.CodeValidation},
		{"sha256 upper case", w.t1, 10, photoMeta(strings.ToUpper(sha), "hh1", "house"), http.StatusUnprocessableEntity, syncproto.CodeValidation},
		{"no household", w.t1, 10, photoMeta(sha, "", "house"), http.StatusUnprocessableEntity, syncproto.CodeValidation},
		{"unknown household", w.t1, 10, photoMeta(sha, "nope", "house"), http.StatusUnprocessableEntity, syncproto.CodeUnknownHousehold},
		{"another village's household", w.t3, 10, photoMeta(sha, "hh1", "house"), http.StatusForbidden, syncproto.CodeOutOfScope},
		{"no token", &tusClient{t: t, url: w.env.URL}, 10, photoMeta(sha, "hh1", "house"), http.StatusUnauthorized, syncproto.CodeUnauthenticated},
		{"admin", newTus(w.env.Login("admin", "pc")), 10, photoMeta(sha, "hh1", "house"), http.StatusForbidden, syncproto.CodeForbidden},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			a := sc.tc.create(sc.size, sc.meta)
			a.wantProblem(t, sc.status, sc.code)
		})
	}
	if got := pendingUploads(t, w.env); len(got) != 0 {
		t.Fatalf("refused creations left files: %v", got)
	}
	// A body longer than the announced length is refused too.
	loc := w.t1.mustCreate(10, photoMeta(sha, "hh1", "house"))
	w.t1.patch(loc, 0, make([]byte, 11)).wantProblem(t, http.StatusRequestEntityTooLarge, syncproto.CodePayloadTooLarge)
}

func TestPhotoOrientationSixComesOutUpright(t *testing.T) {
	w := newWorld(t)
	data := photos.WithExif(photos.EncodeTestJPEG(t, photos.MarkedLandscape()), photos.CameraExif(binary.LittleEndian, 6, "+08:00"))
	sha := shaHex(data)
	w.t1.mustUpload(data, photoMeta(sha, "hh1", "commitment"))

	ch := photoChanges(w.w1)[sha]
	f := map[string]any{}
	if err := json.Unmarshal(ch.Fields, &f); err != nil {
		t.Fatal(err)
	}
	gps, _ := f["gps"].(map[string]any)
	if f["household_id"] != "hh1" || f["kind"] != "commitment" || f["width"] != 200.0 || f["height"] != 400.0 ||
		f["taken_at"] != "2024-05-01T10:11:12+08:00" || f["uploaded_by"] != w.w1.Tokens.User.ID ||
		gps == nil || math.Abs(gps["lat"].(float64)-(30+15.0/60+30.5/3600)) > 1e-9 || gps["lon"] != 120+10.0/60 {
		t.Fatalf("photo fields %s", ch.Fields)
	}
	for variant, edge := range map[string]int{syncproto.VariantLarge: 400, syncproto.VariantThumb: 256} {
		a := get(w.w1, sha, variant, nil)
		if a.status != http.StatusOK || a.header.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("%s: %d %s", variant, a.status, a.header.Get("Content-Type"))
		}
		if bytes.Contains(a.body, []byte("Exif\x00\x00")) {
			t.Errorf("%s carries EXIF", variant)
		}
		img := decodeJPEG(t, a.body)
		if b := img.Bounds(); b.Dy() != edge || b.Dx() != edge/2 {
			t.Fatalf("%s is %v, want portrait with height %d", variant, b, edge)
		}
		if variant == syncproto.VariantLarge {
			for corner, want := range map[string]string{"tl": "grey", "tr": "red", "bl": "grey", "br": "green"} {
				if got := photos.CornerColour(img, corner); got != want {
					t.Errorf("large: corner %s is %s, want %s", corner, got, want)
				}
			}
		}
	}
}

func TestPhotoSameContentStoredOnce(t *testing.T) {
	w := newWorld(t)
	data := housePhoto(t, 3)
	sha := shaHex(data)
	w.t1.mustUpload(data, photoMeta(sha, "hh1", "house"))
	first := photoChanges(w.w1)[sha]
	// The same file again for the same household (another tablet, or a
	// retry after a lost answer): accepted, nothing new.
	newTus(w.w2).mustUpload(data, photoMeta(sha, "hh1", "house"))
	if got := photoChanges(w.w1); len(got) != 1 || got[sha].Version != first.Version {
		t.Fatalf("after the second upload: %v (first version %d)", got, first.Version)
	}
	if got := storedPhotos(t, w.env); len(got) != 1 || filepath.Base(got[0]) != sha {
		t.Fatalf("store holds %v, want the one photo", got)
	}
	// The same file for another household is a second filing of the one
	// stored content (issue #16).
	w.t1.mustUpload(data, photoMeta(sha, "hh2", "house"))
	if got := photoChanges(w.w1); len(got) != 2 {
		t.Fatalf("after the upload for hh2: %v, want two filings", got)
	}
	if got := storedPhotos(t, w.env); len(got) != 1 || filepath.Base(got[0]) != sha {
		t.Fatalf("store holds %v, want the one photo", got)
	}
}

func TestPhotoOnlyItsUploaderTouchesAnUpload(t *testing.T) {
	w := newWorld(t)
	data := housePhoto(t, 4)
	sha := shaHex(data)
	meta := photoMeta(sha, "hh1", "house")
	meta["ruhu_uploader"] = w.w3.Tokens.User.ID // a forged owner is dropped
	loc := w.t1.mustCreate(len(data), meta)
	if a := w.t1.patch(loc, 0, data[:100]); a.status != http.StatusNoContent {
		t.Fatalf("first chunk: %d %s", a.status, a.body)
	}
	for name, tc := range map[string]*tusClient{"another village": w.t3, "same village": newTus(w.w2)} {
		tc.head(loc).wantProblem(t, http.StatusForbidden, "")
		tc.patch(loc, 100, data[100:]).wantProblem(t, http.StatusForbidden, syncproto.CodeForbidden)
		tc.do(http.MethodDelete, loc, nil, nil).wantProblem(t, http.StatusForbidden, syncproto.CodeForbidden)
		if h := w.t1.head(loc); h.header.Get("Upload-Offset") != "100" {
			t.Fatalf("%s: offset %q after refused requests", name, h.header.Get("Upload-Offset"))
		}
	}
	w.t1.do(http.MethodPost, loc, nil, nil).wantProblem(t, http.StatusMethodNotAllowed, syncproto.CodeMethodNotAllowed)
	w.t3.head(strings.Replace(loc, loc[len(loc)-32:], strings.Repeat("0", 32), 1)).wantProblem(t, http.StatusNotFound, "")
	w.t3.head(loc+"/../x").wantProblem(t, http.StatusNotFound, "")
	if a := w.t1.do(http.MethodDelete, loc, nil, nil); a.status != http.StatusNoContent {
		t.Fatalf("owner's DELETE: %d %s", a.status, a.body)
	}
	w.t1.head(loc).wantProblem(t, http.StatusNotFound, "")
}

func TestPhotoServedOnlyInScope(t *testing.T) {
	w := newWorld(t)
	png := photos.EncodeTestPNG(t, photos.Solid(40, 30, color.RGBA{10, 200, 30, 255}))
	sha := shaHex(png)
	w.t1.mustUpload(png, photoMeta(sha, "hh1", "document"))

	orig := get(w.w1, sha, syncproto.VariantOriginal, nil)
	if orig.status != http.StatusOK || orig.header.Get("Content-Type") != "image/png" || !bytes.Equal(orig.body, png) ||
		orig.header.Get("ETag") != `"`+sha+`"` || orig.header.Get("Cache-Control") != "private, max-age=31536000, immutable" {
		t.Fatalf("original: %d %v", orig.status, orig.header)
	}
	thumb := get(w.w1, sha, syncproto.VariantThumb, nil)
	if thumb.status != http.StatusOK || thumb.header.Get("ETag") != `"`+sha+`-thumb"` || thumb.header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("thumb: %d %v", thumb.status, thumb.header)
	}
	if a := get(w.w1, sha, syncproto.VariantThumb, map[string]string{"If-None-Match": `"` + sha + `-thumb"`}); a.status != http.StatusNotModified || len(a.body) != 0 {
		t.Fatalf("If-None-Match: %d, %d bytes", a.status, len(a.body))
	}
	if a := get(w.w1, sha, syncproto.VariantOriginal, map[string]string{"Range": "bytes=0-7"}); a.status != http.StatusPartialContent || !bytes.Equal(a.body, png[:8]) {
		t.Fatalf("Range: %d %q", a.status, a.body)
	}
	for _, c := range []*ruhutest.Client{w.w2, w.env.Login("reviewer1", "pc-r1"), w.env.Login("county", "pc-c")} {
		if a := get(c, sha, syncproto.VariantLarge, nil); a.status != http.StatusOK {
			t.Fatalf("%s: %d %s", c.Tokens.User.Username, a.status, a.body)
		}
	}
	get(w.w3, sha, syncproto.VariantLarge, nil).wantProblem(t, http.StatusNotFound, syncproto.CodeNotFound)
	get(w.env.Login("reviewer2", "pc-r2"), sha, syncproto.VariantThumb, nil).wantProblem(t, http.StatusNotFound, syncproto.CodeNotFound)
	get(w.env.Login("admin", "pc-a"), sha, syncproto.VariantThumb, nil).wantProblem(t, http.StatusForbidden, syncproto.CodeForbidden)
	get(w.w1, sha, "exif", nil).wantProblem(t, http.StatusNotFound, syncproto.CodeNotFound)
	get(w.w1, shaHex([]byte("none")), syncproto.VariantLarge, nil).wantProblem(t, http.StatusNotFound, syncproto.CodeNotFound)
	if got := photoChanges(w.w3); len(got) != 0 {
		t.Fatalf("worker3 pulled photos %v", got)
	}
}

func TestPhotoMissing(t *testing.T) {
	w := newWorld(t)
	data := housePhoto(t, 5)
	sha, other := shaHex(data), shaHex([]byte("not uploaded"))
	w.t1.mustUpload(data, photoMeta(sha, "hh1", "house"))
	ask := func(shas ...string) []string {
		var out syncproto.MissingPhotosResponse
		w.w1.JSON(http.MethodPost, "/v1/photos/missing", syncproto.MissingPhotosRequest{SHA256: shas}, http.StatusOK, &out)
		return out.Missing
	}
	if got := ask(sha, other, strings.ToUpper(sha), other); len(got) != 1 || got[0] != other {
		t.Fatalf("missing = %v, want [%s]", got, other)
	}
	if got := ask(); got == nil || len(got) != 0 {
		t.Fatalf("missing of nothing = %#v, want []", got)
	}
	// Content lost from disk (a restore without the photo files): missing
	// again, and an upload puts it back.
	if err := os.RemoveAll(storedPhotos(t, w.env)[0]); err != nil {
		t.Fatal(err)
	}
	if got := ask(sha); len(got) != 1 {
		t.Fatalf("missing after losing the content = %v", got)
	}
	w.t1.mustUpload(data, photoMeta(sha, "hh1", "house"))
	if got := ask(sha); len(got) != 0 {
		t.Fatalf("missing after the upload = %v", got)
	}
	st, b := w.w1.Do(http.MethodPost, "/v1/photos/missing", syncproto.MissingPhotosRequest{SHA256: []string{"../etc"}})
	answer{st, http.Header{"Content-Type": {syncproto.ProblemContentType}}, b}.wantProblem(t, http.StatusUnprocessableEntity, syncproto.CodeValidation)
}

func TestPhotoAbandonedUploadsAreSwept(t *testing.T) {
	w := newWorld(t, func(c *app.Config) { c.UploadExpiry = 48 * time.Hour })
	data := housePhoto(t, 6)
	loc := w.t1.mustCreate(len(data), photoMeta(shaHex(data), "hh1", "house"))
	w.t1.patch(loc, 0, data[:50])
	sweep := func() int {
		n, err := w.env.App.Uploads.Sweep(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	w.env.Advance(47 * time.Hour)
	if n := sweep(); n != 0 || len(pendingUploads(t, w.env)) != 2 {
		t.Fatalf("swept %d before the expiry; left %v", n, pendingUploads(t, w.env))
	}
	w.env.Advance(2 * time.Hour)
	if n := sweep(); n != 1 || len(pendingUploads(t, w.env)) != 0 {
		t.Fatalf("swept %d after the expiry; left %v", n, pendingUploads(t, w.env))
	}
	newTus(w.env.Login("worker1", "tab-01")).head(loc).wantProblem(t, http.StatusNotFound, "")
}

func TestPhotoUploadLeftCompleteByACrash(t *testing.T) {
	w := newWorld(t)
	data := housePhoto(t, 7)
	// A crash after the last byte arrived but before processing leaves a
	// complete upload: HEAD must not report it done (offset = length), and
	// it is swept after an hour, not after the expiry.
	loc := w.t1.mustCreate(len(data), photoMeta(shaHex(data), "hh1", "house"))
	if err := os.WriteFile(filepath.Join(w.env.Dir, "uploads", path.Base(loc)), data, 0o600); err != nil {
		t.Fatal(err)
	}
	w.t1.head(loc).wantProblem(t, http.StatusNotFound, "")
	w.t1.patch(loc, len(data), nil).wantProblem(t, http.StatusNotFound, syncproto.CodeNotFound)
	sweep := func() int {
		n, err := w.env.App.Uploads.Sweep(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	w.env.Advance(50 * time.Minute)
	if n := sweep(); n != 0 {
		t.Fatalf("swept %d complete uploads younger than an hour", n)
	}
	w.env.Advance(20 * time.Minute)
	if n := sweep(); n != 1 || len(pendingUploads(t, w.env)) != 0 {
		t.Fatalf("swept %d; left %v", n, pendingUploads(t, w.env))
	}
}

// signInvestigation has worker1 and worker2 register a key and sign inv.
func signInvestigation(t *testing.T, w *world, inv string) {
	t.Helper()
	var ch syncproto.Change
	all, _ := w.w1.PullAll("")
	for _, c := range all {
		if c.Collection == syncproto.CollInvestigations && c.ID == inv {
			ch = c
		}
	}
	hash, err := syncproto.ContentHash(syncproto.CollInvestigations, inv, ch.Fields)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []*ruhutest.Client{w.w1, w.w2} {
		seed := sha256.Sum256(fmt.Appendf(nil, "photo test key %d", i))
		priv := ed25519.NewKeyFromSeed(seed[:])
		pub := priv.Public().(ed25519.PublicKey)
		c.JSON(http.MethodPost, "/v1/keys", syncproto.RegisterKeyRequest{PublicKey: base64.StdEncoding.EncodeToString(pub)}, http.StatusCreated, nil)
		res := c.Push(ruhutest.Upsert(syncproto.CollSignatures, fmt.Sprint("sig", i), 0, map[string]any{
			"investigation_id": inv, "key_id": syncproto.KeyID(pub), "content_hash": hash,
			"signature": syncproto.Sign(priv, hash), "signed_at": "2024-03-18T09:41:07+08:00", "role": "investigator"}))
		if r := res.Results[0]; r.Status != syncproto.StatusApplied {
			t.Fatalf("signature %d: %+v", i, r)
		}
	}
}

func TestPhotoCommitmentUnlocksSubmission(t *testing.T) {
	w := newWorld(t)
	w.w1.Push(ruhutest.Upsert(syncproto.CollInvestigations, "inv1", 0, map[string]any{"household_id": "hh1",
		"date": "2024-03-18", "findings": "户主患尿毒症。",
		"investigators": []string{w.w1.Tokens.User.ID, w.w2.Tokens.User.ID}}))
	signInvestigation(t, w, "inv1")
	submit := func() answer {
		st, b := w.w1.Do(http.MethodPost, "/v1/investigations/inv1/submit", nil)
		return answer{st, http.Header{"Content-Type": {syncproto.ProblemContentType}}, b}
	}
	submit().wantProblem(t, http.StatusConflict, syncproto.CodeCommitmentRequired)
	house := housePhoto(t, 8)
	w.t1.mustUpload(house, photoMeta(shaHex(house), "hh1", "house"))
	submit().wantProblem(t, http.StatusConflict, syncproto.CodeCommitmentRequired)
	signed := housePhoto(t, 9)
	newTus(w.w2).mustUpload(signed, photoMeta(shaHex(signed), "hh1", "commitment"))
	if a := submit(); a.status != http.StatusOK {
		t.Fatalf("submit with the commitment photo: %d %s", a.status, a.body)
	}
}
