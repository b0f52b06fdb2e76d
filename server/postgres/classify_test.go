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
