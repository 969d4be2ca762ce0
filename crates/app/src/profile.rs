//! A person's own account, from their profile page: changing their email
//! address.
//!
//! The change is asked for by the signed-in user ([`request_email_change`])
//! and takes effect only when the link mailed to the new address is
//! followed ([`confirm_email_change`]), so an address nobody can read, or
//! someone else's, never becomes the account's sign-in name. The old
//! address is told at once, so an owner whose session was stolen learns of
//! it while the change can still be stopped ([`cancel_email_change`]).
//!
//! The link's token is 32 random bytes ([`tokens::new_secret`]); only its
//! SHA-256 is stored. It works once, until its expiry
//! ([`Config::email_change_ms`](crate::Config::email_change_ms), 24 hours),
//! and dies when the user asks again or cancels. Every refusal of a link
//! (unknown, used, expired, canceled, malformed) is the same
//! [`AppError::InvalidToken`].
//!
//! Confirming keeps the user's sessions: the password did not change, the
//! person who asked proved they know it, and the new address proved it is
//! read by them. (A password change, which answers a suspected compromise,
//! is what ends sessions.)
//!
//! Audit: `user.email_changed`, with the address before and after, in every
//! organization the user belongs to (the account is global).

use roster_domain::audit::{AuditAction, AuditEntry};
use roster_domain::{Email, EmailChangeId, Timestamp, UserId, ValidationError};
use roster_store::email_changes::{self, NewEmailChange};
use roster_store::throttle::{self, AttemptKey, AttemptKind};
use roster_store::users::{self, UserRecord};

use crate::change::{AccountActor, audit_account, lock_account};
use crate::error::Result;
use crate::invitations::duration_words;
use crate::mail::{Letter, MailKind};
use crate::{App, AppError, ConflictKind, Principal, RequestMeta, auth, outbox, tokens};

/// The page a confirmation link opens (`?token=` follows); the web UI
/// registers its route under this path, so the two cannot differ.
pub const CONFIRM_PATH: &str = "/confirm-email";
/// The signed-in user's profile page, where a change is asked for and
/// canceled; the notice to the old address links to it.
pub const PROFILE_PATH: &str = "/profile";

/// Email change requests one user may make in one window (more answer
/// 429): each mails an address the user typed, so the count is capped.
pub const REQUESTS_PER_WINDOW: u32 = 5;
/// The window's length (the throttle table's, which it shares).
pub const WINDOW_MS: i64 = crate::throttle::WINDOW_MS;

/// A change of email address waiting for its link to be followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEmailChange {
    /// The address the account will have.
    pub new_email: String,
    /// When the link stops working.
    pub expires_at: Timestamp,
}

/// A confirmed change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailChanged {
    /// Whose address changed.
    pub user_id: UserId,
    /// The address before.
    pub old_email: String,
    /// The address now (the account's sign-in name).
    pub new_email: String,
}

/// Asks to change the signed-in user's email address to `new_email`: mails
/// a confirmation link to the new address and a notice to the old one,
/// both written to the outbox in one transaction with the request, and
/// ends the user's earlier pending request. Nothing else changes until the
/// link is followed.
///
/// The current password is required (re-authentication before a sensitive
/// change, OWASP ASVS V6/V7): a session left open or stolen must not be
/// enough to move the account to another address, from which its password
/// could then be reset. It is checked like a sign-in
/// ([`auth::reauthenticate`]: hashing pool, throttle, lockout); a wrong one
/// answers a validation error naming `current_password`.
///
/// Refusals, in order: a malformed address, the user's own address, or a
/// missing password (422, every field at once, before any hashing); a wrong
/// password (422 `current_password`); too many requests (429); an address
/// that belongs to another account (409 `email-taken`).
///
/// That last answer says plainly that the address has an account. Roster
/// accepts that: it is given only to someone signed in who has just proved
/// the account's password, and only a few times per quarter hour (the
/// request cap and the sign-in throttle), so it is no cheaper a way to test
/// addresses than inviting them (an inviter is told `already-member`) and
/// far slower. Answering 202 anyway would leave an honest user waiting for
/// a link that could never work.
pub async fn request_email_change(
    app: &App,
    principal: &Principal,
    new_email: &str,
    current_password: &str,
    meta: &RequestMeta,
) -> Result<PendingEmailChange> {
    let user =
        users::find_user(&mut app.db.conn().await?, principal.user_id).await?.ok_or(AppError::Unauthenticated)?;
    let mut errors = ValidationError { errors: vec![] };
    let email = match Email::parse(new_email) {
        Ok(e) if e.as_str() == user.email => {
            errors.merge(ValidationError::field("email", "is your current address already"));
            None
        }
        Ok(e) => Some(e),
        Err(e) => {
            errors.merge(e);
            None
        }
    };
    if current_password.is_empty() {
        errors.merge(ValidationError::field("current_password", "is required"));
    }
    let Some(email) = email.filter(|_| errors.errors.is_empty()) else { return Err(errors.into()) };
    match auth::reauthenticate(app, &user, current_password, meta).await {
        Err(AppError::InvalidCredentials) => {
            return Err(ValidationError::field("current_password", "is wrong").into());
        }
        other => other?,
    }
    let now = app.clock.now();
    {
        let mut conn = app.db.conn().await?;
        let key = AttemptKey { kind: AttemptKind::EmailChange, key: user.id.to_string() };
        if throttle::reserve_attempt(&mut conn, &key, REQUESTS_PER_WINDOW, now, WINDOW_MS).await?.is_none() {
            let start = throttle::window_start(&mut conn, &key).await?.unwrap_or(now.0);
            return Err(AppError::TooManyAttempts {
                retry_after_s: ((start + WINDOW_MS - now.0).max(1_000) + 999) / 1000,
            });
        }
    }
    let mut tx = app.db.begin().await?;
    // Read again inside the transaction: the address may have changed meanwhile.
    let user = users::find_user(&mut tx, user.id).await?.ok_or(AppError::Unauthenticated)?;
    if email.as_str() == user.email {
        return Err(ValidationError::field("email", "is your current address already").into());
    }
    not_taken(&mut tx, &email, user.id).await?;
    email_changes::cancel_pending(&mut tx, user.id, now).await?;
    let secret = tokens::new_secret();
    let expires_at = now.plus_millis(app.config.email_change_ms);
    email_changes::insert(
        &mut tx,
        &NewEmailChange {
            id: EmailChangeId::new(),
            user_id: user.id,
            new_email: email.as_str().to_string(),
            token_hash: tokens::hash_secret(&secret),
            created_at: now,
            expires_at,
        },
    )
    .await?;
    let link = app.config.link(&format!("{CONFIRM_PATH}?token={secret}"));
    // The link is a credential for the new address's reader alone: hidden
    // on the Outbox page. (Both messages belong to no organization, so only
    // the operator lists them at all.)
    let confirm = confirm_letter(app, &user, &email, &link);
    outbox::enqueue(&mut tx, None, MailKind::EmailChangeConfirm, &email, &confirm, true, now).await?;
    let old = Email::parse(&user.email)?;
    let notice = notice_letter(app, &user, &email);
    outbox::enqueue(&mut tx, None, MailKind::EmailChangeNotice, &old, &notice, false, now).await?;
    tx.commit().await?;
    Ok(PendingEmailChange { new_email: email.as_str().to_string(), expires_at })
}

/// Whether a link's token looks like one of ours (64 hex digits), so that
/// anything else is refused before the database is asked.
fn is_token_shaped(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Refuses an address that names another user's account.
async fn not_taken(tx: &mut roster_store::Tx, email: &Email, user: UserId) -> Result<()> {
    match users::find_user_by_email(tx, email).await? {
        Some(other) if other.id != user => Err(taken(email)),
        _ => Ok(()),
    }
}

fn taken(email: &Email) -> AppError {
    AppError::conflict(
        ConflictKind::EmailTaken,
        format!("{email} belongs to another Roster account; choose another address"),
    )
}

/// The link to the new address.
fn confirm_letter(app: &App, user: &UserRecord, new: &Email, link: &str) -> Letter {
    Letter {
        subject: "Confirm your new Roster email address".into(),
        greeting: format!("Hello {},", user.name),
        paragraphs: vec![
            format!("You asked to change the email address of your Roster account from {} to {new}.", user.email),
            format!(
                "Confirm that this address is yours to finish: until you do, you keep signing in with {}.",
                user.email
            ),
        ],
        action: Some(("Confirm the new address".into(), link.to_string())),
        footer: vec![
            format!("The link works for {} and only once.", duration_words(app.config.email_change_ms)),
            "If you did not ask for this, ignore this email: nothing changes.".into(),
        ],
    }
}

/// The notice to the old address.
fn notice_letter(app: &App, user: &UserRecord, new: &Email) -> Letter {
    Letter {
        subject: "Your Roster email address is being changed".into(),
        greeting: format!("Hello {},", user.name),
        paragraphs: vec![
            format!(
                "Someone signed in to your Roster account asked to change its email address from {} to {new}. \
                 A link to confirm it was sent to {new}; the address changes only if it is followed within {}.",
                user.email,
                duration_words(app.config.email_change_ms)
            ),
            "If this was you, there is nothing to do.".into(),
            "If it was not you, sign in, cancel the change on your profile page, and choose a new password: \
             whoever asked knows your current one."
                .into(),
        ],
        action: Some(("Open your profile".into(), app.config.link(PROFILE_PATH))),
        footer: vec!["Until the change is confirmed, you keep signing in with this address.".into()],
    }
}

/// Follows a confirmation link: the account's email becomes the new
/// address (confirmed), in the user's memberships too, and the change is
/// audited in every organization of the user, all in one transaction. No
/// session is needed: the token is the credential. Refused with
/// [`AppError::InvalidToken`] for a bad, used, expired or canceled link
/// (of concurrent uses of one link exactly one succeeds), and with 409
/// `email-taken` when another account took the address since it was asked
/// for (the link then stays unused, and dies at its expiry).
pub async fn confirm_email_change(app: &App, token: &str, meta: &RequestMeta) -> Result<EmailChanged> {
    if !is_token_shaped(token) {
        return Err(AppError::InvalidToken);
    }
    let hash = tokens::hash_secret(token);
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let change =
        email_changes::find_by_token(&mut tx, &hash).await?.filter(|c| c.is_live(now)).ok_or(AppError::InvalidToken)?;
    let user = users::find_user(&mut tx, change.user_id).await?.ok_or(AppError::InvalidToken)?;
    let new = Email::parse(&change.new_email)?;
    // The organizations' locks before any membership row is written.
    let account = lock_account(&mut tx, user.id).await?;
    not_taken(&mut tx, &new, user.id).await?;
    // Used by a concurrent request meanwhile: only one of them changes it.
    if !email_changes::mark_used(&mut tx, &hash, now).await? {
        return Err(AppError::InvalidToken);
    }
    match users::update_user_email(&mut tx, user.id, &new, now).await {
        // Another account took the address between the check and now.
        Err(e) if e.is_unique_violation() => return Err(taken(&new)),
        other => other?,
    }
    let entry = AuditEntry::new(AuditAction::UserEmailChanged, user.id)
        .before(serde_json::json!({"email": user.email}))
        .after(serde_json::json!({"email": new.as_str()}))
        .with("via", "confirmation link");
    audit_account(&mut tx, &account, AccountActor::User, meta, now, vec![entry]).await?;
    tx.commit().await?;
    Ok(EmailChanged { user_id: user.id, old_email: user.email, new_email: new.as_str().to_string() })
}

/// What the page of a confirmation link shows before anything is done
/// (following the link only shows it: mail scanners open links): the
/// address it confirms and until when. A bad, used, expired or canceled
/// link is [`AppError::InvalidToken`], whichever it is.
pub async fn preview_email_change(app: &App, token: &str) -> Result<PendingEmailChange> {
    if !is_token_shaped(token) {
        return Err(AppError::InvalidToken);
    }
    let change = email_changes::find_by_token(&mut app.db.conn().await?, &tokens::hash_secret(token))
        .await?
        .filter(|c| c.is_live(app.clock.now()))
        .ok_or(AppError::InvalidToken)?;
    Ok(PendingEmailChange { new_email: change.new_email, expires_at: change.expires_at })
}

/// The signed-in user's pending email change, if any (what the profile
/// page shows).
pub async fn pending_email_change(app: &App, principal: &Principal) -> Result<Option<PendingEmailChange>> {
    let now = app.clock.now();
    let pending = email_changes::find_pending(&mut app.db.conn().await?, principal.user_id, now).await?;
    Ok(pending.map(|c| PendingEmailChange { new_email: c.new_email, expires_at: c.expires_at }))
}

/// Cancels the signed-in user's pending email change: its link stops
/// working. Answers whether there was one.
pub async fn cancel_email_change(app: &App, principal: &Principal) -> Result<bool> {
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let canceled = email_changes::cancel_pending(&mut tx, principal.user_id, now).await?;
    tx.commit().await?;
    Ok(canceled > 0)
}
