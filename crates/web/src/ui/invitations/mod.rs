//! Invitations in the UI: the Invitations tab with resend and cancel (per
//! row and in bulk, each after a confirmation); the invite forms
//! ([`invite`]) and the public page of an invitation link ([`accept`]).

pub mod accept;
pub mod invite;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, RawQuery};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use roster_app::AppError;
use roster_app::invitations::{InvitationAction, InvitationView};
use roster_domain::invitations::InvitationState;
use serde::Deserialize;

use super::{Frame, OrgPage, ReturnForm, TabKey, UiResult, after_action, redirect_with_flash, safe_path};
use crate::extract::Meta;
use crate::format;

/// A row of the Invitations tab.
pub struct InvitationRow {
    id: String,
    name: String,
    email: String,
    roles: Vec<String>,
    state: &'static str,
    state_label: &'static str,
    invited_by: String,
    sent: String,
    expires: String,
    resends: i64,
    actions: Vec<(&'static str, &'static str)>,
}

fn row(v: InvitationView, actions: Vec<InvitationAction>) -> InvitationRow {
    let expires = match v.state {
        InvitationState::Pending => format::date(v.expires_at),
        InvitationState::Expired => format!("Expired {}", format::date(v.expires_at)),
        InvitationState::Accepted => v.accepted_at.map(|t| format!("Accepted {}", format::date(t))).unwrap_or_default(),
        InvitationState::Canceled => v.canceled_at.map(|t| format!("Canceled {}", format::date(t))).unwrap_or_default(),
    };
    InvitationRow {
        id: v.id.to_string(),
        name: roster_domain::invitations::display_name(&v.first_name, &v.last_name),
        email: v.email,
        roles: v.roles.into_iter().map(|r| r.name).collect(),
        state: v.state.as_str(),
        state_label: v.state.label(),
        invited_by: v.invited_by,
        sent: format::date(v.sent_at),
        expires,
        resends: v.resend_count,
        actions: actions.into_iter().map(|a| (a.as_str(), a.label())).collect(),
    }
}

/// A status badge of the Invitations tab.
pub struct StateBadge {
    key: &'static str,
    label: &'static str,
    count: String,
    href: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "invitations.html")]
struct InvitationsPage {
    frame: Frame,
    badges: Vec<StateBadge>,
    all_href: String,
    all_active: bool,
    rows: Vec<InvitationRow>,
    next_href: Option<String>,
    first_href: Option<String>,
    can_invite: bool,
    /// The bulk buttons' links, when the filter covers open invitations and the actor may.
    resend_all_href: Option<String>,
    cancel_all_href: Option<String>,
    return_to: String,
}

fn status_query(state: Option<InvitationState>, extra: &[(&str, String)]) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(s) = state {
        pairs.push(("status", s.as_str().into()));
    }
    pairs.extend(extra.iter().cloned());
    serde_urlencoded::to_string(&pairs).unwrap_or_default()
}

fn with_query(path: &str, q: String) -> String {
    if q.is_empty() { path.to_string() } else { format!("{path}?{q}") }
}

/// The Invitations tab: newest first, filtered by status. Needs invitations:read.
pub async fn invitations_page(page: OrgPage, RawQuery(raw): RawQuery) -> UiResult {
    let path = page.links.invitations();
    let Ok(req) = crate::query::invitations_list(raw.as_deref(), crate::query::Strictness::Lenient) else {
        return Ok(Redirect::to(&path).into_response());
    };
    let list = match roster_app::invitations::list(page.app(), &page.access, &req).await {
        Ok(l) => l,
        Err(AppError::Validation(_)) => {
            return Ok(Redirect::to(&with_query(&path, status_query(req.state, &[]))).into_response());
        }
        Err(e) => return page.refusal_in_frame(TabKey::Invitations, "You cannot see the invitations", e).await,
    };
    let actions = roster_app::invitations::row_actions(page.app(), &page.access, &list.items).await?;
    let plus = if list.counts_capped { "+" } else { "" };
    let badges = list
        .counts
        .iter()
        .map(|(s, n)| StateBadge {
            key: s.as_str(),
            label: s.label(),
            count: format!("{}{plus}", format::count(*n)),
            href: with_query(&path, status_query(Some(*s), &[])),
            active: req.state == Some(*s),
        })
        .collect();
    let bulk_href = |a: InvitationAction| {
        roster_app::invitations::bulk_offers(&page.access, req.state).contains(&a).then(|| {
            with_query(&page.links.invitations_bulk(), status_query(req.state, &[("action", a.as_str().into())]))
        })
    };
    let current = with_query(
        &path,
        status_query(req.state, &req.cursor.iter().map(|c| ("cursor", c.clone())).collect::<Vec<_>>()),
    );
    let view = InvitationsPage {
        frame: page.frame(TabKey::Invitations).await?,
        badges,
        all_href: path.clone(),
        all_active: req.state.is_none(),
        next_href: list.next_cursor.map(|c| with_query(&path, status_query(req.state, &[("cursor", c)]))),
        first_href: req.cursor.as_ref().map(|_| with_query(&path, status_query(req.state, &[]))),
        rows: list.items.into_iter().zip(actions).map(|(v, a)| row(v, a)).collect(),
        can_invite: roster_app::invitations::may_invite(&page.access),
        resend_all_href: bulk_href(InvitationAction::Resend),
        cancel_all_href: bulk_href(InvitationAction::Cancel),
        return_to: current,
    };
    page.render(StatusCode::OK, &view)
}

#[derive(Template)]
#[template(path = "invitation_confirm.html")]
struct ConfirmPage {
    frame: Frame,
    title: String,
    /// (label, value) facts about what will change.
    facts: Vec<(String, String)>,
    notes: Vec<String>,
    /// Nothing to do (the button is not offered).
    nothing: bool,
    action: &'static str,
    button: String,
    danger: bool,
    post_to: String,
    status: String,
    return_to: String,
}

#[derive(Deserialize)]
pub struct ReturnQuery {
    #[serde(default)]
    return_to: String,
}

/// The confirm step of one invitation's resend or cancel.
pub async fn action_confirm(
    page: OrgPage,
    Path((_, id, action)): Path<(String, String, String)>,
    Query(q): Query<ReturnQuery>,
) -> UiResult {
    let action = InvitationAction::parse(&action).ok_or(AppError::NotFound("page"))?;
    let v = roster_app::invitations::get(page.app(), &page.access, crate::query::id(&id, "invitation")?).await?;
    let back = safe_path(&q.return_to, &page.links.invitations());
    let name = roster_domain::invitations::display_name(&v.first_name, &v.last_name);
    let (title, button, notes, danger) = match action {
        InvitationAction::Resend => (
            format!("Send the invitation of {} again?", v.email),
            "Send again".to_string(),
            vec!["A new link goes out by email; the link sent before stops working.".to_string()],
            false,
        ),
        InvitationAction::Cancel => (
            format!("Cancel the invitation of {}?", v.email),
            "Cancel the invitation".to_string(),
            vec!["The link stops working and they leave the Users list; the invitation stays listed here.".to_string()],
            true,
        ),
    };
    let facts = vec![
        ("Name".to_string(), name),
        ("Status".to_string(), v.state.label().to_string()),
        ("Invited by".to_string(), v.invited_by.clone()),
        ("Sent".to_string(), format::date(v.sent_at)),
        ("Expires".to_string(), format::date(v.expires_at)),
    ];
    let view = ConfirmPage {
        frame: page.frame(TabKey::Invitations).await?,
        title,
        facts,
        notes,
        nothing: !v.state.is_open(),
        action: action.as_str(),
        button,
        danger,
        post_to: page.links.invitation_action(&v.id.to_string(), action.as_str()),
        status: String::new(),
        return_to: back,
    };
    page.render(StatusCode::OK, &view)
}

/// Sends one invitation again, or cancels it.
pub async fn action_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, id, action)): Path<(String, String, String)>,
    Form(f): Form<ReturnForm>,
) -> UiResult {
    let back = safe_path(&f.return_to, &page.links.invitations());
    let action = InvitationAction::parse(&action).ok_or(AppError::NotFound("page"))?;
    let id = crate::query::id(&id, "invitation")?;
    let done = match action {
        InvitationAction::Resend => roster_app::invitations::resend(page.app(), &page.access, id, &meta).await,
        InvitationAction::Cancel => roster_app::invitations::cancel(page.app(), &page.access, id, &meta).await,
    };
    after_action(
        &back,
        done.map(|v| match action {
            InvitationAction::Resend => format!("Sent the invitation of {} again.", v.email),
            InvitationAction::Cancel => format!("Canceled the invitation of {}.", v.email),
        }),
    )
}

#[derive(Deserialize)]
pub struct BulkQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    status: String,
}

fn bulk_filter(status: &str) -> Result<Option<InvitationState>, AppError> {
    if status.is_empty() { Ok(None) } else { Ok(Some(status.parse()?)) }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "invitation" } else { "invitations" }
}

/// The confirm step of "Resend all" / "Cancel all": says how many.
pub async fn bulk_confirm(page: OrgPage, Query(q): Query<BulkQuery>) -> UiResult {
    let action = InvitationAction::parse(&q.action).ok_or(AppError::NotFound("page"))?;
    let filter = bulk_filter(&q.status)?;
    let preview = roster_app::invitations::preview_bulk(page.app(), &page.access, action, filter).await?;
    let which = match filter {
        Some(s) => format!("{} invitations", s.label()),
        None => "Pending and expired invitations".to_string(),
    };
    let verb = match action {
        InvitationAction::Resend => "Send again",
        InvitationAction::Cancel => "Cancel",
    };
    let mut notes = vec![match action {
        InvitationAction::Resend => "Each gets a new link by email; the links sent before stop working.".to_string(),
        InvitationAction::Cancel => "Their links stop working and the invited people leave the Users list.".to_string(),
    }];
    if preview.skipped > 0 {
        notes.push(format!(
            "{} {} will be left as is: the invitee holds permissions you do not, or is no longer invited.",
            format::count(preview.skipped),
            plural(preview.skipped)
        ));
    }
    let view = ConfirmPage {
        frame: page.frame(TabKey::Invitations).await?,
        title: format!("{verb} {} {}?", format::count(preview.changed), plural(preview.changed)),
        facts: vec![("Which".to_string(), which)],
        notes,
        nothing: preview.changed == 0,
        action: action.as_str(),
        button: format!("{verb} {} {}", format::count(preview.changed), plural(preview.changed)),
        danger: action == InvitationAction::Cancel,
        post_to: page.links.invitations_bulk(),
        status: q.status.clone(),
        return_to: with_query(&page.links.invitations(), status_query(filter, &[])),
    };
    page.render(StatusCode::OK, &view)
}

#[derive(Deserialize)]
pub struct BulkForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    return_to: String,
}

/// Runs a confirmed bulk resend or cancel and says how many.
pub async fn bulk_submit(page: OrgPage, Meta(meta): Meta, Form(f): Form<BulkForm>) -> UiResult {
    let action = InvitationAction::parse(&f.action).ok_or(AppError::NotFound("page"))?;
    let filter = bulk_filter(&f.status)?;
    let o = roster_app::invitations::bulk(page.app(), &page.access, action, filter, &meta).await?;
    let past = match action {
        InvitationAction::Resend => "sent again",
        InvitationAction::Cancel => "canceled",
    };
    let skipped = if o.skipped > 0 { format!(" {} left as is.", format::count(o.skipped)) } else { String::new() };
    Ok(redirect_with_flash(
        &safe_path(&f.return_to, &page.links.invitations()),
        "ok",
        &format!("{} {} {past}.{skipped}", format::count(o.changed), plural(o.changed)),
    ))
}
