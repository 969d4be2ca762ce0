//! "Where the roles apply" on a partner member's edit form (issue 14): each
//! role the member holds, in the partner only, or also inside every
//! customer, or inside the customers of chosen organization groups.
//!
//! The form sends every role the member holds, so that saving it (which
//! replaces all of the member's assignments) keeps the partner-scope roles.
//! Its fields, per role id `<r>`: `role=<r>` (repeated, one per row),
//! `partner.<r>=1` when the role applies in the partner, `scope.<r>` one of
//! `none`, `all`, `groups`, and `groups.<r>=<group id>` (repeated) for the
//! groups ticked.

use axum::Form;
use axum::extract::Path;
use roster_app::AppError;
use roster_app::partners::scopes::{self, Assignment, AssignmentInput};
use roster_domain::partners::Scope;
use roster_domain::{OrgGroupId, UserId};

use crate::extract::Meta;
use crate::query;
use crate::ui::form::{Pairs, field, fields};
use crate::ui::{FormErrors, OrgPage, UiError, UiResult, redirect_with_flash, safe_path};

/// One assignment as the section lists it.
pub struct AssignmentRow {
    /// The role's name.
    pub(in crate::ui) role: String,
    /// Where it applies, in words ("The partner", "All customers", "Groups: A, B").
    pub(in crate::ui) scope: String,
}

/// A group's checkbox beside a role.
pub struct GroupBox {
    pub(in crate::ui) id: String,
    pub(in crate::ui) name: String,
    pub(in crate::ui) checked: bool,
}

/// One role's choice of where it applies inside customers.
pub struct RoleScopeChoice {
    pub(in crate::ui) id: String,
    pub(in crate::ui) name: String,
    /// Whether the role applies in the partner itself (kept as it is).
    pub(in crate::ui) in_partner: bool,
    /// The chosen customer scope: `none`, `all` or `groups`.
    pub(in crate::ui) choice: &'static str,
    pub(in crate::ui) groups: Vec<GroupBox>,
}

/// The "Where the roles apply" section of a partner member's edit form.
pub struct ScopesSection {
    /// Where the form posts.
    pub(in crate::ui) action: String,
    pub(in crate::ui) rows: Vec<AssignmentRow>,
    pub(in crate::ui) roles: Vec<RoleScopeChoice>,
    /// Whether the partner has groups to choose from (shown to the viewer).
    pub(in crate::ui) has_groups: bool,
}

/// The section for `uid`, or `None` outside a partner or when the viewer
/// may not read the member's assignments.
pub(in crate::ui) async fn section(page: &OrgPage, uid: UserId) -> Result<Option<ScopesSection>, UiError> {
    if !page.access.org.partner {
        return Ok(None);
    }
    let assignments = match scopes::of_member(page.app(), &page.access, uid).await {
        Ok(a) => a,
        Err(AppError::Forbidden(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    // Without org_groups:read, only the groups the assignments name (by id).
    let groups: Vec<(OrgGroupId, String)> = match roster_app::partners::groups::list(page.app(), &page.access).await {
        Ok(gs) => gs.into_iter().map(|g| (g.id, g.name)).collect(),
        Err(AppError::Forbidden(_)) => {
            let mut ids: Vec<OrgGroupId> = assignments
                .iter()
                .flat_map(|a| match &a.scope {
                    Scope::Groups(gs) => gs.clone(),
                    _ => Vec::new(),
                })
                .collect();
            ids.sort();
            ids.dedup();
            ids.into_iter().map(|g| (g, g.to_string())).collect()
        }
        Err(e) => return Err(e.into()),
    };
    let group_name =
        |g: OrgGroupId| groups.iter().find(|(id, _)| *id == g).map_or_else(|| g.to_string(), |(_, n)| n.clone());
    let rows = assignments
        .iter()
        .map(|a| AssignmentRow { role: a.role.name.clone(), scope: a.scope.words(group_name) })
        .collect();
    Ok(Some(ScopesSection {
        action: page.links.user_scopes(&uid.to_string()),
        rows,
        roles: choices(&assignments, &groups),
        has_groups: !groups.is_empty(),
    }))
}

/// One choice per role held anywhere, in the assignments' order.
fn choices(assignments: &[Assignment], groups: &[(OrgGroupId, String)]) -> Vec<RoleScopeChoice> {
    let mut out: Vec<RoleScopeChoice> = Vec::new();
    for a in assignments {
        let id = a.role.id.to_string();
        let at = match out.iter().position(|c| c.id == id) {
            Some(i) => i,
            None => {
                out.push(RoleScopeChoice {
                    id: id.clone(),
                    name: a.role.name.clone(),
                    in_partner: false,
                    choice: "none",
                    groups: groups
                        .iter()
                        .map(|(g, n)| GroupBox { id: g.to_string(), name: n.clone(), checked: false })
                        .collect(),
                });
                out.len() - 1
            }
        };
        let c = &mut out[at];
        match &a.scope {
            Scope::Partner => c.in_partner = true,
            // Every customer covers any group as well.
            Scope::AllCustomers => c.choice = "all",
            Scope::Groups(gs) => {
                if c.choice != "all" {
                    c.choice = "groups";
                }
                for b in &mut c.groups {
                    b.checked = b.checked || gs.iter().any(|g| g.to_string() == b.id);
                }
            }
        }
    }
    out
}

/// The assignments the form asks for, or what is wrong with it.
fn wanted(pairs: &Pairs) -> Result<Vec<AssignmentInput>, String> {
    let mut out = Vec::new();
    let mut roles: Vec<&str> = fields(pairs, "role");
    roles.dedup();
    for role in roles.into_iter().filter(|r| !r.is_empty()) {
        if field(pairs, &format!("partner.{role}")) == "1" {
            out.push(AssignmentInput { role: role.to_string(), scope: Scope::Partner });
        }
        match field(pairs, &format!("scope.{role}")) {
            "all" => out.push(AssignmentInput { role: role.to_string(), scope: Scope::AllCustomers }),
            "groups" => {
                let groups = fields(pairs, &format!("groups.{role}"))
                    .into_iter()
                    .map(|g| g.parse::<OrgGroupId>().map_err(|_| format!("'{g}' is not an organization group.")))
                    .collect::<Result<Vec<_>, _>>()?;
                if groups.is_empty() {
                    return Err("Tick at least one group for a role that applies in groups.".into());
                }
                out.push(AssignmentInput { role: role.to_string(), scope: Scope::Groups(groups) });
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Saves where each of a partner member's roles applies (all of the
/// member's assignments at once); back to the edit form with what was done
/// or why it was refused. Needs members:update (and no escalation across
/// scopes).
pub async fn scopes_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    Form(pairs): Form<Pairs>,
) -> UiResult {
    let uid: UserId = query::id(&id, "member")?;
    let back = safe_path(field(&pairs, "return_to"), &page.links.users());
    let query = serde_urlencoded::to_string([("return_to", back.as_str())]).unwrap_or_default();
    let edit = format!("{}?{query}", page.links.user_edit(&id));
    let wanted = match wanted(&pairs) {
        Ok(w) => w,
        Err(why) => return Ok(redirect_with_flash(&edit, "error", &why)),
    };
    match scopes::set(page.app(), &page.access, uid, &wanted, &meta).await {
        Ok(_) => Ok(redirect_with_flash(&edit, "ok", "Saved where the roles apply.")),
        Err(e) => {
            let errors = FormErrors::from_refusal(e, &[])?;
            let why = errors.form.unwrap_or_else(|| "The change was refused.".into());
            Ok(redirect_with_flash(&edit, "error", &why))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Pairs {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_partner_scope_travels_with_the_customer_scope_chosen() {
        let g = OrgGroupId::new();
        let gs = g.to_string();
        let w = wanted(&pairs(&[
            ("role", "a"),
            ("partner.a", "1"),
            ("scope.a", "groups"),
            ("groups.a", &gs),
            ("role", "b"),
            ("partner.b", "1"),
            ("scope.b", "none"),
        ]))
        .unwrap();
        let got: Vec<(&str, &Scope)> = w.iter().map(|a| (a.role.as_str(), &a.scope)).collect();
        assert_eq!(got, vec![("a", &Scope::Partner), ("a", &Scope::Groups(vec![g])), ("b", &Scope::Partner)]);
    }

    #[test]
    fn groups_chosen_without_a_group_ticked_is_refused() {
        assert!(wanted(&pairs(&[("role", "a"), ("partner.a", "1"), ("scope.a", "groups")])).is_err());
    }
}
