package policy

import (
	"fmt"
	"slices"
	"strings"
)

// Term is one line of the explanation of a Result: a stable English key,
// the Chinese name shown to people, the amount, and the formula with the
// numbers filled in, e.g. "(标准 780.00 − 人均 312.50) × 3 人 = 1402.50".
type Term struct {
	Key     string `json:"key"`
	Name    string `json:"name"`
	Amount  Fen    `json:"amount"`
	Formula string `json:"formula"`
}

// Regime says which rule decided a Result.
type Regime string

// The regimes.
const (
	RegimeDibao        Regime = "dibao"         // 补差: per-capita income below the standard
	RegimeSinglePerson Regime = "single_person" // 单人户: members of an edge family covered alone
	RegimeGradualExit  Regime = "gradual_exit"  // 渐退: income rose above the standard
	RegimeIneligible   Regime = "ineligible"    // nothing is paid; Reason says why
	RegimeNotComputed  Regime = "not_computed"  // the engine does not compute this case; Reason says why
)

// Reason is the stable code of an ineligible or not computed Result.
type Reason string

// The reason codes.
const (
	ReasonNone               Reason = ""
	ReasonIncomeAtStandard   Reason = "income_at_or_above_standard"
	ReasonAboveExitCeiling   Reason = "income_above_exit_ceiling"
	ReasonExitEnded          Reason = "exit_period_ended"
	ReasonCategoryNotCovered Reason = "category_not_covered"
	ReasonInvalidPolicy      Reason = "invalid_policy"
	ReasonInvalidHousehold   Reason = "invalid_household"
)

// Result is the monthly benefit of a household and how it was reached.
// It is deterministic and JSON-encodable; slices are never nil.
type Result struct {
	Regime Regime `json:"regime"`
	Reason Reason `json:"reason"`
	// Detail is the validation message of an invalid input, else empty.
	Detail string `json:"detail"`
	// Standard is the monthly standard per person applied.
	Standard Fen `json:"standard"`
	// PerCapitaIncome is Breakdown.PerCapita, repeated for convenience.
	PerCapitaIncome Fen `json:"per_capita_income"`
	// Covered lists the member ids the benefit is paid for.
	Covered []string `json:"covered"`
	// Base is the 补差 (at least the floor per covered person), or the
	// gradual-exit payment.
	Base Fen `json:"base"`
	// Increment is the sum of the key-group increments.
	Increment Fen `json:"increment"`
	// Monthly is Base + Increment, the amount paid each month.
	Monthly Fen `json:"monthly"`
	// ExitMonth is the completed months of gradual exit (0 in the first);
	// ExitMonths the period that applies. Both 0 outside gradual exit.
	ExitMonth  int `json:"exit_month"`
	ExitMonths int `json:"exit_months"`
	// Breakdown is the per-capita income computation.
	Breakdown Breakdown `json:"breakdown"`
	// Terms explain every amount: the income terms, then the benefit terms.
	Terms []Term `json:"terms"`
}

// Benefit computes the monthly benefit of h under p (see the package
// documentation for the rules). Invalid input gives RegimeNotComputed with
// ReasonInvalidPolicy or ReasonInvalidHousehold and the message in Detail;
// 特困 and 临时救助 households give ReasonCategoryNotCovered.
func Benefit(p Policy, h Household) Result {
	if err := p.Validate(); err != nil {
		return notComputed(ReasonInvalidPolicy, err.Error())
	}
	if err := h.Validate(); err != nil {
		return notComputed(ReasonInvalidHousehold, err.Error())
	}
	if h.Category == CategoryTekun || h.Category == CategoryTemporary {
		return notComputed(ReasonCategoryNotCovered, fmt.Sprintf("category %s is not paid as 补差", h.Category))
	}
	b := PerCapitaIncome(p, h)
	r := Result{Standard: p.standard(h.Area), PerCapitaIncome: b.PerCapita, Covered: []string{}, Breakdown: b,
		Terms: append([]Term{}, b.Terms...)}
	if b.PerCapita < r.Standard {
		return dibaoOrSingle(p, h, r)
	}
	reason := ReasonIncomeAtStandard
	if h.Exit != nil {
		var done bool
		if r, done, reason = gradualExit(p, h, r); done {
			return r
		}
	}
	if b.PerCapita < applyBP(r.Standard, p.LowIncomeLine) {
		if s, ok := singlePerson(p, h, r); ok {
			return s
		}
	}
	r.Regime, r.Reason = RegimeIneligible, reason
	return r
}

func notComputed(reason Reason, detail string) Result {
	return Result{Regime: RegimeNotComputed, Reason: reason, Detail: detail, Covered: []string{},
		Breakdown: Breakdown{Terms: []Term{}}, Terms: []Term{}}
}

// dibaoOrSingle pays the household 补差, or the single-person benefit of
// its 重残/重病 members when that is larger: near the standard the floor can
// pay less than 单人户 would a little higher up, and more income must
// never mean more benefit.
func dibaoOrSingle(p Policy, h Household, r Result) Result {
	r.Terms, r.Covered = slices.Clip(r.Terms), slices.Clip(r.Covered) // d and s must not share arrays
	d := dibao(p, h, r)
	if s, ok := singlePerson(p, h, r); ok && s.Monthly > d.Monthly {
		return s
	}
	return d
}

// dibao pays the 补差 for every counted member: (standard − per-capita
// income) per person, at least the floor, plus the key-group increments.
func dibao(p Policy, h Household, r Result) Result {
	r.Regime = RegimeDibao
	var counted []Member
	for _, m := range h.Members {
		if !m.Excluded {
			counted = append(counted, m)
			r.Covered = append(r.Covered, m.ID)
		}
	}
	base, term := gap(p, r.Standard, r.PerCapitaIncome, len(counted))
	r.Base, r.Terms = base, append(r.Terms, term)
	return total(addIncrements(p, h, r, counted))
}

// gap is the 补差 of size people at per-capita income pc: the difference
// to the standard per person, raised to the floor when smaller.
func gap(p Policy, std, pc Fen, size int) (Fen, Term) {
	diff := std - pc
	if diff < p.Floor {
		base := p.Floor * Fen(size)
		return base, Term{Key: "floor", Name: "保底补助", Amount: base,
			Formula: fmt.Sprintf("差额 %s 低于保底 %s: %s × %d 人 = %s", diff.Plain(), p.Floor.Plain(), p.Floor.Plain(), size, base.Plain())}
	}
	base := diff * Fen(size)
	return base, Term{Key: "gap", Name: "差额补助", Amount: base,
		Formula: fmt.Sprintf("(标准 %s − 人均 %s) × %d 人 = %s", std.Plain(), pc.Plain(), size, base.Plain())}
}

// total closes a paying result with the monthly term.
func total(r Result) Result {
	r.Monthly = r.Base + r.Increment
	parts := []string{r.Base.Plain()}
	if r.Increment > 0 {
		parts = append(parts, r.Increment.Plain())
	}
	r.Terms = append(r.Terms, Term{Key: "monthly", Name: "月补助合计", Amount: r.Monthly,
		Formula: strings.Join(parts, " + ") + " = " + r.Monthly.Plain()})
	return r
}
