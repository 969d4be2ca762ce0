//! The My Sessions tab: the signed-in user's active sessions (the current
//! one marked "This device", "Log out" on each other one, "Log out
//! everywhere else") and their recent history. Every member sees it in
//! every organization: it is about the user's account, not the
//! organization. Plain forms, so it works without JavaScript.

use askama::Template;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use roster_app::sessions::{Ended, SessionView};

use super::kit::{Frame, OrgPage, TabKey, UiResult, redirect_with_flash};
use super::paths::{self, OrgLinks};
use crate::extract::{Meta, clear_session_cookie};
use crate::{format, query};

/// A session as a row of the page shows it.
struct Row {
    device: String,
    short_id: String,
    ip: String,
    /// Where the address was at sign-in; `None` shows "—".
    location: Option<String>,
    last_active: String,
    /// The expiry for an active session, the end for an ended one.
    when: String,
    is_current: bool,
    /// The "Log out" form's action (active sessions other than the current one).
    logout_action: String,
    /// How an ended session ended, in words.
    how: String,
}

fn row(s: SessionView, links: &OrgLinks, now: roster_domain::Timestamp) -> Row {
    Row {
        logout_action: links.my_session_logout(&s.id.0.to_string()),
        device: s.device,
        short_id: s.short_id,
        ip: s.ip.unwrap_or_else(|| "—".into()),
        location: s.location,
        last_active: format::ago(Some(s.last_active_at), now),
        when: format::date_time(s.ended_at.unwrap_or(s.expires_at)),
        is_current: s.is_current,
        how: s.how.unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "sessions.html")]
struct SessionsPage {
    frame: Frame,
    active: Vec<Row>,
    history: Vec<Row>,
    has_others: bool,
}

/// The My Sessions tab. Every member, about their own sessions.
pub async fn my_sessions_page(page: OrgPage) -> UiResult {
    let now = page.app().clock.now();
    let active = roster_app::sessions::list_mine(page.app(), &page.user.principal).await?;
    let history = roster_app::sessions::history_mine(page.app(), &page.user.principal).await?;
    let has_others = active.iter().any(|s| !s.is_current);
    page.render(
        StatusCode::OK,
        &SessionsPage {
            frame: page.frame(TabKey::MySessions).await?,
            active: active.into_iter().map(|s| row(s, &page.links, now)).collect(),
            history: history.into_iter().map(|s| row(s, &page.links, now)).collect(),
            has_others,
        },
    )
}

/// Logs out one of the user's own sessions: back to the tab with a
/// notice, or (for the current session) to the sign-in page. Another
/// user's session answers the not-found page.
pub async fn logout_submit(page: OrgPage, Meta(meta): Meta, Path((_, id)): Path<(String, String)>) -> UiResult {
    let id = query::id(&id, "session")?;
    let short_id = roster_app::sessions::short_id(id);
    match roster_app::sessions::end_mine(page.app(), &page.user.principal, id, &meta).await? {
        Ended::Other => {
            Ok(redirect_with_flash(&page.links.my_sessions(), "ok", &format!("Session {short_id} is logged out.")))
        }
        Ended::Current => {
            Ok(([(header::SET_COOKIE, clear_session_cookie(page.state.secure_cookies))], Redirect::to(paths::LOGIN))
                .into_response())
        }
    }
}

/// "Log out everywhere else": every other session ends; back to the page
/// with a notice saying how many.
pub async fn logout_others_submit(page: OrgPage, Meta(meta): Meta) -> UiResult {
    let ended = roster_app::sessions::end_others(page.app(), &page.user.principal, &meta).await?;
    let message = match ended {
        0 => "You were signed in nowhere else.".to_string(),
        1 => "Logged out 1 other session.".to_string(),
        n => format!("Logged out {n} other sessions."),
    };
    Ok(redirect_with_flash(&page.links.my_sessions(), "ok", &message))
}
