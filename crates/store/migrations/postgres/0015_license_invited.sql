-- Licenses held by invited members, counted (PostgreSQL). Never edit an
-- applied migration: add a new one.
--
-- See the SQLite migration: with `used` and `held_by_disabled`, the counter
-- splits a product's holders by status for the Users list's badges.
ALTER TABLE subscriptions ADD COLUMN held_by_invited BIGINT NOT NULL DEFAULT 0 CHECK (held_by_invited >= 0);
UPDATE subscriptions SET held_by_invited = (
    SELECT COUNT(*) FROM licenses l JOIN members m ON m.org_id = l.org_id AND m.user_id = l.user_id
    WHERE l.org_id = subscriptions.org_id AND l.product = subscriptions.product AND m.status = 'invited'
);
