package photos

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/syncproto"
)

func newTestStore(t *testing.T) (*Store, string) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "photos")
	s, err := NewStore(root)
	if err != nil {
		t.Fatal(err)
	}
	return s, root
}

// readVariant returns the content of one variant and checks Open's FileInfo.
func readVariant(t *testing.T, s *Store, sha, variant string) []byte {
	t.Helper()
	f, info, err := s.Open(sha, variant)
	if err != nil {
		t.Fatalf("Open %s: %v", variant, err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() != int64(len(data)) || time.Since(info.ModTime()) > time.Minute {
		t.Errorf("%s: info size %d mod %v, read %d bytes", variant, info.Size(), info.ModTime(), len(data))
	}
	return data
}

// tempEntries lists what unfinished Puts left behind.
func tempEntries(t *testing.T, root string) []os.DirEntry {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(root, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func TestStorePutOpen(t *testing.T) {
	s, root := newTestStore(t)
	original := []byte("pretend this is a 4 MB photo of a house")
	path, sha := writeTemp(t, original)
	if s.Has(sha) {
		t.Fatal("empty store has the photo")
	}
	existed, err := s.Put(sha, path, []byte("large"), []byte("thumb"))
	if err != nil || existed {
		t.Fatalf("Put = %v, %v; want false, nil", existed, err)
	}
	if !s.Has(sha) {
		t.Error("Has = false after Put")
	}
	for variant, want := range map[string]string{
		syncproto.VariantOriginal: string(original), syncproto.VariantLarge: "large", syncproto.VariantThumb: "thumb",
	} {
		if got := readVariant(t, s, sha, variant); string(got) != want {
			t.Errorf("%s = %q, want %q", variant, got, want)
		}
	}
	info, err := os.Stat(filepath.Join(root, sha[:2], sha, "large.jpg"))
	if err != nil {
		t.Fatalf("not laid out as root/ab/abc…/large.jpg: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("large.jpg has mode %o, want 600", perm)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("Put took the caller's file away: %v", err)
	}
	if n := len(tempEntries(t, root)); n != 0 {
		t.Errorf("%d entries left in tmp", n)
	}
}

func TestStorePutTwiceStoresOnce(t *testing.T) {
	s, root := newTestStore(t)
	path, sha := writeTemp(t, []byte("the same photo"))
	if _, err := s.Put(sha, path, []byte("large 1"), []byte("thumb 1")); err != nil {
		t.Fatal(err)
	}
	existed, err := s.Put(sha, path, []byte("large 2"), []byte("thumb 2"))
	if err != nil || !existed {
		t.Fatalf("second Put = %v, %v; want true, nil", existed, err)
	}
	if got := readVariant(t, s, sha, syncproto.VariantLarge); string(got) != "large 1" {
		t.Errorf("second Put replaced large with %q", got)
	}
	entries, err := os.ReadDir(filepath.Join(root, sha[:2]))
	if err != nil || len(entries) != 1 {
		t.Errorf("shard holds %d entries (%v), want 1", len(entries), err)
	}
}

func TestStoreConcurrentPutsStoreOnce(t *testing.T) {
	s, root := newTestStore(t)
	path, sha := writeTemp(t, []byte("uploaded twice at once"))
	var wg sync.WaitGroup
	existed := make([]bool, 4)
	for i := range existed {
		wg.Go(func() {
			var err error
			if existed[i], err = s.Put(sha, path, []byte("large"), []byte("thumb")); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	stored := 0
	for _, e := range existed {
		if !e {
			stored++
		}
	}
	if stored != 1 {
		t.Errorf("%d Puts report storing the photo, want 1", stored)
	}
	if n := len(tempEntries(t, root)); n != 0 {
		t.Errorf("%d entries left in tmp", n)
	}
}

func TestStoreRejectsBadSHA(t *testing.T) {
	s, root := newTestStore(t)
	path, sha := writeTemp(t, []byte("photo"))
	for _, bad := range []string{"", sha[:63], sha + "0", strings.ToUpper(sha), "../../" + sha[6:], sha[:62] + "/x"} {
		_, err := s.Put(bad, path, []byte("l"), []byte("t"))
		wantCode(t, err, syncproto.CodeBadRequest)
		_, _, err = s.Open(bad, syncproto.VariantOriginal)
		wantCode(t, err, syncproto.CodeBadRequest)
		if s.Has(bad) {
			t.Errorf("Has(%q) = true", bad)
		}
	}
	entries, err := os.ReadDir(root)
	if err != nil || len(entries) != 1 {
		t.Errorf("store root holds %d entries (%v), want only tmp", len(entries), err)
	}
}

func TestStorePutRefusesWrongOriginal(t *testing.T) {
	s, root := newTestStore(t)
	_, sha := writeTemp(t, []byte("what the client hashed"))
	path, _ := writeTemp(t, []byte("what arrived"))
	_, err := s.Put(sha, path, []byte("l"), []byte("t"))
	wantCode(t, err, syncproto.CodeSHA256Mismatch)
	if s.Has(sha) {
		t.Error("Has = true after a refused Put")
	}
	if n := len(tempEntries(t, root)); n != 0 {
		t.Errorf("%d entries left in tmp", n)
	}
}

func TestStoreOpenNotFound(t *testing.T) {
	s, _ := newTestStore(t)
	path, sha := writeTemp(t, []byte("photo"))
	_, _, err := s.Open(sha, syncproto.VariantThumb)
	wantCode(t, err, syncproto.CodeNotFound)
	if _, err := s.Put(sha, path, []byte("l"), []byte("t")); err != nil {
		t.Fatal(err)
	}
	for _, variant := range []string{"", "medium", "thumb.jpg", "../original"} {
		_, _, err = s.Open(sha, variant)
		wantCode(t, err, syncproto.CodeNotFound)
	}
}

func TestNewStoreRemovesStaleTemp(t *testing.T) {
	root := filepath.Join(t.TempDir(), "photos")
	stale, fresh := filepath.Join(root, "tmp", "stale"), filepath.Join(root, "tmp", "fresh")
	for _, dir := range []string{stale, fresh} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := NewStore(root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temp dir still there (%v)", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temp dir removed: %v", err)
	}
}

func TestStoreProcessRoundTrip(t *testing.T) {
	s, _ := newTestStore(t)
	path, sum := writeTemp(t, encodeTestJPEG(t, solid(640, 480, grey)))
	res, err := Process(path, sum, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(res.SHA256, path, res.Large, res.Thumb); err != nil {
		t.Fatal(err)
	}
	if got := readVariant(t, s, res.SHA256, syncproto.VariantThumb); !bytes.Equal(got, res.Thumb) {
		t.Error("stored thumb differs from Process's")
	}
}
