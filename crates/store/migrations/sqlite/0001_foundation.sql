-- Foundation schema (SQLite). Never edit an applied migration: add a new one.
-- Timestamps are INTEGER milliseconds since the Unix epoch on both backends.

CREATE TABLE users (
    id BLOB PRIMARY KEY NOT NULL,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    password_hash TEXT,
    email_confirmed INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (email);

CREATE TABLE organizations (
    id BLOB PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    owner_id BLOB REFERENCES users (id),
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX organizations_slug ON organizations (slug);

-- A user's membership of one organization. `email` and `name` mirror the
-- user's so that the directory can sort and page by them through an index;
-- the service layer updates them in the transaction that changes the user.
-- `last_active_at` is 0 for a member who was never active, so that keyset
-- pagination needs no NULL handling.
CREATE TABLE members (
    org_id BLOB NOT NULL REFERENCES organizations (id),
    user_id BLOB NOT NULL REFERENCES users (id),
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('invited', 'active', 'disabled', 'archived')),
    created_at INTEGER NOT NULL,
    last_active_at INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX members_user ON members (user_id);
CREATE INDEX members_email ON members (org_id, email, user_id);
CREATE INDEX members_name ON members (org_id, name, user_id);
CREATE INDEX members_created ON members (org_id, created_at, user_id);
CREATE INDEX members_last_active ON members (org_id, last_active_at, user_id);
CREATE INDEX members_status_email ON members (org_id, status, email, user_id);
CREATE INDEX members_status_name ON members (org_id, status, name, user_id);
CREATE INDEX members_status_created ON members (org_id, status, created_at, user_id);
CREATE INDEX members_status_last_active ON members (org_id, status, last_active_at, user_id);

-- Substring search over email and name: an FTS5 trigram index over the
-- members table (external content, keyed by its rowid; Roster never runs VACUUM).
CREATE VIRTUAL TABLE members_fts USING fts5 (
    email, name, content = 'members', content_rowid = 'rowid', tokenize = 'trigram'
);
-- A bulk load (dev seed) adds the terms of many rows in one statement: with a
-- 64 MiB pending-terms buffer (the default is 1 MiB) FTS5 writes them as a few
-- large segments instead of many small ones it must then merge. Everyday
-- writes add a few rows per transaction, so nothing is held at rest.
INSERT INTO members_fts (members_fts, rank) VALUES ('hashsize', 67108864);
CREATE TRIGGER members_fts_insert AFTER INSERT ON members BEGIN
    INSERT INTO members_fts (rowid, email, name) VALUES (new.rowid, new.email, new.name);
END;
CREATE TRIGGER members_fts_delete AFTER DELETE ON members BEGIN
    INSERT INTO members_fts (members_fts, rowid, email, name) VALUES ('delete', old.rowid, old.email, old.name);
END;
CREATE TRIGGER members_fts_update AFTER UPDATE OF email, name ON members BEGIN
    INSERT INTO members_fts (members_fts, rowid, email, name) VALUES ('delete', old.rowid, old.email, old.name);
    INSERT INTO members_fts (rowid, email, name) VALUES (new.rowid, new.email, new.name);
END;

-- Per-status member counts, kept in the transaction that changes a status,
-- so that the directory's badges never count rows.
CREATE TABLE member_counts (
    org_id BLOB NOT NULL REFERENCES organizations (id),
    status TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, status)
);

-- Sign-in sessions. The cookie carries a random token; only its SHA-256 is stored.
CREATE TABLE sessions (
    id BLOB PRIMARY KEY NOT NULL,
    user_id BLOB NOT NULL REFERENCES users (id),
    token_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    idle_expires_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ip TEXT,
    user_agent TEXT,
    ended_at INTEGER,
    end_reason TEXT
);
CREATE UNIQUE INDEX sessions_token_hash ON sessions (token_hash);
CREATE INDEX sessions_user ON sessions (user_id, ended_at);

-- One-time links to set a password (owner set-up, later resets). Hash only.
CREATE TABLE password_tokens (
    token_hash BLOB PRIMARY KEY NOT NULL,
    user_id BLOB NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);

-- The audit log: append-only and hash-chained per organization.
CREATE TABLE audit_events (
    org_id BLOB NOT NULL REFERENCES organizations (id),
    seq INTEGER NOT NULL,
    id BLOB NOT NULL,
    actor_id BLOB,
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    details TEXT NOT NULL,
    ip TEXT,
    created_at INTEGER NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (org_id, seq)
);
CREATE INDEX audit_events_target ON audit_events (org_id, target_type, target_id, seq);
