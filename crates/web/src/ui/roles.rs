//! The Roles tab (seed 001's Roles Explorer): every role with its permission
//! matrix, roles compared side by side, the role editor, copy and delete, and
//! handing the organization's ownership on.

use askama::Template;
use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use roster_app::AppError;
use roster_app::access::{OrgAccess, Permission, open_org};
use roster_app::members::ListRequest;
use roster_app::policy::{EnforcedBy, Resource};
use roster_app::roles::{GrantsInput, RoleInput, RolePatch, RoleRecord};
use roster_domain::permissions::{Action, Actions, Level};
use roster_domain::{MemberFilter, MemberStatus, UserId};

use super::{Frame, error_page, redirect_with_flash, render, respond, with_flash_cleared};
use crate::AppState;
use crate::extract::{Meta, UiUser};

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

fn roles_path(slug: &str) -> String {
    format!("/orgs/{slug}/settings/roles")
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

async fn open(state: &AppState, user: &UiUser, org: &str) -> Result<OrgAccess, AppError> {
    open_org(&state.app, &user.actor(), org).await
}

/// The Roles tab: every role, its badge, members and permission matrix.
/// Needs roles:read.
pub async fn roles_page(
    State(state): State<AppState>,
    user: UiUser,
    Path(org): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let access = open(&state, &user, &org).await?;
        let roles = roster_app::roles::list_roles(&access)?;
        let slug = access.org.slug.clone();
        let can_members = access.can(Permission::MEMBERS_READ);
        let cards = roles
            .iter()
            .map(|r| {
                let (kind, kind_label) = kind(r);
                RoleCard {
                    id: r.id.to_string(),
                    key: r.key.clone(),
                    name: r.name.clone(),
                    description: r.description.clone(),
                    kind,
                    kind_label,
                    member_count: r.member_count,
                    members_href: can_members.then(|| format!("/orgs/{slug}/settings/users?role={}", r.id)),
                    can_edit: !r.locked && access.can(Permission::ROLES_UPDATE),
                    can_copy: access.can(Permission::ROLES_CREATE),
                    can_delete: !r.builtin && access.can(Permission::ROLES_DELETE),
                    rows: matrix(&access.policy.resources, &[r]),
                }
            })
            .collect();
        let owner_name = match access.org.owner_id {
            Some(id) if access.can(Permission::MEMBERS_READ) => {
                roster_app::members::get_member(&state.app, &access, id)
                    .await
                    .map(|m| m.member.name)
                    .unwrap_or_default()
            }
            _ => String::new(),
        };
        let frame = Frame::new(&state, &user, &access, "roles", &headers).await?;
        Ok::<_, AppError>(RolesPage {
            frame,
            cards,
            can_create: access.can(Permission::ROLES_CREATE),
            is_owner: access.is_owner(),
            owner_transfer: access.org.owner_transfer,
            owner_name,
        })
    }
    .await;
    match result {
        Ok(p) => with_flash_cleared(p.frame.flash.is_some(), render(StatusCode::OK, &p)),
        Err(e) => error_page(&e),
    }
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
pub async fn compare_page(
    State(state): State<AppState>,
    user: UiUser,
    Path(org): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let access = open(&state, &user, &org).await?;
        let roles = roster_app::roles::list_roles(&access)?;
        let pairs: Pairs = serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
        let wanted: Vec<&str> = fields(&pairs, "roles").into_iter().filter(|v| !v.is_empty()).collect();
        let chosen: Vec<&RoleRecord> = if wanted.is_empty() {
            roles.iter().collect()
        } else {
            roles.iter().filter(|r| wanted.iter().any(|w| *w == r.id.to_string() || *w == r.key)).collect::<Vec<_>>()
        };
        let chosen = if chosen.is_empty() { roles.iter().collect() } else { chosen };
        Ok::<_, AppError>(ComparePage {
            choices: roles
                .iter()
                .map(|r| (r.id.to_string(), r.name.clone(), chosen.iter().any(|c| c.id == r.id)))
                .collect(),
            columns: chosen.iter().map(|r| (r.name.clone(), kind(r).0)).collect(),
            rows: matrix(&access.policy.resources, &chosen),
            frame: Frame::new(&state, &user, &access, "roles", &headers).await?,
        })
    }
    .await;
    respond(StatusCode::OK, result)
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

async fn editor(
    state: &AppState,
    user: &UiUser,
    access: &OrgAccess,
    headers: &HeaderMap,
    role: Option<&RoleRecord>,
    draft: RoleDraft,
    error: Option<AppError>,
) -> Result<RoleEditPage, AppError> {
    let slug = &access.org.slug;
    let (mut name_error, mut description_error, mut form_error) = (None, None, None);
    match &error {
        Some(AppError::Validation(v)) => {
            for e in &v.errors {
                match e.field.as_str() {
                    "name" => name_error = Some(format!("Name {}", e.message)),
                    "description" => description_error = Some(format!("Description {}", e.message)),
                    other => form_error = Some(format!("{other} {}", e.message)),
                }
            }
        }
        Some(e) => {
            let p = crate::error::problem_for(e);
            form_error = Some(format!("{}: {}", p.title, p.detail));
        }
        None => {}
    }
    let lines = resource_lines(&access.policy.resources);
    let rows = lines
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
    Ok(RoleEditPage {
        frame: Frame::new(state, user, access, "roles", headers).await?,
        title: match role {
            Some(r) => format!("Edit role: {}", r.name),
            None => "New role".into(),
        },
        action: match role {
            Some(r) => format!("/orgs/{slug}/settings/roles/{}/edit", r.id),
            None => format!("/orgs/{slug}/settings/roles/new"),
        },
        submit_label: if role.is_some() { "Save role" } else { "Create role" },
        name: draft.name,
        description: draft.description,
        name_error,
        description_error,
        form_error,
        rows,
        cancel_href: roles_path(slug),
    })
}

fn status_for(e: &AppError) -> StatusCode {
    match e {
        AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Conflict { .. } => StatusCode::CONFLICT,
        _ => StatusCode::FORBIDDEN,
    }
}

/// Whether an error is one the form shows beside what was typed.
fn shown_in_form(e: &AppError) -> bool {
    matches!(e, AppError::Validation(_) | AppError::Escalation(_) | AppError::Conflict { .. })
}

/// The empty role editor. Needs roles:create.
pub async fn new_page(
    State(state): State<AppState>,
    user: UiUser,
    Path(org): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let access = open(&state, &user, &org).await?;
        access.require(Permission::ROLES_CREATE)?;
        let draft = RoleDraft { name: String::new(), description: String::new(), grants: vec![] };
        editor(&state, &user, &access, &headers, None, draft, None).await
    }
    .await;
    respond(StatusCode::OK, result)
}

/// Creates a custom role; on an error shows the form again as typed.
/// Needs roles:create (and no escalation).
pub async fn new_submit(
    State(state): State<AppState>,
    user: UiUser,
    Meta(meta): Meta,
    Path(org): Path<String>,
    headers: HeaderMap,
    Form(pairs): Form<Pairs>,
) -> Response {
    let access = match open(&state, &user, &org).await {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let draft = RoleDraft::from_form(&pairs, &access.policy.resources);
    let input = RoleInput {
        key: None,
        name: draft.name.clone(),
        description: draft.description.clone(),
        grants: draft.grants_input(),
    };
    match roster_app::roles::create_role(&state.app, &access, input, &meta).await {
        Ok(role) => {
            redirect_with_flash(&roles_path(&access.org.slug), "ok", &format!("Created the role {}.", role.name))
        }
        Err(e) if shown_in_form(&e) => {
            let status = status_for(&e);
            respond(status, editor(&state, &user, &access, &headers, None, draft, Some(e)).await)
        }
        Err(e) => error_page(&e),
    }
}

/// The editor for an existing role. Needs roles:update; the owner's role is locked.
pub async fn edit_page(
    State(state): State<AppState>,
    user: UiUser,
    Path((org, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let access = open(&state, &user, &org).await?;
        access.require(Permission::ROLES_UPDATE)?;
        let role = roster_app::roles::get_role(&access, &id)?;
        let draft = RoleDraft::from_role(&role, &access.policy.resources);
        let locked = role.locked.then(|| {
            AppError::conflict(
                roster_app::ConflictKind::RoleLocked,
                format!("'{}' is the owner's role and always grants everything; copy it to make a variant", role.name),
            )
        });
        editor(&state, &user, &access, &headers, Some(&role), draft, locked).await
    }
    .await;
    respond(StatusCode::OK, result)
}

/// Saves a role's name, description and grants; on an error shows the form
/// again as typed. Needs roles:update (and no escalation).
pub async fn edit_submit(
    State(state): State<AppState>,
    user: UiUser,
    Meta(meta): Meta,
    Path((org, id)): Path<(String, String)>,
    headers: HeaderMap,
    Form(pairs): Form<Pairs>,
) -> Response {
    let access = match open(&state, &user, &org).await {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let role = match roster_app::roles::get_role(&access, &id) {
        Ok(r) => r,
        Err(e) => return error_page(&e),
    };
    let draft = RoleDraft::from_form(&pairs, &access.policy.resources);
    let patch = RolePatch {
        name: Some(draft.name.clone()),
        description: Some(draft.description.clone()),
        grants: Some(draft.grants_input()),
    };
    match roster_app::roles::update_role(&state.app, &access, &id, patch, &meta).await {
        Ok(r) => redirect_with_flash(&roles_path(&access.org.slug), "ok", &format!("Saved the role {}.", r.name)),
        Err(e) if shown_in_form(&e) => {
            let status = status_for(&e);
            respond(status, editor(&state, &user, &access, &headers, Some(&role), draft, Some(e)).await)
        }
        Err(e) => error_page(&e),
    }
}

/// Copies a role as a new custom role and opens it in the editor.
/// Needs roles:create.
pub async fn copy_submit(
    State(state): State<AppState>,
    user: UiUser,
    Meta(meta): Meta,
    Path((org, id)): Path<(String, String)>,
) -> Response {
    let access = match open(&state, &user, &org).await {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let back = roles_path(&access.org.slug);
    match roster_app::roles::copy_role(&state.app, &access, &id, None, &meta).await {
        Ok(r) => redirect_with_flash(
            &format!("{back}/{}/edit", r.id),
            "ok",
            &format!("Created {}: rename it and adjust what it allows.", r.name),
        ),
        Err(e) if shown_in_form(&e) => redirect_with_flash(&back, "error", &crate::error::problem_for(&e).detail),
        Err(e) => error_page(&e),
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

async fn delete_view(
    state: &AppState,
    user: &UiUser,
    access: &OrgAccess,
    headers: &HeaderMap,
    id: &str,
    reassign_to: String,
    form_error: Option<String>,
) -> Result<DeletePage, AppError> {
    access.require(Permission::ROLES_DELETE)?;
    let role = roster_app::roles::get_role(access, id)?;
    if role.builtin {
        return Err(AppError::conflict(
            roster_app::ConflictKind::BuiltinRole,
            format!("'{}' is a built-in role: it can be copied and edited, not deleted", role.name),
        ));
    }
    let mine = access.effective.grants();
    Ok(DeletePage {
        frame: Frame::new(state, user, access, "roles", headers).await?,
        id: role.id.to_string(),
        members_href: format!("/orgs/{}/settings/users?role={}", access.org.slug, role.id),
        targets: access
            .policy
            .roles
            .iter()
            .filter(|r| r.id != role.id && roster_domain::roles::lacking(&r.grants, mine).is_none())
            .map(|r| (r.id.to_string(), r.name.clone()))
            .collect(),
        name: role.name,
        member_count: role.member_count,
        reassign_to,
        form_error,
    })
}

/// The confirm step of deleting a custom role; asks which role its members
/// get instead. Needs roles:delete.
pub async fn delete_page(
    State(state): State<AppState>,
    user: UiUser,
    Path((org, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let access = open(&state, &user, &org).await?;
        delete_view(&state, &user, &access, &headers, &id, String::new(), None).await
    }
    .await;
    respond(StatusCode::OK, result)
}

/// Deletes a custom role, moving its members to `reassign_to`.
/// Needs roles:delete (and members:update when members move).
pub async fn delete_submit(
    State(state): State<AppState>,
    user: UiUser,
    Meta(meta): Meta,
    Path((org, id)): Path<(String, String)>,
    headers: HeaderMap,
    Form(pairs): Form<Pairs>,
) -> Response {
    let access = match open(&state, &user, &org).await {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let name = access.policy.find_role(&id).map(|r| r.name.clone()).unwrap_or_default();
    let reassign = field(&pairs, "reassign_to").to_string();
    let target = Some(reassign.as_str()).filter(|s| !s.is_empty());
    match roster_app::roles::delete_role(&state.app, &access, &id, target, &meta).await {
        Ok(moved) => {
            let moved = if moved > 0 {
                format!(" {moved} member{} got the other role instead.", if moved == 1 { "" } else { "s" })
            } else {
                String::new()
            };
            redirect_with_flash(&roles_path(&access.org.slug), "ok", &format!("Deleted the role {name}.{moved}"))
        }
        Err(e) if shown_in_form(&e) => {
            let status = status_for(&e);
            let p = crate::error::problem_for(&e);
            let msg = match &e {
                AppError::Validation(v) => {
                    v.errors.iter().map(|x| format!("{} {}", x.field, x.message)).collect::<Vec<_>>().join("; ")
                }
                _ => format!("{}: {}", p.title, p.detail),
            };
            respond(status, delete_view(&state, &user, &access, &headers, &id, reassign, Some(msg)).await)
        }
        Err(e) => error_page(&e),
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

async fn owner_view(
    state: &AppState,
    user: &UiUser,
    access: &OrgAccess,
    headers: &HeaderMap,
    q: &str,
    chosen: String,
    form_error: Option<String>,
) -> Result<OwnerPage, AppError> {
    if !access.is_owner() {
        return Err(AppError::Forbidden(format!("only the owner of {} can hand ownership on", access.org.name)));
    }
    let (candidates, more) = if access.org.owner_transfer {
        let req = ListRequest {
            filter: MemberFilter::new(q, vec![MemberStatus::Active])?,
            page: 1,
            per_page: OWNER_CANDIDATES,
            ..Default::default()
        };
        let list = roster_app::members::list_members(&state.app, access, &req).await?;
        let me = user.principal.user_id;
        let more = list.next_cursor.is_some();
        let c = list
            .items
            .into_iter()
            .filter(|v| v.member.user_id != me)
            .map(|v| (v.member.user_id.to_string(), format!("{} · {}", v.member.name, v.member.email)))
            .collect();
        (c, more)
    } else {
        (vec![], false)
    };
    Ok(OwnerPage {
        frame: Frame::new(state, user, access, "roles", headers).await?,
        allowed: access.org.owner_transfer,
        candidates,
        more,
        q: q.trim().to_string(),
        chosen,
        form_error,
    })
}

/// The confirm page of handing ownership on. Only the owner, and only where
/// the organization's preset allows it.
pub async fn owner_page(
    State(state): State<AppState>,
    user: UiUser,
    Path(org): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let q = query.iter().find(|(k, _)| k == "q").map(|(_, v)| v.as_str()).unwrap_or("");
    let result = async {
        let access = open(&state, &user, &org).await?;
        owner_view(&state, &user, &access, &headers, q, String::new(), None).await
    }
    .await;
    respond(StatusCode::OK, result)
}

/// Hands ownership to the chosen active member once the owner ticked the
/// confirmation.
pub async fn owner_submit(
    State(state): State<AppState>,
    user: UiUser,
    Meta(meta): Meta,
    Path(org): Path<String>,
    headers: HeaderMap,
    Form(pairs): Form<Pairs>,
) -> Response {
    let access = match open(&state, &user, &org).await {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let chosen = field(&pairs, "user").to_string();
    let refused = |msg: String| {
        let chosen = chosen.clone();
        let (state, user, access, headers) = (&state, &user, &access, &headers);
        async move {
            respond(
                StatusCode::UNPROCESSABLE_ENTITY,
                owner_view(state, user, access, headers, "", chosen, Some(msg)).await,
            )
        }
    };
    let Ok(to) = chosen.parse::<UserId>() else {
        return refused("Choose the member who becomes the owner.".into()).await;
    };
    if field(&pairs, "confirm") != "yes" {
        return refused("Tick the box to confirm that you will no longer be the owner.".into()).await;
    }
    match roster_app::roles::transfer_ownership(&state.app, &access, to, &meta).await {
        Ok(()) => redirect_with_flash(
            &roles_path(&access.org.slug),
            "ok",
            "Ownership handed on: you are no longer the owner.",
        ),
        Err(e) if shown_in_form(&e) => {
            let msg = match &e {
                AppError::Validation(v) => v.errors.iter().map(|x| x.message.clone()).collect::<Vec<_>>().join("; "),
                other => crate::error::problem_for(other).detail,
            };
            refused(msg).await
        }
        Err(e) => error_page(&e),
    }
}
