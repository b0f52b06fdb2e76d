// Command ruhu is the ruhu sync server.
//
//	ruhu serve  --data DIR --addr HOST:PORT   run the server
//	ruhu init   --data DIR --county-id ID --county-name NAME --admin USERNAME   (password on stdin)
//	ruhu demo   --data DIR                    seed a demo county and print its logins
//	ruhu audit verify --data DIR              recompute the audit hash chain
//
// Every command takes --db postgres://… (env RUHU_DATABASE_URL) to use
// PostgreSQL instead of the embedded SQLite.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/api"
	"github.com/ruhu-org/ruhu/server/app"
	"github.com/ruhu-org/ruhu/server/auth"
	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/server/postgres"
	"github.com/ruhu-org/ruhu/server/sqlite"
)

func main() {
	code, err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ruhu:", err)
	}
	os.Exit(code)
}

const usage = `usage:
  ruhu serve [--data DIR] [--db URL] [--addr HOST:PORT] [--trusted-proxy CIDR]... [--max-conns-per-addr N]
  ruhu init --data DIR [--db URL] --county-id ID --county-name NAME --admin USERNAME   (admin password: first line of stdin)
  ruhu demo [--data DIR] [--db URL]
  ruhu audit head [--data DIR] [--db URL]
  ruhu audit verify [--data DIR] [--db URL] [--head TOKEN]
  ruhu backup --data DIR OUT      (a verified copy of a running server's SQLite database and photos)
  ruhu restore --data NEWDIR OUT  (put a backup in place as a new data directory)

--db postgres://… (env RUHU_DATABASE_URL) keeps the database in PostgreSQL, shared by
several ruhu serve processes; --data still holds the photo store and uploads`

func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) (int, error) {
	if len(args) == 0 {
		return 2, errors.New(usage)
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout)
	case "init":
		return initCmd(ctx, args[1:], stdin, stdout)
	case "demo":
		return demoCmd(ctx, args[1:], stdout)
	case "backup":
		return backupCmd(ctx, args[1:], stdout)
	case "restore":
		return restoreCmd(ctx, args[1:], stdout)
	case "audit":
		switch {
		case len(args) >= 2 && args[1] == "verify":
			return auditVerify(ctx, args[2:], stdout)
		case len(args) >= 2 && args[1] == "head":
			return auditHead(ctx, args[2:], stdout)
		}
		return 2, errors.New(usage)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return 0, nil
	}
	return 2, fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func dataFlag(fs *flag.FlagSet) *string {
	return fs.String("data", env("RUHU_DATA", "./data"), "data directory (env RUHU_DATA)")
}

// dbFlag is the PostgreSQL URL; empty means the embedded SQLite in --data.
func dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", env("RUHU_DATABASE_URL", ""),
		"PostgreSQL URL postgres://… (env RUHU_DATABASE_URL); empty: the embedded SQLite in --data")
}

func serve(ctx context.Context, args []string, stdout io.Writer) (int, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	data := dataFlag(fs)
	dbURL := dbFlag(fs)
	addr := fs.String("addr", env("RUHU_ADDR", "127.0.0.1:8080"), "listen address (env RUHU_ADDR)")
	maxUpload := fs.Int64("max-upload-mib", 25, "largest photo upload, MiB")
	pixelCap := fs.Int64("pixel-cap-mp", 50, "most megapixels a photo may have")
	expiry := fs.Duration("upload-expiry", 7*24*time.Hour, "how long an abandoned upload is kept")
	workers := fs.Int("photo-workers", 2, "photos decoded at once (each needs ~50 MB for 12 MP)")
	refreshTTL := fs.Duration("refresh-ttl", 45*24*time.Hour, "refresh-token lifetime (weeks offline)")
	var proxies api.PrefixList
	fs.Var(&proxies, "trusted-proxy", "CIDR or address of a reverse proxy whose X-Forwarded-For is believed (repeatable, comma-separated)")
	maxConns := fs.Int("max-conns-per-addr", 64, "connections one client address may hold open (trusted proxies are not counted)")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	log := slog.New(slog.NewJSONHandler(stdout, nil))
	ok, err := app.Initialized(ctx, app.Config{DataDir: *data, DatabaseURL: *dbURL})
	if err != nil {
		return 1, err
	}
	if !ok {
		return 1, fmt.Errorf("the database is not initialised: run 'ruhu init' or 'ruhu demo' first")
	}
	a, err := app.Open(ctx, app.Config{DataDir: *data, DatabaseURL: *dbURL, Log: log, MaxUploadSize: *maxUpload << 20,
		PixelCap: *pixelCap * 1_000_000, UploadExpiry: *expiry, PhotoWorkers: *workers, RefreshTTL: *refreshTTL})
	if err != nil {
		return 1, err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return 1, err
	}
	ln = api.Listener(ln, api.ListenerConfig{MaxConnsPerAddr: *maxConns, Exempt: proxies})
	srv := &http.Server{Handler: api.TrustProxies(a.Handler, proxies), ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 32 << 10}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("ruhu listening", "addr", ln.Addr().String(), "data", *data)
	select {
	case err := <-errc:
		return 1, err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return 1, err
	}
	if err := a.Close(); err != nil {
		return 1, err
	}
	log.Info("stopped cleanly")
	return 0, nil
}

func initCmd(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) (int, error) {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	data := dataFlag(fs)
	dbURL := dbFlag(fs)
	countyID := fs.String("county-id", "", "id of the county root unit")
	countyName := fs.String("county-name", "", "name of the county")
	admin := fs.String("admin", "", "username of the first admin")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if *countyID == "" || *countyName == "" || *admin == "" {
		return 2, errors.New("init needs --county-id, --county-name and --admin")
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return 1, fmt.Errorf("read password: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if len(password) < server.MinPasswordLen {
		return 2, fmt.Errorf("the admin password (first line of stdin) must be at least %d characters", server.MinPasswordLen)
	}
	if err := app.InitialiseStore(ctx, app.Config{DataDir: *data, DatabaseURL: *dbURL}, *countyID, *countyName, *admin,
		password, auth.DefaultArgon2); err != nil {
		return 1, err
	}
	fmt.Fprintf(stdout, "initialised %s: county %s (%s), admin %s\n", *data, *countyID, *countyName, *admin)
	return 0, nil
}

func auditVerify(ctx context.Context, args []string, stdout io.Writer) (int, error) {
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	data := dataFlag(fs)
	dbURL := dbFlag(fs)
	head := fs.String("head", "", "a head token printed earlier by 'ruhu audit head': the chain must still hold it exactly")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	var anchor *server.AuditHead
	if *head != "" {
		h, err := server.ParseAuditHead(*head)
		if err != nil {
			return 2, err
		}
		anchor = &h
	}
	v, code, err := checkAudit(ctx, *data, *dbURL, anchor)
	if err != nil || code != 0 {
		return code, err
	}
	if brk := v.Break; brk != nil {
		fmt.Fprintf(stdout, "audit chain BROKEN at row %d%s: %s (%d rows read)\n", brk.Seq, countyNote(brk.County), brk.Reason, v.Rows)
		return 3, nil
	}
	fmt.Fprintf(stdout, "audit chain intact: %d rows verified\n", v.Rows)
	if anchor != nil {
		fmt.Fprintf(stdout, "anchored head %s is in the chain\n", anchor)
	}
	return 0, nil
}

// auditHead prints the head token of each chain, one line each: kept
// elsewhere (the daily report, the county server), it lets 'audit verify
// --head' prove later that no row was rewritten or cut.
func auditHead(ctx context.Context, args []string, stdout io.Writer) (int, error) {
	fs := flag.NewFlagSet("audit head", flag.ContinueOnError)
	data := dataFlag(fs)
	dbURL := dbFlag(fs)
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	v, code, err := checkAudit(ctx, *data, *dbURL, nil)
	if err != nil || code != 0 {
		return code, err
	}
	if brk := v.Break; brk != nil {
		return 3, fmt.Errorf("audit chain BROKEN at row %d%s: %s; no head to anchor", brk.Seq, countyNote(brk.County), brk.Reason)
	}
	for _, h := range v.Heads() {
		fmt.Fprintln(stdout, h)
	}
	return 0, nil
}

// checkAudit opens the database and verifies its chains.
func checkAudit(ctx context.Context, data, dbURL string, anchor *server.AuditHead) (*server.ChainVerifier, int, error) {
	db, err := openExisting(ctx, data, dbURL)
	if err != nil {
		return nil, 1, err
	}
	defer db.Close()
	v, err := engine.New(db).CheckAudit(ctx, anchor)
	if err != nil {
		return nil, 1, err
	}
	return v, 0, nil
}

// openExisting opens the database without creating one: opening a missing
// SQLite file would create an empty database and call its chain intact.
func openExisting(ctx context.Context, data, dbURL string) (server.Store, error) {
	if dbURL != "" {
		return postgres.Open(ctx, dbURL)
	}
	if _, err := os.Stat(filepath.Join(data, sqlite.FileName)); err != nil {
		return nil, fmt.Errorf("no ruhu database in %s: %w", data, err)
	}
	return sqlite.Open(ctx, data)
}

func countyNote(county string) string {
	if county == "" {
		return ""
	}
	return " of county " + county
}
