//! "Manage Users & Products" (seed 000: "a unified workspace for
//! bulk-assigning licenses and product access — a faster alternative to
//! editing users one at a time"): a members × products grid of the
//! directory's page (searched and filtered like the Users tab, paged by
//! keyset). The admin ticks and unticks cells and presses "Review
//! changes": the grid's form carries each held cell's original state in
//! hidden inputs, so only the differences go on to a preview (a dry run
//! that says what will change and whether the seats suffice) and from
//! there, applied in one transaction, back to the grid with a notice.
//! A second form assigns or removes one product for every member matching
//! the filter, through the same preview.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use axum::Form;
use axum::extract::RawQuery;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use roster_app::AppError;
use roster_app::members::ListRequest;
use roster_app::products::{BulkLicenseOutcome, BulkLicenses, ProductView};
use roster_domain::products::SubscriptionState;
use roster_domain::{MemberFilter, MemberStatus, UserId};

use super::confirm::{ChangeLine, ConfirmPage, bulk_notes, licenses, seat_lines};
use super::state_label;
use crate::extract::Meta;
use crate::format;
use crate::ui::form::{Pairs, field, fields};
use crate::ui::members::{filter_summary, href, list_query, parse_page_query};
use crate::ui::{FormErrors, Frame, OrgPage, TabKey, UiResult, redirect_with_flash, safe_path};

/// Rows per page of the grid unless the query asks for another size.
const PER_PAGE: u32 = 50;

/// A product's column.
pub struct Column {
    key: String,
    name: String,
    free_label: String,
    /// Whether no seat is free (the header says so in the warning colour).
    full: bool,
    state: &'static str,
    /// The state's badge, when it is not plain Active.
    state_label: Option<&'static str>,
}

/// One member × product cell.
pub struct Cell {
    /// `{user id}:{product key}`, the value the form sends.
    value: String,
    product_name: String,
    held: bool,
    disabled: bool,
    /// Why it cannot be changed, when it cannot.
    title: String,
}

/// One member's row.
pub struct GridRow {
    id: String,
    name: String,
    email: String,
    status: &'static str,
    status_label: &'static str,
    roles: Vec<String>,
    cells: Vec<Cell>,
}

#[derive(Template)]
#[template(path = "workspace.html")]
struct WorkspacePage {
    frame: Frame,
    q: String,
    status: String,
    role: String,
    product: String,
    status_options: Vec<(&'static str, &'static str)>,
    role_options: Vec<(String, String)>,
    /// (key, name) of the organization's products, for the product filter.
    product_options: Vec<(String, String)>,
    filter_error: Option<String>,
    columns: Vec<Column>,
    rows: Vec<GridRow>,
    /// Whether the viewer may change licenses (otherwise the grid is read only).
    can_assign: bool,
    total_label: String,
    /// The filter as hidden inputs (for the "every member matching" form).
    filter_fields: Vec<(String, String)>,
    /// (key, name) of the products the "every member matching" form may assign.
    bulk_options: Vec<(String, String)>,
    page: u32,
    pages: u64,
    prev_href: Option<String>,
    next_href: Option<String>,
    /// This very page (filters, cursor), to come back to.
    return_to: String,
    per_page: u32,
}

/// A cell's form value.
fn cell_value(user: &str, product: &str) -> String {
    format!("{user}:{product}")
}

/// Reads a cell's form value back: (user id, product key).
fn parse_cell(v: &str) -> Option<(String, String)> {
    let (u, p) = v.split_once(':')?;
    Some((u.trim().to_string(), p.trim().to_string()))
}

/// The grid's query: the Users tab's, with a page of 50 unless asked.
fn grid_query(raw: Option<&str>, now: roster_domain::Timestamp) -> Result<ListRequest, roster_domain::ValidationError> {
    let mut req = parse_page_query(raw, now)?;
    let pairs: Pairs = serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default();
    if field(&pairs, "per_page").is_empty() {
        req.per_page = PER_PAGE;
    }
    Ok(req)
}

/// The grid's links keep its filters and page size.
fn grid_link(path: &str, req: &ListRequest, overrides: &[(&str, String)]) -> String {
    let mut o = vec![("per_page", req.per_page.to_string())];
    o.extend(overrides.iter().cloned());
    href(path, list_query(req, &o))
}

fn column(v: &ProductView) -> Column {
    let free = v.free();
    Column {
        key: v.product.key.to_string(),
        name: v.product.name.clone(),
        free_label: match free {
            0 => "none free".into(),
            n => format!("{} free", format::count(n.max(0) as u64)),
        },
        full: free <= 0,
        state: v.state.as_str(),
        state_label: (v.state != SubscriptionState::Active).then(|| state_label(v.state)),
    }
}

/// The workspace. Needs members:read and licenses:read or
/// subscriptions:read; changing cells needs licenses:update.
pub async fn workspace_page(page: OrgPage, RawQuery(raw): RawQuery) -> UiResult {
    let app = page.app();
    let access = &page.access;
    let views = match roster_app::products::list_products(app, access).await {
        Ok(v) => v,
        Err(e) => return page.refusal_in_frame(TabKey::Products, "You cannot see the products", e).await,
    };
    let (mut req, filter_error) = match grid_query(raw.as_deref(), app.clock.now()) {
        Ok(r) => (r, None),
        Err(e) => {
            let mut r = grid_query(None, app.clock.now())?;
            r.per_page = PER_PAGE;
            let words = e.errors.iter().map(|x| format!("{} {}.", x.field, x.message)).collect::<Vec<_>>().join(" ");
            (r, Some(words))
        }
    };
    let path = page.links.workspace();
    if let Some(r) = req.role.clone() {
        match access.policy.find_role(r.trim()) {
            Some(role) => req.role = Some(role.id.to_string()),
            None => {
                req.role = None;
                return Ok(Redirect::to(&grid_link(&path, &req, &[])).into_response());
            }
        }
    }
    let list = if filter_error.is_some() {
        roster_app::members::MemberList {
            items: vec![],
            total: 0,
            page: 1,
            per_page: req.per_page,
            counts: Default::default(),
            counts_capped: false,
            next_cursor: None,
            prev_cursor: None,
        }
    } else {
        match roster_app::members::list_members(app, access, &req).await {
            Ok(l) => l,
            Err(AppError::Validation(_)) => {
                return Ok(Redirect::to(&grid_link(
                    &path,
                    &req,
                    &[("cursor", String::new()), ("page", String::new())],
                ))
                .into_response());
            }
            Err(e) => return page.refusal_in_frame(TabKey::Products, "You cannot see the users", e).await,
        }
    };
    let can_assign = roster_app::products::may_assign(access);
    let ids: Vec<UserId> = list.items.iter().map(|m| m.member.user_id).collect();
    let held = roster_app::products::products_of_page(app, access, &ids).await?;
    let columns: Vec<Column> = views.iter().map(column).collect();
    let rows = list
        .items
        .iter()
        .map(|m| {
            let id = m.member.user_id.to_string();
            let holds = held.get(&m.member.user_id);
            let archived = m.member.status == MemberStatus::Archived;
            GridRow {
                cells: views
                    .iter()
                    .map(|v| {
                        let has = holds.is_some_and(|h| h.contains(&v.product.key));
                        let why = if !can_assign {
                            "You cannot assign licenses.".to_string()
                        } else if archived {
                            "Archived members hold no licenses.".to_string()
                        } else if !has && v.state == SubscriptionState::Canceled {
                            "The subscription is canceled.".to_string()
                        } else {
                            String::new()
                        };
                        Cell {
                            value: cell_value(&id, v.product.key.as_str()),
                            product_name: v.product.name.clone(),
                            held: has,
                            disabled: !why.is_empty(),
                            title: if why.is_empty() {
                                format!("{} for {}", v.product.name, m.member.email)
                            } else {
                                why
                            },
                        }
                    })
                    .collect(),
                id,
                name: m.member.name.clone(),
                email: m.member.email.clone(),
                status: m.member.status.as_str(),
                status_label: m.member.status.label(),
                roles: m.roles.iter().map(|r| r.name.clone()).collect(),
            }
        })
        .collect();
    let page_no = list.page;
    let current = grid_link(
        &path,
        &req,
        &[
            ("cursor", req.cursor.clone().unwrap_or_default()),
            ("page", if page_no > 1 { page_no.to_string() } else { String::new() }),
        ],
    );
    let filter_fields: Vec<(String, String)> =
        serde_urlencoded::from_str(&list_query(&req, &[("per_page", String::new())])).unwrap_or_default();
    let plus = if list.counts_capped { "+" } else { "" };
    let view = WorkspacePage {
        q: req.filter.q.clone(),
        status: if req.filter.statuses.len() == 1 { req.filter.statuses[0].as_str().into() } else { String::new() },
        role: req.role.clone().unwrap_or_default(),
        product: req.filter.product.as_ref().map(|p| p.to_string()).unwrap_or_default(),
        status_options: MemberStatus::ALL.iter().map(|s| (s.as_str(), s.label())).collect(),
        role_options: access.policy.roles.iter().map(|r| (r.id.to_string(), r.name.clone())).collect(),
        product_options: views.iter().map(|v| (v.product.key.to_string(), v.product.name.clone())).collect(),
        filter_error,
        bulk_options: views
            .iter()
            .filter(|v| v.state != SubscriptionState::Canceled)
            .map(|v| (v.product.key.to_string(), v.product.name.clone()))
            .collect(),
        columns,
        rows,
        can_assign,
        total_label: format!("{}{plus}", format::count(list.total)),
        filter_fields,
        pages: list.total.div_ceil(u64::from(list.per_page)).max(1),
        prev_href: list.prev_cursor.map(|c| {
            let p = page_no.saturating_sub(1).max(1);
            if p == 1 {
                grid_link(&path, &req, &[])
            } else {
                grid_link(&path, &req, &[("cursor", c), ("page", p.to_string())])
            }
        }),
        next_href: list
            .next_cursor
            .map(|c| grid_link(&path, &req, &[("cursor", c), ("page", (page_no + 1).to_string())])),
        page: page_no,
        return_to: current,
        per_page: req.per_page,
        frame: page.frame(TabKey::Products).await?,
    };
    page.render(StatusCode::OK, &view)
}

/// The cells a grid's form changed: (assign, remove), each `(user, product)`.
type CellChanges = (Vec<(String, String)>, Vec<(String, String)>);

/// The grid's differences: ticked cells not held before, held cells no
/// longer ticked.
fn changed_cells(pairs: &Pairs) -> CellChanges {
    let ticked: BTreeSet<&str> = fields(pairs, "cell").into_iter().collect();
    let was: BTreeSet<&str> = fields(pairs, "was").into_iter().collect();
    let assign = ticked.difference(&was).filter_map(|c| parse_cell(c)).collect();
    let remove = was.difference(&ticked).filter_map(|c| parse_cell(c)).collect();
    (assign, remove)
}

/// "Review changes": a dry run of the cells changed, with what each member
/// gains and loses, the seats after, and "Apply" (disabled when some
/// product would be short). Needs licenses:update.
pub async fn review_submit(page: OrgPage, Meta(meta): Meta, Form(pairs): Form<Pairs>) -> UiResult {
    let back = safe_path(field(&pairs, "return_to"), &page.links.workspace());
    let (assign, remove) = changed_cells(&pairs);
    if assign.is_empty() && remove.is_empty() {
        return Ok(redirect_with_flash(&back, "error", "Nothing changed: tick or untick cells first, then review."));
    }
    let req = BulkLicenses::Cells { assign: assign.clone(), remove: remove.clone() };
    let outcome = roster_app::products::bulk_licenses(page.app(), &page.access, &req, true, &meta).await;
    // The members' labels travel with the grid's form, for the preview's words only.
    let who: BTreeMap<&str, &str> = fields(&pairs, "member").into_iter().filter_map(|m| m.split_once(' ')).collect();
    let names = super::product_names(page.app());
    let name = |k: &str| names.get(k).cloned().unwrap_or_else(|| k.to_string());
    let mut changes: BTreeMap<&str, ChangeLine> = BTreeMap::new();
    for (cells, added) in [(&assign, true), (&remove, false)] {
        for (u, p) in cells {
            let line = changes.entry(u.as_str()).or_insert_with(|| ChangeLine {
                who: who.get(u.as_str()).map(|s| s.to_string()).unwrap_or_else(|| u.clone()),
                added: vec![],
                removed: vec![],
            });
            if added {
                line.added.push(name(p))
            } else {
                line.removed.push(name(p))
            };
        }
    }
    let mut changes: Vec<ChangeLine> = changes.into_values().collect();
    changes.sort_by(|a, b| a.who.cmp(&b.who));
    let frame = page.frame(TabKey::Products).await?;
    let mut view = ConfirmPage::new(
        frame,
        "Review the changes".into(),
        page.links.workspace_apply(),
        "Apply".into(),
        back.clone(),
    );
    view.back_label = "Back to the grid".into();
    view.changes = changes;
    view.progress = Some("Applying…".into());
    view.hidden.push(("return_to".into(), back));
    for (u, p) in &assign {
        view.hidden.push(("assign".into(), cell_value(u, p)));
    }
    for (u, p) in &remove {
        view.hidden.push(("remove".into(), cell_value(u, p)));
    }
    let status = match outcome {
        Ok(o) => {
            preview_counts(&page, &mut view, &o, None);
            let n = o.assigned + o.removed;
            view.button = format!("Apply {} {}", format::count(n), if n == 1 { "change" } else { "changes" });
            StatusCode::OK
        }
        Err(e) => {
            let errors = FormErrors::from_refusal(e, &[])?;
            view.blocked = errors.form.or_else(|| errors.fields.values().next().cloned());
            errors.status
        }
    };
    page.render(status, &view)
}

/// Fills a preview's counts, notes, seats and whether it may be applied.
fn preview_counts(page: &OrgPage, view: &mut ConfirmPage, o: &BulkLicenseOutcome, assign: Option<bool>) {
    if o.assigned + o.removed == 0 {
        view.nothing = Some("Nothing to change: every member is as asked already.".into());
    }
    let mut counts = Vec::new();
    if o.assigned > 0 || assign != Some(false) {
        counts.push((
            format::count(o.assigned),
            format!("{} to assign", if o.assigned == 1 { "license" } else { "licenses" }),
        ));
    }
    if o.removed > 0 || assign == Some(false) {
        counts.push((
            format::count(o.removed),
            format!("{} to remove", if o.removed == 1 { "license" } else { "licenses" }),
        ));
    }
    view.counts = counts;
    view.notes.extend(bulk_notes(o, assign));
    let (seats, blocked) = seat_lines(page, o);
    view.seats = seats;
    view.blocked = blocked;
}

/// Applies reviewed cells in one transaction, its progress streamed, then
/// says what was done (or why nothing was: the seats no longer suffice)
/// with the way back to the grid. Needs licenses:update.
pub async fn apply_submit(page: OrgPage, Meta(meta): Meta, Form(pairs): Form<Pairs>) -> UiResult {
    let back = safe_path(field(&pairs, "return_to"), &page.links.workspace());
    let assign = fields(&pairs, "assign").into_iter().filter_map(parse_cell).collect();
    let remove = fields(&pairs, "remove").into_iter().filter_map(parse_cell).collect();
    let req = BulkLicenses::Cells { assign, remove };
    Ok(streamed_change(&page, meta, req, (back, "Back to the workspace"), "Applying the changes"))
}

/// Runs a bulk change of licenses behind the streamed progress page
/// ([`crate::progress`]): a bar per step (reading, writing, auditing), then
/// what was done, or why nothing was, with the way back to the grid.
pub(super) fn streamed_change(
    page: &OrgPage,
    meta: roster_app::RequestMeta,
    req: BulkLicenses,
    (back, back_label): (String, &str),
    title: &str,
) -> axum::response::Response {
    let back_label = back_label.to_string();
    let (app, access) = (page.app().clone(), page.access.clone());
    crate::progress::streamed(title, move |reporter| async move {
        let report = move |p: roster_app::products::BulkProgress| {
            use roster_app::products::BulkProgress as P;
            let (done, total, words) = match p {
                P::Reading(n) => (n, 0, "Reading the matching users"),
                P::Writing { done, total } => (done, total, "Writing licenses"),
                P::Auditing { done, total } => (done, total, "Recording the changes"),
            };
            reporter.report(crate::progress::Step { done, total, words: words.into() });
        };
        let outcome =
            roster_app::products::bulk_licenses_with_progress(&app, &access, &req, false, &meta, &report).await;
        let (ok, message) = match outcome {
            Ok(o) => (true, applied_words(&o)),
            Err(e) => (false, crate::error::problem_for(&e).detail),
        };
        crate::progress::Outcome { ok, message, back, back_label }
    })
}

/// "Assigned 3 licenses and removed 1." and who was left alone.
fn applied_words(o: &BulkLicenseOutcome) -> String {
    let mut s = match (o.assigned, o.removed) {
        (0, 0) => "Nothing changed: every member was as asked already.".to_string(),
        (a, 0) => format!("Assigned {}.", licenses(a)),
        (0, r) => format!("Removed {}.", licenses(r)),
        (a, r) => format!("Assigned {} and removed {}.", licenses(a), format::count(r)),
    };
    match o.skipped {
        0 => {}
        1 => s.push_str(" 1 member holds permissions you do not, and was left as is."),
        n => s.push_str(&format!(" {} members hold permissions you do not, and were left as is.", format::count(n))),
    }
    s
}

/// "Assign" or "Remove": (assign?, verb, title's preposition).
fn filter_action(a: &str) -> Option<(bool, &'static str, &'static str)> {
    match a {
        "assign" => Some((true, "Assign", "to")),
        "remove" => Some((false, "Remove", "from")),
        _ => None,
    }
}

/// The filter a workspace form carries (the grid's query string), with
/// its role resolved.
fn carried_filter(page: &OrgPage, query: &str) -> Result<(ListRequest, MemberFilter), AppError> {
    let mut req = parse_page_query(Some(query), page.app().clock.now())?;
    let role = roster_app::members::resolve_role_filter(&page.access, req.role.as_deref())?;
    req.role = role.map(|r| r.to_string());
    let filter = req.filter.clone().with_role(role);
    Ok((req, filter))
}

/// The preview of "Assign / Remove product P for every member matching
/// this filter": a dry run with the count, who is left alone and the
/// seats after. Needs licenses:update.
pub async fn filter_confirm(page: OrgPage, Meta(meta): Meta, RawQuery(raw): RawQuery) -> UiResult {
    let raw = raw.unwrap_or_default();
    let pairs: Pairs = serde_urlencoded::from_str(&raw).unwrap_or_default();
    let (assign, verb, prep) = filter_action(field(&pairs, "action")).ok_or(AppError::NotFound("page"))?;
    let license = field(&pairs, "license").to_string();
    let product = roster_app::products::catalogue(page.app())
        .get(license.trim())
        .ok_or_else(|| roster_domain::ValidationError::field("license", "choose one of the products"))?
        .clone();
    // The filter is the rest of the query (the grid's own parameters).
    let rest: Pairs = pairs.iter().filter(|(k, _)| !matches!(k.as_str(), "action" | "license")).cloned().collect();
    let query = serde_urlencoded::to_string(&rest).unwrap_or_default();
    let (req, filter) = carried_filter(&page, &query)?;
    let back = href(&page.links.workspace(), list_query(&req, &[]));
    let bulk = BulkLicenses::Filter { product: license.clone(), filter: filter.clone(), assign };
    let outcome = roster_app::products::bulk_licenses(page.app(), &page.access, &bulk, true, &meta).await;
    let frame = page.frame(TabKey::Products).await?;
    let mut view = ConfirmPage::new(
        frame,
        format!("{verb} {} {prep} every matching member?", product.name),
        page.links.workspace_filter(),
        format!("{verb} {}", product.name),
        back.clone(),
    );
    view.back_label = "Back to the grid".into();
    view.danger = !assign;
    view.progress = Some("Applying… this can take a while for many members.".into());
    view.facts = vec![
        ("Product".into(), product.name.clone()),
        ("Members".into(), filter_summary(&filter, &page.access, page.app())),
    ];
    view.hidden = vec![
        ("action".into(), field(&pairs, "action").to_string()),
        ("license".into(), license),
        ("filter".into(), list_query(&req, &[])),
        ("return_to".into(), back),
    ];
    let status = match outcome {
        Ok(o) => {
            preview_counts(&page, &mut view, &o, Some(assign));
            if o.assigned + o.removed > 0 {
                view.button = format!("{verb} {}", licenses(o.assigned + o.removed));
            }
            StatusCode::OK
        }
        Err(e) => {
            let errors = FormErrors::from_refusal(e, &[])?;
            view.blocked = errors.form.or_else(|| errors.fields.values().next().cloned());
            errors.status
        }
    };
    page.render(status, &view)
}

/// Assigns or removes one product for every member matching the filter,
/// in one transaction, its progress streamed. Needs licenses:update.
pub async fn filter_submit(page: OrgPage, Meta(meta): Meta, Form(pairs): Form<Pairs>) -> UiResult {
    let back = safe_path(field(&pairs, "return_to"), &page.links.workspace());
    let (assign, _, _) = filter_action(field(&pairs, "action")).ok_or(AppError::NotFound("page"))?;
    let (_, filter) = carried_filter(&page, field(&pairs, "filter"))?;
    let bulk = BulkLicenses::Filter { product: field(&pairs, "license").to_string(), filter, assign };
    Ok(streamed_change(&page, meta, bulk, (back, "Back to the workspace"), "Applying the change"))
}
