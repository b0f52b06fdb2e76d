// Command ruhu-burst is the morning-burst load generator: against a freshly
// seeded `ruhu serve` (a subprocess, so its memory is its own), N tablets
// log in, pull their village and push a day's work at once — households,
// members, investigations signed by two workers — for one or more
// mornings. It prints p50/p99/max latency per operation, errors, retries
// (429/503 answered with Retry-After), mutations/s, the server's peak RSS
// and the database size. A benchmark: it asserts nothing about time.
//
//	ruhu-burst --ruhu bin/ruhu [--tablets 500] [--concurrency 64] [--mornings 2]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"text/tabwriter"
	"time"
)

func main() {
	cfg := Config{Log: os.Stderr}
	flag.StringVar(&cfg.Ruhu, "ruhu", "bin/ruhu", "the ruhu binary (make build)")
	flag.StringVar(&cfg.Dir, "dir", "", "working directory (default: a new temporary one, removed after)")
	flag.IntVar(&cfg.Tablets, "tablets", 500, "tablets")
	flag.IntVar(&cfg.Concurrency, "concurrency", 64, "tablets at once")
	flag.IntVar(&cfg.PerVillage, "per-village", 10, "tablets per village")
	flag.IntVar(&cfg.Households, "households", 20, "new households per tablet and morning")
	flag.IntVar(&cfg.Members, "members", 4, "members per household, the head included")
	flag.IntVar(&cfg.Investigations, "investigations", 2, "signed investigations per tablet and morning")
	flag.IntVar(&cfg.Mornings, "mornings", 2, "mornings against the same server")
	flag.BoolVar(&cfg.OneAddress, "one-address", false, "every tablet from one address (behind one NAT), not each from its own")
	flag.Parse()
	if cfg.Dir == "" {
		dir, err := os.MkdirTemp("", "ruhu-burst-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "ruhu-burst:", err)
			os.Exit(1)
		}
		defer os.RemoveAll(dir)
		cfg.Dir = dir
	}
	rep, err := Run(context.Background(), cfg)
	if rep != nil {
		print(os.Stdout, cfg, rep)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ruhu-burst:", err)
		os.Exit(1)
	}
}

func print(w io.Writer, cfg Config, rep *Report) {
	where := "each from its own address"
	if cfg.OneAddress {
		where = "all from one address"
	}
	fmt.Fprintf(w, "%d tablets (%d at a time, %d per village, %s) × %d mornings: %d households, %d members, %d signed investigations each\n",
		cfg.Tablets, cfg.Concurrency, cfg.PerVillage, where, cfg.Mornings, cfg.Households, cfg.Households*cfg.Members, cfg.Investigations)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\tcount\tp50\tp99\tmax\terrors\tretries\t")
	for _, op := range []string{"login", "pull page", "pull (whole village)", "push"} {
		s := rep.Ops[op]
		if s == nil {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%v\t%v\t%v\t%d\t%d\t\n", op, len(s.lat), ms(s.quantile(0.5)), ms(s.quantile(0.99)),
			ms(s.quantile(1)), s.errors, s.retries)
	}
	tw.Flush()
	for op, s := range rep.Ops {
		if s.first != "" {
			fmt.Fprintf(w, "first %s error: %s\n", op, s.first)
		}
	}
	fmt.Fprintf(w, "mutations applied: %d in %v (%.0f/s over the mornings, logins and pulls included)\n",
		rep.Mutations, rep.PushWall.Round(time.Millisecond), float64(rep.Mutations)/rep.PushWall.Seconds())
	wall := rep.PushWall.Seconds()
	fmt.Fprintf(w, "CPU over the mornings: server %.1f s (%.2f cores), tablets' side (this process) %.1f s (%.2f cores), of %d; load average %s before, %s after\n",
		rep.ServerCPU.Seconds(), rep.ServerCPU.Seconds()/wall, rep.ClientCPU.Seconds(), rep.ClientCPU.Seconds()/wall,
		runtime.NumCPU(), rep.Load[0], rep.Load[1])
	fmt.Fprintf(w, "server peak RSS: %.1f MB (goal < 300 MB); database: %.1f MB\n", float64(rep.PeakRSS)/1e6, float64(rep.DBBytes)/1e6)
	fmt.Fprintf(w, "%s", rep.Audit)
}

func ms(d time.Duration) time.Duration { return d.Round(100 * time.Microsecond) }
