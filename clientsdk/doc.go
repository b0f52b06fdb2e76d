// Package clientsdk is ruhu's Go client: an offline-first tablet store that
// syncs with a ruhu server over the syncproto wire contract.
//
// A Client keeps everything in one directory: a SQLite database (records,
// the outbox of queued mutations, sessions, signing keys, the pull cursor)
// and the prepared photos. The tablet works without a network for days;
// nothing typed on it is lost.
//
//	c, err := clientsdk.Open(dir, "https://ruhu.example.gov.cn")
//	user, err := c.Login(ctx, "worker1", password)
//	hh, err := c.Create(ctx, syncproto.CollHouseholds, clientsdk.Fields{…})
//	rep, err := c.Sync(ctx)
//
// # Local edits
//
// Create, Update and Delete apply at once to the local view and queue a
// mutation carrying only the changed fields and the record version the
// device holds (base_version). Edits of a record not yet sent coalesce into
// one mutation. Every mutation has a per-device mutation id, strictly
// increasing and persisted, so the server applies it exactly once.
//
// # Sync
//
// Sync registers new signing keys, pushes the outbox in order in batches
// (each with its author's session), uploads queued photos (tus 1.0,
// resumable), pulls until the feed is exhausted and refreshes the list of
// open conflicts. An outbox entry leaves the store only in the transaction
// that stores its result, and a pulled page only with its cursor, so a Sync
// cut at any point is simply run again: the server answers mutations it had
// already applied from its log (replayed), nothing is lost or doubled.
// Network errors, 5xx and 429 are retried with exponential backoff and
// jitter. A field still queued locally is never overwritten by a pull. Ids
// the server merged into another record (canonical_id) are replaced
// everywhere on the device. Conflicts and rejections are returned in the
// SyncReport and kept (Issues); Conflicts lists the server's open conflicts,
// Resolve decides one, and a conflict's issue settles once it is resolved.
// A refused change stays in view (Record.Refused) until RetryIssue sends it
// again or DismissIssue drops it.
//
// # Sessions
//
// Access tokens are refreshed when they expire (one refresh at a time: the
// server revokes a session whose refresh token is presented twice). When
// the refresh token is gone, calls fail with ErrReloginRequired (a
// *ReloginError naming the user); the outbox is kept, and after Login the
// next Sync pushes it. Several users may log in on one tablet; each one's
// queued work is pushed under their own name.
//
// # Signatures
//
// Each user gets an Ed25519 key on the device (RegisterKey, or Sync
// registers it). Sign hashes the investigation's whole field object with
// syncproto.ContentHash — the server's content after a sync, or offline the
// content the queued edits will produce — signs it and queues the
// signature record behind the investigation's own edits. Submit asks the
// server to lock an investigation signed by two investigators.
//
// # Errors
//
// Errors match the sentinels of this package with errors.Is; answers of
// the server are *APIError values carrying the syncproto error code
// (ErrorCode extracts it).
package clientsdk
