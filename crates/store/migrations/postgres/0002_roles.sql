-- Roles and permissions (PostgreSQL). Never edit an applied migration: add a new one.
--
-- Actions are stored as bits: 1 read, 2 create, 4 update, 8 delete.

-- The preset an organization was created from ('' for one created before
-- roles existed: `roster migrate` and `serve` install the default preset
-- there), whether it is a partner (broker/reseller), whether its owner may
-- hand ownership on, and a version that every change to its roles, grants or
-- role assignments increases in the same transaction, so that every server
-- instance sees the change on the next request.
ALTER TABLE organizations ADD COLUMN preset TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN partner BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE organizations ADD COLUMN owner_transfer BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE organizations ADD COLUMN authz_version BIGINT NOT NULL DEFAULT 0;

-- Application resources an organization's preset declares (the host
-- application enforces them; Roster stores grants and answers checks).
CREATE TABLE org_resources (
    org_id UUID NOT NULL REFERENCES organizations (id),
    key TEXT COLLATE "C" NOT NULL,
    label TEXT NOT NULL,
    description TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (org_id, key)
);

-- Roles: built-in ones come from the preset, custom ones from admins.
-- `name_key` is the lower-cased name, unique in the organization. `locked`
-- marks the owner's role, which is never edited or deleted. `member_count`
-- is kept in the transaction that assigns or removes the role.
CREATE TABLE roles (
    org_id UUID NOT NULL REFERENCES organizations (id),
    id UUID NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    description TEXT NOT NULL,
    builtin BOOLEAN NOT NULL,
    locked BOOLEAN NOT NULL,
    position INTEGER NOT NULL,
    member_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX roles_key ON roles (org_id, key);
CREATE UNIQUE INDEX roles_name ON roles (org_id, name_key);

CREATE TABLE role_grants (
    org_id UUID NOT NULL,
    role_id UUID NOT NULL,
    resource TEXT NOT NULL,
    actions INTEGER NOT NULL,
    PRIMARY KEY (org_id, role_id, resource),
    FOREIGN KEY (org_id, role_id) REFERENCES roles (org_id, id)
);

CREATE TABLE member_roles (
    org_id UUID NOT NULL,
    user_id UUID NOT NULL,
    role_id UUID NOT NULL,
    PRIMARY KEY (org_id, user_id, role_id),
    FOREIGN KEY (org_id, user_id) REFERENCES members (org_id, user_id),
    FOREIGN KEY (org_id, role_id) REFERENCES roles (org_id, id)
);
CREATE INDEX member_roles_role ON member_roles (org_id, role_id, user_id);

-- A member's own grants beside their roles (seed 002's "Custom" permissions).
CREATE TABLE member_grants (
    org_id UUID NOT NULL,
    user_id UUID NOT NULL,
    resource TEXT NOT NULL,
    actions INTEGER NOT NULL,
    PRIMARY KEY (org_id, user_id, resource),
    FOREIGN KEY (org_id, user_id) REFERENCES members (org_id, user_id)
);
