-- The History tab's indexes (SQLite). Never edit an applied migration: add a new one.
--
-- The History list reads an organization's events newest first by
-- (created_at, seq) and pages by keyset on that pair. Each filter has an
-- index that starts with the organization, then the filtered column, then
-- the order, so that any page, however deep and whatever the filter, is one
-- index range read of a page's rows: the date range alone (and no filter)
-- reads audit_events_time; an action reads audit_events_action (an action
-- group reads it once per action of the group and merges); an actor reads
-- audit_events_actor (a user) or audit_events_actor_label (a label such as
-- `cli`); a target reads audit_events_target_time. Other filters of the same
-- request are checked on the rows read.
CREATE INDEX audit_events_time ON audit_events (org_id, created_at, seq);
CREATE INDEX audit_events_action ON audit_events (org_id, action, created_at, seq);
CREATE INDEX audit_events_actor ON audit_events (org_id, actor_id, created_at, seq);
CREATE INDEX audit_events_actor_label ON audit_events (org_id, actor_label, created_at, seq);
CREATE INDEX audit_events_target_time ON audit_events (org_id, target_id, created_at, seq);
