// Package migrations embeds ruhu's numbered SQL schema migrations. Each file
// NNNN_name.sql is applied once, in order, in its own transaction, and
// recorded in schema_migrations.
package migrations

import "embed"

// FS holds the *.sql migration files.
//
//go:embed *.sql
var FS embed.FS
