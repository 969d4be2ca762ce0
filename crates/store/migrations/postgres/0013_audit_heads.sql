-- Audit chain heads, and the session sweeper's index (PostgreSQL). Never
-- edit an applied migration: add a new one.
--
-- See the SQLite migration: each organization's head (sequence number and
-- hash of its newest event), moved forward by the appending transaction, so
-- that removing the newest events is detected too.
CREATE TABLE audit_heads (
    org_id UUID PRIMARY KEY NOT NULL REFERENCES organizations (id),
    seq BIGINT NOT NULL,
    hash BYTEA NOT NULL
);
INSERT INTO audit_heads (org_id, seq, hash)
    SELECT DISTINCT ON (org_id) org_id, seq, hash FROM audit_events ORDER BY org_id, seq DESC;

-- A head only moves forward, and is never removed.
CREATE FUNCTION audit_heads_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR NEW.org_id <> OLD.org_id OR NEW.seq <= OLD.seq THEN
        RAISE EXCEPTION 'audit heads only move forward';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_heads_forward BEFORE UPDATE OR DELETE ON audit_heads
    FOR EACH ROW EXECUTE FUNCTION audit_heads_forward();
CREATE TRIGGER audit_heads_no_truncate BEFORE TRUNCATE ON audit_heads
    FOR EACH STATEMENT EXECUTE FUNCTION audit_heads_forward();

-- The sweeper reads live sessions by idle deadline (never later than the
-- absolute one), so the index holds live sessions only.
CREATE INDEX sessions_live_idle_expiry ON sessions (idle_expires_at) WHERE ended_at IS NULL;
