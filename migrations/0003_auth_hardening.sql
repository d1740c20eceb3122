-- Hardening of the audit log: repeated identical entries collapse into one row (how many, and
-- when the last one came), and retention deletes by age of the last occurrence.
-- Never edit this file once shipped: add a new migration.

ALTER TABLE audit_log ADD COLUMN repeat_count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit_log ADD COLUMN last_at_ms INTEGER NOT NULL DEFAULT 0;
-- sha256 of the entry's fields and its collapse window; NULL for rows written before
ALTER TABLE audit_log ADD COLUMN collapse_key BLOB;
UPDATE audit_log SET last_at_ms = at_ms;
CREATE UNIQUE INDEX audit_log_collapse ON audit_log(collapse_key);
CREATE INDEX audit_log_last ON audit_log(last_at_ms);
