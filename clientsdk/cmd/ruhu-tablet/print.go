package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ruhu-org/ruhu/clientsdk"
)

// printer writes either JSON (one value per command) or text.
type printer struct {
	w    io.Writer
	json bool
}

// result prints v as JSON, or calls text to print it for people.
func (p printer) result(v any, text func(w io.Writer)) error {
	if p.json {
		enc := json.NewEncoder(p.w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text(p.w)
	return nil
}

// fields prints a record's fields one per line, sorted.
func printFields(w io.Writer, r *clientsdk.Record) {
	pending := ""
	if r.Pending {
		pending = "  (changes not yet synced)"
	}
	fmt.Fprintf(w, "%s %s  version %d%s\n", r.Collection, r.ID, r.Version, pending)
	for _, k := range sortedKeys(r.Fields) {
		fmt.Fprintf(w, "  %-20s %s\n", k, string(r.Fields[k]))
	}
	if r.Meta.OpenConflicts > 0 {
		fmt.Fprintf(w, "  ! %d open conflict(s)\n", r.Meta.OpenConflicts)
	}
	if s := r.Meta.Signatures; s != nil {
		fmt.Fprintf(w, "  signatures: %d valid signer(s), satisfied=%v, content %s\n", len(s.ValidSigners), s.Satisfied, s.ContentHash)
	}
	if r.Meta.Submitted {
		fmt.Fprintf(w, "  submitted at %s\n", r.Meta.SubmittedAt)
	}
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

// bar draws sync progress on one terminal line per phase.
type bar struct {
	w     io.Writer
	phase string
	item  string
}

func (b *bar) update(p clientsdk.Progress) {
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
