//! Sign-in throttling: at most a few password guesses per account, and a
//! few more per client address, are evaluated in a window; further attempts
//! are refused until the window ends, whatever the password. It slows
//! password guessing without locking the account for good.
//!
//! Each attempt is reserved in the database before its password is hashed
//! (`roster_store::throttle::reserve_attempt`: check and increment in one
//! statement), so the limit holds however many guesses arrive at once and on
//! however many server instances. A successful sign-in forgets the
//! account's failures, unless other attempts at the account are in flight
//! at that moment (then the counter stands until the window ends, so a right
//! password among parallel guesses frees no more guesses). A success also
//! gives back its own reservation on the address, so that many people
//! signing in from one office do not lock each other out.

use roster_domain::{Email, Timestamp};
use roster_store::Db;
use roster_store::throttle::{self, AttemptKey, AttemptKind};

use crate::AppError;
use crate::error::Result;

/// Attempts allowed per email address in one window.
pub const FAILURES_PER_EMAIL: u32 = 5;
/// Attempts allowed per client address in one window.
pub const FAILURES_PER_IP: u32 = 50;
/// The window's length.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

/// The limits; the counters themselves live in the database.
#[derive(Debug, Clone)]
pub struct LoginThrottle {
    /// Attempts allowed per email address in one window.
    pub per_email: u32,
    /// Attempts allowed per client address in one window.
    pub per_ip: u32,
    /// The window's length (milliseconds).
    pub window_ms: i64,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self { per_email: FAILURES_PER_EMAIL, per_ip: FAILURES_PER_IP, window_ms: WINDOW_MS }
    }
}

/// An attempt that may go ahead: the counters it was reserved on, each with
/// the start of the window it was counted in.
#[derive(Debug, Clone)]
pub struct Reservation {
    email: (AttemptKey, i64),
    ip: (AttemptKey, i64),
}

/// The counter key of an email as typed: the hex SHA-256 of the normalized
/// address (of the trimmed, lower-cased text when it is not an address), so
/// the table holds no addresses and every spelling of one address shares a
/// counter.
pub(crate) fn email_key(email: &str) -> AttemptKey {
    let normalized =
        Email::parse(email).map(|e| e.as_str().to_string()).unwrap_or_else(|_| email.trim().to_lowercase());
    AttemptKey { kind: AttemptKind::Email, key: hex::encode(crate::tokens::hash_secret(&normalized)) }
}

fn ip_key(ip: Option<&str>) -> AttemptKey {
    AttemptKey { kind: AttemptKind::Ip, key: ip.unwrap_or("-").to_string() }
}

impl LoginThrottle {
    /// Reserves an attempt for this email from this address, or refuses it
    /// (`TooManyAttempts`, with the seconds until the window ends) when
    /// either counter is at its limit. Call before evaluating the password.
    pub async fn reserve(&self, db: &Db, email: &str, ip: Option<&str>, now: Timestamp) -> Result<Reservation> {
        let mut conn = db.conn().await?;
        throttle::sweep(&mut conn, now, self.window_ms).await?;
        let email = email_key(email);
        let Some(email_start) =
            throttle::reserve_attempt(&mut conn, &email, self.per_email, now, self.window_ms).await?
        else {
            return Err(self.refusal(&mut conn, &email, now).await?);
        };
        let ip = ip_key(ip);
        let Some(ip_start) = throttle::reserve_attempt(&mut conn, &ip, self.per_ip, now, self.window_ms).await? else {
            // The attempt is not made: the account's counter gets its place back.
            throttle::release_attempt(&mut conn, &email, email_start).await?;
            return Err(self.refusal(&mut conn, &ip, now).await?);
        };
        Ok(Reservation { email: (email, email_start), ip: (ip, ip_start) })
    }

    async fn refusal(&self, conn: &mut roster_store::Conn, key: &AttemptKey, now: Timestamp) -> Result<AppError> {
        let start = throttle::window_start(conn, key).await?.unwrap_or(now.0);
        let left_ms = (start + self.window_ms - now.0).max(1_000);
        Ok(AppError::TooManyAttempts { retry_after_s: (left_ms + 999) / 1000 })
    }

    /// Records that a reserved attempt failed: it stays counted on both
    /// counters until the window ends.
    pub async fn failed(&self, db: &Db, r: &Reservation) -> Result<()> {
        let mut conn = db.conn().await?;
        throttle::record_failure(&mut conn, &r.email.0, r.email.1).await?;
        throttle::record_failure(&mut conn, &r.ip.0, r.ip.1).await?;
        Ok(())
    }

    /// Records that a reserved attempt succeeded: the account's failures are
    /// forgotten when no other attempt at it is in flight, and the address
    /// gets this attempt's place back.
    pub async fn succeeded(&self, db: &Db, r: &Reservation) -> Result<()> {
        let mut conn = db.conn().await?;
        throttle::clear_settled(&mut conn, &r.email.0, r.email.1).await?;
        throttle::release_attempt(&mut conn, &r.ip.0, r.ip.1).await?;
        Ok(())
    }
}
