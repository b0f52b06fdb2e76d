package photos_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/server/photos"
	"github.com/ruhu-org/ruhu/syncproto"
)

// tusJSDir is the npm project that holds tus-js-client (.ci/run installs
// it with npm ci).
var tusJSDir = filepath.Join("testdata", "tusjs")

// tusJSResult is what upload.js prints.
type tusJSResult struct {
	OK     bool   `json:"ok"`
	URL    string `json:"url"`
	Chunks int    `json:"chunks"`
	Status int    `json:"status"`
	Body   string `json:"body"`
	Error  string `json:"error"`
}

// runTusJS uploads data with tus-js-client as c and returns its report.
func runTusJS(t *testing.T, token, endpoint string, data []byte, meta map[string]string) tusJSResult {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed; the tus-js-client interoperability test needs Node.js")
	}
	if _, err := os.Stat(filepath.Join(tusJSDir, "node_modules", "tus-js-client")); err != nil {
		t.Skip("tus-js-client is not installed: run `npm ci` in server/photos/testdata/tusjs (.ci/run does)")
	}
	file := filepath.Join(t.TempDir(), "photo.jpg")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	mj, err := json.Marshal(meta)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), node, "upload.js", file, endpoint)
	cmd.Dir = tusJSDir
	cmd.Env = append(os.Environ(), "RUHU_TOKEN="+token, "RUHU_METADATA="+string(mj))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, _ := cmd.Output() // a refusal exits 1 with its report on stdout
	var res tusJSResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("upload.js printed %q (%v); stderr: %s", out, err, stderr.Bytes())
	}
	return res
}

// gradient is a w×h JPEG that does not compress to nothing.
func gradient(t *testing.T, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 5), uint8((x ^ y) * 3), 255})
		}
	}
	return photos.EncodeTestJPEG(t, img)
}

func TestPhotoUploadWithTusJsClient(t *testing.T) {
	w := newWorld(t)
	endpoint := w.env.URL + "/v1/uploads/"
	data := photos.WithExif(gradient(t, 640, 480), photos.CameraExif(binary.BigEndian, 8, ""))
	sha := shaHex(data)
	res := runTusJS(t, w.w1.Token, endpoint, data, photoMeta(sha, "hh1", "interior"))
	if !res.OK || !strings.HasPrefix(res.URL, endpoint) || res.Chunks < 2 {
		t.Fatalf("tus-js-client: %+v (a %d-byte file in 16 KiB chunks)", res, len(data))
	}
	ch, ok := photoChanges(w.w1)[sha]
	if !ok {
		t.Fatal("the photo tus-js-client uploaded is not in pull")
	}
	var f syncproto.PhotoFields
	if err := json.Unmarshal(ch.Fields, &f); err != nil || f.Kind != "interior" || f.Width != 480 || f.Height != 640 {
		t.Fatalf("photo fields %s (%v)", ch.Fields, err)
	}
	if a := get(w.w1, sha, syncproto.VariantOriginal, nil); a.status != http.StatusOK || !bytes.Equal(a.body, data) {
		t.Fatalf("original: %d, %d bytes", a.status, len(a.body))
	}

	// A refusal reaches the client as a non-retried 4xx with the code.
	bad := gradient(t, 64, 64)
	res = runTusJS(t, w.w1.Token, endpoint, bad, photoMeta(shaHex(data), "hh1", "house"))
	if res.OK || res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, syncproto.CodeSHA256Mismatch) {
		t.Fatalf("tus-js-client with a wrong sha256: %+v", res)
	}
}
