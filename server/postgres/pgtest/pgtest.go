// Package pgtest starts a throwaway PostgreSQL server for tests and hands
// out fresh, empty databases on it.
//
// The server is started once per test binary, on first use: initdb into a
// temporary directory, then pg_ctl start on a free port of 127.0.0.1 with
// its unix sockets in that directory, fsync off and trust authentication.
// Call Main from TestMain so that the server is stopped and its directory
// removed when the tests end:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// When the PostgreSQL binaries are missing, URL skips the test, or fails it
// when the environment variable CI is "true".
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// server is the shared throwaway server.
type server struct {
	bin  string // directory of initdb and pg_ctl
	dir  string // temporary directory: data, log and sockets
	port int
	asPG bool // commands run as the postgres user (we are root)
}

var (
	once    sync.Once
	shared  *server
	initErr error
	missing bool // the binaries are not installed
	dbSeq   atomic.Int64
)

// URL returns the connection URL of a new, empty database on the shared
// server. The database is dropped when the test ends.
func URL(t testing.TB) string {
	t.Helper()
	once.Do(start)
	switch {
	case missing && os.Getenv("CI") == "true":
		t.Fatalf("pgtest: PostgreSQL is required in CI: %v", initErr)
	case missing:
		t.Skipf("pgtest: PostgreSQL binaries not found (%v); install postgresql-15 or set PGTEST_BIN", initErr)
	case initErr != nil:
		t.Fatalf("pgtest: %v", initErr)
	}
	name := fmt.Sprintf("ruhu_test_%d_%d", os.Getpid(), dbSeq.Add(1))
	if err := shared.admin(context.Background(), `CREATE DATABASE `+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		if err := shared.admin(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("pgtest: drop database: %v", err)
		}
	})
	return shared.url(name)
}

// Main runs the tests, then stops the server (if one was started) and
// removes its directory, and exits with the tests' status.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.stop()
	}
	os.Exit(code)
}

func (s *server) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// admin runs one statement on the maintenance database.
func (s *server) admin(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, s.url("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// start initialises and starts the shared server, setting shared or
// initErr (and missing).
func start() {
	bin, err := findBin()
	if err != nil {
		missing, initErr = true, err
		return
	}
	s := &server{bin: bin, asPG: os.Geteuid() == 0}
	if err := s.init(); err != nil {
		initErr = err
		if s.dir != "" {
			os.RemoveAll(s.dir)
		}
		return
	}
	shared = s
}

// findBin finds the directory holding initdb and pg_ctl: $PGTEST_BIN, the
// Debian layout /usr/lib/postgresql/<major>/bin, then $PATH.
func findBin() (string, error) {
	dirs := []string{os.Getenv("PGTEST_BIN")}
	for _, major := range []string{"15", "16", "17", "14"} {
		dirs = append(dirs, "/usr/lib/postgresql/"+major+"/bin")
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	p, err := exec.LookPath("pg_ctl")
	if err != nil {
		return "", errors.New("no pg_ctl in $PGTEST_BIN, /usr/lib/postgresql/*/bin or $PATH")
	}
	return filepath.Dir(p), nil
}

func (s *server) init() error {
	dir, err := os.MkdirTemp("", "ruhu-pgtest-")
	if err != nil {
		return err
	}
	s.dir = dir
	if s.asPG {
		if err := chownToPostgres(dir); err != nil {
			return err
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := s.run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
		"--no-locale", "--no-sync"); err != nil {
		return fmt.Errorf("initdb: %v: %s", err, out)
	}
	if s.port, err = freePort(); err != nil {
		return err
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "+
		"-c full_page_writes=off -c max_connections=200", s.port, dir)
	if out, err := s.run("pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts, "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		return fmt.Errorf("pg_ctl start: %v: %s\n%s", err, out, log)
	}
	return s.waitReady()
}

// waitReady waits until the server accepts connections on its TCP port.
func (s *server) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		err := s.admin(ctx, `SELECT 1`)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("server not ready: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *server) stop() {
	_, _ = s.run("pg_ctl", "-D", filepath.Join(s.dir, "data"), "-m", "immediate", "-w", "stop")
	os.RemoveAll(s.dir)
}

// run runs a PostgreSQL binary, as the postgres user when we are root
// (initdb and postgres refuse to run as root).
func (s *server) run(name string, args ...string) ([]byte, error) {
	path := filepath.Join(s.bin, name)
	cmd := exec.Command(path, args...)
	if s.asPG {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	cmd.Dir = s.dir
	return cmd.CombinedOutput()
}

func chownToPostgres(dir string) error {
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("running as root needs a postgres user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(dir, uid, gid)
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
