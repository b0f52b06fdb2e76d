package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/ruhu-org/ruhu/server/cmd/internal/serveproc"
)

// server is a `ruhu serve` subprocess.
type server struct {
	*serveproc.Proc
	url string
}

// startServer runs `ruhu serve` on a free port of 127.0.0.1 and waits for
// /readyz. Every tablet of the burst connects from 127.0.0.1: the
// per-address connection cap is lifted, and 127.0.0.1 is a trusted proxy,
// so a tablet's X-Forwarded-For (its own address on the mobile network) is
// the address the login limits count by.
func startServer(bin, data string) (*server, error) {
	addr, err := serveproc.FreeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--data", data, "--addr", addr, "--max-conns-per-addr", "100000",
		"--trusted-proxy", "127.0.0.1/32")
	logf, err := os.Create(filepath.Join(filepath.Dir(data), "server.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	p, err := serveproc.Start(cmd)
	if err != nil {
		logf.Close()
		return nil, err
	}
	go func() { <-p.Exited(); logf.Close() }()
	s := &server{Proc: p, url: "http://" + addr}
	if err := p.WaitReady(context.Background(), s.url+"/readyz", 10*time.Second); err != nil {
		p.Kill()
		return nil, err
	}
	return s, nil
}

// peakRSS is the process's resident-set high-water mark (VmHWM), bytes.
func (s *server) peakRSS() (int64, error) { return s.Status("VmHWM") }

// stop ends the server gracefully.
func (s *server) stop() error { return s.Stop(40 * time.Second) }
