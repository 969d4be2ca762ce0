//! Bulk import's pure part: an uploaded file read into rows of cells
//! ([`file`]), its headers mapped to Roster's columns ([`columns`]), its rows
//! read into typed fields with cell-level errors ([`rows`]), and the templates
//! to download ([`template`]); and the import as a job ([`job`]): statuses,
//! modes, outcomes and counts.

pub mod columns;
pub mod file;
pub mod job;
mod ods;
pub mod rows;
pub mod template;
mod xls;
mod xml;

pub use columns::{Column, Mapping, find_header_row, normalize_header, place};
pub use file::{FileError, FileKind, Limits, Sheet, SheetRow, read_file};
pub use rows::{CellError, RowInput, cell_ref, check_password_hash, read_rows};
pub use template::{TEMPLATE_HEADERS, template_csv, template_xlsx};

#[cfg(test)]
mod fuzz_seeds {
    use super::file::tests::{ods_of, zip_of};
    use super::xls::tests::{compound_of, dimensions, label, number, workbook_of};

    /// Writes the seed corpora of the fuzz targets (`fuzz/corpus/*`); run by
    /// hand: `cargo test -p roster-domain --lib write_fuzz_seeds -- --ignored`.
    #[test]
    #[ignore = "writes files into fuzz/corpus"]
    fn write_fuzz_seeds() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
        let write = |target: &str, name: &str, bytes: &[u8]| {
            std::fs::create_dir_all(root.join(target)).unwrap();
            std::fs::write(root.join(target).join(name), bytes).unwrap();
        };

        write("import_csv", "template.csv", &super::template_csv());
        write(
            "import_csv",
            "semicolons_quoted.csv",
            "Email;Name;Roles\r\n\"a@x.test\";\"Ann \"\"A\"\" Lee\";\"Admin;\r\nUser\"\r\n\r\n;;\r\n'=b@x.test;Bo;\r\n"
                .as_bytes(),
        );
        write("import_csv", "tabs.tsv", b"Email\tFirst name\tProducts\na@x.test\tAnn\tCRM, Wiki\n");
        write("import_csv", "windows_1252.csv", b"Email,Last name\r\nm@x.test,M\xFCller\r\n");
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend("Email,Name\r\nzoë@x.test,Zoë\r\n".encode_utf16().flat_map(u16::to_le_bytes));
        write("import_csv", "utf16le.csv", &utf16);

        write(
            "import_xlsx",
            "template.xlsx",
            &super::template_xlsx(&["Admin".into(), "User".into()], &["CRM".into()]).unwrap(),
        );
        write("import_xlsx", "template_no_lists.xlsx", &super::template_xlsx(&[], &[]).unwrap());
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.write_string(0, 0, "Email").unwrap();
        sheet.write_string(0, 1, "Seats").unwrap();
        sheet.write_string(1, 0, "a@x.test").unwrap();
        sheet.write_number(1, 1, 42.5).unwrap();
        sheet.write_boolean(1, 2, true).unwrap();
        sheet.write_formula(2, 1, rust_xlsxwriter::Formula::new("=B2*2").set_result("85")).unwrap();
        sheet.write_string(40, 30, "far").unwrap();
        write("import_xlsx", "values.xlsx", &workbook.save_to_buffer().unwrap());
        write("import_xlsx", "not_a_workbook.zip", &zip_of(&[("xl/workbook.xml", b"<workbook/>")]));

        let table = r#"<table:table-row><table:table-cell office:value-type="string"><text:p>Email</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="3"><table:table-cell table:number-columns-repeated="4"/></table:table-row><table:table-row><table:table-cell office:value-type="string"><text:p>a@x.test</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="3"><text:p>3</text:p></table:table-cell></table:table-row>"#;
        write("import_ods", "users.ods", &ods_of(table));
        write("import_ods", "empty.ods", &ods_of(""));
        write(
            "import_ods",
            "repeated.ods",
            &ods_of(
                r#"<table:table-row table:number-rows-repeated="5"><table:table-cell office:value-type="string" table:number-columns-repeated="3"><text:p>x</text:p></table:table-cell></table:table-row>"#,
            ),
        );

        write(
            "import_xls",
            "users.xls",
            &compound_of(&workbook_of(&[
                dimensions(0, 3, 0, 2),
                label(0, 0, "Email"),
                label(0, 1, "Seats"),
                label(2, 0, "a@x.test"),
                number(2, 1, 3.0),
            ])),
        );
        write(
            "import_xls",
            "no_dimensions.xls",
            &compound_of(&workbook_of(&[label(0, 0, "Email"), label(1, 0, "b@x.test")])),
        );
        write(
            "import_xls",
            "numbers.xls",
            &compound_of(&workbook_of(&[dimensions(0, 2, 0, 3), number(0, 0, 1.0), number(1, 2, -2.5)])),
        );
    }
}
#[cfg(test)]
mod mutations;
