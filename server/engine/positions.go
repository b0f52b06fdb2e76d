package engine

import (
	"context"
	"fmt"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// SetUnitPosition implements server.AdminService: the admin of a subtree
// sets where one of its units lies (a village's position is the reference
// of the photos' far_from_village check), audited. A unit outside the
// subtree answers not_found, as one that does not exist.
func (e *Engine) SetUnitPosition(ctx context.Context, a *server.Actor, id string, in syncproto.UnitPosition) (*syncproto.Unit, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	pos, err := validPosition(in)
	if err != nil {
		return nil, err
	}
	var out *syncproto.Unit
	err = e.write(ctx, a, func(t *txn) error {
		u, ok := t.units[id]
		if !ok || !a.Covers(u.Path) {
			return server.Errorf(syncproto.CodeNotFound, "unit %q not found", id)
		}
		if ok, err := t.tx.SetUnitPosition(id, pos); err != nil || !ok {
			return fmt.Errorf("set position of unit %s (found %v): %w", id, ok, err)
		}
		u.Position = &pos
		out = unitWire(&u)
		return t.audit("unit.position", "unit", id, map[string]float64{"lat": pos.Lat, "lng": pos.Lng})
	})
	return out, err
}

// validPosition checks a position's presence and ranges. Code
// validation_failed.
func validPosition(in syncproto.UnitPosition) (server.Position, error) {
	switch {
	case in.Lat == nil || in.Lng == nil:
		return server.Position{}, server.Errorf(syncproto.CodeValidation, "lat and lng are both required")
	case !(*in.Lat >= -90 && *in.Lat <= 90):
		return server.Position{}, server.Errorf(syncproto.CodeValidation, "lat must be between -90 and 90")
	case !(*in.Lng >= -180 && *in.Lng <= 180):
		return server.Position{}, server.Errorf(syncproto.CodeValidation, "lng must be between -180 and 180")
	}
	return server.Position{Lat: *in.Lat, Lng: *in.Lng}, nil
}
