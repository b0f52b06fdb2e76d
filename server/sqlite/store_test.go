package sqlite_test

import (
	"testing"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/server/storetest"
)

// TestStore runs the storage-independent conformance suite over SQLite.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t testing.TB) *ruhutest.Env { return ruhutest.New(t) })
}
