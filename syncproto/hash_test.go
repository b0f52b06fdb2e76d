package syncproto_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/syncproto"
)

// testKey is the fixed test key of testdata/signature_vectors.json: the
// Ed25519 key whose 32-byte seed is the bytes 0, 1, …, 31.
func testKey() ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(vectorSeed())
}

// canonicalFields canonicalizes fields inside a fixed envelope and returns
// only the canonical text of fields.
func canonicalFields(t *testing.T, fields string) string {
	t.Helper()
	out, err := syncproto.Canonical("c", "i", json.RawMessage(fields))
	if err != nil {
		t.Fatalf("Canonical(%q): %v", fields, err)
	}
	const prefix, suffix = `{"collection":"c","fields":`, `,"id":"i"}`
	s := string(out)
	if !strings.HasPrefix(s, prefix) || !strings.HasSuffix(s, suffix) {
		t.Fatalf("Canonical(%q) = %s: envelope not in canonical order", fields, s)
	}
	return s[len(prefix) : len(s)-len(suffix)]
}

func TestCanonicalEnvelope(t *testing.T) {
	tests := []struct {
		name   string
		fields string
		want   string
	}{
		{"keys sorted, whitespace dropped", "{ \"b\" : 1 ,\n\t\"a\" : \"x\" }",
			`{"collection":"investigations","fields":{"a":"x","b":1},"id":"inv-1"}`},
		{"nil fields are the empty object", "",
			`{"collection":"investigations","fields":{},"id":"inv-1"}`},
		{"empty object", " {} ",
			`{"collection":"investigations","fields":{},"id":"inv-1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fields json.RawMessage
			if tt.fields != "" {
				fields = json.RawMessage(tt.fields)
			}
			got, err := syncproto.Canonical("investigations", "inv-1", fields)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestCanonicalRFC8785Examples checks the worked examples of RFC 8785
// §3.2.2 (primitive serialization) and §3.2.3 (property sorting by UTF-16
// code units).
func TestCanonicalRFC8785Examples(t *testing.T) {
	tests := []struct {
		name   string
		fields string
		want   string
	}{
		{
			name: "3.2.2 primitives",
			fields: `{
  "numbers": [333333333.33333329, 1E30, 4.50,
              2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`,
			want: `{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
		},
		{
			name: "3.2.3 sorting",
			fields: `{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}`,
			// U+1F600 (UTF-16 D83D DE00) sorts before U+FB33: the order is
			// by UTF-16 code units, not by code points or UTF-8 bytes.
			want: "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\"," +
				"\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\"," +
				"\"\U0001F600\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}",
		},
		{
			name:   "nested objects sorted, arrays kept in order",
			fields: `{"b":[{"z":1,"y":2},3,{"x":{"d":0,"c":[]}}],"a":{}}`,
			want:   `{"a":{},"b":[{"y":2,"z":1},3,{"x":{"c":[],"d":0}}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := canonicalFields(t, tt.fields); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestCanonicalNumbers checks number serialization (RFC 8785 §3.2.2.3, the
// ECMAScript Number-to-String algorithm) from JSON number text.
func TestCanonicalNumbers(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0", "0"},
		{"-0", "0"},
		{"-0.0e5", "0"},
		{"1", "1"},
		{"1.0", "1"},
		{"4.50", "4.5"},
		{"-1.5E3", "-1500"},
		{"100", "100"},
		{"2e-3", "0.002"},
		{"1e-6", "0.000001"},
		{"1E-7", "1e-7"},
		{"0.000000000000000000000000001", "1e-27"},
		{"1e20", "100000000000000000000"},
		{"1e21", "1e+21"},
		{"1E30", "1e+30"},
		{"333333333.33333329", "333333333.3333333"},
		{"0.1", "0.1"},
		{"1234.50", "1234.5"},
		{"3.3333333333333335", "3.3333333333333335"},
		{"9007199254740992", "9007199254740992"},
		// Beyond 2^53 integers are rounded to the nearest double.
		{"9007199254740993", "9007199254740992"},
		{"12345678901234567890", "12345678901234567000"},
		{"1.7976931348623157e308", "1.7976931348623157e+308"},
		{"5e-324", "5e-324"},
	}
	for _, tt := range tests {
		got := canonicalFields(t, `{"n":`+tt.in+`}`)
		if want := `{"n":` + tt.want + `}`; got != want {
			t.Errorf("%s: got %s, want %s", tt.in, got, want)
		}
	}
}

// TestCanonicalNumbersAppendixB checks the IEEE 754 → JSON table of RFC 8785
// Appendix B. NaN and Infinity cannot be written in JSON; see
// TestCanonicalRejects for out-of-range numbers.
func TestCanonicalNumbersAppendixB(t *testing.T) {
	tests := []struct {
		bits uint64
		want string
	}{
		{0x0000000000000000, "0"},
		{0x8000000000000000, "0"},
		{0x0000000000000001, "5e-324"},
		{0x8000000000000001, "-5e-324"},
		{0x7fefffffffffffff, "1.7976931348623157e+308"},
		{0xffefffffffffffff, "-1.7976931348623157e+308"},
		{0x4340000000000000, "9007199254740992"},
		{0xc340000000000000, "-9007199254740992"},
		{0x4430000000000000, "295147905179352830000"},
		{0x44b52d02c7e14af5, "9.999999999999997e+22"},
		{0x44b52d02c7e14af6, "1e+23"},
		{0x44b52d02c7e14af7, "1.0000000000000001e+23"},
		{0x444b1ae4d6e2ef4e, "999999999999999700000"},
		{0x444b1ae4d6e2ef4f, "999999999999999900000"},
		{0x444b1ae4d6e2ef50, "1e+21"},
		{0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
		{0x3eb0c6f7a0b5ed8d, "0.000001"},
		{0x41b3de4355555553, "333333333.3333332"},
		{0x41b3de4355555554, "333333333.33333325"},
		{0x41b3de4355555555, "333333333.3333333"},
		{0x41b3de4355555556, "333333333.3333334"},
		{0x41b3de4355555557, "333333333.33333343"},
		{0xbecbf647612f3696, "-0.0000033333333333333333"},
		{0x43143ff3c1cb0959, "1424953923781206.2"},
	}
	for _, tt := range tests {
		// 'e' with -1 precision is the shortest text that parses back to
		// exactly this double, and is valid JSON number syntax.
		in := strconv.FormatFloat(math.Float64frombits(tt.bits), 'e', -1, 64)
		got := canonicalFields(t, `{"n":`+in+`}`)
		if want := `{"n":` + tt.want + `}`; got != want {
			t.Errorf("%016x (%s): got %s, want %s", tt.bits, in, got, want)
		}
	}
}

// TestCanonicalStrings checks string serialization (RFC 8785 §3.2.2.2):
// only ", \ and the control characters are escaped, with the short forms
// where JSON has them and lowercase \u00xx otherwise; everything else,
// including non-ASCII text, is written as UTF-8.
func TestCanonicalStrings(t *testing.T) {
	tests := []struct{ in, want string }{
		{`"plain"`, `"plain"`},
		{`"\u5f20\u4e09"`, `"张三"`},
		{`"张三"`, `"张三"`},
		{`"\"\\\/"`, `"\"\\/"`},
		{`"\b\f\n\r\t"`, `"\b\f\n\r\t"`},
		{`"\u0008\u000C\u000A\u000D\u0009"`, `"\b\f\n\r\t"`},
		{`"\u0000\u0001\u001F"`, `"\u0000\u0001\u001f"`},
		{`"\u007f"`, "\"\x7f\""},
		{`"<>&"`, `"<>&"`},
		{`"\u003c\u003e\u0026"`, `"<>&"`},
		{`"\u2028\u2029"`, "\"\u2028\u2029\""},
		{`"\ud83d\ude00"`, "\"\U0001F600\""},
		{`"\uD83D\uDE00"`, "\"\U0001F600\""},
		{`"\u00e9"`, `"é"`},
	}
	for _, tt := range tests {
		got := canonicalFields(t, `{"s":`+tt.in+`}`)
		if want := `{"s":` + tt.want + `}`; got != want {
			t.Errorf("%s: got %s, want %s", tt.in, got, want)
		}
	}
}

func TestCanonicalRejects(t *testing.T) {
	tests := []struct {
		name       string
		collection string
		id         string
		fields     string
	}{
		{"array fields", "investigations", "inv-1", `[1,2]`},
		{"null fields", "investigations", "inv-1", `null`},
		{"string fields", "investigations", "inv-1", `"x"`},
		{"whitespace only", "investigations", "inv-1", ` `},
		{"invalid JSON", "investigations", "inv-1", `{"a":}`},
		{"trailing garbage", "investigations", "inv-1", `{"a":1} x`},
		{"two values", "investigations", "inv-1", `{"a":1}{"b":2}`},
		{"duplicate key", "investigations", "inv-1", `{"a":1,"a":1}`},
		{"duplicate key after unescaping", "investigations", "inv-1", `{"a":1,"\u0061":2}`},
		{"nested duplicate key", "investigations", "inv-1", `{"x":[{"a":1,"a":2}]}`},
		{"number out of range", "investigations", "inv-1", `{"n":1e400}`},
		{"NaN", "investigations", "inv-1", `{"n":NaN}`},
		{"leading zero", "investigations", "inv-1", `{"n":01}`},
		{"lone high surrogate", "investigations", "inv-1", `{"s":"\ud83d"}`},
		{"lone low surrogate", "investigations", "inv-1", `{"s":"\ude00"}`},
		{"invalid UTF-8 in value", "investigations", "inv-1", "{\"s\":\"\xff\"}"},
		{"invalid UTF-8 in key", "investigations", "inv-1", "{\"\xc3\":1}"},
		{"raw control character", "investigations", "inv-1", "{\"s\":\"a\nb\"}"},
		{"invalid UTF-8 in id", "investigations", "inv-\xff", `{}`},
		{"invalid UTF-8 in collection", "investigations\xfe", "inv-1", `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := syncproto.Canonical(tt.collection, tt.id, json.RawMessage(tt.fields))
			if !errors.Is(err, syncproto.ErrNotCanonicalizable) {
				t.Fatalf("Canonical = %q, %v; want ErrNotCanonicalizable", out, err)
			}
			if h, err := syncproto.ContentHash(tt.collection, tt.id, json.RawMessage(tt.fields)); !errors.Is(err, syncproto.ErrNotCanonicalizable) || h != "" {
				t.Fatalf("ContentHash = %q, %v; want ErrNotCanonicalizable", h, err)
			}
		})
	}
}

func TestContentHash(t *testing.T) {
	// sha256 of {"collection":"investigations","fields":{},"id":"inv-1"},
	// computed with sha256sum.
	const emptyHash = "2d407a98013ca6e65a846a5e8c50f7b2a207b6edd400de54628c6c468824f4ef"
	hash := func(collection, id, fields string) string {
		t.Helper()
		h, err := syncproto.ContentHash(collection, id, json.RawMessage(fields))
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	if got := hash("investigations", "inv-1", `{}`); got != emptyHash {
		t.Errorf("hash of empty fields = %s, want %s", got, emptyHash)
	}
	if got := hash("investigations", "inv-1", ``); got != emptyHash {
		t.Errorf("hash of nil fields = %s, want %s", got, emptyHash)
	}
	a := hash("investigations", "inv-1", `{"findings":"无","per_capita_income":4.50,"investigators":["u1","u2"]}`)
	same := []string{
		"{\n  \"investigators\" : [ \"u1\", \"u2\" ],\n  \"per_capita_income\" : 4.5,\n  \"findings\" : \"\\u65e0\"\n}",
		`{"per_capita_income":45e-1,"investigators":["u1","u2"],"findings":"无"}`,
	}
	for _, f := range same {
		if got := hash("investigations", "inv-1", f); got != a {
			t.Errorf("hash of %s = %s, want %s (same content)", f, got, a)
		}
	}
	different := []struct{ collection, id, fields string }{
		{"investigations", "inv-2", `{"findings":"无","per_capita_income":4.5,"investigators":["u1","u2"]}`},
		{"households", "inv-1", `{"findings":"无","per_capita_income":4.5,"investigators":["u1","u2"]}`},
		{"investigations", "inv-1", `{"findings":"无","per_capita_income":4.5,"investigators":["u2","u1"]}`},
		{"investigations", "inv-1", `{"findings":"无","per_capita_income":"4.5","investigators":["u1","u2"]}`},
		{"investigations", "inv-1", `{"findings":"无","per_capita_income":4.5,"investigators":["u1","u2"],"conclusion":null}`},
	}
	for _, d := range different {
		if got := hash(d.collection, d.id, d.fields); got == a {
			t.Errorf("hash of %s/%s %s equals the original's", d.collection, d.id, d.fields)
		}
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(a) {
		t.Errorf("hash %q is not 64 lowercase hex digits", a)
	}
}

func TestSignVerify(t *testing.T) {
	priv := testKey()
	pub := priv.Public().(ed25519.PublicKey)
	const hash = "2d407a98013ca6e65a846a5e8c50f7b2a207b6edd400de54628c6c468824f4ef"

	sig := syncproto.Sign(priv, hash)
	if len(sig) != 88 || !strings.HasSuffix(sig, "==") {
		t.Fatalf("Sign = %q, want 88 characters of padded base64", sig)
	}
	if again := syncproto.Sign(priv, hash); again != sig {
		t.Errorf("Sign is not deterministic: %q then %q", sig, again)
	}
	raw, _ := base64.StdEncoding.DecodeString(sig)
	if !ed25519.Verify(pub, []byte("ruhu-sig-v1:"+hash), raw) {
		t.Fatal("signature does not verify over the ASCII bytes ruhu-sig-v1:<hash>")
	}
	if !syncproto.Verify(pub, hash, sig) {
		t.Fatal("Verify(own signature) = false")
	}

	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	flipped := append([]byte(nil), raw...)
	flipped[10] ^= 1
	tests := []struct {
		name string
		pub  ed25519.PublicKey
		hash string
		sig  string
	}{
		{"other hash", pub, strings.Replace(hash, "2d", "2e", 1), sig},
		{"uppercase hash", pub, strings.ToUpper(hash), sig},
		{"other key", other.Public().(ed25519.PublicKey), hash, sig},
		{"flipped bit", pub, hash, base64.StdEncoding.EncodeToString(flipped)},
		{"unpadded", pub, hash, strings.TrimRight(sig, "=")},
		{"URL alphabet", pub, hash, base64.URLEncoding.EncodeToString(raw)},
		{"not base64", pub, hash, "not a signature"},
		{"empty", pub, hash, ""},
		{"short", pub, hash, base64.StdEncoding.EncodeToString(raw[:63])},
		{"short public key", pub[:31], hash, sig},
		{"nil public key", nil, hash, sig},
	}
	for _, tt := range tests {
		if syncproto.Verify(tt.pub, tt.hash, tt.sig) {
			t.Errorf("%s: Verify = true, want false", tt.name)
		}
	}
}

// TestVerifyRejectsOtherSpellings checks that a signature has exactly one
// accepted text form, although encoding/base64 decodes others to the same
// bytes.
func TestVerifyRejectsOtherSpellings(t *testing.T) {
	priv := testKey()
	pub := priv.Public().(ed25519.PublicKey)
	const hash = "2d407a98013ca6e65a846a5e8c50f7b2a207b6edd400de54628c6c468824f4ef"
	sig := syncproto.Sign(priv, hash)
	raw, _ := base64.StdEncoding.DecodeString(sig)

	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	last := strings.IndexByte(alphabet, sig[85]) // carries 2 data bits, 4 padding bits
	spellings := map[string]string{
		"padding bits set": sig[:85] + string(alphabet[last^1]) + "==",
		"newline inside":   sig[:40] + "\n" + sig[40:],
		"trailing CRLF":    sig + "\r\n",
	}
	for name, s := range spellings {
		got, err := base64.StdEncoding.DecodeString(s)
		if err != nil || !bytes.Equal(got, raw) {
			t.Fatalf("%s: test input %q does not decode to the signature (%v)", name, s, err)
		}
		if syncproto.Verify(pub, hash, s) {
			t.Errorf("%s: Verify(%q) = true, want false", name, s)
		}
	}
}

func TestKeyID(t *testing.T) {
	// The public key of RFC 8032 §7.1 TEST 1; the id was computed with
	// Python's hashlib.
	pub, _ := base64.StdEncoding.DecodeString("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
	if got, want := syncproto.KeyID(pub), "ed25519:21fe31dfa154a261626bf854046fd227"; got != want {
		t.Errorf("KeyID = %s, want %s", got, want)
	}
	id := syncproto.KeyID(testKey().Public().(ed25519.PublicKey))
	if !regexp.MustCompile(`^ed25519:[0-9a-f]{32}$`).MatchString(id) {
		t.Errorf("KeyID = %q, want ed25519: and 32 lowercase hex digits", id)
	}
	if max := syncproto.Schemas[syncproto.CollSignatures].Fields["key_id"].Max; float64(len(id)) > max {
		t.Errorf("KeyID is %d bytes, the schema allows %v", len(id), max)
	}
}

func TestParsePublicKey(t *testing.T) {
	const b64 = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
	pub, err := syncproto.ParsePublicKey(b64)
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.StdEncoding.EncodeToString(pub); got != b64 {
		t.Errorf("ParsePublicKey round trip = %s, want %s", got, b64)
	}
	bad := []string{
		"",
		"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo",    // unpadded
		"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo=",   // URL alphabet
		"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURp=",   // padding bits set
		"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHUR\no=", // newline
		base64.StdEncoding.EncodeToString(make([]byte, 31)),
		base64.StdEncoding.EncodeToString(make([]byte, 64)),
	}
	for _, s := range bad {
		if pub, err := syncproto.ParsePublicKey(s); !errors.Is(err, syncproto.ErrInvalidPublicKey) || pub != nil {
			t.Errorf("ParsePublicKey(%q) = %x, %v; want ErrInvalidPublicKey", s, pub, err)
		}
	}
}
