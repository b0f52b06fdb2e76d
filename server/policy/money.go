package policy

import (
	"strconv"
	"strings"
)

// Fen is an amount of money in fen (分), one hundredth of a yuan. Every
// amount in the engine is a Fen; no computation uses floating point.
type Fen int64

// Yuan returns n whole yuan as Fen.
func Yuan(n int64) Fen { return Fen(n * 100) }

// MaxAmount bounds every amount a Household or Policy may carry (one hundred
// million yuan). With the item and member limits it keeps every sum and
// product the engine forms far inside int64.
const MaxAmount Fen = 10_000_000_000

// Plain formats f as yuan with two decimals and no grouping, "1234.50",
// the form used inside Term formulas.
func (f Fen) Plain() string {
	neg, u := f < 0, uint64(f)
	if neg {
		u = uint64(-f)
	}
	s := strconv.FormatUint(u/100, 10) + "." + twoDigits(u%100)
	if neg {
		return "-" + s
	}
	return s
}

// String formats f as "¥1,234.50" (negative amounts as "-¥1,234.50").
func (f Fen) String() string {
	neg, u := f < 0, uint64(f)
	if neg {
		u = uint64(-f)
	}
	s := "¥" + group(strconv.FormatUint(u/100, 10)) + "." + twoDigits(u%100)
	if neg {
		return "-" + s
	}
	return s
}

func twoDigits(n uint64) string {
	if n < 10 {
		return "0" + strconv.FormatUint(n, 10)
	}
	return strconv.FormatUint(n, 10)
}

// group inserts a comma every three digits from the right.
func group(digits string) string {
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// BP is a rate in basis points: 10000 BP is 100 %, 5000 BP is 50 %,
// 15000 BP is 1.5×.
type BP int64

// Percent formats b as a percentage without trailing zeros: "50%", "12.5%".
func (b BP) Percent() string {
	s := strconv.FormatInt(int64(b)/100, 10)
	if r := int64(b) % 100; r != 0 {
		s += "." + strings.TrimRight(twoDigits(uint64(r)), "0")
	}
	return s + "%"
}

// Times formats b as a multiple without trailing zeros: "1.5×", "2×".
func (b BP) Times() string {
	s := strconv.FormatInt(int64(b)/10000, 10)
	if r := int64(b) % 10000; r != 0 {
		frac := strconv.FormatInt(r+10000, 10)[1:]
		s += "." + strings.TrimRight(frac, "0")
	}
	return s + "×"
}

// divHalfUp returns n/d rounded half up, for n ≥ 0 and d > 0. It is the
// only rounding the engine does; each caller states where it rounds.
func divHalfUp(n, d int64) int64 {
	return (n + d/2) / d
}

// applyBP returns f × b rounded half up to whole fen, for f, b ≥ 0.
func applyBP(f Fen, b BP) Fen {
	return Fen(divHalfUp(int64(f)*int64(b), 10000))
}
