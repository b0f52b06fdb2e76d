package syncproto

// Upload-Metadata keys of a tus photo upload (POST /v1/uploads/). Every key
// but filename is required; the values are those of PhotoFields.
const (
	UploadMetaSHA256    = "sha256"       // lowercase hex SHA-256 of the whole file
	UploadMetaHousehold = "household_id" // the household the photo documents
	UploadMetaKind      = "kind"         // one of PhotoKinds
	UploadMetaFilename  = "filename"     // the name on the device, for the audit log
)

// MaxMissingPhotos is the most hashes one POST /v1/photos/missing may list.
const MaxMissingPhotos = 1000

// PhotoFields is the shape of the fields of a "photos" record in the sync
// feed. The record's id is the photo's SHA-256.
type PhotoFields struct {
	HouseholdID string    `json:"household_id"`
	Kind        string    `json:"kind"`
	Width       int       `json:"width"`  // of the upright image
	Height      int       `json:"height"` // of the upright image
	TakenAt     *string   `json:"taken_at"`
	GPS         *PhotoGPS `json:"gps"`
	UploadedBy  string    `json:"uploaded_by"` // user id
	UploadedAt  string    `json:"uploaded_at"` // RFC 3339, UTC
}

// PhotoGPS is the position a camera recorded, in degrees (WGS-84 for a
// phone's own GPS); south and west are negative.
type PhotoGPS struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}
