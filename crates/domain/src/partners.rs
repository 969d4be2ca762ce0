//! Partner organizations: customers, organization groups and scoped role
//! assignments (seed 004, issue 14).
//!
//! A partner (a broker or reseller) manages customer organizations. Each of a
//! partner member's role assignments has a [`Scope`]: the partner itself,
//! every customer, or the customers of chosen organization groups. Inside a
//! customer, a role reaches only its *customer part* ([`customer_grants`]):
//! the customer's user management through the role's `customers` grant, and
//! the application resources the partner's preset marks as applying inside
//! customers (the broker preset's "Organization …" rows). A member's
//! effective permission in a customer is the union of the customer parts of
//! the assignments that cover it ([`Coverage`]).
//!
//! No escalation across scopes ([`Coverage::lacks`]): nobody hands out a
//! scope wider than their own, or a role beyond their own in that scope.
//!
//! This module is pure.

use std::collections::BTreeMap;

use crate::OrgGroupId;
use crate::permissions::{Actions, Grants};
use crate::roles::lacking;

/// Where one of a partner member's role assignments applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// In the partner organization itself.
    Partner,
    /// Inside every customer organization of the partner.
    AllCustomers,
    /// Inside the customers of these organization groups.
    Groups(Vec<OrgGroupId>),
}

impl Scope {
    /// How the scope reads on a page: "The partner", "All customers",
    /// "Groups: North, South".
    pub fn words(&self, group_name: impl Fn(OrgGroupId) -> String) -> String {
        match self {
            Scope::Partner => "The partner".into(),
            Scope::AllCustomers => "All customers".into(),
            Scope::Groups(gs) if gs.is_empty() => "No group yet".into(),
            Scope::Groups(gs) => {
                let names: Vec<String> = gs.iter().map(|g| group_name(*g)).collect();
                format!("Groups: {}", names.join(", "))
            }
        }
    }
}

impl serde::Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Scope::Partner => s.serialize_str("partner"),
            Scope::AllCustomers => s.serialize_str("all_customers"),
            Scope::Groups(gs) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("groups", gs)?;
                m.end()
            }
        }
    }
}

impl<'de> serde::Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Groups {
            groups: Vec<OrgGroupId>,
        }
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Name(String),
            Groups(Groups),
        }
        match Wire::deserialize(d)? {
            Wire::Name(n) if n == "partner" => Ok(Scope::Partner),
            Wire::Name(n) if n == "all_customers" => Ok(Scope::AllCustomers),
            Wire::Name(n) => Err(serde::de::Error::custom(format!(
                "unknown scope '{n}'; use \"partner\", \"all_customers\" or {{\"groups\": [ids]}}"
            ))),
            Wire::Groups(g) => Ok(Scope::Groups(g.groups)),
        }
    }
}

/// Which customers a preset's role covers when it is given without a scope
/// (the plain `{"roles": […]}` form): the broker preset's "Global …" roles
/// and Super Admin cover every customer, its "Key Account …" roles and
/// Sales Agent the customers of the member's groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerReach {
    /// Only the partner itself.
    #[default]
    None,
    /// Every customer.
    All,
    /// The customers of the member's organization groups.
    Groups,
}

/// Roster's own resources a partner member reaches inside a customer
/// through the `customers` grant: the customer's whole user management.
pub const CUSTOMER_ADMIN_RESOURCES: [&str; 10] = [
    "members",
    "roles",
    "invitations",
    "access_requests",
    "licenses",
    "subscriptions",
    "sessions",
    "audit",
    "service_accounts",
    "org_settings",
];

/// The part of a partner role's grants that applies inside a customer:
/// `customers: read` gives read on the customer's user management (and on
/// the customer's own application resources, `customer_own`),
/// `customers: update` all of it; the resources of `carried` (the partner
/// preset's customer-side resources) apply as granted. Nothing else does.
pub fn customer_grants(role: &Grants, carried: &[String], customer_own: &[&str]) -> Grants {
    let mut out = Grants::default();
    let on = role.on("customers");
    let level = if on.contains(crate::permissions::Action::Update) {
        Actions::EDIT
    } else if on.contains(crate::permissions::Action::Read) {
        Actions::VIEW
    } else {
        Actions::NONE
    };
    for r in CUSTOMER_ADMIN_RESOURCES.iter().chain(customer_own).filter(|r| !carried.iter().any(|c| c == *r)) {
        out.grant(r, level);
    }
    for r in carried {
        out.grant(r, role.on(r));
    }
    out
}

/// What a partner member's assignments reach inside customers: the customer
/// parts of their all-customer assignments, and per group those of the
/// assignments naming it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    all: Option<Grants>,
    groups: BTreeMap<OrgGroupId, Grants>,
}

impl Coverage {
    /// Adds one assignment: a role's customer part, over every customer
    /// (`None`) or over one group's.
    pub fn add(&mut self, group: Option<OrgGroupId>, grants: &Grants) {
        match group {
            None => self.all = Some(self.all.take().unwrap_or_default().union(grants)),
            Some(g) => {
                let e = self.groups.entry(g).or_default();
                *e = e.union(grants);
            }
        }
    }

    /// Whether some assignment covers every customer.
    pub fn covers_all(&self) -> bool {
        self.all.is_some()
    }

    /// The groups some assignment names.
    pub fn groups(&self) -> impl Iterator<Item = OrgGroupId> + '_ {
        self.groups.keys().copied()
    }

    /// What the member may do in a customer that is in `groups_of_customer`.
    pub fn in_customer(&self, groups_of_customer: &[OrgGroupId]) -> Grants {
        let mut out = self.all.clone().unwrap_or_default();
        for g in groups_of_customer {
            if let Some(grants) = self.groups.get(g) {
                out = out.union(grants);
            }
        }
        out
    }

    /// No escalation across scopes: what keeps an actor with this coverage
    /// from giving a role whose customer part is `wanted` over `scope`, in
    /// words, or `None` when nothing does. The partner scope is not judged
    /// here (it is the organization's own no-escalation rule).
    pub fn lacks(&self, scope: &Scope, wanted: &Grants, group_name: impl Fn(OrgGroupId) -> String) -> Option<String> {
        match scope {
            Scope::Partner => None,
            Scope::AllCustomers => match &self.all {
                None => Some("a scope wider than yours: your roles reach only the customers of your groups".into()),
                Some(all) => lacking(wanted, all).map(|m| format!("inside all customers: {m}")),
            },
            Scope::Groups(gs) => gs.iter().find_map(|g| {
                if self.all.is_none() && !self.groups.contains_key(g) {
                    return Some(format!("the group {} is outside your scope", group_name(*g)));
                }
                lacking(wanted, &self.in_customer(&[*g])).map(|m| format!("inside the group {}: {m}", group_name(*g)))
            }),
        }
    }
}

/// How a customer stands with its partner, as the Customers tab shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerStatus {
    /// Its owner has signed in (or it has no owner and active members).
    Active,
    /// Created by the partner; its owner has not accepted the invitation yet.
    Invited,
    /// The partner asked to link it; its owner has not answered yet.
    LinkPending,
}

impl CustomerStatus {
    /// Every status, in display order.
    pub const ALL: [CustomerStatus; 3] = [CustomerStatus::Active, CustomerStatus::Invited, CustomerStatus::LinkPending];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerStatus::Active => "active",
            CustomerStatus::Invited => "invited",
            CustomerStatus::LinkPending => "link_pending",
        }
    }

    /// What people read.
    pub fn label(self) -> &'static str {
        match self {
            CustomerStatus::Active => "Active",
            CustomerStatus::Invited => "Invited",
            CustomerStatus::LinkPending => "Link pending",
        }
    }
}

impl std::str::FromStr for CustomerStatus {
    type Err = crate::ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CustomerStatus::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| {
            crate::ValidationError::field(
                "status",
                format!("unknown status '{s}'; use active, invited or link_pending"),
            )
        })
    }
}

/// An organization group's name: 1 to 100 characters, trimmed.
pub fn parse_group_name(raw: &str) -> Result<String, crate::ValidationError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(crate::ValidationError::field("name", "is required"));
    }
    if name.chars().count() > 100 {
        return Err(crate::ValidationError::field("name", "is at most 100 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(crate::ValidationError::field("name", "may not contain control characters"));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests;
