package postgres_test

import (
	"testing"

	"github.com/ruhu-org/ruhu/server/postgres/pgtest"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/server/storetest"
)

// TestStore runs the storage-independent conformance suite over
// PostgreSQL, a fresh database for each test.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t testing.TB) *ruhutest.Env { return ruhutest.New(t, ruhutest.Database(pgtest.URL(t))) })
}
