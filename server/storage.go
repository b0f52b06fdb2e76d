package server

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/ruhu-org/ruhu/syncproto"
)

// StorageFullRetry is the Retry-After a client is given when the server's
// storage is full: long enough for an operator to free space.
const StorageFullRetry = 5 * time.Minute

// storageFull is a coded error (storage_full) for a write the storage
// could not make for want of space. Its RetryAfter method gives the
// client's Retry-After; Unwrap reaches both the code and the cause.
type storageFull struct {
	cause error
}

// StorageFull wraps cause, an adapter's "disk full" (SQLITE_FULL, ENOSPC,
// PostgreSQL SQLSTATE 53100), as the coded error storage_full. The
// adapter has rolled back: nothing of the request was written.
func StorageFull(cause error) error { return &storageFull{cause: cause} }

func (e *storageFull) Error() string { return fmt.Sprintf("storage_full: %v", e.cause) }

// Unwrap lets ErrorCode find the code and errors.Is the cause.
func (e *storageFull) Unwrap() []error {
	return []error{&Error{Code: syncproto.CodeStorageFull, Message: "the server's storage is full; nothing was written, try again later"}, e.cause}
}

// RetryAfter is how long the client should wait before trying again.
func (e *storageFull) RetryAfter() time.Duration { return StorageFullRetry }

// IsStorageFull reports whether err is, or is caused by, a full disk
// (ENOSPC from the file system, or an adapter's StorageFull).
func IsStorageFull(err error) bool {
	var sf *storageFull
	return errors.As(err, &sf) || errors.Is(err, syscall.ENOSPC)
}

// storageReadOnly is a coded error (storage_read_only) for a write refused
// because the data directory or database is read-only (mounted read-only,
// permissions changed under the server).
type storageReadOnly struct {
	cause error
}

// StorageReadOnly wraps cause, an adapter's "read-only" (SQLITE_READONLY,
// EROFS, a permission refused on the data directory), as the coded error
// storage_read_only. Nothing of the request was written.
func StorageReadOnly(cause error) error { return &storageReadOnly{cause: cause} }

func (e *storageReadOnly) Error() string { return fmt.Sprintf("storage_read_only: %v", e.cause) }

// Unwrap lets ErrorCode find the code and errors.Is the cause.
func (e *storageReadOnly) Unwrap() []error {
	return []error{&Error{Code: syncproto.CodeStorageReadOnly, Message: "the server cannot write its storage; nothing was written, try again later"}, e.cause}
}

// RetryAfter is how long the client should wait before trying again.
func (e *storageReadOnly) RetryAfter() time.Duration { return StorageFullRetry }

// IsStorageReadOnly reports whether err is, or is caused by, storage that
// refuses writes (EROFS, EACCES, EPERM from the file system, or an
// adapter's StorageReadOnly).
func IsStorageReadOnly(err error) bool {
	var ro *storageReadOnly
	return errors.As(err, &ro) || errors.Is(err, syscall.EROFS) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM)
}
