-- Version 2: federation state (outbound queries, inbound requests) and cluster sessions.
CREATE TABLE partner_queries (
  uri             TEXT NOT NULL,
  partner         TEXT NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('pending', 'acked', 'found', 'not_found', 'timed_out', 'removed')),
  partner_item_id TEXT NOT NULL DEFAULT '',
  attempts        BIGINT NOT NULL DEFAULT 0,
  first_attempt   BIGINT NOT NULL,
  next_attempt    BIGINT NOT NULL,
  last_error      TEXT NOT NULL DEFAULT '',
  updated_at      BIGINT NOT NULL,
  PRIMARY KEY (uri, partner)
);

CREATE TABLE inbound_requests (
  service    TEXT NOT NULL,
  id         TEXT NOT NULL,
  uri        TEXT NOT NULL,
  pushed     BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (service, id),
  UNIQUE (service, uri)
);
CREATE INDEX inbound_by_uri ON inbound_requests (uri);

CREATE TABLE sessions (
  full_jid TEXT PRIMARY KEY,
  bare_jid TEXT NOT NULL,
  node_id  TEXT NOT NULL,
  since    BIGINT NOT NULL
);
CREATE INDEX sessions_by_bare ON sessions (bare_jid);
CREATE INDEX sessions_by_node ON sessions (node_id);
