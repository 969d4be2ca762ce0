//! Rules for files people open in a spreadsheet: CSV records, and the
//! neutralization of cells a spreadsheet would run as a formula (CWE-1236,
//! "CSV injection"). The History export uses them; any other export (the
//! members directory's) must too.

use std::borrow::Cow;

/// The characters that make a spreadsheet read a cell as a formula (or, for
/// tab and carriage return, that some spreadsheets strip before looking):
/// `=`, `+`, `-`, `@`, tab, carriage return.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell as it is safe to write into a CSV file: a value beginning with a
/// formula character gets a leading `'`, which spreadsheets show as text and
/// do not evaluate (OWASP's recommendation). Other values are unchanged.
pub fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) { Cow::Owned(format!("'{cell}")) } else { Cow::Borrowed(cell) }
}

/// Undoes [`spreadsheet_safe`] for an import that reads an export back: a
/// cell of a leading `'` followed by a formula character loses the `'`.
/// Only a value that itself began with `'` and a formula character (which
/// the export writes unchanged) reads differently from what was exported.
pub fn from_spreadsheet_safe(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => cell,
    }
}

/// One CSV record (RFC 4180), ending in CRLF: every cell made
/// [`spreadsheet_safe`] first, then quoted when it holds a comma, a quote or
/// a line break (quotes doubled).
pub fn csv_record<S: AsRef<str>>(cells: &[S]) -> String {
    let mut out = String::new();
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let safe = spreadsheet_safe(cell.as_ref());
        if safe.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&safe.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&safe);
        }
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_get_a_leading_quote() {
        for bad in ["=SUM(A1:A9)", "+1", "-2+3", "@cmd", "\tx", "\rx", "=HYPERLINK(\"http://x\")"] {
            assert_eq!(spreadsheet_safe(bad), format!("'{bad}"), "{bad:?}");
        }
    }

    #[test]
    fn other_values_are_unchanged() {
        for ok in ["", "Ann", "ann@acme.test", "1-2", " =not first", "'quoted", "über", "a=b"] {
            assert_eq!(spreadsheet_safe(ok), ok, "{ok:?}");
            assert!(matches!(spreadsheet_safe(ok), Cow::Borrowed(_)));
        }
    }

    #[test]
    fn an_import_reads_a_neutralized_cell_back() {
        for v in ["=SUM(A1:A9)", "+1", "-2+3", "@cmd", "\tx", "\rx", "", "Ann", "'quoted", "a=b", "'"] {
            assert_eq!(from_spreadsheet_safe(&spreadsheet_safe(v)), v, "{v:?}");
        }
        // The one ambiguity: a value that began with ' and a formula character.
        assert_eq!(from_spreadsheet_safe(&spreadsheet_safe("'=x")), "=x");
    }

    #[test]
    fn records_quote_what_needs_it_after_neutralizing() {
        assert_eq!(csv_record(&["a", "b c", ""]), "a,b c,\r\n");
        assert_eq!(csv_record(&["x,y", "say \"hi\"", "two\nlines"]), "\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n");
        // Neutralized first, so the quote is inside the quoted cell.
        assert_eq!(csv_record(&["=1,2", "-5"]), "\"'=1,2\",'-5\r\n");
        assert_eq!(csv_record(&["\rx"]), "\"'\rx\"\r\n");
    }
}
