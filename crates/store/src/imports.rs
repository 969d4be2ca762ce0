//! Bulk imports (migration 0020): `imports`, the jobs; `import_rows`, each
//! data row with its planned outcome and, once committed, its result; and
//! `import_mappings`, an organization's answers to the mapping step.
//!
//! A commit is applied in batches: the app layer writes a batch's members
//! and marks the batch's rows applied in the same transaction, so a server
//! killed mid-commit leaves rows either applied (with their `result`) or
//! not at all, and [`claim`] lets any instance resume a job whose lease ran
//! out.

use roster_domain::imports::job::{Counts, ImportMode, ImportStatus, Outcome, RowResult};
use roster_domain::{MemberStatus, OrgId, Timestamp, UserId};
use sea_query::{Expr, ExprTrait, Iden, OnConflict, Order, Query, SelectStatement};
use uuid::Uuid;

use crate::tables::{Members, Users};
use crate::{Conn, Reader, Result, StoreError, Tx};

/// `imports` (migration 0020).
#[derive(Iden, Clone, Copy)]
enum Imports {
    Table,
    OrgId,
    Id,
    Status,
    FileName,
    FileKind,
    FileData,
    Mode,
    DryRun,
    SkipInvalid,
    Invite,
    Headers,
    Mapping,
    RowsTotal,
    CountCreate,
    CountUpdate,
    CountUnchanged,
    CountError,
    Applied,
    ToApply,
    Message,
    CreatedBy,
    CreatedByLabel,
    CreatedAt,
    CommittedAt,
    FinishedAt,
    LeaseOwner,
    LeaseUntil,
}

/// `import_rows` (migration 0020).
#[derive(Iden, Clone, Copy)]
enum ImportRows {
    Table,
    OrgId,
    ImportId,
    Line,
    Email,
    FirstName,
    LastName,
    Roles,
    Products,
    PasswordHash,
    Outcome,
    Reason,
    Cell,
    UserId,
    Result,
}

/// `import_mappings` (migration 0020).
#[derive(Iden, Clone, Copy)]
enum ImportMappings {
    Table,
    OrgId,
    Header,
    Target,
}

/// Rows per multi-row statement.
const CHUNK: usize = 500;

/// A new import, as the upload makes it.
#[derive(Debug, Clone)]
pub struct NewImport {
    /// Its id.
    pub id: Uuid,
    /// `mapping` or `preview`.
    pub status: ImportStatus,
    /// The uploaded file's name.
    pub file_name: String,
    /// `csv`, `xlsx`, `xls` or `ods`.
    pub file_kind: String,
    /// The file, kept until the import ends.
    pub file_data: Vec<u8>,
    /// The mode chosen.
    pub mode: ImportMode,
    /// Whether the import is a dry run (never committed).
    pub dry_run: bool,
    /// Whether a commit skips bad rows (otherwise it needs none).
    pub skip_invalid: bool,
    /// Whether new members are invited by email.
    pub invite: bool,
    /// The header row, as JSON.
    pub headers: String,
    /// Where each header goes, as JSON.
    pub mapping: String,
    /// Who uploaded it (none for the CLI).
    pub created_by: Option<UserId>,
    /// Who uploaded it, in words.
    pub created_by_label: String,
    /// When.
    pub created_at: Timestamp,
}

/// An import as stored (without its file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRecord {
    /// Its id.
    pub id: Uuid,
    /// Where it stands.
    pub status: ImportStatus,
    /// The uploaded file's name.
    pub file_name: String,
    /// `csv`, `xlsx`, `xls` or `ods`.
    pub file_kind: String,
    /// The mode chosen.
    pub mode: ImportMode,
    /// A dry run.
    pub dry_run: bool,
    /// Skip bad rows.
    pub skip_invalid: bool,
    /// Invite new members.
    pub invite: bool,
    /// The header row (JSON array of strings).
    pub headers: String,
    /// Where each header goes (JSON array of column words or null).
    pub mapping: String,
    /// Data rows read.
    pub rows_total: u64,
    /// Rows per planned outcome.
    pub counts: Counts,
    /// Rows the commit has applied so far.
    pub applied: u64,
    /// Rows the commit applies in all.
    pub to_apply: u64,
    /// Why the import failed, if it did.
    pub message: Option<String>,
    /// Who uploaded it.
    pub created_by: Option<UserId>,
    /// Who uploaded it, in words.
    pub created_by_label: String,
    /// When it was uploaded.
    pub created_at: Timestamp,
    /// When its commit began.
    pub committed_at: Option<Timestamp>,
    /// When it ended.
    pub finished_at: Option<Timestamp>,
    /// The instance applying it, while it is.
    pub lease_owner: Option<String>,
    /// Until when that instance holds it.
    pub lease_until: Option<Timestamp>,
}

#[derive(sqlx::FromRow)]
struct ImportRow {
    id: Uuid,
    status: String,
    file_name: String,
    file_kind: String,
    mode: String,
    dry_run: bool,
    skip_invalid: bool,
    invite: bool,
    headers: String,
    mapping: String,
    rows_total: i64,
    count_create: i64,
    count_update: i64,
    count_unchanged: i64,
    count_error: i64,
    applied: i64,
    to_apply: i64,
    message: Option<String>,
    created_by: Option<Uuid>,
    created_by_label: String,
    created_at: i64,
    committed_at: Option<i64>,
    finished_at: Option<i64>,
    lease_owner: Option<String>,
    lease_until: Option<i64>,
}

fn count(n: i64) -> u64 {
    Ord::max(n, 0) as u64
}

impl TryFrom<ImportRow> for ImportRecord {
    type Error = StoreError;

    fn try_from(r: ImportRow) -> Result<Self> {
        Ok(Self {
            id: r.id,
            status: ImportStatus::parse(&r.status)
                .ok_or_else(|| StoreError::Corrupt(format!("import status {:?}", r.status)))?,
            file_name: r.file_name,
            file_kind: r.file_kind,
            mode: ImportMode::parse(&r.mode).ok_or_else(|| StoreError::Corrupt(format!("import mode {:?}", r.mode)))?,
            dry_run: r.dry_run,
            skip_invalid: r.skip_invalid,
            invite: r.invite,
            headers: r.headers,
            mapping: r.mapping,
            rows_total: count(r.rows_total),
            counts: Counts {
                create: count(r.count_create),
                update: count(r.count_update),
                unchanged: count(r.count_unchanged),
                error: count(r.count_error),
            },
            applied: count(r.applied),
            to_apply: count(r.to_apply),
            message: r.message,
            created_by: r.created_by.map(UserId),
            created_by_label: r.created_by_label,
            created_at: Timestamp(r.created_at),
            committed_at: r.committed_at.map(Timestamp),
            finished_at: r.finished_at.map(Timestamp),
            lease_owner: r.lease_owner,
            lease_until: r.lease_until.map(Timestamp),
        })
    }
}

const IMPORT_COLUMNS: [Imports; 25] = [
    Imports::Id,
    Imports::Status,
    Imports::FileName,
    Imports::FileKind,
    Imports::Mode,
    Imports::DryRun,
    Imports::SkipInvalid,
    Imports::Invite,
    Imports::Headers,
    Imports::Mapping,
    Imports::RowsTotal,
    Imports::CountCreate,
    Imports::CountUpdate,
    Imports::CountUnchanged,
    Imports::CountError,
    Imports::Applied,
    Imports::ToApply,
    Imports::Message,
    Imports::CreatedBy,
    Imports::CreatedByLabel,
    Imports::CreatedAt,
    Imports::CommittedAt,
    Imports::FinishedAt,
    Imports::LeaseOwner,
    Imports::LeaseUntil,
];

fn import_select(org: OrgId) -> SelectStatement {
    Query::select()
        .columns(IMPORT_COLUMNS)
        .from(Imports::Table)
        .and_where(Expr::col(Imports::OrgId).eq(org.0))
        .to_owned()
}

/// Inserts a new import (no rows yet).
pub async fn insert_import(tx: &mut Tx, org: OrgId, i: &NewImport) -> Result<()> {
    tx.execute(
        Query::insert()
            .into_table(Imports::Table)
            .columns([
                Imports::OrgId,
                Imports::Id,
                Imports::Status,
                Imports::FileName,
                Imports::FileKind,
                Imports::FileData,
                Imports::Mode,
                Imports::DryRun,
                Imports::SkipInvalid,
                Imports::Invite,
                Imports::Headers,
                Imports::Mapping,
                Imports::RowsTotal,
                Imports::CountCreate,
                Imports::CountUpdate,
                Imports::CountUnchanged,
                Imports::CountError,
                Imports::Applied,
                Imports::ToApply,
                Imports::CreatedBy,
                Imports::CreatedByLabel,
                Imports::CreatedAt,
            ])
            .values_panic([
                org.0.into(),
                i.id.into(),
                i.status.as_str().into(),
                i.file_name.clone().into(),
                i.file_kind.clone().into(),
                i.file_data.clone().into(),
                i.mode.as_str().into(),
                i.dry_run.into(),
                i.skip_invalid.into(),
                i.invite.into(),
                i.headers.clone().into(),
                i.mapping.clone().into(),
                0i64.into(),
                0i64.into(),
                0i64.into(),
                0i64.into(),
                0i64.into(),
                0i64.into(),
                0i64.into(),
                i.created_by.map(|u| u.0).into(),
                i.created_by_label.clone().into(),
                i.created_at.0.into(),
            ]),
    )
    .await?;
    Ok(())
}

/// An import of the organization.
pub async fn find_import(r: &mut impl Reader, org: OrgId, id: Uuid) -> Result<Option<ImportRecord>> {
    let q = import_select(org).and_where(Expr::col(Imports::Id).eq(id)).to_owned();
    r.read_optional::<ImportRow, _>(&q).await?.map(ImportRecord::try_from).transpose()
}

/// The organization's imports, newest first (at most `limit`).
pub async fn list_imports(r: &mut impl Reader, org: OrgId, limit: u64) -> Result<Vec<ImportRecord>> {
    let q = import_select(org)
        .order_by(Imports::CreatedAt, Order::Desc)
        .order_by(Imports::Id, Order::Desc)
        .limit(limit)
        .to_owned();
    r.read_all::<ImportRow, _>(&q).await?.into_iter().map(ImportRecord::try_from).collect()
}

/// The uploaded file, while the import keeps it.
pub async fn file_of(r: &mut impl Reader, org: OrgId, id: Uuid) -> Result<Option<Vec<u8>>> {
    #[derive(sqlx::FromRow)]
    struct F {
        file_data: Option<Vec<u8>>,
    }
    let q = Query::select()
        .column(Imports::FileData)
        .from(Imports::Table)
        .and_where(Expr::col(Imports::OrgId).eq(org.0))
        .and_where(Expr::col(Imports::Id).eq(id))
        .to_owned();
    Ok(r.read_optional::<F, _>(&q).await?.and_then(|f| f.file_data))
}

/// Records a (new) plan: the status, the header placement, the counts.
pub async fn set_plan(
    tx: &mut Tx,
    org: OrgId,
    id: Uuid,
    status: ImportStatus,
    mapping: &str,
    rows_total: u64,
    counts: Counts,
) -> Result<()> {
    tx.execute(
        Query::update()
            .table(Imports::Table)
            .values([
                (Imports::Status, status.as_str().into()),
                (Imports::Mapping, mapping.into()),
                (Imports::RowsTotal, (rows_total as i64).into()),
                (Imports::CountCreate, (counts.create as i64).into()),
                (Imports::CountUpdate, (counts.update as i64).into()),
                (Imports::CountUnchanged, (counts.unchanged as i64).into()),
                (Imports::CountError, (counts.error as i64).into()),
                (Imports::ToApply, (counts.to_apply() as i64).into()),
            ])
            .and_where(Expr::col(Imports::OrgId).eq(org.0))
            .and_where(Expr::col(Imports::Id).eq(id)),
    )
    .await?;
    Ok(())
}

/// Starts the commit: `committing`, held by `owner` until `until`. Answers
/// `false` (and changes nothing) when the import was not in `preview`.
pub async fn start_commit(
    tx: &mut Tx,
    org: OrgId,
    id: Uuid,
    skip_invalid: bool,
    owner: &str,
    until: Timestamp,
    now: Timestamp,
) -> Result<bool> {
    let n = tx
        .execute(
            Query::update()
                .table(Imports::Table)
                .values([
                    (Imports::Status, ImportStatus::Committing.as_str().into()),
                    (Imports::SkipInvalid, skip_invalid.into()),
                    (Imports::CommittedAt, now.0.into()),
                    (Imports::LeaseOwner, owner.into()),
                    (Imports::LeaseUntil, until.0.into()),
                ])
                .and_where(Expr::col(Imports::OrgId).eq(org.0))
                .and_where(Expr::col(Imports::Id).eq(id))
                .and_where(Expr::col(Imports::Status).eq(ImportStatus::Preview.as_str())),
        )
        .await?;
    Ok(n == 1)
}

/// Takes or renews the lease of a committing import for `owner`: answers
/// whether `owner` holds it now (it did already, or the last holder's
/// lease ran out).
pub async fn claim(tx: &mut Tx, org: OrgId, id: Uuid, owner: &str, until: Timestamp, now: Timestamp) -> Result<bool> {
    let n = tx
        .execute(
            Query::update()
                .table(Imports::Table)
                .values([(Imports::LeaseOwner, owner.into()), (Imports::LeaseUntil, until.0.into())])
                .and_where(Expr::col(Imports::OrgId).eq(org.0))
                .and_where(Expr::col(Imports::Id).eq(id))
                .and_where(Expr::col(Imports::Status).eq(ImportStatus::Committing.as_str()))
                .and_where(
                    Expr::col(Imports::LeaseOwner)
                        .eq(owner)
                        .or(Expr::col(Imports::LeaseUntil).is_null())
                        .or(Expr::col(Imports::LeaseUntil).lt(now.0)),
                ),
        )
        .await?;
    Ok(n == 1)
}

/// Committing imports whose lease ran out, in any organization (the worker
/// that resumes them; at most `limit`).
pub async fn abandoned(conn: &mut Conn, now: Timestamp, limit: u64) -> Result<Vec<(OrgId, Uuid)>> {
    #[derive(sqlx::FromRow)]
    struct Abandoned {
        org_id: Uuid,
        id: Uuid,
    }
    let q = Query::select()
        .columns([Imports::OrgId, Imports::Id])
        .from(Imports::Table)
        .and_where(Expr::col(Imports::Status).eq(ImportStatus::Committing.as_str()))
        .and_where(Expr::col(Imports::LeaseUntil).is_null().or(Expr::col(Imports::LeaseUntil).lt(now.0)))
        .limit(limit)
        .to_owned();
    Ok(conn.fetch_all::<Abandoned, _>(&q).await?.into_iter().map(|r| (OrgId(r.org_id), r.id)).collect())
}

/// Counts `n` more rows applied.
pub async fn add_applied(tx: &mut Tx, org: OrgId, id: Uuid, n: u64) -> Result<()> {
    tx.execute(
        Query::update()
            .table(Imports::Table)
            .value(Imports::Applied, Expr::col(Imports::Applied).add(n as i64))
            .and_where(Expr::col(Imports::OrgId).eq(org.0))
            .and_where(Expr::col(Imports::Id).eq(id)),
    )
    .await?;
    Ok(())
}

/// Ends an import (`done`, `failed` or `discarded`) and forgets its file
/// and the password hashes of its rows.
pub async fn finish(
    tx: &mut Tx,
    org: OrgId,
    id: Uuid,
    status: ImportStatus,
    message: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    tx.execute(
        Query::update()
            .table(Imports::Table)
            .values([
                (Imports::Status, status.as_str().into()),
                (Imports::Message, message.map(str::to_string).into()),
                (Imports::FinishedAt, now.0.into()),
                (Imports::FileData, Option::<Vec<u8>>::None.into()),
                (Imports::LeaseOwner, Option::<String>::None.into()),
                (Imports::LeaseUntil, Option::<i64>::None.into()),
            ])
            .and_where(Expr::col(Imports::OrgId).eq(org.0))
            .and_where(Expr::col(Imports::Id).eq(id)),
    )
    .await?;
    tx.execute(
        Query::update()
            .table(ImportRows::Table)
            .value(ImportRows::PasswordHash, Option::<String>::None)
            .and_where(Expr::col(ImportRows::OrgId).eq(org.0))
            .and_where(Expr::col(ImportRows::ImportId).eq(id))
            .and_where(Expr::col(ImportRows::PasswordHash).is_not_null()),
    )
    .await?;
    Ok(())
}

/// One row of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRowRecord {
    /// Its line in the file (1-based).
    pub line: u64,
    /// The address as given (lower-cased when valid).
    pub email: String,
    /// First name as given.
    pub first_name: String,
    /// Last name as given.
    pub last_name: String,
    /// Role names, "; "-joined (`None`: the row leaves roles as they are).
    pub roles: Option<String>,
    /// Product keys or names, "; "-joined (`None`: left as they are).
    pub products: Option<String>,
    /// An imported password hash (until the import ends).
    pub password_hash: Option<String>,
    /// What checking planned.
    pub outcome: Outcome,
    /// Why (an error's reason, or a note).
    pub reason: String,
    /// The cell at fault ("C7"), or "".
    pub cell: String,
    /// The member the row is about, once known.
    pub user_id: Option<UserId>,
    /// What the commit did.
    pub result: Option<RowResult>,
}

#[derive(sqlx::FromRow)]
struct RowRow {
    line: i64,
    email: String,
    first_name: String,
    last_name: String,
    roles: Option<String>,
    products: Option<String>,
    password_hash: Option<String>,
    outcome: String,
    reason: String,
    cell: String,
    user_id: Option<Uuid>,
    result: Option<String>,
}

impl TryFrom<RowRow> for ImportRowRecord {
    type Error = StoreError;

    fn try_from(r: RowRow) -> Result<Self> {
        Ok(Self {
            line: count(r.line),
            email: r.email,
            first_name: r.first_name,
            last_name: r.last_name,
            roles: r.roles,
            products: r.products,
            password_hash: r.password_hash,
            outcome: Outcome::parse(&r.outcome)
                .ok_or_else(|| StoreError::Corrupt(format!("import row outcome {:?}", r.outcome)))?,
            reason: r.reason,
            cell: r.cell,
            user_id: r.user_id.map(UserId),
            result: match r.result {
                Some(s) => {
                    Some(RowResult::parse(&s).ok_or_else(|| StoreError::Corrupt(format!("import row result {s:?}")))?)
                }
                None => None,
            },
        })
    }
}

/// Replaces an import's rows.
pub async fn replace_rows(tx: &mut Tx, org: OrgId, id: Uuid, rows: &[ImportRowRecord]) -> Result<()> {
    tx.execute(
        Query::delete()
            .from_table(ImportRows::Table)
            .and_where(Expr::col(ImportRows::OrgId).eq(org.0))
            .and_where(Expr::col(ImportRows::ImportId).eq(id)),
    )
    .await?;
    for chunk in rows.chunks(CHUNK) {
        let mut q = Query::insert();
        q.into_table(ImportRows::Table).columns([
            ImportRows::OrgId,
            ImportRows::ImportId,
            ImportRows::Line,
            ImportRows::Email,
            ImportRows::FirstName,
            ImportRows::LastName,
            ImportRows::Roles,
            ImportRows::Products,
            ImportRows::PasswordHash,
            ImportRows::Outcome,
            ImportRows::Reason,
            ImportRows::Cell,
            ImportRows::UserId,
            ImportRows::Result,
        ]);
        for r in chunk {
            q.values_panic([
                org.0.into(),
                id.into(),
                (r.line as i64).into(),
                r.email.clone().into(),
                r.first_name.clone().into(),
                r.last_name.clone().into(),
                r.roles.clone().into(),
                r.products.clone().into(),
                r.password_hash.clone().into(),
                r.outcome.as_str().into(),
                r.reason.clone().into(),
                r.cell.clone().into(),
                r.user_id.map(|u| u.0).into(),
                r.result.map(|x| x.as_str().to_string()).into(),
            ]);
        }
        tx.execute(&q).await?;
    }
    Ok(())
}

/// Which rows to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct RowQuery {
    /// Only rows of this outcome.
    pub outcome: Option<Outcome>,
    /// Only rows not applied yet.
    pub pending: bool,
    /// Only rows after this line.
    pub after_line: Option<u64>,
}

/// An import's rows in line order, at most `limit`.
pub async fn list_rows(
    r: &mut impl Reader,
    org: OrgId,
    id: Uuid,
    query: RowQuery,
    limit: u64,
) -> Result<Vec<ImportRowRecord>> {
    let mut q = Query::select()
        .columns([
            ImportRows::Line,
            ImportRows::Email,
            ImportRows::FirstName,
            ImportRows::LastName,
            ImportRows::Roles,
            ImportRows::Products,
            ImportRows::PasswordHash,
            ImportRows::Outcome,
            ImportRows::Reason,
            ImportRows::Cell,
            ImportRows::UserId,
            ImportRows::Result,
        ])
        .from(ImportRows::Table)
        .and_where(Expr::col(ImportRows::OrgId).eq(org.0))
        .and_where(Expr::col(ImportRows::ImportId).eq(id))
        .order_by(ImportRows::Line, Order::Asc)
        .limit(limit)
        .to_owned();
    if let Some(o) = query.outcome {
        q.and_where(Expr::col(ImportRows::Outcome).eq(o.as_str()));
    }
    if query.pending {
        q.and_where(Expr::col(ImportRows::Result).is_null());
    }
    if let Some(after) = query.after_line {
        q.and_where(Expr::col(ImportRows::Line).gt(after as i64));
    }
    r.read_all::<RowRow, _>(&q).await?.into_iter().map(ImportRowRecord::try_from).collect()
}

/// Marks rows applied with `result`.
pub async fn set_results(tx: &mut Tx, org: OrgId, id: Uuid, result: RowResult, lines: &[u64]) -> Result<()> {
    for chunk in lines.chunks(CHUNK) {
        tx.execute(
            Query::update()
                .table(ImportRows::Table)
                .value(ImportRows::Result, result.as_str())
                .and_where(Expr::col(ImportRows::OrgId).eq(org.0))
                .and_where(Expr::col(ImportRows::ImportId).eq(id))
                .and_where(Expr::col(ImportRows::Line).is_in(chunk.iter().map(|l| *l as i64))),
        )
        .await?;
    }
    Ok(())
}

/// How many rows of an import ended with `result`.
pub async fn count_results(r: &mut impl Reader, org: OrgId, id: Uuid, result: RowResult) -> Result<u64> {
    #[derive(sqlx::FromRow)]
    struct N {
        n: i64,
    }
    let q = Query::select()
        .expr_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), sea_query::Alias::new("n"))
        .from(ImportRows::Table)
        .and_where(Expr::col(ImportRows::OrgId).eq(org.0))
        .and_where(Expr::col(ImportRows::ImportId).eq(id))
        .and_where(Expr::col(ImportRows::Result).eq(result.as_str()))
        .to_owned();
    Ok(r.read_optional::<N, _>(&q).await?.map_or(0, |n| count(n.n)))
}

/// Marks one row refused when it was applied, with the reason.
pub async fn set_failed(tx: &mut Tx, org: OrgId, id: Uuid, line: u64, reason: &str) -> Result<()> {
    tx.execute(
        Query::update()
            .table(ImportRows::Table)
            .values([(ImportRows::Result, RowResult::Failed.as_str().into()), (ImportRows::Reason, reason.into())])
            .and_where(Expr::col(ImportRows::OrgId).eq(org.0))
            .and_where(Expr::col(ImportRows::ImportId).eq(id))
            .and_where(Expr::col(ImportRows::Line).eq(line as i64)),
    )
    .await?;
    Ok(())
}

/// Marks every not-applied row of `outcome` with `result` (the rows a
/// commit does not write: errors skipped, rows unchanged).
pub async fn settle_rows(tx: &mut Tx, org: OrgId, id: Uuid, outcome: Outcome, result: RowResult) -> Result<()> {
    tx.execute(
        Query::update()
            .table(ImportRows::Table)
            .value(ImportRows::Result, result.as_str())
            .and_where(Expr::col(ImportRows::OrgId).eq(org.0))
            .and_where(Expr::col(ImportRows::ImportId).eq(id))
            .and_where(Expr::col(ImportRows::Outcome).eq(outcome.as_str()))
            .and_where(Expr::col(ImportRows::Result).is_null()),
    )
    .await?;
    Ok(())
}

/// The organization's answers to the mapping step: normalized header → column word.
pub async fn remembered(r: &mut impl Reader, org: OrgId) -> Result<Vec<(String, String)>> {
    #[derive(sqlx::FromRow)]
    struct M {
        header: String,
        target: String,
    }
    let q = Query::select()
        .columns([ImportMappings::Header, ImportMappings::Target])
        .from(ImportMappings::Table)
        .and_where(Expr::col(ImportMappings::OrgId).eq(org.0))
        .order_by(ImportMappings::Header, Order::Asc)
        .to_owned();
    Ok(r.read_all::<M, _>(&q).await?.into_iter().map(|m| (m.header, m.target)).collect())
}

/// Remembers answers to the mapping step (replacing earlier answers for the same headers).
pub async fn remember(tx: &mut Tx, org: OrgId, answers: &[(String, String)]) -> Result<()> {
    for (header, target) in answers {
        tx.execute(
            Query::insert()
                .into_table(ImportMappings::Table)
                .columns([ImportMappings::OrgId, ImportMappings::Header, ImportMappings::Target])
                .values_panic([org.0.into(), header.clone().into(), target.clone().into()])
                .on_conflict(
                    OnConflict::columns([ImportMappings::OrgId, ImportMappings::Header])
                        .update_column(ImportMappings::Target)
                        .to_owned(),
                ),
        )
        .await?;
    }
    Ok(())
}

/// A fixed statement without parameters (never built from input).
struct FixedSql(&'static str);

impl sea_query_sqlx::SqlxBinder for FixedSql {
    fn build_sqlx<T: sea_query::QueryBuilder>(&self, _: T) -> (String, sea_query_sqlx::SqlxValues) {
        (self.0.to_string(), sea_query_sqlx::SqlxValues(sea_query::Values(Vec::new())))
    }
}

/// Refreshes the planner's statistics of the tables an import fills
/// (PostgreSQL; SQLite plans without them). An import can grow them from
/// nothing to 100,000 rows in a minute, faster than autovacuum notices
/// (and autovacuum may be off): the plans PostgreSQL cached for the
/// foreign-key checks when the tables were tiny (sequential scans) would
/// make every batch slower than the last. `ANALYZE` also invalidates those
/// cached plans.
pub async fn refresh_statistics(tx: &mut Tx) -> Result<()> {
    analyze(tx, "ANALYZE users, members, member_roles, licenses, invitations, import_rows").await
}

/// Runs a fixed `ANALYZE` statement on PostgreSQL (nothing on SQLite).
pub(crate) async fn analyze(tx: &mut Tx, statement: &'static str) -> Result<()> {
    if tx.backend() == crate::Backend::Postgres {
        tx.execute(&FixedSql(statement)).await?;
    }
    Ok(())
}

/// A membership a row's address matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberMatch {
    /// The member.
    pub user_id: UserId,
    /// Their address.
    pub email: String,
    /// Their display name.
    pub name: String,
    /// Their status.
    pub status: MemberStatus,
}

/// The organization's members with these addresses (lower-cased), set-wise.
pub async fn members_by_email(r: &mut impl Reader, org: OrgId, emails: &[String]) -> Result<Vec<MemberMatch>> {
    #[derive(sqlx::FromRow)]
    struct M {
        user_id: Uuid,
        email: String,
        name: String,
        status: String,
    }
    let mut out = Vec::new();
    for chunk in emails.chunks(CHUNK) {
        let q = Query::select()
            .columns([Members::UserId, Members::Email, Members::Name, Members::Status])
            .from(Members::Table)
            .and_where(Expr::col(Members::OrgId).eq(org.0))
            .and_where(Expr::col(Members::Email).is_in(chunk.iter().cloned()))
            .to_owned();
        for m in r.read_all::<M, _>(&q).await? {
            let status = m
                .status
                .parse::<MemberStatus>()
                .map_err(|_| StoreError::Corrupt(format!("member status {:?}", m.status)))?;
            out.push(MemberMatch { user_id: UserId(m.user_id), email: m.email, name: m.name, status });
        }
    }
    Ok(out)
}

/// Users (of any organization) with these addresses: id, address, name.
pub async fn users_by_email(r: &mut impl Reader, emails: &[String]) -> Result<Vec<(UserId, String, String)>> {
    #[derive(sqlx::FromRow)]
    struct U {
        id: Uuid,
        email: String,
        name: String,
    }
    let mut out = Vec::new();
    for chunk in emails.chunks(CHUNK) {
        let q = Query::select()
            .columns([Users::Id, Users::Email, Users::Name])
            .from(Users::Table)
            .and_where(Expr::col(Users::Email).is_in(chunk.iter().cloned()))
            .to_owned();
        out.extend(r.read_all::<U, _>(&q).await?.into_iter().map(|u| (UserId(u.id), u.email, u.name)));
    }
    Ok(out)
}
