//! The History tab: an organization's audit log, read a page at a time
//! (newest first, keyset-paged, filtered by actor, action or group, target
//! and date range), and exported whole as CSV or JSON Lines, streamed a
//! batch at a time so that memory stays flat at any size.
//!
//! Both need `audit:read`. An event reads as words ([`roster_domain::audit_text`]);
//! the names of its actor and target (members, roles, the organization) are
//! looked up here, so that the formatting stays pure.

pub mod seed;

use std::collections::HashMap;

use roster_domain::audit::AuditAction;
use roster_domain::export::csv_record;
use roster_domain::history::{
    ActorFilter, EventActor, EventContext, EventDetails, EventItem, EventOrganization, EventPosition, EventTarget,
    HistoryFilter, PAGE_DEFAULT, TargetFilter, group_of,
};
use roster_domain::{Timestamp, UserId, ValidationError};
use roster_store::audit_query::{self, EventQuery, EventRow, ReadFrom};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::access::{OrgAccess, Permission};
use crate::error::Result;
use crate::{App, AppError};

/// What a History page asks for.
#[derive(Debug, Clone)]
pub struct HistoryRequest {
    /// Which events.
    pub filter: HistoryFilter,
    /// A `next_cursor` or `prev_cursor` of an earlier page.
    pub cursor: Option<String>,
    /// Rows per page (1–200).
    pub limit: u32,
}

impl Default for HistoryRequest {
    fn default() -> Self {
        Self { filter: HistoryFilter::default(), cursor: None, limit: PAGE_DEFAULT }
    }
}

/// One page of events, newest first.
#[derive(Debug, Clone)]
pub struct HistoryPage {
    /// The events.
    pub items: Vec<EventItem>,
    /// Reads the older events after this page; `None` on the oldest page.
    pub next_cursor: Option<String>,
    /// Reads the newer events before this page; `None` on the newest page.
    pub prev_cursor: Option<String>,
}

/// Whether the actor may read the History (pages show their "History"
/// links by it).
pub fn may_read(access: &OrgAccess) -> bool {
    access.can(Permission::AUDIT_READ)
}

/// Refuses (403) an actor without `audit:read`: a page checks it before it
/// says anything about a bad filter.
pub fn require_read(access: &OrgAccess) -> Result<()> {
    access.require(Permission::AUDIT_READ)
}

/// A page of an organization's History. Needs `audit:read`.
pub async fn list(app: &App, access: &OrgAccess, req: &HistoryRequest) -> Result<HistoryPage> {
    access.require(Permission::AUDIT_READ)?;
    req.filter.check_range()?;
    let limit = u64::from(req.limit.clamp(1, roster_domain::history::PAGE_MAX));
    let (after, newer) = match req.cursor.as_deref() {
        None | Some("") => (None, false),
        Some(c) => {
            let (p, newer) = EventPosition::decode(c)?;
            (Some(p), newer)
        }
    };
    let mut conn = app.db.conn().await?;
    let query = resolve(&mut conn, access, &req.filter).await?;
    let mut rows =
        audit_query::list_events(&mut conn, access.org.id, &query, ReadFrom { after, newer }, limit + 1).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    if newer {
        rows.reverse();
    }
    // Reading older: newer ones exist when we came from a cursor; reading
    // newer: older ones exist (the cursor's own event at least).
    let (has_older, has_newer) = if newer { (true, more) } else { (more, after.is_some()) };
    let next_cursor = has_older.then(|| rows.last().map(|r| r.position().cursor(false))).flatten();
    let prev_cursor = has_newer.then(|| rows.first().map(|r| r.position().cursor(true))).flatten();
    let items = items(&mut conn, access, rows).await?;
    Ok(HistoryPage { items, next_cursor, prev_cursor })
}

/// The filter as the store reads it: an email becomes the member's id in
/// this organization (only this organization's members are looked at); an
/// actor email that is no member's now still matches events labelled with it.
async fn resolve(conn: &mut roster_store::Conn, access: &OrgAccess, f: &HistoryFilter) -> Result<EventQuery> {
    let org = access.org.id;
    let mut q = EventQuery {
        actions: f.action.map(|a| a.actions()).unwrap_or_default(),
        from: f.from.map(|t| t.0),
        to: f.to.map(|t| t.0),
        ..Default::default()
    };
    match &f.actor {
        None => {}
        Some(ActorFilter::User(u)) => q.actor_id = Some(*u),
        Some(ActorFilter::Email(e)) => match roster_store::members::member_id_by_email(conn, org, e).await? {
            Some(u) => q.actor_id = Some(u),
            None => q.actor_label = Some(e.as_str().to_string()),
        },
        Some(ActorFilter::Label(l)) => q.actor_label = Some(l.clone()),
    }
    match &f.target {
        None => {}
        Some(TargetFilter::Id(id)) => q.target_id = Some(id.clone()),
        Some(TargetFilter::Email(e)) => {
            // Not a member here: no event is about them, and the answer says no more.
            let id = roster_store::members::member_id_by_email(conn, org, e).await?;
            q.target_id = Some(id.map_or_else(|| format!("email:{}", e.as_str()), |u| u.to_string()));
        }
    }
    Ok(q)
}

/// The events as the API and the exports show them, with the names of
/// their actors and targets looked up once for the batch.
async fn items(conn: &mut roster_store::Conn, access: &OrgAccess, rows: Vec<EventRow>) -> Result<Vec<EventItem>> {
    let mut ids: Vec<UserId> = rows.iter().filter_map(|r| r.actor_id.map(UserId)).collect();
    ids.extend(rows.iter().filter(|r| r.target_type == "member").filter_map(|r| r.target_id.parse::<UserId>().ok()));
    ids.sort_unstable();
    ids.dedup();
    let mut names: HashMap<UserId, (String, String)> = roster_store::members::names_of(conn, access.org.id, &ids)
        .await?
        .into_iter()
        .map(|(u, name, email)| (u, (name, email)))
        .collect();
    // A partner member who acted here is named from the partner's directory.
    if let Some(partner) = access.org.parent_id {
        let missing: Vec<UserId> = ids.iter().copied().filter(|u| !names.contains_key(u)).collect();
        if !missing.is_empty() {
            for (u, name, email) in roster_store::members::names_of(conn, partner, &missing).await? {
                names.insert(u, (name, email));
            }
        }
    }
    Ok(rows.into_iter().map(|r| item(access, &names, r)).collect())
}

/// The partner an event's actor acted through, if any.
fn partner_of(data: &serde_json::Value) -> Option<&str> {
    data.get("partner")?.get("name")?.as_str()
}

fn item(access: &OrgAccess, names: &HashMap<UserId, (String, String)>, r: EventRow) -> EventItem {
    let data: serde_json::Value =
        serde_json::from_str(&r.details).unwrap_or_else(|_| serde_json::Value::String(r.details.clone()));
    let action = r.action.parse::<AuditAction>().ok();
    let summary = match action {
        Some(a) => roster_domain::audit_text::summary(a, &data),
        None => roster_domain::audit_text::words(&data),
    };
    let (target_name, target_email) = match r.target_type.as_str() {
        "member" => match r.target_id.parse::<UserId>().ok().and_then(|u| names.get(&u)) {
            Some((n, e)) => (Some(n.clone()), Some(e.clone())),
            None => (None, None),
        },
        "role" => {
            let known = access.policy.roles.iter().find(|role| role.id.to_string() == r.target_id);
            // A deleted role is named by its event's details.
            let from_details =
                || ["after", "before"].iter().find_map(|k| data.get(k)?.get("name")?.as_str().map(str::to_string));
            (known.map(|role| role.name.clone()).or_else(from_details), None)
        }
        // A SCIM group or binding is named by its event's details.
        "scim_group" | "scim_group_mapping" => {
            let named = |k: &str| data.get(k)?.get("name")?.as_str().map(str::to_string);
            (
                named("after").or_else(|| named("before")).or_else(|| data.get("group")?.as_str().map(str::to_string)),
                None,
            )
        }
        "organization" if r.target_id == access.org.id.to_string() => (Some(access.org.name.clone()), None),
        _ => (None, None),
    };
    EventItem {
        id: r.id,
        seq: r.seq,
        actor: EventActor {
            id: r.actor_id,
            name: r.actor_id.and_then(|u| names.get(&UserId(u))).map(|(n, _)| match partner_of(&data) {
                // "Ann Smith (Brokers Inc.)": a partner member acting inside a customer.
                Some(p) => format!("{n} ({p})"),
                None => n.clone(),
            }),
            label: r.actor_label,
            kind: r.actor_type,
        },
        action_group: action
            .map_or_else(|| r.action.split('.').next().unwrap_or_default().to_string(), |a| group_of(a).to_string()),
        action_text: action.map_or_else(|| r.action.clone(), |a| a.words().to_string()),
        action: r.action,
        target: EventTarget { kind: r.target_type, id: r.target_id, name: target_name, email: target_email },
        context: EventContext {
            organization: EventOrganization { id: access.org.id.0, slug: access.org.slug.clone() },
            request_id: r.request_id,
            ip: r.ip,
            user_agent: r.user_agent,
        },
        details: EventDetails { summary, data },
        created_at: rfc3339(Timestamp(r.created_at)),
    }
}

/// RFC 3339 in UTC, as the API writes times.
fn rfc3339(t: Timestamp) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.0) * 1_000_000)
        .ok()
        .and_then(|d| d.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// Reads a `from` or `to` parameter: an RFC 3339 date and time
/// (`2026-11-22T14:05:00Z`), or a date (`2026-11-22`, UTC), which as `to`
/// means the end of that day.
pub fn parse_time(field: &str, s: &str, end_of_day: bool) -> std::result::Result<Timestamp, ValidationError> {
    let s = s.trim();
    let bad =
        || ValidationError::field(field, "must be a date (2026-11-22) or an RFC 3339 time (2026-11-22T14:05:00Z)");
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(Timestamp((t.unix_timestamp_nanos() / 1_000_000) as i64));
    }
    let date = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).map_err(|_| bad())?;
    let start = date.midnight().assume_utc().unix_timestamp() * 1000;
    Ok(Timestamp(if end_of_day { start + 86_400_000 - 1 } else { start }))
}

/// An export's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Comma-separated values with a header row, cells safe to open in a spreadsheet.
    Csv,
    /// JSON Lines: one event per line, as the API shows it.
    Jsonl,
}

impl std::str::FromStr for ExportFormat {
    type Err = ValidationError;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s.trim() {
            "csv" => Ok(Self::Csv),
            "jsonl" => Ok(Self::Jsonl),
            _ => Err(ValidationError::field("format", "must be csv or jsonl")),
        }
    }
}

impl ExportFormat {
    /// The media type of the file.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Jsonl => "application/jsonl",
        }
    }

    /// The file name's extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Jsonl => "jsonl",
        }
    }
}

/// Events read per batch of an export.
const EXPORT_BATCH: u64 = 1_000;

/// The CSV file's columns.
const CSV_HEADER: [&str; 15] = [
    "date",
    "actor",
    "actor_type",
    "actor_id",
    "action",
    "summary",
    "target_type",
    "target_id",
    "target_name",
    "ip",
    "request_id",
    "user_agent",
    "seq",
    "id",
    "details",
];

/// An export under way: each [`Export::next_chunk`] reads the next batch of
/// events (oldest first) and answers it as text, so that a caller streams
/// the file with one batch in memory. The events are those of the log when
/// the export began: events appended meanwhile are left out.
pub struct Export {
    app: App,
    access: OrgAccess,
    query: EventQuery,
    after: Option<EventPosition>,
    format: ExportFormat,
    header_sent: bool,
    done: bool,
}

/// Starts an export of an organization's History. Needs `audit:read`.
pub async fn export(app: &App, access: &OrgAccess, filter: &HistoryFilter, format: ExportFormat) -> Result<Export> {
    access.require(Permission::AUDIT_READ)?;
    filter.check_range()?;
    let mut conn = app.db.conn().await?;
    let mut query = resolve(&mut conn, access, filter).await?;
    query.upto_seq = Some(audit_query::head_seq(&mut conn, access.org.id).await?);
    Ok(Export {
        app: app.clone(),
        access: access.clone(),
        query,
        after: None,
        format,
        header_sent: format != ExportFormat::Csv,
        done: false,
    })
}

impl Export {
    /// The file's media type.
    pub fn media_type(&self) -> &'static str {
        self.format.media_type()
    }

    /// A file name for the download (`acme-history.csv`).
    pub fn file_name(&self) -> String {
        format!("{}-history.{}", self.access.org.slug, self.format.extension())
    }

    /// The next part of the file, or `None` at its end.
    pub async fn next_chunk(&mut self) -> Result<Option<String>> {
        if self.done {
            return Ok(None);
        }
        let mut out = String::new();
        if !self.header_sent {
            self.header_sent = true;
            out.push_str(&csv_record(&CSV_HEADER));
        }
        let mut conn = self.app.db.conn().await?;
        let rows = audit_query::list_events(
            &mut conn,
            self.access.org.id,
            &self.query,
            ReadFrom { after: self.after, newer: true },
            EXPORT_BATCH,
        )
        .await?;
        if (rows.len() as u64) < EXPORT_BATCH {
            self.done = true;
        }
        self.after = rows.last().map(EventRow::position).or(self.after);
        for item in items(&mut conn, &self.access, rows).await? {
            match self.format {
                ExportFormat::Jsonl => {
                    out.push_str(&serde_json::to_string(&item).map_err(|e| AppError::Internal(e.to_string()))?);
                    out.push('\n');
                }
                ExportFormat::Csv => out.push_str(&csv_record(&[
                    item.created_at.as_str(),
                    &item.actor.label,
                    &item.actor.kind,
                    &item.actor.id.map(|u| u.to_string()).unwrap_or_default(),
                    &item.action,
                    &item.details.summary,
                    &item.target.kind,
                    &item.target.id,
                    item.target.name.as_deref().unwrap_or(""),
                    item.context.ip.as_deref().unwrap_or(""),
                    item.context.request_id.as_deref().unwrap_or(""),
                    item.context.user_agent.as_deref().unwrap_or(""),
                    &item.seq.to_string(),
                    &item.id.to_string(),
                    &item.details.data.to_string(),
                ])),
            }
        }
        if out.is_empty() && self.done {
            return Ok(None);
        }
        Ok(Some(out))
    }
}
