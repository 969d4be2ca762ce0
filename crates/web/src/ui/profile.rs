//! The signed-in user's profile page (name, email, "Change email", the
//! pending change and its cancel) and the public page of an email change's
//! confirmation link, which shows a button on GET (mail scanners open
//! links, so following one changes nothing) and confirms on POST.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use roster_app::AppError;
use roster_app::profile::PendingEmailChange;
use serde::Deserialize;

use super::kit::{Flash, FormErrors, UiResult, UserPage, redirect_with_flash};
use super::{error_page, message_page, paths, render};
use crate::AppState;
use crate::extract::{Meta, SESSION_COOKIE, cookie, optional_session};
use crate::format;

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    name: String,
    email: String,
    csrf: String,
    flash: Option<Flash>,
    /// The pending change: the new address and until when its link works.
    pending: Option<(String, String)>,
    /// The new address as typed (kept when the form is refused).
    new_email: String,
    email_error: Option<String>,
    password_error: Option<String>,
    form_error: Option<String>,
    email_action: &'static str,
    cancel_action: &'static str,
    /// The user's personal API tokens, newest first.
    tokens: Vec<TokenRow>,
    /// The new-token form's action.
    token_action: &'static str,
}

/// A personal token as the profile lists it.
pub struct TokenRow {
    name: String,
    prefix: String,
    created: String,
    expires: String,
    last_used: String,
    status: &'static str,
    revoke_action: String,
}

fn token_rows(tokens: Vec<roster_app::service_accounts::TokenView>, now: roster_domain::Timestamp) -> Vec<TokenRow> {
    tokens
        .into_iter()
        .map(|t| TokenRow {
            status: if t.revoked_at.is_some() {
                "revoked"
            } else if t.live {
                "live"
            } else {
                "expired"
            },
            revoke_action: paths::PROFILE_TOKEN_REVOKE.replace("{tid}", &t.id.to_string()),
            name: t.name,
            prefix: t.prefix,
            created: format::date(t.created_at),
            expires: t.expires_at.map(format::date_time).unwrap_or_else(|| "Never".into()),
            last_used: format::ago(t.last_used_at, now),
        })
        .collect()
}

async fn profile_view(page: &UserPage, status: StatusCode, new_email: String, errors: FormErrors) -> UiResult {
    let pending = roster_app::profile::pending_email_change(page.app(), &page.user.principal).await?;
    let tokens = roster_app::service_accounts::my_tokens(page.app(), &page.user.principal).await?;
    page.render(
        status,
        &ProfilePage {
            name: page.user.principal.name.clone(),
            email: page.user.principal.email.clone(),
            csrf: page.user.csrf(),
            flash: page.flash.clone(),
            pending: pending.map(|p| (p.new_email, format::date_time(p.expires_at))),
            new_email,
            email_error: errors.field("email"),
            password_error: errors.field("current_password"),
            form_error: errors.form,
            email_action: paths::PROFILE_EMAIL,
            cancel_action: paths::PROFILE_EMAIL_CANCEL,
            tokens: token_rows(tokens, page.app().clock.now()),
            token_action: paths::PROFILE_TOKENS,
        },
    )
}

/// The profile page: who is signed in, the pending email change, and the
/// "Change email" form. Any signed-in user, about themselves.
pub async fn profile_page(page: UserPage) -> UiResult {
    profile_view(&page, StatusCode::OK, String::new(), FormErrors::default()).await
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    current_password: String,
}

fn sent_words(p: &PendingEmailChange) -> String {
    format!(
        "We sent a link to {}: your address changes when you follow it (until {}). Your current address was told.",
        p.new_email,
        format::date_time(p.expires_at)
    )
}

/// Asks for the change: back to the profile page with a notice, or the
/// form again with the address as typed and each error beside its field.
pub async fn email_submit(page: UserPage, Meta(meta): Meta, Form(f): Form<EmailForm>) -> UiResult {
    match roster_app::profile::request_email_change(
        page.app(),
        &page.user.principal,
        &f.email,
        &f.current_password,
        &meta,
    )
    .await
    {
        Ok(pending) => Ok(redirect_with_flash(paths::PROFILE, "ok", &sent_words(&pending))),
        Err(e @ (AppError::TooManyAttempts { .. } | AppError::Busy { .. })) => {
            let errors = FormErrors {
                status: StatusCode::TOO_MANY_REQUESTS,
                ..FormErrors::form(crate::error::problem_for(&e).detail)
            };
            let res = profile_view(&page, errors.status, f.email, errors).await?;
            Ok(crate::error::with_retry_after(&e, res))
        }
        Err(e) => {
            let errors = FormErrors::from_refusal(e, &["email", "current_password"])?;
            profile_view(&page, errors.status, f.email, errors).await
        }
    }
}

/// Cancels the pending change: its link stops working.
pub async fn cancel_submit(page: UserPage) -> UiResult {
    let message = match roster_app::profile::cancel_email_change(page.app(), &page.user.principal).await? {
        true => "The email change is canceled; its link no longer works.",
        false => "No email change was pending.",
    };
    Ok(redirect_with_flash(paths::PROFILE, "ok", message))
}

#[derive(Template)]
#[template(path = "confirm_email.html")]
struct ConfirmPage {
    token: String,
    email: String,
    expires: String,
    csrf: Option<String>,
    error: Option<String>,
    action: &'static str,
}

async fn confirm_view(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let pending = match roster_app::profile::preview_email_change(&state.app, token).await {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    render(
        status,
        &ConfirmPage {
            token: token.to_string(),
            email: pending.new_email,
            expires: format::date_time(pending.expires_at),
            // A post that carries a session cookie must carry its CSRF token.
            csrf: cookie(headers, SESSION_COOKIE).map(roster_app::tokens::csrf_for_session),
            error,
            action: paths::CONFIRM_EMAIL,
        },
    )
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The page of a confirmation link: the address it confirms and one
/// button. Following the link changes nothing. A bad, used, expired or
/// canceled link gets one plain page that says so and nothing else.
pub async fn confirm_page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<TokenQuery>) -> Response {
    confirm_view(&state, &headers, &q.token, StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    token: String,
}

/// Confirms the change (no session needed: the token is the credential).
/// Signed in as that account, back to the profile page; otherwise a page
/// that says which address to sign in with now.
pub async fn confirm_submit(
    State(state): State<AppState>,
    Meta(meta): Meta,
    headers: HeaderMap,
    Form(f): Form<ConfirmForm>,
) -> Response {
    match roster_app::profile::confirm_email_change(&state.app, &f.token, &meta).await {
        Ok(changed) => {
            let message = format!("Your email address is now {}.", changed.new_email);
            match optional_session(&headers, &state).await {
                Some((p, _)) if p.user_id == changed.user_id => redirect_with_flash(paths::PROFILE, "ok", &message),
                _ => message_page(
                    StatusCode::OK,
                    "Email address changed",
                    &format!("{message} Sign in with it from now on; your password stays the same."),
                ),
            }
        }
        Err(e @ AppError::Conflict { .. }) => {
            let p = crate::error::problem_for(&e);
            confirm_view(&state, &headers, &f.token, StatusCode::CONFLICT, Some(format!("{}: {}", p.title, p.detail)))
                .await
        }
        Err(e) => error_page(&e),
    }
}

#[derive(Template)]
#[template(path = "my_token.html")]
struct TokenShownPage {
    name: String,
    token: String,
    expires: String,
}

/// The new-token form of the profile.
#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    days: String,
}

/// Makes a personal API token and shows it once (201, not cached); a
/// refusal goes back to the profile with the reason.
pub async fn token_submit(page: UserPage, Meta(meta): Meta, Form(f): Form<TokenForm>) -> UiResult {
    let input = roster_app::service_accounts::TokenInput { name: f.name, expires_in_days: f.days.trim().parse().ok() };
    match roster_app::service_accounts::create_my_token(page.app(), &page.user.principal, &input, &meta).await {
        Ok(made) => {
            let view = TokenShownPage {
                name: made.view.name,
                token: made.token,
                expires: made.view.expires_at.map(format::date_time).unwrap_or_else(|| "Never".into()),
            };
            let mut res = page.render(StatusCode::CREATED, &view)?;
            res.headers_mut()
                .insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
            Ok(res)
        }
        Err(e @ (AppError::Validation(_) | AppError::Forbidden(_))) => {
            Ok(redirect_with_flash(paths::PROFILE, "error", &crate::error::problem_for(&e).detail))
        }
        Err(e) => Err(e.into()),
    }
}

/// Revokes one of the user's personal tokens; back to the profile.
pub async fn token_revoke(
    page: UserPage,
    Meta(meta): Meta,
    axum::extract::Path(tid): axum::extract::Path<String>,
) -> UiResult {
    let tid = crate::query::id(&tid, "token")?;
    let t = roster_app::service_accounts::revoke_my_token(page.app(), &page.user.principal, tid, &meta).await?;
    Ok(redirect_with_flash(paths::PROFILE, "ok", &format!("The token “{}” is revoked; it no longer works.", t.name)))
}
