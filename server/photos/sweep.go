package photos

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// leftoverAge is how old a complete upload must be before Sweep takes it
// for one a crash left behind (a live one is processed within seconds).
const leftoverAge = time.Hour

// Sweep removes abandoned uploads: those nobody has written to for
// UploadConfig.Expiry, complete ones older than an hour (a crash during
// processing left them), and data files whose .info was never written. It
// reads the clock from UploadConfig.Now and returns how many uploads it
// removed.
func (u *Uploads) Sweep(ctx context.Context) (int, error) {
	entries, err := os.ReadDir(u.cfg.Dir)
	if err != nil {
		return 0, fmt.Errorf("photos: sweep uploads: %w", err)
	}
	now, n := u.cfg.Now(), 0
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		id, isInfo := strings.CutSuffix(e.Name(), ".info")
		if len(id) != 32 || !isLowerHex(id) {
			continue
		}
		if !isInfo {
			n += u.sweepOrphan(id, now)
			continue
		}
		if u.abandoned(ctx, id, now) && u.removeLocked(ctx, id) {
			n++
		}
	}
	return n, nil
}

// abandoned reports whether upload id has been left alone long enough.
func (u *Uploads) abandoned(ctx context.Context, id string, now time.Time) bool {
	up, err := u.files.GetUpload(ctx, id)
	if err != nil {
		return false // gone meanwhile, or its data file is: sweepOrphan's case
	}
	info, err := up.GetInfo(ctx)
	if err != nil {
		return false
	}
	limit := u.cfg.Expiry
	if info.Offset >= info.Size {
		limit = min(limit, leftoverAge)
	}
	return now.Sub(lastWrite(u.cfg.Dir, id)) > limit
}

// lastWrite is the later modification time of an upload's two files.
func lastWrite(dir, id string) time.Time {
	var last time.Time
	for _, name := range []string{id, id + ".info"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && fi.ModTime().After(last) {
			last = fi.ModTime()
		}
	}
	return last
}

// removeLocked removes an upload under its lock, so that no request is
// writing to it meanwhile.
func (u *Uploads) removeLocked(ctx context.Context, id string) bool {
	lock, err := u.locker.NewLock(id)
	if err != nil {
		return false
	}
	lctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := lock.Lock(lctx, func() {}); err != nil {
		return false
	}
	defer lock.Unlock()
	u.remove(ctx, id)
	_, err = os.Stat(filepath.Join(u.cfg.Dir, id+".info"))
	return errors.Is(err, fs.ErrNotExist)
}

// sweepOrphan removes the data file of an upload whose .info is missing
// (creation was interrupted) once it is older than the expiry.
func (u *Uploads) sweepOrphan(id string, now time.Time) int {
	path := filepath.Join(u.cfg.Dir, id)
	if _, err := os.Stat(path + ".info"); !errors.Is(err, fs.ErrNotExist) {
		return 0
	}
	fi, err := os.Stat(path)
	if err != nil || now.Sub(fi.ModTime()) <= u.cfg.Expiry {
		return 0
	}
	if os.Remove(path) != nil {
		return 0
	}
	return 1
}

// SweepEvery runs Sweep every interval until ctx is done, logging failures.
func (u *Uploads) SweepEvery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := u.Sweep(ctx); err != nil && ctx.Err() == nil {
				u.cfg.Log.ErrorContext(ctx, "upload sweep", "err", err)
			} else if n > 0 {
				u.cfg.Log.InfoContext(ctx, "upload sweep", "removed", n)
			}
		}
	}
}
