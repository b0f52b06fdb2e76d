package policy

import (
	"errors"
	"fmt"
	"time"
)

// Policy is one county's benefit rules from a civil date on. Counties keep
// a list of versions; Select picks the one in force on a date. All amounts
// are monthly, per person, in fen.
type Policy struct {
	// County names the county (县/区) the policy belongs to.
	County string `json:"county"`
	// EffectiveFrom is the first civil date (YYYY-MM-DD) the policy applies.
	EffectiveFrom string `json:"effective_from"`
	// UrbanStandard and RuralStandard are the monthly 低保标准 per person.
	UrbanStandard Fen `json:"urban_standard"`
	RuralStandard Fen `json:"rural_standard"`
	// Floor is the least 补差 per eligible person (002 §2.3: 50 yuan).
	Floor Fen `json:"floor"`
	// Increments are the key-group shares of the standard (002 §2.3).
	Increments Increments `json:"increments"`
	// Exempt lists the income types not counted (002 §2.1; 004 §6).
	Exempt []IncomeType `json:"exempt"`
	// EmploymentCost is the share of rural wage income deducted as the cost
	// of going to work (就业成本扣减, 004 §6; 003 四.2). The seeds give no
	// rate: 0 until the county configures one.
	EmploymentCost BP `json:"employment_cost"`
	// MinimumWage is the monthly local minimum wage at which unverified wage
	// income is counted (004 §6). 0 counts the declared amount.
	MinimumWage Fen `json:"minimum_wage"`
	// RigidExpenses lists the expense types deducted (支出核减, 002 §2.2).
	RigidExpenses []ExpenseType `json:"rigid_expenses"`
	// RigidCategories lists the categories whose rigid expenses are deducted.
	RigidCategories []Category `json:"rigid_categories"`
	// LowIncomeLine is the edge (低保边缘) line as a multiple of the standard
	// (domain: 1.5×; 002 §2.2 and 004 §6 use 2×).
	LowIncomeLine BP `json:"low_income_line"`
	// ExitCeiling is the income up to which gradual exit applies (002 §2.1: 2×).
	ExitCeiling BP `json:"exit_ceiling"`
	// ExitMonths and ExitMonthsDisabled are the gradual-exit periods
	// (002 §2.1: 18, and 24 for a household with a disabled member).
	ExitMonths         int `json:"exit_months"`
	ExitMonthsDisabled int `json:"exit_months_disabled"`
	// ExitYearShares are the shares of the prior benefit paid in the first,
	// second, … year of gradual exit (002 §2.1 逐年递减); the last share
	// repeats.
	ExitYearShares []BP `json:"exit_year_shares"`
	// Procedure holds the notice periods and draw shares of the case
	// procedure; zero fields take their defaults.
	Procedure Procedure `json:"procedure"`
}

// Increments are the key-group increment shares (增发比例) of the standard
// paid per key-group member on top of the 补差 (002 §2.3; 001 §2.1).
type Increments struct {
	Aged70           BP `json:"aged_70"`
	Minor            BP `json:"minor"`
	SevereDisability BP `json:"severe_disability"`
	SeriousIllness   BP `json:"serious_illness"`
}

// DefaultPolicy returns the defaults of domain.md: urban standard 580 yuan
// (000 §3), rural 4500 yuan a year = 375 a month (003 四.2), floor 50 yuan,
// 50 % increments, exempt items of 002 §2.1 and 004 §6, 18/24 months of
// gradual exit below 2×, low-income line 1.5×.
func DefaultPolicy() Policy {
	return Policy{
		County:        "default",
		EffectiveFrom: "2021-06-24",
		UrbanStandard: Yuan(580),
		RuralStandard: Yuan(375),
		Floor:         Yuan(50),
		Increments:    Increments{Aged70: 5000, Minor: 5000, SevereDisability: 5000, SeriousIllness: 5000},
		Exempt: []IncomeType{IncomeBasicPension, IncomePovertyDividend, IncomeSurvivorPension,
			IncomePreferentialAllowance, IncomeDisabilityLiving, IncomeDisabilityCare},
		RigidExpenses:      []ExpenseType{ExpenseMedical, ExpenseEducation, ExpenseCare},
		RigidCategories:    []Category{CategoryExpense},
		LowIncomeLine:      15000,
		ExitCeiling:        20000,
		ExitMonths:         18,
		ExitMonthsDisabled: 24,
		ExitYearShares:     []BP{10000, 5000},
	}
}

// ErrInvalidPolicy is wrapped by every error Validate returns.
var ErrInvalidPolicy = errors.New("policy: invalid policy")

// Validate refuses a policy the engine cannot apply sensibly. Every error
// wraps ErrInvalidPolicy and names the field.
func (p Policy) Validate() error {
	if err := p.Procedure.Validate(); err != nil {
		return err
	}
	for _, check := range []func() error{p.checkDates, p.checkAmounts, p.checkRates, p.checkExit, p.checkLists} {
		if err := check(); err != nil {
			return fmt.Errorf("%w: %s %v", ErrInvalidPolicy, p.EffectiveFrom, err)
		}
	}
	return nil
}

func (p Policy) checkDates() error {
	if _, err := parseDate(p.EffectiveFrom); err != nil {
		return fmt.Errorf("effective_from: %w", err)
	}
	return nil
}

func (p Policy) checkAmounts() error {
	for _, a := range []struct {
		name string
		v    Fen
	}{{"urban_standard", p.UrbanStandard}, {"rural_standard", p.RuralStandard}} {
		if a.v <= 0 || a.v > MaxAmount {
			return fmt.Errorf("%s %d fen: want 1…%d", a.name, a.v, MaxAmount)
		}
	}
	if p.Floor < 0 || p.Floor > min(p.UrbanStandard, p.RuralStandard) {
		return fmt.Errorf("floor %d fen: want 0…the lower standard", p.Floor)
	}
	if p.MinimumWage < 0 || p.MinimumWage > MaxAmount {
		return fmt.Errorf("minimum_wage %d fen: want 0…%d", p.MinimumWage, MaxAmount)
	}
	return nil
}

func (p Policy) checkRates() error {
	inc := p.Increments
	for _, r := range []BP{inc.Aged70, inc.Minor, inc.SevereDisability, inc.SeriousIllness} {
		if r < 0 || r > 30000 {
			return fmt.Errorf("increment %d bp: want 0…30000", r)
		}
	}
	if p.EmploymentCost < 0 || p.EmploymentCost > 10000 {
		return fmt.Errorf("employment_cost %d bp: want 0…10000", p.EmploymentCost)
	}
	if p.LowIncomeLine < 10000 || p.LowIncomeLine > 50000 {
		return fmt.Errorf("low_income_line %d bp: want 10000…50000", p.LowIncomeLine)
	}
	if p.ExitCeiling < 10000 || p.ExitCeiling > 50000 {
		return fmt.Errorf("exit_ceiling %d bp: want 10000…50000", p.ExitCeiling)
	}
	return nil
}

func (p Policy) checkExit() error {
	if p.ExitMonths < 0 || p.ExitMonths > 120 || p.ExitMonthsDisabled < p.ExitMonths || p.ExitMonthsDisabled > 120 {
		return fmt.Errorf("exit_months %d / exit_months_disabled %d: want 0 ≤ months ≤ disabled ≤ 120",
			p.ExitMonths, p.ExitMonthsDisabled)
	}
	if p.ExitMonthsDisabled > 0 && len(p.ExitYearShares) == 0 {
		return errors.New("exit_year_shares: empty while gradual exit is on")
	}
	for _, s := range p.ExitYearShares {
		if s < 0 || s > 10000 {
			return fmt.Errorf("exit_year_shares %d bp: want 0…10000", s)
		}
	}
	return nil
}

func (p Policy) checkLists() error {
	for _, t := range p.Exempt {
		if !t.known() {
			return fmt.Errorf("exempt: unknown income type %q", t)
		}
	}
	for _, t := range p.RigidExpenses {
		if !t.known() {
			return fmt.Errorf("rigid_expenses: unknown expense type %q", t)
		}
	}
	for _, c := range p.RigidCategories {
		if !c.known() {
			return fmt.Errorf("rigid_categories: unknown category %q", c)
		}
	}
	return nil
}

// standard returns the monthly standard for the household's area.
func (p Policy) standard(a Area) Fen {
	if a == AreaRural {
		return p.RuralStandard
	}
	return p.UrbanStandard
}

// ErrNoPolicy is returned by Select when no policy is in force on the date.
var ErrNoPolicy = errors.New("policy: no policy in force")

// ErrAmbiguousPolicy is returned by Select when two policies take effect on
// the same date, so the one in force cannot be told.
var ErrAmbiguousPolicy = errors.New("policy: two policies take effect on the same date")

// Select returns the policy in force on date (YYYY-MM-DD) among the
// versions of one county: the one with the latest EffectiveFrom not after
// date. It returns ErrNoPolicy when every version starts later,
// ErrAmbiguousPolicy when the latest date is shared, and ErrInvalidPolicy
// (wrapped) when a date is malformed or the versions name different
// counties.
func Select(policies []Policy, date string) (Policy, error) {
	on, err := parseDate(date)
	if err != nil {
		return Policy{}, fmt.Errorf("%w: select on %q: %v", ErrInvalidPolicy, date, err)
	}
	best, tie, err := latest(policies, on)
	switch {
	case err != nil:
		return Policy{}, err
	case best < 0:
		return Policy{}, fmt.Errorf("%w on %s", ErrNoPolicy, date)
	case tie:
		return Policy{}, fmt.Errorf("%w: %s", ErrAmbiguousPolicy, policies[best].EffectiveFrom)
	}
	return policies[best], nil
}

// latest returns the index of the version with the latest EffectiveFrom not
// after on (-1 if none) and whether another version shares that date.
func latest(policies []Policy, on time.Time) (best int, tie bool, err error) {
	best, found := -1, time.Time{}
	for i, p := range policies {
		if p.County != policies[0].County {
			return 0, false, fmt.Errorf("%w: versions of counties %q and %q mixed", ErrInvalidPolicy, policies[0].County, p.County)
		}
		from, err := parseDate(p.EffectiveFrom)
		if err != nil {
			return 0, false, fmt.Errorf("%w: version %d effective_from: %v", ErrInvalidPolicy, i, err)
		}
		switch {
		case from.After(on):
		case best < 0 || from.After(found):
			best, found, tie = i, from, false
		case from.Equal(found):
			tie = true
		}
	}
	return best, tie, nil
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

// Procedure holds the county's procedure numbers (domain.md "The
// procedure"): notice periods and the shares drawn for re-visits and spot
// checks. A zero field takes its default (DefaultProcedure).
type Procedure struct {
	// VillageNoticeDays, TownshipNoticeDays and CountyNoticeDays are the
	// three public notices (三榜公示: 7, 5, 5 days; 004 §9, §10).
	VillageNoticeDays  int `json:"village_notice_days,omitempty"`
	TownshipNoticeDays int `json:"township_notice_days,omitempty"`
	CountyNoticeDays   int `json:"county_notice_days,omitempty"`
	// ObjectionNoticeDays is the least period of a notice after an
	// objection (异议, 004 §12: ≥ 7 days).
	ObjectionNoticeDays int `json:"objection_notice_days,omitempty"`
	// RevisitShare is the share of a township's cases of a round drawn for
	// a re-visit (≥ 20 %); SpotCheckShare the county inspectors' spot
	// check (≥ 10 %) (004 §10.2).
	RevisitShare   BP `json:"revisit_share,omitempty"`
	SpotCheckShare BP `json:"spot_check_share,omitempty"`
}

// The procedure's legal floors: a county may raise them, never lower.
const (
	MinRevisitShare        BP = 2000
	MinSpotCheckShare      BP = 1000
	MinObjectionNoticeDays    = 7
	MaxNoticeDays             = 60
)

// DefaultProcedure returns domain.md's numbers.
func DefaultProcedure() Procedure {
	return Procedure{VillageNoticeDays: 7, TownshipNoticeDays: 5, CountyNoticeDays: 5, ObjectionNoticeDays: 7,
		RevisitShare: MinRevisitShare, SpotCheckShare: MinSpotCheckShare}
}

// WithDefaults fills zero fields from DefaultProcedure.
func (p Procedure) WithDefaults() Procedure {
	d := DefaultProcedure()
	for _, f := range []struct{ v, def *int }{{&p.VillageNoticeDays, &d.VillageNoticeDays},
		{&p.TownshipNoticeDays, &d.TownshipNoticeDays}, {&p.CountyNoticeDays, &d.CountyNoticeDays},
		{&p.ObjectionNoticeDays, &d.ObjectionNoticeDays}} {
		if *f.v == 0 {
			*f.v = *f.def
		}
	}
	if p.RevisitShare == 0 {
		p.RevisitShare = d.RevisitShare
	}
	if p.SpotCheckShare == 0 {
		p.SpotCheckShare = d.SpotCheckShare
	}
	return p
}

// Validate refuses numbers below the legal floors or out of range. Errors
// wrap ErrInvalidPolicy.
func (p Procedure) Validate() error {
	p = p.WithDefaults()
	for _, d := range []struct {
		name string
		v    int
	}{{"village_notice_days", p.VillageNoticeDays}, {"township_notice_days", p.TownshipNoticeDays},
		{"county_notice_days", p.CountyNoticeDays}, {"objection_notice_days", p.ObjectionNoticeDays}} {
		if d.v < 1 || d.v > MaxNoticeDays {
			return fmt.Errorf("%w: procedure.%s %d: want 1…%d", ErrInvalidPolicy, d.name, d.v, MaxNoticeDays)
		}
	}
	if p.ObjectionNoticeDays < MinObjectionNoticeDays {
		return fmt.Errorf("%w: procedure.objection_notice_days %d: want at least %d", ErrInvalidPolicy,
			p.ObjectionNoticeDays, MinObjectionNoticeDays)
	}
	if p.RevisitShare < MinRevisitShare || p.RevisitShare > 10000 {
		return fmt.Errorf("%w: procedure.revisit_share %d bp: want %d…10000", ErrInvalidPolicy, p.RevisitShare, MinRevisitShare)
	}
	if p.SpotCheckShare < MinSpotCheckShare || p.SpotCheckShare > 10000 {
		return fmt.Errorf("%w: procedure.spot_check_share %d bp: want %d…10000", ErrInvalidPolicy, p.SpotCheckShare, MinSpotCheckShare)
	}
	return nil
}

// AgeOn returns the completed years (周岁) from birth to on: 70 and over is
// a key group, under 18 a minor.
func AgeOn(birth, on time.Time) int { return ageOn(birth, on) }
