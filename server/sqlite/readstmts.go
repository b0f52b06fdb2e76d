package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// readStmts holds statements prepared on the read pool, shared by every
// read transaction: database/sql prepares a shared statement on a
// connection the first time a transaction there uses it and keeps it, so
// the SQL of a read (a pull page, a session lookup) is parsed once per
// connection rather than once per request.
//
// A statement not yet cached is prepared on the transaction for this use,
// and for later ones in the background: preparing on the pool inside a
// transaction could wait for a connection that only transactions waiting
// the same way hold.
type readStmts struct {
	pool    *sql.DB
	mu      sync.Mutex
	m       map[string]*sql.Stmt
	pending map[string]bool
	closed  bool
	wg      sync.WaitGroup // the statements being prepared
}

// maxReadStmts bounds the cache (queries built for a list of ids vary
// with its length).
const maxReadStmts = 256

func newReadStmts(pool *sql.DB) *readStmts {
	return &readStmts{pool: pool, m: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// get returns the shared statement of q, or nil (then q is being
// prepared in the background, unless the cache is full or closed).
func (c *readStmts) get(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.m[q]; s != nil || c.closed || c.pending[q] || len(c.m)+len(c.pending) >= maxReadStmts {
		return s
	}
	c.pending[q] = true
	c.wg.Add(1)
	go c.prepare(q)
	return nil
}

func (c *readStmts) prepare(q string) {
	defer c.wg.Done()
	s, err := c.pool.PrepareContext(context.Background(), q)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.pending, q)
	switch {
	case err != nil: // the transaction that asked prepares it and reports the error
	case c.closed:
		s.Close()
	default:
		c.m[q] = s
	}
}

// close closes the statements, once those being prepared are (no read
// transaction is open then: none holds the connection they wait for), so
// that none is finalized after its connection closed.
func (c *readStmts) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.m {
		s.Close()
	}
	c.m = nil
}
