-- Invitations (PostgreSQL). Never edit an applied migration: add a new one.
--
-- An invitation is a pending membership by email: inviting writes this row,
-- creates the user when the address is unknown (no password, email not
-- confirmed) and a `members` row with status 'invited' holding the invited
-- roles and own grants, so that the Users list shows the person as Invited.
-- Accepting activates that membership; canceling removes it (this row stays
-- as history).
--
-- The link's token carries the organization's id beside the secret, so the
-- invitation is found by (org_id, token_hash); only the secret's SHA-256 is
-- stored. Sending it again replaces token_hash (the old link dies) and moves
-- expires_at. `status` is 'pending', 'accepted' or 'canceled'; a pending
-- invitation past expires_at reads as expired. `roles` (a JSON array of role
-- ids) and `grants` (a JSON object: resource → actions) record what was
-- offered. `expired_noted_at` is when its expiry was written to the audit
-- log (cleared when it is sent again).
CREATE TABLE invitations (
    org_id UUID NOT NULL REFERENCES organizations (id),
    id UUID NOT NULL,
    user_id UUID NOT NULL REFERENCES users (id),
    email TEXT COLLATE "C" NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    roles TEXT NOT NULL,
    grants TEXT NOT NULL,
    token_hash BYTEA NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'canceled')),
    expires_at BIGINT NOT NULL,
    invited_by UUID REFERENCES users (id),
    invited_by_label TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT NOT NULL,
    resend_count BIGINT NOT NULL DEFAULT 0,
    accepted_at BIGINT,
    canceled_at BIGINT,
    canceled_by UUID REFERENCES users (id),
    canceled_by_label TEXT,
    expired_noted_at BIGINT,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX invitations_token ON invitations (org_id, token_hash);
CREATE INDEX invitations_list ON invitations (org_id, status, created_at, id);
CREATE INDEX invitations_created ON invitations (org_id, created_at, id);
CREATE INDEX invitations_expiry ON invitations (org_id, status, expires_at);
CREATE INDEX invitations_user ON invitations (org_id, user_id, status);
