package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/clientsdk"
	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// tablet runs ruhu-tablet commands in-process against one home directory.
type tablet struct {
	t    *testing.T
	home string
}

func (tb tablet) run(stdin string, args ...string) (string, error) {
	tb.t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"--home", tb.home}, args...),
		stdio{in: strings.NewReader(stdin), out: &out, err: &errOut})
	return out.String(), err
}

func (tb tablet) ok(args ...string) string {
	tb.t.Helper()
	out, err := tb.run("", args...)
	if err != nil {
		tb.t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return out
}

// json runs a command with --json and decodes its output into v.
func (tb tablet) json(v any, args ...string) {
	tb.t.Helper()
	out := tb.ok(append([]string{"--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		tb.t.Fatalf("%v: %v\n%s", args, err, out)
	}
}

func (tb tablet) login(server, user string) string {
	tb.t.Helper()
	out, err := tb.run(ruhutest.Password+"\n", "login", "--server", server, "--user", user)
	if err != nil {
		tb.t.Fatalf("login %s: %v", user, err)
	}
	return out
}

func TestCLILoginAddSyncStatus(t *testing.T) {
	env := ruhutest.New(t)
	tb := tablet{t, t.TempDir()}
	if _, err := tb.run("wrong\n", "login", "--server", env.URL, "--user", "worker1"); clientsdk.ErrorCode(err) != syncproto.CodeInvalidCredentials {
		t.Fatalf("wrong password: %v", err)
	}
	if out := tb.login(env.URL, "worker1"); !strings.Contains(out, "logged in as worker1") {
		t.Fatalf("login output: %q", out)
	}
	var hh struct{ ID string }
	tb.json(&hh, "household", "add", "--village", "t1-v1", "--head-name", "赵大", "--head-id", ruhutest.IDNumber(1),
		"--address", "东村1号", "--set", "single_person=false", "--set", "contact_phone=13800000000")
	if out := tb.ok("member", "add", "--household", hh.ID, "--name", "赵大", "--id-number", ruhutest.IDNumber(1),
		"--relation", "户主"); !strings.Contains(out, "saved on this tablet") {
		t.Fatalf("member add: %q", out)
	}
	var st clientsdk.Status
	tb.json(&st, "status")
	if st.Outbox != 2 || st.User == nil || st.User.Username != "worker1" || !st.LastSync.IsZero() {
		t.Fatalf("status before sync: %+v", st)
	}
	out := tb.ok("sync")
	if !strings.Contains(out, "pushed 2 change(s) (2 applied") || strings.Contains(out, "\r") {
		t.Fatalf("sync output: %q", out)
	}
	tb.json(&st, "status")
	if st.Outbox != 0 || st.LastSync.IsZero() {
		t.Fatalf("status after sync: %+v", st)
	}
	if out := tb.ok("status"); !strings.Contains(out, "outbox       0 change(s) waiting") {
		t.Fatalf("status text: %q", out)
	}
	var list []clientsdk.Record
	tb.json(&list, "list", "households")
	if len(list) != 1 || list[0].String("contact_phone") != "13800000000" || list[0].Version == 0 || list[0].Pending {
		t.Fatalf("households: %+v", list)
	}
	if _, err := tb.run("", "show", "households", "nope"); !errors.Is(err, clientsdk.ErrNotFound) {
		t.Fatalf("show unknown: %v", err)
	}
	if _, err := tb.run("", "household", "add", "--village", "t1-v1"); !errors.Is(err, clientsdk.ErrInvalidRecord) {
		t.Fatalf("add without required fields: %v", err)
	}
}

func TestCLIConflictAndDualSignature(t *testing.T) {
	env := ruhutest.New(t)
	if err := env.App.Engine.SetSetting(context.Background(), env.Actor("admin", "x"), engine.PolicyRequireCommitment, "false"); err != nil {
		t.Fatal(err)
	}
	a, b := tablet{t, t.TempDir()}, tablet{t, t.TempDir()}
	a.login(env.URL, "worker1")
	b.login(env.URL, "worker2")
	var hh, inv struct{ ID string }
	a.json(&hh, "household", "add", "--village", "t1-v1", "--head-name", "钱二", "--head-id", ruhutest.IDNumber(2), "--address", "西村2号")
	a.json(&inv, "investigation", "new", "--household", hh.ID, "--date", "2026-03-18", "--set", "findings=家中无劳动力",
		"--set", "per_capita_income=3908.5")
	a.ok("sync")
	b.ok("sync")
	a.ok("household", "edit", hh.ID, "--set", "address=西村2号(A)")
	b.ok("household", "edit", hh.ID, "--set", "address=西村2号(B)")
	a.ok("sync")
	if out, err := b.run("", "sync"); !strings.Contains(out, "conflict: households "+hh.ID) || exitCode(err) != exitAttention {
		t.Fatalf("b's sync: %v %q", err, out)
	}
	var conflicts []syncproto.Conflict
	a.json(&conflicts, "conflicts")
	if len(conflicts) != 1 {
		t.Fatalf("a sees %d conflicts", len(conflicts))
	}
	a.ok("resolve", conflicts[0].ID, "--value", `"西村2号"`)
	a.ok("sync")
	var r clientsdk.Record
	a.json(&r, "show", "households", hh.ID)
	if r.String("address") != "西村2号" {
		t.Fatalf("resolved address %s", r.Fields["address"])
	}

	// Both investigators sign on tablet a.
	a.ok("sign", inv.ID)
	a.login("", "worker2")
	a.ok("sign", inv.ID, "--role", "investigator")
	a.ok("sync")
	var res syncproto.SubmitResponse
	a.json(&res, "submit", inv.ID)
	if !res.Signatures.Satisfied || len(res.Signatures.ValidSigners) != 2 {
		t.Fatalf("submit: %+v", res)
	}
}

func TestCLIPhoto(t *testing.T) {
	env := ruhutest.New(t)
	c := env.Login("worker1", "probe")
	if st, _ := c.Do(http.MethodPost, "/v1/photos/missing", syncproto.MissingPhotosRequest{SHA256: []string{}}); st == http.StatusNotFound {
		t.Skip("server has no photo endpoints yet")
	}
	tb := tablet{t, t.TempDir()}
	tb.login(env.URL, "worker1")
	var hh struct{ ID string }
	tb.json(&hh, "household", "add", "--village", "t1-v1", "--head-name", "孙三", "--head-id", ruhutest.IDNumber(3), "--address", "南村3号")
	file := filepath.Join(t.TempDir(), "door.jpg")
	var img bytes.Buffer
	_ = jpeg.Encode(&img, image.NewGray(image.Rect(0, 0, 1700, 1275)), nil)
	if err := os.WriteFile(file, img.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	var p clientsdk.Photo
	tb.json(&p, "photo", "add", file, "--household", hh.ID, "--kind", "house")
	if p.Width != 1600 || p.Height != 1200 {
		t.Fatalf("prepared %dx%d", p.Width, p.Height)
	}
	if out := tb.ok("sync"); !strings.Contains(out, "photos uploaded 1") {
		t.Fatalf("sync output: %q", out)
	}
	// photo list and list photos are one list: the queued photo and the
	// server's record of it are one line.
	var list, again []photoLine
	tb.json(&list, "list", "photos", "--household", hh.ID)
	tb.json(&again, "photo", "list", "--household", hh.ID)
	if len(list) != 1 || list[0].SHA256 != p.SHA256 || list[0].Status != clientsdk.PhotoUploaded || !list[0].OnServer ||
		list[0].Kind != "house" || list[0].HouseholdID != hh.ID {
		t.Fatalf("photos: %+v", list)
	}
	if fmt.Sprint(list) != fmt.Sprint(again) {
		t.Fatalf("list photos %+v, photo list %+v", list, again)
	}
}
