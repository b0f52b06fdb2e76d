package server

import (
	"slices"
	"strings"
	"time"

	"github.com/ruhu-org/ruhu/syncproto"
)

// Actor is the authenticated caller of a service method: who, from which
// device, with which roles, and the org unit whose subtree bounds every read
// and write they make.
type Actor struct {
	UserID    string
	Username  string
	Name      string // display name
	UnitID    string
	UnitPath  string // '/county/township/village/' of UnitID
	DeviceID  string
	SessionID string
	Roles     []string
}

// Wire returns the actor as the user object sent to clients.
func (a *Actor) Wire() syncproto.User {
	roles := a.Roles
	if roles == nil {
		roles = []string{}
	}
	return syncproto.User{ID: a.UserID, Username: a.Username, DisplayName: a.Name, Roles: roles, UnitID: a.UnitID}
}

// Has reports whether the actor holds role.
func (a *Actor) Has(role string) bool { return slices.Contains(a.Roles, role) }

// HasAny reports whether the actor holds at least one of roles.
func (a *Actor) HasAny(roles ...string) bool {
	for _, r := range roles {
		if a.Has(r) {
			return true
		}
	}
	return false
}

// Covers reports whether the unit with path lies in the actor's subtree.
func (a *Actor) Covers(path string) bool {
	return a.UnitPath != "" && strings.HasPrefix(path, a.UnitPath)
}

// FieldRoles are the roles that may read and write household records
// (households, members, investigations, signatures, photos). The admin role
// manages units and users and does not see personal data.
var FieldRoles = []string{
	syncproto.RoleVillageWorker, syncproto.RoleVillageCommittee,
	syncproto.RoleTownshipReviewer, syncproto.RoleCountyApprover, syncproto.RoleInspector,
}

// WriteRoles lists, per collection, the roles that may push changes to it
// (least privilege): village workers and township reviewers keep the
// household file; the county approver may correct a household (e.g. move it
// between townships); inspectors record their own spot-check visits and
// signatures only; the village committee reads.
var WriteRoles = map[string][]string{
	syncproto.CollHouseholds:     {syncproto.RoleVillageWorker, syncproto.RoleTownshipReviewer, syncproto.RoleCountyApprover},
	syncproto.CollMembers:        {syncproto.RoleVillageWorker, syncproto.RoleTownshipReviewer, syncproto.RoleCountyApprover},
	syncproto.CollInvestigations: {syncproto.RoleVillageWorker, syncproto.RoleTownshipReviewer, syncproto.RoleInspector},
	syncproto.CollSignatures: {syncproto.RoleVillageWorker, syncproto.RoleVillageCommittee,
		syncproto.RoleTownshipReviewer, syncproto.RoleInspector},
	// The democratic review is recorded by the village: its cadre or the
	// committee head.
	syncproto.CollReviews: {syncproto.RoleVillageWorker, syncproto.RoleVillageCommittee},
}

// PhotoUploadRoles may upload a photo (the commitment photo unlocks
// submit): the roles that keep the household file. The village committee
// reads only. Enforce it where an upload starts and where its record is
// filed (the engine checks both: CheckPhotoUpload and AddPhoto).
var PhotoUploadRoles = []string{
	syncproto.RoleVillageWorker, syncproto.RoleTownshipReviewer, syncproto.RoleInspector,
}

// OwnWorkOnlyRoles may change only investigations they created (an
// inspector records their own spot-check visits), unless they also hold a
// role that keeps the household file.
var OwnWorkOnlyRoles = []string{syncproto.RoleInspector}

// SignerRoles may sign an investigation form.
var SignerRoles = []string{
	syncproto.RoleVillageWorker, syncproto.RoleTownshipReviewer, syncproto.RoleInspector,
}

// ReviewSignerRoles may co-sign a democratic review: the responsible cadre
// (包片干部, a village worker) and the committee head (village_committee).
// The village committee signs nothing else.
var ReviewSignerRoles = []string{syncproto.RoleVillageWorker, syncproto.RoleVillageCommittee}

// SensitiveRoles read sensitive fields (ID numbers, health, disability)
// in full: the village worker who keeps the file, the township reviewer
// and the county approver who decide on it. The village committee and the
// inspectors read them masked (their tasks need who and where, not the
// ID number or the illness).
var SensitiveRoles = []string{syncproto.RoleVillageWorker, syncproto.RoleTownshipReviewer, syncproto.RoleCountyApprover}

// ResolverRoles may resolve conflicts: the township reviewer and the
// record's village workers.
var ResolverRoles = []string{syncproto.RoleTownshipReviewer, syncproto.RoleVillageWorker}

// MinPasswordLen and MaxPasswordLen bound the length of a password, in
// bytes.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 256
)

// CheckPassword checks the length of a new password. Code weak_password.
func CheckPassword(password string) error {
	if len(password) < MinPasswordLen || len(password) > MaxPasswordLen {
		return Errorf(syncproto.CodeWeakPassword, "password must be %d–%d characters", MinPasswordLen, MaxPasswordLen)
	}
	return nil
}

// ValidRole reports whether r is a known role.
func ValidRole(r string) bool { return slices.Contains(syncproto.AllRoles, r) }

// Unit is a node of the org-unit tree.
type Unit struct {
	ID       string
	ParentID string
	Name     string
	Level    string
	Path     string
	// Position is where a village lies, set by the admin (nil when unset):
	// photos taken far from it are flagged.
	Position *Position
}

// Position is a point on the earth in WGS-84 degrees; south and west are
// negative.
type Position struct {
	Lat, Lng float64
}

// ParentLevel returns the level a unit of the given level must hang under,
// and "" for a county (the root).
func ParentLevel(level string) string {
	switch level {
	case syncproto.LevelTownship:
		return syncproto.LevelCounty
	case syncproto.LevelVillage:
		return syncproto.LevelTownship
	}
	return ""
}

// User is a person with an account.
type User struct {
	ID           string
	Username     string
	DisplayName  string
	UnitID       string
	UnitPath     string
	IDNumber     string
	Roles        []string
	PasswordHash string
	Disabled     bool
	CreatedAt    time.Time
}

// Wire returns the user as sent to clients.
func (u *User) Wire() syncproto.User {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	return syncproto.User{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Roles: roles, UnitID: u.UnitID}
}

// Session is one login of a user on one device: a family of refresh tokens.
type Session struct {
	ID        string
	UserID    string
	DeviceID  string
	CreatedAt time.Time
	RevokedAt time.Time
}

// AuditEntry is one row of the hash-chained audit log.
type AuditEntry struct {
	Seq        int64
	At         time.Time
	ActorID    string
	DeviceID   string
	Action     string
	ObjectType string
	ObjectID   string
	Detail     any // marshalled to JSON
}

// China is the time zone of the procedure's civil dates and of the times
// shown to people (China Standard Time, UTC+8, no daylight saving): a
// notice, a policy's effective date, an objection's day are dates in
// Beijing, not in UTC.
var China = time.FixedZone("CST", 8*60*60)

// CivilDate is the date in China (YYYY-MM-DD) of an instant.
func CivilDate(t time.Time) string { return t.In(China).Format(time.DateOnly) }
