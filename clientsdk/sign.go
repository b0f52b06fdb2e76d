package clientsdk

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/ruhu-org/ruhu/syncproto"
)

// Signature is a signature made on this device.
type Signature struct {
	ID              string    `json:"id"` // its record id in collection signatures
	InvestigationID string    `json:"investigation_id"`
	SignerID        string    `json:"signer_id"`
	KeyID           string    `json:"key_id"`
	ContentHash     string    `json:"content_hash"`
	SignedAt        time.Time `json:"signed_at"`
	// Predicted is true when the investigation had queued edits: the hash
	// is of the content the server will hold once they are applied, which
	// holds unless another device changes it first (then the server
	// rejects the signature with stale_content and the user signs again).
	Predicted bool `json:"predicted"`
	// ServerHash is the content hash the server reported at the last pull
	// ("" before the first one).
	ServerHash string `json:"server_hash,omitempty"`
}

// SignOptions are the optional fields of a signature.
type SignOptions struct {
	// Role is the capacity the person signs in: investigator, reviewer,
	// inspector (at most 40 bytes).
	Role string
}

// userKey returns userID's signing key on this device, creating it on
// first use. The 32-byte seed comes from crypto/rand and stays in the
// store.
func (c *Client) userKey(ctx context.Context, q querier, userID string) (ed25519.PrivateKey, bool, error) {
	var seed []byte
	var registered string
	err := q.QueryRowContext(ctx, `SELECT seed, registered_at FROM signing_keys WHERE user_id = ?`, userID).Scan(&seed, &registered)
	if err == nil {
		return ed25519.NewKeyFromSeed(seed), registered != "", nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, false, fmt.Errorf("signing key: %w", err)
	}
	seed = make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, false, err
	}
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)
	_, err = q.ExecContext(ctx, `INSERT INTO signing_keys (user_id, key_id, seed, public_key, created_at) VALUES (?, ?, ?, ?, ?)`,
		userID, syncproto.KeyID(pub), seed, base64.StdEncoding.EncodeToString(pub), c.nowString())
	return priv, false, err
}

// RegisterKey makes sure the current user has a signing key on this device
// and registers it with the server (POST /v1/keys). Sync registers keys
// made offline by itself. Errors: ErrNotLoggedIn, ErrReloginRequired,
// ErrUnreachable, *APIError.
func (c *Client) RegisterKey(ctx context.Context) (*syncproto.Key, error) {
	user, err := c.currentUser(ctx)
	if err != nil {
		return nil, err
	}
	priv, _, err := c.userKey(ctx, c.db, user)
	if err != nil {
		return nil, err
	}
	return c.registerKey(ctx, user, priv.Public().(ed25519.PublicKey))
}

func (c *Client) registerKey(ctx context.Context, user string, pub ed25519.PublicKey) (*syncproto.Key, error) {
	var key syncproto.Key
	req := syncproto.RegisterKeyRequest{PublicKey: base64.StdEncoding.EncodeToString(pub)}
	if err := c.call(ctx, user, http.MethodPost, "/v1/keys", req, &key); err != nil {
		return nil, fmt.Errorf("register key: %w", err)
	}
	_, err := c.db.ExecContext(ctx, `UPDATE signing_keys SET registered_at = ? WHERE user_id = ?`, c.nowString(), user)
	return &key, err
}

// registerKeys registers every unregistered key whose user can still
// reach the server (Sync's first step: signatures need their key known).
func (c *Client) registerKeys(ctx context.Context, rep *SyncReport) error {
	rows, err := c.db.QueryContext(ctx, `SELECT k.user_id, k.public_key FROM signing_keys k JOIN sessions s
		ON s.user_id = k.user_id WHERE k.registered_at = '' AND s.refresh_token != '' ORDER BY k.user_id`)
	if err != nil {
		return err
	}
	pending := map[string]string{}
	for rows.Next() {
		var user, pub string
		if err := rows.Scan(&user, &pub); err != nil {
			rows.Close()
			return err
		}
		pending[user] = pub
	}
	rows.Close()
	for user, pub := range pending {
		raw, _ := base64.StdEncoding.DecodeString(pub)
		if _, err := c.registerKey(ctx, user, raw); errors.Is(err, ErrReloginRequired) {
			continue // that user's queued signatures wait for their login
		} else if err != nil {
			return err
		}
		rep.KeysRegistered++
	}
	return nil
}

// Sign signs an investigation as the current user and queues the
// signature record behind the investigation's own queued edits. The hash is
// of the investigation's whole field object as the device shows it: the
// server's content when nothing is queued (sign after a sync), or the
// content the queued edits will produce. Errors: ErrNotLoggedIn,
// ErrNotFound, ErrAlreadySigned.
func (c *Client) Sign(ctx context.Context, investigationID string, opt SignOptions) (*Signature, error) {
	return c.signRecord(ctx, syncproto.CollInvestigations, investigationID, opt)
}

// SignReview co-signs a democratic review (民主评议, collection reviews) as
// the current user — the responsible cadre or the committee head — the
// same way Sign signs an investigation. The signature's InvestigationID
// holds the review's id.
func (c *Client) SignReview(ctx context.Context, reviewID string, opt SignOptions) (*Signature, error) {
	return c.signRecord(ctx, syncproto.CollReviews, reviewID, opt)
}

func (c *Client) signRecord(ctx context.Context, collection, id string, opt SignOptions) (*Signature, error) {
	var sig *Signature
	err := c.edit(ctx, func(tx *sql.Tx, user string) error {
		var err error
		sig, err = c.sign(ctx, tx, user, collection, id, opt)
		return err
	})
	return sig, err
}

func (c *Client) sign(ctx context.Context, tx *sql.Tx, user, collection, invID string, opt SignOptions) (*Signature, error) {
	invID, err := resolveAlias(ctx, tx, collection, invID)
	if err != nil {
		return nil, err
	}
	inv, err := loadRow(ctx, tx, collection, invID)
	if err != nil {
		return nil, err
	}
	if inv.View == nil {
		return nil, fmt.Errorf("%w: %s %s", ErrNotFound, collection, invID)
	}
	hash, err := syncproto.ContentHash(collection, invID, json.RawMessage(encodeFields(inv.View)))
	if err != nil {
		return nil, err
	}
	priv, _, err := c.userKey(ctx, tx, user)
	if err != nil {
		return nil, err
	}
	keyID := syncproto.KeyID(priv.Public().(ed25519.PublicKey))
	target := "investigation_id"
	if collection == syncproto.CollReviews {
		target = "review_id"
	}
	if err := alreadySigned(ctx, tx, target, invID, keyID, hash); err != nil {
		return nil, err
	}
	sig := &Signature{ID: ulid.Make().String(), InvestigationID: invID, SignerID: user, KeyID: keyID,
		ContentHash: hash, SignedAt: c.now().Truncate(time.Second)}
	fields, err := toRaw(Fields{target: invID, "key_id": keyID, "content_hash": hash,
		"signature": syncproto.Sign(priv, hash), "signed_at": sig.SignedAt.Format(time.RFC3339), "signer_id": user})
	if err != nil {
		return nil, err
	}
	if opt.Role != "" {
		fields["role"], _ = json.Marshal(opt.Role)
	}
	if _, err := c.enqueueUpsert(ctx, tx, user, syncproto.CollSignatures, sig.ID, fields); err != nil {
		return nil, err
	}
	sig.Predicted, sig.ServerHash = hasEntries(ctx, tx, collection, invID), serverHash(inv.Meta)
	return sig, nil
}

func alreadySigned(ctx context.Context, q querier, target, id, keyID, hash string) error {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM records WHERE collection = 'signatures' AND view IS NOT NULL
		AND json_extract(view, '$.' || ?) = ? AND json_extract(view, '$.key_id') = ?
		AND json_extract(view, '$.content_hash') = ?`, target, id, keyID, hash).Scan(&n)
	if err == nil && n > 0 {
		return fmt.Errorf("%w: %s %s, content %s", ErrAlreadySigned, target, id, hash)
	}
	return err
}

func hasEntries(ctx context.Context, q querier, collection, id string) bool {
	var n int
	_ = q.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE collection = ? AND record_id = ?`, collection, id).Scan(&n)
	return n > 0
}

func serverHash(meta string) string {
	var m syncproto.RecordMeta
	if json.Unmarshal([]byte(meta), &m) != nil || m.Signatures == nil {
		return ""
	}
	return m.Signatures.ContentHash
}

// Submit asks the server to lock a signed investigation
// (POST /v1/investigations/{id}/submit). Sync first, so that the
// signatures have reached the server. Errors: ErrNotLoggedIn,
// ErrReloginRequired, ErrUnreachable, *APIError (dual_signature_required,
// commitment_required, not_found).
func (c *Client) Submit(ctx context.Context, investigationID string) (*syncproto.SubmitResponse, error) {
	user, err := c.currentUser(ctx)
	if err != nil {
		return nil, err
	}
	id, err := resolveAlias(ctx, c.db, syncproto.CollInvestigations, investigationID)
	if err != nil {
		return nil, err
	}
	var res syncproto.SubmitResponse
	if err := c.call(ctx, user, http.MethodPost, "/v1/investigations/"+url.PathEscape(id)+"/submit", nil, &res); err != nil {
		return nil, err
	}
	return &res, nil
}
