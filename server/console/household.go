package console

import (
	"net/http"
	"slices"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/engine"
)

// householdView is the data of the household file page.
type householdView struct {
	F *engine.HouseholdFile
	// Resolved is set just after a conflict of the file was resolved.
	Resolved bool
	// HouseholdFields and MemberFields are the fields shown, in order.
	HouseholdFields, MemberFields []string
}

var householdFields = []string{"head_name", "head_id_number", "address", "hukou_type", "category", "causes",
	"contact_phone", "source", "application_date", "single_person", "bank_account", "notes"}

var memberFields = []string{"name", "relation", "id_number", "birth_date", "sex", "health", "serious_illness",
	"disability_type", "disability_grade", "labour_capacity", "employment", "school", "income_items"}

// household answers GET /review/households/{id}: the household file.
func (h *Handler) household(w http.ResponseWriter, r *http.Request, a *server.Actor) error {
	f, err := h.deps.Engine.ConsoleHousehold(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	slices.SortStableFunc(f.Audit, func(x, y engine.AuditLine) int { return y.At.Compare(x.At) })
	return h.show(w, a, "household", "queue", "一户一档："+str(f.Household.Fields["head_name"]),
		householdView{F: f, Resolved: r.URL.Query().Get("resolved") != "", HouseholdFields: householdFields, MemberFields: memberFields})
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
