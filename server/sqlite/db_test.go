package sqlite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/ruhu-org/ruhu/syncproto"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/migrations"
)

type migrationRow struct {
	Version   int
	Name      string
	AppliedAt string
}

func appliedMigrations(t *testing.T, db *DB) []migrationRow {
	t.Helper()
	rows, err := db.read.Query(`SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []migrationRow
	for rows.Next() {
		var m migrationRow
		if err := rows.Scan(&m.Version, &m.Name, &m.AppliedAt); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// schemaObjects lists every table, index and trigger, with its SQL.
func schemaObjects(t *testing.T, db *DB) []string {
	t.Helper()
	rows, err := db.read.Query(`SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func TestMigrationsFromEmpty(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "new", "data")
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil || len(files) < 2 {
		t.Fatalf("migration files %v (%v)", files, err)
	}
	slices.Sort(files)
	got := appliedMigrations(t, db)
	if len(got) != len(files) {
		t.Fatalf("%d migrations recorded, %d files: %+v", len(got), len(files), got)
	}
	for i, f := range files {
		name := strings.TrimSuffix(f, ".sql")
		if got[i].Name != name {
			t.Errorf("migration %d recorded as %q, want %q", i, got[i].Name, name)
		}
		var v int
		if _, err := fmt.Sscanf(name, "%d_", &v); err != nil || got[i].Version != v {
			t.Errorf("migration %q has version %d, want %d", name, got[i].Version, v)
		}
		if _, err := time.Parse(time.RFC3339Nano, got[i].AppliedAt); err != nil {
			t.Errorf("applied_at %q: %v", got[i].AppliedAt, err)
		}
	}
	objects := strings.Join(schemaObjects(t, db), "\n")
	for _, want := range []string{"table settings", "table units", "table users", "table user_roles", "table sessions",
		"table refresh_tokens", "table signing_keys", "table relatives", "table audit_log", "trigger audit_log_no_update",
		"trigger audit_log_no_delete", "table records", "table mutation_log", "table conflicts", "table version_seq"} {
		if !strings.Contains(objects, want+" ") {
			t.Errorf("schema lacks %s", want)
		}
	}
	var seq int
	if err := db.read.QueryRow(`SELECT value FROM version_seq WHERE id = 1`).Scan(&seq); err != nil || seq != 0 {
		t.Errorf("version_seq %d (%v)", seq, err)
	}
	before := schemaObjects(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopening applies nothing and changes nothing.
	db, err = Open(ctx, dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	if again := appliedMigrations(t, db); !slices.Equal(again, got) {
		t.Errorf("reopen changed schema_migrations:\n%+v\n%+v", got, again)
	}
	if after := schemaObjects(t, db); !slices.Equal(after, before) {
		t.Errorf("reopen changed the schema")
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("data dir mode %v (%v), want no group/other access", fi.Mode(), err)
	}
}

func TestConnectionSettings(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	scenarios := []struct {
		pool   string
		pragma string
		want   string
	}{
		{"writer", "journal_mode", "wal"},
		{"writer", "foreign_keys", "1"},
		{"writer", "busy_timeout", "10000"},
		{"writer", "synchronous", "1"}, // NORMAL
		{"writer", "query_only", "0"},
		{"reader", "journal_mode", "wal"},
		{"reader", "foreign_keys", "1"},
		{"reader", "busy_timeout", "10000"},
		{"reader", "query_only", "1"},
	}
	for _, sc := range scenarios {
		pool := db.write
		if sc.pool == "reader" {
			pool = db.read
		}
		var got string
		if err := pool.QueryRowContext(ctx, `PRAGMA `+sc.pragma).Scan(&got); err != nil || got != sc.want {
			t.Errorf("%s: PRAGMA %s = %q (%v), want %q", sc.pool, sc.pragma, got, err, sc.want)
		}
	}
	if _, err := db.read.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('x', 'y')`); err == nil {
		t.Error("the read pool accepted a write")
	}
	// Foreign keys are enforced.
	_, err = db.write.ExecContext(ctx, `INSERT INTO users (id, username, password_hash, display_name, unit_id, created_at)
		VALUES ('u', 'u', 'h', 'U', 'no-such-unit', '2026-01-01T00:00:00Z')`)
	if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Errorf("user with an unknown unit: %v", err)
	}
}

func TestInitialized(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ok, err := Initialized(ctx, dir)
	if ok || err != nil {
		t.Fatalf("empty dir: %v %v", ok, err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Initialized created the database: %v", err)
	}
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := Initialized(ctx, dir); ok || err != nil {
		t.Errorf("migrated but empty: %v %v", ok, err)
	}
	if _, err := db.InitCounty(ctx, "c1", "县", syncproto.CreateUserRequest{Username: "root", Password: "long-enough",
		DisplayName: "Root", Roles: []string{syncproto.RoleAdmin}}, "hash-root"); err != nil {
		t.Fatal(err)
	}
	if ok, err := Initialized(ctx, dir); !ok || err != nil {
		t.Errorf("with a county: %v %v", ok, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := db.Ping(ctx); err == nil {
		t.Error("Ping after Close succeeded")
	}
}

func TestSecret(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	a, err := db.Secret(ctx, "jwt_hs256", 32)
	if err != nil || len(a) != 32 || bytes.Equal(a, make([]byte, 32)) {
		t.Fatalf("secret %x (%v)", a, err)
	}
	b, err := db.Secret(ctx, "jwt_hs256", 64)
	if err != nil || !bytes.Equal(a, b) {
		t.Errorf("second call gave %x, want %x (%v)", b, a, err)
	}
	other, err := db.Secret(ctx, "other", 32)
	if err != nil || bytes.Equal(a, other) {
		t.Errorf("two names share a secret: %x", other)
	}
	db.Close()
	db, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.Secret(ctx, "jwt_hs256", 32)
	if err != nil || !bytes.Equal(a, c) {
		t.Errorf("secret changed across reopen: %x, want %x", c, a)
	}
}
