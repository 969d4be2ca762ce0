//! Sign-ups waiting for their address's confirmation (migration 0016): the
//! account is made only when the emailed link is followed.

use roster_domain::{SignupId, Timestamp};
use sea_query::{Expr, ExprTrait, Query};
use uuid::Uuid;

use crate::tables::Signups;
use crate::{Reader, Result, Tx};

/// A sign-up as stored.
#[derive(Debug, Clone)]
pub struct SignupRecord {
    /// Its id.
    pub id: SignupId,
    /// The address to confirm (normalized).
    pub email: String,
    /// The name chosen.
    pub name: String,
    /// The chosen password's argon2id hash (PHC string).
    pub password_hash: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// When its link stops working.
    pub expires_at: Timestamp,
    /// When its link was used.
    pub used_at: Option<Timestamp>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    email: String,
    name: String,
    password_hash: String,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
}

impl From<Row> for SignupRecord {
    fn from(r: Row) -> Self {
        Self {
            id: SignupId(r.id),
            email: r.email,
            name: r.name,
            password_hash: r.password_hash,
            created_at: Timestamp(r.created_at),
            expires_at: Timestamp(r.expires_at),
            used_at: r.used_at.map(Timestamp),
        }
    }
}

/// Writes a sign-up with its link secret's hash.
pub async fn insert(tx: &mut Tx, s: &SignupRecord, token_hash: &[u8]) -> Result<()> {
    tx.execute(
        Query::insert()
            .into_table(Signups::Table)
            .columns([
                Signups::Id,
                Signups::Email,
                Signups::Name,
                Signups::PasswordHash,
                Signups::TokenHash,
                Signups::CreatedAt,
                Signups::ExpiresAt,
            ])
            .values_panic([
                s.id.0.into(),
                s.email.clone().into(),
                s.name.clone().into(),
                s.password_hash.clone().into(),
                token_hash.to_vec().into(),
                s.created_at.0.into(),
                s.expires_at.0.into(),
            ]),
    )
    .await?;
    Ok(())
}

/// The sign-up whose link has this secret's hash.
pub async fn find_by_token(r: &mut impl Reader, token_hash: &[u8]) -> Result<Option<SignupRecord>> {
    let q = Query::select()
        .columns([
            Signups::Id,
            Signups::Email,
            Signups::Name,
            Signups::PasswordHash,
            Signups::CreatedAt,
            Signups::ExpiresAt,
            Signups::UsedAt,
        ])
        .from(Signups::Table)
        .and_where(Expr::col(Signups::TokenHash).eq(token_hash.to_vec()))
        .to_owned();
    Ok(r.read_optional::<Row, _>(&q).await?.map(SignupRecord::from))
}

/// Uses a sign-up's link once: `true` when this call used it (unused and
/// unexpired before), so of concurrent confirmations exactly one passes.
pub async fn mark_used(tx: &mut Tx, id: SignupId, now: Timestamp) -> Result<bool> {
    let q = Query::update()
        .table(Signups::Table)
        .value(Signups::UsedAt, now.0)
        .and_where(Expr::col(Signups::Id).eq(id.0))
        .and_where(Expr::col(Signups::UsedAt).is_null())
        .and_where(Expr::col(Signups::ExpiresAt).gt(now.0))
        .to_owned();
    Ok(tx.execute(&q).await? == 1)
}
