package photos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/tus/tusd/v2/pkg/filestore"
	"github.com/tus/tusd/v2/pkg/handler"
	"github.com/tus/tusd/v2/pkg/memorylocker"
	xslog "golang.org/x/exp/slog"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// metaUploader is the Upload-Metadata key under which Uploads records who
// created an upload; whatever the client sent under it is dropped.
const metaUploader = "ruhu_uploader"

// UploadConfig configures Uploads. A zero field takes its default.
type UploadConfig struct {
	Dir      string        // where unfinished uploads live (required)
	BasePath string        // URL path the handler answers under; default "/v1/uploads/"
	MaxSize  int64         // largest upload in bytes; default 25 MiB
	Limits   Limits        // what Process accepts (Limits.MaxPixels is the pixel cap)
	Expiry   time.Duration // an upload nobody wrote to for this long is abandoned; default 7 days
	Workers  int           // Process calls at once; default 2 (each holds a decoded photo)
	// IdleTimeout ends a PATCH when no byte of its body came for this long
	// (default 30 s); what came is kept and the client resumes.
	IdleTimeout time.Duration
	// MaxActivePerUser is how many upload requests one user may have in
	// progress at once (default 4); more are answered rate_limited.
	MaxActivePerUser int
	// DecodeBudget is the memory all photos being decoded at once may
	// take, by their estimated cost (default Limits.MaxDecodeBytes, 192
	// MiB). A photo that needs more alone is refused image_too_complex.
	DecodeBudget int64
	// MinFreeBytes is the free space the upload directory's file system
	// must keep beyond an upload's declared size (default 64 MiB): below
	// it a create or append is answered 503 storage_full before a byte is
	// written, instead of failing half-way with a full disk.
	MinFreeBytes int64
	Now          func() time.Time
	Log          *slog.Logger
	// StatusOf maps an error code to its HTTP status (server/api.StatusOf).
	StatusOf func(code string) int
}

func (c UploadConfig) withDefaults() UploadConfig {
	if c.MinFreeBytes == 0 {
		c.MinFreeBytes = 64 << 20
	}
	if c.BasePath == "" {
		c.BasePath = "/v1/uploads/"
	}
	if c.MaxSize <= 0 {
		c.MaxSize = 25 << 20
	}
	if c.Expiry <= 0 {
		c.Expiry = 7 * 24 * time.Hour
	}
	if c.Workers <= 0 {
		c.Workers = 2
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 30 * time.Second
	}
	if c.MaxActivePerUser <= 0 {
		c.MaxActivePerUser = 4
	}
	c.Limits = c.Limits.withDefaults()
	if c.DecodeBudget <= 0 {
		c.DecodeBudget = c.Limits.MaxDecodeBytes
	}
	c.Limits.MaxDecodeBytes = min(c.Limits.MaxDecodeBytes, c.DecodeBudget)
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.StatusOf == nil {
		c.StatusOf = func(string) int { return http.StatusUnprocessableEntity }
	}
	return c
}

// Uploads is the tus 1.0 resumable-upload endpoint for photos (creation,
// creation-with-upload, HEAD, PATCH, termination; no concatenation, no
// deferred length, no download). It must be served behind authentication
// that puts the caller in the request context (server.ContextWithActor).
//
// Creation checks the metadata (syncproto.UploadMeta*) and that the
// household is in the caller's subtree; only the creator may then HEAD,
// PATCH or DELETE the upload. The PATCH that completes an upload runs
// Process, stores the photo and files its record before it answers: 204, or
// a problem+json refusal (sha256_mismatch, image_too_large, not_an_image,
// …) after which nothing of the upload is kept. Either way the upload
// itself is removed.
type Uploads struct {
	cfg     UploadConfig
	store   *Store
	records server.PhotoRecords
	files   filestore.FileStore
	locker  *memorylocker.MemoryLocker
	tus     *handler.Handler
	work    chan struct{} // one token per Process allowed to run
	memory  *budget       // the decode memory budget
	mu      sync.Mutex
	active  map[string]int // requests in progress per user
}

// NewUploads builds the upload endpoint over a photo store and the records.
func NewUploads(store *Store, records server.PhotoRecords, cfg UploadConfig) (*Uploads, error) {
	cfg = cfg.withDefaults()
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("photos: create upload dir: %w", err)
	}
	u := &Uploads{cfg: cfg, store: store, records: records, files: filestore.New(cfg.Dir),
		locker: memorylocker.New(), work: make(chan struct{}, cfg.Workers),
		memory: newBudget(cfg.DecodeBudget), active: map[string]int{}}
	u.files.DirModePerm, u.files.FileModePerm = 0o700, 0o600
	composer := handler.NewStoreComposer()
	composer.UseCore(u.files)
	composer.UseTerminater(u.files)
	u.locker.UseIn(composer)
	tus, err := handler.NewHandler(handler.Config{
		StoreComposer:             composer,
		BasePath:                  cfg.BasePath,
		MaxSize:                   cfg.MaxSize,
		DisableDownload:           true,
		DisableConcatenation:      true,
		NetworkTimeout:            cfg.IdleTimeout,
		Cors:                      &handler.CorsConfig{Disable: true},
		PreUploadCreateCallback:   u.preCreate,
		PreFinishResponseCallback: u.preFinish,
		Logger:                    xslog.New(xslog.NewTextHandler(io.Discard, &xslog.HandlerOptions{Level: xslog.LevelError + 1})),
	})
	if err != nil {
		return nil, fmt.Errorf("photos: tus handler: %w", err)
	}
	u.tus = tus
	return u, nil
}

// ServeHTTP serves the tus protocol; r's path is relative to BasePath.
func (u *Uploads) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	pw := &problemWriter{ResponseWriter: w, r: r, log: u.cfg.Log}
	a := server.ActorFromContext(r.Context())
	if a == nil {
		pw.writeError(server.Errorf(syncproto.CodeUnauthenticated, "a bearer token is required"), u.cfg.StatusOf)
		return
	}
	if id := strings.Trim(r.URL.Path, "/"); id != "" && r.Method != http.MethodOptions {
		if err := u.checkOwner(r.Context(), a, id); err != nil {
			pw.writeError(err, u.cfg.StatusOf)
			return
		}
	}
	if r.Method == http.MethodPost || r.Method == http.MethodPatch {
		if err := u.checkSpace(r); err != nil {
			pw.Header().Set("Retry-After", strconv.Itoa(int(server.StorageFullRetry.Seconds())))
			pw.writeError(err, u.cfg.StatusOf)
			return
		}
		if !u.begin(a.UserID) {
			pw.Header().Set("Retry-After", "5")
			pw.writeError(server.Errorf(syncproto.CodeRateLimited, "at most %d uploads at once per user; wait for one to end",
				u.cfg.MaxActivePerUser), u.cfg.StatusOf)
			return
		}
		defer u.end(a.UserID)
	}
	u.tus.ServeHTTP(pw, r)
	pw.finish()
}

// checkSpace refuses a create or append when the upload directory's file
// system has less free space than the request may write plus
// MinFreeBytes. Code storage_full.
func (u *Uploads) checkSpace(r *http.Request) error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(u.cfg.Dir, &st); err != nil {
		return nil // cannot tell: the write itself will say
	}
	need := u.cfg.MinFreeBytes
	if r.Method == http.MethodPatch && r.ContentLength > 0 {
		need += r.ContentLength
	} else if l, err := strconv.ParseInt(r.Header.Get("Upload-Length"), 10, 64); err == nil && l > 0 {
		need += l
	}
	if free := int64(st.Bavail) * int64(st.Bsize); free < need {
		return server.StorageFull(fmt.Errorf("upload directory: %d bytes free, %d needed", free, need))
	}
	return nil
}

// begin counts an upload request of user, unless they have
// MaxActivePerUser in progress: each holds a connection, a file and
// perhaps a decode.
func (u *Uploads) begin(user string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.active[user] >= u.cfg.MaxActivePerUser {
		return false
	}
	u.active[user]++
	return true
}

func (u *Uploads) end(user string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.active[user]--; u.active[user] <= 0 {
		delete(u.active, user)
	}
}

// checkOwner lets only the creator of upload id touch it. An upload that
// holds all its bytes is being processed or was left by a crash; tus would
// answer its HEAD with offset = length, which a client takes for success,
// so it is answered not_found: the client starts over.
func (u *Uploads) checkOwner(ctx context.Context, a *server.Actor, id string) error {
	notFound := server.Errorf(syncproto.CodeNotFound, "upload not found")
	if len(id) != 32 || !isLowerHex(id) {
		return notFound
	}
	up, err := u.files.GetUpload(ctx, id)
	if errors.Is(err, handler.ErrNotFound) {
		return notFound
	}
	if err != nil {
		return fmt.Errorf("photos: find upload: %w", err)
	}
	info, err := up.GetInfo(ctx)
	if err != nil {
		return fmt.Errorf("photos: read upload: %w", err)
	}
	if info.MetaData[metaUploader] != a.UserID {
		return server.Errorf(syncproto.CodeForbidden, "this upload belongs to another user")
	}
	if info.Offset >= info.Size {
		return notFound
	}
	return nil
}

func isLowerHex(s string) bool {
	return strings.Trim(s, "0123456789abcdef") == ""
}

// uploadMeta is the checked metadata of an upload.
type uploadMeta struct {
	sha, household, kind, filename string
}

// parseMeta checks an upload's metadata. Codes validation_failed,
// invalid_kind.
func parseMeta(m handler.MetaData) (uploadMeta, error) {
	um := uploadMeta{sha: m[syncproto.UploadMetaSHA256], household: m[syncproto.UploadMetaHousehold],
		kind: m[syncproto.UploadMetaKind], filename: m[syncproto.UploadMetaFilename]}
	switch {
	case !validSHA256(um.sha):
		return um, server.Errorf(syncproto.CodeValidation, "metadata sha256 must be the file's SHA-256 in 64 lowercase hex characters")
	case um.household == "" || len(um.household) > syncproto.MaxRecordIDLen:
		return um, server.Errorf(syncproto.CodeValidation, "metadata household_id must name a household")
	case !slices.Contains(syncproto.PhotoKinds, um.kind):
		return um, server.Errorf(syncproto.CodeInvalidKind, "metadata kind must be one of %s", strings.Join(syncproto.PhotoKinds, ", "))
	case len(um.filename) > 255 || !utf8.ValidString(um.filename) || strings.ContainsFunc(um.filename, isControl):
		return um, server.Errorf(syncproto.CodeValidation, "metadata filename must be at most 255 bytes of printable UTF-8")
	}
	return um, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// preCreate checks a new upload before any byte is stored and records its
// creator; the stored metadata is rebuilt from the checked values.
func (u *Uploads) preCreate(hook handler.HookEvent) (handler.HTTPResponse, handler.FileInfoChanges, error) {
	a := server.ActorFromContext(hook.Context)
	m, err := parseMeta(hook.Upload.MetaData)
	if err == nil {
		m.household, err = u.records.CheckPhotoUpload(hook.Context, a, m.sha, m.household)
	}
	if err != nil {
		return handler.HTTPResponse{}, handler.FileInfoChanges{}, u.refusal(hook.Context, err)
	}
	meta := handler.MetaData{syncproto.UploadMetaSHA256: m.sha, syncproto.UploadMetaHousehold: m.household,
		syncproto.UploadMetaKind: m.kind, metaUploader: a.UserID}
	if m.filename != "" {
		meta[syncproto.UploadMetaFilename] = m.filename
	}
	return handler.HTTPResponse{}, handler.FileInfoChanges{MetaData: meta}, nil
}

// preFinish ingests a complete upload and removes it, whatever the outcome.
// The work goes on if the client hangs up: all the bytes are here.
func (u *Uploads) preFinish(hook handler.HookEvent) (handler.HTTPResponse, error) {
	ctx := context.WithoutCancel(hook.Context)
	defer u.remove(ctx, hook.Upload.ID)
	if err := u.ingest(ctx, server.ActorFromContext(ctx), hook.Upload); err != nil {
		return handler.HTTPResponse{}, u.refusal(ctx, err)
	}
	return handler.HTTPResponse{}, nil
}

// ingest verifies and processes a complete upload, stores the photo and
// files its record.
func (u *Uploads) ingest(ctx context.Context, a *server.Actor, info handler.FileInfo) error {
	m, err := parseMeta(info.MetaData)
	if err != nil {
		return err
	}
	res, err := u.process(ctx, info.Storage[filestore.StorageKeyPath], m.sha)
	if err != nil {
		return err
	}
	path := info.Storage[filestore.StorageKeyPath]
	existed, err := u.store.Put(res.SHA256, path, res.Large, res.Thumb)
	if err != nil {
		return err
	}
	p := server.Photo{SHA256: res.SHA256, HouseholdID: m.household, Kind: m.kind, Width: res.Width,
		Height: res.Height, TakenAt: res.TakenAt, UploadedBy: a.UserID, Filename: m.filename}
	if res.GPS != nil {
		p.GPS = &syncproto.PhotoGPS{Lat: res.GPS.Lat, Lon: res.GPS.Lon}
	}
	if _, err = u.records.AddPhoto(ctx, a, p); err != nil && !existed {
		u.unstore(ctx, res.SHA256)
	}
	return err
}

// process checks the photo at path, then decodes it once its estimated
// memory fits the budget and a worker is free.
func (u *Uploads) process(ctx context.Context, path, sha string) (*Result, error) {
	p, err := inspect(path, sha, u.cfg.Limits)
	if err != nil {
		return nil, err
	}
	defer p.close()
	if err := u.memory.acquire(ctx, p.cost()); err != nil {
		return nil, err
	}
	defer u.memory.release(p.cost())
	u.work <- struct{}{}
	defer func() { <-u.work }()
	return p.process()
}

// unstore removes content this upload stored but could not file (its
// household was deleted or left the uploader's jurisdiction meanwhile),
// unless a record of it exists by now: a photo is kept only where someone
// is answerable for it.
func (u *Uploads) unstore(ctx context.Context, sha string) {
	filed, err := u.records.PhotoFiled(ctx, sha)
	if err == nil && !filed {
		err = u.store.Remove(sha)
	}
	if err != nil {
		u.cfg.Log.ErrorContext(ctx, "upload: remove unfiled photo", "sha256", sha, "err", err)
	}
}

// remove deletes an upload's files.
func (u *Uploads) remove(ctx context.Context, id string) {
	up, err := u.files.GetUpload(ctx, id)
	if err == nil {
		err = u.files.AsTerminatableUpload(up).Terminate(ctx)
	}
	if err != nil && !errors.Is(err, handler.ErrNotFound) {
		u.cfg.Log.ErrorContext(ctx, "upload: remove", "id", id, "err", err)
	}
}

// refusal is err as tusd's answer: problem+json with err's code, or a
// logged "internal error" for an error without one.
func (u *Uploads) refusal(ctx context.Context, err error) error {
	code, msg := server.ErrorCode(err), server.ErrorMessage(err)
	if code == "" || code == syncproto.CodeInternal {
		u.cfg.Log.ErrorContext(ctx, "upload: internal error", "err", err)
		code, msg = syncproto.CodeInternal, "internal error"
	}
	status := u.cfg.StatusOf(code)
	return handler.Error{ErrorCode: code, Message: msg, HTTPResponse: handler.HTTPResponse{
		StatusCode: status, Body: problemJSON(status, code, msg),
		Header: handler.HTTPHeader{"Content-Type": syncproto.ProblemContentType}}}
}
