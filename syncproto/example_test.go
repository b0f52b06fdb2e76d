package syncproto_test

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"

	"github.com/ruhu-org/ruhu/syncproto"
)

// An investigator's device hashes the investigation as the server returned
// it in pull, signs the hash, and pushes the signature as a record of the
// signatures collection. The server verifies it the same way.
func ExampleContentHash() {
	fields := json.RawMessage(`{
		"per_capita_income": 3908.50,
		"household_id": "01HV7Q0YB4N9Y3K8C2M5T6RD1A",
		"findings": "无劳动能力"
	}`)
	canonical, _ := syncproto.Canonical(syncproto.CollInvestigations, "01HV7Q2A5F8G3H6J9K2M4N7P0Q", fields)
	hash, _ := syncproto.ContentHash(syncproto.CollInvestigations, "01HV7Q2A5F8G3H6J9K2M4N7P0Q", fields)
	fmt.Println(string(canonical))
	fmt.Println(hash)
	// Output:
	// {"collection":"investigations","fields":{"findings":"无劳动能力","household_id":"01HV7Q0YB4N9Y3K8C2M5T6RD1A","per_capita_income":3908.5},"id":"01HV7Q2A5F8G3H6J9K2M4N7P0Q"}
	// 1c0bbe69c042632ca19060151d62c109bc40ca1f9b45c31b010dce0d9371be84
}

func ExampleSign() {
	// A fixed seed for the example; a device draws its seed from
	// crypto/rand and never lets the private key leave it.
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(i)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)

	hash, _ := syncproto.ContentHash(syncproto.CollInvestigations, "01HV7Q5D8J1K6M9N2P5Q7R0S3T", json.RawMessage(`{}`))
	sig := syncproto.Sign(priv, hash)
	fmt.Println(syncproto.KeyID(pub))
	fmt.Println(sig)
	fmt.Println(syncproto.Verify(pub, hash, sig))
	fmt.Println(syncproto.Verify(pub, "0000000000000000000000000000000000000000000000000000000000000000", sig))
	// Output:
	// ed25519:56475aa75463474c0285df5dbf2bcab7
	// mn/pdK0yfaG9lJzjgEYURaWWfpxckcgYpENXEFUmfclntyTY8Oas+7XZDakDlRqLYBEzUoWwCJlyN/lpPrMLBQ==
	// true
	// false
}

func ExampleValidIDNumber() {
	for _, id := range []string{
		"11010519491231002X", // the example of GB 11643-1999
		"11010519491231002x", // the check character X is upper-case only
		"110105194912310021", // wrong check digit
		"110105199902300018", // no February 30
	} {
		fmt.Println(id, syncproto.ValidIDNumber(id), syncproto.MaskIDNumber(id))
	}
	// Output:
	// 11010519491231002X true 110105********002X
	// 11010519491231002x false 110105********002x
	// 110105194912310021 false 110105********0021
	// 110105199902300018 false 110105********0018
}
