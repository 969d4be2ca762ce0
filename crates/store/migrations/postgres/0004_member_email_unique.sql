-- See the SQLite migration: an address names one member of an organization,
-- and the exact-address look-up is read through this index.
CREATE UNIQUE INDEX members_org_email ON members (org_id, email);
