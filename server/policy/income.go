package policy

import (
	"fmt"
	"slices"
	"strings"
)

// Breakdown is how the per-capita income was reached; every amount is
// monthly, in fen.
type Breakdown struct {
	// Size is the number of members counted in the household size.
	Size int `json:"size"`
	// Gross is every income item of the counted members.
	Gross Fen `json:"gross"`
	// Exempt is the part of Gross the policy does not count (收入豁免).
	Exempt Fen `json:"exempt"`
	// Imputed is added where unverified wage is counted at the minimum wage.
	Imputed Fen `json:"imputed"`
	// Counted is Gross − Exempt + Imputed.
	Counted Fen `json:"counted"`
	// EmploymentCost is deducted from rural wage income (就业成本扣减).
	EmploymentCost Fen `json:"employment_cost"`
	// RigidExpenses is deducted for the categories the policy names (支出核减).
	RigidExpenses Fen `json:"rigid_expenses"`
	// Net is Counted − EmploymentCost − RigidExpenses, never below zero.
	Net Fen `json:"net"`
	// PerCapita is Net ÷ Size rounded half up to the fen; the one rounding
	// of income.
	PerCapita Fen `json:"per_capita"`
	// Terms explain each amount above that is not zero.
	Terms []Term `json:"terms"`
}

// PerCapitaIncome computes the household's monthly per-capita income under
// p: counted income (exempt items left out, unverified wage raised to the
// minimum wage) of the members counted in the size, less the employment
// cost (rural wage only) and the rigid expenses (for the policy's rigid
// categories only), floored at zero, divided by the size and rounded half
// up to the fen. The household should have passed Validate.
func PerCapitaIncome(p Policy, h Household) Breakdown {
	var b Breakdown
	var wage Fen
	var grossParts, exemptParts []string
	for _, m := range h.Members {
		if m.Excluded {
			continue
		}
		b.Size++
		t := memberIncome(p, m)
		b.Gross, b.Exempt, b.Imputed, wage = b.Gross+t.gross, b.Exempt+t.exempt, b.Imputed+t.imputed, wage+t.wage
		grossParts, exemptParts = append(grossParts, t.grossParts...), append(exemptParts, t.exemptParts...)
	}
	b.Counted = b.Gross - b.Exempt + b.Imputed
	b.Terms = append(b.Terms, sumTerm("gross_income", "收入合计", b.Gross, grossParts))
	if b.Exempt > 0 {
		b.Terms = append(b.Terms, sumTerm("exempt_income", "豁免收入", b.Exempt, exemptParts))
	}
	if b.Imputed > 0 {
		b.Terms = append(b.Terms, Term{Key: "imputed_wage", Name: "未查实工资按最低工资折算", Amount: b.Imputed,
			Formula: fmt.Sprintf("按最低工资 %s 计入, 增加 %s", p.MinimumWage.Plain(), b.Imputed.Plain())})
	}
	b.Terms = append(b.Terms, Term{Key: "counted_income", Name: "计入收入", Amount: b.Counted,
		Formula: fmt.Sprintf("收入 %s − 豁免 %s + 折算 %s = %s", b.Gross.Plain(), b.Exempt.Plain(), b.Imputed.Plain(), b.Counted.Plain())})
	b.deduct(p, h, wage)
	b.divide()
	return b
}

// deduct applies the employment cost and the rigid expenses.
func (b *Breakdown) deduct(p Policy, h Household, wage Fen) {
	if h.Area == AreaRural && p.EmploymentCost > 0 && wage > 0 {
		b.EmploymentCost = applyBP(wage, p.EmploymentCost)
		b.Terms = append(b.Terms, Term{Key: "employment_cost", Name: "就业成本扣减", Amount: b.EmploymentCost,
			Formula: fmt.Sprintf("工资 %s × %s = %s", wage.Plain(), p.EmploymentCost.Percent(), b.EmploymentCost.Plain())})
	}
	if slices.Contains(p.RigidCategories, h.Category) {
		var parts []string
		for _, e := range h.Expenses {
			if slices.Contains(p.RigidExpenses, e.Type) {
				b.RigidExpenses += e.Amount
				parts = append(parts, expenseNames[e.Type]+" "+e.Amount.Plain())
			}
		}
		if b.RigidExpenses > 0 {
			b.Terms = append(b.Terms, sumTerm("rigid_expenses", "刚性支出核减", b.RigidExpenses, parts))
		}
	}
	b.Net = max(0, b.Counted-b.EmploymentCost-b.RigidExpenses)
	if b.EmploymentCost > 0 || b.RigidExpenses > 0 {
		b.Terms = append(b.Terms, Term{Key: "net_income", Name: "核算收入", Amount: b.Net,
			Formula: fmt.Sprintf("max(0, 计入 %s − 就业成本 %s − 刚性支出 %s) = %s",
				b.Counted.Plain(), b.EmploymentCost.Plain(), b.RigidExpenses.Plain(), b.Net.Plain())})
	}
}

// divide rounds Net ÷ Size half up to the fen, once.
func (b *Breakdown) divide() {
	if b.Size > 0 {
		b.PerCapita = Fen(divHalfUp(int64(b.Net), int64(b.Size)))
	}
	b.Terms = append(b.Terms, Term{Key: "per_capita_income", Name: "人均收入", Amount: b.PerCapita,
		Formula: fmt.Sprintf("%s ÷ %d 人 = %s (四舍五入到分)", b.Net.Plain(), b.Size, b.PerCapita.Plain())})
}

// memberTotals is one member's income, split as the rules need it.
type memberTotals struct {
	gross, exempt, imputed, wage Fen
	grossParts, exemptParts      []string
}

// memberIncome sums a member's items: exempt types apart, unverified wage
// raised to the minimum wage, counted wage kept for the employment cost.
func memberIncome(p Policy, m Member) memberTotals {
	var t memberTotals
	for _, it := range m.Income {
		t.gross += it.Amount
		part := incomeNames[it.Type] + " " + it.Amount.Plain()
		t.grossParts = append(t.grossParts, part)
		if slices.Contains(p.Exempt, it.Type) {
			t.exempt += it.Amount
			t.exemptParts = append(t.exemptParts, part)
			continue
		}
		if it.Type == IncomeWage {
			counted := it.Amount
			if it.Unverified && p.MinimumWage > it.Amount {
				t.imputed += p.MinimumWage - it.Amount
				counted = p.MinimumWage
			}
			t.wage += counted
		}
	}
	return t
}

// sumTerm is a term whose formula adds its parts.
func sumTerm(key, name string, total Fen, parts []string) Term {
	if len(parts) == 0 {
		parts = []string{"无"}
	}
	return Term{Key: key, Name: name, Amount: total, Formula: strings.Join(parts, " + ") + " = " + total.Plain()}
}

var incomeNames = map[IncomeType]string{
	IncomeWage: "工资", IncomeBusiness: "经营", IncomeProperty: "财产", IncomeTransfer: "转移",
	IncomeBasicPension: "基础养老金", IncomePovertyDividend: "扶贫保底收益", IncomeSurvivorPension: "抚恤金",
	IncomePreferentialAllowance: "优待金", IncomeDisabilityLiving: "残疾人生活补贴", IncomeDisabilityCare: "重度残疾人护理补贴",
}

var expenseNames = map[ExpenseType]string{
	ExpenseMedical: "医疗", ExpenseEducation: "教育", ExpenseCare: "照护", ExpenseDisaster: "灾害意外",
}
