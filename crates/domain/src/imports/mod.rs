//! Bulk import's pure part: an uploaded file read into rows of cells
//! ([`file`]), its headers mapped to Roster's columns ([`columns`]), its rows
//! read into typed fields with cell-level errors ([`rows`]), and the templates
//! to download ([`template`]).

pub mod columns;
pub mod file;
pub mod rows;
pub mod template;
mod xls;

pub use columns::{Column, Mapping, find_header_row, normalize_header, place};
pub use file::{FileError, FileKind, Limits, Sheet, SheetRow, read_file};
pub use rows::{CellError, RowInput, cell_ref, check_password_hash, read_rows};
pub use template::{TEMPLATE_HEADERS, template_csv, template_xlsx};
