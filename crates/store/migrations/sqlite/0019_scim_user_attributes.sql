-- SCIM User attributes (SQLite). Never edit an applied migration: add a
-- new one.
--
-- What an identity provider says about a member that Roster keeps for it
-- (issue 12), on the membership row, so that SCIM filters on them are
-- conditions on `members` like the others:
-- - `external_id`: SCIM's `externalId`, the provider's own id of the person
--   (Entra's objectId), case-exact; unique in an organization among the
--   rows that have one, archived ones included, so that a POST with an
--   archived member's externalId restores that member and restoring one
--   never collides with a live member.
-- - `employee_number`, `department`, `manager_id`: the enterprise
--   extension (RFC 7643 §4.3); the manager is a user id of the same
--   organization, their name read by a join.
-- - `work_email`: the provider's work address when it differs from the
--   sign-in address (`email`); the sign-in address stays `userName`.
-- - `updated_at`: when the row last changed (SCIM's `meta.lastModified`),
--   the application clock's milliseconds; NULL (rows older than this
--   migration) reads as `created_at`.
ALTER TABLE members ADD COLUMN external_id TEXT;
ALTER TABLE members ADD COLUMN employee_number TEXT;
ALTER TABLE members ADD COLUMN department TEXT;
ALTER TABLE members ADD COLUMN manager_id BLOB;
ALTER TABLE members ADD COLUMN work_email TEXT;
ALTER TABLE members ADD COLUMN updated_at INTEGER;
CREATE UNIQUE INDEX members_external_id ON members (org_id, external_id) WHERE external_id IS NOT NULL;
