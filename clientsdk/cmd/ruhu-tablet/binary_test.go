package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/ruhu-org/ruhu/clientsdk"
	"github.com/ruhu-org/ruhu/server/ruhutest"
)

// binPath is the ruhu-tablet binary built once for the tests that run it
// as a person would: separate stdout and stderr, exit status, pipes or a
// terminal.
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ruhu-tablet-bin")
	if err != nil {
		panic(err)
	}
	binPath = filepath.Join(dir, "ruhu-tablet")
	if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		panic("build ruhu-tablet: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// device runs the binary with RUHU_TABLET_HOME set to its home.
type device struct {
	t    *testing.T
	home string
}

type ran struct {
	out, err string
	code     int
}

func (d device) exec(stdin string, args ...string) ran {
	d.t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Env = append(os.Environ(), "RUHU_TABLET_HOME="+d.home)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		d.t.Fatalf("%v: %v", args, err)
	}
	return ran{out.String(), errb.String(), cmd.ProcessState.ExitCode()}
}

// want runs a command and checks its exit status.
func (d device) want(code int, args ...string) ran {
	d.t.Helper()
	r := d.exec("", args...)
	if r.code != code {
		d.t.Fatalf("%v: exit %d, want %d\nstdout: %s\nstderr: %s", args, r.code, code, r.out, r.err)
	}
	return r
}

func (d device) login(server, user string) {
	d.t.Helper()
	if r := d.exec(ruhutest.Password+"\n", "login", "--server", server, "--user", user); r.code != 0 {
		d.t.Fatalf("login %s: %d %s", user, r.code, r.err)
	}
}

func (d device) id(args ...string) string {
	d.t.Helper()
	var v struct{ ID string }
	r := d.want(0, args...)
	if err := json.Unmarshal([]byte(r.out), &v); err != nil || v.ID == "" {
		d.t.Fatalf("%v: %v %q", args, err, r.out)
	}
	return v.ID
}

func has(t *testing.T, what, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}

func TestBinaryHelpAndUsage(t *testing.T) {
	d := device{t, t.TempDir()}
	r := d.want(0, "--help")
	has(t, "--help", r.out, "usage: ruhu-tablet", "household", "doctor", "Exit status")
	r = d.want(0, "household", "add", "--help")
	has(t, "household add --help", r.out, "-head-id", "-village", "-set", "address, ")
	if again := d.want(0, "help", "household"); again.out != r.out {
		t.Errorf("help household differs from household --help:\n%s", again.out)
	}
	r = d.want(2, "list", "bogus")
	has(t, "list bogus", r.err, `unknown collection "bogus"`, "households, members")
	r = d.want(2, "list", "households", "--nope")
	has(t, "an unknown flag", r.err, "flag provided but not defined: -nope", "usage: list COLLECTION")
	r = d.want(2, "frobnicate")
	has(t, "an unknown command", r.err, `unknown command "frobnicate"`)
}

func TestBinaryRecordErrorsNameTheFlags(t *testing.T) {
	env := ruhutest.New(t)
	d := device{t, t.TempDir()}
	d.login(env.URL, "worker1")
	// --json is taken after the command too.
	var st clientsdk.Status
	if err := json.Unmarshal([]byte(d.want(0, "status", "--json").out), &st); err != nil || st.User == nil {
		t.Fatalf("status --json: %v %+v", err, st)
	}
	id := ruhutest.IDNumber(40)
	bad := id[:17] + map[bool]string{true: "1", false: "0"}[id[17] == '0']
	r := d.want(1, "household", "add", "--village", "t1-v1", "--head-name", "周四", "--head-id", bad, "--address", "北村4号")
	has(t, "a wrong check digit", r.err, "--head-id", "check digit (last character) is "+bad[17:], "must be "+id[17:])
	if strings.Contains(r.err, "head_id_number") {
		t.Errorf("the error names the schema field: %s", r.err)
	}
	r = d.want(1, "household", "add", "--village", "t1-v1")
	has(t, "a missing flag", r.err, "--head-name is required")
	r = d.want(2, "household", "add", "--set", "foo=bar")
	has(t, "an unknown field", r.err, `no field "foo"`, "address, ", "head_id_number")
}

// TestBinaryRefusedChange: a change the server refuses stays in view,
// marked, with the reason and the commands that fix or drop it; sync
// exits 3 because a person must act.
func TestBinaryRefusedChange(t *testing.T) {
	env := ruhutest.New(t)
	d := device{t, t.TempDir()}
	d.login(env.URL, "worker1")
	hh := d.id("--json", "household", "add", "--village", "t2-v1", "--head-name", "吴五", "--head-id", ruhutest.IDNumber(41),
		"--address", "东村5号")
	r := d.want(exitAttention, "sync")
	has(t, "sync", r.out, "1 refused", "refused: households "+hh, "issues retry", "issues discard")
	has(t, "sync's stderr", r.err, "need you")
	if strings.Contains(r.out, "\r") || strings.Contains(r.err, "\r") {
		t.Errorf("progress frames on a pipe: %q %q", r.out, r.err)
	}
	has(t, "list", d.want(0, "list", "households").out, "! "+hh, "吴五", "refused")
	has(t, "show", d.want(0, "show", "household", hh).out, "refused by the server", "东村5号")
	var issues []clientsdk.Issue
	_ = json.Unmarshal([]byte(d.want(0, "--json", "issues").out), &issues)
	if len(issues) != 1 {
		t.Fatalf("issues: %+v", issues)
	}
	n := issues[0].MutationID
	has(t, "issues", d.want(0, "issues").out, "issues retry", "issues discard")
	d.want(0, "issues", "retry", itoa(n), "--set", "unit_id=t1-v1")
	r = d.want(0, "sync")
	has(t, "sync after the retry", r.out, "1 applied")
	if out := d.want(0, "list", "households").out; strings.Contains(out, "!") {
		t.Errorf("still refused:\n%s", out)
	}
	d.want(1, "issues", "discard", itoa(n))
}

// TestBinaryConflict: conflicts name the --choice that keeps each value,
// resolve says what it did in words, and the other tablet's issue goes
// away with its next sync.
func TestBinaryConflict(t *testing.T) {
	env := ruhutest.New(t)
	a, b := device{t, t.TempDir()}, device{t, t.TempDir()}
	a.login(env.URL, "worker1")
	b.login(env.URL, "worker2")
	hh := a.id("--json", "household", "add", "--village", "t1-v1", "--head-name", "郑六", "--head-id", ruhutest.IDNumber(42),
		"--address", "西村6号")
	a.want(0, "sync")
	b.want(0, "sync")
	a.want(0, "household", "edit", hh, "--set", "address=西村6号A")
	b.want(0, "household", "edit", hh, "--set", "address=西村6号B")
	a.want(0, "sync")
	has(t, "b's sync", b.want(exitAttention, "sync").out, "conflict: households "+hh)
	r := a.want(0, "conflicts")
	has(t, "conflicts", r.out, `--choice server  "西村6号A"`, `--choice client  "西村6号B"`, "resolve CONFLICT_ID")
	var list []struct{ ID string }
	_ = json.Unmarshal([]byte(a.want(0, "conflicts", "--json").out), &list)
	if len(list) != 1 {
		t.Fatalf("conflicts: %+v", list)
	}
	r = a.want(0, "resolve", list[0].ID, "--choice", "client")
	has(t, "resolve", r.out, `took the device's value "西村6号B"`, "address of households "+hh)
	if strings.Contains(r.out, "{") {
		t.Errorf("resolve prints JSON: %s", r.out)
	}
	b.want(0, "sync")
	has(t, "b's issues", b.want(0, "issues").out, "0 issue(s)")
	has(t, "b's status", b.want(0, "status").out, "issues       0\n")
}

func TestBinaryOffline(t *testing.T) {
	env := ruhutest.New(t)
	d := device{t, t.TempDir()}
	d.login(env.URL, "worker1")
	has(t, "doctor", d.want(0, "doctor").out, "ok    server", "ok    clock", "ok    login", "ok    session", "ok    issues")
	d.id("--json", "household", "add", "--village", "t1-v1", "--head-name", "王七", "--head-id", ruhutest.IDNumber(43),
		"--address", "南村7号")
	env.Srv.Close()
	r := d.want(exitOffline, "sync")
	has(t, "sync offline", r.err, "could not reach the server "+env.URL, "nothing is lost: 1 change(s)", "next sync")
	has(t, "doctor offline", d.want(exitAttention, "doctor").out, "FAIL  server", "ok    outbox   1 change(s)")
}

// TestBinaryPasswordPrompt: on a terminal, login asks for the password
// and does not echo it.
func TestBinaryPasswordPrompt(t *testing.T) {
	env := ruhutest.New(t)
	home := t.TempDir()
	cmd := exec.Command(binPath, "--home", home, "login", "--server", env.URL, "--user", "worker1")
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	var out syncBuf
	done := make(chan error, 1)
	go func() { _, err := io.Copy(&out, tty); done <- err }()
	waitFor(t, &out, regexp.MustCompile(`password for worker1 on http://\S+: `))
	if _, err := tty.Write([]byte(ruhutest.Password + "\r")); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("login: %v\n%s", err, out.String())
	}
	<-done // the pty reports EIO once the child is gone
	has(t, "the terminal", out.String(), "logged in as worker1")
	if strings.Contains(out.String(), ruhutest.Password) {
		t.Errorf("the password was echoed:\n%s", out.String())
	}
}

// waitFor waits until buf (filled by another goroutine) matches re.
func waitFor(t *testing.T, buf *syncBuf, re *regexp.Regexp) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !re.MatchString(buf.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s on the terminal: %q", re, buf.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// syncBuf is a buffer one goroutine writes while another reads.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
