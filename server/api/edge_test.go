package api_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ruhu-org/ruhu/server/api"
	"github.com/ruhu-org/ruhu/syncproto"
)

// edgeServer serves a bare API through api.Listener.
func edgeServer(t *testing.T, d api.Deps, cfg api.ListenerConfig, maxHeader int) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(api.New(d))
	srv.Config.MaxHeaderBytes = maxHeader
	srv.Listener = api.Listener(srv.Listener, cfg)
	srv.Start()
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// rawRequest writes req on a new connection and reads the answer.
func rawRequest(t *testing.T, addr, req string) (*http.Response, []byte) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, req)
	return readAnswer(t, c)
}

func readAnswer(t *testing.T, c net.Conn) (*http.Response, []byte) {
	t.Helper()
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

const healthz = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"

// One address cannot hold more than MaxConnsPerAddr connections; one over
// the limit is told so in problem+json; a freed slot is usable again.
func TestConnectionsPerAddressAreCapped(t *testing.T) {
	addr := edgeServer(t, api.Deps{}, api.ListenerConfig{MaxConnsPerAddr: 3}, 0)
	var held []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		defer c.Close()
	}
	// The held connections send nothing (a slow client); each is
	// accepted in turn, so the fourth is refused.
	res, b := rawRequest(t, addr, healthz)
	checkProblemShape(t, res, b, http.StatusServiceUnavailable, syncproto.CodeTooManyConnections)
	if res.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	held[0].Close()
	for i := 0; ; i++ { // the server notices the close when it reads
		res, _ := rawRequest(t, addr, healthz)
		if res.StatusCode == http.StatusOK {
			break
		}
		if i == 200 {
			t.Fatalf("a freed slot was not given back: %d", res.StatusCode)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Exempt peers (reverse proxies) are not counted.
func TestConnectionCapExemptsProxies(t *testing.T) {
	addr := edgeServer(t, api.Deps{}, api.ListenerConfig{MaxConnsPerAddr: 1,
		Exempt: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}, 0)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if res, b := rawRequest(t, addr, healthz); res.StatusCode != http.StatusOK {
		t.Fatalf("second connection from a proxy: %d %s", res.StatusCode, b)
	}
}

// The answers net/http writes before any handler runs are problem+json
// too: 431 for a header over MaxHeaderBytes, 400 for a malformed request.
func TestServerLevelErrorsAreProblems(t *testing.T) {
	addr := edgeServer(t, api.Deps{}, api.ListenerConfig{}, 1024)
	big := "GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + strings.Repeat("a", 16<<10) + "\r\n\r\n"
	res, b := rawRequest(t, addr, big)
	checkProblemShape(t, res, b, http.StatusRequestHeaderFieldsTooLarge, syncproto.CodeHeaderTooLarge)
	res, b = rawRequest(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
	checkProblemShape(t, res, b, http.StatusBadRequest, syncproto.CodeBadRequest)
	res, b = rawRequest(t, addr, "GET /healthz HTTP/1.1\r\n\r\n") // no Host
	checkProblemShape(t, res, b, http.StatusBadRequest, syncproto.CodeBadRequest)
	// A handler's own answers pass unchanged.
	if res, b := rawRequest(t, addr, healthz); res.StatusCode != 200 || !strings.Contains(string(b), "ok") {
		t.Fatalf("healthz: %d %s", res.StatusCode, b)
	}
}

// A login body, or any small JSON body, must arrive within
// SmallBodyTimeout even when pushes may take BodyTimeout.
func TestTrickledLoginIsCutOffSooner(t *testing.T) {
	addr := edgeServer(t, api.Deps{BodyTimeout: time.Hour, SmallBodyTimeout: 300 * time.Millisecond}, api.ListenerConfig{}, 0)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"username\":")
	// Without the server's deadline no answer would come before ours.
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	res, b := readAnswer(t, c)
	checkProblemShape(t, res, b, http.StatusBadRequest, syncproto.CodeInvalidJSON)
}
