//! `roster import FILE --org SLUG …`: a bulk import from the command line,
//! as the operator: the same upload, check and commit as the Import page,
//! with a progress bar while the rows are applied.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use roster_app::imports::{self, ImportOptions};
use roster_app::{Actor, App};
use roster_domain::imports::columns::Column;
use roster_domain::imports::job::{ImportMode, ImportStatus, Outcome};

use crate::describe;

/// `roster import`'s arguments.
#[derive(Args)]
pub struct ImportArgs {
    /// The file: CSV, XLSX, XLS or ODS.
    pub file: PathBuf,
    /// Organization slug or id.
    #[arg(long)]
    pub org: String,
    /// Check and show the preview only; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// `create` (new members only) or `upsert` (create and update).
    #[arg(long, default_value = "create")]
    pub mode: String,
    /// Skip rows with errors (otherwise any error stops the import before it writes).
    #[arg(long)]
    pub skip_invalid: bool,
    /// Invite new members by email (otherwise they are added active).
    #[arg(long)]
    pub invite: bool,
    /// Place a header the file's columns cannot be placed by: `HEADER=column`
    /// (email, first_name, last_name, full_name, roles, products,
    /// password_hash, ignore); repeat for more. Remembered for next time.
    #[arg(long = "map", value_name = "HEADER=COLUMN")]
    pub map: Vec<String>,
}

/// Runs `roster import`.
pub async fn run(app: App, args: ImportArgs) -> anyhow::Result<()> {
    let meta = Default::default();
    let access = roster_app::access::open_org(&app, &Actor::Cli, &args.org).await.map_err(describe)?;
    let bytes = std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let name = args.file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let options = ImportOptions {
        mode: ImportMode::parse_loose(&args.mode)?,
        dry_run: args.dry_run,
        skip_invalid: args.skip_invalid,
        invite: args.invite,
    };
    let mut view = imports::upload(&app, &access, &name, bytes, options, &meta).await.map_err(describe)?;
    if !args.map.is_empty() || view.status == ImportStatus::Mapping {
        let mut answers = BTreeMap::new();
        for m in &args.map {
            let Some((h, c)) = m.rsplit_once('=') else { bail!("--map takes HEADER=column, not {m:?}") };
            let column = Column::parse(c.trim()).with_context(|| format!("--map {m:?}: unknown column {c:?}"))?;
            answers.insert(h.trim().to_string(), column);
        }
        view = imports::answer_mapping(&app, &access, view.id, &answers, &meta).await.map_err(describe)?;
    }
    if view.status == ImportStatus::Mapping {
        let mut msg = String::from("some columns of the file are not placed:");
        for h in view.unplaced() {
            msg += &format!("\n  {h:?}: say where it goes with --map \"{h}=ignore\" (or email, first_name, …)");
        }
        for p in &view.problems {
            msg += &format!("\n  {p}");
        }
        bail!(msg);
    }
    let c = view.counts;
    println!(
        "{}: {} rows — {} to create, {} to update, {} unchanged, {} with errors",
        view.file_name, view.rows_total, c.create, c.update, c.unchanged, c.error
    );
    if c.error > 0 {
        let page = imports::rows(&app, &access, view.id, Some(Outcome::Error), None, 20).await.map_err(describe)?;
        for r in page.rows {
            let cell = if r.cell.is_empty() { String::new() } else { format!(" [{}]", r.cell) };
            println!("  row {}{cell}: {}", r.line, r.reason);
        }
        if c.error > 20 {
            println!("  … and {} more (GET …/imports/{}/errors.csv)", c.error - 20, view.id);
        }
    }
    if args.dry_run {
        println!("dry run: nothing was written");
        return Ok(());
    }
    if c.error > 0 && !args.skip_invalid {
        bail!("nothing was written: fix the rows above, or pass --skip-invalid to import the others");
    }
    let view = imports::start(&app, &access, view.id, Some(args.skip_invalid), &meta).await.map_err(describe)?;
    let bar = ProgressBar::new(view.to_apply.max(1));
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows ({eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress = |done: u64, _all: u64| bar.set_position(done);
    imports::run(&app, &access, view.id, &meta, &progress).await.map_err(describe)?;
    bar.finish_and_clear();
    let done = imports::get(&app, &access, view.id).await.map_err(describe)?;
    println!("{}: {} of {} rows applied (import {})", done.status, done.applied, done.to_apply, done.id);
    Ok(())
}
