package engine

import (
	"context"
	"encoding/json"
	"math/big"
	"strings"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/policy"
	"github.com/ruhu-org/ruhu/syncproto"
)

// The household file → the benefit engine's input (server/policy). Income
// comes from the investigation the case rests on (income_items: member_id,
// type, amount in yuan a month, or period "year"; unverified), else from the
// members' own income_items; rigid expenses from the investigation's
// expense_items. Birth dates missing from a member are read from the ID
// number. The engine itself is pure and explains every amount.

// item is an income or expense item as recorded on a tablet.
type item struct {
	MemberID   string      `json:"member_id"`
	Type       string      `json:"type"`
	Amount     json.Number `json:"amount"`
	Period     string      `json:"period"`
	Unverified bool        `json:"unverified"`
}

// benefitInput builds the policy input of the case's household as of date.
func (t *txn) benefitInput(cr *caseRec, asOf string) (policy.Household, error) {
	h := policy.Household{ID: cr.c.HouseholdID, AsOf: asOf, Category: policy.Category(cr.c.Category), Area: policy.AreaRural,
		Members: []policy.Member{}, Expenses: []policy.ExpenseItem{}}
	hh, err := t.get(syncproto.CollHouseholds, cr.c.HouseholdID)
	if err != nil {
		return h, err
	}
	if hh != nil && hh.Field("hukou_type") == "urban" {
		h.Area = policy.AreaUrban
	}
	members, err := t.tx.LiveMembers(cr.c.HouseholdID)
	if err != nil {
		return h, err
	}
	index := map[string]int{}
	for _, m := range members {
		pm := policy.Member{ID: m.ID, BirthDate: m.Field("birth_date"), DisabilityKind: disabilityKind(m.Field("disability_type"))}
		if pm.BirthDate == "" {
			pm.BirthDate = syncproto.BirthDateOf(m.Field("id_number"))
		}
		_ = json.Unmarshal(m.Fields["disability_grade"], &pm.DisabilityGrade)
		_ = json.Unmarshal(m.Fields["serious_illness"], &pm.SeriousIllness)
		_ = json.Unmarshal(m.Fields["excluded"], &pm.Excluded)
		index[m.ID] = len(h.Members)
		h.Members = append(h.Members, pm)
	}
	var invItems, expenses []item
	if cr.c.InvestigationID != "" {
		inv, err := t.get(syncproto.CollInvestigations, cr.c.InvestigationID)
		if err != nil {
			return h, err
		}
		if inv != nil {
			_ = json.Unmarshal(inv.Fields["income_items"], &invItems)
			_ = json.Unmarshal(inv.Fields["expense_items"], &expenses)
		}
	}
	if len(invItems) > 0 {
		for _, it := range invItems {
			i, ok := index[it.MemberID]
			if !ok {
				i = 0 // an item of the household as a whole: counted once, on the first member
			}
			if len(h.Members) > 0 {
				h.Members[i].Income = append(h.Members[i].Income, incomeOf(it))
			}
		}
	} else {
		for _, m := range members {
			var items []item
			_ = json.Unmarshal(m.Fields["income_items"], &items)
			for _, it := range items {
				h.Members[index[m.ID]].Income = append(h.Members[index[m.ID]].Income, incomeOf(it))
			}
		}
	}
	for _, it := range expenses {
		h.Expenses = append(h.Expenses, policy.ExpenseItem{Type: policy.ExpenseType(it.Type), Amount: monthlyFen(it)})
	}
	if cr.c.ExitSince != "" {
		h.Exit = &policy.ExitState{Since: cr.c.ExitSince, PriorBenefit: policy.Fen(cr.c.PriorMonthlyFen)}
	}
	return h, nil
}

func incomeOf(it item) policy.IncomeItem {
	return policy.IncomeItem{Type: policy.IncomeType(it.Type), Amount: monthlyFen(it), Unverified: it.Unverified}
}

// monthlyFen reads an amount in yuan exactly (no float), per month: a
// yearly amount is divided by 12, rounded half up. An unreadable amount is
// -1, which the engine refuses with its reason.
func monthlyFen(it item) policy.Fen {
	r, ok := new(big.Rat).SetString(string(it.Amount))
	if !ok || r.Sign() < 0 {
		return -1
	}
	r.Mul(r, big.NewRat(100, 1))
	if it.Period == "year" {
		r.Quo(r, big.NewRat(12, 1))
	}
	// half up: floor(r + 1/2)
	r.Add(r, big.NewRat(1, 2))
	q := new(big.Int).Quo(r.Num(), r.Denom())
	if !q.IsInt64() || q.Int64() > int64(policy.MaxAmount) {
		return -1
	}
	return policy.Fen(q.Int64())
}

func disabilityKind(s string) policy.DisabilityKind {
	switch strings.TrimSpace(s) {
	case "intellectual", "智力", "智力残疾":
		return policy.DisabilityIntellectual
	case "mental", "精神", "精神残疾":
		return policy.DisabilityMental
	}
	return policy.DisabilityKind(s)
}

// computeBenefit computes the case's monthly benefit today under the
// county's policy in force, with its explanation, into the case.
func (t *txn) computeBenefit(cr *caseRec) error {
	res, p, err := t.benefit(cr)
	if err != nil {
		return err
	}
	cr.c.Benefit = caseBenefit(res, p, ts(t.now))
	return nil
}

// benefit runs the benefit engine on the case's household as of today.
func (t *txn) benefit(cr *caseRec) (policy.Result, policy.Policy, error) {
	today := server.CivilDate(t.now)
	p, err := t.policyOn(CountyOf(t.a.UnitPath), today)
	if err != nil {
		return policy.Result{}, p, err
	}
	h, err := t.benefitInput(cr, today)
	if err != nil {
		return policy.Result{}, p, err
	}
	return policy.Benefit(p, h), p, nil
}

func caseBenefit(res policy.Result, p policy.Policy, at string) *syncproto.CaseBenefit {
	terms, _ := json.Marshal(res.Terms)
	return &syncproto.CaseBenefit{ComputedAt: at, PolicyFrom: p.EffectiveFrom, Regime: string(res.Regime),
		Reason: string(res.Reason), Size: res.Breakdown.Size, Standard: int64(res.Standard), PerCapitaIncome: int64(res.PerCapitaIncome),
		Monthly: int64(res.Monthly), Terms: terms}
}

// startExit starts the gradual exit (低保渐退) of an approved case whose
// income rose above the standard but stays below the exit ceiling: the
// benefit continues, decreasing, for the policy's period (longer with a
// disabled member). Code exit_not_applicable.
func (t *txn) startExit(cr *caseRec, in syncproto.TransitionRequest) (map[string]any, error) {
	if cr.c.Benefit == nil {
		return nil, server.Errorf(syncproto.CodeExitNotApplicable, "the case has no benefit to phase out")
	}
	// The income that rose is the household's latest investigation's
	// (a re-check's needs to be new).
	after := int64(0)
	if cr.c.State == syncproto.StateRecheck {
		after = cr.c.NeedsInvestigationVersion
	}
	inv, err := t.newInvestigation(cr, after)
	if err != nil {
		return nil, err
	}
	if inv == nil {
		return nil, server.Errorf(syncproto.CodeInvestigationRequired, "a submitted investigation showing the income is required")
	}
	prior := cr.c.Benefit.Monthly
	cr.c.InvestigationID = inv.ID
	cr.c.ExitSince, cr.c.PriorMonthlyFen = server.CivilDate(t.now), prior
	res, p, err := t.benefit(cr)
	if err != nil {
		return nil, err
	}
	if res.Regime != policy.RegimeGradualExit {
		return nil, server.Errorf(syncproto.CodeExitNotApplicable, "gradual exit applies when income is above the standard and below %s of it (%s: %s)",
			p.ExitCeiling.Times(), res.Regime, res.Reason)
	}
	cr.c.Benefit = caseBenefit(res, p, ts(t.now))
	cr.c.ExitUntil = server.CivilDate(t.now.AddDate(0, res.ExitMonths, 0))
	t.event(cr, syncproto.ActStartExit, syncproto.StateExiting, in.Reason, "")
	return map[string]any{"exit_months": res.ExitMonths, "exit_until": cr.c.ExitUntil, "prior_monthly_fen": prior}, nil
}

// CaseBenefit computes, without storing anything, what the case's
// household would receive today (for the console's household file).
func (e *Engine) CaseBenefit(ctx context.Context, a *server.Actor, id string) (*syncproto.CaseBenefit, error) {
	var out *syncproto.CaseBenefit
	err := e.read(ctx, a, func(t *txn) error {
		cr, err := t.loadCase(id)
		if err != nil {
			return err
		}
		res, p, err := t.benefit(cr)
		if err != nil {
			return err
		}
		out = caseBenefit(res, p, ts(t.now))
		return nil
	})
	return out, err
}
