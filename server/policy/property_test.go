package policy_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/ruhu-org/ruhu/server/policy"
)

var (
	counted    = []policy.IncomeType{"wage", "business", "property", "transfer"}
	allIncome  = append(append([]policy.IncomeType{}, counted...), policy.DefaultPolicy().Exempt...)
	categories = []policy.Category{"dibao", "dibao_edge", "expense"}
	expenses   = []policy.ExpenseType{"medical", "education", "care", "disaster"}
)

// randomPolicy varies the numbers a county sets, within Validate's bounds.
func randomPolicy(r *rand.Rand) policy.Policy {
	p := policy.DefaultPolicy()
	p.UrbanStandard = policy.Fen(30000 + r.IntN(90000))
	p.RuralStandard = policy.Fen(20000 + r.IntN(60000))
	p.Floor = policy.Fen(r.IntN(15001))
	p.Increments.Minor = policy.BP(r.IntN(10001))
	p.Increments.SeriousIllness = policy.BP(r.IntN(10001))
	p.EmploymentCost = policy.BP(r.IntN(5001))
	p.MinimumWage = policy.Fen(r.IntN(200000))
	p.LowIncomeLine = policy.BP(10000 + r.IntN(10001))
	return p
}

// randomHousehold is a valid household of 1…6 members on 2024-05-01.
func randomHousehold(r *rand.Rand) policy.Household {
	h := policy.Household{ID: "h", AsOf: "2024-05-01", Area: []policy.Area{"urban", "rural"}[r.IntN(2)],
		Category: categories[r.IntN(len(categories))], Members: []policy.Member{}, Expenses: []policy.ExpenseItem{}}
	for i := range 1 + r.IntN(6) {
		m := policy.Member{ID: fmt.Sprint("m", i), BirthDate: fmt.Sprintf("%d-%02d-%02d", 1930+r.IntN(94), 1+r.IntN(12), 1+r.IntN(28)),
			DisabilityGrade: r.IntN(5) * r.IntN(2), DisabilityKind: []policy.DisabilityKind{"physical", "mental"}[r.IntN(2)],
			SeriousIllness: r.IntN(6) == 0, Excluded: i > 0 && r.IntN(8) == 0}
		for range r.IntN(4) {
			m.Income = append(m.Income, policy.IncomeItem{Type: allIncome[r.IntN(len(allIncome))],
				Amount: policy.Fen(r.IntN(150001)), Unverified: r.IntN(4) == 0})
		}
		h.Members = append(h.Members, m)
	}
	for range r.IntN(3) {
		h.Expenses = append(h.Expenses, policy.ExpenseItem{Type: expenses[r.IntN(len(expenses))], Amount: policy.Fen(r.IntN(80000))})
	}
	return h
}

// checkInvariants holds for every result of a valid policy and household.
func checkInvariants(t *testing.T, p policy.Policy, h policy.Household, res policy.Result) {
	t.Helper()
	if res.Monthly < 0 || res.Base < 0 || res.Increment < 0 || res.Monthly != res.Base+res.Increment {
		t.Fatalf("negative or inconsistent amounts: %+v", res)
	}
	switch res.Regime {
	case policy.RegimeDibao, policy.RegimeSinglePerson:
		if n := policy.Fen(len(res.Covered)); n == 0 || res.Base < p.Floor*n {
			t.Fatalf("%s base %d below floor %d × %d covered", res.Regime, res.Base, p.Floor, n)
		}
	case policy.RegimeIneligible, policy.RegimeNotComputed:
		if res.Monthly != 0 || res.Reason == "" {
			t.Fatalf("%s pays %d with reason %q", res.Regime, res.Monthly, res.Reason)
		}
	}
	b := res.Breakdown
	if res.Regime != policy.RegimeNotComputed {
		if d := b.PerCapita*policy.Fen(b.Size) - b.Net; 2*d > policy.Fen(b.Size) || 2*d < -policy.Fen(b.Size) {
			t.Fatalf("per capita %d × %d = %d, net %d: off by more than half a fen per person", b.PerCapita, b.Size, b.PerCapita*policy.Fen(b.Size), b.Net)
		}
		if b.Net != max(0, b.Counted-b.EmploymentCost-b.RigidExpenses) || b.Counted != b.Gross-b.Exempt+b.Imputed {
			t.Fatalf("breakdown does not add up: %+v", b)
		}
	}
	if res.Monthly > 0 {
		if last := res.Terms[len(res.Terms)-1]; last.Key != "monthly" || last.Amount != res.Monthly {
			t.Fatalf("last term %+v, want monthly %d", last, res.Monthly)
		}
	}
}

func TestPropertiesRandomHouseholds(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 2024))
	for i := range 3000 {
		p, h := randomPolicy(r), randomHousehold(r)
		if r.IntN(3) == 0 {
			h.Exit = &policy.ExitState{Since: fmt.Sprintf("%d-%02d-15", 2021+r.IntN(3), 1+r.IntN(12)), PriorBenefit: policy.Fen(r.IntN(300000))}
		}
		res := policy.Benefit(p, h)
		if res.Regime == policy.RegimeGradualExit && (res.Monthly > h.Exit.PriorBenefit || res.ExitMonth < 1 || res.ExitMonth > res.ExitMonths) {
			t.Fatalf("case %d: exit pays %d of prior %d in month %d/%d", i, res.Monthly, h.Exit.PriorBenefit, res.ExitMonth, res.ExitMonths)
		}
		if res.Regime == policy.RegimeNotComputed {
			t.Fatalf("case %d: valid input not computed: %s", i, res.Detail)
		}
		checkInvariants(t, p, h, res)
		again := policy.Benefit(p, h)
		if !reflect.DeepEqual(res, again) {
			t.Fatalf("case %d: not deterministic", i)
		}
	}
}

// More counted income never raises the benefit (households not in gradual
// exit, whose payment depends on the prior benefit, an input); exempt
// income changes nothing.
func TestPropertyMonotoneInIncome(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 70))
	for i := range 3000 {
		p, h := randomPolicy(r), randomHousehold(r)
		before := policy.Benefit(p, h)
		k := r.IntN(len(h.Members))
		more := clone(t, h)
		more.Members[k].Income = append(more.Members[k].Income,
			policy.IncomeItem{Type: counted[r.IntN(len(counted))], Amount: policy.Fen(1 + r.IntN(50000))})
		if after := policy.Benefit(p, more); after.Monthly > before.Monthly {
			t.Fatalf("case %d: income up, benefit %d -> %d\nbefore %s\nafter %s", i, before.Monthly, after.Monthly,
				termList(before.Terms), termList(after.Terms))
		}
		exempt := clone(t, h)
		exempt.Members[k].Income = append(exempt.Members[k].Income, policy.IncomeItem{Type: "basic_pension", Amount: 99999})
		if after := policy.Benefit(p, exempt); after.Monthly != before.Monthly || after.PerCapitaIncome != before.PerCapitaIncome {
			t.Fatalf("case %d: exempt income changed the benefit %d -> %d", i, before.Monthly, after.Monthly)
		}
	}
}

// Results encode to JSON with the documented snake_case names and decode
// back to the same value.
func TestResultJSONRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		res := policy.Benefit(randomPolicy(r), randomHousehold(r))
		raw, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		var back policy.Result
		if err := json.Unmarshal(raw, &back); err != nil || !reflect.DeepEqual(back, res) {
			t.Fatalf("round trip: %v\n%s", err, raw)
		}
	}
	raw, _ := json.Marshal(policy.Benefit(policy.DefaultPolicy(), household()))
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(raw, &fields)
	for _, k := range []string{"regime", "reason", "per_capita_income", "monthly", "terms", "breakdown", "covered", "exit_month"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("result JSON lacks %q: %s", k, raw)
		}
	}
}

func clone(t *testing.T, h policy.Household) policy.Household {
	raw, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var c policy.Household
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}
