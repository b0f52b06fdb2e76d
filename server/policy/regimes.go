package policy

import "fmt"

// keyGroup is one key group (重点保障对象) of 002 §2.3 and 001 §2.1.
type keyGroup struct {
	key, name string
	share     func(Increments) BP
	in        func(m Member, age int) bool
}

// keyGroups in the order their terms appear; a member in several groups
// gets only the largest share, the first group winning a tie.
var keyGroups = []keyGroup{
	{"aged_70", "70周岁以上老年人增发", func(i Increments) BP { return i.Aged70 }, func(_ Member, age int) bool { return age >= 70 }},
	{"minor", "未成年人增发", func(i Increments) BP { return i.Minor }, func(_ Member, age int) bool { return age < 18 }},
	{"severe_disability", "重残人员增发", func(i Increments) BP { return i.SevereDisability }, func(m Member, _ int) bool { return m.severelyDisabled() }},
	{"serious_illness", "重病患者增发", func(i Increments) BP { return i.SeriousIllness }, func(m Member, _ int) bool { return m.SeriousIllness }},
}

// addIncrements adds, per key group, share × standard (rounded half up
// once) for each of members whose largest share is that group's.
func addIncrements(p Policy, h Household, r Result, members []Member) Result {
	on, _ := parseDate(h.AsOf)
	counts := make([]int, len(keyGroups))
	for _, m := range members {
		birth, _ := parseDate(m.BirthDate)
		best, bestShare := -1, BP(0)
		for g, kg := range keyGroups {
			if s := kg.share(p.Increments); s > bestShare && kg.in(m, ageOn(birth, on)) {
				best, bestShare = g, s
			}
		}
		if best >= 0 {
			counts[best]++
		}
	}
	for g, kg := range keyGroups {
		if counts[g] == 0 {
			continue
		}
		share := kg.share(p.Increments)
		each := applyBP(r.Standard, share)
		amount := each * Fen(counts[g])
		r.Increment += amount
		r.Terms = append(r.Terms, Term{Key: "increment_" + kg.key, Name: kg.name, Amount: amount,
			Formula: fmt.Sprintf("标准 %s × %s = %s × %d 人 = %s", r.Standard.Plain(), share.Percent(), each.Plain(), counts[g], amount.Plain())})
	}
	return r
}

// gradualExit pays a household whose income rose above the standard but
// stays below the exit ceiling a share of its prior benefit for ExitMonths
// (ExitMonthsDisabled with a disabled member) from Exit.Since (002 §2.1).
// It reports false and the reason when the period is over or income is
// above the ceiling.
func gradualExit(p Policy, h Household, r Result) (Result, bool, Reason) {
	if r.PerCapitaIncome >= applyBP(r.Standard, p.ExitCeiling) {
		return r, false, ReasonAboveExitCeiling
	}
	period := p.ExitMonths
	for _, m := range h.Members {
		if !m.Excluded && m.DisabilityGrade > 0 {
			period = p.ExitMonthsDisabled
		}
	}
	since, _ := parseDate(h.Exit.Since)
	on, _ := parseDate(h.AsOf)
	month := monthsBetween(since, on) + 1
	if month > period {
		return r, false, ReasonExitEnded
	}
	year := (month - 1) / 12
	share := p.ExitYearShares[min(year, len(p.ExitYearShares)-1)]
	r.Regime, r.ExitMonth, r.ExitMonths = RegimeGradualExit, month, period
	r.Base = applyBP(h.Exit.PriorBenefit, share)
	for _, m := range h.Members {
		if !m.Excluded {
			r.Covered = append(r.Covered, m.ID)
		}
	}
	r.Terms = append(r.Terms, Term{Key: "gradual_exit", Name: "渐退补助", Amount: r.Base,
		Formula: fmt.Sprintf("渐退第 %d/%d 个月 (第 %d 年): 原补助 %s × %s = %s",
			month, period, year+1, h.Exit.PriorBenefit.Plain(), share.Percent(), r.Base.Plain())})
	return total(r), true, ReasonNone
}

// singlePerson covers each 重残 or 重病 member of an edge family as a
// household of one (单人户, 004 §2; 002 §2.1): the member's own counted
// income less the employment cost against the standard, at least the floor,
// plus the member's increment. It reports false when nobody qualifies.
func singlePerson(p Policy, h Household, r Result) (Result, bool) {
	var covered []Member
	for _, m := range h.Members {
		if !m.singlePersonEligible() {
			continue
		}
		own, term := ownIncome(p, h.Area, m)
		if own >= r.Standard {
			continue
		}
		base, gapTerm := gap(p, r.Standard, own, 1)
		gapTerm.Name += " (" + m.ID + ")"
		r.Base += base
		r.Terms = append(r.Terms, term, gapTerm)
		r.Covered = append(r.Covered, m.ID)
		covered = append(covered, m)
	}
	if len(covered) == 0 {
		return r, false
	}
	r.Regime = RegimeSinglePerson
	return total(addIncrements(p, h, r, covered)), true
}

// ownIncome is a member's income counted as a household of one.
func ownIncome(p Policy, a Area, m Member) (Fen, Term) {
	t := memberIncome(p, m)
	counted := t.gross - t.exempt + t.imputed
	var cost Fen
	if a == AreaRural && p.EmploymentCost > 0 {
		cost = applyBP(t.wage, p.EmploymentCost)
	}
	own := max(0, counted-cost)
	return own, Term{Key: "single_person_income", Name: "单人户收入 (" + m.ID + ")", Amount: own,
		Formula: fmt.Sprintf("max(0, 收入 %s − 豁免 %s + 折算 %s − 就业成本 %s) = %s",
			t.gross.Plain(), t.exempt.Plain(), t.imputed.Plain(), cost.Plain(), own.Plain())}
}
