package postgres

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// PostgreSQL's disk_full (SQLSTATE 53100) is the coded storage_full, with
// its cause kept for the log; other errors pass unchanged.
func TestClassifyDiskFull(t *testing.T) {
	full := &pgconn.PgError{Code: "53100", Message: "could not extend file"}
	err := classify(fmt.Errorf("commit: %w", full))
	if server.ErrorCode(err) != syncproto.CodeStorageFull || !server.IsStorageFull(err) || !errors.Is(err, full) {
		t.Fatalf("disk_full classified as %v (code %q)", err, server.ErrorCode(err))
	}
	other := &pgconn.PgError{Code: "53200"} // out_of_memory: not the disk
	if err := classify(other); server.ErrorCode(err) != "" || err != error(other) {
		t.Fatalf("out_of_memory classified as %v", err)
	}
	if classify(nil) != nil {
		t.Fatal("nil classified")
	}
}

// A read-only database (SQLSTATE 25006: a standby, or
// default_transaction_read_only) is the coded storage_read_only.
func TestClassifyReadOnly(t *testing.T) {
	ro := &pgconn.PgError{Code: "25006", Message: "cannot execute INSERT in a read-only transaction"}
	err := classify(fmt.Errorf("commit: %w", ro))
	if server.ErrorCode(err) != syncproto.CodeStorageReadOnly || !server.IsStorageReadOnly(err) || !errors.Is(err, ro) {
		t.Fatalf("read-only classified as %v (code %q)", err, server.ErrorCode(err))
	}
}
