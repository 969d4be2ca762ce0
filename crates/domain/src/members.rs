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

/// How the `email` filter matches an address (addresses are stored lower-cased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailMatch {
    /// Exactly this address.
    Exact(String),
    /// Every address that begins with this text.
    Prefix(String),
}

impl EmailMatch {
    /// Reads an `email` filter value: `ann*` is a prefix (the `*` may only
    /// end the value); a whole address (`ann@acme.test`) is that address
    /// exactly; any other text (`ann`, `ann@acme`) is a prefix too. Empty
    /// text, or `*` alone, is no filter.
    pub fn parse(value: &str) -> Result<Option<Self>, ValidationError> {
        let v = value.trim().to_lowercase();
        check_filter_text("email", &v, MemberFilter::MAX_EMAIL)?;
        let (text, starred) = match v.strip_suffix('*') {
            Some(rest) => (rest, true),
            None => (v.as_str(), false),
        };
        if text.contains('*') {
            return Err(ValidationError::field(
                "email",
                "may hold a * only at its end (ann* is every address starting with ann)",
            ));
        }
        Ok(if text.is_empty() {
            None
        } else if !starred && let Ok(address) = crate::Email::parse(text) {
            Some(Self::Exact(address.as_str().to_string()))
        } else {
            Some(Self::Prefix(text.to_string()))
        })
    }

    /// Whether a (lower-case) address matches.
    pub fn matches(&self, email: &str) -> bool {
        match self {
            Self::Exact(a) => email == a,
            Self::Prefix(p) => email.starts_with(p.as_str()),
        }
    }
}

/// Refuses control characters (NUL, line breaks, tabs, …), which no name or
/// address holds and the search indexes cannot take, and overlong text.
fn check_filter_text(field: &str, value: &str, max: usize) -> Result<(), ValidationError> {
    if value.chars().any(char::is_control) {
        return Err(ValidationError::field(
            field,
            "must not contain control characters (such as NUL, tab or line breaks)",
        ));
    }
    if value.chars().count() > max {
        return Err(ValidationError::field(field, format!("must be at most {max} characters")));
    }
    Ok(())
}

/// Which members a list or a bulk action covers. Every part narrows the
/// set further (they combine with AND).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberFilter {
    /// The search box, trimmed and lower-cased (may be empty): a
    /// case-insensitive substring of the name or the email, except that a
    /// whole email address matches the addresses that begin with it (see
    /// [`MemberFilter::q_address`]).
    pub q: String,
    /// A case-insensitive substring of the display name only (trimmed,
    /// lower-cased, may be empty).
    pub name: String,
    /// The `email` filter as given (trimmed, lower-cased, may be empty); see
    /// [`EmailMatch::parse`] for what it matches.
    pub email: String,
    /// The statuses to include; empty means all.
    pub statuses: Vec<MemberStatus>,
    /// Only members holding this role.
    pub role: Option<crate::RoleId>,
    /// Only members inactive for a while, or never active.
    pub activity: Activity,
    /// Only members holding a license of this product.
    pub product: Option<crate::products::ProductKey>,
}

/// The last-activity part of a [`MemberFilter`] (dormant members).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Activity {
    /// Any activity.
    #[default]
    Any,
    /// Members with no activity in the `days` before `as_of`, who have been
    /// members for at least that long (someone added yesterday is not
    /// dormant); members who never signed in are included.
    InactiveFor {
        /// How many days without activity.
        days: u32,
        /// The moment the days count back from (the request's now).
        as_of: Timestamp,
    },
    /// Members who never signed in.
    Never,
}

impl Activity {
    /// The most days `inactive_days` accepts (ten years).
    pub const MAX_DAYS: u32 = 3650;

    /// Reads the `inactive_days` and `never_active` parameters as of `now`.
    pub fn parse(
        inactive_days: Option<&str>,
        never_active: Option<&str>,
        now: Timestamp,
    ) -> Result<Self, ValidationError> {
        let never = match never_active.map(str::trim).unwrap_or("") {
            "" | "false" => false,
            "true" => true,
            _ => return Err(ValidationError::field("never_active", "must be true or false")),
        };
        let days = match inactive_days.map(str::trim).filter(|d| !d.is_empty()) {
            None => None,
            Some(d) => match d.parse::<u32>() {
                Ok(n) if (1..=Self::MAX_DAYS).contains(&n) => Some(n),
                _ => {
                    return Err(ValidationError::field(
                        "inactive_days",
                        format!("must be a whole number of days from 1 to {}", Self::MAX_DAYS),
                    ));
                }
            },
        };
        match (days, never) {
            (Some(_), true) => {
                Err(ValidationError::field("never_active", "cannot be combined with inactive_days; choose one"))
            }
            (Some(days), false) => Ok(Activity::InactiveFor { days, as_of: now }),
            (None, true) => Ok(Activity::Never),
            (None, false) => Ok(Activity::Any),
        }
    }

    /// The moment before which the last activity (and the joining) must lie.
    pub fn cutoff(self) -> Option<Timestamp> {
        match self {
            Activity::InactiveFor { days, as_of } => Some(Timestamp(as_of.0 - i64::from(days) * 86_400_000)),
            Activity::Any | Activity::Never => None,
        }
    }

    /// Whether a member who joined at `joined` and was last active at
    /// `last_active` (if ever) passes, exactly as the store's queries decide it.
    pub fn admits(self, joined: Timestamp, last_active: Option<Timestamp>) -> bool {
        match self {
            Activity::Any => true,
            Activity::Never => last_active.is_none(),
            Activity::InactiveFor { .. } => {
                let cutoff = self.cutoff().unwrap_or(Timestamp(i64::MIN));
                joined < cutoff && last_active.is_none_or(|t| t < cutoff)
            }
        }
    }

    /// The query-string parameters that give this filter back.
    pub fn query_pairs(self) -> Vec<(&'static str, String)> {
        match self {
            Activity::Any => vec![],
            Activity::InactiveFor { days, .. } => vec![("inactive_days", days.to_string())],
            Activity::Never => vec![("never_active", "true".into())],
        }
    }
}

impl MemberFilter {
    /// The longest search text accepted.
    pub const MAX_Q: usize = 200;
    /// The longest name filter accepted.
    pub const MAX_NAME: usize = 200;
    /// The longest email filter accepted (an address's own limit).
    pub const MAX_EMAIL: usize = 254;

    /// Builds a filter from the search text and statuses, checking the text
    /// and removing duplicate statuses.
    pub fn new(q: &str, statuses: Vec<MemberStatus>) -> Result<Self, ValidationError> {
        Self::parse(q, "", "", statuses)
    }

    /// Builds a filter from every text part (search, name, email) and the
    /// statuses, naming each bad field.
    pub fn parse(q: &str, name: &str, email: &str, mut statuses: Vec<MemberStatus>) -> Result<Self, ValidationError> {
        let mut errors = ValidationError { errors: vec![] };
        let q = q.trim().to_lowercase();
        let name = name.trim().to_lowercase();
        let email = email.trim().to_lowercase();
        check_filter_text("q", &q, Self::MAX_Q).unwrap_or_else(|e| errors.merge(e));
        check_filter_text("name", &name, Self::MAX_NAME).unwrap_or_else(|e| errors.merge(e));
        EmailMatch::parse(&email).map(drop).unwrap_or_else(|e| errors.merge(e));
        if !errors.errors.is_empty() {
            return Err(errors);
        }
        statuses.sort();
        statuses.dedup();
        if statuses.len() == MemberStatus::ALL.len() {
            statuses.clear();
        }
        Ok(Self { q, name, email, statuses, role: None, activity: Activity::Any, product: None })
    }

    /// The same filter, narrowed by last activity.
    pub fn with_activity(self, activity: Activity) -> Self {
        Self { activity, ..self }
    }

    /// Whether the filter narrows by anything but status (text, role, activity).
    pub fn narrows(&self) -> bool {
        self.has_text() || self.role.is_some() || self.activity != Activity::Any
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

    /// The search text when it is a whole email address (it has an `@` and
    /// parses as one): such a search is answered from the address index as
    /// the addresses beginning with it (that address itself, and longer ones
    /// such as `ann@acme.test.au`), not as a substring of names and emails,
    /// so that looking a member up by address costs an index lookup.
    pub fn q_address(&self) -> Option<&str> {
        (self.q.contains('@') && crate::Email::parse(&self.q).is_ok_and(|e| e.as_str() == self.q))
            .then_some(self.q.as_str())
    }

    /// The search text that is matched as a substring of the name or the
    /// email (empty when there is none, or when it is a whole address).
    pub fn q_text(&self) -> &str {
        if self.q_address().is_some() { "" } else { &self.q }
    }

    /// The conditions on the address: the `email` filter's and a search
    /// that is a whole address (as a prefix).
    pub fn email_matches(&self) -> Vec<EmailMatch> {
        let mut out: Vec<EmailMatch> = EmailMatch::parse(&self.email).ok().flatten().into_iter().collect();
        out.extend(self.q_address().map(|a| EmailMatch::Prefix(a.to_string())));
        out
    }

    /// Whether any text part (search, name, email) is set.
    pub fn has_text(&self) -> bool {
        !self.q.is_empty() || !self.name.is_empty() || !self.email_matches().is_empty()
    }

    /// Whether a member with this (lower-case) email and this name passes
    /// the text parts, exactly as the store's queries decide it.
    pub fn matches_text(&self, email: &str, name: &str) -> bool {
        let name = name.to_lowercase();
        let q = self.q_text();
        (q.is_empty() || email.contains(q) || name.contains(q))
            && (self.name.is_empty() || name.contains(&self.name))
            && self.email_matches().iter().all(|m| m.matches(email))
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

    #[test]
    fn email_filter_is_exact_for_an_address_and_a_prefix_otherwise() {
        let parse = |s: &str| EmailMatch::parse(s).unwrap();
        assert_eq!(parse(" Ann@Acme.Test "), Some(EmailMatch::Exact("ann@acme.test".into())));
        assert_eq!(parse("ann*"), Some(EmailMatch::Prefix("ann".into())));
        assert_eq!(parse("ann"), Some(EmailMatch::Prefix("ann".into())));
        assert_eq!(parse("ann@acme"), Some(EmailMatch::Prefix("ann@acme".into())));
        assert_eq!(parse("ann@acme.test*"), Some(EmailMatch::Prefix("ann@acme.test".into())));
        assert_eq!(parse(""), None);
        assert_eq!(parse("*"), None);
        assert_eq!(EmailMatch::parse("a*b").unwrap_err().errors[0].field, "email");
        assert!(parse("ann@acme.test").unwrap().matches("ann@acme.test"));
        assert!(!parse("ann@acme.test").unwrap().matches("ann@acme.test.au"));
        assert!(parse("ann*").unwrap().matches("anna@acme.test"));
    }

    #[test]
    fn a_whole_address_in_q_is_an_address_prefix() {
        let f = MemberFilter::new("Ann@Acme.Test", vec![]).unwrap();
        assert_eq!(f.q_address(), Some("ann@acme.test"));
        assert_eq!(f.q_text(), "");
        assert!(f.matches_text("ann@acme.test", "Ann"));
        assert!(f.matches_text("ann@acme.test.au", "Ann"));
        assert!(!f.matches_text("joann@acme.test", "Jo Ann"));
        let f = MemberFilter::new("ann@acme", vec![]).unwrap();
        assert_eq!(f.q_address(), None);
        assert!(f.matches_text("joann@acme.test", "Jo"));
    }

    #[test]
    fn control_characters_are_refused_naming_the_field() {
        for (q, name, email, field) in
            [("a\0b", "", "", "q"), ("", "a\u{1}", "", "name"), ("", "", "ann\0*", "email"), ("", "x\ny", "", "name")]
        {
            let e = MemberFilter::parse(q, name, email, vec![]).unwrap_err();
            assert_eq!(e.errors.len(), 1, "{e}");
            assert_eq!(e.errors[0].field, field, "{e}");
        }
        let e = MemberFilter::parse("\0", "\0", "\0", vec![]).unwrap_err();
        assert_eq!(e.errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["q", "name", "email"]);
    }
}
