//! `roster-bench export`: the Users export (`GET /api/v1/orgs/{org}/users/export`)
//! of a whole large organization (`roster dev seed --members N`) through the
//! HTTP API of a release `roster serve`, timed from the request to the last
//! byte, with the server's memory read from `/proc/PID/status` before,
//! during (sampled) and after.
//!
//! The reference is the database alone: the same members' rows (email,
//! name, status, both times) read by one `SELECT … ORDER BY email` from this
//! process, streamed and decoded, which is the floor under any export of
//! them; the export adds each batch's roles and licenses, the formatting and
//! the HTTP transfer.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures::TryStreamExt;
use sqlx::Row;

use crate::{RunArgs, Server, get_json, median, sign_in};

/// Arguments of `roster-bench export`.
#[derive(clap::Args, Clone)]
pub struct ExportArgs {
    /// The `roster` binary.
    #[arg(long, default_value = "target/release/roster")]
    roster: String,
    /// The seeded database the server opens.
    #[arg(long)]
    database_url: String,
    /// Loopback port to serve on.
    #[arg(long, default_value_t = 18483)]
    port: u16,
    /// The large organization's slug.
    #[arg(long, default_value = "big")]
    org: String,
    /// A member of that organization with `members:read` who can sign in.
    #[arg(long, default_value = "owner@big.example")]
    email: String,
    /// Their password.
    #[arg(long)]
    password: String,
    /// The formats to export (comma-separated: csv, xlsx).
    #[arg(long, default_value = "csv", value_delimiter = ',')]
    formats: Vec<String>,
    /// Repetitions; the table shows the median of the runs.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// A label for the tables (the backend).
    #[arg(long, default_value = "")]
    label: String,
}

/// The goal for a CSV export of 1,000,000 members, in seconds.
const GOAL_SECS: f64 = 15.0;

/// One export, as the client saw it and the server's memory during it.
struct Download {
    first_byte: Duration,
    total: Duration,
    bytes: u64,
    lines: u64,
    peak_anon_kb: u64,
}

/// Starts the server, exports, reads the reference, prints the tables.
pub async fn run(args: ExportArgs) -> anyhow::Result<()> {
    let server_args = RunArgs::for_server(&args.roster, &args.database_url, args.port);
    let probe = reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?;
    let (server, _) = Server::start(&server_args, &probe).await?;
    let base = format!("http://127.0.0.1:{}", args.port);
    let (cookie, _) = sign_in(&probe, &base, &args.email, &args.password).await?;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, cookie.parse()?);
    let http = reqwest::Client::builder().default_headers(headers).timeout(Duration::from_secs(3600)).build()?;
    let list = get_json(&http, &format!("{base}/api/v1/orgs/{}/users?per_page=10", args.org)).await?;
    let members = list["total"].as_u64().context("the list has no total")?;

    let anon_before = server.status_kb("RssAnon")?;
    let hwm_before = server.status_kb("VmHWM")?;
    let mut results: Vec<(String, Vec<Download>)> = Vec::new();
    for format in &args.formats {
        let url = format!("{base}/api/v1/orgs/{}/users/export?format={format}", args.org);
        let mut runs = Vec::new();
        for _ in 0..args.runs.max(1) {
            runs.push(download(&http, &url, server.pid, format == "csv").await?);
        }
        if format == "csv" {
            let lines = runs[0].lines;
            if lines != members + 1 {
                bail!("the CSV export has {lines} lines for {members} members (and a header)");
            }
        }
        results.push((format.clone(), runs));
    }
    let anon_after = server.status_kb("RssAnon")?;
    let hwm_after = server.status_kb("VmHWM")?;
    server.stop().await?;

    let mut reference = Vec::new();
    let mut selected = 0;
    for _ in 0..args.runs.max(1) {
        let started = Instant::now();
        selected = select_members(&args.database_url, &args.org).await?;
        reference.push(started.elapsed().as_secs_f64());
    }
    let select_secs = median(reference);

    let label = if args.label.is_empty() { String::new() } else { format!(" ({})", args.label) };
    println!("### Users export{label}\n");
    println!(
        "Organization `{}`, {members} members; `GET /api/v1/orgs/{}/users/export` through `{} serve`, one client over loopback, median of {} runs.\n",
        args.org,
        args.org,
        args.roster,
        args.runs.max(1)
    );
    println!("| what | first byte | total | MB | members/s | ÷ SELECT | goal | total / goal (scaled to 1 M) |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    println!(
        "| SELECT of the {selected} rows (reference) | — | {select_secs:.2} s | — | {:.0} | 1.00 | — | — |",
        selected as f64 / select_secs
    );
    for (format, runs) in &results {
        let total = median(runs.iter().map(|r| r.total.as_secs_f64()).collect());
        let first = median(runs.iter().map(|r| r.first_byte.as_secs_f64()).collect());
        let mb = runs[0].bytes as f64 / 1_048_576.0;
        let scaled = total * 1_000_000.0 / members.max(1) as f64;
        let (goal, ratio) = if format == "csv" {
            (format!("≤ {GOAL_SECS:.0} s at 1 M"), format!("{:.2} ({scaled:.1} s)", scaled / GOAL_SECS))
        } else {
            ("—".into(), "—".into())
        };
        println!(
            "| {format} export | {:.3} s | {total:.2} s | {mb:.1} | {:.0} | {:.2} | {goal} | {ratio} |",
            first,
            members as f64 / total,
            total / select_secs
        );
    }
    println!("\nThe server's memory (kB from /proc/PID/status):\n");
    println!("| | before | during (peak, sampled every 20 ms) | after |\n| --- | --- | --- | --- |");
    for (format, runs) in &results {
        let peak = runs.iter().map(|r| r.peak_anon_kb).max().unwrap_or(0);
        println!("| RssAnon, {format} | {:.1} MB | {:.1} MB | — |", anon_before as f64 / 1024.0, peak as f64 / 1024.0);
    }
    println!("| RssAnon | {:.1} MB | — | {:.1} MB |", anon_before as f64 / 1024.0, anon_after as f64 / 1024.0);
    println!(
        "| VmHWM (peak RSS, with SQLite's memory-mapped file) | {:.1} MB | — | {:.1} MB |",
        hwm_before as f64 / 1024.0,
        hwm_after as f64 / 1024.0
    );
    Ok(())
}

/// Downloads one export to the end, counting bytes and lines, while a task
/// samples the server's anonymous memory.
async fn download(http: &reqwest::Client, url: &str, pid: u32, count_lines: bool) -> anyhow::Result<Download> {
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (stop, peak) = (stop.clone(), peak.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                if let Some(kb) = anon_kb(pid) {
                    peak.fetch_max(kb, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let started = Instant::now();
    let mut r = http.get(url).send().await?;
    if !r.status().is_success() {
        let status = r.status();
        bail!("GET {url} answered {status}: {}", r.text().await?);
    }
    let mut first_byte = None;
    let (mut bytes, mut lines) = (0u64, 0u64);
    while let Some(chunk) = r.chunk().await? {
        first_byte.get_or_insert_with(|| started.elapsed());
        bytes += chunk.len() as u64;
        if count_lines {
            lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        }
    }
    let total = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    sampler.await?;
    Ok(Download {
        first_byte: first_byte.unwrap_or(total),
        total,
        bytes,
        lines,
        peak_anon_kb: peak.load(Ordering::Relaxed),
    })
}

/// RssAnon of a process in kB, if it can be read.
fn anon_kb(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines().find_map(|l| l.strip_prefix("RssAnon:")).and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// The reference: the organization's members' rows in email order, streamed
/// and decoded; answers how many were read.
async fn select_members(url: &str, org: &str) -> anyhow::Result<u64> {
    const SQL: &str = "SELECT m.email, m.name, m.status, m.created_at, m.last_active_at FROM members m \
         JOIN organizations o ON o.id = m.org_id WHERE o.slug = $1 ORDER BY m.email";
    let db = roster_store::Db::connect(url).await?;
    let mut n = 0u64;
    let mut chars = 0usize;
    match &db {
        roster_store::Db::Sqlite(pool) => {
            let mut rows = sqlx::query(SQL).bind(org).fetch(pool);
            while let Some(row) = rows.try_next().await? {
                chars += row.try_get::<String, _>(0)?.len() + row.try_get::<String, _>(1)?.len();
                chars += row.try_get::<String, _>(2)?.len();
                let _: (i64, i64) = (row.try_get(3)?, row.try_get(4)?);
                n += 1;
            }
        }
        roster_store::Db::Postgres(pool) => {
            let mut rows = sqlx::query(SQL).bind(org).fetch(pool);
            while let Some(row) = rows.try_next().await? {
                chars += row.try_get::<String, _>(0)?.len() + row.try_get::<String, _>(1)?.len();
                chars += row.try_get::<String, _>(2)?.len();
                let _: (i64, i64) = (row.try_get(3)?, row.try_get(4)?);
                n += 1;
            }
        }
    }
    std::hint::black_box(chars);
    db.close().await;
    Ok(n)
}
