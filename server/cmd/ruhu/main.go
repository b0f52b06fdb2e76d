// Command ruhu is the ruhu sync server.
//
//	ruhu serve  --data DIR --addr HOST:PORT   run the server
//	ruhu init   --data DIR --county-id ID --county-name NAME --admin USERNAME   (password on stdin)
//	ruhu demo   --data DIR                    seed a demo county and print its logins
//	ruhu audit verify --data DIR              recompute the audit hash chain
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
  ruhu serve [--data DIR] [--addr HOST:PORT] [--trusted-proxy CIDR]... [--max-conns-per-addr N]
  ruhu init --data DIR --county-id ID --county-name NAME --admin USERNAME   (admin password: first line of stdin)
  ruhu demo [--data DIR]
  ruhu audit verify [--data DIR]`

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
	case "audit":
		if len(args) < 2 || args[1] != "verify" {
			return 2, errors.New(usage)
		}
		return auditVerify(ctx, args[2:], stdout)
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

func serve(ctx context.Context, args []string, stdout io.Writer) (int, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	data := dataFlag(fs)
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
	ok, err := sqlite.Initialized(ctx, *data)
	if err != nil {
		return 1, err
	}
	if !ok {
		return 1, fmt.Errorf("%s is not initialised: run 'ruhu init' or 'ruhu demo' first", *data)
	}
	a, err := app.Open(ctx, app.Config{DataDir: *data, Log: log, MaxUploadSize: *maxUpload << 20,
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
	if err := app.Initialise(ctx, *data, *countyID, *countyName, *admin, password, auth.DefaultArgon2); err != nil {
		return 1, err
	}
	fmt.Fprintf(stdout, "initialised %s: county %s (%s), admin %s\n", *data, *countyID, *countyName, *admin)
	return 0, nil
}

func auditVerify(ctx context.Context, args []string, stdout io.Writer) (int, error) {
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	data := dataFlag(fs)
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	// Opening would create an empty database and call it intact.
	if _, err := os.Stat(filepath.Join(*data, sqlite.FileName)); err != nil {
		return 1, fmt.Errorf("no ruhu database in %s: %w", *data, err)
	}
	db, err := sqlite.Open(ctx, *data)
	if err != nil {
		return 1, err
	}
	defer db.Close()
	n, brk, err := db.VerifyAudit(ctx)
	if err != nil {
		return 1, err
	}
	if brk != nil {
		fmt.Fprintf(stdout, "audit chain BROKEN at row %d: %s (%d rows read)\n", brk.Seq, brk.Reason, n)
		return 3, nil
	}
	fmt.Fprintf(stdout, "audit chain intact: %d rows verified\n", n)
	return 0, nil
}
