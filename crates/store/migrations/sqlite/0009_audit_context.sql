-- Audit context and append-only enforcement (SQLite). Never edit an applied
-- migration: add a new one.
--
-- Each event now records the kind of actor (`user`, `service_account`,
-- `operator`, `system`), the request it came from (its id and User-Agent)
-- and the format of its chain hash: format 1 (events written before this
-- migration) hashes the original fields; format 2 also hashes the format,
-- the actor type, the request id and the User-Agent.
ALTER TABLE audit_events ADD COLUMN actor_type TEXT NOT NULL DEFAULT 'user';
ALTER TABLE audit_events ADD COLUMN request_id TEXT;
ALTER TABLE audit_events ADD COLUMN user_agent TEXT;
ALTER TABLE audit_events ADD COLUMN hash_format INTEGER NOT NULL DEFAULT 1;
UPDATE audit_events SET actor_type = 'system' WHERE actor_id IS NULL;

-- The log is append-only: the database refuses to change or remove an event,
-- whatever program asks.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
