//! Bulk import in the UI (seed 004): the Import tab (the templates, the
//! upload form, the past imports) and an import's page, which follows it
//! through its steps: the mapping step, the preview of every row, the
//! commit's progress (htmx polls a fragment; without JavaScript the page
//! refreshes itself) and the outcome with its report. Every handler needs
//! `members:create` (see `roster_app::imports`), which the app checks.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, RawQuery, Request};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect};
use roster_app::AppError;
use roster_app::access::Permission;
use roster_app::imports::{ImportOptions, ImportView, ReportKind, RowView};
use roster_domain::imports::columns::Column;
use roster_domain::imports::job::{ImportMode, ImportStatus, Outcome};
use uuid::Uuid;

use crate::extract::Meta;
use crate::format;
use crate::ui::form::{Pairs, field, fields};
use crate::ui::{FormErrors, Frame, OrgPage, TabKey, UiResult, redirect_with_flash};
use crate::upload::{Upload, flag, read_upload_form};

/// What the upload form holds, as chosen (a file input cannot be kept).
struct UploadForm {
    upsert: bool,
    skip_invalid: bool,
    invite: bool,
    dry_run: bool,
}

impl UploadForm {
    fn from_fields(fields: &BTreeMap<String, String>) -> Self {
        let on = |name| flag(fields, name).unwrap_or(false);
        Self {
            upsert: fields.get("mode").is_some_and(|m| ImportMode::parse_loose(m) == Ok(ImportMode::Upsert)),
            skip_invalid: on("skip_invalid"),
            invite: on("invite"),
            dry_run: on("dry_run"),
        }
    }

    fn options(&self) -> ImportOptions {
        ImportOptions {
            mode: if self.upsert { ImportMode::Upsert } else { ImportMode::Create },
            dry_run: self.dry_run,
            skip_invalid: self.skip_invalid,
            invite: self.invite,
        }
    }
}

/// A past import on the Import tab.
struct PastImport {
    id: String,
    file_name: String,
    created_by: String,
    created: String,
    status: &'static str,
    status_label: &'static str,
    counts: String,
    dry_run: bool,
    has_report: bool,
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    frame: Frame,
    form: UploadForm,
    /// Whether "Create and update existing members" can be chosen (members:update).
    can_update: bool,
    /// Whether "Invite new members by email" can be chosen (invitations:create).
    can_invite: bool,
    /// The largest file read, in bytes and in MB.
    max_bytes: usize,
    max_mb: usize,
    file_error: Option<String>,
    form_error: Option<String>,
    imports: Vec<PastImport>,
}

/// A status in words, for the pages.
fn status_label(s: ImportStatus) -> &'static str {
    match s {
        ImportStatus::Mapping => "Columns to choose",
        ImportStatus::Preview => "Preview",
        ImportStatus::Committing => "Committing",
        ImportStatus::Done => "Done",
        ImportStatus::Failed => "Failed",
        ImportStatus::Discarded => "Discarded",
    }
}

/// The counts in one line: "3 to create · 1 error".
fn counts_line(v: &ImportView) -> String {
    let c = v.counts;
    let mut parts = Vec::new();
    for (n, words) in [(c.create, "to create"), (c.update, "to update"), (c.unchanged, "unchanged")] {
        if n > 0 {
            parts.push(format!("{} {words}", format::count(n)));
        }
    }
    match c.error {
        0 => {}
        1 => parts.push("1 error".into()),
        n => parts.push(format!("{} errors", format::count(n))),
    }
    if parts.is_empty() { format!("{} rows", format::count(v.rows_total)) } else { parts.join(" · ") }
}

fn past(v: ImportView) -> PastImport {
    PastImport {
        id: v.id.to_string(),
        counts: counts_line(&v),
        file_name: v.file_name,
        created_by: v.created_by,
        created: format::date_time(v.created_at),
        status: v.status.as_str(),
        status_label: status_label(v.status),
        dry_run: v.options.dry_run,
        has_report: !matches!(v.status, ImportStatus::Mapping | ImportStatus::Discarded),
    }
}

/// The Import tab, with the form as chosen and its errors.
async fn imports_view(page: &OrgPage, form: UploadForm, errors: FormErrors) -> UiResult {
    let imports = match roster_app::imports::list(page.app(), &page.access).await {
        Ok(list) => list,
        Err(e) => return page.refusal_in_frame(TabKey::Imports, "You cannot import members", e).await,
    };
    let view = ImportsPage {
        frame: page.frame(TabKey::Imports).await?,
        form,
        can_update: page.access.can(Permission::MEMBERS_UPDATE),
        can_invite: roster_app::invitations::may_invite(&page.access),
        max_bytes: page.app().config.import_max_bytes,
        max_mb: page.app().config.import_max_bytes / (1024 * 1024),
        file_error: errors.field("file"),
        form_error: errors.form.clone(),
        imports: imports.into_iter().map(past).collect(),
    };
    page.render(errors.status, &view)
}

/// The Import tab: the templates, the upload form and the past imports.
/// Needs members:create.
pub async fn imports_page(page: OrgPage) -> UiResult {
    let form = UploadForm { upsert: false, skip_invalid: false, invite: false, dry_run: false };
    imports_view(&page, form, FormErrors { status: StatusCode::OK, ..Default::default() }).await
}

/// "Read file": reads the upload (multipart, its CSRF token its first
/// part) and, once read, goes on to the import's page: the mapping step
/// or the preview. A file that cannot be read shows the form again with
/// the options as chosen and the reason beside the file. Needs
/// members:create (members:update to update, invitations:create to invite).
pub async fn upload_submit(page: OrgPage, Meta(meta): Meta, req: Request) -> UiResult {
    if let Err(e) = page.access.require(Permission::MEMBERS_CREATE) {
        return page.refusal_in_frame(TabKey::Imports, "You cannot import members", e).await;
    }
    let (upload, refusal) = read_upload_form(req, &page.state, page.app().config.import_max_bytes).await;
    let form = UploadForm::from_fields(&upload.fields);
    let outcome = match refusal {
        Some(e) => Err(e),
        None => upload_file(&page, upload, form.options(), &meta).await,
    };
    match outcome {
        Ok(view) => Ok(Redirect::to(&page.links.import(&view.id.to_string())).into_response()),
        Err(e) => {
            let mut errors = FormErrors::from_refusal(e, &["file"])?;
            if let Some(why) = errors.fields.get_mut("file") {
                why.push_str(". Choose the file again.");
            }
            imports_view(&page, form, errors).await
        }
    }
}

async fn upload_file(
    page: &OrgPage,
    upload: Upload,
    options: ImportOptions,
    meta: &roster_app::RequestMeta,
) -> Result<ImportView, AppError> {
    if upload.file_name.is_empty() && upload.bytes.is_empty() {
        return Err(roster_domain::ValidationError::field("file", "choose a file to read").into());
    }
    roster_app::imports::upload(page.app(), &page.access, &upload.file_name, upload.bytes, options, meta).await
}

/// The template as CSV. Needs members:create.
pub async fn template_csv(page: OrgPage) -> UiResult {
    let bytes = roster_app::imports::template_csv(&page.access)?;
    Ok(crate::download::file(crate::download::CSV, "roster-import-template.csv", bytes))
}

/// The template as XLSX, with drop-down lists of the organization's roles
/// and products. Needs members:create.
pub async fn template_xlsx(page: OrgPage) -> UiResult {
    let bytes = roster_app::imports::template_xlsx(page.app(), &page.access).await?;
    Ok(crate::download::file(crate::download::XLSX, "roster-import-template.xlsx", bytes))
}

fn import_id(id: &str) -> Result<Uuid, AppError> {
    crate::query::id(id, "import")
}

/// The commit's progress, as the page and its polled fragment show it.
pub struct ProgressPart {
    href: String,
    applied: u64,
    /// At least 1, so that the bar is a bar.
    max: u64,
    to_apply: u64,
    percent: u64,
}

fn progress_of(page: &OrgPage, v: &ImportView) -> ProgressPart {
    ProgressPart {
        href: page.links.import_progress(&v.id.to_string()),
        applied: v.applied,
        max: v.to_apply.max(1),
        to_apply: v.to_apply,
        percent: v.percent(),
    }
}

/// An unplaced header of the mapping step and its choices.
struct MappingField {
    header: String,
    /// (value, label) of every column.
    choices: Vec<(&'static str, &'static str)>,
}

/// A row of the preview or the outcome.
struct RowLine {
    line: u64,
    email: String,
    first_name: String,
    last_name: String,
    roles: String,
    products: String,
    outcome: &'static str,
    outcome_label: &'static str,
    reason: String,
    cell: String,
    result: &'static str,
}

fn row_line(r: RowView) -> RowLine {
    RowLine {
        line: r.line,
        email: r.email,
        first_name: r.first_name,
        last_name: r.last_name,
        roles: r.roles,
        products: r.products,
        outcome: r.outcome.as_str(),
        outcome_label: r.outcome.label(),
        reason: r.reason,
        cell: r.cell,
        result: r.result.map(|r| r.as_str()).unwrap_or(""),
    }
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    frame: Frame,
    id: String,
    file_name: String,
    status: &'static str,
    status_label: &'static str,
    mode_label: &'static str,
    dry_run: bool,
    invite: bool,
    skip_invalid: bool,
    counts: roster_domain::imports::job::Counts,
    rows_total: u64,
    message: Option<String>,
    created_by: String,
    created: String,
    finished: Option<String>,
    /// The headers placed already: (header, column label).
    placed: Vec<(String, &'static str)>,
    mapping: Vec<MappingField>,
    problems: Vec<String>,
    progress: ProgressPart,
    /// `error` when only the rows in error are shown.
    outcome: String,
    rows: Vec<RowLine>,
    all_href: String,
    errors_only_href: String,
    next_href: Option<String>,
    /// Whether any row has its result (the commit ran).
    has_results: bool,
}

/// The page's query: `outcome=error` and the `after` line of the next page.
fn row_query(raw: Option<&str>) -> (Option<Outcome>, Option<u64>) {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    (get("outcome").and_then(Outcome::parse), get("after").and_then(|a| a.parse().ok()))
}

/// One import's page: the mapping step, the preview with its rows (all,
/// or the errors only; 100 a page), the commit's progress, or the outcome
/// with the report. Needs members:create.
pub async fn import_page(page: OrgPage, Path((_, id)): Path<(String, String)>, RawQuery(raw): RawQuery) -> UiResult {
    let iid = import_id(&id)?;
    let v = match roster_app::imports::get(page.app(), &page.access, iid).await {
        Ok(v) => v,
        Err(e) => return page.refusal_in_frame(TabKey::Imports, "You cannot import members", e).await,
    };
    let (outcome, after) = row_query(raw.as_deref());
    let rows = match v.status {
        ImportStatus::Mapping | ImportStatus::Discarded => roster_app::imports::RowPage { rows: vec![], next: None },
        _ => {
            roster_app::imports::rows(page.app(), &page.access, iid, outcome, after, roster_app::imports::ROWS_PAGE)
                .await?
        }
    };
    let base = page.links.import(&id);
    let outcome_word = outcome.map(|o| o.as_str().to_string()).unwrap_or_default();
    let next_href = rows.next.map(|n| match outcome {
        Some(o) => format!("{base}?outcome={}&after={n}", o.as_str()),
        None => format!("{base}?after={n}"),
    });
    let placed = v.headers.iter().zip(&v.columns).filter_map(|(h, c)| c.map(|c| (h.clone(), c.label()))).collect();
    let mapping = v
        .unplaced()
        .into_iter()
        .map(|header| MappingField { header, choices: Column::ALL.iter().map(|c| (c.as_str(), c.label())).collect() })
        .collect();
    let has_results = rows.rows.iter().any(|r| r.result.is_some());
    let view = ImportPage {
        frame: page.frame(TabKey::Imports).await?,
        id: v.id.to_string(),
        status: v.status.as_str(),
        status_label: status_label(v.status),
        mode_label: v.options.mode.label(),
        dry_run: v.options.dry_run,
        invite: v.options.invite,
        skip_invalid: v.options.skip_invalid,
        counts: v.counts,
        rows_total: v.rows_total,
        message: v.message.clone(),
        created_by: v.created_by.clone(),
        created: format::date_time(v.created_at),
        finished: v.finished_at.map(format::date_time),
        placed,
        mapping,
        problems: v.problems.clone(),
        progress: progress_of(&page, &v),
        outcome: outcome_word,
        rows: rows.rows.into_iter().map(row_line).collect(),
        errors_only_href: format!("{base}?outcome=error"),
        all_href: base,
        next_href,
        has_results,
        file_name: v.file_name,
    };
    page.render(StatusCode::OK, &view)
}

#[derive(Template)]
#[template(path = "_import_progress.html")]
struct ProgressFragment {
    progress: ProgressPart,
}

/// The progress bar, which htmx polls every second while the import
/// commits; once it has ended, `HX-Refresh` reloads the whole page (the
/// outcome and the rows' results). Needs members:create.
pub async fn progress_fragment(page: OrgPage, Path((_, id)): Path<(String, String)>) -> UiResult {
    let v = roster_app::imports::get(page.app(), &page.access, import_id(&id)?).await?;
    let mut res = page.render(StatusCode::OK, &ProgressFragment { progress: progress_of(&page, &v) })?;
    if v.status != ImportStatus::Committing {
        res.headers_mut().insert("hx-refresh", HeaderValue::from_static("true"));
    }
    Ok(res)
}

/// Back to the import's page with what was done, or with why it was
/// refused when a person can act on it; other errors are the error page.
fn back_to(page: &OrgPage, id: &str, outcome: Result<String, AppError>) -> UiResult {
    let back = page.links.import(id);
    match outcome {
        Err(AppError::Validation(v)) => {
            let why: Vec<String> = v.errors.iter().map(|e| format!("{} {}", e.field, e.message)).collect();
            Ok(redirect_with_flash(&back, "error", &why.join("; ")))
        }
        other => crate::ui::after_action(&back, other),
    }
}

/// Answers the mapping step: each `header` with the `column` chosen
/// beside it (none chosen: asked again). Needs members:create.
pub async fn mapping_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    Form(pairs): Form<Pairs>,
) -> UiResult {
    let iid = import_id(&id)?;
    let answers: BTreeMap<String, Column> = fields(&pairs, "header")
        .into_iter()
        .zip(fields(&pairs, "column"))
        .filter_map(|(h, c)| Column::parse(c).map(|c| (h.to_string(), c)))
        .collect();
    let outcome = roster_app::imports::answer_mapping(page.app(), &page.access, iid, &answers, &meta).await.map(|v| {
        match v.status {
            ImportStatus::Mapping => "Saved. Some columns still need a place.".to_string(),
            _ => format!("Every column is placed: {} checked.", counts_line(&v)),
        }
    });
    back_to(&page, &id, outcome)
}

/// Commits a previewed import ("skip rows with errors" when the form
/// offered it); on to its page, which shows the progress. A commit refused
/// (rows with errors not skipped, a dry run) says why there. Needs
/// members:create.
pub async fn commit_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    Form(pairs): Form<Pairs>,
) -> UiResult {
    let iid = import_id(&id)?;
    let skip = (field(&pairs, "skip_offered") == "1").then(|| field(&pairs, "skip_invalid") == "on");
    let outcome = roster_app::imports::commit(page.app(), &page.access, iid, skip, &meta)
        .await
        .map(|v| format!("Importing {} rows…", format::count(v.to_apply)));
    back_to(&page, &id, outcome)
}

/// Discards an import not committed; back to the Import tab. Needs
/// members:create.
pub async fn discard_submit(page: OrgPage, Meta(meta): Meta, Path((_, id)): Path<(String, String)>) -> UiResult {
    let iid = import_id(&id)?;
    match roster_app::imports::discard(page.app(), &page.access, iid, &meta).await {
        Ok(v) => Ok(redirect_with_flash(&page.links.imports(), "ok", &format!("{} was discarded.", v.file_name))),
        Err(e) => back_to(&page, &id, Err(e)),
    }
}

async fn rows_csv(page: OrgPage, id: &str, kind: ReportKind) -> UiResult {
    let (name, bytes) = roster_app::imports::report_csv(page.app(), &page.access, import_id(id)?, kind).await?;
    Ok(crate::download::file(crate::download::CSV, &name, bytes))
}

/// Every row with its outcome and result, as CSV. Needs members:create.
pub async fn report_download(page: OrgPage, Path((_, id)): Path<(String, String)>) -> UiResult {
    rows_csv(page, &id, ReportKind::All).await
}

/// The rows in error, as CSV to fix and upload again. Needs members:create.
pub async fn errors_download(page: OrgPage, Path((_, id)): Path<(String, String)>) -> UiResult {
    rows_csv(page, &id, ReportKind::Errors).await
}
