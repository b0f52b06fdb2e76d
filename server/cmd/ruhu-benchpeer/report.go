package main

import (
	"fmt"
	"io"
	"slices"
)

func mib(n int64) string {
	if n < 10<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
}

// median of the values f takes over the results of one server.
func median(rs []result, server string, f func(result) float64) float64 {
	var v []float64
	for _, r := range rs {
		if r.Server == server {
			v = append(v, f(r))
		}
	}
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// printReport prints every run, then the medians side by side with the
// ruhu/pouch ratios.
func printReport(w io.Writer, o options, rs []result) {
	o = o.normal()
	fmt.Fprintf(w, "\n%d documents (~1.5 KB) in batches of %d, pulled in pages of %d, %d updated; %d runs\n\n",
		o.Docs, o.Batch, o.Page, o.Updates, o.Runs)
	fmt.Fprintln(w, "| run | server | push docs/s | push CPU-s/1k | pull docs/s | pull CPU-s/1k | update docs/s | update CPU-s/1k | peak RSS | disk |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
	for i, r := range rs {
		fmt.Fprintf(w, "| %d | %s | %.0f | %.4f | %.0f | %.4f | %.0f | %.4f | %s | %s |\n", i/max(1, serversIn(rs))+1, r.Server,
			r.Push.rate(), r.Push.cpuPer1k(), r.Pull.rate(), r.Pull.cpuPer1k(), r.Update.rate(), r.Update.cpuPer1k(),
			mib(r.PeakRSS), mib(r.Disk))
	}
	fmt.Fprintln(w)
	for _, r := range rs {
		fmt.Fprintf(w, "  %s disk: %s; wire push %s, pull %s, update %s\n", r.Server, r.DiskDetail,
			mib(r.Push.Wire), mib(r.Pull.Wire), mib(r.Update.Wire))
	}
	rows := []struct {
		name string
		f    func(result) float64
		unit string
	}{
		{"push docs/s", func(r result) float64 { return r.Push.rate() }, "%.0f"},
		{"server CPU-s per 1k pushed docs", func(r result) float64 { return r.Push.cpuPer1k() }, "%.4f"},
		{"pull docs/s (client decoding included)", func(r result) float64 { return r.Pull.rate() }, "%.0f"},
		{"server CPU-s per 1k pulled docs", func(r result) float64 { return r.Pull.cpuPer1k() }, "%.4f"},
		{"update docs/s", func(r result) float64 { return r.Update.rate() }, "%.0f"},
		{"server CPU-s per 1k updated docs", func(r result) float64 { return r.Update.cpuPer1k() }, "%.4f"},
		{"disk after the run, MiB", func(r result) float64 { return float64(r.Disk) / (1 << 20) }, "%.0f"},
		{"server peak RSS, MiB", func(r result) float64 { return float64(r.PeakRSS) / (1 << 20) }, "%.0f"},
	}
	fmt.Fprintf(w, "\nmedians\n\n| | ruhu | pouchdb-server | ruhu / pouch |\n|---|---|---|---|\n")
	for _, row := range rows {
		a, b := median(rs, "ruhu", row.f), median(rs, "pouch", row.f)
		ratio := "–"
		if b > 0 {
			ratio = fmt.Sprintf("%.2f", a/b)
		}
		pouch := "–"
		if b > 0 {
			pouch = fmt.Sprintf(row.unit, b)
		}
		fmt.Fprintf(w, "| %s | "+row.unit+" | %s | %s |\n", row.name, a, pouch, ratio)
	}
}

func serversIn(rs []result) int {
	seen := map[string]bool{}
	for _, r := range rs {
		seen[r.Server] = true
	}
	return len(seen)
}
