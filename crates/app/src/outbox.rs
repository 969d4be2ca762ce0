//! Email that is never lost: messages are written to the outbox in the
//! transaction of the change that causes them ([`enqueue`]), and a worker
//! ([`run_worker`]) on every server instance sends them through a
//! [`Mailer`], retrying with back-off.
//!
//! With no SMTP configured no worker runs: messages stay `queued` and are
//! read on the Outbox page ([`list`]), which is how the demo is walked
//! through.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use roster_domain::{Email, OrgId, Timestamp};
use roster_store::Tx;
use roster_store::outbox::{self, MessageRow, NewMessage, Scope};
use uuid::Uuid;

use crate::access::{OrgAccess, Permission, open_org};
use crate::error::Result;
use crate::mail::{Letter, MailKind};
use crate::{Actor, App, AppError};

/// Writes a message to the outbox inside the change's transaction: it is
/// sent if, and only if, the change commits. `org` is the organization
/// whose administrators may read it on the Outbox page (`None`: only the
/// operator). A `sensitive` message's link is a credential for the
/// recipient alone: the Outbox page hides it.
pub async fn enqueue(
    tx: &mut Tx,
    org: Option<OrgId>,
    kind: MailKind,
    to: &Email,
    letter: &Letter,
    sensitive: bool,
    now: Timestamp,
) -> Result<Uuid> {
    let m = message(org, kind, to, letter, sensitive, now);
    let id = m.id;
    outbox::insert_message(tx, &m).await?;
    Ok(id)
}

/// A letter rendered into an outbox row (written by [`enqueue`], or by a
/// batch with `roster_store::outbox::insert_messages`).
pub fn message(
    org: Option<OrgId>,
    kind: MailKind,
    to: &Email,
    letter: &Letter,
    sensitive: bool,
    now: Timestamp,
) -> NewMessage {
    let rendered = letter.render();
    NewMessage {
        id: Uuid::now_v7(),
        org_id: org,
        kind: kind.as_str().into(),
        to_email: to.as_str().into(),
        subject: rendered.subject,
        text_body: rendered.text,
        html_body: rendered.html,
        sensitive,
        created_at: now,
    }
}

/// One message handed to a [`Mailer`].
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The outbox row's id (also the `Message-ID`'s local part).
    pub id: Uuid,
    /// The recipient.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

/// A future a [`Mailer`] answers.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = std::result::Result<(), String>> + Send + 'a>>;

/// Delivers one message; an `Err` carries the error to record and retry on.
/// The SMTP mailer is [`crate::smtp::SmtpMailer`]; tests may record instead.
pub trait Mailer: Send + Sync {
    /// Sends the message.
    fn send<'a>(&'a self, message: &'a Outgoing) -> SendFuture<'a>;
}

/// How the worker paces itself.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// How long to wait between polls when nothing was due.
    pub poll: Duration,
    /// How long a claimed message is reserved for its sender.
    pub lease_ms: i64,
    /// Messages claimed at a time.
    pub batch: u64,
    /// Attempts before a message is marked failed.
    pub max_attempts: i64,
    /// The first retry's delay; each next one doubles, up to `max_backoff_ms`.
    pub first_backoff_ms: i64,
    /// The longest delay between two attempts.
    pub max_backoff_ms: i64,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(2),
            lease_ms: 5 * 60 * 1000,
            batch: 20,
            max_attempts: 8,
            first_backoff_ms: 30_000,
            max_backoff_ms: 60 * 60 * 1000,
        }
    }
}

impl WorkerOptions {
    /// When the attempt after `attempts` failed ones is due, or `None` to give up.
    pub fn retry_at(&self, attempts: i64, now: Timestamp) -> Option<Timestamp> {
        if attempts >= self.max_attempts {
            return None;
        }
        let shift = (attempts - 1).clamp(0, 20) as u32;
        let delay = self.first_backoff_ms.saturating_mul(1i64 << shift).min(self.max_backoff_ms);
        Some(now.plus_millis(delay))
    }
}

/// Sends what is due now: claims a batch, sends each message, records the
/// outcome. Answers how many messages were attempted.
pub async fn send_due(app: &App, mailer: &dyn Mailer, opts: &WorkerOptions) -> Result<usize> {
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let claimed = outbox::claim_due(&mut tx, now, opts.lease_ms, opts.batch).await?;
    tx.commit().await?;
    for m in &claimed {
        let outgoing = Outgoing {
            id: m.id,
            to: m.to_email.clone(),
            subject: m.subject.clone(),
            text: m.text_body.clone(),
            html: m.html_body.clone(),
        };
        let result = mailer.send(&outgoing).await;
        let now = app.clock.now();
        let mut conn = app.db.conn().await?;
        match result {
            Ok(()) => outbox::mark_sent(&mut conn, m.id, now).await?,
            Err(error) => {
                tracing::warn!(message = %m.id, attempts = m.attempts, %error, "email not sent");
                outbox::mark_attempt_failed(&mut conn, m.id, &error, opts.retry_at(m.attempts, now)).await?
            }
        }
    }
    Ok(claimed.len())
}

/// Runs the sender until the process ends: sends what is due, then waits a
/// poll interval when nothing was.
pub async fn run_worker(app: App, mailer: Arc<dyn Mailer>, opts: WorkerOptions) {
    loop {
        match send_due(&app, mailer.as_ref(), &opts).await {
            Ok(n) if n as u64 >= opts.batch => continue,
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "outbox worker"),
        }
        tokio::time::sleep(opts.poll).await;
    }
}

/// A message as the Outbox page and `GET /api/v1/outbox` show it.
#[derive(Debug, Clone)]
pub struct OutboxMessage {
    /// Its id.
    pub id: Uuid,
    /// The organization it belongs to, if any.
    pub org_id: Option<Uuid>,
    /// What it is for (`invitation`…).
    pub kind: String,
    /// The recipient.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body (a sensitive message's links hidden from viewers
    /// other than the operator).
    pub text: String,
    /// `queued`, `sending`, `sent` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// The last delivery error.
    pub last_error: Option<String>,
    /// When it was written.
    pub created_at: Timestamp,
    /// When it was sent.
    pub sent_at: Option<Timestamp>,
    /// Whether its links were hidden.
    pub redacted: bool,
}

/// What a sensitive message shows in place of its links.
pub const HIDDEN_LINK: &str = "[link hidden: only the recipient may use it]";

/// Replaces every link to this deployment in `text` with [`HIDDEN_LINK`].
fn hide_links(text: &str, base_url: &str) -> String {
    text.split_inclusive(char::is_whitespace)
        .map(|word| {
            let trimmed = word.trim_end();
            if trimmed.starts_with(base_url) || trimmed.starts_with("http://") || trimmed.starts_with("https://") {
                format!("{HIDDEN_LINK}{}", &word[trimmed.len()..])
            } else {
                word.to_string()
            }
        })
        .collect()
}

fn shown(row: MessageRow, reveal: bool, base_url: &str) -> OutboxMessage {
    let redacted = row.sensitive && !reveal;
    OutboxMessage {
        id: row.id,
        org_id: row.org_id,
        kind: row.kind,
        to: row.to_email,
        subject: row.subject,
        text: if redacted { hide_links(&row.text_body, base_url) } else { row.text_body },
        status: row.status,
        attempts: row.attempts,
        last_error: row.last_error,
        created_at: Timestamp(row.created_at),
        sent_at: row.sent_at.map(Timestamp),
        redacted,
    }
}

impl OutboxMessage {
    /// The cursor of the page that follows this message (`<created ms>.<id>`).
    pub fn cursor(&self) -> String {
        format!("{}.{}", self.created_at.0, self.id)
    }
}

/// Reads a cursor made by [`OutboxMessage::cursor`].
pub fn parse_cursor(cursor: &str) -> Option<(Timestamp, Uuid)> {
    let (at, id) = cursor.split_once('.')?;
    Some((Timestamp(at.parse().ok()?), id.parse().ok()?))
}

/// The page size of the outbox listing.
pub const PAGE: u64 = 50;

/// The outbox, newest first, a page at a time (`before` is the last shown
/// message's creation time and id). The operator sees every message; a
/// signed-in person the messages of the organizations where they may read
/// invitations (`invitations:read`), with sensitive links hidden.
pub async fn list(app: &App, actor: &Actor, before: Option<(Timestamp, Uuid)>) -> Result<Vec<OutboxMessage>> {
    let scope = match actor {
        Actor::User(p) => {
            let mut orgs = Vec::new();
            for m in crate::orgs::active_memberships(app, p.user_id).await? {
                let access = open_org(app, actor, &m.org.id.0.to_string()).await?;
                if access.can(Permission::INVITATIONS_READ) {
                    orgs.push(m.org.id);
                }
            }
            if orgs.is_empty() {
                return Err(AppError::Forbidden(
                    "you need the invitations:read permission in an organization to see its outbox".into(),
                ));
            }
            Scope::Orgs(orgs)
        }
        Actor::ServiceAccount(a) => {
            let access = open_org(app, actor, &a.org_id.0.to_string()).await?;
            access.require(Permission::INVITATIONS_READ)?;
            Scope::Orgs(vec![a.org_id])
        }
        Actor::Cli | Actor::System => Scope::All,
    };
    let reveal = matches!(scope, Scope::All) || app.config.demo_outbox;
    let scope = if app.config.demo_outbox { Scope::All } else { scope };
    let rows = outbox::list_messages(&mut app.db.conn().await?, &scope, before.map(|(t, id)| (t.0, id)), PAGE).await?;
    Ok(rows.into_iter().map(|r| shown(r, reveal, &app.config.base_url)).collect())
}

/// One organization's outbox (its Outbox tab), newest first, a page at a
/// time; needs `invitations:read`. Sensitive links are hidden. In the demo
/// ([`crate::Config::demo_outbox`]) the tab shows every message, links and
/// all.
pub async fn list_org(app: &App, access: &OrgAccess, before: Option<(Timestamp, Uuid)>) -> Result<Vec<OutboxMessage>> {
    access.require(Permission::INVITATIONS_READ)?;
    let (scope, reveal) =
        if app.config.demo_outbox { (Scope::All, true) } else { (Scope::Orgs(vec![access.org.id]), false) };
    let rows = outbox::list_messages(&mut app.db.conn().await?, &scope, before.map(|(t, id)| (t.0, id)), PAGE).await?;
    Ok(rows.into_iter().map(|r| shown(r, reveal, &app.config.base_url)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_up_to_the_cap_then_gives_up() {
        let o = WorkerOptions { max_attempts: 4, first_backoff_ms: 1000, max_backoff_ms: 3000, ..Default::default() };
        let now = Timestamp(0);
        assert_eq!(o.retry_at(1, now), Some(Timestamp(1000)));
        assert_eq!(o.retry_at(2, now), Some(Timestamp(2000)));
        assert_eq!(o.retry_at(3, now), Some(Timestamp(3000)));
        assert_eq!(o.retry_at(4, now), None);
    }

    #[test]
    fn hidden_links_keep_the_rest_of_the_text() {
        let t = "Open this:\nhttps://r.example/reset/abc\nThanks.";
        assert_eq!(hide_links(t, "https://r.example"), format!("Open this:\n{HIDDEN_LINK}\nThanks."));
    }
}
