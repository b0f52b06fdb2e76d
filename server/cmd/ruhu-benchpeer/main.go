// Command peer runs ruhu and pouchdb-server side by side over HTTP on
// loopback with the same household documents and prints rates, server CPU
// per 1,000 documents, peak RSS and bytes on disk, with the ruhu/pouch
// ratios. It is a benchmark (make bench-peer), never a timed test.
//
// Each run starts both servers fresh, one after the other (the order
// alternates between runs), and sends each the same documents from one
// client connection, the way one tablet syncs:
//
//   - push: N new documents in batches (pouch: POST /db/_bulk_docs; ruhu:
//     POST /v1/sync/push as a logged-in village worker);
//   - pull: all of them, paged (pouch: GET /db/_changes?include_docs=true;
//     ruhu: GET /v1/sync/pull), the client decoding every page;
//   - update: U documents with two fields changed (pouch: the whole
//     document with its _rev; ruhu: the changed fields only).
//
// Server CPU is utime+stime from /proc/PID/stat, peak RSS is VmHWM from
// /proc/PID/status, disk is the size of the server's data directory after
// it stopped.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"
)

func main() {
	var o options
	flag.IntVar(&o.Docs, "docs", 100_000, "documents pushed and pulled per run")
	flag.IntVar(&o.Updates, "updates", 0, "documents updated per run (0: docs/5)")
	flag.IntVar(&o.Batch, "batch", 500, "documents per push")
	flag.IntVar(&o.Page, "page", 500, "documents per pull page")
	flag.IntVar(&o.Runs, "runs", 3, "interleaved runs (each with fresh servers)")
	flag.StringVar(&o.Ruhu, "ruhu", "", "the ruhu binary (empty: go build ./server/cmd/ruhu into a temp dir)")
	flag.StringVar(&o.PouchDir, "pouch-dir", "", "where pouchdb-server is (or is npm-installed); empty: a temp dir")
	flag.StringVar(&o.PouchVersion, "pouch-version", "4.2.0", "pouchdb-server version to install")
	flag.BoolVar(&o.NoPouch, "no-pouch", false, "run ruhu only")
	flag.StringVar(&o.Work, "work", "", "directory for the servers' data (empty: a temp dir, removed at the end)")
	flag.BoolVar(&o.Keep, "keep", false, "keep each run's data directory (with -work)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	res, err := run(ctx, o, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-peer:", err)
		os.Exit(1)
	}
	printReport(os.Stdout, o, res)
	fmt.Fprintf(os.Stderr, "bench-peer: done in %s\n", time.Since(start).Round(time.Second))
}
