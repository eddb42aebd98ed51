-- Card records and their lifecycle state (transitions in docs/card-lifecycle.md).
CREATE TABLE cards (
  id                  TEXT PRIMARY KEY,
  cardholder_id       TEXT NOT NULL REFERENCES cardholders (id),
  state               TEXT NOT NULL CHECK (state IN ('applied', 'approved', 'personalized', 'issued',
                        'active', 'blocked', 'replaced', 'revoked', 'expired')),
  replaces_card_id    TEXT UNIQUE REFERENCES cards (id),
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL
);

CREATE INDEX cards_cardholder ON cards (cardholder_id);

-- Purse balance moves from a replaced card once its last offline payments can no longer arrive;
-- executed later by the clearing side.
CREATE TABLE card_balance_transfers (
  id            TEXT PRIMARY KEY,
  from_card_id  TEXT NOT NULL UNIQUE REFERENCES cards (id),
  to_card_id    TEXT NOT NULL REFERENCES cards (id),
  due_at        TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('scheduled', 'executed', 'cancelled')),
  created_at    TEXT NOT NULL
);

CREATE INDEX card_balance_transfers_due ON card_balance_transfers (status, due_at);
