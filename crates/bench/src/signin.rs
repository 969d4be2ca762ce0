//! `roster-bench signin`: what a sign-in costs, against the argon2id ceiling.
//!
//! In one run, alternating so that the machine's noise spreads over every
//! figure: (a) argon2id verifications per second on a [`HashPool`] in this
//! process, at Roster's parameters and the server's default pool size (the
//! ceiling: a sign-in cannot be faster than its hash); (b) sign-ins per
//! second over HTTP against `roster serve`; (c) `GET
//! /api/v1/orgs/{org}/users` p99, alone and while sign-ins keep the server's
//! pool saturated. Then once: (d) the server's RssAnon every second through
//! one minute of sign-ins and after it; (e) 500 sign-ins at once, counting
//! the 429s.
//!
//! The throttle never limits the measured sign-ins, without any setting:
//! each client signs in to its own accounts one at a time (a success clears
//! the account's counter and gives back the address's place), and the 500
//! at once are 500 accounts spread over 25 loopback source addresses
//! (127.0.0.10–34), 20 each, under the per-address limit of 50.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use roster_app::hashing::HashPool;
use roster_app::{Actor, App};
use roster_domain::{MemberStatus, Timestamp};

use crate::{RunArgs, Server, median, ms, sign_in};

/// Options of the sign-in benchmark.
#[derive(clap::Args, Clone)]
pub struct SigninArgs {
    /// The `roster` binary.
    #[arg(long, default_value = "target/release/roster")]
    pub roster: String,
    /// A database to create the benchmark's organization in: a fresh SQLite file path or a postgres:// URL of an empty database.
    #[arg(long, default_value = "/tmp/roster-bench-signin.db")]
    pub database_url: String,
    /// Loopback port to serve on.
    #[arg(long, default_value_t = 18482)]
    pub port: u16,
    /// Accounts that sign in (at least `flood`).
    #[arg(long, default_value_t = 600)]
    pub accounts: usize,
    /// Other members of the organization, for the directory's page.
    #[arg(long, default_value_t = 1_000)]
    pub members: u64,
    /// Repetitions of (a)–(c); the tables show medians.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Seconds of each ceiling run and each sign-in run.
    #[arg(long, default_value_t = 10.0)]
    pub secs: f64,
    /// Concurrent sign-in clients (connections).
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Directory requests per latency sample (one client, one after another).
    #[arg(long, default_value_t = 1_000)]
    pub list_requests: usize,
    /// Seconds of sign-ins during which the server's memory is sampled.
    #[arg(long, default_value_t = 60.0)]
    pub memory_secs: f64,
    /// Sign-ins sent at once, at the end.
    #[arg(long, default_value_t = 500)]
    pub flood: usize,
    /// A label for the tables (the backend, the build).
    #[arg(long, default_value = "")]
    pub label: String,
    /// Only measure the ceiling on pools of these sizes (comma-separated), then stop.
    #[arg(long, value_delimiter = ',')]
    pub ceiling_only: Vec<usize>,
}

const ORG: &str = "signin";
const OWNER: &str = "owner@signin.example";
const PASSWORD: &str = "signin-bench-password";

fn account(i: usize) -> String {
    format!("account{i:04}@signin.example")
}

/// Creates the organization, its members, and the accounts (all with the
/// same password; each account gets the same stored hash, which costs the
/// same to verify as distinct ones). Answers that hash.
async fn prepare(args: &SigninArgs) -> anyhow::Result<String> {
    if !args.database_url.starts_with("postgres") {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", args.database_url));
        }
    }
    let db = roster_store::Db::connect(&args.database_url).await?;
    db.migrate().await?;
    let app = App::new(db, Default::default());
    let created = roster_app::orgs::create_org(
        &app,
        &Actor::Cli,
        roster_app::orgs::NewOrg {
            name: "Sign-in".into(),
            slug: ORG.into(),
            owner_email: OWNER.into(),
            owner_name: None,
            owner_password: Some(PASSWORD.into()),
            preset: None,
        },
    )
    .await
    .map_err(|e| anyhow!("{e}"))?;
    roster_app::demo::seed_members(&app, &created.org, args.members, 5, &|_| {}).await.map_err(|e| anyhow!("{e}"))?;
    let hash = roster_app::passwords::hash_password(&app, PASSWORD.into()).await.map_err(|e| anyhow!("{e}"))?;
    for i in 0..args.accounts {
        let id = roster_app::demo::add_member(
            &app,
            &created.org,
            &account(i),
            &format!("Account {i}"),
            MemberStatus::Active,
            None,
        )
        .await
        .map_err(|e| anyhow!("{e}"))?;
        let mut tx = app.db.begin().await?;
        roster_store::users::set_password(&mut tx, id, &hash, Timestamp(0)).await?;
        tx.commit().await?;
    }
    app.db.close().await;
    Ok(hash)
}

/// CPU seconds used so far by the threads of process `pid` whose name
/// starts with `prefix` (every thread for ""), from each thread's
/// `/proc/PID/task/TID/schedstat` (nanoseconds on a CPU).
fn cpu_secs(pid: u32, prefix: &str) -> anyhow::Result<f64> {
    let mut ns = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let dir = task?.path();
        let (Ok(comm), Ok(stat)) =
            (std::fs::read_to_string(dir.join("comm")), std::fs::read_to_string(dir.join("schedstat")))
        else {
            continue; // the thread ended meanwhile
        };
        if comm.starts_with(prefix) {
            ns += stat.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        }
    }
    Ok(ns as f64 / 1e9)
}

/// A ceiling run: verifications per second (wall clock), and CPU seconds
/// per verification (the pool's threads' own time, which the machine's
/// other load does not inflate).
struct Ceiling {
    per_s: f64,
    cpu_each: f64,
}

async fn ceiling_run(pool: &Arc<HashPool>, hash: &str, secs: f64) -> anyhow::Result<Ceiling> {
    let me = std::process::id();
    let cpu = cpu_secs(me, "roster-hash-")?;
    let started = Instant::now();
    let per_s = ceiling(pool, hash, secs).await?;
    let n = per_s * started.elapsed().as_secs_f64();
    Ok(Ceiling { per_s, cpu_each: (cpu_secs(me, "roster-hash-")? - cpu) / n })
}

/// Verifications per second on `pool`, kept full (one job per place).
async fn ceiling(pool: &Arc<HashPool>, hash: &str, secs: f64) -> anyhow::Result<f64> {
    let done = Arc::new(AtomicUsize::new(0));
    let limit = Duration::from_secs_f64(secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..pool.capacity() {
        let (pool, hash, done) = (pool.clone(), hash.to_string(), done.clone());
        tasks.push(tokio::spawn(async move {
            while started.elapsed() < limit {
                if !pool.verify(PASSWORD.into(), hash.clone()).await.map_err(|e| anyhow!("{e}"))? {
                    bail!("the right password did not verify");
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

/// Sign-ins running in the background until stopped.
struct SignIns {
    stop: Arc<AtomicBool>,
    ok: Arc<AtomicUsize>,
    started: Instant,
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl SignIns {
    /// `concurrency` clients, client `c` signing in to accounts `c`,
    /// `c + concurrency`, … in turn; every answer must be 200.
    fn start(http: &reqwest::Client, base: &str, concurrency: usize, accounts: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let ok = Arc::new(AtomicUsize::new(0));
        let url = format!("{base}/api/v1/auth/login");
        let tasks = (0..concurrency)
            .map(|c| {
                let (http, url, stop, ok) = (http.clone(), url.clone(), stop.clone(), ok.clone());
                tokio::spawn(async move {
                    let mut i = c;
                    while !stop.load(Ordering::Relaxed) {
                        let r = http
                            .post(&url)
                            .json(&serde_json::json!({"email": account(i), "password": PASSWORD}))
                            .send()
                            .await?;
                        let status = r.status();
                        let body = r.bytes().await?;
                        if status != reqwest::StatusCode::OK {
                            bail!("a sign-in answered {status}: {}", String::from_utf8_lossy(&body));
                        }
                        ok.fetch_add(1, Ordering::Relaxed);
                        i += concurrency;
                        if i >= accounts {
                            i = c;
                        }
                    }
                    anyhow::Ok(())
                })
            })
            .collect();
        Self { stop, ok, started: Instant::now(), tasks }
    }

    /// Stops the clients; answers the sign-ins per second.
    async fn stop(self) -> anyhow::Result<f64> {
        Ok(self.stop_counting().await?.0)
    }

    /// Stops the clients; answers the sign-ins per second and how many
    /// were answered, in all, once the last client stopped.
    async fn stop_counting(self) -> anyhow::Result<(f64, usize)> {
        self.stop.store(true, Ordering::Relaxed);
        let n = self.ok.load(Ordering::Relaxed);
        let rate = n as f64 / self.started.elapsed().as_secs_f64();
        for t in self.tasks {
            t.await??;
        }
        Ok((rate, self.ok.load(Ordering::Relaxed)))
    }
}

/// Latencies of `n` directory pages, one after another.
async fn list_latencies(http: &reqwest::Client, url: &str, n: usize) -> anyhow::Result<Vec<Duration>> {
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let r = http.get(url).send().await?;
        let status = r.status();
        let body = r.bytes().await?;
        if !status.is_success() {
            bail!("GET {url} answered {status}: {}", String::from_utf8_lossy(&body));
        }
        v.push(t.elapsed());
    }
    Ok(v)
}

fn percentile(v: &[Duration], p: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort();
    let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
    ms(v[rank - 1])
}

/// What the 500 at once got.
#[derive(Default)]
struct Flood {
    ok: usize,
    busy: usize,
    busy_with_retry_after: usize,
    other: Vec<String>,
    wall: Duration,
}

/// `n` sign-ins at once, to `n` accounts, over 25 loopback source addresses.
async fn flood(base: &str, n: usize) -> anyhow::Result<Flood> {
    let clients: Vec<reqwest::Client> = (0..25u8)
        .map(|i| {
            reqwest::Client::builder()
                .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 10 + i)))
                .pool_max_idle_per_host(64)
                .timeout(Duration::from_secs(120))
                .build()
        })
        .collect::<Result<_, _>>()?;
    let url = format!("{base}/api/v1/auth/login");
    let gate = Arc::new(tokio::sync::Barrier::new(n + 1));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (http, url, gate) = (clients[i % clients.len()].clone(), url.clone(), gate.clone());
            tokio::spawn(async move {
                let req = http.post(&url).json(&serde_json::json!({"email": account(i), "password": PASSWORD}));
                gate.wait().await;
                let r = req.send().await?;
                let status = r.status();
                let retry_after = r.headers().contains_key(reqwest::header::RETRY_AFTER);
                let body: serde_json::Value = r.json().await.unwrap_or_default();
                anyhow::Ok((status, retry_after, body["type"].as_str().unwrap_or_default().to_string()))
            })
        })
        .collect();
    gate.wait().await;
    let started = Instant::now();
    let mut f = Flood::default();
    for t in tasks {
        let (status, retry_after, kind) = t.await??;
        match (status.as_u16(), kind.as_str()) {
            (200, _) => f.ok += 1,
            (429, "/problems/busy") => {
                f.busy += 1;
                f.busy_with_retry_after += usize::from(retry_after);
            }
            (s, k) => f.other.push(format!("{s} {k}")),
        }
    }
    f.wall = started.elapsed();
    Ok(f)
}

/// The server's RssAnon in MB.
fn rss_mb(server: &Server) -> anyhow::Result<f64> {
    Ok(server.status_kb("RssAnon")? as f64 / 1024.0)
}

/// Runs the measurements and prints the tables.
pub async fn run(args: SigninArgs) -> anyhow::Result<()> {
    if args.accounts < args.flood {
        bail!("--accounts must be at least --flood");
    }
    let label = if args.label.is_empty() { String::new() } else { format!(" ({})", args.label) };
    if !args.ceiling_only.is_empty() {
        let hash = HashPool::new(1, None).hash(PASSWORD.into()).await.map_err(|e| anyhow!("{e}"))?;
        println!("| workers | verifications/s (runs) |\n| --- | --- |");
        for _ in 0..args.runs {
            for &w in &args.ceiling_only {
                let pool = Arc::new(HashPool::new(w, None));
                ceiling(&pool, &hash, 1.0).await?;
                println!("| {w} | {:.1} |", ceiling(&pool, &hash, args.secs).await?);
            }
        }
        return Ok(());
    }
    let hash = prepare(&args).await?;
    // The same pool the server builds by default: one worker per core, the default queue.
    let pool = Arc::new(HashPool::new(0, None));

    let probe = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
    let run_args = RunArgs::for_server(&args.roster, &args.database_url, args.port);
    let (server, _) = Server::start(&run_args, &probe).await?;
    let base = format!("http://127.0.0.1:{}", args.port);
    let (cookie, _) = sign_in(&probe, &base, OWNER, PASSWORD).await?;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, cookie.parse()?);
    let owner = reqwest::Client::builder().default_headers(headers).timeout(Duration::from_secs(60)).build()?;
    let users = format!("{base}/api/v1/orgs/{ORG}/users?per_page=50");
    let page: serde_json::Value = owner.get(&users).send().await?.json().await?;
    let org_total = page["total"].as_u64().context("the directory answered no total")?;
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).timeout(Duration::from_secs(60)).build()?;

    // Warm-up: the pool's memory, the connections, the caches.
    ceiling(&pool, &hash, 1.0).await?;
    list_latencies(&owner, &users, 50).await?;
    SignIns::start(&http, &base, args.concurrency, args.accounts).stop().await?;
    let warm = SignIns::start(&http, &base, args.concurrency, args.accounts);
    tokio::time::sleep(Duration::from_secs(1)).await;
    warm.stop().await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_idle = rss_mb(&server)?;

    let (mut ceil, mut signins, mut p99_idle, mut p99_loaded, mut p50_idle, mut p50_loaded, mut loaded_rate) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut cpu_verify, mut cpu_server, mut cpu_server_hash, mut cpu_client) = (vec![], vec![], vec![], vec![]);
    for _ in 0..args.runs {
        let c = ceiling_run(&pool, &hash, args.secs).await?;
        ceil.push(c.per_s);
        cpu_verify.push(c.cpu_each);
        let (server_cpu, server_hash_cpu, client_cpu) =
            (cpu_secs(server.pid, "")?, cpu_secs(server.pid, "roster-hash-")?, cpu_secs(std::process::id(), "")?);
        let s = SignIns::start(&http, &base, args.concurrency, args.accounts);
        tokio::time::sleep(Duration::from_secs_f64(args.secs)).await;
        let (rate, n) = s.stop_counting().await?;
        signins.push(rate);
        let n = n as f64;
        cpu_server.push((cpu_secs(server.pid, "")? - server_cpu) / n);
        cpu_server_hash.push((cpu_secs(server.pid, "roster-hash-")? - server_hash_cpu) / n);
        cpu_client.push((cpu_secs(std::process::id(), "")? - client_cpu) / n);
        let idle = list_latencies(&owner, &users, args.list_requests).await?;
        p99_idle.push(percentile(&idle, 0.99));
        p50_idle.push(percentile(&idle, 0.50));
        let s = SignIns::start(&http, &base, args.concurrency, args.accounts);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let loaded = list_latencies(&owner, &users, args.list_requests).await?;
        loaded_rate.push(s.stop().await?);
        p99_loaded.push(percentile(&loaded, 0.99));
        p50_loaded.push(percentile(&loaded, 0.50));
    }

    // One minute of sign-ins, the server's memory sampled every second.
    let s = SignIns::start(&http, &base, args.concurrency, args.accounts);
    let mut rss = Vec::new();
    let limit = Duration::from_secs_f64(args.memory_secs);
    let started = Instant::now();
    while started.elapsed() < limit {
        tokio::time::sleep(Duration::from_secs(1)).await;
        rss.push(rss_mb(&server)?);
    }
    let minute_rate = s.stop().await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = rss_mb(&server)?;

    let f = flood(&base, args.flood).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after_flood = rss_mb(&server)?;
    let hwm = server.status_kb("VmHWM")? as f64 / 1024.0;
    server.stop().await?;

    let (c, sr) = (median(ceil.clone()), median(signins.clone()));
    let (pi, pl) = (median(p99_idle.clone()), median(p99_loaded.clone()));
    let rss_max = rss.iter().copied().fold(0.0, f64::max);
    let list = |v: &[f64], digits: usize| v.iter().map(|x| format!("{x:.digits$}")).collect::<Vec<_>>().join(", ");
    println!("### Sign-ins and the argon2id ceiling{label}\n");
    println!(
        "argon2id v0x13, m=19456 KiB, t=2, p=1 (Roster's parameters); pool of {} workers admitting {} jobs (the server's default); \
         organization `{ORG}` with {org_total} members, {} accounts signing in; {} runs of {:.0} s, medians.\n",
        pool.workers(),
        pool.capacity(),
        args.accounts,
        args.runs,
        args.secs
    );
    println!("| figure | measured (runs) | goal | ratio |\n| --- | --- | --- | --- |");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let (cv, cs, ch, cc) = (
        median(cpu_verify.clone()),
        median(cpu_server.clone()),
        median(cpu_server_hash.clone()),
        median(cpu_client.clone()),
    );
    let ms_list = |v: &[f64]| v.iter().map(|x| format!("{:.1}", x * 1e3)).collect::<Vec<_>>().join(", ");
    println!(
        "| (a) verifications/s on the pool, in process (the ceiling, wall clock) | {c:.1} ({}) | — | — |",
        list(&ceil, 1)
    );
    println!(
        "| (b) sign-ins/s over HTTP, {} clients (wall clock) | {sr:.1} ({}) | ≥ 0.9 × (a) | {:.2} of (a) |",
        args.concurrency,
        list(&signins, 1),
        sr / c
    );
    println!("| (a′) CPU per verification on the pool | {:.1} ms ({}) | — | — |", cv * 1e3, ms_list(&cpu_verify));
    println!(
        "| (b′) server CPU per sign-in: all threads (of which hashing) | {:.1} ms ({}) ({:.1} ms) | — | — |",
        cs * 1e3,
        ms_list(&cpu_server),
        ch * 1e3
    );
    println!("| (b′) client CPU per sign-in (this process) | {:.1} ms ({}) | — | — |", cc * 1e3, ms_list(&cpu_client));
    println!(
        "| ceiling on {cores:.0} idle cores: {cores:.0} ÷ (a′) verifications/s vs {cores:.0} ÷ server CPU sign-ins/s | {:.1} vs {:.1} | ≥ 0.9 | {:.2} |",
        cores / cv,
        cores / cs,
        cv / cs
    );
    println!("| (c) `GET …/users?per_page=50` p99, alone | {pi:.2} ms ({}) | — | — |", list(&p99_idle, 2));
    println!(
        "| (c) the same p99 while {} clients sign in ({:.1} sign-ins/s) | {pl:.2} ms ({}) | ≤ 2 × alone | {:.2} × alone |",
        args.concurrency,
        median(loaded_rate.clone()),
        list(&p99_loaded, 2),
        pl / pi
    );
    println!(
        "| (c) p50 alone / while signing in | {:.2} / {:.2} ms | — | {:.2} × |",
        median(p50_idle.clone()),
        median(p50_loaded.clone()),
        median(p50_loaded.clone()) / median(p50_idle.clone())
    );
    println!("\n### Memory and 500 at once{label}\n");
    println!("| figure | measured | goal | ratio |\n| --- | --- | --- | --- |");
    println!("| server RssAnon, idle after warm-up | {rss_idle:.1} MB | — | — |");
    println!(
        "| (d) RssAnon, highest of {} samples through {:.0} s of sign-ins at {} clients ({minute_rate:.1} sign-ins/s) | {rss_max:.1} MB | ≤ 128 MB | {:.2} |",
        rss.len(),
        args.memory_secs,
        args.concurrency,
        rss_max / 128.0
    );
    println!("| (d) RssAnon, 2 s after the minute | {rss_after:.1} MB | ≤ 128 MB | {:.2} |", rss_after / 128.0);
    println!(
        "| (e) {} sign-ins at once: 200 / 429 busy (with Retry-After) / other | {} / {} ({}) / {} | excess 429, no other | {:.2} answered 429 |",
        args.flood,
        f.ok,
        f.busy,
        f.busy_with_retry_after,
        f.other.len(),
        f.busy as f64 / args.flood as f64
    );
    println!("| (e) time until the last of them was answered | {:.0} ms | — | — |", ms(f.wall));
    println!("| RssAnon 2 s after the 500 | {rss_after_flood:.1} MB | ≤ 128 MB | {:.2} |", rss_after_flood / 128.0);
    println!("| VmHWM (peak RSS, incl. file-backed) | {hwm:.1} MB | — | — |");
    if !f.other.is_empty() {
        println!("\nOther answers to the 500: {}", f.other.join(", "));
    }
    println!("\nRssAnon each second of the minute (MB): {}", list(&rss, 0));
    Ok(())
}
