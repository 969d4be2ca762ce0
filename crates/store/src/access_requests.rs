//! Requests to join an organization (see the `0016_access_requests`
//! migration for the table's story).
//!
//! A decision, a withdrawal and a noted expiry are each one conditional
//! update from `pending`, so of two at once exactly one changes the row; the
//! caller reads the answer (`true`: this one won).

use roster_domain::access_requests::RequestStatus;
use roster_domain::{AccessRequestId, OrgId, Timestamp, UserId};
use sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement};
use uuid::Uuid;

use crate::tables::AccessRequests;
use crate::{Reader, Result, StoreError, Tx};

/// A request to write, pending.
#[derive(Debug, Clone)]
pub struct NewAccessRequest {
    /// Its id.
    pub id: AccessRequestId,
    /// The organization asked.
    pub org_id: OrgId,
    /// The requester.
    pub user_id: UserId,
    /// The requester's address at the time.
    pub email: String,
    /// The requester's name at the time.
    pub name: String,
    /// The requester's message ("" for none).
    pub message: String,
    /// How the requester came: `join_link` or `email_domain`.
    pub via: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it expires undecided.
    pub expires_at: Timestamp,
}

/// A request as stored.
#[derive(Debug, Clone)]
pub struct AccessRequestRecord {
    /// The organization asked.
    pub org_id: OrgId,
    /// Its id.
    pub id: AccessRequestId,
    /// The requester.
    pub user_id: UserId,
    /// The requester's address at the time.
    pub email: String,
    /// The requester's name at the time.
    pub name: String,
    /// The message.
    pub message: String,
    /// How the requester came.
    pub via: String,
    /// Stored status.
    pub status: RequestStatus,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it expires (or expired) undecided.
    pub expires_at: Timestamp,
    /// When it was decided, withdrawn, or its expiry noted.
    pub decided_at: Option<Timestamp>,
    /// Who decided it, if a person did.
    pub decided_by: Option<UserId>,
    /// How the decider is shown.
    pub decided_by_label: Option<String>,
    /// A denial's reason.
    pub reason: Option<String>,
    /// An approval's role names (JSON array).
    pub roles_json: Option<String>,
    /// An approval's product names (JSON array).
    pub products_json: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    org_id: Uuid,
    id: Uuid,
    user_id: Uuid,
    email: String,
    name: String,
    message: String,
    via: String,
    status: String,
    created_at: i64,
    expires_at: i64,
    decided_at: Option<i64>,
    decided_by: Option<Uuid>,
    decided_by_label: Option<String>,
    reason: Option<String>,
    roles: Option<String>,
    products: Option<String>,
}

impl TryFrom<Row> for AccessRequestRecord {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self> {
        Ok(Self {
            org_id: OrgId(r.org_id),
            id: AccessRequestId(r.id),
            user_id: UserId(r.user_id),
            email: r.email,
            name: r.name,
            message: r.message,
            via: r.via,
            status: RequestStatus::parse(&r.status)
                .ok_or_else(|| StoreError::Corrupt(format!("access request status {}", r.status)))?,
            created_at: Timestamp(r.created_at),
            expires_at: Timestamp(r.expires_at),
            decided_at: r.decided_at.map(Timestamp),
            decided_by: r.decided_by.map(UserId),
            decided_by_label: r.decided_by_label,
            reason: r.reason,
            roles_json: r.roles,
            products_json: r.products,
        })
    }
}

const COLUMNS: [AccessRequests; 16] = [
    AccessRequests::OrgId,
    AccessRequests::Id,
    AccessRequests::UserId,
    AccessRequests::Email,
    AccessRequests::Name,
    AccessRequests::Message,
    AccessRequests::Via,
    AccessRequests::Status,
    AccessRequests::CreatedAt,
    AccessRequests::ExpiresAt,
    AccessRequests::DecidedAt,
    AccessRequests::DecidedBy,
    AccessRequests::DecidedByLabel,
    AccessRequests::Reason,
    AccessRequests::Roles,
    AccessRequests::Products,
];

fn col(c: AccessRequests) -> Expr {
    Expr::col(c)
}

fn select(org: OrgId) -> SelectStatement {
    Query::select()
        .columns(COLUMNS)
        .from(AccessRequests::Table)
        .and_where(col(AccessRequests::OrgId).eq(org.0))
        .to_owned()
}

async fn all(r: &mut impl Reader, q: &SelectStatement) -> Result<Vec<AccessRequestRecord>> {
    r.read_all::<Row, _>(q).await?.into_iter().map(AccessRequestRecord::try_from).collect()
}

async fn one(r: &mut impl Reader, q: &SelectStatement) -> Result<Option<AccessRequestRecord>> {
    r.read_optional::<Row, _>(q).await?.map(AccessRequestRecord::try_from).transpose()
}

/// Writes a pending request. A second pending request of the same person
/// to the same organization is refused by the unique index (the caller
/// reads [`StoreError::is_unique_violation`]).
pub async fn insert(tx: &mut Tx, a: &NewAccessRequest) -> Result<()> {
    tx.execute(
        Query::insert()
            .into_table(AccessRequests::Table)
            .columns([
                AccessRequests::OrgId,
                AccessRequests::Id,
                AccessRequests::UserId,
                AccessRequests::Email,
                AccessRequests::Name,
                AccessRequests::Message,
                AccessRequests::Via,
                AccessRequests::Status,
                AccessRequests::CreatedAt,
                AccessRequests::ExpiresAt,
            ])
            .values_panic([
                a.org_id.0.into(),
                a.id.0.into(),
                a.user_id.0.into(),
                a.email.clone().into(),
                a.name.clone().into(),
                a.message.clone().into(),
                a.via.clone().into(),
                RequestStatus::Pending.as_str().into(),
                a.created_at.0.into(),
                a.expires_at.0.into(),
            ]),
    )
    .await?;
    Ok(())
}

/// One request of an organization.
pub async fn find(r: &mut impl Reader, org: OrgId, id: AccessRequestId) -> Result<Option<AccessRequestRecord>> {
    one(r, &select(org).and_where(col(AccessRequests::Id).eq(id.0)).to_owned()).await
}

/// A person's stored-pending request to an organization, if any (it may
/// have expired by the clock).
pub async fn pending_of(r: &mut impl Reader, org: OrgId, user: UserId) -> Result<Option<AccessRequestRecord>> {
    let q = select(org)
        .and_where(col(AccessRequests::UserId).eq(user.0))
        .and_where(col(AccessRequests::Status).eq(RequestStatus::Pending.as_str()))
        .to_owned();
    one(r, &q).await
}

/// When a person's latest denied request to an organization was denied.
pub async fn last_denied(r: &mut impl Reader, org: OrgId, user: UserId) -> Result<Option<Timestamp>> {
    let q = Query::select()
        .column(AccessRequests::DecidedAt)
        .from(AccessRequests::Table)
        .and_where(col(AccessRequests::UserId).eq(user.0))
        .and_where(col(AccessRequests::OrgId).eq(org.0))
        .and_where(col(AccessRequests::Status).eq(RequestStatus::Denied.as_str()))
        .order_by(AccessRequests::DecidedAt, Order::Desc)
        .limit(1)
        .to_owned();
    #[derive(sqlx::FromRow)]
    struct At {
        decided_at: Option<i64>,
    }
    Ok(r.read_optional::<At, _>(&q).await?.and_then(|a| a.decided_at).map(Timestamp))
}

/// The pending, unexpired requests of an organization, oldest first (a
/// queue), at most `limit`.
pub async fn list_pending(
    r: &mut impl Reader,
    org: OrgId,
    now: Timestamp,
    limit: u64,
) -> Result<Vec<AccessRequestRecord>> {
    let q = select(org)
        .and_where(col(AccessRequests::Status).eq(RequestStatus::Pending.as_str()))
        .and_where(col(AccessRequests::ExpiresAt).gt(now.0))
        .order_by(AccessRequests::CreatedAt, Order::Asc)
        .order_by(AccessRequests::Id, Order::Asc)
        .limit(limit)
        .to_owned();
    all(r, &q).await
}

/// How many pending, unexpired requests an organization has, stopped at
/// `cap + 1` (the tab's badge).
pub async fn count_pending(r: &mut impl Reader, org: OrgId, now: Timestamp, cap: u64) -> Result<u64> {
    let mut inner = Query::select();
    inner
        .expr(Expr::cust("1"))
        .from(AccessRequests::Table)
        .and_where(col(AccessRequests::OrgId).eq(org.0))
        .and_where(col(AccessRequests::Status).eq(RequestStatus::Pending.as_str()))
        .and_where(col(AccessRequests::ExpiresAt).gt(now.0))
        .limit(cap + 1);
    let q = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from_subquery(inner, Alias::new("matched"))
        .to_owned();
    #[derive(sqlx::FromRow)]
    struct N {
        n: i64,
    }
    Ok(r.read_optional::<N, _>(&q).await?.map_or(0, |n| n.n.clamp(0, i64::MAX) as u64))
}

/// The most recently processed requests of an organization, newest first:
/// decided, withdrawn or noted expired (by `decided_at`), and pending ones
/// past their expiry not yet noted (by `expires_at`); at most `limit`.
pub async fn list_recent(
    r: &mut impl Reader,
    org: OrgId,
    now: Timestamp,
    limit: u64,
) -> Result<Vec<AccessRequestRecord>> {
    let decided = select(org)
        .and_where(col(AccessRequests::DecidedAt).is_not_null())
        .order_by(AccessRequests::DecidedAt, Order::Desc)
        .order_by(AccessRequests::Id, Order::Desc)
        .limit(limit)
        .to_owned();
    let lapsed = select(org)
        .and_where(col(AccessRequests::Status).eq(RequestStatus::Pending.as_str()))
        .and_where(col(AccessRequests::ExpiresAt).lte(now.0))
        .order_by(AccessRequests::ExpiresAt, Order::Desc)
        .limit(limit)
        .to_owned();
    let mut out = all(r, &decided).await?;
    out.extend(all(r, &lapsed).await?);
    out.sort_by_key(|a| std::cmp::Reverse((a.decided_at.unwrap_or(a.expires_at), a.id.0)));
    out.truncate(limit as usize);
    Ok(out)
}

/// A person's own requests to any organization, newest first, at most `limit`.
pub async fn of_user(r: &mut impl Reader, user: UserId, limit: u64) -> Result<Vec<AccessRequestRecord>> {
    let q = Query::select()
        .columns(COLUMNS)
        .from(AccessRequests::Table)
        .and_where(col(AccessRequests::UserId).eq(user.0))
        .order_by(AccessRequests::CreatedAt, Order::Desc)
        .order_by(AccessRequests::Id, Order::Desc)
        .limit(limit)
        .to_owned();
    all(r, &q).await
}

/// One of a person's own requests, in any organization (by the
/// `(user_id, …)` index: a person has few).
pub async fn find_of_user(
    r: &mut impl Reader,
    user: UserId,
    id: AccessRequestId,
) -> Result<Option<AccessRequestRecord>> {
    let q = Query::select()
        .columns(COLUMNS)
        .from(AccessRequests::Table)
        .and_where(col(AccessRequests::UserId).eq(user.0))
        .and_where(col(AccessRequests::Id).eq(id.0))
        .to_owned();
    one(r, &q).await
}

/// A decision to write: approved or denied, by whom, why, and what was given.
#[derive(Debug, Clone)]
pub struct Decision<'a> {
    /// `Approved` or `Denied`.
    pub status: RequestStatus,
    /// The decider, if a person.
    pub by: Option<UserId>,
    /// How the decider is shown.
    pub by_label: &'a str,
    /// A denial's reason.
    pub reason: Option<&'a str>,
    /// An approval's role names (JSON array).
    pub roles_json: Option<String>,
    /// An approval's product names (JSON array).
    pub products_json: Option<String>,
    /// When.
    pub now: Timestamp,
}

/// Decides a pending, unexpired request: `true` when this call changed it,
/// `false` when it was decided, withdrawn or expired before.
pub async fn decide(tx: &mut Tx, org: OrgId, id: AccessRequestId, d: &Decision<'_>) -> Result<bool> {
    let q = Query::update()
        .table(AccessRequests::Table)
        .value(AccessRequests::Status, d.status.as_str())
        .value(AccessRequests::DecidedAt, d.now.0)
        .value(AccessRequests::DecidedBy, d.by.map(|u| u.0))
        .value(AccessRequests::DecidedByLabel, d.by_label)
        .value(AccessRequests::Reason, d.reason.map(str::to_string))
        .value(AccessRequests::Roles, d.roles_json.clone())
        .value(AccessRequests::Products, d.products_json.clone())
        .and_where(col(AccessRequests::OrgId).eq(org.0))
        .and_where(col(AccessRequests::Id).eq(id.0))
        .and_where(col(AccessRequests::Status).eq(RequestStatus::Pending.as_str()))
        .and_where(col(AccessRequests::ExpiresAt).gt(d.now.0))
        .to_owned();
    Ok(tx.execute(&q).await? == 1)
}

/// Withdraws a person's own pending request: `true` when this call changed it.
pub async fn withdraw(tx: &mut Tx, org: OrgId, id: AccessRequestId, user: UserId, now: Timestamp) -> Result<bool> {
    let q = Query::update()
        .table(AccessRequests::Table)
        .value(AccessRequests::Status, RequestStatus::Withdrawn.as_str())
        .value(AccessRequests::DecidedAt, now.0)
        .value(AccessRequests::DecidedBy, user.0)
        .and_where(col(AccessRequests::OrgId).eq(org.0))
        .and_where(col(AccessRequests::Id).eq(id.0))
        .and_where(col(AccessRequests::UserId).eq(user.0))
        .and_where(col(AccessRequests::Status).eq(RequestStatus::Pending.as_str()))
        .and_where(col(AccessRequests::ExpiresAt).gt(now.0))
        .to_owned();
    Ok(tx.execute(&q).await? == 1)
}

/// Records a pending request's expiry (its `decided_at` is the moment it
/// expired): `true` when this call changed it.
pub async fn mark_expired(tx: &mut Tx, org: OrgId, id: AccessRequestId, now: Timestamp) -> Result<bool> {
    let q = Query::update()
        .table(AccessRequests::Table)
        .value(AccessRequests::Status, RequestStatus::Expired.as_str())
        .value(AccessRequests::DecidedAt, Expr::col(AccessRequests::ExpiresAt))
        .and_where(col(AccessRequests::OrgId).eq(org.0))
        .and_where(col(AccessRequests::Id).eq(id.0))
        .and_where(col(AccessRequests::Status).eq(RequestStatus::Pending.as_str()))
        .and_where(col(AccessRequests::ExpiresAt).lte(now.0))
        .to_owned();
    Ok(tx.execute(&q).await? == 1)
}

/// Pending requests past their expiry, in any organization, at most `limit`
/// (by the `(status, expires_at)` index), as (organization, id).
pub async fn due_expired(r: &mut impl Reader, now: Timestamp, limit: u64) -> Result<Vec<(OrgId, AccessRequestId)>> {
    #[derive(sqlx::FromRow)]
    struct Due {
        org_id: Uuid,
        id: Uuid,
    }
    let q = Query::select()
        .columns([AccessRequests::OrgId, AccessRequests::Id])
        .from(AccessRequests::Table)
        .and_where(col(AccessRequests::Status).eq(RequestStatus::Pending.as_str()))
        .and_where(col(AccessRequests::ExpiresAt).lte(now.0))
        .order_by(AccessRequests::ExpiresAt, Order::Asc)
        .limit(limit)
        .to_owned();
    Ok(r.read_all::<Due, _>(&q).await?.into_iter().map(|d| (OrgId(d.org_id), AccessRequestId(d.id))).collect())
}
