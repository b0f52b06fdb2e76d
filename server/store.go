package server

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/ruhu-org/ruhu/server/merge"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Store is the storage port the engine (server/engine) runs over. A store
// adapter (server/sqlite, server/postgres) holds the SQL and its own
// optimisations; every rule — who may do what, merge, duplicates,
// signatures, scope — lives in the engine and is written once.
type Store interface {
	// Write runs fn in one write transaction on the data of county (the
	// root unit's id). Writes of one county are serialised: versions and
	// the county's audit chain grow in commit order, so a reader never
	// sees version v+1 committed while v is still being written. fn's
	// error rolls everything back. County "" holds what belongs to no
	// county: audit entries about no known user.
	Write(ctx context.Context, county string, fn func(Tx) error) error
	// Read runs fn in a read-only, consistent snapshot. Write methods of
	// the Tx fail.
	Read(ctx context.Context, fn func(Tx) error) error
	// Secret returns the named secret, creating it with n random bytes the
	// first time.
	Secret(ctx context.Context, name string, n int) ([]byte, error)
	// AuditRows calls fn for every audit row of county ("" for every
	// county), in chain order, for verification.
	AuditRows(ctx context.Context, county string, fn func(AuditRow) error) error
	// Counties lists the root units' ids.
	Counties(ctx context.Context) ([]string, error)
	Ping(ctx context.Context) error
	Close() error
}

// ErrExists is returned by a Tx insert that collides with an existing row
// (a unique key); the engine turns it into a coded error.
var ErrExists = errors.New("row already exists")

// Tx is one transaction of a Store. It holds the context it was opened
// with. Record-returning methods return the transaction's one copy of each
// record: the engine changes it in place and Puts it back.
type Tx interface {
	// Units returns every unit whose path starts with path.
	Units(path string) ([]Unit, error)
	// InsertUnit adds a unit (ErrExists when the id is taken).
	InsertUnit(u Unit, at time.Time) error
	// SetUnitPosition sets the position of unit id of the transaction's
	// county; ok false when there is no such unit.
	SetUnitPosition(id string, p Position) (ok bool, err error)

	// NextVersion takes the next value of the county's version sequence.
	NextVersion() (int64, error)
	// Prefetch is a hint: the mutations about to be applied, whose records
	// an adapter may load in bulk. It may do nothing.
	Prefetch(ms []syncproto.Mutation) error
	// Record loads a record, deleted or not; nil when there is none.
	Record(collection, id string) (*Record, error)
	// Put writes r at its Version (inserting it or replacing its row).
	Put(r *Record) error
	// LiveHousehold returns the live household whose head has ID number
	// key, other than except; nil when none.
	LiveHousehold(key, except string) (*Record, error)
	// LiveMember returns a live member of household with ID number key.
	LiveMember(key, household string) (*Record, error)
	// MemberElsewhere returns a live member with ID number key, other
	// than self, of a live household other than household (拆户拼户).
	MemberElsewhere(key, self, household string) (*Record, error)
	// MembersElsewhere counts the live members of household that are live
	// members of another live household.
	MembersElsewhere(household string) (int, error)
	// Children returns every record of household but the household itself.
	Children(household string) ([]*Record, error)
	// LiveMembers returns the live members of household.
	LiveMembers(household string) ([]*Record, error)
	// Signatures returns the signature records of an investigation.
	Signatures(investigation string) ([]*Record, error)
	// ValidSigners returns, sorted and distinct, the users whose live
	// signatures on investigation carry contentHash (by their key's owner).
	ValidSigners(investigation, contentHash string) ([]string, error)
	// HasCommitmentPhoto reports whether a live photo of kind commitment is
	// filed under household.
	HasCommitmentPhoto(household string) (bool, error)
	// PhotoFilings returns the records of collection photos, live or
	// deleted, that file any of the contents shas: id in shas, or field
	// sha256 in shas.
	PhotoFilings(shas []string) ([]*Record, error)
	// Changes returns up to limit changes after version after, in version
	// order, of records in the units scope (every unit when all): live
	// records, tombstones of deleted ones, and a tombstone (meta
	// left_scope) for each record that left scope and is not back in it.
	Changes(scope []string, all bool, after int64, limit int) ([]syncproto.Change, error)

	// CanonicalID follows an alias; id itself when it is none.
	CanonicalID(collection, id string) (string, error)
	AddAlias(collection, alias, canonical string) error
	// AddScopeExit records that a record left unit fromUnit at version.
	AddScopeExit(version int64, collection, id, fromUnit string) error

	AddConflict(c *StoredConflict) error
	// Conflict loads one conflict; nil when none.
	Conflict(id string) (*StoredConflict, error)
	// Conflicts lists conflicts of units under path with status ("open",
	// "resolved", "all"), by id, at most limit after id after.
	Conflicts(path, status, after string, limit int) ([]StoredConflict, error)
	// OpenConflicts counts the open conflicts about a record.
	OpenConflicts(collection, id string) (int, error)
	// CloseConflict stores a conflict's resolution.
	CloseConflict(c *StoredConflict) error
	// MoveRecordConflicts files the conflicts about a record under unit.
	MoveRecordConflicts(collection, id, unit string) error
	// MoveHouseholdConflicts files under unit the conflicts about the
	// records of household and those keeping a never-created member of it
	// (person_in_two_households whose client value names household).
	MoveHouseholdConflicts(household, unit string) error

	// DeviceLast is the last mutation id user pushed from device (0 none).
	DeviceLast(device, user string) (int64, error)
	SetDeviceLast(device, user string, last int64, at time.Time) error
	// LoggedResult is the stored result of a mutation; ok false when none.
	LoggedResult(device, user string, mutationID int64) (result []byte, ok bool, err error)
	LogMutation(e MutationLogEntry) error
	// Rejections lists rejected mutations kept under units below path,
	// newest first (created_at descending, then device, user, mutation id
	// descending), at most limit, those after the key after (nil: from
	// the newest). Payload is nil for a rejection whose payload was dropped.
	Rejections(path string, after *RejectionKey, limit int) ([]MutationLogEntry, error)

	// AppendAudit appends to the county's hash-chained audit log (At set).
	AppendAudit(e AuditEntry) error
	// AuditOf returns the audit entries about one object, oldest first.
	AuditOf(objectType, objectID string) ([]AuditEntry, error)

	// Setting reads a settings value; ok false when unset.
	Setting(key string) (value string, ok bool, err error)
	SetSetting(key, value string) error

	UserByID(id string) (*User, error) // nil when none
	UserByUsername(username string) (*User, error)
	// Users returns the users of units under path, by username.
	Users(path string) ([]User, error)
	InsertUser(u *User) error // ErrExists when the username is taken
	SetUserDisabled(id string, disabled bool) error
	SetPasswordHash(id, hash string) error

	// InsertRelative registers a relative (ErrExists: already registered).
	InsertRelative(r StoredRelative) error
	// Relatives lists the relatives of users under path (of userID when
	// set), by user and time.
	Relatives(path, userID string) ([]StoredRelative, error)
	// IsRelative reports whether idNumber is a registered relative of user.
	IsRelative(userID, idNumber string) (bool, error)
	// RelativeIDNumbers returns the ID numbers of user's registered
	// relatives, as a set (one query, whatever the household's size).
	RelativeIDNumbers(userID string) (map[string]bool, error)

	Key(keyID string) (*syncproto.Key, error) // nil when none
	InsertKey(k syncproto.Key) error
	KeysOf(userID string) ([]syncproto.Key, error)
	RevokeKey(keyID string, at time.Time) error

	InsertSession(s Session, tokenHash string, expires time.Time) error
	// RefreshToken loads a refresh token and its session; nil when none.
	RefreshToken(hash string) (*RefreshToken, error)
	// UseRefresh marks a token used and stores its successor.
	UseRefresh(oldHash, newHash, session string, expires, at time.Time) error
	Session(id string) (*Session, error) // nil when none
	// RevokeSession revokes a live session (nothing when already revoked).
	RevokeSession(id, why string, at time.Time) error
	// RevokeUserSessions revokes every live session of a user.
	RevokeUserSessions(userID, why string, at time.Time) error

	// Case procedure.

	// RecordsIn returns the live records of collection filed under any of
	// units (their unit_id), in version order.
	RecordsIn(collection string, units []string) ([]*Record, error)

	// Schema fields.

	// SchemaFields returns the fields county added to its collections
	// (syncproto.ExtraField), by collection and name.
	SchemaFields(county string) ([]syncproto.ExtraField, error)
	// InsertSchemaField stores a field county adds (ErrExists when the
	// collection already has an added field of that name).
	InsertSchemaField(county string, f syncproto.ExtraField) error
	// DeleteSchemaField removes an added field; ok false when there was
	// none. Stored record values are left as they are.
	DeleteSchemaField(county, collection, name string) (ok bool, err error)

	// Console reads.

	// LiveRecordsIn returns the live records of collection filed under
	// any of units, created at or after since (all of them when since is
	// zero), in version order, at most limit.
	LiveRecordsIn(collection string, units []string, since time.Time, limit int) ([]*Record, error)
}

// Record is a stored record: its fields with their versions (merge.Record)
// and where it lives.
type Record struct {
	merge.Record
	Collection  string
	ID          string
	UnitID      string // the village whose subtree owns it
	HouseholdID string // its own id for a household
	ParentID    string // the investigation of a signature
	DedupeKey   string // head_id_number / id_number of a live record
	Meta        syncproto.RecordMeta
	CreatedBy   string
	CreatedAt   time.Time
	// Stored is true once a row exists (or is pending in the transaction).
	Stored bool
	// OldVersion is the version as loaded or last Put.
	OldVersion int64
	// Audited is the fields as the audit chain last committed them (every
	// write of a record's fields is audited): as read from the store, nil
	// for a record not stored yet, then as of the last audit row about it
	// in the transaction. The next row records what changed since.
	Audited map[string]json.RawMessage
}

// Field returns a string field of r ("" when absent or not a string).
func (r *Record) Field(name string) string { return StringField(r.Fields, name) }

// StringField returns fields[name] when it is a JSON string, else "".
func StringField(fields map[string]json.RawMessage, name string) string {
	v, ok := fields[name]
	if !ok || len(v) == 0 || v[0] != '"' {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return ""
	}
	return s
}

// StoredConflict is a conflict with what the wire form leaves out.
type StoredConflict struct {
	syncproto.Conflict
	MutationID int64
	UnitID     string
}

// MutationLogEntry is one pushed mutation with its result: replays answer
// from it, and rejected or conflicting input is kept in Payload.
type MutationLogEntry struct {
	DeviceID    string
	UserID      string
	MutationID  int64
	Collection  string
	RecordID    string
	Op          string
	BaseVersion int64
	Status      string
	ErrorCode   string
	UnitID      string
	Result      []byte // JSON MutationResult
	Payload     []byte // JSON Mutation as sent; nil unless kept
	CreatedAt   time.Time
}

// RejectionKey places a rejection in the Rejections listing.
type RejectionKey struct {
	CreatedAt  time.Time
	DeviceID   string
	UserID     string
	MutationID int64
}

// StoredRelative is a registered close relative with the full ID number.
type StoredRelative struct {
	ID        string
	UserID    string
	IDNumber  string
	Relation  string
	CreatedBy string
	CreatedAt time.Time
}

// RefreshToken is a stored refresh token with its session.
type RefreshToken struct {
	Session   Session
	ExpiresAt time.Time
	Used      bool
}

// FieldsJSON returns the record's fields as a JSON object.
func (r *Record) FieldsJSON() json.RawMessage { return EncodeFields(r.Fields) }

// MergeByVersion merges two change lists, each in version order, into one
// in version order (a store's live records and its scope-exit tombstones).
func MergeByVersion(a, b []syncproto.Change) []syncproto.Change {
	if len(b) == 0 {
		return a
	}
	out := make([]syncproto.Change, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		if j >= len(b) || (i < len(a) && a[i].Version < b[j].Version) {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	return out
}
