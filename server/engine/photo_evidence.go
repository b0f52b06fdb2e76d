package engine

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// County settings of the photo evidence checks (Tx.Setting). A value that
// is not a positive number counts as unset.
const (
	// SettingPhotoMaxDistanceKm: a photo taken farther than this from its
	// household's village is flagged far_from_village (default 3).
	SettingPhotoMaxDistanceKm = "photo.max_distance_km"
	// SettingPhotoMaxDaysOff: a photo taken more than this many days
	// before or after every investigation date of its household is flagged
	// off_investigation_date (default 30).
	SettingPhotoMaxDaysOff = "photo.max_days_off"

	defaultPhotoMaxDistanceKm = 3
	defaultPhotoMaxDaysOff    = 30
)

// earthRadiusM is the mean radius of the earth (IUGG), in metres.
const earthRadiusM = 6371008.8

// photoEvidence checks where and when photo p was taken against its
// household hh: the flags it fails (never nil) and its distance from the
// village in metres when both positions are known. The checks run when the
// filing is recorded; off_investigation_date is checked again whenever the
// household's investigation dates change (reflagForInvestigation), the
// others are not (docs/protocol.md, Photos).
func (t *txn) photoEvidence(p server.Photo, hh *server.Record) ([]string, *int, error) {
	flags := []string{}
	dist, far, err := t.photoDistance(p, hh)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case p.GPS == nil:
		flags = append(flags, syncproto.PhotoFlagNoPosition)
	case far:
		flags = append(flags, syncproto.PhotoFlagFarFromVillage)
	}
	if p.TakenAt == "" {
		return append(flags, syncproto.PhotoFlagNoCaptureTime), dist, nil
	}
	dates, err := t.investigationDates(hh.ID)
	if err != nil {
		return nil, nil, err
	}
	off, err := t.photoOffDate(p.TakenAt, dates)
	if off {
		flags = append(flags, syncproto.PhotoFlagOffInvestigationDate)
	}
	return flags, dist, err
}

// photoDistance returns how far from hh's village p was taken (nil when the
// photo or the village has no position) and whether that is beyond the
// county's limit.
func (t *txn) photoDistance(p server.Photo, hh *server.Record) (*int, bool, error) {
	v := t.units[hh.UnitID].Position
	if p.GPS == nil || v == nil {
		return nil, false, nil
	}
	maxKm, err := t.positiveSetting(SettingPhotoMaxDistanceKm, defaultPhotoMaxDistanceKm)
	if err != nil {
		return nil, false, err
	}
	d := haversineM(p.GPS.Lat, p.GPS.Lon, v.Lat, v.Lng)
	m := int(math.Round(d))
	return &m, d > maxKm*1000, nil
}

// photoOffDate reports whether a photo taken at takenAt (RFC 3339) is more
// than the county's limit of days from every one of dates (the household's
// investigation dates); false when there is none (nothing to compare with
// yet) or the time does not parse. Days are calendar days of the photo's
// own clock (China time for a tablet), as investigation dates are.
func (t *txn) photoOffDate(takenAt string, dates []time.Time) (bool, error) {
	taken, err := time.Parse(time.RFC3339, takenAt)
	if err != nil || len(dates) == 0 {
		return false, nil
	}
	maxDays, err := t.positiveSetting(SettingPhotoMaxDaysOff, defaultPhotoMaxDaysOff)
	if err != nil {
		return false, err
	}
	day := time.Date(taken.Year(), taken.Month(), taken.Day(), 0, 0, 0, 0, time.UTC)
	for _, d := range dates {
		if math.Abs(day.Sub(d).Hours()/24) <= maxDays {
			return false, nil
		}
	}
	return true, nil
}

// reflagForInvestigation re-checks off_investigation_date of the photos of
// inv's household when inv was just saved with a date written now (created
// dated, re-dated, moved to the household) or deleted: the household's set
// of dates may have changed. Only a filing whose flag changes gets a new
// version (so devices pull only those) and an audit entry photo.reflag.
func (t *txn) reflagForInvestigation(inv *server.Record) error {
	if inv.Collection != syncproto.CollInvestigations || inv.HouseholdID == "" {
		return nil
	}
	written := inv.FieldVersions["date"] == inv.Version || inv.FieldVersions["household_id"] == inv.Version
	if !written && !inv.Deleted {
		return nil
	}
	return t.reflagHousehold(inv.HouseholdID, inv.ID)
}

// reflagHousehold brings off_investigation_date of household's live photo
// filings in line with its investigation dates now. cause names the
// investigation whose change prompted it, for the audit.
func (t *txn) reflagHousehold(household, cause string) error {
	children, err := t.tx.Children(household)
	if err != nil {
		return err
	}
	var dates []time.Time
	var photos []*server.Record
	for _, r := range children {
		switch {
		case r.Deleted:
		case r.Collection == syncproto.CollInvestigations:
			if d, err := time.Parse(time.DateOnly, r.Field("date")); err == nil {
				dates = append(dates, d)
			}
		case r.Collection == syncproto.CollPhotos:
			photos = append(photos, r)
		}
	}
	for _, p := range photos {
		if err := t.reflagPhoto(p, dates, cause); err != nil {
			return err
		}
	}
	return nil
}

// reflagPhoto sets or clears off_investigation_date on one filing.
func (t *txn) reflagPhoto(p *server.Record, dates []time.Time, cause string) error {
	var flags []string
	if err := json.Unmarshal(p.Fields["flags"], &flags); err != nil {
		flags = []string{}
	}
	taken := p.Field("taken_at")
	if taken == "" {
		return nil // no_capture_time: the date check never applies
	}
	off, err := t.photoOffDate(taken, dates)
	if err != nil {
		return err
	}
	had := slices.Contains(flags, syncproto.PhotoFlagOffInvestigationDate)
	if off == had {
		return nil
	}
	before := slices.Clone(flags)
	if off {
		flags = append(flags, syncproto.PhotoFlagOffInvestigationDate)
	} else {
		flags = slices.DeleteFunc(flags, func(f string) bool { return f == syncproto.PhotoFlagOffInvestigationDate })
	}
	if flags == nil {
		flags = []string{}
	}
	raw, err := json.Marshal(flags)
	if err != nil {
		return err
	}
	if err := t.bump(p); err != nil {
		return err
	}
	p.Fields["flags"] = raw
	if p.FieldVersions != nil {
		p.FieldVersions["flags"] = p.Version
	}
	if err := t.put(p); err != nil {
		return err
	}
	return t.audit("photo.reflag", syncproto.CollPhotos, p.ID, map[string]any{"flags": flags, "before": before,
		"investigation_id": cause, "version": p.Version})
}

// investigationDates returns the dates (UTC midnight) of household's live
// investigations that have one.
func (t *txn) investigationDates(household string) ([]time.Time, error) {
	rs, err := t.tx.Children(household)
	if err != nil {
		return nil, err
	}
	var out []time.Time
	for _, r := range rs {
		if r.Collection != syncproto.CollInvestigations || r.Deleted {
			continue
		}
		if d, err := time.Parse(time.DateOnly, r.Field("date")); err == nil {
			out = append(out, d)
		}
	}
	return out, nil
}

// positiveSetting reads a numeric county setting, def when unset or not a
// positive number.
func (t *txn) positiveSetting(key string, def float64) (float64, error) {
	s, ok, err := t.tx.Setting(key)
	if err != nil || !ok {
		return def, err
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil && v > 0 && !math.IsInf(v, 0) {
		return v, nil
	}
	return def, nil
}

// haversineM is the great-circle distance in metres between two points
// given in degrees.
func haversineM(lat1, lng1, lat2, lng2 float64) float64 {
	rad := math.Pi / 180
	dLat, dLng := (lat2-lat1)*rad, (lng2-lng1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * earthRadiusM * math.Asin(math.Min(1, math.Sqrt(a)))
}
