//! Service accounts and their API tokens over the API
//! (`/api/v1/orgs/{org}/service-accounts`): list, create, read, edit,
//! disable, enable, delete; an account's tokens: make (the token is in that
//! answer only), list (never a secret), revoke, rotate.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use roster_app::service_accounts::{AccountInput, AccountView, NewToken, TokenInput, TokenView};
use roster_domain::service_accounts::AccountStatus;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::members::RoleBadge;
use super::roles::{GrantsBody, grants_body, grants_schema};
use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, Authenticated, Meta, OrgApi};
use crate::format::rfc3339;
use crate::query;

/// The `{id}` of a service account's paths.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AccountPath {
    /// The account's id.
    #[param(example = "01920000-0000-7000-8000-000000000000")]
    pub id: Uuid,
}

/// The `{id}` and `{tid}` of a token's paths.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TokenPath {
    /// The account's id.
    #[param(example = "01920000-0000-7000-8000-000000000000")]
    pub id: Uuid,
    /// The token's id.
    #[param(example = "01920000-0000-7000-8000-0000000000aa")]
    pub tid: Uuid,
}

/// A service account.
#[derive(Serialize, ToSchema)]
pub struct ServiceAccountItem {
    /// Its id.
    pub id: Uuid,
    /// Its name, unique in the organization.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// `active`, `disabled` (its tokens stop), or `archived` (deleted).
    pub status: AccountStatus,
    /// Whether SCIM provisioning uses it.
    pub scim: bool,
    /// Its roles.
    pub roles: Vec<RoleBadge>,
    /// Its own grants beside the roles.
    #[schema(schema_with = grants_schema)]
    pub grants: GrantsBody,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// Who made it (an email, or `cli`).
    pub created_by: String,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
}

impl From<AccountView> for ServiceAccountItem {
    fn from(v: AccountView) -> Self {
        Self {
            id: v.id.0,
            name: v.name,
            description: v.description,
            status: v.status,
            scim: v.scim,
            roles: v.roles.into_iter().map(|r| RoleBadge { id: r.id.0, key: r.key, name: r.name }).collect(),
            grants: grants_body(&v.grants),
            created_at: rfc3339(v.created_at),
            created_by: v.created_by,
            updated_at: rfc3339(v.updated_at),
        }
    }
}

/// An organization's service accounts.
#[derive(Serialize, ToSchema)]
pub struct ServiceAccountList {
    /// The accounts, by name (deleted ones left out).
    pub items: Vec<ServiceAccountItem>,
}

/// A new service account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "ci-deploy", "description": "Deploys from CI", "roles": ["user"]}))]
pub struct CreateAccountBody {
    /// Its name (1–100 characters, unique in the organization).
    pub name: String,
    /// What it is for (at most 500 characters).
    #[serde(default)]
    pub description: String,
    /// Role ids or keys (only roles whose every grant you hold).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Own grants beside the roles: resource → actions (only grants you hold).
    #[serde(default)]
    #[schema(schema_with = grants_schema)]
    pub grants: GrantsBody,
}

/// Changes to a service account; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"description": "Deploys from CI and nightly jobs"}))]
pub struct PatchAccountBody {
    /// A new name.
    pub name: Option<String>,
    /// A new description.
    pub description: Option<String>,
    /// Its roles, replacing the ones it holds.
    pub roles: Option<Vec<String>>,
    /// Its own grants, replacing the ones it holds.
    #[serde(default)]
    #[schema(schema_with = grants_schema)]
    pub grants: Option<GrantsBody>,
}

/// Lists the organization's service accounts. Needs `service_accounts:read`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/service-accounts", tag = "service-accounts",
    responses((status = 200, body = ServiceAccountList)))]
pub async fn list_accounts(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
) -> ApiResult<Json<ServiceAccountList>> {
    let items = roster_app::service_accounts::list(&state.app, &access, false).await?;
    Ok(Json(ServiceAccountList { items: items.into_iter().map(Into::into).collect() }))
}

/// Creates a service account with roles and own grants within your own.
/// Needs `service_accounts:create`; a name another account has is 409.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/service-accounts", tag = "service-accounts",
    request_body = CreateAccountBody,
    responses((status = 201, body = ServiceAccountItem), (status = 409, body = Problem)))]
pub async fn create_account(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<CreateAccountBody>,
) -> ApiResult<(StatusCode, Json<ServiceAccountItem>)> {
    let input = AccountInput {
        name: body.name,
        description: body.description,
        roles: Some(body.roles),
        grants: Some(body.grants),
    };
    let made = roster_app::service_accounts::create(&state.app, &access, &input, &meta).await?;
    Ok((StatusCode::CREATED, Json(made.into())))
}

/// One service account. Needs `service_accounts:read`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/service-accounts/{id}", tag = "service-accounts",
    params(AccountPath), responses((status = 200, body = ServiceAccountItem)))]
pub async fn get_account(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<ServiceAccountItem>> {
    let id = query::id(&id, "service account")?;
    Ok(Json(roster_app::service_accounts::get(&state.app, &access, id).await?.into()))
}

/// Edits a service account: name, description, roles, own grants. Needs
/// `service_accounts:update`; nobody edits an account holding grants they
/// lack, or gives it more than they hold (403 `escalation`).
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/service-accounts/{id}", tag = "service-accounts",
    params(AccountPath), request_body = PatchAccountBody,
    responses((status = 200, body = ServiceAccountItem), (status = 409, body = Problem)))]
pub async fn patch_account(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<PatchAccountBody>,
) -> ApiResult<Json<ServiceAccountItem>> {
    let id = query::id(&id, "service account")?;
    let current = roster_app::service_accounts::get(&state.app, &access, id).await?;
    let input = AccountInput {
        name: body.name.unwrap_or(current.name),
        description: body.description.unwrap_or(current.description),
        roles: body.roles,
        grants: body.grants,
    };
    Ok(Json(roster_app::service_accounts::update(&state.app, &access, id, &input, &meta).await?.into()))
}

/// Deletes a service account: it is archived (its history stays) and its
/// tokens are revoked. Needs `service_accounts:delete`.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/service-accounts/{id}", tag = "service-accounts",
    params(AccountPath), responses((status = 200, body = ServiceAccountItem), (status = 409, body = Problem)))]
pub async fn delete_account(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<ServiceAccountItem>> {
    let id = query::id(&id, "service account")?;
    Ok(Json(roster_app::service_accounts::delete(&state.app, &access, id, &meta).await?.into()))
}

/// Disables a service account: its tokens stop on the next request. Needs
/// `service_accounts:update`.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/service-accounts/{id}/disable", tag = "service-accounts",
    params(AccountPath), responses((status = 200, body = ServiceAccountItem), (status = 409, body = Problem)))]
pub async fn disable_account(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<ServiceAccountItem>> {
    let id = query::id(&id, "service account")?;
    Ok(Json(roster_app::service_accounts::set_enabled(&state.app, &access, id, false, &meta).await?.into()))
}

/// Enables a disabled service account: its live tokens work again. Needs
/// `service_accounts:update`.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/service-accounts/{id}/enable", tag = "service-accounts",
    params(AccountPath), responses((status = 200, body = ServiceAccountItem), (status = 409, body = Problem)))]
pub async fn enable_account(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<ServiceAccountItem>> {
    let id = query::id(&id, "service account")?;
    Ok(Json(roster_app::service_accounts::set_enabled(&state.app, &access, id, true, &meta).await?.into()))
}

/// A token as lists show it: never its secret.
#[derive(Serialize, ToSchema)]
pub struct TokenItem {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Its first characters (`roster_Ab3dE9`), to tell tokens apart.
    pub prefix: String,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// Who made it.
    pub created_by: String,
    /// When it stops working (RFC 3339); null: never.
    pub expires_at: Option<String>,
    /// When it was last used (RFC 3339), at a minute's precision.
    pub last_used_at: Option<String>,
    /// The client address it was last used from.
    pub last_used_ip: Option<String>,
    /// When it was revoked (RFC 3339).
    pub revoked_at: Option<String>,
    /// Whether it works now (not revoked, not expired).
    pub live: bool,
}

impl From<TokenView> for TokenItem {
    fn from(t: TokenView) -> Self {
        Self {
            id: t.id.0,
            name: t.name,
            prefix: t.prefix,
            created_at: rfc3339(t.created_at),
            created_by: t.created_by,
            expires_at: t.expires_at.map(rfc3339),
            last_used_at: t.last_used_at.map(rfc3339),
            last_used_ip: t.last_used_ip,
            revoked_at: t.revoked_at.map(rfc3339),
            live: t.live,
        }
    }
}

/// An account's tokens.
#[derive(Serialize, ToSchema)]
pub struct TokenList {
    /// Newest first.
    pub items: Vec<TokenItem>,
}

/// A token just made: the only answer that holds `token`.
#[derive(Serialize, ToSchema)]
pub struct NewTokenItem {
    /// Its id.
    pub id: Uuid,
    /// The token: send it as `Authorization: Bearer <token>`. Shown this once; Roster keeps only its hash.
    #[schema(example = "roster_3xAMPLE000000000000000000000000000000000000000000000")]
    pub token: String,
    /// Its first characters, as lists show them.
    pub prefix: String,
    /// Its name.
    pub name: String,
    /// When it stops working (RFC 3339); null: never.
    pub expires_at: Option<String>,
}

impl From<NewToken> for NewTokenItem {
    fn from(t: NewToken) -> Self {
        Self {
            id: t.view.id.0,
            token: t.token,
            prefix: t.view.prefix,
            name: t.view.name,
            expires_at: t.view.expires_at.map(rfc3339),
        }
    }
}

/// A new token's name and lifetime.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "deploy", "expires_in_days": 30}))]
pub struct CreateTokenBody {
    /// Its name (to tell tokens apart).
    pub name: String,
    /// Days until it expires: absent for the default (90), 0 for never (only where the
    /// deployment allows it), at most the deployment's maximum (365 by default).
    pub expires_in_days: Option<u32>,
}

/// Makes a token for a service account; the answer holds the token, this
/// once. Needs `service_accounts:update`.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/service-accounts/{id}/tokens", tag = "service-accounts",
    params(AccountPath), request_body = CreateTokenBody,
    responses((status = 201, body = NewTokenItem), (status = 409, body = Problem)))]
pub async fn create_token(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<CreateTokenBody>,
) -> ApiResult<(StatusCode, Json<NewTokenItem>)> {
    let id = query::id(&id, "service account")?;
    let input = TokenInput { name: body.name, expires_in_days: body.expires_in_days };
    let made = roster_app::service_accounts::create_token(&state.app, &access, id, &input, &meta).await?;
    Ok((StatusCode::CREATED, Json(made.into())))
}

/// A service account's tokens, newest first, never a secret. Needs
/// `service_accounts:read`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/service-accounts/{id}/tokens", tag = "service-accounts",
    params(AccountPath), responses((status = 200, body = TokenList)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<TokenList>> {
    let id = query::id(&id, "service account")?;
    let items = roster_app::service_accounts::list_tokens(&state.app, &access, id).await?;
    Ok(Json(TokenList { items: items.into_iter().map(Into::into).collect() }))
}

/// Revokes a token: it stops on the next request. Needs `service_accounts:update`.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/service-accounts/{id}/tokens/{tid}", tag = "service-accounts",
    params(TokenPath), responses((status = 200, body = TokenItem), (status = 409, body = Problem)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id, tid)): Path<(String, String, String)>,
) -> ApiResult<Json<TokenItem>> {
    let id = query::id(&id, "service account")?;
    let tid = query::id(&tid, "token")?;
    Ok(Json(roster_app::service_accounts::revoke_token(&state.app, &access, id, tid, &meta).await?.into()))
}

/// How long the old token keeps working after a rotation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"overlap_hours": 24}))]
pub struct RotateBody {
    /// Hours the old token keeps working (0 to 720; default 0: it stops now).
    #[serde(default)]
    pub overlap_hours: u32,
}

/// Rotates a token: a new one is answered (this once), and the old one
/// keeps working for the overlap chosen. Needs `service_accounts:update`;
/// a revoked or expired token answers 409.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/service-accounts/{id}/tokens/{tid}/rotate", tag = "service-accounts",
    params(TokenPath), request_body = RotateBody,
    responses((status = 201, body = NewTokenItem), (status = 409, body = Problem)))]
pub async fn rotate_token(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id, tid)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<RotateBody>,
) -> ApiResult<(StatusCode, Json<NewTokenItem>)> {
    let id = query::id(&id, "service account")?;
    let tid = query::id(&tid, "token")?;
    let made =
        roster_app::service_accounts::rotate_token(&state.app, &access, id, tid, body.overlap_hours, &meta).await?;
    Ok((StatusCode::CREATED, Json(made.into())))
}

/// The `{tid}` of a personal token's path.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct MyTokenPath {
    /// The token's id.
    #[param(example = "01920000-0000-7000-8000-0000000000aa")]
    pub tid: Uuid,
}

/// Your personal API tokens, newest first, never a secret.
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "service-accounts",
    responses((status = 200, body = TokenList)))]
pub async fn list_my_tokens(State(state): State<AppState>, user: Authenticated) -> ApiResult<Json<TokenList>> {
    let items = roster_app::service_accounts::my_tokens(&state.app, &user.principal).await?;
    Ok(Json(TokenList { items: items.into_iter().map(Into::into).collect() }))
}

/// Makes a personal API token (the answer holds it, this once). It acts as
/// you in every organization where you are an active member, within your
/// permissions at the time of each request, sent as `Authorization: Bearer`.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "service-accounts",
    request_body = CreateTokenBody, responses((status = 201, body = NewTokenItem)))]
pub async fn create_my_token(
    State(state): State<AppState>,
    user: Authenticated,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<CreateTokenBody>,
) -> ApiResult<(StatusCode, Json<NewTokenItem>)> {
    let input = TokenInput { name: body.name, expires_in_days: body.expires_in_days };
    let made = roster_app::service_accounts::create_my_token(&state.app, &user.principal, &input, &meta).await?;
    Ok((StatusCode::CREATED, Json(made.into())))
}

/// Revokes one of your personal tokens (another's answers 404).
#[utoipa::path(delete, path = "/api/v1/me/tokens/{tid}", tag = "service-accounts",
    params(MyTokenPath), responses((status = 200, body = TokenItem)))]
pub async fn revoke_my_token(
    State(state): State<AppState>,
    user: Authenticated,
    Meta(meta): Meta,
    Path(tid): Path<String>,
) -> ApiResult<Json<TokenItem>> {
    let tid = query::id(&tid, "token")?;
    Ok(Json(roster_app::service_accounts::revoke_my_token(&state.app, &user.principal, tid, &meta).await?.into()))
}

/// A SCIM provisioning token, with where to send it.
#[derive(Serialize, ToSchema)]
pub struct ScimTokenItem {
    /// The provisioning service account's id.
    pub account: Uuid,
    /// The token's id.
    pub id: Uuid,
    /// The token, to paste into the identity provider (Entra ID's "Secret Token", Okta's "API Token"). Shown this once.
    pub token: String,
    /// Its first characters, as lists show them.
    pub prefix: String,
    /// When it stops working (RFC 3339); null: never.
    pub expires_at: Option<String>,
    /// The SCIM base URL to paste beside it (Entra ID's "Tenant URL", Okta's "SCIM connector base URL").
    pub scim_base_url: String,
}

/// Makes a token for SCIM provisioning: the organization's provisioning
/// service account (`scim-provisioning`, holding the members directory's
/// grants) is made the first time. The answer holds the token, this once.
/// Needs `service_accounts:create` and `service_accounts:update`, and the
/// members grants yourself; a disabled provisioning account is 409.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/scim/token", tag = "scim",
    responses((status = 201, body = ScimTokenItem), (status = 409, body = Problem)))]
pub async fn create_scim_token(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
) -> ApiResult<(StatusCode, Json<ScimTokenItem>)> {
    let (account, made) = roster_app::service_accounts::scim_token(&state.app, &access, &meta).await?;
    Ok((
        StatusCode::CREATED,
        Json(ScimTokenItem {
            account: account.id.0,
            id: made.view.id.0,
            token: made.token,
            prefix: made.view.prefix,
            expires_at: made.view.expires_at.map(rfc3339),
            scim_base_url: state.app.config.link("/scim/v2"),
        }),
    ))
}
