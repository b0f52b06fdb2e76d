package policy_test

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/ruhu-org/ruhu/server/policy"
)

// vector is one hand-computed household of testdata/vectors.json. "how"
// holds the hand computation; nothing in the file comes from the engine.
type vector struct {
	Name      string            `json:"name"`
	Covers    string            `json:"covers"`
	How       string            `json:"how"`
	Policy    json.RawMessage   `json:"policy"`
	Policies  []json.RawMessage `json:"policies"`
	Household policy.Household  `json:"household"`
	Want      struct {
		Regime          policy.Regime `json:"regime"`
		Reason          policy.Reason `json:"reason"`
		PerCapitaIncome policy.Fen    `json:"per_capita_income"`
		Monthly         policy.Fen    `json:"monthly"`
		Terms           []policy.Term `json:"terms"`
		Covered         []string      `json:"covered"`
		ExitMonth       int           `json:"exit_month"`
		ExitMonths      int           `json:"exit_months"`
		EffectiveFrom   string        `json:"effective_from"`
	} `json:"want"`
}

// loadVectors reads the vectors strictly: an unknown field is a typo.
func loadVectors(t testing.TB) []vector {
	raw, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Vectors []vector `json:"vectors"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		t.Fatal(err)
	}
	return file.Vectors
}

// overlay decodes a partial policy over DefaultPolicy.
func overlay(t testing.TB, raw json.RawMessage) policy.Policy {
	p := policy.DefaultPolicy()
	if len(raw) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// policyFor is the vector's policy, chosen by Select on the household's
// date when the vector lists versions.
func policyFor(t *testing.T, v vector) policy.Policy {
	if len(v.Policies) == 0 {
		return overlay(t, v.Policy)
	}
	var ps []policy.Policy
	for _, raw := range v.Policies {
		ps = append(ps, overlay(t, raw))
	}
	p, err := policy.Select(ps, v.Household.AsOf)
	if err != nil {
		t.Fatal(err)
	}
	if p.EffectiveFrom != v.Want.EffectiveFrom {
		t.Errorf("selected %s, want %s", p.EffectiveFrom, v.Want.EffectiveFrom)
	}
	return p
}

func TestVectors(t *testing.T) {
	vs := loadVectors(t)
	if len(vs) < 20 {
		t.Fatalf("%d vectors, want at least 20", len(vs))
	}
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			p := policyFor(t, v)
			r := policy.Benefit(p, v.Household)
			checkResult(t, v, r)
			if v.Want.Regime != policy.RegimeNotComputed {
				if b := policy.PerCapitaIncome(p, v.Household); b.PerCapita != v.Want.PerCapitaIncome {
					t.Errorf("PerCapitaIncome = %d, want %d", b.PerCapita, v.Want.PerCapitaIncome)
				}
			}
		})
	}
}

func checkResult(t *testing.T, v vector, r policy.Result) {
	w := v.Want
	if r.Regime != w.Regime || r.Reason != w.Reason {
		t.Errorf("regime %s/%q, want %s/%q (%s)", r.Regime, r.Reason, w.Regime, w.Reason, r.Detail)
	}
	if r.PerCapitaIncome != w.PerCapitaIncome || r.Monthly != w.Monthly {
		t.Errorf("per capita %d monthly %d, want %d and %d", r.PerCapitaIncome, r.Monthly, w.PerCapitaIncome, w.Monthly)
	}
	if w.Covered != nil && !slices.Equal(r.Covered, w.Covered) {
		t.Errorf("covered %v, want %v", r.Covered, w.Covered)
	}
	if r.ExitMonth != w.ExitMonth || r.ExitMonths != w.ExitMonths {
		t.Errorf("exit month %d/%d, want %d/%d", r.ExitMonth, r.ExitMonths, w.ExitMonth, w.ExitMonths)
	}
	if len(r.Terms) != len(w.Terms) {
		t.Fatalf("%d terms, want %d:\n%s", len(r.Terms), len(w.Terms), termList(r.Terms))
	}
	for i, wt := range w.Terms {
		got := r.Terms[i]
		if got.Key != wt.Key || got.Amount != wt.Amount || (wt.Formula != "" && got.Formula != wt.Formula) {
			t.Errorf("term %d = %s %d %q, want %s %d %q", i, got.Key, got.Amount, got.Formula, wt.Key, wt.Amount, wt.Formula)
		}
	}
}

func termList(ts []policy.Term) string {
	var b bytes.Buffer
	for _, tm := range ts {
		b.WriteString("  " + tm.Key + " " + tm.Amount.Plain() + " " + tm.Formula + "\n")
	}
	return b.String()
}
