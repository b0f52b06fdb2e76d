package rules

import (
	"time"

	"github.com/ruhu-org/ruhu/syncproto"
)

// Limits bounds the work one request may cause and the size of what is
// stored, so that one client cannot hold the single writer or fill every
// tablet of a village. A zero field means its default (DefaultLimits).
type Limits struct {
	// PushWork is the most new mutations one push applies; the rest are
	// answered as not processed and the client pushes them again.
	PushWork int
	// PushTime is how long one push may apply mutations before it stops
	// and answers the rest as not processed.
	PushTime time.Duration
	// MaxDepth is the deepest nesting of arrays and objects in a field
	// value (a top-level array of objects is depth 2).
	MaxDepth int
	// MaxItemBytes bounds every string inside an array or object value.
	MaxItemBytes int
	// MaxValueBytes bounds the encoded size of one array or object value.
	MaxValueBytes int
	// MaxRecordBytes bounds the encoded size of a mutation's fields.
	MaxRecordBytes int
	// PullPageBytes stops a pull page once its changes' encoded size
	// passes it (has_more is then true).
	PullPageBytes int
	// RejectedPayloadsPerDay is how many rejected or conflicting mutations
	// per user and UTC day keep their payload; beyond, only the reason is
	// kept.
	RejectedPayloadsPerDay int
}

// DefaultLimits are the limits a server runs with unless configured.
var DefaultLimits = Limits{
	PushWork:               1000,
	PushTime:               2 * time.Second,
	MaxDepth:               syncproto.MaxValueDepth,
	MaxItemBytes:           syncproto.MaxItemBytes,
	MaxValueBytes:          syncproto.MaxValueBytes,
	MaxRecordBytes:         syncproto.MaxRecordBytes,
	PullPageBytes:          4 << 20,
	RejectedPayloadsPerDay: 200,
}

// WithDefaults returns l with every zero field set to its default.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits
	if l.PushWork > 0 {
		d.PushWork = l.PushWork
	}
	if l.PushTime > 0 {
		d.PushTime = l.PushTime
	}
	if l.MaxDepth > 0 {
		d.MaxDepth = l.MaxDepth
	}
	if l.MaxItemBytes > 0 {
		d.MaxItemBytes = l.MaxItemBytes
	}
	if l.MaxValueBytes > 0 {
		d.MaxValueBytes = l.MaxValueBytes
	}
	if l.MaxRecordBytes > 0 {
		d.MaxRecordBytes = l.MaxRecordBytes
	}
	if l.PullPageBytes > 0 {
		d.PullPageBytes = l.PullPageBytes
	}
	if l.RejectedPayloadsPerDay > 0 {
		d.RejectedPayloadsPerDay = l.RejectedPayloadsPerDay
	}
	return d
}
