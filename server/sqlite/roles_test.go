package sqlite_test

import (
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Each role writes only what its work needs: the village committee reads,
// inspectors record their own visits and signatures, the county approver may
// correct a household.
func TestWriteRolesPerCollection(t *testing.T) {
	env := ruhutest.New(t)
	w1 := env.Login("worker1", "tab-01")
	w1.Push(ruhutest.Upsert("households", "hh-r", 0, ruhutest.Household("t1-v1", 60)))
	scenarios := []struct {
		user, collection, id string
		fields               map[string]any
		want                 string
	}{
		{"committee1", "households", "hh-c1", ruhutest.Household("t1-v1", 61), syncproto.StatusRejected},
		{"committee1", "investigations", "inv-c1", map[string]any{"household_id": "hh-r"}, syncproto.StatusRejected},
		{"inspector", "households", "hh-i1", ruhutest.Household("t1-v1", 62), syncproto.StatusRejected},
		{"inspector", "members", "m-i1", map[string]any{"household_id": "hh-r", "name": "乙", "id_number": ruhutest.IDNumber(63), "relation": "子"}, syncproto.StatusRejected},
		{"inspector", "investigations", "inv-i1", map[string]any{"household_id": "hh-r", "findings": "抽查入户"}, syncproto.StatusApplied},
		{"county", "investigations", "inv-k1", map[string]any{"household_id": "hh-r"}, syncproto.StatusRejected},
		{"county", "households", "hh-k1", ruhutest.Household("t2-v1", 64), syncproto.StatusApplied},
		{"reviewer1", "investigations", "inv-r1", map[string]any{"household_id": "hh-r"}, syncproto.StatusApplied},
	}
	for _, sc := range scenarios {
		c := env.Login(sc.user, "dev-"+sc.id)
		r := c.Push(ruhutest.Upsert(sc.collection, sc.id, 0, sc.fields)).Results[0]
		if r.Status != sc.want {
			t.Errorf("%s pushing %s: %s %+v, want %s", sc.user, sc.collection, r.Status, r.Error, sc.want)
		}
		if sc.want == syncproto.StatusRejected && (r.Error == nil || r.Error.Code != syncproto.CodeForbidden) {
			t.Errorf("%s pushing %s: error %+v, want forbidden", sc.user, sc.collection, r.Error)
		}
	}
}
