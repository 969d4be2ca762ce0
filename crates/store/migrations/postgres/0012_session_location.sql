-- Where a session signed in from, and the indexes of the organization-wide
-- session lists (PostgreSQL). Never edit an applied migration: add a new one.
--
-- See the SQLite migration: `location` from the GeoIP database at sign-in,
-- and the live and ended sessions in the order the two lists read them.
ALTER TABLE sessions ADD COLUMN location TEXT;
CREATE INDEX sessions_live_created ON sessions (created_at, id) WHERE ended_at IS NULL;
CREATE INDEX sessions_ended ON sessions (ended_at, id) WHERE ended_at IS NOT NULL;
