package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/server/sqlite"
)

// backupCmd writes a consistent copy of a live data directory to the
// directory OUT: the database as one snapshot (VACUUM INTO on a read
// connection of its own, so the server keeps serving), then the photo
// store (content-addressed and immutable: every photo the snapshot names
// is already there). It then checks the copy — integrity_check and the
// audit chain — and prints the chain heads of the copy.
func backupCmd(ctx context.Context, args []string, stdout io.Writer) (int, error) {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	data := dataFlag(fs)
	dbURL := dbFlag(fs)
	out := fs.String("out", "", "directory to create for the backup (or give it as the argument)")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if *out == "" && fs.NArg() == 1 {
		*out = fs.Arg(0)
	}
	if *out == "" || fs.NArg() > 1 {
		return 2, errors.New("usage: ruhu backup --data DIR OUT")
	}
	if *dbURL != "" {
		return 2, errors.New("the database is in PostgreSQL: back it up with pg_dump (README, Backup) and copy --data's photos directory")
	}
	src := filepath.Join(*data, sqlite.FileName)
	if _, err := os.Stat(src); err != nil {
		return 1, fmt.Errorf("no ruhu database in %s: %w", *data, err)
	}
	if err := os.Mkdir(*out, 0o700); err != nil {
		return 1, fmt.Errorf("backup directory (must not exist yet): %w", err)
	}
	if err := snapshot(ctx, src, filepath.Join(*out, sqlite.FileName)); err != nil {
		return 1, err
	}
	n, err := copyPhotos(filepath.Join(*data, "photos"), filepath.Join(*out, "photos"))
	if err != nil {
		return 1, err
	}
	code, err := checkCopy(ctx, *out, stdout)
	if err != nil || code != 0 {
		return code, err
	}
	fmt.Fprintf(stdout, "backup of %s written to %s: database and %d photo files\n", *data, *out, n)
	return 0, nil
}

// snapshot copies the database at src to dst with VACUUM INTO, which reads
// one snapshot (WAL: writers go on) and writes a compact database file.
func snapshot(ctx context.Context, src, dst string) error {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	db, err := sql.Open("sqlite", "file:"+src+"?"+q.Encode())
	if err != nil {
		return fmt.Errorf("open %s: %w", src, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("copy the database: %w", err)
	}
	return os.Chmod(dst, 0o600)
}

// checkCopy verifies a database copy in dir: SQLite's integrity_check,
// then the audit chains. Exit code 3 when either fails.
func checkCopy(ctx context.Context, dir string, stdout io.Writer) (int, error) {
	if err := integrity(ctx, filepath.Join(dir, sqlite.FileName)); err != nil {
		return 3, err
	}
	db, err := sqlite.Open(ctx, dir)
	if err != nil {
		return 1, err
	}
	defer db.Close()
	v, err := engine.New(db).CheckAudit(ctx, nil)
	if err != nil {
		return 1, err
	}
	if brk := v.Break; brk != nil {
		return 3, fmt.Errorf("the copy's audit chain is BROKEN at row %d%s: %s", brk.Seq, countyNote(brk.County), brk.Reason)
	}
	fmt.Fprintf(stdout, "copy verified: integrity ok, audit chain intact (%d rows)\n", v.Rows)
	for _, h := range v.Heads() {
		fmt.Fprintf(stdout, "head %s\n", h)
	}
	return 0, nil
}

func integrity(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return fmt.Errorf("integrity check of %s: %w", path, err)
	}
	if res != "ok" {
		return fmt.Errorf("integrity check of %s failed: %s", path, res)
	}
	return nil
}

// copyPhotos copies the photo store (but not its tmp directory of
// unfinished puts) and returns the number of files copied.
func copyPhotos(src, dst string) (int, error) {
	n := 0
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == src {
			return filepath.SkipAll // no photos yet
		}
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel == "tmp" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		n++
		return copyFile(path, filepath.Join(dst, rel))
	})
	if err != nil {
		return n, fmt.Errorf("copy photos: %w", err)
	}
	return n, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// restoreCmd puts a backup made by 'ruhu backup' in place as a new data
// directory: it verifies the backup first, refuses a directory that
// already holds a database, and copies the database and the photos.
func restoreCmd(ctx context.Context, args []string, stdout io.Writer) (int, error) {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	data := dataFlag(fs)
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if fs.NArg() != 1 {
		return 2, errors.New("usage: ruhu restore --data DIR BACKUP")
	}
	from := fs.Arg(0)
	if _, err := os.Stat(filepath.Join(from, sqlite.FileName)); err != nil {
		return 1, fmt.Errorf("no backup in %s: %w", from, err)
	}
	if _, err := os.Stat(filepath.Join(*data, sqlite.FileName)); err == nil {
		return 1, fmt.Errorf("%s already holds a database: restore into a new directory (stop the server, move the old one away)", *data)
	}
	if err := integrity(ctx, filepath.Join(from, sqlite.FileName)); err != nil {
		return 3, err
	}
	if err := os.MkdirAll(*data, 0o700); err != nil {
		return 1, err
	}
	if err := copyFile(filepath.Join(from, sqlite.FileName), filepath.Join(*data, sqlite.FileName)); err != nil {
		return 1, fmt.Errorf("restore the database: %w", err)
	}
	n, err := copyPhotos(filepath.Join(from, "photos"), filepath.Join(*data, "photos"))
	if err != nil {
		return 1, err
	}
	code, err := checkCopy(ctx, *data, stdout)
	if err != nil || code != 0 {
		return code, err
	}
	fmt.Fprintf(stdout, "restored %s into %s: database and %d photo files\n", from, *data, n)
	return 0, nil
}
