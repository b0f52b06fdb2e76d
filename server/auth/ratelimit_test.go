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
		at      time.Duration
		hit     bool
		blocked bool
	}{
		{0, true, false},
		{time.Minute, true, false},
		{2 * time.Minute, false, false},
		{2 * time.Minute, true, true}, // third hit: at the limit
		{14 * time.Minute, false, true},
		{15 * time.Minute, false, false}, // the window (from the first hit) has passed
		{15 * time.Minute, true, false},  // a new window starts
		{16 * time.Minute, true, false},
		{17 * time.Minute, true, true},
	}
	for i, st := range steps {
		now := t0.Add(st.at)
		if st.hit {
			l.hit("k", now)
		}
		if got := l.blocked("k", now); got != st.blocked {
			t.Errorf("step %d (%v): blocked %v, want %v", i, st.at, got, st.blocked)
		}
	}
	if l.blocked("other", t0.Add(17*time.Minute)) {
		t.Error("keys are not independent")
	}
	l.reset("k")
	if l.blocked("k", t0.Add(17*time.Minute)) {
		t.Error("reset did not unblock")
	}
}

func TestLimiterSweepsOldKeys(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	l := newLimiter(1, time.Minute)
	for i := range 100_001 {
		l.hit(fmt.Sprint(i), t0)
	}
	l.hit("late", t0.Add(2*time.Minute))
	if n := len(l.hits); n != 1 {
		t.Errorf("%d keys kept after the sweep, want 1", n)
	}
	if !l.blocked("late", t0.Add(2*time.Minute)) {
		t.Error("the new key was lost")
	}
}
