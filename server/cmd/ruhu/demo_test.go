package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/server/app"
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
