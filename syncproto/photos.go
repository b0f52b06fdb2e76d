package syncproto

// MissingPhotosRequest is the body of POST /v1/photos/missing.
type MissingPhotosRequest struct {
	SHA256 []string `json:"sha256"`
}

// MissingPhotosResponse lists the hashes the server does not hold.
type MissingPhotosResponse struct {
	Missing []string `json:"missing"`
}

// Photo variants served by GET /v1/photos/{sha256}/{variant}.
const (
	VariantOriginal = "original"
	VariantLarge    = "large"
	VariantThumb    = "thumb"
)

// SubmitResponse answers POST /v1/investigations/{id}/submit.
type SubmitResponse struct {
	ID          string         `json:"id"`
	Version     int64          `json:"version"`
	SubmittedAt string         `json:"submitted_at"`
	Signatures  SignatureState `json:"signatures"`
}
