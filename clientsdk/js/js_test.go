// Package js holds the TypeScript light client (clientsdk/js); this Go test
// runs its node test suite from `go test ./...` (and so `make test`).
package js

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// need returns the path of a program, failing under CI=true (where .ci/run
// installs it) and skipping elsewhere when it is missing.
func need(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required under CI=true: %v", name, err)
		}
		t.Skipf("%s is not installed; the JS client's tests need Node.js 20+", name)
	}
	return p
}

func run(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), env...)
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	t.Logf("%s %v: %s", filepath.Base(name), args, time.Since(start).Round(time.Millisecond))
}

// installed reports whether node_modules matches package-lock.json, so that
// a machine without the registry can run the tests once it has them.
func installed() bool {
	have, err1 := os.Stat(filepath.Join("node_modules", ".package-lock.json"))
	want, err2 := os.Stat("package-lock.json")
	return err1 == nil && err2 == nil && !have.ModTime().Before(want.ModTime())
}

func TestNodeSuite(t *testing.T) {
	node := need(t, "node")
	if !installed() {
		npm := need(t, "npm")
		run(t, ".", nil, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	}
	// The server the tests start: this checkout's, built once.
	bin := filepath.Join(t.TempDir(), "ruhu")
	goCmd := need(t, "go")
	run(t, filepath.Join("..", ".."), []string{"CGO_ENABLED=0"}, goCmd, "build", "-o", bin, "./server/cmd/ruhu")

	run(t, ".", nil, node, filepath.Join("node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", ".")
	run(t, ".", nil, node, "build.mjs", "--check")
	files, err := filepath.Glob(filepath.Join("test", "*.test.mjs"))
	if err != nil || len(files) < 5 {
		t.Fatalf("test files %v (%v)", files, err)
	}
	args := append([]string{"--test", "--test-concurrency=1", "--test-reporter=spec"}, files...)
	run(t, ".", []string{"RUHU_BIN=" + bin}, node, args...)
}
