-- The community's actual-population register: residents and floating population.
CREATE TABLE cardholders (
  id                   TEXT PRIMARY KEY,
  kind                 TEXT NOT NULL CHECK (kind IN ('resident', 'floating')),
  full_name            TEXT NOT NULL,
  citizen_id           TEXT UNIQUE,
  birth_date           TEXT NOT NULL,
  phone                TEXT,
  address              TEXT NOT NULL,
  household_id         TEXT,
  relation_to_head     TEXT,
  residence_permit_no  TEXT UNIQUE,
  permit_expires_on    TEXT,
  created_at           TEXT NOT NULL,
  updated_at           TEXT NOT NULL,
  CHECK (kind = 'floating' OR citizen_id IS NOT NULL),
  CHECK (kind = 'resident' OR (residence_permit_no IS NOT NULL AND permit_expires_on IS NOT NULL)),
  CHECK ((household_id IS NULL) = (relation_to_head IS NULL))
);

CREATE INDEX cardholders_household ON cardholders (household_id);

-- Who read whose personal data, when and why; queryable per cardholder.
CREATE TABLE cardholder_access_log (
  id             INTEGER PRIMARY KEY,
  cardholder_id  TEXT NOT NULL REFERENCES cardholders (id),
  accessor       TEXT NOT NULL,
  purpose        TEXT NOT NULL,
  at             TEXT NOT NULL
);

CREATE INDEX cardholder_access_log_subject ON cardholder_access_log (cardholder_id, id);

CREATE TRIGGER cardholder_access_log_no_update BEFORE UPDATE ON cardholder_access_log
BEGIN
  SELECT RAISE(ABORT, 'cardholder_access_log is append-only');
END;

CREATE TRIGGER cardholder_access_log_no_delete BEFORE DELETE ON cardholder_access_log
BEGIN
  SELECT RAISE(ABORT, 'cardholder_access_log is append-only');
END;
