package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// statusOf maps every error code to its HTTP status. It is the only such
// table in ruhu.
var statusOf = map[string]int{
	syncproto.CodeBadRequest:            http.StatusBadRequest,
	syncproto.CodeInvalidJSON:           http.StatusBadRequest,
	syncproto.CodeInvalidCursor:         http.StatusBadRequest,
	syncproto.CodeNotFound:              http.StatusNotFound,
	syncproto.CodeMethodNotAllowed:      http.StatusMethodNotAllowed,
	syncproto.CodeUnauthenticated:       http.StatusUnauthorized,
	syncproto.CodeInvalidToken:          http.StatusUnauthorized,
	syncproto.CodeTokenExpired:          http.StatusUnauthorized,
	syncproto.CodeInvalidCredentials:    http.StatusUnauthorized,
	syncproto.CodeRefreshReused:         http.StatusUnauthorized,
	syncproto.CodeRefreshInvalid:        http.StatusUnauthorized,
	syncproto.CodeRefreshExpired:        http.StatusUnauthorized,
	syncproto.CodeRevoked:               http.StatusUnauthorized,
	syncproto.CodeForbidden:             http.StatusForbidden,
	syncproto.CodeOutOfScope:            http.StatusForbidden,
	syncproto.CodeDeviceMismatch:        http.StatusForbidden,
	syncproto.CodeRateLimited:           http.StatusTooManyRequests,
	syncproto.CodeServerBusy:            http.StatusServiceUnavailable,
	syncproto.CodeStorageReadOnly:       http.StatusServiceUnavailable,
	syncproto.CodeTooManyConnections:    http.StatusServiceUnavailable,
	syncproto.CodeStorageFull:           http.StatusServiceUnavailable,
	syncproto.CodeHeaderTooLarge:        http.StatusRequestHeaderFieldsTooLarge,
	syncproto.CodeValidation:            http.StatusUnprocessableEntity,
	syncproto.CodeInvalidIDNumber:       http.StatusUnprocessableEntity,
	syncproto.CodeInvalidUnit:           http.StatusUnprocessableEntity,
	syncproto.CodeInvalidRole:           http.StatusUnprocessableEntity,
	syncproto.CodeWeakPassword:          http.StatusUnprocessableEntity,
	syncproto.CodeInvalidPublicKey:      http.StatusUnprocessableEntity,
	syncproto.CodeInvalidChoice:         http.StatusUnprocessableEntity,
	syncproto.CodeInvalidKind:           http.StatusUnprocessableEntity,
	syncproto.CodeUnknownKey:            http.StatusNotFound,
	syncproto.CodeNotFoundRecord:        http.StatusNotFound,
	syncproto.CodeUnknownInvestigation:  http.StatusNotFound,
	syncproto.CodeAlreadyExists:         http.StatusConflict,
	syncproto.CodeBuiltinField:          http.StatusConflict,
	syncproto.CodeConflictResolved:      http.StatusConflict,
	syncproto.CodeDualSignatureRequired: http.StatusConflict,
	syncproto.CodeCommitmentRequired:    http.StatusConflict,
	syncproto.CodeAlreadySubmitted:      http.StatusConflict,
	syncproto.CodeSignedContentLocked:   http.StatusConflict,
	syncproto.CodePersonInTwoHouses:     http.StatusConflict,
	syncproto.CodeDuplicateHousehold:    http.StatusConflict,
	syncproto.CodePayloadTooLarge:       http.StatusRequestEntityTooLarge,
	syncproto.CodeSHA256Mismatch:        http.StatusUnprocessableEntity,
	syncproto.CodeImageTooLarge:         http.StatusUnprocessableEntity,
	syncproto.CodeImageTooComplex:       http.StatusUnprocessableEntity,
	syncproto.CodeTransferInterrupted:   http.StatusRequestTimeout,
	syncproto.CodeNotAnImage:            http.StatusUnsupportedMediaType,
}

// StatusOf returns the HTTP status for an error code (422 for codes of
// invalid input not listed, 500 for "").
func StatusOf(code string) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	if code == "" || code == syncproto.CodeInternal {
		return http.StatusInternalServerError
	}
	return http.StatusUnprocessableEntity
}

// problem writes an RFC 9457 problem+json body.
func problem(c echo.Context, status int, code, detail string) error {
	return c.Blob(status, syncproto.ProblemContentType, problemBody(status, code, detail))
}

// problemBody is the JSON of an RFC 9457 problem.
func problemBody(status int, code, detail string) []byte {
	b, _ := json.Marshal(syncproto.Problem{Type: "https://ruhu.dev/problems/" + code, Title: http.StatusText(status),
		Status: status, Detail: detail, Code: code}) // strings only: cannot fail
	return b
}

// errorHandler turns every error a handler returns into problem+json. An
// error without a code is logged and answered "internal error": its text
// never reaches the client.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		var he *echo.HTTPError
		if errors.As(err, &he) {
			code := syncproto.CodeBadRequest
			switch he.Code {
			case http.StatusNotFound:
				code = syncproto.CodeNotFound
			case http.StatusMethodNotAllowed:
				code = syncproto.CodeMethodNotAllowed
			case http.StatusRequestEntityTooLarge:
				code = syncproto.CodePayloadTooLarge
			case http.StatusUnauthorized:
				code = syncproto.CodeUnauthenticated
			case http.StatusInternalServerError:
				code = syncproto.CodeInternal
			}
			_ = problem(c, he.Code, code, http.StatusText(he.Code))
			return
		}
		code := server.ErrorCode(err)
		switch {
		case code == "" && server.IsStorageFull(err): // a file write (a photo) that hit ENOSPC
			err, code = server.StorageFull(err), syncproto.CodeStorageFull
		case code == "" && server.IsStorageReadOnly(err): // the data directory turned read-only
			err, code = server.StorageReadOnly(err), syncproto.CodeStorageReadOnly
		}
		if code == syncproto.CodeStorageFull || code == syncproto.CodeStorageReadOnly {
			log.ErrorContext(c.Request().Context(), code+": request refused, nothing written", "method", c.Request().Method,
				"path", c.Path(), "err", err)
		}
		if code == "" || code == syncproto.CodeInternal {
			log.ErrorContext(c.Request().Context(), "internal error", "method", c.Request().Method,
				"path", c.Path(), "err", err)
			_ = problem(c, http.StatusInternalServerError, syncproto.CodeInternal, "internal error")
			return
		}
		setRetryAfter(c, err)
		_ = problem(c, StatusOf(code), code, server.ErrorMessage(err))
	}
}

// setRetryAfter sets Retry-After (whole seconds, at least 1) when err says
// when to try again: rate_limited, server_busy and storage_full do.
func setRetryAfter(c echo.Context, err error) {
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) {
		secs := int64((ra.RetryAfter() + time.Second - 1) / time.Second)
		c.Response().Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
	}
}
