//! Service accounts and their API tokens: non-human principals of one
//! organization, used by integrations, agents and pipelines.
//!
//! An account holds roles and own grants like a member, chosen within the
//! creator's own (no escalation), and nobody edits, disables, deletes or
//! mints tokens for an account holding grants they lack. Deleting archives:
//! its tokens are revoked and its history stays. A token is shown once, when
//! it is made; only its SHA-256 is kept, with its first characters for
//! lists. It works until its expiry (90 days unless chosen otherwise, at
//! most the deployment's maximum, "never" only where the deployment allows
//! it) or its revocation; rotating makes a new token and lets the old one
//! work for a chosen overlap. A disabled account's tokens stop on the next
//! request: a request re-reads the account ([`authenticate`] and
//! [`crate::access::open_org`]).
//!
//! Audit: `service_account.created`, `.updated`, `.disabled`, `.enabled`,
//! `.deleted`, `api_token.created`, `.revoked`, `.rotated` — never a token's
//! secret or hash.

use rand::RngCore;
use roster_domain::audit::{AuditAction, AuditEntry};
use roster_domain::permissions::Grants;
use roster_domain::service_accounts::{
    AccountStatus, TokenPolicy, check_overlap, format_token, is_well_formed, parse_account_name, parse_description,
    shown_prefix,
};
use roster_domain::{ApiTokenId, RoleId, ServiceAccountId, Timestamp, ValidationError};
use roster_store::service_accounts::{self as store, AccountRecord, TokenOwner, TokenRecord};

use crate::access::{OrgAccess, Permission};
use crate::change::{self, Change};
use crate::error::Result;
use crate::invariants::within_own_grants;
use crate::members::RoleRef;
use crate::roles::{GrantsInput, RoleRecord, parse_grants};
use crate::{AccountPrincipal, Actor, App, AppError, ConflictKind, Principal, RequestMeta, tokens};

/// What a create or edit form gives.
#[derive(Debug, Clone, Default)]
pub struct AccountInput {
    /// Its name (unique in the organization).
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Roles (ids or keys); `None` keeps them (an edit) or gives none (a create).
    pub roles: Option<Vec<String>>,
    /// Own grants; `None` keeps them (an edit) or gives none (a create).
    pub grants: Option<GrantsInput>,
}

/// An account as the pages and the API show it.
#[derive(Debug, Clone)]
pub struct AccountView {
    /// Its id.
    pub id: ServiceAccountId,
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Active, disabled or archived.
    pub status: AccountStatus,
    /// Whether SCIM provisioning uses it.
    pub scim: bool,
    /// Its roles, in display order.
    pub roles: Vec<RoleRef>,
    /// Its own grants.
    pub grants: Grants,
    /// When it was made.
    pub created_at: Timestamp,
    /// Who made it.
    pub created_by: String,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// A token as lists show it (never its secret).
#[derive(Debug, Clone)]
pub struct TokenView {
    /// Its id.
    pub id: ApiTokenId,
    /// Its name.
    pub name: String,
    /// Its first characters (`roster_Ab3dE9`).
    pub prefix: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// Who made it.
    pub created_by: String,
    /// When it stops working (`None`: never).
    pub expires_at: Option<Timestamp>,
    /// When it was last used.
    pub last_used_at: Option<Timestamp>,
    /// The address it was last used from.
    pub last_used_ip: Option<String>,
    /// When it was revoked.
    pub revoked_at: Option<Timestamp>,
    /// Whether it works now.
    pub live: bool,
}

/// A token just made: its view and, this once, its secret.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// The token as lists show it.
    pub view: TokenView,
    /// The token itself; shown once, never stored.
    pub token: String,
}

fn token_view(t: TokenRecord, now: Timestamp) -> TokenView {
    TokenView {
        live: t.is_live(now),
        id: t.id,
        name: t.name,
        prefix: t.prefix,
        created_at: t.created_at,
        created_by: t.created_by_label,
        expires_at: t.expires_at,
        last_used_at: t.last_used_at,
        last_used_ip: t.last_used_ip,
        revoked_at: t.revoked_at,
    }
}

/// Whether the actor may see the Service Accounts tab.
pub fn may_list(access: &OrgAccess) -> bool {
    access.can(Permission::SERVICE_ACCOUNTS_READ)
}

/// What an account form offers: every role but the owner's (which belongs
/// to a person), each with the reason the actor cannot give it, if they
/// cannot (no escalation). Needs `service_accounts:read`.
pub fn role_offers(access: &OrgAccess) -> Result<Vec<crate::invitations::RoleOffer>> {
    access.require(Permission::SERVICE_ACCOUNTS_READ)?;
    Ok(access
        .policy
        .roles
        .iter()
        .filter(|r| !r.locked)
        .map(|r| crate::invitations::RoleOffer {
            default: false,
            role: r.clone(),
            refusal: access.lacks(&r.grants).map(|lack| format!("Grants more than you hold ({lack}).")),
        })
        .collect())
}

async fn view_of(r: &mut impl roster_store::Reader, access: &OrgAccess, a: AccountRecord) -> Result<AccountView> {
    let role_ids = store::roles_of_account(r, access.org.id, a.id).await?;
    let grants = roster_store::roles::account_grants(r, access.org.id, a.id).await?;
    let roles = access
        .policy
        .roles
        .iter()
        .filter(|role| role_ids.contains(&role.id))
        .map(|role| RoleRef { id: role.id, key: role.key.clone(), name: role.name.clone() })
        .collect();
    Ok(AccountView {
        id: a.id,
        name: a.name,
        description: a.description,
        status: a.status,
        scim: a.scim,
        roles,
        grants,
        created_at: a.created_at,
        created_by: a.created_by_label,
        updated_at: a.updated_at,
    })
}

/// The organization's accounts (deleted ones too with `with_deleted`), by
/// name. Needs `service_accounts:read`.
pub async fn list(app: &App, access: &OrgAccess, with_deleted: bool) -> Result<Vec<AccountView>> {
    access.require(Permission::SERVICE_ACCOUNTS_READ)?;
    let mut conn = app.db.conn().await?;
    let mut out = Vec::new();
    for a in store::list_accounts(&mut conn, access.org.id, with_deleted).await? {
        out.push(view_of(&mut conn, access, a).await?);
    }
    Ok(out)
}

/// One account. Needs `service_accounts:read`; another organization's is 404.
pub async fn get(app: &App, access: &OrgAccess, id: ServiceAccountId) -> Result<AccountView> {
    access.require(Permission::SERVICE_ACCOUNTS_READ)?;
    let mut conn = app.db.conn().await?;
    let a = store::find_account(&mut conn, access.org.id, id).await?.ok_or(AppError::NotFound("service account"))?;
    view_of(&mut conn, access, a).await
}

/// The roles and grants an input names, checked against the organization,
/// and within the actor's own grants.
fn checked_access(access: &OrgAccess, input: &AccountInput) -> Result<(Option<Vec<RoleRecord>>, Option<Grants>)> {
    let mut errors = ValidationError { errors: vec![] };
    let roles = input.roles.as_ref().map(|wanted| {
        let chosen = access.policy.pick_roles(wanted).map_err(|e| errors.merge(e)).unwrap_or_default();
        for role in chosen.iter().filter(|r| r.locked) {
            errors.merge(ValidationError::field(
                "roles",
                format!("'{}' is the owner's role and belongs to a person", role.name),
            ));
        }
        chosen
    });
    let grants =
        input.grants.as_ref().and_then(|g| parse_grants("grants", g, &access.policy).map_err(|e| errors.merge(e)).ok());
    if !errors.errors.is_empty() {
        return Err(errors.into());
    }
    for r in roles.iter().flatten() {
        within_own_grants(access, &r.grants, &format!("giving '{}'", r.name))?;
    }
    if let Some(g) = &grants {
        within_own_grants(access, g, "these permissions")?;
    }
    Ok((roles, grants))
}

fn names(roles: &[RoleRecord]) -> Vec<String> {
    roles.iter().map(|r| r.name.clone()).collect()
}

fn taken(name: &str) -> AppError {
    AppError::conflict(
        ConflictKind::RoleNameTaken,
        format!("another service account of this organization is called '{name}'; choose another name"),
    )
}

/// Creates an account. Needs `service_accounts:create`; its roles and own
/// grants within the creator's own; a name another account has is 409.
pub async fn create(app: &App, access: &OrgAccess, input: &AccountInput, meta: &RequestMeta) -> Result<AccountView> {
    access.require(Permission::SERVICE_ACCOUNTS_CREATE)?;
    let mut errors = ValidationError { errors: vec![] };
    let name = parse_account_name("name", &input.name).map_err(|e| errors.merge(e)).ok();
    let description = parse_description("description", &input.description).map_err(|e| errors.merge(e)).ok();
    let (Some(name), Some(description)) = (name, description) else { return Err(errors.into()) };
    checked_access(access, input)?;
    let mut change = change::begin(app, access, Permission::SERVICE_ACCOUNTS_CREATE, meta).await?;
    let (roles, grants) = checked_access(&change.access, input)?;
    let (roles, grants) = (roles.unwrap_or_default(), grants.unwrap_or_default());
    let org = change.access.org.id;
    let record = AccountRecord {
        org_id: org,
        id: ServiceAccountId::new(),
        name: name.clone(),
        description: description.clone(),
        status: AccountStatus::Active,
        scim: false,
        created_at: change.now,
        created_by_label: change.access.actor.label(),
        updated_at: change.now,
    };
    match store::insert_account(&mut change.tx, &record).await {
        Err(e) if e.is_unique_violation() => return Err(taken(&name)),
        other => other?,
    }
    store::set_account_roles(&mut change.tx, org, record.id, &roles.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
    roster_store::roles::set_account_grants(&mut change.tx, org, record.id, &grants).await?;
    roster_store::orgs::bump_authz_version(&mut change.tx, org).await?;
    change.record(
        AuditEntry::new(AuditAction::ServiceAccountCreated, record.id)
            .after(serde_json::json!({"name": name, "description": description, "status": AccountStatus::Active}))
            .with("roles", names(&roles))
            .with("grants", crate::roles::grants_json(&grants)),
    );
    let view = view_of(&mut change.tx, &change.access, record).await?;
    change.commit().await?;
    Ok(view)
}

/// Opens an account for a change: found in this organization (else 404),
/// not archived, and holding nothing the actor lacks (no escalation).
async fn account_in(change: &mut Change<'_>, id: ServiceAccountId) -> Result<(AccountRecord, Vec<RoleId>, Grants)> {
    let org = change.access.org.id;
    let a = store::find_account(&mut change.tx, org, id).await?.ok_or(AppError::NotFound("service account"))?;
    if a.status == AccountStatus::Archived {
        return Err(AppError::conflict(
            ConflictKind::StatusTransition,
            format!("the service account '{}' is deleted", a.name),
        ));
    }
    let roles = store::roles_of_account(&mut change.tx, org, id).await?;
    let own = roster_store::roles::account_grants(&mut change.tx, org, id).await?;
    let effective = change.access.policy.effective(&roles, own.clone());
    if let Some(missing) = change.access.lacks(effective.grants()) {
        return Err(AppError::Escalation(format!(
            "the service account '{}' holds permissions you do not hold yourself: {missing}",
            a.name
        )));
    }
    Ok((a, roles, own))
}

/// Edits an account: name, description, and (when given) roles and own
/// grants. Needs `service_accounts:update`; no escalation either way.
pub async fn update(
    app: &App,
    access: &OrgAccess,
    id: ServiceAccountId,
    input: &AccountInput,
    meta: &RequestMeta,
) -> Result<AccountView> {
    access.require(Permission::SERVICE_ACCOUNTS_UPDATE)?;
    let mut errors = ValidationError { errors: vec![] };
    let name = parse_account_name("name", &input.name).map_err(|e| errors.merge(e)).ok();
    let description = parse_description("description", &input.description).map_err(|e| errors.merge(e)).ok();
    let (Some(name), Some(description)) = (name, description) else { return Err(errors.into()) };
    checked_access(access, input)?;
    let mut change = change::begin(app, access, Permission::SERVICE_ACCOUNTS_UPDATE, meta).await?;
    let (roles, grants) = checked_access(&change.access, input)?;
    let (a, held_roles, held_grants) = account_in(&mut change, id).await?;
    let org = change.access.org.id;
    let role_names = |ids: &[RoleId]| -> Vec<String> {
        change.access.policy.roles.iter().filter(|r| ids.contains(&r.id)).map(|r| r.name.clone()).collect()
    };
    let mut before = serde_json::Map::new();
    let mut after = serde_json::Map::new();
    if name != a.name || description != a.description {
        match store::update_account(&mut change.tx, org, id, &name, &description, change.now).await {
            Err(e) if e.is_unique_violation() => return Err(taken(&name)),
            other => other?,
        }
        if name != a.name {
            before.insert("name".into(), a.name.clone().into());
            after.insert("name".into(), name.clone().into());
        }
        if description != a.description {
            before.insert("description".into(), a.description.clone().into());
            after.insert("description".into(), description.clone().into());
        }
    }
    if let Some(roles) = roles {
        let ids: Vec<RoleId> = roles.iter().map(|r| r.id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        let mut held = held_roles.clone();
        held.sort();
        if sorted != held {
            store::set_account_roles(&mut change.tx, org, id, &ids).await?;
            before.insert("roles".into(), role_names(&held_roles).into());
            after.insert("roles".into(), role_names(&ids).into());
        }
    }
    if let Some(grants) = grants
        && grants != held_grants
    {
        roster_store::roles::set_account_grants(&mut change.tx, org, id, &grants).await?;
        before.insert("grants".into(), crate::roles::grants_json(&held_grants));
        after.insert("grants".into(), crate::roles::grants_json(&grants));
    }
    if !after.is_empty() {
        // Cached grants of the account are read at the organization's version.
        roster_store::orgs::bump_authz_version(&mut change.tx, org).await?;
        change.record(
            AuditEntry::new(AuditAction::ServiceAccountUpdated, id)
                .before(serde_json::Value::Object(before))
                .after(serde_json::Value::Object(after)),
        );
    }
    let fresh = store::find_account(&mut change.tx, org, id).await?.ok_or(AppError::NotFound("service account"))?;
    let view = view_of(&mut change.tx, &change.access, fresh).await?;
    change.commit().await?;
    Ok(view)
}

/// Disables (`enabled = false`) or enables an account. Its tokens stop, or
/// work again, on the next request. Needs `service_accounts:update`.
pub async fn set_enabled(
    app: &App,
    access: &OrgAccess,
    id: ServiceAccountId,
    enabled: bool,
    meta: &RequestMeta,
) -> Result<AccountView> {
    let mut change = change::begin(app, access, Permission::SERVICE_ACCOUNTS_UPDATE, meta).await?;
    let (a, _, _) = account_in(&mut change, id).await?;
    let (from, to, action) = if enabled {
        (AccountStatus::Disabled, AccountStatus::Active, AuditAction::ServiceAccountEnabled)
    } else {
        (AccountStatus::Active, AccountStatus::Disabled, AuditAction::ServiceAccountDisabled)
    };
    let org = change.access.org.id;
    if a.status == from && store::set_status(&mut change.tx, org, id, from, to, change.now).await? {
        roster_store::orgs::bump_authz_version(&mut change.tx, org).await?;
        change.record(
            AuditEntry::new(action, id)
                .before(serde_json::json!({"status": from}))
                .after(serde_json::json!({"status": to})),
        );
    }
    let fresh = store::find_account(&mut change.tx, org, id).await?.ok_or(AppError::NotFound("service account"))?;
    let view = view_of(&mut change.tx, &change.access, fresh).await?;
    change.commit().await?;
    Ok(view)
}

/// Deletes an account: archived (its history stays), its tokens revoked.
/// Needs `service_accounts:delete`.
pub async fn delete(app: &App, access: &OrgAccess, id: ServiceAccountId, meta: &RequestMeta) -> Result<AccountView> {
    let mut change = change::begin(app, access, Permission::SERVICE_ACCOUNTS_DELETE, meta).await?;
    let (a, _, _) = account_in(&mut change, id).await?;
    let org = change.access.org.id;
    if !store::set_status(&mut change.tx, org, id, a.status, AccountStatus::Archived, change.now).await? {
        return Err(AppError::conflict(ConflictKind::StatusTransition, "the account changed meanwhile; try again"));
    }
    let label = change.access.actor.label();
    let revoked = store::revoke_account_tokens(&mut change.tx, org, id, &label, change.now).await?;
    roster_store::orgs::bump_authz_version(&mut change.tx, org).await?;
    change.record(
        AuditEntry::new(AuditAction::ServiceAccountDeleted, id)
            .before(serde_json::json!({"status": a.status}))
            .after(serde_json::json!({"status": AccountStatus::Archived}))
            .with("credentials_revoked", revoked),
    );
    let fresh = store::find_account(&mut change.tx, org, id).await?.ok_or(AppError::NotFound("service account"))?;
    let view = view_of(&mut change.tx, &change.access, fresh).await?;
    change.commit().await?;
    Ok(view)
}

/// A new token's name and lifetime (`None`: the default, 90 days; `Some(0)`: never).
#[derive(Debug, Clone, Default)]
pub struct TokenInput {
    /// Its name.
    pub name: String,
    /// Days until it expires.
    pub expires_in_days: Option<u32>,
}

fn new_secret_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format_token(&bytes)
}

/// Writes a new token of an account inside a change, answering it once.
async fn mint(
    change: &mut Change<'_>,
    account: ServiceAccountId,
    name: &str,
    expires_at: Option<Timestamp>,
    rotated_from: Option<ApiTokenId>,
) -> Result<NewToken> {
    let token = new_secret_token();
    let record = TokenRecord {
        id: ApiTokenId::new(),
        owner: TokenOwner::Account(change.access.org.id, account),
        name: name.to_string(),
        prefix: shown_prefix(&token),
        created_at: change.now,
        created_by_label: change.access.actor.label(),
        expires_at,
        last_used_at: None,
        last_used_ip: None,
        revoked_at: None,
        revoked_by_label: None,
        rotated_from,
    };
    store::insert_token(&mut change.tx, &record, &tokens::hash_secret(&token)).await?;
    Ok(NewToken { view: token_view(record, change.now), token })
}

/// The deployment's token lifetimes.
pub fn token_policy(app: &App) -> TokenPolicy {
    app.config.token_policy
}

/// Makes a token for an account; its secret is in the answer, once. Needs
/// `service_accounts:update` and the account within the actor's reach.
pub async fn create_token(
    app: &App,
    access: &OrgAccess,
    account: ServiceAccountId,
    input: &TokenInput,
    meta: &RequestMeta,
) -> Result<NewToken> {
    access.require(Permission::SERVICE_ACCOUNTS_UPDATE)?;
    let name = parse_account_name("name", &input.name)?;
    let expires_at = token_policy(app).expiry(input.expires_in_days, app.clock.now())?;
    let mut change = change::begin(app, access, Permission::SERVICE_ACCOUNTS_UPDATE, meta).await?;
    let (a, _, _) = account_in(&mut change, account).await?;
    let made = mint(&mut change, a.id, &name, expires_at, None).await?;
    change.record(
        AuditEntry::new(AuditAction::ApiTokenCreated, a.id)
            .with("credential", made.view.id.to_string())
            .with("name", name)
            .with("prefix", made.view.prefix.clone())
            .with("expires_at", expires_at.map(|e| e.0)),
    );
    change.commit().await?;
    Ok(made)
}

/// The name of the account SCIM provisioning uses.
pub const SCIM_ACCOUNT: &str = "scim-provisioning";

/// What the provisioning account may do: the members directory, all of it.
fn scim_grants() -> Grants {
    use roster_domain::permissions::{Action, Actions};
    let mut g = Grants::default();
    g.grant("members", Actions::NONE.with(Action::Read).with(Action::Create).with(Action::Update).with(Action::Delete));
    g
}

/// The organization's SCIM provisioning account, if it has one.
pub async fn scim_account(app: &App, access: &OrgAccess) -> Result<Option<AccountView>> {
    access.require(Permission::SERVICE_ACCOUNTS_READ)?;
    let mut conn = app.db.conn().await?;
    match store::find_scim_account(&mut conn, access.org.id).await? {
        Some(a) => Ok(Some(view_of(&mut conn, access, a).await?)),
        None => Ok(None),
    }
}

/// A token for SCIM provisioning (what an identity provider is given):
/// makes the organization's provisioning account the first time
/// ([`SCIM_ACCOUNT`], holding the members directory's grants, within the
/// actor's own), then a token of it, answered once. Needs
/// `service_accounts:create` and `service_accounts:update`; a disabled
/// provisioning account is refused (enable it first).
pub async fn scim_token(app: &App, access: &OrgAccess, meta: &RequestMeta) -> Result<(AccountView, NewToken)> {
    access.require(Permission::SERVICE_ACCOUNTS_CREATE)?;
    access.require(Permission::SERVICE_ACCOUNTS_UPDATE)?;
    within_own_grants(access, &scim_grants(), "a SCIM provisioning account")?;
    let expires_at = token_policy(app).expiry(None, app.clock.now())?;
    let mut change = change::begin(app, access, Permission::SERVICE_ACCOUNTS_CREATE, meta).await?;
    let org = change.access.org.id;
    let account = match store::find_scim_account(&mut change.tx, org).await? {
        Some(a) if a.status == AccountStatus::Disabled => {
            return Err(AppError::conflict(
                ConflictKind::StatusTransition,
                format!("the provisioning account '{}' is disabled; enable it first", a.name),
            ));
        }
        Some(a) => a,
        None => {
            let grants = scim_grants();
            within_own_grants(&change.access, &grants, "a SCIM provisioning account")?;
            let record = AccountRecord {
                org_id: org,
                id: ServiceAccountId::new(),
                name: SCIM_ACCOUNT.into(),
                description: "SCIM provisioning by the identity provider (Microsoft Entra ID, Okta)".into(),
                status: AccountStatus::Active,
                scim: true,
                created_at: change.now,
                created_by_label: change.access.actor.label(),
                updated_at: change.now,
            };
            match store::insert_account(&mut change.tx, &record).await {
                Err(e) if e.is_unique_violation() => return Err(taken(SCIM_ACCOUNT)),
                other => other?,
            }
            roster_store::roles::set_account_grants(&mut change.tx, org, record.id, &grants).await?;
            roster_store::orgs::bump_authz_version(&mut change.tx, org).await?;
            change.record(
                AuditEntry::new(AuditAction::ServiceAccountCreated, record.id)
                    .after(serde_json::json!({"name": record.name, "description": record.description, "status": AccountStatus::Active}))
                    .with("roles", Vec::<String>::new())
                    .with("grants", crate::roles::grants_json(&grants)),
            );
            record
        }
    };
    let made = mint(&mut change, account.id, "scim", expires_at, None).await?;
    change.record(
        AuditEntry::new(AuditAction::ApiTokenCreated, account.id)
            .with("credential", made.view.id.to_string())
            .with("name", "scim")
            .with("prefix", made.view.prefix.clone())
            .with("expires_at", expires_at.map(|e| e.0)),
    );
    let view = view_of(&mut change.tx, &change.access, account).await?;
    change.commit().await?;
    Ok((view, made))
}

/// An account's tokens, newest first (never a secret). Needs `service_accounts:read`.
pub async fn list_tokens(app: &App, access: &OrgAccess, account: ServiceAccountId) -> Result<Vec<TokenView>> {
    access.require(Permission::SERVICE_ACCOUNTS_READ)?;
    let mut conn = app.db.conn().await?;
    store::find_account(&mut conn, access.org.id, account).await?.ok_or(AppError::NotFound("service account"))?;
    let now = app.clock.now();
    Ok(store::tokens_of_account(&mut conn, access.org.id, account)
        .await?
        .into_iter()
        .map(|t| token_view(t, now))
        .collect())
}

/// A token of this account, or 404.
async fn token_of(change: &mut Change<'_>, account: ServiceAccountId, id: ApiTokenId) -> Result<TokenRecord> {
    let t = store::find_token(&mut change.tx, id).await?.ok_or(AppError::NotFound("token"))?;
    if t.owner != TokenOwner::Account(change.access.org.id, account) {
        return Err(AppError::NotFound("token"));
    }
    Ok(t)
}

/// Revokes a token: it stops on the next request. Needs `service_accounts:update`.
pub async fn revoke_token(
    app: &App,
    access: &OrgAccess,
    account: ServiceAccountId,
    id: ApiTokenId,
    meta: &RequestMeta,
) -> Result<TokenView> {
    let mut change = change::begin(app, access, Permission::SERVICE_ACCOUNTS_UPDATE, meta).await?;
    let (a, _, _) = account_in(&mut change, account).await?;
    let t = token_of(&mut change, a.id, id).await?;
    let label = change.access.actor.label();
    if store::revoke_token(&mut change.tx, id, &label, change.now).await? {
        change.record(
            AuditEntry::new(AuditAction::ApiTokenRevoked, a.id)
                .with("credential", id.to_string())
                .with("name", t.name.clone())
                .with("prefix", t.prefix.clone()),
        );
    }
    let fresh = store::find_token(&mut change.tx, id).await?.ok_or(AppError::NotFound("token"))?;
    let now = change.now;
    change.commit().await?;
    Ok(token_view(fresh, now))
}

/// Rotates a token: a new one (same name, a fresh lifetime by the
/// deployment's default) is answered once, and the old one keeps working
/// for `overlap_hours` (0: it stops now). Needs `service_accounts:update`.
pub async fn rotate_token(
    app: &App,
    access: &OrgAccess,
    account: ServiceAccountId,
    id: ApiTokenId,
    overlap_hours: u32,
    meta: &RequestMeta,
) -> Result<NewToken> {
    let overlap = check_overlap(overlap_hours)?;
    let mut change = change::begin(app, access, Permission::SERVICE_ACCOUNTS_UPDATE, meta).await?;
    let (a, _, _) = account_in(&mut change, account).await?;
    let old = token_of(&mut change, a.id, id).await?;
    if !old.is_live(change.now) {
        return Err(AppError::conflict(
            ConflictKind::StatusTransition,
            "this token was revoked or expired; make a new one instead",
        ));
    }
    let expires_at = token_policy(app).expiry(None, change.now)?;
    let until = change.now.plus_millis(overlap);
    store::end_token_at(&mut change.tx, id, until).await?;
    let made = mint(&mut change, a.id, &old.name, expires_at, Some(id)).await?;
    change.record(
        AuditEntry::new(AuditAction::ApiTokenRotated, a.id)
            .with("credential", made.view.id.to_string())
            .with("name", old.name.clone())
            .with("prefix", old.prefix.clone())
            .with("replaced", id.to_string())
            .with("overlap_until", until.0)
            .with("expires_at", expires_at.map(|e| e.0)),
    );
    change.commit().await?;
    Ok(made)
}

/// The signed-in member's personal tokens, newest first (never a secret).
pub async fn my_tokens(app: &App, principal: &Principal) -> Result<Vec<TokenView>> {
    let now = app.clock.now();
    let rows = store::tokens_of_user(&mut app.db.conn().await?, principal.user_id).await?;
    Ok(rows.into_iter().map(|t| token_view(t, now)).collect())
}

/// Makes a personal token for the signed-in member; its secret is in the
/// answer, once. It acts as the member wherever they are an active member,
/// within their permissions at the time of each request (never more), and
/// stops with their account (locked) or their membership. Audited as
/// `personal_token.created` in every organization of the member.
pub async fn create_my_token(
    app: &App,
    principal: &Principal,
    input: &TokenInput,
    meta: &RequestMeta,
) -> Result<NewToken> {
    let name = parse_account_name("name", &input.name)?;
    let now = app.clock.now();
    let expires_at = token_policy(app).expiry(input.expires_in_days, now)?;
    let token = new_secret_token();
    let record = TokenRecord {
        id: ApiTokenId::new(),
        owner: TokenOwner::User(principal.user_id),
        name: name.clone(),
        prefix: shown_prefix(&token),
        created_at: now,
        created_by_label: principal.email.clone(),
        expires_at,
        last_used_at: None,
        last_used_ip: None,
        revoked_at: None,
        revoked_by_label: None,
        rotated_from: None,
    };
    let mut tx = app.db.begin().await?;
    let account = change::lock_account(&mut tx, principal.user_id).await?;
    store::insert_token(&mut tx, &record, &tokens::hash_secret(&token)).await?;
    let entry = AuditEntry::new(AuditAction::PersonalTokenCreated, principal.user_id)
        .with("credential", record.id.to_string())
        .with("name", name)
        .with("prefix", record.prefix.clone())
        .with("expires_at", expires_at.map(|e| e.0));
    change::audit_account(&mut tx, &account, change::AccountActor::User, meta, now, vec![entry]).await?;
    tx.commit().await?;
    Ok(NewToken { view: token_view(record, now), token })
}

/// Revokes one of the signed-in member's personal tokens (another's, or an
/// unknown one, is 404).
pub async fn revoke_my_token(
    app: &App,
    principal: &Principal,
    id: ApiTokenId,
    meta: &RequestMeta,
) -> Result<TokenView> {
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let account = change::lock_account(&mut tx, principal.user_id).await?;
    let t = store::find_token(&mut tx, id).await?.ok_or(AppError::NotFound("token"))?;
    if t.owner != TokenOwner::User(principal.user_id) {
        return Err(AppError::NotFound("token"));
    }
    if store::revoke_token(&mut tx, id, &principal.email, now).await? {
        let entry = AuditEntry::new(AuditAction::PersonalTokenRevoked, principal.user_id)
            .with("credential", id.to_string())
            .with("name", t.name.clone())
            .with("prefix", t.prefix.clone());
        change::audit_account(&mut tx, &account, change::AccountActor::User, meta, now, vec![entry]).await?;
    }
    let fresh = store::find_token(&mut tx, id).await?.ok_or(AppError::NotFound("token"))?;
    tx.commit().await?;
    Ok(token_view(fresh, now))
}

/// Authenticates a bearer token for a request about the organization
/// `id_or_slug` and opens it: a service account's token is read with its
/// account and organization in one query, and an organization other than
/// the account's answers 404; a member's personal token goes through
/// [`authenticate`] and [`crate::access::open_org`]. `None` for
/// `id_or_slug`: the account's own organization (SCIM, whose paths name
/// none), where a personal token is refused (401).
pub async fn authenticate_in_org(
    app: &App,
    token: &str,
    ip: Option<&str>,
    id_or_slug: Option<&str>,
) -> Result<crate::access::OrgAccess> {
    if !is_well_formed(token) {
        return Err(AppError::Unauthenticated);
    }
    let now = app.clock.now();
    let hit = store::find_account_token(&mut app.db.conn().await?, &tokens::hash_secret(token)).await?;
    let Some(hit) = hit else {
        let Some(id_or_slug) = id_or_slug else { return Err(AppError::Unauthenticated) };
        let actor = authenticate(app, token, ip).await?;
        return crate::access::open_org(app, &actor, id_or_slug).await;
    };
    if !hit.is_live(now) || hit.account_status != AccountStatus::Active {
        return Err(AppError::Unauthenticated);
    }
    let names_it = |s: &str| match uuid::Uuid::parse_str(s) {
        Ok(id) => id == hit.org.id.0,
        Err(_) => s.eq_ignore_ascii_case(&hit.org.slug),
    };
    if id_or_slug.is_some_and(|s| !names_it(s)) {
        return Err(AppError::NotFound("organization"));
    }
    let actor = Actor::ServiceAccount(AccountPrincipal {
        org_id: hit.org.id,
        account_id: hit.account_id,
        name: hit.account_name.clone(),
        token_id: hit.token_id,
    });
    record_use(app, hit.token_id, hit.last_used_at, ip, now).await?;
    crate::access::open_account_org(app, &actor, hit.org).await
}

/// Authenticates a bearer token: a well-formed, live token of an active
/// service account answers that account as the actor; a member's personal
/// token answers the member (with no session: the nil session id), whose
/// standing in an organization is then read like a session's. Its use is
/// recorded, at most once a minute. Anything else — malformed, unknown,
/// expired, revoked, a disabled or deleted account, a locked user — is
/// [`AppError::Unauthenticated`], the same for each, and a malformed one
/// never reaches the database.
pub async fn authenticate(app: &App, token: &str, ip: Option<&str>) -> Result<Actor> {
    if !is_well_formed(token) {
        return Err(AppError::Unauthenticated);
    }
    let now = app.clock.now();
    let mut conn = app.db.conn().await?;
    // Found by the hash of what was presented: the equality is decided by
    // the unique index on a SHA-256, so timing tells nothing of the secret.
    let (t, account) = store::find_token_with_account(&mut conn, &tokens::hash_secret(token))
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if !t.is_live(now) {
        return Err(AppError::Unauthenticated);
    }
    let actor = match t.owner {
        TokenOwner::Account(org, account_id) => {
            let Some((name, AccountStatus::Active)) = account else { return Err(AppError::Unauthenticated) };
            Actor::ServiceAccount(AccountPrincipal { org_id: org, account_id, name, token_id: t.id })
        }
        TokenOwner::User(user) => {
            let u = roster_store::users::find_user(&mut conn, user).await?.ok_or(AppError::Unauthenticated)?;
            if u.locked_at.is_some() {
                return Err(AppError::Unauthenticated);
            }
            Actor::User(Principal {
                user_id: u.id,
                email: u.email,
                name: u.name,
                session_id: roster_domain::SessionId(uuid::Uuid::nil()),
            })
        }
    };
    drop(conn);
    record_use(app, t.id, t.last_used_at, ip, now).await?;
    Ok(actor)
}

/// Records a token's use (time and client address), at most once a minute.
async fn record_use(
    app: &App,
    token: ApiTokenId,
    last_used_at: Option<Timestamp>,
    ip: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    if last_used_at.is_none_or(|at| now.0 - at.0 >= 60_000) {
        let mut tx = app.db.begin().await?;
        store::touch_token(&mut tx, token, ip, now).await?;
        tx.commit().await?;
    }
    Ok(())
}
