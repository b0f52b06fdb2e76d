package console_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
	"github.com/ruhu-org/ruhu/syncproto/exif"
)

// fixture is a demo county with a reviewable day of work in township t1
// and one household in township t2, all pushed through the real API.
type fixture struct {
	env            *ruhutest.Env
	w1, w2, w3     *ruhutest.Client
	hhA, hhB, hhZ  string // t1-v1, t1-v1, t2-v1
	invA, invB     string
	conflictField  string // the field of hhA two tablets changed
	w2Value        string // the value worker2's tablet pushed for it
	thumbsExpected int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	env := ruhutest.New(t)
	f := &fixture{env: env, w1: env.Login("worker1", "tab-1"), w2: env.Login("worker2", "tab-2"),
		w3: env.Login("worker3", "tab-3"), hhA: "01HHA000000000000000000001", hhB: "01HHB000000000000000000002",
		hhZ: "01HHZ000000000000000000003", invA: "01HIA000000000000000000001", invB: "01HIB000000000000000000002",
		conflictField: "address"}
	a := ruhutest.Household("t1-v1", 11)
	a["head_name"], a["hukou_type"], a["address"] = "赵大山", "rural", "东村1组12号"
	b := ruhutest.Household("t1-v1", 12)
	b["head_name"], b["category"] = "钱小梅", "dibao_edge"
	res := f.w1.Push(
		ruhutest.Upsert("households", f.hhA, 0, a),
		ruhutest.Upsert("members", "01HMA000000000000000000001", 0, map[string]any{"household_id": f.hhA, "name": "赵大山",
			"id_number": ruhutest.IDNumber(11), "relation": "户主", "sex": "male", "serious_illness": true, "health": "尿毒症"}),
		ruhutest.Upsert("members", "01HMA000000000000000000002", 0, map[string]any{"household_id": f.hhA, "name": "孙秀英",
			"id_number": ruhutest.IDNumber(13), "relation": "配偶", "sex": "female", "labour_capacity": "none"}),
		ruhutest.Upsert("investigations", f.invA, 0, map[string]any{"household_id": f.hhA, "date": "2026-11-20",
			"location": "东村1组12号", "findings": "户主患尿毒症，每周透析两次；配偶无劳动能力。",
			"income_items": []map[string]any{{"member_id": "01HMA000000000000000000001", "type": "basic_pension", "amount": 123},
				{"member_id": "01HMA000000000000000000002", "type": "wage", "amount": 300}},
			"expense_items": []map[string]any{{"type": "medical", "amount": 200}}, "suggested_category": "dibao"}),
		ruhutest.Upsert("households", f.hhB, 0, b),
		ruhutest.Upsert("investigations", f.invB, 0, map[string]any{"household_id": f.hhB, "date": "2026-11-21"}),
	)
	for _, r := range res.Results {
		if r.Status != syncproto.StatusApplied {
			t.Fatalf("fixture push: %+v", r)
		}
	}
	f.w3.Push(ruhutest.Upsert("households", f.hhZ, 0, ruhutest.Household("t2-v1", 14)))

	k1, k2 := registerKey(t, f.w1), registerKey(t, f.w2)
	changes, _ := f.w1.PullAll("")
	inv := map[string]syncproto.Change{}
	for _, c := range changes {
		inv[c.ID] = c
	}
	f.w1.Push(signature(t, inv[f.invA], k1, "01HSA000000000000000000001"), signature(t, inv[f.invB], k1, "01HSB000000000000000000001"))
	f.w2.Push(signature(t, inv[f.invA], k2, "01HSA000000000000000000002"))
	// invB changes after worker1 signed it: that signature is stale.
	if r := f.w1.Push(ruhutest.Upsert("investigations", f.invB, res.Results[5].Version, map[string]any{"findings": "补充：家中有一辆三轮车"})); r.Results[0].Status == syncproto.StatusRejected || r.Results[0].Status == syncproto.StatusConflict {
		t.Fatalf("edit of invB: %+v", r.Results[0])
	}

	taken := time.Date(2026, 11, 20, 10, 30, 0, 0, time.FixedZone("CST", 8*3600))
	uploadPhoto(t, f.w1, 40, taken, &exif.GPS{Lat: 25.0401, Lon: 102.7123}, f.hhA, "commitment")
	uploadPhoto(t, f.w1, 90, taken.Add(5*time.Minute), nil, f.hhA, "house")
	f.thumbsExpected = 2
	f.waitPhotos(t, f.hhA, 2)

	// Two tablets change hhA's address from the same version: a conflict.
	version := res.Results[0].Version
	f.w1.Push(ruhutest.Upsert("households", f.hhA, version, map[string]any{f.conflictField: "东村一组12号"}))
	f.w2Value = "东村1组12号院"
	if r := f.w2.Push(ruhutest.Upsert("households", f.hhA, version, map[string]any{f.conflictField: f.w2Value})); r.Results[0].Status != syncproto.StatusConflict {
		t.Fatalf("second edit: %+v", r.Results[0])
	}
	// A push the server refuses (wrong check digit), kept for review.
	bad := ruhutest.Household("t1-v1", 15)
	bad["head_id_number"] = "110105194912310020"
	f.w1.Push(ruhutest.Upsert("households", "01HHX000000000000000000009", 0, bad))
	return f
}

// waitPhotos waits until household has n photos filed (decoding runs in
// the background).
func (f *fixture) waitPhotos(t *testing.T, household string, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		file, err := f.env.App.Engine.ConsoleHousehold(context.Background(), f.env.Actor("reviewer1", "fixture"), household)
		if err != nil {
			t.Fatal(err)
		}
		if len(file.Photos) >= n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("household %s has fewer than %d photos after 20 s", household, n)
}

type sigKey struct {
	priv ed25519.PrivateKey
	id   string
}

func registerKey(t *testing.T, c *ruhutest.Client) sigKey {
	t.Helper()
	seed := sha256.Sum256([]byte("console test key " + c.Device))
	priv := ed25519.NewKeyFromSeed(seed[:])
	pub := priv.Public().(ed25519.PublicKey)
	c.JSON(http.MethodPost, "/v1/keys", syncproto.RegisterKeyRequest{PublicKey: base64.StdEncoding.EncodeToString(pub)}, http.StatusCreated, nil)
	return sigKey{priv: priv, id: syncproto.KeyID(pub)}
}

func signature(t *testing.T, inv syncproto.Change, k sigKey, id string) syncproto.Mutation {
	t.Helper()
	hash, err := syncproto.ContentHash(syncproto.CollInvestigations, inv.ID, inv.Fields)
	if err != nil {
		t.Fatal(err)
	}
	return ruhutest.Upsert("signatures", id, 0, map[string]any{"investigation_id": inv.ID, "key_id": k.id,
		"content_hash": hash, "signature": syncproto.Sign(k.priv, hash), "signed_at": "2026-11-20T10:41:07+08:00",
		"role": "investigator"})
}

// uploadPhoto uploads a 640×480 JPEG (content from seed) with EXIF capture
// time and position over tus, filed under household as kind.
func uploadPhoto(t *testing.T, c *ruhutest.Client, seed uint8, taken time.Time, gps *exif.GPS, household, kind string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := range 480 {
		for x := range 640 {
			img.Set(x, y, color.RGBA{seed + uint8(x/5), uint8(y / 3), 160 - seed, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	data := exif.Insert(b.Bytes(), exif.Segment(taken, gps))
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	if st := c.Upload(data, sha, household, kind, kind+".jpg"); st != http.StatusNoContent {
		t.Fatalf("tus upload: %d", st)
	}
}

// pulledField pulls as c and returns a field of a record, as JSON.
func pulledField(t *testing.T, c *ruhutest.Client, id, field string) string {
	t.Helper()
	changes, _ := c.PullAll("")
	for _, ch := range changes {
		if ch.ID == id {
			var fields map[string]any
			_ = json.Unmarshal(ch.Fields, &fields)
			return fmt.Sprint(fields[field])
		}
	}
	t.Fatalf("%s pulled no record %s", c.Device, id)
	return ""
}
