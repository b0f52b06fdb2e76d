package clientsdk

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/ruhu-org/ruhu/syncproto"
)

// TusVersion is the tus resumable-upload protocol version spoken.
const TusVersion = "1.0.0"

// uploadsPath is where the server mounts tus.
const uploadsPath = "/v1/uploads/"

// errUploadGone: the server no longer knows an upload URL (expired or
// cleaned up); the upload starts again.
var errUploadGone = errors.New("clientsdk: upload no longer on the server")

// errOffsetMismatch: a PATCH raced with what the server holds; HEAD again.
var errOffsetMismatch = errors.New("clientsdk: upload offset mismatch")

// uploadPhotos is Sync's photo step: ask which queued photos the server
// lacks, upload those with tus, each with its author's session.
func (c *Client) uploadPhotos(ctx context.Context, rep *SyncReport) error {
	queued, err := c.photoRows(ctx, `status = ?`, PhotoQueued)
	if err != nil || len(queued) == 0 {
		return err
	}
	byUser := map[string][]*photoRow{}
	for _, p := range queued {
		byUser[p.UserID] = append(byUser[p.UserID], p)
	}
	users := make([]string, 0, len(byUser))
	for u := range byUser {
		users = append(users, u)
	}
	sort.Strings(users)
	for _, u := range users {
		if err := c.uploadFor(ctx, u, byUser[u], rep); errors.Is(err, ErrPhotosUnsupported) {
			rep.PhotosUnsupported, rep.PhotosPending = true, len(queued)
			return nil
		} else if errors.Is(err, ErrReloginRequired) {
			rep.PhotosPending += len(byUser[u])
		} else if err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) uploadFor(ctx context.Context, user string, list []*photoRow, rep *SyncReport) error {
	missing := map[syncproto.PhotoFiling]bool{}
	for start := 0; start < len(list); start += syncproto.MaxMissingPhotos {
		if err := c.askMissing(ctx, user, list[start:min(start+syncproto.MaxMissingPhotos, len(list))], missing); err != nil {
			return err
		}
	}
	for _, p := range list {
		if err := c.uploadOne(ctx, user, p, missing[p.filing()], rep); err != nil {
			return err
		}
	}
	return nil
}

// askMissing asks which of list's filings the server lacks, into missing.
// A server before filings answers only about contents (missing); a filing
// then counts as missing when its content does.
func (c *Client) askMissing(ctx context.Context, user string, list []*photoRow, missing map[syncproto.PhotoFiling]bool) error {
	req := syncproto.MissingPhotosRequest{SHA256: make([]string, len(list)), Filings: make([]syncproto.PhotoFiling, len(list))}
	for i, p := range list {
		req.SHA256[i], req.Filings[i] = p.SHA256, p.filing()
	}
	var res syncproto.MissingPhotosResponse
	err := c.call(ctx, user, http.MethodPost, "/v1/photos/missing", req, &res)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return ErrPhotosUnsupported
	}
	if err != nil {
		return fmt.Errorf("photos missing: %w", err)
	}
	if res.MissingFilings != nil {
		for _, f := range res.MissingFilings {
			missing[f] = true
		}
		return nil
	}
	content := map[string]bool{}
	for _, s := range res.Missing {
		content[s] = true
	}
	for _, p := range list {
		missing[p.filing()] = content[p.SHA256]
	}
	return nil
}

// uploadOne uploads one photo (unless the server has it) and records the
// outcome. A 4xx answer rejects the photo; other failures end the sync
// with the upload state kept for the next one.
func (c *Client) uploadOne(ctx context.Context, user string, p *photoRow, missing bool, rep *SyncReport) error {
	var err error
	if missing {
		err = c.tusUpload(ctx, user, p)
	}
	var ae *APIError
	switch {
	case errors.As(err, &ae) && ae.Status/100 == 4 && ae.Status != http.StatusUnauthorized:
		rep.PhotoErrors = append(rep.PhotoErrors, Issue{Collection: syncproto.CollPhotos, RecordID: p.SHA256,
			Status: syncproto.StatusRejected, Code: ae.Code(), Message: ae.Problem.Detail, At: c.now()})
		return c.setPhotoStatus(ctx, p, PhotoRejected, ae.Code())
	case err != nil:
		return fmt.Errorf("upload photo %s: %w", p.SHA256, err)
	}
	rep.PhotosUploaded++
	return c.setPhotoStatus(ctx, p, PhotoUploaded, "")
}

func (c *Client) setPhotoStatus(ctx context.Context, p *photoRow, status, msg string) error {
	_, err := c.db.ExecContext(ctx, `UPDATE photos SET status = ?, error = ?, uploaded = CASE WHEN ? = 'uploaded'
		THEN size ELSE uploaded END WHERE rowid = ?`, status, msg, status, p.row)
	return err
}

// tusUpload runs the tus protocol for p until the server holds every
// byte, resuming after cuts from the offset the server reports (HEAD).
func (c *Client) tusUpload(ctx context.Context, user string, p *photoRow) error {
	f, err := os.Open(p.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	for attempt := 0; ; attempt++ {
		err := c.tusResume(ctx, user, p, f)
		if err == nil || !transient(err) || attempt+1 >= c.opts.attempts {
			return err
		}
		if err := c.opts.sleep(ctx, c.backoff(attempt)); err != nil {
			return err
		}
	}
}

func transient(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return retryable(ae.Status)
	}
	return errors.Is(err, ErrUnreachable) || errors.Is(err, errOffsetMismatch) || errors.Is(err, errUploadGone)
}

// tusResume creates the upload if it has no URL yet, else asks its offset,
// then sends the rest in chunks, saving the offset after each.
func (c *Client) tusResume(ctx context.Context, user string, p *photoRow, f io.ReaderAt) error {
	if err := c.tusLocate(ctx, user, p); err != nil {
		return err
	}
	for p.Uploaded < p.Size {
		buf := make([]byte, min(c.opts.chunkSize, p.Size-p.Uploaded))
		if _, err := f.ReadAt(buf, p.Uploaded); err != nil {
			return fmt.Errorf("read %s: %w", p.Path, err)
		}
		off, err := c.tusPatch(ctx, user, p.URL, p.Uploaded, buf)
		if err != nil {
			return err
		}
		p.Uploaded = off
		if _, err := c.db.ExecContext(ctx, `UPDATE photos SET uploaded = ? WHERE rowid = ?`, off, p.row); err != nil {
			return err
		}
		c.report(Progress{Phase: PhasePhotos, Item: p.SHA256, Done: off, Total: p.Size})
	}
	return nil
}

// tusLocate makes sure p has an upload on the server and knows its offset.
func (c *Client) tusLocate(ctx context.Context, user string, p *photoRow) error {
	if p.URL != "" {
		off, err := c.tusHead(ctx, user, p.URL)
		if !errors.Is(err, errUploadGone) {
			p.Uploaded = off
			return err
		}
	}
	loc, err := c.tusCreate(ctx, user, p)
	if err != nil {
		return err
	}
	p.URL, p.Uploaded = loc, 0
	_, err = c.db.ExecContext(ctx, `UPDATE photos SET upload_url = ?, uploaded = 0 WHERE rowid = ?`, loc, p.row)
	return err
}

func tusHeader(kv ...string) http.Header {
	h := http.Header{"Tus-Resumable": {TusVersion}}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// tusCreate opens an upload (POST) and returns its absolute URL.
func (c *Client) tusCreate(ctx context.Context, user string, p *photoRow) (string, error) {
	meta := []string{}
	for _, kv := range [][2]string{{syncproto.UploadMetaSHA256, p.SHA256}, {syncproto.UploadMetaHousehold, p.HouseholdID},
		{syncproto.UploadMetaKind, p.Kind}, {syncproto.UploadMetaFilename, p.Filename}} {
		meta = append(meta, kv[0]+" "+base64.StdEncoding.EncodeToString([]byte(kv[1])))
	}
	r := request{method: http.MethodPost, url: uploadsPath, header: tusHeader("Upload-Length", strconv.FormatInt(p.Size, 10),
		"Upload-Metadata", strings.Join(meta, ","))}
	res, err := c.authed(ctx, user, r)
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusCreated {
		return "", problemOf(res)
	}
	closeBody(res)
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || res.Header.Get("Location") == "" {
		return "", fmt.Errorf("tus: creation answered no usable Location")
	}
	return res.Request.URL.ResolveReference(loc).String(), nil
}

// tusHead returns the offset the server holds for an upload.
func (c *Client) tusHead(ctx context.Context, user, u string) (int64, error) {
	res, err := c.authed(ctx, user, request{method: http.MethodHead, url: u, header: tusHeader()})
	if err != nil {
		return 0, err
	}
	defer closeBody(res)
	switch res.StatusCode {
	case http.StatusOK, http.StatusNoContent:
		return parseOffset(res)
	case http.StatusNotFound, http.StatusGone, http.StatusForbidden:
		return 0, errUploadGone
	}
	return 0, &APIError{Status: res.StatusCode, Problem: syncproto.Problem{Code: fallbackCode(res.StatusCode), Status: res.StatusCode}}
}

// tusPatch sends one chunk at offset and returns the new offset. It is
// never retried blindly: after a cut the server may hold part of the
// chunk, so the caller asks the offset again.
func (c *Client) tusPatch(ctx context.Context, user, u string, offset int64, chunk []byte) (int64, error) {
	r := request{method: http.MethodPatch, url: u, body: chunk, once: true, header: tusHeader(
		"Upload-Offset", strconv.FormatInt(offset, 10), "Content-Type", "application/offset+octet-stream")}
	res, err := c.authed(ctx, user, r)
	if err != nil {
		return 0, err
	}
	switch res.StatusCode {
	case http.StatusNoContent, http.StatusOK:
		defer closeBody(res)
		return parseOffset(res)
	case http.StatusConflict:
		closeBody(res)
		return 0, errOffsetMismatch
	case http.StatusNotFound, http.StatusGone:
		closeBody(res)
		return 0, errUploadGone
	}
	return 0, problemOf(res)
}

func parseOffset(res *http.Response) (int64, error) {
	off, err := strconv.ParseInt(res.Header.Get("Upload-Offset"), 10, 64)
	if err != nil || off < 0 {
		return 0, fmt.Errorf("tus: bad Upload-Offset %q", res.Header.Get("Upload-Offset"))
	}
	return off, nil
}
