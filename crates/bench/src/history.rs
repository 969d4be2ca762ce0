//! `roster-bench history`: History pages (`GET /api/v1/orgs/{org}/audit`)
//! on an organization with a large audit log (`roster dev seed --events N`),
//! for each kind of filter and for deep pages reached by cursor, against
//! `/healthz` measured in the same run.

use std::time::{Duration, Instant};

use anyhow::Context;
use roster_domain::history::EventPosition;

use crate::{RunArgs, Server, Stats, get_json, load, median, ms, sign_in};

/// Arguments of `roster-bench history`.
#[derive(clap::Args, Clone)]
pub struct HistoryArgs {
    /// The `roster` binary.
    #[arg(long, default_value = "target/release/roster")]
    roster: String,
    /// The seeded database the server opens.
    #[arg(long)]
    database_url: String,
    /// Loopback port to serve on.
    #[arg(long, default_value_t = 18482)]
    port: u16,
    /// The organization with the large log.
    #[arg(long, default_value = "big")]
    org: String,
    /// A member of that organization with `audit:read` who can sign in.
    #[arg(long, default_value = "owner@big.example")]
    email: String,
    /// Their password.
    #[arg(long)]
    password: String,
    /// Requests per scenario per run (one client).
    #[arg(long, default_value_t = 500)]
    requests: usize,
    /// Repetitions; the table shows the median of the runs.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// How many pages to follow `next_cursor` in the sequential walk.
    #[arg(long, default_value_t = 200)]
    walk_pages: usize,
    /// A label for the tables (the backend).
    #[arg(long, default_value = "")]
    label: String,
}

/// The goal for any History page: p99 at most this many milliseconds.
const GOAL_MS: f64 = 20.0;

/// A UTC date `days` days before `now_ms`.
fn day(now_ms: i64, days: i64) -> String {
    roster_domain::audit_text::date(now_ms - days * 86_400_000)
}

/// Starts the server, measures the scenarios interleaved, prints the tables.
pub async fn run(args: HistoryArgs) -> anyhow::Result<()> {
    let server_args = RunArgs::for_server(&args.roster, &args.database_url, args.port);
    let probe = reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?;
    let (server, _) = Server::start(&server_args, &probe).await?;
    let base = format!("http://127.0.0.1:{}", args.port);
    let (cookie, _) = sign_in(&probe, &base, &args.email, &args.password).await?;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, cookie.parse()?);
    let http = reqwest::Client::builder().default_headers(headers).timeout(Duration::from_secs(120)).build()?;
    let audit = format!("{base}/api/v1/orgs/{}/audit", args.org);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as i64;

    // Real values from the data: an acting admin, a member acted on, and a
    // position half a year back (the middle of a year-long log).
    let first = get_json(&http, &format!("{audit}?limit=200&action=member")).await?;
    let items = first["items"].as_array().context("no items")?;
    let admin = items
        .iter()
        .find(|e| e["actor"]["type"] == "user")
        .and_then(|e| e["actor"]["label"].as_str())
        .context("no event by a person")?
        .to_string();
    let target = items.first().and_then(|e| e["target"]["id"].as_str()).context("no member event")?.to_string();
    let middle = get_json(&http, &format!("{audit}?limit=1&to={}", day(now, 182))).await?;
    let mid = &middle["items"][0];
    let mid_at = time::OffsetDateTime::parse(
        mid["created_at"].as_str().context("no event half a year back")?,
        &time::format_description::well_known::Rfc3339,
    )?;
    let deep = EventPosition {
        created_at: (mid_at.unix_timestamp_nanos() / 1_000_000) as i64,
        seq: mid["seq"].as_i64().context("seq")? + 1,
    }
    .cursor(false);
    let old = get_json(&http, &format!("{audit}?limit=1&to={}", day(now, 360))).await?;
    let old_at = time::OffsetDateTime::parse(
        old["items"][0]["created_at"].as_str().context("no event a year back")?,
        &time::format_description::well_known::Rfc3339,
    )?;
    let oldest = EventPosition {
        created_at: (old_at.unix_timestamp_nanos() / 1_000_000) as i64,
        seq: old["items"][0]["seq"].as_i64().context("seq")? + 1,
    }
    .cursor(false);
    let enc = |s: &str| s.replace('@', "%40");
    let scenarios: Vec<(&str, String, String)> = vec![
        ("healthz", "GET /healthz (reference)".into(), format!("{base}/healthz")),
        ("a", "page 1, no filter".into(), format!("{audit}?limit=50")),
        ("b", "action=member (a group: 5 actions merged)".into(), format!("{audit}?limit=50&action=member")),
        ("b2", "action=user.locked (one rare action)".into(), format!("{audit}?limit=50&action=user.locked")),
        ("c", format!("actor={admin} (one of 20 admins)"), format!("{audit}?limit=50&actor={}", enc(&admin))),
        ("c2", "actor=cli (a label)".into(), format!("{audit}?limit=50&actor=cli")),
        ("d", "target=<a member's id>".into(), format!("{audit}?limit=50&target={target}")),
        (
            "e",
            "from/to: ten days, half a year back".into(),
            format!("{audit}?limit=50&from={}&to={}", day(now, 190), day(now, 181)),
        ),
        ("f", "cursor half a year deep, no filter".into(), format!("{audit}?limit=50&cursor={deep}")),
        ("f2", "cursor a year deep, no filter".into(), format!("{audit}?limit=50&cursor={oldest}")),
        (
            "f3",
            "cursor half a year deep, action=invitation".into(),
            format!("{audit}?limit=50&action=invitation&cursor={deep}"),
        ),
        (
            "g",
            "actor + action=member + from/to, half a year back".into(),
            format!("{audit}?limit=50&actor={}&action=member&from={}&to={}", enc(&admin), day(now, 190), day(now, 181)),
        ),
    ];
    let mut shape = Vec::new();
    for (key, what, url) in &scenarios {
        if *key != "healthz" {
            let v = get_json(&http, url).await?;
            shape.push(format!(
                "| {key} | {what} | {} | {} |",
                v["items"].as_array().map_or(0, |a| a.len()),
                if v["next_cursor"].is_string() { "yes" } else { "no" }
            ));
        }
        load(&http, url, 30, 1, Duration::from_secs(60)).await?;
    }
    let mut stats = vec![Stats::default(); scenarios.len()];
    for _ in 0..args.runs {
        for (i, (_, _, url)) in scenarios.iter().enumerate() {
            stats[i].push(&load(&http, url, args.requests, 1, Duration::from_secs(300)).await?);
        }
    }
    // A client paging through, sequentially.
    let walk_started = Instant::now();
    let mut cursor: Option<String> = None;
    let mut walked = 0;
    while walked < args.walk_pages {
        let c = cursor.as_deref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let page = get_json(&http, &format!("{audit}?limit=50{c}")).await?;
        walked += 1;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let walk = walk_started.elapsed();
    server.stop().await?;

    let label = if args.label.is_empty() { String::new() } else { format!(" ({})", args.label) };
    println!("### History pages{label}\n");
    println!("Organization `{}`. What each scenario answers (50 a page):\n", args.org);
    println!("| key | scenario | rows | next_cursor |\n| --- | --- | --- | --- |");
    for l in &shape {
        println!("{l}");
    }
    println!(
        "\nLatency in ms measured by the client over loopback, one client (median of {} runs of {} requests each).\n",
        args.runs, args.requests
    );
    println!("| key | p50 | p90 | p99 | req/s | p50 ÷ /healthz p50 | goal (p99) | p99 / goal |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    let h50 = median(stats[0].p50.clone());
    for (i, (key, _, _)) in scenarios.iter().enumerate() {
        let st = &stats[i];
        let (p50, p99) = (median(st.p50.clone()), median(st.p99.clone()));
        let goal = *key != "healthz";
        println!(
            "| {key} | {p50:.2} | {:.2} | {p99:.2} | {:.0} | {:.2} | {} | {} |",
            median(st.p90.clone()),
            median(st.rps.clone()),
            p50 / h50,
            if goal { format!("≤ {GOAL_MS:.0} ms") } else { "—".into() },
            if goal { format!("{:.2}", p99 / GOAL_MS) } else { "—".into() },
        );
    }
    println!(
        "\nFollowing next_cursor through {walked} pages of 50 from the newest took {:.2} s ({:.2} ms a page, one client, sequential).",
        walk.as_secs_f64(),
        ms(walk) / walked.max(1) as f64
    );
    Ok(())
}
