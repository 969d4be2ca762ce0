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
            .set_input_message(format!("Pick one from the list, or type several separated by semicolons."))?;
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
