-- Licenses held by invited members, counted (SQLite). Never edit an applied
-- migration: add a new one.
--
-- With `used` and `held_by_disabled`, this counter splits a product's
-- holders by status (archived members hold none), so that the Users list
-- filtered by a product shows its badge counts from the subscription's row
-- instead of counting holders. It is kept, like the others, by the
-- transactions that assign and remove licenses and change members' statuses.
ALTER TABLE subscriptions ADD COLUMN held_by_invited INTEGER NOT NULL DEFAULT 0 CHECK (held_by_invited >= 0);
UPDATE subscriptions SET held_by_invited = (
    SELECT COUNT(*) FROM licenses l JOIN members m ON m.org_id = l.org_id AND m.user_id = l.user_id
    WHERE l.org_id = subscriptions.org_id AND l.product = subscriptions.product AND m.status = 'invited'
);
