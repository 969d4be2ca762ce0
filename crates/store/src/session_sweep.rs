//! The session sweeper's claims: sessions past their deadlines, ended in
//! batches with the reason they expired.
//!
//! Every server instance may sweep at the same moment: on PostgreSQL a batch
//! is claimed with `FOR UPDATE SKIP LOCKED`, so two sweepers take different
//! sessions and neither waits for the other; on SQLite write transactions
//! run one at a time, so the claim is a plain read inside the sweeper's
//! (`BEGIN IMMEDIATE`) transaction. Either way the update also requires
//! `ended_at IS NULL`, so a session ended meanwhile (a logout, a revocation)
//! keeps the end it was given.

use roster_domain::Timestamp;
use roster_domain::sessions::EndReason;
use sea_query::{Expr, ExprTrait, LockBehavior, LockType, Order, Query};
use uuid::Uuid;

use crate::tables::Sessions;
use crate::{Result, Tx};

/// What one batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Sessions claimed (expired and not yet ended when read).
    pub claimed: u64,
    /// Sessions ended for want of use (`idle_expiry`).
    pub idle: u64,
    /// Sessions ended at their absolute lifetime (`absolute_expiry`).
    pub absolute: u64,
}

impl Swept {
    /// Sessions ended, for both reasons.
    pub fn ended(&self) -> u64 {
        self.idle + self.absolute
    }

    /// Adds another batch's figures.
    pub fn add(&mut self, other: Swept) {
        self.claimed += other.claimed;
        self.idle += other.idle;
        self.absolute += other.absolute;
    }
}

/// Ends up to `limit` live sessions whose deadline has passed at `now`,
/// inside the caller's transaction. A session expires at the earlier of its
/// idle and absolute deadlines (the idle one is never set later than the
/// absolute one); it is recorded as ended then, not when the sweeper came
/// by, with the reason [`EndReason::expiry`] gives for that moment.
pub async fn end_expired(tx: &mut Tx, now: Timestamp, limit: u64) -> Result<Swept> {
    #[derive(sqlx::FromRow)]
    struct Claimed {
        id: Uuid,
        idle_expires_at: i64,
        expires_at: i64,
    }
    // The partial index `sessions_live_idle_expiry` (live sessions by idle
    // deadline) answers this without reading ended or live-and-valid rows.
    let claimed: Vec<Claimed> = tx
        .fetch_all(
            Query::select()
                .columns([Sessions::Id, Sessions::IdleExpiresAt, Sessions::ExpiresAt])
                .from(Sessions::Table)
                .and_where(Expr::col(Sessions::EndedAt).is_null())
                .and_where(Expr::col(Sessions::IdleExpiresAt).lte(now.0))
                .order_by(Sessions::IdleExpiresAt, Order::Asc)
                .limit(limit)
                .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked),
        )
        .await?;
    let mut idle = Vec::new();
    let mut absolute = Vec::new();
    for c in &claimed {
        let expired_at = std::cmp::min(c.idle_expires_at, c.expires_at);
        match EndReason::expiry(expired_at, c.expires_at) {
            EndReason::AbsoluteExpiry => absolute.push(c.id),
            _ => idle.push(c.id),
        }
    }
    let mut swept = Swept { claimed: claimed.len() as u64, ..Default::default() };
    swept.idle = end_at(tx, &idle, Sessions::IdleExpiresAt, EndReason::IdleExpiry).await?;
    swept.absolute = end_at(tx, &absolute, Sessions::ExpiresAt, EndReason::AbsoluteExpiry).await?;
    Ok(swept)
}

/// Ends these sessions at the deadline stored in `deadline`, with `reason`.
async fn end_at(tx: &mut Tx, ids: &[Uuid], deadline: Sessions, reason: EndReason) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    tx.execute(
        Query::update()
            .table(Sessions::Table)
            .value(Sessions::EndedAt, Expr::col(deadline))
            .value(Sessions::EndReason, reason.as_str())
            .and_where(Expr::col(Sessions::Id).is_in(ids.iter().copied()))
            .and_where(Expr::col(Sessions::EndedAt).is_null()),
    )
    .await
}
