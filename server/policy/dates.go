package policy

import (
	"errors"
	"fmt"
	"time"
)

// ErrNoPolicy is returned by Select when no policy is in force on the date.
var ErrNoPolicy = errors.New("policy: no policy in force")

// ErrAmbiguousPolicy is returned by Select when two policies take effect on
// the same date, so the one in force cannot be told.
var ErrAmbiguousPolicy = errors.New("policy: two policies take effect on the same date")

// Select returns the policy in force on date (YYYY-MM-DD): the one with the
// latest EffectiveFrom not after date. It returns ErrNoPolicy when every
// policy starts later, ErrAmbiguousPolicy when the latest date is shared,
// and ErrInvalidPolicy (wrapped) when date or a candidate is malformed.
func Select(policies []Policy, date string) (Policy, error) {
	on, err := parseDate(date)
	if err != nil {
		return Policy{}, fmt.Errorf("%w: select on %q: %v", ErrInvalidPolicy, date, err)
	}
	best, found, tie := -1, time.Time{}, false
	for i, p := range policies {
		from, err := parseDate(p.EffectiveFrom)
		if err != nil {
			return Policy{}, fmt.Errorf("%w: policy %d effective_from: %v", ErrInvalidPolicy, i, err)
		}
		switch {
		case from.After(on):
		case best < 0 || from.After(found):
			best, found, tie = i, from, false
		case from.Equal(found):
			tie = true
		}
	}
	if best < 0 {
		return Policy{}, fmt.Errorf("%w on %s", ErrNoPolicy, date)
	}
	if tie {
		return Policy{}, fmt.Errorf("%w: %s", ErrAmbiguousPolicy, found.Format(time.DateOnly))
	}
	return policies[best], nil
}

// parseDate reads a civil date YYYY-MM-DD. It reads no clock and no zone.
func parseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("not a date YYYY-MM-DD: %q", s)
	}
	return t, nil
}

// ageOn returns the completed years (周岁) from birth to on.
func ageOn(birth, on time.Time) int {
	age := on.Year() - birth.Year()
	if on.Month() < birth.Month() || (on.Month() == birth.Month() && on.Day() < birth.Day()) {
		age--
	}
	return age
}

// monthsBetween returns the completed months from since to on (0 in the
// first month, 1 from the same day of the next month on).
func monthsBetween(since, on time.Time) int {
	m := (on.Year()-since.Year())*12 + int(on.Month()) - int(since.Month())
	if on.Day() < since.Day() {
		m--
	}
	return m
}
