//! `roster-bench`: measures a running `roster serve` from the outside.
//!
//! It starts the server itself (so that it can time readiness and read the
//! process's memory), signs in over the API, and runs each scenario a bounded
//! number of times at each concurrency. Latency is the time the client sees
//! over loopback, from sending the request to reading the last byte of the
//! body; on this machine the client shares the CPU with the server, so the
//! figures are an upper bound on the server's own time.
#![forbid(unsafe_code)]

mod authz;
mod export;
mod history;
mod import;
mod integrity;
mod lookup;
mod partners;
mod products;
mod scim;
mod signin;

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use clap::{Parser, Subcommand};
use roster_domain::members::{Cursor, SortValue};
use roster_domain::{Email, MemberSort, SortOrder, Timestamp, UserId};
use serde_json::Value;

#[derive(Parser)]
#[command(name = "roster-bench", about = "Benchmarks of a roster server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sets a user's password directly in the database (a seeded owner has none).
    SetPassword {
        /// A SQLite file path or a postgres:// URL.
        #[arg(long)]
        database_url: String,
        /// The user's email.
        #[arg(long)]
        email: String,
        /// The new password (12 characters or more).
        #[arg(long)]
        password: String,
    },
    /// Starts `roster serve` on the database, measures it, and stops it.
    Run(RunArgs),
    /// Measures permission checks: in process, and the check endpoint against /healthz.
    Authz(authz::AuthzArgs),
    /// Measures looking members up by address (email= exact and prefix, q= an address) on a seeded database.
    Lookup(lookup::LookupArgs),
    /// Measures History pages (every filter, deep cursors) on an organization with a large audit log.
    History(history::HistoryArgs),
    /// Measures `roster audit verify`, a member update with and without its audit event, and request validation with 1 M sessions.
    Integrity(integrity::IntegrityArgs),
    /// Measures the Users list with a product filter at 1 M members, and a bulk assignment of a product to 100,000 members.
    Products(products::ProductsArgs),
    /// Measures sign-ins over HTTP against argon2id verifications on the pool, the directory under sign-in load, memory, and 500 at once.
    Signin(signin::SigninArgs),
    /// Measures the Users export of a whole large organization (CSV, XLSX) through the API, with the server's memory, against a SELECT of the rows.
    Export(export::ExportArgs),
    /// Measures a partner with 10,000 customers in 200 groups: what a Key Account Manager sees, and a check inside a customer against one without scoping.
    Partners(partners::PartnersArgs),
    /// Measures SCIM: the userName look-up at 1 M members, writes per second with audit, a 10,000-member Group PATCH, a burst over capacity.
    Scim(scim::ScimArgs),
    /// Measures a bulk import of 100,000 new members from one CSV file (check, commit with audit and invitations, peak memory) against inviting one at a time.
    Import(import::ImportArgs),
}

#[derive(clap::Args, Clone)]
struct RunArgs {
    /// The `roster` binary.
    #[arg(long, default_value = "target/release/roster")]
    roster: String,
    /// The database the server opens.
    #[arg(long)]
    database_url: String,
    /// Loopback port to serve on.
    #[arg(long, default_value_t = 18480)]
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
    /// Requests per scenario, per concurrency, per run.
    #[arg(long, default_value_t = 400)]
    requests: usize,
    /// Repetitions; the tables show the median of the runs.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Concurrent clients (comma-separated).
    #[arg(long, default_value = "1,8", value_delimiter = ',')]
    concurrency: Vec<usize>,
    /// How many pages to follow next_cursor for the deep-page scenario.
    #[arg(long, default_value_t = 2000)]
    deep_pages: usize,
    /// How many extra cold starts to time before the measured one.
    #[arg(long, default_value_t = 2)]
    startup_runs: usize,
    /// Seconds of each /healthz and /me throughput run.
    #[arg(long, default_value_t = 3.0)]
    throughput_secs: f64,
    /// A label for the tables (the backend).
    #[arg(long, default_value = "")]
    label: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::SetPassword { database_url, email, password } => set_password(&database_url, &email, &password).await,
        Command::Run(args) => run(args).await,
        Command::Authz(args) => authz::run(args).await,
        Command::Lookup(args) => lookup::run(args).await,
        Command::Signin(args) => signin::run(args).await,
        Command::Scim(args) => scim::run(args).await,
        Command::Import(args) => import::run(args).await,
        Command::History(args) => history::run(args).await,
        Command::Integrity(args) => integrity::run(args).await,
        Command::Products(args) => products::run(args).await,
        Command::Export(args) => export::run(args).await,
        Command::Partners(args) => partners::run(args).await,
    }
}

async fn set_password(url: &str, email: &str, password: &str) -> anyhow::Result<()> {
    roster_app::passwords::check_password(password, &[email]).map_err(|e| anyhow!("{e}"))?;
    let email = Email::parse(email).map_err(|e| anyhow!("{e}"))?;
    let db = roster_store::Db::connect(url).await?;
    db.migrate().await?;
    let user = roster_store::users::find_user_by_email(&mut db.conn().await?, &email)
        .await?
        .with_context(|| format!("no user has the email {}", email.as_str()))?;
    let hash =
        roster_app::hashing::HashPool::new(1, Some(0)).hash(password.to_string()).await.map_err(|e| anyhow!("{e}"))?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as i64;
    let mut tx = db.begin().await?;
    roster_store::users::set_password(&mut tx, user.id, &hash, Timestamp(now)).await?;
    tx.commit().await?;
    db.close().await;
    println!("password set for {}", email.as_str());
    Ok(())
}

impl RunArgs {
    /// Arguments that only start a server (for other benchmarks).
    fn for_server(roster: &str, database_url: &str, port: u16) -> Self {
        Self {
            roster: roster.into(),
            database_url: database_url.into(),
            port,
            org: String::new(),
            email: String::new(),
            password: String::new(),
            requests: 0,
            runs: 1,
            concurrency: vec![1],
            deep_pages: 0,
            startup_runs: 0,
            throughput_secs: 0.0,
            label: String::new(),
        }
    }
}

/// A server process this run started; killed when dropped.
struct Server {
    child: tokio::process::Child,
    pid: u32,
}

impl Server {
    async fn start(args: &RunArgs, http: &reqwest::Client) -> anyhow::Result<(Self, Duration)> {
        let base = format!("http://127.0.0.1:{}", args.port);
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            bail!("something already answers on 127.0.0.1:{}; choose another --port", args.port);
        }
        let started = Instant::now();
        let mut child = tokio::process::Command::new(&args.roster)
            .args(["--database-url", &args.database_url, "serve", "--listen"])
            .arg(format!("127.0.0.1:{}", args.port))
            .env("ROSTER_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", args.roster))?;
        let pid = child.id().context("the server exited at once")?;
        loop {
            if let Ok(r) = http.get(format!("{base}/readyz")).timeout(Duration::from_secs(2)).send().await
                && r.status().is_success()
            {
                break;
            }
            if let Some(status) = child.try_wait()? {
                bail!("the server exited before it was ready: {status}");
            }
            if started.elapsed() > Duration::from_secs(60) {
                bail!("the server was not ready within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let ready = started.elapsed();
        Ok((Self { child, pid }, ready))
    }

    async fn stop(mut self) -> anyhow::Result<()> {
        self.child.kill().await?;
        Ok(())
    }

    /// A field of /proc/PID/status in kB (RssAnon, VmRSS, VmHWM).
    fn status_kb(&self, field: &str) -> anyhow::Result<u64> {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.pid))?;
        s.lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .with_context(|| format!("no {field} in /proc/{}/status", self.pid))
    }
}

/// Latencies of one batch of requests.
struct Sample {
    latencies: Vec<Duration>,
    wall: Duration,
}

impl Sample {
    fn percentile(&self, p: f64) -> Duration {
        let mut v = self.latencies.clone();
        v.sort();
        if v.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
        v[rank - 1]
    }

    fn rps(&self) -> f64 {
        self.latencies.len() as f64 / self.wall.as_secs_f64()
    }
}

/// Sends GETs to `url` from `concurrency` clients until `total` were sent or
/// `limit` passed; every answer must be 200.
async fn load(
    http: &reqwest::Client,
    url: &str,
    total: usize,
    concurrency: usize,
    limit: Duration,
) -> anyhow::Result<Sample> {
    let next = Arc::new(AtomicUsize::new(0));
    let url: Arc<str> = url.into();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, url, next) = (http.clone(), url.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < total && started.elapsed() < limit {
                let t = Instant::now();
                let r = http.get(&*url).send().await?;
                let status = r.status();
                let body = r.bytes().await?;
                if !status.is_success() {
                    bail!("GET {url} answered {status}: {}", String::from_utf8_lossy(&body));
                }
                lat.push(t.elapsed());
            }
            anyhow::Ok(lat)
        }));
    }
    let mut latencies = Vec::with_capacity(total);
    for t in tasks {
        latencies.extend(t.await??);
    }
    Ok(Sample { latencies, wall: started.elapsed() })
}

/// Signs in over the API; answers the session cookie (`roster_session=…`)
/// and the CSRF token.
async fn sign_in(http: &reqwest::Client, base: &str, email: &str, password: &str) -> anyhow::Result<(String, String)> {
    let login = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await?;
    if !login.status().is_success() {
        bail!("sign-in as {email} answered {}: {}", login.status(), login.text().await?);
    }
    let cookie = login
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.split(';').next().filter(|kv| kv.starts_with("roster_session=")))
        .context("sign-in set no session cookie")?
        .to_string();
    let body: Value = login.json().await?;
    let csrf = body["csrf_token"].as_str().context("sign-in answered no csrf_token")?.to_string();
    Ok((cookie, csrf))
}

async fn get_json(http: &reqwest::Client, url: &str) -> anyhow::Result<Value> {
    let r = http.get(url).send().await?;
    let status = r.status();
    let body = r.text().await?;
    if !status.is_success() {
        bail!("GET {url} answered {status}: {body}");
    }
    Ok(serde_json::from_str(&body)?)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Scenario {
    key: &'static str,
    what: String,
    query: String,
}

#[derive(Default, Clone)]
struct Stats {
    p50: Vec<f64>,
    p90: Vec<f64>,
    p99: Vec<f64>,
    rps: Vec<f64>,
}

impl Stats {
    fn push(&mut self, s: &Sample) {
        self.p50.push(ms(s.percentile(0.50)));
        self.p90.push(ms(s.percentile(0.90)));
        self.p99.push(ms(s.percentile(0.99)));
        self.rps.push(s.rps());
    }
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let probe = reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?;
    let label = if args.label.is_empty() { String::new() } else { format!(" ({})", args.label) };

    // Cold starts: spawn, wait for /readyz, stop; the last one stays up.
    let mut ready_times = Vec::new();
    for _ in 0..args.startup_runs {
        let (server, ready) = Server::start(&args, &probe).await?;
        ready_times.push(ms(ready));
        server.stop().await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (server, ready) = Server::start(&args, &probe).await?;
    ready_times.push(ms(ready));
    let base = format!("http://127.0.0.1:{}", args.port);

    // Sign in once; every client sends the same session cookie.
    let (cookie, _) = sign_in(&probe, &base, &args.email, &args.password).await?;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, cookie.parse()?);
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .pool_max_idle_per_host(64)
        .timeout(Duration::from_secs(60))
        .build()?;

    let users = format!("{base}/api/v1/orgs/{}/users", args.org);
    let first = get_json(&http, &format!("{users}?per_page=50")).await?;
    let org_total = first["total"].as_u64().unwrap_or(0);

    // The deep page: follow next_cursor, as a client paging through would.
    let follow_started = Instant::now();
    let mut cursor = first["next_cursor"].as_str().map(str::to_string);
    let mut followed = 1;
    while followed < args.deep_pages {
        let Some(c) = cursor.take() else { break };
        let page = get_json(&http, &format!("{users}?per_page=50&cursor={c}")).await?;
        cursor = page["next_cursor"].as_str().map(str::to_string);
        followed += 1;
        if follow_started.elapsed() > Duration::from_secs(300) {
            break;
        }
    }
    let follow_time = follow_started.elapsed();
    let deep_cursor = cursor.context("no next_cursor that deep; the organization is too small")?;

    // A cursor 200 rows before the end of the email order, built from a row of
    // the descending list (the encoding is the domain crate's).
    let tail = get_json(&http, &format!("{users}?per_page=200&order=desc")).await?;
    let row = tail["items"].as_array().and_then(|a| a.last()).context("empty list")?;
    let end_cursor = Cursor {
        sort: MemberSort::Email,
        order: SortOrder::Asc,
        value: SortValue::Text(row["email"].as_str().context("email")?.to_string()),
        id: row["id"].as_str().context("id")?.parse::<UserId>()?,
        backward: false,
    }
    .encode();

    let scenarios = vec![
        Scenario { key: "a", what: "page 1 by email, with counts".into(), query: "per_page=50".into() },
        Scenario { key: "b", what: "status=disabled".into(), query: "per_page=50&status=disabled".into() },
        Scenario { key: "c", what: "q=olivia.smith1 (selective)".into(), query: "per_page=50&q=olivia.smith1".into() },
        Scenario { key: "c2", what: "q=smith12 (surname + digits)".into(), query: "per_page=50&q=smith12".into() },
        Scenario { key: "d", what: "q=son (unselective contains)".into(), query: "per_page=50&q=son".into() },
        Scenario {
            key: "e",
            what: format!("cursor {followed} pages deep (row {})", (followed - 1) * 50),
            query: format!("per_page=50&cursor={deep_cursor}"),
        },
        Scenario {
            key: "e2",
            what: "cursor 200 rows before the end".into(),
            query: format!("per_page=50&cursor={end_cursor}"),
        },
    ];

    // What each scenario answers, and a warm-up.
    let mut shape = Vec::new();
    for s in &scenarios {
        let url = format!("{users}?{}", s.query);
        let v = get_json(&http, &url).await?;
        shape.push(format!(
            "| {} | {} | {} | {} | {} |",
            s.key,
            s.what,
            v["items"].as_array().map_or(0, |a| a.len()),
            v["total"],
            v["counts_capped"]
        ));
        load(&http, &url, 20, 1, Duration::from_secs(30)).await?;
    }
    load(&http, &format!("{base}/api/v1/me"), 50, 1, Duration::from_secs(30)).await?;
    load(&http, &format!("{base}/healthz"), 50, 1, Duration::from_secs(30)).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_warm = server.status_kb("RssAnon")?;
    let rss_total_warm = server.status_kb("VmRSS")?;

    // The scenarios, interleaved so that noise spreads over all of them.
    let limit = Duration::from_secs(120);
    let mut stats: Vec<Vec<Stats>> = vec![vec![Stats::default(); scenarios.len()]; args.concurrency.len()];
    let mut thr: Vec<(Vec<f64>, Vec<f64>)> = vec![(vec![], vec![]); args.concurrency.len()];
    let tsecs = Duration::from_secs_f64(args.throughput_secs);
    for _ in 0..args.runs {
        for (ci, &c) in args.concurrency.iter().enumerate() {
            for (si, s) in scenarios.iter().enumerate() {
                let sample = load(&http, &format!("{users}?{}", s.query), args.requests, c, limit).await?;
                stats[ci][si].push(&sample);
            }
            let h = load(&http, &format!("{base}/healthz"), 1_000_000, c, tsecs).await?;
            let m = load(&http, &format!("{base}/api/v1/me"), 1_000_000, c, tsecs).await?;
            thr[ci].0.push(h.rps());
            thr[ci].1.push(m.rps());
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = server.status_kb("RssAnon")?;
    let hwm = server.status_kb("VmHWM")?;
    server.stop().await?;

    println!("### Directory scenarios{label}\n");
    println!("Organization `{}`: {org_total} members. What each scenario answers:\n", args.org);
    println!("| key | scenario | rows | total | counts_capped |\n| --- | --- | --- | --- | --- |");
    for l in &shape {
        println!("{l}");
    }
    println!(
        "\nLatency in ms measured by the client over loopback (median of {} runs of {} requests each; req/s is the run's throughput).\n",
        args.runs, args.requests
    );
    println!("| key | clients | p50 | p90 | p99 | req/s | goal (p99) | p99 / goal |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (ci, &c) in args.concurrency.iter().enumerate() {
        for (si, s) in scenarios.iter().enumerate() {
            let st = &stats[ci][si];
            let p99 = median(st.p99.clone());
            let goal = match s.key {
                "a" | "b" | "c" | "c2" => Some(if c <= 1 { 20.0 } else { 50.0 }),
                "d" => Some(50.0),
                _ => None,
            };
            let (goal_s, ratio) = match goal {
                Some(g) => (format!("≤ {g:.0} ms"), format!("{:.2}", p99 / g)),
                None => ("≤ 1.5 × (a)".into(), {
                    let a = median(stats[ci][0].p99.clone());
                    let a50 = median(stats[ci][0].p50.clone());
                    format!("p50 {:.2}× / p99 {:.2}× of (a)", median(st.p50.clone()) / a50, p99 / a)
                }),
            };
            println!(
                "| {} | {c} | {:.2} | {:.2} | {p99:.2} | {:.0} | {goal_s} | {ratio} |",
                s.key,
                median(st.p50.clone()),
                median(st.p90.clone()),
                median(st.rps.clone())
            );
        }
    }
    println!(
        "\nFollowing next_cursor through {followed} pages of 50 took {:.1} s ({:.2} ms a page, one client, sequential).\n",
        follow_time.as_secs_f64(),
        ms(follow_time) / followed as f64
    );
    println!("### /healthz vs /api/v1/me{label}\n");
    println!("Requests/s over {:.0} s per endpoint per run, median of {} runs.\n", args.throughput_secs, args.runs);
    println!("| clients | /healthz req/s | /me req/s | /me ÷ /healthz (goal ≥ 0.25) |\n| --- | --- | --- | --- |");
    for (ci, &c) in args.concurrency.iter().enumerate() {
        let h = median(thr[ci].0.clone());
        let m = median(thr[ci].1.clone());
        println!("| {c} | {h:.0} | {m:.0} | {:.2} |", m / h);
    }
    println!("\n### Readiness and memory{label}\n");
    println!("| figure | value | goal | ratio |\n| --- | --- | --- | --- |");
    let rt = median(ready_times.clone());
    println!(
        "| spawn → /readyz 200 (median of {} starts: {}) | {rt:.0} ms | ≤ 1000 ms | {:.2} |",
        ready_times.len(),
        ready_times.iter().map(|t| format!("{t:.0}")).collect::<Vec<_>>().join(", "),
        rt / 1000.0
    );
    println!(
        "| RssAnon, idle after warm-up | {:.1} MB | ≤ 50 MB | {:.2} |",
        rss_warm as f64 / 1024.0,
        rss_warm as f64 / 1024.0 / 50.0
    );
    println!("| VmRSS (incl. file-backed), idle after warm-up | {:.1} MB | — | — |", rss_total_warm as f64 / 1024.0);
    println!("| RssAnon, idle after every run above | {:.1} MB | — | — |", rss_after as f64 / 1024.0);
    println!("| VmHWM (peak RSS) | {:.1} MB | — | — |", hwm as f64 / 1024.0);
    Ok(())
}
