package api_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A pull page is sent with its Content-Length, or gzipped (without one)
// when the client accepts gzip; pooled page buffers never mix pages: the
// bytes are the same page either way, page after page.
func TestPullPageLengthAndGzip(t *testing.T) {
	env := ruhutest.New(t)
	w := env.Login("worker1", "tab-01")
	var batch []syncproto.Mutation
	for i := range 12 {
		f := ruhutest.Household("t1-v1", i+1)
		f["notes"] = strings.Repeat("家庭情况说明。", 20) // pages past gzip's 1 KiB minimum
		batch = append(batch, ruhutest.Upsert(syncproto.CollHouseholds, fmt.Sprintf("h%02d", i), 0, f))
	}
	w.Push(batch...)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	get := func(cursor string, gz bool) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodGet, env.URL+"/v1/sync/pull?limit=5&cursor="+cursor, nil)
		req.Header.Set("Authorization", "Bearer "+w.Token)
		if gz {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("pull: %d %v %s", res.StatusCode, err, b)
		}
		return res, b
	}
	cursor, pages := "", 0
	for {
		res, plain := get(cursor, false)
		if cl := res.Header.Get("Content-Length"); cl != strconv.Itoa(len(plain)) || res.Header.Get("Content-Encoding") != "" {
			t.Fatalf("plain page: Content-Length %q, Content-Encoding %q, %d bytes", cl, res.Header.Get("Content-Encoding"), len(plain))
		}
		zres, zipped := get(cursor, true)
		if zres.Header.Get("Content-Encoding") != "gzip" || zres.Header.Get("Content-Length") == strconv.Itoa(len(plain)) {
			t.Fatalf("gzipped page: Content-Encoding %q, Content-Length %q", zres.Header.Get("Content-Encoding"), zres.Header.Get("Content-Length"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(zipped))
		if err != nil {
			t.Fatal(err)
		}
		unzipped, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(unzipped, plain) {
			t.Fatalf("gunzipped page differs (%v):\n%s\n%s", err, unzipped, plain)
		}
		var page syncproto.PullResponse
		if err := syncproto.DecodePull(plain, &page); err != nil {
			t.Fatal(err)
		}
		pages++
		if want := min(5, 12-5*(pages-1)); len(page.Changes) != want {
			t.Fatalf("page %d: %d changes, want %d", pages, len(page.Changes), want)
		}
		if cursor = page.Cursor; !page.HasMore {
			break
		}
	}
	if pages != 3 {
		t.Fatalf("%d pages, want 3", pages)
	}
}
