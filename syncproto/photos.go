package syncproto

// MissingPhotosRequest is the body of POST /v1/photos/missing: contents
// (sha256, the protocol before filings) or filings, or both; at most
// MaxMissingPhotos items in all.
type MissingPhotosRequest struct {
	SHA256  []string      `json:"sha256"`
	Filings []PhotoFiling `json:"filings,omitempty"`
}

// MissingPhotosResponse answers POST /v1/photos/missing. Missing lists the
// asked contents without a live filing in the caller's jurisdiction (or
// whose file is gone); MissingFilings the asked filings that do not exist
// (or whose file is gone). Both are scoped to the caller: content filed only
// outside its jurisdiction counts as missing, so an answer never tells what
// another village holds. A server before filings omits missing_filings.
type MissingPhotosResponse struct {
	Missing        []string      `json:"missing"`
	MissingFilings []PhotoFiling `json:"missing_filings"`
}

// PhotoFiling is one place of a photo's content in a household's file: the
// same content may be filed under several households and kinds, each
// filing a record of collection "photos".
type PhotoFiling struct {
	SHA256      string `json:"sha256"`
	HouseholdID string `json:"household_id"`
	Kind        string `json:"kind"`
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
