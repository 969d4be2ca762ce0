-- Audit chain heads, and the session sweeper's index (SQLite). Never edit an
-- applied migration: add a new one.
--
-- A hash chain shows an event edited, removed from the middle, inserted or
-- moved, but not the newest events removed: what is left is still a valid
-- chain. So each organization's head (the sequence number and hash of its
-- newest event) is kept beside the log, moved forward by the same
-- transaction that appends, and `roster audit verify` compares the chain's
-- end with it.
CREATE TABLE audit_heads (
    org_id BLOB PRIMARY KEY NOT NULL REFERENCES organizations (id),
    seq INTEGER NOT NULL,
    hash BLOB NOT NULL
);
INSERT INTO audit_heads (org_id, seq, hash)
    SELECT e.org_id, e.seq, e.hash FROM audit_events e
    WHERE e.seq = (SELECT MAX(x.seq) FROM audit_events x WHERE x.org_id = e.org_id);

-- A head only moves forward, and is never removed.
CREATE TRIGGER audit_heads_no_delete BEFORE DELETE ON audit_heads
BEGIN
    SELECT RAISE(ABORT, 'audit heads only move forward');
END;
CREATE TRIGGER audit_heads_forward BEFORE UPDATE ON audit_heads
WHEN NEW.org_id <> OLD.org_id OR NEW.seq <= OLD.seq
BEGIN
    SELECT RAISE(ABORT, 'audit heads only move forward');
END;

-- The sweeper reads live sessions by idle deadline (never later than the
-- absolute one), so the index holds live sessions only.
CREATE INDEX sessions_live_idle_expiry ON sessions (idle_expires_at) WHERE ended_at IS NULL;
