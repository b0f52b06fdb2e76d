package syncproto

// LoginRequest is the body of POST /v1/auth/login.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	DeviceID string `json:"device_id"`
}

// RefreshRequest is the body of POST /v1/auth/refresh.
type RefreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// TokenResponse answers a successful login or refresh.
type TokenResponse struct {
	AccessToken      string `json:"access_token"`
	RefreshToken     string `json:"refresh_token"`
	TokenType        string `json:"token_type"` // always "Bearer"
	ExpiresIn        int    `json:"expires_in"` // access token lifetime, seconds
	RefreshExpiresIn int    `json:"refresh_expires_in"`
	User             User   `json:"user"`
}

// User is a person known to the server, as returned by GET /v1/me.
type User struct {
	ID          string   `json:"id"`
	Username    string   `json:"username"`
	DisplayName string   `json:"display_name"`
	Roles       []string `json:"roles"`
	UnitID      string   `json:"unit_id"`
}

// Roles a user may hold.
const (
	RoleVillageWorker    = "village_worker"
	RoleVillageCommittee = "village_committee"
	RoleTownshipReviewer = "township_reviewer"
	RoleCountyApprover   = "county_approver"
	RoleInspector        = "inspector"
	RoleAdmin            = "admin"
)

// AllRoles lists every role in a stable order.
var AllRoles = []string{
	RoleVillageWorker, RoleVillageCommittee, RoleTownshipReviewer,
	RoleCountyApprover, RoleInspector, RoleAdmin,
}

// Unit levels of the org-unit tree: county → township → village.
const (
	LevelCounty   = "county"
	LevelTownship = "township"
	LevelVillage  = "village"
)

// Unit is a node of the org-unit tree.
type Unit struct {
	ID       string `json:"id"`
	ParentID string `json:"parent_id,omitempty"`
	Name     string `json:"name"`
	Level    string `json:"level"`
	// Lat and Lng are the unit's position (WGS-84 degrees) when the admin
	// set one (PUT /v1/admin/units/{id}/position): a village's is the
	// reference of the photos' far_from_village check.
	Lat *float64 `json:"lat,omitempty"`
	Lng *float64 `json:"lng,omitempty"`
}

// UnitPosition is the body of PUT /v1/admin/units/{id}/position: latitude
// in [-90, 90], longitude in [-180, 180], both required.
type UnitPosition struct {
	Lat *float64 `json:"lat"`
	Lng *float64 `json:"lng"`
}

// UnitList is the body of GET /v1/admin/units.
type UnitList struct {
	Units []Unit `json:"units"`
}

// CreateUserRequest is the body of POST /v1/admin/users.
type CreateUserRequest struct {
	Username    string   `json:"username"`
	Password    string   `json:"password"`
	DisplayName string   `json:"display_name"`
	Roles       []string `json:"roles"`
	UnitID      string   `json:"unit_id"`
	IDNumber    string   `json:"id_number"`
}

// UserDetail is a user as an admin sees it. It never carries a password hash.
// IDNumber is masked (only the first 6 and the last 4 characters shown).
type UserDetail struct {
	User
	IDNumber  string `json:"id_number,omitempty"`
	CreatedAt string `json:"created_at"`
	Disabled  bool   `json:"disabled,omitempty"`
}

// PasswordRequest is the body of POST /v1/admin/users/{id}/password.
type PasswordRequest struct {
	Password string `json:"password"`
}

// UserList is the body of GET /v1/admin/users.
type UserList struct {
	Users []UserDetail `json:"users"`
}

// RelativeRequest is the body of POST /v1/admin/relatives: a cadre's
// registered close relative (近亲属备案).
type RelativeRequest struct {
	UserID   string `json:"user_id"`
	IDNumber string `json:"id_number"`
	Relation string `json:"relation"`
}

// Relative is a registered close relative. IDNumber is masked on output.
type Relative struct {
	ID        string `json:"id"`
	UserID    string `json:"user_id"`
	IDNumber  string `json:"id_number"`
	Relation  string `json:"relation"`
	CreatedAt string `json:"created_at"`
}

// RelativeList is the body of GET /v1/admin/relatives.
type RelativeList struct {
	Relatives []Relative `json:"relatives"`
}

// RegisterKeyRequest is the body of POST /v1/keys.
type RegisterKeyRequest struct {
	PublicKey string `json:"public_key"` // standard base64 of a 32-byte Ed25519 key
}

// Key is a registered signing key.
type Key struct {
	KeyID     string `json:"key_id"`
	UserID    string `json:"user_id"`
	DeviceID  string `json:"device_id"`
	PublicKey string `json:"public_key"`
	CreatedAt string `json:"created_at"`
	RevokedAt string `json:"revoked_at,omitempty"`
}

// KeyList is the body of GET /v1/keys.
type KeyList struct {
	Keys []Key `json:"keys"`
}
