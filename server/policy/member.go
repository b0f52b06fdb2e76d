package policy

import (
	"fmt"
	"time"
)

// Member is one person on the household register.
type Member struct {
	// ID identifies the member inside the household; terms name it.
	ID string `json:"id"`
	// BirthDate (YYYY-MM-DD) gives the age on Household.AsOf: 70 周岁 and
	// over is a key group, under 18 is a minor.
	BirthDate string `json:"birth_date"`
	// DisabilityGrade is the 残疾证 grade 1…4, 0 for none.
	DisabilityGrade int `json:"disability_grade"`
	// DisabilityKind is the kind on the certificate; grade 3 intellectual
	// or mental counts as severe (004 §2).
	DisabilityKind DisabilityKind `json:"disability_kind"`
	// SeriousIllness marks a 重病 patient as the county recognises one.
	SeriousIllness bool `json:"serious_illness"`
	// Excluded marks a person on the register who does not live with the
	// household (不共同生活): not in the size, income not counted, no
	// increment.
	Excluded bool `json:"excluded"`
	// Income lists the member's monthly income items.
	Income []IncomeItem `json:"income"`
}

// DisabilityKind is the kind of disability on the certificate.
type DisabilityKind string

// The kinds that matter to the rules; others may be given freely.
const (
	DisabilityIntellectual DisabilityKind = "intellectual"
	DisabilityMental       DisabilityKind = "mental"
)

// IncomeType is the kind of an income item.
type IncomeType string

// The income types. The last six are exempt by default (收入豁免).
const (
	IncomeWage                  IncomeType = "wage"                        // 工资性收入
	IncomeBusiness              IncomeType = "business"                    // 经营性收入
	IncomeProperty              IncomeType = "property"                    // 财产性收入
	IncomeTransfer              IncomeType = "transfer"                    // 转移性收入 (赡养费 …)
	IncomeBasicPension          IncomeType = "basic_pension"               // 基础养老金
	IncomePovertyDividend       IncomeType = "poverty_dividend"            // 扶贫项目保底收益
	IncomeSurvivorPension       IncomeType = "survivor_pension"            // 优抚对象抚恤金
	IncomePreferentialAllowance IncomeType = "preferential_allowance"      // 优抚对象优待金
	IncomeDisabilityLiving      IncomeType = "disability_living_allowance" // 困难残疾人生活补贴
	IncomeDisabilityCare        IncomeType = "disability_care_allowance"   // 重度残疾人护理补贴
)

func (t IncomeType) known() bool {
	switch t {
	case IncomeWage, IncomeBusiness, IncomeProperty, IncomeTransfer, IncomeBasicPension,
		IncomePovertyDividend, IncomeSurvivorPension, IncomePreferentialAllowance,
		IncomeDisabilityLiving, IncomeDisabilityCare:
		return true
	}
	return false
}

// IncomeItem is one monthly income of a member.
type IncomeItem struct {
	Type   IncomeType `json:"type"`
	Amount Fen        `json:"amount"`
	// Unverified marks wage income that could not be checked; it counts
	// at least at Policy.MinimumWage (004 §6).
	Unverified bool `json:"unverified"`
}

// ExpenseType is the kind of a rigid expense (刚性支出).
type ExpenseType string

// The expense types (002 §2.2; 004 §6).
const (
	ExpenseMedical   ExpenseType = "medical"   // 自负医疗费用
	ExpenseEducation ExpenseType = "education" // 教育 (子女上学学费)
	ExpenseCare      ExpenseType = "care"      // 照护
	ExpenseDisaster  ExpenseType = "disaster"  // 大灾、重大意外
)

func (t ExpenseType) known() bool {
	switch t {
	case ExpenseMedical, ExpenseEducation, ExpenseCare, ExpenseDisaster:
		return true
	}
	return false
}

// ExpenseItem is one monthly rigid expense of the household.
type ExpenseItem struct {
	Type   ExpenseType `json:"type"`
	Amount Fen         `json:"amount"`
}

func (m Member) check(on time.Time) error {
	birth, err := parseDate(m.BirthDate)
	if err != nil || birth.After(on) {
		return fmt.Errorf("birth_date %q: want a date not after as_of", m.BirthDate)
	}
	if m.DisabilityGrade < 0 || m.DisabilityGrade > 4 {
		return fmt.Errorf("disability_grade %d: want 0…4", m.DisabilityGrade)
	}
	if len(m.Income) > MaxItems {
		return fmt.Errorf("%d income items: want at most %d", len(m.Income), MaxItems)
	}
	for i, it := range m.Income {
		if !it.Type.known() || it.Amount < 0 || it.Amount > MaxAmount {
			return fmt.Errorf("income %d: type %q amount %d", i, it.Type, it.Amount)
		}
	}
	return nil
}

// severelyDisabled reports 重残: grade 1 or 2, or grade 3 intellectual or
// mental (004 §2).
func (m Member) severelyDisabled() bool {
	g := m.DisabilityGrade
	return g == 1 || g == 2 || (g == 3 && (m.DisabilityKind == DisabilityIntellectual || m.DisabilityKind == DisabilityMental))
}

// singlePersonEligible reports a member an edge family may have covered as
// a one-person household (单人户, 004 §2; 002 §2.1): 重残 or 重病.
func (m Member) singlePersonEligible() bool {
	return !m.Excluded && (m.severelyDisabled() || m.SeriousIllness)
}
