package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is a `ruhu serve` subprocess.
type server struct {
	cmd    *exec.Cmd
	url    string
	exited chan struct{}
	err    error
}

// startServer runs `ruhu serve` on a free port of 127.0.0.1 and waits for
// /readyz. Every tablet of the burst connects from 127.0.0.1: the
// per-address connection cap is lifted, and 127.0.0.1 is a trusted proxy,
// so a tablet's X-Forwarded-For (its own address on the mobile network) is
// the address the login limits count by.
func startServer(bin, data string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve", "--data", data, "--addr", addr, "--max-conns-per-addr", "100000",
		"--trusted-proxy", "127.0.0.1/32")
	logf, err := os.Create(filepath.Join(filepath.Dir(data), "server.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, url: "http://" + addr, exited: make(chan struct{})}
	go func() { s.err = cmd.Wait(); logf.Close(); close(s.exited) }()
	for range 400 {
		select {
		case <-s.exited:
			return nil, fmt.Errorf("ruhu serve exited: %v (see server.log)", s.err)
		default:
		}
		if res, err := http.Get(s.url + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("ruhu serve did not become ready")
}

// peakRSS is the process's resident-set high-water mark (VmHWM), bytes.
func (s *server) peakRSS() (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", s.cmd.Process.Pid)
}

// stop ends the server gracefully.
func (s *server) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(40 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	return s.err
}
