-- Upload inbox (docs/upload.md): terminals send their purse records in signed batches; a batch
-- and each of its records are stored in one transaction before the terminal gets its ack.
-- Clearing reads inbox rows by status and advances them; nothing here is ever deleted.

-- A terminal's Ed25519 upload key (raw 32 bytes, upper-case hex). One key per terminal, one
-- terminal per key; replacing it keeps the issuedAt of the accepted proof so an older proof
-- cannot be replayed to roll the key back.
CREATE TABLE terminal_upload_keys (
  terminal_number  TEXT PRIMARY KEY REFERENCES terminals (terminal_number),
  public_key       TEXT NOT NULL UNIQUE,
  proof_issued_at  TEXT NOT NULL,
  registered_at    TEXT NOT NULL
);

-- One row per accepted batch. `digest` is the SHA-256 the signature covers: the same batch id
-- with another digest is refused, with the same digest it answers the stored counts again.
CREATE TABLE upload_batches (
  batch_id         TEXT PRIMARY KEY,
  terminal_number  TEXT NOT NULL REFERENCES terminals (terminal_number),
  digest           TEXT NOT NULL,
  signature        TEXT NOT NULL,
  public_key       TEXT NOT NULL,
  created_at       TEXT NOT NULL,
  received_at      TEXT NOT NULL,
  record_count     INTEGER NOT NULL CHECK (record_count >= 1),
  accepted         INTEGER NOT NULL CHECK (accepted >= 0),
  duplicates       INTEGER NOT NULL CHECK (duplicates >= 0),
  conflicts        INTEGER NOT NULL CHECK (conflicts >= 0)
);

CREATE INDEX upload_batches_terminal ON upload_batches (terminal_number, received_at);

-- One row per stored record. A record whose natural key (purchase: card + offline counter, and
-- terminal + TTSN; load: card + online counter) is already held with other content is kept as a
-- conflict row pointing at the first row of its group (`conflict_of`): a clone signal for
-- clearing. `status` starts 'received'; its later values belong to clearing, so no CHECK here.
CREATE TABLE upload_inbox (
  id               INTEGER PRIMARY KEY,
  batch_id         TEXT NOT NULL REFERENCES upload_batches (batch_id),
  position         INTEGER NOT NULL CHECK (position >= 0),
  kind             TEXT NOT NULL CHECK (kind IN ('purchase', 'load')),
  card_number      TEXT NOT NULL,
  counter          INTEGER NOT NULL,
  terminal_number  TEXT NOT NULL,
  ttsn             INTEGER,
  amount           INTEGER NOT NULL CHECK (amount BETWEEN 1 AND 4294967295),
  record_digest    TEXT NOT NULL,
  record           TEXT NOT NULL,
  conflict_of      INTEGER REFERENCES upload_inbox (id),
  status           TEXT NOT NULL DEFAULT 'received',
  status_at        TEXT NOT NULL,
  received_at      TEXT NOT NULL,
  UNIQUE (batch_id, position),
  CHECK ((kind = 'purchase') = (ttsn IS NOT NULL))
);

-- The first row of each natural key is unique; conflict rows are not.
CREATE UNIQUE INDEX upload_inbox_counter_first ON upload_inbox (kind, card_number, counter) WHERE conflict_of IS NULL;
CREATE UNIQUE INDEX upload_inbox_ttsn_first ON upload_inbox (terminal_number, ttsn) WHERE kind = 'purchase' AND conflict_of IS NULL;
CREATE INDEX upload_inbox_counter ON upload_inbox (kind, card_number, counter);
CREATE INDEX upload_inbox_ttsn ON upload_inbox (terminal_number, ttsn) WHERE kind = 'purchase';
CREATE INDEX upload_inbox_status ON upload_inbox (status, id);
