-- Where a session signed in from, and the indexes of the organization-wide
-- session lists (SQLite). Never edit an applied migration: add a new one.
--
-- `location` is looked up once, at sign-in, in the operator's GeoIP database
-- ("Berlin, Germany"); NULL without a database or for an address it does not
-- know. The lists read it as stored, so no request looks up a row.
--
-- The Active Sessions tab lists an organization's live sessions newest first,
-- the Session History tab its ended ones by when they ended. For an
-- organization with many members the query walks these indexes in that order
-- and keeps the sessions of its members (the members primary key answers);
-- for a small one it reads its members' sessions through `sessions_user`.
ALTER TABLE sessions ADD COLUMN location TEXT;
CREATE INDEX sessions_live_created ON sessions (created_at, id) WHERE ended_at IS NULL;
CREATE INDEX sessions_ended ON sessions (ended_at, id) WHERE ended_at IS NOT NULL;
