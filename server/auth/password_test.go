package auth

import (
	"strings"
	"testing"
)

func TestArgon2HashVerify(t *testing.T) {
	h, err := FastArgon2.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q", h)
	}
	again, _ := FastArgon2.Hash("correct horse")
	if again == h {
		t.Error("two hashes of one password are equal (no salt)")
	}
	for _, sc := range []struct {
		password string
		ok       bool
	}{
		{"correct horse", true},
		{"correct horse ", false},
		{"Correct horse", false},
		{"", false},
	} {
		ok, err := FastArgon2.Verify(h, sc.password)
		if err != nil || ok != sc.ok {
			t.Errorf("Verify(%q) = %v, %v; want %v", sc.password, ok, err, sc.ok)
		}
	}
	// Verify reads the parameters from the hash, not from its receiver.
	strong := Argon2{Memory: 128, Time: 2, Threads: 2}
	hs, err := strong.Hash("pw-12345")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := FastArgon2.Verify(hs, "pw-12345"); !ok || err != nil {
		t.Errorf("hash with other parameters: %v %v", ok, err)
	}
}

func TestArgon2RefusesMalformedHashes(t *testing.T) {
	good, _ := FastArgon2.Hash("pw")
	parts := strings.Split(good, "$")
	for _, bad := range []string{
		"",
		"plaintext",
		strings.Replace(good, "argon2id", "argon2i", 1),
		strings.Replace(good, "v=19", "v=16", 1),
		strings.Replace(good, "m=64,t=1,p=1", "m=x", 1),
		strings.Join(append(parts[:4:4], "!!!", parts[5]), "$"),
		strings.Join(append(parts[:5:5], ""), "$"),
		good + "$extra",
		// Parameters no one sets, which would make a login allocate
		// 4 GiB or hash for minutes: refused before hashing.
		strings.Replace(good, "m=64,t=1,p=1", "m=4194304,t=1,p=1", 1),
		strings.Replace(good, "m=64,t=1,p=1", "m=64,t=100000,p=1", 1),
		strings.Replace(good, "m=64,t=1,p=1", "m=64,t=0,p=1", 1),
		strings.Replace(good, "m=64,t=1,p=1", "m=64,t=1,p=0", 1),
	} {
		ok, err := FastArgon2.Verify(bad, "pw")
		if ok || err == nil {
			t.Errorf("Verify(%q) = %v, %v; want an error", bad, ok, err)
		}
	}
}
