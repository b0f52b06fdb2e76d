package syncproto

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// DecodePull decodes a pull page into r (reset first) with the result
// json.Unmarshal gives, several times faster on the pages a server
// writes. It validates the whole page in one pass, fields and meta
// included (JSON syntax and UTF-8 of every string), and copies fields and
// meta into a few shared buffers. A page it does not read on its fast
// path (an unknown or repeated key, an escaped or invalid UTF-8 string
// where a Go string is wanted, a number that is not a plain int64, null,
// a syntax error, nesting deeper than 512) goes to json.Unmarshal, which
// then decides the result or the error.
func DecodePull(b []byte, r *PullResponse) error {
	*r = PullResponse{}
	d := pullDecoder{b: b}
	if d.page(r) {
		return nil
	}
	*r = PullResponse{}
	return json.Unmarshal(b, r)
}

// pullDecoder reads a pull page; each method reports false when the fast
// path cannot go on.
type pullDecoder struct {
	b    []byte
	i    int
	slab []byte // the copies of fields and meta
}

const maxDecodeDepth = 512

func (d *pullDecoder) page(r *PullResponse) bool {
	var seen [3]bool
	ok := d.object(func(key []byte) bool {
		switch string(key) {
		case "changes":
			return once(&seen[0]) && d.changes(r)
		case "cursor":
			return once(&seen[1]) && d.string(&r.Cursor)
		case "has_more":
			return once(&seen[2]) && d.bool(&r.HasMore)
		}
		return false
	})
	d.ws()
	return ok && d.i == len(d.b)
}

// once reports whether a key is met the first time.
func once(seen *bool) bool {
	if *seen {
		return false
	}
	*seen = true
	return true
}

func (d *pullDecoder) changes(r *PullResponse) bool {
	d.ws()
	if !d.eat('[') {
		return false
	}
	r.Changes = []Change{}
	d.ws()
	if d.eat(']') {
		return true
	}
	for {
		r.Changes = append(r.Changes, Change{})
		if !d.change(&r.Changes[len(r.Changes)-1]) {
			return false
		}
		d.ws()
		if d.eat(']') {
			return true
		}
		if !d.eat(',') {
			return false
		}
	}
}

func (d *pullDecoder) change(c *Change) bool {
	var seen [6]bool
	return d.object(func(key []byte) bool {
		switch string(key) {
		case "collection":
			return once(&seen[0]) && d.string(&c.Collection)
		case "id":
			return once(&seen[1]) && d.string(&c.ID)
		case "version":
			return once(&seen[2]) && d.int64(&c.Version)
		case "deleted":
			return once(&seen[3]) && d.bool(&c.Deleted)
		case "fields":
			return once(&seen[4]) && d.raw(&c.Fields)
		case "meta":
			return once(&seen[5]) && d.raw(&c.Meta)
		}
		return false
	})
}

// object reads an object whose keys are plain strings, calling member
// with each key when the reader is at its value.
func (d *pullDecoder) object(member func(key []byte) bool) bool {
	d.ws()
	if !d.eat('{') {
		return false
	}
	d.ws()
	if d.eat('}') {
		return true
	}
	for {
		key, ok := d.plain()
		if !ok {
			return false
		}
		d.ws()
		if !d.eat(':') || !member(key) {
			return false
		}
		d.ws()
		if d.eat('}') {
			return true
		}
		if !d.eat(',') {
			return false
		}
		d.ws()
	}
}

// plain reads a string without escapes, of valid UTF-8.
func (d *pullDecoder) plain() ([]byte, bool) {
	if !d.eat('"') {
		return nil, false
	}
	start := d.i
	for d.i < len(d.b) && !strStop[d.b[d.i]] {
		d.i++
	}
	if d.i == len(d.b) || d.b[d.i] != '"' || !utf8.Valid(d.b[start:d.i]) {
		return nil, false
	}
	d.i++
	return d.b[start : d.i-1], true
}

func (d *pullDecoder) string(s *string) bool {
	d.ws()
	v, ok := d.plain()
	*s = string(v)
	return ok
}

func (d *pullDecoder) bool(v *bool) bool {
	d.ws()
	switch {
	case d.lit("true"):
		*v = true
	case d.lit("false"):
		*v = false
	default:
		return false
	}
	return true
}

// int64 reads an integer without fraction or exponent that fits.
func (d *pullDecoder) int64(v *int64) bool {
	d.ws()
	start := d.i
	d.eat('-')
	digits := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	if d.i == digits || (d.b[digits] == '0' && d.i > digits+1) || (d.i < len(d.b) && (d.b[d.i] == '.' || d.b[d.i] == 'e' || d.b[d.i] == 'E')) {
		return false
	}
	n, err := strconv.ParseInt(string(d.b[start:d.i]), 10, 64)
	*v = n
	return err == nil
}

// raw validates any value other than null and copies its bytes.
func (d *pullDecoder) raw(v *json.RawMessage) bool {
	d.ws()
	start := d.i
	if d.lit("null") || !d.value(0) {
		return false
	}
	n := d.i - start
	if cap(d.slab)-len(d.slab) < n {
		d.slab = make([]byte, 0, max(64<<10, n))
	}
	at := len(d.slab)
	d.slab = append(d.slab, d.b[start:d.i]...)
	*v = d.slab[at:len(d.slab):len(d.slab)]
	return true
}

// value validates one JSON value.
func (d *pullDecoder) value(depth int) bool {
	if d.i >= len(d.b) || depth > maxDecodeDepth {
		return false
	}
	switch c := d.b[d.i]; {
	case c == '{':
		d.i++
		d.ws()
		if d.eat('}') {
			return true
		}
		for {
			if !d.str() {
				return false
			}
			d.ws()
			if !d.eat(':') {
				return false
			}
			d.ws()
			if !d.value(depth + 1) {
				return false
			}
			d.ws()
			if d.eat('}') {
				return true
			}
			if !d.eat(',') {
				return false
			}
			d.ws()
		}
	case c == '[':
		d.i++
		d.ws()
		if d.eat(']') {
			return true
		}
		for {
			if !d.value(depth + 1) {
				return false
			}
			d.ws()
			if d.eat(']') {
				return true
			}
			if !d.eat(',') {
				return false
			}
			d.ws()
		}
	case c == '"':
		return d.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	}
	return d.lit("true") || d.lit("false") || d.lit("null")
}

// str validates a string: escapes, no control characters, valid UTF-8.
func (d *pullDecoder) str() bool {
	if !d.eat('"') {
		return false
	}
	for {
		run := d.i
		for d.i < len(d.b) && !strStop[d.b[d.i]] {
			d.i++
		}
		if !utf8.Valid(d.b[run:d.i]) {
			return false
		}
		switch {
		case d.i == len(d.b) || d.b[d.i] < 0x20:
			return false
		case d.b[d.i] == '"':
			d.i++
			return true
		case !d.escape():
			return false
		}
	}
}

// strStop marks the bytes that end a run of plain string bytes.
var strStop = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

func (d *pullDecoder) escape() bool {
	if d.i+1 >= len(d.b) {
		return false
	}
	switch d.b[d.i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		d.i += 2
		return true
	case 'u':
		if d.i+6 > len(d.b) {
			return false
		}
		for _, h := range d.b[d.i+2 : d.i+6] {
			if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
				return false
			}
		}
		d.i += 6
		return true
	}
	return false
}

// number validates a JSON number.
func (d *pullDecoder) number() bool {
	d.eat('-')
	if d.eat('0') {
		// no more digits after a leading zero
	} else if !d.digits() {
		return false
	}
	if d.eat('.') && !d.digits() {
		return false
	}
	if d.eat('e') || d.eat('E') {
		if !d.eat('+') {
			d.eat('-')
		}
		return d.digits()
	}
	return true
}

// digits reads one or more digits.
func (d *pullDecoder) digits() bool {
	start := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	return d.i > start
}

func (d *pullDecoder) lit(s string) bool {
	if len(d.b)-d.i >= len(s) && string(d.b[d.i:d.i+len(s)]) == s {
		d.i += len(s)
		return true
	}
	return false
}

func (d *pullDecoder) eat(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *pullDecoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}
