//! The templates an administrator downloads to fill in: a CSV with the header
//! row only, and an XLSX with a note, the headers, and lists to pick roles and
//! products from.

use rust_xlsxwriter::{DataValidation, DataValidationErrorStyle, Format, Formula, Workbook};

/// Header row of the templates (and of the export's first five columns).
pub const TEMPLATE_HEADERS: [&str; 5] = ["Email", "First name", "Last name", "Roles", "Products"];

/// The note above the XLSX template's headers.
pub const TEMPLATE_NOTE: &str = "One person per row, from row 3. Roles and Products: pick from the list, or type several \
                                 separated by semicolons. Email is required.";

/// The last row (0-based) the XLSX template's lists apply to: 100,000 people from row 3.
const LAST_DATA_ROW: u32 = 100_001;

/// The CSV template: UTF-8 with BOM (Excel opens it right), header row only, CRLF.
pub fn template_csv() -> Vec<u8> {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(crate::export::csv_record(&TEMPLATE_HEADERS).as_bytes());
    bytes
}

/// The XLSX template: sheet "Users" with row 1 a note (merged across A–E,
/// italic, wrapped), row 2 the bold headers (panes frozen below them), column
/// widths set; a hidden sheet "Lists" with the organization's role names
/// (column A) and product names (column B); and on D3:D100002 and E3:E100002 a
/// list validation from those names, with the Information error style (so
/// "A; B" may still be typed) and an input message. An empty list leaves its
/// column without validation.
pub fn template_xlsx(roles: &[String], products: &[String]) -> Result<Vec<u8>, String> {
    build_xlsx(roles, products).map_err(|e| format!("the template could not be written: {e}"))
}

fn build_xlsx(roles: &[String], products: &[String]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut workbook = Workbook::new();
    let note = Format::new().set_italic().set_text_wrap();
    let bold = Format::new().set_bold();

    let users = workbook.add_worksheet();
    users.set_name("Users")?;
    users.merge_range(0, 0, 0, 4, TEMPLATE_NOTE, &note)?;
    users.set_row_height(0, 45)?;
    for (column, header) in (0u16..).zip(TEMPLATE_HEADERS) {
        users.write_string_with_format(1, column, header, &bold)?;
    }
    for (column, width) in [(0u16, 34.0), (1, 18.0), (2, 18.0), (3, 30.0), (4, 30.0)] {
        users.set_column_width(column, width)?;
    }
    users.set_freeze_panes(2, 0)?;
    for (column, letter, names, what) in [(3u16, "A", roles, "Roles"), (4, "B", products, "Products")] {
        if names.is_empty() {
            continue;
        }
        let list = Formula::new(format!("=Lists!${letter}$1:${letter}${}", names.len()));
        let validation = DataValidation::new()
            .allow_list_formula(list)
            .set_error_style(DataValidationErrorStyle::Information)
            .set_input_title(what)?
            .set_input_message("Pick one from the list, or type several separated by semicolons.")?;
        users.add_data_validation(2, column, LAST_DATA_ROW, column, &validation)?;
    }

    let lists = workbook.add_worksheet();
    lists.set_name("Lists")?;
    lists.set_hidden(true);
    for (column, names) in [(0u16, roles), (1, products)] {
        for (row, name) in (0u32..).zip(names) {
            lists.write_string(row, column, name)?;
        }
    }
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Read};

    #[test]
    fn the_csv_template_is_the_header_row_with_a_bom() {
        assert_eq!(template_csv(), b"\xEF\xBB\xBFEmail,First name,Last name,Roles,Products\r\n");
        let sheet = crate::imports::read_file("template.csv", &template_csv(), &Default::default()).unwrap();
        assert_eq!(sheet.rows.len(), 1);
        assert_eq!(sheet.rows[0].cells, TEMPLATE_HEADERS);
        assert_eq!(crate::imports::find_header_row(&sheet, &Default::default()), Some(0));
    }

    /// The text of one part of the XLSX zip.
    fn part(bytes: &[u8], name: &str) -> String {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut text = String::new();
        archive.by_name(name).unwrap().read_to_string(&mut text).unwrap();
        text
    }

    #[test]
    fn the_xlsx_template_has_the_note_headers_lists_and_validations() {
        let roles = vec!["Admin".to_owned(), "Billing, Ops".to_owned(), "=Danger".to_owned()];
        let products = vec!["CRM".to_owned()];
        let bytes = template_xlsx(&roles, &products).unwrap();

        let sheet = crate::imports::read_file("template.xlsx", &bytes, &Default::default()).unwrap();
        assert_eq!(crate::imports::find_header_row(&sheet, &Default::default()), Some(1));
        assert_eq!(sheet.rows[0].cells[0], TEMPLATE_NOTE);
        let mapping = crate::imports::Mapping::place(&sheet.rows[1].cells, &Default::default());
        assert!(mapping.problems().is_empty() && mapping.unplaced().is_empty());
        assert!(crate::imports::read_rows(&sheet, 1, &mapping).is_empty());

        let workbook = part(&bytes, "xl/workbook.xml");
        assert!(
            workbook.contains(r#"name="Users""#) && workbook.contains(r#"name="Lists" sheetId="2" state="hidden""#),
            "{workbook}"
        );
        let users = part(&bytes, "xl/worksheets/sheet1.xml");
        assert!(users.contains(r#"<mergeCell ref="A1:E1"/>"#), "{users}");
        assert!(users.contains(r#"topLeftCell="A3""#), "frozen below the headers: {users}");
        assert!(users.contains(r#"errorStyle="information""#), "{users}");
        assert!(
            users.contains(r#"sqref="D3:D100002""#) && users.contains("<formula1>Lists!$A$1:$A$3</formula1>"),
            "{users}"
        );
        assert!(
            users.contains(r#"sqref="E3:E100002""#) && users.contains("<formula1>Lists!$B$1:$B$1</formula1>"),
            "{users}"
        );
        let shared = part(&bytes, "xl/sharedStrings.xml");
        assert!(shared.contains("Billing, Ops") && shared.contains("=Danger"), "{shared}");
    }

    #[test]
    fn an_empty_list_leaves_its_column_without_validation() {
        let bytes = template_xlsx(&["Admin".to_owned()], &[]).unwrap();
        let users = part(&bytes, "xl/worksheets/sheet1.xml");
        assert!(users.contains(r#"sqref="D3:D100002""#));
        assert!(!users.contains("E3:E100002"));
        let none = template_xlsx(&[], &[]).unwrap();
        assert!(!part(&none, "xl/worksheets/sheet1.xml").contains("dataValidation"));
    }
}
