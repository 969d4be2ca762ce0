//! Access requests over the API: the organization's side
//! (`/api/v1/orgs/{org}/access-requests`: list, one, approve, deny), the
//! requester's side (asking to join, `/api/v1/me/access-requests` and
//! `/api/v1/me/join-suggestions`), and the organization's settings for
//! requests (`/api/v1/orgs/{org}/settings`: the join link and email domains).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use roster_app::access_requests::{
    AccessRequestView, Approval, JoinSuggestion, MyRequest, OrgSettingsView, SettingsChange,
};
use roster_domain::access_requests::RequestState;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, Authenticated, Meta, OrgApi};
use crate::format::rfc3339;
use crate::query;

/// The `{id}` of an access request's paths.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AccessRequestPath {
    /// The request's id (`id` of an item of `GET …/access-requests` or `GET /api/v1/me/access-requests`).
    #[param(example = "01920000-0000-7000-8000-000000000000")]
    pub id: Uuid,
}

/// An access request as the organization sees it.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "01920000-0000-7000-8000-000000000000", "user": "01920000-0000-7000-8000-0000000000aa",
    "email": "ann@acme.test", "name": "Ann Lee", "message": "I work in billing.", "via": "email_domain",
    "status": "approved", "created_at": "2026-01-05T09:00:00Z", "expires_at": "2026-02-04T09:00:00Z",
    "decided_by": "owner@acme.test", "decided_at": "2026-01-05T10:00:00Z", "reason": null,
    "roles": ["User"], "products": []}))]
pub struct AccessRequestItem {
    /// The request's id.
    pub id: Uuid,
    /// The requester's user id (their row in `GET …/users` once approved).
    pub user: Uuid,
    /// The requester's address when asking.
    pub email: String,
    /// The requester's name when asking.
    pub name: String,
    /// Their message ("" for none).
    pub message: String,
    /// How they came: `join_link` or `email_domain`.
    pub via: String,
    /// `pending`, `approved`, `denied`, `withdrawn`, or `expired` (not decided in time).
    pub status: RequestState,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// When it expires (or expired) undecided (RFC 3339).
    pub expires_at: String,
    /// Who decided it (an email, or `cli`), for approved and denied ones; otherwise null.
    pub decided_by: Option<String>,
    /// When it was decided, withdrawn or expired (RFC 3339); null while pending.
    pub decided_at: Option<String>,
    /// A denial's reason, or null (none given, or not denied).
    pub reason: Option<String>,
    /// An approval's roles (names).
    pub roles: Vec<String>,
    /// An approval's products (names).
    pub products: Vec<String>,
}

impl From<AccessRequestView> for AccessRequestItem {
    fn from(v: AccessRequestView) -> Self {
        Self {
            id: v.id.0,
            user: v.user_id.0,
            email: v.email,
            name: v.name,
            message: v.message,
            via: v.via,
            status: v.state,
            created_at: rfc3339(v.created_at),
            expires_at: rfc3339(v.expires_at),
            decided_by: v.decided_by,
            decided_at: v.decided_at.map(rfc3339),
            reason: v.reason,
            roles: v.roles,
            products: v.products,
        }
    }
}

/// The Access Requests tab: what waits, and what was decided lately.
#[derive(Serialize, ToSchema)]
pub struct AccessRequestList {
    /// Pending requests, oldest first (at most 200).
    pub pending: Vec<AccessRequestItem>,
    /// Recently processed requests (approved, denied, withdrawn, expired), newest first (at most 20).
    pub recent: Vec<AccessRequestItem>,
    /// How many requests are pending (the tab's badge; it stops counting at 100).
    pub pending_count: u64,
}

/// Lists the organization's pending and recently processed access requests.
/// Needs `access_requests:read`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/access-requests", tag = "access-requests",
    responses((status = 200, body = AccessRequestList)))]
pub async fn list_access_requests(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
) -> ApiResult<Json<AccessRequestList>> {
    let l = roster_app::access_requests::list(&state.app, &access).await?;
    Ok(Json(AccessRequestList {
        pending: l.pending.into_iter().map(Into::into).collect(),
        recent: l.recent.into_iter().map(Into::into).collect(),
        pending_count: l.pending_count,
    }))
}

/// One access request of the organization. Needs `access_requests:read`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/access-requests/{id}", tag = "access-requests",
    params(AccessRequestPath),
    responses((status = 200, body = AccessRequestItem)))]
pub async fn get_access_request(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<AccessRequestItem>> {
    let id = query::id(&id, "access request")?;
    Ok(Json(roster_app::access_requests::get(&state.app, &access, id).await?.into()))
}

/// What an approver gives the requester.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"roles": ["user"], "products": ["quote"]}))]
pub struct ApproveBody {
    /// Role ids or keys to give; absent: the preset's default role; `[]`: none. Only roles
    /// whose every grant you hold yourself.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    /// Products whose licenses the new member holds (keys; default none): the seats are taken
    /// at once (409 `no-seats` when none is free). Needs `licenses:update`.
    #[serde(default)]
    pub products: Vec<String>,
}

/// Approves a pending request: the requester becomes an active member at
/// once, with the roles and products chosen, and is told by email. Needs
/// `access_requests:update` (and `licenses:update` for products); only
/// roles whose grants you hold (403 `escalation`). A request decided,
/// withdrawn or expired meanwhile answers 409 `request-closed`; no free
/// seat, 409 `no-seats`; a requester who became a member meanwhile, 409
/// `already-member`.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/access-requests/{id}/approve", tag = "access-requests",
    params(AccessRequestPath), request_body = ApproveBody,
    responses((status = 200, body = AccessRequestItem, description = "Approved; the requester is an active member"),
              (status = 409, body = Problem)))]
pub async fn approve_access_request(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<ApproveBody>,
) -> ApiResult<Json<AccessRequestItem>> {
    let id = query::id(&id, "access request")?;
    let approval = Approval { roles: body.roles, products: body.products };
    Ok(Json(roster_app::access_requests::approve(&state.app, &access, id, &approval, &meta).await?.into()))
}

/// Why a request is denied.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "We only add people from the billing team."}))]
pub struct DenyBody {
    /// An optional reason (at most 500 characters), told to the requester by email.
    #[serde(default)]
    pub reason: String,
}

/// Denies a pending request, with an optional reason the requester is told
/// by email; they may ask again after the cool-down (7 days by default).
/// Needs `access_requests:update`. A request decided, withdrawn or expired
/// meanwhile answers 409 `request-closed`.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/access-requests/{id}/deny", tag = "access-requests",
    params(AccessRequestPath), request_body = DenyBody,
    responses((status = 200, body = AccessRequestItem, description = "Denied"), (status = 409, body = Problem)))]
pub async fn deny_access_request(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<DenyBody>,
) -> ApiResult<Json<AccessRequestItem>> {
    let id = query::id(&id, "access request")?;
    Ok(Json(roster_app::access_requests::deny(&state.app, &access, id, &body.reason, &meta).await?.into()))
}

/// Asking to join an organization.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"message": "I work in billing; Dana asked me to join.", "code": "0123456789abcdef0123456789abcdef"}))]
pub struct CreateAccessRequest {
    /// A message for the administrators (at most 1,000 characters; may be empty).
    #[serde(default)]
    pub message: String,
    /// The join link's code (its `code` parameter). Without it, only people whose confirmed
    /// email is in one of the organization's email domains may ask.
    #[serde(default)]
    pub code: Option<String>,
}

/// Asks to join an organization (by slug or id) as the signed-in user, who
/// is not a member: with the join link's `code`, or with a confirmed email
/// in one of the organization's email domains. An organization that does
/// not accept a request from you answers 404, exactly like one that does not
/// exist. A member or someone invited answers 409 `already-member` /
/// `already-invited`; a request still pending, 409 `request-pending`; within
/// the cool-down after a denial, 409 `request-cooldown`. Too many requests
/// per user or per organization in an hour answer 429 with `Retry-After`.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/access-requests", tag = "access-requests",
    request_body = CreateAccessRequest,
    responses((status = 201, body = AccessRequestItem, description = "Asked; the request is pending"),
              (status = 409, body = Problem), (status = 429, body = Problem)))]
pub async fn create_access_request(
    State(state): State<AppState>,
    user: Authenticated,
    Meta(meta): Meta,
    Path(org): Path<String>,
    ApiJson(body): ApiJson<CreateAccessRequest>,
) -> ApiResult<(StatusCode, Json<AccessRequestItem>)> {
    let created = roster_app::access_requests::create(
        &state.app,
        &user.principal,
        &org,
        body.code.as_deref(),
        &body.message,
        &meta,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// One of the signed-in user's own requests.
#[derive(Serialize, ToSchema)]
pub struct MyAccessRequest {
    /// The request's id (for `DELETE /api/v1/me/access-requests/{id}`).
    pub id: Uuid,
    /// The organization's slug.
    pub org_slug: String,
    /// The organization's name.
    pub org_name: String,
    /// Your message.
    pub message: String,
    /// `pending`, `approved`, `denied`, `withdrawn` or `expired`.
    pub status: RequestState,
    /// When you asked (RFC 3339).
    pub created_at: String,
    /// When it expires (or expired) undecided (RFC 3339).
    pub expires_at: String,
    /// When it was decided, withdrawn or expired (RFC 3339); null while pending.
    pub decided_at: Option<String>,
    /// A denial's reason, or null.
    pub reason: Option<String>,
}

impl From<MyRequest> for MyAccessRequest {
    fn from(m: MyRequest) -> Self {
        let r = m.request;
        Self {
            id: r.id.0,
            org_slug: m.org_slug,
            org_name: m.org_name,
            message: r.message,
            status: r.state,
            created_at: rfc3339(r.created_at),
            expires_at: rfc3339(r.expires_at),
            decided_at: r.decided_at.map(rfc3339),
            reason: r.reason,
        }
    }
}

/// The signed-in user's own requests.
#[derive(Serialize, ToSchema)]
pub struct MyAccessRequestList {
    /// Newest first (the last 50).
    pub items: Vec<MyAccessRequest>,
}

/// The signed-in user's own access requests, newest first. Any signed-in user.
#[utoipa::path(get, path = "/api/v1/me/access-requests", tag = "access-requests",
    responses((status = 200, body = MyAccessRequestList)))]
pub async fn list_my_access_requests(
    State(state): State<AppState>,
    user: Authenticated,
) -> ApiResult<Json<MyAccessRequestList>> {
    let items = roster_app::access_requests::mine(&state.app, &user.principal).await?;
    Ok(Json(MyAccessRequestList { items: items.into_iter().map(Into::into).collect() }))
}

/// Withdraws one of the signed-in user's own pending requests. Another
/// user's request, or an unknown one, answers 404; one decided, withdrawn or
/// expired already, 409 `request-closed`.
#[utoipa::path(delete, path = "/api/v1/me/access-requests/{id}", tag = "access-requests",
    params(AccessRequestPath),
    responses((status = 200, body = MyAccessRequest, description = "Withdrawn"), (status = 409, body = Problem)))]
pub async fn withdraw_my_access_request(
    State(state): State<AppState>,
    user: Authenticated,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<Json<MyAccessRequest>> {
    let id = query::id(&id, "access request")?;
    Ok(Json(roster_app::access_requests::withdraw(&state.app, &user.principal, id, &meta).await?.into()))
}

/// An organization offered to the signed-in user by their email's domain.
#[derive(Serialize, ToSchema)]
pub struct JoinSuggestionItem {
    /// Its slug (ask with `POST /api/v1/orgs/{slug}/access-requests`).
    pub slug: String,
    /// Its name.
    pub name: String,
}

impl From<JoinSuggestion> for JoinSuggestionItem {
    fn from(s: JoinSuggestion) -> Self {
        Self { slug: s.slug, name: s.name }
    }
}

/// "Join your team" suggestions.
#[derive(Serialize, ToSchema)]
pub struct JoinSuggestionList {
    /// By name.
    pub items: Vec<JoinSuggestionItem>,
}

/// "Join your team": the organizations that declare the signed-in user's
/// confirmed email domain, which they may ask to join now (not a member,
/// not invited, nothing pending, no cool-down). Any signed-in user.
#[utoipa::path(get, path = "/api/v1/me/join-suggestions", tag = "access-requests",
    responses((status = 200, body = JoinSuggestionList)))]
pub async fn list_join_suggestions(
    State(state): State<AppState>,
    user: Authenticated,
) -> ApiResult<Json<JoinSuggestionList>> {
    let items = roster_app::access_requests::suggestions(&state.app, &user.principal).await?;
    Ok(Json(JoinSuggestionList { items: items.into_iter().map(Into::into).collect() }))
}

/// An organization's settings for access requests.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"join_link_enabled": true,
    "join_link": "https://roster.example/join/acme?code=0123456789abcdef0123456789abcdef",
    "email_domains": ["acme.com"]}))]
pub struct OrgSettings {
    /// Whether the join link works.
    pub join_link_enabled: bool,
    /// The join link to hand out, while it is on; otherwise null.
    pub join_link: Option<String>,
    /// The email domains whose confirmed addresses may ask to join (and are offered "Join your team").
    pub email_domains: Vec<String>,
}

impl From<OrgSettingsView> for OrgSettings {
    fn from(v: OrgSettingsView) -> Self {
        Self { join_link_enabled: v.join_link_enabled, join_link: v.join_link, email_domains: v.email_domains }
    }
}

/// A change to the settings; an absent field stays as it is.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"join_link_enabled": true, "email_domains": ["acme.com"], "regenerate_join_link": false}))]
pub struct OrgSettingsPatch {
    /// Turn the join link on or off.
    #[serde(default)]
    pub join_link_enabled: Option<bool>,
    /// The organization's own email domains (at most 20; public mail providers are refused),
    /// replacing the declared ones.
    #[serde(default)]
    pub email_domains: Option<Vec<String>>,
    /// Make a new join link: the old one stops working.
    #[serde(default)]
    pub regenerate_join_link: bool,
}

/// The organization's settings for access requests: the join link and the
/// email domains. Needs `org_settings:read`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/settings", tag = "access-requests",
    responses((status = 200, body = OrgSettings)))]
pub async fn get_org_settings(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
) -> ApiResult<Json<OrgSettings>> {
    Ok(Json(roster_app::access_requests::settings(&state.app, &access).await?.into()))
}

/// Changes the settings: turns the join link on or off, regenerates it (the
/// old code stops working), or replaces the email domains (each checked and
/// named when bad: 422). Needs `org_settings:update`. Audited as
/// `organization.settings_changed` (never with the link's code).
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/settings", tag = "access-requests",
    request_body = OrgSettingsPatch,
    responses((status = 200, body = OrgSettings)))]
pub async fn update_org_settings(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<OrgSettingsPatch>,
) -> ApiResult<Json<OrgSettings>> {
    let change = SettingsChange {
        join_link_enabled: body.join_link_enabled,
        email_domains: body.email_domains,
        regenerate_join_link: body.regenerate_join_link,
    };
    Ok(Json(roster_app::access_requests::update_settings(&state.app, &access, &change, &meta).await?.into()))
}
