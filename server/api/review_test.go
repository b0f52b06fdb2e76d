package api_test

import (
	"net/http"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A rejected mutation is kept with its payload and reason, visible to the
// pusher's village and the township above it, not to another township.
func TestRejectionsAreKeptForReview(t *testing.T) {
	env := ruhutest.New(t)
	w := env.Login("worker1", "tab-r")
	bad := ruhutest.Household("t1-v1", 7)
	bad["head_id_number"] = "110105194912310020" // wrong check digit
	res := w.Push(ruhutest.Upsert("households", "hh-bad", 0, bad))
	if r := res.Results[0]; r.Status != syncproto.StatusRejected || r.Error.Code != syncproto.CodeInvalidIDNumber {
		t.Fatalf("result %+v", r)
	}
	for _, sc := range []struct {
		user string
		want int
	}{{"worker1", 1}, {"reviewer1", 1}, {"county", 1}, {"reviewer2", 0}, {"worker3", 0}} {
		var list syncproto.RejectionList
		env.Login(sc.user, "dev-"+sc.user).JSON(http.MethodGet, "/v1/rejections", nil, http.StatusOK, &list)
		if len(list.Rejections) != sc.want {
			t.Fatalf("%s sees %d rejections, want %d", sc.user, len(list.Rejections), sc.want)
		}
		if sc.want == 1 {
			r := list.Rejections[0]
			if r.Mutation.ID != "hh-bad" || r.Error.Code != syncproto.CodeInvalidIDNumber || string(r.Mutation.Fields["head_id_number"]) != `"110105194912310020"` {
				t.Errorf("%s: rejection %+v", sc.user, r)
			}
		}
	}
}

// A body with anything after its JSON value is refused.
func TestTrailingJunkIsRefused(t *testing.T) {
	env := ruhutest.New(t)
	for _, body := range []string{`{"username":"a","password":"b","device_id":"c"}}`, `{"username":"a"} []`} {
		st, b := env.Do(http.MethodPost, "/v1/auth/login", "", []byte(body))
		if st != http.StatusBadRequest {
			t.Errorf("%s: status %d %s", body, st, b)
		}
	}
}
