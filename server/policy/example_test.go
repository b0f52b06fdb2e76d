package policy_test

import (
	"fmt"

	"github.com/ruhu-org/ruhu/server/policy"
)

// A county raises its urban standard on 2024-07-01; a three-person
// household with a 72-year-old is computed on 2024-08-01.
func ExampleBenefit() {
	old, raised := policy.DefaultPolicy(), policy.DefaultPolicy()
	raised.EffectiveFrom, raised.UrbanStandard = "2024-07-01", policy.Yuan(620)
	p, err := policy.Select([]policy.Policy{old, raised}, "2024-08-01")
	if err != nil {
		panic(err)
	}
	h := policy.Household{ID: "h1", AsOf: "2024-08-01", Area: policy.AreaUrban, Category: policy.CategoryDibao,
		Members: []policy.Member{
			{ID: "head", BirthDate: "1980-02-01", Income: []policy.IncomeItem{{Type: policy.IncomeWage, Amount: policy.Yuan(900)}}},
			{ID: "mother", BirthDate: "1952-03-01", Income: []policy.IncomeItem{{Type: policy.IncomeBasicPension, Amount: policy.Yuan(150)}}},
			{ID: "wife", BirthDate: "1982-05-01"},
		}}
	r := policy.Benefit(p, h)
	for _, t := range r.Terms {
		fmt.Printf("%s: %s\n", t.Name, t.Formula)
	}
	fmt.Println(r.Regime, r.Monthly)
	// Output:
	// 收入合计: 工资 900.00 + 基础养老金 150.00 = 1050.00
	// 豁免收入: 基础养老金 150.00 = 150.00
	// 计入收入: 收入 1050.00 − 豁免 150.00 + 折算 0.00 = 900.00
	// 人均收入: 900.00 ÷ 3 人 = 300.00 (四舍五入到分)
	// 差额补助: (标准 620.00 − 人均 300.00) × 3 人 = 960.00
	// 70周岁以上老年人增发: 标准 620.00 × 50% = 310.00 × 1 人 = 310.00
	// 月补助合计: 960.00 + 310.00 = 1270.00
	// dibao ¥1,270.00
}
