package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/syncproto"
)

// serveArgs runs serve with extra flags until the test ends and returns
// its address once /healthz answers.
func serveArgs(t *testing.T, extra ...string) string {
	t.Helper()
	dir := seeded(t)
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var out syncBuffer
	go func() {
		defer close(done)
		run(ctx, append([]string{"serve", "--data", dir, "--addr", addr}, extra...), strings.NewReader(""), &out)
	}()
	t.Cleanup(func() { cancel(); <-done })
	for i := 0; ; i++ {
		if res, err := http.Get("http://" + addr + "/healthz"); err == nil {
			res.Body.Close()
			return addr
		}
		select {
		case <-done:
			t.Fatalf("serve ended:\n%s", out.String())
		default:
		}
		if i == 1000 {
			t.Fatalf("serve did not answer:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rawAnswer sends req on a new connection and returns the status and the
// problem code of the answer.
func rawAnswer(t *testing.T, addr, req string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, req)
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if ct := res.Header.Get("Content-Type"); res.StatusCode >= 400 && ct != syncproto.ProblemContentType {
		t.Errorf("%d answered as %q: %s", res.StatusCode, ct, b)
	}
	var p syncproto.Problem
	json.Unmarshal(b, &p)
	return res.StatusCode, p.Code
}

// serve caps connections per address (--max-conns-per-addr) and answers
// an oversized header with problem+json.
func TestServeEdge(t *testing.T) {
	addr := serveArgs(t, "--max-conns-per-addr", "2", "--trusted-proxy", "10.0.0.0/8,192.0.2.1")
	// Two kept-alive connections that each had an answer: both are
	// counted (the one serveArgs polled with may still be closing: retry).
	for range 2 {
		for i := 0; ; i++ {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
			res, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err == nil && res.StatusCode == 200 {
				break
			}
			if i == 100 {
				t.Fatalf("no slot: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if st, code := rawAnswer(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); st != 503 || code != syncproto.CodeTooManyConnections {
		t.Errorf("third connection: %d %s", st, code)
	}
}

func TestServeHeaderTooLarge(t *testing.T) {
	addr := serveArgs(t)
	big := "GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + strings.Repeat("a", 64<<10) + "\r\n\r\n"
	if st, code := rawAnswer(t, addr, big); st != 431 || code != syncproto.CodeHeaderTooLarge {
		t.Errorf("64 KiB header: %d %s", st, code)
	}
}

func TestServeRefusesBadProxy(t *testing.T) {
	code, _, msg := runCmd(t, context.Background(), "", "serve", "--trusted-proxy", "10.0.0.0/33")
	if code != 2 || !strings.Contains(msg, "not a CIDR prefix") {
		t.Errorf("bad --trusted-proxy: %d %q", code, msg)
	}
}
