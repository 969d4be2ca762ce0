//! The Users tab: the directory, row actions, the edit form and bulk changes.

use askama::Template;
use axum::Form;
use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use roster_app::AppError;
use roster_app::access::OrgAccess;
use roster_app::members::{ListRequest, MemberView};
use roster_app::roles::GrantsInput;
use roster_domain::members::{PER_PAGE_DEFAULT, StatusChange};
use roster_domain::permissions::Actions;
use roster_domain::{MemberFilter, MemberSort, MemberStatus, SortOrder, UserId};
use serde::Deserialize;

use super::form::{Pairs, field, fields};
use super::{FormErrors, Frame, OrgPage, TabKey, UiResult, redirect_with_flash, safe_path};
use crate::api::members::{Strictness, parse_list_query};
use crate::extract::Meta;
use crate::format;

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
    /// An invited member's invitation: when it expires (or expired), and whether it did.
    invite_note: Option<(String, bool)>,
    /// (action, label, link to its confirmation) for an invited member's invitation.
    invite_actions: Vec<(&'static str, &'static str, String)>,
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
    /// Whether "+ Invite User" is offered.
    can_invite: bool,
    /// Whether the viewer may open the Invitations tab.
    can_list_invitations: bool,
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

/// An invited member's invitation and the actions its row offers
/// (action, label, link).
type RowInvitation<'a> = (&'a roster_app::invitations::InvitationView, Vec<(&'static str, &'static str, String)>);

fn row(
    v: MemberView,
    allowed: Vec<StatusChange>,
    access: &OrgAccess,
    me: UserId,
    now: roster_domain::Timestamp,
    invitation: Option<RowInvitation<'_>>,
) -> Row {
    let (invitation, invite_actions) = match invitation {
        Some((i, a)) => (Some(i), a),
        None => (None, vec![]),
    };
    let m = v.member;
    let is_owner = access.is_owned_by(m.user_id);
    let actions = allowed.into_iter().map(|c| (c.as_str(), c.label())).collect();
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
        invite_note: invitation.map(|i| match i.state {
            roster_domain::invitations::InvitationState::Expired => {
                (format!("Invitation expired {}", format::date(i.expires_at)), true)
            }
            _ => (format!("Invitation expires {}", format::date(i.expires_at)), false),
        }),
        invite_actions,
    }
}

/// The Users tab.
pub async fn users_page(org_page: OrgPage, RawQuery(raw): RawQuery) -> UiResult {
    let (state, access, user) = (&org_page.state, &org_page.access, &org_page.user);
    let (mut req, refused) = match parse_page_query(raw.as_deref()) {
        Ok(r) => (r, None),
        Err(e) => match refused_text(raw.as_deref(), &e) {
            Some(refused) => (refused.rest, Some((refused.typed, refused.message))),
            None => return Ok(Redirect::to(&org_page.links.users()).into_response()),
        },
    };
    // The role filter is shown and linked by id; a key is accepted and an
    // unknown role starts over without it.
    if let Some(r) = req.role.clone() {
        match access.policy.find_role(r.trim()) {
            Some(role) => req.role = Some(role.id.to_string()),
            None => {
                req.role = None;
                return Ok(Redirect::to(&href(&org_page.links.users(), list_query(&req, &[]))).into_response());
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
        None => roster_app::members::list_members(&state.app, access, &req).await,
    };
    let list = match listed {
        Ok(l) => l,
        // A stale cursor or a too-deep page: start over with the same filters.
        Err(AppError::Validation(_)) => {
            return Ok(Redirect::to(&href(
                &org_page.links.users(),
                list_query(&req, &[("cursor", String::new()), ("page", String::new())]),
            ))
            .into_response());
        }
        Err(e) => return org_page.refusal_in_frame(TabKey::Users, "You cannot see the users", e).await,
    };
    let frame = org_page.frame(TabKey::Users).await?;
    let path = org_page.links.users();
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
    let allowed = roster_app::members::row_actions(&state.app, access, &list.items).await?;
    let members: Vec<roster_domain::members::Member> = list.items.iter().map(|v| v.member.clone()).collect();
    let invitations = roster_app::invitations::pending_of_members(&state.app, access, &members).await?;
    let views: Vec<roster_app::invitations::InvitationView> = invitations.values().cloned().collect();
    let invite_actions = roster_app::invitations::row_actions(&state.app, access, &views).await?;
    let invite_actions: std::collections::BTreeMap<UserId, Vec<(&'static str, &'static str, String)>> = views
        .iter()
        .zip(invite_actions)
        .map(|(v, acts)| {
            let links = acts
                .into_iter()
                .map(|a| (a.as_str(), a.label(), org_page.links.invitation_action(&v.id.to_string(), a.as_str())))
                .collect();
            (v.user_id, links)
        })
        .collect();
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
        can_update: roster_app::members::may_manage(access),
        can_invite: roster_app::invitations::may_invite(access),
        can_list_invitations: roster_app::invitations::may_list(access),
        enable_all_href: bulk("enable"),
        disable_all_href: bulk("disable"),
        sort_links: SortLinks {
            email: sort_key(MemberSort::Email),
            name: sort_key(MemberSort::Name),
            created: sort_key(MemberSort::Created),
            last_active: sort_key(MemberSort::LastActive),
        },
        rows: list
            .items
            .into_iter()
            .zip(allowed)
            .map(|(m, allowed)| {
                let id = m.member.user_id;
                let invitation =
                    invitations.get(&id).map(|i| (i, invite_actions.get(&id).cloned().unwrap_or_default()));
                row(m, allowed, access, user.principal.user_id, now, invitation)
            })
            .collect(),
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
    org_page.render(status, &page_view)
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
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, id, action)): Path<(String, String, String)>,
    Form(f): Form<ReturnForm>,
) -> UiResult {
    let back = safe_path(&f.return_to, &page.links.users());
    let (Ok(change), Ok(uid)) = (action.parse::<StatusChange>(), parse_id(&id)) else {
        return Err(AppError::NotFound("page").into());
    };
    match roster_app::members::change_status(page.app(), &page.access, uid, change, &meta).await {
        Ok(m) => Ok(redirect_with_flash(&back, "ok", &format!("{} is now {}.", m.member.email, m.member.status))),
        Err(e @ (AppError::Conflict { .. } | AppError::Forbidden(_) | AppError::Escalation(_))) => {
            Ok(redirect_with_flash(&back, "error", &crate::error::problem_for(&e).detail))
        }
        Err(e) => Err(e.into()),
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
    pub(super) line: crate::ui::matrix::ResourceLine,
    /// The chosen value: the actions joined by `+` ("" for none).
    pub(super) value: String,
    /// (value, label, disabled) of each option.
    pub(super) options: Vec<(String, String, bool)>,
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
            grants: grant_values(pairs),
        }
    }

    /// The own grants to save: none unless "Custom" is chosen.
    fn grants_input(&self) -> GrantsInput {
        grants_from_form(self.custom, &self.grants)
    }
}

/// The own-permission selects of a member form (the edit form and the
/// invite form): per resource, the options the actor may hand out, with the
/// drafted value chosen.
pub(super) fn grant_rows(
    access: &OrgAccess,
    grantable: &roster_domain::permissions::Grants,
    values: &std::collections::BTreeMap<String, String>,
) -> Vec<GrantRow> {
    crate::ui::matrix::resource_lines(&access.policy.resources)
        .into_iter()
        .map(|line| {
            let value = values.get(&line.key).cloned().unwrap_or_default();
            let allowed = grantable.on(&line.key);
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
        .collect()
}

/// The own grants a member form sends: none unless "Custom" is chosen.
pub(super) fn grants_from_form(custom: bool, values: &std::collections::BTreeMap<String, String>) -> GrantsInput {
    if !custom {
        return GrantsInput::new();
    }
    values
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.clone(), v.split('+').filter(|a| !a.is_empty()).map(str::to_string).collect()))
        .collect()
}

/// The drafted own grants of a form: `grant.<resource>` fields.
pub(super) fn grant_values(pairs: &Pairs) -> std::collections::BTreeMap<String, String> {
    pairs.iter().filter_map(|(k, v)| k.strip_prefix("grant.").map(|r| (r.to_string(), v.clone()))).collect()
}

/// The member form as shown: as stored, or as typed with what was wrong.
async fn edit_view(
    page: &OrgPage,
    uid: UserId,
    draft: Option<MemberDraft>,
    errors: FormErrors,
    return_to: String,
) -> UiResult {
    let form = roster_app::members::member_form(page.app(), &page.access, uid).await?;
    let m = form.member;
    let draft = draft.unwrap_or_else(|| MemberDraft {
        name: m.name.clone(),
        roles: form.roles.iter().filter(|o| o.held).map(|o| o.role.id.to_string()).collect(),
        custom: !form.own.is_empty(),
        grants: form.own.iter().map(|(k, a)| (k.to_string(), joined(a))).collect(),
    });
    let roles = form
        .roles
        .iter()
        .map(|o| {
            let id = o.role.id.to_string();
            let checked = draft.roles.iter().any(|x| *x == id || *x == o.role.key);
            RoleChoice {
                id,
                name: o.role.name.clone(),
                description: o.role.description.clone(),
                checked,
                disabled: o.refusal.is_some(),
                hint: o.refusal.clone().unwrap_or_default(),
            }
        })
        .collect();
    let grant_rows = grant_rows(&page.access, &form.grantable, &draft.grants);
    page.render(
        errors.status,
        &EditPage {
            frame: page.frame(TabKey::Users).await?,
            id: m.user_id.to_string(),
            status: m.status.as_str(),
            status_label: m.status.label(),
            is_owner: page.access.is_owned_by(m.user_id),
            name: draft.name,
            email: m.email,
            name_error: errors.field("name"),
            form_error: errors.form,
            return_to,
            show_access: true,
            access_locked: form.access_locked,
            roles,
            custom: draft.custom,
            grant_rows,
        },
    )
}

/// The edit form. Needs members:update.
pub async fn edit_page(page: OrgPage, Path((_, id)): Path<(String, String)>, RawQuery(raw): RawQuery) -> UiResult {
    let uid = parse_id(&id)?;
    let back: Pairs = serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let back = safe_path(field(&back, "return_to"), &page.links.users());
    edit_view(&page, uid, None, FormErrors::default(), back).await
}

/// Saves the edit form (name, roles, own permissions) as one change: all
/// of it or, when any part is refused, none of it; on a refusal shows the
/// form again with what was typed and the reason. Needs members:update (and
/// no escalation).
pub async fn edit_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    Form(pairs): Form<Pairs>,
) -> UiResult {
    let back = safe_path(field(&pairs, "return_to"), &page.links.users());
    let uid = parse_id(&id)?;
    let draft = MemberDraft::from_form(&pairs);
    // The form offers the owner's roles to the owner alone; otherwise it
    // saves the name only.
    let access_offered = roster_app::members::may_change_access(&page.access, uid);
    let edit = roster_app::members::MemberEdit {
        name: Some(draft.name.clone()),
        roles: access_offered.then(|| draft.roles.clone()),
        grants: access_offered.then(|| draft.grants_input()),
    };
    match roster_app::members::update_member(page.app(), &page.access, uid, edit, &meta).await {
        Ok(saved) => Ok(redirect_with_flash(&back, "ok", &format!("Saved {}.", saved.member.email))),
        Err(e) => edit_view(&page, uid, Some(draft), FormErrors::from_refusal(e, &["name"])?, back).await,
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
    /// Why matching members will be left alone, one sentence each.
    skip_notes: Vec<String>,
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

/// The sentences that say which matching members a bulk change leaves
/// alone and why (before the change, or after it when `done`).
fn skip_notes(skipped: &roster_app::members::Skipped, done: bool) -> Vec<String> {
    let (will, was) = if done { ("was", "were") } else { ("will be", "will be") };
    let mut notes = Vec::new();
    if skipped.owner > 0 {
        notes.push(format!("The organization's owner matches too and {will} left as is."));
    }
    if skipped.actor > 0 {
        notes.push(format!("You match too, and {will} left as is: nobody disables themselves."));
    }
    match skipped.beyond_reach {
        0 => {}
        1 => notes.push(format!("1 user holds permissions you do not, and {will} left as is.")),
        n => notes.push(format!("{} users hold permissions you do not, and {was} left as is.", format::count(n))),
    }
    notes
}

fn bulk_action(s: &str) -> Option<(StatusChange, &'static str, &'static str, &'static str)> {
    match s {
        "enable" => Some((StatusChange::Enable, "enable", "Enable", "enabled")),
        "disable" => Some((StatusChange::Disable, "disable", "Disable", "disabled")),
        _ => None,
    }
}

/// The confirm step of "Enable all" / "Disable all": says how many will change.
pub async fn bulk_confirm(page: OrgPage, RawQuery(raw): RawQuery) -> UiResult {
    let access = &page.access;
    {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
        let action = pairs.iter().find(|(k, _)| k == "action").map(|(_, v)| v.as_str()).unwrap_or("");
        let (change, action, verb, past) = bulk_action(action).ok_or(AppError::NotFound("page"))?;
        let mut req = parse_page_query(raw.as_deref())?;
        let role = roster_app::members::resolve_role_filter(access, req.role.as_deref())?;
        req.role = role.map(|r| r.to_string());
        let filter = req.filter.clone().with_role(role);
        let preview = roster_app::members::preview_bulk(page.app(), access, change, &filter).await?;
        let back = href(&page.links.users(), list_query(&req, &[]));
        let view = BulkPage {
            frame: page.frame(TabKey::Users).await?,
            action,
            verb,
            past,
            removes_access: change.removes_access(),
            will_change: preview.changed,
            will_change_label: format::count(preview.changed),
            skip_notes: skip_notes(&preview.skipped, false),
            filter_summary: summary(&filter, access),
            q: req.filter.q.clone(),
            name: req.filter.name.clone(),
            email: req.filter.email.clone(),
            status: req.filter.statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(","),
            role: req.role.clone().unwrap_or_default(),
            return_to: back,
        };
        page.render(StatusCode::OK, &view)
    }
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
pub async fn bulk_submit(page: OrgPage, Meta(meta): Meta, Form(f): Form<BulkForm>) -> UiResult {
    let access = &page.access;
    {
        let (change, _, _, past) = bulk_action(&f.action).ok_or(AppError::NotFound("page"))?;
        let statuses =
            f.status.split(',').filter(|s| !s.is_empty()).map(str::parse).collect::<Result<Vec<MemberStatus>, _>>()?;
        let role = roster_app::members::resolve_role_filter(access, Some(&f.role))?;
        let filter = MemberFilter::parse(&f.q, &f.name, &f.email, statuses)?.with_role(role);
        let outcome = roster_app::members::bulk_change(page.app(), access, change, &filter, &meta).await?;
        let back = safe_path(&f.return_to, &page.links.users());
        let skipped: String = skip_notes(&outcome.skipped, true).iter().map(|n| format!(" {n}")).collect();
        Ok(redirect_with_flash(
            &back,
            "ok",
            &format!(
                "{} {} {past}.{skipped}",
                format::count(outcome.changed),
                if outcome.changed == 1 { "user" } else { "users" }
            ),
        ))
    }
}
