//! The History tab: the organization's audit log with the columns seed 000
//! names (Actor, Action, Context, Details, Date), its filters (actor, action
//! or group, target, date range) kept as typed, Newer/Older keyset paging,
//! and export links that carry the filters.

use askama::Template;
use axum::extract::RawQuery;
use axum::http::StatusCode;
use roster_app::AppError;
use roster_domain::audit::AuditAction;
use roster_domain::history::{EventItem, group_label, group_of, groups};

use crate::query::{self, Strictness};
use crate::ui::form::{Pairs, field};
use crate::ui::{Frame, OrgPage, TabKey, UiResult};

/// One event as the tab shows it.
struct Row {
    actor_name: String,
    actor_detail: Option<String>,
    actor_href: String,
    action_text: String,
    action: String,
    target_name: Option<String>,
    target_href: Option<String>,
    ip: Option<String>,
    device: Option<String>,
    request_id: Option<String>,
    summary: String,
    date: String,
    date_full: String,
}

/// An option of the action select: value, label, indented (an action under its group).
struct ActionOption {
    value: String,
    label: String,
    is_action: bool,
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage {
    frame: Frame,
    rows: Vec<Row>,
    actor: String,
    action: String,
    target: String,
    from: String,
    to: String,
    action_options: Vec<ActionOption>,
    filter_error: Option<String>,
    filtered: bool,
    newer_href: Option<String>,
    older_href: Option<String>,
    newest_href: Option<String>,
    csv_href: String,
    jsonl_href: String,
}

/// The History tab (`audit:read`): events newest first, 50 a page.
pub async fn history_page(page: OrgPage, RawQuery(raw): RawQuery) -> UiResult {
    let pairs: Pairs = serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let typed = |k: &str| field(&pairs, k).trim().to_string();
    let (actor, action, target, from, to) =
        (typed("actor"), typed("action"), typed("target"), typed("from"), typed("to"));
    // The filters alone, as a query string for the paging and export links.
    let filters: Vec<(&str, &str)> =
        [("actor", &actor), ("action", &action), ("target", &target), ("from", &from), ("to", &to)]
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k, v.as_str()))
            .collect();
    let with = |extra: &[(&str, &str)]| {
        let mut all = filters.clone();
        all.extend_from_slice(extra);
        serde_urlencoded::to_string(&all).unwrap_or_default()
    };
    let base = page.links.history();
    let href = |q: String| if q.is_empty() { base.clone() } else { format!("{base}?{q}") };
    let (rows, filter_error, older, newer, cursor) =
        match query::history_list(raw.as_deref(), Strictness::Lenient, false) {
            Ok((req, _)) => match roster_app::history::list(page.app(), &page.access, &req).await {
                Ok(p) => (p.items, None, p.next_cursor, p.prev_cursor, req.cursor),
                Err(AppError::Validation(v)) => (vec![], Some(v.to_string()), None, None, None),
                Err(e) => return page.refusal_in_frame(TabKey::History, "History", e).await,
            },
            Err(v) => {
                // Still the permission first: a member without it learns nothing about the filters.
                if let Err(e) = roster_app::history::require_read(&page.access) {
                    return page.refusal_in_frame(TabKey::History, "History", e).await;
                }
                (vec![], Some(v.to_string()), None, None, None)
            }
        };
    let rows = rows.into_iter().map(|e| row(&page, e)).collect();
    let export = page.links.history_export();
    page.render(
        if filter_error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK },
        &HistoryPage {
            frame: page.frame(TabKey::History).await?,
            rows,
            filtered: !filters.is_empty(),
            action_options: action_options(),
            filter_error,
            newer_href: newer.map(|c| href(with(&[("cursor", &c)]))),
            older_href: older.map(|c| href(with(&[("cursor", &c)]))),
            newest_href: cursor.is_some().then(|| href(with(&[]))),
            csv_href: format!("{export}?{}", with(&[("format", "csv")])),
            jsonl_href: format!("{export}?{}", with(&[("format", "jsonl")])),
            actor,
            action,
            target,
            from,
            to,
        },
    )
}

/// The History's export (`audit:read`), with the tab's filters: a download.
pub async fn export(page: OrgPage, RawQuery(raw): RawQuery) -> UiResult {
    roster_app::history::require_read(&page.access)?;
    let (req, format) = query::history_list(raw.as_deref(), Strictness::Lenient, true)?;
    let format = format.unwrap_or(roster_app::history::ExportFormat::Csv);
    let export = roster_app::history::export(page.app(), &page.access, &req.filter, format).await?;
    Ok(crate::download::history_export(export))
}

fn row(page: &OrgPage, e: EventItem) -> Row {
    let links = &page.links;
    let (actor_name, actor_detail) = match (&e.actor.name, e.actor.kind.as_str()) {
        (Some(n), _) => (n.clone(), Some(e.actor.label.clone())),
        (None, "operator") => ("Command line".into(), Some("operator".into())),
        (None, "system") => ("Roster".into(), Some("automatic".into())),
        (None, _) => (e.actor.label.clone(), None),
    };
    let actor_key = e.actor.id.map_or_else(|| e.actor.label.clone(), |u| u.to_string());
    let target_name = e.target.name.clone().or_else(|| e.target.email.clone());
    let target_href = (e.target.kind == "member").then(|| links.history_of(&e.target.id));
    let date_full = e.created_at.clone();
    Row {
        actor_name,
        actor_detail,
        actor_href: format!("{}?actor={}", links.history(), urlencode(&actor_key)),
        action_text: capitalized(&e.action_text),
        action: e.action,
        target_name,
        target_href,
        device: e.context.user_agent.as_deref().map(|ua| roster_app::sessions::device(Some(ua))),
        ip: e.context.ip,
        request_id: e.context.request_id,
        summary: e.details.summary,
        date: date_full.get(..16).map(|d| format!("{} UTC", d.replace('T', " "))).unwrap_or_default(),
        date_full,
    }
}

fn action_options() -> Vec<ActionOption> {
    let mut out = Vec::new();
    for g in groups() {
        out.push(ActionOption { value: g.to_string(), label: format!("{} — all", group_label(g)), is_action: false });
        for a in AuditAction::ALL.iter().filter(|a| group_of(**a) == g) {
            out.push(ActionOption { value: a.as_str().to_string(), label: a.as_str().to_string(), is_action: true });
        }
    }
    out
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)]).unwrap_or_default().trim_start_matches("v=").to_string()
}
