//! Passwords: the rule a new one must pass, hashing on the pool, and the
//! one-time links that set one (a new owner's set-password link, a reset
//! link). Signing in with a password is [`crate::auth`].

use roster_domain::audit::{AuditAction, AuditEntry};
use roster_domain::sessions::EndReason;
use roster_domain::{Timestamp, UserId, ValidationError};
use roster_store::{sessions, users};

use crate::change::{AccountActor, audit_account, lock_account};
use crate::error::Result;
use crate::{App, AppError, RequestMeta, tokens};

/// Shortest password accepted (see [`roster_domain::passwords`]).
pub const PASSWORD_MIN: usize = roster_domain::passwords::MIN_CHARS;
/// Longest password accepted.
pub const PASSWORD_MAX: usize = roster_domain::passwords::MAX_CHARS;

/// Checks a new password against the rule (NIST SP 800-63B: 15 to 128
/// characters, any characters, no composition rules, not common or
/// predictable). `context` is what it must not be built from: the account's
/// email and name.
pub fn check_password(password: &str, context: &[&str]) -> Result<(), ValidationError> {
    roster_domain::passwords::check(password, context)
}

/// Hashes a password with argon2id on the hashing pool, off the async
/// runtime; refused with `Busy` when the pool is full.
pub async fn hash_password(app: &App, password: String) -> Result<String> {
    app.hashing.hash(password).await
}

/// Issues a one-time link token to set a user's password, inside the
/// caller's transaction; the user's earlier unused links stop working.
/// Answers the secret (shown once) and when it expires.
pub async fn issue_password_token(
    app: &App,
    tx: &mut roster_store::Tx,
    user: UserId,
    ttl_ms: i64,
) -> Result<(String, Timestamp)> {
    let secret = tokens::new_secret();
    let now = app.clock.now();
    let expires_at = now.plus_millis(ttl_ms);
    users::end_password_tokens(tx, user, now).await?;
    users::insert_password_token(tx, &tokens::hash_secret(&secret), user, now, expires_at).await?;
    Ok((secret, expires_at))
}

/// Sets a password with a one-time link token (a set-password or a reset
/// link). The token and the user's other links then stop working, every
/// session of the user ends (whoever knew the old password is signed out),
/// and a locked account is unlocked. Audited in every organization the user
/// belongs to.
pub async fn set_password_with_token(app: &App, token: &str, password: &str, meta: &RequestMeta) -> Result<UserId> {
    let token_hash = tokens::hash_secret(token);
    let now = app.clock.now();
    // The token is looked up first so that the password is checked against
    // the account's own email and name, and an invalid link says so before
    // any hashing.
    let user = {
        let mut conn = app.db.conn().await?;
        let t = users::find_password_token(&mut conn, &token_hash).await?.ok_or(AppError::InvalidToken)?;
        if t.used_at.is_some() || now.0 >= t.expires_at {
            return Err(AppError::InvalidToken);
        }
        users::find_user(&mut conn, UserId(t.user_id)).await?.ok_or(AppError::InvalidToken)?
    };
    check_password(password, &[&user.email, &user.name])?;
    let hash = hash_password(app, password.to_string()).await?;
    let mut tx = app.db.begin().await?;
    let account = lock_account(&mut tx, user.id).await?;
    // Used by a concurrent request meanwhile: only one of them sets it.
    if !users::use_password_token(&mut tx, &token_hash, now).await? {
        return Err(AppError::InvalidToken);
    }
    users::set_password(&mut tx, user.id, &hash, now).await?;
    users::end_password_tokens(&mut tx, user.id, now).await?;
    let ended = sessions::end_user_sessions(&mut tx, &[user.id], now, EndReason::PasswordChanged).await?;
    let unlocked = users::unlock(&mut tx, user.id).await?;
    let mut entries = vec![
        AuditEntry::new(AuditAction::UserPasswordSet, user.id)
            .with("via", "one-time link")
            .with("sessions_ended", ended),
    ];
    if unlocked {
        entries.push(
            AuditEntry::new(AuditAction::UserUnlocked, user.id)
                .before(serde_json::json!({"locked": true}))
                .after(serde_json::json!({"locked": false}))
                .with("via", "password reset"),
        );
    }
    audit_account(&mut tx, &account, AccountActor::User, meta, now, entries).await?;
    tx.commit().await?;
    Ok(user.id)
}
