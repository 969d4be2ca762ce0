//! Roles as an organization holds them, and the rules about them: what a
//! member may do (the union of their roles and their own grants), who counts
//! as an administrator, and what no-escalation refuses.
//!
//! Evaluation is pure and allocation-free on the allowed path: a check is a
//! lookup in a few small maps, so the host application's checks cost no query
//! once a member's roles are loaded.

use std::fmt;

use crate::ValidationError;
use crate::permissions::{Action, Actions, Grants};
use crate::unicode::unseen_in_text;

/// A role's stable key inside its organization (`billing_manager`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoleKey(String);

impl RoleKey {
    /// Parses a key: 2–64 characters of `a-z`, `0-9` and `_`, starting with a letter.
    pub fn parse(field: &str, input: &str) -> Result<Self, ValidationError> {
        let s = input.trim();
        let ok = (2..=64).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(ValidationError::field(
                field,
                "must be 2–64 characters of a–z, 0–9 and _, starting with a letter (like support_agent)",
            ))
        }
    }

    /// A key made from a display name (`Support Agent` → `support_agent`).
    pub fn from_name(name: &str) -> Self {
        let mut key = String::new();
        for c in name.chars() {
            if c.is_ascii_alphanumeric() {
                key.push(c.to_ascii_lowercase());
            } else if !key.ends_with('_') && !key.is_empty() {
                key.push('_');
            }
        }
        let mut key = key.trim_end_matches('_').to_string();
        if key.is_empty() {
            key = "role".into();
        } else if !key.starts_with(|c: char| c.is_ascii_lowercase()) || key.len() < 2 {
            key.insert_str(0, "role_");
        }
        key.truncate(60);
        Self(key)
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RoleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a role's display name: 1–80 characters, no control characters.
pub fn parse_role_name(field: &str, input: &str) -> Result<String, ValidationError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(ValidationError::field(field, "is required"));
    }
    if s.chars().count() > 80 {
        return Err(ValidationError::field(field, "must be at most 80 characters"));
    }
    if s.chars().any(char::is_control) {
        return Err(ValidationError::field(field, "must not contain control characters"));
    }
    Ok(s.to_string())
}

/// Checks a role's description: at most 500 characters, which may run over
/// several lines (line breaks and tabs are kept) but hold no other control
/// character (NUL, escape…).
pub fn parse_role_description(field: &str, input: &str) -> Result<String, ValidationError> {
    let s = input.trim();
    if s.chars().count() > 500 {
        return Err(ValidationError::field(field, "must be at most 500 characters"));
    }
    if let Some(unseen) = unseen_in_text(s) {
        return Err(ValidationError::field(field, unseen.message()));
    }
    Ok(s.to_string())
}

/// One role a member holds, as evaluation needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldRole {
    /// Display name, reported in a check's `via`.
    pub name: String,
    /// What it grants.
    pub grants: Grants,
}

/// What one member may do in one organization: their roles, their own
/// grants, and the union of both, computed once.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Effective {
    roles: Vec<HeldRole>,
    own: Grants,
    all: Grants,
}

/// A check's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Whether the action is allowed.
    pub allowed: bool,
    /// The roles that allow it (and `"own grants"` when the member's own grants do).
    pub via: Vec<String>,
}

/// How a check's `via` names a member's own grants.
pub const OWN_GRANTS: &str = "own grants";

impl Effective {
    /// The member's roles and own grants.
    pub fn new(roles: Vec<HeldRole>, own: Grants) -> Self {
        let all = roles.iter().fold(own.clone(), |acc, r| acc.union(&r.grants));
        Self { roles, own, all }
    }

    /// Everything: what the operator's command line may do.
    pub fn everything(resources: &[&str]) -> Self {
        let mut own = Grants::default();
        for r in resources {
            own.grant(r, Actions::EDIT);
        }
        Self::new(vec![], own)
    }

    /// The union of every grant.
    pub fn grants(&self) -> &Grants {
        &self.all
    }

    /// The member's own grants.
    pub fn own(&self) -> &Grants {
        &self.own
    }

    /// The roles held.
    pub fn roles(&self) -> &[HeldRole] {
        &self.roles
    }

    /// Whether `action` on `resource` is allowed (a lookup).
    pub fn allows(&self, resource: &str, action: Action) -> bool {
        self.all.allows(resource, action)
    }

    /// Whether, and through which roles, `action` on `resource` is allowed.
    pub fn check(&self, resource: &str, action: Action) -> Decision {
        if !self.all.allows(resource, action) {
            return Decision { allowed: false, via: vec![] };
        }
        let mut via: Vec<String> =
            self.roles.iter().filter(|r| r.grants.allows(resource, action)).map(|r| r.name.clone()).collect();
        if self.own.allows(resource, action) {
            via.push(OWN_GRANTS.into());
        }
        Decision { allowed: true, via }
    }

    /// Whether these grants administer the organization: change members and
    /// roles (the last-administrator rule keeps one such active member).
    pub fn is_administrator(&self) -> bool {
        is_administrator(&self.all)
    }
}

/// Whether grants administer an organization: `members:update` and `roles:update`.
pub fn is_administrator(g: &Grants) -> bool {
    g.allows("members", Action::Update) && g.allows("roles", Action::Update)
}

/// No escalation: refuses when `wanted` holds any grant `actor` lacks, with
/// a message that names what is lacking (`members: delete; billing: read, update`).
pub fn lacking(wanted: &Grants, actor: &Grants) -> Option<String> {
    let missing = wanted.missing_from(actor);
    if missing.is_empty() {
        return None;
    }
    Some(
        missing
            .iter()
            .map(|(r, a)| format!("{r}: {}", a.iter().map(Action::as_str).collect::<Vec<_>>().join(", ")))
            .collect::<Vec<_>>()
            .join("; "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants(pairs: &[(&str, Actions)]) -> Grants {
        let mut g = Grants::default();
        for (r, a) in pairs {
            g.grant(r, *a);
        }
        g
    }

    #[test]
    fn keys_parse_and_derive_from_names() {
        assert_eq!(RoleKey::parse("key", "support_agent").unwrap().as_str(), "support_agent");
        for bad in ["", "a", "Support", "9x", "a-b", &"x".repeat(65)] {
            assert!(RoleKey::parse("key", bad).is_err(), "{bad}");
        }
        assert_eq!(RoleKey::from_name("Support Agent (EU)").as_str(), "support_agent_eu");
        assert_eq!(RoleKey::from_name("2nd line").as_str(), "role_2nd_line");
        assert_eq!(RoleKey::from_name("✨").as_str(), "role");
    }

    #[test]
    fn descriptions_refuse_control_characters_but_keep_lines() {
        assert_eq!(parse_role_description("description", "  Reads history \n").unwrap(), "Reads history");
        assert_eq!(
            parse_role_description("description", "Reads history,\r\n\tand the outbox").unwrap(),
            "Reads history,\r\n\tand the outbox"
        );
        assert_eq!(parse_role_description("description", "").unwrap(), "");
        for bad in ["Reads\0history", "Reads history\u{1B}[31m", "\u{7F}"] {
            let err = parse_role_description("description", bad).unwrap_err();
            assert_eq!(err.errors.len(), 1, "{bad:?}");
            assert_eq!(err.errors[0].field, "description", "{bad:?}");
            assert!(err.errors[0].message.contains("control character"), "{bad:?}: {}", err.errors[0].message);
        }
        assert_eq!(
            parse_role_description("description", "a\0b").unwrap_err().errors[0].message,
            "contains a control character (U+0000)"
        );
        assert!(parse_role_description("description", &"x".repeat(501)).is_err());
    }

    #[test]
    fn effective_grants_are_the_union_and_via_names_every_source() {
        let e = Effective::new(
            vec![
                HeldRole { name: "Viewer".into(), grants: grants(&[("members", Actions::VIEW)]) },
                HeldRole { name: "Editor".into(), grants: grants(&[("members", Actions::EDIT)]) },
            ],
            grants(&[("billing", Actions::VIEW), ("members", Actions::VIEW)]),
        );
        assert_eq!(e.check("members", Action::Read).via, ["Viewer", "Editor", OWN_GRANTS]);
        assert_eq!(e.check("members", Action::Delete).via, ["Editor"]);
        assert_eq!(e.check("billing", Action::Read).via, [OWN_GRANTS]);
        assert!(!e.check("billing", Action::Update).allowed);
        assert!(!e.allows("roles", Action::Read));
        assert!(!e.is_administrator());
        let admin = Effective::new(vec![], grants(&[("members", Actions::EDIT), ("roles", Actions::EDIT)]));
        assert!(admin.is_administrator());
    }

    #[test]
    fn lacking_names_each_missing_action() {
        let actor = grants(&[("members", Actions::VIEW)]);
        let wanted = grants(&[("members", Actions::EDIT), ("roles", Actions::VIEW)]);
        assert_eq!(lacking(&wanted, &actor).unwrap(), "members: create, update, delete; roles: read");
        assert_eq!(lacking(&actor, &wanted), None);
    }
}
