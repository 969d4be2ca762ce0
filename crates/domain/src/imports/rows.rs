//! The data rows below the header row read into typed fields, with the
//! problems of single cells reported by their A1 reference.

use super::columns::{Column, Mapping};
use super::file::{Limits, Sheet, SheetRow, thousands};

/// One row read: each field as typed (trimmed); lists split.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowInput {
    /// The row's 1-based line in the file.
    pub line: u32,
    /// The Email cell, trimmed and not empty (its syntax is the caller's to check).
    pub email: String,
    /// The first name (the full name's first word without a First name column); may be empty.
    pub first_name: String,
    /// The last name (the rest of the full name without a Last name column); may be empty.
    pub last_name: String,
    /// Role names; `None`: no Roles column, or the cell is empty.
    pub roles: Option<Vec<String>>,
    /// Product names; `None`: no Products column, or the cell is empty.
    pub products: Option<Vec<String>>,
    /// A password hash that [`check_password_hash`] accepts; `None`: no column or an empty cell.
    pub password_hash: Option<String>,
}

/// A problem with one cell (or the row).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CellError {
    /// The row's 1-based line in the file.
    pub line: u32,
    /// The cell's A1 reference like "C7", or "" for the whole row.
    pub cell: String,
    /// The column's header text, as in the file.
    pub column: String,
    /// What is wrong, in words ("the email address is missing").
    pub message: String,
}

impl std::fmt::Display for CellError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.cell.is_empty(), self.column.is_empty()) {
            (true, _) => write!(f, "line {}: {}", self.line, self.message),
            (false, true) => write!(f, "{}: {}", self.cell, self.message),
            (false, false) => write!(f, "{} ({}): {}", self.cell, self.column, self.message),
        }
    }
}

/// "C7" for column index 2 (0-based) and line 7; "AA1" for index 26.
pub fn cell_ref(col: usize, line: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        let digit = (n - 1) % 26;
        letters.push(b'A' + digit as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!("{}{line}", String::from_utf8_lossy(&letters))
}

/// Reads the data rows below the header row into inputs, with the default
/// cell limit ([`Limits::default`]'s 4,096 characters): see [`read_rows_with`].
pub fn read_rows(sheet: &Sheet, header_row: usize, mapping: &Mapping) -> Vec<Result<RowInput, CellError>> {
    read_rows_with(sheet, header_row, mapping, Limits::default().max_cell_chars)
}

/// Reads the data rows below the header row into inputs: Email required
/// (non-empty; syntax is checked by the caller with `Email::parse`); a full
/// name split into first/last (first word / rest) when there are no First name
/// and Last name columns; list cells split on `;`, `,`, `|` and line breaks,
/// items trimmed, empty items dropped, duplicates dropped (first kept,
/// case-insensitive); a cell starting with `'` followed by one of
/// `= + - @`, tab or CR has the `'` removed (undoing the export's formula
/// neutralization, see [`crate::export::spreadsheet_safe`]); a cell longer
/// than `max_cell_chars` characters, or a password hash that
/// [`check_password_hash`] refuses, is a [`CellError`]. Cells of ignored and
/// unplaced columns are not read. Returns one result per data row, in file
/// order (the first problem of a row when it has several).
pub fn read_rows_with(
    sheet: &Sheet,
    header_row: usize,
    mapping: &Mapping,
    max_cell_chars: usize,
) -> Vec<Result<RowInput, CellError>> {
    sheet.rows.iter().skip(header_row.saturating_add(1)).map(|row| read_row(row, mapping, max_cell_chars)).collect()
}

/// One data row; see [`read_rows_with`].
fn read_row(row: &SheetRow, mapping: &Mapping, max_cell_chars: usize) -> Result<RowInput, CellError> {
    let error = |index: usize, message: String| CellError {
        line: row.line,
        cell: cell_ref(index, row.line),
        column: mapping.headers.get(index).cloned().unwrap_or_default(),
        message,
    };
    // The cell of a column (un-neutralized and trimmed), if the file has the column.
    let read = |column: Column| -> Result<Option<(usize, String)>, CellError> {
        let Some(index) = mapping.index_of(column) else { return Ok(None) };
        let text = row.cells.get(index).map_or("", String::as_str);
        if text.chars().count() > max_cell_chars {
            return Err(error(index, format!("longer than {} characters", thousands(max_cell_chars as u64))));
        }
        Ok(Some((index, undo_neutralizing(text).trim().to_owned())))
    };
    let email = match read(Column::Email)? {
        Some((_, email)) if !email.is_empty() => email,
        Some((index, _)) => return Err(error(index, "the email address is missing".to_owned())),
        None => {
            return Err(CellError {
                line: row.line,
                cell: String::new(),
                column: String::new(),
                message: "no column holds the email address".to_owned(),
            });
        }
    };
    let first = read(Column::FirstName)?;
    let last = read(Column::LastName)?;
    let (first_name, last_name) = match (first, last) {
        (None, None) => match read(Column::FullName)? {
            Some((_, full)) => split_full_name(&full),
            None => (String::new(), String::new()),
        },
        (first, last) => (first.map(|(_, t)| t).unwrap_or_default(), last.map(|(_, t)| t).unwrap_or_default()),
    };
    let roles = read(Column::Roles)?.and_then(|(_, cell)| split_list(&cell));
    let products = read(Column::Products)?.and_then(|(_, cell)| split_list(&cell));
    let password_hash = match read(Column::PasswordHash)? {
        Some((_, hash)) if hash.is_empty() => None,
        Some((index, hash)) => match check_password_hash(&hash) {
            Ok(()) => Some(hash),
            Err(message) => return Err(error(index, message)),
        },
        None => None,
    };
    Ok(RowInput { line: row.line, email, first_name, last_name, roles, products, password_hash })
}

/// Removes the `'` the export puts before a cell that would start a formula.
fn undo_neutralizing(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// "Ann Marie Smith" → ("Ann", "Marie Smith").
fn split_full_name(full: &str) -> (String, String) {
    match full.split_once(char::is_whitespace) {
        Some((first, rest)) => (first.to_owned(), rest.trim().to_owned()),
        None => (full.to_owned(), String::new()),
    }
}

/// A list cell's items: split on `;`, `,`, `|` and line breaks, trimmed, the
/// empty ones and later duplicates (ignoring case) dropped. `None` when none is left.
fn split_list(cell: &str) -> Option<Vec<String>> {
    let mut items: Vec<String> = Vec::new();
    for item in cell.split([';', ',', '|', '\n', '\r']).map(str::trim).filter(|i| !i.is_empty()) {
        let folded = item.to_lowercase();
        if !items.iter().any(|seen| seen.to_lowercase() == folded) {
            items.push(item.to_owned());
        }
    }
    (!items.is_empty()).then_some(items)
}

/// Whether `s` is a password hash Roster can verify later, in PHC string form:
/// `$argon2id$`/`$argon2i$`/`$argon2d$`, `$2a$`/`$2b$`/`$2y$` (bcrypt, MCF),
/// `$pbkdf2-sha256$`/`$pbkdf2-sha512$` (PHC), `$scrypt$` (PHC). Syntax check
/// only (no verification). The error is a sentence.
pub fn check_password_hash(s: &str) -> Result<(), String> {
    const UNKNOWN: &str = "not a password hash Roster can verify (argon2, bcrypt, PBKDF2-SHA-256/512 or scrypt, \
                           in PHC form such as $argon2id$…)";
    if s.len() > 1_024 || !s.starts_with('$') {
        return Err(UNKNOWN.to_owned());
    }
    let parts: Vec<&str> = s[1..].split('$').collect();
    let malformed = |name: &str| format!("the {name} password hash is malformed");
    match parts[0] {
        "2a" | "2b" | "2y" => {
            let well_formed = parts.len() == 3
                && parts[1].len() == 2
                && parts[1].parse::<u8>().is_ok_and(|cost| (4..=31).contains(&cost))
                && parts[2].len() == 53
                && parts[2].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/');
            if well_formed { Ok(()) } else { Err(malformed("bcrypt")) }
        }
        "argon2id" | "argon2i" | "argon2d" => {
            // $argon2id$v=19$m=…,t=…,p=…$salt$hash (the version is optional).
            let rest = match parts.get(1) {
                Some(version) if version.starts_with("v=") => {
                    if !is_params(&parts[1..2]) {
                        return Err(malformed("argon2"));
                    }
                    &parts[2..]
                }
                _ => &parts[1..],
            };
            if phc_tail(rest, &["m", "t", "p"]) { Ok(()) } else { Err(malformed("argon2")) }
        }
        "pbkdf2-sha256" | "pbkdf2-sha512" => {
            if phc_tail(&parts[1..], &["i"]) {
                Ok(())
            } else {
                Err(malformed("PBKDF2"))
            }
        }
        "scrypt" => {
            if phc_tail(&parts[1..], &["ln", "r", "p"]) {
                Ok(())
            } else {
                Err(malformed("scrypt"))
            }
        }
        _ => Err(UNKNOWN.to_owned()),
    }
}

/// `params$salt$hash`: parameters `k=digits` separated by commas including
/// each of `required`, then two non-empty standard base64 parts without padding.
fn phc_tail(parts: &[&str], required: &[&str]) -> bool {
    parts.len() == 3
        && is_params(&parts[..1])
        && required.iter().all(|key| parts[0].split(',').any(|p| p.split_once('=').is_some_and(|(k, _)| k == *key)))
        && parts[1..]
            .iter()
            .all(|b64| !b64.is_empty() && b64.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/'))
}

/// `k=v,k=v` with lower-case keys and decimal values.
fn is_params(parts: &[&str]) -> bool {
    parts.iter().all(|part| {
        part.split(',').all(|pair| {
            pair.split_once('=').is_some_and(|(k, v)| {
                !k.is_empty()
                    && k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !v.is_empty()
                    && v.len() <= 10
                    && v.bytes().all(|b| b.is_ascii_digit())
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imports::file::FileKind;
    use std::collections::BTreeMap;

    fn sheet(rows: &[&[&str]]) -> Sheet {
        Sheet {
            kind: FileKind::Csv,
            rows: (1u32..)
                .zip(rows)
                .map(|(line, cells)| SheetRow { line, cells: cells.iter().map(|c| (*c).to_owned()).collect() })
                .collect(),
        }
    }

    fn read(rows: &[&[&str]]) -> Vec<Result<RowInput, CellError>> {
        let sheet = sheet(rows);
        let mapping = Mapping::place(&sheet.rows[0].cells, &BTreeMap::new());
        read_rows(&sheet, 0, &mapping)
    }

    #[test]
    fn cell_references() {
        assert_eq!(cell_ref(0, 1), "A1");
        assert_eq!(cell_ref(2, 7), "C7");
        assert_eq!(cell_ref(25, 3), "Z3");
        assert_eq!(cell_ref(26, 3), "AA3");
        assert_eq!(cell_ref(27, 3), "AB3");
        assert_eq!(cell_ref(701, 9), "ZZ9");
        assert_eq!(cell_ref(702, 9), "AAA9");
    }

    #[test]
    fn fields_are_read_and_trimmed() {
        let rows = read(&[
            &["Email", "First name", "Last name", "Roles", "Products", "Status"],
            &[" ann@x.test ", " Ann ", "Lee", "Admin; billing manager |admin\nUser", "CRM, crm,, Wiki", "Active"],
            &["bo@x.test"],
        ]);
        assert_eq!(
            rows[0],
            Ok(RowInput {
                line: 2,
                email: "ann@x.test".into(),
                first_name: "Ann".into(),
                last_name: "Lee".into(),
                roles: Some(vec!["Admin".into(), "billing manager".into(), "User".into()]),
                products: Some(vec!["CRM".into(), "Wiki".into()]),
                password_hash: None,
            })
        );
        let short = rows[1].as_ref().unwrap();
        assert_eq!((short.first_name.as_str(), short.roles.clone(), short.products.clone()), ("", None, None));
    }

    #[test]
    fn a_full_name_is_split_when_there_are_no_name_columns() {
        let rows =
            read(&[&["Name", "Email"], &["Ann  Marie Lee", "a@x.test"], &["Cher", "c@x.test"], &["", "n@x.test"]]);
        let names: Vec<(String, String)> =
            rows.into_iter().map(|r| r.unwrap()).map(|r| (r.first_name, r.last_name)).collect();
        assert_eq!(
            names,
            [("Ann".into(), "Marie Lee".into()), ("Cher".into(), String::new()), (String::new(), String::new())]
        );
    }

    #[test]
    fn the_exports_formula_neutralizing_is_undone() {
        let rows = read(&[
            &["Email", "First name", "Last name", "Roles"],
            &["'@x.test", "'=cmd", "'-Lee", "'+Ops; Dev"],
            &["a@x.test", "'Quoted", "O'Neil", "'Admin"],
        ]);
        let first = rows[0].as_ref().unwrap();
        assert_eq!(
            (first.email.as_str(), first.first_name.as_str(), first.last_name.as_str()),
            ("@x.test", "=cmd", "-Lee")
        );
        assert_eq!(first.roles, Some(vec!["+Ops".into(), "Dev".into()]));
        let second = rows[1].as_ref().unwrap();
        assert_eq!((second.first_name.as_str(), second.last_name.as_str()), ("'Quoted", "O'Neil"));
        assert_eq!(second.roles, Some(vec!["'Admin".into()]));
    }

    #[test]
    fn cell_errors_name_the_cell_and_the_column() {
        let long = "x".repeat(4_097);
        let rows = read(&[
            &["Login", "Given name", "Password"],
            &["", "Ann"],
            &["b@x.test", &long],
            &["c@x.test", "Cy", "$2b$12$short"],
            &["d@x.test", "Di", "hunter2"],
            &["e@x.test", "Ed", "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$ZXhhbXBsZWhhc2g"],
        ]);
        assert_eq!(
            rows[0],
            Err(CellError {
                line: 2,
                cell: "A2".into(),
                column: "Login".into(),
                message: "the email address is missing".into()
            })
        );
        let over = rows[1].clone().unwrap_err();
        assert_eq!((over.cell.as_str(), over.message.as_str()), ("B3", "longer than 4,096 characters"));
        assert_eq!(over.to_string(), "B3 (Given name): longer than 4,096 characters");
        assert_eq!(rows[2].clone().unwrap_err().message, "the bcrypt password hash is malformed");
        assert!(rows[3].clone().unwrap_err().message.starts_with("not a password hash Roster can verify"));
        assert!(rows[4].as_ref().unwrap().password_hash.as_deref().unwrap().starts_with("$argon2id$"));
        // Exactly at the limit is fine.
        let at_limit = "y".repeat(4_096);
        assert!(read(&[&["Email", "First name"], &["a@x.test", &at_limit]])[0].is_ok());
    }

    #[test]
    fn ignored_and_unplaced_columns_are_not_read() {
        let long = "x".repeat(5_000);
        let rows = read(&[&["Email", "Notes", "Status"], &["a@x.test", &long, &long]]);
        assert!(rows[0].is_ok());
    }

    #[test]
    fn rows_above_and_at_the_header_are_skipped() {
        let sheet = sheet(&[&["Template note"], &["Email"], &["a@x.test"], &["b@x.test"]]);
        let mapping = Mapping::place(&sheet.rows[1].cells, &BTreeMap::new());
        let emails: Vec<String> = read_rows(&sheet, 1, &mapping).into_iter().map(|r| r.unwrap().email).collect();
        assert_eq!(emails, ["a@x.test", "b@x.test"]);
        assert!(read_rows(&sheet, 3, &mapping).is_empty());
        assert!(read_rows(&sheet, usize::MAX, &mapping).is_empty());
    }

    #[test]
    fn password_hashes_in_the_forms_roster_verifies() {
        for good in [
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
            "$argon2i$m=4096,t=3,p=1$c29tZXNhbHQ$ZXhhbXBsZQ",
            "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
            "$2y$04$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
            "$pbkdf2-sha256$i=600000,l=32$c2FsdHNhbHQ$ZXhhbXBsZWhhc2g",
            "$pbkdf2-sha512$i=210000$c2FsdA$aGFzaA",
            "$scrypt$ln=17,r=8,p=1$c2FsdA$aGFzaA",
        ] {
            assert_eq!(check_password_hash(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "hunter2",
            "$1$saltsalt$hash",
            "$argon2id$v=19$m=19456,t=2,p=1$$hash",
            "$argon2id$v=19$m=19456,t=2$c2FsdA$aGFzaA",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA=",
            "$2b$12$tooshort",
            "$2b$99$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
            "$pbkdf2-sha256$600000$c2FsdA$aGFzaA",
            "$pbkdf2-sha1$i=1000$c2FsdA$aGFzaA",
            "$scrypt$ln=17,r=8,p=1$c2FsdA",
            "$scrypt$ln=x,r=8,p=1$c2FsdA$aGFzaA",
        ] {
            let error = check_password_hash(bad).unwrap_err();
            assert!(error.starts_with("not a password hash") || error.ends_with("is malformed"), "{bad}: {error}");
        }
    }
}
