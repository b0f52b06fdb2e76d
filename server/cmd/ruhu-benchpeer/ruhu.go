package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os/exec"
	"strconv"
	"time"

	"github.com/ruhu-org/ruhu/server/app"
	"github.com/ruhu-org/ruhu/server/cmd/internal/serveproc"
	"github.com/ruhu-org/ruhu/syncproto"
)

const benchDevice = "bench-peer"

// ruhuTarget is ruhu serve on a fresh --data directory seeded with the
// demo county, pushed to by village worker worker1.
type ruhuTarget struct {
	targetBase
	bin      string
	versions []int64
}

func newRuhu(bin string, docs []map[string]json.RawMessage, o options) *ruhuTarget {
	return &ruhuTarget{targetBase: targetBase{docs: docs, o: o}, bin: bin}
}

func (r *ruhuTarget) name() string { return "ruhu" }

func (r *ruhuTarget) start(ctx context.Context, dir string) error {
	r.dir = dir
	if out, err := exec.CommandContext(ctx, r.bin, "demo", "--data", r.dataDir()).CombinedOutput(); err != nil {
		return fmt.Errorf("ruhu demo: %w: %s", err, out)
	}
	addr, err := serveproc.FreeAddr()
	if err != nil {
		return err
	}
	if r.p, err = startProc(dir, r.bin, "serve", "--data", r.dataDir(), "--addr", addr); err != nil {
		return err
	}
	base := "http://" + addr
	if err := r.p.WaitReady(ctx, base+"/healthz", 60*time.Second); err != nil {
		return err
	}
	r.c = newClient(base)
	body, _ := json.Marshal(syncproto.LoginRequest{Username: "worker1", Password: app.DemoPassword, DeviceID: benchDevice})
	var tok syncproto.TokenResponse
	if _, err := r.c.do(ctx, "POST", "/v1/auth/login", body, &tok); err != nil {
		return err
	}
	r.c.token = tok.AccessToken
	r.versions = make([]int64, len(r.docs))
	r.batches = r.batches[:0]
	for lo := 0; lo < len(r.docs); lo += r.o.Batch {
		req := syncproto.PushRequest{DeviceID: benchDevice}
		for i := lo; i < min(lo+r.o.Batch, len(r.docs)); i++ {
			req.Mutations = append(req.Mutations, syncproto.Mutation{MutationID: int64(i + 1),
				Collection: syncproto.CollHouseholds, ID: docID(i), Op: syncproto.OpUpsert, Fields: r.docs[i]})
		}
		b, err := json.Marshal(req)
		if err != nil {
			return err
		}
		r.batches = append(r.batches, b)
	}
	return nil
}

// send pushes one encoded batch of mutations numbered from first, again
// while the server answers it incomplete, and keeps each record's version.
func (r *ruhuTarget) send(ctx context.Context, body []byte, first, n int, docIndex func(int) int) (int64, error) {
	var wire int64
	for range 100 {
		var resp syncproto.PushResponse
		w, err := r.c.do(ctx, "POST", "/v1/sync/push", body, &resp)
		wire += w
		if err != nil {
			return wire, err
		}
		if len(resp.Results) != n {
			return wire, fmt.Errorf("%d results for %d mutations", len(resp.Results), n)
		}
		for j, res := range resp.Results {
			switch res.Status {
			case syncproto.StatusApplied:
				r.versions[docIndex(first+j)] = res.Version
			case syncproto.StatusRejected:
				if !resp.Incomplete || res.Error == nil || res.Error.Code != syncproto.CodeMutationOutOfOrder {
					return wire, fmt.Errorf("mutation %d: %s %+v", res.MutationID, res.Status, res.Error)
				}
			default:
				return wire, fmt.Errorf("mutation %d: %s %+v", res.MutationID, res.Status, res.Error)
			}
		}
		if !resp.Incomplete {
			return wire, nil
		}
	}
	return wire, fmt.Errorf("push still incomplete after 100 tries")
}

func (r *ruhuTarget) push(ctx context.Context, lo, hi int) (int64, error) {
	return r.send(ctx, r.batches[lo/r.o.Batch], lo, hi-lo, func(i int) int { return i })
}

// pull reads every change, paged, and decodes every page whole: each
// change with its fields and meta, as a client keeps them, with
// syncproto.DecodePull (what json.Unmarshal gives, every value validated,
// UTF-8 included, several times faster). Pages are
// pipelined, as a tablet's client could do: once a page's body has
// arrived, its cursor is read from the body's tail (peekCursor) and the
// next page is asked for while this one is decoded; the decoded cursor
// must then be the one read ahead. The connection is never shared: a
// body is read whole before the next request.
func (r *ruhuTarget) pull(ctx context.Context) (int, int64, error) {
	var wire int64
	n, cursor := 0, ""
	var bufs [2][]byte           // the page being read, the one being decoded
	var decoding chan pageResult // the page being decoded
	wait := func() error {
		if decoding == nil {
			return nil
		}
		p := <-decoding
		decoding = nil
		n += p.n
		return p.err
	}
	defer wait()
	for k := 0; ; k++ {
		body, err := r.c.send(ctx, "GET", "/v1/sync/pull?limit="+strconv.Itoa(r.o.Page)+"&cursor="+url.QueryEscape(cursor), nil, bufs[k%2])
		bufs[k%2] = body
		wire += int64(len(body))
		if err != nil {
			return n, wire, err
		}
		next, more, err := peekCursor(body)
		if err != nil {
			return n, wire, err
		}
		if err := wait(); err != nil {
			return n, wire, err
		}
		decoding = make(chan pageResult, 1)
		go func() { decoding <- decodePage(body, next, more) }()
		if !more {
			err := wait()
			return n, wire, err
		}
		cursor = next
	}
}

// pageResult is what decoding a pull page found: its live households.
type pageResult struct {
	n   int
	err error
}

// decodePage decodes a pull page, counts its live households and checks
// that its cursor and has_more are the ones read ahead.
func decodePage(body []byte, cursor string, more bool) pageResult {
	var page syncproto.PullResponse
	if err := syncproto.DecodePull(body, &page); err != nil {
		return pageResult{err: fmt.Errorf("pull: decode: %w", err)}
	}
	if page.Cursor != cursor || page.HasMore != more {
		return pageResult{err: fmt.Errorf("pull: page ends with cursor %q has_more %v, read ahead %q %v",
			page.Cursor, page.HasMore, cursor, more)}
	}
	n := 0
	for _, c := range page.Changes {
		if c.Collection == syncproto.CollHouseholds && !c.Deleted && len(c.Fields) > 2 {
			n++
		}
	}
	return pageResult{n: n}
}

// peekCursor reads the cursor and has_more of a pull page from its tail,
// `,"cursor":"…","has_more":…}`: they are the page's last members, and a
// `"cursor":` key inside a change comes before them.
func peekCursor(body []byte) (cursor string, more bool, err error) {
	i := bytes.LastIndex(body, []byte(`,"cursor":`))
	if i < 0 {
		return "", false, fmt.Errorf("pull: no cursor in the page")
	}
	var tail struct {
		Cursor  string `json:"cursor"`
		HasMore bool   `json:"has_more"`
	}
	if err := decodeJSON(append([]byte{'{'}, body[i+1:]...), &tail); err != nil {
		return "", false, fmt.Errorf("pull: page tail: %w", err)
	}
	return tail.Cursor, tail.HasMore, nil
}

func (r *ruhuTarget) prepareUpdates(n int) error {
	r.updates = r.updates[:0]
	for lo := 0; lo < n; lo += r.o.Batch {
		req := syncproto.PushRequest{DeviceID: benchDevice}
		for i := lo; i < min(lo+r.o.Batch, n); i++ {
			if r.versions[i] == 0 {
				return fmt.Errorf("no version for document %d", i)
			}
			req.Mutations = append(req.Mutations, syncproto.Mutation{MutationID: int64(len(r.docs) + i + 1),
				Collection: syncproto.CollHouseholds, ID: docID(i), Op: syncproto.OpUpsert, BaseVersion: r.versions[i],
				Fields: changedFields(i)})
		}
		b, err := json.Marshal(req)
		if err != nil {
			return err
		}
		r.updates = append(r.updates, b)
	}
	r.o.Updates = n
	return nil
}

func (r *ruhuTarget) update(ctx context.Context) (int64, error) {
	var wire int64
	for k, body := range r.updates {
		lo := k * r.o.Batch
		w, err := r.send(ctx, body, lo, min(r.o.Batch, r.o.Updates-lo), func(i int) int { return i })
		wire += w
		if err != nil {
			return wire, fmt.Errorf("update %d: %w", lo, err)
		}
	}
	return wire, nil
}
