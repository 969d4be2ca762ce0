//! Any bytes uploaded as `x.ods` are read into a sheet or refused with a
//! `FileError`: never a panic, never unbounded memory. (A panic inside
//! calamine is caught by `read_file` in production; under libFuzzer the
//! panic hook aborts first, so the fuzzer still finds it.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use roster_domain::imports::{Limits, read_file};

fuzz_target!(|data: &[u8]| {
    // Small limits, so the fuzzer reaches them.
    let limits = Limits { max_bytes: 1 << 20, max_rows: 1_000, max_cell_chars: 256 };
    if let Ok(sheet) = read_file("x.ods", data, &limits) {
        assert!(!sheet.rows.is_empty());
        assert!(sheet.rows.len() <= limits.max_rows + roster_domain::imports::file::HEADER_ROWS_ALLOWED);
        for row in &sheet.rows {
            assert!(row.cells.len() <= roster_domain::imports::file::MAX_COLUMNS);
            assert!(row.cells.iter().all(|c| c.chars().count() <= limits.max_cell_chars + 1));
        }
    }
});
