-- An address names one member of an organization (users.email is unique, and
-- a user has one membership per organization). Declaring it lets the planner
-- know that `org_id = ? AND email = ?` is one row: without statistics SQLite
-- otherwise counted an exact address's matches by scanning the covering
-- (org_id, status, email, user_id) index of the whole organization. The
-- address filter and SCIM's `userName eq` are read through it.
CREATE UNIQUE INDEX members_org_email ON members (org_id, email);
