package policy_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/ruhu-org/ruhu/server/policy"
)

// FuzzBenefit feeds arbitrary household JSON and policy numbers to Benefit.
// It must never panic; invalid input is not computed with the matching
// reason; valid input keeps the invariants of checkInvariants and gives
// the same result twice.
func FuzzBenefit(f *testing.F) {
	for _, v := range loadVectors(f) {
		raw, err := json.Marshal(v.Household)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw, int64(58000), int64(5000), int64(5000), int64(15000))
	}
	f.Add([]byte(`{"as_of":"2024-02-30","members":[{"id":"a"}]}`), int64(-1), int64(0), int64(0), int64(0))
	f.Add([]byte(`{"as_of":"2024-01-01","area":"rural","category":"expense","members":[{"id":"a","birth_date":"2024-01-01","income":[{"type":"wage","amount":9223372036854775807}]}]}`),
		int64(1), int64(1), int64(30000), int64(50000))
	f.Fuzz(func(t *testing.T, raw []byte, std, floor, share, line int64) {
		var h policy.Household
		if json.Unmarshal(raw, &h) != nil {
			return
		}
		p := policy.DefaultPolicy()
		p.UrbanStandard, p.RuralStandard, p.Floor = policy.Fen(std), policy.Fen(std/2+1), policy.Fen(floor)
		p.Increments.Minor, p.LowIncomeLine = policy.BP(share), policy.BP(line)
		res := policy.Benefit(p, h)
		switch pErr, hErr := p.Validate(), h.Validate(); {
		case pErr != nil:
			if res.Reason != policy.ReasonInvalidPolicy || !errors.Is(pErr, policy.ErrInvalidPolicy) {
				t.Fatalf("invalid policy gave %s/%s", res.Regime, res.Reason)
			}
		case hErr != nil:
			if res.Reason != policy.ReasonInvalidHousehold || res.Monthly != 0 {
				t.Fatalf("invalid household gave %s/%s %d", res.Regime, res.Reason, res.Monthly)
			}
		default:
			checkInvariants(t, p, h, res)
			if again := policy.Benefit(p, h); !reflect.DeepEqual(res, again) {
				t.Fatal("not deterministic")
			}
			if _, err := json.Marshal(res); err != nil {
				t.Fatal(err)
			}
		}
	})
}
