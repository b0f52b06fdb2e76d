package exif

import (
	"bytes"
	"math"
	"testing"
	"time"
)

func TestSegmentRoundTrip(t *testing.T) {
	taken := time.Date(2024, 5, 1, 10, 11, 12, 0, time.FixedZone("", 8*3600))
	jpg := []byte{0xFF, 0xD8, 0xFF, 0xD9}
	for _, sc := range []struct {
		name    string
		taken   time.Time
		gps     *GPS
		wantTS  string
		wantGPS bool
	}{
		{"time and place", taken, &GPS{Lat: 25.0389, Lon: 102.7183}, "2024-05-01T10:11:12+08:00", true},
		{"south west", taken, &GPS{Lat: -33.8678, Lon: -151.2073}, "2024-05-01T10:11:12+08:00", true},
		{"time only", taken, nil, "2024-05-01T10:11:12+08:00", false},
		{"place only", time.Time{}, &GPS{Lat: 25.5, Lon: 102.5}, "", true},
	} {
		m := Read(bytes.NewReader(Insert(jpg, Segment(sc.taken, sc.gps))))
		if m.TakenAt != sc.wantTS || (m.GPS != nil) != sc.wantGPS {
			t.Errorf("%s: read %+v", sc.name, m)
			continue
		}
		if sc.wantGPS && (math.Abs(m.GPS.Lat-sc.gps.Lat) > 1e-6 || math.Abs(m.GPS.Lon-sc.gps.Lon) > 1e-6) {
			t.Errorf("%s: GPS %+v, want %+v", sc.name, *m.GPS, *sc.gps)
		}
	}
	if Segment(time.Time{}, nil) != nil {
		t.Error("Segment of nothing is not nil")
	}
}
