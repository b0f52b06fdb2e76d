package syncproto

import "encoding/json"

// Collections in the sync feed.
const (
	CollHouseholds     = "households"
	CollMembers        = "members"
	CollInvestigations = "investigations"
	CollSignatures     = "signatures"
	CollPhotos         = "photos" // server-written only
)

// Ops of a Mutation.
const (
	OpUpsert = "upsert"
	OpDelete = "delete"
)

// Statuses of a MutationResult.
const (
	StatusApplied  = "applied"
	StatusMerged   = "merged"
	StatusConflict = "conflict"
	StatusRejected = "rejected"
)

// MaxRecordIDLen is the longest record id the server accepts.
const MaxRecordIDLen = 64

// MaxMutationID is the largest mutation id the server accepts (2^53−1, the
// largest integer every JSON client represents exactly); a larger one is
// rejected with mutation_id_not_increasing and does not move the counter.
const MaxMutationID = 1<<53 - 1

// MaxMutationsPerPush is the largest batch the server accepts in one push.
const MaxMutationsPerPush = 1000

// PushRequest is the body of POST /v1/sync/push.
type PushRequest struct {
	DeviceID  string     `json:"device_id"`
	Mutations []Mutation `json:"mutations"`
}

// Mutation is one change made on a device. For an upsert, Fields carries only
// the fields changed since BaseVersion (all fields for a new record); a JSON
// null clears a field. BaseVersion is the record version the device last saw,
// 0 for a record it created.
type Mutation struct {
	MutationID  int64                      `json:"mutation_id"`
	Collection  string                     `json:"collection"`
	ID          string                     `json:"id"`
	Op          string                     `json:"op"`
	BaseVersion int64                      `json:"base_version"`
	Fields      map[string]json.RawMessage `json:"fields,omitempty"`
}

// PushResponse answers a push: one result per mutation, in order.
// Incomplete is true when the server stopped applying before the end of the
// batch (its per-push time or work budget ran out): every mutation after
// LastMutationID that was not applied is answered rejected with code
// mutation_id_not_increasing and must simply be pushed again.
type PushResponse struct {
	Results        []MutationResult `json:"results"`
	LastMutationID int64            `json:"last_mutation_id"`
	Incomplete     bool             `json:"incomplete,omitempty"`
}

// MutationResult is the outcome of one mutation. Version is the record's
// version after the mutation (0 when nothing was written). ConflictID names
// the first conflict recorded for it; ConflictIDs names all of them.
// CanonicalID is set when the record was merged into another one (a duplicate
// household): the device must use CanonicalID from now on. PayloadDropped,
// on a rejected or conflicting mutation, says why the server did not keep
// the mutation as sent for review (DropRejectedQuota, DropNotWritable); the
// result itself is kept either way.
type MutationResult struct {
	MutationID  int64        `json:"mutation_id"`
	Status      string       `json:"status"`
	Version     int64        `json:"version"`
	ConflictID  string       `json:"conflict_id,omitempty"`
	ConflictIDs []string     `json:"conflict_ids,omitempty"`
	CanonicalID string       `json:"canonical_id,omitempty"`
	Error       *ResultError `json:"error,omitempty"`
	Replayed    bool         `json:"replayed"`
	// PayloadDropped is empty when the payload was kept (or need not be).
	PayloadDropped string `json:"payload_dropped,omitempty"`
}

// Why a rejected mutation's payload was not kept (MutationResult.PayloadDropped).
const (
	// DropRejectedQuota: the user's daily quota of kept rejected payloads
	// (server Limits.RejectedPayloadsPerDay) is used up.
	DropRejectedQuota = "rejected_payload_quota"
	// DropNotWritable: the user's role may not write the collection, so
	// there is nothing for a person to fix.
	DropNotWritable = "role_may_not_write"
)

// ResultError says why a mutation was rejected or what it conflicted with.
type ResultError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Rejection is a rejected mutation kept for review, as listed by
// GET /v1/rejections.
type Rejection struct {
	DeviceID   string       `json:"device_id"`
	UserID     string       `json:"user_id"`
	Mutation   Mutation     `json:"mutation"`
	Error      *ResultError `json:"error"`
	RejectedAt string       `json:"rejected_at"`
	// PayloadDropped is set when the payload was not kept: Mutation then
	// holds only mutation_id, collection, id, op and base_version.
	PayloadDropped string `json:"payload_dropped,omitempty"`
}

// RejectionList is the body of GET /v1/rejections, one page of it, newest
// first, bounded by count (limit) and by bytes (the server's page size).
type RejectionList struct {
	Rejections []Rejection `json:"rejections"`
	// Next, when set, is the after= value of the next page.
	Next string `json:"next,omitempty"`
}

// DefaultRejectionLimit and MaxRejectionLimit bound GET /v1/rejections?limit=N.
const (
	DefaultRejectionLimit = 500
	MaxRejectionLimit     = 5000
)
