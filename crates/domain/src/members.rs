//! Memberships: a user's standing in one organization, and how the Users
//! directory is filtered, sorted and paged.

use std::fmt;
use std::str::FromStr;

use crate::{Timestamp, UserId, ValidationError};

/// Where a member stands: `invited` → `active` ⇄ `disabled` → `archived`
/// (restorable). Archiving replaces deleting, so history stays intact.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum MemberStatus {
    /// Asked to join, not yet accepted.
    Invited,
    /// Has access.
    Active,
    /// Access suspended; can be enabled again.
    Disabled,
    /// A former member, kept for history; can be restored.
    Archived,
}

impl MemberStatus {
    /// Every status, in the order the UI shows them.
    pub const ALL: [MemberStatus; 4] = [Self::Active, Self::Invited, Self::Disabled, Self::Archived];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invited => "invited",
            Self::Active => "active",
            Self::Disabled => "disabled",
            Self::Archived => "archived",
        }
    }

    /// The label a person reads.
    pub fn label(self) -> &'static str {
        match self {
            Self::Invited => "Invited",
            Self::Active => "Active",
            Self::Disabled => "Disabled",
            Self::Archived => "Archived",
        }
    }
}

impl fmt::Display for MemberStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MemberStatus {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "invited" => Ok(Self::Invited),
            "active" => Ok(Self::Active),
            "disabled" => Ok(Self::Disabled),
            "archived" => Ok(Self::Archived),
            other => Err(ValidationError::field(
                "status",
                format!("unknown status '{other}'; use active, disabled, invited or archived"),
            )),
        }
    }
}

/// A change of status that an administrator asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusChange {
    /// `disabled` → `active`.
    Enable,
    /// `active` or `invited` → `disabled`.
    Disable,
    /// Anything but `archived` → `archived`.
    Archive,
    /// `archived` → `active`.
    Restore,
}

impl StatusChange {
    /// Every change, in the order a row offers them.
    pub const ALL: [StatusChange; 4] =
        [StatusChange::Enable, StatusChange::Disable, StatusChange::Restore, StatusChange::Archive];

    /// The status this change leads to from `from`, or `None` when it does not
    /// apply (enabling an active member, restoring one that is not archived).
    pub fn apply(self, from: MemberStatus) -> Option<MemberStatus> {
        use MemberStatus::*;
        match (self, from) {
            (Self::Enable, Disabled) => Some(Active),
            (Self::Disable, Active | Invited) => Some(Disabled),
            (Self::Archive, Invited | Active | Disabled) => Some(Archived),
            (Self::Restore, Archived) => Some(Active),
            _ => None,
        }
    }

    /// Whether the change takes access away, so that the owner and the last
    /// administrator must be protected from it.
    pub fn removes_access(self) -> bool {
        matches!(self, Self::Disable | Self::Archive)
    }

    /// The audit action recorded for it.
    pub fn audit_action(self) -> crate::audit::AuditAction {
        use crate::audit::AuditAction;
        match self {
            Self::Enable => AuditAction::MemberEnabled,
            Self::Disable => AuditAction::MemberDisabled,
            Self::Archive => AuditAction::MemberArchived,
            Self::Restore => AuditAction::MemberRestored,
        }
    }

    /// The wire name (`enable`, `disable`, `archive`, `restore`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enable => "enable",
            Self::Disable => "disable",
            Self::Archive => "archive",
            Self::Restore => "restore",
        }
    }

    /// The verb a person reads ("Disable").
    pub fn label(self) -> &'static str {
        match self {
            Self::Enable => "Enable",
            Self::Disable => "Disable",
            Self::Archive => "Archive",
            Self::Restore => "Restore",
        }
    }

    /// The statuses a member must have for this change to apply.
    pub fn applies_to(self) -> &'static [MemberStatus] {
        use MemberStatus::*;
        match self {
            Self::Enable => &[Disabled],
            Self::Disable => &[Active, Invited],
            Self::Archive => &[Invited, Active, Disabled],
            Self::Restore => &[Archived],
        }
    }
}

impl FromStr for StatusChange {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "enable" => Ok(Self::Enable),
            "disable" => Ok(Self::Disable),
            "archive" => Ok(Self::Archive),
            "restore" => Ok(Self::Restore),
            other => Err(ValidationError::field(
                "action",
                format!("unknown action '{other}'; use enable, disable, archive or restore"),
            )),
        }
    }
}

/// The column the Users directory is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberSort {
    /// By email address (the default).
    #[default]
    Email,
    /// By display name.
    Name,
    /// By when the membership was created.
    Created,
    /// By the member's last activity; never-active members sort first ascending.
    LastActive,
}

impl MemberSort {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Name => "name",
            Self::Created => "created",
            Self::LastActive => "last_active",
        }
    }
}

impl FromStr for MemberSort {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "email" => Ok(Self::Email),
            "name" => Ok(Self::Name),
            "created" => Ok(Self::Created),
            "last_active" => Ok(Self::LastActive),
            other => Err(ValidationError::field(
                "sort",
                format!("unknown sort '{other}'; use email, name, created or last_active"),
            )),
        }
    }
}

pub use crate::page::{SortOrder, SortValue};

/// Which members a list or a bulk action covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberFilter {
    /// Case-insensitive substring of the name or the email (trimmed, may be empty).
    pub q: String,
    /// The statuses to include; empty means all.
    pub statuses: Vec<MemberStatus>,
    /// Only members holding this role.
    pub role: Option<crate::RoleId>,
}

impl MemberFilter {
    /// The longest search text accepted.
    pub const MAX_Q: usize = 200;

    /// Builds a filter, checking the search text's length and removing
    /// duplicate statuses.
    pub fn new(q: &str, mut statuses: Vec<MemberStatus>) -> Result<Self, ValidationError> {
        let q = q.trim().to_lowercase();
        if q.chars().count() > Self::MAX_Q {
            return Err(ValidationError::field("q", "must be at most 200 characters"));
        }
        statuses.sort();
        statuses.dedup();
        if statuses.len() == MemberStatus::ALL.len() {
            statuses.clear();
        }
        Ok(Self { q, statuses, role: None })
    }

    /// The same filter, narrowed to holders of a role.
    pub fn with_role(self, role: Option<crate::RoleId>) -> Self {
        Self { role, ..self }
    }

    /// Whether the filter restricts statuses.
    pub fn has_status(&self) -> bool {
        !self.statuses.is_empty()
    }

    /// Whether a member with this status passes the status part.
    pub fn admits(&self, status: MemberStatus) -> bool {
        self.statuses.is_empty() || self.statuses.contains(&status)
    }
}

/// Page-size bounds of the Users directory.
pub const PER_PAGE_MIN: u32 = 10;
/// The largest page.
pub const PER_PAGE_MAX: u32 = 200;
/// The page size when none is asked for.
pub const PER_PAGE_DEFAULT: u32 = 25;
/// How deep `page` may reach with an offset; beyond it, clients page by cursor.
pub const MAX_OFFSET: u64 = 10_000;

/// Checks a page size.
pub fn check_per_page(per_page: u32) -> Result<u32, ValidationError> {
    if (PER_PAGE_MIN..=PER_PAGE_MAX).contains(&per_page) {
        Ok(per_page)
    } else {
        Err(ValidationError::field("per_page", "must be between 10 and 200"))
    }
}

/// A keyset position in the directory.
pub type Cursor = crate::page::Cursor<MemberSort, UserId>;

impl crate::page::SortKey for MemberSort {
    fn as_str(self) -> &'static str {
        MemberSort::as_str(self)
    }
}

/// One row of the Users directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The user's id.
    pub user_id: UserId,
    /// The user's email.
    pub email: String,
    /// The user's display name.
    pub name: String,
    /// The membership's status.
    pub status: MemberStatus,
    /// Whether the user has confirmed their email address.
    pub confirmed: bool,
    /// When the membership was created.
    pub created_at: Timestamp,
    /// When the member was last active in this organization.
    pub last_active_at: Option<Timestamp>,
}

impl Member {
    /// This row's value of the sort column, for a cursor.
    pub fn sort_value(&self, sort: MemberSort) -> SortValue {
        match sort {
            MemberSort::Email => SortValue::Text(self.email.clone()),
            MemberSort::Name => SortValue::Text(self.name.clone()),
            MemberSort::Created => SortValue::Time(Some(self.created_at)),
            MemberSort::LastActive => SortValue::Time(self.last_active_at),
        }
    }
}

/// Per-status member counts, for the summary badges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct StatusCounts {
    /// Active members.
    pub active: u64,
    /// Disabled members.
    pub disabled: u64,
    /// Invited members.
    pub invited: u64,
    /// Archived members.
    pub archived: u64,
}

impl StatusCounts {
    /// The count for one status.
    pub fn get(&self, s: MemberStatus) -> u64 {
        match s {
            MemberStatus::Active => self.active,
            MemberStatus::Disabled => self.disabled,
            MemberStatus::Invited => self.invited,
            MemberStatus::Archived => self.archived,
        }
    }

    /// Adds `n` to one status's count.
    pub fn add(&mut self, s: MemberStatus, n: u64) {
        match s {
            MemberStatus::Active => self.active += n,
            MemberStatus::Disabled => self.disabled += n,
            MemberStatus::Invited => self.invited += n,
            MemberStatus::Archived => self.archived += n,
        }
    }

    /// The sum over the statuses a filter admits.
    pub fn total_for(&self, filter: &MemberFilter) -> u64 {
        MemberStatus::ALL.iter().filter(|s| filter.admits(**s)).map(|s| self.get(*s)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions() {
        use MemberStatus::*;
        assert_eq!(StatusChange::Disable.apply(Active), Some(Disabled));
        assert_eq!(StatusChange::Enable.apply(Disabled), Some(Active));
        assert_eq!(StatusChange::Enable.apply(Active), None);
        assert_eq!(StatusChange::Archive.apply(Archived), None);
        assert_eq!(StatusChange::Restore.apply(Archived), Some(Active));
        assert_eq!(StatusChange::Restore.apply(Disabled), None);
        for c in [StatusChange::Enable, StatusChange::Disable, StatusChange::Archive, StatusChange::Restore] {
            for s in MemberStatus::ALL {
                assert_eq!(c.apply(s).is_some(), c.applies_to().contains(&s), "{c:?} {s:?}");
            }
        }
    }

    #[test]
    fn cursor_round_trip() {
        for value in [
            SortValue::Text("ann|x@example.com".into()),
            SortValue::Time(Some(Timestamp(1_700_000_000_000))),
            SortValue::Time(None),
        ] {
            let c = Cursor { sort: MemberSort::Name, order: SortOrder::Desc, value, id: UserId::new(), backward: true };
            assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        }
        assert!(Cursor::decode("zz").is_err());
        assert!(Cursor::decode("").is_err());
    }

    #[test]
    fn filter_normalises() {
        let f = MemberFilter::new("  Ann ", vec![MemberStatus::Active, MemberStatus::Active]).unwrap();
        assert_eq!(f.q, "ann");
        assert_eq!(f.statuses, vec![MemberStatus::Active]);
        let all = MemberFilter::new("", MemberStatus::ALL.to_vec()).unwrap();
        assert!(!all.has_status());
    }
}
