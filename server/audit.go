package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// GenesisHash is the prev_hash of a chain's first audit row.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// AuditRow is one audit row as stored and hashed.
type AuditRow struct {
	County     string
	Seq        int64
	At         string // RFC 3339 with nanoseconds, UTC
	ActorID    string
	DeviceID   string
	Action     string
	ObjectType string
	ObjectID   string
	Detail     string // JSON
	PrevHash   string
	Hash       string
}

// NewAuditRow builds the row that follows (seq, prev) in a chain for e,
// with its hash.
func NewAuditRow(seq int64, prev string, e AuditEntry) (AuditRow, error) {
	detail, err := e.DetailJSON()
	if err != nil {
		return AuditRow{}, err
	}
	r := AuditRow{Seq: seq + 1, At: e.At.UTC().Format(time.RFC3339Nano), ActorID: e.ActorID, DeviceID: e.DeviceID,
		Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID, Detail: string(detail), PrevHash: prev}
	r.Hash = RowHash(prev, r)
	return r, nil
}

// RowHash is SHA-256 over the previous hash and each column of the row,
// every column length-prefixed so no two rows encode alike.
func RowHash(prev string, r AuditRow) string {
	buf := make([]byte, 0, 256+len(r.Detail))
	buf = append(buf, prev...)
	buf = append(buf, '\n')
	buf = strconv.AppendInt(buf, r.Seq, 10)
	for _, col := range []string{r.At, r.ActorID, r.DeviceID, r.Action, r.ObjectType, r.ObjectID, r.Detail} {
		buf = append(buf, '\n')
		buf = strconv.AppendInt(buf, int64(len(col)), 10)
		buf = append(buf, ':')
		buf = append(buf, col...)
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}

// RawJSON is an audit detail already encoded as JSON.
type RawJSON []byte

// DetailJSON encodes the entry's detail.
func (e AuditEntry) DetailJSON() ([]byte, error) {
	switch d := e.Detail.(type) {
	case RawJSON:
		return d, nil
	case json.RawMessage:
		return d, nil
	}
	b, err := json.Marshal(e.Detail)
	if err != nil {
		return nil, fmt.Errorf("audit detail: %w", err)
	}
	return b, nil
}

// AuditBreak describes the first row whose chain does not verify.
type AuditBreak struct {
	County string
	Seq    int64
	Reason string
}

// ChainVerifier checks audit rows of one or more chains, fed in chain
// order per county. With Anchor set it also checks that the chain still
// holds that head exactly (a head kept elsewhere: the daily report, the
// county server), which catches a log re-chained after an edit or cut
// below its newest rows.
type ChainVerifier struct {
	heads map[string]AuditRow
	Rows  int64
	// Records is the number of live records cross-checked against the
	// chain (engine.CheckAudit).
	Records int64
	Break   *AuditBreak
	Anchor  *AuditHead
	found   bool
}

// AuditHead names the newest row of a county's chain: its number and hash.
type AuditHead struct {
	County string
	Seq    int64
	Hash   string
}

// String is the head's one-line token, "<rows>:<hash>", prefixed with
// "<county>/" when the county is named.
func (h AuditHead) String() string {
	t := strconv.FormatInt(h.Seq, 10) + ":" + h.Hash
	if h.County != "" {
		return h.County + "/" + t
	}
	return t
}

// ParseAuditHead reads a token made by AuditHead.String.
func ParseAuditHead(token string) (AuditHead, error) {
	var h AuditHead
	rest := token
	if i := strings.LastIndex(token, "/"); i >= 0 {
		h.County, rest = token[:i], token[i+1:]
	}
	seq, hash, ok := strings.Cut(rest, ":")
	n, err := strconv.ParseInt(seq, 10, 64)
	if !ok || err != nil || n < 1 || len(hash) != 64 {
		return h, fmt.Errorf("audit head %q: want <rows>:<64 hex digits>, optionally after <county>/", token)
	}
	h.Seq, h.Hash = n, strings.ToLower(hash)
	return h, nil
}

// Heads returns the newest row of each chain read so far.
func (v *ChainVerifier) Heads() []AuditHead {
	out := make([]AuditHead, 0, len(v.heads))
	for c, r := range v.heads {
		out = append(out, AuditHead{County: c, Seq: r.Seq, Hash: r.Hash})
	}
	slices.SortFunc(out, func(a, b AuditHead) int { return strings.Compare(a.County, b.County) })
	return out
}

// Finish reports an anchor the chain no longer reaches; call it after the
// last row.
func (v *ChainVerifier) Finish() {
	if v.Break == nil && v.Anchor != nil && !v.found {
		v.Break = &AuditBreak{v.Anchor.County, v.Anchor.Seq,
			fmt.Sprintf("the chain no longer reaches the anchored head %s: rows were cut", v.Anchor)}
	}
}

// Add checks the next row; after the first break it does nothing.
func (v *ChainVerifier) Add(r AuditRow) {
	if v.Break != nil {
		return
	}
	if v.heads == nil {
		v.heads = map[string]AuditRow{}
	}
	v.Rows++
	prev, ok := v.heads[r.County]
	want, prevHash := int64(1), GenesisHash
	if ok {
		want, prevHash = prev.Seq+1, prev.Hash
	}
	switch {
	case r.Seq != want:
		v.Break = &AuditBreak{r.County, r.Seq, fmt.Sprintf("expected row %d: a row is missing", want)}
	case r.PrevHash != prevHash:
		v.Break = &AuditBreak{r.County, r.Seq, "prev_hash does not match the previous row's hash"}
	case RowHash(prevHash, r) != r.Hash:
		v.Break = &AuditBreak{r.County, r.Seq, "row content does not match its hash (edited)"}
	case v.Anchor != nil && r.County == v.Anchor.County && r.Seq == v.Anchor.Seq:
		v.found = true
		if r.Hash != v.Anchor.Hash {
			v.Break = &AuditBreak{r.County, r.Seq, "the row differs from the anchored head: the log was rewritten and re-chained"}
		}
	}
	v.heads[r.County] = r
}

// FieldsHashKey is the audit detail key that commits a row about a record
// to the record's fields as they stood after the write: the hex SHA-256 of
// the fields encoded by EncodeFields, as the stores keep them. audit
// verify recomputes it from each record to find rows edited behind the
// engine's back.
const FieldsHashKey = "fields_sha256"

// An audit row about a record that carries FieldsHashKey also says how the
// fields changed since the previous such row: FieldsBeforeKey holds the
// previous values of the fields that changed or went (always present, {}
// when none did), FieldsNewKey the fields that did not exist before (absent
// when none). The chain thus holds every value a record ever had once:
// the current values are in the record, each older one in the row after
// which it changed. A create's row holds no values at all, only the
// names of its fields and the hash; walking back from the record through
// these rows gives the fields after every row, which the hashes confirm
// (engine.CheckAudit) and the trail shows (engine.AuditTrail).
const (
	FieldsBeforeKey = "fields_before"
	FieldsNewKey    = "fields_new"
)

// FieldsHash is the hex SHA-256 of a record's fields as EncodeFields
// encodes them.
func FieldsHash(fields map[string]json.RawMessage) string {
	sum := sha256.Sum256(EncodeFields(fields))
	return hex.EncodeToString(sum[:])
}

// WithDetailKey returns detail (a JSON object, or null) with "key":value
// added first, the value a plain string. Any other detail is returned
// unchanged.
func WithDetailKey(detail []byte, key, value string) []byte {
	return WithDetailRaw(detail, key, []byte(`"`+value+`"`))
}

// WithDetailRaw is WithDetailKey for a value already encoded as JSON.
func WithDetailRaw(detail []byte, key string, value []byte) []byte {
	d := bytes.TrimSpace(detail)
	if len(d) == 0 || string(d) == "null" {
		d = []byte("{}")
	}
	if d[0] != '{' {
		return detail
	}
	out := make([]byte, 0, len(d)+len(key)+len(value)+8)
	out = appendKey(append(out, '{'), key)
	out = append(out, value...)
	rest := bytes.TrimSpace(d[1:])
	if len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
	}
	return append(out, rest...)
}
