-- Versioned hotlist (docs/hotlist.md): one row per change, version = the list's version after it.
-- Append only; a card's current state is its highest-version row.
CREATE TABLE hotlist_entries (
  version      INTEGER PRIMARY KEY,
  card_number  TEXT NOT NULL,
  action       TEXT NOT NULL CHECK (action IN ('add', 'remove')),
  reason       TEXT NOT NULL CHECK (reason IN ('lost', 'stolen', 'revoked', 'replaced', 'found')),
  created_at   TEXT NOT NULL
);

CREATE INDEX hotlist_entries_card ON hotlist_entries (card_number, version);
