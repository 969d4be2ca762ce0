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
//! calamine whole: for XLS, the cells calamine would reserve and lay out are
//! counted first from the Workbook stream's records (`super::xls`); for XLSX,
//! the shared strings announced (calamine makes room for them first); for ODS,
//! `content.xml` must be well-formed and the cells and spaces its repeats ask
//! for are counted first (`super::ods`).
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

use super::xml::{XmlTags, attributes, local_name};

/// The most columns a file may use (a cell further right is refused, not dropped).
pub const MAX_COLUMNS: usize = 1_000;

/// Non-empty rows allowed beyond [`Limits::max_rows`]: the header row and the
/// notes above it (the XLSX template has one).
pub const HEADER_ROWS_ALLOWED: usize = 10;

/// The floor of [`Limits::max_expanded_bytes`]: 200 MiB, so that a small
/// file limit does not refuse well-compressed files.
pub const MIN_EXPANDED_BYTES: u64 = 200 * 1024 * 1024;

/// The most parts a zip (XLSX, ODS) may hold.
pub const MAX_ZIP_ENTRIES: usize = 10_000;

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
    /// cells' text once read. Ten times [`Limits::max_bytes`], and never less
    /// than [`MIN_EXPANDED_BYTES`] (200 MiB, which is also the default's).
    pub fn max_expanded_bytes(&self) -> u64 {
        (self.max_bytes as u64).saturating_mul(10).max(MIN_EXPANDED_BYTES)
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
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sheet {
    /// What the file turned out to be.
    pub kind: FileKind,
    /// The non-empty rows, in file order.
    pub rows: Vec<SheetRow>,
}

/// One non-empty row of a [`Sheet`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
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
                super::ods::check_content(bytes, limits)?;
            }
            guarded(
                || if kind == FileKind::Xlsx { read_xlsx(bytes, &mut cells) } else { read_ods(bytes, &mut cells) },
            )?;
        }
        FileKind::Xls => {
            super::xls::check_workbook(bytes, limits)?;
            guarded(|| read_xls(bytes, &mut cells))?
        }
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
            Err(FileError::Damaged(format!("the file's content is not an {} spreadsheet", extension.to_uppercase())))
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
    let decoded = decode_text(bytes);
    // Excel's hint line "sep=;" names the delimiter (and is not a row).
    let (text, delimiter, first_line) = match separator_hint(&decoded) {
        Some((delimiter, rest)) => (rest, delimiter, 2u32),
        None => (&*decoded, detect_delimiter(&decoded), 1u32),
    };
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    // The csv crate's line numbers count a record from the end of the one
    // before it (blank lines and a CRLF's LF included), so the line a record
    // starts on is counted here: line breaks before its first character.
    let bytes = text.as_bytes();
    let (mut counted_to, mut line) = (0usize, first_line);
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(error) => return Err(damaged(error)),
        }
        let mut start = record.position().map_or(counted_to, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
        start = start.clamp(counted_to, bytes.len());
        while matches!(bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let breaks = bytes[counted_to..start].iter().filter(|&&b| b == b'\n').count();
        line = line.saturating_add(u32::try_from(breaks).unwrap_or(u32::MAX));
        counted_to = start;
        for (column, field) in record.iter().enumerate() {
            let column = u32::try_from(column).unwrap_or(u32::MAX);
            cells.add(line, column, field)?;
        }
    }
}

/// Excel's first line `sep=X` (X a single ASCII character): the delimiter,
/// and the text after that line.
fn separator_hint(text: &str) -> Option<(u8, &str)> {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let hint = first.strip_suffix('\r').unwrap_or(first).strip_prefix("sep=")?;
    match hint.as_bytes() {
        [delimiter] if delimiter.is_ascii() && !delimiter.is_ascii_alphanumeric() && *delimiter != b'"' => {
            Some((*delimiter, rest))
        }
        _ => None,
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
    let mut largest_string_count: u64 = 0;
    // The chunk read, after the end of the one before it (so an attribute
    // cut between two reads is still seen whole).
    const OVERLAP: usize = 64;
    const CHUNK: usize = 64 * 1024;
    let mut window = vec![0u8; OVERLAP + CHUNK];
    for index in 0..archive.len() {
        let mut part = archive.by_index(index).map_err(damaged)?;
        let mut carried = 0;
        // An XLSX's XML parts must be well-formed and their cell references in
        // range (calamine's arithmetic on them overflows otherwise).
        let is_xml = kind == FileKind::Xlsx && part.name().is_ok_and(|n| n.ends_with(".xml"));
        let mut tags = is_xml.then(|| XmlTags::new("XML"));
        let mut references_in_range = true;
        loop {
            let n = part.read(&mut window[carried..carried + CHUNK]).map_err(damaged)?;
            if n == 0 {
                break;
            }
            inflated = inflated.saturating_add(n as u64);
            if inflated > max {
                return Err(too_much);
            }
            if let Some(tags) = tags.as_mut() {
                tags.feed(&window[carried..carried + n], &mut |tag| {
                    references_in_range &= cell_references_in_range(tag);
                })?;
                if !references_in_range {
                    return Err(FileError::Damaged("a cell reference is out of range".to_owned()));
                }
            }
            let seen = carried + n;
            largest_string_count = largest_string_count.max(largest_unique_count(&window[..seen]));
            let keep = seen.min(OVERLAP);
            window.copy_within(seen - keep..seen, 0);
            carried = keep;
        }
        if let Some(tags) = tags {
            tags.finish()?;
        }
    }
    // calamine reserves room for the shared strings an XLSX announces
    // (`<sst uniqueCount="…">`) before reading them: an allocation a few
    // bytes could make fail, which aborts.
    if largest_string_count.saturating_mul(STRING_SLOT_BYTES) > max {
        return Err(FileError::TooMuchData { max_bytes: max });
    }
    Ok(kind)
}

/// Whether the references of a `<c r="…">`, `<row r="…">` or `<dimension
/// ref="…">` tag are within a sheet (at most three letters and seven digits),
/// and a dimension's end is not before its start (calamine's arithmetic on
/// them overflows otherwise).
fn cell_references_in_range(tag: &[u8]) -> bool {
    /// (column, row) of a reference, each 0 when absent; `None` when out of range.
    fn position(reference: &[u8]) -> Option<(u32, u32)> {
        let letters = reference.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        let digits = &reference[letters..];
        if letters > 3 || digits.len() > 7 || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let column = reference[..letters].iter().fold(0, |n, b| n * 26 + u32::from(b.to_ascii_uppercase() - b'A') + 1);
        let row = digits.iter().fold(0, |n, b| n * 10 + u32::from(b - b'0'));
        Some((column, row))
    }
    let (attribute, is_row, is_dimension): (&[u8], bool, bool) = match local_name(tag) {
        b"c" => (b"r", false, false),
        b"row" => (b"r", true, false),
        b"dimension" => (b"ref", false, true),
        _ => return true,
    };
    attributes(tag).filter(|(name, _)| *name == attribute).all(|(_, value)| {
        let positions: Option<Vec<(u32, u32)>> = value.split(|&b| b == b':').map(position).collect();
        match positions.as_deref() {
            None => false,
            Some([(column, _)]) if is_row => *column == 0,
            Some([start, end]) if is_dimension => end.0 >= start.0 && end.1 >= start.1,
            Some(_) => true,
        }
    })
}

/// What one shared string's slot costs calamine (a `String`).
const STRING_SLOT_BYTES: u64 = 24;

/// The largest `uniqueCount="…"` in `xml` (0 if none).
fn largest_unique_count(xml: &[u8]) -> u64 {
    const NAME: &[u8] = b"uniqueCount";
    let mut largest = 0;
    let mut from = 0;
    while let Some(at) = xml[from..].windows(NAME.len()).position(|w| w == NAME) {
        let rest = &xml[from + at + NAME.len()..];
        from += at + NAME.len();
        let rest = rest.trim_ascii_start();
        let Some(rest) = rest.strip_prefix(b"=") else { continue };
        let rest = rest.trim_ascii_start();
        let Some(rest) = rest.strip_prefix(b"\"").or_else(|| rest.strip_prefix(b"'")) else { continue };
        let rest = rest.strip_prefix(b"+").unwrap_or(rest);
        let digits: Vec<u8> = rest.iter().copied().take_while(u8::is_ascii_digit).take(20).collect();
        let value = std::str::from_utf8(&digits)
            .ok()
            .and_then(|d| d.parse::<u64>().ok())
            .unwrap_or(if digits.len() >= 20 { u64::MAX } else { 0 });
        largest = largest.max(value);
    }
    largest
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

/// ODS: the first worksheet's range (after `super::ods::check_content`).
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write as _;
    use std::time::{Duration, Instant};

    fn read(name: &str, bytes: &[u8]) -> Result<Sheet, FileError> {
        read_file(name, bytes, &Limits::default())
    }

    fn cells(sheet: &Sheet) -> Vec<(u32, Vec<&str>)> {
        sheet.rows.iter().map(|r| (r.line, r.cells.iter().map(String::as_str).collect())).collect()
    }

    /// A zip of the given parts (deflated), as an XLSX or ODS would be.
    pub(crate) fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, content) in parts {
            writer.start_file(*name, options).unwrap();
            writer.write_all(content).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    /// A one-sheet ODS whose `content.xml` body is `table`.
    pub(crate) fn ods_of(table: &str) -> Vec<u8> {
        ods_with_content(&format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Users">{table}</table:table></office:spreadsheet></office:body></office:document-content>"#
        ))
    }

    /// An ODS with the given `content.xml`.
    pub(crate) fn ods_with_content(content: &str) -> Vec<u8> {
        let manifest = br#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
        zip_of(&[
            ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
            ("META-INF/manifest.xml", manifest),
            ("content.xml", content.as_bytes()),
        ])
    }

    #[test]
    fn utf8_with_and_without_bom() {
        for bytes in [&b"\xEF\xBB\xBFEmail,Name\r\nann@x.test,Ann\r\n"[..], b"Email,Name\nann@x.test,Ann\n"] {
            let sheet = read("u.csv", bytes).unwrap();
            assert_eq!(sheet.kind, FileKind::Csv);
            assert_eq!(cells(&sheet), [(1, vec!["Email", "Name"]), (2, vec!["ann@x.test", "Ann"])]);
        }
    }

    #[test]
    fn utf16_with_either_bom() {
        let text = "Email;Name\r\nzoë@x.test;Zoë Müller\r\n";
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        for bytes in [le, be] {
            let sheet = read("u.csv", &bytes).unwrap();
            assert_eq!(cells(&sheet), [(1, vec!["Email", "Name"]), (2, vec!["zoë@x.test", "Zoë Müller"])]);
        }
    }

    #[test]
    fn windows_1252_when_not_utf8() {
        let sheet = read("w.csv", b"Email,Last name\r\nm@x.test,M\xFCller \x80\r\n").unwrap();
        assert_eq!(cells(&sheet)[1].1, ["m@x.test", "Müller €"]);
    }

    #[test]
    fn delimiters_are_detected() {
        let semicolon = read("s.csv", b"Email;First name;Roles\na@x.test;Ann;Admin, Billing\nb@x.test;Bo;\n").unwrap();
        assert_eq!(cells(&semicolon)[1].1, ["a@x.test", "Ann", "Admin, Billing"]);
        assert_eq!(cells(&semicolon)[2].1, ["b@x.test", "Bo"]);
        let tab = read("t.tsv", b"Email\tName\na@x.test\tAnn, Smith\n").unwrap();
        assert_eq!(cells(&tab)[1].1, ["a@x.test", "Ann, Smith"]);
        let comma = read("c.csv", b"Email,Roles\na@x.test,\"A;B;C\"\n").unwrap();
        assert_eq!(cells(&comma)[1].1, ["a@x.test", "A;B;C"]);
        // Delimiters inside quotes are not counted.
        let quoted = read("q.csv", b"\"a;b;c;d\",x\n\"e;f;g\",y\n").unwrap();
        assert_eq!(cells(&quoted)[0].1, ["a;b;c;d", "x"]);
        // Excel's "sep=" line names the delimiter and is not a row.
        let hinted = read("h.csv", b"sep=|\r\nEmail|Name\r\na@x.test|Ann, Lee\r\n").unwrap();
        assert_eq!(cells(&hinted), [(2, vec!["Email", "Name"]), (3, vec!["a@x.test", "Ann, Lee"])]);
        let single = read("one.csv", b"Email\na@x.test\n").unwrap();
        assert_eq!(cells(&single), [(1, vec!["Email"]), (2, vec!["a@x.test"])]);
    }

    #[test]
    fn quoted_fields_keep_commas_and_line_breaks_and_blank_rows_are_skipped() {
        let bytes =
            b"Email,Note\r\n\r\n\"a@x.test\",\"one, two\r\nthree\"\r\n , \r\n,,\r\n  b@x.test  ,  in  side  \r\n";
        let sheet = read("q.csv", bytes).unwrap();
        assert_eq!(
            cells(&sheet),
            [(1, vec!["Email", "Note"]), (3, vec!["a@x.test", "one, two\r\nthree"]), (7, vec!["b@x.test", "in  side"])]
        );
    }

    #[test]
    fn ragged_rows_are_kept_as_they_are() {
        let sheet = read("r.csv", b"Email,First name,Last name\na@x.test\nb@x.test,Bo,Li,extra\n").unwrap();
        assert_eq!(cells(&sheet)[1].1, ["a@x.test"]);
        assert_eq!(cells(&sheet)[2].1, ["b@x.test", "Bo", "Li", "extra"]);
    }

    #[test]
    fn row_cap_allows_the_header_rows_then_stops() {
        let limits = Limits { max_rows: 5, ..Limits::default() };
        let mut csv = String::from("Email\n");
        for i in 0..(5 + HEADER_ROWS_ALLOWED - 1) {
            csv.push_str(&format!("p{i}@x.test\n"));
        }
        assert!(read_file("r.csv", csv.as_bytes(), &limits).is_ok());
        csv.push_str("one-more@x.test\n");
        let error = read_file("r.csv", csv.as_bytes(), &limits).unwrap_err();
        assert_eq!(error, FileError::TooManyRows { max_rows: 5 });
        assert_eq!(FileError::TooManyRows { max_rows: 100_000 }.to_string(), "the file has more than 100,000 rows");
    }

    #[test]
    fn size_cap_and_empty_files() {
        let limits = Limits { max_bytes: 10, ..Limits::default() };
        assert_eq!(read_file("big.csv", b"Email\na@x.test\n", &limits), Err(FileError::TooLarge { max_bytes: 10 }));
        assert_eq!(
            FileError::TooLarge { max_bytes: Limits::default().max_bytes }.to_string(),
            "the file is larger than 20 MB"
        );
        assert_eq!(read("e.csv", b""), Err(FileError::Empty));
        assert_eq!(read("e.csv", b" \r\n,,\r\n\t\n"), Err(FileError::Empty));
        assert_eq!(FileError::Empty.to_string(), "the file is empty");
    }

    #[test]
    fn cells_far_right_are_refused() {
        let mut line = ",".repeat(MAX_COLUMNS);
        line.push('x');
        assert_eq!(read("w.csv", line.as_bytes()), Err(FileError::TooManyColumns { max_columns: MAX_COLUMNS }));
        // Trailing empty cells cost nothing.
        let mut line = String::from("x");
        line.push_str(&",".repeat(5 * MAX_COLUMNS));
        assert_eq!(read("w.csv", line.as_bytes()).unwrap().rows[0].cells, ["x"]);
    }

    #[test]
    fn over_long_cells_are_kept_one_character_over_the_limit() {
        let limits = Limits { max_cell_chars: 5, ..Limits::default() };
        let sheet = read_file("l.csv", "Email,Name\na@x.test,ÄÖÜäöüß\n".as_bytes(), &limits).unwrap();
        assert_eq!(sheet.rows[1].cells[1], "ÄÖÜäöü");
        assert_eq!(sheet.rows[1].cells[0], "a@x.te");
    }

    #[test]
    fn kinds_by_magic_then_extension() {
        assert_eq!(read("photo.png", b"\x89PNG\r\n\x1a\n\0\0\0"), Err(FileError::NotSupported));
        assert_eq!(read("notes.pdf", b"Email\na@x.test\n"), Err(FileError::NotSupported));
        assert_eq!(read("bin.csv", b"Email\0\0\x01\x02"), Err(FileError::NotSupported));
        assert!(matches!(read("fake.xlsx", b"Email\na@x.test\n"), Err(FileError::Damaged(_))));
        // The content decides: a CSV named .txt, or with no extension at all.
        assert_eq!(read("users", b"Email\na@x.test\n").unwrap().kind, FileKind::Csv);
        // A zip that is neither (a .docx, say).
        let docx = zip_of(&[("word/document.xml", b"<w:document/>")]);
        assert_eq!(read("users.xlsx", &docx), Err(FileError::NotSupported));
        assert_eq!(FileError::NotSupported.to_string(), "this is not a CSV, XLSX, XLS or ODS file");
    }

    #[test]
    fn xlsx_cells_are_text_and_formulas_are_their_cached_values() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.set_name("People").unwrap();
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        for (column, header) in ["Email", "Seats", "Ratio", "Active", "Joined", "Formula", "Error"].iter().enumerate() {
            sheet.write_string(0, column as u16, *header).unwrap();
        }
        sheet.write_string(2, 0, "  ann@x.test ").unwrap();
        sheet.write_number(2, 1, 42.0).unwrap();
        sheet.write_number(2, 2, 0.25).unwrap();
        sheet.write_boolean(2, 3, true).unwrap();
        let day = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 12, 4).unwrap();
        sheet.write_datetime_with_format(2, 4, &day, &date).unwrap();
        sheet.write_formula(2, 5, rust_xlsxwriter::Formula::new("=B3*2").set_result("84")).unwrap();
        sheet.write_formula(2, 6, rust_xlsxwriter::Formula::new("=1/0").set_result("#DIV/0!")).unwrap();
        sheet
            .write_formula(3, 0, rust_xlsxwriter::Formula::new("=\"bo\"&\"@x.test\"").set_result("bo@x.test"))
            .unwrap();
        sheet.write_boolean(3, 3, false).unwrap();
        let bytes = workbook.save_to_buffer().unwrap();

        let read = read("people.xlsx", &bytes).unwrap();
        assert_eq!(read.kind, FileKind::Xlsx);
        assert_eq!(
            cells(&read),
            [
                (1, vec!["Email", "Seats", "Ratio", "Active", "Joined", "Formula", "Error"]),
                (3, vec!["ann@x.test", "42", "0.25", "TRUE", "2026-12-04", "84", "#DIV/0!"]),
                (4, vec!["bo@x.test", "", "", "FALSE"]),
            ]
        );
        // The extension does not matter when the bytes tell.
        assert_eq!(super::read_file("people.csv", &bytes, &Limits::default()).unwrap().kind, FileKind::Xlsx);
    }

    #[test]
    fn a_huge_declared_range_costs_nothing_in_xlsx() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.write_string(0, 0, "Email").unwrap();
        sheet.write_string(1_048_575, 999, "far").unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        let sheet = read("far.xlsx", &bytes).unwrap();
        assert_eq!(sheet.rows.len(), 2);
        assert_eq!(sheet.rows[1].line, 1_048_576);
        assert_eq!(sheet.rows[1].cells.len(), 1_000);
    }

    #[test]
    fn ods_is_read() {
        let table = r#"<table:table-row><table:table-cell office:value-type="string"><text:p>Email</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Seats</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="2"/></table:table-row><table:table-row><table:table-cell office:value-type="string"><text:p>ann@x.test</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="3"><text:p>3</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>"#;
        let sheet = read("p.ods", &ods_of(table)).unwrap();
        assert_eq!(sheet.kind, FileKind::Ods);
        assert_eq!(cells(&sheet), [(1, vec!["Email", "Seats"]), (4, vec!["ann@x.test", "3"])]);
    }

    #[test]
    fn ods_repeats_that_would_expand_to_millions_of_cells_are_refused_fast() {
        let table = r#"<table:table-row><table:table-cell office:value-type="string" table:number-columns-repeated="16000"><text:p>x</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="1000000"><table:table-cell/></table:table-row><table:table-row><table:table-cell office:value-type="string"><text:p>y</text:p></table:table-cell></table:table-row>"#;
        let started = Instant::now();
        let error = read("bomb.ods", &ods_of(table)).unwrap_err();
        assert!(matches!(error, FileError::TooMuchData { .. }), "{error:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    /// Overwrites every little-endian `from` in `bytes` with `to` (a zip's
    /// declared sizes); answers how many there were.
    fn patch_u32(bytes: &mut [u8], from: u32, to: u32) -> usize {
        let mut patched = 0;
        for at in 0..bytes.len().saturating_sub(4) {
            if bytes[at..at + 4] == from.to_le_bytes() {
                bytes[at..at + 4].copy_from_slice(&to.to_le_bytes());
                patched += 1;
            }
        }
        patched
    }

    #[test]
    fn ods_files_calamine_would_loop_on_or_fill_with_spaces_are_refused() {
        let started = Instant::now();
        // A table never closed: calamine reads to the end of the document, and on, forever.
        let unclosed = ods_with_content(
            r#"<?xml version="1.0"?><office:document-content xmlns:office="o" xmlns:table="t" xmlns:text="x"><office:body><office:spreadsheet><table:table table:name="U"><table:table-row><table:table-cell office:value-type="string"><text:p>Email</text:p></table:table-cell></table:table-row>"#,
        );
        assert!(matches!(read("loop.ods", &unclosed), Err(FileError::Damaged(_))));
        // An annotation never closed inside a cell: the same.
        let annotation = ods_of(
            r#"<table:table-row><table:table-cell office:value-type="string"><office:annotation><text:p>x</text:p></table:table-cell></table:table-row>"#,
        );
        assert!(matches!(read("note.ods", &annotation), Err(FileError::Damaged(_))));
        // Ten billion spaces asked for by a few bytes.
        let spaces = ods_of(
            r#"<table:table-row><table:table-cell office:value-type="string"><text:p>a<text:s text:c="10000000000"/></text:p></table:table-cell></table:table-row>"#,
        );
        assert!(matches!(read("spaces.ods", &spaces), Err(FileError::TooMuchData { .. })));
        // A reasonable number is fine.
        let few = ods_of(
            r#"<table:table-row><table:table-cell office:value-type="string"><text:p>Email<text:s text:c="3"/>x</text:p></table:table-cell></table:table-row>"#,
        );
        assert_eq!(read("few.ods", &few).unwrap().rows[0].cells, ["Email   x"]);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn zips_declaring_huge_parts_are_refused_before_inflating() {
        let parts: [(&str, &[u8]); 3] = [
            ("[Content_Types].xml", b"<Types/>"),
            ("xl/workbook.xml", b"<workbook/>"),
            ("xl/big.xml", &[b'x'; 12_345]),
        ];
        let mut bytes = zip_of(&parts);
        assert!(patch_u32(&mut bytes, 12_345, 0xFFFF_0000) >= 1);
        let error = read("bomb.xlsx", &bytes).unwrap_err();
        assert_eq!(error, FileError::ExpandsTooMuch { kind: FileKind::Xlsx, max_bytes: MIN_EXPANDED_BYTES });
        assert_eq!(error.to_string(), "the XLSX expands to more than 200 MB (a zip bomb?)");
    }

    #[test]
    fn cell_references_beyond_a_sheet_are_refused() {
        assert!(cell_references_in_range(br#"c r="XFD1048576" t="s""#));
        assert!(cell_references_in_range(br#"x:row r="7" spans="1:3""#));
        assert!(cell_references_in_range(br#"dimension ref="A1:C9"/"#));
        assert!(cell_references_in_range(br#"sheetData"#));
        assert!(!cell_references_in_range(br#"c r="ZZZZZZ1""#));
        assert!(!cell_references_in_range(br#"c r="A99999999999""#));
        assert!(!cell_references_in_range(br#"row r="A1""#));
        assert!(!cell_references_in_range(br#"dimension ref="A1:ZZZZZZZ9"/"#));
        assert!(!cell_references_in_range(br#"dimension ref="C5:A1"/"#));
        assert!(!cell_references_in_range(br#"dimension ref="A5:C1"/"#));

        let mut workbook = rust_xlsxwriter::Workbook::new();
        workbook.add_worksheet().write_string(0, 0, "Email").unwrap();
        let good = workbook.save_to_buffer().unwrap();
        let mut archive = zip::ZipArchive::new(Cursor::new(&good)).unwrap();
        let mut parts = Vec::new();
        for i in 0..archive.len() {
            let mut part = archive.by_index(i).unwrap();
            let mut content = Vec::new();
            part.read_to_end(&mut content).unwrap();
            let name = part.name().unwrap().into_owned();
            if name == "xl/worksheets/sheet1.xml" {
                let text = String::from_utf8(content).unwrap();
                assert!(text.contains(r#"<c r="A1""#), "{text}");
                content = text.replace(r#"<c r="A1""#, r#"<c r="AAAAAAA1""#).into_bytes();
            }
            parts.push((name, content));
        }
        let parts: Vec<(&str, &[u8])> = parts.iter().map(|(n, c)| (n.as_str(), c.as_slice())).collect();
        assert_eq!(
            read("far.xlsx", &zip_of(&parts)),
            Err(FileError::Damaged("a cell reference is out of range".into()))
        );
        // A part cut short is refused before calamine reads it.
        let cut: Vec<(&str, &[u8])> =
            parts.iter().map(|&(n, c)| if n == "xl/workbook.xml" { (n, &c[..c.len() / 2]) } else { (n, c) }).collect();
        assert!(matches!(read("cut.xlsx", &zip_of(&cut)), Err(FileError::Damaged(_))));
    }

    #[test]
    fn announced_shared_strings_are_bounded() {
        assert_eq!(largest_unique_count(br#"<sst xmlns="x" count="3" uniqueCount="2"><si>"#), 2);
        assert_eq!(largest_unique_count(b"<sst uniqueCount = '77' count=\"9\">"), 77);
        assert_eq!(largest_unique_count(b"<sst uniqueCount=\"99999999999999999999999\">"), u64::MAX);
        assert_eq!(largest_unique_count(b"<sst count=\"4\">"), 0);
        let sst = br#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="90000000000"><si><t>a</t></si></sst>"#;
        let mut workbook = rust_xlsxwriter::Workbook::new();
        workbook.add_worksheet().write_string(0, 0, "Email").unwrap();
        let good = workbook.save_to_buffer().unwrap();
        let mut archive = zip::ZipArchive::new(Cursor::new(&good)).unwrap();
        let mut parts = Vec::new();
        for i in 0..archive.len() {
            let mut part = archive.by_index(i).unwrap();
            let mut content = Vec::new();
            part.read_to_end(&mut content).unwrap();
            let name = part.name().unwrap().into_owned();
            parts.push((name.clone(), if name == "xl/sharedStrings.xml" { sst.to_vec() } else { content }));
        }
        assert!(parts.iter().any(|(n, _)| n == "xl/sharedStrings.xml"));
        let parts: Vec<(&str, &[u8])> = parts.iter().map(|(n, c)| (n.as_str(), c.as_slice())).collect();
        let error = read("strings.xlsx", &zip_of(&parts)).unwrap_err();
        assert!(matches!(error, FileError::TooMuchData { .. }), "{error:?}");
    }

    #[test]
    fn zip_bombs_are_refused_fast() {
        // 201 MiB of zeros deflate to about 200 KB.
        let zeros = vec![0u8; (MIN_EXPANDED_BYTES + (1 << 20)) as usize];
        let bomb = zip_of(&[
            ("content.xml", b"<x/>"),
            ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
            ("big.xml", &zeros),
        ]);
        drop(zeros);
        assert!(bomb.len() < 1_000_000, "{}", bomb.len());
        let started = Instant::now();
        assert_eq!(
            read("bomb.ods", &bomb),
            Err(FileError::ExpandsTooMuch { kind: FileKind::Ods, max_bytes: MIN_EXPANDED_BYTES })
        );
        // The same bomb with its sizes declared small is inflated, and
        // counted, before calamine sees it (the zip crate itself also stops
        // at a part's declared size).
        let mut lying = bomb.clone();
        assert!(patch_u32(&mut lying, (MIN_EXPANDED_BYTES + (1 << 20)) as u32, 10) >= 2);
        let lied = read("bomb.ods", &lying);
        assert!(matches!(lied, Err(FileError::Damaged(_) | FileError::ExpandsTooMuch { .. })), "{lied:?}");
        assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
        // A larger file limit raises the bound.
        assert_eq!(Limits { max_bytes: 30 << 20, ..Limits::default() }.max_expanded_bytes(), 300 << 20);
        assert_eq!(Limits { max_bytes: 1_000, ..Limits::default() }.max_expanded_bytes(), MIN_EXPANDED_BYTES);
    }

    #[test]
    fn garbage_and_truncated_spreadsheets_are_errors() {
        let template = super::super::template::template_xlsx(&["Admin".into()], &["CRM".into()]).unwrap();
        for cut in [10, 100, template.len() / 2, template.len() - 30] {
            assert!(read("t.xlsx", &template[..cut]).is_err(), "cut at {cut}");
        }
        let mut cfb = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        cfb.extend([0x55; 600]);
        assert!(matches!(read("old.xls", &cfb), Err(FileError::Damaged(_))));
        let mut encrypted = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        encrypted.extend(utf16le("EncryptedPackage"));
        assert_eq!(read("secret.xlsx", &encrypted), Err(FileError::Encrypted));
    }

    #[test]
    fn the_xlsx_template_reads_back_as_a_note_then_headers() {
        let bytes = super::super::template::template_xlsx(&["Admin".into(), "User".into()], &["CRM".into()]).unwrap();
        let sheet = read("template.xlsx", &bytes).unwrap();
        assert_eq!(sheet.rows.len(), 2);
        assert_eq!(sheet.rows[0].line, 1);
        assert!(sheet.rows[0].cells[0].starts_with("One person per row"));
        assert_eq!(sheet.rows[1].line, 2);
        assert_eq!(sheet.rows[1].cells, super::super::template::TEMPLATE_HEADERS);
    }

    #[test]
    fn sizes_and_counts_in_words() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(size_text(200 * 1024 * 1024), "200 MB");
        assert_eq!(size_text(900), "900 bytes");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
            let limits = Limits { max_bytes: 4096, max_rows: 50, max_cell_chars: 64 };
            for name in ["x.csv", "x.xlsx", "x.xls", "x.ods", "x"] {
                let _ = read_file(name, &bytes, &limits);
            }
        }

        #[test]
        fn damaged_xlsx_never_panics(flips in proptest::collection::vec((proptest::prelude::any::<usize>(), proptest::prelude::any::<u8>()), 1..8)) {
            let mut bytes = super::super::template::template_xlsx(&["Admin".into()], &["CRM".into()]).unwrap();
            for (at, value) in flips {
                let at = at % bytes.len();
                bytes[at] = value;
            }
            let _ = read("x.xlsx", &bytes);
        }
    }
}
