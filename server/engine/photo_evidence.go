package engine

import (
	"math"
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
// village in metres when both positions are known. The checks run once,
// when the filing is recorded: a village position set or an investigation
// dated later does not re-flag a filing (docs/protocol.md, Photos).
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
	off, err := t.photoOffDate(p.TakenAt, hh.ID)
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
// than the county's limit of days from every dated live investigation of
// household; false when there is none (nothing to compare with yet) or
// the time does not parse. Days are calendar days of the photo's own
// clock (China time for a tablet), as investigation dates are.
func (t *txn) photoOffDate(takenAt, household string) (bool, error) {
	taken, err := time.Parse(time.RFC3339, takenAt)
	if err != nil {
		return false, nil
	}
	dates, err := t.investigationDates(household)
	if err != nil || len(dates) == 0 {
		return false, err
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
