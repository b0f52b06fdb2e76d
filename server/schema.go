package server

import (
	"context"

	"github.com/ruhu-org/ruhu/syncproto"
)

// SchemaService serves the collection schemas of the caller's county and
// lets a county admin add fields of the county's own.
type SchemaService interface {
	// Schema returns the JSON Schema document of a's county (any role).
	Schema(ctx context.Context, a *Actor) (*syncproto.SchemaDocument, error)
	// AddField adds a field to a collection of the admin's county. Codes:
	// forbidden (not a county admin), validation_failed, builtin_field,
	// already_exists.
	AddField(ctx context.Context, a *Actor, f syncproto.ExtraField) (*syncproto.ExtraField, error)
	// ListFields lists the fields the admin's county added. Code forbidden.
	ListFields(ctx context.Context, a *Actor) ([]syncproto.ExtraField, error)
	// RemoveField removes an added field; stored values stay. Codes:
	// forbidden, not_found.
	RemoveField(ctx context.Context, a *Actor, collection, name string) error
}

// PullFilter narrows a pull page for small clients (GET /v1/sync/pull
// ?household_id=…&fields=…). The API puts it in the request's context
// (WithPullFilter); SyncService.Pull reads it there.
type PullFilter struct {
	// HouseholdID limits the page to one household's records (the
	// household and everything filed under it). A household outside the
	// caller's scope, or none, yields nothing.
	HouseholdID string
	// Fields, when set, keeps only these fields of each record.
	Fields []string
}

type pullFilterKey struct{}

// WithPullFilter returns ctx carrying f.
func WithPullFilter(ctx context.Context, f PullFilter) context.Context {
	return context.WithValue(ctx, pullFilterKey{}, f)
}

// PullFilterFrom returns the filter ctx carries (the zero filter if none).
func PullFilterFrom(ctx context.Context) PullFilter {
	f, _ := ctx.Value(pullFilterKey{}).(PullFilter)
	return f
}
