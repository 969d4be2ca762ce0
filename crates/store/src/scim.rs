//! SCIM's User list: a resolved filter ([`UserFilter`]) as one sea-query
//! condition on `members`, the same statement on both backends, and the
//! page of members it matches with their total.
//!
//! The filter never runs in memory: every node becomes SQL that is never
//! `NULL` (every column it reads is `NOT NULL`), so `NOT` is plain negation
//! and the answer is the one [`UserFilter::matches`] gives, which the tests
//! hold it to on both databases. Archived members are former members (a
//! SCIM DELETE archives): the list leaves them out.
//!
//! - `userName eq` is an equality on `members.email`, the literal normalized
//!   as addresses are stored, so it reads the `(org_id, email)` index;
//!   `sw` adds the prefix's lower bound to its LIKE, so the index's range
//!   starts there.
//! - `co`, `sw` and `ew` are LIKE with `%`, `_` and the escape character
//!   `\` escaped. SQLite's LIKE ignores ASCII case and PostgreSQL's does
//!   not, so each side of a LIKE is already lower case (the stored address,
//!   or `lower(name)` and an ASCII-folded literal).
//! - Orderings (`gt`, `ge`, `lt`, `le`) on text compare bytes on both
//!   (SQLite's BINARY collation, the columns' `"C"` collation on
//!   PostgreSQL); on dates they compare the milliseconds.

use roster_domain::members::Member;
use roster_domain::scim::{CompareOp, UserFilter, UserSort};
use roster_domain::{MemberStatus, OrgId, SortOrder};
use sea_query::{Expr, ExprTrait, Func, LikeExpr, Order, Query, SelectStatement};

use crate::members::{MemberRow, member_select};
use crate::tables::Members;
use crate::{Reader, Result};

/// The most members one list answers (a larger `count` is lowered to it).
pub const MAX_COUNT: u64 = 1000;

/// A page of a User list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPage {
    /// Every member the filter matches (SCIM's `totalResults`).
    pub total: u64,
    /// The page's members, in the list's order.
    pub members: Vec<Member>,
}

/// The escape character of every LIKE pattern here.
const ESCAPE: char = '\\';

/// Escapes `%`, `_` and the escape character itself for a LIKE pattern.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | ESCAPE) {
            out.push(ESCAPE);
        }
        out.push(c);
    }
    out
}

fn like(pattern: String) -> LikeExpr {
    LikeExpr::new(pattern).escape(ESCAPE)
}

fn always(b: bool) -> Expr {
    Expr::cust(if b { "(1 = 1)" } else { "(1 = 0)" })
}

/// A text comparison of `col` (already lower case where it must be) with a
/// literal normalized the same way.
fn text_condition(col: Expr, op: CompareOp, v: &str, prefix_range: bool) -> Expr {
    match op {
        CompareOp::Eq => col.eq(v),
        CompareOp::Ne => col.ne(v),
        CompareOp::Gt => col.gt(v),
        CompareOp::Ge => col.gte(v),
        CompareOp::Lt => col.lt(v),
        CompareOp::Le => col.lte(v),
        CompareOp::Co => col.like(like(format!("%{}%", like_escape(v)))),
        CompareOp::Ew => col.like(like(format!("%{}", like_escape(v)))),
        CompareOp::Sw => {
            let matches = col.clone().like(like(format!("{}%", like_escape(v))));
            // Every string starting with `v` sorts at or after it: the range
            // lets the index start at the prefix.
            if prefix_range && !v.is_empty() { col.gte(v).and(matches) } else { matches }
        }
    }
}

/// A resolved filter as a condition on `members`.
pub fn condition(filter: &UserFilter) -> Expr {
    let col = |c: Members| Expr::col((Members::Table, c));
    match filter {
        UserFilter::Const(b) => always(*b),
        UserFilter::Id { equal: true, id } => col(Members::UserId).eq(id.0),
        UserFilter::Id { equal: false, id } => col(Members::UserId).ne(id.0),
        UserFilter::Email(op, v) => text_condition(col(Members::Email), *op, v, true),
        UserFilter::Name(op, v) => text_condition(Func::lower(col(Members::Name)).into(), *op, v, false),
        UserFilter::NameNotEmpty => col(Members::Name).ne(""),
        UserFilter::Active(true) => col(Members::Status).eq(MemberStatus::Active.as_str()),
        UserFilter::Active(false) => col(Members::Status).ne(MemberStatus::Active.as_str()),
        UserFilter::Created(op, at) => {
            let c = col(Members::CreatedAt);
            match op {
                CompareOp::Eq => c.eq(at.0),
                CompareOp::Ne => c.ne(at.0),
                CompareOp::Gt => c.gt(at.0),
                CompareOp::Ge => c.gte(at.0),
                CompareOp::Lt => c.lt(at.0),
                CompareOp::Le => c.lte(at.0),
                // Resolution refuses these on a date.
                CompareOp::Co | CompareOp::Sw | CompareOp::Ew => always(false),
            }
        }
        UserFilter::And(l, r) => condition(l).and(condition(r)),
        UserFilter::Or(l, r) => condition(l).or(condition(r)),
        UserFilter::Not(f) => condition(f).not(),
    }
}

/// The organization's members SCIM lists (all but the archived) that match.
fn scope(q: &mut SelectStatement, org: OrgId, filter: &UserFilter) {
    q.and_where(Expr::col((Members::Table, Members::OrgId)).eq(org.0))
        .and_where(Expr::col((Members::Table, Members::Status)).ne(MemberStatus::Archived.as_str()))
        .and_where(condition(filter));
}

/// The statement counting the matches.
pub(crate) fn count_statement(org: OrgId, filter: &UserFilter) -> SelectStatement {
    let mut q = Query::select();
    q.expr_as(Expr::cust("COUNT(*)"), "n").from(Members::Table);
    scope(&mut q, org, filter);
    q
}

/// The statement reading one page of the matches.
pub(crate) fn page_statement(
    org: OrgId,
    filter: &UserFilter,
    sort: UserSort,
    order: SortOrder,
    offset: u64,
    limit: u64,
) -> SelectStatement {
    let mut q = member_select();
    scope(&mut q, org, filter);
    let order = match order {
        SortOrder::Asc => Order::Asc,
        SortOrder::Desc => Order::Desc,
    };
    let column = match sort {
        UserSort::UserName => Some(Members::Email),
        UserSort::DisplayName => Some(Members::Name),
        UserSort::Created => Some(Members::CreatedAt),
        UserSort::Id => None,
    };
    if let Some(c) = column {
        q.order_by((Members::Table, c), order.clone());
    }
    q.order_by((Members::Table, Members::UserId), order).limit(limit).offset(offset);
    q
}

/// One page of an organization's Users that match `filter`, and how many
/// match in all. `start_index` is SCIM's, 1-based (below 1 reads as 1);
/// `count` is capped at [`MAX_COUNT`] and may be 0 (the total alone).
/// Ties in the sort are broken by id, so pages never overlap.
pub async fn list_users(
    r: &mut impl Reader,
    org: OrgId,
    filter: &UserFilter,
    sort: UserSort,
    order: SortOrder,
    start_index: u64,
    count: u64,
) -> Result<UserPage> {
    #[derive(sqlx::FromRow)]
    struct CountRow {
        n: i64,
    }
    let total = r
        .read_optional::<CountRow, _>(&count_statement(org, filter))
        .await?
        .map_or(0, |c| std::cmp::max(c.n, 0) as u64);
    let limit = std::cmp::min(count, MAX_COUNT);
    let offset = std::cmp::max(start_index, 1) - 1;
    if limit == 0 || offset >= total {
        return Ok(UserPage { total, members: Vec::new() });
    }
    let rows = r.read_all::<MemberRow, _>(&page_statement(org, filter, sort, order, offset, limit)).await?;
    let members = rows.into_iter().map(Member::try_from).collect::<Result<Vec<_>>>()?;
    Ok(UserPage { total, members })
}

#[cfg(test)]
mod tests;
