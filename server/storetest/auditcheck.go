package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/engine"
)

// The adapters' own tests edit rows behind the engine's back and expect
// audit verify (engine.CheckAudit) to answer as below.

// WantAuditIntact expects every chain intact and at least minRecords live
// records cross-checked against it.
func WantAuditIntact(t testing.TB, e *engine.Engine, minRecords int64) {
	t.Helper()
	v, err := e.CheckAudit(context.Background(), nil)
	if err != nil || v.Break != nil {
		t.Fatalf("CheckAudit = %+v, %v; want intact", v.Break, err)
	}
	if v.Records < minRecords {
		t.Fatalf("%d records cross-checked, want at least %d", v.Records, minRecords)
	}
}

// WantRecordBreak expects a break naming record name ("collection/id").
func WantRecordBreak(t testing.TB, e *engine.Engine, name string) {
	t.Helper()
	v, err := e.CheckAudit(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.Break == nil || !strings.Contains(v.Break.Reason, "record "+name+" ") {
		t.Fatalf("CheckAudit break = %+v; want one naming record %s", v.Break, name)
	}
}

// WantUnreadableFields expects audit verify to stop at the record whose
// stored fields cannot be read (server.ErrStoredFields), naming it.
func WantUnreadableFields(t testing.TB, e *engine.Engine, name string) {
	t.Helper()
	_, err := e.CheckAudit(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), name) || !errors.Is(err, server.ErrStoredFields) {
		t.Fatalf("CheckAudit error = %v; want one naming record %s", err, name)
	}
}
