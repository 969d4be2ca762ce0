//! The Users tab: the directory, row actions, the edit form and bulk changes.

use askama::Template;
use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use roster_app::access::{OrgAccess, Permission, open_org};
use roster_app::members::{ListRequest, MemberView};
use roster_app::roles::GrantsInput;
use roster_app::{AppError, RequestMeta};
use roster_domain::members::{PER_PAGE_DEFAULT, StatusChange};
use roster_domain::permissions::Actions;
use roster_domain::{MemberFilter, MemberSort, MemberStatus, SortOrder, UserId};
use serde::Deserialize;

use super::roles::{Pairs, field, fields};
use super::{Frame, error_page, redirect_with_flash, render, respond, safe_return, with_flash_cleared};
use crate::AppState;
use crate::api::users::{Strictness, parse_list_query};
use crate::extract::{Meta, UiUser};
use crate::format;

fn users_path(slug: &str) -> String {
    format!("/orgs/{slug}/settings/users")
}

/// The list's state as query parameters, so links keep the filters.
fn list_query(req: &ListRequest, overrides: &[(&str, String)]) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if !req.filter.q.is_empty() {
        pairs.push(("q", req.filter.q.clone()));
    }
    if !req.filter.name.is_empty() {
        pairs.push(("name", req.filter.name.clone()));
    }
    if !req.filter.email.is_empty() {
        pairs.push(("email", req.filter.email.clone()));
    }
    if req.filter.has_status() {
        pairs.push(("status", req.filter.statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")));
    }
    if req.sort != MemberSort::Email {
        pairs.push(("sort", req.sort.as_str().into()));
    }
    if req.order != SortOrder::Asc {
        pairs.push(("order", req.order.as_str().into()));
    }
    if req.per_page != PER_PAGE_DEFAULT {
        pairs.push(("per_page", req.per_page.to_string()));
    }
    if let Some(role) = req.role.as_ref().filter(|r| !r.is_empty()) {
        pairs.push(("role", role.clone()));
    }
    for (k, v) in overrides {
        pairs.retain(|(pk, _)| pk != k);
        if !v.is_empty() {
            pairs.push((k, v.clone()));
        }
    }
    serde_urlencoded::to_string(&pairs).unwrap_or_default()
}

fn href(path: &str, query: String) -> String {
    if query.is_empty() { path.to_string() } else { format!("{path}?{query}") }
}

pub struct Row {
    id: String,
    email: String,
    name: String,
    status: &'static str,
    status_label: &'static str,
    confirmed: bool,
    created: String,
    last_active: String,
    is_owner: bool,
    is_me: bool,
    actions: Vec<(&'static str, &'static str)>,
    /// (role id, role name) badges.
    roles: Vec<(String, String)>,
}

pub struct Badge {
    key: &'static str,
    label: &'static str,
    count: String,
    href: String,
    active: bool,
}

pub struct SortLinks {
    email: String,
    name: String,
    created: String,
    last_active: String,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    frame: Frame,
    q: String,
    /// The name filter's value.
    name: String,
    /// The email filter's value.
    email: String,
    /// Why the typed filter was refused (the page then lists nobody).
    filter_error: Option<String>,
    status: String,
    sort: String,
    per_page: u32,
    status_options: Vec<(&'static str, &'static str)>,
    /// The role filter's value (a role id, or empty for all roles).
    role: String,
    /// (role id, role name) for the role filter.
    role_options: Vec<(String, String)>,
    sort_options: Vec<(&'static str, &'static str)>,
    per_page_options: Vec<u32>,
    badges: Vec<Badge>,
    total_label: String,
    can_update: bool,
    enable_all_href: String,
    disable_all_href: String,
    sort_links: SortLinks,
    rows: Vec<Row>,
    page: u32,
    pages: u64,
    prev_href: Option<String>,
    next_href: Option<String>,
    return_to: String,
}

/// The sort select's options: one per column and direction.
const SORTS: [(&str, &str); 8] = [
    ("email", "Email (A–Z)"),
    ("-email", "Email (Z–A)"),
    ("name", "Name (A–Z)"),
    ("-name", "Name (Z–A)"),
    ("-created", "Newest first"),
    ("created", "Oldest first"),
    ("-last_active", "Recently active"),
    ("last_active", "Least recently active"),
];

/// Reads the page's query: the API's parameters, where `sort` may also be
/// written `-column` for descending (the sort select's values).
fn parse_page_query(raw: Option<&str>) -> Result<ListRequest, roster_domain::ValidationError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default();
    let mut out = Vec::with_capacity(pairs.len() + 1);
    for (k, v) in pairs {
        match v.strip_prefix('-') {
            Some(col) if k == "sort" => {
                out.push((k, col.to_string()));
                out.push(("order".to_string(), "desc".to_string()));
            }
            _ => out.push((k, v)),
        }
    }
    parse_list_query(Some(&serde_urlencoded::to_string(&out).unwrap_or_default()), Strictness::Lenient)
}

fn row(v: MemberView, access: &OrgAccess, me: UserId, now: roster_domain::Timestamp) -> Row {
    let m = v.member;
    let is_owner = access.org.owner_id == Some(m.user_id);
    let mut actions = Vec::new();
    for c in [StatusChange::Enable, StatusChange::Disable, StatusChange::Restore, StatusChange::Archive] {
        let protected = is_owner && c.removes_access();
        if c.apply(m.status).is_some() && !protected {
            actions.push((
                match c {
                    StatusChange::Enable => "enable",
                    StatusChange::Disable => "disable",
                    StatusChange::Archive => "archive",
                    StatusChange::Restore => "restore",
                },
                c.label(),
            ));
        }
    }
    Row {
        id: m.user_id.to_string(),
        email: m.email,
        name: m.name,
        status: m.status.as_str(),
        status_label: m.status.label(),
        confirmed: m.confirmed,
        created: format::date(m.created_at),
        last_active: format::ago(m.last_active_at, now),
        is_owner,
        is_me: m.user_id == me,
        actions,
        roles: v.roles.into_iter().map(|r| (r.id.to_string(), r.name)).collect(),
    }
}

/// The Users tab.
pub async fn users_page(
    State(state): State<AppState>,
    user: UiUser,
    Path(org): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let access = match open_org(&state.app, &user.principal, &org).await {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    if !access.can(Permission::MEMBERS_READ) {
        return super::forbidden_in_frame(
            &state,
            &user,
            &access,
            "users",
            &headers,
            "You cannot see the users",
            "Listing the members of this organization needs the Users permission (members: read). Ask an administrator if you need it.",
        )
        .await;
    }
    let (mut req, refused) = match parse_page_query(raw.as_deref()) {
        Ok(r) => (r, None),
        Err(e) => match refused_text(raw.as_deref(), &e) {
            Some(refused) => (refused.rest, Some((refused.typed, refused.message))),
            None => return Redirect::to(&users_path(&access.org.slug)).into_response(),
        },
    };
    // The role filter is shown and linked by id; a key is accepted and an
    // unknown role starts over without it.
    if let Some(r) = req.role.clone() {
        match access.policy.find_role(r.trim()) {
            Some(role) => req.role = Some(role.id.to_string()),
            None => {
                req.role = None;
                return Redirect::to(&href(&users_path(&access.org.slug), list_query(&req, &[]))).into_response();
            }
        }
    }
    let listed = match &refused {
        // A refused filter lists nobody, so that no bulk link covers more
        // than what was asked for.
        Some(_) => Ok(roster_app::members::MemberList {
            items: vec![],
            total: 0,
            page: 1,
            per_page: req.per_page,
            counts: Default::default(),
            counts_capped: false,
            next_cursor: None,
            prev_cursor: None,
        }),
        None => roster_app::members::list_members(&state.app, &access, &req).await,
    };
    let list = match listed {
        Ok(l) => l,
        // A stale cursor or a too-deep page: start over with the same filters.
        Err(AppError::Validation(_)) => {
            return Redirect::to(&href(
                &users_path(&access.org.slug),
                list_query(&req, &[("cursor", String::new()), ("page", String::new())]),
            ))
            .into_response();
        }
        Err(e) => return error_page(&e),
    };
    let frame = match Frame::new(&state, &user, &access, "users", &headers).await {
        Ok(f) => f,
        Err(e) => return error_page(&e),
    };
    let had_flash = frame.flash.is_some();
    let path = users_path(&access.org.slug);
    let now = state.app.clock.now();
    let plus = if list.counts_capped { "+" } else { "" };
    let badges = MemberStatus::ALL
        .iter()
        .map(|s| Badge {
            key: s.as_str(),
            label: s.label(),
            count: format!("{}{plus}", format::count(list.counts.get(*s))),
            href: href(&path, list_query(&req, &[("status", s.as_str().into())])),
            active: req.filter.statuses == [*s],
        })
        .collect();
    let sort_key = |col: MemberSort| {
        let desc = req.sort == col && req.order == SortOrder::Asc;
        href(
            &path,
            list_query(
                &req,
                &[("sort", format!("{}{}", if desc { "-" } else { "" }, col.as_str())), ("order", String::new())],
            ),
        )
    };
    let pages = list.total.div_ceil(u64::from(list.per_page)).max(1);
    let page = list.page;
    let current = href(
        &path,
        list_query(
            &req,
            &[
                ("cursor", req.cursor.clone().unwrap_or_default()),
                ("page", if page > 1 { page.to_string() } else { String::new() }),
            ],
        ),
    );
    let bulk = |action: &str| href(&format!("{path}/bulk"), list_query(&req, &[("action", action.into())]));
    let status =
        if req.filter.statuses.len() == 1 { req.filter.statuses[0].as_str().to_string() } else { String::new() };
    let sort = format!("{}{}", if req.order == SortOrder::Desc { "-" } else { "" }, req.sort.as_str());
    let (typed, filter_error) = match refused {
        Some((typed, message)) => (typed, Some(message)),
        None => ([req.filter.q.clone(), req.filter.name.clone(), req.filter.email.clone()], None),
    };
    let [q, name, email] = typed;
    let page_view = UsersPage {
        q,
        name,
        email,
        filter_error: filter_error.clone(),
        status,
        sort,
        per_page: list.per_page,
        status_options: MemberStatus::ALL.iter().map(|s| (s.as_str(), s.label())).collect(),
        role: req.role.clone().unwrap_or_default(),
        role_options: access.policy.roles.iter().map(|r| (r.id.to_string(), r.name.clone())).collect(),
        sort_options: SORTS.to_vec(),
        per_page_options: vec![10, 25, 50, 100, 200],
        badges,
        total_label: format!("{}{plus}", format::count(list.total)),
        can_update: access.can(Permission::MEMBERS_UPDATE),
        enable_all_href: bulk("enable"),
        disable_all_href: bulk("disable"),
        sort_links: SortLinks {
            email: sort_key(MemberSort::Email),
            name: sort_key(MemberSort::Name),
            created: sort_key(MemberSort::Created),
            last_active: sort_key(MemberSort::LastActive),
        },
        rows: list.items.into_iter().map(|m| row(m, &access, user.principal.user_id, now)).collect(),
        page,
        pages,
        prev_href: list.prev_cursor.map(|c| {
            let p = page.saturating_sub(1).max(1);
            if p == 1 {
                href(&path, list_query(&req, &[]))
            } else {
                href(&path, list_query(&req, &[("cursor", c), ("page", p.to_string())]))
            }
        }),
        next_href: list
            .next_cursor
            .map(|c| href(&path, list_query(&req, &[("cursor", c), ("page", (page + 1).to_string())]))),
        return_to: current,
        frame,
    };
    let status = if filter_error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    with_flash_cleared(had_flash, render(status, &page_view))
}

/// The text filters, as the page's query gave them.
const TEXT_FILTERS: [&str; 3] = ["q", "name", "email"];

/// A page query whose text filters were refused.
struct RefusedText {
    /// The query without the refused filters.
    rest: ListRequest,
    /// What was typed into the search, name and email boxes, to show again
    /// (control characters shown as U+FFFD, which a page can hold).
    typed: [String; 3],
    /// Why, naming each refused box.
    message: String,
}

/// When only text filters were refused, answers the rest of the query and
/// what was typed, so the page can say why and keep the values; otherwise
/// (a bad status, sort or page) `None`.
fn refused_text(raw: Option<&str>, e: &roster_domain::ValidationError) -> Option<RefusedText> {
    if !e.errors.iter().all(|x| TEXT_FILTERS.contains(&x.field.as_str())) {
        return None;
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or("")).ok()?;
    let typed = TEXT_FILTERS.map(|f| {
        let v = pairs.iter().rev().find(|(k, _)| k == f).map_or("", |(_, v)| v.as_str());
        v.chars().map(|c| if c.is_control() { '\u{FFFD}' } else { c }).collect::<String>()
    });
    let kept: Vec<&(String, String)> = pairs.iter().filter(|(k, _)| !e.errors.iter().any(|x| x.field == *k)).collect();
    let rest = parse_page_query(Some(&serde_urlencoded::to_string(kept).ok()?)).ok()?;
    let label = |f: &str| match f {
        "q" => "Search",
        "name" => "Name",
        _ => "Email",
    };
    let message = e.errors.iter().map(|x| format!("{}: {}.", label(&x.field), x.message)).collect::<Vec<_>>().join(" ");
    Some(RefusedText { rest, typed, message })
}

#[derive(Deserialize)]
pub struct ReturnForm {
    #[serde(default)]
    return_to: String,
}

fn parse_id(id: &str) -> Result<UserId, AppError> {
    id.parse().map_err(|_| AppError::NotFound("member"))
}

/// A row action: enable, disable, archive or restore.
pub async fn status_submit(
    State(state): State<AppState>,
    user: UiUser,
    Meta(meta): Meta,
    Path((org, id, action)): Path<(String, String, String)>,
    Form(f): Form<ReturnForm>,
) -> Response {
    let access = match open_org(&state.app, &user.principal, &org).await {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let back = safe_return(&f.return_to, &users_path(&access.org.slug));
    let (Ok(change), Ok(uid)) = (action.parse::<StatusChange>(), parse_id(&id)) else {
        return error_page(&AppError::NotFound("page"));
    };
    match roster_app::members::change_status(&state.app, &access, uid, change, &meta).await {
        Ok(m) => redirect_with_flash(&back, "ok", &format!("{} is now {}.", m.member.email, m.member.status)),
        Err(e @ (AppError::Conflict { .. } | AppError::Forbidden(_))) => {
            redirect_with_flash(&back, "error", &crate::error::problem_for(&e).detail)
        }
        Err(e) => error_page(&e),
    }
}

/// A role's checkbox on the edit form.
pub struct RoleChoice {
    id: String,
    name: String,
    description: String,
    checked: bool,
    disabled: bool,
    /// Why it cannot be changed here.
    hint: String,
}

/// One resource's select among the member's own permissions.
pub struct GrantRow {
    line: super::roles::ResourceLine,
    /// The chosen value: the actions joined by `+` ("" for none).
    value: String,
    /// (value, label, disabled) of each option.
    options: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "user_edit.html")]
struct EditPage {
    frame: Frame,
    id: String,
    email: String,
    status: &'static str,
    status_label: &'static str,
    is_owner: bool,
    name: String,
    name_error: Option<String>,
    form_error: Option<String>,
    return_to: String,
    show_access: bool,
    /// Why the roles cannot be changed at all (the owner, seen by another member).
    access_locked: Option<String>,
    roles: Vec<RoleChoice>,
    custom: bool,
    grant_rows: Vec<GrantRow>,
}

/// What the edit form holds: as stored, or as typed.
#[derive(Default)]
struct MemberDraft {
    name: String,
    roles: Vec<String>,
    custom: bool,
    /// resource → actions joined by `+`.
    grants: std::collections::BTreeMap<String, String>,
}

fn joined(a: Actions) -> String {
    a.iter().map(|x| x.as_str()).collect::<Vec<_>>().join("+")
}

impl MemberDraft {
    fn from_form(pairs: &Pairs) -> Self {
        Self {
            name: field(pairs, "name").to_string(),
            roles: fields(pairs, "roles").into_iter().filter(|r| !r.is_empty()).map(str::to_string).collect(),
            custom: field(pairs, "perm_mode") == "custom",
            grants: pairs
                .iter()
                .filter_map(|(k, v)| k.strip_prefix("grant.").map(|r| (r.to_string(), v.clone())))
                .collect(),
        }
    }

    /// The own grants to save: none unless "Custom" is chosen.
    fn grants_input(&self) -> GrantsInput {
        if !self.custom {
            return GrantsInput::new();
        }
        self.grants
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.clone(), v.split('+').filter(|a| !a.is_empty()).map(str::to_string).collect()))
            .collect()
    }
}

/// A form shown again: what was typed and what was wrong with it.
#[derive(Default)]
struct Typed {
    draft: Option<MemberDraft>,
    name_error: Option<String>,
    form_error: Option<String>,
}

async fn edit_view(
    state: &AppState,
    user: &UiUser,
    access: &OrgAccess,
    headers: &HeaderMap,
    uid: UserId,
    typed: Typed,
    return_to: String,
) -> Result<EditPage, AppError> {
    let Typed { draft, name_error, form_error } = typed;
    access.require(Permission::MEMBERS_UPDATE)?;
    let m = roster_app::members::get_member(&state.app, access, uid).await?.member;
    let held = roster_app::roles::member_access(&state.app, access, uid).await?;
    let is_owner = access.org.owner_id == Some(m.user_id);
    let draft = draft.unwrap_or_else(|| MemberDraft {
        name: m.name.clone(),
        roles: held.roles.iter().map(|r| r.id.to_string()).collect(),
        custom: !held.own.is_empty(),
        grants: held.own.iter().map(|(k, a)| (k.to_string(), joined(a))).collect(),
    });
    let mine = access.effective.grants();
    let access_locked = (is_owner && !access.is_owner())
        .then(|| format!("{} owns the organization: only they can change their roles and permissions.", m.name));
    let roles = access
        .policy
        .roles
        .iter()
        .map(|r| {
            let id = r.id.to_string();
            let checked = draft.roles.iter().any(|x| *x == id || *x == r.key);
            let (disabled, hint) = if access_locked.is_some() {
                (true, String::new())
            } else if is_owner && r.locked {
                (true, "The owner always holds this role.".to_string())
            } else if let Some(lack) = roster_domain::roles::lacking(&r.grants, mine) {
                (true, format!("Grants more than you hold ({lack})."))
            } else {
                (false, String::new())
            };
            RoleChoice { id, name: r.name.clone(), description: r.description.clone(), checked, disabled, hint }
        })
        .collect();
    let grant_rows = super::roles::resource_lines(&access.policy.resources)
        .into_iter()
        .map(|line| {
            let value = draft.grants.get(&line.key).cloned().unwrap_or_default();
            let allowed = mine.on(&line.key);
            let mut options: Vec<(String, String, bool)> =
                [(Actions::NONE, "❌ None"), (Actions::VIEW, "🧐 View"), (Actions::EDIT, "✍️ Edit")]
                    .into_iter()
                    .map(|(a, label)| (joined(a), label.to_string(), !allowed.covers(a)))
                    .collect();
            if !options.iter().any(|o| o.0 == value) {
                options.push((value.clone(), format!("🔧 Custom: {}", value.replace('+', ", ")), false));
            }
            for o in &mut options {
                o.2 = o.2 && o.0 != value;
            }
            GrantRow { line, value, options }
        })
        .collect();
    Ok(EditPage {
        frame: Frame::new(state, user, access, "users", headers).await?,
        id: m.user_id.to_string(),
        status: m.status.as_str(),
        status_label: m.status.label(),
        is_owner,
        name: draft.name,
        email: m.email,
        name_error,
        form_error,
        return_to,
        show_access: access.can(Permission::MEMBERS_UPDATE),
        access_locked,
        roles,
        custom: draft.custom,
        grant_rows,
    })
}

/// The edit form. Needs members:update.
pub async fn edit_page(
    State(state): State<AppState>,
    user: UiUser,
    Path((org, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let access = open_org(&state.app, &user.principal, &org).await?;
        let uid = parse_id(&id)?;
        let back: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
        let back = back.into_iter().find(|(k, _)| k == "return_to").map(|(_, v)| v).unwrap_or_default();
        edit_view(
            &state,
            &user,
            &access,
            &headers,
            uid,
            Typed::default(),
            safe_return(&back, &users_path(&access.org.slug)),
        )
        .await
    }
    .await;
    respond(StatusCode::OK, result)
}

/// Applies the form (name, roles, own permissions) as one change: all of
/// it or, when any part is refused, none of it.
async fn apply_edit(
    state: &AppState,
    access: &OrgAccess,
    uid: UserId,
    draft: &MemberDraft,
    meta: &RequestMeta,
) -> Result<String, AppError> {
    // The owner's roles are the owner's to change: the form does not offer
    // them to anyone else, so only the name is sent then.
    let roles_offered = access.org.owner_id != Some(uid) || access.is_owner();
    let edit = roster_app::members::MemberEdit {
        name: Some(draft.name.clone()),
        roles: roles_offered.then(|| draft.roles.clone()),
        grants: roles_offered.then(|| draft.grants_input()),
    };
    let saved = roster_app::members::update_member(&state.app, access, uid, edit, meta).await?;
    Ok(saved.member.email)
}

/// Saves the edit form; on any refusal shows the form again with what was
/// typed and the reason. Needs members:update (and no escalation).
pub async fn edit_submit(
    State(state): State<AppState>,
    user: UiUser,
    Meta(meta): Meta,
    Path((org, id)): Path<(String, String)>,
    headers: HeaderMap,
    Form(pairs): Form<Pairs>,
) -> Response {
    let access = match open_org(&state.app, &user.principal, &org).await {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let back = safe_return(field(&pairs, "return_to"), &users_path(&access.org.slug));
    let uid = match parse_id(&id) {
        Ok(u) => u,
        Err(e) => return error_page(&e),
    };
    let draft = MemberDraft::from_form(&pairs);
    match apply_edit(&state, &access, uid, &draft, &meta).await {
        Ok(email) => redirect_with_flash(&back, "ok", &format!("Saved {email}.")),
        Err(
            e
            @ (AppError::Validation(_) | AppError::Escalation(_) | AppError::Conflict { .. } | AppError::Forbidden(_)),
        ) => {
            let (status, (name_error, form_error)) = match &e {
                AppError::Validation(v) => {
                    let name = v.errors.iter().find(|x| x.field == "name").map(|x| x.message.clone());
                    let other: Vec<String> = v
                        .errors
                        .iter()
                        .filter(|x| x.field != "name")
                        .map(|x| format!("{} {}", x.field, x.message))
                        .collect();
                    (StatusCode::UNPROCESSABLE_ENTITY, (name, (!other.is_empty()).then(|| other.join("; "))))
                }
                other => {
                    let p = crate::error::problem_for(other);
                    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::FORBIDDEN);
                    (status, (None, Some(format!("{}: {}", p.title, p.detail))))
                }
            };
            match edit_view(
                &state,
                &user,
                &access,
                &headers,
                uid,
                Typed { draft: Some(draft), name_error, form_error },
                back,
            )
            .await
            {
                Ok(p) => render(status, &p),
                Err(e) => error_page(&e),
            }
        }
        Err(e) => error_page(&e),
    }
}

#[derive(Template)]
#[template(path = "bulk_confirm.html")]
struct BulkPage {
    frame: Frame,
    action: &'static str,
    verb: &'static str,
    past: &'static str,
    removes_access: bool,
    will_change: u64,
    will_change_label: String,
    will_skip: u64,
    filter_summary: String,
    q: String,
    name: String,
    email: String,
    status: String,
    role: String,
    return_to: String,
}

fn summary(filter: &MemberFilter, access: &OrgAccess) -> String {
    let mut parts = Vec::new();
    if let Some(role) = filter.role.and_then(|r| access.policy.role(r)) {
        parts.push(format!("holding the role “{}”", role.name));
    }
    if !filter.q.is_empty() {
        parts.push(format!("matching “{}”", filter.q));
    }
    if !filter.name.is_empty() {
        parts.push(format!("named like “{}”", filter.name));
    }
    match roster_domain::members::EmailMatch::parse(&filter.email) {
        Ok(Some(roster_domain::members::EmailMatch::Exact(a))) => parts.push(format!("with the email {a}")),
        Ok(Some(roster_domain::members::EmailMatch::Prefix(p))) => parts.push(format!("with an email starting “{p}”")),
        _ => {}
    }
    if filter.has_status() {
        parts.push(format!("status {}", filter.statuses.iter().map(|s| s.label()).collect::<Vec<_>>().join(" or ")));
    }
    if parts.is_empty() { "every user in the organization".into() } else { parts.join(", ") }
}

fn bulk_action(s: &str) -> Option<(StatusChange, &'static str, &'static str, &'static str)> {
    match s {
        "enable" => Some((StatusChange::Enable, "enable", "Enable", "enabled")),
        "disable" => Some((StatusChange::Disable, "disable", "Disable", "disabled")),
        _ => None,
    }
}

/// The confirm step of "Enable all" / "Disable all": says how many will change.
pub async fn bulk_confirm(
    State(state): State<AppState>,
    user: UiUser,
    Path(org): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let access = open_org(&state.app, &user.principal, &org).await?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
        let action = pairs.iter().find(|(k, _)| k == "action").map(|(_, v)| v.as_str()).unwrap_or("");
        let (change, action, verb, past) = bulk_action(action).ok_or(AppError::NotFound("page"))?;
        let mut req = parse_page_query(raw.as_deref())?;
        let role = roster_app::members::resolve_role_filter(&access, req.role.as_deref())?;
        req.role = role.map(|r| r.to_string());
        let filter = req.filter.clone().with_role(role);
        let preview = roster_app::members::preview_bulk(&state.app, &access, change, &filter).await?;
        let back = href(&users_path(&access.org.slug), list_query(&req, &[]));
        Ok::<_, AppError>(BulkPage {
            frame: Frame::new(&state, &user, &access, "users", &headers).await?,
            action,
            verb,
            past,
            removes_access: change.removes_access(),
            will_change: preview.will_change,
            will_change_label: format::count(preview.will_change),
            will_skip: preview.will_skip,
            filter_summary: summary(&filter, &access),
            q: req.filter.q.clone(),
            name: req.filter.name.clone(),
            email: req.filter.email.clone(),
            status: req.filter.statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(","),
            role: req.role.clone().unwrap_or_default(),
            return_to: back,
        })
    }
    .await;
    respond(StatusCode::OK, result)
}

#[derive(Deserialize)]
pub struct BulkForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    return_to: String,
}

/// Runs a confirmed bulk change and reports how many changed.
pub async fn bulk_submit(
    State(state): State<AppState>,
    user: UiUser,
    Meta(meta): Meta,
    Path(org): Path<String>,
    Form(f): Form<BulkForm>,
) -> Response {
    let result = async {
        let access = open_org(&state.app, &user.principal, &org).await?;
        let (change, _, _, past) = bulk_action(&f.action).ok_or(AppError::NotFound("page"))?;
        let statuses =
            f.status.split(',').filter(|s| !s.is_empty()).map(str::parse).collect::<Result<Vec<MemberStatus>, _>>()?;
        let role = roster_app::members::resolve_role_filter(&access, Some(&f.role))?;
        let filter = MemberFilter::parse(&f.q, &f.name, &f.email, statuses)?.with_role(role);
        let outcome =
            roster_app::members::bulk_change(&state.app, &access, change, &filter, &meta as &RequestMeta).await?;
        let back = safe_return(&f.return_to, &users_path(&access.org.slug));
        let skipped = if outcome.skipped > 0 { " The owner was left as is." } else { "" };
        Ok::<_, AppError>(redirect_with_flash(
            &back,
            "ok",
            &format!(
                "{} {} {past}.{skipped}",
                format::count(outcome.changed),
                if outcome.changed == 1 { "user" } else { "users" }
            ),
        ))
    }
    .await;
    result.unwrap_or_else(|e| error_page(&e))
}
