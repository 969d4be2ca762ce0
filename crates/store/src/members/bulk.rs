//! The selection of a bulk change and of its preview: one rule for both, so
//! that the preview counts what the change then changes.

use roster_domain::{MemberFilter, MemberStatus, OrgId, UserId};
use sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement};
use uuid::Uuid;

use super::count_members;
use super::filter::{Plan, SearchPath, Source, apply_filter};
use crate::db::Conn;
use crate::tables::Members;
use crate::{Backend, Result, StoreError};

/// How a bulk change's queries apply the search: testing the whole trigram
/// match set, unless an address condition already narrows the rows through
/// the email index (then each of those rows is tested).
fn bulk_path(filter: &MemberFilter) -> SearchPath {
    if filter.email_matches().is_empty() { SearchPath::TrigramSet } else { SearchPath::RowTest }
}

/// The ids of the next `limit` members (by id, after `after`) that match a
/// filter and have one of `statuses`, for bulk changes.
pub async fn select_member_ids(
    r: &mut impl crate::Reader,
    org: OrgId,
    filter: &MemberFilter,
    statuses: &[MemberStatus],
    after: Option<UserId>,
    limit: u64,
) -> Result<Vec<(UserId, MemberStatus)>> {
    #[derive(sqlx::FromRow)]
    struct IdRow {
        user_id: Uuid,
        status: String,
    }
    let statuses: Vec<MemberStatus> = statuses.iter().copied().filter(|s| filter.admits(*s)).collect();
    if statuses.is_empty() {
        return Ok(Vec::new());
    }
    let q = ids_statement(r.backend(), org, &MemberFilter { statuses, ..filter.clone() }, after, limit);
    r.read_all::<IdRow, _>(&q)
        .await?
        .into_iter()
        .map(|r| {
            let s = r.status.parse().map_err(|_| StoreError::Corrupt(format!("member status {}", r.status)))?;
            Ok((UserId(r.user_id), s))
        })
        .collect()
}

/// The statement of [`select_member_ids`] for a filter whose statuses are
/// already narrowed to the change's: by id (the members' primary key).
pub(super) fn ids_statement(
    backend: Backend,
    org: OrgId,
    filter: &MemberFilter,
    after: Option<UserId>,
    limit: u64,
) -> SelectStatement {
    let mut q = Query::select();
    q.column((Members::Table, Members::UserId)).column((Members::Table, Members::Status)).from(Members::Table);
    apply_filter(&mut q, backend, org, filter, true, Plan::new(Source::Members, bulk_path(filter)));
    if let Some(a) = after {
        q.and_where(Expr::col((Members::Table, Members::UserId)).gt(a.0));
    }
    q.order_by((Members::Table, Members::UserId), Order::Asc).limit(limit);
    q
}

/// Counts members matching a filter whose status is one of `statuses`
/// (the preview of a bulk change). Uses the counters when there is no search.
pub async fn count_for_change(
    conn: &mut Conn,
    org: OrgId,
    filter: &MemberFilter,
    statuses: &[MemberStatus],
) -> Result<u64> {
    let statuses: Vec<MemberStatus> = statuses.iter().copied().filter(|s| filter.admits(*s)).collect();
    if statuses.is_empty() {
        return Ok(0);
    }
    if !filter.narrows() || super::counts::product_only(filter).is_some() {
        let (counts, _) = count_members(conn, org, filter).await?;
        return Ok(statuses.iter().map(|s| counts.get(*s)).sum());
    }
    #[derive(sqlx::FromRow)]
    struct N {
        n: i64,
    }
    let mut q = Query::select();
    q.expr_as(Expr::cust("COUNT(*)"), Alias::new("n")).from(Members::Table);
    apply_filter(
        &mut q,
        conn.backend(),
        org,
        &MemberFilter { statuses, ..filter.clone() },
        true,
        Plan::new(Source::Members, bulk_path(filter)),
    );
    Ok(conn.fetch_all_planned::<N, _>(&q).await?.first().map_or(0, |n| n.n.clamp(0, i64::MAX) as u64))
}
