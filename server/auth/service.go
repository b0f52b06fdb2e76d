package auth

import (
	"context"
	"strings"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Config sets token lifetimes and login limits. Zero fields take defaults.
type Config struct {
	Key             []byte        // HS256 secret, at least 32 bytes
	AccessTTL       time.Duration // default 15 min
	RefreshTTL      time.Duration // default 45 days
	FailuresPerUser int           // failed logins per username per window; default 5
	AttemptsPerAddr int           // failed logins per client address per window; default 30
	RateWindow      time.Duration // default 15 min
	Hasher          server.PasswordHasher
	Now             func() time.Time
	NewID           func() string
}

// Service implements server.AuthService.
type Service struct {
	store   server.AuthStore
	cfg     Config
	sign    *signer
	perUser *limiter
	perAddr *limiter
	// dummyHash is verified when the username is unknown, so a miss costs
	// as much as a wrong password and does not reveal which users exist.
	dummyHash string
}

// New returns an auth service over store.
func New(store server.AuthStore, cfg Config) (*Service, error) {
	if len(cfg.Key) < 32 {
		return nil, server.Errorf(syncproto.CodeInternal, "auth: signing key must be at least 32 bytes")
	}
	if cfg.AccessTTL <= 0 || cfg.AccessTTL > 15*time.Minute {
		cfg.AccessTTL = 15 * time.Minute
	}
	if cfg.RefreshTTL <= 0 {
		cfg.RefreshTTL = 45 * 24 * time.Hour
	}
	if cfg.FailuresPerUser <= 0 {
		cfg.FailuresPerUser = 5
	}
	if cfg.AttemptsPerAddr <= 0 {
		cfg.AttemptsPerAddr = 30
	}
	if cfg.RateWindow <= 0 {
		cfg.RateWindow = 15 * time.Minute
	}
	if cfg.Hasher == nil {
		cfg.Hasher = DefaultArgon2
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return time.Now().UTC() }
	}
	dummy, err := cfg.Hasher.Hash(randomToken(16))
	if err != nil {
		return nil, err
	}
	return &Service{store: store, cfg: cfg, sign: &signer{key: cfg.Key, ttl: cfg.AccessTTL, now: cfg.Now},
		perUser: newLimiter(cfg.FailuresPerUser, cfg.RateWindow), perAddr: newLimiter(cfg.AttemptsPerAddr, cfg.RateWindow),
		dummyHash: dummy}, nil
}

var errInvalidCredentials = server.Errorf(syncproto.CodeInvalidCredentials, "wrong username or password")

// maxUsernameLen is the longest username an account can have (server/sqlite
// refuses longer ones). A longer one is refused before it reaches the rate
// limiter's table or the audit log, which keeps what it is given for good.
const maxUsernameLen = 64

// Login implements server.AuthService.
func (s *Service) Login(ctx context.Context, req syncproto.LoginRequest, addr string) (*syncproto.TokenResponse, error) {
	req.DeviceID = strings.TrimSpace(req.DeviceID)
	if req.Username == "" || req.Password == "" || req.DeviceID == "" || len(req.DeviceID) > 128 || len(req.Username) > maxUsernameLen {
		return nil, server.Errorf(syncproto.CodeValidation, "username (at most 64 bytes), password and device_id (at most 128 bytes) are required")
	}
	now := s.cfg.Now()
	userKey := strings.ToLower(req.Username)
	if s.perAddr.blocked(addr, now) || s.perUser.blocked(userKey, now) {
		return nil, server.Errorf(syncproto.CodeRateLimited, "too many login attempts; wait and try again")
	}
	u, err := s.store.UserByUsername(ctx, req.Username)
	if err != nil && server.ErrorCode(err) != syncproto.CodeNotFound {
		return nil, err
	}
	hash := s.dummyHash
	if u != nil {
		hash = u.PasswordHash
	}
	ok, verr := s.cfg.Hasher.Verify(hash, req.Password)
	if u == nil || !ok || verr != nil || u.Disabled {
		// Only failures count: a township office behind one address logs
		// many people in legitimately.
		s.perUser.hit(userKey, now)
		s.perAddr.hit(addr, now)
		actor := "unknown"
		if u != nil {
			actor = u.ID
		}
		if err := s.store.Audit(ctx, server.AuditEntry{ActorID: actor, DeviceID: req.DeviceID, Action: "auth.login_failed",
			ObjectType: "user", ObjectID: req.Username, Detail: map[string]string{"addr": addr}}); err != nil {
			return nil, err
		}
		return nil, errInvalidCredentials
	}
	s.perUser.reset(userKey)
	sess := server.Session{ID: s.newID(), UserID: u.ID, DeviceID: req.DeviceID, CreatedAt: now}
	refresh := randomToken(32)
	if err := s.store.CreateSession(ctx, sess, hashToken(refresh), now.Add(s.cfg.RefreshTTL)); err != nil {
		return nil, err
	}
	return s.tokens(u, sess, refresh)
}

func (s *Service) newID() string {
	if s.cfg.NewID != nil {
		return s.cfg.NewID()
	}
	return randomToken(16)
}

func (s *Service) tokens(u *server.User, sess server.Session, refresh string) (*syncproto.TokenResponse, error) {
	access, err := s.sign.issue(u.ID, sess.ID, sess.DeviceID)
	if err != nil {
		return nil, err
	}
	return &syncproto.TokenResponse{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer",
		ExpiresIn: int(s.cfg.AccessTTL.Seconds()), RefreshExpiresIn: int(s.cfg.RefreshTTL.Seconds()), User: u.Wire()}, nil
}

// Refresh implements server.AuthService.
func (s *Service) Refresh(ctx context.Context, token, addr string) (*syncproto.TokenResponse, error) {
	if token == "" {
		return nil, server.Errorf(syncproto.CodeRefreshInvalid, "refresh_token is required")
	}
	now := s.cfg.Now()
	if s.perAddr.blocked(addr, now) {
		return nil, server.Errorf(syncproto.CodeRateLimited, "too many attempts; wait and try again")
	}
	next := randomToken(32)
	sess, err := s.store.RotateRefresh(ctx, hashToken(token), hashToken(next), now.Add(s.cfg.RefreshTTL))
	if code := server.ErrorCode(err); code == syncproto.CodeRefreshInvalid {
		s.perAddr.hit(addr, now) // guessing tokens counts against the address
	}
	if err != nil {
		return nil, err
	}
	_, u, err := s.store.SessionUser(ctx, sess.ID)
	if err != nil {
		return nil, err
	}
	return s.tokens(u, *sess, next)
}

// Logout implements server.AuthService.
func (s *Service) Logout(ctx context.Context, a *server.Actor) error {
	return s.store.RevokeSession(ctx, a, "logout")
}

// Authenticate implements server.AuthService.
func (s *Service) Authenticate(ctx context.Context, token string) (*server.Actor, error) {
	c, err := s.sign.parse(token)
	if err != nil {
		return nil, err
	}
	sess, u, err := s.store.SessionUser(ctx, c.SessionID)
	if err != nil {
		return nil, err
	}
	if sess.UserID != c.Subject || sess.DeviceID != c.DeviceID {
		return nil, server.Errorf(syncproto.CodeInvalidToken, "the access token is not valid")
	}
	return &server.Actor{UserID: u.ID, Username: u.Username, Name: u.DisplayName, UnitID: u.UnitID, UnitPath: u.UnitPath,
		DeviceID: sess.DeviceID, SessionID: sess.ID, Roles: u.Roles}, nil
}
