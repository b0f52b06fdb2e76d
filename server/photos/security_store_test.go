package photos

import (
	"testing"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

func TestSecurityStoreRemove(t *testing.T) {
	s, root := newTestStore(t)
	path, sha := writeTemp(t, []byte("a photo that could not be filed"))
	if _, err := s.Put(sha, path, []byte("large"), []byte("thumb")); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(sha); err != nil {
		t.Fatal(err)
	}
	if s.Has(sha) {
		t.Error("Has = true after Remove")
	}
	if _, _, err := s.Open(sha, syncproto.VariantOriginal); server.ErrorCode(err) != syncproto.CodeNotFound {
		t.Errorf("Open after Remove: %v", err)
	}
	if n := len(tempEntries(t, root)); n != 0 {
		t.Errorf("%d entries left in tmp", n)
	}
	if err := s.Remove(sha); err != nil {
		t.Errorf("Remove of an absent photo: %v", err)
	}
	if err := s.Remove("../../etc"); server.ErrorCode(err) != syncproto.CodeBadRequest {
		t.Errorf("Remove of a path: %v", err)
	}
}
