// Package app wires ruhu's adapters into one HTTP handler. It is used by
// server/cmd/ruhu and by in-process tests (server/ruhutest), so both run the
// exact same server.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/api"
	"github.com/ruhu-org/ruhu/server/auth"
	"github.com/ruhu-org/ruhu/server/sqlite"
)

// Config configures a server instance.
type Config struct {
	DataDir string
	Log     *slog.Logger
	// Hasher hashes passwords (default argon2id with OWASP parameters).
	Hasher auth.Argon2
	// Now is the clock (default time.Now in UTC).
	Now func() time.Time
	// AccessTTL and RefreshTTL override token lifetimes.
	AccessTTL, RefreshTTL time.Duration
}

// App is a wired server.
type App struct {
	DB      *sqlite.DB
	Auth    *auth.Service
	Handler http.Handler
}

// Open opens the database in cfg.DataDir and wires the API over it.
func Open(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Hasher == (auth.Argon2{}) {
		cfg.Hasher = auth.DefaultArgon2
	}
	db, err := sqlite.Open(ctx, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if cfg.Now != nil {
		db.Now = cfg.Now
	}
	key, err := db.Secret(ctx, "jwt_hs256", 32)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("jwt key: %w", err)
	}
	as, err := auth.New(db, auth.Config{Key: key, Hasher: cfg.Hasher, Now: cfg.Now, NewID: db.NewID,
		AccessTTL: cfg.AccessTTL, RefreshTTL: cfg.RefreshTTL})
	if err != nil {
		db.Close()
		return nil, err
	}
	h := api.New(api.Deps{Auth: as, Admin: db, Keys: db, Sync: db, Conflicts: db, Investigations: db,
		Hasher: cfg.Hasher, Ready: db.Ping, Log: cfg.Log})
	return &App{DB: db, Auth: as, Handler: h}, nil
}

// Close closes the database.
func (a *App) Close() error { return a.DB.Close() }

var _ server.PasswordHasher = auth.Argon2{}
