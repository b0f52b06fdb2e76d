package clientsdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/clientsdk"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A refused create is corrected and sent again under the same id.
func TestRetryRefusedCreate(t *testing.T) {
	ctx := context.Background()
	env := ruhutest.New(t)
	tab := tablet(t, env)
	login(t, tab, "worker1")
	f := household(31)
	f["unit_id"] = "t2-v1" // not worker1's village
	hh := create(t, tab, syncproto.CollHouseholds, f)
	rep := mustSync(t, tab)
	if len(rep.Rejected) != 1 {
		t.Fatalf("report: %+v", rep)
	}
	n := rep.Rejected[0].MutationID
	if err := tab.RetryIssue(ctx, n, clientsdk.Fields{"unit_id": 5}); !errors.Is(err, clientsdk.ErrInvalidRecord) {
		t.Fatalf("retry with a number for unit_id: %v", err)
	}
	if err := tab.RetryIssue(ctx, n, clientsdk.Fields{"unit_id": "t1-v1"}); err != nil {
		t.Fatal(err)
	}
	if err := tab.RetryIssue(ctx, n, nil); !errors.Is(err, clientsdk.ErrNotFound) {
		t.Fatalf("retry twice: %v", err)
	}
	if r := get(t, tab, syncproto.CollHouseholds, hh); !r.Pending || r.Refused != nil || r.String("unit_id") != "t1-v1" {
		t.Fatalf("queued again: %+v", r)
	}
	rep = mustSync(t, tab)
	if len(rep.Rejected) != 0 || rep.Applied != 1 {
		t.Fatalf("second sync: %+v", rep)
	}
	if r := get(t, tab, syncproto.CollHouseholds, hh); r.Version == 0 || r.Pending || r.String("head_name") != f["head_name"] {
		t.Fatalf("stored: %+v", r)
	}
}

// A conflict's issue goes away on every tablet once the conflict is
// resolved: on the tablet that resolves it at once, on the others with
// their next sync.
func TestConflictIssueSettlesWhenResolved(t *testing.T) {
	ctx := context.Background()
	env := ruhutest.New(t)
	a, b := tablet(t, env), tablet(t, env)
	login(t, a, "worker1")
	login(t, b, "worker2")
	hh := create(t, a, syncproto.CollHouseholds, household(32))
	mustSync(t, a)
	mustSync(t, b)
	update(t, a, syncproto.CollHouseholds, hh, clientsdk.Fields{"address": "A"})
	update(t, b, syncproto.CollHouseholds, hh, clientsdk.Fields{"address": "B"})
	mustSync(t, a)
	if rep := mustSync(t, b); len(rep.Conflicts) != 1 {
		t.Fatalf("b's sync: %+v", rep)
	}
	if st, _ := b.Status(ctx); st.Issues != 1 {
		t.Fatalf("issues before resolving: %d", st.Issues)
	}
	list, err := a.Conflicts(ctx, syncproto.ConflictOpen)
	if err != nil || len(list) != 1 {
		t.Fatalf("conflicts: %+v %v", list, err)
	}
	if _, err := a.Resolve(ctx, list[0].ID, syncproto.ChoiceClient, nil); err != nil {
		t.Fatal(err)
	}
	mustSync(t, b)
	if st, _ := b.Status(ctx); st.Issues != 0 {
		t.Fatalf("issues after the conflict was resolved: %d", st.Issues)
	}
	if r := get(t, b, syncproto.CollHouseholds, hh); r.String("address") != "B" {
		t.Fatalf("address %s", r.Fields["address"])
	}
}

func TestFieldErrors(t *testing.T) {
	env := ruhutest.New(t)
	tab := tablet(t, env)
	login(t, tab, "worker1")
	f := household(33)
	id := f["head_id_number"].(string)
	digits := "0123456789X"
	f["head_id_number"] = id[:17] + string(digits[(strings.IndexByte(digits, id[17])+1)%11])
	scenarios := []struct {
		name   string
		fields clientsdk.Fields
		field  string
		want   string
	}{
		{"check digit", f, "head_id_number", "the check digit (last character) is"},
		{"unknown field", clientsdk.Fields{"foo": "bar"}, "foo", "is not a field of households"},
		{"required", clientsdk.Fields{"head_name": "x"}, "unit_id", "is required"},
		{"enum", clientsdk.Fields{"category": "rich"}, "category", "must be one of"},
	}
	for _, sc := range scenarios {
		_, err := tab.Create(context.Background(), syncproto.CollHouseholds, sc.fields)
		var fe *clientsdk.FieldError
		if !errors.As(err, &fe) || !errors.Is(err, clientsdk.ErrInvalidRecord) || fe.Field != sc.field || !strings.Contains(fe.Problem, sc.want) {
			t.Errorf("%s: %v", sc.name, err)
		}
	}
	_, err := tab.Create(context.Background(), syncproto.CollHouseholds, clientsdk.Fields{"foo": json.RawMessage(`1`)})
	var fe *clientsdk.FieldError
	if !errors.As(err, &fe) || len(fe.Valid) != len(syncproto.Schemas[syncproto.CollHouseholds].Fields) {
		t.Errorf("unknown field lists the valid ones: %+v", fe)
	}
}

func TestIDNumberProblem(t *testing.T) {
	valid := "53012119600101" + "123"
	valid += string(syncproto.IDCheckChar(valid))
	scenarios := map[string]string{
		valid:                "",
		valid[:17]:           "it has 17 characters, want 18",
		"5301211960010112A4": "character 17",
		"530121196013011234": "the birth date 19601301",
		valid[:17] + "0":     "the check digit",
		"030121196001011237": "region code",
	}
	if valid[17] == '0' {
		delete(scenarios, valid[:17]+"0")
	}
	for in, want := range scenarios {
		got := clientsdk.IDNumberProblem(in)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("IDNumberProblem(%q) = %q, want %q", in, got, want)
		}
	}
}
