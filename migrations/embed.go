// Package migrations embeds ruhu's numbered SQL schema migrations. Each file
// NNNN_name.sql is applied once, in order, in its own transaction, and
// recorded in schema_migrations.
package migrations

import "embed"

// FS holds the SQLite *.sql migration files.
//
//go:embed *.sql
var FS embed.FS

// Postgres holds the PostgreSQL migration files, postgres/NNNN_name.sql.
//
//go:embed postgres/*.sql
var Postgres embed.FS
