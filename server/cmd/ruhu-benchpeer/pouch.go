package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ruhu-org/ruhu/server/cmd/internal/serveproc"
)

// installPouch returns the pouchdb-server script, npm-installing it into
// o.PouchDir (default: the user cache dir) unless it is there already.
func installPouch(ctx context.Context, o options, work string, log io.Writer) (string, error) {
	dir := o.PouchDir
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = work
		}
		dir = filepath.Join(cache, "ruhu-bench-peer", "pouchdb-server-"+o.PouchVersion)
	}
	script := filepath.Join(dir, "node_modules", "pouchdb-server", "bin", "pouchdb-server")
	if _, err := os.Stat(script); err == nil {
		return script, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	fmt.Fprintf(log, "npm install pouchdb-server@%s into %s (about a minute) …\n", o.PouchVersion, dir)
	cmd := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", dir,
		"pouchdb-server@"+o.PouchVersion)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("npm install pouchdb-server: %w", err)
	}
	return script, nil
}

// pouchTarget is pouchdb-server (LevelDB) with one database, "bench".
type pouchTarget struct {
	targetBase
	script string
	revs   []string
}

func newPouch(script string, docs []map[string]json.RawMessage, o options) *pouchTarget {
	return &pouchTarget{targetBase: targetBase{docs: docs, o: o}, script: script}
}

func (p *pouchTarget) name() string { return "pouch" }

// pouchDoc is a document with its _id (and _rev for an update) first.
func pouchDoc(id, rev string, fields map[string]json.RawMessage) map[string]json.RawMessage {
	d := make(map[string]json.RawMessage, len(fields)+2)
	for k, v := range fields {
		d[k] = v
	}
	d["_id"], _ = json.Marshal(id)
	if rev != "" {
		d["_rev"], _ = json.Marshal(rev)
	}
	return d
}

func (p *pouchTarget) start(ctx context.Context, dir string) error {
	p.dir = dir
	if err := os.MkdirAll(p.dataDir(), 0o700); err != nil {
		return err
	}
	addr, err := serveproc.FreeAddr()
	if err != nil {
		return err
	}
	host, port, _ := net.SplitHostPort(addr)
	// node runs the script itself, so the pid measured is the server's.
	if p.p, err = startProc(dir, "node", p.script, "--host", host, "--port", port,
		"--dir", p.dataDir(), "--config", filepath.Join(dir, "config.json"), "--no-stdout-logs"); err != nil {
		return err
	}
	p.c = newClient("http://" + addr)
	if err := p.p.WaitReady(ctx, p.c.base+"/", 60*time.Second); err != nil {
		return err
	}
	if _, err := p.c.do(ctx, "PUT", "/bench", nil, nil); err != nil {
		return err
	}
	p.revs = make([]string, len(p.docs))
	p.batches = p.batches[:0]
	for lo := 0; lo < len(p.docs); lo += p.o.Batch {
		var body struct {
			Docs []map[string]json.RawMessage `json:"docs"`
		}
		for i := lo; i < min(lo+p.o.Batch, len(p.docs)); i++ {
			body.Docs = append(body.Docs, pouchDoc(docID(i), "", p.docs[i]))
		}
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		p.batches = append(p.batches, b)
	}
	return nil
}

type bulkResult struct {
	OK     bool   `json:"ok"`
	ID     string `json:"id"`
	Rev    string `json:"rev"`
	Error  string `json:"error"`
	Reason string `json:"reason"`
}

func (p *pouchTarget) bulk(ctx context.Context, body []byte, lo, n int) (int64, error) {
	var res []bulkResult
	wire, err := p.c.do(ctx, "POST", "/bench/_bulk_docs", body, &res)
	if err != nil {
		return wire, err
	}
	if len(res) != n {
		return wire, fmt.Errorf("%d results for %d documents", len(res), n)
	}
	// pouchdb-server does not always answer in request order: match by id.
	for _, r := range res {
		i, err := strconv.Atoi(strings.TrimPrefix(r.ID, "h"))
		if !r.OK || r.Rev == "" || err != nil || i-1 < lo || i-1 >= lo+n {
			return wire, fmt.Errorf("document %s: %s %s", r.ID, r.Error, r.Reason)
		}
		p.revs[i-1] = r.Rev
	}
	return wire, nil
}

func (p *pouchTarget) push(ctx context.Context, lo, hi int) (int64, error) {
	return p.bulk(ctx, p.batches[lo/p.o.Batch], lo, hi-lo)
}

func (p *pouchTarget) pull(ctx context.Context) (int, int64, error) {
	var wire int64
	n := 0
	since := json.RawMessage("0")
	for {
		var page struct {
			Results []struct {
				ID      string          `json:"id"`
				Seq     json.RawMessage `json:"seq"`
				Deleted bool            `json:"deleted"`
				Doc     json.RawMessage `json:"doc"` // as ruhu's fields: kept raw

			} `json:"results"`
			LastSeq json.RawMessage `json:"last_seq"`
		}
		w, err := p.c.do(ctx, "GET", "/bench/_changes?include_docs=true&limit="+strconv.Itoa(p.o.Page)+
			"&since="+string(since), nil, &page)
		wire += w
		if err != nil {
			return n, wire, err
		}
		for _, r := range page.Results {
			if !r.Deleted && len(r.Doc) > 0 && string(r.Doc) != "null" {
				n++
			}
		}
		since = page.LastSeq
		if len(page.Results) < p.o.Page {
			return n, wire, nil
		}
	}
}

func (p *pouchTarget) prepareUpdates(n int) error {
	p.updates = p.updates[:0]
	for lo := 0; lo < n; lo += p.o.Batch {
		var body struct {
			Docs []map[string]json.RawMessage `json:"docs"`
		}
		for i := lo; i < min(lo+p.o.Batch, n); i++ {
			d := pouchDoc(docID(i), p.revs[i], p.docs[i])
			for k, v := range changedFields(i) {
				d[k] = v
			}
			body.Docs = append(body.Docs, d)
		}
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		p.updates = append(p.updates, b)
	}
	p.o.Updates = n
	return nil
}

func (p *pouchTarget) update(ctx context.Context) (int64, error) {
	var wire int64
	for k, body := range p.updates {
		lo := k * p.o.Batch
		w, err := p.bulk(ctx, body, lo, min(p.o.Batch, p.o.Updates-lo))
		wire += w
		if err != nil {
			return wire, fmt.Errorf("update %d: %w", lo, err)
		}
	}
	return wire, nil
}
