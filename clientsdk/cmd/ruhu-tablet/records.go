package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/ruhu-org/ruhu/clientsdk"
	"github.com/ruhu-org/ruhu/syncproto"
)

// sets collects repeated --set field=value flags. A value is taken as a
// string for string-like fields of the schema, and as JSON otherwise.
type sets []string

func (s *sets) String() string     { return strings.Join(*s, ",") }
func (s *sets) Set(v string) error { *s = append(*s, v); return nil }

func (s sets) fields(collection string, into clientsdk.Fields) error {
	for _, kv := range s {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("--set %q: want field=value", kv)
		}
		spec, known := syncproto.Schemas[collection].Fields[k]
		switch {
		case !known:
			return fmt.Errorf("--set %s: %s have no field %q; their fields are: %s", kv, collection, k,
				strings.Join(clientsdk.FieldNames(collection), ", "))
		case v == "null":
			into[k] = nil
		case isText(spec.Type):
			into[k] = v
		case json.Valid([]byte(v)):
			into[k] = json.RawMessage(v)
		default:
			return fmt.Errorf("--set %s: %q is not a JSON %s", k, v, spec.Type)
		}
	}
	return nil
}

func isText(t syncproto.FieldType) bool {
	switch t {
	case syncproto.TString, syncproto.TRef, syncproto.TEnum, syncproto.TDate, syncproto.TDateTime, syncproto.TIDNumber:
		return true
	}
	return false
}

// named flags of the add commands, mapped to schema fields.
var addFlags = map[string][][2]string{
	syncproto.CollHouseholds: {{"village", "unit_id"}, {"head-name", "head_name"}, {"head-id", "head_id_number"},
		{"address", "address"}, {"category", "category"}},
	syncproto.CollMembers: {{"household", "household_id"}, {"name", "name"}, {"id-number", "id_number"},
		{"relation", "relation"}},
	syncproto.CollInvestigations: {{"household", "household_id"}, {"date", "date"}},
	syncproto.CollReviews: {{"household", "household_id"}, {"date", "date"}, {"committee-size", "committee_size"},
		{"present", "present"}, {"for", "votes_for"}, {"against", "votes_against"}, {"minutes", "minutes_photo"}},
}

// cmdRecord handles "household|member|investigation add|new|edit".
func cmdRecord(collection string) func(e *env) error {
	return func(e *env) error {
		fs := e.flagSet(e.name)
		var set sets
		fs.Var(&set, "set", "`field=value` of any field of "+collection+" (repeatable); fields: "+
			strings.Join(clientsdk.FieldNames(collection), ", "))
		named := map[string]*string{}
		for _, nf := range addFlags[collection] {
			named[nf[1]] = fs.String(nf[0], "", "sets "+nf[1])
		}
		pos, err := e.parse(fs, e.args)
		if err != nil {
			return err
		}
		if len(pos) == 0 {
			return e.usage("want add, new or edit")
		}
		fields := clientsdk.Fields{}
		for f, v := range named {
			if *v == "" {
				continue
			}
			fields[f] = *v
			if spec := syncproto.Schemas[collection].Fields[f]; !isText(spec.Type) && json.Valid([]byte(*v)) {
				fields[f] = json.RawMessage(*v) // a number
			}
		}
		if err := set.fields(collection, fields); err != nil {
			return e.usage("%v", err)
		}
		switch {
		case (pos[0] == "add" || pos[0] == "new") && len(pos) == 1:
			return flagErr(addRecord(e, collection, fields), collection)
		case pos[0] == "edit" && len(pos) == 2:
			return flagErr(editRecord(e, collection, pos[1], fields), collection)
		case pos[0] == "edit":
			return e.usage("edit takes one record id")
		}
		return e.usage("unknown action %q: want add, new or edit", strings.Join(pos, " "))
	}
}

// flagErr words a schema error with the flag the user typed (--head-id)
// rather than the field it sets (head_id_number).
func flagErr(err error, collection string) error {
	var fe *clientsdk.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	name := "--set " + fe.Field
	for _, nf := range addFlags[collection] {
		if nf[1] == fe.Field {
			name = "--" + nf[0]
		}
	}
	msg := fmt.Sprintf("%s %s", name, fe.Problem)
	if fe.Problem == "is required" {
		msg = fmt.Sprintf("%s is required for a new record of %s", name, collection)
	}
	if len(fe.Valid) > 0 {
		msg += "; fields: " + strings.Join(fe.Valid, ", ")
	}
	return fmt.Errorf("%w: %s", clientsdk.ErrInvalidRecord, msg)
}

func addRecord(e *env, collection string, fields clientsdk.Fields) error {
	c, err := e.open("")
	if err != nil {
		return err
	}
	defer c.Close()
	id, err := c.Create(e.ctx, collection, fields)
	if err != nil {
		return err
	}
	return e.result(map[string]string{"collection": collection, "id": id}, func(w io.Writer) {
		fmt.Fprintf(w, "%s %s saved on this tablet; run sync to send it\n", collection, id)
	})
}

func editRecord(e *env, collection, id string, fields clientsdk.Fields) error {
	c, err := e.open("")
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Update(e.ctx, collection, id, fields); err != nil {
		return err
	}
	r, err := c.Get(e.ctx, collection, id)
	if err != nil {
		return err
	}
	return e.result(r, func(w io.Writer) { printFields(w, r) })
}

func cmdShow(e *env) error {
	fs := e.flagSet("show")
	pos, err := e.parse(fs, e.args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return e.usage("want a COLLECTION and an ID")
	}
	coll, err := collectionArg(pos[0])
	if err != nil {
		return e.usage("%v", err)
	}
	c, err := e.open("")
	if err != nil {
		return err
	}
	defer c.Close()
	r, err := c.Get(e.ctx, coll, pos[1])
	if err != nil {
		return err
	}
	return e.result(r, func(w io.Writer) { printFields(w, r) })
}

// collections are what list and show take.
var collections = []string{syncproto.CollHouseholds, syncproto.CollMembers, syncproto.CollInvestigations,
	syncproto.CollSignatures, syncproto.CollPhotos, syncproto.CollReviews, syncproto.CollCases}

// collectionArg checks a collection name; the singular is accepted.
func collectionArg(name string) (string, error) {
	for _, c := range collections {
		if name == c || name+"s" == c {
			return c, nil
		}
	}
	return "", fmt.Errorf("unknown collection %q: want one of %s", name, strings.Join(collections, ", "))
}

func cmdList(e *env) error {
	fs := e.flagSet("list")
	hh := fs.String("household", "", "only records of this household")
	pos, err := e.parse(fs, e.args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return e.usage("want one COLLECTION: %s", strings.Join(collections, ", "))
	}
	coll, err := collectionArg(pos[0])
	if err != nil {
		return e.usage("%v", err)
	}
	if coll == syncproto.CollPhotos {
		return listPhotos(e, *hh)
	}
	c, err := e.open("")
	if err != nil {
		return err
	}
	defer c.Close()
	var list []clientsdk.Record
	if *hh != "" {
		list, err = c.ListByHousehold(e.ctx, coll, *hh)
	} else {
		list, err = c.List(e.ctx, coll)
	}
	if err != nil {
		return err
	}
	return e.result(list, func(w io.Writer) { printList(w, coll, list) })
}

func printList(w io.Writer, coll string, list []clientsdk.Record) {
	refused := 0
	for i := range list {
		mark, note := " ", ""
		switch {
		case list[i].Refused != nil:
			mark, note = "!", fmt.Sprintf("  refused (%s): see ruhu-tablet issues", list[i].Refused.Code)
			refused++
		case list[i].Pending:
			mark = "*"
		}
		fmt.Fprintf(w, "%s %s v%-6d %s%s\n", mark, list[i].ID, list[i].Version, label(&list[i]), note)
	}
	fmt.Fprintf(w, "%d %s (* = not yet synced", len(list), coll)
	if refused > 0 {
		fmt.Fprint(w, ", ! = refused by the server")
	}
	fmt.Fprintln(w, ")")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
