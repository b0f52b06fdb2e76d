package photos_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// tusClient speaks tus 1.0 by hand, as a device would: POST to create with
// Upload-Length and Upload-Metadata, PATCH with Upload-Offset, HEAD to
// resume.
type tusClient struct {
	t     testing.TB
	url   string // the server's base URL
	token string
}

func newTus(c *ruhutest.Client) *tusClient {
	return &tusClient{t: c.E.T, url: c.E.URL, token: c.Token}
}

// answer is an HTTP response with its body read.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// problem decodes a problem+json body.
func (a answer) problem(t testing.TB) syncproto.Problem {
	t.Helper()
	var p syncproto.Problem
	if ct := a.header.Get("Content-Type"); ct != syncproto.ProblemContentType {
		t.Fatalf("status %d with Content-Type %q, want problem+json: %s", a.status, ct, a.body)
	}
	if err := json.Unmarshal(a.body, &p); err != nil {
		t.Fatalf("problem body: %v: %s", err, a.body)
	}
	return p
}

// wantProblem checks an error answer's status and code; code "" checks
// only the status (a HEAD answer has no body).
func (a answer) wantProblem(t testing.TB, status int, code string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d: %s", a.status, status, a.body)
	}
	if code == "" {
		return
	}
	if p := a.problem(t); p.Code != code || p.Status != status {
		t.Fatalf("problem %+v, want code %q", p, code)
	}
}

func (c *tusClient) do(method, url string, header map[string]string, body []byte) answer {
	c.t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := tusHTTP.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header, b}
}

// tusHTTP opens a connection per request: a PATCH is not retried by
// net/http, and on a loaded machine a pooled connection the server has just
// closed (an upload cut or timed out on purpose) would fail it with EOF.
var tusHTTP = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// metadata encodes an Upload-Metadata header (keys sorted).
func metadata(m map[string]string) string {
	var pairs []string
	for k, v := range m {
		pairs = append(pairs, k+" "+base64.StdEncoding.EncodeToString([]byte(v)))
	}
	slices.Sort(pairs)
	return strings.Join(pairs, ",")
}

// photoMeta is the metadata of a photo upload.
func photoMeta(sha, household, kind string) map[string]string {
	return map[string]string{syncproto.UploadMetaSHA256: sha, syncproto.UploadMetaHousehold: household,
		syncproto.UploadMetaKind: kind, syncproto.UploadMetaFilename: "IMG_0001.jpg"}
}

// create starts an upload of size bytes; Location is in the answer.
func (c *tusClient) create(size int, meta map[string]string) answer {
	c.t.Helper()
	return c.do(http.MethodPost, c.url+"/v1/uploads/", map[string]string{
		"Upload-Length": strconv.Itoa(size), "Upload-Metadata": metadata(meta)}, nil)
}

// patch sends chunk at offset.
func (c *tusClient) patch(location string, offset int, chunk []byte) answer {
	c.t.Helper()
	return c.do(http.MethodPatch, location, map[string]string{"Upload-Offset": strconv.Itoa(offset),
		"Content-Type": "application/offset+octet-stream"}, chunk)
}

func (c *tusClient) head(location string) answer {
	c.t.Helper()
	return c.do(http.MethodHead, location, nil, nil)
}

// mustCreate creates an upload and returns its URL.
func (c *tusClient) mustCreate(size int, meta map[string]string) string {
	c.t.Helper()
	a := c.create(size, meta)
	loc := a.header.Get("Location")
	if a.status != http.StatusCreated || loc == "" {
		c.t.Fatalf("create: %d (Location %q): %s", a.status, loc, a.body)
	}
	return loc
}

// upload creates an upload of data and sends it in one PATCH, returning
// the PATCH's answer.
func (c *tusClient) upload(data []byte, meta map[string]string) answer {
	c.t.Helper()
	return c.patch(c.mustCreate(len(data), meta), 0, data)
}

// mustUpload uploads data and requires 204.
func (c *tusClient) mustUpload(data []byte, meta map[string]string) {
	c.t.Helper()
	if a := c.upload(data, meta); a.status != http.StatusNoContent {
		c.t.Fatalf("upload: %d %s", a.status, a.body)
	}
}

func shaHex(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// get fetches a photo variant as client c.
func get(c *ruhutest.Client, sha, variant string, header map[string]string) answer {
	c.E.T.Helper()
	tc := newTus(c)
	return tc.do(http.MethodGet, c.E.URL+"/v1/photos/"+sha+"/"+variant, header, nil)
}

func decodeJPEG(t testing.TB, b []byte) image.Image {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a JPEG: %v", err)
	}
	return img
}
