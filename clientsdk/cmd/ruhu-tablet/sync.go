package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/ruhu-org/ruhu/clientsdk"
	"github.com/ruhu-org/ruhu/syncproto"
)

func cmdSync(e *env) error {
	if err := e.noArgs(); err != nil {
		return err
	}
	var opts []clientsdk.Option
	b := &bar{w: e.io.err}
	if !e.json && isTerminal(e.io.err) {
		opts = append(opts, clientsdk.WithProgress(b.update))
	}
	c, err := e.open("", opts...)
	if err != nil {
		return err
	}
	defer c.Close()
	rep, err := c.Sync(e.ctx)
	b.done()
	var relogin *clientsdk.ReloginError
	switch {
	case errors.As(err, &relogin):
		return fmt.Errorf("%w — run: ruhu-tablet login --user %s (nothing on this tablet is lost)", err, relogin.Username)
	case errors.Is(err, clientsdk.ErrUnreachable):
		return offline(e, c, err)
	case err != nil:
		return err
	}
	if err := e.result(rep, func(w io.Writer) { printReport(w, rep) }); err != nil {
		return err
	}
	if n := len(rep.Rejected) + len(rep.PhotoErrors) + len(rep.Conflicts); n > 0 {
		return attention{fmt.Sprintf("%d change(s) need you: see ruhu-tablet issues", n)}
	}
	return nil
}

// offline explains a sync that could not reach the server: what is kept,
// and that the next sync sends it.
func offline(e *env, c *clientsdk.Client, err error) error {
	st, serr := c.Status(e.ctx)
	if serr != nil {
		return err
	}
	return fmt.Errorf("could not reach the server %s (%w)\nnothing is lost: %d change(s) and %d photo(s) stay on this "+
		"tablet and go out with the next sync (check the connection, or run ruhu-tablet doctor)", st.ServerURL, err,
		st.Outbox, st.PhotosQueued)
}

func printReport(w io.Writer, rep *clientsdk.SyncReport) {
	fmt.Fprintf(w, "pushed %d change(s) (%d applied, %d merged", rep.Pushed, rep.Applied, rep.Merged)
	if n := len(rep.Conflicts); n > 0 {
		fmt.Fprintf(w, ", %d in conflict", n)
	}
	if n := len(rep.Rejected); n > 0 {
		fmt.Fprintf(w, ", %d refused", n)
	}
	if rep.Replayed > 0 {
		fmt.Fprintf(w, ", %d already on the server", rep.Replayed)
	}
	fmt.Fprintf(w, "), pulled %d", rep.Pulled)
	if rep.Purged > 0 {
		fmt.Fprintf(w, " (%d removed)", rep.Purged)
	}
	fmt.Fprintf(w, ", photos uploaded %d\n", rep.PhotosUploaded)
	for _, r := range rep.Remapped {
		fmt.Fprintf(w, "  merged: %s %s is now %s\n", r.Collection, r.From, r.To)
	}
	for _, is := range rep.Conflicts {
		fmt.Fprintf(w, "  conflict: %s %s: the server kept both values, a person decides: see ruhu-tablet conflicts\n",
			is.Collection, is.RecordID)
	}
	for _, is := range rep.Rejected {
		fmt.Fprintf(w, "  refused: %s %s\n", is.Collection, is.RecordID)
		printRefusal(w, "    ", is.Collection, &clientsdk.Refusal{MutationID: is.MutationID, Op: is.Op, Code: is.Code,
			Message: is.Message})
	}
	for _, is := range rep.PhotoErrors {
		fmt.Fprintf(w, "  photo refused: %s: %s (%s)\n", is.RecordID, is.Message, is.Code)
	}
	if rep.PhotosUnsupported {
		fmt.Fprintf(w, "  %d photo(s) wait: the server does not take photos yet\n", rep.PhotosPending)
	}
	fmt.Fprintf(w, "%d open conflict(s) in your area\n", rep.OpenConflicts)
}

func cmdConflicts(e *env) error {
	fs := e.flagSet("conflicts")
	status := fs.String("status", syncproto.ConflictOpen, "open, resolved or all")
	cached := fs.Bool("cached", false, "show the list of the last sync (offline)")
	if err := e.onlyFlags(fs); err != nil {
		return err
	}
	c, err := e.open("")
	if err != nil {
		return err
	}
	defer c.Close()
	var list []syncproto.Conflict
	if *cached {
		list, err = c.CachedConflicts(e.ctx, *status)
	} else {
		list, err = c.Conflicts(e.ctx, *status)
	}
	if err != nil {
		return err
	}
	return e.result(list, func(w io.Writer) {
		for i := range list {
			printConflict(w, &list[i])
		}
		fmt.Fprintf(w, "%d %s conflict(s)\n", len(list), *status)
		if *status == syncproto.ConflictOpen && len(list) > 0 {
			fmt.Fprintln(w, "decide one: ruhu-tablet resolve CONFLICT_ID --choice server|client (or --value JSON)")
		}
	})
}

// printConflict shows a conflict with the values each --choice keeps.
func printConflict(w io.Writer, cf *syncproto.Conflict) {
	field := cf.Field
	if field == "" {
		field = "(whole record)"
	}
	fmt.Fprintf(w, "%s  %s %s  %s  (%s %s)\n", cf.ID, cf.Collection, cf.RecordID, field, cf.Kind, cf.Status)
	if cf.Detail != "" {
		fmt.Fprintf(w, "    %s\n", cf.Detail)
	}
	fmt.Fprintf(w, "    --choice server  %s   (the server's value)\n", shown(cf.ServerValue))
	fmt.Fprintf(w, "    --choice client  %s   (sent by device %s)\n", shown(cf.ClientValue), cf.DeviceID)
	if cf.Status == syncproto.ConflictResolved {
		fmt.Fprintf(w, "    resolved: %s\n", resolution(cf))
	}
}

// shown prints a JSON value, "(none)" for none.
func shown(v json.RawMessage) string {
	if len(v) == 0 || string(v) == "null" {
		return "(none)"
	}
	return string(v)
}

// resolution says in words how a conflict was decided.
func resolution(cf *syncproto.Conflict) string {
	var r syncproto.ResolveRequest
	_ = json.Unmarshal(cf.Resolution, &r)
	switch {
	case r.Choice == syncproto.ChoiceServer:
		return "kept the server's value " + shown(cf.ServerValue)
	case r.Choice == syncproto.ChoiceClient:
		return "took the device's value " + shown(cf.ClientValue)
	case len(r.Value) > 0:
		return "set " + shown(r.Value)
	}
	return string(cf.Resolution)
}

func cmdResolve(e *env) error {
	fs := e.flagSet("resolve")
	choice := fs.String("choice", "", "server (keep the server's value) or client (take the device's)")
	value := fs.String("value", "", "a JSON `value` to set instead, e.g. '\"东村1号\"'")
	pos, err := e.parse(fs, e.args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return e.usage("want one CONFLICT_ID (ruhu-tablet conflicts lists them)")
	case (*choice == "") == (*value == ""):
		return e.usage("give either --choice or --value")
	case *choice != "" && *choice != syncproto.ChoiceServer && *choice != syncproto.ChoiceClient:
		return e.usage("--choice %q: want server or client", *choice)
	case *value != "" && !json.Valid([]byte(*value)):
		return e.usage("--value %q is not JSON (quote strings: '\"text\"')", *value)
	}
	c, err := e.open("")
	if err != nil {
		return err
	}
	defer c.Close()
	var raw json.RawMessage
	if *value != "" {
		raw = json.RawMessage(*value)
	}
	cf, err := c.Resolve(e.ctx, pos[0], *choice, raw)
	if err != nil {
		return err
	}
	return e.result(cf, func(w io.Writer) {
		fmt.Fprintf(w, "conflict %s resolved: %s for %s of %s %s (now version %d)\n", cf.ID, resolution(cf), cf.Field,
			cf.Collection, cf.RecordID, cf.Version)
		fmt.Fprintln(w, "every tablet gets it with its next sync")
	})
}

func cmdIssues(e *env) error {
	fs := e.flagSet("issues")
	var set sets
	fs.Var(&set, "set", "with retry: a correction `field=value` (repeatable)")
	pos, err := e.parse(fs, e.args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return listIssues(e)
	}
	if len(pos) != 2 || (pos[0] != "retry" && pos[0] != "discard") {
		return e.usage("want no argument, retry N or discard N")
	}
	n, err := strconv.ParseInt(pos[1], 10, 64)
	if err != nil {
		return e.usage("%q is not an issue number (the #N of ruhu-tablet issues)", pos[1])
	}
	c, err := e.open("")
	if err != nil {
		return err
	}
	defer c.Close()
	if pos[0] == "discard" {
		if err := c.DismissIssue(e.ctx, n); err != nil {
			return err
		}
		return e.result(map[string]any{"discarded": n}, func(w io.Writer) {
			fmt.Fprintf(w, "issue #%d discarded: what was typed is dropped, the record shows the server's state\n", n)
		})
	}
	return retryIssue(e, c, n, set)
}

func retryIssue(e *env, c *clientsdk.Client, n int64, set sets) error {
	list, err := c.Issues(e.ctx)
	if err != nil {
		return err
	}
	coll := ""
	for _, is := range list {
		if is.MutationID == n {
			coll = is.Collection
		}
	}
	fields := clientsdk.Fields{}
	if coll == "" {
		return fmt.Errorf("%w: no open issue #%d (ruhu-tablet issues lists them)", clientsdk.ErrNotFound, n)
	}
	if err := set.fields(coll, fields); err != nil {
		return e.usage("%v", err)
	}
	if err := c.RetryIssue(e.ctx, n, fields); err != nil {
		return flagErr(err, "")
	}
	return e.result(map[string]any{"retried": n}, func(w io.Writer) {
		fmt.Fprintf(w, "issue #%d queued again; run sync to send it\n", n)
	})
}

func listIssues(e *env) error {
	c, err := e.open("")
	if err != nil {
		return err
	}
	defer c.Close()
	list, err := c.Issues(e.ctx)
	if err != nil {
		return err
	}
	return e.result(list, func(w io.Writer) {
		for _, is := range list {
			fmt.Fprintf(w, "#%d %s %s %s %s\n", is.MutationID, is.Status, is.Op, is.Collection, is.RecordID)
			if is.Status == syncproto.StatusRejected {
				printRefusal(w, "   ", is.Collection, &clientsdk.Refusal{MutationID: is.MutationID, Op: is.Op, Code: is.Code,
					Message: is.Message})
				continue
			}
			fmt.Fprintf(w, "   the server kept both values; a person decides: ruhu-tablet conflicts, then resolve %v\n",
				is.ConflictIDs)
		}
		fmt.Fprintf(w, "%d issue(s)\n", len(list))
	})
}
