//! The Roles tab (seed 001's Roles Explorer): every role with its permission
//! matrix, roles compared side by side, the role editor, copy and delete, and
//! handing the organization's ownership on.

use askama::Template;
use axum::Form;
use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use roster_app::policy::{EnforcedBy, Resource};
use roster_app::roles::{GrantsInput, RoleInput, RolePatch, RoleRecord};
use roster_domain::UserId;
use roster_domain::permissions::{Action, Actions, Level};

use super::{FormErrors, Frame, OrgPage, TabKey, UiResult, redirect_with_flash};
use crate::extract::Meta;

/// A form as ordered (name, value) pairs: the forms here have one field per
/// resource and repeated checkboxes, which a fixed struct cannot name.
pub(super) type Pairs = Vec<(String, String)>;

/// The first value of a field, or "".
pub(super) fn field<'a>(pairs: &'a Pairs, name: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
}

/// Every value of a repeated field.
pub(super) fn fields<'a>(pairs: &'a Pairs, name: &str) -> Vec<&'a str> {
    pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
}

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
pub(super) fn mark(a: Actions) -> Mark {
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
pub(super) fn resource_lines(resources: &[Resource]) -> Vec<ResourceLine> {
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

fn matrix(resources: &[Resource], roles: &[&RoleRecord]) -> Vec<MatrixRow> {
    resource_lines(resources)
        .into_iter()
        .map(|line| {
            let cells = roles.iter().map(|r| Mark { role: r.key.clone(), ..mark(r.grants.on(&line.key)) }).collect();
            MatrixRow { line, cells }
        })
        .collect()
}

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

/// One resource's row in the role editor.
pub struct EditRow {
    line: ResourceLine,
    /// The select's value: none, view, edit or custom.
    level: &'static str,
    /// The four actions and whether each is ticked.
    acts: Vec<(&'static str, bool)>,
}

#[derive(Template)]
#[template(path = "role_edit.html")]
struct RoleEditPage {
    frame: Frame,
    title: String,
    action: String,
    submit_label: &'static str,
    name: String,
    description: String,
    name_error: Option<String>,
    description_error: Option<String>,
    form_error: Option<String>,
    rows: Vec<EditRow>,
    cancel_href: String,
}

/// The role editor's typed state: name, description and grants.
struct RoleDraft {
    name: String,
    description: String,
    grants: Vec<(String, Actions, &'static str)>,
}

impl RoleDraft {
    fn from_role(r: &RoleRecord, resources: &[Resource]) -> Self {
        Self {
            name: r.name.clone(),
            description: r.description.clone(),
            grants: resources
                .iter()
                .map(|res| {
                    let a = r.grants.on(&res.key);
                    (res.key.clone(), a, a.level().as_str())
                })
                .collect(),
        }
    }

    /// Reads the form: per resource `level.<key>` (none, view, edit, custom)
    /// and `act.<key>` checkboxes; the select wins unless it says Custom.
    fn from_form(pairs: &Pairs, resources: &[Resource]) -> Self {
        let grants = resources
            .iter()
            .map(|res| {
                let ticked: Actions = fields(pairs, &format!("act.{}", res.key))
                    .into_iter()
                    .filter_map(|a| a.parse::<Action>().ok())
                    .collect();
                let (actions, level) = match field(pairs, &format!("level.{}", res.key)) {
                    "view" => (Actions::VIEW, "view"),
                    "edit" => (Actions::EDIT, "edit"),
                    "custom" => (ticked, "custom"),
                    _ => (Actions::NONE, "none"),
                };
                (res.key.clone(), actions, level)
            })
            .collect();
        Self { name: field(pairs, "name").to_string(), description: field(pairs, "description").to_string(), grants }
    }

    fn grants_input(&self) -> GrantsInput {
        self.grants
            .iter()
            .filter(|(_, a, _)| !a.is_empty())
            .map(|(k, a, _)| (k.clone(), a.iter().map(|x| x.as_str().to_string()).collect()))
            .collect()
    }
}

/// The role editor as shown: the role (none for a new one), what was typed,
/// and what was wrong with it.
async fn editor(page: &OrgPage, role: Option<&RoleRecord>, draft: RoleDraft, errors: FormErrors) -> UiResult {
    let rows = resource_lines(&page.access.policy.resources)
        .into_iter()
        .map(|line| {
            let (actions, level) = draft
                .grants
                .iter()
                .find(|(k, _, _)| *k == line.key)
                .map(|(_, a, l)| (*a, *l))
                .unwrap_or((Actions::NONE, "none"));
            let acts = Action::ALL.iter().map(|a| (a.as_str(), actions.contains(*a))).collect();
            EditRow { line, level, acts }
        })
        .collect();
    page.render(
        errors.status,
        &RoleEditPage {
            frame: page.frame(TabKey::Roles).await?,
            title: match role {
                Some(r) => format!("Edit role: {}", r.name),
                None => "New role".into(),
            },
            action: match role {
                Some(r) => page.links.role_edit(&r.id.to_string()),
                None => page.links.role_new(),
            },
            submit_label: if role.is_some() { "Save role" } else { "Create role" },
            name: draft.name,
            description: draft.description,
            name_error: errors.field("name").map(|m| format!("Name {m}")),
            description_error: errors.field("description").map(|m| format!("Description {m}")),
            form_error: errors.form,
            rows,
            cancel_href: page.links.roles(),
        },
    )
}

/// The fields of the role editor that show their own errors.
const ROLE_FIELDS: &[&str] = &["name", "description"];

/// The empty role editor. Needs roles:create.
pub async fn new_page(page: OrgPage) -> UiResult {
    roster_app::roles::may_create_role(&page.access)?;
    let draft = RoleDraft { name: String::new(), description: String::new(), grants: vec![] };
    editor(&page, None, draft, FormErrors::default()).await
}

/// Creates a custom role; on an error shows the form again as typed.
/// Needs roles:create (and no escalation).
pub async fn new_submit(page: OrgPage, Meta(meta): Meta, Form(pairs): Form<Pairs>) -> UiResult {
    let draft = RoleDraft::from_form(&pairs, &page.access.policy.resources);
    let input = RoleInput {
        key: None,
        name: draft.name.clone(),
        description: draft.description.clone(),
        grants: draft.grants_input(),
    };
    match roster_app::roles::create_role(page.app(), &page.access, input, &meta).await {
        Ok(role) => Ok(redirect_with_flash(&page.links.roles(), "ok", &format!("Created the role {}.", role.name))),
        Err(e) => editor(&page, None, draft, FormErrors::from_refusal(e, ROLE_FIELDS)?).await,
    }
}

/// The editor for an existing role. Needs roles:update; the owner's role is
/// shown with the reason it cannot be changed.
pub async fn edit_page(page: OrgPage, Path((_, id)): Path<(String, String)>) -> UiResult {
    let role = roster_app::roles::role_for_edit(&page.access, &id)?;
    let draft = RoleDraft::from_role(&role, &page.access.policy.resources);
    let errors = match roster_app::roles::locked(&role) {
        Some(e) => FormErrors::from_refusal(e, ROLE_FIELDS)?,
        None => FormErrors::default(),
    };
    editor(&page, Some(&role), draft, errors).await
}

/// Saves a role's name, description and grants; on an error shows the form
/// again as typed. Needs roles:update (and no escalation).
pub async fn edit_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    Form(pairs): Form<Pairs>,
) -> UiResult {
    let role = roster_app::roles::get_role(&page.access, &id)?;
    let draft = RoleDraft::from_form(&pairs, &page.access.policy.resources);
    let patch = RolePatch {
        name: Some(draft.name.clone()),
        description: Some(draft.description.clone()),
        grants: Some(draft.grants_input()),
    };
    match roster_app::roles::update_role(page.app(), &page.access, &id, patch, &meta).await {
        Ok(r) => Ok(redirect_with_flash(&page.links.roles(), "ok", &format!("Saved the role {}.", r.name))),
        Err(e) => editor(&page, Some(&role), draft, FormErrors::from_refusal(e, ROLE_FIELDS)?).await,
    }
}

/// Copies a role as a new custom role and opens it in the editor.
/// Needs roles:create.
pub async fn copy_submit(page: OrgPage, Meta(meta): Meta, Path((_, id)): Path<(String, String)>) -> UiResult {
    match roster_app::roles::copy_role(page.app(), &page.access, &id, None, &meta).await {
        Ok(r) => Ok(redirect_with_flash(
            &page.links.role_edit(&r.id.to_string()),
            "ok",
            &format!("Created {}: rename it and adjust what it allows.", r.name),
        )),
        Err(e) => {
            let errors = FormErrors::from_refusal(e, &[])?;
            Ok(redirect_with_flash(&page.links.roles(), "error", errors.form.as_deref().unwrap_or_default()))
        }
    }
}

#[derive(Template)]
#[template(path = "role_delete.html")]
struct DeletePage {
    frame: Frame,
    id: String,
    name: String,
    member_count: i64,
    members_href: String,
    /// (id, name) of the roles its members may get instead.
    targets: Vec<(String, String)>,
    reassign_to: String,
    form_error: Option<String>,
}

async fn delete_view(page: &OrgPage, id: &str, reassign_to: String, errors: FormErrors) -> UiResult {
    let (role, targets) = roster_app::roles::deletion_choices(&page.access, id)?;
    page.render(
        errors.status,
        &DeletePage {
            frame: page.frame(TabKey::Roles).await?,
            id: role.id.to_string(),
            members_href: format!("{}?role={}", page.links.users(), role.id),
            targets: targets.into_iter().map(|r| (r.id.to_string(), r.name)).collect(),
            name: role.name,
            member_count: role.member_count,
            reassign_to,
            form_error: errors.form,
        },
    )
}

/// The confirm step of deleting a custom role; asks which role its members
/// get instead. Needs roles:delete.
pub async fn delete_page(page: OrgPage, Path((_, id)): Path<(String, String)>) -> UiResult {
    delete_view(&page, &id, String::new(), FormErrors::default()).await
}

/// Deletes a custom role, moving its members to `reassign_to`.
/// Needs roles:delete (and members:update when members move).
pub async fn delete_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    Form(pairs): Form<Pairs>,
) -> UiResult {
    let name = page.access.policy.find_role(&id).map(|r| r.name.clone()).unwrap_or_default();
    let reassign = field(&pairs, "reassign_to").to_string();
    let target = Some(reassign.as_str()).filter(|s| !s.is_empty());
    match roster_app::roles::delete_role(page.app(), &page.access, &id, target, &meta).await {
        Ok(moved) => {
            let moved = if moved > 0 {
                format!(" {moved} member{} got the other role instead.", if moved == 1 { "" } else { "s" })
            } else {
                String::new()
            };
            Ok(redirect_with_flash(&page.links.roles(), "ok", &format!("Deleted the role {name}.{moved}")))
        }
        Err(e) => delete_view(&page, &id, reassign, FormErrors::from_refusal(e, &[])?).await,
    }
}

#[derive(Template)]
#[template(path = "owner.html")]
struct OwnerPage {
    frame: Frame,
    allowed: bool,
    /// (user id, "Name · email") of each active member who could take over.
    candidates: Vec<(String, String)>,
    more: bool,
    /// The search that narrowed the candidates.
    q: String,
    chosen: String,
    form_error: Option<String>,
}

/// How many members the new-owner select lists.
const OWNER_CANDIDATES: u32 = 200;

async fn owner_view(page: &OrgPage, q: &str, chosen: String, errors: FormErrors) -> UiResult {
    let (candidates, more) =
        roster_app::roles::transfer_candidates(page.app(), &page.access, q, OWNER_CANDIDATES).await?;
    page.render(
        errors.status,
        &OwnerPage {
            frame: page.frame(TabKey::Roles).await?,
            allowed: page.access.org.owner_transfer,
            candidates: candidates
                .into_iter()
                .map(|m| (m.user_id.to_string(), format!("{} · {}", m.name, m.email)))
                .collect(),
            more,
            q: q.trim().to_string(),
            chosen,
            form_error: errors.form,
        },
    )
}

/// The confirm page of handing ownership on. Only the owner, and only where
/// the organization's preset allows it.
pub async fn owner_page(page: OrgPage, RawQuery(raw): RawQuery) -> UiResult {
    let query: Pairs = serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    owner_view(&page, field(&query, "q"), String::new(), FormErrors::default()).await
}

/// Hands ownership to the chosen active member once the owner ticked the
/// confirmation.
pub async fn owner_submit(page: OrgPage, Meta(meta): Meta, Form(pairs): Form<Pairs>) -> UiResult {
    let chosen = field(&pairs, "user").to_string();
    let Ok(to) = chosen.parse::<UserId>() else {
        return owner_view(&page, "", chosen, FormErrors::form("Choose the member who becomes the owner.")).await;
    };
    if field(&pairs, "confirm") != "yes" {
        let errors = FormErrors::form("Tick the box to confirm that you will no longer be the owner.");
        return owner_view(&page, "", chosen, errors).await;
    }
    match roster_app::roles::transfer_ownership(page.app(), &page.access, to, &meta).await {
        Ok(()) => {
            Ok(redirect_with_flash(&page.links.roles(), "ok", "Ownership handed on: you are no longer the owner."))
        }
        Err(e) => owner_view(&page, "", chosen, FormErrors::from_refusal(e, &[])?).await,
    }
}
