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
    fn expiry_reason_follows_the_absolute_deadline() {
        assert_eq!(EndReason::expiry(10, 10), EndReason::AbsoluteExpiry);
        assert_eq!(EndReason::expiry(9, 10), EndReason::IdleExpiry);
    }
}
