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
    /// The password's hash, if one was set: Roster's argon2id PHC string,
    /// or a hash imported from another system (bcrypt, PBKDF2, scrypt),
    /// replaced at the next sign-in.
    pub password_hash: Option<String>,
    /// Whether the email address was confirmed.
    pub email_confirmed: bool,
    /// When the user was created.
    pub created_at: Timestamp,
    /// When the account was locked after too many failed sign-ins, if it is.
    pub locked_at: Option<Timestamp>,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    email: String,
    name: String,
    password_hash: Option<String>,
    email_confirmed: bool,
    created_at: i64,
    locked_at: Option<i64>,
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
            locked_at: r.locked_at.map(Timestamp),
        }
    }
}

const COLUMNS: [Users; 7] = [
    Users::Id,
    Users::Email,
    Users::Name,
    Users::PasswordHash,
    Users::EmailConfirmed,
    Users::CreatedAt,
    Users::LockedAt,
];

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
/// same transaction (each row's `updated_at` is `now`).
pub async fn update_user_name(tx: &mut Tx, id: UserId, name: &str, now: Timestamp) -> Result<()> {
    tx.execute(
        Query::update()
            .table(Users::Table)
            .values([(Users::Name, name.into()), (Users::UpdatedAt, now.0.into())])
            .and_where(Expr::col(Users::Id).eq(id.0)),
    )
    .await?;
    tx.execute(
        Query::update()
            .table(Members::Table)
            .values([(Members::Name, name.into()), (Members::UpdatedAt, now.0.into())])
            .and_where(Expr::col(Members::UserId).eq(id.0)),
    )
    .await?;
    Ok(())
}

/// Changes a user's email address and marks it confirmed (the link that
/// changes it was delivered to the new address), and mirrors it into every
/// membership row in the same transaction (SQLite's search index follows
/// through its trigger). Fails with a unique violation when another user
/// has the address.
pub async fn update_user_email(tx: &mut Tx, id: UserId, email: &Email, now: Timestamp) -> Result<()> {
    tx.execute(
        Query::update()
            .table(Users::Table)
            .values([
                (Users::Email, email.as_str().into()),
                (Users::EmailConfirmed, true.into()),
                (Users::UpdatedAt, now.0.into()),
            ])
            .and_where(Expr::col(Users::Id).eq(id.0)),
    )
    .await?;
    tx.execute(
        Query::update()
            .table(Members::Table)
            .values([(Members::Email, email.as_str().into()), (Members::UpdatedAt, now.0.into())])
            .and_where(Expr::col(Members::UserId).eq(id.0)),
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

/// Replaces a user's password hash with a new hash of the same password
/// (an imported or weaker hash upgraded at sign-in), if the stored hash is
/// still `from`: a password set meanwhile is kept. The password is the
/// same, so nothing else of the row changes (not `updated_at`, not the
/// email's confirmation). Answers whether it was replaced.
pub async fn upgrade_password_hash(tx: &mut Tx, id: UserId, from: &str, to: &str) -> Result<bool> {
    let n = tx
        .execute(
            Query::update()
                .table(Users::Table)
                .value(Users::PasswordHash, to)
                .and_where(Expr::col(Users::Id).eq(id.0))
                .and_where(Expr::col(Users::PasswordHash).eq(from)),
        )
        .await?;
    Ok(n == 1)
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
pub async fn find_password_token(r: &mut impl crate::Reader, token_hash: &[u8]) -> Result<Option<PasswordToken>> {
    let q = Query::select()
        .columns([PasswordTokens::UserId, PasswordTokens::ExpiresAt, PasswordTokens::UsedAt])
        .from(PasswordTokens::Table)
        .and_where(Expr::col(PasswordTokens::TokenHash).eq(token_hash.to_vec()))
        .to_owned();
    r.read_optional(&q).await
}

/// Marks a password token used, if it is unused and not expired. Answers
/// whether it was (of concurrent uses exactly one succeeds).
pub async fn use_password_token(tx: &mut Tx, token_hash: &[u8], now: Timestamp) -> Result<bool> {
    let n = tx
        .execute(
            Query::update()
                .table(PasswordTokens::Table)
                .value(PasswordTokens::UsedAt, now.0)
                .and_where(Expr::col(PasswordTokens::TokenHash).eq(token_hash.to_vec()))
                .and_where(Expr::col(PasswordTokens::UsedAt).is_null())
                .and_where(Expr::col(PasswordTokens::ExpiresAt).gt(now.0)),
        )
        .await?;
    Ok(n == 1)
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

/// The organizations a user is a member of (any status), in id order, so
/// that transactions locking several of them take the locks in one order.
pub async fn org_ids_of_user(tx: &mut Tx, user: UserId) -> Result<Vec<roster_domain::OrgId>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        org_id: Uuid,
    }
    let q = Query::select()
        .column(Members::OrgId)
        .from(Members::Table)
        .and_where(Expr::col(Members::UserId).eq(user.0))
        .order_by(Members::OrgId, sea_query::Order::Asc)
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

/// Counts one more consecutive failed sign-in of a user and locks the
/// account when the count reaches `limit`. Answers whether this failure
/// locked it (exactly one failure does, however many run at once: the lock
/// is set only where none is).
pub async fn record_failed_login(tx: &mut Tx, id: UserId, limit: i64, now: Timestamp) -> Result<bool> {
    tx.execute(
        Query::update()
            .table(Users::Table)
            .value(Users::FailedLogins, Expr::col(Users::FailedLogins).add(1))
            .and_where(Expr::col(Users::Id).eq(id.0)),
    )
    .await?;
    let locked = tx
        .execute(
            Query::update()
                .table(Users::Table)
                .value(Users::LockedAt, now.0)
                .and_where(Expr::col(Users::Id).eq(id.0))
                .and_where(Expr::col(Users::LockedAt).is_null())
                .and_where(Expr::col(Users::FailedLogins).gte(limit)),
        )
        .await?;
    Ok(locked == 1)
}

/// Forgets a user's consecutive failed sign-ins (after a successful one).
pub async fn clear_failed_logins(tx: &mut Tx, id: UserId) -> Result<()> {
    tx.execute(
        Query::update()
            .table(Users::Table)
            .value(Users::FailedLogins, 0)
            .and_where(Expr::col(Users::Id).eq(id.0))
            .and_where(Expr::col(Users::FailedLogins).ne(0)),
    )
    .await?;
    Ok(())
}

/// Unlocks a locked account and forgets its failed sign-ins. Answers
/// whether it was locked.
pub async fn unlock(tx: &mut Tx, id: UserId) -> Result<bool> {
    let n = tx
        .execute(
            Query::update()
                .table(Users::Table)
                .values([(Users::LockedAt, Option::<i64>::None.into()), (Users::FailedLogins, 0.into())])
                .and_where(Expr::col(Users::Id).eq(id.0))
                .and_where(Expr::col(Users::LockedAt).is_not_null()),
        )
        .await?;
    Ok(n == 1)
}

/// Ends every unused one-time password link of a user (a newer link, or
/// the password was just set).
pub async fn end_password_tokens(tx: &mut Tx, user: UserId, now: Timestamp) -> Result<()> {
    tx.execute(
        Query::update()
            .table(PasswordTokens::Table)
            .value(PasswordTokens::UsedAt, now.0)
            .and_where(Expr::col(PasswordTokens::UserId).eq(user.0))
            .and_where(Expr::col(PasswordTokens::UsedAt).is_null()),
    )
    .await?;
    Ok(())
}

/// The users among `ids` whose accounts are locked (what the Users tab marks).
pub async fn locked_among(r: &mut impl crate::Reader, ids: &[UserId]) -> Result<Vec<UserId>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: Uuid,
    }
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let q = Query::select()
            .column(Users::Id)
            .from(Users::Table)
            .and_where(Expr::col(Users::Id).is_in(chunk.iter().map(|u| u.0)))
            .and_where(Expr::col(Users::LockedAt).is_not_null())
            .to_owned();
        out.extend(r.read_all::<Row, _>(&q).await?.into_iter().map(|r| UserId(r.id)));
    }
    Ok(out)
}

/// Locks these users' rows until the transaction ends, in id order (on
/// PostgreSQL; SQLite's write transactions already run one at a time).
/// A change that decides from a user's memberships in every organization
/// (whether any active one is left) takes it after its organization's lock,
/// so that two organizations changing the same user at the same moment
/// decide one after the other, each seeing the other's change.
pub async fn lock_users(tx: &mut Tx, ids: &[UserId]) -> Result<()> {
    if tx.backend() != crate::Backend::Postgres || ids.is_empty() {
        return Ok(());
    }
    let mut sorted: Vec<Uuid> = ids.iter().map(|u| u.0).collect();
    sorted.sort_unstable();
    for chunk in sorted.chunks(500) {
        let q = Query::select()
            .column(Users::Id)
            .from(Users::Table)
            .and_where(Expr::col(Users::Id).is_in(chunk.iter().copied()))
            .order_by(Users::Id, sea_query::Order::Asc)
            .lock(sea_query::LockType::Update)
            .to_owned();
        tx.execute(&q).await?;
    }
    Ok(())
}

/// The users among `ids` who hold no active membership in any organization
/// (the ones a status change has just cut off everywhere).
pub async fn without_active_membership(r: &mut impl crate::Reader, ids: &[UserId]) -> Result<Vec<UserId>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        user_id: Uuid,
    }
    let mut active = std::collections::HashSet::new();
    for chunk in ids.chunks(500) {
        let q = Query::select()
            .distinct()
            .column(Members::UserId)
            .from(Members::Table)
            .and_where(Expr::col(Members::UserId).is_in(chunk.iter().map(|u| u.0)))
            .and_where(Expr::col(Members::Status).eq(roster_domain::MemberStatus::Active.as_str()))
            .to_owned();
        active.extend(r.read_all::<Row, _>(&q).await?.into_iter().map(|r| r.user_id));
    }
    Ok(ids.iter().copied().filter(|u| !active.contains(&u.0)).collect())
}
