//! Invitations: a pending membership by email, accepted through a link.
//!
//! An invitation is stored `pending`, `accepted` or `canceled`; a pending one
//! whose expiry has passed is shown as `expired` ([`InvitationState`]), which
//! is a reading of the time, not a stored status, so that nothing has to run
//! at the moment it expires.
//!
//! The link's token names the organization and carries the secret:
//! `{organization id as 32 hex digits}.{64 hex digits}`. The organization
//! part lets the invitation be found by `(org_id, token_hash)` (every index
//! of a tenant's table starts with its organization); only the secret's
//! SHA-256 is stored.

use std::fmt;
use std::str::FromStr;

use crate::orgs::parse_display_name;
use crate::{OrgId, Timestamp, ValidationError};

/// An invitation's stored status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvitationStatus {
    /// Sent, not yet accepted or canceled (it may have expired).
    Pending,
    /// Accepted: the membership is active.
    Accepted,
    /// Canceled before it was accepted.
    Canceled,
}

impl InvitationStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Canceled => "canceled",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "accepted" => Some(Self::Accepted),
            "canceled" => Some(Self::Canceled),
            _ => None,
        }
    }
}

/// Where an invitation stands as people see it: its status, with a pending
/// one past its expiry shown as expired.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum InvitationState {
    /// Waiting to be accepted.
    Pending,
    /// Not accepted in time; it can be sent again.
    Expired,
    /// Accepted.
    Accepted,
    /// Canceled.
    Canceled,
}

impl InvitationState {
    /// Every state, in the order the pages show them.
    pub const ALL: [InvitationState; 4] = [Self::Pending, Self::Expired, Self::Accepted, Self::Canceled];

    /// The state of an invitation with this status and expiry, at `now`.
    pub fn of(status: InvitationStatus, expires_at: Timestamp, now: Timestamp) -> Self {
        match status {
            InvitationStatus::Pending if now.0 >= expires_at.0 => Self::Expired,
            InvitationStatus::Pending => Self::Pending,
            InvitationStatus::Accepted => Self::Accepted,
            InvitationStatus::Canceled => Self::Canceled,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Expired => "expired",
            Self::Accepted => "accepted",
            Self::Canceled => "canceled",
        }
    }

    /// The label a person reads.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Expired => "Expired",
            Self::Accepted => "Accepted",
            Self::Canceled => "Canceled",
        }
    }

    /// The stored status this state is a reading of.
    pub fn status(self) -> InvitationStatus {
        match self {
            Self::Pending | Self::Expired => InvitationStatus::Pending,
            Self::Accepted => InvitationStatus::Accepted,
            Self::Canceled => InvitationStatus::Canceled,
        }
    }

    /// Whether the invitation can still be sent again or canceled (pending or expired).
    pub fn is_open(self) -> bool {
        matches!(self, Self::Pending | Self::Expired)
    }
}

impl fmt::Display for InvitationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for InvitationState {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pending" => Ok(Self::Pending),
            "expired" => Ok(Self::Expired),
            "accepted" => Ok(Self::Accepted),
            "canceled" | "cancelled" => Ok(Self::Canceled),
            other => Err(ValidationError::field(
                "status",
                format!("unknown status '{other}'; use pending, expired, accepted or canceled"),
            )),
        }
    }
}

/// The one order invitations are listed in: newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InvitationSort {
    /// By when the invitation was made.
    #[default]
    Created,
}

impl FromStr for InvitationSort {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "created" => Ok(Self::Created),
            other => Err(ValidationError::field("sort", format!("unknown sort '{other}'; use created"))),
        }
    }
}

impl crate::page::SortKey for InvitationSort {
    fn as_str(self) -> &'static str {
        "created"
    }
}

/// A keyset position in the invitations list.
pub type InvitationCursor = crate::page::Cursor<InvitationSort, crate::InvitationId>;

/// The longest first or last name.
pub const NAME_PART_MAX: usize = 100;

/// The invitee's names: a first name (required) and a last name (optional:
/// not everyone has two), each at most [`NAME_PART_MAX`] characters, with
/// the characters a display name refuses refused. Answers both, trimmed.
pub fn parse_names(first: &str, last: &str) -> Result<(String, String), ValidationError> {
    let mut errors = ValidationError { errors: vec![] };
    let first = match parse_display_name("first_name", first) {
        Ok(f) if f.chars().count() > NAME_PART_MAX => {
            errors.merge(ValidationError::field("first_name", format!("must be at most {NAME_PART_MAX} characters")));
            String::new()
        }
        Ok(f) => f,
        Err(e) => {
            errors.merge(e);
            String::new()
        }
    };
    let last = if last.trim().is_empty() {
        String::new()
    } else {
        match parse_display_name("last_name", last) {
            Ok(l) if l.chars().count() > NAME_PART_MAX => {
                errors
                    .merge(ValidationError::field("last_name", format!("must be at most {NAME_PART_MAX} characters")));
                String::new()
            }
            Ok(l) => l,
            Err(e) => {
                errors.merge(e);
                String::new()
            }
        }
    };
    if errors.errors.is_empty() { Ok((first, last)) } else { Err(errors) }
}

/// The display name of an invitee: "First Last", or the first name alone.
pub fn display_name(first: &str, last: &str) -> String {
    if last.is_empty() { first.to_string() } else { format!("{first} {last}") }
}

/// A display name as a first and a last name: the first word (up to the
/// first space) and the rest, so that [`display_name`] gives a trimmed name
/// back unchanged. A name of one word has no last name. The members
/// directory's export writes its First name and Last name columns with it,
/// and the import reads them back into the same name.
pub fn split_name(name: &str) -> (String, String) {
    match name.split_once(' ') {
        Some((first, last)) => (first.to_string(), last.to_string()),
        None => (name.to_string(), String::new()),
    }
}

/// The token of an invitation link, made of the organization's id and the
/// secret (see the module's documentation).
pub fn format_token(org: OrgId, secret: &str) -> String {
    format!("{}.{secret}", org.0.simple())
}

/// Reads an invitation link's token into the organization and the secret.
/// `None` for anything that is not one (the caller answers it exactly like
/// an unknown token).
pub fn parse_token(token: &str) -> Option<(OrgId, &str)> {
    let (org, secret) = token.trim().split_once('.')?;
    if org.len() != 32 || secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let org = uuid::Uuid::try_parse(org).ok()?;
    Some((OrgId(org), secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pending_invitation_expires_at_its_expiry() {
        let at = Timestamp(1000);
        assert_eq!(InvitationState::of(InvitationStatus::Pending, at, Timestamp(999)), InvitationState::Pending);
        assert_eq!(InvitationState::of(InvitationStatus::Pending, at, Timestamp(1000)), InvitationState::Expired);
        assert_eq!(InvitationState::of(InvitationStatus::Accepted, at, Timestamp(5000)), InvitationState::Accepted);
        assert_eq!(InvitationState::of(InvitationStatus::Canceled, at, Timestamp(5000)), InvitationState::Canceled);
        for s in InvitationState::ALL {
            assert_eq!(s.as_str().parse::<InvitationState>().unwrap(), s);
        }
        assert!("sleeping".parse::<InvitationState>().is_err());
    }

    #[test]
    fn tokens_carry_the_organization_and_the_secret() {
        let org = OrgId::new();
        let secret = "ab".repeat(32);
        let token = format_token(org, &secret);
        assert_eq!(parse_token(&token), Some((org, secret.as_str())));
        for bad in ["", "abc", &secret, &format!("{}.{}", org.0.simple(), "zz".repeat(32)), &format!("x.{secret}")] {
            assert_eq!(parse_token(bad), None, "{bad}");
        }
    }

    #[test]
    fn names_are_checked_each_on_its_own() {
        assert_eq!(parse_names(" Ann ", "").unwrap(), ("Ann".into(), String::new()));
        assert_eq!(display_name("Ann", ""), "Ann");
        assert_eq!(display_name("Ann", "Lee"), "Ann Lee");
        let e = parse_names("", &"x".repeat(101)).unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["first_name", "last_name"]);
        assert!(parse_names("A\u{202e}nn", "").is_err());
    }

    #[test]
    fn a_name_splits_at_its_first_space() {
        assert_eq!(split_name("Ann"), ("Ann".into(), String::new()));
        assert_eq!(split_name("Ann Lee"), ("Ann".into(), "Lee".into()));
        assert_eq!(split_name("Mary Ann van der Berg"), ("Mary".into(), "Ann van der Berg".into()));
        assert_eq!(split_name(""), (String::new(), String::new()));
        // The parts the invitation form checks give the same name back.
        for name in ["Ann", "Ann Lee", "José María Ñúñez", "=HYPERLINK(\"x\") y"] {
            let (first, last) = split_name(name);
            let (first, last) = parse_names(&first, &last).unwrap();
            assert_eq!(display_name(&first, &last), name);
        }
    }

    proptest::proptest! {
        /// Any display name (trimmed) comes back from its two parts.
        #[test]
        fn display_name_undoes_split_name(name in "[^\\s]([\\PC ]{0,40}[^\\s])?") {
            let (first, last) = split_name(&name);
            proptest::prop_assert!(!first.contains(' '));
            proptest::prop_assert_eq!(display_name(&first, &last), name);
        }
    }
}
