package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Issuer is the JWT "iss" and "aud" of ruhu access tokens.
const Issuer = "ruhu"

// claims are the access token's claims: the user (sub), the session (sid)
// and the device (did). Roles and jurisdiction are read from the database on
// every request, so a changed role takes effect at once.
type claims struct {
	SessionID string `json:"sid"`
	DeviceID  string `json:"did"`
	jwt.RegisteredClaims
}

// signer issues and verifies HS256 access tokens. The algorithm is pinned:
// a token with any other "alg" (including "none") is refused.
type signer struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

func (s *signer) issue(userID, sessionID, deviceID string) (string, error) {
	now := s.now()
	c := claims{SessionID: sessionID, DeviceID: deviceID, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: Issuer, Subject: userID, Audience: jwt.ClaimStrings{Issuer},
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
		ExpiresAt: jwt.NewNumericDate(now.Add(s.ttl)), ID: randomToken(12),
	}}
	t, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return t, nil
}

func (s *signer) parse(token string) (*claims, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return s.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithIssuer(Issuer),
		jwt.WithAudience(Issuer), jwt.WithExpirationRequired(), jwt.WithTimeFunc(s.now), jwt.WithLeeway(5*time.Second))
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, server.Errorf(syncproto.CodeTokenExpired, "the access token expired; refresh it")
	case err != nil:
		return nil, server.Errorf(syncproto.CodeInvalidToken, "the access token is not valid")
	case c.Subject == "" || c.SessionID == "":
		return nil, server.Errorf(syncproto.CodeInvalidToken, "the access token is not valid")
	}
	return &c, nil
}

// randomToken returns n random bytes as unpadded base64url.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is how refresh tokens are stored: never in the clear.
func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}
