package server

import (
	"context"
	"io"
	"time"

	"github.com/ruhu-org/ruhu/server/policy"
	"github.com/ruhu-org/ruhu/syncproto"
)

// AuthService logs people in and authenticates their requests.
type AuthService interface {
	// Login checks credentials and opens a session on the device.
	// Codes: invalid_credentials, rate_limited, validation_failed.
	Login(ctx context.Context, req syncproto.LoginRequest, clientAddr string) (*syncproto.TokenResponse, error)
	// Refresh rotates a refresh token. Codes: refresh_token_invalid,
	// refresh_token_expired, refresh_token_reused (the family is revoked).
	Refresh(ctx context.Context, refreshToken, clientAddr string) (*syncproto.TokenResponse, error)
	// Logout revokes the actor's session and every token in it.
	Logout(ctx context.Context, a *Actor) error
	// Authenticate verifies an access token. Codes: invalid_token,
	// token_expired, session_revoked.
	Authenticate(ctx context.Context, accessToken string) (*Actor, error)
}

// AuthStore is the storage the AuthService needs.
type AuthStore interface {
	UserByUsername(ctx context.Context, username string) (*User, error)
	UserByID(ctx context.Context, id string) (*User, error)
	// CreateSession stores a new session with its first refresh token.
	CreateSession(ctx context.Context, s Session, tokenHash string, expires time.Time) error
	// RotateRefresh marks the token used and stores its successor. It
	// returns the session. A token already used revokes the whole session
	// and returns refresh_token_reused.
	RotateRefresh(ctx context.Context, oldHash, newHash string, expires time.Time) (*Session, error)
	RevokeSession(ctx context.Context, a *Actor, why string) error
	// SessionUser returns the live session and its user (with roles and
	// unit path). Code session_revoked when the session is revoked, unknown
	// or its user disabled.
	SessionUser(ctx context.Context, sessionID string) (*Session, *User, error)
	// Audit appends an entry to the audit log in its own transaction.
	Audit(ctx context.Context, e AuditEntry) error
}

// AdminService manages the org-unit tree, users and registered relatives,
// always within the calling admin's subtree.
type AdminService interface {
	CreateUnit(ctx context.Context, a *Actor, u syncproto.Unit) (*syncproto.Unit, error)
	ListUnits(ctx context.Context, a *Actor) ([]syncproto.Unit, error)
	// SetUnitPosition sets where a unit of the admin's subtree lies.
	// Codes: forbidden, not_found, validation_failed.
	SetUnitPosition(ctx context.Context, a *Actor, id string, p syncproto.UnitPosition) (*syncproto.Unit, error)
	CreateUser(ctx context.Context, a *Actor, req syncproto.CreateUserRequest, passwordHash string) (*syncproto.UserDetail, error)
	ListUsers(ctx context.Context, a *Actor) ([]syncproto.UserDetail, error)
	// SetUserDisabled disables a user (ending their sessions) or enables
	// them again. Codes: forbidden, not_found.
	SetUserDisabled(ctx context.Context, a *Actor, id string, disabled bool) (*syncproto.UserDetail, error)
	// SetPassword replaces a user's password and ends their sessions.
	SetPassword(ctx context.Context, a *Actor, id, passwordHash string) error
	AddRelative(ctx context.Context, a *Actor, req syncproto.RelativeRequest) (*syncproto.Relative, error)
	ListRelatives(ctx context.Context, a *Actor, userID string) ([]syncproto.Relative, error)
}

// KeyService registers and revokes investigators' Ed25519 signing keys.
type KeyService interface {
	RegisterKey(ctx context.Context, a *Actor, publicKey string) (*syncproto.Key, bool, error)
	ListKeys(ctx context.Context, a *Actor, userID string) ([]syncproto.Key, error)
	RevokeKey(ctx context.Context, a *Actor, keyID string) error
}

// SyncService applies pushes and serves pulls.
type SyncService interface {
	Push(ctx context.Context, a *Actor, req *syncproto.PushRequest) (*syncproto.PushResponse, error)
	Pull(ctx context.Context, a *Actor, cursor string, limit int) (*syncproto.PullResponse, error)
}

// ConflictService lists and resolves conflicts, and lists rejected
// mutations kept for review.
type ConflictService interface {
	// ListRejections lists rejected mutations pushed from the actor's
	// subtree, newest first, with their payload and reason: one page of at
	// most limit after the cursor after ("" from the newest).
	ListRejections(ctx context.Context, a *Actor, after string, limit int) (*syncproto.RejectionList, error)
	// ListConflicts lists conflicts of the actor's subtree with the given
	// status ("open", "resolved", "all") in creation order, at most limit
	// after the conflict id after ("" from the start).
	ListConflicts(ctx context.Context, a *Actor, status, after string, limit int) ([]syncproto.Conflict, error)
	ResolveConflict(ctx context.Context, a *Actor, id string, req syncproto.ResolveRequest) (*syncproto.Conflict, error)
}

// PasswordHasher hashes and checks passwords.
type PasswordHasher interface {
	Hash(password string) (string, error)
	Verify(hash, password string) (bool, error)
}

// InvestigationService runs the investigation workflow.
type InvestigationService interface {
	// Submit locks an investigation signed by at least two investigators.
	// Codes: not_found, dual_signature_required, commitment_required.
	Submit(ctx context.Context, a *Actor, id string) (*syncproto.SubmitResponse, error)
}

// CaseFilter selects cases for CaseService.Cases.
type CaseFilter struct {
	UnitID   string // a unit of the actor's subtree (default: the actor's)
	State    string
	Category string
	// Drawn selects the cases drawn for a re-visit or spot check in their
	// current round.
	Drawn bool
	// Household selects the cases of one household.
	Household string
	// After is the last case id of the previous page; Limit the page size.
	After string
	Limit int
}

// CaseService carries cases through the procedure (docs/procedure.md).
type CaseService interface {
	CreateCase(ctx context.Context, a *Actor, in syncproto.CreateCaseRequest) (*syncproto.Case, error)
	Case(ctx context.Context, a *Actor, id string) (*syncproto.Case, error)
	Cases(ctx context.Context, a *Actor, f CaseFilter) (*syncproto.CaseList, error)
	Transition(ctx context.Context, a *Actor, id string, in syncproto.TransitionRequest) (*syncproto.Case, error)
	Object(ctx context.Context, a *Actor, id string, in syncproto.ObjectionRequest) (*syncproto.Case, error)
	CaseBenefit(ctx context.Context, a *Actor, id string) (*syncproto.CaseBenefit, error)
	Draw(ctx context.Context, a *Actor, in syncproto.DrawRequest) (*syncproto.Draw, error)
	GetDraw(ctx context.Context, a *Actor, id string) (*syncproto.Draw, error)
	Notice(ctx context.Context, a *Actor, unitID, stage string) (*syncproto.NoticeList, error)
	Roster(ctx context.Context, a *Actor, unitID string) ([]syncproto.RosterRow, error)
	Policies(ctx context.Context, a *Actor) ([]policy.Policy, error)
	AddPolicy(ctx context.Context, a *Actor, p policy.Policy) ([]policy.Policy, error)
}

// Photo is one filing of a stored photo: which household's file it is in,
// as which kind, and what the server read from the file. SHA256 (lowercase
// hex of the original) names the content; ID is the filing's record id in
// the sync feed, collection "photos" (SHA256 for the content's first
// filing, syncproto.PhotoFilingID for the others).
type Photo struct {
	ID          string // set by FindPhoto
	SHA256      string
	HouseholdID string
	Kind        string // one of syncproto.PhotoKinds
	Width       int    // of the upright image
	Height      int
	TakenAt     string              // EXIF capture time, RFC 3339, or ""
	GPS         *syncproto.PhotoGPS // nil when the photo carries no position
	UploadedBy  string              // user id
	UploadedAt  time.Time           // AddPhoto sets it from its clock
	Filename    string              // the name on the device, kept in the audit log only
	Flags       []string            // evidence checks failed (syncproto.PhotoFlag*); AddPhoto sets them
	DistanceM   *int                // metres from the household's village; AddPhoto sets it when known
}

// PhotoRecords keeps the filings of stored photos (server/engine). The
// same content may be filed under several households and kinds; each
// filing is a record of the sync feed and an entry of the audit log.
type PhotoRecords interface {
	// CheckPhotoUpload checks, before any byte is sent, that a may file a
	// photo under household, and returns the household's canonical id (a
	// merged duplicate's alias is followed). Codes: unknown_household,
	// out_of_scope.
	CheckPhotoUpload(ctx context.Context, a *Actor, sha256, household string) (string, error)
	// AddPhoto files a stored photo under p.HouseholdID as p.Kind, audited,
	// with a version in the sync feed and its evidence flags. existed is
	// true when that filing was already live (nothing is written). Codes:
	// those of CheckPhotoUpload.
	AddPhoto(ctx context.Context, a *Actor, p Photo) (existed bool, err error)
	// FindPhoto returns a live filing of content sha256 whose household is
	// in a's subtree. Code not_found otherwise, so that a photo of another
	// jurisdiction is indistinguishable from none.
	FindPhoto(ctx context.Context, a *Actor, sha256 string) (*Photo, error)
	// PhotosWithoutRecord returns those of shas (lowercase hex) that have
	// no live filing in a's subtree, in their order.
	PhotosWithoutRecord(ctx context.Context, a *Actor, shas []string) ([]string, error)
	// MissingFilings returns those of filings that are not live filings in
	// a's subtree (an unknown or foreign household counts as missing: its
	// upload is refused with the reason), in their order.
	MissingFilings(ctx context.Context, a *Actor, filings []syncproto.PhotoFiling) ([]syncproto.PhotoFiling, error)
	// PhotoFiled reports whether content sha256 has a live filing
	// anywhere: the photo store keeps only content someone answers for.
	PhotoFiled(ctx context.Context, sha256 string) (bool, error)
}

// PhotoContent is one stored variant of a photo, open for reading.
type PhotoContent struct {
	io.ReadSeekCloser
	ContentType string
	ModTime     time.Time
}

// PhotoService serves stored photos (server/photos). Uploads arrive over
// tus, through the http.Handler the same package builds.
type PhotoService interface {
	// Missing answers POST /v1/photos/missing for a: the asked contents
	// without a live filing in a's subtree and the asked filings that do
	// not exist, or whose content the server no longer holds, so a client
	// uploads only those. Codes: validation_failed (a hash that is not hex
	// SHA-256, a kind not in syncproto.PhotoKinds, or more than
	// syncproto.MaxMissingPhotos items).
	Missing(ctx context.Context, a *Actor, req syncproto.MissingPhotosRequest) (*syncproto.MissingPhotosResponse, error)
	// Open opens a variant (syncproto.Variant*) of a photo whose household
	// is in a's subtree. Code not_found (no such photo or variant, or outside
	// the subtree).
	Open(ctx context.Context, a *Actor, sha256, variant string) (*PhotoContent, error)
}

// actorKey is the context key of ContextWithActor.
type actorKey struct{}

// ContextWithActor returns ctx carrying the authenticated actor, for
// handlers that are not Echo's (the tus upload handler).
func ContextWithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFromContext returns the actor set by ContextWithActor, or nil.
func ActorFromContext(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}
