package clientsdk

import (
	"context"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A device whose mutation counter fell behind the server's (a store
// restored from a backup) gets "mutation id not increasing" for ids the
// server never logged; those mutations move to new ids and are applied.
func TestCounterBehindServerIsRenumbered(t *testing.T) {
	ctx := context.Background()
	env := ruhutest.New(t)
	c, err := Open(t.TempDir(), env.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, "worker1", ruhutest.Password); err != nil {
		t.Fatal(err)
	}
	hh := func(n int) Fields {
		f := Fields{}
		for k, v := range ruhutest.Household("t1-v1", n) {
			f[k] = v
		}
		return f
	}
	mustCreate := func(n int) string {
		id, err := c.Create(ctx, syncproto.CollHouseholds, hh(n))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	mustCreate(1)         // mutation 1
	gone := mustCreate(2) // mutation 2, dropped below: a gap
	if err := c.Delete(ctx, syncproto.CollHouseholds, gone); err != nil {
		t.Fatal(err)
	}
	mustCreate(3) // mutation 3
	if _, err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := setMeta(ctx, c.db, metaNextMutation, "2"); err != nil {
		t.Fatal(err)
	}
	late := mustCreate(4) // mutation 2 again: never logged by the server
	rep, err := c.Sync(ctx)
	if err != nil || rep.Applied != 1 || len(rep.Rejected) != 0 {
		t.Fatalf("sync: %v %+v", err, rep)
	}
	r, err := c.Get(ctx, syncproto.CollHouseholds, late)
	if err != nil || r.Version == 0 || r.Pending {
		t.Fatalf("renumbered household: %+v %v", r, err)
	}
	next, _ := getMeta(ctx, c.db, metaNextMutation)
	if next != "5" {
		t.Fatalf("counter %s, want 5 (4 was taken by the renumbered mutation)", next)
	}
}
