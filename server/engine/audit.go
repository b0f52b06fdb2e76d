package engine

import (
	"context"

	"github.com/ruhu-org/ruhu/server"
)

// VerifyAudit recomputes every county's hash chain. It returns the number
// of rows checked and the first break, or nil when every chain is intact.
func (e *Engine) VerifyAudit(ctx context.Context) (int64, *server.AuditBreak, error) {
	var v server.ChainVerifier
	err := e.Store.AuditRows(ctx, "", func(r server.AuditRow) error {
		v.Add(r)
		return nil
	})
	return v.Rows, v.Break, err
}

// AuditTrail returns the audit entries about one object, oldest first.
func (e *Engine) AuditTrail(ctx context.Context, objectType, objectID string) ([]server.AuditEntry, error) {
	var out []server.AuditEntry
	err := e.Store.Read(ctx, func(tx server.Tx) error {
		var err error
		out, err = tx.AuditOf(objectType, objectID)
		return err
	})
	return out, err
}
