//! Permission matrices: the marks of seed 004 (✍️ Edit, 🧐 View, ❌ None,
//! 🔧 Custom) per resource and role, shared by the Roles tab and the member form.

use roster_app::policy::{EnforcedBy, Resource};
use roster_app::roles::RoleRecord;
use roster_domain::permissions::{Action, Actions, Level};

/// How the grant on one resource reads in a matrix cell (seed 004's marks).
pub struct Mark {
    /// `none`, `view`, `edit` or `custom` (a CSS class).
    pub level: &'static str,
    /// The emoji beside the word.
    pub icon: &'static str,
    /// The word.
    pub label: &'static str,
    /// For Custom: the actions, e.g. "read, update".
    pub detail: String,
    /// The role's key, in a matrix of roles.
    pub role: String,
}

/// The mark for a set of actions.
pub(crate) fn mark(a: Actions) -> Mark {
    let (icon, label) = match a.level() {
        Level::Edit => ("✍️", "Edit"),
        Level::View => ("🧐", "View"),
        Level::None => ("❌", "None"),
        Level::Custom => ("🔧", "Custom"),
    };
    let detail = if a.level() == Level::Custom { action_list(a) } else { String::new() };
    Mark { level: a.level().as_str(), icon, label, detail, role: String::new() }
}

fn action_list(a: Actions) -> String {
    a.iter().map(Action::as_str).collect::<Vec<_>>().join(", ")
}

/// A resource as a matrix or form row shows it.
pub struct ResourceLine {
    /// Its key in grants.
    pub key: String,
    /// What people read.
    pub label: String,
    /// What it covers.
    pub description: String,
    /// A group heading drawn above this row (the first of each group).
    pub heading: Option<&'static str>,
}

/// The organization's resources, Roster's first, each group headed once.
pub(crate) fn resource_lines(resources: &[Resource]) -> Vec<ResourceLine> {
    let mut last = None;
    resources
        .iter()
        .map(|r| {
            let group = match r.enforced_by {
                EnforcedBy::Roster => "User management",
                EnforcedBy::Application => "Applications",
            };
            let heading = (last != Some(group)).then_some(group);
            last = Some(group);
            ResourceLine { key: r.key.clone(), label: r.label.clone(), description: r.description.clone(), heading }
        })
        .collect()
}

/// One resource across one or more roles.
pub struct MatrixRow {
    /// The resource.
    pub line: ResourceLine,
    /// One mark per role shown.
    pub cells: Vec<Mark>,
}

pub(crate) fn matrix(resources: &[Resource], roles: &[&RoleRecord]) -> Vec<MatrixRow> {
    resource_lines(resources)
        .into_iter()
        .map(|line| {
            let cells = roles.iter().map(|r| Mark { role: r.key.clone(), ..mark(r.grants.on(&line.key)) }).collect();
            MatrixRow { line, cells }
        })
        .collect()
}
