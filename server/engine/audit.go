package engine

import (
	"context"

	"github.com/ruhu-org/ruhu/server"
)

// VerifyAudit recomputes every county's hash chain. It returns the number
// of rows checked and the first break, or nil when every chain is intact.
func (e *Engine) VerifyAudit(ctx context.Context) (int64, *server.AuditBreak, error) {
	v, err := e.CheckAudit(ctx, nil)
	return v.Rows, v.Break, err
}

// CheckAudit recomputes every chain and, with anchor set, checks that the
// anchored head is still in its chain exactly. The verifier it returns
// holds the rows read, the first break and the heads.
func (e *Engine) CheckAudit(ctx context.Context, anchor *server.AuditHead) (*server.ChainVerifier, error) {
	v := &server.ChainVerifier{Anchor: anchor}
	err := e.Store.AuditRows(ctx, "", func(r server.AuditRow) error {
		v.Add(r)
		return nil
	})
	v.Finish()
	return v, err
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
