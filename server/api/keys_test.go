package api_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

func newPublicKey(t *testing.T) ed25519.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func listKeys(c *ruhutest.Client, userID string) []syncproto.Key {
	var l syncproto.KeyList
	path := "/v1/keys"
	if userID != "" {
		path += "?user_id=" + userID
	}
	c.JSON(http.MethodGet, path, nil, http.StatusOK, &l)
	return l.Keys
}

func TestKeyRegistration(t *testing.T) {
	env := ruhutest.New(t)
	w1 := env.Login("worker1", "dev-1")
	w2 := env.Login("worker2", "dev-2")
	pub := newPublicKey(t)
	b64 := base64.StdEncoding.EncodeToString(pub)

	var k syncproto.Key
	w1.JSON(http.MethodPost, "/v1/keys", syncproto.RegisterKeyRequest{PublicKey: b64}, http.StatusCreated, &k)
	if k.KeyID != syncproto.KeyID(pub) || k.UserID != w1.Tokens.User.ID || k.DeviceID != "dev-1" || k.PublicKey != b64 || k.RevokedAt != "" {
		t.Errorf("registered key %+v", k)
	}
	if at, err := time.Parse(time.RFC3339Nano, k.CreatedAt); err != nil || at.Sub(env.Now()).Abs() > time.Second {
		t.Errorf("created_at %q (now %s)", k.CreatedAt, env.Now())
	}

	// Registering the same key again is idempotent.
	env.Advance(10 * time.Minute)
	var again syncproto.Key
	w1.JSON(http.MethodPost, "/v1/keys", syncproto.RegisterKeyRequest{PublicKey: b64}, http.StatusOK, &again)
	if again != k {
		t.Errorf("second registration %+v, want %+v", again, k)
	}
	// Someone else's key cannot be claimed.
	st, b := w2.Do(http.MethodPost, "/v1/keys", syncproto.RegisterKeyRequest{PublicKey: b64})
	wantProblem(t, st, b, 409, syncproto.CodeAlreadyExists)

	for _, bad := range []struct{ name, key string }{
		{"empty", ""},
		{"not base64", "!!!not-base64!!!"},
		{"31 bytes", base64.StdEncoding.EncodeToString(pub[:31])},
		{"33 bytes", base64.StdEncoding.EncodeToString(append(append([]byte{}, pub...), 0))},
		{"64-byte private key", base64.StdEncoding.EncodeToString(make([]byte, 64))},
		{"hex", "0a1b2c3d4e5f"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			st, b := w1.Do(http.MethodPost, "/v1/keys", syncproto.RegisterKeyRequest{PublicKey: bad.key})
			wantProblem(t, st, b, 422, syncproto.CodeInvalidPublicKey)
		})
	}

	if keys := listKeys(w1, ""); len(keys) != 1 || keys[0] != k {
		t.Errorf("own keys %+v", keys)
	}
	if keys := listKeys(w2, ""); len(keys) != 0 {
		t.Errorf("worker2 has keys %+v", keys)
	}
}

func TestKeyListAndRevoke(t *testing.T) {
	env := ruhutest.New(t)
	w1 := env.Login("worker1", "dev-1")
	w2 := env.Login("worker2", "dev-2")
	w3 := env.Login("worker3", "dev-3")
	reviewer := env.Login("reviewer1", "dev-r1")
	admin := env.Login("admin", "dev-admin")
	id1 := w1.Tokens.User.ID

	var k1, k2 syncproto.Key
	w1.JSON(http.MethodPost, "/v1/keys", syncproto.RegisterKeyRequest{PublicKey: base64.StdEncoding.EncodeToString(newPublicKey(t))}, 201, &k1)
	env.Advance(time.Second) // the list is in created_at order
	w1.JSON(http.MethodPost, "/v1/keys", syncproto.RegisterKeyRequest{PublicKey: base64.StdEncoding.EncodeToString(newPublicKey(t))}, 201, &k2)

	// Who may list worker1's keys.
	for _, c := range []*ruhutest.Client{w1, w2, reviewer, admin} {
		if keys := listKeys(c, id1); len(keys) != 2 || keys[0].KeyID != k1.KeyID || keys[1].KeyID != k2.KeyID {
			t.Errorf("%s lists %+v", c.Tokens.User.Username, keys)
		}
	}
	st, b := w3.Do(http.MethodGet, "/v1/keys?user_id="+id1, nil)
	wantProblem(t, st, b, 403, syncproto.CodeOutOfScope)
	st, b = w1.Do(http.MethodGet, "/v1/keys?user_id=nobody", nil)
	wantProblem(t, st, b, 404, syncproto.CodeNotFound)

	// Who may revoke.
	scenarios := []struct {
		name   string
		who    *ruhutest.Client
		key    string
		status int
		code   string
	}{
		{"another worker of the same village", w2, k1.KeyID, 403, syncproto.CodeForbidden},
		{"a worker of another township", w3, k1.KeyID, 403, syncproto.CodeForbidden},
		{"the township reviewer (not an admin)", reviewer, k1.KeyID, 403, syncproto.CodeForbidden},
		{"unknown key", w1, "ed25519:00", 404, syncproto.CodeUnknownKey},
		{"the owner", w1, k1.KeyID, 204, ""},
		{"the owner again (idempotent)", w1, k1.KeyID, 204, ""},
		{"an admin over the owner", admin, k2.KeyID, 204, ""},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			st, b := sc.who.Do(http.MethodDelete, "/v1/keys/"+sc.key, nil)
			if sc.code != "" {
				wantProblem(t, st, b, sc.status, sc.code)
				return
			}
			if st != sc.status {
				t.Fatalf("%d %s", st, b)
			}
		})
	}

	keys := listKeys(w1, "")
	if len(keys) != 2 {
		t.Fatalf("keys %+v", keys)
	}
	for _, k := range keys {
		if _, err := time.Parse(time.RFC3339Nano, k.RevokedAt); err != nil {
			t.Errorf("key %s revoked_at %q", k.KeyID, k.RevokedAt)
		}
	}
	// A revoked key may be registered again by its owner: it stays revoked.
	var again syncproto.Key
	w1.JSON(http.MethodPost, "/v1/keys", syncproto.RegisterKeyRequest{PublicKey: k1.PublicKey}, 200, &again)
	if again.KeyID != k1.KeyID || again.RevokedAt == "" {
		t.Errorf("re-registered revoked key %+v", again)
	}
}

func TestKeyRevokeByTownshipAdminOutOfScope(t *testing.T) {
	env := ruhutest.New(t)
	county := env.Login("admin", "dev-admin")
	town := townshipAdmin(t, env, county)
	w3 := env.Login("worker3", "dev-3")
	var k syncproto.Key
	w3.JSON(http.MethodPost, "/v1/keys", syncproto.RegisterKeyRequest{PublicKey: base64.StdEncoding.EncodeToString(newPublicKey(t))}, 201, &k)
	st, b := town.Do(http.MethodDelete, "/v1/keys/"+k.KeyID, nil)
	wantProblem(t, st, b, 403, syncproto.CodeForbidden)
	if keys := listKeys(w3, ""); len(keys) != 1 || keys[0].RevokedAt != "" {
		t.Errorf("key after refused revoke %+v", keys)
	}
}
