//! The History tab's query: which events (actor, action or action group,
//! target, date range), in which order (newest first by date, then by chain
//! position), and the keyset cursor that pages through them.
//!
//! An action group is the part of an action's name before the dot
//! (`member`, `role`, `invitation`, `session`, `organization`, `user`): the
//! groups are read off [`AuditAction::ALL`], so a new action joins its group
//! without a change here.

use crate::audit::AuditAction;
use crate::page::{Cursor, SortKey, SortOrder, SortValue};
use crate::{Email, Timestamp, UserId, ValidationError};

/// Rows per page when none is asked for.
pub const PAGE_DEFAULT: u32 = 50;
/// The largest page.
pub const PAGE_MAX: u32 = 200;
/// The longest actor or target text a filter takes.
const TEXT_MAX: usize = 320;

/// Who acted: a user by id, a person by email address (the app looks the
/// address up), or an actor label as the log shows it (`cli`, `system`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActorFilter {
    /// A user's id.
    User(UserId),
    /// An email address: the user who has it now, or events labelled with it.
    Email(Email),
    /// An actor label without an address (`cli`, `system`).
    Label(String),
}

impl ActorFilter {
    /// Reads the `actor` parameter: an id, an email address, or a label.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let s = checked_text("actor", s)?;
        if let Ok(id) = s.parse::<UserId>() {
            return Ok(Self::User(id));
        }
        if s.contains('@') {
            return Email::parse(s)
                .map(Self::Email)
                .map_err(|e| ValidationError::field("actor", format!("is not an email address: {}", first(&e))));
        }
        Ok(Self::Label(s.to_lowercase()))
    }
}

/// What was acted on: an object's id, or a member's email address (the app
/// looks it up among the organization's members).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetFilter {
    /// The target id as events store it (a UUID in its hyphenated form).
    Id(String),
    /// A member's email address.
    Email(Email),
}

impl TargetFilter {
    /// Reads the `target` parameter.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let s = checked_text("target", s)?;
        if let Ok(id) = s.parse::<uuid::Uuid>() {
            return Ok(Self::Id(id.to_string()));
        }
        if s.contains('@') {
            return Email::parse(s)
                .map(Self::Email)
                .map_err(|e| ValidationError::field("target", format!("is not an email address: {}", first(&e))));
        }
        Err(ValidationError::field("target", "must be an id (a UUID) or a member's email address"))
    }
}

/// One action, or every action of a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionFilter {
    /// Exactly this action (`member.disabled`).
    One(AuditAction),
    /// Every action whose name starts with this group and a dot (`member`).
    Group(&'static str),
}

impl ActionFilter {
    /// Reads the `action` parameter: an action's dotted name, or a group
    /// (`member`, or its plural `members`).
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let s = s.trim();
        if s.contains('.') {
            return s.parse::<AuditAction>().map(Self::One).map_err(|_| {
                ValidationError::field(
                    "action",
                    format!("'{s}' is not an audit action; see the groups: {}", groups().join(", ")),
                )
            });
        }
        let lower = s.to_lowercase();
        let singular = lower.strip_suffix('s').unwrap_or(&lower);
        groups().into_iter().find(|g| *g == lower || *g == singular).map(Self::Group).ok_or_else(|| {
            ValidationError::field(
                "action",
                format!("'{s}' is neither an audit action nor a group; groups: {}", groups().join(", ")),
            )
        })
    }

    /// The actions it matches, in declaration order.
    pub fn actions(self) -> Vec<AuditAction> {
        match self {
            Self::One(a) => vec![a],
            Self::Group(g) => AuditAction::ALL.iter().copied().filter(|a| group_of(*a) == g).collect(),
        }
    }

    /// The wire form: the action's name or the group.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::One(a) => a.as_str(),
            Self::Group(g) => g,
        }
    }
}

/// The group of an action: its name before the dot.
pub fn group_of(action: AuditAction) -> &'static str {
    action.as_str().split_once('.').map_or(action.as_str(), |(g, _)| g)
}

/// Every group, in the order their first actions are declared.
pub fn groups() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for a in AuditAction::ALL {
        let g = group_of(*a);
        if !out.contains(&g) {
            out.push(g);
        }
    }
    out
}

/// The label of a group for a select box ("Members", "Accounts").
pub fn group_label(group: &str) -> String {
    match group {
        "member" => "Members".into(),
        "role" => "Roles".into(),
        "invitation" => "Invitations".into(),
        "session" => "Sessions".into(),
        "organization" => "Organization".into(),
        "user" => "Accounts (passwords, locks, email)".into(),
        "scim_group" => "SCIM groups".into(),
        "scim_group_mapping" => "SCIM group bindings".into(),
        other => {
            let mut c = other.replace('_', " ").chars().collect::<Vec<_>>();
            if let Some(f) = c.first_mut() {
                *f = f.to_ascii_uppercase();
            }
            c.into_iter().collect::<String>() + "s"
        }
    }
}

/// Which events a History page or export shows. Every part is optional;
/// the parts combine with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    /// Who acted.
    pub actor: Option<ActorFilter>,
    /// What was done.
    pub action: Option<ActionFilter>,
    /// What it was done to.
    pub target: Option<TargetFilter>,
    /// The earliest time, inclusive.
    pub from: Option<Timestamp>,
    /// The latest time, inclusive.
    pub to: Option<Timestamp>,
}

impl HistoryFilter {
    /// Refuses a range that ends before it starts (naming `to`).
    pub fn check_range(&self) -> Result<(), ValidationError> {
        match (self.from, self.to) {
            (Some(f), Some(t)) if t < f => Err(ValidationError::field("to", "is before from")),
            _ => Ok(()),
        }
    }

    /// Whether any part is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The one order of the History list: by date, then by chain position
/// (`seq`), newest first. A cursor names this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistorySort {
    /// Date, then position in the organization's chain.
    Date,
}

impl SortKey for HistorySort {
    fn as_str(self) -> &'static str {
        "date"
    }
}

impl std::str::FromStr for HistorySort {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "date" => Ok(Self::Date),
            _ => Err(ValidationError::field("cursor", "belongs to another list")),
        }
    }
}

/// A position in the History list: an event's date and sequence number,
/// with the direction to read from there (older, or newer for a "Newer" link).
pub type HistoryCursor = Cursor<HistorySort, i64>;

/// The keyset position of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct EventPosition {
    /// When it happened (milliseconds).
    pub created_at: i64,
    /// Its place in the organization's chain.
    pub seq: i64,
}

impl EventPosition {
    /// The cursor that reads on from this event: older (`newer = false`) or newer.
    pub fn cursor(self, newer: bool) -> String {
        HistoryCursor {
            sort: HistorySort::Date,
            order: SortOrder::Desc,
            value: SortValue::Time(Some(Timestamp(self.created_at))),
            id: self.seq,
            backward: newer,
        }
        .encode()
    }

    /// Reads a cursor this list gave out: the position and whether it reads newer events.
    pub fn decode(s: &str) -> Result<(Self, bool), ValidationError> {
        let c = HistoryCursor::decode_for(s, HistorySort::Date, SortOrder::Desc)?;
        let SortValue::Time(Some(t)) = c.value else {
            return Err(ValidationError::field("cursor", "is not a cursor of this list"));
        };
        Ok((Self { created_at: t.0, seq: c.id }, c.backward))
    }
}

/// One event as the History API answers it and the JSON Lines export writes
/// it (one per line).
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "id": "01936f3e-8a4b-7c2d-9e1f-0a1b2c3d4e5f",
    "seq": 1042,
    "actor": {"id": "01936f3e-0000-7000-8000-000000000001", "label": "olivia@acme.test", "type": "user", "name": "Olivia Owner"},
    "action": "member.roles_changed",
    "action_group": "member",
    "action_text": "changed the roles of",
    "target": {"type": "member", "id": "01936f3e-0000-7000-8000-000000000002", "name": "Bob Jones", "email": "bob@acme.test"},
    "context": {"organization": {"id": "01936f3e-0000-7000-8000-0000000000aa", "slug": "acme"}, "request_id": "5f0c2a9e", "ip": "203.0.113.7", "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0"},
    "details": {"summary": "Role changed from User to Billing Manager", "data": {"before": {"roles": ["User"]}, "after": {"roles": ["Billing Manager"]}, "added": ["Billing Manager"], "removed": ["User"]}},
    "created_at": "2026-11-22T14:05:09.123Z"
}))]
pub struct EventItem {
    /// The event's id.
    pub id: uuid::Uuid,
    /// Its position in the organization's hash chain, from 1.
    pub seq: i64,
    /// Who acted.
    pub actor: EventActor,
    /// What happened: the action's stable dotted name (`member.disabled`).
    pub action: String,
    /// The action's group, the name before the dot (`member`): what `action=` filters on for a group.
    pub action_group: String,
    /// The action in words, to put between the actor and the target ("disabled").
    pub action_text: String,
    /// What it happened to.
    pub target: EventTarget,
    /// Where it came from.
    pub context: EventContext,
    /// What changed: a sentence for people, and the stored details.
    pub details: EventDetails,
    /// When it happened (RFC 3339, UTC).
    pub created_at: String,
}

/// Who acted.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct EventActor {
    /// The user, when a person acted (null for the command line and Roster itself).
    pub id: Option<uuid::Uuid>,
    /// How the actor was shown when the event was written: an email address, `cli`, `system`, or
    /// `self` (a person acting on their own account through a link).
    pub label: String,
    /// `user`, `service_account`, `operator` (the command line) or `system` (Roster itself).
    #[serde(rename = "type")]
    #[schema(pattern = "^(user|service_account|operator|system)$")]
    pub kind: String,
    /// The acting member's name today, when they are a member.
    pub name: Option<String>,
}

/// What an event is about.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct EventTarget {
    /// The kind of object: `member`, `role` or `organization`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its id (a member's user id, a role's id, the organization's id).
    pub id: String,
    /// Its name today where known (a member's name, a role's name, the organization's name).
    pub name: Option<String>,
    /// A member's email address today.
    pub email: Option<String>,
}

/// Where an event came from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct EventContext {
    /// The organization whose log holds the event.
    pub organization: EventOrganization,
    /// The id of the HTTP request that made the change (the `X-Request-Id` answered), if any.
    pub request_id: Option<String>,
    /// The client's IP address, when the change came over HTTP.
    pub ip: Option<String>,
    /// The client's User-Agent, when the change came over HTTP.
    pub user_agent: Option<String>,
}

/// An organization, as an event's context names it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct EventOrganization {
    /// Its id.
    pub id: uuid::Uuid,
    /// Its slug.
    pub slug: String,
}

/// What an event changed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct EventDetails {
    /// The details in words ("Status changed from Active to Disabled (bulk change)").
    pub summary: String,
    /// The details as stored: usually `before` and `after` (the changed fields), plus the action's
    /// own keys (`bulk`, `invitation`, `expires_at` in milliseconds, `roles`, …). Never a secret.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// Reads a page size: 1 to [`PAGE_MAX`].
pub fn parse_limit(s: &str) -> Result<u32, ValidationError> {
    match s.trim().parse::<u32>() {
        Ok(n) if (1..=PAGE_MAX).contains(&n) => Ok(n),
        _ => Err(ValidationError::field("limit", format!("must be a whole number from 1 to {PAGE_MAX}"))),
    }
}

fn checked_text<'a>(field: &str, s: &'a str) -> Result<&'a str, ValidationError> {
    let s = s.trim();
    if s.chars().count() > TEXT_MAX {
        return Err(ValidationError::field(field, format!("is longer than {TEXT_MAX} characters")));
    }
    if s.chars().any(char::is_control) {
        return Err(ValidationError::field(field, "holds a control character"));
    }
    Ok(s)
}

fn first(e: &ValidationError) -> String {
    e.errors.first().map(|e| e.message.clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_come_from_the_action_names() {
        let g = groups();
        for want in ["member", "role", "organization", "invitation", "user", "session"] {
            assert!(g.contains(&want), "{g:?}");
        }
        for a in AuditAction::ALL {
            assert!(ActionFilter::Group(group_of(*a)).actions().contains(a));
        }
        assert_eq!(ActionFilter::parse("members").unwrap(), ActionFilter::Group("member"));
        assert_eq!(ActionFilter::parse("Roles").unwrap(), ActionFilter::Group("role"));
        assert_eq!(ActionFilter::parse("user").unwrap(), ActionFilter::Group("user"));
        assert_eq!(ActionFilter::parse("member.disabled").unwrap(), ActionFilter::One(AuditAction::MemberDisabled));
        assert_eq!(ActionFilter::parse("member.disabled").unwrap().actions(), vec![AuditAction::MemberDisabled]);
        let members = ActionFilter::Group("member").actions();
        assert!(members.contains(&AuditAction::MemberRolesChanged) && !members.contains(&AuditAction::RoleCreated));
        for bad in ["member.vanished", "billing", ""] {
            assert_eq!(ActionFilter::parse(bad).unwrap_err().errors[0].field, "action", "{bad:?}");
        }
    }

    #[test]
    fn actors_and_targets_parse_by_their_form() {
        let id = UserId::new();
        assert_eq!(ActorFilter::parse(&id.to_string()).unwrap(), ActorFilter::User(id));
        assert!(
            matches!(ActorFilter::parse(" Ann@Acme.test ").unwrap(), ActorFilter::Email(e) if e.as_str() == "ann@acme.test")
        );
        assert_eq!(ActorFilter::parse("CLI").unwrap(), ActorFilter::Label("cli".into()));
        assert_eq!(ActorFilter::parse("a@").unwrap_err().errors[0].field, "actor");
        assert_eq!(ActorFilter::parse("x\u{7}").unwrap_err().errors[0].field, "actor");
        let upper = id.0.to_string().to_uppercase();
        assert_eq!(TargetFilter::parse(&upper).unwrap(), TargetFilter::Id(id.to_string()));
        assert!(matches!(TargetFilter::parse("bo@acme.test").unwrap(), TargetFilter::Email(_)));
        assert_eq!(TargetFilter::parse("not-an-id").unwrap_err().errors[0].field, "target");
    }

    #[test]
    fn cursors_round_trip_and_refuse_others() {
        let p = EventPosition { created_at: 1_700_000_000_123, seq: 42 };
        assert_eq!(EventPosition::decode(&p.cursor(false)).unwrap(), (p, false));
        assert_eq!(EventPosition::decode(&p.cursor(true)).unwrap(), (p, true));
        assert_eq!(EventPosition::decode("zz").unwrap_err().errors[0].field, "cursor");
        let members = crate::members::Cursor {
            sort: crate::MemberSort::Email,
            order: SortOrder::Asc,
            value: SortValue::Text("a".into()),
            id: UserId::new(),
            backward: false,
        };
        assert!(EventPosition::decode(&members.encode()).is_err());
    }

    #[test]
    fn limits_and_ranges_are_checked() {
        assert_eq!(parse_limit("50").unwrap(), 50);
        for bad in ["0", "201", "x", "-1"] {
            assert_eq!(parse_limit(bad).unwrap_err().errors[0].field, "limit");
        }
        let f = HistoryFilter { from: Some(Timestamp(10)), to: Some(Timestamp(5)), ..Default::default() };
        assert_eq!(f.check_range().unwrap_err().errors[0].field, "to");
        assert!(HistoryFilter::default().is_empty());
    }
}
