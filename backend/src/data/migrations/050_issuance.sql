-- Issuance jobs of the personalization station (backend/src/domain/issuance/issuanceJobs.ts).
-- order_json is the snapshot the station writes to the card (card info, cardholder, purse limits);
-- it holds personal data, so it is cleared once the job is done.
CREATE TABLE issuance_jobs (
  id            TEXT    PRIMARY KEY,
  seq           INTEGER NOT NULL UNIQUE,
  card_id       TEXT    NOT NULL UNIQUE REFERENCES cards (id),
  batch_id      TEXT,
  card_number   TEXT    NOT NULL UNIQUE,
  state         TEXT    NOT NULL CHECK (state IN ('queued', 'claimed', 'done', 'failed')),
  order_json    TEXT    NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,
  station       TEXT,
  claim_token   TEXT,
  lease_until   TEXT,
  last_error    TEXT,
  created_by    TEXT    NOT NULL,
  created_at    TEXT    NOT NULL,
  updated_at    TEXT    NOT NULL,
  CHECK ((state = 'claimed') = (claim_token IS NOT NULL))
);

CREATE INDEX issuance_jobs_queue ON issuance_jobs (state, seq);
CREATE INDEX issuance_jobs_batch ON issuance_jobs (batch_id, state);

-- What the station reported for a personalized card; written in the transaction that marks the card personalized.
CREATE TABLE card_personalizations (
  card_id          TEXT PRIMARY KEY REFERENCES cards (id),
  job_id           TEXT NOT NULL UNIQUE REFERENCES issuance_jobs (id),
  card_number      TEXT NOT NULL UNIQUE,
  csn              TEXT NOT NULL UNIQUE,
  certificate      TEXT NOT NULL,
  personalized_at  TEXT NOT NULL
);
