package sqlite_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A person already in a household of another township: the pusher's
// conflict says so without naming that household; the county, which covers
// both, sees which household it is.
func TestForeignHouseholdIsNotNamedInConflicts(t *testing.T) {
	env := ruhutest.New(t)
	w3 := env.Login("worker3", "tab-3") // t2-v1
	w1 := env.Login("worker1", "tab-1") // t1-v1
	person := ruhutest.IDNumber(77)
	w3.Push(ruhutest.Upsert("households", "hh-t2", 0, ruhutest.Household("t2-v1", 70)),
		ruhutest.Upsert("members", "m-t2", 0, map[string]any{"household_id": "hh-t2", "name": "甲", "id_number": person, "relation": "子"}))
	res := w1.Push(ruhutest.Upsert("households", "hh-t1", 0, ruhutest.Household("t1-v1", 71)),
		ruhutest.Upsert("members", "m-t1", 0, map[string]any{"household_id": "hh-t1", "name": "甲", "id_number": person, "relation": "子"}))
	if r := res.Results[1]; r.Status != syncproto.StatusConflict {
		t.Fatalf("member result %+v", r)
	}
	list := func(c *ruhutest.Client) syncproto.Conflict {
		var l syncproto.ConflictList
		c.JSON(http.MethodGet, "/v1/conflicts", nil, http.StatusOK, &l)
		for _, x := range l.Conflicts {
			if x.Kind == syncproto.KindPersonInTwoHouseholds {
				return x
			}
		}
		t.Fatalf("no person_in_two_households conflict in %+v", l)
		return syncproto.Conflict{}
	}
	if got := string(list(w1).ServerValue); strings.Contains(got, "hh-t2") || !strings.Contains(got, "outside_jurisdiction") {
		t.Errorf("worker1 sees %s", got)
	}
	if got := string(list(env.Login("county", "dev-c")).ServerValue); !strings.Contains(got, "hh-t2") {
		t.Errorf("county sees %s", got)
	}
}
