//! Sign-in sessions. Only the SHA-256 of a session token is stored.

use roster_domain::sessions::EndReason;
use roster_domain::{SessionId, Timestamp, UserId};
use sea_query::{Expr, ExprTrait, Iden, Query};
use uuid::Uuid;

use crate::tables::{Members, Organizations, Sessions, Users};
use crate::{Result, Tx, db::Conn};

/// A session to insert.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Its id.
    pub id: SessionId,
    /// Who signed in.
    pub user_id: UserId,
    /// SHA-256 of the cookie's token.
    pub token_hash: Vec<u8>,
    /// When it started.
    pub created_at: Timestamp,
    /// When it ends unless used before.
    pub idle_expires_at: Timestamp,
    /// When it ends regardless of use.
    pub expires_at: Timestamp,
    /// The client's address.
    pub ip: Option<String>,
    /// The client's User-Agent.
    pub user_agent: Option<String>,
    /// Where the client's address is ("Berlin, Germany"), from the GeoIP
    /// database at sign-in; `None` without one or for an unknown address.
    pub location: Option<String>,
}

/// A live session with its user, as request authentication needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionUser {
    /// The session's id.
    pub session_id: Uuid,
    /// The user's id.
    pub user_id: Uuid,
    /// The user's email.
    pub email: String,
    /// The user's name.
    pub name: String,
    /// When the session was last seen.
    pub last_seen_at: i64,
    /// Idle expiry.
    pub idle_expires_at: i64,
    /// Absolute expiry.
    pub expires_at: i64,
}

/// Inserts a session.
pub async fn insert_session(tx: &mut Tx, s: &NewSession) -> Result<()> {
    insert_sessions(tx, std::slice::from_ref(s)).await
}

/// Inserts sessions, several rows per statement (a sign-in inserts one
/// through [`insert_session`]; the benchmarks' generator many).
pub async fn insert_sessions(tx: &mut Tx, rows: &[NewSession]) -> Result<()> {
    for chunk in rows.chunks(500) {
        let mut q = Query::insert();
        q.into_table(Sessions::Table).columns([
            Sessions::Id,
            Sessions::UserId,
            Sessions::TokenHash,
            Sessions::CreatedAt,
            Sessions::LastSeenAt,
            Sessions::IdleExpiresAt,
            Sessions::ExpiresAt,
            Sessions::Ip,
            Sessions::UserAgent,
            Sessions::Location,
        ]);
        for s in chunk {
            q.values_panic([
                s.id.0.into(),
                s.user_id.0.into(),
                s.token_hash.clone().into(),
                s.created_at.0.into(),
                s.created_at.0.into(),
                s.idle_expires_at.0.into(),
                s.expires_at.0.into(),
                s.ip.clone().into(),
                s.user_agent.clone().into(),
                s.location.clone().into(),
            ]);
        }
        tx.execute(&q).await?;
    }
    Ok(())
}

/// Finds the not-ended session with this token hash, and its user.
/// Expiry is the caller's to check against its clock.
pub async fn find_live_session(conn: &mut Conn, token_hash: &[u8]) -> Result<Option<SessionUser>> {
    let q = Query::select()
        .expr_as(Expr::col((Sessions::Table, Sessions::Id)), "session_id")
        .column((Sessions::Table, Sessions::UserId))
        .column((Users::Table, Users::Email))
        .column((Users::Table, Users::Name))
        .column((Sessions::Table, Sessions::LastSeenAt))
        .column((Sessions::Table, Sessions::IdleExpiresAt))
        .column((Sessions::Table, Sessions::ExpiresAt))
        .from(Sessions::Table)
        .inner_join(Users::Table, Expr::col((Users::Table, Users::Id)).equals((Sessions::Table, Sessions::UserId)))
        .and_where(Expr::col((Sessions::Table, Sessions::TokenHash)).eq(token_hash.to_vec()))
        .and_where(Expr::col((Sessions::Table, Sessions::EndedAt)).is_null())
        .to_owned();
    conn.fetch_optional(&q).await
}

/// An organization's columns read through a LEFT JOIN (all `None` when no row joined).
#[derive(sqlx::FromRow)]
struct OptionalOrg {
    #[sqlx(rename = "org_id")]
    id: Option<Uuid>,
    #[sqlx(rename = "org_slug")]
    slug: Option<String>,
    #[sqlx(rename = "org_name")]
    name: Option<String>,
    #[sqlx(rename = "org_owner_id")]
    owner_id: Option<Uuid>,
    #[sqlx(rename = "org_created_at")]
    created_at: Option<i64>,
    #[sqlx(rename = "org_preset")]
    preset: Option<String>,
    #[sqlx(rename = "org_partner")]
    partner: Option<bool>,
    #[sqlx(rename = "org_owner_transfer")]
    owner_transfer: Option<bool>,
    #[sqlx(rename = "org_authz_version")]
    authz_version: Option<i64>,
    #[sqlx(rename = "org_parent_id")]
    parent_id: Option<Uuid>,
}

impl OptionalOrg {
    fn record(self) -> Option<crate::orgs::OrgRecord> {
        Some(crate::orgs::OrgRecord {
            id: roster_domain::OrgId(self.id?),
            slug: self.slug?,
            name: self.name?,
            owner_id: self.owner_id.map(roster_domain::UserId),
            created_at: roster_domain::Timestamp(self.created_at?),
            preset: self.preset?,
            partner: self.partner?,
            owner_transfer: self.owner_transfer?,
            authz_version: self.authz_version?,
            parent_id: self.parent_id.map(roster_domain::OrgId),
        })
    }
}

/// Adds the organization's columns under the aliases [`OptionalOrg`] reads.
fn select_org_columns(q: &mut sea_query::SelectStatement) {
    for c in crate::orgs::COLUMNS {
        q.expr_as(Expr::col((Organizations::Table, c)), format!("org_{}", c.unquoted()));
    }
}

/// [`find_live_session`] together with the organizations where the user is an
/// active member (by name), in one query: what `GET /api/v1/me` answers.
pub async fn find_live_session_with_orgs(
    conn: &mut Conn,
    token_hash: &[u8],
) -> Result<Option<(SessionUser, Vec<crate::orgs::OrgRecord>)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        session: SessionUser,
        #[sqlx(flatten)]
        org: OptionalOrg,
    }
    let mut q = Query::select();
    q.expr_as(Expr::col((Sessions::Table, Sessions::Id)), "session_id")
        .column((Sessions::Table, Sessions::UserId))
        .column((Users::Table, Users::Email))
        .column((Users::Table, Users::Name))
        .column((Sessions::Table, Sessions::LastSeenAt))
        .column((Sessions::Table, Sessions::IdleExpiresAt))
        .column((Sessions::Table, Sessions::ExpiresAt));
    select_org_columns(&mut q);
    q.from(Sessions::Table)
        .inner_join(Users::Table, Expr::col((Users::Table, Users::Id)).equals((Sessions::Table, Sessions::UserId)))
        .left_join(
            Members::Table,
            Expr::col((Members::Table, Members::UserId))
                .equals((Sessions::Table, Sessions::UserId))
                .and(Expr::col((Members::Table, Members::Status)).eq(roster_domain::MemberStatus::Active.as_str())),
        )
        .left_join(
            Organizations::Table,
            Expr::col((Organizations::Table, Organizations::Id)).equals((Members::Table, Members::OrgId)),
        )
        .and_where(Expr::col((Sessions::Table, Sessions::TokenHash)).eq(token_hash.to_vec()))
        .and_where(Expr::col((Sessions::Table, Sessions::EndedAt)).is_null())
        .order_by((Organizations::Table, Organizations::Name), sea_query::Order::Asc);
    let rows: Vec<Row> = conn.fetch_all(&q).await?;
    let Some(first) = rows.first() else { return Ok(None) };
    let session = first.session.clone();
    let orgs = rows.into_iter().filter_map(|r| r.org.record()).collect();
    Ok(Some((session, orgs)))
}

/// Moves a session's last-seen time and idle expiry forward.
pub async fn touch_session(tx: &mut Tx, id: SessionId, now: Timestamp, idle_expires_at: Timestamp) -> Result<()> {
    tx.execute(
        Query::update()
            .table(Sessions::Table)
            .values([(Sessions::LastSeenAt, now.0.into()), (Sessions::IdleExpiresAt, idle_expires_at.0.into())])
            .and_where(Expr::col(Sessions::Id).eq(id.0)),
    )
    .await?;
    Ok(())
}

/// Who ended a session that someone else logged out: the user, and the
/// organization from whose Active Sessions tab they did it (none when a
/// user logged out one of their own sessions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndedBy {
    /// The user who did it.
    pub user: UserId,
    /// The organization whose administrator they acted as.
    pub org: Option<roster_domain::OrgId>,
}

/// Ends one session, recording why and, when someone else did it, who.
/// Answers whether it was live.
pub async fn end_session(
    tx: &mut Tx,
    id: SessionId,
    now: Timestamp,
    reason: EndReason,
    by: Option<EndedBy>,
) -> Result<bool> {
    let n = tx
        .execute(
            Query::update()
                .table(Sessions::Table)
                .values([
                    (Sessions::EndedAt, now.0.into()),
                    (Sessions::EndReason, reason.as_str().into()),
                    (Sessions::EndedBy, by.map(|b| b.user.0).into()),
                    (Sessions::EndedByOrg, by.and_then(|b| b.org).map(|o| o.0).into()),
                ])
                .and_where(Expr::col(Sessions::Id).eq(id.0))
                .and_where(Expr::col(Sessions::EndedAt).is_null()),
        )
        .await?;
    Ok(n == 1)
}

/// Ends every live session of these users, recording why. Answers how many ended.
pub async fn end_user_sessions(tx: &mut Tx, users: &[UserId], now: Timestamp, reason: EndReason) -> Result<u64> {
    let mut ended = 0;
    for chunk in users.chunks(500) {
        ended += tx
            .execute(
                Query::update()
                    .table(Sessions::Table)
                    .values([(Sessions::EndedAt, now.0.into()), (Sessions::EndReason, reason.as_str().into())])
                    .and_where(Expr::col(Sessions::UserId).is_in(chunk.iter().map(|u| u.0)))
                    .and_where(Expr::col(Sessions::EndedAt).is_null()),
            )
            .await?;
    }
    Ok(ended)
}

/// How many live sessions a user has.
pub async fn count_live_sessions(conn: &mut Conn, user: UserId) -> Result<i64> {
    #[derive(sqlx::FromRow)]
    struct N {
        n: i64,
    }
    let q = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from(Sessions::Table)
        .and_where(Expr::col(Sessions::UserId).eq(user.0))
        .and_where(Expr::col(Sessions::EndedAt).is_null())
        .to_owned();
    Ok(conn.fetch_one::<N, _>(&q).await?.n)
}

/// A session as the session pages show it (never its token), with who
/// ended it when someone else did.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRecord {
    /// The session's id.
    pub id: Uuid,
    /// Whose it is.
    pub user_id: Uuid,
    /// When it started.
    pub created_at: i64,
    /// When a request last used it (written at most once a minute).
    pub last_seen_at: i64,
    /// Idle expiry.
    pub idle_expires_at: i64,
    /// Absolute expiry.
    pub expires_at: i64,
    /// The client's address at sign-in.
    pub ip: Option<String>,
    /// The client's User-Agent at sign-in.
    pub user_agent: Option<String>,
    /// Where the address was, looked up at sign-in.
    pub location: Option<String>,
    /// When it ended, if it has.
    pub ended_at: Option<i64>,
    /// Why it ended (an `EndReason` name: `logout`, `revoked`, `idle_expiry`, …).
    pub end_reason: Option<String>,
    /// Who logged it out, when someone did (`revoked`).
    pub ended_by: Option<Uuid>,
    /// Their name.
    pub ended_by_name: Option<String>,
    /// Their email.
    pub ended_by_email: Option<String>,
    /// The organization whose administrator they acted as (Active Sessions).
    pub ended_by_org: Option<Uuid>,
    /// That organization's slug.
    pub ended_by_org_slug: Option<String>,
    /// That organization's name.
    pub ended_by_org_name: Option<String>,
}

/// The alias of `users` as the user who ended a session.
const ENDER: &str = "ender";
/// The alias of `organizations` as the organization they acted for.
const ENDER_ORG: &str = "ender_org";

/// The columns of a [`SessionRecord`], with who ended it (left joins):
/// `sessions` is the query's table.
pub(crate) fn session_record_columns(q: &mut sea_query::SelectStatement) {
    use sea_query::Alias;
    for c in [
        Sessions::Id,
        Sessions::UserId,
        Sessions::CreatedAt,
        Sessions::LastSeenAt,
        Sessions::IdleExpiresAt,
        Sessions::ExpiresAt,
        Sessions::Ip,
        Sessions::UserAgent,
        Sessions::Location,
        Sessions::EndedAt,
        Sessions::EndReason,
        Sessions::EndedBy,
        Sessions::EndedByOrg,
    ] {
        q.column((Sessions::Table, c));
    }
    q.expr_as(Expr::col((Alias::new(ENDER), Users::Name)), "ended_by_name")
        .expr_as(Expr::col((Alias::new(ENDER), Users::Email)), "ended_by_email")
        .expr_as(Expr::col((Alias::new(ENDER_ORG), Organizations::Slug)), "ended_by_org_slug")
        .expr_as(Expr::col((Alias::new(ENDER_ORG), Organizations::Name)), "ended_by_org_name")
        .join_as(
            sea_query::JoinType::LeftJoin,
            Users::Table,
            Alias::new(ENDER),
            Expr::col((Alias::new(ENDER), Users::Id)).equals((Sessions::Table, Sessions::EndedBy)),
        )
        .join_as(
            sea_query::JoinType::LeftJoin,
            Organizations::Table,
            Alias::new(ENDER_ORG),
            Expr::col((Alias::new(ENDER_ORG), Organizations::Id)).equals((Sessions::Table, Sessions::EndedByOrg)),
        );
}

fn session_record_query() -> sea_query::SelectStatement {
    let mut q = Query::select();
    q.from(Sessions::Table);
    session_record_columns(&mut q);
    q
}

/// A user's not-ended sessions, newest first (expiry is the caller's to
/// check against its clock).
pub async fn list_live_user_sessions(r: &mut impl crate::Reader, user: UserId) -> Result<Vec<SessionRecord>> {
    let q = session_record_query()
        .and_where(Expr::col((Sessions::Table, Sessions::UserId)).eq(user.0))
        .and_where(Expr::col((Sessions::Table, Sessions::EndedAt)).is_null())
        .order_by((Sessions::Table, Sessions::CreatedAt), sea_query::Order::Desc)
        .order_by((Sessions::Table, Sessions::Id), sea_query::Order::Desc)
        .to_owned();
    r.read_all(&q).await
}

/// A user's most recently ended sessions, the latest ended first, at most `limit`.
pub async fn list_ended_user_sessions(conn: &mut Conn, user: UserId, limit: u64) -> Result<Vec<SessionRecord>> {
    let q = session_record_query()
        .and_where(Expr::col((Sessions::Table, Sessions::UserId)).eq(user.0))
        .and_where(Expr::col((Sessions::Table, Sessions::EndedAt)).is_not_null())
        .order_by((Sessions::Table, Sessions::EndedAt), sea_query::Order::Desc)
        .order_by((Sessions::Table, Sessions::Id), sea_query::Order::Desc)
        .limit(limit)
        .to_owned();
    conn.fetch_all(&q).await
}

/// One session of this user (another user's answers `None`, like a missing one).
pub async fn find_user_session(
    r: &mut impl crate::Reader,
    user: UserId,
    id: SessionId,
) -> Result<Option<SessionRecord>> {
    let q = session_record_query()
        .and_where(Expr::col((Sessions::Table, Sessions::UserId)).eq(user.0))
        .and_where(Expr::col((Sessions::Table, Sessions::Id)).eq(id.0))
        .to_owned();
    r.read_optional(&q).await
}

/// What one request about one organization needs, in one query: the live
/// session with its user, the organization named by id or slug (if it
/// exists), and the user's membership status there (if any). Nothing of it
/// is cached anywhere, so a revoked session, a disabled member or a changed
/// `authz_version` is seen by the very next request on every instance.
#[derive(Debug, Clone)]
pub struct SessionInOrg {
    /// The session and its user.
    pub session: SessionUser,
    /// The organization, when one has that id or slug.
    pub org: Option<crate::orgs::OrgRecord>,
    /// The user's membership status there, when they are a member.
    pub status: Option<roster_domain::MemberStatus>,
    /// The organization's partner and the user's status there, when it has one.
    pub partner: Option<crate::orgs::PartnerOfOrg>,
}

/// Finds the not-ended session with this token hash, the organization
/// `id_or_slug` names and the user's membership there, in one query (one
/// round trip). Expiry is the caller's to check against its clock.
pub async fn find_live_session_in_org(
    conn: &mut Conn,
    token_hash: &[u8],
    id_or_slug: &str,
) -> Result<Option<SessionInOrg>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        session: SessionUser,
        #[sqlx(flatten)]
        org: OptionalOrg,
        member_status: Option<String>,
        #[sqlx(flatten)]
        partner: crate::orgs::PartnerColumns,
    }
    let org_matches = match Uuid::parse_str(id_or_slug) {
        Ok(id) => Expr::col((Organizations::Table, Organizations::Id)).eq(id),
        Err(_) => Expr::col((Organizations::Table, Organizations::Slug)).eq(id_or_slug.to_lowercase()),
    };
    let mut q = Query::select();
    q.expr_as(Expr::col((Sessions::Table, Sessions::Id)), "session_id")
        .column((Sessions::Table, Sessions::UserId))
        .column((Users::Table, Users::Email))
        .column((Users::Table, Users::Name))
        .column((Sessions::Table, Sessions::LastSeenAt))
        .column((Sessions::Table, Sessions::IdleExpiresAt))
        .column((Sessions::Table, Sessions::ExpiresAt));
    select_org_columns(&mut q);
    q.expr_as(Expr::col((Members::Table, Members::Status)), "member_status")
        .from(Sessions::Table)
        .inner_join(Users::Table, Expr::col((Users::Table, Users::Id)).equals((Sessions::Table, Sessions::UserId)))
        .left_join(Organizations::Table, org_matches)
        .left_join(
            Members::Table,
            Expr::col((Members::Table, Members::OrgId))
                .equals((Organizations::Table, Organizations::Id))
                .and(Expr::col((Members::Table, Members::UserId)).equals((Sessions::Table, Sessions::UserId))),
        )
        .and_where(Expr::col((Sessions::Table, Sessions::TokenHash)).eq(token_hash.to_vec()))
        .and_where(Expr::col((Sessions::Table, Sessions::EndedAt)).is_null());
    crate::orgs::join_partner(&mut q, Expr::col((Sessions::Table, Sessions::UserId)));
    let Some(row) = conn.fetch_optional::<Row, _>(&q).await? else { return Ok(None) };
    let status = match row.member_status {
        None => None,
        Some(s) => Some(s.parse().map_err(|_| crate::StoreError::Corrupt(format!("member status {s}")))?),
    };
    Ok(Some(SessionInOrg { session: row.session, org: row.org.record(), status, partner: row.partner.record()? }))
}
