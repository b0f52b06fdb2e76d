package policy_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/server/policy"
)

func TestFenFormat(t *testing.T) {
	for _, c := range []struct {
		f          policy.Fen
		str, plain string
	}{
		{0, "¥0.00", "0.00"}, {5, "¥0.05", "0.05"}, {123450, "¥1,234.50", "1234.50"},
		{100000000, "¥1,000,000.00", "1000000.00"}, {-31250, "-¥312.50", "-312.50"}, {99999, "¥999.99", "999.99"},
	} {
		if got := c.f.String(); got != c.str {
			t.Errorf("Fen(%d).String() = %q, want %q", int64(c.f), got, c.str)
		}
		if got := c.f.Plain(); got != c.plain {
			t.Errorf("Fen(%d).Plain() = %q, want %q", int64(c.f), got, c.plain)
		}
	}
}

func TestBPFormat(t *testing.T) {
	for b, want := range map[policy.BP]string{5000: "50%", 1250: "12.5%", 10000: "100%", 7: "0.07%"} {
		if got := b.Percent(); got != want {
			t.Errorf("BP(%d).Percent() = %q, want %q", b, got, want)
		}
	}
	for b, want := range map[policy.BP]string{15000: "1.5×", 20000: "2×", 12500: "1.25×"} {
		if got := b.Times(); got != want {
			t.Errorf("BP(%d).Times() = %q, want %q", b, got, want)
		}
	}
}

func TestValidateRefusesNonsense(t *testing.T) {
	if err := policy.DefaultPolicy().Validate(); err != nil {
		t.Fatalf("default policy refused: %v", err)
	}
	cases := map[string]func(*policy.Policy){
		"effective_from": func(p *policy.Policy) { p.EffectiveFrom = "2024-02-30" },
		"urban_standard": func(p *policy.Policy) { p.UrbanStandard = 0 },
		"rural_standard": func(p *policy.Policy) { p.RuralStandard = -1 },
		"floor":          func(p *policy.Policy) { p.Floor = p.RuralStandard + 1 },
		"increment":      func(p *policy.Policy) { p.Increments.Minor = -5 },
		"low_income":     func(p *policy.Policy) { p.LowIncomeLine = 9999 },
		"exit_ceiling":   func(p *policy.Policy) { p.ExitCeiling = 60000 },
		"exit_months":    func(p *policy.Policy) { p.ExitMonthsDisabled = 12 },
		"exit_year":      func(p *policy.Policy) { p.ExitYearShares = nil },
		"exit_share":     func(p *policy.Policy) { p.ExitYearShares = []policy.BP{12000} },
		"exempt":         func(p *policy.Policy) { p.Exempt = append(p.Exempt, "lottery") },
		"rigid_expenses": func(p *policy.Policy) { p.RigidExpenses = []policy.ExpenseType{"holiday"} },
		"rigid_category": func(p *policy.Policy) { p.RigidCategories = []policy.Category{"rich"} },
		"employment":     func(p *policy.Policy) { p.EmploymentCost = 10001 },
		"minimum_wage":   func(p *policy.Policy) { p.MinimumWage = -100 },
	}
	for name, breakIt := range cases {
		p := policy.DefaultPolicy()
		breakIt(&p)
		err := p.Validate()
		if !errors.Is(err, policy.ErrInvalidPolicy) {
			t.Errorf("%s: Validate() = %v, want ErrInvalidPolicy", name, err)
		}
		if r := policy.Benefit(p, household()); r.Reason != policy.ReasonInvalidPolicy || r.Monthly != 0 {
			t.Errorf("%s: Benefit reason %q monthly %d, want invalid_policy and 0", name, r.Reason, r.Monthly)
		}
	}
}

func household() policy.Household {
	return policy.Household{ID: "h", AsOf: "2024-05-01", Area: policy.AreaUrban, Category: policy.CategoryDibao,
		Members: []policy.Member{{ID: "a", BirthDate: "1980-01-01"}}}
}

func TestHouseholdValidate(t *testing.T) {
	cases := map[string]func(*policy.Household){
		"as_of":        func(h *policy.Household) { h.AsOf = "yesterday" },
		"area":         func(h *policy.Household) { h.Area = "suburb" },
		"category":     func(h *policy.Household) { h.Category = "x" },
		"no members":   func(h *policy.Household) { h.Members = nil },
		"all excluded": func(h *policy.Household) { h.Members[0].Excluded = true },
		"born later":   func(h *policy.Household) { h.Members[0].BirthDate = "2030-01-01" },
		"grade":        func(h *policy.Household) { h.Members[0].DisabilityGrade = 5 },
		"income type":  func(h *policy.Household) { h.Members[0].Income = []policy.IncomeItem{{Type: "gift", Amount: 1}} },
		"negative":     func(h *policy.Household) { h.Members[0].Income = []policy.IncomeItem{{Type: "wage", Amount: -1}} },
		"huge": func(h *policy.Household) {
			h.Expenses = []policy.ExpenseItem{{Type: "medical", Amount: policy.MaxAmount + 1}}
		},
		"repeated id": func(h *policy.Household) { h.Members = append(h.Members, h.Members[0]) },
		"exit":        func(h *policy.Household) { h.Exit = &policy.ExitState{Since: "2025-01-01"} },
	}
	for name, breakIt := range cases {
		h := household()
		breakIt(&h)
		err := h.Validate()
		if !errors.Is(err, policy.ErrInvalidHousehold) {
			t.Errorf("%s: Validate() = %v, want ErrInvalidHousehold", name, err)
		}
		r := policy.Benefit(policy.DefaultPolicy(), h)
		if r.Regime != policy.RegimeNotComputed || r.Reason != policy.ReasonInvalidHousehold || !strings.Contains(r.Detail, "invalid household") {
			t.Errorf("%s: Benefit = %s/%s %q, want not_computed/invalid_household", name, r.Regime, r.Reason, r.Detail)
		}
	}
}

func TestSelectErrors(t *testing.T) {
	a, b := policy.DefaultPolicy(), policy.DefaultPolicy()
	a.EffectiveFrom, b.EffectiveFrom = "2023-01-01", "2023-01-01"
	if _, err := policy.Select([]policy.Policy{a, b}, "2023-06-01"); !errors.Is(err, policy.ErrAmbiguousPolicy) {
		t.Errorf("same effective date: %v, want ErrAmbiguousPolicy", err)
	}
	if _, err := policy.Select([]policy.Policy{a}, "2022-12-31"); !errors.Is(err, policy.ErrNoPolicy) {
		t.Errorf("before every policy: %v, want ErrNoPolicy", err)
	}
	if _, err := policy.Select(nil, "2022-12-31"); !errors.Is(err, policy.ErrNoPolicy) {
		t.Errorf("no policies: %v, want ErrNoPolicy", err)
	}
	if _, err := policy.Select([]policy.Policy{a}, "2023-13-01"); !errors.Is(err, policy.ErrInvalidPolicy) {
		t.Errorf("bad date: %v, want ErrInvalidPolicy", err)
	}
	c := b
	c.County, c.EffectiveFrom = "other", "2020-01-01"
	if _, err := policy.Select([]policy.Policy{a, c}, "2023-06-01"); !errors.Is(err, policy.ErrInvalidPolicy) {
		t.Errorf("mixed counties: %v, want ErrInvalidPolicy", err)
	}
	b.EffectiveFrom = "2023-01-02"
	if p, err := policy.Select([]policy.Policy{b, a}, "2023-01-02"); err != nil || p.EffectiveFrom != "2023-01-02" {
		t.Errorf("on the first day of b: %v %v, want b", p.EffectiveFrom, err)
	}
}
