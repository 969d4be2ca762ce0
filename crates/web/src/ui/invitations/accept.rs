//! The public page of an invitation link: a new account chooses its name
//! and password, an existing one signs in (or is signed in) to accept.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use roster_app::AppError;
use roster_app::invitations::AcceptInput;
use serde::Deserialize;

use crate::AppState;
use crate::extract::{Meta, SESSION_COOKIE, cookie, optional_session, session_cookie};
use crate::format;
use crate::ui::{FormErrors, error_page, redirect_with_flash, render};

#[derive(Template)]
#[template(path = "accept.html")]
struct AcceptPage {
    token: String,
    org_name: String,
    email: String,
    invited_by: String,
    roles: Vec<String>,
    expires: String,
    /// `new` (choose a name and password), `signed-in` (one button) or `sign-in`.
    mode: &'static str,
    name: String,
    csrf: Option<String>,
    min_password: usize,
    name_error: Option<String>,
    password_error: Option<String>,
    error: Option<String>,
}

/// The CSRF token for a form posted with whatever session cookie the
/// browser holds (a post that carries a cookie must carry its token).
fn csrf_of(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE).map(roster_app::tokens::csrf_for_session)
}

async fn accept_view(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
    status: StatusCode,
    name: Option<String>,
    errors: FormErrors,
) -> Response {
    let viewer = optional_session(headers, state).await;
    let preview = match roster_app::invitations::preview(&state.app, token, viewer.as_ref().map(|(p, _)| p)).await {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    let mode = match (preview.has_account, preview.signed_in_as_invitee) {
        (false, _) => "new",
        (true, true) => "signed-in",
        (true, false) => "sign-in",
    };
    render(
        status,
        &AcceptPage {
            token: token.to_string(),
            org_name: preview.org_name,
            name: name.unwrap_or(preview.name),
            email: preview.email,
            invited_by: preview.invited_by,
            roles: preview.roles,
            expires: format::date(preview.expires_at),
            mode,
            csrf: csrf_of(headers),
            min_password: roster_app::passwords::PASSWORD_MIN,
            name_error: errors.field("name"),
            password_error: errors.field("password"),
            error: errors.form,
        },
    )
}

/// The page of an invitation link: choose a name and password (a new
/// account), accept with one button (signed in as the invitee), or sign in
/// to accept (an existing account). A bad, used, expired or canceled link
/// gets one plain page that says so and nothing else.
pub async fn accept_page(State(state): State<AppState>, headers: HeaderMap, Path(token): Path<String>) -> Response {
    accept_view(&state, &headers, &token, StatusCode::OK, None, FormErrors::default()).await
}

#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// Accepts the invitation and lands the invitee, signed in, in the organization.
pub async fn accept_submit(
    State(state): State<AppState>,
    Meta(meta): Meta,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<AcceptForm>,
) -> Response {
    let viewer = optional_session(&headers, &state).await;
    let input = AcceptInput { token: token.clone(), name: f.name.clone(), password: f.password.clone() };
    match roster_app::invitations::accept(&state.app, &input, viewer.as_ref().map(|(p, _)| p), &meta).await {
        Ok(accepted) => {
            let to = crate::ui::paths::OrgLinks::new(&accepted.org.slug).users();
            let mut res = redirect_with_flash(&to, "ok", &format!("Welcome to {}.", accepted.org.name));
            if let Some(s) = accepted.session {
                let max_age = (s.expires_at.0 - state.app.clock.now().0) / 1000;
                if let Ok(v) = session_cookie(&s.token, state.secure_cookies, max_age).parse() {
                    res.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            res
        }
        Err(AppError::Validation(v)) => {
            let errors = FormErrors::from_refusal(AppError::Validation(v), &["name", "password"]).unwrap_or_default();
            accept_view(&state, &headers, &token, StatusCode::UNPROCESSABLE_ENTITY, f.name, errors).await
        }
        Err(AppError::InvalidCredentials) => {
            let errors = FormErrors::form("The password is wrong.");
            accept_view(&state, &headers, &token, StatusCode::UNAUTHORIZED, None, errors).await
        }
        Err(AppError::Unauthenticated) => {
            let errors = FormErrors::form("Sign in with your password to accept.");
            accept_view(&state, &headers, &token, StatusCode::UNAUTHORIZED, None, errors).await
        }
        Err(e @ AppError::TooManyAttempts { retry_after_s }) => {
            let errors = FormErrors::form(crate::error::problem_for(&e).detail);
            let page = accept_view(&state, &headers, &token, StatusCode::TOO_MANY_REQUESTS, None, errors).await;
            ([(header::RETRY_AFTER, retry_after_s.to_string())], page).into_response()
        }
        Err(e) => error_page(&e),
    }
}
