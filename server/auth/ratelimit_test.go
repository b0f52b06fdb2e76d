package auth

import (
	"fmt"
	"testing"
	"time"
)

func TestLimiterWindow(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	l := newLimiter(3, 15*time.Minute)
	steps := []struct {
		at   time.Duration
		hit  bool
		wait time.Duration
	}{
		{0, true, 0},
		{time.Minute, true, 0},
		{2 * time.Minute, false, 0},
		{2 * time.Minute, true, 13 * time.Minute}, // third hit: at the limit
		{14 * time.Minute, false, time.Minute},
		{15 * time.Minute, false, 0}, // the window (from the first hit) has passed
		{15 * time.Minute, true, 0},  // a new window starts
		{16 * time.Minute, true, 0},
		{17 * time.Minute, true, 13 * time.Minute},
	}
	for i, st := range steps {
		now := t0.Add(st.at)
		if st.hit {
			l.add("k", now)
		}
		if got := l.wait("k", now); got != st.wait {
			t.Errorf("step %d (%v): wait %v, want %v", i, st.at, got, st.wait)
		}
	}
	if l.wait("other", t0.Add(17*time.Minute)) != 0 {
		t.Error("keys are not independent")
	}
	l.refund("k", t0.Add(17*time.Minute))
	if l.wait("k", t0.Add(17*time.Minute)) != 0 {
		t.Error("refund did not unblock")
	}
	l.add("k", t0.Add(17*time.Minute))
	l.reset("k")
	if l.wait("k", t0.Add(17*time.Minute)) != 0 {
		t.Error("reset did not unblock")
	}
}

func TestLimiterSweepsOldKeys(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	l := newLimiter(1, time.Minute)
	for i := range sweepMin {
		l.add(fmt.Sprint(i), t0)
	}
	l.add("late", t0.Add(2*time.Minute))
	if n := len(l.hits); n != 1 {
		t.Errorf("%d keys kept after the sweep, want 1", n)
	}
	if l.wait("late", t0.Add(2*time.Minute)) == 0 {
		t.Error("the new key was lost")
	}
}

// A table full of live keys is swept again only when it has doubled, not
// on every new key.
func TestLimiterSweepIsAmortised(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	l := newLimiter(1, time.Minute)
	for i := range sweepMin + 10 {
		l.add(fmt.Sprint(i), t0)
	}
	if l.sweepAt != 2*sweepMin {
		t.Errorf("next sweep at %d keys, want %d", l.sweepAt, 2*sweepMin)
	}
}

// Both limits are reserved together or not at all.
func TestReserveBoth(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	addr, user := newLimiter(3, time.Minute), newLimiter(2, time.Minute)
	for i := range 2 {
		if w := reserveBoth(addr, "a", user, "u", t0); w != 0 {
			t.Fatalf("attempt %d refused", i)
		}
	}
	if w := reserveBoth(addr, "a", user, "u", t0); w != time.Minute {
		t.Fatalf("third attempt for u: wait %v", w)
	}
	if n := addr.hits["a"].n; n != 2 {
		t.Errorf("a refused attempt was counted against the address: %d", n)
	}
	if w := reserveBoth(addr, "a", user, "v", t0); w != 0 {
		t.Fatal("another user from a refused")
	}
	if w := reserveBoth(addr, "a", user, "w", t0); w != time.Minute {
		t.Fatal("the address limit did not hold")
	}
}

func TestAddrKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":            "192.0.2.7",
		"::ffff:192.0.2.7":     "192.0.2.7",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1": "2001:db8:1:2::/64",
		"not an address":       "not an address",
	} {
		if got := addrKey(in); got != want {
			t.Errorf("addrKey(%q) = %q, want %q", in, got, want)
		}
	}
}
