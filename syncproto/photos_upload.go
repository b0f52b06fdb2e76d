package syncproto

import (
	"crypto/sha256"
	"encoding/hex"
)

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
// feed: one filing of a photo's content under a household. The record's id
// is the content's SHA-256 for the first filing of that content (as before
// filings existed) and PhotoFilingID for any further one; SHA256 names the
// content in every record written since (absent: the id is the content).
type PhotoFields struct {
	SHA256      string    `json:"sha256,omitempty"`
	HouseholdID string    `json:"household_id"`
	Kind        string    `json:"kind"`
	Width       int       `json:"width"`  // of the upright image
	Height      int       `json:"height"` // of the upright image
	TakenAt     *string   `json:"taken_at"`
	GPS         *PhotoGPS `json:"gps"`
	UploadedBy  string    `json:"uploaded_by"` // user id
	UploadedAt  string    `json:"uploaded_at"` // RFC 3339, UTC
	// Flags are the evidence checks the photo failed when filed
	// (PhotoFlag*); empty when none failed or nothing could be checked.
	Flags []string `json:"flags"`
	// DistanceM is how far from its household's village the photo was
	// taken, in metres, when both positions are known.
	DistanceM *int `json:"distance_m,omitempty"`
}

// Evidence flags of a photo record.
const (
	// PhotoFlagFarFromVillage: taken farther from the household's village
	// than the county's setting photo.max_distance_km (default 3).
	PhotoFlagFarFromVillage = "far_from_village"
	// PhotoFlagOffInvestigationDate: taken more than the county's setting
	// photo.max_days_off (default 30) days before or after every
	// investigation date of the household (none when it has no dated
	// investigation yet).
	PhotoFlagOffInvestigationDate = "off_investigation_date"
	// PhotoFlagNoPosition: the photo carries no GPS position.
	PhotoFlagNoPosition = "no_position"
	// PhotoFlagNoCaptureTime: the photo carries no capture time.
	PhotoFlagNoCaptureTime = "no_capture_time"
)

// PhotoFilingID is the record id of a filing of content sha under
// household as kind, other than the content's first filing (whose id is
// sha itself): hex SHA-256 of "sha/household/kind".
func PhotoFilingID(sha, household, kind string) string {
	sum := sha256.Sum256([]byte(sha + "/" + household + "/" + kind))
	return hex.EncodeToString(sum[:])
}

// PhotoGPS is the position a camera recorded, in degrees (WGS-84 for a
// phone's own GPS); south and west are negative.
type PhotoGPS struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}
