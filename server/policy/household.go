package policy

import (
	"errors"
	"fmt"
	"time"
)

// Area is the household's hukou area; it picks the standard.
type Area string

// The areas.
const (
	AreaUrban Area = "urban"
	AreaRural Area = "rural"
)

// Category is the assistance category applied for; the identifiers are
// syncproto.Categories.
type Category string

// The categories (domain.md "Categories and thresholds").
const (
	CategoryTekun     Category = "tekun"
	CategoryDibao     Category = "dibao"
	CategoryEdge      Category = "dibao_edge"
	CategoryExpense   Category = "expense"
	CategoryTemporary Category = "temporary"
)

func (c Category) known() bool {
	switch c {
	case CategoryTekun, CategoryDibao, CategoryEdge, CategoryExpense, CategoryTemporary:
		return true
	}
	return false
}

// Household is the input of the engine: who lives together, what they earn
// and spend, and the date the computation is for.
type Household struct {
	// ID identifies the household in terms and logs.
	ID string `json:"id"`
	// AsOf is the civil date (YYYY-MM-DD) the benefit is computed for; ages
	// and gradual-exit months are counted to it. The engine reads no clock.
	AsOf string `json:"as_of"`
	// Area picks the urban or rural standard; employment cost is rural only.
	Area Area `json:"area"`
	// Category is the category applied for; it decides whether rigid
	// expenses are deducted, and 特困/临时救助 are not computed.
	Category Category `json:"category"`
	// Members are everyone on the register; Member.Excluded leaves one out.
	Members []Member `json:"members"`
	// Expenses are the household's monthly rigid expenses (刚性支出).
	Expenses []ExpenseItem `json:"expenses"`
	// Exit is set while the household was receiving 低保 when its income
	// rose above the standard; nil otherwise.
	Exit *ExitState `json:"exit"`
}

// ExitState records the start of a gradual exit (低保渐退).
type ExitState struct {
	// Since is the civil date income was first found above the standard.
	Since string `json:"since"`
	// PriorBenefit is the monthly benefit paid before that date.
	PriorBenefit Fen `json:"prior_benefit"`
}

// Limits on a Household, so that every sum stays far inside int64.
const (
	MaxMembers  = 64
	MaxItems    = 32
	MaxExpenses = 64
)

// ErrInvalidHousehold is wrapped by every error Household.Validate returns.
var ErrInvalidHousehold = errors.New("policy: invalid household")

// Validate refuses a household the engine cannot compute: bad dates, unknown
// types, amounts outside 0…MaxAmount, no member counted in the size, or
// more than the limits. Every error wraps ErrInvalidHousehold.
func (h Household) Validate() error {
	if err := h.check(); err != nil {
		return fmt.Errorf("%w %q: %v", ErrInvalidHousehold, h.ID, err)
	}
	return nil
}

func (h Household) check() error {
	on, err := parseDate(h.AsOf)
	if err != nil {
		return fmt.Errorf("as_of: %w", err)
	}
	if h.Area != AreaUrban && h.Area != AreaRural {
		return fmt.Errorf("area %q: want urban or rural", h.Area)
	}
	if !h.Category.known() {
		return fmt.Errorf("category %q unknown", h.Category)
	}
	if len(h.Members) == 0 || len(h.Members) > MaxMembers || len(h.Expenses) > MaxExpenses {
		return fmt.Errorf("%d members, %d expenses: want 1…%d members, at most %d expenses",
			len(h.Members), len(h.Expenses), MaxMembers, MaxExpenses)
	}
	if err := h.checkMembers(on); err != nil {
		return err
	}
	for i, e := range h.Expenses {
		if !e.Type.known() || e.Amount < 0 || e.Amount > MaxAmount {
			return fmt.Errorf("expense %d: type %q amount %d", i, e.Type, e.Amount)
		}
	}
	return h.checkExit(on)
}

func (h Household) checkMembers(on time.Time) error {
	seen, counted := map[string]bool{}, 0
	for i, m := range h.Members {
		if m.ID == "" || seen[m.ID] {
			return fmt.Errorf("member %d: id %q empty or repeated", i, m.ID)
		}
		seen[m.ID] = true
		if err := m.check(on); err != nil {
			return fmt.Errorf("member %q: %w", m.ID, err)
		}
		if !m.Excluded {
			counted++
		}
	}
	if counted == 0 {
		return errors.New("no member counts in the household size")
	}
	return nil
}

func (h Household) checkExit(on time.Time) error {
	if h.Exit == nil {
		return nil
	}
	since, err := parseDate(h.Exit.Since)
	if err != nil || since.After(on) {
		return fmt.Errorf("exit.since %q: want a date not after as_of", h.Exit.Since)
	}
	if h.Exit.PriorBenefit < 0 || h.Exit.PriorBenefit > MaxAmount {
		return fmt.Errorf("exit.prior_benefit %d: want 0…%d", h.Exit.PriorBenefit, MaxAmount)
	}
	return nil
}
