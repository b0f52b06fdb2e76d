package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/policy"
	"github.com/ruhu-org/ruhu/syncproto"
)

// policyKey is the settings key of a county's policy versions (a JSON
// array of policy.Policy, by effective date).
func policyKey(county string) string { return "policy.versions/" + county }

// maxPolicyVersions bounds the versions a county keeps.
const maxPolicyVersions = 200

// policies returns the county's policy versions; the defaults (in force
// since their own date) when the county has set none.
func (t *txn) policies(county string) ([]policy.Policy, error) {
	raw, ok, err := t.tx.Setting(policyKey(county))
	if err != nil {
		return nil, err
	}
	if !ok {
		p := policy.DefaultPolicy()
		p.County = county
		return []policy.Policy{p}, nil
	}
	var ps []policy.Policy
	if err := json.Unmarshal([]byte(raw), &ps); err != nil {
		return nil, fmt.Errorf("stored policy of %s: %w", county, err)
	}
	return ps, nil
}

// policyOn returns the county's policy in force on date (YYYY-MM-DD).
func (t *txn) policyOn(county, date string) (policy.Policy, error) {
	ps, err := t.policies(county)
	if err != nil {
		return policy.Policy{}, err
	}
	p, err := policy.Select(ps, date)
	if err != nil {
		return policy.Policy{}, server.Errorf(syncproto.CodeInvalidPolicy, "no usable policy on %s: %v", date, err)
	}
	return p, nil
}

// procedure returns the procedure numbers in force today.
func (t *txn) procedure() (policy.Procedure, error) {
	p, err := t.policyOn(CountyOf(t.a.UnitPath), server.CivilDate(t.now))
	if err != nil {
		return policy.Procedure{}, err
	}
	return p.Procedure.WithDefaults(), nil
}

// Policies returns the versions of the actor's county's policy, by
// effective date. Any official of the county may read them.
func (e *Engine) Policies(ctx context.Context, a *server.Actor) ([]policy.Policy, error) {
	if a.UnitPath == "" {
		return nil, server.Errorf(syncproto.CodeForbidden, "no county")
	}
	var out []policy.Policy
	err := e.read(ctx, a, func(t *txn) error {
		var err error
		out, err = t.policies(CountyOf(a.UnitPath))
		return err
	})
	return out, err
}

// AddPolicy adds a version of the county's policy, in force from its
// effective date, which may not lie in the past (a computation already
// made stays explainable) nor repeat a version's date. Admin only. Codes:
// forbidden, invalid_policy.
func (e *Engine) AddPolicy(ctx context.Context, a *server.Actor, p policy.Policy) ([]policy.Policy, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	county := CountyOf(a.UnitPath)
	if p.County == "" {
		p.County = county
	}
	if p.County != county {
		return nil, server.Errorf(syncproto.CodeInvalidPolicy, "the policy names county %q, not yours (%q)", p.County, county)
	}
	if err := p.Validate(); err != nil {
		return nil, server.Errorf(syncproto.CodeInvalidPolicy, "%v", err)
	}
	var out []policy.Policy
	err := e.write(ctx, a, func(t *txn) error {
		if p.EffectiveFrom < server.CivilDate(t.now) {
			return server.Errorf(syncproto.CodeInvalidPolicy, "effective_from %s lies in the past", p.EffectiveFrom)
		}
		ps, err := t.policies(county)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(ps, func(q policy.Policy) bool { return q.EffectiveFrom == p.EffectiveFrom }) {
			return server.Errorf(syncproto.CodeInvalidPolicy, "a version already takes effect on %s", p.EffectiveFrom)
		}
		if len(ps) >= maxPolicyVersions {
			return server.Errorf(syncproto.CodeInvalidPolicy, "at most %d policy versions", maxPolicyVersions)
		}
		ps = append(ps, p)
		slices.SortFunc(ps, func(x, y policy.Policy) int { return strings.Compare(x.EffectiveFrom, y.EffectiveFrom) })
		if _, err := policy.Select(ps, p.EffectiveFrom); err != nil && !errors.Is(err, policy.ErrNoPolicy) {
			return server.Errorf(syncproto.CodeInvalidPolicy, "%v", err)
		}
		b, err := json.Marshal(ps)
		if err != nil {
			return err
		}
		if err := t.tx.SetSetting(policyKey(county), string(b)); err != nil {
			return err
		}
		out = ps
		return t.audit("policy.add", "policy", county+"@"+p.EffectiveFrom, p)
	})
	return out, err
}
