package sqlite

import (
	"context"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/syncproto"
)

// The SQL-level tests of this package call the services on *DB as they
// did before the rules moved to the engine; these forward to an engine
// over db with db's clock.

func (db *DB) eng() *engine.Engine {
	e := engine.New(db)
	e.Now = func() time.Time { return db.Now() }
	return e
}

func (db *DB) AddPhoto(ctx context.Context, a *server.Actor, p server.Photo) (existed bool, err error) {
	return db.eng().AddPhoto(ctx, a, p)
}

func (db *DB) AddRelative(ctx context.Context, a *server.Actor, in syncproto.RelativeRequest) (*syncproto.Relative, error) {
	return db.eng().AddRelative(ctx, a, in)
}

func (db *DB) Audit(ctx context.Context, entry server.AuditEntry) error {
	return db.eng().Audit(ctx, entry)
}

func (db *DB) AuditTrail(ctx context.Context, objectType, objectID string) ([]server.AuditEntry, error) {
	return db.eng().AuditTrail(ctx, objectType, objectID)
}

func (db *DB) CheckPhotoUpload(ctx context.Context, a *server.Actor, sha, household string) (string, error) {
	return db.eng().CheckPhotoUpload(ctx, a, sha, household)
}

func (db *DB) CreateSession(ctx context.Context, s server.Session, tokenHash string, expires time.Time) error {
	return db.eng().CreateSession(ctx, s, tokenHash, expires)
}

func (db *DB) CreateUnit(ctx context.Context, a *server.Actor, in syncproto.Unit) (*syncproto.Unit, error) {
	return db.eng().CreateUnit(ctx, a, in)
}

func (db *DB) CreateUser(ctx context.Context, a *server.Actor, in syncproto.CreateUserRequest, passwordHash string) (*syncproto.UserDetail, error) {
	return db.eng().CreateUser(ctx, a, in, passwordHash)
}

func (db *DB) FindPhoto(ctx context.Context, a *server.Actor, sha string) (*server.Photo, error) {
	return db.eng().FindPhoto(ctx, a, sha)
}

func (db *DB) InitCounty(ctx context.Context, id, name string, admin syncproto.CreateUserRequest, passwordHash string) (string, error) {
	return db.eng().InitCounty(ctx, id, name, admin, passwordHash)
}

func (db *DB) ListConflicts(ctx context.Context, a *server.Actor, status, after string, limit int) ([]syncproto.Conflict, error) {
	return db.eng().ListConflicts(ctx, a, status, after, limit)
}

func (db *DB) ListKeys(ctx context.Context, a *server.Actor, userID string) ([]syncproto.Key, error) {
	return db.eng().ListKeys(ctx, a, userID)
}

func (db *DB) ListRejections(ctx context.Context, a *server.Actor, after string, limit int) (*syncproto.RejectionList, error) {
	return db.eng().ListRejections(ctx, a, after, limit)
}

func (db *DB) ListRelatives(ctx context.Context, a *server.Actor, userID string) ([]syncproto.Relative, error) {
	return db.eng().ListRelatives(ctx, a, userID)
}

func (db *DB) ListUnits(ctx context.Context, a *server.Actor) ([]syncproto.Unit, error) {
	return db.eng().ListUnits(ctx, a)
}

func (db *DB) ListUsers(ctx context.Context, a *server.Actor) ([]syncproto.UserDetail, error) {
	return db.eng().ListUsers(ctx, a)
}

func (db *DB) PhotosWithoutRecord(ctx context.Context, a *server.Actor, shas []string) ([]string, error) {
	return db.eng().PhotosWithoutRecord(ctx, a, shas)
}

func (db *DB) MissingFilings(ctx context.Context, a *server.Actor, filings []syncproto.PhotoFiling) ([]syncproto.PhotoFiling, error) {
	return db.eng().MissingFilings(ctx, a, filings)
}

func (db *DB) PhotoFiled(ctx context.Context, sha string) (bool, error) {
	return db.eng().PhotoFiled(ctx, sha)
}

func (db *DB) Pull(ctx context.Context, a *server.Actor, cursor string, limit int) (*syncproto.PullResponse, error) {
	return db.eng().Pull(ctx, a, cursor, limit)
}

func (db *DB) Push(ctx context.Context, a *server.Actor, req *syncproto.PushRequest) (*syncproto.PushResponse, error) {
	return db.eng().Push(ctx, a, req)
}

func (db *DB) RegisterKey(ctx context.Context, a *server.Actor, publicKey string) (*syncproto.Key, bool, error) {
	return db.eng().RegisterKey(ctx, a, publicKey)
}

func (db *DB) ResolveConflict(ctx context.Context, a *server.Actor, id string, req syncproto.ResolveRequest) (*syncproto.Conflict, error) {
	return db.eng().ResolveConflict(ctx, a, id, req)
}

func (db *DB) RevokeKey(ctx context.Context, a *server.Actor, keyID string) error {
	return db.eng().RevokeKey(ctx, a, keyID)
}

func (db *DB) RevokeSession(ctx context.Context, a *server.Actor, why string) error {
	return db.eng().RevokeSession(ctx, a, why)
}

func (db *DB) RotateRefresh(ctx context.Context, oldHash, newHash string, expires time.Time) (*server.Session, error) {
	return db.eng().RotateRefresh(ctx, oldHash, newHash, expires)
}

func (db *DB) SessionUser(ctx context.Context, sessionID string) (*server.Session, *server.User, error) {
	return db.eng().SessionUser(ctx, sessionID)
}

func (db *DB) SetPassword(ctx context.Context, a *server.Actor, id, passwordHash string) error {
	return db.eng().SetPassword(ctx, a, id, passwordHash)
}

func (db *DB) SetSetting(ctx context.Context, a *server.Actor, key, value string) error {
	return db.eng().SetSetting(ctx, a, key, value)
}

func (db *DB) SetUserDisabled(ctx context.Context, a *server.Actor, id string, disabled bool) (*syncproto.UserDetail, error) {
	return db.eng().SetUserDisabled(ctx, a, id, disabled)
}

func (db *DB) Submit(ctx context.Context, a *server.Actor, id string) (*syncproto.SubmitResponse, error) {
	return db.eng().Submit(ctx, a, id)
}

func (db *DB) SubtreeUnits(ctx context.Context, path string) ([]server.Unit, error) {
	return db.eng().SubtreeUnits(ctx, path)
}

func (db *DB) UserByID(ctx context.Context, id string) (*server.User, error) {
	return db.eng().UserByID(ctx, id)
}

func (db *DB) UserByUsername(ctx context.Context, username string) (*server.User, error) {
	return db.eng().UserByUsername(ctx, username)
}
