package clientsdk

import (
	"errors"
	"fmt"

	"github.com/ruhu-org/ruhu/syncproto"
)

// Sentinel errors. Test for them with errors.Is.
var (
	// ErrNotLoggedIn: no user is logged in on this device; call Login.
	ErrNotLoggedIn = errors.New("clientsdk: not logged in")
	// ErrReloginRequired: the user's refresh token is gone (expired,
	// reused or revoked). Nothing local is lost; Login again and Sync.
	// The error is a *ReloginError naming the user.
	ErrReloginRequired = errors.New("clientsdk: log in again")
	// ErrUnreachable: the server could not be reached (network error)
	// after every retry. Local work is kept; Sync again later.
	ErrUnreachable = errors.New("clientsdk: server unreachable")
	// ErrNotFound: no such record in the local store (or it is deleted).
	ErrNotFound = errors.New("clientsdk: record not found")
	// ErrInvalidRecord: the edit breaks the record schema (unknown
	// collection or field, missing required field, invalid ID number, a
	// collection the device may not write directly).
	ErrInvalidRecord = errors.New("clientsdk: invalid record")
	// ErrServerMismatch: the store was opened with another server's URL.
	ErrServerMismatch = errors.New("clientsdk: store belongs to another server")
	// ErrAlreadySigned: the user already signed this content.
	ErrAlreadySigned = errors.New("clientsdk: already signed")
	// ErrPhotosUnsupported: the server has no photo endpoints (404).
	ErrPhotosUnsupported = errors.New("clientsdk: server does not accept photos")
	// ErrInvalidPhoto: the file is not a JPEG or PNG image.
	ErrInvalidPhoto = errors.New("clientsdk: not a usable photo")
	// ErrClosed: the client was closed.
	ErrClosed = errors.New("clientsdk: client closed")
)

// APIError is a problem+json answer of the server. Code is the stable
// syncproto error code (syncproto.CodeDualSignatureRequired, …).
type APIError struct {
	Status  int
	Problem syncproto.Problem
}

func (e *APIError) Error() string {
	if e.Problem.Detail != "" {
		return fmt.Sprintf("clientsdk: server answered %d %s: %s", e.Status, e.Problem.Code, e.Problem.Detail)
	}
	return fmt.Sprintf("clientsdk: server answered %d %s", e.Status, e.Problem.Code)
}

// Code returns the problem's error code.
func (e *APIError) Code() string { return e.Problem.Code }

// ReloginError says which user must log in again. It matches
// ErrReloginRequired with errors.Is.
type ReloginError struct {
	UserID   string
	Username string
	// Code is the server's reason (refresh_token_expired, …), or "" when
	// the device holds no refresh token for the user.
	Code string
}

func (e *ReloginError) Error() string {
	msg := fmt.Sprintf("clientsdk: log in again as %s", e.Username)
	if e.Code != "" {
		msg += " (" + e.Code + ")"
	}
	return msg
}

// Is makes errors.Is(err, ErrReloginRequired) true.
func (e *ReloginError) Is(target error) bool { return target == ErrReloginRequired }

// ErrorCode returns the server's error code carried by err (an *APIError
// or *ReloginError anywhere in its chain), or "".
func ErrorCode(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Problem.Code
	}
	var re *ReloginError
	if errors.As(err, &re) {
		return re.Code
	}
	return ""
}
