//! `roster-bench lookup`: looking members up by address (`email=` exact and
//! prefix, `q=` a whole address) against page 1 and `/healthz`, measured in
//! the same run on an already seeded database.

use std::time::Duration;

use anyhow::Context;

use crate::{RunArgs, Server, Stats, get_json, load, median, sign_in};

/// Arguments of `roster-bench lookup`.
#[derive(clap::Args, Clone)]
pub struct LookupArgs {
    /// The `roster` binary.
    #[arg(long, default_value = "target/release/roster")]
    roster: String,
    /// The seeded database the server opens.
    #[arg(long)]
    database_url: String,
    /// Loopback port to serve on.
    #[arg(long, default_value_t = 18481)]
    port: u16,
    /// The large organization's slug.
    #[arg(long, default_value = "big")]
    org: String,
    /// An active member of that organization who can sign in.
    #[arg(long, default_value = "owner@big.example")]
    email: String,
    /// Their password.
    #[arg(long)]
    password: String,
    /// Requests per scenario per run (one client).
    #[arg(long, default_value_t = 1000)]
    requests: usize,
    /// Repetitions; the table shows the median of the runs.
    #[arg(long, default_value_t = 5)]
    runs: usize,
}

/// The goal for an address look-up: p99 at most this many milliseconds.
const GOAL_MS: f64 = 2.0;

/// Starts the server, measures the scenarios interleaved, prints a table.
pub async fn run(args: LookupArgs) -> anyhow::Result<()> {
    let server_args = RunArgs::for_server(&args.roster, &args.database_url, args.port);
    let probe = reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?;
    let (server, _) = Server::start(&server_args, &probe).await?;
    let base = format!("http://127.0.0.1:{}", args.port);
    let (cookie, _) = sign_in(&probe, &base, &args.email, &args.password).await?;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, cookie.parse()?);
    let http = reqwest::Client::builder().default_headers(headers).timeout(Duration::from_secs(60)).build()?;
    let users = format!("{base}/api/v1/orgs/{}/users", args.org);

    // A real address from the middle of the data, and prefixes of it.
    let sample = get_json(&http, &format!("{users}?per_page=10&q=olivia.smith1")).await?;
    let address = sample["items"][0]["email"].as_str().context("no member matches olivia.smith1")?.to_string();
    let local = address.split('@').next().unwrap_or_default().to_string();
    let enc = |s: &str| s.replace('@', "%40").replace('*', "%2A");
    let scenarios: Vec<(&str, String, String)> = vec![
        ("healthz", "GET /healthz (reference)".into(), format!("{base}/healthz")),
        ("a", "page 1 by email, with counts".into(), format!("{users}?per_page=50")),
        ("f", format!("email={address} (exact)"), format!("{users}?per_page=50&email={}", enc(&address))),
        ("f2", format!("email={local}* (prefix)"), format!("{users}?per_page=50&email={}", enc(&format!("{local}*")))),
        ("f3", "email=ol* (unselective prefix)".into(), format!("{users}?per_page=50&email=ol%2A")),
        ("f4", format!("q={address} (a whole address)"), format!("{users}?per_page=50&q={}", enc(&address))),
        (
            "f5",
            format!("email={address}&status=active (exact, with status)"),
            format!("{users}?per_page=50&status=active&email={}", enc(&address)),
        ),
    ];
    let mut shape = Vec::new();
    for (key, what, url) in &scenarios {
        if *key != "healthz" {
            let v = get_json(&http, url).await?;
            shape.push(format!(
                "| {key} | {what} | {} | {} | {} |",
                v["items"].as_array().map_or(0, |a| a.len()),
                v["total"],
                v["counts_capped"]
            ));
        }
        load(&http, url, 50, 1, Duration::from_secs(30)).await?;
    }
    let mut stats = vec![Stats::default(); scenarios.len()];
    for _ in 0..args.runs {
        for (i, (_, _, url)) in scenarios.iter().enumerate() {
            stats[i].push(&load(&http, url, args.requests, 1, Duration::from_secs(120)).await?);
        }
    }
    server.stop().await?;

    println!("Organization `{}`. What each scenario answers:\n", args.org);
    println!("| key | scenario | rows | total | counts_capped |\n| --- | --- | --- | --- | --- |");
    for l in &shape {
        println!("{l}");
    }
    println!(
        "\nLatency in ms measured by the client over loopback, one client (median of {} runs of {} requests each).\n",
        args.runs, args.requests
    );
    println!("| key | p50 | p90 | p99 | req/s | p50 ÷ /healthz p50 | p99 ÷ (a) p99 | goal (p99) | p99 / goal |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let h50 = median(stats[0].p50.clone());
    let a99 = median(stats[1].p99.clone());
    for (i, (key, _, _)) in scenarios.iter().enumerate() {
        let st = &stats[i];
        let (p50, p99) = (median(st.p50.clone()), median(st.p99.clone()));
        let goal = matches!(*key, "f" | "f2" | "f4" | "f5");
        println!(
            "| {key} | {p50:.2} | {:.2} | {p99:.2} | {:.0} | {:.2} | {:.2} | {} | {} |",
            median(st.p90.clone()),
            median(st.rps.clone()),
            p50 / h50,
            p99 / a99,
            if goal { format!("≤ {GOAL_MS:.0} ms") } else { "—".into() },
            if goal { format!("{:.2}", p99 / GOAL_MS) } else { "—".into() },
        );
    }
    Ok(())
}
