package api

import (
	"bytes"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/ruhu-org/ruhu/syncproto"
)

// ListenerConfig configures Listener. A zero field takes its default.
type ListenerConfig struct {
	// MaxConnsPerAddr is how many connections one client address may hold
	// open at once (default 64); IPv6 clients are counted per /64.
	MaxConnsPerAddr int
	// Exempt are peers not counted: reverse proxies, whose connections
	// carry many clients.
	Exempt []netip.Prefix
}

// Listener wraps ln so that one client address cannot hold more than
// MaxConnsPerAddr connections: a connection over the limit is answered
// 503 too_many_connections (problem+json, Retry-After) and closed, and the
// others, /healthz among them, keep their file descriptors.
//
// It also rewrites the plain-text answers net/http writes itself before a
// handler runs (431 when the request header is too large, 400 for a
// malformed request) into problem+json: 431 request_header_too_large and
// 400 bad_request.
func Listener(ln net.Listener, cfg ListenerConfig) net.Listener {
	if cfg.MaxConnsPerAddr <= 0 {
		cfg.MaxConnsPerAddr = 64
	}
	return &listener{Listener: ln, cfg: cfg, open: map[string]int{}}
}

type listener struct {
	net.Listener
	cfg  ListenerConfig
	mu   sync.Mutex
	open map[string]int
}

// Accept returns the next connection within its address's limit.
func (l *listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key, counted := l.key(c)
		if !counted {
			return &conn{Conn: c}, nil
		}
		if l.take(key) {
			return &conn{Conn: c, release: sync.OnceFunc(func() { l.give(key) })}, nil
		}
		go refuse(c)
	}
}

// key is the counting key of c's peer, and whether it is counted.
func (l *listener) key(c net.Conn) (string, bool) {
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	if err != nil {
		return c.RemoteAddr().String(), true
	}
	ip := ap.Addr().Unmap()
	for _, p := range l.cfg.Exempt {
		if p.Contains(ip) {
			return "", false
		}
	}
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String(), true
	}
	return ip.String(), true
}

func (l *listener) take(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[key] >= l.cfg.MaxConnsPerAddr {
		return false
	}
	l.open[key]++
	return true
}

func (l *listener) give(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[key]--; l.open[key] <= 0 {
		delete(l.open, key)
	}
}

// refuse answers a connection over the limit and closes it.
func refuse(c net.Conn) {
	defer c.Close()
	_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, _ = c.Write(rawProblem(http.StatusServiceUnavailable, syncproto.CodeTooManyConnections,
		"too many connections from your address; close some and retry", "Retry-After: 5\r\n"))
}

// rawProblem is a whole HTTP/1.1 answer with a problem+json body, closing
// the connection.
func rawProblem(status int, code, detail, extraHeaders string) []byte {
	body := problemBody(status, code, detail)
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 " + strconv.Itoa(status) + " " + http.StatusText(status) + "\r\n")
	b.WriteString("Content-Type: " + syncproto.ProblemContentType + "\r\n")
	b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
	b.WriteString("Connection: close\r\n" + extraHeaders + "\r\n")
	b.Write(body)
	return b.Bytes()
}

// conn is an accepted connection: it gives its slot back when closed and
// rewrites net/http's own plain-text error answers.
type conn struct {
	net.Conn
	release func()
}

// Close closes the connection and frees its slot (once).
func (c *conn) Close() error {
	if c.release != nil {
		c.release()
	}
	return c.Conn.Close()
}

// CloseWrite lets net/http half-close after a 431, as it does on a bare
// TCP connection.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// plainErrorHeaders are the headers net/http puts on the answers it writes
// itself (server.go, conn.serve); a handler's answer carries Date and
// Content-Length, and lists Connection before Content-Type.
const plainErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// Write passes b on, unless b is one of net/http's own error answers.
func (c *conn) Write(b []byte) (int, error) {
	if status, ok := plainError(b); ok {
		code, detail := syncproto.CodeBadRequest, "the request is malformed"
		if status == http.StatusRequestHeaderFieldsTooLarge {
			code, detail = syncproto.CodeHeaderTooLarge, "the request header is too large"
		} else {
			status = http.StatusBadRequest
		}
		if _, err := c.Conn.Write(rawProblem(status, code, detail, "")); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return c.Conn.Write(b)
}

// plainError reports whether b is a whole answer net/http wrote itself,
// and its status.
func plainError(b []byte) (int, bool) {
	rest, ok := bytes.CutPrefix(b, []byte("HTTP/1.1 "))
	if !ok || len(b) > 1024 {
		return 0, false
	}
	line, _, ok := bytes.Cut(rest, []byte(plainErrorHeaders))
	if !ok || bytes.Contains(line, []byte("\r\n")) || len(line) < 3 {
		return 0, false
	}
	status, err := strconv.Atoi(string(line[:3]))
	if err != nil || status < 400 {
		return 0, false
	}
	return status, true
}
