-- Rows for every table schema version 1 created, in version 1's own columns.
INSERT INTO accounts (jid, created_at) VALUES
  ('alice@sp.example', 1700000000001),
  ('contact@sp.example', 1700000000002);
INSERT INTO credentials (jid, mechanism, salt, iterations, stored_key, server_key) VALUES
  ('alice@sp.example', 'SCRAM-SHA-1', X'00FF10', 4096, X'0102030405', X'F0E0D0'),
  ('alice@sp.example', 'SCRAM-SHA-256', X'00AA', 8192, X'DEADBEEF00', X'00'),
  ('contact@sp.example', 'SCRAM-SHA-256', X'0001', 4097, X'CAFE', X'BABE');
INSERT INTO directory (uri, jid, created_at) VALUES
  ('tel:+13035550100', 'contact@sp.example', 1700000000003),
  ('mailto:contact@sp.example', 'contact@sp.example', 1700000000004);
INSERT INTO waitlists (owner, created_at) VALUES
  ('alice@sp.example', 1700000000005),
  ('emptied@sp.example', 1700000000006);
INSERT INTO items (owner, id, uri, given_uri, scheme, name, jid, state, created_at, updated_at, seq) VALUES
  ('alice@sp.example', 'i1', 'tel:+13035550100', '+1 (303) 555-0100', 'tel', 'Contact', 'contact@sp.example', 'found', 1700000000007, 1700000000008, 1),
  ('alice@sp.example', 'i2', 'tel:+33612345678', '+33 6 12 34 56 78', 'tel', 'Pierre', NULL, 'waiting', 1700000000009, 1700000000009, 2),
  ('alice@sp.example', 'i3', 'mailto:nobody@sp.example', 'nobody@sp.example', 'mailto', '', NULL, 'not_found', 1700000000010, 1700000000011, 3),
  ('alice@sp.example', 'i4', 'tel:+4915112345678', '+49 151 12345678', 'tel', 'Late', NULL, 'timed_out', 1700000000012, 1700000000013, 4);
INSERT INTO jobs (kind, target, uri, payload, run_at, attempts, parked, claimed_by, claimed_until, last_error, created_at) VALUES
  ('push', 'alice@sp.example', 'tel:+13035550100', '{"item_id":"i1","uri":"tel:+13035550100","given_uri":"+1 (303) 555-0100","scheme":"tel","name":"Contact","jid":"contact@sp.example","state":"found"}', 1700000000014, 0, 0, NULL, NULL, '', 1700000000014),
  ('partner_query', 'waitlist.partner.example', 'tel:+33612345678', '{"uri":"tel:+33612345678"}', 1700000000015, 2, 0, 'node-a', 1700000000100, 'remote-server-timeout', 1700000000015),
  ('push', 'alice@sp.example', 'tel:+4915112345678', '{"item_id":"i4","uri":"tel:+4915112345678","given_uri":"+49 151 12345678","scheme":"tel","name":"Late","jid":"","state":"timed_out"}', 1700000000016, 5, 1, NULL, NULL, 'parked after 5 attempts', 1700000000016);
