// Package syncproto holds the wire contract between ruhu's server and its
// clients (tablets, mini-programs, the Go client SDK): the push, pull and
// conflict messages, authentication messages, error codes, the record schema,
// resident ID number validation and the canonical content hash that
// investigators sign.
//
// It imports only the standard library and an RFC 8785 canonical-JSON
// library, so any client can depend on it without pulling in the server.
//
// The protocol in short (the full text is docs/protocol.md):
//
//   - A device logs in (POST /v1/auth/login) with a device_id and receives a
//     short-lived access token and a long-lived, rotating refresh token.
//   - It edits records offline and queues one Mutation per change, numbered by
//     a strictly increasing per-device mutation_id, carrying only the changed
//     fields and the record version it last saw (base_version).
//   - POST /v1/sync/push sends the queue in order. Every mutation is applied
//     exactly once: a replayed mutation_id returns its stored result with
//     Replayed set. Each result has a Status: applied, merged, conflict or
//     rejected.
//   - GET /v1/sync/pull pages through every change in the caller's
//     jurisdiction in version order, tombstones included, with an opaque
//     cursor.
//   - Conflicts are never resolved silently; they are listed by
//     GET /v1/conflicts and resolved by a person.
package syncproto

// ProtocolVersion is the version of the wire contract described by this
// package. It is sent by the server in the Ruhu-Protocol response header.
const ProtocolVersion = 1
