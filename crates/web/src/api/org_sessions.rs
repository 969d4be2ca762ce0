//! `/api/v1/orgs/{org}/sessions`: an organization's sessions for its
//! administrators — the live sessions of its active members (Active
//! Sessions), their ended sessions (Session History), logging one out, and
//! logging out all of a member's (`…/users/{id}/sessions/revoke`).

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use roster_app::org_sessions::{OrgSessionView, SessionPage};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::sessions::{EndedByItem, SessionPath, SessionPerson};
use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Meta, OrgApi, clear_session_cookie};
use crate::format::rfc3339;
use crate::query::{self, Strictness};

/// A live session of one of the organization's active members.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "01920000-0000-7000-8000-00000000beef", "short_id": "0000beef",
    "user": {"id": "01920000-0000-7000-8000-000000000001", "email": "ann@acme.test", "name": "Ann Lee"},
    "device": "Chrome 120 on Linux", "ip": "203.0.113.7", "location": "Berlin, Germany", "status": "active",
    "created_at": "2026-01-05T09:00:00Z", "last_active_at": "2026-01-05T09:20:00Z",
    "expires_at": "2026-01-05T09:50:00Z", "current": false}))]
pub struct OrgSessionItem {
    /// The session's id (for `DELETE /api/v1/orgs/{org}/sessions/{id}`).
    pub id: Uuid,
    /// The short identifier people see (the id's last 8 hex digits; never part of the token).
    pub short_id: String,
    /// Whose session it is.
    pub user: SessionPerson,
    /// Browser and operating system, read from the User-Agent it signed in with.
    pub device: String,
    /// The address it signed in from.
    pub ip: Option<String>,
    /// Where that address was at sign-in ("Berlin, Germany"); null without
    /// a GeoIP database or for an address it does not know (private ones).
    pub location: Option<String>,
    /// `active` (a request used it within 5 minutes), `idle` (live, not used
    /// lately), or `ended` (history).
    #[schema(example = "active")]
    pub status: String,
    /// When it signed in (RFC 3339).
    pub created_at: String,
    /// When a request last used it (RFC 3339; written at most once a minute).
    pub last_active_at: String,
    /// When it ends unless used or ended before: the earlier of the idle and
    /// the absolute expiry (RFC 3339).
    pub expires_at: String,
    /// Whether this is the session making the request.
    pub current: bool,
}

fn item(v: OrgSessionView, status: &str) -> OrgSessionItem {
    let s = v.session;
    OrgSessionItem {
        id: s.id.0,
        short_id: s.short_id,
        user: v.user.into(),
        device: s.device,
        ip: s.ip,
        location: s.location,
        status: status.to_string(),
        created_at: rfc3339(s.created_at),
        last_active_at: rfc3339(s.last_active_at),
        expires_at: rfc3339(s.expires_at),
        current: s.is_current,
    }
}

/// A page of the organization's live sessions.
#[derive(Serialize, ToSchema)]
pub struct OrgSessionList {
    /// Newest sign-in first.
    pub items: Vec<OrgSessionItem>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// An ended session of one of the organization's members.
#[derive(Serialize, ToSchema)]
pub struct EndedOrgSessionItem {
    /// The session as the live list shows it (`status` is `ended`).
    #[serde(flatten)]
    pub session: OrgSessionItem,
    /// When it ended (RFC 3339).
    pub ended_at: String,
    /// How it ended: `logout`, `revoked`, `idle_expiry`, `absolute_expiry`,
    /// `member_disabled`, `member_archived`, `password_changed`.
    pub end_reason: String,
    /// Who logged it out (`revoked`): the member from another session, or an
    /// administrator of this organization; null otherwise, and when an
    /// administrator of another of the member's organizations did it.
    pub ended_by: Option<EndedByItem>,
    /// How it ended, in words ("Revoked by Ann Smith (Acme)").
    pub ended_how: String,
}

/// A page of the organization's ended sessions.
#[derive(Serialize, ToSchema)]
pub struct EndedOrgSessionList {
    /// The latest ended first.
    pub items: Vec<EndedOrgSessionItem>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// How many of a member's sessions were logged out.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"ended": 2}))]
pub struct SessionsEnded {
    /// The number of live sessions that ended (0 when there were none).
    pub ended: usize,
}

/// Query parameters of the Active Sessions list (documentation of what
/// [`query::org_sessions_list`] reads).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListOrgSessionsParams {
    /// A part of a member's name or email, or of the IP address (case-insensitive).
    q: Option<String>,
    /// Rows per page, 10–200 (default 50).
    #[param(minimum = 10, maximum = 200)]
    per_page: Option<u32>,
    /// A next_cursor from an earlier answer.
    cursor: Option<String>,
}

/// Query parameters of the Session History list (documentation of what
/// [`query::org_session_history`] reads).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct SessionHistoryParams {
    /// A member: their user id, or a part of their name or email.
    user: Option<String>,
    /// Only sessions that ended this way: logout, revoked, idle_expiry,
    /// absolute_expiry, member_disabled, member_archived, password_changed.
    reason: Option<String>,
    /// Only sessions that ended at or after this: a date (2026-01-31, UTC) or an RFC 3339 time.
    from: Option<String>,
    /// Only sessions that ended by this: a date (the whole day counts) or an RFC 3339 time.
    to: Option<String>,
    /// Rows per page, 10–200 (default 50).
    #[param(minimum = 10, maximum = 200)]
    per_page: Option<u32>,
    /// A next_cursor from an earlier answer.
    cursor: Option<String>,
}

/// The live sessions of the organization's active members, newest sign-in
/// first. Needs `sessions:read`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/sessions", tag = "org-sessions",
    params(ListOrgSessionsParams),
    responses((status = 200, body = OrgSessionList)))]
pub async fn list_org_sessions(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<OrgSessionList>> {
    let req = query::org_sessions_list(raw.as_deref(), Strictness::Strict)?;
    let SessionPage { items, next_cursor } = roster_app::org_sessions::list_active(&state.app, &access, &req).await?;
    let items = items
        .into_iter()
        .map(|v| {
            let status = v.status.as_str();
            item(v, status)
        })
        .collect();
    Ok(Json(OrgSessionList { items, next_cursor }))
}

/// The ended sessions of the organization's members (active, disabled or
/// archived), the latest ended first, with how each ended. Needs `sessions:read`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/sessions/history", tag = "org-sessions",
    params(SessionHistoryParams),
    responses((status = 200, body = EndedOrgSessionList)))]
pub async fn org_session_history(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<EndedOrgSessionList>> {
    let req = query::org_session_history(raw.as_deref(), Strictness::Strict)?;
    let SessionPage { items, next_cursor } = roster_app::org_sessions::list_history(&state.app, &access, &req).await?;
    let items = items
        .into_iter()
        .map(|mut v| {
            let ended_at = v.session.ended_at.map(rfc3339).unwrap_or_default();
            let end_reason = v.session.end_reason.take().unwrap_or_default();
            let ended_by = v.session.ended_by.take().map(Into::into);
            let ended_how = v.session.how.take().unwrap_or_default();
            EndedOrgSessionItem { session: item(v, "ended"), ended_at, end_reason, ended_by, ended_how }
        })
        .collect();
    Ok(Json(EndedOrgSessionList { items, next_cursor }))
}

/// Logs out one live session of an active member: it is refused from the
/// very next request. Needs `sessions:delete`; the member within your
/// reach (no one holding permissions you lack: 403 `escalation`; the
/// owner's sessions only by the owner: 409 `owner-protected`). An unknown,
/// ended or expired session, or another organization's, answers 404.
/// Recorded as revoked by you from this organization, and audited as
/// `session.revoked` here. Logging out your own current session signs you
/// out (its cookie is cleared).
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/sessions/{id}", tag = "org-sessions", params(SessionPath),
    responses((status = 204, description = "The session is logged out"), (status = 409, body = Problem)))]
pub async fn end_org_session(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let id = query::id(&id, "session")?;
    let ended = roster_app::org_sessions::end_session(&state.app, &access, id, &meta).await?;
    Ok(signed_out_if(ended.was_current, &state, StatusCode::NO_CONTENT.into_response()))
}

/// Logs out every live session of an active member ("Log out all
/// sessions"); answers how many ended. Needs `sessions:delete`, under the
/// same rules as logging out one; a member who is not active answers 409
/// (their sessions reach only their other organizations), someone who is
/// not a member 404. Audited as one `session.revoked` here when any ended.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/users/{id}/sessions/revoke", tag = "org-sessions",
    params(super::UserPath),
    responses((status = 200, body = SessionsEnded), (status = 409, body = Problem)))]
pub async fn revoke_member_sessions(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let user = query::id(&id, "member")?;
    let done = roster_app::org_sessions::end_member_sessions(&state.app, &access, user, &meta).await?;
    let answer = Json(SessionsEnded { ended: done.ended }).into_response();
    Ok(signed_out_if(done.was_current, &state, answer))
}

/// Clears the session cookie on an answer when the request's own session ended.
fn signed_out_if(current: bool, state: &AppState, mut res: Response) -> Response {
    if current && let Ok(v) = clear_session_cookie(state.secure_cookies).parse() {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}
