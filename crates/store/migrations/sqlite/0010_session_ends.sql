-- Who ended a session (SQLite). Never edit an applied migration: add a new one.
--
-- A session logged out by someone else records who (`ended_by`, a user) and,
-- when an organization's administrator did it from the Active Sessions tab,
-- from which organization (`ended_by_org`). Expiry now says which deadline
-- passed: `idle_expiry` or `absolute_expiry` (was `expired`).
ALTER TABLE sessions ADD COLUMN ended_by BLOB REFERENCES users (id);
ALTER TABLE sessions ADD COLUMN ended_by_org BLOB REFERENCES organizations (id);
UPDATE sessions SET end_reason = CASE WHEN ended_at >= expires_at THEN 'absolute_expiry' ELSE 'idle_expiry' END
    WHERE end_reason = 'expired';
