//! Sign-in throttling: after too many failed attempts for one email address
//! (or from one client address) within a window, further attempts are refused
//! until the window ends, whatever the password. It slows password guessing
//! without locking the account for good.
//!
//! The counters live in memory, per server process: several instances each
//! allow the limit. That is the accepted trade-off until a shared store is needed.

use std::collections::HashMap;
use std::sync::Mutex;

use roster_domain::Timestamp;

/// Failed attempts allowed per email address in one window.
pub const FAILURES_PER_EMAIL: u32 = 5;
/// Failed attempts allowed per client address in one window.
pub const FAILURES_PER_IP: u32 = 50;
/// The window's length.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

/// Failure counters by key (`email:…` or `ip:…`).
#[derive(Debug, Default)]
pub struct LoginThrottle {
    counters: Mutex<HashMap<String, (u32, Timestamp)>>,
}

impl LoginThrottle {
    fn keys(email: &str, ip: Option<&str>) -> [(String, u32); 2] {
        [
            (format!("email:{}", email.trim().to_lowercase()), FAILURES_PER_EMAIL),
            (format!("ip:{}", ip.unwrap_or("-")), FAILURES_PER_IP),
        ]
    }

    /// When attempts are refused, the milliseconds until they are allowed again.
    pub fn blocked_for(&self, email: &str, ip: Option<&str>, now: Timestamp) -> Option<i64> {
        let counters = self.counters.lock().ok()?;
        Self::keys(email, ip)
            .iter()
            .filter_map(|(k, limit)| {
                let (n, start) = counters.get(k)?;
                let left = start.0 + WINDOW_MS - now.0;
                (*n >= *limit && left > 0).then_some(left)
            })
            .max()
    }

    /// Counts a failed attempt.
    pub fn record_failure(&self, email: &str, ip: Option<&str>, now: Timestamp) {
        let Ok(mut counters) = self.counters.lock() else { return };
        if counters.len() > 100_000 {
            counters.retain(|_, (_, start)| now.0 - start.0 < WINDOW_MS);
        }
        for (k, _) in Self::keys(email, ip) {
            let e = counters.entry(k).or_insert((0, now));
            if now.0 - e.1.0 >= WINDOW_MS {
                *e = (0, now);
            }
            e.0 += 1;
        }
    }

    /// Forgets an email's failures after a successful sign-in.
    pub fn record_success(&self, email: &str) {
        if let Ok(mut counters) = self.counters.lock() {
            counters.remove(&format!("email:{}", email.trim().to_lowercase()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_until_the_window_ends() {
        let t = LoginThrottle::default();
        let now = Timestamp(1_000_000);
        for _ in 0..FAILURES_PER_EMAIL {
            assert_eq!(t.blocked_for("a@x.test", Some("1.1.1.1"), now), None);
            t.record_failure("A@x.test", Some("1.1.1.1"), now);
        }
        assert!(t.blocked_for("a@x.test", Some("2.2.2.2"), now).is_some(), "per email, from any address");
        assert_eq!(t.blocked_for("b@x.test", Some("1.1.1.1"), now), None, "other emails are fine");
        assert_eq!(t.blocked_for("a@x.test", None, now.plus_millis(WINDOW_MS)), None);
        t.record_success("a@x.test");
        assert_eq!(t.blocked_for("a@x.test", None, now), None);
    }
}
