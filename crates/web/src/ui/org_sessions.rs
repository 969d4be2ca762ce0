//! The Active Sessions tab (the live sessions of the organization's active
//! members, searched by name, email or IP; "Log out" one, "Log out all" of
//! a member, each after a confirmation page) and the Session History tab
//! (ended sessions with how each ended, filtered by user, reason and date
//! range). Plain links and forms, so both work without JavaScript.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, RawQuery};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use roster_app::AppError;
use roster_app::org_sessions::{OrgSessionView, SessionPage};
use roster_domain::sessions::EndReason;
use serde::Deserialize;

use super::kit::{Frame, OrgPage, ReturnForm, TabKey, UiResult, after_action};
use super::paths;
use super::safe_path;
use crate::extract::{Meta, clear_session_cookie};
use crate::format;
use crate::query::{self, Strictness};

/// A session as a row of either tab shows it.
struct Row {
    id: String,
    short_id: String,
    user_id: String,
    name: String,
    email: String,
    device: String,
    ip: String,
    location: Option<String>,
    status: &'static str,
    status_label: &'static str,
    last_active: String,
    expires: String,
    is_current: bool,
    /// Whether the viewer may log it out (Active Sessions).
    may_logout: bool,
    /// When it ended, and how (Session History).
    ended: String,
    how: String,
    reason: String,
}

fn row(v: OrgSessionView, now: roster_domain::Timestamp, may_logout: bool) -> Row {
    let s = v.session;
    Row {
        id: s.id.0.to_string(),
        short_id: s.short_id,
        user_id: v.user.id.to_string(),
        name: v.user.name,
        email: v.user.email,
        device: s.device,
        ip: s.ip.unwrap_or_else(|| "—".into()),
        location: s.location,
        status: v.status.as_str(),
        status_label: v.status.label(),
        last_active: format::ago(Some(s.last_active_at), now),
        expires: format::date_time(s.expires_at),
        is_current: s.is_current,
        may_logout,
        ended: s.ended_at.map(format::date_time).unwrap_or_default(),
        how: s.how.unwrap_or_default(),
        reason: s.end_reason.unwrap_or_default(),
    }
}

fn with_query(path: &str, pairs: &[(&str, String)]) -> String {
    let pairs: Vec<&(&str, String)> = pairs.iter().filter(|(_, v)| !v.is_empty()).collect();
    let q = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    if q.is_empty() { path.to_string() } else { format!("{path}?{q}") }
}

#[derive(Template)]
#[template(path = "active_sessions.html")]
struct ActiveSessionsPage {
    frame: Frame,
    q: String,
    rows: Vec<Row>,
    next_href: Option<String>,
    first_href: Option<String>,
    return_to: String,
}

/// The Active Sessions tab. Needs `sessions:read`; the "Log out" buttons
/// show where the viewer may use them (`sessions:delete`, the member within
/// their reach).
pub async fn active_sessions_page(page: OrgPage, RawQuery(raw): RawQuery) -> UiResult {
    let path = page.links.active_sessions();
    let Ok(req) = query::org_sessions_list(raw.as_deref(), Strictness::Lenient) else {
        return Ok(Redirect::to(&path).into_response());
    };
    let list = match roster_app::org_sessions::list_active(page.app(), &page.access, &req).await {
        Ok(l) => l,
        Err(AppError::Validation(_)) => return Ok(Redirect::to(&path).into_response()),
        Err(e) => return page.refusal_in_frame(TabKey::ActiveSessions, "You cannot see the sessions", e).await,
    };
    let offers = roster_app::org_sessions::logout_offers(page.app(), &page.access, &list.items).await?;
    let now = page.app().clock.now();
    let SessionPage { items, next_cursor } = list;
    let q = req.q.clone();
    let view = ActiveSessionsPage {
        frame: page.frame(TabKey::ActiveSessions).await?,
        next_href: next_cursor.map(|c| with_query(&path, &[("q", q.clone()), ("cursor", c)])),
        first_href: req.cursor.as_ref().map(|_| with_query(&path, &[("q", q.clone())])),
        return_to: with_query(&path, &[("q", q.clone()), ("cursor", req.cursor.clone().unwrap_or_default())]),
        rows: items.into_iter().zip(offers).map(|(v, may)| row(v, now, may)).collect(),
        q,
    };
    page.render(StatusCode::OK, &view)
}

#[derive(Template)]
#[template(path = "session_confirm.html")]
struct ConfirmPage {
    frame: Frame,
    title: String,
    facts: Vec<(String, String)>,
    notes: Vec<String>,
    nothing: bool,
    button: String,
    post_to: String,
    return_to: String,
}

/// The page to go back to after an action (`return_to`, same origin only).
#[derive(Deserialize)]
pub struct ReturnQuery {
    #[serde(default)]
    return_to: String,
}

fn signed_out_notes(is_self: bool) -> Vec<String> {
    let mut notes = vec![
        "The session is refused from its very next request, on every server.".to_string(),
        "They can sign in again: a sign-in opens a new session for every organization where they are active."
            .to_string(),
    ];
    if is_self {
        notes.push("This includes the session you are using now: you will be signed out.".to_string());
    }
    notes
}

/// The confirm step of "Log out" on one session.
pub async fn logout_confirm(
    page: OrgPage,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<ReturnQuery>,
) -> UiResult {
    let id = query::id(&id, "session")?;
    let v = roster_app::org_sessions::find_live(page.app(), &page.access, id).await?;
    let back = safe_path(&q.return_to, &page.links.active_sessions());
    let now = page.app().clock.now();
    let is_current = v.session.is_current;
    let r = row(v, now, true);
    let view = ConfirmPage {
        frame: page.frame(TabKey::ActiveSessions).await?,
        title: format!("Log out session {} of {}?", r.short_id, r.name),
        facts: vec![
            ("User".into(), format!("{} ({})", r.name, r.email)),
            ("Device".into(), r.device.clone()),
            ("Session ID".into(), r.short_id.clone()),
            ("IP address".into(), r.ip.clone()),
            ("Location".into(), r.location.clone().unwrap_or_else(|| "—".into())),
            ("Last active".into(), r.last_active.clone()),
        ],
        notes: signed_out_notes(is_current),
        nothing: false,
        button: "Log out this session".into(),
        post_to: page.links.org_session_logout(&r.id),
        return_to: back,
    };
    page.render(StatusCode::OK, &view)
}

/// Logs out one session: back to the tab with a notice, or to the sign-in
/// page when it was the viewer's own.
pub async fn logout_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<ReturnForm>,
) -> UiResult {
    let back = safe_path(&f.return_to, &page.links.active_sessions());
    let id = query::id(&id, "session")?;
    match roster_app::org_sessions::end_session(page.app(), &page.access, id, &meta).await {
        Ok(done) if done.was_current => Ok(signed_out(&page)),
        done => after_action(
            &back,
            done.map(|d| format!("Logged out session {} of {} ({}).", d.short_id, d.user.name, d.user.email)),
        ),
    }
}

fn signed_out(page: &OrgPage) -> axum::response::Response {
    ([(header::SET_COOKIE, clear_session_cookie(page.state.secure_cookies))], Redirect::to(paths::LOGIN))
        .into_response()
}

/// The confirm step of "Log out all sessions" of a member: says how many.
pub async fn logout_all_confirm(
    page: OrgPage,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<ReturnQuery>,
) -> UiResult {
    let user = query::id(&id, "member")?;
    let (person, live) = roster_app::org_sessions::member_sessions_preview(page.app(), &page.access, user).await?;
    let back = safe_path(&q.return_to, &page.links.active_sessions());
    let is_self = page.user.principal.user_id == person.id;
    let view = ConfirmPage {
        frame: page.frame(TabKey::ActiveSessions).await?,
        title: format!("Log out all {live} {} of {}?", if live == 1 { "session" } else { "sessions" }, person.name),
        facts: vec![("User".into(), format!("{} ({})", person.name, person.email))],
        notes: signed_out_notes(is_self),
        nothing: live == 0,
        button: format!("Log out {live} {}", if live == 1 { "session" } else { "sessions" }),
        post_to: page.links.member_sessions_logout(&person.id.to_string()),
        return_to: back,
    };
    page.render(StatusCode::OK, &view)
}

/// Logs out every session of a member; back with a notice saying how many.
pub async fn logout_all_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<ReturnForm>,
) -> UiResult {
    let back = safe_path(&f.return_to, &page.links.active_sessions());
    let user = query::id(&id, "member")?;
    match roster_app::org_sessions::end_member_sessions(page.app(), &page.access, user, &meta).await {
        Ok(done) if done.was_current => Ok(signed_out(&page)),
        done => after_action(
            &back,
            done.map(|d| match d.ended {
                0 => format!("{} had no active session.", d.user.name),
                1 => format!("Logged out 1 session of {}.", d.user.name),
                n => format!("Logged out {n} sessions of {}.", d.user.name),
            }),
        ),
    }
}

#[derive(Template)]
#[template(path = "session_history.html")]
struct SessionHistoryPage {
    frame: Frame,
    user: String,
    reason: String,
    from: String,
    to: String,
    reasons: Vec<(&'static str, &'static str)>,
    rows: Vec<Row>,
    next_href: Option<String>,
    first_href: Option<String>,
    /// A filter that could not be read, said above the list.
    problem: Option<String>,
}

/// The filters of the Session History tab as typed.
#[derive(Deserialize, Default)]
pub struct HistoryFilters {
    #[serde(default)]
    user: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// The Session History tab. Needs `sessions:read`. A filter that cannot
/// be read is said above an empty list, the filters kept as typed.
pub async fn session_history_page(page: OrgPage, RawQuery(raw): RawQuery) -> UiResult {
    let path = page.links.session_history();
    let typed: HistoryFilters = serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let filters = |cursor: Option<String>| {
        let mut pairs = vec![
            ("user", typed.user.clone()),
            ("reason", typed.reason.clone()),
            ("from", typed.from.clone()),
            ("to", typed.to.clone()),
        ];
        pairs.extend(cursor.map(|c| ("cursor", c)));
        with_query(&path, &pairs)
    };
    let (list, problem) = match query::org_session_history(raw.as_deref(), Strictness::Lenient) {
        Err(e) => (None, Some(e.to_string())),
        Ok(req) => match roster_app::org_sessions::list_history(page.app(), &page.access, &req).await {
            Ok(l) => (Some((l, req.cursor.is_some())), None),
            Err(AppError::Validation(v)) if v.errors.iter().any(|e| e.field == "cursor") => {
                return Ok(Redirect::to(&filters(None)).into_response());
            }
            Err(AppError::Validation(v)) => (None, Some(v.to_string())),
            Err(e) => return page.refusal_in_frame(TabKey::SessionHistory, "You cannot see the sessions", e).await,
        },
    };
    let now = page.app().clock.now();
    let (rows, next_href, first_href) = match list {
        Some((SessionPage { items, next_cursor }, paged)) => (
            items.into_iter().map(|v| row(v, now, false)).collect(),
            next_cursor.map(|c| filters(Some(c))),
            paged.then(|| filters(None)),
        ),
        None => (Vec::new(), None, None),
    };
    let view = SessionHistoryPage {
        frame: page.frame(TabKey::SessionHistory).await?,
        reasons: EndReason::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        user: typed.user.clone(),
        reason: typed.reason.clone(),
        from: typed.from.clone(),
        to: typed.to.clone(),
        rows,
        next_href,
        first_href,
        problem,
    };
    page.render(StatusCode::OK, &view)
}
