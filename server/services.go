package server

import (
	"context"
	"time"

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
	CreateUser(ctx context.Context, a *Actor, req syncproto.CreateUserRequest, passwordHash string) (*syncproto.UserDetail, error)
	ListUsers(ctx context.Context, a *Actor) ([]syncproto.UserDetail, error)
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

// ConflictService lists and resolves conflicts.
type ConflictService interface {
	ListConflicts(ctx context.Context, a *Actor, status string) ([]syncproto.Conflict, error)
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
