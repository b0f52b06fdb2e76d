package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/ruhu-org/ruhu/clientsdk"
	"github.com/ruhu-org/ruhu/syncproto"
)

// check is one line of doctor's report.
type check struct {
	Name   string `json:"check"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// maxSkew is the clock difference doctor accepts: signatures carry the
// tablet's time and tokens expire by it.
const maxSkew = 2 * time.Minute

// cmdDoctor checks what a sync needs: the store, the login, the server,
// the clock, the outbox, queued photos and open issues.
func cmdDoctor(e *env) error {
	if err := e.noArgs(); err != nil {
		return err
	}
	c, err := e.open("", clientsdk.WithRetry(1, 0, 0))
	if err != nil {
		return err
	}
	defer c.Close()
	st, err := c.Status(e.ctx)
	if err != nil {
		return err
	}
	checks := []check{{"store", true, fmt.Sprintf("%s (device %s)", e.home, st.DeviceID)}}
	checks = append(checks, checkLogin(e.ctx, c, st))
	server := checkServer(e.ctx, st.ServerURL)
	checks = append(checks, server...)
	if server[0].OK && st.User != nil {
		checks = append(checks, checkSession(e.ctx, c))
	}
	checks = append(checks, checkOutbox(e.ctx, c, st)...)
	failed := 0
	for _, ch := range checks {
		if !ch.OK {
			failed++
		}
	}
	if err := e.result(checks, func(w io.Writer) {
		for _, ch := range checks {
			mark := "ok  "
			if !ch.OK {
				mark = "FAIL"
			}
			fmt.Fprintf(w, "%s  %-8s %s\n", mark, ch.Name, ch.Detail)
		}
	}); err != nil {
		return err
	}
	if failed > 0 {
		return attention{fmt.Sprintf("%d check(s) failed", failed)}
	}
	return nil
}

func checkLogin(ctx context.Context, c *clientsdk.Client, st *clientsdk.Status) check {
	if st.User == nil {
		return check{"login", false, "nobody is logged in: ruhu-tablet login --user U"}
	}
	sessions, err := c.Sessions(ctx)
	if err != nil {
		return check{"login", false, err.Error()}
	}
	for _, s := range sessions {
		if !s.Current {
			continue
		}
		if s.RefreshExpires.IsZero() {
			return check{"login", false, fmt.Sprintf("%s must log in again: ruhu-tablet login --user %s", s.Username, s.Username)}
		}
		left := time.Until(s.RefreshExpires)
		if left < 7*24*time.Hour {
			return check{"login", false, fmt.Sprintf("%s's login ends %s: sync soon, or log in again",
				s.Username, s.RefreshExpires.Local().Format(time.DateTime))}
		}
		return check{"login", true, fmt.Sprintf("%s, login valid offline until %s", s.Username,
			s.RefreshExpires.Local().Format(time.DateOnly))}
	}
	return check{"login", false, "no session for the current user: log in again"}
}

// checkServer asks the server's health checks and compares its clock
// and protocol version with the tablet's.
func checkServer(ctx context.Context, url string) []check {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	res, err := get(ctx, url+"/healthz")
	if err != nil {
		return []check{{"server", false, fmt.Sprintf("%s cannot be reached (%v); work goes on offline, sync later", url, err)}}
	}
	res.Body.Close()
	out := []check{serverCheck(ctx, url, res)}
	if date, err := http.ParseTime(res.Header.Get("Date")); err == nil {
		skew := time.Since(date).Round(time.Second)
		ch := check{"clock", true, fmt.Sprintf("within %s of the server", max(skew, -skew))}
		if skew > maxSkew || skew < -maxSkew {
			ch = check{"clock", false, fmt.Sprintf("this tablet's clock is %s off the server's: set the date and time "+
				"before signing (signatures carry it, logins expire by it)", max(skew, -skew))}
		}
		out = append(out, ch)
	}
	return out
}

func serverCheck(ctx context.Context, url string, health *http.Response) check {
	proto, _ := strconv.Atoi(health.Header.Get("Ruhu-Protocol"))
	if health.StatusCode != http.StatusOK || proto == 0 {
		return check{"server", false, fmt.Sprintf("%s answers %s but is not a ruhu server", url, health.Status)}
	}
	if proto != syncproto.ProtocolVersion {
		return check{"server", false, fmt.Sprintf("%s speaks protocol %d, this tablet %d: update one of them", url, proto,
			syncproto.ProtocolVersion)}
	}
	ready, err := get(ctx, url+"/readyz")
	if err != nil {
		return check{"server", false, fmt.Sprintf("%s: readyz: %v", url, err)}
	}
	ready.Body.Close()
	if ready.StatusCode != http.StatusOK {
		return check{"server", false, fmt.Sprintf("%s answers but its database does not (%s)", url, ready.Status)}
	}
	return check{"server", true, fmt.Sprintf("%s answers, database ready (protocol %d)", url, proto)}
}

func get(ctx context.Context, url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	return http.DefaultClient.Do(req)
}

// checkSession makes one authenticated request: the server accepts the
// login (refreshing it if needed).
func checkSession(ctx context.Context, c *clientsdk.Client) check {
	list, err := c.Conflicts(ctx, syncproto.ConflictOpen)
	if err != nil {
		return check{"session", false, describe(err)}
	}
	return check{"session", true, fmt.Sprintf("the server accepts the login; %d open conflict(s) in your area", len(list))}
}

func checkOutbox(ctx context.Context, c *clientsdk.Client, st *clientsdk.Status) []check {
	out := check{"outbox", true, fmt.Sprintf("%d change(s) and %d photo(s) waiting", st.Outbox, st.PhotosQueued)}
	if !st.OldestChange.IsZero() {
		out.Detail += ", oldest from " + st.OldestChange.Local().Format(time.DateTime)
	}
	checks := []check{out}
	photos, err := c.Photos(ctx)
	if err != nil {
		return append(checks, check{"photos", false, err.Error()})
	}
	for _, p := range photos {
		if _, err := os.Stat(p.Path); p.Status == clientsdk.PhotoQueued && err != nil {
			checks = append(checks, check{"photos", false, fmt.Sprintf("queued photo %s lost its file: %v", p.SHA256[:12], err)})
		}
	}
	if st.Issues > 0 {
		checks = append(checks, check{"issues", false, fmt.Sprintf("%d change(s) need you: ruhu-tablet issues", st.Issues)})
	} else {
		checks = append(checks, check{"issues", true, "none"})
	}
	return checks
}
