-- Dual control: a sensitive action requested by one staff member, approved by another.
CREATE TABLE approvals (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
  requested_by TEXT NOT NULL REFERENCES staff (id),
  requested_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  decided_by TEXT REFERENCES staff (id),
  decided_at TEXT,
  reason TEXT
);
CREATE INDEX approvals_status ON approvals (status, requested_at);
