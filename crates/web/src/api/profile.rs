//! `/api/v1/me/email`: the signed-in user changes their own email address,
//! confirmed through a link mailed to the new address; and
//! `/api/v1/me/email/confirm`, the link's side (no session needed: the
//! token is the credential).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, Authenticated, Meta};
use crate::format::rfc3339;

/// Asking to change your email address.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ann.lee@example.com", "current_password": "correct horse battery"}))]
pub struct EmailChangeRequest {
    /// The new address (your sign-in name once confirmed).
    pub email: String,
    /// Your current password: changing the address of an account needs it again, even signed in.
    pub current_password: String,
}

/// A change of address waiting for its link to be followed.
#[derive(Serialize, ToSchema)]
pub struct PendingEmailChange {
    /// The address the account will have once the link mailed to it is followed.
    pub email: String,
    /// When the link stops working (RFC 3339).
    pub expires_at: String,
}

/// Asks to change the signed-in user's email address.
///
/// Any signed-in user, for their own account only; the current password
/// is required again. Mails a confirmation link to the new address and a
/// notice to the old one; nothing changes until the link is followed
/// (`POST /api/v1/me/email/confirm`), and an earlier pending request stops
/// working.
///
/// A malformed address, your current one, or a missing or wrong
/// `current_password` answer 422 naming the field. An address that
/// belongs to another account answers 409 `email-taken` (told only to a
/// signed-in user who just gave the password, a few times per quarter
/// hour). The password check counts like a sign-in: too many wrong ones
/// answer 429 `too-many-attempts`, a full hashing pool 429 `busy` (both
/// with `Retry-After`), and a locked account 403 `account-locked`; more
/// than five requests in a quarter hour also answer 429.
#[utoipa::path(post, path = "/api/v1/me/email", tag = "profile", request_body = EmailChangeRequest,
    responses((status = 202, body = PendingEmailChange, description = "The confirmation link is on its way to the new address"),
              (status = 409, body = Problem, description = "The address belongs to another account (`/problems/email-taken`)"),
              (status = 429, body = Problem)))]
pub async fn request_email_change(
    State(state): State<AppState>,
    user: Authenticated,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<EmailChangeRequest>,
) -> ApiResult<(StatusCode, Json<PendingEmailChange>)> {
    let pending = roster_app::profile::request_email_change(
        &state.app,
        &user.principal,
        &body.email,
        &body.current_password,
        &meta,
    )
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(PendingEmailChange { email: pending.new_email, expires_at: rfc3339(pending.expires_at) }),
    ))
}

/// Cancels the signed-in user's pending email change.
///
/// Any signed-in user, for their own account. The pending change's link
/// stops working; with none pending, nothing happens.
#[utoipa::path(delete, path = "/api/v1/me/email", tag = "profile",
    responses((status = 204, description = "No change is pending now")))]
pub async fn cancel_email_change(State(state): State<AppState>, user: Authenticated) -> ApiResult<StatusCode> {
    roster_app::profile::cancel_email_change(&state.app, &user.principal).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Following a confirmation link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}))]
pub struct EmailConfirmRequest {
    /// The token of the emailed link (`/confirm-email?token=…`).
    pub token: String,
}

/// A confirmed change of address.
#[derive(Serialize, ToSchema)]
pub struct EmailChanged {
    /// The account's address now: sign in with it from here on.
    pub email: String,
}

/// Confirms an email change with its link's token.
///
/// No session is needed: the token is the credential. The account's
/// address becomes the new one at once (sessions stay signed in), and
/// `user.email_changed` is audited in each of its organizations. A token that is unknown, used, expired or canceled
/// answers 400 `invalid-token`, whichever it is; an address another
/// account took meanwhile answers 409 `email-taken`.
#[utoipa::path(post, path = "/api/v1/me/email/confirm", tag = "profile", request_body = EmailConfirmRequest,
    responses((status = 200, body = EmailChanged),
              (status = 400, body = Problem, description = "The link is invalid, used, expired or canceled (`/problems/invalid-token`), or the request could not be read"),
              (status = 409, body = Problem, description = "Another account took the address meanwhile (`/problems/email-taken`)")))]
pub async fn confirm_email_change(
    State(state): State<AppState>,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<EmailConfirmRequest>,
) -> ApiResult<Json<EmailChanged>> {
    let changed = roster_app::profile::confirm_email_change(&state.app, &body.token, &meta).await?;
    Ok(Json(EmailChanged { email: changed.new_email }))
}
