//! `GET /api/v1/outbox`: the emails Roster wrote, newest first, with their
//! delivery status.

use axum::Json;
use axum::extract::{Query, State};
use roster_app::Actor;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::Authenticated;
use crate::format::rfc3339;

/// One message.
#[derive(Serialize, ToSchema)]
pub struct OutboxMessageBody {
    /// Its id.
    pub id: Uuid,
    /// The organization it belongs to (`null`: a message about a person, such as their own reset link).
    pub org_id: Option<Uuid>,
    /// What it is for.
    #[schema(example = "invitation")]
    pub kind: String,
    /// The recipient's address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// The plain-text body; a sensitive message's links are replaced by a notice (see `redacted`).
    pub text: String,
    /// Delivery status.
    #[schema(pattern = "^(queued|sending|sent|failed)$")]
    pub status: String,
    /// Delivery attempts made.
    pub attempts: i64,
    /// The last delivery error.
    pub last_error: Option<String>,
    /// When it was written (RFC 3339).
    pub created_at: String,
    /// When the SMTP server accepted it.
    pub sent_at: Option<String>,
    /// Whether its links were hidden from this viewer.
    pub redacted: bool,
}

/// A page of the outbox.
#[derive(Serialize, ToSchema)]
pub struct OutboxPageBody {
    /// Messages, newest first (at most 50).
    pub items: Vec<OutboxMessageBody>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Paging.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The outbox, newest first. A signed-in member sees the messages of the
/// organizations where they hold `invitations:read` (403 when there is
/// none), with a reset link sent by an administrator hidden (`redacted`).
#[utoipa::path(get, path = "/api/v1/outbox", tag = "outbox", params(OutboxQuery),
    responses((status = 200, body = OutboxPageBody)))]
pub async fn list_outbox(
    State(state): State<AppState>,
    user: Authenticated,
    Query(q): Query<OutboxQuery>,
) -> ApiResult<Json<OutboxPageBody>> {
    let before = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(roster_app::outbox::parse_cursor(c).ok_or_else(|| {
            ApiError::from(roster_app::AppError::Validation(roster_domain::ValidationError::field(
                "cursor",
                "is not a cursor this list gave out",
            )))
        })?),
    };
    let messages = roster_app::outbox::list(&state.app, &Actor::User(user.principal.clone()), before).await?;
    let next_cursor =
        (messages.len() as u64 == roster_app::outbox::PAGE).then(|| messages.last().map(|m| m.cursor())).flatten();
    let items = messages
        .into_iter()
        .map(|m| OutboxMessageBody {
            id: m.id,
            org_id: m.org_id,
            kind: m.kind,
            to: m.to,
            subject: m.subject,
            text: m.text,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            created_at: rfc3339(m.created_at),
            sent_at: m.sent_at.map(rfc3339),
            redacted: m.redacted,
        })
        .collect();
    Ok(Json(OutboxPageBody { items, next_cursor }))
}
