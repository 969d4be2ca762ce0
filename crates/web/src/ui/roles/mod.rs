//! The Roles tab (seed 001's Roles Explorer): every role with its permission
//! matrix and roles compared side by side; `editor` (new, edit, copy),
//! `delete` (with reassignment) and `owner` (handing ownership on) beside it.

mod delete;
mod editor;
mod owner;

pub use delete::{delete_page, delete_submit};
pub use editor::{copy_submit, edit_page, edit_submit, new_page, new_submit};
pub use owner::{owner_page, owner_submit};

use askama::Template;
use axum::extract::RawQuery;
use axum::http::StatusCode;
use roster_app::roles::RoleRecord;

use crate::ui::form::{Pairs, fields};
use crate::ui::matrix::{MatrixRow, matrix};
use crate::ui::{Frame, OrgPage, TabKey, UiResult};

fn kind(r: &RoleRecord) -> (&'static str, &'static str) {
    if r.locked {
        ("owner", "Owner")
    } else if r.builtin {
        ("builtin", "Built-in")
    } else {
        ("custom", "Custom")
    }
}

/// A role's card on the Roles tab.
pub struct RoleCard {
    id: String,
    key: String,
    name: String,
    description: String,
    kind: &'static str,
    kind_label: &'static str,
    member_count: i64,
    members_href: Option<String>,
    can_edit: bool,
    can_copy: bool,
    can_delete: bool,
    rows: Vec<MatrixRow>,
}

#[derive(Template)]
#[template(path = "roles.html")]
struct RolesPage {
    frame: Frame,
    cards: Vec<RoleCard>,
    can_create: bool,
    is_owner: bool,
    owner_transfer: bool,
    owner_name: String,
}

/// The Roles tab: every role, its badge, members and permission matrix.
/// Needs roles:read.
pub async fn roles_page(page: OrgPage) -> UiResult {
    let access = &page.access;
    let roles = roster_app::roles::list_roles(access)?;
    let tab = roster_app::roles::roles_tab_actions(access);
    let cards = roles
        .iter()
        .map(|r| {
            let (kind, kind_label) = kind(r);
            let may = roster_app::roles::role_actions(access, r);
            RoleCard {
                id: r.id.to_string(),
                key: r.key.clone(),
                name: r.name.clone(),
                description: r.description.clone(),
                kind,
                kind_label,
                member_count: r.member_count,
                members_href: tab.see_members.then(|| format!("{}?role={}", page.links.users(), r.id)),
                can_edit: may.edit,
                can_copy: may.copy,
                can_delete: may.delete,
                rows: matrix(&access.policy.resources, &[r]),
            }
        })
        .collect();
    let owner_name = match access.org.owner_id {
        Some(id) if tab.see_members => {
            roster_app::members::get_member(page.app(), access, id).await.map(|m| m.member.name).unwrap_or_default()
        }
        _ => String::new(),
    };
    page.render(
        StatusCode::OK,
        &RolesPage {
            frame: page.frame(TabKey::Roles).await?,
            cards,
            can_create: tab.create,
            is_owner: access.is_owner(),
            owner_transfer: access.org.owner_transfer,
            owner_name,
        },
    )
}

#[derive(Template)]
#[template(path = "roles_compare.html")]
struct ComparePage {
    frame: Frame,
    /// (id, name, chosen) for the picker.
    choices: Vec<(String, String, bool)>,
    /// (name, kind) of each compared role, in column order.
    columns: Vec<(String, &'static str)>,
    rows: Vec<MatrixRow>,
}

/// Roles side by side (seed 000's comparison table): `?roles=a&roles=b`,
/// every role when none is named. Needs roles:read.
pub async fn compare_page(page: OrgPage, RawQuery(raw): RawQuery) -> UiResult {
    let roles = roster_app::roles::list_roles(&page.access)?;
    let pairs: Pairs = serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let wanted: Vec<&str> = fields(&pairs, "roles").into_iter().filter(|v| !v.is_empty()).collect();
    let chosen: Vec<&RoleRecord> = if wanted.is_empty() {
        roles.iter().collect()
    } else {
        roles.iter().filter(|r| wanted.iter().any(|w| *w == r.id.to_string() || *w == r.key)).collect::<Vec<_>>()
    };
    let chosen = if chosen.is_empty() { roles.iter().collect() } else { chosen };
    page.render(
        StatusCode::OK,
        &ComparePage {
            choices: roles
                .iter()
                .map(|r| (r.id.to_string(), r.name.clone(), chosen.iter().any(|c| c.id == r.id)))
                .collect(),
            columns: chosen.iter().map(|r| (r.name.clone(), kind(r).0)).collect(),
            rows: matrix(&page.access.policy.resources, &chosen),
            frame: page.frame(TabKey::Roles).await?,
        },
    )
}
