//! A look inside an ODS file's `content.xml` before calamine opens it.
//! calamine reads every sheet when it opens an ODS file, and three things in
//! that XML could make it misbehave: `table:number-rows-repeated` and
//! `table:number-columns-repeated` let a few bytes stand for millions of cells,
//! which calamine expands (up to 100 million); `text:c` on `<text:s>` makes it
//! push that many spaces; and a table or an annotation that is never closed
//! makes it loop forever at the end of the document. So the XML is streamed
//! here first: its tags must nest and close, and the cells and spaces they
//! stand for must fit within [`Limits::max_expanded_bytes`].

use std::io::{Cursor, Read};

use super::file::{FileError, Limits};
use super::xml::XmlTags;

/// What one cell of an ODS sheet costs calamine: its value and its formula text.
const CELL_BYTES: u64 = 56;

/// Checks an ODS file's `content.xml` (its size already checked with the rest
/// of the zip): see the module's comment.
pub(crate) fn check_content(bytes: &[u8], limits: &Limits) -> Result<(), FileError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| FileError::Damaged(e.to_string()))?;
    let mut part = archive
        .by_name("content.xml")
        .map_err(|_| FileError::Damaged("it has no content.xml".to_owned()))?
        .take(limits.max_expanded_bytes());
    let mut tags = XmlTags::new("content.xml");
    let mut estimate = Estimate::default();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = part.read(&mut chunk).map_err(|e| FileError::Damaged(e.to_string()))?;
        if n == 0 {
            break;
        }
        tags.feed(&chunk[..n], &mut |tag| estimate.tag(tag))?;
    }
    tags.finish()?;
    let max = limits.max_expanded_bytes();
    if estimate.cells().saturating_mul(CELL_BYTES) > max || estimate.spaces > max {
        return Err(FileError::TooMuchData { max_bytes: max });
    }
    Ok(())
}

/// The cells calamine would lay out, counted from the tags: per table, every
/// row up to the last non-empty one (empty rows between them expanded, as
/// calamine does), each as wide as the widest row; and the spaces `<text:s>`
/// asks for.
#[derive(Default)]
struct Estimate {
    /// Cells of the tables already closed.
    closed: u64,
    expanded_rows: u64,
    widest: u64,
    pending_empty_rows: u64,
    row_repeat: u64,
    row_columns: u64,
    pending_empty_columns: u64,
    spaces: u64,
}

impl Estimate {
    fn cells(&self) -> u64 {
        self.closed.saturating_add(self.expanded_rows.saturating_mul(self.widest))
    }

    /// One tag's text, between `<` and `>`.
    fn tag(&mut self, tag: &[u8]) {
        let is = |name: &[u8]| {
            tag.starts_with(name) && tag.get(name.len()).is_none_or(|&b| b.is_ascii_whitespace() || b == b'/')
        };
        if is(b"table:table-row") {
            self.row_repeat = attribute_number(tag, b"table:number-rows-repeated").unwrap_or(1).max(1);
            self.row_columns = 0;
            self.pending_empty_columns = 0;
            if tag.ends_with(b"/") {
                self.pending_empty_rows = self.pending_empty_rows.saturating_add(self.row_repeat);
            }
        } else if is(b"/table:table-row") {
            if self.row_columns == 0 {
                self.pending_empty_rows = self.pending_empty_rows.saturating_add(self.row_repeat);
            } else {
                self.expanded_rows =
                    self.expanded_rows.saturating_add(self.pending_empty_rows).saturating_add(self.row_repeat);
                self.pending_empty_rows = 0;
                self.widest = self.widest.max(self.row_columns);
            }
        } else if is(b"table:table-cell") || is(b"table:covered-table-cell") {
            let repeat = attribute_number(tag, b"table:number-columns-repeated").unwrap_or(1).max(1);
            // calamine skips a cell without a value type or formula (and so
            // its repeats) unless a non-empty one follows in the row.
            if !contains(tag, b"office:value-type") && !contains(tag, b"table:formula") {
                self.pending_empty_columns = self.pending_empty_columns.saturating_add(repeat);
            } else {
                self.row_columns = self.row_columns.saturating_add(self.pending_empty_columns).saturating_add(repeat);
                self.pending_empty_columns = 0;
            }
        } else if is(b"/table:table") {
            self.closed = self.cells();
            (self.expanded_rows, self.widest, self.pending_empty_rows) = (0, 0, 0);
        } else if is(b"text:s") {
            self.spaces = self.spaces.saturating_add(attribute_number(tag, b"text:c").unwrap_or(1));
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The number in `name="123"` within a tag: the largest, if the name occurs
/// more than once; `u64::MAX` for a value with a character reference (which
/// calamine would decode); `None` when there is no number.
fn attribute_number(tag: &[u8], name: &[u8]) -> Option<u64> {
    let mut largest = None;
    let mut from = 0;
    while let Some(at) = tag[from..].windows(name.len()).position(|w| w == name) {
        from += at + name.len();
        let rest = tag[from..].trim_ascii_start();
        let Some(rest) = rest.strip_prefix(b"=") else { continue };
        let rest = rest.trim_ascii_start();
        let Some(&quote) = rest.first().filter(|q| **q == b'"' || **q == b'\'') else { continue };
        let value = &rest[1..];
        let value = &value[..value.iter().position(|&b| b == quote).unwrap_or(value.len())];
        let number = if value.contains(&b'&') {
            Some(u64::MAX)
        } else {
            let digits = value.strip_prefix(b"+").unwrap_or(value);
            std::str::from_utf8(digits).ok().and_then(|d| d.parse::<u64>().ok())
        };
        largest = largest.max(number);
    }
    largest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estimate(xml: &[u8]) -> Result<Estimate, FileError> {
        let mut tags = XmlTags::new("content.xml");
        let mut estimate = Estimate::default();
        tags.feed(xml, &mut |tag| estimate.tag(tag))?;
        tags.finish()?;
        Ok(estimate)
    }

    fn cells(table: &str) -> u64 {
        estimate(format!("<table:table>{table}</table:table>").as_bytes()).unwrap().cells()
    }

    #[test]
    fn the_estimate_counts_what_calamine_expands() {
        // Trailing empty rows and cells are not expanded.
        let trailing = r#"<table:table-row><table:table-cell office:value-type="string"/></table:table-row><table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>"#;
        assert_eq!(cells(trailing), 1);
        // Empty rows between non-empty ones are, as wide as the widest row.
        let between = r#"<table:table-row><table:table-cell table:number-columns-repeated="3" office:value-type="float"/></table:table-row><table:table-row table:number-rows-repeated="10"><table:table-cell/></table:table-row><table:table-row><table:table-cell office:value-type="float"/></table:table-row>"#;
        assert_eq!(cells(between), 12 * 3);
        // Cells without a value type or a formula are empty, however they are written.
        let styled = r#"<table:table-row><table:table-cell table:number-columns-repeated="16000" table:style-name="ce1"></table:table-cell><table:table-cell office:value-type="string"/></table:table-row>"#;
        assert_eq!(cells(styled), 16_001);
        let trailing_styled = r#"<table:table-row><table:table-cell office:value-type="string"/><table:table-cell table:number-columns-repeated="16000" table:style-name="ce1"></table:table-cell></table:table-row>"#;
        assert_eq!(cells(trailing_styled), 1);
        // Two tables add up.
        let two = format!("<t><table:table>{between}</table:table><table:table>{between}</table:table></t>");
        assert_eq!(estimate(two.as_bytes()).unwrap().cells(), 72);
    }

    #[test]
    fn tags_cut_between_reads_are_read_whole() {
        let xml = br#"<table:table><table:table-row table:number-rows-repeated="5"><table:table-cell office:value-type="float" a='>'/></table:table-row></table:table>"#;
        for cut in 0..xml.len() {
            let mut tags = XmlTags::new("content.xml");
            let mut estimate = Estimate::default();
            tags.feed(&xml[..cut], &mut |tag| estimate.tag(tag)).unwrap();
            tags.feed(&xml[cut..], &mut |tag| estimate.tag(tag)).unwrap();
            tags.finish().unwrap();
            assert_eq!(estimate.cells(), 5, "cut at {cut}");
        }
    }

    #[test]
    fn spaces_are_counted() {
        let xml = br#"<table:table><text:p>a<text:s text:c="7"/>b<text:s/></text:p></table:table>"#;
        assert_eq!(estimate(xml).unwrap().spaces, 8);
        let referenced = br#"<text:s text:c="&#57;&#57;"/>"#;
        assert_eq!(estimate(referenced).unwrap().spaces, u64::MAX);
    }

    #[test]
    fn attribute_numbers() {
        assert_eq!(attribute_number(br#"x a="12" b='3'"#, b"a"), Some(12));
        assert_eq!(attribute_number(br#"x b = '3'"#, b"b"), Some(3));
        assert_eq!(attribute_number(br#"x a="+4""#, b"a"), Some(4));
        assert_eq!(attribute_number(br#"x a="four""#, b"a"), None);
        assert_eq!(attribute_number(br#"x a="&#52;""#, b"a"), Some(u64::MAX));
        assert_eq!(attribute_number(br#"x y="a=&quot;1&quot;" a="9""#, b"a"), Some(9));
    }
}
