-- Rows for the table schema version 3 created, in version 3's own columns.
INSERT INTO import_seen (run, uri, created_at) VALUES
  ('run-1', 'tel:+13035550100', 1700000000030),
  ('run-1', 'mailto:bob@example.org', 1700000000031);
