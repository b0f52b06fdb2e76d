package clientsdk

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Client is one tablet's view of ruhu: a local store in a directory and the
// server it syncs with. Its methods are safe for concurrent use; Sync calls
// are serialised, local edits never wait for the network.
type Client struct {
	dir      string
	server   string
	deviceID string
	db       *sql.DB
	opts     options

	syncMu sync.Mutex // one Sync (or pull) at a time
	authMu sync.Mutex // one token refresh at a time

	closeOnce sync.Once
	closed    chan struct{}
}

// Open opens the SDK's store in dir, creating it on first use, for the
// server at serverURL (e.g. "https://ruhu.example.gov.cn"). serverURL may
// be "" to reuse the URL the store was created with. The device id is
// generated on first use and kept. Errors: ErrServerMismatch when dir
// already belongs to another server.
func Open(dir, serverURL string, opts ...Option) (*Client, error) {
	o := defaultOptions()
	for _, fn := range opts {
		fn(&o)
	}
	o.normalise()
	ctx := context.Background()
	db, err := openStore(ctx, dir)
	if err != nil {
		return nil, err
	}
	c := &Client{dir: dir, db: db, opts: o, closed: make(chan struct{})}
	if err := c.initIdentity(ctx, strings.TrimRight(serverURL, "/")); err != nil {
		db.Close()
		return nil, err
	}
	return c, nil
}

// initIdentity loads or creates the device id and the server URL.
func (c *Client) initIdentity(ctx context.Context, serverURL string) error {
	return inTx(ctx, c.db, func(tx *sql.Tx) error {
		stored, err := getMeta(ctx, tx, metaServerURL)
		if err != nil {
			return err
		}
		switch {
		case stored == "" && serverURL == "":
			return fmt.Errorf("%w: a new store needs the server URL", ErrServerMismatch)
		case stored == "":
			if err := setMeta(ctx, tx, metaServerURL, serverURL); err != nil {
				return err
			}
			stored = serverURL
		case serverURL != "" && serverURL != stored:
			return fmt.Errorf("%w: %s holds data of %s", ErrServerMismatch, c.dir, stored)
		}
		c.server = stored
		if c.deviceID, err = getMeta(ctx, tx, metaDeviceID); err != nil || c.deviceID != "" {
			return err
		}
		c.deviceID = newDeviceID()
		return setMeta(ctx, tx, metaDeviceID, c.deviceID)
	})
}

func newDeviceID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return "tab-" + hex.EncodeToString(b)
}

// DeviceID is this store's device id, sent with every login and push.
func (c *Client) DeviceID() string { return c.deviceID }

// ServerURL is the server this store syncs with.
func (c *Client) ServerURL() string { return c.server }

// Dir is the store's directory.
func (c *Client) Dir() string { return c.dir }

// Close waits for a running Sync to end and closes the store.
func (c *Client) Close() error {
	var err error
	c.closeOnce.Do(func() {
		close(c.closed)
		c.syncMu.Lock()
		defer c.syncMu.Unlock()
		err = c.db.Close()
	})
	return err
}

func (c *Client) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

func (c *Client) now() time.Time { return c.opts.now().UTC() }

func (c *Client) nowString() string { return c.now().Format(time.RFC3339Nano) }
