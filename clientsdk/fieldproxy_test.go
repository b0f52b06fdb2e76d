package clientsdk_test

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// fieldProxy is a TCP proxy that behaves like a village's mobile link: each
// direction is limited to rate bytes per second (shared by every
// connection, as one radio is), and every cutEvery all connections are cut.
type fieldProxy struct {
	ln         net.Listener
	target     string
	up, down   *pacer
	wireUp     atomic.Int64 // bytes client → server
	wireDown   atomic.Int64 // bytes server → client
	cuts       atomic.Int64 // connections cut
	mu         sync.Mutex
	conns      map[net.Conn]net.Conn
	stop       chan struct{}
	stopOnce   sync.Once
	acceptDone chan struct{}
}

// startFieldProxy listens on a free local port and forwards to target.
func startFieldProxy(target string, bitsPerSecond int64, cutEvery time.Duration) (*fieldProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &fieldProxy{ln: ln, target: target, up: newPacer(bitsPerSecond / 8), down: newPacer(bitsPerSecond / 8),
		conns: map[net.Conn]net.Conn{}, stop: make(chan struct{}), acceptDone: make(chan struct{})}
	go p.accept()
	if cutEvery > 0 {
		go p.cutter(cutEvery)
	}
	return p, nil
}

func (p *fieldProxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *fieldProxy) accept() {
	defer close(p.acceptDone)
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c] = s
		p.mu.Unlock()
		go p.pipe(s, c, p.up, &p.wireUp)
		go p.pipe(c, s, p.down, &p.wireDown)
	}
}

// pipe copies src to dst at the pace of pc, counting the bytes; it closes
// both ends when either side ends.
func (p *fieldProxy) pipe(dst, src net.Conn, pc *pacer, n *atomic.Int64) {
	buf := make([]byte, 2048)
	for {
		k, err := src.Read(buf)
		if k > 0 {
			pc.wait(k)
			if _, werr := dst.Write(buf[:k]); werr != nil {
				break
			}
			n.Add(int64(k))
		}
		if err != nil {
			break
		}
	}
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// cutter closes every open connection every d.
func (p *fieldProxy) cutter(d time.Duration) {
	tick := time.NewTicker(d)
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
			p.mu.Lock()
			for c, s := range p.conns {
				c.Close()
				s.Close()
				p.cuts.Add(1)
			}
			p.conns = map[net.Conn]net.Conn{}
			p.mu.Unlock()
		}
	}
}

func (p *fieldProxy) Close() {
	p.stopOnce.Do(func() { close(p.stop) })
	p.ln.Close()
	<-p.acceptDone
	p.mu.Lock()
	for c, s := range p.conns {
		c.Close()
		s.Close()
	}
	p.mu.Unlock()
}

// pacer spaces writes so that at most rate bytes per second pass.
type pacer struct {
	mu   sync.Mutex
	rate int64
	next time.Time
}

func newPacer(rate int64) *pacer { return &pacer{rate: rate} }

// wait blocks until n more bytes may pass.
func (p *pacer) wait(n int) {
	p.mu.Lock()
	now := time.Now()
	if p.next.Before(now) {
		p.next = now
	}
	p.next = p.next.Add(time.Duration(int64(n) * int64(time.Second) / p.rate))
	until := p.next
	p.mu.Unlock()
	time.Sleep(time.Until(until))
}
