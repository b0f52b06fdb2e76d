package auth

import (
	"net/netip"
	"sync"
	"time"
)

// limiter counts events per key in a fixed window. It forgets keys whose
// window has passed. An attempt is reserved before it is made (reserve),
// so parallel attempts cannot all pass a check before any is counted, and
// refunded when it turns out not to count (refund).
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	hits   map[string]*window
	// sweepAt is the table size at which the next sweep runs: a table full
	// of live keys is not swept on every hit.
	sweepAt int
}

type window struct {
	start time.Time
	n     int
}

// sweepMin is the table size below which expired keys are not swept.
const sweepMin = 100_000

func newLimiter(max int, per time.Duration) *limiter {
	return &limiter{max: max, window: per, hits: map[string]*window{}, sweepAt: sweepMin}
}

// live returns key's window at now, or nil when it has none or it passed.
func (l *limiter) live(key string, now time.Time) *window {
	w := l.hits[key]
	if w == nil || now.Sub(w.start) >= l.window {
		return nil
	}
	return w
}

// wait is how long key stays blocked at now (0 when it is not).
func (l *limiter) wait(key string, now time.Time) time.Duration {
	w := l.live(key, now)
	if w == nil || w.n < l.max {
		return 0
	}
	return w.start.Add(l.window).Sub(now)
}

// add counts one event for key at now.
func (l *limiter) add(key string, now time.Time) {
	if len(l.hits) >= l.sweepAt {
		l.sweep(now)
		l.sweepAt = max(sweepMin, 2*len(l.hits))
	}
	w := l.live(key, now)
	if w == nil {
		w = &window{start: now}
		l.hits[key] = w
	}
	w.n++
}

// refund takes back one event of key (an attempt that did not count).
func (l *limiter) refund(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if w := l.live(key, now); w != nil && w.n > 0 {
		w.n--
	}
}

// reset forgets key (after a successful login).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.hits, key)
}

func (l *limiter) sweep(now time.Time) {
	for k, w := range l.hits {
		if now.Sub(w.start) >= l.window {
			delete(l.hits, k)
		}
	}
}

// reserveBoth counts one event for each key of a and b at now, or for
// neither when either is at its limit; then it returns how long to wait.
// a and b are locked in a fixed order (callers always pass the address
// limiter first).
func reserveBoth(a *limiter, ka string, b *limiter, kb string, now time.Time) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	b.mu.Lock()
	defer b.mu.Unlock()
	if w := max(a.wait(ka, now), b.wait(kb, now)); w > 0 {
		return w
	}
	a.add(ka, now)
	b.add(kb, now)
	return 0
}

// blockedEither is how long ka in a or kb in b stays blocked at now (0
// when neither is). It counts nothing: reserveBoth decides.
func blockedEither(a *limiter, ka string, b *limiter, kb string, now time.Time) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	b.mu.Lock()
	defer b.mu.Unlock()
	return max(a.wait(ka, now), b.wait(kb, now))
}

// addrKey is the rate-limit key of a client address. An IPv6 client
// usually holds a whole /64 and could take a fresh address for every
// attempt: its key is the /64.
func addrKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
