-- Audit context and append-only enforcement (PostgreSQL). Never edit an
-- applied migration: add a new one.
--
-- See the SQLite migration: the actor type, the request id and User-Agent,
-- and the format of each event's chain hash.
ALTER TABLE audit_events ADD COLUMN actor_type TEXT NOT NULL DEFAULT 'user';
ALTER TABLE audit_events ADD COLUMN request_id TEXT;
ALTER TABLE audit_events ADD COLUMN user_agent TEXT;
ALTER TABLE audit_events ADD COLUMN hash_format SMALLINT NOT NULL DEFAULT 1;
UPDATE audit_events SET actor_type = 'system' WHERE actor_id IS NULL;

-- The log is append-only: the database refuses to change, remove or
-- truncate events, whatever program asks.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END
$$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
