package syncproto_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/ruhu-org/ruhu/syncproto"
)

const vectorsPath = "testdata/signature_vectors.json"

// vectorFile is the layout of testdata/signature_vectors.json.
type vectorFile struct {
	About   []string          `json:"about"`
	Key     vectorKey         `json:"key"`
	Vectors []signatureVector `json:"vectors"`
}

// vectorKey is the fixed test key every vector is signed with.
type vectorKey struct {
	SeedHex   string `json:"seed_hex"`
	PublicKey string `json:"public_key"`
	KeyID     string `json:"key_id"`
}

// signatureVector is one record, its canonical form, hash and signature.
// Fields is the input as a client might hold it: not canonical.
type signatureVector struct {
	Name          string          `json:"name"`
	Collection    string          `json:"collection"`
	ID            string          `json:"id"`
	Fields        json.RawMessage `json:"fields"`
	Canonical     string          `json:"canonical"`
	ContentHash   string          `json:"content_hash"`
	SignedMessage string          `json:"signed_message"`
	Signature     string          `json:"signature"`
}

// exampleInvestigationID and exampleInvestigationFields are the first
// vector, the worked example of docs/signatures.md; the wire examples use
// the same investigation.
const (
	exampleInvestigationID     = "01HV7Q2A5F8G3H6J9K2M4N7P0Q"
	exampleInvestigationFields = `{
  "household_id": "01HV7Q0YB4N9Y3K8C2M5T6RD1A",
  "date": "2024-03-18",
  "location": "石桥镇石桥村三组17号",
  "investigators": ["01HT0A1B2C3D4E5F6G7H8J9K0M", "01HT0A2B3C4D5E6F7G8H9J0K1M"],
  "findings": "户主张建国，62岁，患尿毒症，每周透析两次；配偶无劳动能力。",
  "income_items": [{"member_id": "01HV7Q1C7WQX4M2N8P5R3S6T9V", "type": "basic_pension", "amount": 1476.00, "exempt": true}],
  "per_capita_income": 3908.50,
  "suggested_category": "dibao"
}`
)

var vectorInputs = []struct{ name, id, fields string }{
	{"investigation", exampleInvestigationID, exampleInvestigationFields},
	{"numbers", "01HV7Q3B6G9H4J7K0M3N5P8Q1R", `{
  "household_id": "01HV7Q0YB4N9Y3K8C2M5T6RD1A",
  "per_capita_income": -0.0,
  "income_items": [
    {"type": "wage", "amount": 1.56E4, "months": 12},
    {"type": "crop_sale", "amount": 0.1},
    {"type": "interest", "amount": 1E-7},
    {"type": "rent", "amount": 333333333.33333329},
    {"type": "subsidy", "amount": 2e-3}
  ],
  "property_items": [
    {"type": "deposit", "amount": 12345678901234567890},
    {"type": "securities", "amount": 9007199254740993},
    {"type": "vehicle", "amount": 1e21},
    {"type": "machinery", "amount": 100000000000000000000}
  ]
}`},
	{"unicode_keys_and_nesting", "01HV7Q4C7H0J5K8M1N4P6Q9R2S", `{
  "property_items": [
    {"type": "housing", "detail": {
      "结构": "砖木",
      "面积": {"堂屋": 18.5, "厨房": 9, "卧室": [12, 10.25]},
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "\ud83d\ude00": "emoji",
      "\u20ac": "Euro Sign",
      "\u00f6": "o diaeresis",
      "\u0080": "control",
      "1": "one",
      "\r": "carriage return"
    }}
  ],
  "household_id": "01HV7Q0YB4N9Y3K8C2M5T6RD1A",
  "expense_items": [[{"b": [{"d": 1, "c": 2}], "a": {"z": {}, "y": []}}]]
}`},
	{"empty_fields", "01HV7Q5D8J1K6M9N2P5Q7R0S3T", `{}`},
	{"empty_containers_and_literals", "01HV7Q6E9K2M7N0P3Q6R8S1T4V", `{
  "household_id": "01HV7Q0YB4N9Y3K8C2M5T6RD1A",
  "income_items": [],
  "property_items": [{}],
  "expense_items": [{"type": "medical", "amount": 0, "verified": false, "reimbursed": true, "receipt": null}],
  "photo_ids": []
}`},
	{"string_escapes", "01HV7Q7F0M3N8P1Q4R7S9T2V5W", `{
  "household_id": "01HV7Q0YB4N9Y3K8C2M5T6RD1A",
  "findings": "引号\" 反斜杠\\ 斜杠\/ 换行\n制表\t 退格\b 换页\f 回车\r 控制\u0001\u001F <b>&amp;</b> \u2028 \ud83d\ude00 \u6751\u59d4\u4f1a",
  "conclusion": "Ünïcödé \u00e9 vs e\u0301"
}`},
}

// vectorSeed is the fixed test seed: the bytes 0, 1, …, 31.
func vectorSeed() []byte {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(i)
	}
	return seed
}

func buildVectors(t *testing.T) vectorFile {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(vectorSeed())
	pub := priv.Public().(ed25519.PublicKey)
	f := vectorFile{
		About: []string{
			"Signature test vectors for ruhu (docs/signatures.md). Regenerate: go test ./syncproto -run TestSignatureVectors -update",
			"canonical = RFC 8785 (JCS) text of {\"collection\":collection,\"id\":id,\"fields\":fields}, UTF-8.",
			"content_hash = lowercase hex SHA-256 of canonical.",
			"signed_message = the ASCII bytes \"ruhu-sig-v1:\" + content_hash.",
			"signature = standard base64 (padded) of the Ed25519 signature (RFC 8032, pure Ed25519) of signed_message with the key below.",
			"key.seed_hex is the 32-byte Ed25519 seed (RFC 8032 private key); key_id = \"ed25519:\" + hex of the first 16 bytes of SHA-256(public key).",
			"fields is given as a client might hold it, in no particular key order or number spelling; canonical is what must be hashed.",
		},
		Key: vectorKey{
			SeedHex:   hex.EncodeToString(vectorSeed()),
			PublicKey: base64.StdEncoding.EncodeToString(pub),
			KeyID:     syncproto.KeyID(pub),
		},
		Vectors: []signatureVector{},
	}
	for _, in := range vectorInputs {
		canonical, err := syncproto.Canonical(syncproto.CollInvestigations, in.id, json.RawMessage(in.fields))
		if err != nil {
			t.Fatalf("%s: %v", in.name, err)
		}
		hash, err := syncproto.ContentHash(syncproto.CollInvestigations, in.id, json.RawMessage(in.fields))
		if err != nil {
			t.Fatalf("%s: %v", in.name, err)
		}
		f.Vectors = append(f.Vectors, signatureVector{
			Name:          in.name,
			Collection:    syncproto.CollInvestigations,
			ID:            in.id,
			Fields:        json.RawMessage(in.fields),
			Canonical:     string(canonical),
			ContentHash:   hash,
			SignedMessage: string(syncproto.SignedMessage(hash)),
			Signature:     syncproto.Sign(priv, hash),
		})
	}
	return f
}

// TestSignatureVectors regenerates the vectors and compares them byte for
// byte with the file.
func TestSignatureVectors(t *testing.T) {
	checkGolden(t, vectorsPath, marshalGolden(t, buildVectors(t)))
}

// TestSignatureVectorsFile checks the file on its own terms, the way a
// third-party implementation would use it: every value follows from the
// seed and the fields by the documented steps.
func TestSignatureVectorsFile(t *testing.T) {
	raw, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatal(err)
	}
	var f vectorFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	seed, err := hex.DecodeString(f.Key.SeedHex)
	if err != nil || len(seed) != ed25519.SeedSize {
		t.Fatalf("seed_hex %q is not 32 bytes of hex", f.Key.SeedHex)
	}
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	if got := base64.StdEncoding.EncodeToString(pub); got != f.Key.PublicKey {
		t.Errorf("public key from seed = %s, file says %s", got, f.Key.PublicKey)
	}
	sum := sha256.Sum256(pub)
	if want := "ed25519:" + hex.EncodeToString(sum[:16]); f.Key.KeyID != want || syncproto.KeyID(pub) != want {
		t.Errorf("key_id: file %s, KeyID %s, want %s", f.Key.KeyID, syncproto.KeyID(pub), want)
	}
	if len(f.Vectors) != len(vectorInputs) {
		t.Fatalf("file has %d vectors, want %d", len(f.Vectors), len(vectorInputs))
	}
	for _, v := range f.Vectors {
		canonical, err := syncproto.Canonical(v.Collection, v.ID, v.Fields)
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		if string(canonical) != v.Canonical {
			t.Errorf("%s: canonical\n got %s\nfile %s", v.Name, canonical, v.Canonical)
		}
		sum := sha256.Sum256([]byte(v.Canonical))
		if got := hex.EncodeToString(sum[:]); got != v.ContentHash {
			t.Errorf("%s: sha256(canonical) = %s, file says %s", v.Name, got, v.ContentHash)
		}
		if v.SignedMessage != "ruhu-sig-v1:"+v.ContentHash {
			t.Errorf("%s: signed_message = %q", v.Name, v.SignedMessage)
		}
		sig, err := base64.StdEncoding.DecodeString(v.Signature)
		if err != nil || !ed25519.Verify(pub, []byte(v.SignedMessage), sig) {
			t.Errorf("%s: signature does not verify over signed_message (%v)", v.Name, err)
		}
		if !syncproto.Verify(pub, v.ContentHash, v.Signature) {
			t.Errorf("%s: syncproto.Verify = false", v.Name)
		}
	}
}
