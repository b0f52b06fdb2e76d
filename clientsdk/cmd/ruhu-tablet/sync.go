package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/ruhu-org/ruhu/clientsdk"
	"github.com/ruhu-org/ruhu/syncproto"
)

func cmdSync(e *env) error {
	var opts []clientsdk.Option
	b := &bar{w: e.out}
	if !e.json {
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
	if errors.As(err, &relogin) {
		return fmt.Errorf("%w — run: ruhu-tablet login --user %s (nothing on this tablet is lost)", err, relogin.Username)
	}
	if err != nil {
		return err
	}
	return e.print.result(rep, func(w io.Writer) { printReport(w, rep) })
}

func printReport(w io.Writer, rep *clientsdk.SyncReport) {
	fmt.Fprintf(w, "pushed %d change(s) (%d applied, %d merged", rep.Pushed, rep.Applied, rep.Merged)
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
		fmt.Fprintf(w, "  conflict: %s %s, see conflicts %v\n", is.Collection, is.RecordID, is.ConflictIDs)
	}
	for _, is := range append(rep.Rejected, rep.PhotoErrors...) {
		fmt.Fprintf(w, "  refused: %s %s: %s %s\n", is.Collection, is.RecordID, is.Code, is.Message)
	}
	if rep.PhotosUnsupported {
		fmt.Fprintf(w, "  %d photo(s) wait: the server does not take photos yet\n", rep.PhotosPending)
	}
	fmt.Fprintf(w, "%d open conflict(s) in your area\n", rep.OpenConflicts)
}

func cmdConflicts(e *env) error {
	fs := flag.NewFlagSet("conflicts", flag.ContinueOnError)
	status := fs.String("status", syncproto.ConflictOpen, "open, resolved or all")
	cached := fs.Bool("cached", false, "show the list of the last sync (offline)")
	if _, err := parse(fs, e.args); err != nil {
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
	return e.print.result(list, func(w io.Writer) {
		for _, cf := range list {
			field := cf.Field
			if field == "" {
				field = "(whole record)"
			}
			fmt.Fprintf(w, "%s  %s  %s %s  %s\n    server: %s\n    device: %s\n", cf.ID, cf.Kind, cf.Collection, cf.RecordID,
				field, cf.ServerValue, cf.ClientValue)
		}
		fmt.Fprintf(w, "%d %s conflict(s)\n", len(list), *status)
	})
}

func cmdResolve(e *env) error {
	fs := flag.NewFlagSet("resolve", flag.ContinueOnError)
	choice := fs.String("choice", "", "server or client")
	value := fs.String("value", "", "a JSON value to set instead")
	pos, err := parse(fs, e.args)
	if err != nil || len(pos) != 1 || (*choice == "") == (*value == "") {
		return errors.New("resolve CONFLICT_ID --choice server|client | --value JSON")
	}
	if *value != "" && !json.Valid([]byte(*value)) {
		return fmt.Errorf("--value %q is not JSON (quote strings: '\"text\"')", *value)
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
	return e.print.result(cf, func(w io.Writer) {
		fmt.Fprintf(w, "conflict %s resolved (%s); %s %s is now version %d — sync to pull it\n", cf.ID, cf.Resolution,
			cf.Collection, cf.RecordID, cf.Version)
	})
}

func cmdIssues(e *env) error {
	c, err := e.open("")
	if err != nil {
		return err
	}
	defer c.Close()
	list, err := c.Issues(e.ctx)
	if err != nil {
		return err
	}
	return e.print.result(list, func(w io.Writer) {
		for _, is := range list {
			fmt.Fprintf(w, "#%d %s %s %s %s: %s %s %v\n", is.MutationID, is.Status, is.Op, is.Collection, is.RecordID,
				is.Code, is.Message, is.ConflictIDs)
		}
		fmt.Fprintf(w, "%d issue(s)\n", len(list))
	})
}
