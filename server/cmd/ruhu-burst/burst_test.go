package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestTinyBurst keeps the generator from rotting: ten tablets in two
// villages, two mornings, against the real binary; every mutation
// applied, no error, the audit chain intact. It asserts no time.
func TestTinyBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "ruhu")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/ruhu-org/ruhu/server/cmd/ruhu").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	var log bytes.Buffer
	cfg := Config{Ruhu: bin, Dir: dir, Tablets: 10, Concurrency: 4, PerVillage: 5, Households: 3, Members: 4,
		Investigations: 2, Mornings: 2, Log: &log}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("burst: %v\n%s", err, log.String())
	}
	var out bytes.Buffer
	print(&out, cfg, rep)
	t.Logf("\n%s%s", log.String(), out.String())
	perTablet := cfg.Households*(1+cfg.Members) + cfg.Investigations*3
	if want := cfg.Tablets * cfg.Mornings * perTablet; rep.Mutations != want {
		t.Fatalf("%d mutations applied, want %d", rep.Mutations, want)
	}
	for op, s := range rep.Ops {
		if s.errors != 0 {
			t.Errorf("%s: %d errors (first: %s)", op, s.errors, s.first)
		}
	}
	if n := len(rep.Ops["login"].lat); n != cfg.Tablets*cfg.Mornings {
		t.Errorf("%d logins measured", n)
	}
	if rep.PeakRSS <= 0 || rep.DBBytes <= 0 || !strings.Contains(rep.Audit, "intact") {
		t.Errorf("peak RSS %d, database %d bytes, audit %q", rep.PeakRSS, rep.DBBytes, rep.Audit)
	}
}
