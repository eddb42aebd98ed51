-- Identity verification nonces: stored as SHA-256 hex only, bound to a terminal and service
-- point, single use (used_at set once), short-lived.
CREATE TABLE identity_nonces (
  nonce_hash     TEXT PRIMARY KEY,
  terminal_id    TEXT NOT NULL,
  service_point  TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  expires_at     TEXT NOT NULL,
  used_at        TEXT
);

CREATE INDEX identity_nonces_expiry ON identity_nonces (expires_at);
