//! Sign-up pages: the form (`/signup`, email, name and password; the same
//! answer for every address), and the public page of the confirmation link
//! (`/signup/confirm?token=…`), which shows the address and a button on GET
//! (mail scanners open links, so following one makes nothing) and makes the
//! account and signs it in on POST.
//!
//! Where to go after confirming (`next`, say the join link that sent the
//! visitor to sign in) cannot ride in the mailed link, which the use case
//! writes; the form keeps it in a short-lived cookie of this browser, and the
//! confirmation goes there (checked by `safe_path`), or home.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use roster_app::AppError;
use roster_app::signup::SignupInput;
use serde::Deserialize;

use super::kit::FormErrors;
use super::{error_page, message_page, paths, redirect_with_flash, render, safe_path};
use crate::AppState;
use crate::extract::{Meta, SESSION_COOKIE, cookie, session_cookie};

/// The cookie that carries `next` from the sign-up form to the confirmation.
const NEXT_COOKIE: &str = "roster_signup_next";

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    email: String,
    name: String,
    next: String,
    csrf: Option<String>,
    min_password: usize,
    email_error: Option<String>,
    name_error: Option<String>,
    password_error: Option<String>,
    form_error: Option<String>,
    login_href: String,
}

/// The CSRF token for a form posted with whatever session cookie the
/// browser holds (a post that carries a cookie must carry its token).
fn csrf_of(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE).map(roster_app::tokens::csrf_for_session)
}

fn login_href(next: &str) -> String {
    if next == paths::HOME {
        paths::LOGIN.to_string()
    } else {
        format!("{}?{}", paths::LOGIN, serde_urlencoded::to_string([("next", next)]).unwrap_or_default())
    }
}

fn turned_off() -> Response {
    message_page(
        StatusCode::FORBIDDEN,
        "Sign-up is turned off",
        "This Roster does not take sign-ups. Ask an administrator of your organization to invite you.",
    )
}

fn signup_view(headers: &HeaderMap, email: String, name: String, next: String, errors: FormErrors) -> Response {
    render(
        errors.status,
        &SignupPage {
            email,
            name,
            login_href: login_href(&next),
            next,
            csrf: csrf_of(headers),
            min_password: roster_app::passwords::PASSWORD_MIN,
            email_error: errors.field("email"),
            name_error: errors.field("name"),
            password_error: errors.field("password"),
            form_error: errors.form,
        },
    )
}

/// The page's query.
#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// The sign-up form, or a notice when sign-up is turned off.
pub async fn signup_page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
    if !roster_app::signup::enabled(&state.app) {
        return turned_off();
    }
    let next = safe_path(&q.next, paths::HOME);
    signup_view(
        &headers,
        String::new(),
        String::new(),
        next,
        FormErrors { status: StatusCode::OK, ..Default::default() },
    )
}

/// The sign-up form's fields.
#[derive(Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// Signs up: the same "check your email" page for every valid input; the
/// form again as typed (but the password) with each error beside its field.
pub async fn signup_submit(
    State(state): State<AppState>,
    Meta(meta): Meta,
    headers: HeaderMap,
    Form(f): Form<SignupForm>,
) -> Response {
    let next = safe_path(&f.next, paths::HOME);
    let input = SignupInput { email: f.email.clone(), name: f.name.clone(), password: f.password };
    match roster_app::signup::request(&state.app, &input, &meta).await {
        Ok(()) => {
            let mut res = message_page(StatusCode::OK, "Check your email", roster_app::signup::ANSWER);
            let max_age = state.app.config.signup_link_ms / 1000;
            let v = serde_urlencoded::to_string([("n", next.as_str())]).unwrap_or_default().replace(';', "%3B");
            if let Ok(v) = format!("{NEXT_COOKIE}={v}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}").parse() {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(AppError::Forbidden(_)) => turned_off(),
        Err(e @ (AppError::TooManyAttempts { .. } | AppError::Busy { .. })) => {
            let errors = FormErrors {
                status: StatusCode::TOO_MANY_REQUESTS,
                ..FormErrors::form(crate::error::problem_for(&e).detail)
            };
            crate::error::with_retry_after(&e, signup_view(&headers, f.email, f.name, next, errors))
        }
        Err(e) => match FormErrors::from_refusal(e, &["email", "name", "password"]) {
            Ok(errors) => signup_view(&headers, f.email, f.name, next, errors),
            Err(e) => e.into_response(),
        },
    }
}

#[derive(Template)]
#[template(path = "signup_confirm.html")]
struct ConfirmPage {
    token: String,
    email: String,
    csrf: Option<String>,
    action: &'static str,
}

/// The confirmation link's query.
#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The page of a confirmation link: the address and one button. Following
/// the link makes nothing. A bad, used or expired link gets one plain page
/// that says so.
pub async fn confirm_page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<TokenQuery>) -> Response {
    match roster_app::signup::preview(&state.app, &q.token).await {
        Ok(email) => render(
            StatusCode::OK,
            &ConfirmPage { token: q.token, email, csrf: csrf_of(&headers), action: paths::SIGNUP_CONFIRM },
        ),
        Err(e) => error_page(&e),
    }
}

/// The confirmation's form.
#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    token: String,
}

/// Where the sign-up form said to go next, from its cookie.
fn next_of(headers: &HeaderMap) -> String {
    let saved = cookie(headers, NEXT_COOKIE)
        .and_then(|raw| serde_urlencoded::from_str::<Vec<(String, String)>>(raw).ok())
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "n").map(|(_, v)| v))
        .unwrap_or_default();
    safe_path(&saved, paths::HOME)
}

/// Makes the account and signs it in (the session cookie set as signing in
/// does), then goes where the visitor was headed.
pub async fn confirm_submit(
    State(state): State<AppState>,
    Meta(meta): Meta,
    headers: HeaderMap,
    Form(f): Form<ConfirmForm>,
) -> Response {
    match roster_app::signup::confirm(&state.app, &f.token, &meta).await {
        Ok((principal, session)) => {
            let next = next_of(&headers);
            let mut res = redirect_with_flash(
                &next,
                "ok",
                &format!("Welcome to Roster, {}. Your account is ready.", principal.name),
            );
            let max_age = (session.expires_at.0 - state.app.clock.now().0) / 1000;
            if let Ok(v) = session_cookie(&session.token, state.secure_cookies, max_age).parse() {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            if let Ok(v) = format!("{NEXT_COOKIE}=; Path=/; Max-Age=0").parse() {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => error_page(&e),
    }
}
