// Package postgres is ruhu's storage adapter on PostgreSQL (pgx): an
// implementation of the domain's storage port, server.Store. It holds SQL
// and its own optimisations; every sync rule lives in the engine.
//
// # Data layout
//
// Every table of county data has county_id as the first column of its
// primary key, ready to be distributed by county (Citus). Versions and the
// audit chain are per county: records are keyed (county_id, version) and
// the audit log (county_id, seq). The county of a unit is the first segment
// of its path. Names that must be unique across counties (unit ids,
// usernames) are also kept in global_names.
//
// # Concurrency
//
// Write(ctx, county, fn) runs in a READ COMMITTED transaction whose first
// statement locks the county's row of county_heads (SELECT … FOR UPDATE,
// creating the row the first time). The row holds the county's version
// counter and audit chain head; the transaction keeps them in memory and
// writes them back just before commit, and holds the lock until commit.
// Writers of one county are therefore serialised, while different counties
// proceed in parallel.
//
// This is what makes pulls gap-free: a writer can take version v+1 only
// after the writer of v has committed (or rolled back, leaving a harmless
// hole), so versions become visible in commit order. A reader whose
// snapshot shows v+1 took it after v+1's commit, hence after v's commit:
// it sees v too, and a puller's cursor can never move past a version that
// is still being written. (A global sequence or a version taken outside the
// lock would let a later version commit first and a cursor skip the earlier
// one for good.) READ COMMITTED, not REPEATABLE READ, because each statement
// after the lock must see what the previous writer committed.
//
// Read(ctx, fn) runs in a REPEATABLE READ READ ONLY transaction: one
// snapshot for the whole of fn. Its write methods return an error.
//
// # Transactions
//
// A transaction reads and writes records through a cache (cache.go): one
// *server.Record per record, nil for a record known to be absent. Put keeps
// the record in memory; pending records are written with one multi-row
// upsert before any query that reads records by other criteria and at the
// end. Audit rows and mutation log rows are likewise buffered and inserted
// at the end. Inserts that may collide use ON CONFLICT DO NOTHING and answer
// server.ErrExists when nothing was inserted, so a collision does not abort
// the PostgreSQL transaction.
package postgres
