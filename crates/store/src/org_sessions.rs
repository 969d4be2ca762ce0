//! An organization's sessions: the live sessions of its members (the Active
//! Sessions tab) and their ended ones (the Session History tab), keyset-paged
//! newest first, each with the member's name and email.
//!
//! Sessions belong to users, not to organizations, so each list joins the
//! organization's `members` rows (by their primary key `(org_id, user_id)`)
//! to `sessions`. Which side a query reads first is chosen from the
//! organization's member counters ([`Driver`]): a small organization reads
//! its members and their sessions (`sessions_user`), a large one walks the
//! sessions in the list's order (`sessions_live_created`, `sessions_ended`)
//! and keeps its members' rows, so that a page stops after `limit` matches.

use roster_domain::sessions::EndReason;
use roster_domain::{MemberStatus, OrgId, SessionId, Timestamp, UserId};
use sea_query::{Expr, ExprTrait, Func, LikeExpr, Order, Query, SelectStatement};

use crate::db::Conn;
use crate::sessions::{SessionRecord, session_record_columns};
use crate::tables::{MemberCounts, Members, Sessions};
use crate::{Reader, Result};

/// A session of one of the organization's members, with the member's
/// name and email (as the organization's directory mirrors them).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgSession {
    /// The session.
    #[sqlx(flatten)]
    pub session: SessionRecord,
    /// The member's email.
    pub member_email: String,
    /// The member's name.
    pub member_name: String,
    /// The member's status in the organization.
    pub member_status: String,
}

/// Which table a list reads first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driver {
    /// The organization's members, then each one's sessions (then sorted):
    /// the work grows with the organization.
    Members,
    /// The sessions in the list's order, keeping the organization's
    /// members': the work grows with the sessions passed over.
    Sessions,
}

/// Up to this many members (in the statuses a list covers), a list reads
/// the members first: a few thousand index probes at most, whatever the
/// deployment's size. Above it, walking the sessions fills a page sooner.
pub const MEMBERS_FIRST_MAX: i64 = 2_000;

/// Which table a list over members in `statuses` should read first, from
/// the organization's status counters (one small read, never a count).
pub async fn plan(conn: &mut Conn, org: OrgId, statuses: &[MemberStatus]) -> Result<Driver> {
    #[derive(sqlx::FromRow)]
    struct N {
        count: i64,
    }
    let q = Query::select()
        .column(MemberCounts::Count)
        .from(MemberCounts::Table)
        .and_where(Expr::col(MemberCounts::OrgId).eq(org.0))
        .and_where(Expr::col(MemberCounts::Status).is_in(statuses.iter().map(|s| s.as_str())))
        .to_owned();
    let rows: Vec<N> = conn.fetch_all(&q).await?;
    let members: i64 = rows.iter().map(|n| n.count).sum();
    Ok(if members <= MEMBERS_FIRST_MAX { Driver::Members } else { Driver::Sessions })
}

/// What the Active Sessions list shows.
#[derive(Debug, Clone)]
pub struct LiveSpec {
    /// Now: sessions past either expiry are not live, ended or not.
    pub now: Timestamp,
    /// Members in these statuses.
    pub statuses: Vec<MemberStatus>,
    /// A substring of the member's name or email, or of the session's IP
    /// address (lower case; matched case-insensitively for ASCII letters).
    pub search: Option<String>,
    /// The page starts after this `(created_at, id)`.
    pub after: Option<(Timestamp, SessionId)>,
    /// At most this many rows.
    pub limit: u64,
    /// Which table to read first ([`plan`]).
    pub driver: Driver,
}

/// What the Session History list shows.
#[derive(Debug, Clone)]
pub struct EndedSpec {
    /// Members in these statuses.
    pub statuses: Vec<MemberStatus>,
    /// Only this member's sessions.
    pub user: Option<UserId>,
    /// A substring of the member's name or email (lower case).
    pub user_text: Option<String>,
    /// Only sessions that ended this way.
    pub reason: Option<EndReason>,
    /// Only sessions that ended at or after this.
    pub from: Option<Timestamp>,
    /// Only sessions that ended before this.
    pub until: Option<Timestamp>,
    /// The page starts after this `(ended_at, id)`.
    pub after: Option<(Timestamp, SessionId)>,
    /// At most this many rows.
    pub limit: u64,
    /// Which table to read first ([`plan`]).
    pub driver: Driver,
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
fn contains(text: &str) -> LikeExpr {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    LikeExpr::new(out).escape('\\')
}

/// The name-or-email condition: `lower(email) LIKE … OR lower(name) LIKE …`.
fn member_text(text: &str) -> Expr {
    Expr::expr(Func::lower(Expr::col((Members::Table, Members::Email))))
        .like(contains(text))
        .or(Expr::expr(Func::lower(Expr::col((Members::Table, Members::Name)))).like(contains(text)))
}

/// The select of sessions joined to the organization's members in
/// `statuses`, read from the side `driver` says. (A CROSS JOIN takes no ON
/// in sea-query, and SQLite keeps its tables in the written order, so the
/// join condition is a WHERE term.)
fn org_select(org: OrgId, statuses: &[MemberStatus], driver: Driver) -> SelectStatement {
    let mut q = Query::select();
    match driver {
        Driver::Members => q.from(Members::Table).cross_join(Sessions::Table),
        Driver::Sessions => q.from(Sessions::Table).cross_join(Members::Table),
    };
    session_record_columns(&mut q);
    q.expr_as(Expr::col((Members::Table, Members::Email)), "member_email")
        .expr_as(Expr::col((Members::Table, Members::Name)), "member_name")
        .expr_as(Expr::col((Members::Table, Members::Status)), "member_status")
        .and_where(Expr::col((Members::Table, Members::OrgId)).eq(org.0))
        .and_where(Expr::col((Members::Table, Members::UserId)).equals((Sessions::Table, Sessions::UserId)))
        .and_where(Expr::col((Members::Table, Members::Status)).is_in(statuses.iter().map(|s| s.as_str())));
    q
}

/// A keyset boundary: `(column, id) < (at, id)`, newest first.
fn before(col: Sessions, at: Timestamp, id: SessionId) -> Expr {
    Expr::tuple([Expr::col((Sessions::Table, col)), Expr::col((Sessions::Table, Sessions::Id))])
        .lt(Expr::tuple([Expr::val(at.0), Expr::val(id.0)]))
}

/// A page of the organization's live sessions (not ended, neither expiry
/// passed), newest first by sign-in: at most `limit` rows.
pub async fn list_live_org_sessions(conn: &mut Conn, org: OrgId, spec: &LiveSpec) -> Result<Vec<OrgSession>> {
    let mut q = org_select(org, &spec.statuses, spec.driver);
    q.and_where(Expr::col((Sessions::Table, Sessions::EndedAt)).is_null())
        .and_where(Expr::col((Sessions::Table, Sessions::IdleExpiresAt)).gt(spec.now.0))
        .and_where(Expr::col((Sessions::Table, Sessions::ExpiresAt)).gt(spec.now.0));
    if let Some(text) = spec.search.as_deref().filter(|t| !t.is_empty()) {
        q.and_where(member_text(text).or(Expr::col((Sessions::Table, Sessions::Ip)).like(contains(text))));
    }
    if let Some((at, id)) = spec.after {
        q.and_where(before(Sessions::CreatedAt, at, id));
    }
    q.order_by((Sessions::Table, Sessions::CreatedAt), Order::Desc)
        .order_by((Sessions::Table, Sessions::Id), Order::Desc)
        .limit(spec.limit);
    conn.fetch_all_planned(&q).await
}

/// A page of the organization's members' ended sessions, latest ended
/// first: at most `limit` rows.
pub async fn list_ended_org_sessions(conn: &mut Conn, org: OrgId, spec: &EndedSpec) -> Result<Vec<OrgSession>> {
    let mut q = org_select(org, &spec.statuses, spec.driver);
    q.and_where(Expr::col((Sessions::Table, Sessions::EndedAt)).is_not_null());
    if let Some(user) = spec.user {
        q.and_where(Expr::col((Members::Table, Members::UserId)).eq(user.0));
    }
    if let Some(text) = spec.user_text.as_deref().filter(|t| !t.is_empty()) {
        q.and_where(member_text(text));
    }
    if let Some(reason) = spec.reason {
        q.and_where(Expr::col((Sessions::Table, Sessions::EndReason)).eq(reason.as_str()));
    }
    if let Some(from) = spec.from {
        q.and_where(Expr::col((Sessions::Table, Sessions::EndedAt)).gte(from.0));
    }
    if let Some(until) = spec.until {
        q.and_where(Expr::col((Sessions::Table, Sessions::EndedAt)).lt(until.0));
    }
    if let Some((at, id)) = spec.after {
        q.and_where(before(Sessions::EndedAt, at, id));
    }
    q.order_by((Sessions::Table, Sessions::EndedAt), Order::Desc)
        .order_by((Sessions::Table, Sessions::Id), Order::Desc)
        .limit(spec.limit);
    conn.fetch_all_planned(&q).await
}

/// One session, when its user is a member of the organization in one of
/// `statuses` (ended or not; another organization's answers `None`, like a
/// missing one).
pub async fn find_org_session(
    r: &mut impl Reader,
    org: OrgId,
    statuses: &[MemberStatus],
    id: SessionId,
) -> Result<Option<OrgSession>> {
    let q = org_select(org, statuses, Driver::Sessions)
        .and_where(Expr::col((Sessions::Table, Sessions::Id)).eq(id.0))
        .to_owned();
    r.read_optional(&q).await
}
