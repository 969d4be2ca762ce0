//! The email outbox: messages written in the transaction of the change that
//! causes them, claimed and sent by a worker on any server instance.
//!
//! A worker claims due messages in one transaction: it selects them (with
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL, so that two instances never claim
//! the same row; SQLite's write transactions are serialized anyway), marks
//! them `sending` with a lease and counts the attempt. It then sends them
//! outside any transaction and records the outcome. A message whose lease ran
//! out (its sender died mid-way) is claimed again.

use roster_domain::{OrgId, Timestamp};
use sea_query::{Expr, ExprTrait, LockBehavior, LockType, Order, Query};
use uuid::Uuid;

use crate::tables::Outbox;
use crate::{Conn, Result, Tx};

/// Where a message stands.
pub mod status {
    /// Waiting for its next attempt.
    pub const QUEUED: &str = "queued";
    /// Claimed by a worker (until its lease ends).
    pub const SENDING: &str = "sending";
    /// Accepted by the SMTP server.
    pub const SENT: &str = "sent";
    /// Given up on after the last retry.
    pub const FAILED: &str = "failed";
}

/// A message to write.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Its id (UUIDv7).
    pub id: Uuid,
    /// The organization whose administrators see it, if any.
    pub org_id: Option<OrgId>,
    /// What it is for (`invitation`, `password_reset`…).
    pub kind: String,
    /// The recipient's address.
    pub to_email: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text_body: String,
    /// HTML body.
    pub html_body: String,
    /// Whether its link is a credential for someone else (hidden on the Outbox page).
    pub sensitive: bool,
    /// When it was written.
    pub created_at: Timestamp,
}

/// A stored message.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    /// Its id.
    pub id: Uuid,
    /// The organization, if any.
    pub org_id: Option<Uuid>,
    /// What it is for.
    pub kind: String,
    /// The recipient.
    pub to_email: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text_body: String,
    /// HTML body.
    pub html_body: String,
    /// Whether its link is hidden on the Outbox page.
    pub sensitive: bool,
    /// `queued`, `sending`, `sent` or `failed`.
    pub status: String,
    /// Attempts made so far.
    pub attempts: i64,
    /// When the next attempt is due.
    pub next_attempt_at: i64,
    /// The last delivery error.
    pub last_error: Option<String>,
    /// When it was written.
    pub created_at: i64,
    /// When the SMTP server accepted it.
    pub sent_at: Option<i64>,
}

const COLUMNS: [Outbox; 14] = [
    Outbox::Id,
    Outbox::OrgId,
    Outbox::Kind,
    Outbox::ToEmail,
    Outbox::Subject,
    Outbox::TextBody,
    Outbox::HtmlBody,
    Outbox::Sensitive,
    Outbox::Status,
    Outbox::Attempts,
    Outbox::NextAttemptAt,
    Outbox::LastError,
    Outbox::CreatedAt,
    Outbox::SentAt,
];

fn col(name: Outbox) -> Expr {
    Expr::col((Outbox::Table, name))
}

/// Writes a message, due at once, inside the change's transaction.
pub async fn insert_message(tx: &mut Tx, m: &NewMessage) -> Result<()> {
    insert_messages(tx, std::slice::from_ref(m)).await
}

/// Writes messages, queued, a multi-row statement per 500 (an import's batch).
pub async fn insert_messages(tx: &mut Tx, rows: &[NewMessage]) -> Result<()> {
    for chunk in rows.chunks(500) {
        let mut q = Query::insert();
        q.into_table(Outbox::Table).columns([
            Outbox::Id,
            Outbox::OrgId,
            Outbox::Kind,
            Outbox::ToEmail,
            Outbox::Subject,
            Outbox::TextBody,
            Outbox::HtmlBody,
            Outbox::Sensitive,
            Outbox::Status,
            Outbox::NextAttemptAt,
            Outbox::CreatedAt,
        ]);
        for m in chunk {
            q.values_panic([
                m.id.into(),
                m.org_id.map(|o| o.0).into(),
                m.kind.clone().into(),
                m.to_email.clone().into(),
                m.subject.clone().into(),
                m.text_body.clone().into(),
                m.html_body.clone().into(),
                m.sensitive.into(),
                status::QUEUED.into(),
                m.created_at.0.into(),
                m.created_at.0.into(),
            ]);
        }
        tx.execute(&q).await?;
    }
    Ok(())
}

/// Claims up to `limit` due messages for `lease_ms`: queued ones whose next
/// attempt is due, and ones whose sender's lease ran out. Each claim counts
/// as an attempt.
pub async fn claim_due(tx: &mut Tx, now: Timestamp, lease_ms: i64, limit: u64) -> Result<Vec<MessageRow>> {
    #[derive(sqlx::FromRow)]
    struct Id {
        id: Uuid,
    }
    let due = col(Outbox::Status)
        .eq(status::QUEUED)
        .and(col(Outbox::NextAttemptAt).lte(now.0))
        .or(col(Outbox::Status).eq(status::SENDING).and(col(Outbox::LeaseUntil).lte(now.0)));
    let ids: Vec<Id> = tx
        .fetch_all(
            Query::select()
                .column(Outbox::Id)
                .from(Outbox::Table)
                .and_where(due)
                .order_by(Outbox::NextAttemptAt, Order::Asc)
                .limit(limit)
                .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked),
        )
        .await?;
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let ids: Vec<Uuid> = ids.into_iter().map(|i| i.id).collect();
    tx.execute(
        Query::update()
            .table(Outbox::Table)
            .value(Outbox::Status, status::SENDING)
            .value(Outbox::LeaseUntil, now.0 + lease_ms)
            .value(Outbox::Attempts, col(Outbox::Attempts).add(1i64))
            .and_where(col(Outbox::Id).is_in(ids.clone())),
    )
    .await?;
    tx.fetch_all(
        Query::select()
            .columns(COLUMNS)
            .from(Outbox::Table)
            .and_where(col(Outbox::Id).is_in(ids))
            .order_by(Outbox::NextAttemptAt, Order::Asc),
    )
    .await
}

/// Records that the SMTP server accepted a message.
pub async fn mark_sent(conn: &mut Conn, id: Uuid, now: Timestamp) -> Result<()> {
    conn.execute(
        Query::update()
            .table(Outbox::Table)
            .value(Outbox::Status, status::SENT)
            .value(Outbox::SentAt, now.0)
            .value(Outbox::LastError, Option::<String>::None)
            .and_where(col(Outbox::Id).eq(id))
            .and_where(col(Outbox::Status).eq(status::SENDING)),
    )
    .await?;
    Ok(())
}

/// Records a failed attempt: queued again for `retry_at`, or `failed` for
/// good when `retry_at` is `None`.
pub async fn mark_attempt_failed(conn: &mut Conn, id: Uuid, error: &str, retry_at: Option<Timestamp>) -> Result<()> {
    let error: String = error.chars().take(1000).collect();
    let mut q = Query::update();
    q.table(Outbox::Table)
        .value(Outbox::LastError, error)
        .and_where(col(Outbox::Id).eq(id))
        .and_where(col(Outbox::Status).eq(status::SENDING));
    match retry_at {
        Some(at) => q.value(Outbox::Status, status::QUEUED).value(Outbox::NextAttemptAt, at.0),
        None => q.value(Outbox::Status, status::FAILED),
    };
    conn.execute(&q).await?;
    Ok(())
}

/// Which messages a listing covers.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Every message (the operator).
    All,
    /// The messages of these organizations (their administrators).
    Orgs(Vec<OrgId>),
}

/// Messages newest first, at most `limit`, optionally only those created
/// before `before` (`created_at`, id) for keyset paging.
pub async fn list_messages(
    conn: &mut Conn,
    scope: &Scope,
    before: Option<(i64, Uuid)>,
    limit: u64,
) -> Result<Vec<MessageRow>> {
    let mut q = Query::select();
    q.columns(COLUMNS).from(Outbox::Table);
    if let Scope::Orgs(orgs) = scope {
        if orgs.is_empty() {
            return Ok(vec![]);
        }
        q.and_where(col(Outbox::OrgId).is_in(orgs.iter().map(|o| o.0)));
    }
    if let Some((at, id)) = before {
        q.and_where(col(Outbox::CreatedAt).lt(at).or(col(Outbox::CreatedAt).eq(at).and(col(Outbox::Id).lt(id))));
    }
    q.order_by(Outbox::CreatedAt, Order::Desc).order_by(Outbox::Id, Order::Desc).limit(limit);
    conn.fetch_all(&q).await
}

/// Messages to one address, newest first (tests and the operator's CLI).
pub async fn list_messages_to(conn: &mut Conn, to_email: &str) -> Result<Vec<MessageRow>> {
    conn.fetch_all(
        Query::select()
            .columns(COLUMNS)
            .from(Outbox::Table)
            .and_where(col(Outbox::ToEmail).eq(to_email))
            .order_by(Outbox::CreatedAt, Order::Desc)
            .order_by(Outbox::Id, Order::Desc),
    )
    .await
}
