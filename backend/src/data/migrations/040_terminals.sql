-- Merchants, their terminals and the PSAMs seated in them. A terminal authenticates with its own
-- credential: only the SHA-256 of its secret is stored, and rotating replaces it.
CREATE TABLE merchants (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  category    TEXT NOT NULL,
  created_at  TEXT NOT NULL
);

CREATE TABLE terminals (
  terminal_number         TEXT PRIMARY KEY,
  merchant_id             TEXT NOT NULL REFERENCES merchants (id),
  mode                    TEXT NOT NULL CHECK (mode IN ('gate', 'pos', 'kiosk', 'bureau')),
  location                TEXT NOT NULL,
  credential_hash         TEXT NOT NULL,
  credential_issued_at    TEXT NOT NULL,
  disabled                INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_at              TEXT NOT NULL,
  updated_at              TEXT NOT NULL
);

CREATE INDEX terminals_merchant ON terminals (merchant_id);

CREATE TABLE terminal_psams (
  serial           TEXT PRIMARY KEY,
  terminal_number  TEXT NOT NULL REFERENCES terminals (terminal_number),
  created_at       TEXT NOT NULL
);

CREATE INDEX terminal_psams_terminal ON terminal_psams (terminal_number);
