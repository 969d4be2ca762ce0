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

use crate::tables::SignInAttempts;
use crate::{Conn, Result};

/// What a counter counts attempts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptKind {
    /// One account: the key is the hex SHA-256 of its normalized email.
    Email,
    /// One client address: the key is the address as text.
    Ip,
    /// Password reset requests for one email (key as for `Email`).
    ResetEmail,
    /// Password reset requests from one client address.
    ResetIp,
    /// Email change requests of one user (the key is the user's id), each
    /// of which mails an address the user typed.
    EmailChange,
    /// Access requests made by one user (the key is the user's id).
    AccessRequestUser,
    /// Access requests made to one organization (the key is its id).
    AccessRequestOrg,
    /// Sign-ups from one client address.
    SignupIp,
    /// Sign-ups for one email (key as for `Email`).
    SignupEmail,
}

impl AttemptKind {
    fn as_str(self) -> &'static str {
        match self {
            AttemptKind::Email => "email",
            AttemptKind::Ip => "ip",
            AttemptKind::ResetEmail => "reset_email",
            AttemptKind::ResetIp => "reset_ip",
            AttemptKind::EmailChange => "email_change",
            AttemptKind::AccessRequestUser => "access_request_user",
            AttemptKind::AccessRequestOrg => "access_request_org",
            AttemptKind::SignupIp => "signup_ip",
            AttemptKind::SignupEmail => "signup_email",
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
        col(SignInAttempts::Kind).eq(self.kind.as_str()).and(col(SignInAttempts::Key).eq(self.key.as_str()))
    }
}

/// A counter column, qualified by its table.
fn col(name: SignInAttempts) -> Expr {
    Expr::col((SignInAttempts::Table, name))
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
    let ended = || col(SignInAttempts::WindowStart).lte(now.0 - window_ms);
    let q = Query::insert()
        .into_table(SignInAttempts::Table)
        .columns([
            SignInAttempts::Kind,
            SignInAttempts::Key,
            SignInAttempts::WindowStart,
            SignInAttempts::Attempts,
            SignInAttempts::Failures,
        ])
        .values_panic([key.kind.as_str().into(), key.key.clone().into(), now.0.into(), 1i64.into(), 0i64.into()])
        .on_conflict(
            OnConflict::columns([SignInAttempts::Kind, SignInAttempts::Key])
                .value(
                    SignInAttempts::WindowStart,
                    Expr::case(ended(), now.0).finally(col(SignInAttempts::WindowStart)),
                )
                .value(
                    SignInAttempts::Attempts,
                    Expr::case(ended(), 1i64).finally(col(SignInAttempts::Attempts).add(1i64)),
                )
                .value(SignInAttempts::Failures, Expr::case(ended(), 0i64).finally(col(SignInAttempts::Failures)))
                .action_and_where(col(SignInAttempts::Attempts).lt(i64::from(limit)).or(ended()))
                .to_owned(),
        )
        .returning_col(SignInAttempts::WindowStart)
        .to_owned();
    Ok(conn.fetch_optional::<WindowRow, _>(&q).await?.map(|r| r.window_start))
}

/// The start of a counter's current window, if it has one.
pub async fn window_start(conn: &mut Conn, key: &AttemptKey) -> Result<Option<i64>> {
    let q = Query::select()
        .column(SignInAttempts::WindowStart)
        .from(SignInAttempts::Table)
        .and_where(key.matches())
        .to_owned();
    Ok(conn.fetch_optional::<WindowRow, _>(&q).await?.map(|r| r.window_start))
}

/// Gives back one attempt reserved in the window starting at
/// `window_start` (an attempt that was not made, or that succeeded and
/// should not count against a shared address). Nothing changes when that
/// window has ended since.
pub async fn release_attempt(conn: &mut Conn, key: &AttemptKey, window_start: i64) -> Result<()> {
    conn.execute(
        Query::update()
            .table(SignInAttempts::Table)
            .value(SignInAttempts::Attempts, col(SignInAttempts::Attempts).sub(1i64))
            .and_where(key.matches())
            .and_where(col(SignInAttempts::WindowStart).eq(window_start))
            .and_where(col(SignInAttempts::Attempts).gt(col(SignInAttempts::Failures))),
    )
    .await?;
    Ok(())
}

/// Marks an attempt reserved in the window starting at `window_start` as
/// failed: it stays counted.
pub async fn record_failure(conn: &mut Conn, key: &AttemptKey, window_start: i64) -> Result<()> {
    conn.execute(
        Query::update()
            .table(SignInAttempts::Table)
            .value(SignInAttempts::Failures, col(SignInAttempts::Failures).add(1i64))
            .and_where(key.matches())
            .and_where(col(SignInAttempts::WindowStart).eq(window_start))
            .and_where(col(SignInAttempts::Failures).lt(col(SignInAttempts::Attempts))),
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
    let own = || Expr::case(col(SignInAttempts::WindowStart).eq(window_start), 1i64).finally(0i64);
    conn.execute(
        Query::update()
            .table(SignInAttempts::Table)
            .value(
                SignInAttempts::Attempts,
                col(SignInAttempts::Attempts).sub(col(SignInAttempts::Failures)).sub(own()),
            )
            .value(SignInAttempts::Failures, 0i64)
            .and_where(key.matches())
            .and_where(col(SignInAttempts::Attempts).sub(col(SignInAttempts::Failures)).eq(own())),
    )
    .await?;
    Ok(())
}

/// Deletes the counters whose window has ended by `now` (their next attempt
/// would start a new window anyway); answers how many.
pub async fn sweep(conn: &mut Conn, now: Timestamp, window_ms: i64) -> Result<u64> {
    conn.execute(
        Query::delete()
            .from_table(SignInAttempts::Table)
            .and_where(col(SignInAttempts::WindowStart).lte(now.0 - window_ms)),
    )
    .await
}
