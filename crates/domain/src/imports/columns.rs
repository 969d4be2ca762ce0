//! Which column of Roster each header of an imported file names: synonyms,
//! the organization's remembered answers, and the checks a mapping must pass.

use std::collections::BTreeMap;

use super::file::Sheet;

/// A column the importer understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    /// The person's email address (required).
    Email,
    /// Given name.
    FirstName,
    /// Family name.
    LastName,
    /// The whole name in one cell, split into first word and the rest.
    FullName,
    /// Role names, several in one cell.
    Roles,
    /// Product names, several in one cell.
    Products,
    /// A password hash from another system.
    PasswordHash,
    /// A column that is not imported.
    Ignore,
}

impl Column {
    /// Every column, in the order the mapping step lists them.
    pub const ALL: [Column; 8] = [
        Column::Email,
        Column::FirstName,
        Column::LastName,
        Column::FullName,
        Column::Roles,
        Column::Products,
        Column::PasswordHash,
        Column::Ignore,
    ];

    /// The stable name (`email`, `first_name`, …), as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Column::Email => "email",
            Column::FirstName => "first_name",
            Column::LastName => "last_name",
            Column::FullName => "full_name",
            Column::Roles => "roles",
            Column::Products => "products",
            Column::PasswordHash => "password_hash",
            Column::Ignore => "ignore",
        }
    }

    /// The column [`Column::as_str`] names.
    pub fn parse(s: &str) -> Option<Self> {
        Column::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// What a person reads in the mapping step ("Email", "First name", …).
    pub fn label(self) -> &'static str {
        match self {
            Column::Email => "Email",
            Column::FirstName => "First name",
            Column::LastName => "Last name",
            Column::FullName => "Full name",
            Column::Roles => "Roles",
            Column::Products => "Products",
            Column::PasswordHash => "Password hash",
            Column::Ignore => "Ignore this column",
        }
    }
}

/// A header as compared: lower-cased, every space, underscore, hyphen and dot
/// removed ("E-mail" → "email", "Given name" → "givenname", "first_name" → "firstname").
pub fn normalize_header(h: &str) -> String {
    h.trim()
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '_' | '-' | '.')))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Normalized headers and the column each names by itself.
const SYNONYMS: &[(&str, Column)] = &[
    ("email", Column::Email),
    ("emailaddress", Column::Email),
    ("mail", Column::Email),
    ("username", Column::Email),
    ("login", Column::Email),
    ("upn", Column::Email),
    ("userprincipalname", Column::Email),
    ("workemail", Column::Email),
    ("primaryemail", Column::Email),
    ("firstname", Column::FirstName),
    ("givenname", Column::FirstName),
    ("first", Column::FirstName),
    ("forename", Column::FirstName),
    ("prenom", Column::FirstName),
    ("prénom", Column::FirstName),
    ("vorname", Column::FirstName),
    ("lastname", Column::LastName),
    ("surname", Column::LastName),
    ("familyname", Column::LastName),
    ("last", Column::LastName),
    ("nachname", Column::LastName),
    ("name", Column::FullName),
    ("fullname", Column::FullName),
    ("displayname", Column::FullName),
    ("roles", Column::Roles),
    ("role", Column::Roles),
    ("rolename", Column::Roles),
    ("rolenames", Column::Roles),
    ("products", Column::Products),
    ("product", Column::Products),
    ("licenses", Column::Products),
    ("license", Column::Products),
    ("licences", Column::Products),
    ("licence", Column::Products),
    ("passwordhash", Column::PasswordHash),
    ("password", Column::PasswordHash),
    ("hash", Column::PasswordHash),
    ("passwordphc", Column::PasswordHash),
    // Columns the Users export writes that an import has no use for.
    ("status", Column::Ignore),
    ("lastactive", Column::Ignore),
    ("created", Column::Ignore),
    ("createdat", Column::Ignore),
    ("membersince", Column::Ignore),
    ("id", Column::Ignore),
    ("userid", Column::Ignore),
    ("invited", Column::Ignore),
];

/// The column a header names by itself: the synonyms (after [`normalize_header`]).
pub fn place(header: &str) -> Option<Column> {
    let key = normalize_header(header);
    SYNONYMS.iter().find(|(synonym, _)| *synonym == key).map(|&(_, column)| column)
}

/// The column `header` goes to: the organization's remembered answer first, then the synonyms.
fn place_with(header: &str, remembered: &BTreeMap<String, Column>) -> Option<Column> {
    if header.trim().is_empty() {
        return None;
    }
    remembered.get(&normalize_header(header)).copied().or_else(|| place(header))
}

/// Where each header of a file goes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Mapping {
    /// The header row's cells, as in the file.
    pub headers: Vec<String>,
    /// For each header, its column, or `None` while nobody has said.
    pub columns: Vec<Option<Column>>,
}

impl Mapping {
    /// Places each header: `remembered` (normalized header → column, the
    /// organization's answers to earlier mapping steps) first, then the synonyms.
    pub fn place(headers: &[String], remembered: &BTreeMap<String, Column>) -> Mapping {
        Mapping { headers: headers.to_vec(), columns: headers.iter().map(|h| place_with(h, remembered)).collect() }
    }

    /// Headers that could not be placed (index, text): the mapping step asks
    /// about these. Blank headers of empty columns are not asked about.
    pub fn unplaced(&self) -> Vec<(usize, String)> {
        self.headers
            .iter()
            .zip(&self.columns)
            .enumerate()
            .filter(|(_, (header, column))| column.is_none() && !header.trim().is_empty())
            .map(|(index, (header, _))| (index, header.clone()))
            .collect()
    }

    /// Why the mapping cannot be used yet, if so: no Email column; a column
    /// placed twice (except Ignore); a full name together with first or last
    /// names. Each message is a sentence.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.index_of(Column::Email).is_none() {
            problems.push("No column is the email address: choose which column holds it.".to_owned());
        }
        for column in Column::ALL {
            if column == Column::Ignore {
                continue;
            }
            let headers: Vec<String> = self
                .headers
                .iter()
                .zip(&self.columns)
                .filter(|(_, c)| **c == Some(column))
                .map(|(h, _)| format!("\u{201c}{h}\u{201d}"))
                .collect();
            if headers.len() > 1 {
                problems.push(format!(
                    "{} is chosen for more than one column ({}): keep one and ignore the others.",
                    column.label(),
                    headers.join(", ")
                ));
            }
        }
        let has_full = self.index_of(Column::FullName).is_some();
        if has_full && (self.index_of(Column::FirstName).is_some() || self.index_of(Column::LastName).is_some()) {
            problems.push(
                "Full name cannot be imported together with first or last names: ignore one or the other.".to_owned(),
            );
        }
        problems
    }

    /// The index of the (first) header placed as `c`.
    pub fn index_of(&self, c: Column) -> Option<usize> {
        self.columns.iter().position(|&placed| placed == Some(c))
    }
}

/// How many of the sheet's first rows may hold the header row.
pub const HEADER_SEARCH_ROWS: usize = 10;

/// Finds the header row: the first of the sheet's first 10 rows in which some
/// cell places as Email (by the remembered answers or the synonyms); rows
/// above it (the template's note row) are skipped. Returns the index into
/// `sheet.rows`.
pub fn find_header_row(sheet: &Sheet, remembered: &BTreeMap<String, Column>) -> Option<usize> {
    sheet
        .rows
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .position(|row| row.cells.iter().any(|cell| place_with(cell, remembered) == Some(Column::Email)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imports::file::{FileKind, SheetRow};

    fn headers(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|t| (*t).to_owned()).collect()
    }

    #[test]
    fn headers_are_normalized() {
        assert_eq!(normalize_header("E-mail"), "email");
        assert_eq!(normalize_header("Given name"), "givenname");
        assert_eq!(normalize_header("first_name"), "firstname");
        assert_eq!(normalize_header("  E.Mail  Address "), "emailaddress");
        assert_eq!(normalize_header("Prénom"), "prénom");
    }

    #[test]
    fn synonyms_place_headers_whatever_their_case_and_spacing() {
        for (header, column) in [
            ("Email", Column::Email),
            ("E-Mail Address", Column::Email),
            ("userPrincipalName", Column::Email),
            ("UPN", Column::Email),
            ("Work email", Column::Email),
            ("Given Name", Column::FirstName),
            ("first_name", Column::FirstName),
            ("Vorname", Column::FirstName),
            ("SURNAME", Column::LastName),
            ("Family-name", Column::LastName),
            ("Display name", Column::FullName),
            ("Name", Column::FullName),
            ("Role names", Column::Roles),
            ("Licences", Column::Products),
            ("Product", Column::Products),
            ("password_hash", Column::PasswordHash),
            ("Status", Column::Ignore),
            ("Last active", Column::Ignore),
            ("Member since", Column::Ignore),
        ] {
            assert_eq!(place(header), Some(column), "{header}");
        }
        assert_eq!(place("Department"), None);
        assert_eq!(place("Groups"), None);
    }

    #[test]
    fn the_users_export_headers_place_without_asking() {
        let export =
            headers(&["Email", "First name", "Last name", "Roles", "Products", "Status", "Last active", "Created"]);
        let mapping = Mapping::place(&export, &BTreeMap::new());
        assert!(mapping.unplaced().is_empty());
        assert!(mapping.problems().is_empty(), "{:?}", mapping.problems());
        assert_eq!(mapping.index_of(Column::Products), Some(4));
    }

    #[test]
    fn remembered_answers_come_before_synonyms() {
        let remembered = BTreeMap::from([
            ("contact".to_owned(), Column::Email),
            ("name".to_owned(), Column::Ignore),
            ("team".to_owned(), Column::Roles),
        ]);
        let mapping = Mapping::place(&headers(&["Contact", "NAME", "Team", "Department", ""]), &remembered);
        assert_eq!(mapping.columns, [Some(Column::Email), Some(Column::Ignore), Some(Column::Roles), None, None]);
        assert_eq!(mapping.unplaced(), [(3, "Department".to_owned())]);
    }

    #[test]
    fn problems_name_what_is_wrong() {
        let none = Mapping::place(&headers(&["First name", "Department"]), &BTreeMap::new());
        assert_eq!(none.problems(), ["No column is the email address: choose which column holds it."]);

        let twice = Mapping::place(&headers(&["Email", "Mail", "Status", "Created"]), &BTreeMap::new());
        let problems = twice.problems();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("Email is chosen for more than one column"), "{problems:?}");
        assert!(problems[0].contains("\u{201c}Mail\u{201d}"));

        let names = Mapping::place(&headers(&["Email", "Name", "Surname"]), &BTreeMap::new());
        assert_eq!(
            names.problems(),
            ["Full name cannot be imported together with first or last names: ignore one or the other."]
        );
        assert!(names.problems().iter().all(|p| p.ends_with('.')));
    }

    #[test]
    fn columns_round_trip_their_names() {
        for column in Column::ALL {
            assert_eq!(Column::parse(column.as_str()), Some(column));
            assert_eq!(serde_json::to_string(&column).unwrap(), format!("\"{}\"", column.as_str()));
        }
        assert_eq!(Column::parse("Email"), None);
        assert_eq!(Column::Ignore.label(), "Ignore this column");
    }

    #[test]
    fn the_header_row_is_found_below_notes() {
        let row = |line: u32, cells: &[&str]| SheetRow { line, cells: headers(cells) };
        let sheet = Sheet {
            kind: FileKind::Xlsx,
            rows: vec![
                row(1, &["One person per row, from row 3. Email is required."]),
                row(2, &["Work e-mail", "Name"]),
                row(3, &["ann@x.test", "Ann"]),
            ],
        };
        assert_eq!(find_header_row(&sheet, &BTreeMap::new()), Some(1));
        let custom = Sheet { kind: FileKind::Csv, rows: vec![row(1, &["Contact", "Who"]), row(2, &["a@x.test", "A"])] };
        assert_eq!(find_header_row(&custom, &BTreeMap::new()), None);
        let remembered = BTreeMap::from([("contact".to_owned(), Column::Email)]);
        assert_eq!(find_header_row(&custom, &remembered), Some(0));
        let mut deep = Sheet { kind: FileKind::Csv, rows: (1..=10).map(|l| row(l, &["note"])).collect() };
        deep.rows.push(row(11, &["Email"]));
        assert_eq!(find_header_row(&deep, &BTreeMap::new()), None);
    }
}
