-- Large audit details are stored zstd-compressed in detail_zstd, with
-- detail left ''. The row hash is over the detail itself (server.RowHash),
-- so rows written before and after verify alike; a row holding both
-- columns was not written by ruhu and fails verification.
ALTER TABLE audit_log ADD COLUMN detail_zstd BLOB;
