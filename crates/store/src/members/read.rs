//! Point reads: one member, a member's status, a member by address, a
//! user's memberships; and the directory's row, which lists read too.

use roster_domain::members::Member;
use roster_domain::{MemberStatus, OrgId, Timestamp, UserId};
use sea_query::{Expr, ExprTrait, Order, Query, SelectStatement};
use uuid::Uuid;

use super::filter::{Source, from_members};
use crate::db::Conn;
use crate::orgs::OrgRecord;
use crate::tables::{Members, Organizations, Users};
use crate::{Result, StoreError};

/// A row of the directory, as [`member_select_from`] reads it.
#[derive(sqlx::FromRow)]
pub(crate) struct MemberRow {
    user_id: Uuid,
    email: String,
    name: String,
    status: String,
    email_confirmed: bool,
    created_at: i64,
    last_active_at: i64,
}

impl TryFrom<MemberRow> for Member {
    type Error = StoreError;
    fn try_from(r: MemberRow) -> Result<Self> {
        Ok(Member {
            user_id: UserId(r.user_id),
            email: r.email,
            name: r.name,
            status: r.status.parse().map_err(|_| StoreError::Corrupt(format!("member status {}", r.status)))?,
            confirmed: r.email_confirmed,
            created_at: Timestamp(r.created_at),
            last_active_at: (r.last_active_at != 0).then_some(Timestamp(r.last_active_at)),
        })
    }
}

/// The directory's columns, read from `members` (SCIM's User list reads them too).
pub(crate) fn member_select() -> SelectStatement {
    member_select_from(Source::Members)
}

/// The directory's columns, read from `members`, or first from the FTS5
/// trigram index's matches joined to `members` by rowid, or first from a
/// role's holders (SQLite only; `CROSS JOIN` keeps the first table as the
/// outer loop, so that its rows stream in and a `LIMIT` stops reading them).
pub(super) fn member_select_from(source: Source) -> SelectStatement {
    let mut q = member_columns();
    from_members(&mut q, source);
    q.inner_join(Users::Table, Expr::col((Users::Table, Users::Id)).equals((Members::Table, Members::UserId)));
    q
}

/// The directory's columns for the members a page query chose: `page`
/// answers their `user_id`s (a page's worth), whose rows are then read by
/// the members' primary key (see `list::page_statement`).
pub(super) fn member_select_of(page: SelectStatement, org: OrgId) -> SelectStatement {
    let mut q = member_columns();
    q.from_subquery(page, PAGE)
        .cross_join(Members::Table)
        .and_where(Expr::col((Members::Table, Members::OrgId)).eq(org.0))
        .and_where(Expr::col((Members::Table, Members::UserId)).equals((PAGE, Members::UserId)));
    q.inner_join(Users::Table, Expr::col((Users::Table, Users::Id)).equals((Members::Table, Members::UserId)));
    q
}

/// The alias of a page's chosen ids in [`member_select_of`].
const PAGE: &str = "page";

fn member_columns() -> SelectStatement {
    let mut q = Query::select();
    q.column((Members::Table, Members::UserId))
        .column((Members::Table, Members::Email))
        .column((Members::Table, Members::Name))
        .column((Members::Table, Members::Status))
        .column((Users::Table, Users::EmailConfirmed))
        .column((Members::Table, Members::CreatedAt))
        .column((Members::Table, Members::LastActiveAt));
    q
}

/// One member of an organization.
pub async fn find_member(r: &mut impl crate::Reader, org: OrgId, user: UserId) -> Result<Option<Member>> {
    let q = member_select()
        .and_where(Expr::col((Members::Table, Members::OrgId)).eq(org.0))
        .and_where(Expr::col((Members::Table, Members::UserId)).eq(user.0))
        .to_owned();
    r.read_optional::<MemberRow, _>(&q).await?.map(Member::try_from).transpose()
}

/// A member's status, or `None` for a user who is not a member.
pub async fn member_status(r: &mut impl crate::Reader, org: OrgId, user: UserId) -> Result<Option<MemberStatus>> {
    #[derive(sqlx::FromRow)]
    struct S {
        status: String,
    }
    let q = Query::select()
        .column(Members::Status)
        .from(Members::Table)
        .and_where(Expr::col(Members::OrgId).eq(org.0))
        .and_where(Expr::col(Members::UserId).eq(user.0))
        .to_owned();
    r.read_optional::<S, _>(&q)
        .await?
        .map(|s| s.status.parse().map_err(|_| StoreError::Corrupt(format!("member status {}", s.status))))
        .transpose()
}

/// The member of an organization with this email, if any: the user's id.
/// Only this organization's members are looked at, so the answer says
/// nothing about accounts elsewhere.
pub async fn member_id_by_email(
    r: &mut impl crate::Reader,
    org: OrgId,
    email: &roster_domain::Email,
) -> Result<Option<UserId>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        user_id: Uuid,
    }
    let q = Query::select()
        .column(Members::UserId)
        .from(Members::Table)
        .and_where(Expr::col(Members::OrgId).eq(org.0))
        .and_where(Expr::col(Members::Email).eq(email.as_str()))
        .to_owned();
    Ok(r.read_optional::<Row, _>(&q).await?.map(|r| UserId(r.user_id)))
}

/// A user's memberships, with their organizations, by organization name.
pub async fn memberships_of_user(conn: &mut Conn, user: UserId) -> Result<Vec<(OrgRecord, MemberStatus)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        org: crate::orgs::OrgRow,
        status: String,
    }
    let mut q = Query::select();
    for c in crate::orgs::COLUMNS {
        q.column((Organizations::Table, c));
    }
    q.column((Members::Table, Members::Status))
        .from(Members::Table)
        .inner_join(
            Organizations::Table,
            Expr::col((Organizations::Table, Organizations::Id)).equals((Members::Table, Members::OrgId)),
        )
        .and_where(Expr::col((Members::Table, Members::UserId)).eq(user.0))
        .order_by((Organizations::Table, Organizations::Name), Order::Asc);
    conn.fetch_all::<Row, _>(&q)
        .await?
        .into_iter()
        .map(|r| {
            let status = r.status.parse().map_err(|_| StoreError::Corrupt(format!("member status {}", r.status)))?;
            Ok((r.org.into(), status))
        })
        .collect()
}

/// The name and email of those of `users` who are members of the
/// organization (the History tab names the members its events are about).
///
/// The ids go in lists of 8, 32 or 128 (the last one repeated to fill the
/// list), so that a page's look-up is one of three statements, each
/// prepared once per connection: a list of every length would be parsed and
/// planned anew on PostgreSQL at each page (10–20 ms measured at 60 ids).
pub async fn names_of(conn: &mut Conn, org: OrgId, users: &[UserId]) -> Result<Vec<(UserId, String, String)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        user_id: Uuid,
        name: String,
        email: String,
    }
    let mut out = Vec::with_capacity(users.len());
    for chunk in users.chunks(128) {
        let Some(last) = chunk.last() else { continue };
        let size = [8, 32, 128].into_iter().find(|s| *s >= chunk.len()).unwrap_or(128);
        let ids = chunk.iter().chain(std::iter::repeat(last)).take(size).map(|u| u.0);
        let q = Query::select()
            .columns([Members::UserId, Members::Name, Members::Email])
            .from(Members::Table)
            .and_where(Expr::col(Members::OrgId).eq(org.0))
            .and_where(Expr::col(Members::UserId).is_in(ids))
            .to_owned();
        out.extend(conn.fetch_all::<Row, _>(&q).await?.into_iter().map(|r| (UserId(r.user_id), r.name, r.email)));
    }
    Ok(out)
}
