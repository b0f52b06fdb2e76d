package sqlite_test

import (
	"net/http"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A village the admin API accepts must be able to hold households.
func TestReviewVillageWithDotInIDHoldsHouseholds(t *testing.T) {
	env := ruhutest.New(t)
	admin := env.Login("admin", "pc-admin")
	var u syncproto.Unit
	admin.JSON(http.MethodPost, "/v1/admin/units", syncproto.Unit{ID: "t1.v4", ParentID: "t1", Name: "四村", Level: syncproto.LevelVillage},
		http.StatusCreated, &u)
	r := env.Login("reviewer1", "tab-r")
	res := push1(r, ruhutest.Upsert(hhs, "hh1", 0, ruhutest.Household("t1.v4", 1)))
	wantResult(t, res, syncproto.StatusApplied, "")
}
