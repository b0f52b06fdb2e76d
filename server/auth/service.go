package auth

import (
	"context"
	"runtime"
	"strings"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/rules"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Config sets token lifetimes and login limits. Zero fields take defaults.
type Config struct {
	Key             []byte        // HS256 secret, at least 32 bytes
	AccessTTL       time.Duration // default 15 min
	RefreshTTL      time.Duration // default 45 days
	FailuresPerUser int           // failed logins per username from one client address per window; default 5
	AttemptsPerAddr int           // failed logins per client address per window; default 30
	RateWindow      time.Duration // default 15 min
	// MaxHashing is how many password checks run at once (each holds the
	// hash's memory, 19 MiB with DefaultArgon2); default half of
	// GOMAXPROCS, at least 1. Logins come with the pushes and pulls of
	// the morning burst: with every core hashing, a push holding the
	// database's one writer waited for the CPU, and every push behind it
	// waited for the writer.
	MaxHashing int
	// MaxHashWaiting is how many logins may wait for a password check, in
	// the order they came; more are answered server_busy at once. Default
	// 64×MaxHashing: a waiting login holds only its goroutine, and tablets
	// sent away with Retry-After come back in no order, so that some
	// waited a minute while others came in at once.
	MaxHashWaiting int
	Hasher         server.PasswordHasher
	Now            func() time.Time
	NewID          func() string
}

// Service implements server.AuthService.
type Service struct {
	store server.AuthStore
	cfg   Config
	sign  *signer
	// perUser counts failures per (username, address) and perAddr per
	// address: failures from one address cannot lock a user out of
	// another, and an address that guesses many names is stopped.
	perUser *limiter
	perAddr *limiter
	// hashing holds a token per password check running; waiting one per
	// login running or waiting for one.
	hashing, waiting chan struct{}
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
	if cfg.MaxHashing <= 0 {
		cfg.MaxHashing = max(1, runtime.GOMAXPROCS(0)/2)
	}
	if cfg.MaxHashWaiting <= 0 {
		cfg.MaxHashWaiting = 64 * cfg.MaxHashing
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
		hashing: make(chan struct{}, cfg.MaxHashing), waiting: make(chan struct{}, cfg.MaxHashing+cfg.MaxHashWaiting),
		dummyHash: dummy}, nil
}

var errInvalidCredentials = server.Errorf(syncproto.CodeInvalidCredentials, "wrong username or password")

// maxUsernameLen is the longest username an account can have (server/sqlite
// refuses longer ones). A longer one is refused before it reaches the rate
// limiter's table or the audit log, which keeps what it is given for good.
const maxUsernameLen = 64

// Login implements server.AuthService. Codes: validation_failed,
// invalid_credentials, rate_limited (too many failures for the username
// from addr, or from addr; the error has a RetryAfter method), server_busy
// (too many password checks waiting).
func (s *Service) Login(ctx context.Context, req syncproto.LoginRequest, addr string) (*syncproto.TokenResponse, error) {
	req.DeviceID = strings.TrimSpace(req.DeviceID)
	if req.Username == "" || req.Password == "" || !rules.ValidDeviceID(req.DeviceID) || len(req.Username) > maxUsernameLen {
		return nil, server.Errorf(syncproto.CodeValidation, "username (at most 64 bytes), password and device_id (1–128 characters of letters, digits and . _ : @ -) are required")
	}
	// A login is admitted (a place in the queue for a password check)
	// first, and its attempt is counted only when its check is about to
	// run: the attempts in flight from one address are then at most
	// MaxHashing, so a township office behind one NAT logging dozens of
	// people in at once waits its turn, never gets the address's long
	// lockout, while a guesser still gets no more checks than the limit.
	leave, err := s.admit()
	if err != nil {
		return nil, err
	}
	defer leave()
	ak := addrKey(addr)
	uk := strings.ToLower(req.Username) + "\x00" + ak
	// A login already over a limit is refused at once, not after its
	// turn in the queue.
	if wait := blockedEither(s.perAddr, ak, s.perUser, uk, s.cfg.Now()); wait > 0 {
		return nil, errRateLimited(wait)
	}
	u, err := s.store.UserByUsername(ctx, req.Username)
	if err != nil && server.ErrorCode(err) != syncproto.CodeNotFound {
		return nil, err
	}
	release, err := s.acquireHashing(ctx)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	// The attempt is counted before it is made and refunded if it
	// succeeds: parallel guesses cannot all pass the check first.
	if wait := reserveBoth(s.perAddr, ak, s.perUser, uk, now); wait > 0 {
		release()
		return nil, errRateLimited(wait)
	}
	ok, verr := s.checkPassword(u, req.Password)
	release()
	if !ok || verr != nil {
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
	// Only failures count: a township office behind one address logs
	// many people in legitimately.
	s.perAddr.refund(ak, now)
	s.perUser.reset(uk)
	sess := server.Session{ID: s.newID(), UserID: u.ID, DeviceID: req.DeviceID, CreatedAt: now}
	refresh := randomToken(32)
	if err := s.store.CreateSession(ctx, sess, hashToken(refresh), now.Add(s.cfg.RefreshTTL)); err != nil {
		return nil, err
	}
	return s.tokens(u, sess, refresh)
}

func errRateLimited(wait time.Duration) error {
	return retryAfter(server.Errorf(syncproto.CodeRateLimited, "too many login attempts; wait and try again"), wait)
}

// checkPassword checks password against u's hash (against a dummy hash
// when u is nil, so that a miss costs as much as a wrong password). The
// caller holds a hashing slot. A disabled user fails.
func (s *Service) checkPassword(u *server.User, password string) (bool, error) {
	hash := s.dummyHash
	if u != nil {
		hash = u.PasswordHash
	}
	ok, err := s.cfg.Hasher.Verify(hash, password)
	return ok && err == nil && u != nil && !u.Disabled, err
}

// errBusy answers a login that found every hashing slot taken and the
// queue full.
var errBusy = server.Errorf(syncproto.CodeServerBusy, "the server is busy checking other logins; try again in a moment")

// admit takes a place among the logins checking or waiting to check a
// password, or answers server_busy when there is none.
func (s *Service) admit() (leave func(), err error) {
	select {
	case s.waiting <- struct{}{}:
		return func() { <-s.waiting }, nil
	default:
		return nil, retryAfter(errBusy, time.Second)
	}
}

// acquireHashing takes a hashing slot (for an admitted login). Each
// running check holds the hash's memory; a waiting one holds nothing but
// its goroutine.
func (s *Service) acquireHashing(ctx context.Context) (release func(), err error) {
	select {
	case s.hashing <- struct{}{}:
		return func() { <-s.hashing }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
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

// Refresh implements server.AuthService. It is not rate-limited: a
// refresh token is 256 random bits, which no one guesses, and limiting
// refreshes by address would let one bad device cut off every device
// behind the same address. addr is unused.
func (s *Service) Refresh(ctx context.Context, token, addr string) (*syncproto.TokenResponse, error) {
	if token == "" || len(token) > maxRefreshLen {
		return nil, server.Errorf(syncproto.CodeRefreshInvalid, "refresh_token is required")
	}
	now := s.cfg.Now()
	next := randomToken(32)
	sess, err := s.store.RotateRefresh(ctx, hashToken(token), hashToken(next), now.Add(s.cfg.RefreshTTL))
	if err != nil {
		return nil, err
	}
	_, u, err := s.store.SessionUser(ctx, sess.ID)
	if err != nil {
		return nil, err
	}
	return s.tokens(u, *sess, next)
}

// maxRefreshLen is longer than any refresh token this service issues.
const maxRefreshLen = 256

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
