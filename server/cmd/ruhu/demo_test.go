package main

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/server/app"
	"github.com/ruhu-org/ruhu/server/sqlite"
)

// The "unit" column of the demo logins starts at the same terminal column
// on every line, Chinese names included.
func TestPrintLoginsAligned(t *testing.T) {
	var out bytes.Buffer
	printLogins(&out)
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(lines) != len(app.DemoUsers) {
		t.Fatalf("%d lines for %d users:\n%s", len(lines), len(app.DemoUsers), out.String())
	}
	want := -1
	for _, l := range lines {
		before, _, ok := strings.Cut(l, " unit ")
		if !ok {
			t.Fatalf("no unit column: %q", l)
		}
		if w := displayWidth(before); want == -1 {
			want = w
		} else if w != want {
			t.Errorf("unit column at %d, want %d:\n%s", w, want, out.String())
		}
	}
}

func TestDisplayWidth(t *testing.T) {
	for s, want := range map[string]int{"": 0, "admin": 5, "系统管理员": 10, "县民政局 审批员": 15, "Ａ1": 3} {
		if got := displayWidth(s); got != want {
			t.Errorf("displayWidth(%q) = %d, want %d", s, got, want)
		}
	}
}

// ruhu demo --households records the demo households: every case state
// of the path is there, the numbers are computed, the chain verifies.
func TestDemoHouseholds(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	code, out, msg := runCmd(t, ctx, "", "demo", "--households", "--data", dir)
	if code != 0 || !strings.Contains(out, "8 households") {
		t.Fatalf("demo: %d %s %s", code, out, msg)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var states string
	if err := db.QueryRow(`SELECT group_concat(s, ' ') FROM (SELECT json_extract(fields, '$.state') AS s FROM records
		WHERE collection = 'cases' ORDER BY s)`).Scan(&states); err != nil {
		t.Fatal(err)
	}
	if states != "approved county_notice investigating township_review village_notice village_review village_review" {
		t.Fatalf("case states: %s", states)
	}
	if code, out, msg := runCmd(t, ctx, "", "audit", "verify", "--data", dir); code != 0 {
		t.Fatalf("audit verify: %d %s %s", code, out, msg)
	}
}
