//! Sign-in, sign-out and the signed-in principal.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, Authenticated, Meta, clear_session_cookie, session_cookie};

/// Credentials.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "owner@acme.test", "password": "roster-demo-password"}))]
pub struct LoginRequest {
    /// The account's email.
    pub email: String,
    /// The account's password.
    pub password: String,
}

/// A user as `/me` shows them.
#[derive(Serialize, ToSchema)]
pub struct MeUser {
    /// User id.
    pub id: Uuid,
    /// Email.
    pub email: String,
    /// Display name.
    pub name: String,
}

/// An organization the user is an active member of.
#[derive(Serialize, ToSchema)]
pub struct MeOrg {
    /// Organization id.
    pub id: Uuid,
    /// Its slug (usable wherever `{org}` appears).
    pub slug: String,
    /// Its name.
    pub name: String,
    /// Whether the user owns it.
    pub is_owner: bool,
}

/// The signed-in principal.
#[derive(Serialize, ToSchema)]
pub struct Me {
    /// Who is signed in.
    pub user: MeUser,
    /// Where they are an active member.
    pub organizations: Vec<MeOrg>,
    /// Send as `X-CSRF-Token` on every state-changing request.
    pub csrf_token: String,
}

/// Signs in with email and password; sets the HTTP-only session cookie.
/// A wrong email and a wrong password give the same answer. An account
/// locked after 100 failed sign-ins in a row answers 403 `account-locked`
/// whatever the password, until its password is reset or an administrator
/// unlocks it.
///
/// Too many attempts for one account or from one address answer 429 with
/// `Retry-After` (seconds) until the window ends. When more sign-ins arrive
/// at once than the password hashing pool admits, the excess answers 429
/// (`/problems/busy`) with `Retry-After: 1` at once, and is not counted as
/// an attempt.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = Me, description = "Signed in; the session cookie is set"),
              (status = 429, body = Problem)))]
pub async fn login(
    State(state): State<AppState>,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let (principal, session) = roster_app::auth::login(&state.app, &body.email, &body.password, &meta).await?;
    let me = me_for(&state, &principal, &session.token).await?;
    let max_age = (session.expires_at.0 - state.app.clock.now().0) / 1000;
    Ok(([(header::SET_COOKIE, session_cookie(&session.token, state.secure_cookies, max_age))], Json(me))
        .into_response())
}

/// An address to send a reset link to.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "member@acme.test"}))]
pub struct PasswordResetRequest {
    /// The account's email.
    pub email: String,
}

/// The answer to a reset request, the same for every address.
#[derive(Serialize, ToSchema)]
pub struct PasswordResetAccepted {
    /// What happens next.
    pub detail: String,
}

/// A new password, with the token of the emailed link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "the token of the emailed link", "password": "a long passphrase of my own"}))]
pub struct PasswordResetConfirm {
    /// The token: the `token` parameter of the emailed link.
    pub token: String,
    /// The new password: 15 to 128 characters, not common or easily guessed.
    pub password: String,
}

/// "Forgot password?": mails a link to choose a new password to the
/// address, if it has an account. Always answers 202 with the same body,
/// at once, for known and unknown addresses alike (the account is looked up
/// after the answer), so the answer tells nothing about who has an account.
/// Too many requests from one client answer 429 with `Retry-After`; more
/// than a few for one address in a quarter of an hour are ignored, silently.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth", request_body = PasswordResetRequest,
    responses((status = 202, body = PasswordResetAccepted), (status = 429, body = Problem)))]
pub async fn request_password_reset(
    State(state): State<AppState>,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<PasswordResetRequest>,
) -> ApiResult<(StatusCode, Json<PasswordResetAccepted>)> {
    roster_app::password_reset::request(&state.app, &body.email, &meta).await?;
    Ok((StatusCode::ACCEPTED, Json(PasswordResetAccepted { detail: roster_app::password_reset::ANSWER.into() })))
}

/// Sets a new password with the token of a reset (or set-password) link.
/// The link then stops working, every session of the account ends, and a
/// locked account is unlocked. A token that is unknown, used or expired
/// answers 400 `invalid-token`, whichever it is; a password the rule refuses
/// answers 422 saying why.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "auth", request_body = PasswordResetConfirm,
    responses((status = 204, description = "The password is set; sign in with it"), (status = 429, body = Problem)))]
pub async fn confirm_password_reset(
    State(state): State<AppState>,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<PasswordResetConfirm>,
) -> ApiResult<StatusCode> {
    roster_app::passwords::set_password_with_token(&state.app, &body.token, &body.password, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Signing up for an account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ann@example.test", "name": "Ann Lee", "password": "a long passphrase of my own"}))]
pub struct SignupRequest {
    /// The email address (the sign-in name); a link to confirm it is mailed there.
    pub email: String,
    /// The name to go by.
    pub name: String,
    /// The password to choose: 15 to 128 characters, not common or easily guessed.
    pub password: String,
}

/// The answer to a sign-up, the same for every address.
#[derive(Serialize, ToSchema)]
pub struct SignupAccepted {
    /// What happens next.
    pub message: String,
}

/// A sign-up's confirmation: the token of the emailed link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "the token of the emailed link"}))]
pub struct SignupConfirm {
    /// The `token` parameter of the emailed link (`/signup/confirm?token=…`).
    pub token: String,
}

/// Signs up: mails a link to confirm the address; the account is made when
/// it is followed (`POST /api/v1/auth/signup/confirm`). Answers 202 with the
/// same body, at once, for every valid request, whether or not the address
/// has an account (one that has gets a letter saying so instead of a link).
/// Bad fields answer 422 naming each (the password follows the same rule as
/// everywhere); too many sign-ups from one client, 429 with `Retry-After`;
/// sign-up turned off on this deployment, 403. No session needed.
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "auth", request_body = SignupRequest,
    responses((status = 202, body = SignupAccepted), (status = 429, body = Problem)))]
pub async fn signup(
    State(state): State<AppState>,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<SignupRequest>,
) -> ApiResult<(StatusCode, Json<SignupAccepted>)> {
    let input = roster_app::signup::SignupInput { email: body.email, name: body.name, password: body.password };
    roster_app::signup::request(&state.app, &input, &meta).await?;
    Ok((StatusCode::ACCEPTED, Json(SignupAccepted { message: roster_app::signup::ANSWER.into() })))
}

/// Confirms a sign-up with the token of its emailed link: makes the account
/// (its email confirmed) and signs it in, answering like
/// `POST /api/v1/auth/login` with the session cookie set. The link works
/// once; a token that is unknown, used or expired answers 400
/// `invalid-token`, whichever it is.
#[utoipa::path(post, path = "/api/v1/auth/signup/confirm", tag = "auth", request_body = SignupConfirm,
    responses((status = 200, body = Me, description = "The account is made and signed in; the session cookie is set")))]
pub async fn confirm_signup(
    State(state): State<AppState>,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<SignupConfirm>,
) -> ApiResult<Response> {
    let (principal, session) = roster_app::signup::confirm(&state.app, &body.token, &meta).await?;
    let me = me_for(&state, &principal, &session.token).await?;
    let max_age = (session.expires_at.0 - state.app.clock.now().0) / 1000;
    Ok(([(header::SET_COOKIE, session_cookie(&session.token, state.secure_cookies, max_age))], Json(me))
        .into_response())
}

/// Ends the current session and clears its cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out")))]
pub async fn logout(State(state): State<AppState>, user: Authenticated) -> ApiResult<Response> {
    roster_app::auth::logout(&state.app, &user.principal).await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear_session_cookie(state.secure_cookies))]).into_response())
}

/// The signed-in user, their organizations, and the CSRF token.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = Me)))]
pub async fn me(State(state): State<AppState>, headers: axum::http::HeaderMap) -> ApiResult<Json<Me>> {
    // The session and the organizations come from one query, so this does
    // not take the `Authenticated` extractor (which would read the session again).
    let token = crate::extract::cookie(&headers, crate::extract::SESSION_COOKIE)
        .ok_or(roster_app::AppError::Unauthenticated)?;
    let (p, orgs) = roster_app::auth::authenticate_with_orgs(&state.app, token).await?;
    Ok(Json(me_from(&p, orgs, token)))
}

fn me_from(p: &roster_app::Principal, orgs: Vec<roster_app::orgs::Membership>, token: &str) -> Me {
    Me {
        user: MeUser { id: p.user_id.0, email: p.email.clone(), name: p.name.clone() },
        organizations: orgs
            .into_iter()
            .map(|m| MeOrg { id: m.org.id.0, slug: m.org.slug, name: m.org.name, is_owner: m.is_owner })
            .collect(),
        csrf_token: roster_app::tokens::csrf_for_session(token),
    }
}

async fn me_for(state: &AppState, p: &roster_app::Principal, token: &str) -> ApiResult<Me> {
    let orgs = roster_app::orgs::active_memberships(&state.app, p.user_id).await?;
    Ok(me_from(p, orgs, token))
}
