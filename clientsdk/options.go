package clientsdk

import (
	"context"
	"net/http"
	"time"

	"github.com/ruhu-org/ruhu/syncproto"
)

// Option configures a Client.
type Option func(*options)

type options struct {
	http        *http.Client
	now         func() time.Time
	sleep       func(ctx context.Context, d time.Duration) error
	attempts    int
	backoffBase time.Duration
	backoffMax  time.Duration
	batchSize   int
	pullLimit   int
	chunkSize   int64
	progress    func(Progress)
	photo       PhotoOptions
}

func defaultOptions() options {
	return options{
		http:        &http.Client{Timeout: 2 * time.Minute},
		now:         time.Now,
		sleep:       sleepCtx,
		attempts:    5,
		backoffBase: 500 * time.Millisecond,
		backoffMax:  30 * time.Second,
		batchSize:   200,
		pullLimit:   syncproto.DefaultPullLimit,
		chunkSize:   256 << 10,
		photo:       PhotoOptions{MaxEdge: 1600, Quality: 80},
	}
}

// WithHTTPClient sets the HTTP client (its Transport is where tests cut
// the network).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.http = c } }

// WithClock sets the device clock (signed_at, token expiry, last sync).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithSleeper replaces the wait between retries; tests pass one that
// records the delays and returns at once.
func WithSleeper(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(o *options) { o.sleep = sleep }
}

// WithRetry sets how many times a request is tried on network errors, 5xx
// and 429 (attempts ≥ 1), and the exponential backoff: the n-th wait is
// drawn from [d/2, d) with d = min(max, base·2ⁿ).
func WithRetry(attempts int, base, max time.Duration) Option {
	return func(o *options) {
		o.attempts, o.backoffBase, o.backoffMax = attempts, base, max
	}
}

// WithBatchSize sets the most mutations per push (1 … 1000; default 200).
func WithBatchSize(n int) Option { return func(o *options) { o.batchSize = n } }

// WithPullLimit sets the page size of pulls (default 500).
func WithPullLimit(n int) Option { return func(o *options) { o.pullLimit = n } }

// WithChunkSize sets the size of one tus PATCH (default 256 KiB): the most
// a cut connection can cost.
func WithChunkSize(n int64) Option { return func(o *options) { o.chunkSize = n } }

// WithProgress sets a callback told about sync progress, and about retries
// of any request (PhaseRetry). It is called from the goroutine making the
// request and must not call back into the Client.
func WithProgress(fn func(Progress)) Option { return func(o *options) { o.progress = fn } }

// WithPhotoOptions sets how photos are prepared before upload.
func WithPhotoOptions(p PhotoOptions) Option { return func(o *options) { o.photo = p } }

func (o *options) normalise() {
	o.attempts = max(o.attempts, 1)
	if o.batchSize < 1 || o.batchSize > syncproto.MaxMutationsPerPush {
		o.batchSize = min(max(o.batchSize, 1), syncproto.MaxMutationsPerPush)
	}
	if o.pullLimit < 1 {
		o.pullLimit = syncproto.DefaultPullLimit
	}
	if o.chunkSize < 1 {
		o.chunkSize = 256 << 10
	}
	if o.photo.MaxEdge == 0 {
		o.photo.MaxEdge = 1600
	}
	if o.photo.Quality == 0 {
		o.photo.Quality = 80
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
