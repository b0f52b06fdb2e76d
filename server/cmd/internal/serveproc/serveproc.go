// Package serveproc runs a server as a subprocess for the tools and tests
// under server/cmd: start it, wait until it answers, read its CPU time and
// memory from /proc, stop it gracefully or kill it.
package serveproc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Proc is a started subprocess whose exit a goroutine awaits, so that a
// process that could not start, or died, is noticed at once.
type Proc struct {
	Cmd    *exec.Cmd
	exited chan struct{}
	err    error // set before exited is closed

	mu     sync.Mutex
	killed bool
}

// Start starts cmd (the caller sets its arguments, directory and output).
func Start(cmd *exec.Cmd) (*Proc, error) {
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	p := &Proc{Cmd: cmd, exited: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	return p, nil
}

// Exited is closed once the process has exited.
func (p *Proc) Exited() <-chan struct{} { return p.exited }

// WaitReady polls url until it answers 200. It fails when the process
// exits first, when ctx ends, or after timeout.
func (p *Proc) WaitReady(ctx context.Context, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited before it was ready: %v", p.Cmd.Path, p.err)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer %s within %s", p.Cmd.Path, url, timeout)
}

// ErrStopTimeout is wrapped by Stop's error when the process outlived its
// grace period and was killed.
var ErrStopTimeout = errors.New("did not stop in time")

// Kill sends SIGKILL and waits for the exit.
func (p *Proc) Kill() {
	p.mu.Lock()
	p.killed = true
	p.mu.Unlock()
	_ = p.Cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// Stop sends SIGTERM and waits up to grace for the exit, then kills. It
// returns the exit's error: nil for a clean exit, and for a process that
// Kill ended (stopping it again is no failure); one wrapping
// ErrStopTimeout when it had to kill. Stop may be called again.
func (p *Proc) Stop(grace time.Duration) error {
	select {
	case <-p.exited:
	default:
		_ = p.Cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(grace):
			p.Kill()
			return fmt.Errorf("%s: %w (%s after SIGTERM)", p.Cmd.Path, ErrStopTimeout, grace)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.killed {
		return nil
	}
	return p.err
}

// clkTck is USER_HZ, the unit of /proc/PID/stat's times, on Linux.
const clkTck = 100.0

// CPU is the process's user plus system time so far (0 once it exited).
func (p *Proc) CPU() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.Cmd.Process.Pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // the command may hold spaces
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return time.Duration((ut + st) / clkTck * float64(time.Second))
}

// Status reads a kB line of /proc/PID/status (VmRSS, VmHWM), in bytes.
func (p *Proc) Status(key string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", key, p.Cmd.Process.Pid)
}

// FreeAddr returns a 127.0.0.1 address with a port free at the moment.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
