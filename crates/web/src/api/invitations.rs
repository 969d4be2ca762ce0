//! `/api/v1/orgs/{org}/invitations` (invite, list, resend, cancel, bulk) and
//! `/api/v1/invitations/accept` (the invitee's side, no session needed).

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use roster_app::invitations::{AcceptInput, InvitationAction, InvitationInput, InvitationView, Invited};
use roster_domain::invitations::InvitationState;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::auth::{MeOrg, MeUser};
use super::members::RoleBadge;
use super::roles::{GrantsBody, grants_body, grants_schema};
use crate::AppState;
use crate::error::{ApiResult, Problem, problem_for};
use crate::extract::{ApiJson, Meta, OrgApi, decode_json, optional_session, session_cookie};
use crate::format::rfc3339;
use crate::query::{self, Strictness};

/// The `{id}` of an invitation's paths.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct InvitationPath {
    /// The invitation's id (`id` of an item of `GET …/invitations`).
    #[param(example = "01920000-0000-7000-8000-000000000000")]
    pub id: Uuid,
}

/// An invitation as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct InvitationItem {
    /// The invitation's id.
    pub id: Uuid,
    /// The invited user's id (their row in `GET …/users`, status `invited` while pending).
    pub user_id: Uuid,
    /// The address invited.
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name ("" for none).
    pub last_name: String,
    /// `pending`, `expired` (pending past its expiry; it can be sent again), `accepted` or `canceled`.
    pub status: InvitationState,
    /// The roles given.
    pub roles: Vec<RoleBadge>,
    /// Own grants given beside the roles.
    #[schema(schema_with = grants_schema)]
    pub grants: GrantsBody,
    /// Who invited (an email, or `cli`).
    pub invited_by: String,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// When it was last sent (RFC 3339).
    pub sent_at: String,
    /// When its link stops (or stopped) working (RFC 3339).
    pub expires_at: String,
    /// How many times it was sent again.
    pub resend_count: i64,
    /// When it was accepted (RFC 3339), or null.
    pub accepted_at: Option<String>,
    /// When it was canceled (RFC 3339), or null.
    pub canceled_at: Option<String>,
    /// Who canceled it, or null.
    pub canceled_by: Option<String>,
    /// The accept link, only in the answer to an invitation made with
    /// `send_email: false` (hand it to the person yourself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accept_url: Option<String>,
}

impl From<InvitationView> for InvitationItem {
    fn from(v: InvitationView) -> Self {
        Self {
            id: v.id.0,
            user_id: v.user_id.0,
            email: v.email,
            first_name: v.first_name,
            last_name: v.last_name,
            status: v.state,
            roles: v.roles.into_iter().map(|r| RoleBadge { id: r.id.0, key: r.key, name: r.name }).collect(),
            grants: grants_body(&v.grants),
            invited_by: v.invited_by,
            created_at: rfc3339(v.created_at),
            sent_at: rfc3339(v.sent_at),
            expires_at: rfc3339(v.expires_at),
            resend_count: v.resend_count,
            accepted_at: v.accepted_at.map(rfc3339),
            canceled_at: v.canceled_at.map(rfc3339),
            canceled_by: v.canceled_by,
            accept_url: None,
        }
    }
}

impl From<Invited> for InvitationItem {
    fn from(i: Invited) -> Self {
        Self { accept_url: i.accept_url, ..i.invitation.into() }
    }
}

fn default_true() -> bool {
    true
}

/// One person to invite.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ann@acme.test", "first_name": "Ann", "last_name": "Lee", "roles": ["user"], "send_email": true}))]
pub struct InviteRequest {
    /// Their email address (their sign-in name).
    pub email: String,
    /// First name (1–100 characters).
    pub first_name: String,
    /// Last name (at most 100 characters; may be empty).
    #[serde(default)]
    pub last_name: String,
    /// Role ids or keys to give; absent: the preset's default role; `[]`: none. Only roles whose
    /// every grant you hold yourself.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    /// Own grants beside the roles (resource → actions), only grants you hold yourself.
    #[serde(default)]
    #[schema(schema_with = grants_schema)]
    pub grants: Option<GrantsBody>,
    /// Email the link (default true); with false the answer carries `accept_url` to hand on yourself.
    #[serde(default = "default_true")]
    pub send_email: bool,
    /// Products whose licenses the invited member holds from the start (keys; default none): the
    /// seats are taken at once (409 `no-seats` when none is free). Needs `licenses:update`.
    #[serde(default)]
    #[schema(example = json!(["quote"]))]
    pub products: Vec<String>,
}

impl From<InviteRequest> for InvitationInput {
    fn from(r: InviteRequest) -> Self {
        Self {
            email: r.email,
            first_name: r.first_name,
            last_name: r.last_name,
            roles: r.roles,
            grants: r.grants,
            send_email: r.send_email,
            products: r.products,
        }
    }
}

/// Several people at once, each invited on its own.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchInvite {
    /// 1–100 people.
    pub invitations: Vec<InviteRequest>,
}

/// One person, or a batch.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code, reason = "documents the body; the handler reads which of the two it is")]
#[schema(example = json!({"invitations": [
    {"email": "ann@acme.test", "first_name": "Ann", "last_name": "Lee", "roles": ["user"], "send_email": true},
    {"email": "bo@acme.test", "first_name": "Bo", "roles": ["billing_manager"], "send_email": false}
]}))]
pub enum InviteBody {
    /// A batch: `{"invitations": […]}`.
    Batch(BatchInvite),
    /// One person.
    One(InviteRequest),
}

/// One row of a batch's answer, in the order of the request.
#[derive(Serialize, ToSchema)]
pub struct BatchRow {
    /// Whether this row was invited.
    pub ok: bool,
    /// The invitation, when `ok`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation: Option<InvitationItem>,
    /// Why not, when not `ok`: the problem a single invitation would have answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Problem>,
}

/// What a batch did, row by row.
#[derive(Serialize, ToSchema)]
pub struct BatchResult {
    /// One per row of the request, in its order.
    pub results: Vec<BatchRow>,
}

/// Invites one person (201 with the invitation) or a batch
/// (`{"invitations": […]}`: 200 with each row's outcome, in order; a
/// refused row never stops the others). Needs `invitations:create`; you can
/// only give roles and grants you hold yourself (403 `escalation`). An
/// address that is a member already answers 409 `already-member`; one
/// invited already, 409 `already-invited`.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/invitations", tag = "invitations", request_body = InviteBody,
    responses((status = 201, body = InvitationItem, description = "Invited (one person)"),
              (status = 200, body = BatchResult, description = "Each row's outcome (a batch)"),
              (status = 409, body = Problem)))]
pub async fn invite(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<Response> {
    let raw = serde_json::to_vec(&body).unwrap_or_default();
    if body.get("invitations").is_some() {
        let batch: BatchInvite = match decode_json(&raw) {
            Ok(b) => b,
            Err(p) => return Ok(p.into_response()),
        };
        let inputs: Vec<InvitationInput> = batch.invitations.into_iter().map(Into::into).collect();
        let results = roster_app::invitations::invite_batch(&state.app, &access, &inputs, &meta).await?;
        let results = results
            .into_iter()
            .map(|r| match r {
                Ok(i) => BatchRow { ok: true, invitation: Some(i.into()), error: None },
                Err(e) => BatchRow { ok: false, invitation: None, error: Some(problem_for(&e)) },
            })
            .collect();
        return Ok(Json(BatchResult { results }).into_response());
    }
    let one: InviteRequest = match decode_json(&raw) {
        Ok(b) => b,
        Err(p) => return Ok(p.into_response()),
    };
    let invited = roster_app::invitations::invite(&state.app, &access, &one.into(), &meta).await?;
    Ok((StatusCode::CREATED, Json(InvitationItem::from(invited))).into_response())
}

/// Invitations in each state.
#[derive(Serialize, ToSchema)]
pub struct InvitationCounts {
    /// Waiting to be accepted.
    pub pending: u64,
    /// Pending past their expiry.
    pub expired: u64,
    /// Accepted.
    pub accepted: u64,
    /// Canceled.
    pub canceled: u64,
}

/// A page of invitations, newest first.
#[derive(Serialize, ToSchema)]
pub struct InvitationList {
    /// The rows.
    pub items: Vec<InvitationItem>,
    /// Invitations in each state (whatever the `status` filter).
    pub counts: InvitationCounts,
    /// True when a count stopped at 10,000 (it is then a lower bound).
    pub counts_capped: bool,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Query parameters of the list (documentation of what [`query::invitations_list`] reads).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListInvitationsParams {
    /// Only invitations in this state: pending, expired, accepted or canceled.
    #[param(inline)]
    status: Option<InvitationState>,
    /// Rows per page, 10–200 (default 25).
    #[param(minimum = 10, maximum = 200)]
    per_page: Option<u32>,
    /// A next_cursor from an earlier answer.
    cursor: Option<String>,
}

/// Lists the organization's invitations, newest first. Needs `invitations:read`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/invitations", tag = "invitations",
    params(ListInvitationsParams),
    responses((status = 200, body = InvitationList)))]
pub async fn list(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<InvitationList>> {
    let req = query::invitations_list(raw.as_deref(), Strictness::Strict)?;
    let l = roster_app::invitations::list(&state.app, &access, &req).await?;
    let count = |s: InvitationState| l.counts.iter().find(|(k, _)| *k == s).map_or(0, |(_, n)| *n);
    Ok(Json(InvitationList {
        counts: InvitationCounts {
            pending: count(InvitationState::Pending),
            expired: count(InvitationState::Expired),
            accepted: count(InvitationState::Accepted),
            canceled: count(InvitationState::Canceled),
        },
        counts_capped: l.counts_capped,
        next_cursor: l.next_cursor,
        items: l.items.into_iter().map(Into::into).collect(),
    }))
}

/// Sends an invitation again, pending or expired: a new link (the old one
/// stops working) and a new expiry. Needs `invitations:update`; 409
/// `invitation-closed` once it was accepted or canceled.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/invitations/{id}/resend", tag = "invitations",
    params(InvitationPath),
    responses((status = 200, body = InvitationItem), (status = 409, body = Problem)))]
pub async fn resend(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<InvitationItem>> {
    Ok(Json(roster_app::invitations::resend(&state.app, &access, query::id(&id, "invitation")?, &meta).await?.into()))
}

/// Cancels an invitation that was not accepted: its link stops working and
/// the invited member leaves the Users list (the invitation stays listed,
/// `canceled`). Needs `invitations:delete`; 409 `invitation-closed` once it
/// was accepted or canceled.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/invitations/{id}", tag = "invitations",
    params(InvitationPath),
    responses((status = 200, body = InvitationItem), (status = 409, body = Problem)))]
pub async fn cancel(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<InvitationItem>> {
    Ok(Json(roster_app::invitations::cancel(&state.app, &access, query::id(&id, "invitation")?, &meta).await?.into()))
}

/// What a bulk request does.
#[derive(Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BulkInvitationAction {
    /// Sends each one again.
    Resend,
    /// Cancels each one.
    Cancel,
}

/// A bulk resend or cancel.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"action": "resend", "status": "expired", "dry_run": true}))]
pub struct BulkInvitations {
    /// `resend` or `cancel`.
    pub action: BulkInvitationAction,
    /// Which invitations: `pending` or `expired`; absent: both.
    #[serde(default)]
    pub status: Option<InvitationState>,
    /// Only count what would change.
    #[serde(default)]
    pub dry_run: bool,
}

/// What a bulk resend or cancel did (or would do).
#[derive(Serialize, ToSchema)]
pub struct BulkInvitationsResult {
    /// Invitations changed.
    pub changed: u64,
    /// Matching invitations left alone: the invitee holds permissions you lack, or is no longer invited.
    pub skipped: u64,
    /// Whether this was only a count.
    pub dry_run: bool,
}

/// Sends again, or cancels, every pending and/or expired invitation, each
/// audited. Needs `invitations:update` (resend) or `invitations:delete` (cancel).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/invitations/bulk", tag = "invitations", request_body = BulkInvitations,
    responses((status = 200, body = BulkInvitationsResult)))]
pub async fn bulk(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<BulkInvitations>,
) -> ApiResult<Json<BulkInvitationsResult>> {
    let action = match body.action {
        BulkInvitationAction::Resend => InvitationAction::Resend,
        BulkInvitationAction::Cancel => InvitationAction::Cancel,
    };
    let o = if body.dry_run {
        roster_app::invitations::preview_bulk(&state.app, &access, action, body.status).await?
    } else {
        roster_app::invitations::bulk(&state.app, &access, action, body.status, &meta).await?
    };
    Ok(Json(BulkInvitationsResult { changed: o.changed, skipped: o.skipped, dry_run: body.dry_run }))
}

/// Accepting an invitation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "0192…", "name": "Ann Lee", "password": "a long passphrase of words"}))]
pub struct AcceptRequest {
    /// The token of the emailed link (`/invite/{token}`).
    pub token: String,
    /// A new account's name (default: the invited name); ignored for an existing account.
    #[serde(default)]
    pub name: Option<String>,
    /// A new account's password to choose, or an existing account's password (not needed when
    /// signed in as that account).
    #[serde(default)]
    pub password: Option<String>,
}

/// An accepted invitation.
#[derive(Serialize, ToSchema)]
pub struct AcceptResult {
    /// The organization joined (an active member now).
    pub organization: MeOrg,
    /// Who is signed in.
    pub user: MeUser,
    /// Send as `X-CSRF-Token` on every state-changing request of this session.
    pub csrf_token: String,
}

/// Accepts an invitation with its link's token; no session is needed. A new
/// account chooses its name and password (which confirms the email); an
/// existing account gives its password, or is signed in already. Answers
/// with the session cookie set. A token that is unknown, used, expired or
/// canceled answers 400 `invalid-token`, whichever it is.
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "invitations", request_body = AcceptRequest,
    responses((status = 200, body = AcceptResult, description = "Accepted; the session cookie is set"),
              (status = 429, body = Problem)))]
pub async fn accept(
    State(state): State<AppState>,
    Meta(meta): Meta,
    headers: HeaderMap,
    ApiJson(body): ApiJson<AcceptRequest>,
) -> ApiResult<Response> {
    let signed_in = optional_session(&headers, &state).await;
    let input = AcceptInput { token: body.token, name: body.name, password: body.password };
    let accepted =
        roster_app::invitations::accept(&state.app, &input, signed_in.as_ref().map(|(p, _)| p), &meta).await?;
    let p = &accepted.principal;
    let o = &accepted.org;
    let token = match (&accepted.session, &signed_in) {
        (Some(s), _) => s.token.clone(),
        (None, Some((_, t))) => t.clone(),
        (None, None) => String::new(),
    };
    let result = AcceptResult {
        organization: MeOrg {
            id: o.id.0,
            slug: o.slug.clone(),
            name: o.name.clone(),
            is_owner: o.owner_id == Some(p.user_id),
        },
        user: MeUser { id: p.user_id.0, email: p.email.clone(), name: p.name.clone() },
        csrf_token: roster_app::tokens::csrf_for_session(&token),
    };
    Ok(match accepted.session {
        Some(s) => {
            let max_age = (s.expires_at.0 - state.app.clock.now().0) / 1000;
            ([(header::SET_COOKIE, session_cookie(&s.token, state.secure_cookies, max_age))], Json(result))
                .into_response()
        }
        None => Json(result).into_response(),
    })
}
