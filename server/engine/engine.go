// Package engine holds ruhu's rules once, over the storage port
// server.Store: push with exactly-once replay, field-level merge,
// duplicate households and members, a person in two households (拆户拼户),
// scope and scope-exit tombstones, the dual-signature rules, submit and
// lock, conflicts and their resolution, photo records, the admin, key and
// session services, and what goes into the audit log.
//
// A store adapter (server/sqlite, server/postgres) holds SQL and its own
// optimisations, nothing else; both run the same engine and pass the same
// suite (server/storetest).
package engine

import (
	"context"
	"crypto/rand"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/rules"
)

// Engine implements the domain's services over a store.
type Engine struct {
	Store server.Store
	// Now is the clock (UTC); NewID makes ids (ULIDs by default).
	Now   func() time.Time
	NewID func() string
	// Limits bounds one push, a pull page and what is stored (zero fields:
	// rules.DefaultLimits).
	Limits rules.Limits
}

// New returns an engine over store with the real clock and ULID ids.
func New(store server.Store) *Engine {
	return &Engine{Store: store, Now: func() time.Time { return time.Now().UTC() }, NewID: NewULID}
}

var (
	_ server.SyncService          = (*Engine)(nil)
	_ server.ConflictService      = (*Engine)(nil)
	_ server.InvestigationService = (*Engine)(nil)
	_ server.AdminService         = (*Engine)(nil)
	_ server.KeyService           = (*Engine)(nil)
	_ server.AuthStore            = (*Engine)(nil)
	_ server.PhotoRecords         = (*Engine)(nil)
	_ server.CaseService          = (*Engine)(nil)
)

var (
	ulidMu      sync.Mutex
	ulidEntropy = ulid.Monotonic(rand.Reader, 0)
)

// NewULID returns a new, monotonically increasing ULID string.
func NewULID() string {
	ulidMu.Lock()
	defer ulidMu.Unlock()
	return ulid.MustNew(ulid.Timestamp(time.Now()), ulidEntropy).String()
}

// CountyOf returns the county (root unit id) of a unit path
// '/county/township/village/'.
func CountyOf(path string) string {
	s := strings.TrimPrefix(path, "/")
	county, _, _ := strings.Cut(s, "/")
	return county
}

func (e *Engine) now() time.Time { return e.Now().UTC() }

func (e *Engine) limits() rules.Limits { return e.Limits.WithDefaults() }

// write runs fn in a write transaction of a's county with a txn for a.
func (e *Engine) write(ctx context.Context, a *server.Actor, fn func(*txn) error) error {
	return e.Store.Write(ctx, CountyOf(a.UnitPath), func(tx server.Tx) error {
		t, err := e.begin(tx, a)
		if err != nil {
			return err
		}
		return fn(t)
	})
}

// read runs fn in a read snapshot with a txn for a.
func (e *Engine) read(ctx context.Context, a *server.Actor, fn func(*txn) error) error {
	return e.Store.Read(ctx, func(tx server.Tx) error {
		t, err := e.begin(tx, a)
		if err != nil {
			return err
		}
		return fn(t)
	})
}
