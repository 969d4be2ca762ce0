//! The directory's keyset listing: one page in any sort order, read forward
//! or backward from a cursor (or, for shallow pages, from an offset).

use roster_domain::members::{Member, SortValue};
use roster_domain::{MemberSort, OrgId, SortOrder};
use sea_query::{Expr, ExprTrait, Order, Query, SelectStatement};

use super::filter::{Plan, Source, apply_filter, plan};
use super::read::{MemberRow, member_select_from, member_select_of};
use super::{ListSpec, MemberPage, PageStart};
use crate::db::Conn;
use crate::tables::{Members, qualified};
use crate::{Backend, Result};

fn sort_column(sort: MemberSort) -> Members {
    match sort {
        MemberSort::Email => Members::Email,
        MemberSort::Name => Members::Name,
        MemberSort::Created => Members::CreatedAt,
        MemberSort::LastActive => Members::LastActiveAt,
    }
}

fn sort_value_expr(v: &SortValue) -> Expr {
    match v {
        SortValue::Text(s) => Expr::val(s.clone()),
        SortValue::Time(t) => Expr::val(t.map_or(0, |t| t.0)),
    }
}

/// The statement of one page read as `plan` says: the filter, the keyset
/// or offset start, the sort, one row more than the page.
///
/// A walk in sort order that tests a role or a product chooses the page's
/// ids first, from the sort order's index alone (`(org_id, [status,]
/// column, user_id)` holds every column the walk tests), and reads those
/// rows after: otherwise every row walked past would be read from the table
/// only to learn its `user_id` (on PostgreSQL, the walk is then an
/// index-only scan).
pub(super) fn page_statement(backend: Backend, org: OrgId, spec: &ListSpec, plan: Plan) -> SelectStatement {
    let col = sort_column(spec.sort);
    let ids_first = plan.source == Source::Members
        && (spec.filter.role.is_some() || spec.filter.product.is_some())
        && spec.filter.email_matches().is_empty();
    let mut q = if ids_first {
        let mut ids = Query::select();
        ids.column((Members::Table, Members::UserId)).from(Members::Table);
        ids
    } else {
        member_select_from(plan.source)
    };
    apply_filter(&mut q, backend, org, &spec.filter, true, plan);
    let backward = matches!(&spec.start, PageStart::Cursor(c) if c.backward);
    // Reading backward walks the index the other way and flips the rows after.
    let ascending = (spec.order == SortOrder::Asc) != backward;
    let order = if ascending { Order::Asc } else { Order::Desc };
    // An address condition reads its rows from the email index (see `plan`);
    // under another sort they are then sorted. The sort column is written as
    // an expression (the same values and order) so that no planner walks
    // that column's index instead: without statistics, SQLite would scan a
    // whole organization in name order to find one address.
    let sort_key = if spec.filter.email_matches().is_empty() || spec.sort == MemberSort::Email {
        Expr::col((Members::Table, col))
    } else if matches!(spec.sort, MemberSort::Name) {
        Expr::cust(format!("{} || ''", qualified(Members::Table, Members::Name)))
    } else {
        Expr::col((Members::Table, col)).add(0)
    };
    match &spec.start {
        PageStart::Offset(n) => {
            q.offset(*n);
        }
        PageStart::Cursor(c) => {
            let left = Expr::tuple([sort_key.clone(), Expr::col((Members::Table, Members::UserId))]);
            let right = Expr::tuple([sort_value_expr(&c.value), Expr::val(c.id.0)]);
            q.and_where(if ascending { left.gt(right) } else { left.lt(right) });
        }
    }
    q.order_by_expr(sort_key.clone(), order.clone())
        .order_by((Members::Table, Members::UserId), order.clone())
        .limit(spec.limit + 1);
    if ids_first {
        // The page's rows, in the page's order (a sort of one page).
        let mut rows = member_select_of(q, org);
        rows.order_by_expr(sort_key, order.clone()).order_by((Members::Table, Members::UserId), order);
        return rows;
    }
    q
}

/// One page of an organization's members.
pub async fn list_members(conn: &mut Conn, org: OrgId, spec: &ListSpec) -> Result<MemberPage> {
    let plan = plan(conn, org, &spec.filter, spec.limit + 1).await?;
    let q = page_statement(conn.backend(), org, spec, plan);
    // A search, a role, a product or an activity filter is planned for its values (see `fetch_all_planned`).
    let rows = if !spec.filter.narrows() {
        conn.fetch_all::<MemberRow, _>(&q).await?
    } else {
        conn.fetch_all_planned::<MemberRow, _>(&q).await?
    };
    let more = rows.len() as u64 > spec.limit;
    let mut items = rows.into_iter().take(spec.limit as usize).map(Member::try_from).collect::<Result<Vec<_>>>()?;
    let (has_more_after, has_more_before) = match &spec.start {
        PageStart::Offset(n) => (more, *n > 0),
        PageStart::Cursor(c) if c.backward => {
            items.reverse();
            (true, more)
        }
        PageStart::Cursor(_) => (more, true),
    };
    Ok(MemberPage { items, has_more_after, has_more_before })
}
