//! Password reset: a person asks for a link for their own account ("Forgot
//! password?"), or an administrator sends one to a member ("Send reset
//! link"). Administrators never see or set a password: the link goes to the
//! member's address, and the Outbox page hides it from everyone else.
//!
//! The self-service request answers the same, at once, for every address:
//! the requests are counted per address and per client first (the same for
//! a known and an unknown address), and the account is looked up and the
//! link written in a task of its own after the answer, so neither the
//! answer nor its timing tells whether the address has an account.

use roster_domain::audit::{AuditAction, AuditEntry};
use roster_domain::{Email, Timestamp, UserId};
use roster_store::throttle::{self, AttemptKey, AttemptKind};
use roster_store::users::{self, UserRecord};

use crate::access::{OrgAccess, Permission};
use crate::change::{AccountActor, audit_account, lock_account};
use crate::error::Result;
use crate::mail::{Letter, MailKind};
use crate::{App, AppError, RequestMeta, change, outbox, passwords};

/// What a reset request answers (the API and the page), whoever the
/// address belongs to.
pub const ANSWER: &str = "If this address has a Roster account, a link to choose a new password is on its way. \
     It works for a limited time and only once; choosing a new password signs you out everywhere.";

/// Reset links asked for one address in one window (more are ignored,
/// silently: the answer is the same).
pub const REQUESTS_PER_EMAIL: u32 = 3;
/// Reset requests from one client address in one window (more answer 429).
pub const REQUESTS_PER_IP: u32 = 20;
/// The window's length.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

/// Who asked for a reset link.
#[derive(Clone, Copy)]
enum Requester<'a> {
    /// The account's owner, from the sign-in page.
    Themselves,
    /// An administrator of this organization.
    Administrator(&'a OrgAccess),
}

/// "Forgot password?": mails a reset link to `email` if it has an account.
/// Answers `Ok` for every well-formed or malformed address alike, before
/// the lookup; refuses with `TooManyAttempts` when this client asked too
/// often (whatever the address).
pub async fn request(app: &App, email: &str, meta: &RequestMeta) -> Result<()> {
    let now = app.clock.now();
    {
        let mut conn = app.db.conn().await?;
        throttle::sweep(&mut conn, now, WINDOW_MS).await?;
        let ip = AttemptKey { kind: AttemptKind::ResetIp, key: meta.ip.clone().unwrap_or_else(|| "-".into()) };
        if throttle::reserve_attempt(&mut conn, &ip, REQUESTS_PER_IP, now, WINDOW_MS).await?.is_none() {
            let start = throttle::window_start(&mut conn, &ip).await?.unwrap_or(now.0);
            return Err(AppError::TooManyAttempts {
                retry_after_s: ((start + WINDOW_MS - now.0).max(1_000) + 999) / 1000,
            });
        }
        let key = AttemptKey { kind: AttemptKind::ResetEmail, key: crate::throttle::email_key(email).key };
        if throttle::reserve_attempt(&mut conn, &key, REQUESTS_PER_EMAIL, now, WINDOW_MS).await?.is_none() {
            // Enough links went to this address lately; the answer stays the same.
            return Ok(());
        }
    }
    let Ok(email) = Email::parse(email) else { return Ok(()) };
    let (app, meta) = (app.clone(), meta.clone());
    tokio::spawn(async move {
        if let Err(e) = mail_link_if_known(&app, &email, &meta).await {
            tracing::error!(error = %e, "writing a password reset link failed");
        }
    });
    Ok(())
}

async fn mail_link_if_known(app: &App, email: &Email, meta: &RequestMeta) -> Result<()> {
    let Some(user) = users::find_user_by_email(&mut app.db.conn().await?, email).await? else { return Ok(()) };
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let account = lock_account(&mut tx, user.id).await?;
    write_link(app, &mut tx, &user, Requester::Themselves, now).await?;
    let entry = AuditEntry::new(AuditAction::UserPasswordResetRequested, user.id).with("by", "themselves");
    audit_account(&mut tx, &account, AccountActor::User, meta, now, vec![entry]).await?;
    tx.commit().await?;
    Ok(())
}

/// A reset link an administrator sent.
#[derive(Debug, Clone)]
pub struct LinkSent {
    /// The address it went to.
    pub to: String,
    /// When it stops working.
    pub expires_at: Timestamp,
}

/// "Send reset link" in a member's actions: mails the member a link to
/// choose a new password. Needs `members:update` and the member within the
/// actor's reach (the owner only by the owner).
pub async fn send_link(app: &App, access: &OrgAccess, user: UserId, meta: &RequestMeta) -> Result<LinkSent> {
    let mut change = change::begin(app, access, Permission::MEMBERS_UPDATE, meta).await?;
    let member = crate::members::member_for_account_action(&mut change, user).await?;
    let account = users::find_user(&mut change.tx, user).await?.ok_or(AppError::NotFound("member"))?;
    let now = change.now;
    let access = change.access.clone();
    let expires_at = write_link(app, &mut change.tx, &account, Requester::Administrator(&access), now).await?;
    change.record(AuditEntry::new(AuditAction::UserPasswordResetRequested, user).with("by", "administrator"));
    change.commit().await?;
    Ok(LinkSent { to: member.email, expires_at })
}

/// Issues the token and writes the email into the outbox, inside `tx`.
async fn write_link(
    app: &App,
    tx: &mut roster_store::Tx,
    user: &UserRecord,
    by: Requester<'_>,
    now: Timestamp,
) -> Result<Timestamp> {
    let (secret, expires_at) = passwords::issue_password_token(app, tx, user.id, app.config.reset_link_ms).await?;
    let link = app.config.link(&format!("/set-password?token={secret}"));
    let to = Email::parse(&user.email)?;
    let (org, asked) = match by {
        Requester::Themselves => {
            (None, "Someone (we hope you) asked to reset the password of your Roster account.".to_string())
        }
        Requester::Administrator(access) => {
            let who = access.actor.principal().map(|p| p.name.clone()).unwrap_or_else(|| "An administrator".into());
            (
                Some(access.org.id),
                format!(
                    "{who}, an administrator of {}, sent you a link to choose a new password for your Roster account.",
                    access.org.name
                ),
            )
        }
    };
    let letter = Letter {
        subject: "Choose a new Roster password".into(),
        greeting: format!("Hello {},", user.name),
        paragraphs: vec![
            asked,
            format!(
                "Your account: {}. Choosing a new password signs you out everywhere and unlocks a locked account.",
                user.email
            ),
        ],
        action: Some(("Choose a new password".into(), link)),
        footer: vec![
            format!(
                "The link works for {} and only once.",
                crate::invitations::duration_words(app.config.reset_link_ms)
            ),
            "If you did not ask for it, ignore this email: your password stays as it is.".into(),
        ],
    };
    // The link is a credential for the recipient alone: hidden on the Outbox page.
    outbox::enqueue(tx, org, MailKind::PasswordReset, &to, &letter, true, now).await?;
    Ok(expires_at)
}
