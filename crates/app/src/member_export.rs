//! The Users directory's export: the members matching the list's filter, as
//! CSV or as an XLSX workbook, with the columns the import reads back
//! ([`COLUMNS`]). Members are read a batch at a time by keyset, each batch's
//! roles and products with one query each, so memory stays flat at any size.
//!
//! CSV is UTF-8 with a byte order mark (so that spreadsheets read it as
//! UTF-8) and CRLF line ends, every cell through
//! [`csv_record`](roster_domain::export::csv_record). XLSX is written by
//! rust_xlsxwriter in its constant-memory mode (each row goes to a temporary
//! file as it is written) and zipped into another temporary file, which
//! [`MemberExport::next_chunk`] then reads out a block at a time; its cells
//! are strings made [`spreadsheet_safe`] too. An export is a read: like the
//! History's, it records no audit event.
//!
//! Both need `members:read`. The rows are those the filter matched when the
//! export began: members who joined meanwhile are left out (changes to
//! existing members during a long export may show).

use std::collections::HashMap;
use std::io::{BufWriter, Seek, SeekFrom, Write};

use roster_domain::export::{csv_record, spreadsheet_safe};
use roster_domain::invitations::split_name;
use roster_domain::members::{Cursor, Member};
use roster_domain::{MemberFilter, MemberSort, RoleId, SortOrder, Timestamp, UserId, ValidationError};
use roster_store::members::{self, ListSpec, PageStart};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::io::AsyncReadExt;

use crate::access::{OrgAccess, Permission};
use crate::error::Result;
use crate::members::{check_product_filter, resolve_role_filter};
use crate::{App, AppError};

/// The file's columns, in order; the import maps its columns back by these names.
pub const COLUMNS: [&str; 8] =
    ["Email", "First name", "Last name", "Roles", "Products", "Status", "Last active", "Created"];

/// What joins several roles or products in one cell.
pub const LIST_SEPARATOR: &str = "; ";

/// Members read per batch.
pub const EXPORT_BATCH: u64 = 2_000;

/// The most members one XLSX sheet holds (1,048,576 rows, less the header).
pub const XLSX_MAX_MEMBERS: u64 = 1_048_575;

/// Bytes of a finished XLSX file answered per chunk.
const FILE_CHUNK: usize = 64 * 1024;

/// The UTF-8 byte order mark that starts the CSV file.
const BOM: &str = "\u{feff}";

/// An export's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Comma-separated values (UTF-8 with a byte order mark, CRLF), a header row first.
    Csv,
    /// An Excel workbook (Office Open XML) of one sheet, a header row first.
    Xlsx,
}

impl std::str::FromStr for ExportFormat {
    type Err = ValidationError;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s.trim() {
            "csv" => Ok(Self::Csv),
            "xlsx" => Ok(Self::Xlsx),
            _ => Err(ValidationError::field("format", "must be csv or xlsx")),
        }
    }
}

impl ExportFormat {
    /// The media type of the file.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// The file name's extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }
}

/// What an export asks for: the Users list's filter and order, and a format.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    /// Which members.
    pub filter: MemberFilter,
    /// Only holders of this role (id or key); resolved into the filter.
    pub role: Option<String>,
    /// The rows' order.
    pub sort: MemberSort,
    /// Its direction.
    pub order: SortOrder,
    /// The file's format.
    pub format: ExportFormat,
}

impl ExportRequest {
    /// Every member, by email, in `format`.
    pub fn new(format: ExportFormat) -> Self {
        Self { filter: MemberFilter::default(), role: None, sort: MemberSort::Email, order: SortOrder::Asc, format }
    }
}

/// An export under way: each [`MemberExport::next_chunk`] answers the next
/// part of the file, so that a caller streams it with one batch of members
/// (CSV) or one block of the finished file (XLSX) in memory.
pub struct MemberExport {
    app: App,
    access: OrgAccess,
    filter: MemberFilter,
    sort: MemberSort,
    order: SortOrder,
    format: ExportFormat,
    /// When the export began: members created later are left out.
    started: Timestamp,
    /// Where the next batch starts (after this member).
    after: Option<Cursor>,
    /// Whether every member was read.
    rows_done: bool,
    /// Whether the CSV header was answered.
    header_sent: bool,
    /// The finished XLSX file, being read out.
    file: Option<tokio::fs::File>,
    /// Whether the whole file was answered.
    ended: bool,
    /// Each role's place in the organization's display order, and its name.
    roles: HashMap<RoleId, (usize, String)>,
    /// Each product's place in the catalogue, and its name, by key.
    products: HashMap<String, (usize, String)>,
}

/// Refuses (403) an actor without `members:read`: an interface checks it
/// before it says anything about a bad filter.
pub fn require_export(access: &OrgAccess) -> Result<()> {
    access.require(Permission::MEMBERS_READ)
}

/// Starts an export of the Users list with `req`'s filter. Needs
/// `members:read`; refuses an unknown role or product like the list does,
/// and an XLSX export of more members than a sheet holds.
pub async fn export(app: &App, access: &OrgAccess, req: &ExportRequest) -> Result<MemberExport> {
    access.require(Permission::MEMBERS_READ)?;
    let mut filter = req.filter.clone();
    filter.role = resolve_role_filter(access, req.role.as_deref())?.or(filter.role);
    if let Some(role) = filter.role
        && access.policy.role(role).is_none()
    {
        return Err(ValidationError::field("role", "is not a role of this organization").into());
    }
    check_product_filter(app, &filter)?;
    if req.format == ExportFormat::Xlsx {
        let (counts, capped) = members::count_members(&mut app.db.conn().await?, access.org.id, &filter).await?;
        // A capped count is a search's lower bound (10,000): the sheet's limit is checked as rows are written.
        if !capped && counts.total_for(&filter) > XLSX_MAX_MEMBERS {
            return Err(ValidationError::field(
                "format",
                format!("an XLSX sheet holds at most {XLSX_MAX_MEMBERS} members; narrow the filter or export CSV"),
            )
            .into());
        }
    }
    let roles = access.policy.roles.iter().enumerate().map(|(i, r)| (r.id, (i, r.name.clone()))).collect();
    let products = app
        .config
        .catalogue
        .products
        .iter()
        .enumerate()
        .map(|(i, p)| (p.key.to_string(), (i, p.name.clone())))
        .collect();
    Ok(MemberExport {
        app: app.clone(),
        access: access.clone(),
        filter,
        sort: req.sort,
        order: req.order,
        format: req.format,
        started: app.clock.now(),
        after: None,
        rows_done: false,
        header_sent: false,
        file: None,
        ended: false,
        roles,
        products,
    })
}

impl MemberExport {
    /// The file's format.
    pub fn format(&self) -> ExportFormat {
        self.format
    }

    /// The file's media type.
    pub fn media_type(&self) -> &'static str {
        self.format.media_type()
    }

    /// A file name for the download (`acme-users.csv`).
    pub fn file_name(&self) -> String {
        format!("{}-users.{}", self.access.org.slug, self.format.extension())
    }

    /// The next batch of members as the file's records (cells in
    /// [`COLUMNS`] order, not yet made safe for a spreadsheet), or `None`
    /// when every member was read. A batch may be empty.
    pub async fn next_records(&mut self) -> Result<Option<Vec<[String; 8]>>> {
        if self.rows_done {
            return Ok(None);
        }
        let org = self.access.org.id;
        let start = match &self.after {
            None => PageStart::Offset(0),
            Some(c) => PageStart::Cursor(c.clone()),
        };
        let spec =
            ListSpec { filter: self.filter.clone(), sort: self.sort, order: self.order, start, limit: EXPORT_BATCH };
        let mut conn = self.app.db.conn().await?;
        let page = members::list_members(&mut conn, org, &spec).await?;
        self.rows_done = !page.has_more_after;
        if let Some(last) = page.items.last() {
            self.after = Some(Cursor {
                sort: self.sort,
                order: self.order,
                value: last.sort_value(self.sort),
                id: last.user_id,
                backward: false,
            });
        }
        let items: Vec<Member> = page.items.into_iter().filter(|m| m.created_at <= self.started).collect();
        let ids: Vec<UserId> = items.iter().map(|m| m.user_id).collect();
        let mut roles: HashMap<UserId, Vec<&(usize, String)>> = HashMap::new();
        for (user, role) in roster_store::roles::roles_of_members(&mut conn, org, &ids).await? {
            if let Some(r) = self.roles.get(&role) {
                roles.entry(user).or_default().push(r);
            }
        }
        let mut products: HashMap<UserId, Vec<(usize, String)>> = HashMap::new();
        for (user, key) in roster_store::products::licenses_of_members(&mut conn, org, &ids).await? {
            let p = self.products.get(key.as_str()).cloned().unwrap_or_else(|| (usize::MAX, key.to_string()));
            products.entry(user).or_default().push(p);
        }
        drop(conn);
        let records = items
            .into_iter()
            .map(|m| {
                let mut held_roles = roles.remove(&m.user_id).unwrap_or_default();
                held_roles.sort();
                let mut held_products = products.remove(&m.user_id).unwrap_or_default();
                held_products.sort();
                record(
                    &m,
                    &held_roles.into_iter().map(|(_, name)| name.as_str()).collect::<Vec<_>>(),
                    &held_products.iter().map(|(_, name)| name.as_str()).collect::<Vec<_>>(),
                )
            })
            .collect();
        Ok(Some(records))
    }

    /// The next part of the file, or `None` at its end. For CSV, one batch
    /// of members (the first part starts with the byte order mark and the
    /// header); for XLSX, the first call writes the whole workbook to a
    /// temporary file, then each call answers a block of it.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>> {
        if self.ended {
            return Ok(None);
        }
        match self.format {
            ExportFormat::Csv => self.next_csv_chunk().await,
            ExportFormat::Xlsx => self.next_xlsx_chunk().await,
        }
    }

    async fn next_csv_chunk(&mut self) -> Result<Option<Vec<u8>>> {
        let mut out = String::new();
        if !self.header_sent {
            self.header_sent = true;
            out.push_str(BOM);
            out.push_str(&csv_record(&COLUMNS));
        }
        // One batch; a batch whose members all joined after the start is
        // empty, and then the next one is read.
        while let Some(records) = self.next_records().await? {
            for r in &records {
                out.push_str(&csv_record(r));
            }
            if !out.is_empty() {
                break;
            }
        }
        if out.is_empty() {
            self.ended = true;
            return Ok(None);
        }
        Ok(Some(out.into_bytes()))
    }

    async fn next_xlsx_chunk(&mut self) -> Result<Option<Vec<u8>>> {
        if self.file.is_none() {
            self.file = Some(self.write_workbook().await?);
        }
        let file = self.file.as_mut().expect("the workbook was written");
        let mut buf = vec![0; FILE_CHUNK];
        let mut filled = 0;
        while filled < FILE_CHUNK {
            let n = file.read(&mut buf[filled..]).await.map_err(internal)?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        if filled == 0 {
            self.ended = true;
            self.file = None;
            return Ok(None);
        }
        buf.truncate(filled);
        Ok(Some(buf))
    }

    /// Writes every member into a constant-memory workbook (on the blocking
    /// pool, a batch at a time), then zips it into a temporary file and
    /// answers that file from its start.
    async fn write_workbook(&mut self) -> Result<tokio::fs::File> {
        let mut workbook = Workbook::new();
        {
            let sheet = workbook.add_worksheet_with_constant_memory().map_err(xlsx)?;
            sheet.set_name("Users").map_err(xlsx)?;
            for (col, width) in [32.0, 16.0, 20.0, 28.0, 28.0, 10.0, 22.0, 22.0].into_iter().enumerate() {
                sheet.set_column_width(col as u16, width).map_err(xlsx)?;
            }
            sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
            let bold = Format::new().set_bold();
            for (col, name) in COLUMNS.iter().enumerate() {
                sheet.write_string_with_format(0, col as u16, *name, &bold).map_err(xlsx)?;
            }
        }
        let mut next_row: u32 = 1;
        while let Some(records) = self.next_records().await? {
            if records.is_empty() {
                continue;
            }
            if u64::from(next_row) + records.len() as u64 > XLSX_MAX_MEMBERS + 1 {
                return Err(ValidationError::field(
                    "format",
                    format!("an XLSX sheet holds at most {XLSX_MAX_MEMBERS} members; narrow the filter or export CSV"),
                )
                .into());
            }
            (workbook, next_row) = tokio::task::spawn_blocking(move || {
                let sheet = workbook.worksheet_from_index(0)?;
                for r in &records {
                    for (col, cell) in r.iter().enumerate() {
                        sheet.write_string(next_row, col as u16, spreadsheet_safe(cell))?;
                    }
                    next_row += 1;
                }
                Ok::<_, XlsxError>((workbook, next_row))
            })
            .await
            .map_err(internal)?
            .map_err(xlsx)?;
        }
        let file = tokio::task::spawn_blocking(move || -> std::result::Result<std::fs::File, AppError> {
            let sheet = workbook.worksheet_from_index(0).map_err(xlsx)?;
            sheet.autofilter(0, 0, next_row - 1, (COLUMNS.len() - 1) as u16).map_err(xlsx)?;
            let mut file = tempfile::tempfile().map_err(internal)?;
            {
                let mut out = BufWriter::new(&mut file);
                workbook.save_to_writer(&mut out).map_err(xlsx)?;
                out.flush().map_err(internal)?;
            }
            file.seek(SeekFrom::Start(0)).map_err(internal)?;
            Ok(file)
        })
        .await
        .map_err(internal)??;
        Ok(tokio::fs::File::from_std(file))
    }
}

/// One member's record: the name split into first and last name
/// ([`split_name`]), roles and products (their names, in display order)
/// joined by [`LIST_SEPARATOR`], the status as the Users tab words it, times
/// in RFC 3339 (UTC; empty for never).
fn record(m: &Member, roles: &[&str], products: &[&str]) -> [String; 8] {
    let (first, last) = split_name(&m.name);
    [
        m.email.clone(),
        first,
        last,
        roles.join(LIST_SEPARATOR),
        products.join(LIST_SEPARATOR),
        m.status.label().to_string(),
        m.last_active_at.map(rfc3339).unwrap_or_default(),
        rfc3339(m.created_at),
    ]
}

/// RFC 3339 in UTC, as the API writes times.
fn rfc3339(t: Timestamp) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.0) * 1_000_000)
        .ok()
        .and_then(|d| d.format(&Rfc3339).ok())
        .unwrap_or_default()
}

fn xlsx(e: XlsxError) -> AppError {
    AppError::Internal(format!("writing the workbook: {e}"))
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

#[cfg(test)]
mod tests {
    use roster_domain::MemberStatus;

    use super::*;

    #[test]
    fn a_record_has_the_columns_the_import_reads() {
        let m = Member {
            user_id: UserId::new(),
            email: "ann@acme.test".into(),
            name: "Ann Marie Lee".into(),
            status: MemberStatus::Disabled,
            confirmed: true,
            created_at: Timestamp(1_764_000_000_000),
            last_active_at: None,
        };
        let r = record(&m, &["Admin", "Billing Manager"], &["Quote Assistant"]);
        assert_eq!(
            r,
            [
                "ann@acme.test",
                "Ann",
                "Marie Lee",
                "Admin; Billing Manager",
                "Quote Assistant",
                "Disabled",
                "",
                "2025-11-24T16:00:00Z"
            ]
        );
        assert_eq!(r[5].parse::<MemberStatus>().unwrap(), MemberStatus::Disabled);
        assert_eq!("xlsx".parse::<ExportFormat>().unwrap(), ExportFormat::Xlsx);
        assert!("jsonl".parse::<ExportFormat>().is_err());
    }
}
