// Package policy is ruhu's pure benefit engine for 低保 households: it
// computes per-capita income and the monthly benefit from a Household and
// a county Policy. It does no I/O, reads no clock (the date is an input,
// Household.AsOf) and uses no floating point: money is Fen (integer 分),
// rates are BP (basis points).
//
// Seed references are to /work/shared/seeds: 000 (城镇贫困群众脱贫解困,
// 2018), 001 (渝府办发〔2018〕161号), 002 (临民发〔2021〕33号), 003 (安顺市兜底
// 脱贫三年行动计划, 2018), 004 (低收入人口常态化帮扶工作方案 1…10; "§6" is
// 方案 6).
//
// # Policy
//
// A county keeps versions of its Policy; Select picks the one with the
// latest EffectiveFrom not after the date. DefaultPolicy holds the numbers
// of domain.md: urban standard 580 yuan a month (000 三), rural 4500 yuan a
// year = 375 a month (003 四.2), floor 50 yuan (002 二(三)), key-group
// increments 50 % of the standard (002 二(三)), gradual exit 18/24 months
// below 2× (002 二(一)), low-income line 1.5× (000 二; 004 §6 and 002 二(二)
// use 2×, which a county sets in LowIncomeLine).
//
// # Per-capita income (PerCapitaIncome)
//
//	counted   = Σ income of members counted in the size
//	            − exempt items (基础养老金, 扶贫项目保底收益: 002 二(一);
//	              抚恤金, 优待金, 两残补贴: 004 §6)
//	            + (minimum wage − declared) for unverified wage (004 §6)
//	net       = max(0, counted − employment cost − rigid expenses)
//	            employment cost = rural counted wage × EmploymentCost (004 §6; 003 四.2)
//	            rigid expenses for RigidCategories only (支出核减: 002 二(一), 二(二))
//	per capita = net ÷ size, rounded half up to the fen
//
// # Benefit
//
//	per capita < standard                 → dibao (补差: 002 二(三); 004 §11 二):
//	  base      = max(standard − per capita, floor) × size
//	  increment = Σ over key-group members of round(standard × share)
//	              (70周岁以上, 未成年人, 重残, 重病: 002 二(三), 001 二(一));
//	              a member in several groups gets the largest share once
//	  (or single_person below, when that pays more: see "Choices")
//	standard ≤ per capita < ceiling, Household.Exit set, month ≤ period
//	                                      → gradual_exit (渐退, 002 二(一)):
//	  base      = round(prior benefit × ExitYearShares[year]) (逐年递减)
//	  period    = 18 months, 24 with a disabled member
//	per capita < low-income line, 重残/重病 members (004 §2 四(一)2; 002 二(一))
//	                                      → single_person (单人户):
//	  each such member alone: max(standard − own income, floor) + increment
//	otherwise                             → ineligible, Reason
//	                                        income_at_or_above_standard,
//	                                        income_above_exit_ceiling or
//	                                        exit_period_ended
//
// # Choices where the seeds are silent
//
//   - 单人户 own income is the member's own items (exempt ones left out, less
//     the employment cost); the family's rigid expenses are not split.
//   - A 低保 household with 重残/重病 members is paid the larger of its 补差
//     and the 单人户 benefit of those members, so that earning a little more
//     (and crossing the standard) never raises the benefit.
//   - 渐退 pays a yearly falling share of the benefit paid before (an input,
//     ExitState.PriorBenefit), without new increments; "disabled member"
//     means any 残疾证 grade. A household back below the standard is paid the
//     ordinary 补差, even if its exit payment was higher.
//   - Key groups: aged 70 = 70 周岁 or more, minor = under 18 周岁.
//   - 特困 (tekun) support and 临时救助 are not 补差: not_computed.
//
// # Rounding
//
// Rounding is half up to the fen, and happens in two stated places, each
// once: the per-capita income (net ÷ size), and a share of an amount
// (employment cost, increment per person, gradual-exit payment, the lines
// as multiples of the standard). Sums and products of whole fen are exact,
// so (standard − per capita) × size may differ from size × standard − net
// by less than half a fen per person.
//
// Every Result carries Terms: a stable key, a Chinese name, the amount and
// the formula with its numbers, so the console and the roster can print the
// computation.
package policy
