-- The History tab's indexes (PostgreSQL). Never edit an applied migration: add a new one.
--
-- See the SQLite migration: one index per filter, each (org_id, column,
-- created_at, seq), so that every page is an index range read.
CREATE INDEX audit_events_time ON audit_events (org_id, created_at, seq);
CREATE INDEX audit_events_action ON audit_events (org_id, action, created_at, seq);
CREATE INDEX audit_events_actor ON audit_events (org_id, actor_id, created_at, seq);
CREATE INDEX audit_events_actor_label ON audit_events (org_id, actor_label, created_at, seq);
CREATE INDEX audit_events_target_time ON audit_events (org_id, target_id, created_at, seq);
