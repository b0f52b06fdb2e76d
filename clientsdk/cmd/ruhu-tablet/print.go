package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ruhu-org/ruhu/clientsdk"
)

// result prints v as JSON with --json, or calls text to print it for
// people.
func (e *env) result(v any, text func(w io.Writer)) error {
	if e.json {
		enc := json.NewEncoder(e.io.out)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text(e.io.out)
	return nil
}

// printFields prints a record's fields one per line, sorted.
func printFields(w io.Writer, r *clientsdk.Record) {
	pending := ""
	if r.Pending {
		pending = "  (changes not yet synced)"
	}
	fmt.Fprintf(w, "%s %s  version %d%s\n", r.Collection, r.ID, r.Version, pending)
	if r.Refused != nil {
		printRefusal(w, "  ", r.Collection, r.Refused)
	}
	for _, k := range sortedKeys(r.Fields) {
		fmt.Fprintf(w, "  %-20s %s\n", k, string(r.Fields[k]))
	}
	if r.Meta.OpenConflicts > 0 {
		fmt.Fprintf(w, "  ! %d open conflict(s): see ruhu-tablet conflicts\n", r.Meta.OpenConflicts)
	}
	if s := r.Meta.Signatures; s != nil {
		fmt.Fprintf(w, "  signatures: %d valid signer(s), satisfied=%v, content %s\n", len(s.ValidSigners), s.Satisfied, s.ContentHash)
	}
	if r.Meta.Submitted {
		fmt.Fprintf(w, "  submitted at %s\n", r.Meta.SubmittedAt)
	}
}

// printRefusal says why the server refused a change and how to go on.
func printRefusal(w io.Writer, indent, collection string, r *clientsdk.Refusal) {
	fmt.Fprintf(w, "%s! refused by the server: %s (%s)\n", indent, r.Message, r.Code)
	fmt.Fprintf(w, "%s  kept on this tablet. Correct and send again: ruhu-tablet issues retry %d --set FIELD=VALUE\n",
		indent, r.MutationID)
	fmt.Fprintf(w, "%s  or drop what was typed:                    ruhu-tablet issues discard %d\n", indent, r.MutationID)
}

// label is the most telling field of a record, for lists.
func label(r *clientsdk.Record) string {
	for _, f := range []string{"head_name", "name", "findings", "kind", "investigation_id"} {
		if s := r.String(f); s != "" {
			if len([]rune(s)) > 30 {
				s = string([]rune(s)[:30]) + "…"
			}
			return s
		}
	}
	return ""
}

// bar draws sync progress on one terminal line per phase. It is only
// used on a terminal: its frames start with a carriage return.
type bar struct {
	w     io.Writer
	phase string
	item  string
}

func (b *bar) update(p clientsdk.Progress) {
	if p.Phase == clientsdk.PhaseRetry {
		b.done()
		b.phase = ""
		fmt.Fprintf(b.w, "server not answering (%s): trying again (%d of %d)…\n", p.Item, p.Done, p.Total)
		return
	}
	if b.phase != "" && (p.Phase != b.phase || p.Item != b.item) {
		fmt.Fprintln(b.w)
	}
	b.phase, b.item = p.Phase, p.Item
	name := p.Phase
	if p.Item != "" {
		name += " " + p.Item[:min(len(p.Item), 12)]
	}
	if p.Total <= 0 {
		fmt.Fprintf(b.w, "\r%-20s %d", name, p.Done)
		return
	}
	const width = 30
	n := int(float64(width) * float64(p.Done) / float64(p.Total))
	n = min(max(n, 0), width)
	fmt.Fprintf(b.w, "\r%-20s [%s%s] %d/%d", name, strings.Repeat("#", n), strings.Repeat("-", width-n), p.Done, p.Total)
}

func (b *bar) done() {
	if b.phase != "" {
		fmt.Fprintln(b.w)
	}
}
