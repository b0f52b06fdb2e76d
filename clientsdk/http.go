package clientsdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/ruhu-org/ruhu/syncproto"
)

// request is one HTTP exchange, rebuilt for every attempt.
type request struct {
	method string
	url    string // absolute, or a path under the server URL
	body   []byte
	header http.Header
	once   bool // no retries: the caller recovers (tus PATCH)
}

func (c *Client) absURL(u string) string {
	if len(u) > 0 && u[0] == '/' {
		return c.server + u
	}
	return u
}

func (c *Client) newHTTPRequest(ctx context.Context, r request, token string) (*http.Request, error) {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.absURL(r.url), body)
	if err != nil {
		return nil, err
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	if r.body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req, nil
}

// send performs r, retrying network errors, 5xx and 429 with exponential
// backoff and jitter. It returns the last response (the caller closes its
// body) or an error wrapping ErrUnreachable.
func (c *Client) send(ctx context.Context, r request, token string) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		req, err := c.newHTTPRequest(ctx, r, token)
		if err != nil {
			return nil, err
		}
		res, err := c.opts.http.Do(req)
		if ctx.Err() != nil {
			closeBody(res)
			return nil, ctx.Err()
		}
		if err == nil && !retryable(res.StatusCode) {
			return res, nil
		}
		if attempt+1 >= c.opts.attempts || r.once {
			if err != nil {
				return nil, fmt.Errorf("%w: %s %s: %v", ErrUnreachable, r.method, r.url, err)
			}
			return res, nil
		}
		reason := ""
		if err != nil {
			reason = shortNetError(err)
		} else {
			reason = res.Status
		}
		closeBody(res)
		c.report(Progress{Phase: PhaseRetry, Item: reason, Done: int64(attempt + 1), Total: int64(c.opts.attempts - 1)})
		if err := c.opts.sleep(ctx, c.backoff(attempt)); err != nil {
			return nil, err
		}
	}
}

// shortNetError is the last, most telling part of a network error
// ("connection refused", "i/o timeout").
func shortNetError(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

func retryable(status int) bool {
	return status >= 500 || status == http.StatusTooManyRequests
}

// backoff is the wait before retry n+1: drawn from [d/2, d) with
// d = min(max, base·2ⁿ) ("equal jitter": never zero, never in lockstep).
func (c *Client) backoff(n int) time.Duration {
	d := c.opts.backoffBase << min(n, 30)
	if d <= 0 || d > c.opts.backoffMax {
		d = c.opts.backoffMax
	}
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half)
}

func closeBody(res *http.Response) {
	if res != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
		res.Body.Close()
	}
}

// problemOf reads a non-2xx answer as an *APIError.
func problemOf(res *http.Response) error {
	defer closeBody(res)
	e := &APIError{Status: res.StatusCode}
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if json.Unmarshal(body, &e.Problem) != nil || e.Problem.Code == "" {
		e.Problem.Code = fallbackCode(res.StatusCode)
		e.Problem.Status = res.StatusCode
	}
	return e
}

func fallbackCode(status int) string {
	switch {
	case status == http.StatusNotFound:
		return syncproto.CodeNotFound
	case status == http.StatusUnauthorized:
		return syncproto.CodeUnauthenticated
	case status >= 500:
		return syncproto.CodeInternal
	}
	return syncproto.CodeBadRequest
}

// call sends a JSON request as userID ("" for none) and decodes a 2xx
// answer into out (nil to discard). Errors: *APIError, ErrUnreachable,
// ErrReloginRequired.
func (c *Client) call(ctx context.Context, userID, method, path string, in, out any) error {
	return c.callWith(ctx, userID, "", method, path, in, out)
}

// callWith is call with an access token of userID already taken ("" to
// take one).
func (c *Client) callWith(ctx context.Context, userID, token, method, path string, in, out any) error {
	r := request{method: method, url: path}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s: %w", path, err)
		}
		r.body = b
	}
	res, err := c.authedWith(ctx, userID, token, r)
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		return problemOf(res)
	}
	defer closeBody(res)
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}

// authed sends r with userID's access token, refreshing it once when the
// server says it expired or is invalid.
func (c *Client) authed(ctx context.Context, userID string, r request) (*http.Response, error) {
	return c.authedWith(ctx, userID, "", r)
}

// authedWith is authed with an access token of userID already taken ("" to
// take one).
func (c *Client) authedWith(ctx context.Context, userID, token string, r request) (*http.Response, error) {
	if userID == "" {
		return c.send(ctx, r, "")
	}
	var err error
	if token == "" {
		if token, err = c.accessToken(ctx, userID); err != nil {
			return nil, err
		}
	}
	res, err := c.send(ctx, r, token)
	if err != nil || res.StatusCode != http.StatusUnauthorized {
		return res, err
	}
	perr := problemOf(res)
	var ae *APIError
	if !errors.As(perr, &ae) || (ae.Code() != syncproto.CodeTokenExpired && ae.Code() != syncproto.CodeInvalidToken) {
		return nil, c.sessionDead(ctx, userID, perr)
	}
	if err := c.expireAccess(ctx, userID, token); err != nil {
		return nil, err
	}
	if token, err = c.accessToken(ctx, userID); err != nil {
		return nil, err
	}
	return c.send(ctx, r, token)
}
