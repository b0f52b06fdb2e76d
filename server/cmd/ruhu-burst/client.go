package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/ruhu-org/ruhu/syncproto"
)

// api calls the server, waiting out 429/503 answers that carry a
// Retry-After of at most maxWait (a limit doing its job, counted as a
// retry); a longer wait is an error.
type api struct {
	url  string
	http *http.Client
}

// maxWait is the longest Retry-After a tablet waits out.
const maxWait = 30 * time.Second

type ctxKey struct{}

// from makes ctx's requests come from the tablet address addr (sent as
// X-Forwarded-For; the server trusts 127.0.0.1 as a proxy). Empty: the
// burst's own address, as for tablets behind one NAT.
func from(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, ctxKey{}, addr)
}

// call sends body (nil: none) and decodes a 2xx answer into out. It
// returns the retries it needed.
func (c *api) call(ctx context.Context, method, path, token string, body, out any) (retries int, err error) {
	var raw []byte
	if body != nil {
		if raw, err = json.Marshal(body); err != nil {
			return 0, err
		}
	}
	for {
		status, b, wait, err := c.once(ctx, method, path, token, raw)
		if err != nil {
			return retries, err
		}
		if wait > maxWait {
			return retries, fmt.Errorf("%s %s: %d, Retry-After %v: %s", method, path, status, wait, b)
		}
		if wait > 0 && retries < 100 {
			retries++
			select {
			case <-time.After(wait):
				continue
			case <-ctx.Done():
				return retries, ctx.Err()
			}
		}
		if status/100 != 2 {
			return retries, fmt.Errorf("%s %s: %d %s", method, path, status, b)
		}
		if out != nil {
			return retries, json.Unmarshal(b, out)
		}
		return retries, nil
	}
}

func (c *api) once(ctx context.Context, method, path, token string, raw []byte) (int, []byte, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.url+path, bytes.NewReader(raw))
	if err != nil {
		return 0, nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if addr, _ := ctx.Value(ctxKey{}).(string); addr != "" {
		req.Header.Set("X-Forwarded-For", addr)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, 0, err
	}
	var wait time.Duration
	if res.StatusCode == http.StatusTooManyRequests || res.StatusCode == http.StatusServiceUnavailable {
		if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && s > 0 {
			wait = time.Duration(s) * time.Second
		}
	}
	return res.StatusCode, b, wait, nil
}

func (c *api) login(ctx context.Context, username, password, device string) (*syncproto.TokenResponse, int, error) {
	var tok syncproto.TokenResponse
	n, err := c.call(ctx, http.MethodPost, "/v1/auth/login", "", syncproto.LoginRequest{Username: username,
		Password: password, DeviceID: device}, &tok)
	return &tok, n, err
}
