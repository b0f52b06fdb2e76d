package engine

import (
	"encoding/json"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Per-role masking of sensitive fields (schema FieldSpec.Sensitive: ID
// numbers, health, disability, bank account). The village committee and
// the inspectors see what their task needs — who the household is, where
// it lives, what it applied for — not full ID numbers nor health data.
// Anyone who also keeps the file (a village worker, township reviewer or
// county approver) sees the fields whole. Masked records are never
// written back: neither role may write households or members.

// masks reports whether the actor reads sensitive fields masked.
func masks(a *server.Actor) bool { return !a.HasAny(server.SensitiveRoles...) }

// hasSensitive reports whether the collection has sensitive fields.
func hasSensitive(collection string) bool {
	for _, f := range syncproto.Schemas[collection].Fields {
		if f.Sensitive {
			return true
		}
	}
	return false
}

// maskValue returns the masked form of one sensitive value: an ID number
// keeps its first 6 and last 4 characters; anything else is withheld
// (null).
func maskValue(spec syncproto.FieldSpec, v json.RawMessage) json.RawMessage {
	if spec.Type == syncproto.TIDNumber {
		var s string
		if json.Unmarshal(v, &s) == nil && s != "" {
			b, _ := json.Marshal(syncproto.MaskIDNumber(s))
			return b
		}
	}
	return json.RawMessage("null")
}

// maskObject masks the sensitive fields of a record's field object.
func maskObject(collection string, fields json.RawMessage) json.RawMessage {
	schema, ok := syncproto.Schemas[collection]
	if !ok || len(fields) == 0 || fields[0] != '{' {
		return fields
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(fields, &m) != nil {
		return fields
	}
	changed := false
	for name, v := range m {
		if spec, ok := schema.Fields[name]; ok && spec.Sensitive && string(v) != "null" {
			m[name], changed = maskValue(spec, v), true
		}
	}
	if !changed {
		return fields
	}
	return server.EncodeFields(m)
}

// maskChanges masks the pulled changes for the actor's roles.
func maskChanges(a *server.Actor, changes []syncproto.Change) {
	if !masks(a) {
		return
	}
	for i := range changes {
		if hasSensitive(changes[i].Collection) {
			changes[i].Fields = maskObject(changes[i].Collection, changes[i].Fields)
		}
	}
}

// maskConflict masks a conflict's values for the actor's roles.
func maskConflict(a *server.Actor, c *syncproto.Conflict) {
	if !masks(a) || !hasSensitive(c.Collection) {
		return
	}
	if c.Field == "" {
		c.ServerValue, c.ClientValue = maskObject(c.Collection, c.ServerValue), maskObject(c.Collection, c.ClientValue)
		return
	}
	if spec, ok := syncproto.Schemas[c.Collection].Fields[c.Field]; ok && spec.Sensitive {
		c.ServerValue, c.ClientValue = maskValue(spec, c.ServerValue), maskValue(spec, c.ClientValue)
	}
}
