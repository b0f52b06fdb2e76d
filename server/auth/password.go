// Package auth implements logins, rotating refresh tokens, pinned-algorithm
// JWT access tokens, argon2id password hashing and login rate limits.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2 holds argon2id parameters. The zero value is not usable; use
// DefaultArgon2 (OWASP's recommendation) or, in tests, FastArgon2.
type Argon2 struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultArgon2 follows the OWASP password-storage recommendation for
// argon2id (19 MiB, 2 passes, 1 lane).
var DefaultArgon2 = Argon2{Memory: 19 * 1024, Time: 2, Threads: 1}

// FastArgon2 is for tests only.
var FastArgon2 = Argon2{Memory: 64, Time: 1, Threads: 1}

// Hash returns a PHC-format argon2id hash of password with a random salt.
func (p Argon2) Hash(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, 32)
	b64 := base64.RawStdEncoding.EncodeToString
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads, b64(salt), b64(key)), nil
}

var errBadHash = errors.New("auth: malformed password hash")

// maxMemory and maxTime bound the parameters Verify accepts from a stored
// hash: a corrupt or planted hash must not make one login allocate
// gigabytes or run for minutes.
const (
	maxMemory = 256 << 10 // KiB: 256 MiB
	maxTime   = 16
)

// Verify checks password against a PHC argon2id hash using the parameters
// stored in the hash, in constant time.
func (Argon2) Verify(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var v int
	var p Argon2
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, errBadHash
	}
	if p.Memory > maxMemory || p.Time == 0 || p.Time > maxTime || p.Threads == 0 {
		return false, errBadHash
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
