-- Products: subscriptions and licenses (PostgreSQL). Never edit an applied
-- migration: add a new one.
--
-- See the SQLite migration: a subscription per organization and product
-- with its seats and the counters kept in the changing transaction (the
-- CHECK refuses more licenses than seats), and the licenses themselves.
CREATE TABLE subscriptions (
    org_id UUID NOT NULL REFERENCES organizations (id),
    product TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('trial', 'active', 'canceled')),
    license_count BIGINT NOT NULL,
    used BIGINT NOT NULL DEFAULT 0,
    held_by_disabled BIGINT NOT NULL DEFAULT 0,
    trial_starts_at BIGINT,
    trial_ends_at BIGINT,
    trial_started_by UUID REFERENCES users (id),
    trial_started_by_label TEXT,
    settings TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, product),
    CHECK (used >= 0 AND used <= license_count AND held_by_disabled >= 0 AND held_by_disabled <= used)
);

CREATE TABLE licenses (
    org_id UUID NOT NULL,
    user_id UUID NOT NULL,
    product TEXT NOT NULL,
    assigned_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id, product),
    FOREIGN KEY (org_id, user_id) REFERENCES members (org_id, user_id),
    FOREIGN KEY (org_id, product) REFERENCES subscriptions (org_id, product)
);
CREATE INDEX licenses_product ON licenses (org_id, product, user_id);
