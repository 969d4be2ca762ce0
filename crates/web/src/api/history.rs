//! `/api/v1/orgs/{org}/audit`: the organization's History (its audit
//! log), a page at a time, and its export as CSV or JSON Lines.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use roster_domain::history::EventItem;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::OrgApi;
use crate::query::{self, Strictness};

/// A page of events, newest first.
#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    /// The events, newest first.
    pub items: Vec<EventItem>,
    /// Pass as `cursor` for the next page (older events); null on the oldest page.
    pub next_cursor: Option<String>,
    /// Pass as `cursor` for the previous page (newer events); null on the newest page.
    pub prev_cursor: Option<String>,
}

/// The filters of the list and of the export (documentation of what
/// [`query::history_list`] reads). Filters combine with AND.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct AuditFilterParams {
    /// Who acted: a user's id, an email address (the member who has it now, or else events whose
    /// actor was shown with it), or an actor label such as `cli` or `system`.
    #[param(example = "olivia@acme.test")]
    actor: Option<String>,
    /// One action (`member.disabled`) or a group of actions, the name before the dot: `member`,
    /// `role`, `invitation`, `session`, `organization`, `user` (plurals work too: `members`).
    #[param(example = "member")]
    action: Option<String>,
    /// What was acted on: an id (a member's user id, a role's id, the organization's id) or a
    /// member's email address.
    #[param(example = "bob@acme.test")]
    target: Option<String>,
    /// The earliest date, inclusive: `2026-11-01` (UTC) or an RFC 3339 time.
    #[param(example = "2026-11-01")]
    from: Option<String>,
    /// The latest date, inclusive: `2026-11-30` (through the end of that day, UTC) or an RFC 3339 time.
    #[param(example = "2026-11-30")]
    to: Option<String>,
}

/// Paging of the list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct AuditPageParams {
    /// A `next_cursor` or `prev_cursor` of an earlier answer with the same filters.
    cursor: Option<String>,
    /// Events per page, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

/// The export's format.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct AuditExportParams {
    /// `csv` (a header row; cells beginning with =, +, -, @, a tab or a carriage return start with
    /// a `'` so that no spreadsheet runs them) or `jsonl` (one event per line, as the list shows it).
    #[param(pattern = "^(csv|jsonl)$")]
    format: String,
}

/// The organization's History: audit events newest first (by date, then by
/// chain position), filtered, paged by cursor. Needs `audit:read`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/audit", tag = "audit",
    params(AuditFilterParams, AuditPageParams),
    responses((status = 200, body = AuditPage)))]
pub async fn list_audit(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<AuditPage>> {
    roster_app::history::require_read(&access)?;
    let (req, _) = query::history_list(raw.as_deref(), Strictness::Strict, false)?;
    let page = roster_app::history::list(&state.app, &access, &req).await?;
    Ok(Json(AuditPage { items: page.items, next_cursor: page.next_cursor, prev_cursor: page.prev_cursor }))
}

/// Exports the organization's History (with the same filters as the list),
/// oldest first, as CSV or JSON Lines, streamed: the file is written a batch
/// at a time, whatever its size. The events are those of the log when the
/// export began. Needs `audit:read`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/audit/export", tag = "audit",
    params(AuditFilterParams, AuditExportParams),
    responses((status = 200, description = "The file, as an attachment",
        headers(("Content-Disposition" = String, description = "attachment; filename=\"{org}-history.csv\" (or .jsonl)")),
        content(
            (String = "text/csv", example = "date,actor,actor_type,actor_id,action,summary,target_type,target_id,target_name,ip,request_id,user_agent,seq,id,details\r\n2026-11-22T14:05:09.123Z,olivia@acme.test,user,01936f3e-0000-7000-8000-000000000001,member.disabled,Status changed from Active to Disabled,member,01936f3e-0000-7000-8000-000000000002,'-Bob,203.0.113.7,5f0c2a9e,Mozilla/5.0,1042,01936f3e-8a4b-7c2d-9e1f-0a1b2c3d4e5f,\"{\"\"before\"\":{\"\"status\"\":\"\"active\"\"},\"\"after\"\":{\"\"status\"\":\"\"disabled\"\"}}\"\r\n"),
            (String = "application/jsonl", example = "{\"id\":\"01936f3e-8a4b-7c2d-9e1f-0a1b2c3d4e5f\",\"seq\":1042,\"action\":\"member.disabled\",\"…\":\"…\"}\n")
        ))))]
pub async fn export_audit(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    roster_app::history::require_read(&access)?;
    let (req, format) = query::history_list(raw.as_deref(), Strictness::Strict, true)?;
    let format = format.unwrap_or(roster_app::history::ExportFormat::Csv);
    let export = roster_app::history::export(&state.app, &access, &req.filter, format).await?;
    Ok(crate::download::history_export(export))
}
