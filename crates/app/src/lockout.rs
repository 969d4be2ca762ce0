//! Account lockout (NIST SP 800-63B §5.2.2): after
//! [`crate::Config::lockout_after`] consecutive failed sign-ins (100 by
//! default) an account is locked until its password is reset or an
//! administrator unlocks it. The throttle ([`crate::throttle`]) slows
//! guessing first (a few guesses per account every quarter hour), so
//! reaching the limit takes an attacker hours, and the owner has been
//! mailed by then.
//!
//! The counter lives on the user's row and is counted and compared in the
//! store's statements ([`users::record_failed_login`]), so the limit holds
//! across server instances and exactly one failure locks.

use roster_domain::audit::{AuditAction, AuditEntry};
use roster_domain::{Email, UserId};
use roster_store::users::{self, UserRecord};

use crate::access::{OrgAccess, Permission};
use crate::error::Result;
use crate::mail::{Letter, MailKind};
use crate::{App, AppError, ConflictKind, RequestMeta, change, outbox};

/// Counts a failed sign-in of a known user; answers whether it locked the
/// account. The failure that locks also writes the audit events and mails
/// the user, in the same transaction.
pub async fn count_failure(app: &App, user: &UserRecord, meta: &RequestMeta) -> Result<bool> {
    let now = app.clock.now();
    let limit = app.config.lockout_after;
    let mut tx = app.db.begin().await?;
    let locked = users::record_failed_login(&mut tx, user.id, limit, now).await?;
    if locked {
        let entry = AuditEntry::new(AuditAction::UserLocked, user.id)
            .before(serde_json::json!({"locked": false}))
            .after(serde_json::json!({"locked": true}))
            .with("failed_sign_ins", limit)
            .with("email", user.email.clone());
        // Only the failure that locks writes the organizations' logs, so
        // only it takes their locks (after the counter: most failures lock nothing).
        let account = change::lock_account(&mut tx, user.id).await?;
        change::audit_account(&mut tx, &account, change::AccountActor::Roster, meta, now, vec![entry]).await?;
        let to = Email::parse(&user.email)?;
        outbox::enqueue(&mut tx, None, MailKind::AccountLocked, &to, &locked_letter(app, user), false, now).await?;
    }
    tx.commit().await?;
    Ok(locked)
}

fn locked_letter(app: &App, user: &UserRecord) -> Letter {
    Letter {
        subject: "Your Roster account is locked".into(),
        greeting: format!("Hello {},", user.name),
        paragraphs: vec![
            format!(
                "Someone tried to sign in to your account ({}) with a wrong password {} times in a row, \
                 so Roster locked it to keep the password from being guessed.",
                user.email, app.config.lockout_after
            ),
            "To unlock it, choose a new password with \"Forgot password?\" on the sign-in page, \
             or ask an administrator of your organization to unlock it."
                .into(),
        ],
        action: Some(("Reset your password".into(), app.config.link("/forgot-password"))),
        footer: vec!["If these attempts were not yours, your password was not accepted: nobody signed in.".into()],
    }
}

/// Unlocks a member's account (an administrator's action, from the
/// member's actions). Needs `members:update`, and the member within the
/// actor's reach (no escalation, the owner only by themselves). Refused
/// when the account is not locked. Answers the member's email.
pub async fn unlock_member(app: &App, access: &OrgAccess, user: UserId, meta: &RequestMeta) -> Result<String> {
    let mut change = change::begin(app, access, Permission::MEMBERS_UPDATE, meta).await?;
    let member = crate::members::member_for_account_action(&mut change, user).await?;
    if !users::unlock(&mut change.tx, user).await? {
        return Err(AppError::conflict(
            ConflictKind::NotLocked,
            format!("{}'s account is not locked; there is nothing to unlock", member.email),
        ));
    }
    change.record(
        AuditEntry::new(AuditAction::UserUnlocked, user)
            .before(serde_json::json!({"locked": true}))
            .after(serde_json::json!({"locked": false}))
            .with("via", "administrator"),
    );
    change.commit().await?;
    Ok(member.email)
}
