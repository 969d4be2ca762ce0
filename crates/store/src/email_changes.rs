//! Email changes: a user's request to change their email address, pending
//! until the link mailed to the new address is followed (see the
//! `0008_email_changes` migration for the table's story).
//!
//! A user is global, not an organization's, so these rows have no `OrgId`:
//! a change is found by the SHA-256 of its link's secret, or by its user.
//! Whether a link still works is decided by one conditional update
//! ([`mark_used`]), so of concurrent confirmations exactly one succeeds.

use roster_domain::{EmailChangeId, Timestamp, UserId};
use sea_query::{Expr, ExprTrait, Order, Query};
use uuid::Uuid;

use crate::tables::EmailChanges;
use crate::{Reader, Result, Tx};

/// A pending email change to write.
#[derive(Debug, Clone)]
pub struct NewEmailChange {
    /// Its id.
    pub id: EmailChangeId,
    /// The user whose address changes.
    pub user_id: UserId,
    /// The address it changes to (normalized).
    pub new_email: String,
    /// SHA-256 of the link's secret.
    pub token_hash: Vec<u8>,
    /// When it was asked for.
    pub created_at: Timestamp,
    /// When the link stops working.
    pub expires_at: Timestamp,
}

/// An email change as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailChangeRecord {
    /// Its id.
    pub id: EmailChangeId,
    /// The user whose address changes.
    pub user_id: UserId,
    /// The address it changes to.
    pub new_email: String,
    /// When it was asked for.
    pub created_at: Timestamp,
    /// When the link stops working.
    pub expires_at: Timestamp,
    /// When the link was followed, if it was.
    pub used_at: Option<Timestamp>,
    /// When a newer request or a cancel ended it, if one did.
    pub canceled_at: Option<Timestamp>,
}

impl EmailChangeRecord {
    /// Whether its link still works at `now`: not used, not canceled, not expired.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.used_at.is_none() && self.canceled_at.is_none() && now < self.expires_at
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    user_id: Uuid,
    new_email: String,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
    canceled_at: Option<i64>,
}

impl From<Row> for EmailChangeRecord {
    fn from(r: Row) -> Self {
        Self {
            id: EmailChangeId(r.id),
            user_id: UserId(r.user_id),
            new_email: r.new_email,
            created_at: Timestamp(r.created_at),
            expires_at: Timestamp(r.expires_at),
            used_at: r.used_at.map(Timestamp),
            canceled_at: r.canceled_at.map(Timestamp),
        }
    }
}

const COLUMNS: [EmailChanges; 7] = [
    EmailChanges::Id,
    EmailChanges::UserId,
    EmailChanges::NewEmail,
    EmailChanges::CreatedAt,
    EmailChanges::ExpiresAt,
    EmailChanges::UsedAt,
    EmailChanges::CanceledAt,
];

/// Writes a pending email change.
pub async fn insert(tx: &mut Tx, c: &NewEmailChange) -> Result<()> {
    tx.execute(
        Query::insert()
            .into_table(EmailChanges::Table)
            .columns([
                EmailChanges::Id,
                EmailChanges::UserId,
                EmailChanges::NewEmail,
                EmailChanges::TokenHash,
                EmailChanges::CreatedAt,
                EmailChanges::ExpiresAt,
            ])
            .values_panic([
                c.id.0.into(),
                c.user_id.0.into(),
                c.new_email.clone().into(),
                c.token_hash.clone().into(),
                c.created_at.0.into(),
                c.expires_at.0.into(),
            ]),
    )
    .await?;
    Ok(())
}

/// The email change behind a link, by the SHA-256 of its secret (live or not).
pub async fn find_by_token(r: &mut impl Reader, token_hash: &[u8]) -> Result<Option<EmailChangeRecord>> {
    let q = Query::select()
        .columns(COLUMNS)
        .from(EmailChanges::Table)
        .and_where(Expr::col(EmailChanges::TokenHash).eq(token_hash.to_vec()))
        .to_owned();
    Ok(r.read_optional::<Row, _>(&q).await?.map(Into::into))
}

/// A user's live email change at `now` (the newest; a new request ends the
/// earlier ones, so there is at most one), if any.
pub async fn find_pending(r: &mut impl Reader, user: UserId, now: Timestamp) -> Result<Option<EmailChangeRecord>> {
    let q = Query::select()
        .columns(COLUMNS)
        .from(EmailChanges::Table)
        .and_where(Expr::col(EmailChanges::UserId).eq(user.0))
        .and_where(Expr::col(EmailChanges::UsedAt).is_null())
        .and_where(Expr::col(EmailChanges::CanceledAt).is_null())
        .and_where(Expr::col(EmailChanges::ExpiresAt).gt(now.0))
        .order_by(EmailChanges::CreatedAt, Order::Desc)
        .limit(1)
        .to_owned();
    Ok(r.read_optional::<Row, _>(&q).await?.map(Into::into))
}

/// Ends every live email change of a user (a newer request, or the user
/// canceled); expired ones are dead already. Answers how many it ended.
pub async fn cancel_pending(tx: &mut Tx, user: UserId, now: Timestamp) -> Result<u64> {
    tx.execute(
        Query::update()
            .table(EmailChanges::Table)
            .value(EmailChanges::CanceledAt, now.0)
            .and_where(Expr::col(EmailChanges::UserId).eq(user.0))
            .and_where(Expr::col(EmailChanges::UsedAt).is_null())
            .and_where(Expr::col(EmailChanges::CanceledAt).is_null())
            .and_where(Expr::col(EmailChanges::ExpiresAt).gt(now.0)),
    )
    .await
}

/// Marks an email change used, if its link still works (unused, not
/// canceled, not expired). Answers whether it did: of concurrent uses of
/// one link exactly one succeeds (the others find `used_at` set once the
/// first commits).
pub async fn mark_used(tx: &mut Tx, token_hash: &[u8], now: Timestamp) -> Result<bool> {
    let n = tx
        .execute(
            Query::update()
                .table(EmailChanges::Table)
                .value(EmailChanges::UsedAt, now.0)
                .and_where(Expr::col(EmailChanges::TokenHash).eq(token_hash.to_vec()))
                .and_where(Expr::col(EmailChanges::UsedAt).is_null())
                .and_where(Expr::col(EmailChanges::CanceledAt).is_null())
                .and_where(Expr::col(EmailChanges::ExpiresAt).gt(now.0)),
        )
        .await?;
    Ok(n == 1)
}
