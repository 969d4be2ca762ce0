//! Sign-up: someone without an account makes one (then asks to join an
//! organization). The account is made only when the link mailed to the
//! address is followed, so nobody can hold an address they do not read, and
//! an invitation to that address later still works.
//!
//! [`request`] answers the same, at once, for every well-formed request,
//! whether or not the address has an account: the requests are counted per
//! client and per address first, and the password is hashed and the letter
//! written in a task of its own after the answer. An address with an account
//! gets a letter saying so (with the sign-in and reset links) instead of a
//! confirmation link. The password follows the same rule as everywhere
//! ([`crate::passwords::check_password`]). A deployment turns sign-up off
//! with [`Config::signup_enabled`](crate::Config).
//!
//! Audit: a sign-up belongs to no organization yet, so it writes no audit
//! event (a reviewed exception in `tests/audit_guard.rs`); the requests the
//! new account makes are audited in the organizations they reach.

use roster_domain::orgs::parse_display_name;
use roster_domain::{Email, SignupId, UserId, ValidationError};
use roster_store::signups::{self, SignupRecord};
use roster_store::throttle::{self, AttemptKey, AttemptKind};
use roster_store::users::{self, UserRecord};

use crate::auth::NewSessionToken;
use crate::error::Result;
use crate::mail::{Letter, MailKind};
use crate::{App, AppError, Principal, RequestMeta, outbox, passwords, tokens};

/// What a sign-up answers (the API and the page), whoever the address belongs to.
pub const ANSWER: &str = "Check your email: we sent a link to confirm your address. \
     Your account is ready once you open it.";

/// The page the confirmation link opens.
pub const CONFIRM_PATH: &str = "/signup/confirm";

/// Sign-ups from one client address per window (more answer 429).
pub const REQUESTS_PER_IP: u32 = 10;
/// Letters to one address per window (more are dropped silently: the answer is the same).
pub const REQUESTS_PER_EMAIL: u32 = 3;
/// The window's length.
pub const WINDOW_MS: i64 = 60 * 60 * 1000;

/// What a person signs up with.
#[derive(Debug, Clone, Default)]
pub struct SignupInput {
    /// Their email address (their sign-in name).
    pub email: String,
    /// The name to go by.
    pub name: String,
    /// The password to choose.
    pub password: String,
}

/// Whether sign-up is open on this deployment.
pub fn enabled(app: &App) -> bool {
    app.config.signup_enabled
}

fn turned_off() -> AppError {
    AppError::Forbidden(
        "sign-up is turned off on this deployment; ask an organization's administrator to invite you".into(),
    )
}

/// Checks a sign-up's fields, each bad one named.
fn check(input: &SignupInput) -> Result<(Email, String)> {
    let mut errors = ValidationError { errors: vec![] };
    let email = Email::parse(&input.email).map_err(|e| errors.merge(e)).ok();
    let name = parse_display_name("name", &input.name).map_err(|e| errors.merge(e)).ok();
    if input.password.is_empty() {
        errors.merge(ValidationError::field("password", "is required"));
    } else if let Err(e) = passwords::check_password(&input.password, &[&input.email, &input.name]) {
        errors.merge(e);
    }
    match (email, name) {
        (Some(e), Some(n)) if errors.errors.is_empty() => Ok((e, n)),
        _ => Err(errors.into()),
    }
}

/// Signs up: answers `Ok` (202, [`ANSWER`]) for every valid input alike,
/// mailing a confirmation link, or a notice when the address has an account.
/// Bad fields are 422, too many sign-ups from this client 429, sign-up
/// turned off 403.
pub async fn request(app: &App, input: &SignupInput, meta: &RequestMeta) -> Result<()> {
    if !enabled(app) {
        return Err(turned_off());
    }
    let (email, name) = check(input)?;
    let now = app.clock.now();
    {
        let mut conn = app.db.conn().await?;
        let ip = AttemptKey { kind: AttemptKind::SignupIp, key: meta.ip.clone().unwrap_or_else(|| "-".into()) };
        if throttle::reserve_attempt(&mut conn, &ip, REQUESTS_PER_IP, now, WINDOW_MS).await?.is_none() {
            let start = throttle::window_start(&mut conn, &ip).await?.unwrap_or(now.0);
            return Err(AppError::RateLimited {
                what: "sign-ups from this address",
                retry_after_s: ((start + WINDOW_MS - now.0).max(1_000) + 999) / 1000,
            });
        }
        let key = AttemptKey { kind: AttemptKind::SignupEmail, key: crate::throttle::email_key(email.as_str()).key };
        if throttle::reserve_attempt(&mut conn, &key, REQUESTS_PER_EMAIL, now, WINDOW_MS).await?.is_none() {
            return Ok(());
        }
    }
    let (app, password) = (app.clone(), input.password.clone());
    tokio::spawn(async move {
        if let Err(e) = write_letter(&app, &email, &name, password).await {
            tracing::error!(error = %e, "writing a sign-up letter failed");
        }
    });
    Ok(())
}

/// Hashes the password and writes the sign-up and its letter (or, for an
/// address with an account, the notice), after the answer.
async fn write_letter(app: &App, email: &Email, name: &str, password: String) -> Result<()> {
    // Hashed either way, so that both paths cost the same.
    let hash = passwords::hash_password(app, password).await?;
    let existing = users::find_user_by_email(&mut app.db.conn().await?, email).await?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    match existing {
        Some(u) if u.password_hash.is_some() => {
            let letter = Letter {
                subject: "You already have a Roster account".into(),
                greeting: format!("Hello {},", u.name),
                paragraphs: vec![
                    "Someone (we hope you) tried to sign up for Roster with this address, which has an account already."
                        .into(),
                    "Sign in with your password; if you forgot it, choose “Forgot password?” on the sign-in page.".into(),
                ],
                action: Some(("Sign in".into(), app.config.link("/login"))),
                footer: vec!["If this was not you, ignore this email: nothing changed.".into()],
            };
            outbox::enqueue(&mut tx, None, MailKind::SignupExisting, email, &letter, false, now).await?;
        }
        _ => {
            let secret = tokens::new_secret();
            let record = SignupRecord {
                id: SignupId::new(),
                email: email.as_str().to_string(),
                name: name.to_string(),
                password_hash: hash,
                created_at: now,
                expires_at: now.plus_millis(app.config.signup_link_ms),
                used_at: None,
            };
            signups::insert(&mut tx, &record, &tokens::hash_secret(&secret)).await?;
            let link = app.config.link(&format!("{CONFIRM_PATH}?token={secret}"));
            let letter = Letter {
                subject: "Confirm your email to finish signing up for Roster".into(),
                greeting: format!("Hello {name},"),
                paragraphs: vec![
                    "Open the link to confirm your email address; your Roster account is ready then, and you are signed in."
                        .into(),
                ],
                action: Some(("Confirm my email".into(), link)),
                footer: vec![
                    format!(
                        "The link works for {} and only once.",
                        crate::invitations::duration_words(app.config.signup_link_ms)
                    ),
                    "If you did not sign up, ignore this email: no account is made.".into(),
                ],
            };
            outbox::enqueue(&mut tx, None, MailKind::SignupConfirm, email, &letter, true, now).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

fn is_token_shaped(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The confirmation page's reading of a link: the address it confirms.
/// Unknown, used or expired links are [`AppError::InvalidToken`].
pub async fn preview(app: &App, token: &str) -> Result<String> {
    if !is_token_shaped(token) {
        return Err(AppError::InvalidToken);
    }
    let s = signups::find_by_token(&mut app.db.conn().await?, &tokens::hash_secret(token))
        .await?
        .ok_or(AppError::InvalidToken)?;
    if s.used_at.is_some() || app.clock.now().0 >= s.expires_at.0 {
        return Err(AppError::InvalidToken);
    }
    Ok(s.email)
}

/// Confirms a sign-up: makes the account (email confirmed) and signs it in
/// (403 while sign-up is turned off, even for a link mailed before).
/// The link works once, whatever the concurrency; an address that got an
/// account with a password meanwhile refuses it. An account made by an
/// invitation and never used (no password) takes the sign-up's name and
/// password.
pub async fn confirm(app: &App, token: &str, meta: &RequestMeta) -> Result<(Principal, NewSessionToken)> {
    // Turning sign-up off also stops the links mailed before.
    if !enabled(app) {
        return Err(turned_off());
    }
    if !is_token_shaped(token) {
        return Err(AppError::InvalidToken);
    }
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let s = signups::find_by_token(&mut tx, &tokens::hash_secret(token)).await?.ok_or(AppError::InvalidToken)?;
    if !signups::mark_used(&mut tx, s.id, now).await? {
        return Err(AppError::InvalidToken);
    }
    let email = Email::parse(&s.email)?;
    let user = match users::find_user_by_email(&mut tx, &email).await? {
        Some(u) if u.password_hash.is_some() => return Err(AppError::InvalidToken),
        Some(u) => {
            users::update_user_name(&mut tx, u.id, &s.name, now).await?;
            users::set_password(&mut tx, u.id, &s.password_hash, now).await?;
            users::confirm_email(&mut tx, u.id, now).await?;
            users::find_user(&mut tx, u.id).await?.ok_or(AppError::InvalidToken)?
        }
        None => {
            let u = UserRecord {
                id: UserId::new(),
                email: s.email.clone(),
                name: s.name.clone(),
                password_hash: Some(s.password_hash.clone()),
                email_confirmed: true,
                created_at: now,
                locked_at: None,
            };
            match users::insert_user(&mut tx, &u).await {
                Ok(()) => u,
                Err(e) if e.is_unique_violation() => return Err(AppError::InvalidToken),
                Err(e) => return Err(e.into()),
            }
        }
    };
    tx.commit().await?;
    crate::auth::open_session(app, user, meta, None).await
}
