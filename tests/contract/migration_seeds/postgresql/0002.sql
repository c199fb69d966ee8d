-- Rows for every table schema version 2 created, in version 2's own columns.
INSERT INTO partner_queries (uri, partner, state, partner_item_id, attempts, first_attempt, next_attempt, last_error, updated_at) VALUES
  ('tel:+33612345678', 'waitlist.partner.example', 'acked', 'p-17', 1, 1700000000020, 1700000000021, '', 1700000000022),
  ('tel:+4915112345678', 'waitlist.partner.example', 'timed_out', '', 5, 1700000000023, 1700000000024, 'remote-server-timeout', 1700000000025);
INSERT INTO inbound_requests (service, id, uri, pushed, created_at) VALUES
  ('waitlist.partner.example', 'r1', 'tel:+13035550100', 1, 1700000000026),
  ('waitlist.partner.example', 'r2', 'tel:+13035550199', 0, 1700000000027);
INSERT INTO sessions (full_jid, bare_jid, node_id, since) VALUES
  ('alice@sp.example/phone', 'alice@sp.example', 'node-a', 1700000000028),
  ('contact@sp.example/desk', 'contact@sp.example', 'node-b', 1700000000029);
