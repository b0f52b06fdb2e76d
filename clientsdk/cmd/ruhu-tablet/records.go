package main

import (
	"encoding/json"
	"errors"
	"flag"
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
			return fmt.Errorf("%s has no field %q", collection, k)
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
}

// cmdRecord handles "household|member|investigation add|new|edit".
func cmdRecord(collection string) func(e *env) error {
	return func(e *env) error {
		if len(e.args) == 0 {
			return fmt.Errorf("want add, new or edit")
		}
		fs := flag.NewFlagSet(collection, flag.ContinueOnError)
		var set sets
		fs.Var(&set, "set", "field=value (repeatable)")
		named := map[string]*string{}
		for _, nf := range addFlags[collection] {
			named[nf[1]] = fs.String(nf[0], "", "sets "+nf[1])
		}
		pos, err := parse(fs, e.args[1:])
		if err != nil {
			return err
		}
		fields := clientsdk.Fields{}
		for f, v := range named {
			if *v != "" {
				fields[f] = *v
			}
		}
		if err := set.fields(collection, fields); err != nil {
			return err
		}
		switch e.args[0] {
		case "add", "new":
			return addRecord(e, collection, fields)
		case "edit":
			if len(pos) != 1 {
				return fmt.Errorf("edit takes one record id")
			}
			return editRecord(e, collection, pos[0], fields)
		}
		return fmt.Errorf("unknown action %q: want add, new or edit", e.args[0])
	}
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
	return e.print.result(map[string]string{"collection": collection, "id": id}, func(w io.Writer) {
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
	return e.print.result(r, func(w io.Writer) { printFields(w, r) })
}

func cmdShow(e *env) error {
	if len(e.args) != 2 {
		return errors.New("show COLLECTION ID")
	}
	c, err := e.open("")
	if err != nil {
		return err
	}
	defer c.Close()
	r, err := c.Get(e.ctx, e.args[0], e.args[1])
	if err != nil {
		return err
	}
	return e.print.result(r, func(w io.Writer) { printFields(w, r) })
}

func cmdList(e *env) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	hh := fs.String("household", "", "only records of this household")
	pos, err := parse(fs, e.args)
	if err != nil || len(pos) != 1 {
		return errors.New("list COLLECTION [--household H]")
	}
	c, err := e.open("")
	if err != nil {
		return err
	}
	defer c.Close()
	var list []clientsdk.Record
	if *hh != "" {
		list, err = c.ListByHousehold(e.ctx, pos[0], *hh)
	} else {
		list, err = c.List(e.ctx, pos[0])
	}
	if err != nil {
		return err
	}
	return e.print.result(list, func(w io.Writer) {
		for i := range list {
			mark := " "
			if list[i].Pending {
				mark = "*"
			}
			fmt.Fprintf(w, "%s %s v%-6d %s\n", mark, list[i].ID, list[i].Version, label(&list[i]))
		}
		fmt.Fprintf(w, "%d %s (* = not yet synced)\n", len(list), pos[0])
	})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
