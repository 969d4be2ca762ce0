-- The email outbox (SQLite). Never edit an applied migration: add a new one.
--
-- A message is written here in the same transaction as the change that
-- causes it (an invitation, a reset link), so that no email is lost when SMTP
-- is down and none is sent for a change that rolled back. A worker on any
-- server instance claims due messages (`status` 'queued', `next_attempt_at`
-- reached), marks them 'sending' until `lease_until`, sends them, and records
-- 'sent' or, after the last retry, 'failed' with the last error. A message
-- whose lease ran out (its sender died) is due again.
--
-- `org_id` is the organization the message belongs to (its administrators
-- see it on the Outbox page), or NULL for a message about a person rather
-- than a membership (their own password reset, their email change), which
-- only the operator sees. `sensitive` marks a message whose link is a
-- credential for someone else (a reset link sent by an administrator): the
-- Outbox page hides its link from everyone but the recipient.
CREATE TABLE outbox (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB REFERENCES organizations (id),
    kind TEXT NOT NULL,
    to_email TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    sensitive INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    sent_at INTEGER
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_org ON outbox (org_id, created_at, id);
CREATE INDEX outbox_created ON outbox (created_at, id);
