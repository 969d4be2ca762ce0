//! `/api/v1/orgs/{org}/imports`: bulk import of members from a CSV or
//! spreadsheet file. Upload (multipart) → preview (every row checked, with
//! its outcome) → commit (applied in the background; poll the import for
//! its progress) → report. Every operation needs `members:create`; see
//! `roster_app::imports`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_app::imports::{ImportOptions, ImportView, ReportKind, RowPage, RowView};
use roster_domain::ValidationError;
use roster_domain::imports::columns::Column;
use roster_domain::imports::job::{Counts, ImportMode, ImportStatus, Outcome, RowResult};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, Meta, OrgApi, decode_json};
use crate::format::rfc3339;
use crate::query;
use crate::upload::{flag, read_upload};

/// The `{id}` of an import's paths.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ImportPath {
    /// The import's id.
    #[param(example = "01920000-0000-7000-8000-000000000000")]
    pub id: Uuid,
}

/// Where a header of the file goes.
#[derive(Serialize, ToSchema)]
pub struct ColumnItem {
    /// The header as the file has it.
    pub header: String,
    /// The column it goes to (`email`, `first_name`, `last_name`,
    /// `full_name`, `roles`, `products`, `password_hash`, `ignore`), or
    /// null while the mapping step has not placed it.
    #[schema(nullable, value_type = Option<String>, example = "email")]
    pub column: Option<String>,
}

/// The commit's progress.
#[derive(Serialize, ToSchema)]
pub struct Progress {
    /// Rows applied so far.
    pub applied: u64,
    /// Rows the commit applies in all (those to create or update).
    pub total: u64,
    /// Percent applied (0–100).
    #[schema(minimum = 0, maximum = 100)]
    pub percent: u64,
}

/// An import.
#[derive(Serialize, ToSchema)]
pub struct ImportItem {
    /// Its id.
    pub id: Uuid,
    /// `mapping` (some headers are not placed: answer with `POST …/mapping`),
    /// `preview` (every row checked: commit it), `committing`, `done`,
    /// `failed`, `discarded`.
    pub status: ImportStatus,
    /// The uploaded file's name.
    pub file_name: String,
    /// `create` (new members only) or `upsert` (create and update).
    pub mode: ImportMode,
    /// A dry run: previewed, never committed.
    pub dry_run: bool,
    /// A commit skips rows with errors (otherwise it needs none).
    pub skip_invalid: bool,
    /// New members are invited by email (otherwise added active).
    pub invite: bool,
    /// Rows per planned outcome.
    pub counts: Counts,
    /// Data rows in the file.
    pub rows_total: u64,
    /// The commit's progress.
    pub progress: Progress,
    /// Why the import failed, when it did.
    #[schema(nullable)]
    pub message: Option<String>,
    /// Who uploaded it (an email, or `cli`).
    pub created_by: String,
    /// When it was uploaded (RFC 3339).
    pub created_at: String,
    /// When its commit began (RFC 3339).
    #[schema(nullable)]
    pub committed_at: Option<String>,
    /// When it ended (RFC 3339).
    #[schema(nullable)]
    pub finished_at: Option<String>,
    /// The file's headers and where each goes.
    pub columns: Vec<ColumnItem>,
    /// Headers the mapping step asks about.
    pub unplaced: Vec<String>,
    /// Why the placement cannot be used yet (no Email column, a column placed twice).
    pub problems: Vec<String>,
}

impl From<ImportView> for ImportItem {
    fn from(v: ImportView) -> Self {
        let unplaced = v.unplaced();
        let percent = v.percent();
        Self {
            id: v.id,
            status: v.status,
            file_name: v.file_name,
            mode: v.options.mode,
            dry_run: v.options.dry_run,
            skip_invalid: v.options.skip_invalid,
            invite: v.options.invite,
            counts: v.counts,
            rows_total: v.rows_total,
            progress: Progress { applied: v.applied, total: v.to_apply, percent },
            message: v.message,
            created_by: v.created_by,
            created_at: rfc3339(v.created_at),
            committed_at: v.committed_at.map(rfc3339),
            finished_at: v.finished_at.map(rfc3339),
            columns: v
                .headers
                .into_iter()
                .zip(v.columns)
                .map(|(header, c)| ColumnItem { header, column: c.map(|c| c.as_str().to_string()) })
                .collect(),
            unplaced,
            problems: v.problems,
        }
    }
}

/// The organization's imports.
#[derive(Serialize, ToSchema)]
pub struct ImportList {
    /// The latest 100, newest first.
    pub imports: Vec<ImportItem>,
}

/// The upload's form (`multipart/form-data`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportUpload {
    /// The file: CSV (UTF-8 with or without BOM, UTF-16 with BOM or
    /// Windows-1252; comma, semicolon or tab), XLSX, XLS or ODS.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// `create` (the default) or `upsert`.
    #[schema(value_type = Option<String>, example = "create")]
    pub mode: Option<String>,
    /// `true`: preview only, never committed.
    #[schema(value_type = Option<bool>)]
    pub dry_run: Option<String>,
    /// `true`: a commit skips rows with errors.
    #[schema(value_type = Option<bool>)]
    pub skip_invalid: Option<String>,
    /// `true`: new members are invited by email.
    #[schema(value_type = Option<bool>)]
    pub invite: Option<String>,
}

/// Uploads a file to import: it is read, its headers placed (by name,
/// with common synonyms, and the organization's earlier answers) and,
/// when all are placed, every row is checked against the organization:
/// nothing is written but the import. Answers 201 with the import, in
/// `preview` (or `mapping` when headers need placing). A file that cannot
/// be read is 422 naming `file`. Needs `members:create` (`members:update`
/// for `upsert`, `invitations:create` to invite).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/imports", tag = "imports",
    request_body(content = ImportUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = ImportItem)))]
pub async fn upload_import(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    req: Request,
) -> ApiResult<(StatusCode, Json<ImportItem>)> {
    access.require(roster_app::access::Permission::MEMBERS_CREATE)?;
    let upload = read_upload(req, &state, state.app.config.import_max_bytes).await?;
    let options = options_of(&upload.fields)?;
    let view =
        roster_app::imports::upload(&state.app, &access, &upload.file_name, upload.bytes, options, &meta).await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// The upload's options from its form fields.
pub(crate) fn options_of(fields: &BTreeMap<String, String>) -> Result<ImportOptions, roster_app::AppError> {
    let mode = match fields.get("mode").map(|m| m.trim()).filter(|m| !m.is_empty()) {
        Some(m) => ImportMode::parse_loose(m)?,
        None => ImportMode::Create,
    };
    Ok(ImportOptions {
        mode,
        dry_run: flag(fields, "dry_run")?,
        skip_invalid: flag(fields, "skip_invalid")?,
        invite: flag(fields, "invite")?,
    })
}

/// Lists the organization's imports, newest first (the latest 100), with
/// who ran them, when, and their counts. Needs `members:create`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/imports", tag = "imports",
    responses((status = 200, body = ImportList)))]
pub async fn list_imports(State(state): State<AppState>, OrgApi { access, .. }: OrgApi) -> ApiResult<Json<ImportList>> {
    let list = roster_app::imports::list(&state.app, &access).await?;
    Ok(Json(ImportList { imports: list.into_iter().map(Into::into).collect() }))
}

/// One import: its status, counts and, while committing, its progress.
/// Needs `members:create`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/imports/{id}", tag = "imports",
    params(ImportPath), responses((status = 200, body = ImportItem)))]
pub async fn get_import(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<ImportItem>> {
    let id = query::id::<Uuid>(&id, "import")?;
    Ok(Json(roster_app::imports::get(&state.app, &access, id).await?.into()))
}

/// A row of an import.
#[derive(Serialize, ToSchema)]
pub struct RowItem {
    /// Its line in the file (1-based; the header is a line too).
    pub line: u64,
    /// The address.
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Roles as the row gives them ("; "-joined; "" for none).
    pub roles: String,
    /// Products (keys, "; "-joined).
    pub products: String,
    /// What checking planned: `create`, `update`, `unchanged`, `error`.
    pub outcome: Outcome,
    /// Why (an error's reason, or a note).
    pub reason: String,
    /// The cell at fault ("C7"), or "".
    pub cell: String,
    /// What the commit did: `created`, `updated`, `unchanged`, `skipped`, `failed`; null before.
    #[schema(nullable)]
    pub result: Option<RowResult>,
}

impl From<RowView> for RowItem {
    fn from(r: RowView) -> Self {
        Self {
            line: r.line,
            email: r.email,
            first_name: r.first_name,
            last_name: r.last_name,
            roles: r.roles,
            products: r.products,
            outcome: r.outcome,
            reason: r.reason,
            cell: r.cell,
            result: r.result,
        }
    }
}

/// A page of rows.
#[derive(Serialize, ToSchema)]
pub struct RowList {
    /// The rows, in line order.
    pub rows: Vec<RowItem>,
    /// Pass as `cursor` for the next page; null at the end.
    #[schema(nullable)]
    pub next_cursor: Option<String>,
}

impl From<RowPage> for RowList {
    fn from(p: RowPage) -> Self {
        Self { rows: p.rows.into_iter().map(Into::into).collect(), next_cursor: p.next.map(|n| n.to_string()) }
    }
}

/// The rows' query.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RowParams {
    /// Only rows of this outcome (`error` for the rows to fix).
    pub outcome: Option<Outcome>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Rows per page (1–1,000; 100 by default).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
}

/// A page of an import's rows with their outcomes, in line order;
/// `outcome=error` lists the rows to fix. Needs `members:create`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/imports/{id}/rows", tag = "imports",
    params(ImportPath, RowParams), responses((status = 200, body = RowList)))]
pub async fn list_rows(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Path((_, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<RowList>> {
    access.require(roster_app::access::Permission::MEMBERS_CREATE)?;
    let id = query::id::<Uuid>(&id, "import")?;
    let params: RowParams = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|e| ValidationError::field("query", format!("could not be read: {e}")))?;
    let after = match params.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => {
            Some(c.parse::<u64>().map_err(|_| ValidationError::field("cursor", "is not a cursor of this list"))?)
        }
        None => None,
    };
    let limit = params.limit.unwrap_or(roster_app::imports::ROWS_PAGE);
    if !(1..=1000).contains(&limit) {
        return Err(ValidationError::field("limit", "must be between 1 and 1000").into());
    }
    let page = roster_app::imports::rows(&state.app, &access, id, params.outcome, after, limit).await?;
    Ok(Json(page.into()))
}

/// Answers to the mapping step.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MappingBody {
    /// Header (as the file has it) → column (`email`, `first_name`,
    /// `last_name`, `full_name`, `roles`, `products`, `password_hash`, or
    /// `ignore`). Remembered for the organization's next uploads.
    #[schema(example = json!({"Dept": "ignore", "Mail": "email"}))]
    pub columns: BTreeMap<String, String>,
}

/// Places headers the upload could not place (the mapping step); once all
/// are placed, every row is checked and the import is in `preview`. The
/// answers are remembered for the next uploads. Needs `members:create`.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/imports/{id}/mapping", tag = "imports",
    params(ImportPath), request_body = MappingBody,
    responses((status = 200, body = ImportItem), (status = 409, body = Problem)))]
pub async fn answer_mapping(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<MappingBody>,
) -> ApiResult<Json<ImportItem>> {
    let id = query::id::<Uuid>(&id, "import")?;
    let answers = columns_of(&body.columns)?;
    Ok(Json(roster_app::imports::answer_mapping(&state.app, &access, id, &answers, &meta).await?.into()))
}

/// Header → column words read into columns, each bad word named.
pub(crate) fn columns_of(words: &BTreeMap<String, String>) -> Result<BTreeMap<String, Column>, ValidationError> {
    let mut errors = ValidationError { errors: vec![] };
    let mut out = BTreeMap::new();
    for (h, w) in words {
        match Column::parse(w.trim()) {
            Some(c) => {
                out.insert(h.clone(), c);
            }
            None => errors.merge(ValidationError::field(
                format!("columns.{h}"),
                "must be one of email, first_name, last_name, full_name, roles, products, password_hash, ignore",
            )),
        }
    }
    if errors.errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// The commit's options.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CommitBody {
    /// Skip rows with errors (overrides the upload's choice); otherwise a
    /// commit with rows in error is refused (409) and writes nothing.
    pub skip_invalid: Option<bool>,
}

/// Commits a previewed import: every row is checked again against the
/// organization as it is now; with rows in error and `skip_invalid` not
/// set, 409 and nothing is written. Otherwise answers 202 with the import
/// `committing`: the rows are applied in the background, in batches (poll
/// `GET …/imports/{id}` for the progress), one audit event per member.
/// Needs `members:create` (and what the upload's options need).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/imports/{id}/commit", tag = "imports",
    params(ImportPath), request_body(content = CommitBody, description = "Optional"),
    responses((status = 202, body = ImportItem), (status = 409, body = Problem)))]
pub async fn commit_import(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let id = query::id::<Uuid>(&id, "import")?;
    let body: CommitBody = if body.iter().all(u8::is_ascii_whitespace) {
        CommitBody::default()
    } else {
        match decode_json(&body) {
            Ok(b) => b,
            Err(p) => return Ok(p.into_response()),
        }
    };
    let view = roster_app::imports::commit(&state.app, &access, id, body.skip_invalid, &meta).await?;
    Ok((StatusCode::ACCEPTED, Json(ImportItem::from(view))).into_response())
}

/// Discards an import that was not committed (its file is forgotten).
/// Needs `members:create`.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/imports/{id}/discard", tag = "imports",
    params(ImportPath), responses((status = 200, body = ImportItem), (status = 409, body = Problem)))]
pub async fn discard_import(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<ImportItem>> {
    let id = query::id::<Uuid>(&id, "import")?;
    Ok(Json(roster_app::imports::discard(&state.app, &access, id, &meta).await?.into()))
}

/// An import's rows as a CSV attachment (the check comes first, so that a
/// malformed id answers 403 to whoever may not import, like a missing one).
async fn rows_csv(
    state: &AppState,
    access: &roster_app::access::OrgAccess,
    id: &str,
    kind: ReportKind,
) -> ApiResult<Response> {
    access.require(roster_app::access::Permission::MEMBERS_CREATE)?;
    let id = query::id::<Uuid>(id, "import")?;
    let (name, bytes) = roster_app::imports::report_csv(&state.app, access, id, kind).await?;
    Ok(crate::download::file(crate::download::CSV, &name, bytes))
}

/// Every row of the import with its outcome and, once committed, its
/// result, as CSV (the report). Needs `members:create`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/imports/{id}/report.csv", tag = "imports",
    params(ImportPath),
    responses((status = 200, description = "The report, as an attachment",
        headers(("Content-Disposition" = String, description = "attachment; filename=\"people-report.csv\"")),
        content((String = "text/csv", example = "\u{feff}Row,Email,First name,Last name,Roles,Products,Outcome,Result,Cell,Reason\r\n2,ann@acme.test,Ann,Smith,User,,create,created,,\r\n")))))]
pub async fn report(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    rows_csv(&state, &access, &id, ReportKind::All).await
}

/// The rows in error, in the template's columns plus the error, as CSV:
/// fix them and upload the file again. Needs `members:create`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/imports/{id}/errors.csv", tag = "imports",
    params(ImportPath),
    responses((status = 200, description = "The rows in error, as an attachment",
        headers(("Content-Disposition" = String, description = "attachment; filename=\"people-errors.csv\"")),
        content((String = "text/csv", example = "\u{feff}Email,First name,Last name,Roles,Products,Error\r\nbob@,Bob,,,,'bob@' is not an email address (cell A3)\r\n")))))]
pub async fn error_rows(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    rows_csv(&state, &access, &id, ReportKind::Errors).await
}

/// The import template as CSV: the header row (Email, First name, Last
/// name, Roles, Products), UTF-8 with BOM. Needs `members:create`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/imports/template.csv", tag = "imports",
    responses((status = 200, description = "The template, as an attachment",
        headers(("Content-Disposition" = String, description = "attachment; filename=\"roster-import-template.csv\"")),
        content((String = "text/csv", example = "\u{feff}Email,First name,Last name,Roles,Products\r\n")))))]
pub async fn template_csv(OrgApi { access, .. }: OrgApi) -> ApiResult<Response> {
    let bytes = roster_app::imports::template_csv(&access)?;
    Ok(crate::download::file(crate::download::CSV, "roster-import-template.csv", bytes))
}

/// The import template as XLSX: a note row, the header row, and drop-down
/// lists of the organization's roles and subscribed products. Needs
/// `members:create`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/imports/template.xlsx", tag = "imports",
    responses((status = 200, description = "The template, as an attachment",
        headers(("Content-Disposition" = String, description = "attachment; filename=\"roster-import-template.xlsx\"")),
        content((String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))))]
pub async fn template_xlsx(State(state): State<AppState>, OrgApi { access, .. }: OrgApi) -> ApiResult<Response> {
    let bytes = roster_app::imports::template_xlsx(&state.app, &access).await?;
    Ok(crate::download::file(crate::download::XLSX, "roster-import-template.xlsx", bytes))
}
