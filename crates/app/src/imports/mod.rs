//! Bulk import of members from a CSV or spreadsheet file, as a job.
//!
//! An upload reads the file ([`roster_domain::imports::file`]), places its
//! headers ([`roster_domain::imports::columns`]) and, once every header is
//! placed, checks every row against the organization before anything is
//! written ([`plan`]): the preview. A commit checks the rows again against
//! the organization as it is then and applies them in batches ([`apply`]),
//! each batch one transaction with its audit events and its rows marked
//! applied, so that a server killed mid-commit leaves a job another instance
//! (or this one, restarted) resumes, applying each row once.
//!
//! Architecture invariant: an import writes members only through a
//! [`Change`](crate::change::Change), with one audit event per member, and
//! no row is written before every row was checked.

mod apply;
mod plan;

use std::collections::BTreeMap;

use roster_domain::audit::{AuditAction, AuditEntry};
use roster_domain::imports::columns::{Column, Mapping, find_header_row, normalize_header};
use roster_domain::imports::file::{Limits, Sheet, read_file};
use roster_domain::imports::job::{Counts, ImportMode, ImportStatus, Outcome, RowResult};
use roster_domain::{OrgId, Timestamp, ValidationError};
use roster_store::imports::{self as store, ImportRecord, ImportRowRecord, NewImport, RowQuery};
use uuid::Uuid;

use crate::access::{OrgAccess, Permission};
use crate::change;
use crate::error::Result;
use crate::{App, AppError, ConflictKind, RequestMeta};

pub use apply::{resume_abandoned, run, spawn_worker};

/// How an upload is to be treated.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    /// Create only, or create and update.
    pub mode: ImportMode,
    /// Check and preview only: never committed.
    pub dry_run: bool,
    /// A commit skips bad rows (otherwise it needs every row good).
    pub skip_invalid: bool,
    /// New members are invited by email (otherwise they are added active).
    pub invite: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self { mode: ImportMode::Create, dry_run: false, skip_invalid: false, invite: false }
    }
}

/// An import as the pages and the API show it.
#[derive(Debug, Clone)]
pub struct ImportView {
    /// Its id.
    pub id: Uuid,
    /// Where it stands.
    pub status: ImportStatus,
    /// The file's name.
    pub file_name: String,
    /// The options chosen.
    pub options: ImportOptions,
    /// Rows per planned outcome.
    pub counts: Counts,
    /// Data rows in the file.
    pub rows_total: u64,
    /// Rows the commit applied so far.
    pub applied: u64,
    /// Rows the commit applies in all.
    pub to_apply: u64,
    /// Why it failed, if it did.
    pub message: Option<String>,
    /// Who uploaded it.
    pub created_by: String,
    /// When.
    pub created_at: Timestamp,
    /// When its commit began.
    pub committed_at: Option<Timestamp>,
    /// When it ended.
    pub finished_at: Option<Timestamp>,
    /// The file's header row.
    pub headers: Vec<String>,
    /// Where each header goes (`None`: not placed).
    pub columns: Vec<Option<Column>>,
    /// Why the placement cannot be used yet (the mapping step says so).
    pub problems: Vec<String>,
}

impl ImportView {
    /// Headers not placed yet (the mapping step asks about them).
    pub fn unplaced(&self) -> Vec<String> {
        self.headers.iter().zip(&self.columns).filter(|(_, c)| c.is_none()).map(|(h, _)| h.clone()).collect()
    }

    /// Percent of the commit applied (0–100).
    pub fn percent(&self) -> u64 {
        match self.status {
            ImportStatus::Done => 100,
            _ if self.to_apply == 0 => 0,
            _ => (self.applied * 100 / self.to_apply).min(100),
        }
    }
}

fn view_of(r: ImportRecord) -> ImportView {
    let headers: Vec<String> = serde_json::from_str(&r.headers).unwrap_or_default();
    let words: Vec<Option<String>> = serde_json::from_str(&r.mapping).unwrap_or_default();
    let columns: Vec<Option<Column>> = headers
        .iter()
        .enumerate()
        .map(|(i, _)| words.get(i).cloned().flatten().and_then(|w| Column::parse(&w)))
        .collect();
    let problems = match r.status {
        ImportStatus::Mapping => Mapping { headers: headers.clone(), columns: columns.clone() }.problems(),
        _ => Vec::new(),
    };
    ImportView {
        id: r.id,
        status: r.status,
        file_name: r.file_name,
        options: ImportOptions { mode: r.mode, dry_run: r.dry_run, skip_invalid: r.skip_invalid, invite: r.invite },
        counts: r.counts,
        rows_total: r.rows_total,
        applied: r.applied,
        to_apply: r.to_apply,
        message: r.message,
        created_by: r.created_by_label,
        created_at: r.created_at,
        committed_at: r.committed_at,
        finished_at: r.finished_at,
        headers,
        columns,
        problems,
    }
}

/// Whether the actor may import here (the Import page): `members:create`.
pub fn may_import(access: &OrgAccess) -> bool {
    access.can(Permission::MEMBERS_CREATE)
}

/// The permissions an import's options need besides `members:create`.
fn require_options(access: &OrgAccess, o: &ImportOptions) -> Result<()> {
    access.require(Permission::MEMBERS_CREATE)?;
    if o.mode == ImportMode::Upsert {
        access.require(Permission::MEMBERS_UPDATE)?;
    }
    if o.invite {
        access.require(Permission::INVITATIONS_CREATE)?;
    }
    Ok(())
}

fn limits(app: &App) -> Limits {
    Limits { max_bytes: app.config.import_max_bytes, max_rows: app.config.import_max_rows, ..Limits::default() }
}

/// Reads an uploaded file, with a file-level problem as a validation error of `file`.
fn read(app: &App, file_name: &str, bytes: &[u8]) -> Result<Sheet> {
    if bytes.is_empty() {
        return Err(ValidationError::field("file", "choose a file: the upload is empty").into());
    }
    read_file(file_name, bytes, &limits(app)).map_err(|e| ValidationError::field("file", e.to_string()).into())
}

/// The organization's remembered answers to the mapping step (normalized
/// header → column).
async fn placements(r: &mut impl roster_store::Reader, org: OrgId) -> Result<BTreeMap<String, Column>> {
    Ok(store::remembered(r, org).await?.into_iter().filter_map(|(h, c)| Column::parse(&c).map(|c| (h, c))).collect())
}

/// The header row and where each header goes.
fn place(sheet: &Sheet, remembered: &BTreeMap<String, Column>, max_rows: usize) -> Result<(usize, Mapping)> {
    let Some(at) = find_header_row(sheet, remembered) else {
        return Err(ValidationError::field(
            "file",
            "no header row naming an Email column was found in the first 10 rows: the first row should name the \
             columns (Email, First name, Last name, Roles, Products); download the template to start from",
        )
        .into());
    };
    let data_rows = sheet.rows.len().saturating_sub(at + 1);
    if data_rows > max_rows {
        return Err(ValidationError::field(
            "file",
            format!("the file has more than {max_rows} rows: split it, or ask the operator to raise import_max_rows"),
        )
        .into());
    }
    let headers: Vec<String> = sheet.rows[at].cells.clone();
    Ok((at, Mapping::place(&headers, remembered)))
}

fn mapping_json(m: &Mapping) -> String {
    serde_json::Value::from(m.columns.iter().map(|c| c.map(|c| c.as_str().to_string())).collect::<Vec<_>>()).to_string()
}

fn ready(m: &Mapping) -> bool {
    m.unplaced().is_empty() && m.problems().is_empty()
}

/// Uploads a file: reads it, places its headers and, when every header is
/// placed, checks every row (the preview). Writes nothing but the import
/// itself. Needs `members:create` (and `members:update` to update,
/// `invitations:create` to invite). A file that cannot be read is a 400
/// naming `file`; nothing is kept of it.
pub async fn upload(
    app: &App,
    access: &OrgAccess,
    file_name: &str,
    bytes: Vec<u8>,
    options: ImportOptions,
    meta: &RequestMeta,
) -> Result<ImportView> {
    require_options(access, &options)?;
    let file_name = clean_file_name(file_name);
    let sheet = read(app, &file_name, &bytes)?;
    let mut change = change::begin(app, access, Permission::MEMBERS_CREATE, meta).await?;
    let org = change.access.org.id;
    let remembered = placements(&mut change.tx, org).await?;
    let (at, mapping) = place(&sheet, &remembered, app.config.import_max_rows)?;
    let id = Uuid::now_v7();
    store::insert_import(
        &mut change.tx,
        org,
        &NewImport {
            id,
            status: if ready(&mapping) { ImportStatus::Preview } else { ImportStatus::Mapping },
            file_name: file_name.clone(),
            file_kind: format!("{:?}", sheet.kind).to_ascii_lowercase(),
            file_data: bytes,
            mode: options.mode,
            dry_run: options.dry_run,
            skip_invalid: options.skip_invalid,
            invite: options.invite,
            headers: serde_json::Value::from(mapping.headers.clone()).to_string(),
            mapping: mapping_json(&mapping),
            created_by: change.access.actor.user_id(),
            created_by_label: change.access.actor.label(),
            created_at: change.now,
        },
    )
    .await?;
    let entry = AuditEntry::new(AuditAction::ImportUploaded, id)
        .with("file", file_name.as_str())
        .with("mode", options.mode.as_str());
    check_and_commit(app, change, id, &sheet, (at, &mapping), options.mode, entry).await
}

/// Checks every row when every header is placed (the import is then in
/// `preview`), or leaves it waiting for the mapping step; records `entry`
/// with the counts, commits, and answers the import.
async fn check_and_commit(
    app: &App,
    mut change: change::Change<'_>,
    id: Uuid,
    sheet: &Sheet,
    (at, mapping): (usize, &Mapping),
    mode: ImportMode,
    mut entry: AuditEntry,
) -> Result<ImportView> {
    let org = change.access.org.id;
    if ready(mapping) {
        let counts = plan::plan_into(app, &mut change, id, sheet, at, mapping, mode).await?;
        entry = with_counts(entry, counts);
    } else {
        store::set_plan(&mut change.tx, org, id, ImportStatus::Mapping, &mapping_json(mapping), 0, Counts::default())
            .await?;
    }
    change.record(entry);
    let view = reread(&mut change.tx, org, id).await?;
    change.commit().await?;
    Ok(view)
}

fn with_counts(entry: AuditEntry, c: Counts) -> AuditEntry {
    entry.with("create", c.create).with("update", c.update).with("unchanged", c.unchanged).with("error", c.error)
}

async fn reread(r: &mut impl roster_store::Reader, org: OrgId, id: Uuid) -> Result<ImportView> {
    store::find_import(r, org, id).await?.map(view_of).ok_or(AppError::NotFound("import"))
}

/// A file name as kept and shown: its last path part, at most 200 characters.
fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name).trim();
    let base: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if base.is_empty() { "upload".into() } else { base }
}

/// Answers the mapping step: where each named header goes (header text →
/// column). The answers are remembered for the organization's next
/// uploads. Once every header is placed, every row is checked (the
/// preview). Needs `members:create`.
pub async fn answer_mapping(
    app: &App,
    access: &OrgAccess,
    id: Uuid,
    answers: &BTreeMap<String, Column>,
    meta: &RequestMeta,
) -> Result<ImportView> {
    access.require(Permission::MEMBERS_CREATE)?;
    let mut change = change::begin(app, access, Permission::MEMBERS_CREATE, meta).await?;
    let org = change.access.org.id;
    let import = store::find_import(&mut change.tx, org, id).await?.ok_or(AppError::NotFound("import"))?;
    if !matches!(import.status, ImportStatus::Mapping | ImportStatus::Preview) {
        return Err(AppError::conflict(
            ConflictKind::ImportState,
            format!("the import is {} already; its columns cannot change", import.status),
        ));
    }
    let headers: Vec<String> = serde_json::from_str(&import.headers).unwrap_or_default();
    for h in answers.keys() {
        if !headers.iter().any(|x| x == h) {
            return Err(ValidationError::field(format!("mapping.{h}"), "is not a header of the file").into());
        }
    }
    let remembered_answers: Vec<(String, String)> =
        answers.iter().map(|(h, c)| (normalize_header(h), c.as_str().to_string())).collect();
    store::remember(&mut change.tx, org, &remembered_answers).await?;
    let (sheet, at, mapping) = kept_file(app, &mut change, &import).await?;
    let entry = AuditEntry::new(AuditAction::ImportMapped, id)
        .with("file", import.file_name.as_str())
        .with("columns", answers.iter().map(|(h, c)| format!("{h} → {}", c.label())).collect::<Vec<_>>());
    check_and_commit(app, change, id, &sheet, (at, &mapping), import.mode, entry).await
}

/// The import's kept file read again, its header row and the placement of
/// its headers by the organization's remembered answers.
async fn kept_file(
    app: &App,
    change: &mut change::Change<'_>,
    import: &ImportRecord,
) -> Result<(Sheet, usize, Mapping)> {
    let org = change.access.org.id;
    let bytes = store::file_of(&mut change.tx, org, import.id).await?.ok_or(AppError::NotFound("import"))?;
    let sheet = read(app, &import.file_name, &bytes)?;
    let remembered = placements(&mut change.tx, org).await?;
    let (at, mapping) = place(&sheet, &remembered, app.config.import_max_rows)?;
    Ok((sheet, at, mapping))
}

/// One import. Needs `members:create`.
pub async fn get(app: &App, access: &OrgAccess, id: Uuid) -> Result<ImportView> {
    access.require(Permission::MEMBERS_CREATE)?;
    reread(&mut app.db.conn().await?, access.org.id, id).await
}

/// The organization's imports, newest first (at most 100). Needs `members:create`.
pub async fn list(app: &App, access: &OrgAccess) -> Result<Vec<ImportView>> {
    access.require(Permission::MEMBERS_CREATE)?;
    let rows = store::list_imports(&mut app.db.conn().await?, access.org.id, 100).await?;
    Ok(rows.into_iter().map(view_of).collect())
}

/// A row as the preview and the report show it.
#[derive(Debug, Clone)]
pub struct RowView {
    /// Its line in the file.
    pub line: u64,
    /// The address.
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Roles as given ("; "-joined; empty: none given).
    pub roles: String,
    /// Products as given.
    pub products: String,
    /// What checking planned.
    pub outcome: Outcome,
    /// Why (an error's reason, or a note).
    pub reason: String,
    /// The cell at fault ("C7"), or "".
    pub cell: String,
    /// What the commit did, once it did.
    pub result: Option<RowResult>,
}

fn row_view(r: ImportRowRecord) -> RowView {
    RowView {
        line: r.line,
        email: r.email,
        first_name: r.first_name,
        last_name: r.last_name,
        roles: r.roles.unwrap_or_default(),
        products: r.products.unwrap_or_default(),
        outcome: r.outcome,
        reason: r.reason,
        cell: r.cell,
        result: r.result,
    }
}

/// Rows per page of the preview.
pub const ROWS_PAGE: u64 = 100;

/// A page of an import's rows.
#[derive(Debug, Clone)]
pub struct RowPage {
    /// The rows, in line order.
    pub rows: Vec<RowView>,
    /// The line to read on from, when there are more.
    pub next: Option<u64>,
}

/// A page of an import's rows (of one outcome, when given), after `after`
/// (a line). Needs `members:create`.
pub async fn rows(
    app: &App,
    access: &OrgAccess,
    id: Uuid,
    outcome: Option<Outcome>,
    after: Option<u64>,
    limit: u64,
) -> Result<RowPage> {
    access.require(Permission::MEMBERS_CREATE)?;
    let mut conn = app.db.conn().await?;
    store::find_import(&mut conn, access.org.id, id).await?.ok_or(AppError::NotFound("import"))?;
    let limit = limit.clamp(1, 1_000);
    let mut rows = store::list_rows(
        &mut conn,
        access.org.id,
        id,
        RowQuery { outcome, pending: false, after_line: after },
        limit + 1,
    )
    .await?;
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.line)
    } else {
        None
    };
    Ok(RowPage { rows: rows.into_iter().map(row_view).collect(), next })
}

/// Commits a previewed import: checks every row again against the
/// organization as it is now, refuses (409) when rows have errors and bad
/// rows are not skipped, then starts applying the rows in the background
/// (see [`run`]); answers the import, `committing`. `skip_invalid` given
/// here overrides the upload's choice.
pub async fn commit(
    app: &App,
    access: &OrgAccess,
    id: Uuid,
    skip_invalid: Option<bool>,
    meta: &RequestMeta,
) -> Result<ImportView> {
    let view = start(app, access, id, skip_invalid, meta).await?;
    let (app2, access2, meta2) = (app.clone(), access.clone(), meta.clone());
    tokio::spawn(async move {
        if let Err(e) = run(&app2, &access2, id, &meta2, &|_, _| {}).await {
            tracing::error!(error = %e, import = %id, "import commit failed");
        }
    });
    Ok(view)
}

/// The first part of [`commit`]: the new check and the job's start, in
/// one change. The CLI calls it and then [`run`] itself.
pub async fn start(
    app: &App,
    access: &OrgAccess,
    id: Uuid,
    skip_invalid: Option<bool>,
    meta: &RequestMeta,
) -> Result<ImportView> {
    access.require(Permission::MEMBERS_CREATE)?;
    let mut change = change::begin(app, access, Permission::MEMBERS_CREATE, meta).await?;
    let org = change.access.org.id;
    let import = store::find_import(&mut change.tx, org, id).await?.ok_or(AppError::NotFound("import"))?;
    let options = ImportOptions {
        mode: import.mode,
        dry_run: import.dry_run,
        skip_invalid: skip_invalid.unwrap_or(import.skip_invalid),
        invite: import.invite,
    };
    require_options(&change.access, &options)?;
    match import.status {
        ImportStatus::Preview if !import.dry_run => {}
        ImportStatus::Preview => {
            return Err(AppError::conflict(
                ConflictKind::ImportState,
                "this import is a dry run: it only previews; upload the file again without a dry run to commit it",
            ));
        }
        ImportStatus::Mapping => {
            return Err(AppError::conflict(
                ConflictKind::ImportState,
                "some columns are not placed yet: answer the mapping step first",
            ));
        }
        s => {
            return Err(AppError::conflict(ConflictKind::ImportState, format!("the import is {s} already")));
        }
    }
    let (sheet, at, mapping) = kept_file(app, &mut change, &import).await?;
    if !ready(&mapping) {
        return Err(AppError::conflict(
            ConflictKind::ImportState,
            "the file's columns are no longer all placed: upload it again",
        ));
    }
    let counts = plan::plan_into(app, &mut change, id, &sheet, at, &mapping, import.mode).await?;
    if counts.error > 0 && !options.skip_invalid {
        // Nothing is written: the new check's rows are rolled back too.
        return Err(AppError::conflict(
            ConflictKind::ImportState,
            format!(
                "{} of {} rows have errors: fix them and upload the file again, or commit with bad rows skipped",
                counts.error,
                counts.total()
            ),
        ));
    }
    let now = change.now;
    if !store::start_commit(
        &mut change.tx,
        org,
        id,
        options.skip_invalid,
        apply::instance(),
        apply::lease_end(now),
        now,
    )
    .await?
    {
        return Err(AppError::conflict(ConflictKind::ImportState, "the import is being committed already"));
    }
    store::settle_rows(&mut change.tx, org, id, Outcome::Error, RowResult::Skipped).await?;
    store::settle_rows(&mut change.tx, org, id, Outcome::Unchanged, RowResult::Unchanged).await?;
    change.record(with_counts(
        AuditEntry::new(AuditAction::ImportCommitted, id)
            .with("file", import.file_name.as_str())
            .with("mode", import.mode.as_str())
            .with("invite", options.invite),
        counts,
    ));
    let view = reread(&mut change.tx, org, id).await?;
    change.commit().await?;
    Ok(view)
}

/// Puts aside an import that was not committed (its file is forgotten).
/// Needs `members:create`.
pub async fn discard(app: &App, access: &OrgAccess, id: Uuid, meta: &RequestMeta) -> Result<ImportView> {
    access.require(Permission::MEMBERS_CREATE)?;
    let mut change = change::begin(app, access, Permission::MEMBERS_CREATE, meta).await?;
    let org = change.access.org.id;
    let import = store::find_import(&mut change.tx, org, id).await?.ok_or(AppError::NotFound("import"))?;
    if !matches!(import.status, ImportStatus::Mapping | ImportStatus::Preview) {
        return Err(AppError::conflict(
            ConflictKind::ImportState,
            format!("the import is {} already; only an import not committed can be discarded", import.status),
        ));
    }
    store::finish(&mut change.tx, org, id, ImportStatus::Discarded, None, change.now).await?;
    change.record(AuditEntry::new(AuditAction::ImportDiscarded, id).with("file", import.file_name.as_str()));
    let view = reread(&mut change.tx, org, id).await?;
    change.commit().await?;
    Ok(view)
}

/// Which rows a downloaded file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    /// Every row with its outcome and result (the report).
    All,
    /// The rows with errors, in the template's columns plus the error, to
    /// fix and upload again.
    Errors,
}

/// An import's rows as a CSV file (UTF-8 with BOM, every cell neutralized
/// for spreadsheets), read a page at a time. Needs `members:create`.
pub async fn report_csv(app: &App, access: &OrgAccess, id: Uuid, kind: ReportKind) -> Result<(String, Vec<u8>)> {
    use roster_domain::export::csv_record;
    access.require(Permission::MEMBERS_CREATE)?;
    let mut conn = app.db.conn().await?;
    let import = store::find_import(&mut conn, access.org.id, id).await?.ok_or(AppError::NotFound("import"))?;
    let mut out = String::from("\u{feff}");
    let header: &[&str] = match kind {
        ReportKind::All => {
            &["Row", "Email", "First name", "Last name", "Roles", "Products", "Outcome", "Result", "Cell", "Reason"]
        }
        ReportKind::Errors => &["Email", "First name", "Last name", "Roles", "Products", "Error"],
    };
    out.push_str(&csv_record(header));
    let outcome = (kind == ReportKind::Errors).then_some(Outcome::Error);
    let mut after = None;
    loop {
        let page = store::list_rows(
            &mut conn,
            access.org.id,
            id,
            RowQuery { outcome, pending: false, after_line: after },
            5_000,
        )
        .await?;
        let Some(last) = page.last() else { break };
        after = Some(last.line);
        for r in page {
            let why = if r.cell.is_empty() { r.reason.clone() } else { format!("{} (cell {})", r.reason, r.cell) };
            let roles = r.roles.unwrap_or_default();
            let products = r.products.unwrap_or_default();
            match kind {
                ReportKind::All => out.push_str(&csv_record(&[
                    r.line.to_string().as_str(),
                    &r.email,
                    &r.first_name,
                    &r.last_name,
                    &roles,
                    &products,
                    r.outcome.as_str(),
                    r.result.map(RowResult::as_str).unwrap_or(""),
                    &r.cell,
                    &r.reason,
                ])),
                ReportKind::Errors => {
                    out.push_str(&csv_record(&[&r.email, &r.first_name, &r.last_name, &roles, &products, &why]))
                }
            }
        }
    }
    let stem = import.file_name.rsplit_once('.').map_or(import.file_name.as_str(), |(s, _)| s).to_string();
    let name = match kind {
        ReportKind::All => format!("{stem}-report.csv"),
        ReportKind::Errors => format!("{stem}-errors.csv"),
    };
    Ok((name, out.into_bytes()))
}

/// The template as CSV (header row only). Needs `members:create`.
pub fn template_csv(access: &OrgAccess) -> Result<Vec<u8>> {
    access.require(Permission::MEMBERS_CREATE)?;
    Ok(roster_domain::imports::template::template_csv())
}

/// The template as XLSX, with a note row and drop-down lists of the
/// organization's roles and subscribed products. Needs `members:create`.
pub async fn template_xlsx(app: &App, access: &OrgAccess) -> Result<Vec<u8>> {
    access.require(Permission::MEMBERS_CREATE)?;
    let roles: Vec<String> = access.policy.roles.iter().map(|r| r.name.clone()).collect();
    let subs = roster_store::products::list_subscriptions(&mut app.db.conn().await?, access.org.id).await?;
    let products: Vec<String> =
        subs.iter().filter_map(|s| app.config.catalogue.get(s.product.as_str()).map(|p| p.name.clone())).collect();
    roster_domain::imports::template::template_xlsx(&roles, &products).map_err(AppError::Internal)
}
