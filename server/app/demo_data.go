package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/server/photos"
	"github.com/ruhu-org/ruhu/syncproto"
)

// The demo county's households and cases: enough for the console, the H5
// page and a tablet to show every state of the procedure. Everything is
// made through the engine, as the people would (pushes, signatures with
// real Ed25519 keys, submissions, transitions), on a clock that starts 40
// days ago and moves forward, so notices run their periods.

// demoHousehold is one household of the demo.
type demoHousehold struct {
	id, village, head string
	headN             int
	members           []demoMember
	wage              string // the head's monthly wage, yuan
	// to is the state the demo takes its case to ("" for no case).
	to string
}

type demoMember struct {
	name, relation, birth string
	n                     int
	ill, confidential     bool
}

var demoHouseholds = []demoHousehold{
	{"demo-hh-01", "t1-v1", "赵建国", 101, []demoMember{{"钱秀英", "配偶", "1958-03-12", 102, true, false}}, "120.00", syncproto.StateApproved},
	{"demo-hh-02", "t1-v1", "孙立军", 103, []demoMember{{"孙小雨", "子女", "2014-06-01", 104, false, false}}, "200.00", syncproto.StateCountyNotice},
	{"demo-hh-03", "t1-v1", "李桂兰", 105, []demoMember{{"周强", "子女", "1990-10-10", 106, false, true}}, "80.00", syncproto.StateTownshipReview},
	{"demo-hh-04", "t1-v1", "周德明", 107, nil, "150.00", syncproto.StateVillageNotice},
	{"demo-hh-05", "t1-v1", "吴玉珍", 109, []demoMember{{"郑浩", "孙子女", "2012-01-20", 110, false, false}}, "60.00", syncproto.StateVillageReview},
	{"demo-hh-06", "t1-v1", "郑文华", 111, nil, "0.00", syncproto.StateInvestigating},
	{"demo-hh-07", "t2-v1", "王海涛", 113, []demoMember{{"王丽", "配偶", "1975-05-05", 114, false, false}}, "180.00", syncproto.StateVillageReview},
	{"demo-hh-08", "t2-v1", "冯春梅", 115, nil, "90.00", ""},
}

// demoPeople sign for each village: the two investigators, and the
// cadre and committee head of the democratic review.
var demoPeople = map[string]struct{ first, second, cadre, head string }{
	"t1-v1": {"worker1", "worker2", "worker1", "committee1"},
	"t2-v1": {"worker3", "reviewer2", "worker3", ""},
}

type demoSeeder struct {
	eng    *engine.Engine
	photos *photos.Store
	now    time.Time
	actors map[string]*server.Actor
	keys   map[string]ed25519.PrivateKey
	next   map[string]int64
	n      int
}

// SeedDemoData fills the demo county made by SeedDemoStore with
// households and cases in every state of the procedure (ruhu demo; the
// tests' county stays empty).
func SeedDemoData(ctx context.Context, cfg Config) error {
	db, _, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	store, err := photos.NewStore(filepath.Join(cfg.DataDir, "photos"))
	if err != nil {
		return err
	}
	return seedDemoData(ctx, engine.New(db), store)
}

func seedDemoData(ctx context.Context, eng *engine.Engine, store *photos.Store) error {
	s := &demoSeeder{eng: eng, photos: store, now: time.Now().UTC().Add(-40 * 24 * time.Hour), actors: map[string]*server.Actor{},
		keys: map[string]ed25519.PrivateKey{}, next: map[string]int64{}}
	realNow := eng.Now
	eng.Now = func() time.Time { return s.now }
	defer func() { eng.Now = realNow }()
	for _, u := range DemoUsers[1:] {
		user, err := eng.UserByUsername(ctx, u.Username)
		if err != nil || user == nil {
			return fmt.Errorf("demo user %s: %v", u.Username, err)
		}
		s.actors[u.Username] = &server.Actor{UserID: user.ID, Username: user.Username, Name: user.DisplayName,
			UnitID: user.UnitID, UnitPath: user.UnitPath, Roles: user.Roles, DeviceID: "demo-tablet-" + u.Username}
		seed := sha256.Sum256([]byte("ruhu demo key " + u.Username))
		s.keys[u.Username] = ed25519.NewKeyFromSeed(seed[:])
		pub := s.keys[u.Username].Public().(ed25519.PublicKey)
		if _, _, err := eng.RegisterKey(ctx, s.actors[u.Username], base64.StdEncoding.EncodeToString(pub)); err != nil {
			return err
		}
	}
	for _, h := range demoHouseholds {
		if err := s.household(ctx, h); err != nil {
			return fmt.Errorf("demo household %s: %w", h.id, err)
		}
	}
	return s.extras(ctx)
}

func (s *demoSeeder) tick(d time.Duration) { s.now = s.now.Add(d) }

// push pushes one mutation as user and fails unless applied (or merged).
func (s *demoSeeder) push(ctx context.Context, user, collection, id string, fields map[string]any) error {
	m := syncproto.Mutation{Collection: collection, ID: id, Op: syncproto.OpUpsert, Fields: map[string]json.RawMessage{}}
	for k, v := range fields {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		m.Fields[k] = b
	}
	s.next[user]++
	m.MutationID = s.next[user]
	a := s.actors[user]
	res, err := s.eng.Push(ctx, a, &syncproto.PushRequest{DeviceID: a.DeviceID, Mutations: []syncproto.Mutation{m}})
	if err != nil {
		return err
	}
	if r := res.Results[0]; r.Status != syncproto.StatusApplied && r.Status != syncproto.StatusMerged {
		return fmt.Errorf("%s %s: %s %+v", collection, id, r.Status, r.Error)
	}
	s.tick(time.Minute)
	return nil
}

// sign signs the current content of a record as user.
func (s *demoSeeder) sign(ctx context.Context, user, collection, id string) error {
	var fields json.RawMessage
	err := s.eng.Store.Read(ctx, func(tx server.Tx) error {
		r, err := tx.Record(collection, id)
		if err != nil || r == nil {
			return fmt.Errorf("%s %s: %v", collection, id, err)
		}
		fields = r.FieldsJSON()
		return nil
	})
	if err != nil {
		return err
	}
	hash, err := syncproto.ContentHash(collection, id, fields)
	if err != nil {
		return err
	}
	target := "investigation_id"
	if collection == syncproto.CollReviews {
		target = "review_id"
	}
	k := s.keys[user]
	s.n++
	return s.push(ctx, user, syncproto.CollSignatures, fmt.Sprintf("demo-sig-%03d", s.n), map[string]any{target: id,
		"key_id": syncproto.KeyID(k.Public().(ed25519.PublicKey)), "content_hash": hash,
		"signature": syncproto.Sign(k, hash), "signed_at": s.now.Format(time.RFC3339)})
}

// investigate records, signs and submits an investigation of h by first
// and second.
func (s *demoSeeder) investigate(ctx context.Context, h demoHousehold, first, second string, submit bool) error {
	s.n++
	id := fmt.Sprintf("%s-inv-%02d", h.id, s.n)
	if err := s.push(ctx, first, syncproto.CollInvestigations, id, map[string]any{"household_id": h.id,
		"date": s.now.Format(time.DateOnly), "location": h.village, "findings": "入户核实家庭人口、收入、财产情况。",
		"investigators": []string{s.actors[first].UserID, s.actors[second].UserID}, "suggested_category": "dibao",
		"income_items": []map[string]any{{"member_id": h.id + "-m0", "type": "wage", "amount": h.wage}}}); err != nil {
		return err
	}
	if err := s.sign(ctx, first, syncproto.CollInvestigations, id); err != nil {
		return err
	}
	if !submit {
		return nil
	}
	if err := s.sign(ctx, second, syncproto.CollInvestigations, id); err != nil {
		return err
	}
	if _, err := s.photo(ctx, first, h.id, "commitment", 1000+s.n); err != nil {
		return err
	}
	_, err := s.eng.Submit(ctx, s.actors[first], id)
	s.tick(time.Minute)
	return err
}

func (s *demoSeeder) step(ctx context.Context, user, caseID, action string) error {
	_, err := s.eng.Transition(ctx, s.actors[user], caseID, syncproto.TransitionRequest{Action: action})
	s.tick(time.Minute)
	return err
}

// household records h with its members and takes its case to h.to.
func (s *demoSeeder) household(ctx context.Context, h demoHousehold) error {
	people := demoPeople[h.village]
	w := people.first
	id := func(n int) string { return demoIDNumber(n) }
	if err := s.push(ctx, w, syncproto.CollHouseholds, h.id, map[string]any{"unit_id": h.village, "head_name": h.head,
		"head_id_number": id(h.headN), "address": h.village + " " + h.head + "家", "hukou_type": "rural",
		"category": "dibao", "source": "application", "application_date": s.now.Format(time.DateOnly)}); err != nil {
		return err
	}
	members := append([]demoMember{{h.head, "户主", "1955-07-01", h.headN, false, false}}, h.members...)
	for i, m := range members {
		if err := s.push(ctx, w, syncproto.CollMembers, fmt.Sprintf("%s-m%d", h.id, i), map[string]any{
			"household_id": h.id, "name": m.name, "id_number": id(m.n), "relation": m.relation, "birth_date": m.birth,
			"serious_illness": m.ill, "confidential": m.confidential}); err != nil {
			return err
		}
	}
	if h.to == "" {
		return s.investigate(ctx, h, people.first, people.second, false)
	}
	c, err := s.eng.CreateCase(ctx, s.actors[w], syncproto.CreateCaseRequest{HouseholdID: h.id})
	if err != nil {
		return err
	}
	order := []string{syncproto.StateInvestigating, syncproto.StateVillageReview, syncproto.StateVillageNotice,
		syncproto.StateTownshipReview, syncproto.StateTownshipNotice, syncproto.StateCountyReview,
		syncproto.StateCountyNotice, syncproto.StateApproved}
	reach := func(state string) bool {
		for _, o := range order {
			if o == state {
				return true
			}
			if o == h.to {
				return false
			}
		}
		return false
	}
	if !reach(syncproto.StateVillageReview) {
		return s.investigate(ctx, h, people.first, people.second, false)
	}
	if err := s.investigate(ctx, h, people.first, people.second, true); err != nil {
		return err
	}
	if err := s.step(ctx, w, c.ID, syncproto.ActSubmitInvestigation); err != nil {
		return err
	}
	if !reach(syncproto.StateVillageNotice) || people.head == "" {
		return nil
	}
	return s.beyondVillage(ctx, h, c.ID, reach)
}

// beyondVillage takes a case from the village review on.
func (s *demoSeeder) beyondVillage(ctx context.Context, h demoHousehold, caseID string, reach func(string) bool) error {
	people := demoPeople[h.village]
	s.n++
	rv := fmt.Sprintf("%s-rv-%02d", h.id, s.n)
	sha, err := s.photo(ctx, people.first, h.id, "document", s.n)
	if err != nil {
		return err
	}
	if err := s.push(ctx, people.cadre, syncproto.CollReviews, rv, map[string]any{"household_id": h.id, "committee_size": 9,
		"present": 7, "votes_for": 6, "votes_against": 1, "date": s.now.Format(time.DateOnly), "method": "ballot",
		"minutes_photo": sha, "opinion": "经民主评议，同意纳入。"}); err != nil {
		return err
	}
	for _, u := range []string{people.cadre, people.head} {
		if err := s.sign(ctx, u, syncproto.CollReviews, rv); err != nil {
			return err
		}
	}
	if err := s.step(ctx, people.head, caseID, syncproto.ActOpenVillageNotice); err != nil {
		return err
	}
	if !reach(syncproto.StateTownshipReview) {
		return nil
	}
	s.tick(7*24*time.Hour + time.Minute)
	if err := s.step(ctx, people.cadre, caseID, syncproto.ActCloseNotice); err != nil {
		return err
	}
	if !reach(syncproto.StateTownshipNotice) {
		_, err := s.eng.Draw(ctx, s.actors["reviewer1"], syncproto.DrawRequest{UnitID: "t1", Stage: syncproto.DrawTownship, Seed: "demo"})
		return err
	}
	if _, err := s.eng.Draw(ctx, s.actors["reviewer1"], syncproto.DrawRequest{UnitID: "t1", Stage: syncproto.DrawTownship, Seed: "demo-" + h.id}); err != nil {
		return err
	}
	s.tick(time.Hour)
	if err := s.investigate(ctx, h, "reviewer1", people.first, true); err != nil {
		return err
	}
	if err := s.step(ctx, "reviewer1", caseID, syncproto.ActTownshipApprove); err != nil {
		return err
	}
	if !reach(syncproto.StateCountyReview) {
		return nil
	}
	s.tick(5*24*time.Hour + time.Minute)
	if err := s.step(ctx, "reviewer1", caseID, syncproto.ActCloseNotice); err != nil {
		return err
	}
	if _, err := s.eng.Draw(ctx, s.actors["inspector"], syncproto.DrawRequest{UnitID: "demo-county", Stage: syncproto.DrawCounty, Seed: "demo-" + h.id}); err != nil {
		return err
	}
	s.tick(time.Hour)
	if err := s.investigate(ctx, h, "inspector", people.first, true); err != nil {
		return err
	}
	if err := s.step(ctx, "county", caseID, syncproto.ActCountyApprove); err != nil {
		return err
	}
	if !reach(syncproto.StateApproved) {
		return nil
	}
	s.tick(5*24*time.Hour + time.Minute)
	return s.step(ctx, "county", caseID, syncproto.ActCloseNotice)
}

// extras leaves a field conflict and a rejected push for the console.
func (s *demoSeeder) extras(ctx context.Context) error {
	if err := s.push(ctx, "worker2", syncproto.CollHouseholds, "demo-hh-05", map[string]any{"contact_phone": "13800000001"}); err != nil {
		return err
	}
	// worker1's tablet, offline, saw version 0 of the phone field.
	a := s.actors["worker1"]
	s.next["worker1"]++
	_, err := s.eng.Push(ctx, a, &syncproto.PushRequest{DeviceID: a.DeviceID, Mutations: []syncproto.Mutation{{
		MutationID: s.next["worker1"], Collection: syncproto.CollHouseholds, ID: "demo-hh-05", Op: syncproto.OpUpsert,
		BaseVersion: 1, Fields: map[string]json.RawMessage{"contact_phone": json.RawMessage(`"13900000002"`)}}}})
	if err != nil {
		return err
	}
	s.next["worker1"]++
	_, err = s.eng.Push(ctx, a, &syncproto.PushRequest{DeviceID: a.DeviceID, Mutations: []syncproto.Mutation{{
		MutationID: s.next["worker1"], Collection: syncproto.CollMembers, ID: "demo-bad-member", Op: syncproto.OpUpsert,
		Fields: map[string]json.RawMessage{"household_id": json.RawMessage(`"demo-hh-06"`), "name": json.RawMessage(`"录入错误"`),
			"id_number": json.RawMessage(`"530121199001010020"`), "relation": json.RawMessage(`"子女"`)}}}})
	return err
}

// photo stores a generated picture (a page with ruled lines, different
// for each n) as the photos service would, files it under household as
// kind, and returns its hash.
func (s *demoSeeder) photo(ctx context.Context, user, household, kind string, n int) (string, error) {
	img := image.NewRGBA(image.Rect(0, 0, 900, 1200))
	paper := color.RGBA{R: 250, G: 248, B: 240, A: 255}
	ink := color.RGBA{R: 40, G: 40, B: uint8(80 + n%120), A: 255}
	for y := 0; y < 1200; y++ {
		for x := 0; x < 900; x++ {
			c := paper
			if (y%60 < 3 && x > 80 && x < 820) || (y > 100 && y < 160 && x > 200+n%300 && x < 700) {
				c = ink
			}
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		return "", err
	}
	f, err := os.CreateTemp("", "ruhu-demo-*.jpg")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b.Bytes()); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	res, err := photos.Process(f.Name(), fmt.Sprintf("%x", sha256.Sum256(b.Bytes())), photos.Limits{})
	if err != nil {
		return "", err
	}
	if _, err := s.photos.Put(res.SHA256, f.Name(), res.Large, res.Thumb); err != nil {
		return "", err
	}
	a := s.actors[user]
	_, err = s.eng.AddPhoto(ctx, a, server.Photo{SHA256: res.SHA256, HouseholdID: household, Kind: kind,
		Width: res.Width, Height: res.Height, UploadedBy: a.UserID, Filename: fmt.Sprintf("IMG_%04d.jpg", n)})
	return res.SHA256, err
}

// demoIDNumber is a valid ID number (check digit computed) for person n.
func demoIDNumber(n int) string {
	base := fmt.Sprintf("53012119600101%03d", n%1000)
	return syncproto.CompleteIDNumber(base)
}
