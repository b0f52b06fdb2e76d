// Package photos turns an uploaded photo into what the server keeps and
// serves: the verified original plus two EXIF-free JPEG derivatives, "large"
// and "thumb", in a content-addressed store on the local filesystem.
//
// Process is pure (it reads one file and returns bytes); Store does the
// filesystem work. Uploads puts the tus 1.0 resumable-upload protocol
// (github.com/tus/tusd/v2) on top of both, and Service serves the stored
// photos.
//
// # Upload, as a client sees it
//
//  1. POST /v1/photos/missing {"sha256":[…]} lists what the server lacks.
//  2. POST /v1/uploads/ with Tus-Resumable: 1.0.0, Upload-Length and
//     Upload-Metadata sha256, household_id, kind and (optional) filename.
//     The metadata and the household's scope are checked here, before any
//     byte is sent: 422 validation_failed / invalid_kind /
//     unknown_household, 403 out_of_scope, 409 already_exists (the same
//     file is filed under another household), 413 payload_too_large.
//  3. PATCH the Location with Upload-Offset; after a cut, HEAD gives the
//     offset to resume from. Only the creator may HEAD, PATCH or DELETE
//     an upload (403 forbidden).
//  4. The PATCH that completes the upload answers after the photo is
//     processed, stored and filed: 204, or 422 sha256_mismatch, 422
//     image_too_large, 415 not_an_image. Either way the upload is gone
//     (HEAD answers 404); a refused photo leaves nothing behind.
//  5. The photo reaches every device of its village through pull, as a
//     "photos" record whose id is its SHA-256.
//
// Errors are problem+json; tusd's own text/plain errors are rewritten with
// their status kept and a code from the tus error ("mismatched_offset").
// Uploads that see no write for UploadConfig.Expiry are swept.
package photos
