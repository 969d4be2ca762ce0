//! Sign-in, sign-out and set-password pages.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use roster_app::AppError;
use serde::Deserialize;

use super::{error_page, message_page, render, safe_path};
use crate::AppState;
use crate::extract::{Meta, UiUser, clear_session_cookie, session_cookie};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    email: String,
    next: String,
    error: Option<String>,
    /// "Create an account", when sign-up is open.
    signup_href: Option<String>,
}

impl LoginPage {
    fn new(state: &AppState, email: String, next: String, error: Option<String>) -> Self {
        let signup_href = roster_app::signup::enabled(&state.app).then(|| super::paths::signup(&next));
        Self { email, next, error, signup_href }
    }
}

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// The sign-in form (with "Create an account" when sign-up is open).
pub async fn login_page(State(state): State<AppState>, Query(q): Query<NextQuery>) -> Response {
    render(StatusCode::OK, &LoginPage::new(&state, String::new(), safe_path(&q.next, "/"), None))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// Signs in and goes where the user was headed.
pub async fn login_submit(State(state): State<AppState>, Meta(meta): Meta, Form(f): Form<LoginForm>) -> Response {
    let next = safe_path(&f.next, "/");
    match roster_app::auth::login(&state.app, &f.email, &f.password, &meta).await {
        Ok((_, session)) => {
            let max_age = (session.expires_at.0 - state.app.clock.now().0) / 1000;
            ([(header::SET_COOKIE, session_cookie(&session.token, state.secure_cookies, max_age))], Redirect::to(&next))
                .into_response()
        }
        Err(AppError::InvalidCredentials) => render(
            StatusCode::UNAUTHORIZED,
            &LoginPage::new(&state, f.email, next, Some("The email or password is wrong.".into())),
        ),
        Err(e @ AppError::AccountLocked) => render(
            StatusCode::FORBIDDEN,
            &LoginPage::new(&state, f.email, next, Some(crate::error::problem_for(&e).detail)),
        ),
        Err(e @ (AppError::TooManyAttempts { .. } | AppError::Busy { .. })) => crate::error::with_retry_after(
            &e,
            render(
                StatusCode::TOO_MANY_REQUESTS,
                &LoginPage::new(&state, f.email, next, Some(crate::error::problem_for(&e).detail)),
            ),
        ),
        Err(e) => error_page(&e),
    }
}

#[derive(Template)]
#[template(path = "forgot_password.html")]
struct ForgotPage {
    email: String,
    error: Option<String>,
}

/// "Forgot password?": the form asking for a reset link.
pub async fn forgot_page() -> Response {
    render(StatusCode::OK, &ForgotPage { email: String::new(), error: None })
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// Asks for a reset link. The answer is the same for every address (the
/// account is looked up after it); only a client asking too often is told
/// to wait, with the address kept in the form.
pub async fn forgot_submit(State(state): State<AppState>, Meta(meta): Meta, Form(f): Form<ForgotForm>) -> Response {
    match roster_app::password_reset::request(&state.app, &f.email, &meta).await {
        Ok(()) => message_page(StatusCode::OK, "Check your email", roster_app::password_reset::ANSWER),
        Err(e @ AppError::TooManyAttempts { .. }) => crate::error::with_retry_after(
            &e,
            render(
                StatusCode::TOO_MANY_REQUESTS,
                &ForgotPage {
                    email: f.email,
                    error: Some(format!(
                        "Too many reset links were asked for from here. Try again in {} minutes.",
                        (e.retry_after_s().unwrap_or(60) + 59) / 60
                    )),
                },
            ),
        ),
        Err(e) => error_page(&e),
    }
}

/// Signs out and returns to the sign-in page.
pub async fn logout(State(state): State<AppState>, user: UiUser) -> Response {
    if let Err(e) = roster_app::auth::logout(&state.app, &user.principal).await {
        return error_page(&e);
    }
    ([(header::SET_COOKIE, clear_session_cookie(state.secure_cookies))], Redirect::to(super::paths::LOGIN))
        .into_response()
}

#[derive(Template)]
#[template(path = "set_password.html")]
struct SetPasswordPage {
    token: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The set-password form of a one-time link.
pub async fn set_password_page(Query(q): Query<TokenQuery>) -> Response {
    render(StatusCode::OK, &SetPasswordPage { token: q.token, error: None })
}

#[derive(Deserialize)]
pub struct SetPasswordForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

/// Sets the password, then sends the user to sign in.
pub async fn set_password_submit(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Form(f): Form<SetPasswordForm>,
) -> Response {
    match roster_app::passwords::set_password_with_token(&state.app, &f.token, &f.password, &meta).await {
        Ok(_) => message_page(StatusCode::OK, "Password set", "Your password is set. You can now sign in."),
        Err(AppError::Validation(v)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SetPasswordPage { token: f.token, error: Some(format!("The password {}.", v.errors[0].message)) },
        ),
        Err(e) => error_page(&e),
    }
}
