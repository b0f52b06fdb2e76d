package engine

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"testing"
)

// torsion is the canonical encoding of each of the 8 points of small order.
func torsion() [][]byte {
	var out [][]byte
	for _, p := range smallOrderPoints[:5] { // 0, 1, two of order 8, p-1
		out = append(out, append([]byte{}, p[:]...))
		if p != [32]byte{0x01} && p != fieldElement(0xec) { // x = 0: no negative
			neg := append([]byte{}, p[:]...)
			neg[31] |= 0x80
			out = append(out, neg)
		}
	}
	return out
}

// forge looks for a signature made without a secret (S = 0, R a point of
// small order) that verifies some message under pub.
func forge(pub []byte) bool {
	for i := range 64 {
		msg := []byte(fmt.Sprint("content hash ", i))
		for _, r := range torsion() {
			if ed25519.Verify(pub, msg, append(append([]byte{}, r...), make([]byte, 32)...)) {
				return true
			}
		}
	}
	return false
}

// TestSecuritySmallOrderKeys: every point of small order is refused, each
// admits signatures made without a secret, and real keys are not refused.
func TestSecuritySmallOrderKeys(t *testing.T) {
	points := torsion()
	if len(points) != 8 {
		t.Fatalf("%d torsion points, want 8", len(points))
	}
	for _, p := range points {
		if !smallOrder(p) {
			t.Errorf("%x not refused", p)
		}
		if !forge(p) {
			t.Errorf("%x: no signature without a secret found; is it of small order?", p)
		}
	}
	for _, low := range []byte{0xed, 0xee} { // p and p+1, non-canonical 0 and 1
		if p := fieldElement(low); !smallOrder(p[:]) {
			t.Errorf("%x not refused", p)
		}
	}
	for i := range 1000 {
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if smallOrder(pub) {
			t.Fatalf("real key %x refused", pub)
		}
		if i < 5 && forge(pub) {
			t.Fatalf("a signature without a secret verifies under the real key %x", pub)
		}
	}
}
