//! A look inside an XLS file before calamine opens it. calamine parses every
//! sheet of an XLS when it opens the file, reserving room for the cells a
//! sheet's DIMENSIONS record declares (rows are 32-bit there) and laying each
//! sheet out densely from its outermost cells: a few hostile bytes could ask
//! for terabytes, and an allocation that fails aborts the process, which no
//! `catch_unwind` can stop. So the Workbook stream is read here first (a small
//! compound-file reader, every chain bounded by the file's size) and the cells
//! calamine would lay out are counted from its records.

use super::file::{FileError, Limits, thousands};

const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
const DIRECTORY_ENTRY_BYTES: usize = 128;
const MINI_SECTOR_BYTES: usize = 64;
/// Streams smaller than this live in the mini stream (calamine ignores the header's field).
const MINI_STREAM_CUTOFF: usize = 4096;

/// What one cell costs calamine: its position and value.
const CELL_BYTES: u64 = 40;
/// The most sheets (BOUNDSHEET records) accepted.
const MAX_SHEETS: usize = 1_000;

/// Checks an XLS file before calamine opens it: its Workbook stream is found,
/// and the records calamine would read for each sheet are walked as it walks
/// them: the cells it would hold (the room each DIMENSIONS record reserves,
/// each sheet's dense layout of values and of formulas, and the cells pushed)
/// plus the room it makes for each text cell, which is the length the record
/// declares, whatever follows), and the bytes it would walk (each sheet is read from its BOUNDSHEET
/// position to its EOF, so a hostile list of sheets can make it read the
/// stream many times over) must fit within [`Limits::max_expanded_bytes`].
pub(crate) fn check_workbook(bytes: &[u8], limits: &Limits) -> Result<(), FileError> {
    let stream = workbook_stream(bytes)?;
    let max = limits.max_expanded_bytes();
    if estimate_from_records(&stream, max)? > max {
        return Err(FileError::TooMuchData { max_bytes: max });
    }
    Ok(())
}

fn damaged(what: &str) -> FileError {
    FileError::Damaged(format!("its {what} is broken"))
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// A compound file's sectors and allocation table.
struct Compound<'a> {
    bytes: &'a [u8],
    sector_size: usize,
    fat: Vec<u32>,
}

impl Compound<'_> {
    fn sector(&self, id: u32) -> Option<&[u8]> {
        let start = (id as usize).checked_add(1)?.checked_mul(self.sector_size)?;
        self.bytes.get(start..start.checked_add(self.sector_size)?)
    }

    /// The data of the chain from `start` through `table`, each link's data
    /// from `read`, at most `max_len` bytes; a chain longer than the table
    /// (a loop) is broken.
    fn chain(
        &self,
        start: u32,
        max_len: usize,
        table: &[u32],
        read: impl Fn(u32) -> Option<Vec<u8>>,
    ) -> Option<Vec<u8>> {
        let mut data = Vec::new();
        let mut id = start;
        let mut steps = 0usize;
        while id != END_OF_CHAIN && data.len() < max_len {
            steps += 1;
            if steps > table.len() + 1 {
                return None;
            }
            data.extend_from_slice(&read(id)?);
            id = *table.get(id as usize)?;
        }
        data.truncate(max_len);
        Some(data)
    }

    fn regular_chain(&self, start: u32, max_len: usize) -> Option<Vec<u8>> {
        self.chain(start, max_len, &self.fat, |id| self.sector(id).map(<[u8]>::to_vec))
    }
}

/// The "Workbook" (or BIFF5's "Book") stream of a compound file.
fn workbook_stream(bytes: &[u8]) -> Result<Vec<u8>, FileError> {
    let header = bytes.get(..512).ok_or_else(|| damaged("header"))?;
    let sector_size = match u16_at(header, 0x1E) {
        Some(9) => 512,
        Some(12) => 4096,
        _ => return Err(damaged("header")),
    };
    let directory_start = u32_at(header, 0x30).ok_or_else(|| damaged("header"))?;
    let mini_fat_start = u32_at(header, 0x3C).ok_or_else(|| damaged("header"))?;
    let mut difat_sector = u32_at(header, 0x44).ok_or_else(|| damaged("header"))?;
    let max_sectors = bytes.len() / sector_size;

    // The allocation table's sectors, as calamine finds them: 109 in the
    // header, the rest in a chain of DIFAT sectors (each one's last entry
    // links to the next); every id below DIFSECT counts.
    let mut fat_sectors: Vec<u32> = (0..109).filter_map(|i| u32_at(header, 0x4C + 4 * i)).collect();
    let mut compound = Compound { bytes, sector_size, fat: Vec::new() };
    let mut steps = 0;
    while difat_sector < 0xFFFF_FFFA {
        steps += 1;
        let sector = compound
            .sector(difat_sector)
            .filter(|_| steps <= max_sectors + 1)
            .ok_or_else(|| damaged("allocation table"))?;
        let entries = sector_size / 4 - 1;
        fat_sectors.extend((0..entries).filter_map(|i| u32_at(sector, 4 * i)));
        difat_sector = u32_at(sector, 4 * entries).ok_or_else(|| damaged("allocation table"))?;
    }
    let mut fat = Vec::new();
    for id in fat_sectors.into_iter().filter(|&id| id < 0xFFFF_FFFC) {
        let sector = compound.sector(id).ok_or_else(|| damaged("allocation table"))?;
        fat.extend((0..sector_size / 4).filter_map(|i| u32_at(sector, 4 * i)));
    }
    compound.fat = fat;

    let directory = compound.regular_chain(directory_start, bytes.len()).ok_or_else(|| damaged("directory"))?;
    let entries: Vec<&[u8]> = directory.chunks_exact(DIRECTORY_ENTRY_BYTES).collect();
    let root = entries.first().ok_or_else(|| damaged("directory"))?;
    let entry_size = |entry: &[u8]| {
        let low = u32_at(entry, 0x78).unwrap_or(0) as usize;
        let high = if sector_size == 512 { 0 } else { u32_at(entry, 0x7C).unwrap_or(0) as usize };
        (high << 32 | low).min(bytes.len())
    };
    let named = |wanted: &str| {
        entries.iter().find(|entry| {
            let name_len = (u16_at(entry, 0x40).unwrap_or(0) as usize).min(64);
            let name: Vec<u16> =
                (0..name_len / 2).filter_map(|i| u16_at(entry, 2 * i)).take_while(|&c| c != 0).collect();
            String::from_utf16_lossy(&name).eq_ignore_ascii_case(wanted)
        })
    };
    let workbook = named("Workbook")
        .or_else(|| named("Book"))
        .ok_or_else(|| FileError::Damaged("it has no workbook".to_owned()))?;
    let start = u32_at(workbook, 0x74).ok_or_else(|| damaged("directory"))?;
    let size = entry_size(workbook);

    if size >= MINI_STREAM_CUTOFF {
        return compound.regular_chain(start, size).ok_or_else(|| damaged("workbook stream"));
    }
    // A small stream lives in 64-byte sectors of the root entry's stream.
    let root_start = u32_at(root, 0x74).ok_or_else(|| damaged("directory"))?;
    let mini_stream = compound.regular_chain(root_start, entry_size(root)).ok_or_else(|| damaged("mini stream"))?;
    let mini_fat_bytes = compound.regular_chain(mini_fat_start, bytes.len()).ok_or_else(|| damaged("mini stream"))?;
    let mini_fat: Vec<u32> =
        mini_fat_bytes.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    compound
        .chain(start, size, &mini_fat, |id| {
            let at = (id as usize).checked_mul(MINI_SECTOR_BYTES)?;
            mini_stream.get(at..at + MINI_SECTOR_BYTES).map(<[u8]>::to_vec)
        })
        .ok_or_else(|| damaged("mini stream"))
}

/// The records of a BIFF stream from a position, as calamine's record
/// iterator reads them: each record's type, its data and the bytes it spans,
/// CONTINUE records that follow appended to it (and so passed over); `Err` at
/// a record cut short, where calamine stops with an error.
struct Records<'a> {
    stream: &'a [u8],
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<(u16, &'a [u8], usize), ()>;

    fn next(&mut self) -> Option<Self::Item> {
        const CONTINUE: u16 = 0x003C;
        if self.stream.len() < 4 {
            return if self.stream.is_empty() { None } else { Some(Err(())) };
        }
        let kind = u16_at(self.stream, 0)?;
        let length = usize::from(u16_at(self.stream, 2)?);
        if self.stream.len() < length + 4 {
            return Some(Err(()));
        }
        let (record, mut rest) = self.stream.split_at(length + 4);
        let mut spanned = length + 4;
        if rest.len() > 4 && u16_at(rest, 0) == Some(CONTINUE) {
            while rest.len() > 4 && u16_at(rest, 0) == Some(CONTINUE) {
                let length = usize::from(u16_at(rest, 2)?);
                if rest.len() < length + 4 {
                    return Some(Err(()));
                }
                rest = &rest[length + 4..];
                spanned += length + 4;
            }
        }
        self.stream = rest;
        Some(Ok((kind, &record[4..], spanned)))
    }
}

/// The outermost cells of one sheet and what it holds besides.
#[derive(Default)]
struct SheetBounds {
    /// Room reserved by DIMENSIONS records.
    reserved: u64,
    /// Cells pushed one by one before the dense layout.
    pushed: u64,
    /// Bytes reserved for text cells: the lengths their records declare.
    text: u64,
    rows: Option<(u32, u32)>,
    columns: Option<(u32, u32)>,
    formula_rows: Option<(u32, u32)>,
    formula_columns: Option<(u32, u32)>,
}

fn widen(bounds: &mut Option<(u32, u32)>, low: u32, high: u32) {
    *bounds = Some(match *bounds {
        Some((l, h)) => (l.min(low), h.max(high)),
        None => (low, high),
    });
}

fn span(bounds: Option<(u32, u32)>) -> u64 {
    bounds.map_or(0, |(low, high)| u64::from(high - low) + 1)
}

impl SheetBounds {
    /// What the sheet costs calamine, in bytes.
    fn bytes(&self) -> u64 {
        let values = span(self.rows).saturating_mul(span(self.columns));
        let formulas = span(self.formula_rows).saturating_mul(span(self.formula_columns));
        let cells = self.reserved.saturating_add(self.pushed).saturating_add(values).saturating_add(formulas);
        cells.saturating_mul(CELL_BYTES).saturating_add(self.text)
    }

    fn cell(&mut self, row: u16, column: u16, is_formula: bool) {
        self.pushed += 1;
        widen(&mut self.rows, row.into(), row.into());
        widen(&mut self.columns, column.into(), column.into());
        if is_formula {
            widen(&mut self.formula_rows, row.into(), row.into());
            widen(&mut self.formula_columns, column.into(), column.into());
        }
    }
}

/// See [`check_workbook`] (answers bytes): the globals read up to their EOF for the sheets'
/// positions, then each sheet from its position to its EOF (embedded
/// substreams passed over), as calamine reads them. Records calamine would
/// panic on or overflow with (a record too short, a sheet beyond the stream,
/// a range ending before it starts) are refused here.
fn estimate_from_records(stream: &[u8], max_walk: u64) -> Result<u64, FileError> {
    const BOF: u16 = 0x0809;
    const EOF: u16 = 0x000A;
    let mut positions = Vec::new();
    for record in (Records { stream }) {
        let Ok((kind, data, _)) = record else { return Ok(0) };
        match kind {
            BOF if data.len() < 4 => return Err(damaged("beginning record")),
            // FILEPASS, CODEPAGE, DATEMODE and EXTERNSHEET, read from two bytes.
            0x002F | 0x0042 | 0x0022 | 0x0017 if data.len() < 2 => return Err(damaged("workbook settings")),
            // LBL, a defined name: a 14-byte header, the name, then its formula's `cce` bytes.
            0x0018 if data.len() < 15 || usize::from(u16_at(data, 4).unwrap_or(0)) > data.len() - 15 => {
                return Err(damaged("list of names"));
            }
            0x0085 if data.len() < 8 => return Err(damaged("list of sheets")),
            0x0085 => positions.push(u32_at(data, 0).unwrap_or(0) as usize),
            EOF => break,
            _ => {}
        }
    }
    if positions.len() > MAX_SHEETS {
        return Err(FileError::Damaged(format!("it has more than {} sheets", thousands(MAX_SHEETS as u64))));
    }
    let mut total: u64 = 0;
    let mut walked: u64 = 0;
    for position in positions {
        let sheet_stream = stream.get(position..).ok_or_else(|| damaged("list of sheets"))?;
        let mut sheet = SheetBounds::default();
        let (mut depth, mut seen_bof) = (0usize, false);
        let mut cut_short = false;
        for record in (Records { stream: sheet_stream }) {
            let Ok((kind, data, spanned)) = record else {
                cut_short = true;
                break;
            };
            walked = walked.saturating_add(spanned as u64);
            if walked > max_walk {
                return Err(FileError::TooMuchData { max_bytes: max_walk });
            }
            if depth > 0 {
                match kind {
                    BOF => depth += 1,
                    EOF => depth -= 1,
                    _ => {}
                }
                continue;
            }
            match kind {
                BOF if seen_bof => depth += 1,
                BOF => seen_bof = true,
                EOF => break,
                0x0200 => sheet.reserved = sheet.reserved.saturating_add(dimensions_reserve(data)?),
                // Cells: row and column first; FORMULA's value may also be a cell.
                0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 => {
                    if let (Some(row), Some(column)) = (u16_at(data, 0), u16_at(data, 2)) {
                        sheet.cell(row, column, kind == 0x0006);
                    }
                    // LABEL and RSTRING: the text's length after row, column and format.
                    if kind == 0x0204 || kind == 0x00D6 {
                        sheet.text = sheet.text.saturating_add(u64::from(u16_at(data, 6).unwrap_or(0)));
                    }
                }
                // STRING, a formula's text value: its length first.
                0x0207 => {
                    sheet.pushed += 1;
                    sheet.text = sheet.text.saturating_add(u64::from(u16_at(data, 0).unwrap_or(0)));
                }
                // MULRK: a row's run of numbers, from the first column to the last.
                0x00BD if data.len() >= 6 => {
                    if let (Some(row), Some(first), Some(last)) =
                        (u16_at(data, 0), u16_at(data, 2), u16_at(data, data.len() - 2))
                    {
                        if last < first {
                            return Err(damaged("row of numbers"));
                        }
                        sheet.cell(row, first, false);
                        sheet.cell(row, last, false);
                        sheet.pushed = sheet.pushed.saturating_add(u64::from(last - first));
                    }
                }
                _ => {}
            }
        }
        total = total.saturating_add(sheet.bytes());
        if cut_short {
            // calamine stops the whole workbook with an error here.
            break;
        }
    }
    Ok(total)
}

/// The cells a DIMENSIONS record makes calamine reserve, read as calamine
/// reads it; a range ending before it starts (where calamine's `end - start
/// + 1` would overflow) is refused.
fn dimensions_reserve(data: &[u8]) -> Result<u64, FileError> {
    let (first_row, last_row, first_column, last_column) = match data.len() {
        10 => (
            u32::from(u16_at(data, 0).unwrap_or(0)),
            u32::from(u16_at(data, 2).unwrap_or(0)),
            u32::from(u16_at(data, 4).unwrap_or(0)),
            u32::from(u16_at(data, 6).unwrap_or(0)),
        ),
        14 | 16 => (
            u32_at(data, 0).unwrap_or(0),
            u32_at(data, 4).unwrap_or(0),
            u32::from(u16_at(data, 8).unwrap_or(0)),
            u32::from(u16_at(data, 10).unwrap_or(0)),
        ),
        // calamine refuses other lengths.
        _ => return Ok(0),
    };
    let first_column = if first_column > 0xFF || last_column < first_column { 0 } else { first_column };
    let (end_row, end_column) =
        if last_row >= 1 && last_column >= 1 { (last_row - 1, last_column - 1) } else { (first_row, first_column) };
    if end_row < first_row || end_column < first_column {
        return Err(damaged("sheet's dimensions record"));
    }
    Ok((u64::from(end_row - first_row) + 1).saturating_mul(u64::from(end_column - first_column) + 1))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::imports::file::{FileKind, Limits, read_file};

    fn record(kind: u16, data: &[u8]) -> Vec<u8> {
        let mut bytes = kind.to_le_bytes().to_vec();
        bytes.extend((data.len() as u16).to_le_bytes());
        bytes.extend(data);
        bytes
    }

    /// A BIFF8 workbook stream: one worksheet "Users" with the given records
    /// (cells, DIMENSIONS) between its BOF and EOF.
    pub(crate) fn workbook_of(sheet_records: &[Vec<u8>]) -> Vec<u8> {
        let bof = |kind: u16| {
            let mut data = 0x0600u16.to_le_bytes().to_vec();
            data.extend(kind.to_le_bytes());
            data.extend([0; 12]);
            record(0x0809, &data)
        };
        let name = b"Users";
        let boundsheet = |position: u32| {
            let mut data = position.to_le_bytes().to_vec();
            data.extend([0, 0, name.len() as u8, 0]);
            data.extend(name);
            record(0x0085, &data)
        };
        // A filler record (an ignored type) keeps the stream out of the mini stream.
        let filler = record(0x00E2, &[0; 4200]);
        let globals_len = bof(5).len() + boundsheet(0).len() + filler.len() + record(0x000A, &[]).len();
        let mut stream = bof(5);
        stream.extend(boundsheet(globals_len as u32));
        stream.extend(filler);
        stream.extend(record(0x000A, &[]));
        stream.extend(bof(0x0010));
        for r in sheet_records {
            stream.extend(r);
        }
        stream.extend(record(0x000A, &[]));
        stream
    }

    pub(crate) fn dimensions(
        first_row: u32,
        last_row_plus_one: u32,
        first_col: u16,
        last_col_plus_one: u16,
    ) -> Vec<u8> {
        let mut data = first_row.to_le_bytes().to_vec();
        data.extend(last_row_plus_one.to_le_bytes());
        data.extend(first_col.to_le_bytes());
        data.extend(last_col_plus_one.to_le_bytes());
        data.extend([0, 0]);
        record(0x0200, &data)
    }

    pub(crate) fn label(row: u16, col: u16, text: &str) -> Vec<u8> {
        let mut data = row.to_le_bytes().to_vec();
        data.extend(col.to_le_bytes());
        data.extend([0, 0]);
        data.extend((text.len() as u16).to_le_bytes());
        data.push(0);
        data.extend(text.as_bytes());
        record(0x0204, &data)
    }

    pub(crate) fn number(row: u16, col: u16, value: f64) -> Vec<u8> {
        let mut data = row.to_le_bytes().to_vec();
        data.extend(col.to_le_bytes());
        data.extend([0, 0]);
        data.extend(value.to_le_bytes());
        record(0x0203, &data)
    }

    /// A version 3 compound file (512-byte sectors) holding `stream` as "Workbook".
    pub(crate) fn compound_of(stream: &[u8]) -> Vec<u8> {
        const FREE: u32 = 0xFFFF_FFFF;
        let stream_sectors = stream.len().div_ceil(512);
        assert!(stream.len() >= 4096 && stream_sectors + 2 <= 128);
        let mut header = vec![0u8; 512];
        header[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
        header[0x18..0x1A].copy_from_slice(&0x3Eu16.to_le_bytes());
        header[0x1A..0x1C].copy_from_slice(&3u16.to_le_bytes());
        header[0x1C..0x1E].copy_from_slice(&0xFFFEu16.to_le_bytes());
        header[0x1E..0x20].copy_from_slice(&9u16.to_le_bytes());
        header[0x20..0x22].copy_from_slice(&6u16.to_le_bytes());
        header[0x2C..0x30].copy_from_slice(&1u32.to_le_bytes());
        header[0x30..0x34].copy_from_slice(&1u32.to_le_bytes());
        header[0x38..0x3C].copy_from_slice(&4096u32.to_le_bytes());
        header[0x3C..0x40].copy_from_slice(&END_OF_CHAIN.to_le_bytes());
        header[0x44..0x48].copy_from_slice(&END_OF_CHAIN.to_le_bytes());
        for i in 0..109 {
            let id = if i == 0 { 0 } else { FREE };
            header[0x4C + 4 * i..0x50 + 4 * i].copy_from_slice(&id.to_le_bytes());
        }
        let mut fat = vec![FREE; 128];
        fat[0] = 0xFFFF_FFFD;
        fat[1] = END_OF_CHAIN;
        for i in 0..stream_sectors {
            fat[2 + i] = if i + 1 == stream_sectors { END_OF_CHAIN } else { (3 + i) as u32 };
        }
        let entry = |name: &str, kind: u8, child: u32, start: u32, size: u32| {
            let mut e = vec![0u8; 128];
            let utf16: Vec<u8> = name.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect();
            e[..utf16.len()].copy_from_slice(&utf16);
            e[0x40..0x42].copy_from_slice(&(utf16.len() as u16).to_le_bytes());
            e[0x42] = kind;
            e[0x43] = 1;
            e[0x44..0x48].copy_from_slice(&FREE.to_le_bytes());
            e[0x48..0x4C].copy_from_slice(&FREE.to_le_bytes());
            e[0x4C..0x50].copy_from_slice(&child.to_le_bytes());
            e[0x74..0x78].copy_from_slice(&start.to_le_bytes());
            e[0x78..0x7C].copy_from_slice(&size.to_le_bytes());
            e
        };
        let mut bytes = header;
        bytes.extend(fat.iter().flat_map(|id| id.to_le_bytes()));
        bytes.extend(entry("Root Entry", 5, 1, END_OF_CHAIN, 0));
        bytes.extend(entry("Workbook", 2, FREE, 2, stream.len() as u32));
        bytes.extend([0u8; 256]);
        bytes.extend(stream);
        bytes.resize(512 * (3 + stream_sectors), 0);
        bytes
    }

    #[test]
    fn an_xls_file_is_read() {
        let stream = workbook_of(&[
            dimensions(0, 3, 0, 2),
            label(0, 0, "Email"),
            label(0, 1, "Seats"),
            label(2, 0, "ann@x.test"),
            number(2, 1, 3.0),
        ]);
        let bytes = compound_of(&stream);
        assert_eq!(workbook_stream(&bytes).unwrap(), stream);
        // Reserved 3 × 2, laid out 3 × 2, pushed 4; and the labels' 20 characters.
        assert_eq!(estimate_from_records(&stream, u64::MAX).unwrap(), (3 * 2 + 3 * 2 + 4) * CELL_BYTES + 20);
        let sheet = read_file("old.xls", &bytes, &Limits::default()).unwrap();
        assert_eq!(sheet.kind, FileKind::Xls);
        let rows: Vec<(u32, Vec<String>)> = sheet.rows.into_iter().map(|r| (r.line, r.cells)).collect();
        assert_eq!(
            rows,
            [(1, vec!["Email".to_owned(), "Seats".to_owned()]), (3, vec!["ann@x.test".to_owned(), "3".to_owned()])]
        );
    }

    #[test]
    fn declared_or_spread_out_xls_sheets_are_refused_before_calamine_allocates() {
        let huge_dimensions = compound_of(&workbook_of(&[dimensions(0, u32::MAX, 0, 256), label(0, 0, "Email")]));
        let spread = compound_of(&workbook_of(&[label(0, 0, "Email"), label(65_535, 255, "far")]));
        for bytes in [huge_dimensions, spread] {
            let error = read_file("bomb.xls", &bytes, &Limits::default()).unwrap_err();
            assert!(matches!(error, FileError::TooMuchData { .. }), "{error:?}");
        }
    }

    #[test]
    fn broken_compound_files_are_damaged() {
        let good = compound_of(&workbook_of(&[label(0, 0, "Email")]));
        for cut in [100, 600, 1500, good.len() - 700] {
            assert!(read_file("cut.xls", &good[..cut], &Limits::default()).is_err(), "cut at {cut}");
        }
        // A FAT whose chain loops.
        let mut looping = good.clone();
        looping[512 + 4 * 3..512 + 4 * 4].copy_from_slice(&2u32.to_le_bytes());
        assert!(workbook_stream(&looping).is_ok_and(|s| s.len() <= looping.len()));
        // The stream's last sector linking back to its first: read up to the stream's size, then stopped.
        let mut circular = good;
        let last = 2 + (circular.len() / 512 - 3) - 1;
        circular[512 + 4 * last..512 + 4 * last + 4].copy_from_slice(&2u32.to_le_bytes());
        let _ = read_file("loop.xls", &circular, &Limits::default());
    }

    /// A stream whose globals list `positions` as sheets, followed by `body`
    /// (offsets into the stream: the globals take 4 + 20 + 12 per sheet + 4200 + 4 bytes,
    /// then `body` starts).
    fn stream_with_sheets_at(positions: &[u32], body: &[u8]) -> Vec<u8> {
        let mut bof = 0x0600u16.to_le_bytes().to_vec();
        bof.extend(5u16.to_le_bytes());
        bof.extend([0; 12]);
        let mut stream = record(0x0809, &bof);
        for &position in positions {
            let mut data = position.to_le_bytes().to_vec();
            data.extend([0, 0, 4, 0]);
            data.extend(b"S123");
            stream.extend(record(0x0085, &data));
        }
        stream.extend(record(0x00E2, &[0; 4200]));
        stream.extend(record(0x000A, &[]));
        stream.extend(body);
        stream
    }

    #[test]
    fn sheets_are_walked_from_where_the_list_says_as_calamine_walks_them() {
        // A DIMENSIONS record hidden inside another record's data, where the
        // list of sheets points: calamine reads it as the sheet's first record.
        let mut hidden = vec![];
        hidden.extend(dimensions(0, u32::MAX, 0, 256));
        hidden.extend(label(0, 0, "Email"));
        hidden.extend(record(0x000A, &[]));
        let globals_len = stream_with_sheets_at(&[0], &[]).len();
        let body = record(0x00E2, &hidden);
        let stream = stream_with_sheets_at(&[(globals_len + 4) as u32], &body);
        let estimate = estimate_from_records(&stream, u64::MAX).map(|bytes| bytes > 1 << 32);
        assert_eq!(estimate, Ok(true));
        let bytes = compound_of(&stream);
        assert!(matches!(read_file("hidden.xls", &bytes, &Limits::default()), Err(FileError::TooMuchData { .. })));

        // Many sheets at the start of a stream without an EOF: each one walks
        // all of it, which is bounded.
        let mut cells = vec![];
        for row in 0..200u16 {
            cells.extend(number(row, 0, 1.0));
        }
        let many = stream_with_sheets_at(&vec![0; 900], &cells);
        assert_eq!(estimate_from_records(&many, 1 << 20), Err(FileError::TooMuchData { max_bytes: 1 << 20 }));
        assert!(estimate_from_records(&many, u64::MAX).is_ok());
    }

    #[test]
    fn text_cells_cost_the_length_they_declare() {
        // A LABEL declaring 65,535 characters and holding one: calamine makes room for all of them.
        let mut data = vec![0, 0, 0, 0, 0, 0];
        data.extend(u16::MAX.to_le_bytes());
        data.extend([0, b'x']);
        let labels: Vec<Vec<u8>> = (0..4_000u16).map(|_| record(0x0204, &data)).collect();
        let bytes = compound_of(&workbook_of(&labels));
        assert!(matches!(read_file("long.xls", &bytes, &Limits::default()), Err(FileError::TooMuchData { .. })));
    }

    #[test]
    fn records_calamine_would_panic_on_are_damaged() {
        let beyond = stream_with_sheets_at(&[1_000_000], &[]);
        assert!(matches!(estimate_from_records(&beyond, u64::MAX), Err(FileError::Damaged(_))));
        let short_bof = [record(0x0809, &[6, 0]), record(0x000A, &[])].concat();
        assert!(matches!(estimate_from_records(&short_bof, u64::MAX), Err(FileError::Damaged(_))));
        let short_sheet =
            [record(0x0809, &[0, 6, 5, 0]), record(0x0085, &[0, 0, 0, 0, 0]), record(0x000A, &[])].concat();
        assert!(matches!(estimate_from_records(&short_sheet, u64::MAX), Err(FileError::Damaged(_))));
        let short_date_mode = [record(0x0809, &[0, 6, 5, 0]), record(0x0022, &[]), record(0x000A, &[])].concat();
        assert!(matches!(estimate_from_records(&short_date_mode, u64::MAX), Err(FileError::Damaged(_))));
        let short_name = [record(0x0809, &[0, 6, 5, 0]), record(0x0018, &[0, 0, 0, 1]), record(0x000A, &[])].concat();
        assert!(matches!(estimate_from_records(&short_name, u64::MAX), Err(FileError::Damaged(_))));
        let mut long_formula = vec![0u8; 16];
        long_formula[4] = 9;
        let name = [record(0x0809, &[0, 6, 5, 0]), record(0x0018, &long_formula), record(0x000A, &[])].concat();
        assert!(matches!(estimate_from_records(&name, u64::MAX), Err(FileError::Damaged(_))));
        let too_many = stream_with_sheets_at(&vec![0; MAX_SHEETS + 1], &[]);
        assert!(matches!(estimate_from_records(&too_many, u64::MAX), Err(FileError::Damaged(_))));
    }

    #[test]
    fn ranges_that_end_before_they_start_are_damaged() {
        // calamine computes `end - start + 1` on these: a panic in a debug
        // build, a wrapped-around size in a release one.
        for records in [
            vec![dimensions(10, 5, 0, 3), label(0, 0, "Email")],
            vec![dimensions(0, 1, 3, 3), label(0, 0, "Email")],
            vec![label(0, 0, "Email"), record(0x00BD, &[0, 0, 5, 0, 1, 2, 3, 4, 5, 6, 2, 0])],
        ] {
            let bytes = compound_of(&workbook_of(&records));
            assert!(matches!(read_file("odd.xls", &bytes, &Limits::default()), Err(FileError::Damaged(_))));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn damaged_xls_never_panics(flips in proptest::collection::vec((proptest::prelude::any::<usize>(), proptest::prelude::any::<u8>()), 1..8)) {
            let mut bytes = compound_of(&workbook_of(&[dimensions(0, 3, 0, 2), label(0, 0, "Email"), number(2, 1, 3.0)]));
            for (at, value) in flips {
                let at = at % bytes.len();
                bytes[at] = value;
            }
            let _ = read_file("x.xls", &bytes, &Limits::default());
        }
    }
}
