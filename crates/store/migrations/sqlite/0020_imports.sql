-- Bulk imports (sqlite). Never edit an applied migration: add a new one.
--
-- An import is a job: the uploaded file (kept until the import ends, then
-- cleared, since it may hold password hashes), where its headers were
-- placed, one row per data row of the file with the outcome its check
-- planned, and the commit's progress. A commit is applied in batches, each
-- batch one transaction that also marks its rows applied (`result`), so a
-- server killed mid-commit leaves a job any instance resumes once its lease
-- (`lease_owner`, `lease_until`) has run out, applying each row once.
CREATE TABLE imports (
    org_id BLOB NOT NULL REFERENCES organizations (id),
    id BLOB NOT NULL,
    status TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_kind TEXT NOT NULL,
    file_data BLOB,
    mode TEXT NOT NULL,
    dry_run INTEGER NOT NULL,
    skip_invalid INTEGER NOT NULL,
    invite INTEGER NOT NULL,
    headers TEXT NOT NULL,
    mapping TEXT NOT NULL,
    rows_total BIGINT NOT NULL,
    count_create BIGINT NOT NULL,
    count_update BIGINT NOT NULL,
    count_unchanged BIGINT NOT NULL,
    count_error BIGINT NOT NULL,
    applied BIGINT NOT NULL,
    to_apply BIGINT NOT NULL,
    message TEXT,
    created_by BLOB,
    created_by_label TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    committed_at BIGINT,
    finished_at BIGINT,
    lease_owner TEXT,
    lease_until BIGINT,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX imports_created ON imports (org_id, created_at);
CREATE INDEX imports_status ON imports (status, lease_until);

-- One data row of an import's file: the fields as read, the outcome
-- planned (create, update, unchanged, error, with the reason and the cell),
-- and, once committed, what was done (`result`: created, updated,
-- unchanged, skipped, failed).
CREATE TABLE import_rows (
    org_id BLOB NOT NULL,
    import_id BLOB NOT NULL,
    line BIGINT NOT NULL,
    email TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    roles TEXT,
    products TEXT,
    password_hash TEXT,
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL,
    cell TEXT NOT NULL,
    user_id BLOB,
    result TEXT,
    PRIMARY KEY (org_id, import_id, line),
    FOREIGN KEY (org_id, import_id) REFERENCES imports (org_id, id) ON DELETE CASCADE
);
CREATE INDEX import_rows_outcome ON import_rows (org_id, import_id, outcome, result, line);

-- How an organization answered the mapping step: a header (normalized) and
-- the column it goes to, used again for the next upload.
CREATE TABLE import_mappings (
    org_id BLOB NOT NULL REFERENCES organizations (id),
    header TEXT NOT NULL,
    target TEXT NOT NULL,
    PRIMARY KEY (org_id, header)
);
