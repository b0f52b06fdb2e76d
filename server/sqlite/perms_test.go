package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/ruhu-org/ruhu/server/sqlite"
)

// TestFilesArePrivate: in an existing, world-readable data directory, under
// a permissive umask, the database (which holds the JWT signing secret)
// and its -wal and -shm are created 0600 and the directory made 0700.
func TestFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0o002)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Secret(ctx, "jwt", 32); err != nil {
		t.Fatal(err)
	}
	check := func() {
		t.Helper()
		st, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o700 {
			t.Errorf("data dir mode %v, want 0700", st.Mode().Perm())
		}
		n := 0
		for _, name := range []string{sqlite.FileName, sqlite.FileName + "-wal", sqlite.FileName + "-shm"} {
			st, err := os.Stat(filepath.Join(dir, name))
			if os.IsNotExist(err) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			n++
			if st.Mode().Perm() != 0o600 {
				t.Errorf("%s mode %v, want 0600", name, st.Mode().Perm())
			}
		}
		if n < 2 {
			t.Errorf("%d database files found, want the database and its WAL", n)
		}
	}
	check()
	// A database left readable by an older version is tightened on open.
	for _, name := range []string{sqlite.FileName, sqlite.FileName + "-wal", sqlite.FileName + "-shm"} {
		_ = os.Chmod(filepath.Join(dir, name), 0o644)
	}
	_ = os.Chmod(dir, 0o755)
	db2, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	check()
	db2.Close()
	db.Close()
}
