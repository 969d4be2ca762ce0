//! Permissions: resources, actions, grants and role presets.
//!
//! A grant is a resource with a set of actions. A role is a named set of
//! grants; a member's effective grants are the union of their roles'. The
//! presets that reproduce each product document's role table are data
//! (`presets/*.json`, embedded in the binary), not code.
//!
//! This module is pure: evaluation is a lookup in a small map.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::ValidationError;

/// Something a grant can allow on a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// See it.
    Read,
    /// Add one.
    Create,
    /// Change one.
    Update,
    /// Remove one.
    Delete,
}

impl Action {
    /// Every action, in display order.
    pub const ALL: [Action; 4] = [Action::Read, Action::Create, Action::Update, Action::Delete];

    fn bit(self) -> u8 {
        match self {
            Action::Read => 1,
            Action::Create => 2,
            Action::Update => 4,
            Action::Delete => 8,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }
}

impl FromStr for Action {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "read" => Ok(Action::Read),
            "create" => Ok(Action::Create),
            "update" => Ok(Action::Update),
            "delete" => Ok(Action::Delete),
            other => Err(ValidationError::field(
                "action",
                format!("unknown action '{other}'; use read, create, update or delete"),
            )),
        }
    }
}

/// A set of actions, as four bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Actions(u8);

impl Actions {
    /// No action.
    pub const NONE: Actions = Actions(0);
    /// "View": read only.
    pub const VIEW: Actions = Actions(1);
    /// "Edit": all four.
    pub const EDIT: Actions = Actions(15);

    /// The set as stored: bit 1 read, 2 create, 4 update, 8 delete.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// A stored set; bits outside the four actions are dropped.
    pub fn from_bits(bits: u8) -> Self {
        Actions(bits & 15)
    }

    /// Whether every action of `other` is in the set.
    pub fn covers(self, other: Actions) -> bool {
        other.0 & !self.0 == 0
    }

    /// Whether `a` is in the set.
    pub fn contains(self, a: Action) -> bool {
        self.0 & a.bit() != 0
    }

    /// The set with `a` added.
    pub fn with(self, a: Action) -> Self {
        Actions(self.0 | a.bit())
    }

    /// Both sets together.
    pub fn union(self, other: Actions) -> Self {
        Actions(self.0 | other.0)
    }

    /// The actions of `self` missing from `other`.
    pub fn minus(self, other: Actions) -> Self {
        Actions(self.0 & !other.0)
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The actions, in display order.
    pub fn iter(self) -> impl Iterator<Item = Action> {
        Action::ALL.into_iter().filter(move |a| self.contains(*a))
    }

    /// How the UI shows the set: None, View, Edit or Custom.
    pub fn level(self) -> Level {
        match self {
            Actions::NONE => Level::None,
            Actions::VIEW => Level::View,
            Actions::EDIT => Level::Edit,
            _ => Level::Custom,
        }
    }
}

impl FromIterator<Action> for Actions {
    fn from_iter<I: IntoIterator<Item = Action>>(iter: I) -> Self {
        iter.into_iter().fold(Actions::NONE, Actions::with)
    }
}

/// The UI's per-resource choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// No access.
    None,
    /// Read only.
    View,
    /// Read, create, update and delete.
    Edit,
    /// Some other combination.
    Custom,
}

impl Level {
    /// The form value and CSS class (`none`, `view`, `edit`, `custom`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::View => "view",
            Level::Edit => "edit",
            Level::Custom => "custom",
        }
    }

    /// The actions a fixed level stands for (`Custom` has none of its own).
    pub fn actions(self) -> Option<Actions> {
        match self {
            Level::None => Some(Actions::NONE),
            Level::View => Some(Actions::VIEW),
            Level::Edit => Some(Actions::EDIT),
            Level::Custom => None,
        }
    }
}

/// Grants: resource key → actions. A role's grants, or a member's effective
/// grants (the union over their roles).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Grants(BTreeMap<String, Actions>);

impl Grants {
    /// Adds actions on a resource.
    pub fn grant(&mut self, resource: &str, actions: Actions) {
        if actions.is_empty() {
            return;
        }
        let e = self.0.entry(resource.to_string()).or_default();
        *e = e.union(actions);
    }

    /// The actions held on a resource.
    pub fn on(&self, resource: &str) -> Actions {
        self.0.get(resource).copied().unwrap_or_default()
    }

    /// Whether an action on a resource is allowed.
    pub fn allows(&self, resource: &str, action: Action) -> bool {
        self.on(resource).contains(action)
    }

    /// These grants together with `other`'s.
    pub fn union(&self, other: &Grants) -> Grants {
        let mut out = self.clone();
        for (r, a) in &other.0 {
            out.grant(r, *a);
        }
        out
    }

    /// What `self` holds that `holder` does not: empty when `holder` covers
    /// every grant of `self` (the no-escalation test).
    pub fn missing_from(&self, holder: &Grants) -> Vec<(String, Actions)> {
        self.0
            .iter()
            .filter_map(|(r, a)| {
                let m = a.minus(holder.on(r));
                (!m.is_empty()).then(|| (r.clone(), m))
            })
            .collect()
    }

    /// Whether there is no grant at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sets (not adds) the actions on a resource; an empty set removes it.
    pub fn set(&mut self, resource: &str, actions: Actions) {
        if actions.is_empty() {
            self.0.remove(resource);
        } else {
            self.0.insert(resource.to_string(), actions);
        }
    }

    /// Every (resource, actions) pair, by resource key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Actions)> {
        self.0.iter().map(|(r, a)| (r.as_str(), *a))
    }
}

impl fmt::Display for Grants {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(r, a)| format!("{r}:{}", a.iter().map(Action::as_str).collect::<Vec<_>>().join("+")))
            .collect();
        f.write_str(&parts.join(", "))
    }
}

/// A resource Roster itself enforces: (key, label, description).
pub const ROSTER_RESOURCES: [(&str, &str, &str); 12] = [
    ("members", "Users", "The organization's members: list, invite, edit, disable, archive."),
    ("roles", "Roles", "Roles and their permissions."),
    ("invitations", "Invitations", "Pending invitations: send, resend, cancel."),
    ("access_requests", "Access requests", "Requests to join: approve or deny."),
    ("licenses", "Product licenses", "Assigning product licenses (seats) to members."),
    ("subscriptions", "Subscriptions", "The organization's product subscriptions and trials."),
    ("sessions", "Sessions", "Members' sign-in sessions: see them, log them out."),
    ("audit", "History", "The audit log of user management."),
    ("service_accounts", "Service accounts", "Non-human accounts and their API tokens."),
    ("org_settings", "Organization settings", "The organization's own settings."),
    ("customers", "Customers", "A partner's customer organizations."),
    ("org_groups", "Organization groups", "Groups of customer organizations, for scoping partner roles."),
];

/// An application resource a preset (or a deployment) declares.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct AppResource {
    /// Its key in grants and checks.
    pub key: String,
    /// What people read.
    pub label: String,
    /// What it covers.
    pub description: String,
}

/// A role as a preset defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetRole {
    /// Stable key (`billing_manager`).
    pub key: String,
    /// Display name (`Billing Manager`).
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Its grants.
    pub grants: Grants,
    /// In a partner preset: which customers the role covers when it is
    /// given without a scope.
    pub customers: crate::partners::CustomerReach,
}

/// A role preset: one product document's roles and the application
/// resources they need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preset {
    /// Stable key (`account-owner`).
    pub key: String,
    /// Display name.
    pub name: String,
    /// What it reproduces.
    pub description: String,
    /// Application resources it declares.
    pub resources: Vec<AppResource>,
    /// Its roles, in display order.
    pub roles: Vec<PresetRole>,
    /// The role an organization's owner holds.
    pub owner_role: String,
    /// The role a new member gets when none is chosen.
    pub default_role: String,
    /// Whether the owner may hand ownership to another member.
    pub owner_transfer: bool,
    /// In a partner preset: the application resources that apply inside
    /// customer organizations rather than in the partner (the broker
    /// preset's "Organization …" rows).
    pub customer_resources: Vec<String>,
}

impl Preset {
    /// A role by key.
    pub fn role(&self, key: &str) -> Option<&PresetRole> {
        self.roles.iter().find(|r| r.key == key)
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PresetFile {
    key: String,
    name: String,
    description: String,
    #[serde(default)]
    resources: Vec<AppResource>,
    roles: Vec<RoleFile>,
    owner_role: String,
    default_role: String,
    owner_transfer: bool,
    #[serde(default)]
    customer_resources: Vec<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleFile {
    key: String,
    name: String,
    description: String,
    #[serde(default)]
    customers: crate::partners::CustomerReach,
    /// resource → "view" | "edit" | [actions…]
    grants: BTreeMap<String, serde_json::Value>,
}

const PRESET_FILES: [&str; 5] = [
    include_str!("../presets/account-owner.json"),
    include_str!("../presets/super-user.json"),
    include_str!("../presets/owner-admin-user.json"),
    include_str!("../presets/payments.json"),
    include_str!("../presets/broker.json"),
];

fn parse_actions(v: &serde_json::Value) -> Result<Actions, String> {
    match v {
        serde_json::Value::String(s) if s == "view" => Ok(Actions::VIEW),
        serde_json::Value::String(s) if s == "edit" => Ok(Actions::EDIT),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .ok_or("actions are strings".to_string())
                    .and_then(|s| s.parse().map_err(|e: ValidationError| e.to_string()))
            })
            .collect(),
        other => Err(format!("a grant is \"view\", \"edit\" or a list of actions, not {other}")),
    }
}

/// Parses a preset file, checking that every grant names a known resource.
pub fn parse_preset(json: &str) -> Result<Preset, String> {
    let f: PresetFile = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let known = |r: &str| ROSTER_RESOURCES.iter().any(|(k, _, _)| *k == r) || f.resources.iter().any(|a| a.key == r);
    let mut roles = Vec::new();
    for r in &f.roles {
        let mut grants = Grants::default();
        for (resource, v) in &r.grants {
            if !known(resource) {
                return Err(format!("preset {}: role {} grants unknown resource {resource}", f.key, r.key));
            }
            grants.grant(resource, parse_actions(v).map_err(|e| format!("preset {}: role {}: {e}", f.key, r.key))?);
        }
        roles.push(PresetRole {
            key: r.key.clone(),
            name: r.name.clone(),
            description: r.description.clone(),
            grants,
            customers: r.customers,
        });
    }
    for (what, key) in [("owner_role", &f.owner_role), ("default_role", &f.default_role)] {
        if !roles.iter().any(|r| &r.key == key) {
            return Err(format!("preset {}: {what} {key} is not one of its roles", f.key));
        }
    }
    if let Some(unknown) = f.customer_resources.iter().find(|c| !f.resources.iter().any(|a| &a.key == *c)) {
        return Err(format!("preset {}: customer resource {unknown} is not one of its resources", f.key));
    }
    Ok(Preset {
        customer_resources: f.customer_resources,
        key: f.key,
        name: f.name,
        description: f.description,
        resources: f.resources,
        roles,
        owner_role: f.owner_role,
        default_role: f.default_role,
        owner_transfer: f.owner_transfer,
    })
}

/// Every preset shipped in the binary.
pub fn presets() -> Vec<Preset> {
    PRESET_FILES.iter().map(|f| parse_preset(f).expect("embedded presets are checked by tests")).collect()
}

/// The preset an organization gets when none is chosen.
pub const DEFAULT_PRESET: &str = "account-owner";

/// Whether a preset is for partners (brokers, resellers), whose
/// organizations manage customer organizations.
impl Preset {
    /// Whether any role grants the partner resources (`customers`, `org_groups`).
    pub fn is_partner(&self) -> bool {
        self.roles.iter().any(|r| !r.grants.on("customers").is_empty() || !r.grants.on("org_groups").is_empty())
    }
}

/// A preset by key.
pub fn preset(key: &str) -> Option<Preset> {
    presets().into_iter().find(|p| p.key == key)
}

#[cfg(test)]
mod tests;
