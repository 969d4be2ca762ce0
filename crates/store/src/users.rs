//! Users: global human identities.

use roster_domain::{Email, Timestamp, UserId};
use sea_query::{Expr, ExprTrait, Query};
use uuid::Uuid;

use crate::tables::{Members, PasswordTokens, Users};
use crate::{Result, Tx};

/// A user as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Its id.
    pub id: UserId,
    /// Lower-cased email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// The argon2id PHC string, if a password was set.
    pub password_hash: Option<String>,
    /// Whether the email address was confirmed.
    pub email_confirmed: bool,
    /// When the user was created.
    pub created_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    email: String,
    name: String,
    password_hash: Option<String>,
    email_confirmed: bool,
    created_at: i64,
}

impl From<UserRow> for UserRecord {
    fn from(r: UserRow) -> Self {
        Self {
            id: UserId(r.id),
            email: r.email,
            name: r.name,
            password_hash: r.password_hash,
            email_confirmed: r.email_confirmed,
            created_at: Timestamp(r.created_at),
        }
    }
}

const COLUMNS: [Users; 6] =
    [Users::Id, Users::Email, Users::Name, Users::PasswordHash, Users::EmailConfirmed, Users::CreatedAt];

/// Inserts a user.
pub async fn insert_user(tx: &mut Tx, u: &UserRecord) -> Result<()> {
    insert_users(tx, std::slice::from_ref(u)).await
}

/// Finds a user by email.
pub async fn find_user_by_email(r: &mut impl crate::Reader, email: &Email) -> Result<Option<UserRecord>> {
    let q = Query::select()
        .columns(COLUMNS)
        .from(Users::Table)
        .and_where(Expr::col(Users::Email).eq(email.as_str()))
        .to_owned();
    Ok(r.read_optional::<UserRow, _>(&q).await?.map(Into::into))
}

/// Finds a user by id.
pub async fn find_user(r: &mut impl crate::Reader, id: UserId) -> Result<Option<UserRecord>> {
    let q = Query::select().columns(COLUMNS).from(Users::Table).and_where(Expr::col(Users::Id).eq(id.0)).to_owned();
    Ok(r.read_optional::<UserRow, _>(&q).await?.map(Into::into))
}

/// Renames a user, and mirrors the name into every membership row in the
/// same transaction.
pub async fn update_user_name(tx: &mut Tx, id: UserId, name: &str, now: Timestamp) -> Result<()> {
    tx.execute(
        Query::update()
            .table(Users::Table)
            .values([(Users::Name, name.into()), (Users::UpdatedAt, now.0.into())])
            .and_where(Expr::col(Users::Id).eq(id.0)),
    )
    .await?;
    tx.execute(
        Query::update().table(Members::Table).value(Members::Name, name).and_where(Expr::col(Members::UserId).eq(id.0)),
    )
    .await?;
    Ok(())
}

/// Sets a user's password hash and marks the email confirmed (the link that
/// set it was delivered to that address).
pub async fn set_password(tx: &mut Tx, id: UserId, hash: &str, now: Timestamp) -> Result<()> {
    tx.execute(
        Query::update()
            .table(Users::Table)
            .values([
                (Users::PasswordHash, hash.into()),
                (Users::EmailConfirmed, true.into()),
                (Users::UpdatedAt, now.0.into()),
            ])
            .and_where(Expr::col(Users::Id).eq(id.0)),
    )
    .await?;
    Ok(())
}

/// A one-time password-setting token, by the SHA-256 of its secret.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PasswordToken {
    /// The user it sets the password of.
    pub user_id: Uuid,
    /// When it stops working.
    pub expires_at: i64,
    /// When it was used, if it was.
    pub used_at: Option<i64>,
}

/// Stores a password token's hash.
pub async fn insert_password_token(
    tx: &mut Tx,
    token_hash: &[u8],
    user: UserId,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<()> {
    tx.execute(
        Query::insert()
            .into_table(PasswordTokens::Table)
            .columns([
                PasswordTokens::TokenHash,
                PasswordTokens::UserId,
                PasswordTokens::CreatedAt,
                PasswordTokens::ExpiresAt,
            ])
            .values_panic([token_hash.to_vec().into(), user.0.into(), now.0.into(), expires_at.0.into()]),
    )
    .await?;
    Ok(())
}

/// Finds a password token by hash.
pub async fn find_password_token(tx: &mut Tx, token_hash: &[u8]) -> Result<Option<PasswordToken>> {
    let q = Query::select()
        .columns([PasswordTokens::UserId, PasswordTokens::ExpiresAt, PasswordTokens::UsedAt])
        .from(PasswordTokens::Table)
        .and_where(Expr::col(PasswordTokens::TokenHash).eq(token_hash.to_vec()))
        .to_owned();
    tx.fetch_optional(&q).await
}

/// Marks a password token used.
pub async fn use_password_token(tx: &mut Tx, token_hash: &[u8], now: Timestamp) -> Result<()> {
    tx.execute(
        Query::update()
            .table(PasswordTokens::Table)
            .value(PasswordTokens::UsedAt, now.0)
            .and_where(Expr::col(PasswordTokens::TokenHash).eq(token_hash.to_vec())),
    )
    .await?;
    Ok(())
}

/// Inserts many users in multi-row statements (seeding and imports).
pub async fn insert_users(tx: &mut Tx, rows: &[UserRecord]) -> Result<()> {
    for chunk in rows.chunks(500) {
        let mut q = Query::insert();
        q.into_table(Users::Table).columns([
            Users::Id,
            Users::Email,
            Users::Name,
            Users::PasswordHash,
            Users::EmailConfirmed,
            Users::CreatedAt,
            Users::UpdatedAt,
        ]);
        for u in chunk {
            q.values_panic([
                u.id.0.into(),
                u.email.clone().into(),
                u.name.clone().into(),
                u.password_hash.clone().into(),
                u.email_confirmed.into(),
                u.created_at.0.into(),
                u.created_at.0.into(),
            ]);
        }
        tx.execute(&q).await?;
    }
    Ok(())
}

/// The organizations a user is a member of (any status).
pub async fn org_ids_of_user(tx: &mut Tx, user: UserId) -> Result<Vec<roster_domain::OrgId>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        org_id: Uuid,
    }
    let q = Query::select()
        .column(Members::OrgId)
        .from(Members::Table)
        .and_where(Expr::col(Members::UserId).eq(user.0))
        .to_owned();
    Ok(tx.fetch_all::<Row, _>(&q).await?.into_iter().map(|r| roster_domain::OrgId(r.org_id)).collect())
}

/// Marks a user's email address confirmed (they followed a link sent to it).
pub async fn confirm_email(tx: &mut Tx, id: UserId, now: Timestamp) -> Result<()> {
    tx.execute(
        Query::update()
            .table(Users::Table)
            .values([(Users::EmailConfirmed, true.into()), (Users::UpdatedAt, now.0.into())])
            .and_where(Expr::col(Users::Id).eq(id.0)),
    )
    .await?;
    Ok(())
}
