//! SCIM Groups on the Service Accounts tab's Provisioning card: "Group to
//! role", the administrator's bindings of group names to existing roles
//! (a table with Remove buttons and an add form: group name and role), and
//! the groups the identity provider has pushed, with their role. The rules
//! are `roster_app::scim_groups`'s.

use axum::Form;
use axum::extract::Path;
use roster_app::access::Permission;

use crate::extract::Meta;
use crate::format;
use crate::ui::form::{Pairs, field};
use crate::ui::{OrgPage, UiResult, after_action};

/// A binding as the card lists it.
pub struct MappingRow {
    /// Its id.
    pub id: String,
    /// The group's name.
    pub name: String,
    /// The role's name.
    pub role: String,
    /// When it was added.
    pub created: String,
    /// Who added it.
    pub created_by: String,
    /// Where its Remove button posts.
    pub remove_href: String,
}

/// A provisioned group as the card lists it.
pub struct GroupRow {
    /// Its name.
    pub name: String,
    /// Its role's name.
    pub role: String,
    /// "Made for the group" or "Bound".
    pub how: &'static str,
    /// How many hold the role.
    pub members: i64,
    /// When it was pushed.
    pub created: String,
}

/// What the card shows of SCIM groups.
pub struct GroupsCard {
    /// The bindings, by name.
    pub mappings: Vec<MappingRow>,
    /// The groups, by name.
    pub groups: Vec<GroupRow>,
    /// Whether the viewer may add and remove bindings.
    pub can_map: bool,
    /// (key, name) of the roles a binding may name: not the owner's, none beyond the viewer's grants.
    pub role_options: Vec<(String, String)>,
    /// Where the add form posts.
    pub add_href: String,
}

/// The card's data. Needs `service_accounts:read` (the tab's own).
pub async fn card(page: &OrgPage) -> Result<GroupsCard, roster_app::AppError> {
    let mappings = roster_app::scim_groups::list_mappings(page.app(), &page.access).await?;
    let groups = roster_app::scim_groups::group_summaries(page.app(), &page.access).await?;
    let role_options = page
        .access
        .policy
        .roles
        .iter()
        .filter(|r| !r.locked && page.access.lacks(&r.grants).is_none())
        .map(|r| (r.key.clone(), r.name.clone()))
        .collect();
    Ok(GroupsCard {
        mappings: mappings
            .into_iter()
            .map(|m| MappingRow {
                id: m.mapping.id.to_string(),
                name: m.mapping.display_name,
                role: m.role.name,
                created: format::date(m.mapping.created_at),
                created_by: m.mapping.created_by_label,
                remove_href: page.links.scim_group_mapping_remove(&m.mapping.id.to_string()),
            })
            .collect(),
        groups: groups
            .into_iter()
            .map(|g| GroupRow {
                name: g.name,
                role: g.role,
                how: if g.created_role { "Made for the group" } else { "Bound" },
                members: g.members,
                created: format::date(g.created_at),
            })
            .collect(),
        can_map: page.access.can(Permission::SERVICE_ACCOUNTS_UPDATE),
        role_options,
        add_href: page.links.scim_group_mappings(),
    })
}

/// "Add" on the card: binds the group name to the role, then back to the
/// tab with what was done, or why not (a name bound already, escalation, the
/// owner's role). Needs `service_accounts:update`.
pub async fn add_mapping_submit(page: OrgPage, Meta(meta): Meta, Form(pairs): Form<Pairs>) -> UiResult {
    let (name, role) = (field(&pairs, "display_name"), field(&pairs, "role"));
    let outcome = roster_app::scim_groups::create_mapping(page.app(), &page.access, name, role, &meta)
        .await
        .map(|m| format!("Groups named “{}” now get the role {}.", m.mapping.display_name, m.role.name));
    let back = format!("{}#provisioning", page.links.service_accounts());
    match outcome {
        Err(roster_app::AppError::Validation(v)) => Ok(crate::ui::redirect_with_flash(&back, "error", &v.to_string())),
        other => after_action(&back, other),
    }
}

/// "Remove" on a binding (groups bound through it stay bound). Needs
/// `service_accounts:update`.
pub async fn remove_mapping_submit(page: OrgPage, Meta(meta): Meta, Path((_, id)): Path<(String, String)>) -> UiResult {
    let id = crate::query::id::<uuid::Uuid>(&id, "group mapping")?;
    let outcome = roster_app::scim_groups::delete_mapping(page.app(), &page.access, id, &meta)
        .await
        .map(|()| "The group binding was removed.".to_string());
    after_action(&format!("{}#provisioning", page.links.service_accounts()), outcome)
}
