-- Append-only, hash-chained audit log (see docs/card-lifecycle.md).
-- details holds canonical JSON with ids only: never secrets or personal data.
CREATE TABLE audit_log (
  seq        INTEGER PRIMARY KEY,
  at         TEXT    NOT NULL,
  actor      TEXT    NOT NULL,
  action     TEXT    NOT NULL,
  subject    TEXT,
  details    TEXT    NOT NULL,
  prev_hash  TEXT    NOT NULL,
  hash       TEXT    NOT NULL UNIQUE
);

CREATE INDEX audit_log_subject ON audit_log (subject, seq);

-- The database itself refuses edits; the hash chain catches anyone who bypasses this.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
