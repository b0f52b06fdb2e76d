// Package app wires ruhu's adapters into one HTTP handler. It is used by
// server/cmd/ruhu and by in-process tests (server/ruhutest), so both run the
// exact same server.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/api"
	"github.com/ruhu-org/ruhu/server/auth"
	"github.com/ruhu-org/ruhu/server/console"
	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/server/photos"
	"github.com/ruhu-org/ruhu/server/postgres"
	"github.com/ruhu-org/ruhu/server/sqlite"
)

// Config configures a server instance.
type Config struct {
	// DataDir holds the photo store and uploads, and the SQLite database
	// unless DatabaseURL is set.
	DataDir string
	// DatabaseURL, when set, is a PostgreSQL URL (postgres://…): the
	// database lives there and several processes may share it.
	DatabaseURL string
	Log         *slog.Logger
	// Hasher hashes passwords (default argon2id with OWASP parameters).
	Hasher auth.Argon2
	// Now is the clock (default time.Now in UTC).
	Now func() time.Time
	// AccessTTL and RefreshTTL override token lifetimes.
	AccessTTL, RefreshTTL time.Duration
	// MaxUploadSize is the largest photo upload in bytes (default 25 MiB).
	MaxUploadSize int64
	// PixelCap is the most pixels a photo may have (default 50,000,000).
	PixelCap int64
	// UploadExpiry is how long an upload nobody writes to is kept (default
	// 7 days); abandoned ones are swept every UploadExpiry/24 at most hourly.
	UploadExpiry time.Duration
	// PhotoWorkers is how many photos are decoded at once (default 2).
	PhotoWorkers int
}

// App is a wired server.
type App struct {
	// Store is the database; SQLite is the same store when it is the
	// embedded SQLite (nil on PostgreSQL).
	Store   server.Store
	SQLite  *sqlite.DB
	Engine  *engine.Engine
	Auth    *auth.Service
	Uploads *photos.Uploads
	Handler http.Handler

	stopSweep context.CancelFunc
	swept     chan struct{}
}

// Open opens the database in cfg.DataDir and wires the API over it.
func Open(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Hasher == (auth.Argon2{}) {
		cfg.Hasher = auth.DefaultArgon2
	}
	db, lite, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	eng := engine.New(db)
	if cfg.Now != nil {
		eng.Now = cfg.Now
	}
	key, err := db.Secret(ctx, "jwt_hs256", 32)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("jwt key: %w", err)
	}
	as, err := auth.New(eng, auth.Config{Key: key, Hasher: cfg.Hasher, Now: cfg.Now, NewID: eng.NewID,
		AccessTTL: cfg.AccessTTL, RefreshTTL: cfg.RefreshTTL})
	if err != nil {
		db.Close()
		return nil, err
	}
	store, err := photos.NewStore(filepath.Join(cfg.DataDir, "photos"))
	if err != nil {
		db.Close()
		return nil, err
	}
	up, err := photos.NewUploads(store, eng, photos.UploadConfig{Dir: filepath.Join(cfg.DataDir, "uploads"),
		MaxSize: cfg.MaxUploadSize, Limits: photos.Limits{MaxPixels: cfg.PixelCap}, Expiry: cfg.UploadExpiry,
		Workers: cfg.PhotoWorkers, Now: cfg.Now, Log: cfg.Log, StatusOf: api.StatusOf})
	if err != nil {
		db.Close()
		return nil, err
	}
	ps := &photos.Service{Store: store, Records: eng}
	h := api.New(api.Deps{Auth: as, Admin: eng, Keys: eng, Sync: eng, Conflicts: eng, Investigations: eng, Cases: eng,
		Hasher: cfg.Hasher, Ready: db.Ping, Log: cfg.Log, Uploads: up, Photos: ps,
		Console: console.New(console.Deps{Auth: as, Sessions: eng, Engine: eng, Photos: ps, Secret: key, Now: eng.Now, Log: cfg.Log})})
	a := &App{Store: db, SQLite: lite, Engine: eng, Auth: as, Uploads: up, Handler: h, swept: make(chan struct{})}
	a.sweep(cfg.UploadExpiry)
	return a, nil
}

// sweep removes abandoned uploads in the background until Close.
func (a *App) sweep(expiry time.Duration) {
	if expiry <= 0 {
		expiry = 7 * 24 * time.Hour
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.stopSweep = cancel
	go func() {
		defer close(a.swept)
		a.Uploads.SweepEvery(ctx, min(expiry/24, time.Hour))
	}()
}

// Close stops the upload sweeper and closes the database.
func (a *App) Close() error {
	a.stopSweep()
	<-a.swept
	return a.Store.Close()
}

// openStore opens the configured database.
func openStore(ctx context.Context, cfg Config) (server.Store, *sqlite.DB, error) {
	if cfg.DatabaseURL != "" {
		db, err := postgres.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, nil, err
		}
		if cfg.Now != nil {
			db.Now = cfg.Now
		}
		return db, nil, nil
	}
	db, err := sqlite.Open(ctx, cfg.DataDir)
	if err != nil {
		return nil, nil, err
	}
	if cfg.Now != nil {
		db.Now = cfg.Now
	}
	return db, db, nil
}

var _ server.PasswordHasher = auth.Argon2{}
