-- Email changes (SQLite). Never edit an applied migration: add a new one.
--
-- A signed-in user asks to change their email address: this row is written,
-- a link is mailed to the new address and a notice to the old one, and
-- `users.email` changes only when the link is followed. Only the SHA-256 of
-- the link's secret is stored. A request works once (`used_at`), until
-- `expires_at`; a newer request of the same user, or the user's own
-- cancel, ends the earlier ones (`canceled_at`). A user is global, so the
-- table has no organization: it is looked up by token or by user.
CREATE TABLE email_changes (
    id BLOB PRIMARY KEY NOT NULL,
    user_id BLOB NOT NULL REFERENCES users (id),
    new_email TEXT NOT NULL,
    token_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    canceled_at INTEGER
);
CREATE UNIQUE INDEX email_changes_token ON email_changes (token_hash);
CREATE INDEX email_changes_user ON email_changes (user_id, created_at);
