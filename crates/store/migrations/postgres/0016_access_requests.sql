-- Access requests, organization settings and sign-ups (PostgreSQL). Never edit
-- an applied migration: add a new one.
--
-- `org_settings`: one row per organization that changed a setting (none
-- reads as the defaults: join link off, no code). `join_code` is the join
-- link's secret part (32 hex digits); regenerating replaces it, so old links
-- die. It is kept as it is, not hashed: administrators copy the link again
-- from the settings, and the code grants nothing but the right to ask.
CREATE TABLE org_settings (
    org_id UUID NOT NULL PRIMARY KEY REFERENCES organizations (id),
    join_link_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    join_code TEXT,
    updated_at BIGINT NOT NULL
);

-- The email domains an organization declares as its own: a user whose
-- confirmed address is in one is offered to ask to join.
CREATE TABLE org_email_domains (
    org_id UUID NOT NULL REFERENCES organizations (id),
    domain TEXT NOT NULL,
    PRIMARY KEY (org_id, domain)
);
CREATE INDEX org_email_domains_domain ON org_email_domains (domain, org_id);

-- A request to join: stored 'pending', 'approved', 'denied', 'withdrawn' or
-- 'expired' (written when a pending one past expires_at is noticed; before
-- that it reads as expired). One pending request per person and
-- organization (the partial unique index), so that concurrent requests make
-- one. `roles` and `products` (JSON arrays of names) record what an
-- approval gave; `via` is how the requester came ('join_link',
-- 'email_domain'). A decision is one conditional update from 'pending', so
-- of two concurrent decisions exactly one wins.
CREATE TABLE access_requests (
    org_id UUID NOT NULL REFERENCES organizations (id),
    id UUID NOT NULL,
    user_id UUID NOT NULL REFERENCES users (id),
    email TEXT COLLATE "C" NOT NULL,
    name TEXT NOT NULL,
    message TEXT NOT NULL,
    via TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'withdrawn', 'expired')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    decided_at BIGINT,
    decided_by UUID REFERENCES users (id),
    decided_by_label TEXT,
    reason TEXT,
    roles TEXT,
    products TEXT,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX access_requests_one_pending ON access_requests (org_id, user_id) WHERE status = 'pending';
CREATE INDEX access_requests_list ON access_requests (org_id, status, created_at, id);
CREATE INDEX access_requests_decided ON access_requests (org_id, decided_at, id);
CREATE INDEX access_requests_user ON access_requests (user_id, created_at);
CREATE INDEX access_requests_expiry ON access_requests (status, expires_at);

-- Sign-ups waiting for their address to be confirmed: the account is made
-- only when the emailed link is followed, so that nobody can hold an
-- address they do not read. Only the link secret's SHA-256 is stored, and
-- the chosen password only as its argon2id hash.
CREATE TABLE signups (
    id UUID NOT NULL PRIMARY KEY,
    email TEXT COLLATE "C" NOT NULL,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    token_hash BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE UNIQUE INDEX signups_token ON signups (token_hash);
CREATE INDEX signups_email ON signups (email, created_at);
