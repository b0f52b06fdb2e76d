package syncproto

import "encoding/json"

// DefaultPullLimit and MaxPullLimit bound GET /v1/sync/pull?limit=N.
const (
	DefaultPullLimit = 500
	MaxPullLimit     = 5000
)

// PullResponse is the body of GET /v1/sync/pull. Changes are in version
// order. Cursor is opaque; pass it back to continue. HasMore says whether
// another page is waiting now.
type PullResponse struct {
	Changes []Change `json:"changes"`
	Cursor  string   `json:"cursor"`
	HasMore bool     `json:"has_more"`
}

// Change is the current state of one record. A tombstone has Deleted set and
// empty Fields: the record was deleted, or it left the caller's jurisdiction,
// and the client should purge it. Meta is server-computed state that is not
// part of the record's content (conflict flags, signature state, …).
type Change struct {
	Collection string          `json:"collection"`
	ID         string          `json:"id"`
	Version    int64           `json:"version"`
	Deleted    bool            `json:"deleted"`
	Fields     json.RawMessage `json:"fields"`
	Meta       json.RawMessage `json:"meta"`
}

// RecordMeta is the shape of Change.Meta.
type RecordMeta struct {
	OpenConflicts int             `json:"open_conflicts,omitempty"`
	Signatures    *SignatureState `json:"signatures,omitempty"`
	Submitted     bool            `json:"submitted,omitempty"`
	SubmittedAt   string          `json:"submitted_at,omitempty"`
	// SubmittedVersion is the record's version when it was submitted
	// (versions of one county grow in commit order: later steps compare
	// with it).
	SubmittedVersion int64  `json:"submitted_version,omitempty"`
	AliasOf          string `json:"alias_of,omitempty"`
	// LeftScope marks a tombstone of a record that still exists but left
	// the caller's jurisdiction (its household moved to another village).
	LeftScope bool `json:"left_scope,omitempty"`
}

// SignatureState is the signature state of an investigation, in its meta.
type SignatureState struct {
	ContentHash  string   `json:"content_hash"`
	ValidSigners []string `json:"valid_signers"`
	Satisfied    bool     `json:"satisfied"`
}
