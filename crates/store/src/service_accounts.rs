//! Service accounts, their roles, and API tokens (see the
//! `0017_service_accounts` migration for the tables' story).
//!
//! A token is found by its hash alone (`api_tokens_hash`, unique); every
//! other read starts with the organization. Status changes and revocations
//! are conditional updates, so concurrent ones change a row once.

use roster_domain::service_accounts::AccountStatus;
use roster_domain::{ApiTokenId, OrgId, RoleId, ServiceAccountId, Timestamp, UserId};
use sea_query::{Expr, ExprTrait, Order, Query, SelectStatement};
use uuid::Uuid;

use crate::tables::{ApiTokens, ServiceAccountRoles, ServiceAccounts};
use crate::{Reader, Result, StoreError, Tx};

/// A service account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    /// The organization.
    pub org_id: OrgId,
    /// Its id.
    pub id: ServiceAccountId,
    /// Its name, unique among the organization's accounts not archived.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Active, disabled or archived.
    pub status: AccountStatus,
    /// Whether SCIM provisioning uses it.
    pub scim: bool,
    /// When it was made.
    pub created_at: Timestamp,
    /// Who made it (an email, or `cli`).
    pub created_by_label: String,
    /// When it last changed.
    pub updated_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    org_id: Uuid,
    id: Uuid,
    name: String,
    description: String,
    status: String,
    scim: bool,
    created_at: i64,
    created_by_label: String,
    updated_at: i64,
}

impl TryFrom<AccountRow> for AccountRecord {
    type Error = StoreError;
    fn try_from(r: AccountRow) -> Result<Self> {
        Ok(Self {
            org_id: OrgId(r.org_id),
            id: ServiceAccountId(r.id),
            name: r.name,
            description: r.description,
            status: AccountStatus::parse(&r.status)
                .ok_or_else(|| StoreError::Corrupt(format!("service account status {}", r.status)))?,
            scim: r.scim,
            created_at: Timestamp(r.created_at),
            created_by_label: r.created_by_label,
            updated_at: Timestamp(r.updated_at),
        })
    }
}

const ACCOUNT_COLUMNS: [ServiceAccounts; 9] = [
    ServiceAccounts::OrgId,
    ServiceAccounts::Id,
    ServiceAccounts::Name,
    ServiceAccounts::Description,
    ServiceAccounts::Status,
    ServiceAccounts::Scim,
    ServiceAccounts::CreatedAt,
    ServiceAccounts::CreatedByLabel,
    ServiceAccounts::UpdatedAt,
];

fn select_accounts(org: OrgId) -> SelectStatement {
    Query::select()
        .columns(ACCOUNT_COLUMNS)
        .from(ServiceAccounts::Table)
        .and_where(Expr::col(ServiceAccounts::OrgId).eq(org.0))
        .to_owned()
}

/// Writes a new account. A name taken by another account that is not
/// archived is refused by the unique index ([`StoreError::is_unique_violation`]).
pub async fn insert_account(tx: &mut Tx, a: &AccountRecord) -> Result<()> {
    tx.execute(Query::insert().into_table(ServiceAccounts::Table).columns(ACCOUNT_COLUMNS).values_panic([
        a.org_id.0.into(),
        a.id.0.into(),
        a.name.clone().into(),
        a.description.clone().into(),
        a.status.as_str().into(),
        a.scim.into(),
        a.created_at.0.into(),
        a.created_by_label.clone().into(),
        a.updated_at.0.into(),
    ]))
    .await?;
    Ok(())
}

/// One account of an organization.
pub async fn find_account(r: &mut impl Reader, org: OrgId, id: ServiceAccountId) -> Result<Option<AccountRecord>> {
    let q = select_accounts(org).and_where(Expr::col(ServiceAccounts::Id).eq(id.0)).to_owned();
    r.read_optional::<AccountRow, _>(&q).await?.map(AccountRecord::try_from).transpose()
}

/// An organization's accounts by name (archived ones last), at most 1,000.
pub async fn list_accounts(r: &mut impl Reader, org: OrgId, with_archived: bool) -> Result<Vec<AccountRecord>> {
    let mut q = select_accounts(org);
    if !with_archived {
        q.and_where(Expr::col(ServiceAccounts::Status).ne(AccountStatus::Archived.as_str()));
    }
    q.order_by(ServiceAccounts::Name, Order::Asc).order_by(ServiceAccounts::Id, Order::Asc).limit(1_000);
    r.read_all::<AccountRow, _>(&q).await?.into_iter().map(AccountRecord::try_from).collect()
}

/// The organization's SCIM provisioning account (not archived), if it has one.
pub async fn find_scim_account(r: &mut impl Reader, org: OrgId) -> Result<Option<AccountRecord>> {
    let q = select_accounts(org)
        .and_where(Expr::col(ServiceAccounts::Scim).eq(true))
        .and_where(Expr::col(ServiceAccounts::Status).ne(AccountStatus::Archived.as_str()))
        .limit(1)
        .to_owned();
    r.read_optional::<AccountRow, _>(&q).await?.map(AccountRecord::try_from).transpose()
}

/// Renames an account and rewrites its description.
pub async fn update_account(
    tx: &mut Tx,
    org: OrgId,
    id: ServiceAccountId,
    name: &str,
    description: &str,
    now: Timestamp,
) -> Result<()> {
    tx.execute(
        Query::update()
            .table(ServiceAccounts::Table)
            .value(ServiceAccounts::Name, name)
            .value(ServiceAccounts::Description, description)
            .value(ServiceAccounts::UpdatedAt, now.0)
            .and_where(Expr::col(ServiceAccounts::OrgId).eq(org.0))
            .and_where(Expr::col(ServiceAccounts::Id).eq(id.0)),
    )
    .await?;
    Ok(())
}

/// Moves an account from one status to another: `true` when this call did.
pub async fn set_status(
    tx: &mut Tx,
    org: OrgId,
    id: ServiceAccountId,
    from: AccountStatus,
    to: AccountStatus,
    now: Timestamp,
) -> Result<bool> {
    let n = tx
        .execute(
            Query::update()
                .table(ServiceAccounts::Table)
                .value(ServiceAccounts::Status, to.as_str())
                .value(ServiceAccounts::UpdatedAt, now.0)
                .and_where(Expr::col(ServiceAccounts::OrgId).eq(org.0))
                .and_where(Expr::col(ServiceAccounts::Id).eq(id.0))
                .and_where(Expr::col(ServiceAccounts::Status).eq(from.as_str())),
        )
        .await?;
    Ok(n == 1)
}

#[derive(sqlx::FromRow)]
struct RoleRow {
    role_id: Uuid,
}

/// The roles an account holds.
pub async fn roles_of_account(r: &mut impl Reader, org: OrgId, id: ServiceAccountId) -> Result<Vec<RoleId>> {
    let q = Query::select()
        .column(ServiceAccountRoles::RoleId)
        .from(ServiceAccountRoles::Table)
        .and_where(Expr::col(ServiceAccountRoles::OrgId).eq(org.0))
        .and_where(Expr::col(ServiceAccountRoles::AccountId).eq(id.0))
        .to_owned();
    Ok(r.read_all::<RoleRow, _>(&q).await?.into_iter().map(|r| RoleId(r.role_id)).collect())
}

/// Replaces the roles an account holds.
pub async fn set_account_roles(tx: &mut Tx, org: OrgId, id: ServiceAccountId, roles: &[RoleId]) -> Result<()> {
    tx.execute(
        Query::delete()
            .from_table(ServiceAccountRoles::Table)
            .and_where(Expr::col(ServiceAccountRoles::OrgId).eq(org.0))
            .and_where(Expr::col(ServiceAccountRoles::AccountId).eq(id.0)),
    )
    .await?;
    if !roles.is_empty() {
        let mut q = Query::insert();
        q.into_table(ServiceAccountRoles::Table).columns([
            ServiceAccountRoles::OrgId,
            ServiceAccountRoles::AccountId,
            ServiceAccountRoles::RoleId,
        ]);
        for r in roles {
            q.values_panic([org.0.into(), id.0.into(), r.0.into()]);
        }
        tx.execute(&q).await?;
    }
    Ok(())
}

/// The accounts (not archived) that hold a role, by name.
pub async fn accounts_holding_role(r: &mut impl Reader, org: OrgId, role: RoleId) -> Result<Vec<AccountRecord>> {
    let mut q = select_accounts(org);
    q.and_where(Expr::col(ServiceAccounts::Status).ne(AccountStatus::Archived.as_str()))
        .and_where(
            Expr::col(ServiceAccounts::Id).in_subquery(
                Query::select()
                    .column(ServiceAccountRoles::AccountId)
                    .from(ServiceAccountRoles::Table)
                    .and_where(Expr::col(ServiceAccountRoles::OrgId).eq(org.0))
                    .and_where(Expr::col(ServiceAccountRoles::RoleId).eq(role.0))
                    .to_owned(),
            ),
        )
        .order_by(ServiceAccounts::Name, Order::Asc);
    r.read_all::<AccountRow, _>(&q).await?.into_iter().map(AccountRecord::try_from).collect()
}

/// Whose a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenOwner {
    /// A service account of an organization.
    Account(OrgId, ServiceAccountId),
    /// A member's personal token (acting as the member wherever they are one).
    User(UserId),
}

/// An API token as stored (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// Its id.
    pub id: ApiTokenId,
    /// Whose it is.
    pub owner: TokenOwner,
    /// Its name.
    pub name: String,
    /// Its first characters, for lists.
    pub prefix: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// Who made it.
    pub created_by_label: String,
    /// When it stops working (`None`: never).
    pub expires_at: Option<Timestamp>,
    /// When it was last used.
    pub last_used_at: Option<Timestamp>,
    /// The client address it was last used from.
    pub last_used_ip: Option<String>,
    /// When it was revoked.
    pub revoked_at: Option<Timestamp>,
    /// Who revoked it.
    pub revoked_by_label: Option<String>,
    /// The token it replaced in a rotation.
    pub rotated_from: Option<ApiTokenId>,
}

impl TokenRecord {
    /// Whether it works at `now`: not revoked, not expired.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| now.0 < e.0)
    }
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: Uuid,
    org_id: Option<Uuid>,
    account_id: Option<Uuid>,
    user_id: Option<Uuid>,
    name: String,
    prefix: String,
    created_at: i64,
    created_by_label: String,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    last_used_ip: Option<String>,
    revoked_at: Option<i64>,
    revoked_by_label: Option<String>,
    rotated_from: Option<Uuid>,
}

impl TryFrom<TokenRow> for TokenRecord {
    type Error = StoreError;
    fn try_from(r: TokenRow) -> Result<Self> {
        let owner = match (r.org_id, r.account_id, r.user_id) {
            (Some(o), Some(a), None) => TokenOwner::Account(OrgId(o), ServiceAccountId(a)),
            (None, None, Some(u)) => TokenOwner::User(UserId(u)),
            _ => return Err(StoreError::Corrupt(format!("api token {} has no single owner", r.id))),
        };
        Ok(Self {
            id: ApiTokenId(r.id),
            owner,
            name: r.name,
            prefix: r.prefix,
            created_at: Timestamp(r.created_at),
            created_by_label: r.created_by_label,
            expires_at: r.expires_at.map(Timestamp),
            last_used_at: r.last_used_at.map(Timestamp),
            last_used_ip: r.last_used_ip,
            revoked_at: r.revoked_at.map(Timestamp),
            revoked_by_label: r.revoked_by_label,
            rotated_from: r.rotated_from.map(ApiTokenId),
        })
    }
}

const TOKEN_COLUMNS: [ApiTokens; 14] = [
    ApiTokens::Id,
    ApiTokens::OrgId,
    ApiTokens::AccountId,
    ApiTokens::UserId,
    ApiTokens::Name,
    ApiTokens::Prefix,
    ApiTokens::CreatedAt,
    ApiTokens::CreatedByLabel,
    ApiTokens::ExpiresAt,
    ApiTokens::LastUsedAt,
    ApiTokens::LastUsedIp,
    ApiTokens::RevokedAt,
    ApiTokens::RevokedByLabel,
    ApiTokens::RotatedFrom,
];

fn select_tokens() -> SelectStatement {
    Query::select().columns(TOKEN_COLUMNS).from(ApiTokens::Table).to_owned()
}

async fn tokens(r: &mut impl Reader, q: &SelectStatement) -> Result<Vec<TokenRecord>> {
    r.read_all::<TokenRow, _>(q).await?.into_iter().map(TokenRecord::try_from).collect()
}

/// Writes a new token with its secret's hash.
pub async fn insert_token(tx: &mut Tx, t: &TokenRecord, token_hash: &[u8]) -> Result<()> {
    let (org, account, user) = match t.owner {
        TokenOwner::Account(o, a) => (Some(o.0), Some(a.0), None),
        TokenOwner::User(u) => (None, None, Some(u.0)),
    };
    tx.execute(
        Query::insert()
            .into_table(ApiTokens::Table)
            .columns([
                ApiTokens::Id,
                ApiTokens::OrgId,
                ApiTokens::AccountId,
                ApiTokens::UserId,
                ApiTokens::Name,
                ApiTokens::Prefix,
                ApiTokens::TokenHash,
                ApiTokens::CreatedAt,
                ApiTokens::CreatedByLabel,
                ApiTokens::ExpiresAt,
                ApiTokens::RotatedFrom,
            ])
            .values_panic([
                t.id.0.into(),
                org.into(),
                account.into(),
                user.into(),
                t.name.clone().into(),
                t.prefix.clone().into(),
                token_hash.to_vec().into(),
                t.created_at.0.into(),
                t.created_by_label.clone().into(),
                t.expires_at.map(|e| e.0).into(),
                t.rotated_from.map(|r| r.0).into(),
            ]),
    )
    .await?;
    Ok(())
}

/// The token with this secret's hash and, for a service account's token,
/// the account's name and status, in one query (every bearer request reads
/// this).
pub async fn find_token_with_account(
    r: &mut impl Reader,
    token_hash: &[u8],
) -> Result<Option<(TokenRecord, Option<(String, AccountStatus)>)>> {
    #[derive(sqlx::FromRow)]
    struct Joined {
        #[sqlx(flatten)]
        token: TokenRow,
        account_name: Option<String>,
        account_status: Option<String>,
    }
    let mut q = Query::select();
    for c in TOKEN_COLUMNS {
        q.column((ApiTokens::Table, c));
    }
    q.expr_as(Expr::col((ServiceAccounts::Table, ServiceAccounts::Name)), sea_query::Alias::new("account_name"))
        .expr_as(Expr::col((ServiceAccounts::Table, ServiceAccounts::Status)), sea_query::Alias::new("account_status"))
        .from(ApiTokens::Table)
        .left_join(ServiceAccounts::Table, token_account())
        .and_where(Expr::col((ApiTokens::Table, ApiTokens::TokenHash)).eq(token_hash.to_vec()));
    let Some(row) = r.read_optional::<Joined, _>(&q).await? else { return Ok(None) };
    let account = match (row.account_name, row.account_status) {
        (Some(name), Some(status)) => Some((
            name,
            AccountStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("service account status {status}")))?,
        )),
        _ => None,
    };
    Ok(Some((TokenRecord::try_from(row.token)?, account)))
}

/// The join of a token to its service account (none for a personal token).
fn token_account() -> sea_query::Condition {
    sea_query::Condition::all()
        .add(Expr::col((ServiceAccounts::Table, ServiceAccounts::OrgId)).equals((ApiTokens::Table, ApiTokens::OrgId)))
        .add(Expr::col((ServiceAccounts::Table, ServiceAccounts::Id)).equals((ApiTokens::Table, ApiTokens::AccountId)))
}

/// A service account's token found with its account and organization, in
/// one query: what a bearer request needs before its permissions.
#[derive(Debug, Clone)]
pub struct AccountTokenHit {
    /// The token's id.
    pub token_id: ApiTokenId,
    /// The account's id.
    pub account_id: ServiceAccountId,
    /// The account's name.
    pub account_name: String,
    /// The account's status.
    pub account_status: AccountStatus,
    /// When the token stops working (`None`: never).
    pub expires_at: Option<Timestamp>,
    /// When it was revoked.
    pub revoked_at: Option<Timestamp>,
    /// When it was last used.
    pub last_used_at: Option<Timestamp>,
    /// The account's organization.
    pub org: crate::orgs::OrgRecord,
}

impl AccountTokenHit {
    /// Whether the token works at `now`: not revoked, not expired.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| now.0 < e.0)
    }
}

/// A service account's token by the hash of its secret, joined to its
/// account and organization (one indexed read: `api_tokens_hash`, then two
/// primary keys). `None` for a personal token or none:
/// [`find_token_with_account`] reads those.
pub async fn find_account_token(r: &mut impl Reader, token_hash: &[u8]) -> Result<Option<AccountTokenHit>> {
    #[derive(sqlx::FromRow)]
    struct Joined {
        #[sqlx(flatten)]
        org: crate::orgs::OrgRow,
        token_id: Uuid,
        account_id: Uuid,
        account_name: String,
        account_status: String,
        token_expires_at: Option<i64>,
        token_revoked_at: Option<i64>,
        token_last_used_at: Option<i64>,
    }
    use crate::tables::Organizations;
    let mut q = Query::select();
    for c in crate::orgs::COLUMNS {
        q.column((Organizations::Table, c));
    }
    let alias = sea_query::Alias::new;
    q.expr_as(Expr::col((ApiTokens::Table, ApiTokens::Id)), alias("token_id"))
        .expr_as(Expr::col((ApiTokens::Table, ApiTokens::AccountId)), alias("account_id"))
        .expr_as(Expr::col((ServiceAccounts::Table, ServiceAccounts::Name)), alias("account_name"))
        .expr_as(Expr::col((ServiceAccounts::Table, ServiceAccounts::Status)), alias("account_status"))
        .expr_as(Expr::col((ApiTokens::Table, ApiTokens::ExpiresAt)), alias("token_expires_at"))
        .expr_as(Expr::col((ApiTokens::Table, ApiTokens::RevokedAt)), alias("token_revoked_at"))
        .expr_as(Expr::col((ApiTokens::Table, ApiTokens::LastUsedAt)), alias("token_last_used_at"))
        .from(ApiTokens::Table)
        .inner_join(ServiceAccounts::Table, token_account())
        .inner_join(
            Organizations::Table,
            Expr::col((Organizations::Table, Organizations::Id)).equals((ApiTokens::Table, ApiTokens::OrgId)),
        )
        .and_where(Expr::col((ApiTokens::Table, ApiTokens::TokenHash)).eq(token_hash.to_vec()));
    let Some(row) = r.read_optional::<Joined, _>(&q).await? else { return Ok(None) };
    let account_status = AccountStatus::parse(&row.account_status)
        .ok_or_else(|| StoreError::Corrupt(format!("service account status {}", row.account_status)))?;
    Ok(Some(AccountTokenHit {
        token_id: ApiTokenId(row.token_id),
        account_id: ServiceAccountId(row.account_id),
        account_name: row.account_name,
        account_status,
        expires_at: row.token_expires_at.map(Timestamp),
        revoked_at: row.token_revoked_at.map(Timestamp),
        last_used_at: row.token_last_used_at.map(Timestamp),
        org: row.org.into(),
    }))
}

/// One token by id.
pub async fn find_token(r: &mut impl Reader, id: ApiTokenId) -> Result<Option<TokenRecord>> {
    let q = select_tokens().and_where(Expr::col(ApiTokens::Id).eq(id.0)).to_owned();
    r.read_optional::<TokenRow, _>(&q).await?.map(TokenRecord::try_from).transpose()
}

/// An account's tokens, newest first (at most 500).
pub async fn tokens_of_account(r: &mut impl Reader, org: OrgId, account: ServiceAccountId) -> Result<Vec<TokenRecord>> {
    let q = select_tokens()
        .and_where(Expr::col(ApiTokens::OrgId).eq(org.0))
        .and_where(Expr::col(ApiTokens::AccountId).eq(account.0))
        .order_by(ApiTokens::CreatedAt, Order::Desc)
        .limit(500)
        .to_owned();
    tokens(r, &q).await
}

/// A member's personal tokens, newest first (at most 500).
pub async fn tokens_of_user(r: &mut impl Reader, user: UserId) -> Result<Vec<TokenRecord>> {
    let q = select_tokens()
        .and_where(Expr::col(ApiTokens::UserId).eq(user.0))
        .order_by(ApiTokens::CreatedAt, Order::Desc)
        .limit(500)
        .to_owned();
    tokens(r, &q).await
}

/// Revokes a token: `true` when this call did (it was not revoked before).
pub async fn revoke_token(tx: &mut Tx, id: ApiTokenId, by_label: &str, now: Timestamp) -> Result<bool> {
    let n = tx
        .execute(
            Query::update()
                .table(ApiTokens::Table)
                .value(ApiTokens::RevokedAt, now.0)
                .value(ApiTokens::RevokedByLabel, by_label)
                .and_where(Expr::col(ApiTokens::Id).eq(id.0))
                .and_where(Expr::col(ApiTokens::RevokedAt).is_null()),
        )
        .await?;
    Ok(n == 1)
}

/// Revokes every live token of an account (deleting it); answers how many.
pub async fn revoke_account_tokens(
    tx: &mut Tx,
    org: OrgId,
    account: ServiceAccountId,
    by_label: &str,
    now: Timestamp,
) -> Result<u64> {
    tx.execute(
        Query::update()
            .table(ApiTokens::Table)
            .value(ApiTokens::RevokedAt, now.0)
            .value(ApiTokens::RevokedByLabel, by_label)
            .and_where(Expr::col(ApiTokens::OrgId).eq(org.0))
            .and_where(Expr::col(ApiTokens::AccountId).eq(account.0))
            .and_where(Expr::col(ApiTokens::RevokedAt).is_null()),
    )
    .await
}

/// Moves a token's expiry earlier (a rotation's overlap): it stops at
/// `at`, or stays as it was if that is sooner.
pub async fn end_token_at(tx: &mut Tx, id: ApiTokenId, at: Timestamp) -> Result<()> {
    tx.execute(
        Query::update()
            .table(ApiTokens::Table)
            .value(ApiTokens::ExpiresAt, at.0)
            .and_where(Expr::col(ApiTokens::Id).eq(id.0))
            .and_where(Expr::col(ApiTokens::ExpiresAt).is_null().or(Expr::col(ApiTokens::ExpiresAt).gt(at.0))),
    )
    .await?;
    Ok(())
}

/// Records a token's use (at most once a minute per token, so that a busy
/// integration does not write on every request).
pub async fn touch_token(tx: &mut Tx, id: ApiTokenId, ip: Option<&str>, now: Timestamp) -> Result<()> {
    tx.execute(
        Query::update()
            .table(ApiTokens::Table)
            .value(ApiTokens::LastUsedAt, now.0)
            .value(ApiTokens::LastUsedIp, ip.map(str::to_string))
            .and_where(Expr::col(ApiTokens::Id).eq(id.0))
            .and_where(
                Expr::col(ApiTokens::LastUsedAt).is_null().or(Expr::col(ApiTokens::LastUsedAt).lt(now.0 - 60_000)),
            ),
    )
    .await?;
    Ok(())
}
