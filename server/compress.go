package server

import (
	"encoding/json"
	"errors"
	"runtime"
	"slices"
	"sync"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

// Large values are stored zstd-compressed: audit details (column
// detail_zstd) and records' fields (column fields_s2), with the plain
// column left empty. A value is compressed when it has at least
// CompressMin bytes and compression saves an eighth or more. A record's
// fields or a create's audit detail is ~2 KB and compresses several times:
// such a row used to take half a 4 KiB page or more.
//
// Hashes are over the plain value, never over its stored form, so rows
// written before and after compression verify alike.
const CompressMin = 256

// compressWorkers is the most values compressed at once.
const compressWorkers = 4

// maxStored bounds what one stored value may decompress to.
const maxStored = 64 << 20

var (
	// Up to compressWorkers EncodeAll calls run at once (StoredDetails,
	// StoredFieldsAll, and writers of several counties on PostgreSQL);
	// more wait for one. No frame checksum: the row hash covers a detail,
	// the audit chain's fields hash a record's fields.
	zenc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(compressWorkers),
		zstd.WithEncoderCRC(false))
	zdec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(maxStored))
)

// compress returns v's stored form: v and nil, or nil and its zstd
// compression.
func compress(v []byte) (plain, z []byte) {
	if len(v) < CompressMin {
		return v, nil
	}
	z = zenc.EncodeAll(v, make([]byte, 0, len(v)/2))
	if len(z) > len(v)-len(v)/8 {
		return v, nil
	}
	return nil, z
}

// compressS2 is compress with S2 (its block format).
func compressS2(v []byte) (plain, z []byte) {
	if len(v) < CompressMin {
		return v, nil
	}
	z = s2.Encode(make([]byte, s2.MaxEncodedLen(len(v))), v)
	if len(z) > len(v)-len(v)/8 {
		return v, nil
	}
	return nil, z
}

// compressAll runs f(i) for i in [0, n) on up to GOMAXPROCS cores: a push
// writes hundreds of rows while it holds the county's single writer,
// which need not wait for one core to compress them all.
func compressAll(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), compressWorkers, max(n/32, 1))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				f(i)
			}
		})
	}
	wg.Wait()
}

// StoredDetail returns the columns that store an audit detail: the detail
// itself and nil, or "" and its zstd compression.
func StoredDetail(detail string) (plain string, z []byte) {
	p, z := compress([]byte(detail))
	return string(p), z
}

// StoredDetails is StoredDetail for many details at once.
func StoredDetails(details []string) (plain []string, z [][]byte) {
	plain, z = make([]string, len(details)), make([][]byte, len(details))
	compressAll(len(details), func(i int) { plain[i], z[i] = StoredDetail(details[i]) })
	return plain, z
}

// LoadDetail is the detail stored as (plain, z) by StoredDetail. A row
// that holds both, or whose compressed form does not decompress, was
// written by something else: the detail returned then differs from
// anything StoredDetail could have stored, so its row hash fails.
func LoadDetail(plain string, z []byte) string {
	if len(z) == 0 {
		return plain
	}
	d, err := zdec.DecodeAll(z, nil)
	if err != nil {
		return plain + "\x00detail_zstd does not decompress: " + err.Error()
	}
	if plain != "" {
		return plain + "\x00" + string(d)
	}
	return string(d)
}

// FieldsQueried are the collections whose fields SQL reads (a signature's
// key and content hash, a photo's SHA-256 and kind) or an operator's
// report may (a case's state): their fields are always stored plain.
// They are few beside households and members.
var FieldsQueried = map[string]bool{"signatures": true, "photos": true, "cases": true}

// StoredFields returns the columns that store a record's encoded fields
// (EncodeFields): the fields and nil, or nil and their S2 compression.
func StoredFields(collection string, fields []byte) (plain, z []byte) {
	if FieldsQueried[collection] {
		return fields, nil
	}
	return compressS2(fields)
}

// StoredFieldsAll is StoredFields for many records at once: plain[i] and
// z[i] store fields[i] of collections[i].
func StoredFieldsAll(collections []string, fields [][]byte) (plain, z [][]byte) {
	plain, z = make([][]byte, len(fields)), make([][]byte, len(fields))
	compressAll(len(fields), func(i int) { plain[i], z[i] = StoredFields(collections[i], fields[i]) })
	return plain, z
}

// ErrStoredFields is the error of LoadFields for a row ruhu did not write.
var ErrStoredFields = errors.New("the record's stored fields were not written by ruhu")

// LoadFields returns the fields stored as (plain, z) by StoredFields,
// appended to dst. A row that holds both, or whose compressed form does
// not decompress, was not written by ruhu: ErrStoredFields.
func LoadFields(dst, plain, z []byte) ([]byte, error) {
	if len(z) == 0 {
		return append(dst, plain...), nil
	}
	n, err := s2.DecodedLen(z)
	if err != nil || len(plain) != 0 || n > maxStored {
		return nil, errors.Join(ErrStoredFields, err)
	}
	dst = slices.Grow(dst, n)
	d, err := s2.Decode(dst[len(dst):len(dst)+n], z) // decodes in place: it has room
	if err != nil {
		return nil, errors.Join(ErrStoredFields, err)
	}
	return append(dst, d...), nil // d is already dst's tail: a copy onto itself
}

// SlabFields is LoadFields into a slab that many records' fields share,
// as the change feed reads a page: it returns the slab with the fields
// appended and the fields themselves (capped, so appending to them never
// writes into the slab). A slab without room is replaced by a new one of
// 64 KiB or more; fields handed out before keep the old one.
func SlabFields(slab, plain, z []byte) ([]byte, json.RawMessage, error) {
	n := len(plain)
	if len(z) > 0 {
		if d, err := s2.DecodedLen(z); err == nil && d <= maxStored {
			n = d // else LoadFields refuses it
		}
	}
	if cap(slab)-len(slab) < n {
		slab = make([]byte, 0, max(64<<10, n))
	}
	start := len(slab)
	b, err := LoadFields(slab, plain, z)
	if err != nil {
		return slab, nil, err
	}
	return b, json.RawMessage(b[start:len(b):len(b)]), nil
}
