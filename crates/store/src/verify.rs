//! `verify()`: a consistency check over the whole database, run after every
//! integration test. It answers every broken invariant it finds, in words.

use roster_domain::{MemberStatus, OrgId};
use uuid::Uuid;

use crate::{Db, Result};

/// `member_counts` row: organization, status, stored count, actual count.
type CountRow = (Uuid, String, i64, i64);
/// `subscriptions` row: organization, product, used, held by disabled and
/// by invited members, and the actual counts of each.
type SeatRow = (Uuid, String, i64, i64, i64, i64, i64, i64);
/// A row holding one id.
type IdRow = (Uuid,);

/// Checks the invariants the store promises and answers the broken ones:
///
/// - each organization's `member_counts` equal its members per status;
/// - every membership's mirrored email and name equal its user's;
/// - every owner is an active member of the organization they own;
/// - no live session belongs to a user who has memberships but no active one;
/// - every organization's audit chain verifies, up to its recorded head;
/// - each subscription's `used`, `held_by_disabled` and `held_by_invited`
///   equal its licenses (held by disabled, by invited members), and no
///   archived member holds a license;
/// - (SQLite) the FTS index agrees with the members table.
pub async fn verify(db: &Db) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let counts_sql = "SELECT c.org_id, c.status, c.count, \
         (SELECT COUNT(*) FROM members m WHERE m.org_id = c.org_id AND m.status = c.status) AS actual \
         FROM member_counts c";
    let mirror_sql = "SELECT m.user_id FROM members m JOIN users u ON u.id = m.user_id \
         WHERE m.email <> u.email OR m.name <> u.name";
    let owner_sql = "SELECT o.id FROM organizations o WHERE o.owner_id IS NOT NULL AND NOT EXISTS \
         (SELECT 1 FROM members m WHERE m.org_id = o.id AND m.user_id = o.owner_id AND m.status = 'active')";
    // Disabling or archiving a user's last active membership ends their
    // sessions. Someone signed in with no membership, or only invited (a
    // requester, a new sign-up invited meanwhile), is no such case.
    let session_sql = "SELECT s.id FROM sessions s WHERE s.ended_at IS NULL \
         AND EXISTS (SELECT 1 FROM members m WHERE m.user_id = s.user_id AND m.status <> 'invited') \
         AND NOT EXISTS (SELECT 1 FROM members m WHERE m.user_id = s.user_id AND m.status = 'active')";
    let orgs_sql = "SELECT id FROM organizations";
    let seats_sql = "SELECT s.org_id, s.product, s.used, s.held_by_disabled, s.held_by_invited, \
         (SELECT COUNT(*) FROM licenses l WHERE l.org_id = s.org_id AND l.product = s.product) AS actual, \
         (SELECT COUNT(*) FROM licenses l JOIN members m ON m.org_id = l.org_id AND m.user_id = l.user_id \
           WHERE l.org_id = s.org_id AND l.product = s.product AND m.status = 'disabled') AS disabled, \
         (SELECT COUNT(*) FROM licenses l JOIN members m ON m.org_id = l.org_id AND m.user_id = l.user_id \
           WHERE l.org_id = s.org_id AND l.product = s.product AND m.status = 'invited') AS invited \
         FROM subscriptions s";
    let archived_sql = "SELECT l.user_id FROM licenses l JOIN members m ON m.org_id = l.org_id AND m.user_id = l.user_id \
         WHERE m.status = 'archived'";
    if let Db::Sqlite(p) = db
        && let Err(e) =
            sqlx::query("INSERT INTO members_fts (members_fts, rank) VALUES ('integrity-check', 1)").execute(p).await
    {
        problems.push(format!("the members search index disagrees with the members table: {e}"));
    }
    let counts: Vec<CountRow> = rows(db, counts_sql).await?;
    let mirrors: Vec<IdRow> = rows(db, mirror_sql).await?;
    let owners: Vec<IdRow> = rows(db, owner_sql).await?;
    let sessions: Vec<IdRow> = rows(db, session_sql).await?;
    let orgs: Vec<IdRow> = rows(db, orgs_sql).await?;
    let seats: Vec<SeatRow> = rows(db, seats_sql).await?;
    let archived: Vec<IdRow> = rows(db, archived_sql).await?;
    for (org, product, used, held, held_invited, actual, disabled, invited) in seats {
        if used != actual {
            problems.push(format!("org {org}: subscription {product} counts {used} licenses but {actual} exist"));
        }
        if held != disabled {
            problems.push(format!(
                "org {org}: subscription {product} counts {held} held by disabled members but {disabled} are"
            ));
        }
        if held_invited != invited {
            problems.push(format!(
                "org {org}: subscription {product} counts {held_invited} held by invited members but {invited} are"
            ));
        }
    }
    for (user,) in archived {
        problems.push(format!("archived member {user} still holds a license"));
    }
    for (org, status, count, actual) in counts {
        if count != actual {
            problems.push(format!("org {org}: member_counts[{status}] = {count} but {actual} members have it"));
        }
        if status.parse::<MemberStatus>().is_err() {
            problems.push(format!("org {org}: unknown status {status} in member_counts"));
        }
    }
    for (user,) in mirrors {
        problems.push(format!("membership of user {user} does not mirror the user's email or name"));
    }
    for (org,) in owners {
        problems.push(format!("org {org}: its owner is not an active member"));
    }
    for (session,) in sessions {
        problems.push(format!("session {session} is live but its user has no active membership"));
    }
    for (org,) in orgs {
        if let Some(broken) = crate::audit::check_chain(db, OrgId(org)).await?.broken {
            problems.push(format!("org {org}: audit chain broken at {broken}"));
        }
    }
    Ok(problems)
}

/// Runs a fixed query on either backend.
async fn rows<T: crate::db::Row>(db: &Db, sql: &'static str) -> Result<Vec<T>> {
    Ok(match db {
        Db::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await?,
        Db::Postgres(p) => sqlx::query_as(sql).fetch_all(p).await?,
    })
}
