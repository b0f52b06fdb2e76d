package syncproto

import "encoding/json"

// Conflict kinds.
const (
	KindField                 = "field"
	KindDeleteEdit            = "delete_edit"
	KindPersonInTwoHouseholds = "person_in_two_households"
	KindDuplicateHousehold    = "duplicate_household"
	KindSignedContentLocked   = "signed_content_locked"
	// KindDuplicateMember: the same person added twice to one household
	// (typically by two tablets); the second record was merged into the first.
	KindDuplicateMember = "duplicate_member"
)

// Conflict statuses.
const (
	ConflictOpen     = "open"
	ConflictResolved = "resolved"
)

// Resolution choices.
const (
	ChoiceServer = "server"
	ChoiceClient = "client"
)

// Conflict is a value the server did not apply because it collided with
// another change. Nothing is lost: ClientValue holds what the device sent.
// For a whole-record conflict (delete_edit, signed_content_locked) Field is
// empty and ClientValue holds the mutation's fields (or null for a delete).
// A person_in_two_households conflict names Field "id_number", keeps the
// member's fields in ClientValue and the other household's ids in
// ServerValue.
type Conflict struct {
	ID          string          `json:"id"`
	Kind        string          `json:"kind"`
	Collection  string          `json:"collection"`
	RecordID    string          `json:"record_id"`
	Field       string          `json:"field"`
	ServerValue json.RawMessage `json:"server_value"`
	ClientValue json.RawMessage `json:"client_value"`
	BaseVersion int64           `json:"base_version"`
	DeviceID    string          `json:"device_id"`
	UserID      string          `json:"user_id"`
	CreatedAt   string          `json:"created_at"`
	Status      string          `json:"status"`
	Detail      string          `json:"detail,omitempty"`
	Op          string          `json:"op,omitempty"`
	Resolution  json.RawMessage `json:"resolution,omitempty"`
	ResolvedBy  string          `json:"resolved_by,omitempty"`
	ResolvedAt  string          `json:"resolved_at,omitempty"`
	Version     int64           `json:"version,omitempty"` // record version after resolution
}

// ConflictList is the body of GET /v1/conflicts, one page of it.
type ConflictList struct {
	Conflicts []Conflict `json:"conflicts"`
	// Next, when set, is the after= value of the next page.
	Next string `json:"next,omitempty"`
}

// DefaultConflictLimit and MaxConflictLimit bound GET /v1/conflicts?limit=N.
const (
	DefaultConflictLimit = 1000
	MaxConflictLimit     = 10000
)

// ResolveRequest is the body of POST /v1/conflicts/{id}/resolve: either a
// Choice ("server" or "client") or an explicit Value.
type ResolveRequest struct {
	Choice string          `json:"choice,omitempty"`
	Value  json.RawMessage `json:"value,omitempty"`
}
