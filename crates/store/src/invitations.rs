//! Invitations: pending memberships by email (see the `0006_invitations`
//! migration for the table's story).
//!
//! Every function takes the organization first, and every look-up goes
//! through an index that starts with it: a token is found by
//! `(org_id, token_hash)`, since the link's token names its organization.
//! A list is read newest first by keyset (`(created_at, id)`), and a state
//! (`pending`, `expired`, …) is a range of the `(org_id, status, …)` indexes.

use roster_domain::invitations::{InvitationState, InvitationStatus};
use roster_domain::{InvitationId, OrgId, Timestamp, UserId};
use sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement};
use uuid::Uuid;

use crate::tables::Invitations;
use crate::{Reader, Result, StoreError, Tx};

/// An invitation to write.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    /// Its id.
    pub id: InvitationId,
    /// The organization.
    pub org_id: OrgId,
    /// The invited user (created for an unknown address).
    pub user_id: UserId,
    /// The address it was sent to.
    pub email: String,
    /// First name as the inviter typed it.
    pub first_name: String,
    /// Last name as the inviter typed it ("" for none).
    pub last_name: String,
    /// The role ids offered, as a JSON array.
    pub roles_json: String,
    /// The own grants offered, as a JSON object.
    pub grants_json: String,
    /// SHA-256 of the link's secret.
    pub token_hash: Vec<u8>,
    /// When the link stops working.
    pub expires_at: Timestamp,
    /// Who invited (a person), if a person did.
    pub invited_by: Option<UserId>,
    /// How the inviter is shown (an email, or `cli`).
    pub invited_by_label: String,
    /// When it was made (and first sent).
    pub created_at: Timestamp,
}

/// An invitation as stored.
#[derive(Debug, Clone)]
pub struct InvitationRecord {
    /// Its id.
    pub id: InvitationId,
    /// The invited user.
    pub user_id: UserId,
    /// The address.
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name ("" for none).
    pub last_name: String,
    /// Role ids offered (JSON array).
    pub roles_json: String,
    /// Own grants offered (JSON object).
    pub grants_json: String,
    /// Stored status.
    pub status: InvitationStatus,
    /// When the current link stops working.
    pub expires_at: Timestamp,
    /// The inviter, if a person.
    pub invited_by: Option<UserId>,
    /// How the inviter is shown.
    pub invited_by_label: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it was last sent.
    pub sent_at: Timestamp,
    /// How many times it was sent again.
    pub resend_count: i64,
    /// When it was accepted.
    pub accepted_at: Option<Timestamp>,
    /// When it was canceled.
    pub canceled_at: Option<Timestamp>,
    /// How the person who canceled it is shown.
    pub canceled_by_label: Option<String>,
    /// When its expiry was written to the audit log.
    pub expired_noted_at: Option<Timestamp>,
}

impl InvitationRecord {
    /// Its state at `now` (a pending invitation past its expiry is expired).
    pub fn state(&self, now: Timestamp) -> InvitationState {
        InvitationState::of(self.status, self.expires_at, now)
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    user_id: Uuid,
    email: String,
    first_name: String,
    last_name: String,
    roles: String,
    grants: String,
    status: String,
    expires_at: i64,
    invited_by: Option<Uuid>,
    invited_by_label: String,
    created_at: i64,
    sent_at: i64,
    resend_count: i64,
    accepted_at: Option<i64>,
    canceled_at: Option<i64>,
    canceled_by_label: Option<String>,
    expired_noted_at: Option<i64>,
}

impl TryFrom<Row> for InvitationRecord {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self> {
        Ok(Self {
            id: InvitationId(r.id),
            user_id: UserId(r.user_id),
            email: r.email,
            first_name: r.first_name,
            last_name: r.last_name,
            roles_json: r.roles,
            grants_json: r.grants,
            status: InvitationStatus::parse(&r.status)
                .ok_or_else(|| StoreError::Corrupt(format!("invitation status {}", r.status)))?,
            expires_at: Timestamp(r.expires_at),
            invited_by: r.invited_by.map(UserId),
            invited_by_label: r.invited_by_label,
            created_at: Timestamp(r.created_at),
            sent_at: Timestamp(r.sent_at),
            resend_count: r.resend_count,
            accepted_at: r.accepted_at.map(Timestamp),
            canceled_at: r.canceled_at.map(Timestamp),
            canceled_by_label: r.canceled_by_label,
            expired_noted_at: r.expired_noted_at.map(Timestamp),
        })
    }
}

const COLUMNS: [Invitations; 18] = [
    Invitations::Id,
    Invitations::UserId,
    Invitations::Email,
    Invitations::FirstName,
    Invitations::LastName,
    Invitations::Roles,
    Invitations::Grants,
    Invitations::Status,
    Invitations::ExpiresAt,
    Invitations::InvitedBy,
    Invitations::InvitedByLabel,
    Invitations::CreatedAt,
    Invitations::SentAt,
    Invitations::ResendCount,
    Invitations::AcceptedAt,
    Invitations::CanceledAt,
    Invitations::CanceledByLabel,
    Invitations::ExpiredNotedAt,
];

fn select(org: OrgId) -> SelectStatement {
    Query::select()
        .columns(COLUMNS)
        .from(Invitations::Table)
        .and_where(Expr::col(Invitations::OrgId).eq(org.0))
        .to_owned()
}

async fn one(r: &mut impl Reader, q: &SelectStatement) -> Result<Option<InvitationRecord>> {
    r.read_optional::<Row, _>(q).await?.map(InvitationRecord::try_from).transpose()
}

/// Writes an invitation, pending.
pub async fn insert_invitation(tx: &mut Tx, i: &NewInvitation) -> Result<()> {
    insert_invitations(tx, std::slice::from_ref(i)).await
}

/// Writes invitations, pending, a multi-row statement per 500 (an import's batch).
pub async fn insert_invitations(tx: &mut Tx, rows: &[NewInvitation]) -> Result<()> {
    for chunk in rows.chunks(500) {
        let mut q = Query::insert();
        q.into_table(Invitations::Table).columns([
            Invitations::OrgId,
            Invitations::Id,
            Invitations::UserId,
            Invitations::Email,
            Invitations::FirstName,
            Invitations::LastName,
            Invitations::Roles,
            Invitations::Grants,
            Invitations::TokenHash,
            Invitations::Status,
            Invitations::ExpiresAt,
            Invitations::InvitedBy,
            Invitations::InvitedByLabel,
            Invitations::CreatedAt,
            Invitations::SentAt,
        ]);
        for i in chunk {
            q.values_panic([
                i.org_id.0.into(),
                i.id.0.into(),
                i.user_id.0.into(),
                i.email.clone().into(),
                i.first_name.clone().into(),
                i.last_name.clone().into(),
                i.roles_json.clone().into(),
                i.grants_json.clone().into(),
                i.token_hash.clone().into(),
                InvitationStatus::Pending.as_str().into(),
                i.expires_at.0.into(),
                i.invited_by.map(|u| u.0).into(),
                i.invited_by_label.clone().into(),
                i.created_at.0.into(),
                i.created_at.0.into(),
            ]);
        }
        tx.execute(&q).await?;
    }
    Ok(())
}

/// One invitation of an organization.
pub async fn find_invitation(r: &mut impl Reader, org: OrgId, id: InvitationId) -> Result<Option<InvitationRecord>> {
    one(r, &select(org).and_where(Expr::col(Invitations::Id).eq(id.0)).to_owned()).await
}

/// The invitation whose current link has this secret's hash.
pub async fn find_by_token(r: &mut impl Reader, org: OrgId, token_hash: &[u8]) -> Result<Option<InvitationRecord>> {
    one(r, &select(org).and_where(Expr::col(Invitations::TokenHash).eq(token_hash.to_vec())).to_owned()).await
}

/// A user's pending invitation to an organization, if any (the newest).
pub async fn pending_for_user(r: &mut impl Reader, org: OrgId, user: UserId) -> Result<Option<InvitationRecord>> {
    let q = select(org)
        .and_where(Expr::col(Invitations::UserId).eq(user.0))
        .and_where(Expr::col(Invitations::Status).eq(InvitationStatus::Pending.as_str()))
        .order_by(Invitations::CreatedAt, Order::Desc)
        .limit(1)
        .to_owned();
    one(r, &q).await
}

/// The pending invitations of these users, newest first per user (the
/// Users tab's invited rows).
pub async fn pending_for_users(r: &mut impl Reader, org: OrgId, users: &[UserId]) -> Result<Vec<InvitationRecord>> {
    let mut out = Vec::new();
    for chunk in users.chunks(500) {
        let q = select(org)
            .and_where(Expr::col(Invitations::Status).eq(InvitationStatus::Pending.as_str()))
            .and_where(Expr::col(Invitations::UserId).is_in(chunk.iter().map(|u| u.0)))
            .order_by(Invitations::CreatedAt, Order::Desc)
            .to_owned();
        for row in r.read_all::<Row, _>(&q).await? {
            out.push(InvitationRecord::try_from(row)?);
        }
    }
    Ok(out)
}

/// Restricts a query to the invitations in a state at `now`.
fn in_state(q: &mut SelectStatement, state: InvitationState, now: Timestamp) {
    q.and_where(Expr::col(Invitations::Status).eq(state.status().as_str()));
    match state {
        InvitationState::Pending => {
            q.and_where(Expr::col(Invitations::ExpiresAt).gt(now.0));
        }
        InvitationState::Expired => {
            q.and_where(Expr::col(Invitations::ExpiresAt).lte(now.0));
        }
        InvitationState::Accepted | InvitationState::Canceled => {}
    }
}

/// A page request over an organization's invitations.
#[derive(Debug, Clone)]
pub struct ListSpec {
    /// Only those in this state (`None`: every one).
    pub state: Option<InvitationState>,
    /// The time states are read at.
    pub now: Timestamp,
    /// Start after this row (`created_at`, id), newest first.
    pub after: Option<(Timestamp, InvitationId)>,
    /// At most this many rows.
    pub limit: u64,
}

/// A page of invitations, newest first; answers one row more than `limit`
/// when more follow (the caller trims it).
pub async fn list_invitations(r: &mut impl Reader, org: OrgId, spec: &ListSpec) -> Result<Vec<InvitationRecord>> {
    let mut q = select(org);
    if let Some(state) = spec.state {
        in_state(&mut q, state, spec.now);
    }
    if let Some((at, id)) = spec.after {
        q.and_where(
            Expr::tuple([Expr::col(Invitations::CreatedAt), Expr::col(Invitations::Id)])
                .lt(Expr::tuple([Expr::val(at.0), Expr::val(id.0)])),
        );
    }
    q.order_by(Invitations::CreatedAt, Order::Desc).order_by(Invitations::Id, Order::Desc).limit(spec.limit + 1);
    r.read_all::<Row, _>(&q).await?.into_iter().map(InvitationRecord::try_from).collect()
}

/// How many invitations are in each state, each count stopped at `cap + 1`
/// (read from the state's index range, never a whole-table count).
pub async fn count_states(
    r: &mut impl Reader,
    org: OrgId,
    now: Timestamp,
    cap: u64,
) -> Result<Vec<(InvitationState, u64)>> {
    #[derive(sqlx::FromRow)]
    struct N {
        n: i64,
    }
    let mut out = Vec::new();
    for state in InvitationState::ALL {
        let mut inner = Query::select();
        inner.expr(Expr::cust("1")).from(Invitations::Table).and_where(Expr::col(Invitations::OrgId).eq(org.0));
        in_state(&mut inner, state, now);
        inner.limit(cap + 1);
        let q = Query::select()
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .from_subquery(inner, Alias::new("matched"))
            .to_owned();
        let n = r.read_optional::<N, _>(&q).await?.map_or(0, |n| n.n.clamp(0, i64::MAX) as u64);
        out.push((state, n));
    }
    Ok(out)
}

/// The ids of the next `limit` invitations in a state (by id, after
/// `after`), for bulk changes.
pub async fn select_ids(
    r: &mut impl Reader,
    org: OrgId,
    state: InvitationState,
    now: Timestamp,
    after: Option<InvitationId>,
    limit: u64,
) -> Result<Vec<InvitationId>> {
    #[derive(sqlx::FromRow)]
    struct IdRow {
        id: Uuid,
    }
    let mut q = Query::select();
    q.column(Invitations::Id).from(Invitations::Table).and_where(Expr::col(Invitations::OrgId).eq(org.0));
    in_state(&mut q, state, now);
    if let Some(a) = after {
        q.and_where(Expr::col(Invitations::Id).gt(a.0));
    }
    q.order_by(Invitations::Id, Order::Asc).limit(limit);
    Ok(r.read_all::<IdRow, _>(&q).await?.into_iter().map(|r| InvitationId(r.id)).collect())
}

fn by_id(org: OrgId, id: InvitationId) -> [Expr; 2] {
    [Expr::col(Invitations::OrgId).eq(org.0), Expr::col(Invitations::Id).eq(id.0)]
}

/// Marks a pending invitation accepted. Answers `false` (and changes
/// nothing) when it was no longer pending: the one statement that decides
/// which of several concurrent accepts wins.
pub async fn mark_accepted(tx: &mut Tx, org: OrgId, id: InvitationId, now: Timestamp) -> Result<bool> {
    let [a, b] = by_id(org, id);
    let n = tx
        .execute(
            Query::update()
                .table(Invitations::Table)
                .value(Invitations::Status, InvitationStatus::Accepted.as_str())
                .value(Invitations::AcceptedAt, now.0)
                .and_where(a)
                .and_where(b)
                .and_where(Expr::col(Invitations::Status).eq(InvitationStatus::Pending.as_str())),
        )
        .await?;
    Ok(n == 1)
}

/// Marks a pending invitation canceled. Answers `false` when it was no longer pending.
pub async fn mark_canceled(
    tx: &mut Tx,
    org: OrgId,
    id: InvitationId,
    by: Option<UserId>,
    by_label: &str,
    now: Timestamp,
) -> Result<bool> {
    let [a, b] = by_id(org, id);
    let n = tx
        .execute(
            Query::update()
                .table(Invitations::Table)
                .value(Invitations::Status, InvitationStatus::Canceled.as_str())
                .value(Invitations::CanceledAt, now.0)
                .value(Invitations::CanceledBy, by.map(|u| u.0))
                .value(Invitations::CanceledByLabel, by_label)
                .and_where(a)
                .and_where(b)
                .and_where(Expr::col(Invitations::Status).eq(InvitationStatus::Pending.as_str())),
        )
        .await?;
    Ok(n == 1)
}

/// Gives a pending invitation a new link (the old one stops working at
/// once) and a new expiry, and counts the resend. Answers `false` when it
/// was no longer pending.
pub async fn renew(
    tx: &mut Tx,
    org: OrgId,
    id: InvitationId,
    token_hash: &[u8],
    expires_at: Timestamp,
    now: Timestamp,
) -> Result<bool> {
    let [a, b] = by_id(org, id);
    let n = tx
        .execute(
            Query::update()
                .table(Invitations::Table)
                .value(Invitations::TokenHash, token_hash.to_vec())
                .value(Invitations::ExpiresAt, expires_at.0)
                .value(Invitations::SentAt, now.0)
                .value(Invitations::ResendCount, Expr::col(Invitations::ResendCount).add(1i64))
                .value(Invitations::ExpiredNotedAt, Option::<i64>::None)
                .and_where(a)
                .and_where(b)
                .and_where(Expr::col(Invitations::Status).eq(InvitationStatus::Pending.as_str())),
        )
        .await?;
    Ok(n == 1)
}

/// Records that an invitation's expiry was written to the audit log.
pub async fn note_expired(tx: &mut Tx, org: OrgId, id: InvitationId, now: Timestamp) -> Result<()> {
    let [a, b] = by_id(org, id);
    tx.execute(
        Query::update().table(Invitations::Table).value(Invitations::ExpiredNotedAt, now.0).and_where(a).and_where(b),
    )
    .await?;
    Ok(())
}

/// Expired invitations whose expiry is not yet in the audit log (at most `limit`).
pub async fn expired_unnoted(tx: &mut Tx, org: OrgId, now: Timestamp, limit: u64) -> Result<Vec<InvitationRecord>> {
    let mut q = select(org);
    in_state(&mut q, InvitationState::Expired, now);
    q.and_where(Expr::col(Invitations::ExpiredNotedAt).is_null())
        .order_by(Invitations::ExpiresAt, Order::Asc)
        .limit(limit);
    tx.fetch_all::<Row, _>(&q).await?.into_iter().map(InvitationRecord::try_from).collect()
}

/// Moves an invitation's dates (the demo's invitations of last month).
pub async fn set_dates(
    tx: &mut Tx,
    org: OrgId,
    id: InvitationId,
    created_at: Timestamp,
    expires_at: Timestamp,
) -> Result<()> {
    let [a, b] = by_id(org, id);
    tx.execute(
        Query::update()
            .table(Invitations::Table)
            .value(Invitations::CreatedAt, created_at.0)
            .value(Invitations::SentAt, created_at.0)
            .value(Invitations::ExpiresAt, expires_at.0)
            .and_where(a)
            .and_where(b),
    )
    .await?;
    Ok(())
}
