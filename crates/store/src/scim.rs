//! SCIM's Users: a resolved filter ([`UserFilter`]) as one sea-query
//! condition on `members`, the same statement on both backends, and the
//! page of Users it matches with their total; one User; the provider's
//! attributes of migration 0019 (`externalId`, the enterprise extension,
//! the work address) written with the row's `updated_at`.
//!
//! The filter never runs in memory: every node becomes SQL that is never
//! `NULL` (a nullable column is tested with `IS NOT NULL AND …`, so a
//! member without the attribute fails every comparison), so `NOT` is plain
//! negation and the answer is the one [`UserFilter::matches`] gives, which
//! the tests hold it to on both databases. Archived members are former
//! members (a SCIM DELETE archives): the list leaves them out.
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
//! - `meta.lastModified` is `COALESCE(updated_at, created_at)`; sorting by
//!   `externalId` orders `COALESCE(external_id, '')`, so members without
//!   one come first on both backends (which order NULLs apart).

use roster_domain::members::Member;
use roster_domain::scim::users::{ScimUser, TextAttr, UserAttributes};
use roster_domain::scim::{CompareOp, UserFilter, UserSort};
use roster_domain::{MemberStatus, OrgId, SortOrder, Timestamp, UserId};
use sea_query::{Alias, Expr, ExprTrait, Func, JoinType, LikeExpr, Order, Query, SelectStatement};
use uuid::Uuid;

use crate::members::{MemberRow, member_select};
use crate::tables::Members;
use crate::{Reader, Result, Tx};

/// The most members one list answers (a larger `count` is lowered to it).
pub const MAX_COUNT: u64 = 1000;

/// A page of a User list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPage {
    /// Every member the filter matches (SCIM's `totalResults`).
    pub total: u64,
    /// The page's Users, in the list's order.
    pub users: Vec<ScimUser>,
}

/// The alias of the manager's row in [`user_select`].
const MANAGER: &str = "manager";

/// A User as [`user_select`] reads it.
#[derive(sqlx::FromRow)]
struct UserRow {
    #[sqlx(flatten)]
    member: MemberRow,
    external_id: Option<String>,
    employee_number: Option<String>,
    department: Option<String>,
    manager_id: Option<Uuid>,
    work_email: Option<String>,
    updated_at: Option<i64>,
    manager_name: Option<String>,
}

impl TryFrom<UserRow> for ScimUser {
    type Error = crate::StoreError;
    fn try_from(r: UserRow) -> Result<Self> {
        Ok(ScimUser {
            member: Member::try_from(r.member)?,
            attributes: UserAttributes {
                external_id: r.external_id,
                employee_number: r.employee_number,
                department: r.department,
                manager: r.manager_id.map(UserId),
                work_email: r.work_email,
            },
            updated_at: r.updated_at.map(Timestamp),
            manager_name: r.manager_name,
        })
    }
}

/// The directory's columns, the provider's attributes, and the manager's
/// name (a member of the same organization, joined by its primary key).
fn user_select() -> SelectStatement {
    let mut q = member_select();
    for c in [
        Members::ExternalId,
        Members::EmployeeNumber,
        Members::Department,
        Members::ManagerId,
        Members::WorkEmail,
        Members::UpdatedAt,
    ] {
        q.column((Members::Table, c));
    }
    q.expr_as(Expr::col((Alias::new(MANAGER), Members::Name)), "manager_name").join_as(
        JoinType::LeftJoin,
        Members::Table,
        Alias::new(MANAGER),
        Expr::col((Alias::new(MANAGER), Members::OrgId))
            .equals((Members::Table, Members::OrgId))
            .and(Expr::col((Alias::new(MANAGER), Members::UserId)).equals((Members::Table, Members::ManagerId))),
    );
    q
}

/// One member of an organization as a SCIM User (archived ones too: the
/// caller decides).
pub async fn find_user(r: &mut impl Reader, org: OrgId, user: UserId) -> Result<Option<ScimUser>> {
    let q = user_select()
        .and_where(Expr::col((Members::Table, Members::OrgId)).eq(org.0))
        .and_where(Expr::col((Members::Table, Members::UserId)).eq(user.0))
        .to_owned();
    r.read_optional::<UserRow, _>(&q).await?.map(ScimUser::try_from).transpose()
}

/// The member of an organization with this `externalId` (archived or not;
/// the `members_external_id` index holds one at most).
pub async fn member_id_by_external_id(r: &mut impl Reader, org: OrgId, external_id: &str) -> Result<Option<UserId>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        user_id: Uuid,
    }
    let q = Query::select()
        .column(Members::UserId)
        .from(Members::Table)
        .and_where(Expr::col(Members::OrgId).eq(org.0))
        .and_where(Expr::col(Members::ExternalId).eq(external_id))
        .to_owned();
    Ok(r.read_optional::<Row, _>(&q).await?.map(|r| UserId(r.user_id)))
}

/// Writes a member's provider attributes, all of them (`None` clears one),
/// and `updated_at`. Fails with a unique violation when another member of
/// the organization has the `externalId`.
pub async fn set_attributes(tx: &mut Tx, org: OrgId, user: UserId, a: &UserAttributes, now: Timestamp) -> Result<()> {
    tx.execute(
        Query::update()
            .table(Members::Table)
            .values([
                (Members::ExternalId, a.external_id.clone().into()),
                (Members::EmployeeNumber, a.employee_number.clone().into()),
                (Members::Department, a.department.clone().into()),
                (Members::ManagerId, a.manager.map(|m| m.0).into()),
                (Members::WorkEmail, a.work_email.clone().into()),
                (Members::UpdatedAt, now.0.into()),
            ])
            .and_where(Expr::col(Members::OrgId).eq(org.0))
            .and_where(Expr::col(Members::UserId).eq(user.0)),
    )
    .await?;
    Ok(())
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

/// A time compared by a SCIM operator.
fn time_condition(c: Expr, op: CompareOp, at: Timestamp) -> Expr {
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

/// `meta.lastModified`: `updated_at`, or `created_at` for a row never changed.
fn last_modified() -> Expr {
    Func::coalesce([Expr::col((Members::Table, Members::UpdatedAt)), Expr::col((Members::Table, Members::CreatedAt))])
        .into()
}

/// The column of a provider's text attribute.
fn text_column(a: TextAttr) -> Members {
    match a {
        TextAttr::ExternalId => Members::ExternalId,
        TextAttr::EmployeeNumber => Members::EmployeeNumber,
        TextAttr::Department => Members::Department,
    }
}

/// A case-exact text comparison (`externalId`). LIKE cannot be used: it
/// ignores ASCII case on SQLite. `co` is `REPLACE(col, v, '') <> col`, `sw`
/// and `ew` compare a `SUBSTR` of `v`'s length; both backends' `REPLACE`,
/// `SUBSTR` and `LENGTH` are case-sensitive and count characters.
fn exact_text_condition(col: Expr, op: CompareOp, v: &str) -> Expr {
    // `i32`: PostgreSQL's SUBSTR takes integers, and a bigint does not cast to one implicitly.
    let n = i32::try_from(v.chars().count()).unwrap_or(i32::MAX);
    let length = |e: Expr| -> Expr { Func::cust("LENGTH").arg(e).into() };
    match op {
        CompareOp::Co if v.is_empty() => always(true),
        CompareOp::Co => Expr::from(Func::cust("REPLACE").args([col.clone(), Expr::val(v), Expr::val("")])).ne(col),
        CompareOp::Sw => {
            // The range lets the `(org_id, external_id)` index start at the prefix.
            let prefix: Expr = Func::cust("SUBSTR").args([col.clone(), Expr::val(1i32), Expr::val(n)]).into();
            col.gte(v).and(prefix.eq(v))
        }
        CompareOp::Ew => {
            let start = length(col.clone()).sub(n - 1);
            let suffix: Expr = Func::cust("SUBSTR").args([col.clone(), start]).into();
            length(col).gte(n).and(suffix.eq(v))
        }
        _ => text_condition(col, op, v, false),
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
        UserFilter::Created(op, at) => time_condition(col(Members::CreatedAt), *op, *at),
        UserFilter::Modified(op, at) => time_condition(last_modified(), *op, *at),
        UserFilter::Text(a, op, v) => {
            let c = col(text_column(*a));
            let compared = if a.folds_case() {
                text_condition(Func::lower(c.clone()).into(), *op, v, false)
            } else {
                exact_text_condition(c.clone(), *op, v)
            };
            // `IS NOT NULL AND …` is false, never NULL, for a member without a value.
            c.is_not_null().and(compared)
        }
        UserFilter::Present(a) => col(text_column(*a)).is_not_null(),
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
    let mut q = user_select();
    scope(&mut q, org, filter);
    let order = match order {
        SortOrder::Asc => Order::Asc,
        SortOrder::Desc => Order::Desc,
    };
    let col = |c: Members| Expr::col((Members::Table, c));
    let key: Option<Expr> = match sort {
        UserSort::UserName => Some(col(Members::Email)),
        UserSort::DisplayName => Some(col(Members::Name)),
        UserSort::Created => Some(col(Members::CreatedAt)),
        UserSort::Modified => Some(last_modified()),
        UserSort::ExternalId => Some(Func::coalesce([col(Members::ExternalId), Expr::val("")]).into()),
        UserSort::Id => None,
    };
    if let Some(k) = key {
        q.order_by_expr(k, order.clone());
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
        return Ok(UserPage { total, users: Vec::new() });
    }
    let rows = r.read_all::<UserRow, _>(&page_statement(org, filter, sort, order, offset, limit)).await?;
    let users = rows.into_iter().map(ScimUser::try_from).collect::<Result<Vec<_>>>()?;
    Ok(UserPage { total, users })
}

#[cfg(test)]
mod tests;
