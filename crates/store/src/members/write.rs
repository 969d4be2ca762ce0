//! Writes: inserting memberships, changing a status, recording activity,
//! removing an invited member. Each write that changes how many members
//! hold a status updates `member_counts` in the same transaction.

use roster_domain::{MemberStatus, OrgId, Timestamp, UserId};
use sea_query::{Expr, ExprTrait, Query};

use super::{NewMember, member_status};
use crate::tables::{MemberCounts, Members};
use crate::{Result, Tx};

/// Rows per multi-row INSERT: 7 values each stays under SQLite's 32,766 and
/// PostgreSQL's 65,535 bound parameters. Few, large statements matter on
/// SQLite: each statement flushes the FTS5 trigram index's pending terms to a
/// new segment (at its statement savepoint) and journals the pages it touches
/// first, so 500-row statements spent more time merging segments and
/// journaling than inserting.
const INSERT_CHUNK: usize = 4_000;

/// Inserts memberships in one multi-row statement per chunk and adds them to
/// the status counters.
pub async fn insert_members(tx: &mut Tx, rows: &[NewMember]) -> Result<()> {
    for chunk in rows.chunks(INSERT_CHUNK) {
        let mut q = Query::insert();
        q.into_table(Members::Table).columns([
            Members::OrgId,
            Members::UserId,
            Members::Email,
            Members::Name,
            Members::Status,
            Members::CreatedAt,
            Members::LastActiveAt,
        ]);
        for m in chunk {
            q.values_panic([
                m.org_id.0.into(),
                m.user_id.0.into(),
                m.email.clone().into(),
                m.name.clone().into(),
                m.status.as_str().into(),
                m.created_at.0.into(),
                m.last_active_at.map_or(0, |t| t.0).into(),
            ]);
        }
        tx.execute(&q).await?;
    }
    let mut per_org: std::collections::BTreeMap<(OrgId, MemberStatus), i64> = Default::default();
    for m in rows {
        *per_org.entry((m.org_id, m.status)).or_default() += 1;
    }
    for ((org, status), n) in per_org {
        add_to_count(tx, org, status, n).await?;
    }
    Ok(())
}

async fn add_to_count(tx: &mut Tx, org: OrgId, status: MemberStatus, n: i64) -> Result<()> {
    if n == 0 {
        return Ok(());
    }
    tx.execute(
        Query::update()
            .table(MemberCounts::Table)
            .value(MemberCounts::Count, Expr::col(MemberCounts::Count).add(n))
            .and_where(Expr::col(MemberCounts::OrgId).eq(org.0))
            .and_where(Expr::col(MemberCounts::Status).eq(status.as_str())),
    )
    .await?;
    Ok(())
}

/// Moves one member from `from` to `to` and updates the counters; `now`
/// is the row's `updated_at`. Answers `false` (and changes nothing) when
/// the member's status was not `from`.
pub async fn set_status(
    tx: &mut Tx,
    org: OrgId,
    user: UserId,
    from: MemberStatus,
    to: MemberStatus,
    now: Timestamp,
) -> Result<bool> {
    let n = tx
        .execute(
            Query::update()
                .table(Members::Table)
                .values([(Members::Status, to.as_str().into()), (Members::UpdatedAt, now.0.into())])
                .and_where(Expr::col(Members::OrgId).eq(org.0))
                .and_where(Expr::col(Members::UserId).eq(user.0))
                .and_where(Expr::col(Members::Status).eq(from.as_str())),
        )
        .await?;
    if n == 1 {
        add_to_count(tx, org, from, -1).await?;
        add_to_count(tx, org, to, 1).await?;
        crate::products::follow_status(tx, org, &[user], from, Some(to)).await?;
    }
    Ok(n == 1)
}

/// Moves many members of one status to another, in one statement, and
/// updates the counters; `now` is the rows' `updated_at`. Answers how many
/// moved.
pub async fn set_status_many(
    tx: &mut Tx,
    org: OrgId,
    users: &[UserId],
    from: MemberStatus,
    to: MemberStatus,
    now: Timestamp,
) -> Result<u64> {
    let mut moved = 0;
    for chunk in users.chunks(500) {
        crate::products::follow_status(tx, org, chunk, from, Some(to)).await?;
        moved += tx
            .execute(
                Query::update()
                    .table(Members::Table)
                    .values([(Members::Status, to.as_str().into()), (Members::UpdatedAt, now.0.into())])
                    .and_where(Expr::col(Members::OrgId).eq(org.0))
                    .and_where(Expr::col(Members::Status).eq(from.as_str()))
                    .and_where(Expr::col(Members::UserId).is_in(chunk.iter().map(|u| u.0))),
            )
            .await?;
    }
    add_to_count(tx, org, from, -(moved as i64)).await?;
    add_to_count(tx, org, to, moved as i64).await?;
    Ok(moved)
}

/// Records that a member was active now. Activity is not a change of the
/// membership: `updated_at` stays.
pub async fn touch_member(tx: &mut Tx, org: OrgId, user: UserId, now: Timestamp) -> Result<()> {
    tx.execute(
        Query::update()
            .table(Members::Table)
            .value(Members::LastActiveAt, now.0)
            .and_where(Expr::col(Members::OrgId).eq(org.0))
            .and_where(Expr::col(Members::UserId).eq(user.0)),
    )
    .await?;
    Ok(())
}

/// Records that a user was active now in every organization where they are active.
pub async fn touch_user_memberships(tx: &mut Tx, user: UserId, now: Timestamp) -> Result<()> {
    tx.execute(
        Query::update()
            .table(Members::Table)
            .value(Members::LastActiveAt, now.0)
            .and_where(Expr::col(Members::UserId).eq(user.0))
            .and_where(Expr::col(Members::Status).eq(MemberStatus::Active.as_str())),
    )
    .await?;
    Ok(())
}

/// Removes a membership that never started: an invited member whose
/// invitation was canceled. Their roles (with the roles' member counts) and
/// own grants go with it, and the status counters are updated. Answers
/// `false` (and changes nothing) when the member is not `invited`. The
/// caller bumps the organization's authorization version.
pub async fn delete_invited_member(tx: &mut Tx, org: OrgId, user: UserId) -> Result<bool> {
    if member_status(tx, org, user).await? != Some(MemberStatus::Invited) {
        return Ok(false);
    }
    for role in crate::roles::member_role_ids(tx, org, user).await? {
        crate::roles::remove_role(tx, org, role, &[user]).await?;
    }
    crate::roles::set_member_grants(tx, org, user, &Default::default()).await?;
    crate::products::follow_status(tx, org, &[user], MemberStatus::Invited, None).await?;
    let n = tx
        .execute(
            Query::delete()
                .from_table(Members::Table)
                .and_where(Expr::col(Members::OrgId).eq(org.0))
                .and_where(Expr::col(Members::UserId).eq(user.0))
                .and_where(Expr::col(Members::Status).eq(MemberStatus::Invited.as_str())),
        )
        .await?;
    if n == 1 {
        add_to_count(tx, org, MemberStatus::Invited, -1).await?;
    }
    Ok(n == 1)
}
