//! `/api/v1/me/sessions`: the signed-in user's own sessions ("My
//! Sessions"): the active ones with the current one marked, the recent
//! history, logging one out, and logging out everywhere else.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use roster_app::sessions::{Ended, EndedBy, Person, SessionView};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Authenticated, Meta, clear_session_cookie};
use crate::format::rfc3339;
use crate::query;

/// The `{id}` of a session's path.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SessionPath {
    /// The session's id (the `id` of an item of `GET /api/v1/me/sessions`).
    #[param(example = "01920000-0000-7000-8000-00000000beef")]
    pub id: Uuid,
}

/// An active session of the signed-in user.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "01920000-0000-7000-8000-00000000beef", "short_id": "0000beef",
    "device": "Chrome 120 on Linux", "ip": "192.0.2.10", "location": null,
    "created_at": "2026-01-05T09:00:00Z", "last_active_at": "2026-01-05T09:20:00Z",
    "expires_at": "2026-01-05T09:50:00Z", "current": true}))]
pub struct SessionItem {
    /// The session's id (for `DELETE /api/v1/me/sessions/{id}`).
    pub id: Uuid,
    /// A short identifier to tell sessions apart (not a secret; never part of the token).
    pub short_id: String,
    /// Browser and operating system, read from the User-Agent it signed in with.
    pub device: String,
    /// The address it signed in from.
    pub ip: Option<String>,
    /// Where that address was at sign-in ("Berlin, Germany"); null without
    /// a GeoIP database or for an address it does not know (private ones).
    pub location: Option<String>,
    /// When it signed in (RFC 3339).
    pub created_at: String,
    /// When a request last used it (RFC 3339; written at most once a minute).
    pub last_active_at: String,
    /// When it ends unless used or ended before: the earlier of the idle and the absolute expiry (RFC 3339).
    pub expires_at: String,
    /// Whether this is the session making the request.
    pub current: bool,
}

impl From<SessionView> for SessionItem {
    fn from(s: SessionView) -> Self {
        Self {
            id: s.id.0,
            short_id: s.short_id,
            device: s.device,
            ip: s.ip,
            location: s.location,
            created_at: rfc3339(s.created_at),
            last_active_at: rfc3339(s.last_active_at),
            expires_at: rfc3339(s.expires_at),
            current: s.is_current,
        }
    }
}

/// The signed-in user's active sessions.
#[derive(Serialize, ToSchema)]
pub struct SessionList {
    /// Newest first.
    pub items: Vec<SessionItem>,
}

/// An ended session of the signed-in user.
#[derive(Serialize, ToSchema)]
pub struct EndedSessionItem {
    /// The session's id.
    pub id: Uuid,
    /// Its short identifier.
    pub short_id: String,
    /// Browser and operating system, read from the User-Agent it signed in with.
    pub device: String,
    /// The address it signed in from.
    pub ip: Option<String>,
    /// Where that address was at sign-in; null without a GeoIP database or
    /// for an address it does not know.
    pub location: Option<String>,
    /// When it signed in (RFC 3339).
    pub created_at: String,
    /// When a request last used it (RFC 3339).
    pub last_active_at: String,
    /// When it ended (RFC 3339).
    pub ended_at: String,
    /// How it ended: `logout` (signed out), `revoked` (logged out from
    /// another session or by an administrator), `idle_expiry`,
    /// `absolute_expiry`, `member_disabled`, `member_archived`, `password_changed`.
    pub end_reason: String,
    /// Who logged it out (`revoked`): you from another session (no
    /// organization), or an organization's administrator; null otherwise.
    pub ended_by: Option<EndedByItem>,
    /// How it ended, in words ("Revoked by Ann Smith (Acme)").
    pub ended_how: String,
}

/// A user named in a session's record.
#[derive(Serialize, ToSchema)]
pub struct SessionPerson {
    /// Their user id.
    pub id: Uuid,
    /// Their email.
    pub email: String,
    /// Their name.
    pub name: String,
}

impl From<Person> for SessionPerson {
    fn from(p: Person) -> Self {
        Self { id: p.id.0, email: p.email, name: p.name }
    }
}

/// An organization named in a session's record.
#[derive(Serialize, ToSchema)]
pub struct SessionOrg {
    /// Its id.
    pub id: Uuid,
    /// Its slug.
    pub slug: String,
    /// Its name.
    pub name: String,
}

/// Who logged a session out.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"user": {"id": "01920000-0000-7000-8000-000000000001", "email": "ann@acme.test",
    "name": "Ann Smith"}, "organization": {"id": "01920000-0000-7000-8000-000000000002", "slug": "acme", "name": "Acme"}}))]
pub struct EndedByItem {
    /// The user who did it.
    pub user: Option<SessionPerson>,
    /// The organization from whose Active Sessions they did it; null when
    /// the session's user did it from their own My Sessions.
    pub organization: Option<SessionOrg>,
}

impl From<EndedBy> for EndedByItem {
    fn from(e: EndedBy) -> Self {
        Self {
            user: e.user.map(Into::into),
            organization: e.org.map(|o| SessionOrg { id: o.id.0, slug: o.slug, name: o.name }),
        }
    }
}

/// The signed-in user's recently ended sessions.
#[derive(Serialize, ToSchema)]
pub struct EndedSessionList {
    /// The latest ended first; at most 20.
    pub items: Vec<EndedSessionItem>,
}

/// How many sessions "log out everywhere else" ended.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"ended": 2}))]
pub struct OthersEnded {
    /// The number of other sessions that ended (0 when there were none).
    pub ended: usize,
}

/// The signed-in user's active sessions, newest first.
///
/// Any signed-in user, about their own sessions; the one making the
/// request has `current: true`.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "sessions", responses((status = 200, body = SessionList)))]
pub async fn list_my_sessions(State(state): State<AppState>, user: Authenticated) -> ApiResult<Json<SessionList>> {
    let items = roster_app::sessions::list_mine(&state.app, &user.principal).await?;
    Ok(Json(SessionList { items: items.into_iter().map(Into::into).collect() }))
}

/// The signed-in user's recently ended sessions, with how each ended.
///
/// Any signed-in user, about their own sessions.
#[utoipa::path(get, path = "/api/v1/me/sessions/history", tag = "sessions",
    responses((status = 200, body = EndedSessionList)))]
pub async fn my_session_history(
    State(state): State<AppState>,
    user: Authenticated,
) -> ApiResult<Json<EndedSessionList>> {
    let items = roster_app::sessions::history_mine(&state.app, &user.principal).await?;
    let items = items
        .into_iter()
        .map(|s| EndedSessionItem {
            id: s.id.0,
            short_id: s.short_id,
            device: s.device,
            ip: s.ip,
            location: s.location,
            created_at: rfc3339(s.created_at),
            last_active_at: rfc3339(s.last_active_at),
            ended_at: s.ended_at.map(rfc3339).unwrap_or_default(),
            end_reason: s.end_reason.unwrap_or_default(),
            ended_by: s.ended_by.map(Into::into),
            ended_how: s.how.unwrap_or_default(),
        })
        .collect();
    Ok(Json(EndedSessionList { items }))
}

/// Logs out one of the signed-in user's own sessions.
///
/// Any signed-in user, for their own sessions only: another user's
/// session, an ended or an unknown one answers 404. Logging out the
/// current session signs you out (its cookie is cleared). Audited as
/// `session.revoked` in each of your organizations.
#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", tag = "sessions", params(SessionPath),
    responses((status = 204, description = "The session is logged out")))]
pub async fn end_my_session(
    State(state): State<AppState>,
    user: Authenticated,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = query::id(&id, "session")?;
    match roster_app::sessions::end_mine(&state.app, &user.principal, id, &meta).await? {
        Ended::Other => Ok(StatusCode::NO_CONTENT.into_response()),
        Ended::Current => {
            Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear_session_cookie(state.secure_cookies))])
                .into_response())
        }
    }
}

/// Logs out every other session of the signed-in user ("Log out everywhere else").
///
/// Any signed-in user. The session making the request stays signed in.
/// Audited as one `session.revoked` in each of your organizations when any
/// session ended.
#[utoipa::path(post, path = "/api/v1/me/sessions/revoke-others", tag = "sessions",
    responses((status = 200, body = OthersEnded)))]
pub async fn revoke_other_sessions(
    State(state): State<AppState>,
    user: Authenticated,
    Meta(meta): Meta,
) -> ApiResult<Json<OthersEnded>> {
    let ended = roster_app::sessions::end_others(&state.app, &user.principal, &meta).await?;
    Ok(Json(OthersEnded { ended }))
}
