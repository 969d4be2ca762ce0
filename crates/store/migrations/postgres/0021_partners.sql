-- Partner organizations, their customers and organization groups (PostgreSQL).
-- Never edit an applied migration: add a new one.
--
-- A customer organization names its partner in `parent_id` (one partner
-- each; NULL for an organization nobody manages). Linking an existing
-- organization is a request its owner accepts or refuses
-- (`customer_link_requests`, keyed by the customer first).
--
-- An organization group belongs to its partner (`org_id` is the partner's)
-- and holds customers (`org_group_customers`; a customer may be in several).
-- A partner member's role applies in the partner through `member_roles`, and
-- inside customers through `customer_roles`: one row per (role, group), where
-- the nil id (all zeros) stands for "every customer". A member's groups are
-- the groups their rows name, so there is no second membership list.
ALTER TABLE organizations ADD COLUMN parent_id UUID REFERENCES organizations (id);
CREATE INDEX organizations_parent ON organizations (parent_id, name, id);

CREATE TABLE customer_link_requests (
    org_id UUID NOT NULL REFERENCES organizations (id),
    partner_id UUID NOT NULL REFERENCES organizations (id),
    requested_by UUID REFERENCES users (id),
    requested_by_label TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, partner_id)
);
CREATE INDEX customer_link_requests_partner ON customer_link_requests (partner_id, created_at);

CREATE TABLE org_groups (
    org_id UUID NOT NULL REFERENCES organizations (id),
    id UUID NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX org_groups_name ON org_groups (org_id, name_key);

CREATE TABLE org_group_customers (
    org_id UUID NOT NULL,
    group_id UUID NOT NULL,
    customer_id UUID NOT NULL REFERENCES organizations (id),
    PRIMARY KEY (org_id, group_id, customer_id),
    FOREIGN KEY (org_id, group_id) REFERENCES org_groups (org_id, id)
);
CREATE INDEX org_group_customers_customer ON org_group_customers (org_id, customer_id, group_id);

CREATE TABLE customer_roles (
    org_id UUID NOT NULL,
    user_id UUID NOT NULL,
    role_id UUID NOT NULL,
    group_id UUID NOT NULL,
    PRIMARY KEY (org_id, user_id, role_id, group_id),
    FOREIGN KEY (org_id, user_id) REFERENCES members (org_id, user_id),
    FOREIGN KEY (org_id, role_id) REFERENCES roles (org_id, id) ON DELETE CASCADE
);
CREATE INDEX customer_roles_group ON customer_roles (org_id, group_id, user_id);

-- Partners that exist already (the broker preset) keep what their roles
-- meant: the owner's role and the "Global …" roles reach every customer.
INSERT INTO customer_roles (org_id, user_id, role_id, group_id)
SELECT mr.org_id, mr.user_id, mr.role_id, '00000000-0000-0000-0000-000000000000'::uuid
FROM member_roles mr
JOIN roles r ON r.org_id = mr.org_id AND r.id = mr.role_id
JOIN organizations o ON o.id = mr.org_id
WHERE o.preset = 'broker'
  AND r.key IN ('super_admin', 'global_admin', 'global_view_only_admin', 'global_support_admin', 'global_billing_admin');
