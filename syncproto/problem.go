package syncproto

// Problem is an RFC 9457 application/problem+json error body. Code is stable
// and snake_case; clients branch on it, never on Title or Detail.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Code   string `json:"code"`
}

// ProblemContentType is the media type of a Problem body.
const ProblemContentType = "application/problem+json"

// Error codes. They appear as Problem.Code and as MutationResult.Error.Code.
const (
	CodeInternal           = "internal_error"
	CodeBadRequest         = "bad_request"
	CodeInvalidJSON        = "invalid_json"
	CodeNotFound           = "not_found"
	CodeMethodNotAllowed   = "method_not_allowed"
	CodeUnauthenticated    = "unauthenticated"
	CodeInvalidToken       = "invalid_token"
	CodeTokenExpired       = "token_expired"
	CodeForbidden          = "forbidden"
	CodeOutOfScope         = "out_of_scope"
	CodeInvalidCredentials = "invalid_credentials"
	CodeRateLimited        = "rate_limited"
	CodeRefreshReused      = "refresh_token_reused"
	CodeRefreshInvalid     = "refresh_token_invalid"
	CodeRefreshExpired     = "refresh_token_expired"
	CodeRevoked            = "session_revoked"
	CodeDeviceMismatch     = "device_mismatch"
	CodeValidation         = "validation_failed"
	CodeInvalidIDNumber    = "invalid_id_number"
	CodeInvalidUnit        = "invalid_unit"
	CodeInvalidRole        = "invalid_role"
	CodeAlreadyExists      = "already_exists"
	CodeWeakPassword       = "weak_password"
	CodeInvalidPublicKey   = "invalid_public_key"
	CodePayloadTooLarge    = "payload_too_large"
	CodeServerBusy         = "server_busy"
	CodeTooManyConnections = "too_many_connections"
	CodeHeaderTooLarge     = "request_header_too_large"
	// CodeStorageFull (503, with Retry-After): the server's disk is full;
	// nothing of the request was written, send it again later.
	CodeStorageFull = "storage_full"
	// CodeStorageReadOnly (503, with Retry-After): the server's data
	// directory or database refuses writes (mounted read-only).
	CodeStorageReadOnly = "storage_read_only"

	// Push results.
	CodeUnknownCollection   = "unknown_collection"
	CodeUnknownField        = "unknown_field"
	CodeInvalidField        = "invalid_field"
	CodeMissingField        = "missing_field"
	CodeInvalidID           = "invalid_record_id"
	CodeInvalidOp           = "invalid_op"
	CodeNotFoundRecord      = "record_not_found"
	CodeUnknownHousehold    = "unknown_household"
	CodeMutationOutOfOrder  = "mutation_id_not_increasing"
	CodeInvalidCursor       = "invalid_cursor"
	CodeImmutableField      = "immutable_field"
	CodeConflictResolved    = "conflict_already_resolved"
	CodeInvalidChoice       = "invalid_choice"
	CodePersonInTwoHouses   = "person_in_two_households"
	CodeDuplicateHousehold  = "duplicate_household"
	CodeSignedContentLocked = "signed_content_locked"

	// Signatures.
	CodeUnknownKey             = "unknown_key"
	CodeBadSignature           = "bad_signature"
	CodeStaleContent           = "stale_content"
	CodeSignerNotEligible      = "signer_not_eligible"
	CodeConflictOfInterest     = "conflict_of_interest"
	CodeDuplicateSignature     = "duplicate_signature"
	CodeDualSignatureRequired  = "dual_signature_required"
	CodeCommitmentRequired     = "commitment_required"
	CodeAlreadySubmitted       = "already_submitted"
	CodeUnknownInvestigation   = "unknown_investigation"
	CodeSignaturesAreImmutable = "signature_immutable"

	// Photos.
	CodeSHA256Mismatch = "sha256_mismatch"
	CodeImageTooLarge  = "image_too_large"
	// CodeImageTooComplex: decoding the image would need more memory than
	// the server allows one photo (progressive or CMYK JPEG, 16-bit PNG).
	CodeImageTooComplex = "image_too_complex"
	CodeNotAnImage      = "not_an_image"
	CodeInvalidKind     = "invalid_kind"
	// CodeTransferInterrupted: a tus PATCH stopped before its end (the link
	// was cut, or no byte came for the idle timeout); resume from HEAD.
	CodeTransferInterrupted = "transfer_interrupted"
)

// CodeBuiltinField: a county may not define a field the collection has
// built in (POST /v1/admin/fields).
const CodeBuiltinField = "builtin_field"
