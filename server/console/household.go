package console

import (
	"cmp"
	"net/http"
	"slices"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/syncproto"
)

// householdView is the data of the household file page.
type householdView struct {
	F *engine.HouseholdFile
	// Resolved is set just after a conflict of the file was resolved.
	Resolved bool
	// Cases are the household's cases in the procedure.
	Cases []syncproto.Case
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
	slices.SortStableFunc(f.Audit, func(x, y engine.AuditLine) int { return cmp.Or(y.At.Compare(x.At), cmp.Compare(y.Seq, x.Seq)) })
	nameMembers(f)
	cases, err := h.deps.Engine.Cases(r.Context(), a, server.CaseFilter{Household: f.Household.ID, Limit: 100})
	if err != nil {
		return err
	}
	return h.show(w, a, "household", "queue", "一户一档："+str(f.Household.Fields["head_name"]),
		householdView{F: f, Resolved: r.URL.Query().Get("resolved") != "", Cases: cases.Cases,
			HouseholdFields: householdFields, MemberFields: memberFields})
}

// nameMembers shows the members named by the investigations' items by
// name instead of id.
func nameMembers(f *engine.HouseholdFile) {
	names := map[string]string{}
	for _, m := range f.Members {
		names[m.ID] = str(m.Fields["name"])
	}
	for _, inv := range f.Investigations {
		items, _ := inv.Fields["income_items"].([]any)
		for _, it := range items {
			if m, ok := it.(map[string]any); ok && names[str(m["member_id"])] != "" {
				m["member_id"] = names[str(m["member_id"])]
			}
		}
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
