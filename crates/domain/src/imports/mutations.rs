//! A mutation test of `read_file` that runs on the stable toolchain, beside
//! the cargo-fuzz targets in `fuzz/`: seeds of each format (the XML parts of
//! XLSX and ODS files mutated before they are zipped again, so the mutations
//! reach calamine's parsers) read under a panic hook that records every
//! panic, even one `read_file` catches. It fails on any panic, and on any
//! input that takes more than two seconds.
//!
//! `cargo test -p roster-domain --lib mutated_files -- --ignored` (alone: the
//! panic hook is the process's); `MUTATIONS=100000` and `MUTATION_SEED=7`
//! change the run.
use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::sync::Mutex;

use super::file::tests::{ods_of, zip_of};
use super::file::{Limits, read_file};
use super::xls::tests::{compound_of, dimensions, label, number, workbook_of};

static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: &[&str] = &[
    "uniqueCount=\"999999999\"",
    "r=\"XFD1048576\"",
    "r=\"A0\"",
    "r=\"ZZZZZZ1\"",
    "t=\"s\"",
    "<v>99999999</v>",
    "<v>-1</v>",
    "t=\"e\"",
    "t=\"b\"",
    "t=\"d\"",
    "t=\"inlineStr\"",
    "<is><t>x</t></is>",
    "<f t=\"shared\" si=\"4000000000\" ref=\"A1:A3\">A1</f>",
    "s=\"999\"",
    "<c r=\"B2\" s=\"1\"><v>45000.5</v></c>",
    "table:number-columns-repeated=\"99999\"",
    "table:number-rows-repeated=\"99999999\"",
    "office:value-type=\"date\" office:date-value=\"99999-13-45T99:99\"",
    "office:value-type=\"float\" office:value=\"1e400\"",
    "office:value-type=\"percentage\"",
    "office:value-type=\"time\" office:time-value=\"PT999999H\"",
    "<dimension ref=\"A1:XFD1048576\"/>",
    "<row r=\"4294967295\">",
    "<numFmt numFmtId=\"4294967295\" formatCode=\"yyyy\"/>",
    "<sheet name=\"S\" sheetId=\"1\" r:id=\"rId9\"/>",
    "&#0;",
    "&#xD800;",
    "<![CDATA[<]]>",
    "<!-- -->",
    "\u{FEFF}",
    "é",
];

fn mutate_bytes(rng: &mut Rng, bytes: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(6) {
        match rng.below(6) {
            0 if !bytes.is_empty() => {
                let at = rng.below(bytes.len());
                bytes[at] = rng.next() as u8;
            }
            1 if !bytes.is_empty() => {
                let at = rng.below(bytes.len());
                bytes.truncate(at);
            }
            2 => {
                let at = rng.below(bytes.len() + 1);
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                bytes.splice(at..at, token.iter().copied());
            }
            3 if bytes.len() > 2 => {
                let a = rng.below(bytes.len());
                let b = (a + rng.below(64)).min(bytes.len());
                bytes.drain(a..b);
            }
            4 if bytes.len() > 2 => {
                let a = rng.below(bytes.len());
                let b = (a + rng.below(64)).min(bytes.len());
                let copy = bytes[a..b].to_vec();
                let at = rng.below(bytes.len() + 1);
                bytes.splice(at..at, copy);
            }
            _ => {
                // Mutate a number in place.
                if let Some(at) = bytes.iter().position(|b| b.is_ascii_digit()).map(|p| p + rng.below(bytes.len() - p))
                    && bytes[at].is_ascii_digit()
                {
                    let replacement = ["0", "4294967296", "99999999999", "-1", "65535", "1048577"][rng.below(6)];
                    bytes.splice(at..at + 1, replacement.bytes());
                }
            }
        }
    }
}

fn parts_of(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut part = archive.by_index(i).unwrap();
            let mut content = Vec::new();
            part.read_to_end(&mut content).unwrap();
            (part.name().unwrap().into_owned(), content)
        })
        .collect()
}

#[test]
#[ignore = "sets the process's panic hook; run alone"]
fn mutated_files_never_panic_or_stall() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let location = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| info.payload().downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        let mut panics = PANICS.lock().unwrap();
        let key = format!("{location} {message}");
        if !panics.iter().any(|p| p.starts_with(&key)) {
            let bt = std::backtrace::Backtrace::force_capture().to_string();
            let frames: Vec<&str> =
                bt.lines().filter(|l| l.contains("calamine") || l.contains("imports")).take(12).collect();
            panics.push(format!("{key}\n{}", frames.join("\n")));
        } else {
            panics.push(key);
        }
    }));
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "Email").unwrap();
    sheet.write_string(1, 0, "a@x.test").unwrap();
    sheet.write_number(1, 1, 42.5).unwrap();
    sheet.write_boolean(1, 2, true).unwrap();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm");
    sheet.write_number_with_format(1, 3, 45000.25, &date).unwrap();
    sheet.write_formula(2, 1, rust_xlsxwriter::Formula::new("=B2*2").set_result("85")).unwrap();
    let xlsx_seeds = [
        parts_of(&workbook.save_to_buffer().unwrap()),
        parts_of(&super::template_xlsx(&["A".into()], &["B".into()]).unwrap()),
    ];
    let ods_seeds = [parts_of(&ods_of(
        r#"<table:table-row><table:table-cell office:value-type="string"><text:p>Email</text:p></table:table-cell><table:table-cell office:value-type="date" office:date-value="2026-12-04T10:00:00"/><table:table-cell office:value-type="float" office:value="3" table:formula="of:=1+2"/></table:table-row><table:table-row table:number-rows-repeated="3"><table:table-cell table:number-columns-repeated="4"/></table:table-row><table:table-row><table:table-cell office:value-type="boolean" office:boolean-value="true"/><table:table-cell office:value-type="percentage" office:value="0.5"/></table:table-row>"#,
    ))];
    let xls_stream = workbook_of(&[
        dimensions(0, 3, 0, 2),
        label(0, 0, "Email"),
        label(0, 1, "Seats"),
        label(2, 0, "a@x.test"),
        number(2, 1, 3.0),
    ]);
    let limits = Limits { max_bytes: 1 << 20, max_rows: 1000, max_cell_chars: 256 };
    let iterations: usize = std::env::var("MUTATIONS").ok().and_then(|n| n.parse().ok()).unwrap_or(3000);
    let mut rng =
        Rng(0x9E37_79B9_7F4A_7C15 ^ std::env::var("MUTATION_SEED").ok().and_then(|n| n.parse().ok()).unwrap_or(1));
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let mut slow = Vec::new();
    for i in 0..iterations {
        let (name, bytes) = match i % 4 {
            0 => {
                let mut parts = xlsx_seeds[rng.below(xlsx_seeds.len())].clone();
                for _ in 0..1 + rng.below(2) {
                    let p = rng.below(parts.len());
                    mutate_bytes(&mut rng, &mut parts[p].1);
                }
                let refs: Vec<(&str, &[u8])> = parts.iter().map(|(n, c)| (n.as_str(), c.as_slice())).collect();
                ("x.xlsx", zip_of(&refs))
            }
            1 => {
                let mut parts = ods_seeds[0].clone();
                let p = parts.iter().position(|(n, _)| n == "content.xml").unwrap();
                mutate_bytes(&mut rng, &mut parts[p].1);
                let refs: Vec<(&str, &[u8])> = parts.iter().map(|(n, c)| (n.as_str(), c.as_slice())).collect();
                ("x.ods", zip_of(&refs))
            }
            2 => {
                let mut stream = xls_stream.clone();
                mutate_bytes(&mut rng, &mut stream);
                if stream.len() < 4096 {
                    stream.resize(4096, 0);
                }
                if stream.len() > 60_000 {
                    stream.truncate(60_000);
                }
                let mut bytes = compound_of(&stream);
                if rng.below(4) == 0 {
                    mutate_bytes(&mut rng, &mut bytes);
                }
                ("x.xls", bytes)
            }
            _ => {
                let mut bytes = b"\xEF\xBB\xBFEmail;Name;\"Roles\"\r\n\"a@x.test\";\"A\r\nB\";x\r\n".to_vec();
                mutate_bytes(&mut rng, &mut bytes);
                ("x.csv", bytes)
            }
        };
        let t = std::time::Instant::now();
        let result = read_file(name, &bytes, &limits);
        if t.elapsed() > std::time::Duration::from_secs(2) {
            slow.push(format!("{name}, {} bytes, {:?}", bytes.len(), t.elapsed()));
        }
        let outcome = match result {
            Ok(_) => format!("{name} ok"),
            Err(e) => format!("{name} {}", e.to_string().chars().take(70).collect::<String>()),
        };
        *outcomes.entry(outcome).or_default() += 1;
    }
    std::panic::set_hook(default_hook);
    for (outcome, n) in &outcomes {
        eprintln!("{n:6} {outcome}");
    }
    let panics = PANICS.lock().unwrap();
    assert!(panics.is_empty(), "panics:\n{}", panics.join("\n"));
    assert!(slow.is_empty(), "slow inputs: {slow:?}");
}
