// Package server holds ruhu's domain: its entities, the service interfaces
// the adapters implement, and Error, the one error type with a stable code.
//
// Adapters (server/sqlite, server/api, server/auth, server/photos) import
// this package and never each other; only server/cmd/ruhu wires them.
package server

import (
	"errors"
	"fmt"
)

// Error is a domain error with a stable snake_case code (the syncproto.Code*
// constants). Its Message is safe to show to the client. The mapping of codes
// to HTTP statuses lives only in server/api.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or "" when
// err carries none (an internal error).
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// ErrorMessage returns the client-safe message of the first *Error in err's
// chain, or "" when err carries none.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return ""
}
