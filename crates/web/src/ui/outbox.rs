//! The Outbox tab: the emails Roster wrote for the organization, newest
//! first, with their delivery status. With no SMTP server configured this
//! is where invitations and links are read (the demo is walked this way).

use askama::Template;
use axum::extract::RawQuery;
use axum::http::StatusCode;
use roster_app::mail::MailKind;

use crate::format;
use crate::ui::form::{Pairs, field};
use crate::ui::{Frame, OrgPage, TabKey, UiResult};

/// One message as the tab shows it.
struct Row {
    id: String,
    kind: &'static str,
    to: String,
    subject: String,
    text: String,
    status: String,
    status_label: &'static str,
    attempts: i64,
    last_error: Option<String>,
    created: String,
    sent: Option<String>,
    redacted: bool,
}

#[derive(Template)]
#[template(path = "outbox.html")]
struct OutboxPage {
    frame: Frame,
    rows: Vec<Row>,
    mail_delivery: bool,
    demo: bool,
    next_href: Option<String>,
    is_first_page: bool,
}

fn status_label(status: &str) -> &'static str {
    match status {
        "queued" => "Queued",
        "sending" => "Sending",
        "sent" => "Sent",
        "failed" => "Failed",
        _ => "Unknown",
    }
}

/// The Outbox tab (`invitations:read`): messages newest first, fifty a page.
pub async fn outbox_page(page: OrgPage, RawQuery(raw): RawQuery) -> UiResult {
    let query: Pairs = serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let cursor = roster_app::outbox::parse_cursor(field(&query, "before"));
    let messages = match roster_app::outbox::list_org(page.app(), &page.access, cursor).await {
        Ok(m) => m,
        Err(e) => return page.refusal_in_frame(TabKey::Outbox, "Outbox", e).await,
    };
    let next_href = (messages.len() as u64 == roster_app::outbox::PAGE)
        .then(|| messages.last().map(|m| format!("{}?before={}", page.links.outbox(), m.cursor())))
        .flatten();
    let rows = messages
        .into_iter()
        .map(|m| Row {
            id: m.id.to_string(),
            kind: MailKind::label(&m.kind),
            to: m.to,
            subject: m.subject,
            text: m.text,
            status_label: status_label(&m.status),
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            created: format::rfc3339(m.created_at).replace('T', " ").chars().take(16).collect(),
            sent: m.sent_at.map(|t| format::rfc3339(t).replace('T', " ").chars().take(16).collect()),
            redacted: m.redacted,
        })
        .collect();
    let config = &page.app().config;
    page.render(
        StatusCode::OK,
        &OutboxPage {
            frame: page.frame(TabKey::Outbox).await?,
            rows,
            mail_delivery: config.mail_delivery,
            demo: config.demo_outbox,
            next_href,
            is_first_page: cursor.is_none(),
        },
    )
}
