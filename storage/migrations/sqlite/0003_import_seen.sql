-- Version 3: the URIs a sync import has seen, by run. Once every batch of the file is in,
-- the directory's URIs the run did not see are removed (numbers ported out, contracts ended).
CREATE TABLE import_seen (
  run        TEXT NOT NULL,
  uri        TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (run, uri)
);
