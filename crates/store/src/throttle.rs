//! Sign-in attempt counters, shared by every server instance.
//!
//! An attempt is reserved before its password is hashed, by one statement
//! that increments the counter only while it is below the limit
//! (`INSERT … ON CONFLICT … DO UPDATE … WHERE … RETURNING`, the same on
//! SQLite and PostgreSQL). Check and increment are therefore one atomic
//! step: however many guesses arrive at once, at most the limit of them are
//! granted in a window. Every statement here touches one row, so two
//! reservations never wait on each other in a cycle.

use roster_domain::Timestamp;
use sea_query::{Expr, ExprTrait, OnConflict, Query};

use crate::{Conn, Result};

const TABLE: &str = "sign_in_attempts";

/// What a counter counts attempts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptKind {
    /// One account: the key is the hex SHA-256 of its normalized email.
    Email,
    /// One client address: the key is the address as text.
    Ip,
}

impl AttemptKind {
    fn as_str(self) -> &'static str {
        match self {
            AttemptKind::Email => "email",
            AttemptKind::Ip => "ip",
        }
    }
}

/// One counter's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptKey {
    /// What it counts by.
    pub kind: AttemptKind,
    /// The email's hash or the address.
    pub key: String,
}

impl AttemptKey {
    fn matches(&self) -> Expr {
        Expr::col((TABLE, "kind")).eq(self.kind.as_str()).and(Expr::col((TABLE, "key")).eq(self.key.as_str()))
    }
}

fn col(name: &'static str) -> Expr {
    Expr::col((TABLE, name))
}

#[derive(sqlx::FromRow)]
struct WindowRow {
    window_start: i64,
}

/// Reserves one attempt on a counter: answers the start of the window it
/// was counted in, or `None` when `limit` attempts are already reserved in
/// the current window (nothing is counted then). A window ends `window_ms`
/// after its first attempt; the first attempt after that starts a new one.
pub async fn reserve_attempt(
    conn: &mut Conn,
    key: &AttemptKey,
    limit: u32,
    now: Timestamp,
    window_ms: i64,
) -> Result<Option<i64>> {
    let ended = || col("window_start").lte(now.0 - window_ms);
    let q = Query::insert()
        .into_table(TABLE)
        .columns(["kind", "key", "window_start", "attempts", "failures"])
        .values_panic([key.kind.as_str().into(), key.key.clone().into(), now.0.into(), 1i64.into(), 0i64.into()])
        .on_conflict(
            OnConflict::columns(["kind", "key"])
                .value("window_start", Expr::case(ended(), now.0).finally(col("window_start")))
                .value("attempts", Expr::case(ended(), 1i64).finally(col("attempts").add(1i64)))
                .value("failures", Expr::case(ended(), 0i64).finally(col("failures")))
                .action_and_where(col("attempts").lt(i64::from(limit)).or(ended()))
                .to_owned(),
        )
        .returning_col("window_start")
        .to_owned();
    Ok(conn.fetch_optional::<WindowRow, _>(&q).await?.map(|r| r.window_start))
}

/// The start of a counter's current window, if it has one.
pub async fn window_start(conn: &mut Conn, key: &AttemptKey) -> Result<Option<i64>> {
    let q = Query::select().column("window_start").from(TABLE).and_where(key.matches()).to_owned();
    Ok(conn.fetch_optional::<WindowRow, _>(&q).await?.map(|r| r.window_start))
}

/// Gives back one attempt reserved in the window starting at
/// `window_start` (an attempt that was not made, or that succeeded and
/// should not count against a shared address). Nothing changes when that
/// window has ended since.
pub async fn release_attempt(conn: &mut Conn, key: &AttemptKey, window_start: i64) -> Result<()> {
    conn.execute(
        Query::update()
            .table(TABLE)
            .value("attempts", col("attempts").sub(1i64))
            .and_where(key.matches())
            .and_where(col("window_start").eq(window_start))
            .and_where(col("attempts").gt(col("failures"))),
    )
    .await?;
    Ok(())
}

/// Marks an attempt reserved in the window starting at `window_start` as
/// failed: it stays counted.
pub async fn record_failure(conn: &mut Conn, key: &AttemptKey, window_start: i64) -> Result<()> {
    conn.execute(
        Query::update()
            .table(TABLE)
            .value("failures", col("failures").add(1i64))
            .and_where(key.matches())
            .and_where(col("window_start").eq(window_start))
            .and_where(col("failures").lt(col("attempts"))),
    )
    .await?;
    Ok(())
}

/// After a successful attempt (reserved in the window starting at
/// `window_start`): forgets that attempt and the failed ones, when no other
/// attempt is in flight on the counter. When others are, nothing is given
/// back: the counter is being tried in parallel, and it stands until the
/// window ends, so a success never lets more guesses through.
pub async fn clear_settled(conn: &mut Conn, key: &AttemptKey, window_start: i64) -> Result<()> {
    // This attempt counts on the row only if its window has not restarted since.
    let own = || Expr::case(col("window_start").eq(window_start), 1i64).finally(0i64);
    conn.execute(
        Query::update()
            .table(TABLE)
            .value("attempts", col("attempts").sub(col("failures")).sub(own()))
            .value("failures", 0i64)
            .and_where(key.matches())
            .and_where(col("attempts").sub(col("failures")).eq(own())),
    )
    .await?;
    Ok(())
}

/// Deletes the counters whose window has ended by `now` (their next attempt
/// would start a new window anyway); answers how many.
pub async fn sweep(conn: &mut Conn, now: Timestamp, window_ms: i64) -> Result<u64> {
    conn.execute(Query::delete().from_table(TABLE).and_where(col("window_start").lte(now.0 - window_ms))).await
}
