//! Why a sign-in session ended: the closed vocabulary the session history
//! stores, filters on and shows.

/// How a session ended. Stored by [`EndReason::as_str`]; names never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndReason {
    /// Its user signed out of it.
    Logout,
    /// Someone logged it out from another session: its own user (My
    /// Sessions) or an organization's administrator (Active Sessions; the
    /// session records who and from which organization).
    Revoked,
    /// Nobody used it for the idle lifetime.
    IdleExpiry,
    /// It reached its absolute lifetime.
    AbsoluteExpiry,
    /// Its user was disabled in their last organization with an active membership.
    MemberDisabled,
    /// Its user was archived in their last organization with an active membership.
    MemberArchived,
    /// Its user's password was set (a reset, an administrator's link).
    PasswordChanged,
}

impl EndReason {
    /// Every reason, in the order filters list them.
    pub const ALL: [EndReason; 7] = [
        EndReason::Logout,
        EndReason::Revoked,
        EndReason::IdleExpiry,
        EndReason::AbsoluteExpiry,
        EndReason::MemberDisabled,
        EndReason::MemberArchived,
        EndReason::PasswordChanged,
    ];

    /// The stored name (`idle_expiry`).
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Logout => "logout",
            EndReason::Revoked => "revoked",
            EndReason::IdleExpiry => "idle_expiry",
            EndReason::AbsoluteExpiry => "absolute_expiry",
            EndReason::MemberDisabled => "member_disabled",
            EndReason::MemberArchived => "member_archived",
            EndReason::PasswordChanged => "password_changed",
        }
    }

    /// What people read ("Idle expiry").
    pub fn label(self) -> &'static str {
        match self {
            EndReason::Logout => "Logged out",
            EndReason::Revoked => "Revoked",
            EndReason::IdleExpiry => "Idle expiry",
            EndReason::AbsoluteExpiry => "Absolute expiry",
            EndReason::MemberDisabled => "Member disabled",
            EndReason::MemberArchived => "Member archived",
            EndReason::PasswordChanged => "Password changed",
        }
    }

    /// The reason an expired session ends with: absolute when its absolute
    /// deadline has passed, idle otherwise.
    pub fn expiry(now_ms: i64, absolute_expires_at_ms: i64) -> EndReason {
        if now_ms >= absolute_expires_at_ms { EndReason::AbsoluteExpiry } else { EndReason::IdleExpiry }
    }
}

impl std::fmt::Display for EndReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for EndReason {
    type Err = crate::ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EndReason::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| crate::ValidationError::field("reason", format!("'{s}' is not a session end reason")))
    }
}

/// The orders the organization's session lists read in, newest first: the
/// Active Sessions tab by sign-in, the Session History tab by end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionSort {
    /// By when the session started (live sessions).
    #[default]
    Created,
    /// By when the session ended (history).
    Ended,
}

impl std::str::FromStr for SessionSort {
    type Err = crate::ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "created" => Ok(Self::Created),
            "ended" => Ok(Self::Ended),
            other => Err(crate::ValidationError::field("sort", format!("unknown sort '{other}'"))),
        }
    }
}

impl crate::page::SortKey for SessionSort {
    fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Ended => "ended",
        }
    }
}

/// A keyset position in one of the organization's session lists.
pub type SessionCursor = crate::page::Cursor<SessionSort, crate::SessionId>;

/// A session is "Idle" on the Active Sessions tab once no request used it
/// for this long (5 minutes), "Active" before.
pub const IDLE_AFTER_MS: i64 = 5 * 60 * 1000;

/// How a live session stands: used lately, or idle (still live until its idle expiry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveStatus {
    /// A request used it within [`IDLE_AFTER_MS`].
    Active,
    /// No request for [`IDLE_AFTER_MS`] or longer.
    Idle,
}

impl LiveStatus {
    /// The status of a session last used at `last_seen_ms`, at `now_ms`.
    /// (`last_seen_at` is written at most once a minute, so "Active" means
    /// used within the last five to six minutes.)
    pub fn at(now_ms: i64, last_seen_ms: i64) -> Self {
        if now_ms - last_seen_ms >= IDLE_AFTER_MS { Self::Idle } else { Self::Active }
    }

    /// The wire name (`active`, `idle`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Idle => "idle",
        }
    }

    /// What people read.
    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Idle => "Idle",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for r in EndReason::ALL {
            assert_eq!(r.as_str().parse::<EndReason>().unwrap(), r);
        }
        assert!("expired".parse::<EndReason>().is_err());
    }

    #[test]
    fn a_session_is_idle_after_five_minutes_without_a_request() {
        assert_eq!(LiveStatus::at(IDLE_AFTER_MS - 1, 0), LiveStatus::Active);
        assert_eq!(LiveStatus::at(IDLE_AFTER_MS, 0), LiveStatus::Idle);
    }

    #[test]
    fn session_cursors_belong_to_their_list() {
        use crate::page::SortOrder;
        let c = SessionCursor {
            sort: SessionSort::Ended,
            order: SortOrder::Desc,
            value: crate::page::SortValue::Time(Some(crate::Timestamp(5))),
            id: crate::SessionId::new(),
            backward: false,
        };
        let text = c.encode();
        assert_eq!(SessionCursor::decode_for(&text, SessionSort::Ended, SortOrder::Desc).unwrap(), c);
        assert!(SessionCursor::decode_for(&text, SessionSort::Created, SortOrder::Desc).is_err());
    }

    #[test]
    fn expiry_reason_follows_the_absolute_deadline() {
        assert_eq!(EndReason::expiry(10, 10), EndReason::AbsoluteExpiry);
        assert_eq!(EndReason::expiry(9, 10), EndReason::IdleExpiry);
    }
}
