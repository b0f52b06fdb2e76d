package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestHarness runs the harness on 500 documents against ruhu only (pouch
// needs npm), so that the benchmark's code cannot rot: every phase must
// complete with every document pushed, pulled and updated, and the report
// must print. It checks no speed.
func TestHarness(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the ruhu binary")
	}
	o := options{Docs: 500, Batch: 200, Page: 150, Runs: 1, NoPouch: true, Work: t.TempDir()}
	var log bytes.Buffer
	rs, err := run(context.Background(), o, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if len(rs) != 1 || rs[0].Server != "ruhu" {
		t.Fatalf("results %+v", rs)
	}
	r := rs[0]
	if r.Push.Docs != 500 || r.Pull.Docs != 500 || r.Update.Docs != 100 {
		t.Errorf("phases %+v %+v %+v", r.Push, r.Pull, r.Update)
	}
	if r.Push.Wire < 500*1000 || r.Pull.Wire < 500*1000 {
		t.Errorf("wire bytes push %d pull %d: less than the documents", r.Push.Wire, r.Pull.Wire)
	}
	if r.PeakRSS <= 0 || r.Disk <= 0 {
		t.Errorf("peak RSS %d, disk %d", r.PeakRSS, r.Disk)
	}
	var out bytes.Buffer
	printReport(&out, o, rs)
	if !strings.Contains(out.String(), "| push docs/s |") {
		t.Errorf("report:\n%s", out.String())
	}
}
