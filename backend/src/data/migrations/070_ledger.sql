-- Double-entry ledger (docs/clearing.md, "Ledger"). Every posting is one journal entry whose
-- lines sum to zero; amounts are integer fen. Entries and lines are append-only; an account's
-- running balance is the only value ever updated, in the same transaction as the lines it sums.

-- Accounts are created on first use and named by role: 'float:<card number>' (cardholder float,
-- liability), 'payable:<merchant id>' (owed to a merchant, liability), 'fees' (revenue), 'bank'
-- (cash and clearing bank, asset), 'transit' (balance between a transferOut and its transferIn,
-- liability). `balance` is on the account's normal side: credits - debits for liabilities and
-- revenue, debits - credits for assets, so a card's float balance is what the card holds.
CREATE TABLE ledger_accounts (
  name         TEXT PRIMARY KEY,
  type         TEXT NOT NULL CHECK (type IN ('asset', 'liability', 'revenue')),
  role         TEXT NOT NULL CHECK (role IN ('float', 'payable', 'fees', 'bank', 'transit')),
  card_number  TEXT,
  merchant_id  TEXT,
  balance      INTEGER NOT NULL,
  created_at   TEXT NOT NULL,
  CHECK ((role = 'float') = (card_number IS NOT NULL)),
  CHECK ((role = 'payable') = (merchant_id IS NOT NULL))
) WITHOUT ROWID;

CREATE INDEX ledger_accounts_role ON ledger_accounts (role);

-- One row per posting. `key` is the idempotency key (the record's natural key); the content
-- columns (kind, cards, merchant, amount, fee_bps, at) must match when a key is posted again.
-- `to_card_number` is set for 'transfer' (one entry moving float from card_number to it);
-- merchant, fee_bps and fee belong to purchases only.
CREATE TABLE ledger_entries (
  id              INTEGER PRIMARY KEY,
  key             TEXT NOT NULL UNIQUE,
  kind            TEXT NOT NULL CHECK (kind IN ('load', 'purchase', 'refund', 'transferOut', 'transferIn', 'transfer')),
  card_number     TEXT NOT NULL,
  to_card_number  TEXT,
  merchant_id     TEXT,
  amount          INTEGER NOT NULL CHECK (amount > 0),
  fee_bps         INTEGER CHECK (fee_bps BETWEEN 0 AND 10000),
  fee             INTEGER NOT NULL CHECK (fee BETWEEN 0 AND amount),
  at              TEXT NOT NULL,
  ref             TEXT,
  posted_at       TEXT NOT NULL,
  CHECK ((kind = 'purchase') = (merchant_id IS NOT NULL)),
  CHECK ((kind = 'purchase') = (fee_bps IS NOT NULL)),
  CHECK ((kind = 'transfer') = (to_card_number IS NOT NULL))
);

-- Covers merchant totals per period (settlement) without touching the table.
CREATE INDEX ledger_entries_merchant ON ledger_entries (merchant_id, at, amount, fee) WHERE merchant_id IS NOT NULL;

-- Signed amounts: a debit is positive, a credit negative; the lines of one entry sum to zero.
CREATE TABLE ledger_lines (
  entry_id  INTEGER NOT NULL REFERENCES ledger_entries (id),
  account   TEXT NOT NULL REFERENCES ledger_accounts (name),
  amount    INTEGER NOT NULL CHECK (amount <> 0),
  PRIMARY KEY (entry_id, account)
) WITHOUT ROWID;

-- The database itself refuses edits of the journal; the conservation check catches anyone who
-- bypasses this or edits a running balance.
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN
  SELECT RAISE(ABORT, 'ledger_entries is append-only');
END;

CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN
  SELECT RAISE(ABORT, 'ledger_entries is append-only');
END;

CREATE TRIGGER ledger_lines_no_update BEFORE UPDATE ON ledger_lines
BEGIN
  SELECT RAISE(ABORT, 'ledger_lines is append-only');
END;

CREATE TRIGGER ledger_lines_no_delete BEFORE DELETE ON ledger_lines
BEGIN
  SELECT RAISE(ABORT, 'ledger_lines is append-only');
END;

-- An account keeps its identity for ever; only its running balance moves.
CREATE TRIGGER ledger_accounts_no_rename BEFORE UPDATE OF name, type, role, card_number, merchant_id, created_at ON ledger_accounts
BEGIN
  SELECT RAISE(ABORT, 'ledger_accounts: only the running balance changes');
END;

CREATE TRIGGER ledger_accounts_no_delete BEFORE DELETE ON ledger_accounts
BEGIN
  SELECT RAISE(ABORT, 'ledger_accounts are never deleted');
END;
