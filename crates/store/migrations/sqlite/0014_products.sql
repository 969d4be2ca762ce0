-- Products: subscriptions and licenses (SQLite). Never edit an applied
-- migration: add a new one.
--
-- The product catalogue is configuration, not data: `product` is a key of
-- the deployment's catalogue. An organization's subscription to a product
-- has a license (seat) count and a stored status ('trial', 'active',
-- 'canceled'; a trial past trial_ends_at reads as expired). `used` counts
-- the licenses assigned (to members of every status but archived: archiving
-- frees them) and `held_by_disabled` those held by disabled members; both
-- are kept in the transaction that assigns, removes or changes a member's
-- status, and the CHECK makes the database itself refuse more licenses
-- than seats. `settings` is a JSON object of the product's settings as the
-- organization set them.
CREATE TABLE subscriptions (
    org_id BLOB NOT NULL REFERENCES organizations (id),
    product TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('trial', 'active', 'canceled')),
    license_count INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0,
    held_by_disabled INTEGER NOT NULL DEFAULT 0,
    trial_starts_at INTEGER,
    trial_ends_at INTEGER,
    trial_started_by BLOB REFERENCES users (id),
    trial_started_by_label TEXT,
    settings TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, product),
    CHECK (used >= 0 AND used <= license_count AND held_by_disabled >= 0 AND held_by_disabled <= used)
);

-- A member's license of a product. The primary key serves a member's
-- products (the Users list's column, the check API); `licenses_product` a
-- product's holders (the product filter, the Products tab).
CREATE TABLE licenses (
    org_id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    product TEXT NOT NULL,
    assigned_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, user_id, product),
    FOREIGN KEY (org_id, user_id) REFERENCES members (org_id, user_id),
    FOREIGN KEY (org_id, product) REFERENCES subscriptions (org_id, product)
) WITHOUT ROWID;
CREATE INDEX licenses_product ON licenses (org_id, product, user_id);
