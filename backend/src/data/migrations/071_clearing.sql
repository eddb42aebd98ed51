-- Clearing (docs/clearing.md, "Checks"): the rows it refused to post, the facts the checks run on
-- (counters, TTSNs and the balance chain per card), the exceptions it raised for review, the cards
-- it flagged as cloned, and each merchant's fee. Whether a row was cleared at all is its inbox
-- status: clearing moves it from 'received' to 'cleared' (posted) or 'exception' (not posted).

-- Inbox rows clearing refused to post, and why (the inbox row's status is then 'exception'). A row
-- that posted is in clearing_chain and the ledger instead (status 'cleared').
CREATE TABLE clearing_rejections (
  inbox_id     INTEGER PRIMARY KEY REFERENCES upload_inbox (id),
  verdict      TEXT NOT NULL CHECK (verdict IN ('bad-tac', 'duplicate', 'clone')),
  rejected_at  TEXT NOT NULL
);

-- The posted records of each card, in both chains: purchases by offline counter, loads by online
-- counter. `step` is the record's place in the card's merged sequence (0 = first) and
-- `last_purchase`/`last_load` the counters the chain had taken after it (-1: none), so a late
-- record replays the chain from its predecessor only. `expected_before` is the balance the chain
-- expected when it differs from `balance_before` (a BALANCE_MISMATCH), else NULL.
CREATE TABLE clearing_chain (
  card_number      TEXT NOT NULL,
  kind             TEXT NOT NULL CHECK (kind IN ('purchase', 'load')),
  counter          INTEGER NOT NULL CHECK (counter BETWEEN 0 AND 65535),
  balance_before   INTEGER NOT NULL,
  amount           INTEGER NOT NULL,
  tx_time          TEXT NOT NULL,
  inbox_id         INTEGER NOT NULL REFERENCES upload_inbox (id),
  step             INTEGER NOT NULL,
  last_purchase    INTEGER NOT NULL,
  last_load        INTEGER NOT NULL,
  expected_before  INTEGER,
  PRIMARY KEY (card_number, kind, counter)
) WITHOUT ROWID;

-- Every TTSN a PSAM (named by its terminal number) is known to have issued: the TTSNs of purchase
-- rows whose TAC verified, posted or not.
CREATE TABLE clearing_ttsns (
  terminal_number  TEXT NOT NULL,
  ttsn             INTEGER NOT NULL,
  inbox_id         INTEGER NOT NULL REFERENCES upload_inbox (id),
  PRIMARY KEY (terminal_number, ttsn)
) WITHOUT ROWID;

-- The review queue. `subject` names what the exception is about, unique per kind: 'inbox:<id>'
-- for a row's own verdict, 'card:<card>:<offline|online>:<counter>' for the counter gap before
-- that counter, 'terminal:<terminal>:<ttsn>' for the TTSN gap before that TTSN. Clearing resolves
-- gaps and balance mismatches itself when later records explain them (resolved_by 'clearing');
-- staff resolve or refund the rest.
CREATE TABLE clearing_exceptions (
  id               INTEGER PRIMARY KEY,
  kind             TEXT NOT NULL CHECK (kind IN ('BAD_TAC', 'DUPLICATE', 'COUNTER_GAP', 'TTSN_GAP', 'CLONE',
                                                 'BALANCE_MISMATCH', 'HOTLISTED_AFTER_BLOCK')),
  subject          TEXT NOT NULL,
  card_number      TEXT,
  terminal_number  TEXT,
  inbox_id         INTEGER REFERENCES upload_inbox (id),
  details          TEXT NOT NULL,
  status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'refunded')),
  opened_at        TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  resolved_at      TEXT,
  resolved_by      TEXT,
  resolution       TEXT,
  UNIQUE (kind, subject),
  CHECK ((status = 'open') = (resolved_at IS NULL))
);

CREATE INDEX clearing_exceptions_queue ON clearing_exceptions (status, kind, id);
CREATE INDEX clearing_exceptions_card ON clearing_exceptions (card_number, kind);

-- Cards clearing found cloned. `hotlisted_at` stays NULL until the hotlist took the card, so a
-- listing that failed after the clearing transaction committed is retried by the next call.
CREATE TABLE clearing_card_flags (
  card_number   TEXT PRIMARY KEY,
  reason        TEXT NOT NULL CHECK (reason IN ('clone')),
  inbox_id      INTEGER NOT NULL REFERENCES upload_inbox (id),
  flagged_at    TEXT NOT NULL,
  hotlisted_at  TEXT
) WITHOUT ROWID;

CREATE INDEX clearing_card_flags_pending ON clearing_card_flags (hotlisted_at) WHERE hotlisted_at IS NULL;

-- A merchant's purchase fee in basis points (0-10000); a merchant without a row pays the
-- clearing default.
CREATE TABLE clearing_merchant_fees (
  merchant_id  TEXT PRIMARY KEY REFERENCES merchants (id),
  fee_bps      INTEGER NOT NULL CHECK (fee_bps BETWEEN 0 AND 10000),
  updated_at   TEXT NOT NULL
) WITHOUT ROWID;
