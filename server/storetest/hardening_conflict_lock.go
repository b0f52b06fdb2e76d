package storetest

import (
	"net/http"
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A conflict kept before an investigation was submitted cannot, once
// resolved, do what a push could not after submit: delete the locked
// household or investigation, or change the investigation's content
// (issue 13, class 4). The answer is the lock's own code, 409
// signed_content_locked, and nothing is written.

func testResolutionHonoursTheLock(t *testing.T, newEnv NewEnv) {
	w := newSigWorld(t, newEnv)
	state, _ := stateOf(w.w1, "")
	hhBase, invBase := live(t, state, hhs, "hh1").Version, live(t, state, invs, "inv1").Version
	// worker1 edits; worker2, who saw the older versions, deletes both and
	// edits the findings: three conflicts.
	for _, r := range w.w1.Push(
		ruhutest.Upsert(hhs, "hh1", hhBase, map[string]any{"address": "石桥镇石桥村三组18号"}),
		ruhutest.Upsert(invs, "inv1", invBase, map[string]any{"findings": "户主患尿毒症。"}),
	).Results {
		wantResult(t, r, syncproto.StatusApplied, "")
	}
	res := w.w2.Push(
		ruhutest.Upsert(invs, "inv1", invBase, map[string]any{"findings": "另一说法。"}),
		ruhutest.Delete(invs, "inv1", invBase),
		ruhutest.Delete(hhs, "hh1", hhBase),
	)
	var ids []string
	for i, r := range res.Results {
		if r.Status != syncproto.StatusConflict || r.ConflictID == "" {
			t.Fatalf("stale change %d: %+v, want a conflict", i, r)
		}
		ids = append(ids, r.ConflictID)
	}
	w.sign(t, w.w1, w.k1, "inv1", "sig1", "")
	w.sign(t, w.w2, w.k2, "inv1", "sig2", "")
	requireCommitment(t, w.env, false)
	submitWant(t, w, http.StatusOK, "")
	r1 := w.env.Login("reviewer1", "pc-r1")
	audit, _ := verifyAudit(t, w.env)
	before, _ := stateOf(w.w1, "")
	for i, req := range []map[string]any{
		{"value": "第三说法。"}, {"choice": "client"}, {"choice": "client"},
	} {
		st, b := r1.Do(http.MethodPost, "/v1/conflicts/"+ids[i]+"/resolve", req)
		wantProblem(t, st, b, http.StatusConflict, syncproto.CodeSignedContentLocked)
	}
	if got, _ := verifyAudit(t, w.env); got != audit {
		t.Fatalf("refused resolutions wrote %d audit rows", got-audit)
	}
	after, _ := stateOf(w.w1, "")
	for _, k := range []string{hhs + "/hh1", invs + "/inv1"} {
		if after[k].Deleted || after[k].Version != before[k].Version {
			t.Fatalf("%s changed by a refused resolution: %+v", k, after[k])
		}
	}
	// The conflicts stay open; keeping the server's state closes them.
	for _, id := range ids {
		var c syncproto.Conflict
		r1.JSON(http.MethodPost, "/v1/conflicts/"+id+"/resolve", map[string]any{"choice": "server"}, http.StatusOK, &c)
		if c.Status != syncproto.ConflictResolved {
			t.Fatalf("conflict %s: %+v", id, c)
		}
	}
}
