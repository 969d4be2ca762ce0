//! The Users tab: the directory and its row actions; the edit form
//! ([`edit`], with a partner member's [`scopes`]) and bulk changes
//! ([`bulk`]) are pages of their own.

pub mod bulk;
pub mod edit;
pub mod scopes;

pub(super) use bulk::summary as filter_summary;
pub(super) use edit::{
    GrantRow, ProductChoice, grant_rows, grant_values, grants_from_form, is_products_refusal, product_choices,
};

use askama::Template;
use axum::Form;
use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use roster_app::AppError;
use roster_app::access::OrgAccess;
use roster_app::members::{ListRequest, MemberView, RowActions};
use roster_domain::members::{PER_PAGE_DEFAULT, StatusChange};
use roster_domain::{MemberSort, MemberStatus, SortOrder, UserId};

use super::{Frame, OrgPage, ReturnForm, TabKey, UiResult, after_action, safe_path};
use crate::extract::Meta;
use crate::format;
use crate::query::{self, Strictness};
use roster_domain::members::Activity;

/// The list's state as query parameters, so links keep the filters.
pub(in crate::ui) fn list_query(req: &ListRequest, overrides: &[(&str, String)]) -> String {
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
    pairs.extend(req.filter.activity.query_pairs());
    if let Some(p) = &req.filter.product {
        pairs.push(("product", p.to_string()));
    }
    for (k, v) in overrides {
        pairs.retain(|(pk, _)| pk != k);
        if !v.is_empty() {
            pairs.push((k, v.clone()));
        }
    }
    serde_urlencoded::to_string(&pairs).unwrap_or_default()
}

pub(in crate::ui) fn href(path: &str, query: String) -> String {
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
    /// (action, label) of the row actions offered: status changes, then
    /// the account's (send a reset link, unlock).
    actions: Vec<(&'static str, &'static str)>,
    /// Whether the account is locked after failed sign-ins.
    locked: bool,
    /// (role id, role name) badges.
    roles: Vec<(String, String)>,
    /// (product key, product name) of the licenses held.
    products: Vec<(String, String)>,
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
    /// The product filter's value (a product key, or empty for any).
    product: String,
    /// (key, name) for the product filter (none: no filter shown).
    product_options: Vec<(String, String)>,
    /// "Manage Users & Products", for those who assign licenses.
    workspace_href: Option<String>,
    /// The activity select's value: "", a number of days, or "never".
    activity: String,
    /// (value, label) for the activity select.
    activity_options: Vec<(String, String)>,
    sort_options: Vec<(&'static str, &'static str)>,
    per_page_options: Vec<u32>,
    badges: Vec<Badge>,
    total_label: String,
    can_update: bool,
    /// Whether "+ Invite User" is offered.
    can_invite: bool,
    /// Whether "Import" is offered (seed 004).
    can_import: bool,
    /// Whether the viewer may open the Invitations tab.
    can_list_invitations: bool,
    enable_all_href: String,
    disable_all_href: String,
    /// The export links, with the tab's filters and order.
    export_csv_href: String,
    export_xlsx_href: String,
    sort_links: SortLinks,
    rows: Vec<Row>,
    page: u32,
    pages: u64,
    prev_href: Option<String>,
    next_href: Option<String>,
    return_to: String,
}

/// The activity select's value for members who never signed in.
const ACTIVITY_NEVER: &str = "never";

/// The activity select's value for a filter: "", a number of days, or "never".
pub(super) fn activity_value(a: Activity) -> String {
    match a {
        Activity::Any => String::new(),
        Activity::Never => ACTIVITY_NEVER.into(),
        Activity::InactiveFor { days, .. } => days.to_string(),
    }
}

/// Reads the activity select's value back (as of `now`).
pub(super) fn parse_activity(
    value: &str,
    now: roster_domain::Timestamp,
) -> Result<Activity, roster_domain::ValidationError> {
    match value.trim() {
        ACTIVITY_NEVER => Activity::parse(None, Some("true"), now),
        days => Activity::parse(Some(days), None, now),
    }
}

/// The activity select's choices (days without activity); a number typed
/// into the address bar (`?inactive_days=45`) is offered too.
const INACTIVE_DAYS: [u32; 4] = [30, 90, 180, 365];

fn activity_options(current: Activity) -> Vec<(String, String)> {
    let mut days: Vec<u32> = INACTIVE_DAYS.to_vec();
    if let Activity::InactiveFor { days: d, .. } = current
        && !days.contains(&d)
    {
        days.push(d);
        days.sort_unstable();
    }
    days.into_iter()
        .map(|d| (d.to_string(), format!("Inactive for {d}+ days")))
        .chain([(ACTIVITY_NEVER.to_string(), "Never signed in".to_string())])
        .collect()
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
pub(in crate::ui) fn parse_page_query(
    raw: Option<&str>,
    now: roster_domain::Timestamp,
) -> Result<ListRequest, roster_domain::ValidationError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default();
    let mut out = Vec::with_capacity(pairs.len() + 1);
    for (k, v) in pairs {
        match v.strip_prefix('-') {
            Some(col) if k == "sort" => {
                out.push((k, col.to_string()));
                out.push(("order".to_string(), "desc".to_string()));
            }
            // The activity select: "never", or a number of days.
            _ if k == "activity" => match v.as_str() {
                "" => {}
                ACTIVITY_NEVER => out.push(("never_active".into(), "true".into())),
                _ => out.push(("inactive_days".into(), v)),
            },
            _ => out.push((k, v)),
        }
    }
    query::members_list(Some(&serde_urlencoded::to_string(&out).unwrap_or_default()), Strictness::Lenient, now)
}

/// An invited member's invitation and the actions its row offers
/// (action, label, link).
type RowInvitation<'a> = (&'a roster_app::invitations::InvitationView, Vec<(&'static str, &'static str, String)>);

fn row(
    v: MemberView,
    allowed: RowActions,
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
    // Status changes, then the account's actions: all posted to the one row-action path.
    let account = allowed.account;
    let account_actions =
        [(account.send_reset_link, ACCOUNT_SEND_RESET, "Send reset link"), (account.unlock, ACCOUNT_UNLOCK, "Unlock")];
    let actions = allowed
        .status
        .into_iter()
        .map(|c| (c.as_str(), c.label()))
        .chain(account_actions.into_iter().filter(|(offered, ..)| *offered).map(|(_, action, label)| (action, label)))
        .collect();
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
        locked: account.locked,
        roles: v.roles.into_iter().map(|r| (r.id.to_string(), r.name)).collect(),
        products: vec![],
        invite_note: invitation.map(|i| match i.state {
            roster_domain::invitations::InvitationState::Expired => {
                (format!("Invitation expired {}", format::date(i.expires_at)), true)
            }
            _ => (format!("Invitation expires {}", format::date(i.expires_at)), false),
        }),
        invite_actions,
    }
}

/// The Users tab's export (`members:read`), with the tab's filters and
/// order: a download, streamed.
pub async fn export(page: OrgPage, RawQuery(raw): RawQuery) -> UiResult {
    roster_app::members::require_export(&page.access)?;
    // The tab's own spellings (`sort=-name`, `activity=`) read as the list's.
    let list = parse_page_query(raw.as_deref(), page.app().clock.now())?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let format = pairs.iter().find(|(k, _)| k == "format").map_or("csv", |(_, v)| v.as_str());
    let query = list_query(&list, &[("format", format.to_string())]);
    let req = query::members_export(Some(&query), Strictness::Lenient, page.app().clock.now())?;
    let export = roster_app::members::export(page.app(), &page.access, &req).await?;
    Ok(crate::download::member_export(export))
}

/// The Users tab.
pub async fn users_page(org_page: OrgPage, RawQuery(raw): RawQuery) -> UiResult {
    let (state, access, user) = (&org_page.state, &org_page.access, &org_page.user);
    let (mut req, refused) = match parse_page_query(raw.as_deref(), state.app.clock.now()) {
        Ok(r) => (r, None),
        Err(e) => match refused_text(raw.as_deref(), &e, state.app.clock.now()) {
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
    let export = |format: &str| {
        let paging = [("format", format.to_string()), ("per_page", String::new()), ("cursor", String::new())];
        href(&org_page.links.users_export(), list_query(&req, &paging))
    };
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
    let ids: Vec<UserId> = list.items.iter().map(|v| v.member.user_id).collect();
    let held = roster_app::products::products_of_page(&state.app, access, &ids).await?;
    let names = crate::ui::products::product_names(&state.app);
    let mut product_options: Vec<(String, String)> = if roster_app::products::may_view(access) {
        roster_app::products::list_products(&state.app, access)
            .await?
            .into_iter()
            .map(|v| (v.product.key.to_string(), v.product.name))
            .collect()
    } else {
        vec![]
    };
    let product = req.filter.product.as_ref().map(|p| p.to_string()).unwrap_or_default();
    if !product.is_empty() && !product_options.iter().any(|(k, _)| *k == product) {
        product_options.push((product.clone(), names.get(&product).cloned().unwrap_or_else(|| product.clone())));
    }
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
        activity: activity_value(req.filter.activity),
        activity_options: activity_options(req.filter.activity),
        role_options: access.policy.roles.iter().map(|r| (r.id.to_string(), r.name.clone())).collect(),
        product,
        product_options,
        workspace_href: roster_app::products::may_assign(access).then(|| org_page.links.workspace()),
        sort_options: SORTS.to_vec(),
        per_page_options: vec![10, 25, 50, 100, 200],
        badges,
        total_label: format!("{}{plus}", format::count(list.total)),
        can_update: roster_app::members::may_manage(access),
        can_invite: roster_app::invitations::may_invite(access),
        can_import: roster_app::imports::may_import(access),
        can_list_invitations: roster_app::invitations::may_list(access),
        enable_all_href: bulk("enable"),
        disable_all_href: bulk("disable"),
        export_csv_href: export("csv"),
        export_xlsx_href: export("xlsx"),
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
                let products = held
                    .get(&id)
                    .map(|ps| {
                        ps.iter()
                            .map(|p| (p.to_string(), names.get(p.as_str()).cloned().unwrap_or_else(|| p.to_string())))
                            .collect()
                    })
                    .unwrap_or_default();
                Row { products, ..row(m, allowed, access, user.principal.user_id, now, invitation) }
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
fn refused_text(
    raw: Option<&str>,
    e: &roster_domain::ValidationError,
    now: roster_domain::Timestamp,
) -> Option<RefusedText> {
    if !e.errors.iter().all(|x| TEXT_FILTERS.contains(&x.field.as_str())) {
        return None;
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or("")).ok()?;
    let typed = TEXT_FILTERS.map(|f| {
        let v = pairs.iter().rev().find(|(k, _)| k == f).map_or("", |(_, v)| v.as_str());
        v.chars().map(|c| if c.is_control() { '\u{FFFD}' } else { c }).collect::<String>()
    });
    let kept: Vec<&(String, String)> = pairs.iter().filter(|(k, _)| !e.errors.iter().any(|x| x.field == *k)).collect();
    let rest = parse_page_query(Some(&serde_urlencoded::to_string(kept).ok()?), now).ok()?;
    let label = |f: &str| match f {
        "q" => "Search",
        "name" => "Name",
        _ => "Email",
    };
    let message = e.errors.iter().map(|x| format!("{}: {}.", label(&x.field), x.message)).collect::<Vec<_>>().join(" ");
    Some(RefusedText { rest, typed, message })
}

/// The path names of the row actions on a member's account.
const ACCOUNT_SEND_RESET: &str = "send-reset-link";
const ACCOUNT_UNLOCK: &str = "unlock";

/// A row action: a status change (enable, disable, archive, restore), or an
/// action on the member's account: "Send reset link" mails them a link to
/// choose a new password (the administrator never sees it), "Unlock" lifts
/// a lock after failed sign-ins. Needs members:update.
pub async fn row_action(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, id, action)): Path<(String, String, String)>,
    Form(f): Form<ReturnForm>,
) -> UiResult {
    let back = safe_path(&f.return_to, &page.links.users());
    let user: UserId = query::id(&id, "member")?;
    let (app, access) = (page.app(), &page.access);
    let outcome = match action.as_str() {
        ACCOUNT_SEND_RESET => roster_app::password_reset::send_link(app, access, user, &meta).await.map(|sent| {
            let valid = roster_app::invitations::duration_words(app.config.reset_link_ms);
            format!("A link to choose a new password is on its way to {}; it works for {valid} and only once.", sent.to)
        }),
        ACCOUNT_UNLOCK => roster_app::lockout::unlock_member(app, access, user, &meta)
            .await
            .map(|email| format!("Unlocked the account of {email}: it can sign in again.")),
        status => {
            let change: StatusChange = status.parse().map_err(|_| AppError::NotFound("page"))?;
            roster_app::members::change_status(app, access, user, change, &meta)
                .await
                .map(|m| format!("{} is now {}.", m.member.email, m.member.status))
        }
    };
    after_action(&back, outcome)
}
