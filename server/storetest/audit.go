package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/ruhu-org/ruhu/server"
)

// testAuditConcurrentAppends: appends racing from several goroutines all
// land in one unbroken chain; a detail that cannot be marshalled is refused
// and writes nothing.
func testAuditConcurrentAppends(t *testing.T, newEnv NewEnv) {
	ctx := context.Background()
	env := newEnv(t)
	store := authStore(env)
	before, broken := verifyAudit(t, env)
	if broken || before == 0 {
		t.Fatalf("seeded chain: %d rows, broken %v", before, broken)
	}
	const workers, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				errs <- store.Audit(ctx, server.AuditEntry{ActorID: fmt.Sprint(w), Action: "test.concurrent",
					ObjectType: "thing", ObjectID: fmt.Sprint(i)})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Audit(ctx, server.AuditEntry{Action: "x", Detail: func() {}}); err == nil {
		t.Error("unmarshallable detail accepted")
	}
	n, broken := verifyAudit(t, env)
	if n != before+workers*each || broken {
		t.Errorf("after %d appends: %d rows (broken %v), want %d", workers*each, n, broken, before+workers*each)
	}
	added := map[string]int{}
	for _, e := range auditAfter(t, env, before) {
		if e.Action != "test.concurrent" || e.ObjectType != "thing" {
			t.Fatalf("unexpected audit row %+v", e)
		}
		added[e.ActorID]++
	}
	for w := range workers {
		if added[fmt.Sprint(w)] != each {
			t.Errorf("worker %d: %d rows, want %d (%v)", w, added[fmt.Sprint(w)], each, added)
		}
	}
}
