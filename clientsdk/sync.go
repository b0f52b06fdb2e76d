package clientsdk

import (
	"context"
	"encoding/json"
	"time"

	"github.com/ruhu-org/ruhu/syncproto"
)

// Sync phases reported to the progress callback.
const (
	PhasePush   = "push"   // Done/Total: mutations
	PhasePhotos = "photos" // Done/Total: bytes of the photo named by Item
	PhasePull   = "pull"   // Done: changes stored (Total unknown, 0)
	// PhaseRetry: a request got no answer (or a 5xx/429) and will be
	// tried again: Item says why, Done is the retry, Total the most.
	PhaseRetry = "retry"
)

// Progress is one progress report of Sync.
type Progress struct {
	Phase string
	Item  string
	Done  int64
	Total int64
}

// Issue is a pushed mutation the server did not simply apply: a conflict
// (kept by the server for a person to resolve, ConflictIDs name it) or a
// rejection (Code says why; nothing of it was stored). Fields keep what
// the device sent, so nothing typed on the tablet is lost.
type Issue struct {
	MutationID  int64                      `json:"mutation_id"`
	UserID      string                     `json:"user_id"`
	Collection  string                     `json:"collection"`
	RecordID    string                     `json:"record_id"`
	Op          string                     `json:"op"`
	Status      string                     `json:"status"`
	Code        string                     `json:"code,omitempty"`
	Message     string                     `json:"message,omitempty"`
	ConflictIDs []string                   `json:"conflict_ids,omitempty"`
	Fields      map[string]json.RawMessage `json:"fields,omitempty"`
	At          time.Time                  `json:"at"`
}

// SyncReport says what a Sync did. It is returned even when Sync fails
// part way: everything counted in it is stored.
type SyncReport struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Pushed counts mutations whose results were stored; Replayed those
	// the server had already applied (a repeat after a cut connection).
	Pushed   int `json:"pushed"`
	Replayed int `json:"replayed"`
	Applied  int `json:"applied"`
	Merged   int `json:"merged"`
	// Conflicts and Rejected are this sync's issues (also kept: Issues).
	Conflicts []Issue `json:"conflicts"`
	Rejected  []Issue `json:"rejected"`
	Remapped  []Remap `json:"remapped"`
	// Pulled counts changes stored from the server, Purged the tombstones
	// among them.
	Pulled         int `json:"pulled"`
	Purged         int `json:"purged"`
	KeysRegistered int `json:"keys_registered"`
	PhotosUploaded int `json:"photos_uploaded"`
	// PhotosPending counts photos still waiting (their author must log in
	// again, or the server does not take photos yet: PhotosUnsupported).
	PhotosPending     int     `json:"photos_pending"`
	PhotosUnsupported bool    `json:"photos_unsupported,omitempty"`
	PhotoErrors       []Issue `json:"photo_errors"`
	// OpenConflicts is the number of open conflicts in the user's
	// jurisdiction after the sync (see Conflicts).
	OpenConflicts int `json:"open_conflicts"`
}

func (r *SyncReport) count(res syncproto.MutationResult) {
	r.Pushed++
	if res.Replayed {
		r.Replayed++
	}
	switch res.Status {
	case syncproto.StatusApplied:
		r.Applied++
	case syncproto.StatusMerged:
		r.Merged++
	}
}

func (c *Client) newReport() *SyncReport {
	return &SyncReport{Started: c.now(), Conflicts: []Issue{}, Rejected: []Issue{}, Remapped: []Remap{},
		PhotoErrors: []Issue{}}
}

// add adds the counts of a part stored in one transaction, once it is
// committed.
func (r *SyncReport) add(p *SyncReport) {
	r.Pushed += p.Pushed
	r.Replayed += p.Replayed
	r.Applied += p.Applied
	r.Merged += p.Merged
	r.Pulled += p.Pulled
	r.Purged += p.Purged
	r.Conflicts = append(r.Conflicts, p.Conflicts...)
	r.Rejected = append(r.Rejected, p.Rejected...)
	r.Remapped = append(r.Remapped, p.Remapped...)
}

func (r *SyncReport) addIssue(is Issue) {
	if is.Status == syncproto.StatusRejected {
		r.Rejected = append(r.Rejected, is)
	} else {
		r.Conflicts = append(r.Conflicts, is)
	}
}

// Sync registers new signing keys, pushes the outbox in order, uploads
// queued photos, pulls until the feed is exhausted and refreshes the list
// of open conflicts. Calls are serialised. Network errors and 5xx answers
// are retried with backoff; a Sync cut at any point can simply be run
// again: nothing is lost or applied twice. Errors: ErrNotLoggedIn,
// ErrReloginRequired (a *ReloginError naming the user), ErrUnreachable,
// *APIError, ErrClosed.
func (c *Client) Sync(ctx context.Context) (*SyncReport, error) {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	rep := c.newReport()
	if c.isClosed() {
		return rep, ErrClosed
	}
	if _, err := c.currentUser(ctx); err != nil {
		return rep, err
	}
	err := c.sync(ctx, rep)
	rep.Finished = c.now()
	c.recordSync(rep, err)
	return rep, err
}

func (c *Client) sync(ctx context.Context, rep *SyncReport) error {
	steps := []func(context.Context, *SyncReport) error{
		c.refreshSchema, c.registerKeys, c.pushAll, c.uploadPhotos, c.pullAll, c.refreshConflicts,
	}
	for _, step := range steps {
		if err := step(ctx, rep); err != nil {
			return err
		}
	}
	return nil
}

// recordSync keeps the time of the last successful sync and the last error.
func (c *Client) recordSync(rep *SyncReport, err error) {
	ctx := context.Background()
	if err != nil {
		_ = setMeta(ctx, c.db, metaLastError, err.Error())
		return
	}
	_ = setMeta(ctx, c.db, metaLastError, "")
	_ = setMeta(ctx, c.db, metaLastSync, rep.Finished.Format(time.RFC3339Nano))
}

func (c *Client) report(p Progress) {
	if c.opts.progress != nil {
		c.opts.progress(p)
	}
}
