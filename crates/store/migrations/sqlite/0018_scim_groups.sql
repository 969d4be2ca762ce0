-- SCIM Groups mapped to roles (SQLite). Never edit an applied migration:
-- add a new one.
--
-- A SCIM group is a name an identity provider pushes (Okta's "Push
-- groups", Entra ID's group provisioning) bound to one role of the
-- organization: the group's members ARE the role's holders
-- (`member_roles`), so there is no second membership list. `created_role`
-- says the group made its role (a custom role named after it, deleted with
-- the group); otherwise the group is bound to an existing role through a
-- mapping. `name_key` is the lower-cased display name, unique in the
-- organization. Deleting a role (the Roles tab) deletes the groups and
-- mappings bound to it.
CREATE TABLE scim_groups (
    org_id BLOB NOT NULL REFERENCES organizations (id),
    id BLOB NOT NULL,
    display_name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    external_id TEXT,
    role_id BLOB NOT NULL,
    created_role INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, role_id) REFERENCES roles (org_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX scim_groups_name ON scim_groups (org_id, name_key);
CREATE INDEX scim_groups_role ON scim_groups (org_id, role_id);

-- An administrator's binding of a group's display name to an existing
-- role: a group pushed with that name is bound to the role instead of
-- making one of its own.
CREATE TABLE scim_group_mappings (
    org_id BLOB NOT NULL REFERENCES organizations (id),
    id BLOB NOT NULL,
    display_name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    role_id BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    created_by_label TEXT NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, role_id) REFERENCES roles (org_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX scim_group_mappings_name ON scim_group_mappings (org_id, name_key);
CREATE INDEX scim_group_mappings_role ON scim_group_mappings (org_id, role_id);
