-- Email changes (PostgreSQL). Never edit an applied migration: add a new one.
--
-- See the SQLite migration: a pending change of a user's email address,
-- confirmed through a link mailed to the new address (only its SHA-256 is
-- stored), used once, expiring, ended by a newer request or a cancel.
CREATE TABLE email_changes (
    id UUID PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL REFERENCES users (id),
    new_email TEXT NOT NULL,
    token_hash BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    canceled_at BIGINT
);
CREATE UNIQUE INDEX email_changes_token ON email_changes (token_hash);
CREATE INDEX email_changes_user ON email_changes (user_id, created_at);
