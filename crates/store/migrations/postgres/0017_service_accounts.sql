-- Service accounts and API tokens (PostgreSQL). Never edit an applied
-- migration: add a new one.
--
-- A service account is a non-human principal of one organization: it holds
-- roles (`service_account_roles`) and own grants (`service_account_grants`)
-- like a member, and API tokens. Deleting one archives it (its tokens are
-- revoked; its history stays); names are unique among the organization's
-- accounts that are not archived. `scim` marks the account SCIM
-- provisioning uses.
CREATE TABLE service_accounts (
    org_id UUID NOT NULL REFERENCES organizations (id),
    id UUID NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'disabled', 'archived')),
    scim BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    created_by_label TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX service_accounts_name ON service_accounts (org_id, name) WHERE status <> 'archived';
CREATE INDEX service_accounts_list ON service_accounts (org_id, status, name);

CREATE TABLE service_account_roles (
    org_id UUID NOT NULL,
    account_id UUID NOT NULL,
    role_id UUID NOT NULL,
    PRIMARY KEY (org_id, account_id, role_id),
    FOREIGN KEY (org_id, account_id) REFERENCES service_accounts (org_id, id),
    FOREIGN KEY (org_id, role_id) REFERENCES roles (org_id, id)
);
CREATE INDEX service_account_roles_role ON service_account_roles (org_id, role_id);

CREATE TABLE service_account_grants (
    org_id UUID NOT NULL,
    account_id UUID NOT NULL,
    resource TEXT NOT NULL,
    actions INTEGER NOT NULL,
    PRIMARY KEY (org_id, account_id, resource),
    FOREIGN KEY (org_id, account_id) REFERENCES service_accounts (org_id, id)
);

-- An API token: a service account's (`org_id` and `account_id`) or a
-- member's personal one (`user_id`, no organization: it acts as the member
-- wherever they are a member, within their grants at each request). Only
-- the token's SHA-256 is stored, with its first characters (`prefix`) for
-- lists. `expires_at` NULL is "never" (only where the deployment allows
-- it). A rotation sets the old token's `expires_at` to the end of the
-- overlap and links the new one (`rotated_from`).
CREATE TABLE api_tokens (
    id UUID NOT NULL PRIMARY KEY,
    org_id UUID REFERENCES organizations (id),
    account_id UUID,
    user_id UUID REFERENCES users (id),
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    token_hash BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    created_by_label TEXT NOT NULL,
    expires_at BIGINT,
    last_used_at BIGINT,
    last_used_ip TEXT,
    revoked_at BIGINT,
    revoked_by_label TEXT,
    rotated_from UUID,
    CHECK ((account_id IS NOT NULL AND org_id IS NOT NULL AND user_id IS NULL)
        OR (account_id IS NULL AND user_id IS NOT NULL)),
    FOREIGN KEY (org_id, account_id) REFERENCES service_accounts (org_id, id)
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);
CREATE INDEX api_tokens_account ON api_tokens (org_id, account_id, created_at);
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);
