//! `roster-bench import`: a bulk import of 100,000 new members from one CSV
//! file (issue 13, item 9), run in-process exactly as `roster import` runs
//! it: the upload with the check of every row (the preview), then the
//! commit with one audit event per member and, with `--invite`, an
//! invitation and its email in the outbox per member. Each run uses a new
//! organization in a new database (a SQLite file, or a PostgreSQL database
//! made for the run).
//!
//! Reference, measured in the same run on the same database: inviting
//! people one at a time through the same use case as `POST …/invitations`
//! (one transaction and audit event each), per second; the ratio is the
//! import's members per second over it. Memory: the process's anonymous
//! resident memory (`RssAnon`, sampled every 20 ms during the upload and
//! the commit; the peak), which is what the import holds. `VmHWM` is
//! printed too, but it counts the SQLite file's pages that Roster maps
//! (`mmap_size`), which are the page cache's, not the import's.

use std::time::Instant;

use anyhow::Context;
use roster_app::imports::{self, ImportOptions};
use roster_app::invitations::InvitationInput;
use roster_app::{Actor, App, Config, RequestMeta};
use roster_domain::imports::job::ImportMode;

use crate::median;

/// Arguments of `roster-bench import`.
#[derive(clap::Args, Clone)]
pub struct ImportArgs {
    /// `sqlite` (a file in a temporary directory) or a postgres:// URL of
    /// a server whose `postgres` database may create and drop databases.
    #[arg(long, default_value = "sqlite")]
    database: String,
    /// Rows in the file.
    #[arg(long, default_value_t = 100_000)]
    rows: usize,
    /// Invite the new members (an invitation and an email each).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    invite: bool,
    /// People invited one at a time for the reference.
    #[arg(long, default_value_t = 500)]
    reference: usize,
    /// Repetitions; the table shows the median.
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

/// One run's figures.
struct Run {
    check_s: f64,
    commit_s: f64,
    reference_per_s: f64,
    peak_anon_mb: f64,
}

/// Runs `roster-bench import`.
pub async fn run(args: ImportArgs) -> anyhow::Result<()> {
    let csv = file(args.rows);
    println!("file: {} rows, {:.1} MB", args.rows, csv.len() as f64 / 1e6);
    let mut runs = Vec::new();
    for i in 0..args.runs {
        let r = one(&args, &csv, i).await?;
        println!(
            "run {}: check {:.2} s, commit {:.2} s, total {:.2} s ({:.0} members/s); one at a time {:.0}/s; peak RssAnon {:.0} MB",
            i + 1,
            r.check_s,
            r.commit_s,
            r.check_s + r.commit_s,
            args.rows as f64 / (r.check_s + r.commit_s),
            r.reference_per_s,
            r.peak_anon_mb
        );
        runs.push(r);
    }
    let total = median(runs.iter().map(|r| r.check_s + r.commit_s).collect());
    let check = median(runs.iter().map(|r| r.check_s).collect());
    let commit = median(runs.iter().map(|r| r.commit_s).collect());
    let reference = median(runs.iter().map(|r| r.reference_per_s).collect());
    let rate = args.rows as f64 / total;
    let hwm = status_mb("VmHWM:");
    let anon = runs.iter().map(|r| r.peak_anon_mb).fold(0.0, f64::max);
    println!();
    println!("| figure | median of {} runs |", args.runs);
    println!("| --- | --- |");
    println!("| upload and check (preview) | {check:.2} s |");
    println!("| commit ({} members{}) | {commit:.2} s |", args.rows, if args.invite { ", invited" } else { "" });
    println!("| total | {total:.2} s ({rate:.0} members/s) |");
    println!("| reference: one invitation at a time | {reference:.0}/s |");
    println!("| ratio import ÷ reference | {:.1} |", rate / reference);
    println!("| peak anonymous resident memory (RssAnon) | {anon:.0} MB |");
    println!("| VmHWM (with the SQLite file's mapped pages) | {hwm:.0} MB |");
    Ok(())
}

/// The CSV: a header and `rows` new people with a role.
fn file(rows: usize) -> Vec<u8> {
    let mut out = String::from("Email,First name,Last name,Roles\r\n");
    for i in 0..rows {
        out.push_str(&format!("person{i:06}@import.example,Person,Number {i},User\r\n"));
    }
    out.into_bytes()
}

async fn one(args: &ImportArgs, csv: &[u8], i: usize) -> anyhow::Result<Run> {
    let dir = std::env::temp_dir().join(format!("roster-bench-import-{}-{i}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (url, drop_pg) = if args.database == "sqlite" {
        (dir.join("roster.db").display().to_string(), None)
    } else {
        let name = format!("roster_bench_import_{}_{i}", std::process::id());
        let admin = sqlx::PgPool::connect(&args.database).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&admin).await?;
        let base = args.database.rsplit_once('/').map(|(b, _)| b).unwrap_or(&args.database);
        (format!("{base}/{name}"), Some((admin, name)))
    };
    let db = roster_store::Db::connect(&url).await?;
    db.migrate().await?;
    let config = Config { hash_workers: 1, ..Config::default() };
    let app = App::new(db, config);
    let org = roster_app::orgs::create_org(
        &app,
        &Actor::Cli,
        roster_app::orgs::NewOrg {
            name: "Import".into(),
            slug: "import".into(),
            owner_email: "owner@import.example".into(),
            owner_name: Some("Owner".into()),
            owner_password: None,
            preset: Some("owner-admin-user".into()),
        },
    )
    .await
    .context("create the organization")?;
    let access = roster_app::access::open_org(&app, &Actor::Cli, &org.org.slug).await?;
    let meta = RequestMeta::default();
    // The reference: one invitation at a time.
    let started = Instant::now();
    for k in 0..args.reference {
        let input = InvitationInput {
            email: format!("single{k:05}@import.example"),
            first_name: "Single".into(),
            last_name: format!("Number {k}"),
            roles: Some(vec!["user".into()]),
            send_email: true,
            ..Default::default()
        };
        roster_app::invitations::invite(&app, &access, &input, &meta).await?;
    }
    let reference_per_s = args.reference as f64 / started.elapsed().as_secs_f64();
    let options = ImportOptions { mode: ImportMode::Create, dry_run: false, skip_invalid: false, invite: args.invite };
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                let kb = (status_mb("RssAnon:") * 1024.0) as u64;
                peak.fetch_max(kb, std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
    };
    let started = Instant::now();
    let view = imports::upload(&app, &access, "people.csv", csv.to_vec(), options, &meta).await?;
    anyhow::ensure!(view.counts.create == args.rows as u64, "the check planned {:?}", view.counts);
    let check_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let view = imports::start(&app, &access, view.id, None, &meta).await?;
    imports::run(&app, &access, view.id, &meta, &|_, _| {}).await?;
    let commit_s = started.elapsed().as_secs_f64();
    sampler.abort();
    let peak_anon_mb = peak.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1024.0;
    let done = imports::get(&app, &access, view.id).await?;
    anyhow::ensure!(done.applied == args.rows as u64, "applied {} of {}", done.applied, args.rows);
    app.db.close().await;
    if let Some((admin, name)) = drop_pg {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)"))).execute(&admin).await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Run { check_s, commit_s, reference_per_s, peak_anon_mb })
}

/// A line of the process's `/proc/self/status` (`VmHWM:`, `RssAnon:`), in MB.
fn status_mb(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
