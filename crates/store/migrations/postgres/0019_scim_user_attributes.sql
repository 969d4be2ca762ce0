-- SCIM User attributes (PostgreSQL). Never edit an applied migration: add
-- a new one. See the SQLite migration for what each column holds. The text
-- columns use the "C" collation like `email` and `name`, so that both
-- backends order and compare them by their bytes.
ALTER TABLE members ADD COLUMN external_id TEXT COLLATE "C";
ALTER TABLE members ADD COLUMN employee_number TEXT COLLATE "C";
ALTER TABLE members ADD COLUMN department TEXT COLLATE "C";
ALTER TABLE members ADD COLUMN manager_id UUID;
ALTER TABLE members ADD COLUMN work_email TEXT COLLATE "C";
ALTER TABLE members ADD COLUMN updated_at BIGINT;
CREATE UNIQUE INDEX members_external_id ON members (org_id, external_id) WHERE external_id IS NOT NULL;
