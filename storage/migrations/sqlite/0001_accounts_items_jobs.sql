-- Version 1: accounts, the URI directory, waiting lists and the job queue.
-- Times are milliseconds since the Unix epoch (INTEGER), the same in both backends.
CREATE TABLE accounts (
  jid        TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
);

CREATE TABLE credentials (
  jid        TEXT NOT NULL REFERENCES accounts(jid) ON DELETE CASCADE,
  mechanism  TEXT NOT NULL CHECK (mechanism IN ('SCRAM-SHA-1', 'SCRAM-SHA-256')),
  salt       BLOB NOT NULL,
  iterations INTEGER NOT NULL CHECK (iterations >= 4096),
  stored_key BLOB NOT NULL,
  server_key BLOB NOT NULL,
  PRIMARY KEY (jid, mechanism)
);

CREATE TABLE directory (
  uri        TEXT PRIMARY KEY,
  jid        TEXT NOT NULL REFERENCES accounts(jid) ON DELETE CASCADE,
  created_at INTEGER NOT NULL
);
CREATE INDEX directory_by_jid ON directory (jid);

-- One row per owner that ever had a waiting list: an emptied list is still a list.
CREATE TABLE waitlists (
  owner      TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
);

CREATE TABLE items (
  owner      TEXT NOT NULL REFERENCES waitlists(owner) ON DELETE CASCADE,
  id         TEXT NOT NULL,
  uri        TEXT NOT NULL,
  given_uri  TEXT NOT NULL,
  scheme     TEXT NOT NULL,
  name       TEXT NOT NULL DEFAULT '',
  jid        TEXT,
  state      TEXT NOT NULL CHECK (state IN ('waiting', 'found', 'not_found', 'timed_out')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  seq        INTEGER NOT NULL,  -- per owner, orders the list as it was built
  PRIMARY KEY (owner, id),
  UNIQUE (owner, uri)
);
CREATE INDEX items_by_uri_state ON items (uri, state);

CREATE TABLE jobs (
  id            INTEGER PRIMARY KEY,
  kind          TEXT NOT NULL,
  target        TEXT NOT NULL,
  uri           TEXT,
  payload       TEXT NOT NULL,
  run_at        INTEGER NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,
  parked        INTEGER NOT NULL DEFAULT 0,
  claimed_by    TEXT,
  claimed_until INTEGER,
  last_error    TEXT NOT NULL DEFAULT '',
  created_at    INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (parked, run_at);
CREATE INDEX jobs_by_target ON jobs (target, kind);
