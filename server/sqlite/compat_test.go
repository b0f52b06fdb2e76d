package sqlite

import (
	"context"

	"github.com/ruhu-org/ruhu/server"
)

// Test helpers over the port for the SQL-level audit tests.

type auditRow = server.AuditRow

const genesisHash = server.GenesisHash

func rowHash(prev string, r auditRow) string { return server.RowHash(prev, r) }

// VerifyAudit recomputes the chain.
func (db *DB) VerifyAudit(ctx context.Context) (int64, *server.AuditBreak, error) {
	var v server.ChainVerifier
	err := db.AuditRows(ctx, "", func(r server.AuditRow) error { v.Add(r); return nil })
	return v.Rows, v.Break, err
}
