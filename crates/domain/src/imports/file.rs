//! An uploaded file's bytes read into rows of text cells: CSV (its encoding
//! and delimiter detected) and the spreadsheets calamine reads (XLSX, XLS, ODS).
//!
//! The bytes come from anyone who may upload, so hostile input is expected:
//! reading never panics outward and holds a bounded amount of memory. The
//! bounds are, in order: the file's size ([`Limits::max_bytes`]); for the zip
//! formats (XLSX, ODS) the zip's parts, declared and actually inflated, against
//! [`Limits::max_expanded_bytes`] before calamine opens them; the number of
//! non-empty rows ([`Limits::max_rows`] + [`HEADER_ROWS_ALLOWED`]); the columns
//! ([`MAX_COLUMNS`]); and the text kept, padding included, against the same
//! expanded-size bound. XLSX worksheets are streamed cell by cell, so a sheet
//! that declares a huge range costs nothing; XLS and ODS sheets are read by
//! calamine whole (XLS is bounded by the file size and BIFF's 65,536 × 256
//! cells; ODS's repeated rows and columns are estimated first, see
//! [`ods_cells_estimate`]).
//!
//! Over-long cells: a cell longer than [`Limits::max_cell_chars`] is kept cut
//! to `max_cell_chars + 1` characters, enough for the row reader
//! ([`super::rows::read_rows`]) to see it is over the limit and report it as a
//! cell error, without holding all of it.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};

use calamine::{Data, DataRef, ExcelDateTime, Reader, SheetType};

/// The most columns a file may use (a cell further right is refused, not dropped).
pub const MAX_COLUMNS: usize = 1_000;

/// Non-empty rows allowed beyond [`Limits::max_rows`]: the header row and the
/// notes above it (the XLSX template has one).
pub const HEADER_ROWS_ALLOWED: usize = 10;

/// The most parts a zip (XLSX, ODS) may hold.
pub const MAX_ZIP_ENTRIES: usize = 10_000;

/// What one cell of an ODS sheet costs calamine: its value and its formula text.
const ODS_CELL_BYTES: u64 = 56;

/// What an empty cell slot costs against the expanded-size bound (a `String`).
const CELL_SLOT_BYTES: u64 = 24;

/// Limits a file is read within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest file accepted, in bytes.
    pub max_bytes: usize,
    /// The most data rows (rows below the header row).
    pub max_rows: usize,
    /// The longest cell, in characters.
    pub max_cell_chars: usize,
}

impl Default for Limits {
    /// 20 MiB, 100,000 rows, 4,096 characters per cell.
    fn default() -> Self {
        Limits { max_bytes: 20 * 1024 * 1024, max_rows: 100_000, max_cell_chars: 4_096 }
    }
}

impl Limits {
    /// The most a file may expand to: its zip parts once inflated, and the
    /// cells' text once read. Ten times [`Limits::max_bytes`] (200 MiB by default).
    pub fn max_expanded_bytes(&self) -> u64 {
        (self.max_bytes as u64).saturating_mul(10)
    }
}

/// What kind of file: decided by magic bytes first, the extension second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// Comma-, semicolon- or tab-separated text.
    Csv,
    /// Office Open XML workbook (Excel 2007 and later).
    Xlsx,
    /// BIFF workbook (Excel 97–2003).
    Xls,
    /// OpenDocument spreadsheet (LibreOffice, …).
    Ods,
}

impl FileKind {
    /// The stable lower-case name (`csv`, `xlsx`, `xls`, `ods`).
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Csv => "csv",
            FileKind::Xlsx => "xlsx",
            FileKind::Xls => "xls",
            FileKind::Ods => "ods",
        }
    }

    /// The name people know (`CSV`, `XLSX`, …).
    pub fn label(self) -> &'static str {
        match self {
            FileKind::Csv => "CSV",
            FileKind::Xlsx => "XLSX",
            FileKind::Xls => "XLS",
            FileKind::Ods => "ODS",
        }
    }
}

impl std::fmt::Display for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// A file read into cells: every non-empty row, with its 1-based line (row
/// number in the file / sheet), cells trimmed of surrounding whitespace (not
/// of inner text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    /// What the file turned out to be.
    pub kind: FileKind,
    /// The non-empty rows, in file order.
    pub rows: Vec<SheetRow>,
}

/// One non-empty row of a [`Sheet`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetRow {
    /// The 1-based line: the CSV line the record starts on, or the sheet's row number.
    pub line: u32,
    /// The cells from column A (index 0) to the last non-empty one; empty cells are `""`.
    pub cells: Vec<String>,
}

/// Why a whole file cannot be read. Each message is a sentence a person understands.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum FileError {
    /// The file has no bytes, or no non-empty row.
    #[error("the file is empty")]
    Empty,
    /// Over [`Limits::max_bytes`].
    #[error("the file is larger than {}", size_text(*max_bytes as u64))]
    TooLarge {
        /// The limit, in bytes.
        max_bytes: usize,
    },
    /// More non-empty rows than [`Limits::max_rows`] + [`HEADER_ROWS_ALLOWED`].
    #[error("the file has more than {} rows", thousands(*max_rows as u64))]
    TooManyRows {
        /// The limit on data rows.
        max_rows: usize,
    },
    /// A non-empty cell beyond [`MAX_COLUMNS`].
    #[error("the file has more than {} columns", thousands(*max_columns as u64))]
    TooManyColumns {
        /// The limit.
        max_columns: usize,
    },
    /// Neither CSV nor a spreadsheet Roster reads.
    #[error("this is not a CSV, XLSX, XLS or ODS file")]
    NotSupported,
    /// A spreadsheet that cannot be read; the detail says what was wrong.
    #[error("the spreadsheet is damaged: {0}")]
    Damaged(String),
    /// A spreadsheet protected by a password.
    #[error("the spreadsheet is protected by a password: save it without one and upload it again")]
    Encrypted,
    /// A zip (XLSX, ODS) whose parts inflate past [`Limits::max_expanded_bytes`].
    #[error("the {kind} expands to more than {} (a zip bomb?)", size_text(*max_bytes))]
    ExpandsTooMuch {
        /// XLSX or ODS.
        kind: FileKind,
        /// The limit, in bytes.
        max_bytes: u64,
    },
    /// Cells whose text (and padding) exceeds [`Limits::max_expanded_bytes`].
    #[error("the file holds more cells than can be read at once (over {} of text)", size_text(*max_bytes))]
    TooMuchData {
        /// The limit, in bytes.
        max_bytes: u64,
    },
}

/// "20 MB", "512 KB", "900 bytes" (binary units, as people read them).
fn size_text(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB {
        format!("{} MB", thousands((bytes + MIB / 2) / MIB))
    } else if bytes >= 1024 {
        format!("{} KB", (bytes + 512) / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// 100000 → "100,000".
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Reads an uploaded file into its non-empty rows (see the module's comment
/// for the limits). `file_name` only helps when the bytes do not tell the kind.
pub fn read_file(file_name: &str, bytes: &[u8], limits: &Limits) -> Result<Sheet, FileError> {
    if bytes.len() > limits.max_bytes {
        return Err(FileError::TooLarge { max_bytes: limits.max_bytes });
    }
    if bytes.is_empty() {
        return Err(FileError::Empty);
    }
    let mut kind = detect_kind(file_name, bytes)?;
    let mut cells = Collector::new(limits);
    match kind {
        FileKind::Csv => read_csv(bytes, &mut cells)?,
        FileKind::Xlsx | FileKind::Ods => {
            kind = check_zip(bytes, limits)?;
            if kind == FileKind::Ods {
                let estimate = ods_cells_estimate(bytes, limits)?;
                if estimate.saturating_mul(ODS_CELL_BYTES) > limits.max_expanded_bytes() {
                    return Err(FileError::TooMuchData { max_bytes: limits.max_expanded_bytes() });
                }
            }
            guarded(|| if kind == FileKind::Xlsx { read_xlsx(bytes, &mut cells) } else { read_ods(bytes, &mut cells) })?;
        }
        FileKind::Xls => guarded(|| read_xls(bytes, &mut cells))?,
    }
    let rows = cells.finish();
    if rows.is_empty() {
        return Err(FileError::Empty);
    }
    Ok(Sheet { kind, rows })
}

/// The kind by magic bytes first (zip, OLE compound file), the extension second.
/// A zip is told XLSX from ODS later, by its parts ([`check_zip`]).
fn detect_kind(file_name: &str, bytes: &[u8]) -> Result<FileKind, FileError> {
    const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Ok(FileKind::Xlsx);
    }
    if bytes.starts_with(&CFB_MAGIC) {
        // An encrypted XLSX is a compound file holding the encrypted package.
        if contains(bytes, &utf16le("EncryptedPackage")) {
            return Err(FileError::Encrypted);
        }
        return Ok(FileKind::Xls);
    }
    let extension = file_name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match extension.as_str() {
        "xlsx" | "xlsm" | "xls" | "ods" => {
            Err(FileError::Damaged(format!("the file's content is not a {} spreadsheet", extension.to_uppercase())))
        }
        "csv" | "tsv" | "txt" | "" => {
            let has_utf16_bom = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
            if !has_utf16_bom && bytes.iter().take(64 * 1024).any(|&b| b == 0) {
                Err(FileError::NotSupported)
            } else {
                Ok(FileKind::Csv)
            }
        }
        _ => Err(FileError::NotSupported),
    }
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Runs a spreadsheet reader, turning a panic inside calamine into
/// [`FileError::Damaged`]: the last resort, the fuzz targets look for them.
fn guarded(read: impl FnOnce() -> Result<(), FileError>) -> Result<(), FileError> {
    catch_unwind(AssertUnwindSafe(read))
        .unwrap_or_else(|_| Err(FileError::Damaged("its content could not be read".to_owned())))
}

/// A short form of a reader's error for [`FileError::Damaged`].
fn damaged(error: impl std::fmt::Display) -> FileError {
    let mut text = error.to_string();
    if text.len() > 200 {
        let mut end = 200;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    FileError::Damaged(text)
}

// ---------------------------------------------------------------------------
// Cells collected within the limits.

/// The non-empty cells read so far, by line and column, within the limits.
struct Collector<'a> {
    limits: &'a Limits,
    rows: BTreeMap<u32, BTreeMap<u32, String>>,
    /// What the cells kept cost so far (text bytes plus a slot per padded cell).
    cost: u64,
}

impl<'a> Collector<'a> {
    fn new(limits: &'a Limits) -> Self {
        Collector { limits, rows: BTreeMap::new(), cost: 0 }
    }

    /// Keeps one cell (trimmed; an empty one is skipped).
    fn add(&mut self, line: u32, column: u32, text: &str) -> Result<(), FileError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(());
        }
        if column as usize >= MAX_COLUMNS {
            return Err(FileError::TooManyColumns { max_columns: MAX_COLUMNS });
        }
        let kept = cut(text, self.limits.max_cell_chars.saturating_add(1));
        let row = match self.rows.get_mut(&line) {
            Some(row) => row,
            None => {
                if self.rows.len() >= self.limits.max_rows.saturating_add(HEADER_ROWS_ALLOWED) {
                    return Err(FileError::TooManyRows { max_rows: self.limits.max_rows });
                }
                self.rows.entry(line).or_default()
            }
        };
        let width_before = row.keys().next_back().map_or(0, |&c| c + 1);
        let width_after = width_before.max(column + 1);
        self.cost = self
            .cost
            .saturating_add(kept.len() as u64)
            .saturating_add(u64::from(width_after - width_before) * CELL_SLOT_BYTES);
        if self.cost > self.limits.max_expanded_bytes() {
            return Err(FileError::TooMuchData { max_bytes: self.limits.max_expanded_bytes() });
        }
        row.insert(column, kept.to_owned());
        Ok(())
    }

    /// The rows in line order, each padded with `""` from column A to its last cell.
    fn finish(self) -> Vec<SheetRow> {
        self.rows
            .into_iter()
            .map(|(line, cells)| {
                let width = cells.keys().next_back().map_or(0, |&c| c as usize + 1);
                let mut row = vec![String::new(); width];
                for (column, text) in cells {
                    row[column as usize] = text;
                }
                SheetRow { line, cells: row }
            })
            .collect()
    }
}

/// The first `max_chars` characters of `text`.
fn cut(text: &str, max_chars: usize) -> &str {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

// ---------------------------------------------------------------------------
// CSV.

fn read_csv(bytes: &[u8], cells: &mut Collector<'_>) -> Result<(), FileError> {
    let text = decode_text(bytes);
    let delimiter = detect_delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(error) => return Err(damaged(error)),
        }
        let line = record.position().map_or(0, |p| u32::try_from(p.line()).unwrap_or(u32::MAX));
        for (column, field) in record.iter().enumerate() {
            let column = u32::try_from(column).unwrap_or(u32::MAX);
            cells.add(line, column, field)?;
        }
    }
}

/// The text of a CSV file: UTF-8 (with or without BOM), UTF-16 LE/BE with a
/// BOM, otherwise (not valid UTF-8) Windows-1252.
fn decode_text(bytes: &[u8]) -> Cow<'_, str> {
    if let Some((encoding, bom_length)) = encoding_rs::Encoding::for_bom(bytes) {
        return encoding.decode_without_bom_handling(&bytes[bom_length..]).0;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0,
    }
}

/// The delimiter among comma, semicolon and tab: counted outside quotes on
/// each of the first 20 lines, the one whose most common non-zero count is
/// shared by the most lines (then the larger count; then comma, semicolon,
/// tab in that order). Comma when none occurs.
fn detect_delimiter(text: &str) -> u8 {
    const CANDIDATES: [u8; 3] = [b',', b';', b'\t'];
    const LINES: usize = 20;
    let mut lines: Vec<[usize; 3]> = Vec::new();
    let mut current = [0usize; 3];
    let mut has_content = false;
    let mut in_quotes = false;
    for byte in text.bytes().take(256 * 1024) {
        match byte {
            b'"' => {
                in_quotes = !in_quotes;
                has_content = true;
            }
            b'\n' if !in_quotes => {
                if has_content {
                    lines.push(current);
                    if lines.len() == LINES {
                        break;
                    }
                }
                current = [0; 3];
                has_content = false;
            }
            _ if in_quotes => has_content = true,
            _ => {
                if let Some(i) = CANDIDATES.iter().position(|&c| c == byte) {
                    current[i] += 1;
                } else if !byte.is_ascii_whitespace() {
                    has_content = true;
                }
            }
        }
    }
    if has_content && lines.len() < LINES {
        lines.push(current);
    }
    let mut best = (b',', (0usize, 0usize));
    for (i, &candidate) in CANDIDATES.iter().enumerate() {
        let mut frequency: BTreeMap<usize, usize> = BTreeMap::new();
        for counts in &lines {
            if counts[i] > 0 {
                *frequency.entry(counts[i]).or_default() += 1;
            }
        }
        let score = frequency.iter().map(|(&count, &lines)| (lines, count)).max().unwrap_or((0, 0));
        if score > best.1 {
            best = (candidate, score);
        }
    }
    best.0
}

// ---------------------------------------------------------------------------
// Zip formats: the size check, then calamine.

/// Checks a zip (XLSX or ODS) before calamine opens it: a sane number of
/// parts, none encrypted, their declared sizes and then their actual inflated
/// sizes within [`Limits::max_expanded_bytes`] (a central directory may lie).
/// Answers which of the two the parts say it is.
fn check_zip(bytes: &[u8], limits: &Limits) -> Result<FileKind, FileError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(damaged)?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return Err(FileError::Damaged(format!("it holds more than {} parts", thousands(MAX_ZIP_ENTRIES as u64))));
    }
    let names: Vec<String> = archive.file_names().filter_map(Result::ok).map(Cow::into_owned).collect();
    let kind = if names.iter().any(|n| n == "xl/workbook.xml") {
        FileKind::Xlsx
    } else if names.iter().any(|n| n == "content.xml") {
        FileKind::Ods
    } else {
        return Err(FileError::NotSupported);
    };
    let max = limits.max_expanded_bytes();
    let too_much = FileError::ExpandsTooMuch { kind, max_bytes: max };
    let mut declared: u64 = 0;
    for index in 0..archive.len() {
        let part = archive.by_index_raw(index).map_err(damaged)?;
        if part.encrypted() {
            return Err(FileError::Encrypted);
        }
        declared = declared.saturating_add(part.size());
    }
    if declared > max {
        return Err(too_much);
    }
    let mut inflated: u64 = 0;
    let mut buffer = vec![0u8; 64 * 1024];
    for index in 0..archive.len() {
        let mut part = archive.by_index(index).map_err(damaged)?;
        loop {
            let n = part.read(&mut buffer).map_err(damaged)?;
            if n == 0 {
                break;
            }
            inflated = inflated.saturating_add(n as u64);
            if inflated > max {
                return Err(too_much);
            }
        }
    }
    Ok(kind)
}

/// The first worksheet's name (chart sheets and macro sheets are passed over).
fn first_worksheet<RS: std::io::Read + std::io::Seek, R: Reader<RS>>(book: &R) -> Result<String, FileError> {
    book.sheets_metadata()
        .iter()
        .find(|s| s.typ == SheetType::WorkSheet)
        .map(|s| s.name.clone())
        .ok_or_else(|| FileError::Damaged("it has no worksheet".to_owned()))
}

/// XLSX: the first worksheet streamed cell by cell (calamine's cell reader),
/// so a declared range never becomes an allocation.
fn read_xlsx(bytes: &[u8], cells: &mut Collector<'_>) -> Result<(), FileError> {
    let mut book = calamine::Xlsx::new(Cursor::new(bytes)).map_err(damaged)?;
    let name = first_worksheet(&book)?;
    let mut reader = book.worksheet_cells_reader(&name).map_err(damaged)?;
    while let Some(cell) = reader.next_cell().map_err(damaged)? {
        let (row, column) = cell.get_position();
        cells.add(row.saturating_add(1), column, &data_ref_text(cell.get_value()))?;
    }
    Ok(())
}

/// XLS: the first worksheet's range.
fn read_xls(bytes: &[u8], cells: &mut Collector<'_>) -> Result<(), FileError> {
    let mut book = calamine::Xls::new(Cursor::new(bytes)).map_err(|error| match error {
        calamine::XlsError::Password => FileError::Encrypted,
        other => damaged(other),
    })?;
    let name = first_worksheet(&book)?;
    let range = book.worksheet_range(&name).map_err(damaged)?;
    add_range(&range, cells)
}

/// ODS: the first worksheet's range (after [`ods_cells_estimate`]).
fn read_ods(bytes: &[u8], cells: &mut Collector<'_>) -> Result<(), FileError> {
    let mut book = calamine::Ods::new(Cursor::new(bytes)).map_err(damaged)?;
    let name = first_worksheet(&book)?;
    let range = book.worksheet_range(&name).map_err(damaged)?;
    add_range(&range, cells)
}

fn add_range(range: &calamine::Range<Data>, cells: &mut Collector<'_>) -> Result<(), FileError> {
    let (first_row, first_column) = range.start().unwrap_or((0, 0));
    for (row, column, value) in range.used_cells() {
        let line = first_row.saturating_add(row as u32).saturating_add(1);
        let column = first_column.saturating_add(column as u32);
        cells.add(line, column, &data_text(value))?;
    }
    Ok(())
}

/// A cell as text: the cached value of a formula (never evaluated), integral
/// numbers without ".0", TRUE/FALSE, dates as ISO 8601, errors as Excel shows them.
fn data_text(value: &Data) -> Cow<'_, str> {
    match value {
        Data::Int(n) => Cow::Owned(n.to_string()),
        Data::Float(f) => Cow::Owned(number_text(*f)),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cow::Borrowed(s),
        Data::Bool(b) => Cow::Borrowed(if *b { "TRUE" } else { "FALSE" }),
        Data::DateTime(d) => Cow::Owned(date_text(d)),
        Data::Error(e) => Cow::Owned(e.to_string()),
        Data::Empty => Cow::Borrowed(""),
    }
}

/// [`data_text`] for the XLSX cell reader's values.
fn data_ref_text<'a>(value: &'a DataRef<'a>) -> Cow<'a, str> {
    match value {
        DataRef::Int(n) => Cow::Owned(n.to_string()),
        DataRef::Float(f) => Cow::Owned(number_text(*f)),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cow::Borrowed(s),
        DataRef::SharedString(s) => Cow::Borrowed(s),
        DataRef::Bool(b) => Cow::Borrowed(if *b { "TRUE" } else { "FALSE" }),
        DataRef::DateTime(d) => Cow::Owned(date_text(d)),
        DataRef::Error(e) => Cow::Owned(e.to_string()),
        DataRef::Empty => Cow::Borrowed(""),
    }
}

/// 42.0 → "42", 0.5 → "0.5".
fn number_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 { format!("{}", f as i64) } else { format!("{f}") }
}

/// A date as "2026-12-04", a date and time as "2026-12-04T09:30:00", a time
/// of day as "09:30:00"; a duration as its number of days.
fn date_text(value: &ExcelDateTime) -> String {
    let serial = value.as_f64();
    if value.is_duration() || !serial.is_finite() {
        return number_text(serial);
    }
    let (year, month, day, hour, minute, second, _) = value.to_ymd_hms_milli();
    let time = format!("{hour:02}:{minute:02}:{second:02}");
    if (0.0..1.0).contains(&serial) {
        time
    } else if hour == 0 && minute == 0 && second == 0 {
        format!("{year:04}-{month:02}-{day:02}")
    } else {
        format!("{year:04}-{month:02}-{day:02}T{time}")
    }
}

// ---------------------------------------------------------------------------
// ODS: repeated rows and columns, estimated before calamine expands them.

/// An upper estimate of the cells calamine would allocate for an ODS file's
/// sheets: `table:number-rows-repeated` and `table:number-columns-repeated`
/// let a few bytes of `content.xml` stand for millions of cells, and calamine
/// expands them (up to 100 million cells) when it opens the file, before any
/// other check could run. The estimate reads `content.xml` (already checked
/// by [`check_zip`]) as text: for each row, its repeat count times the columns
/// it spans; trailing empty rows and cells, which calamine does not expand,
/// are counted as one.
pub fn ods_cells_estimate(bytes: &[u8], limits: &Limits) -> Result<u64, FileError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(damaged)?;
    let part = archive.by_name("content.xml").map_err(damaged)?;
    let mut xml = Vec::new();
    part.take(limits.max_expanded_bytes()).read_to_end(&mut xml).map_err(damaged)?;
    Ok(estimate_repeated_cells(&xml))
}

/// See [`ods_cells_estimate`]: the scan over `content.xml`'s tags. Per
/// table, as calamine lays it out: every row up to the last non-empty one
/// (empty rows between them expanded), each as wide as the widest row.
fn estimate_repeated_cells(xml: &[u8]) -> u64 {
    let mut total: u64 = 0;
    let mut expanded_rows: u64 = 0;
    let mut widest: u64 = 0;
    let mut pending_empty_rows: u64 = 0;
    let mut row_repeat: u64 = 1;
    let mut row_columns: u64 = 0;
    let mut pending_empty_columns: u64 = 0;
    let mut position = 0;
    while let Some(offset) = xml[position..].iter().position(|&b| b == b'<') {
        let start = position + offset + 1;
        let Some(length) = xml[start..].iter().position(|&b| b == b'>') else { break };
        let tag = &xml[start..start + length];
        position = start + length + 1;
        let is_tag = |name: &[u8]| {
            tag.starts_with(name) && tag.get(name.len()).is_none_or(|&b| b.is_ascii_whitespace() || b == b'/')
        };
        if is_tag(b"table:table-row") {
            row_repeat = attribute_number(tag, b"table:number-rows-repeated").unwrap_or(1).max(1);
            row_columns = 0;
            pending_empty_columns = 0;
            if tag.ends_with(b"/") {
                pending_empty_rows = pending_empty_rows.saturating_add(row_repeat);
            }
        } else if is_tag(b"/table:table-row") {
            if row_columns == 0 {
                pending_empty_rows = pending_empty_rows.saturating_add(row_repeat);
            } else {
                expanded_rows = expanded_rows.saturating_add(pending_empty_rows).saturating_add(row_repeat);
                pending_empty_rows = 0;
                widest = widest.max(row_columns);
            }
        } else if is_tag(b"table:table-cell") || is_tag(b"table:covered-table-cell") {
            let repeat = attribute_number(tag, b"table:number-columns-repeated").unwrap_or(1).max(1);
            let is_empty = tag.ends_with(b"/") && !contains(tag, b"office:value-type");
            if is_empty {
                pending_empty_columns = pending_empty_columns.saturating_add(repeat);
            } else {
                row_columns = row_columns.saturating_add(pending_empty_columns).saturating_add(repeat);
                pending_empty_columns = 0;
            }
        } else if is_tag(b"/table:table") {
            total = total.saturating_add(expanded_rows.saturating_mul(widest));
            (expanded_rows, widest, pending_empty_rows) = (0, 0, 0);
        }
    }
    total.saturating_add(expanded_rows.saturating_mul(widest))
}

/// The number in `name="123"` within a tag, if any.
fn attribute_number(tag: &[u8], name: &[u8]) -> Option<u64> {
    let at = tag.windows(name.len()).position(|w| w == name)? + name.len();
    let rest = tag[at..].strip_prefix(b"=\"").or_else(|| tag[at..].strip_prefix(b"='"))?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&rest[..digits.min(19)]).ok()?.parse().ok()
}
