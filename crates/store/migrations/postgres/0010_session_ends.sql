-- Who ended a session (PostgreSQL). Never edit an applied migration: add a new one.
--
-- See the SQLite migration: `ended_by`, `ended_by_org`, and the two expiry reasons.
ALTER TABLE sessions ADD COLUMN ended_by UUID REFERENCES users (id);
ALTER TABLE sessions ADD COLUMN ended_by_org UUID REFERENCES organizations (id);
UPDATE sessions SET end_reason = CASE WHEN ended_at >= expires_at THEN 'absolute_expiry' ELSE 'idle_expiry' END
    WHERE end_reason = 'expired';
