package auth

import (
	"time"

	"github.com/ruhu-org/ruhu/server"
)

// retryError is a coded error that tells the client when to try again.
// server/api finds it by its RetryAfter method and sets Retry-After.
type retryError struct {
	err   *server.Error
	after time.Duration
}

func retryAfter(err *server.Error, after time.Duration) error {
	return &retryError{err: err, after: after}
}

func (e *retryError) Error() string { return e.err.Error() }

// Unwrap lets server.ErrorCode find the code.
func (e *retryError) Unwrap() error { return e.err }

// RetryAfter is how long the client should wait before trying again.
func (e *retryError) RetryAfter() time.Duration { return e.after }
