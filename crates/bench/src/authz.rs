//! `roster-bench authz`: what a permission check costs, in process and over HTTP.
//!
//! In process: a member holding five roles of the broker preset, checked
//! over every (resource, action) pair in turn, on one thread. Over HTTP: a
//! fresh database with that member, served by `roster serve`, comparing
//! `POST /api/v1/orgs/{org}/authz/check` — asked with the member's session
//! cookie, and with a service account's bearer token as the host
//! application's server would — with `GET /healthz` in the same run.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use roster_app::{Actor, App};
use roster_domain::permissions::{Action, preset};
use roster_domain::roles::{Effective, HeldRole};

use crate::{RunArgs, Server, median, sign_in};

/// Options of the check benchmark.
#[derive(clap::Args, Clone)]
pub struct AuthzArgs {
    /// The `roster` binary.
    #[arg(long, default_value = "target/release/roster")]
    pub roster: String,
    /// A database to create the benchmark's organization in: a fresh SQLite file path or a postgres:// URL of an empty database.
    #[arg(long, default_value = "/tmp/roster-bench-authz.db")]
    pub database_url: String,
    /// Loopback port to serve on.
    #[arg(long, default_value_t = 18481)]
    pub port: u16,
    /// In-process checks per run.
    #[arg(long, default_value_t = 5_000_000)]
    pub checks: usize,
    /// Repetitions; the tables show medians.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Seconds of each HTTP throughput run.
    #[arg(long, default_value_t = 3.0)]
    pub secs: f64,
    /// Concurrent HTTP clients (comma-separated).
    #[arg(long, default_value = "1,8", value_delimiter = ',')]
    pub concurrency: Vec<usize>,
}

const ROLES: [&str; 5] =
    ["global_admin", "global_view_only_admin", "global_support_admin", "key_account_manager", "sales_agent"];
const EMAIL: &str = "five.roles@authz.example";
const PASSWORD: &str = "authz-bench-password";

fn five_roles() -> (Effective, Vec<String>) {
    let p = preset("broker").expect("broker preset");
    let held = ROLES
        .iter()
        .map(|k| {
            let r = p.role(k).expect("broker role");
            HeldRole { name: r.name.clone(), grants: r.grants.clone() }
        })
        .collect();
    let mut resources: Vec<String> =
        roster_domain::permissions::ROSTER_RESOURCES.iter().map(|(k, _, _)| k.to_string()).collect();
    resources.extend(p.resources.iter().map(|r| r.key.clone()));
    (Effective::new(held, Default::default()), resources)
}

/// Checks per second on one thread, one run.
fn in_process_run(e: &Effective, pairs: &[(String, Action)], n: usize) -> f64 {
    let started = Instant::now();
    let mut allowed = 0usize;
    for i in 0..n {
        let (r, a) = &pairs[i % pairs.len()];
        let d = e.check(std::hint::black_box(r), std::hint::black_box(*a));
        allowed += usize::from(d.allowed);
    }
    std::hint::black_box(allowed);
    n as f64 / started.elapsed().as_secs_f64()
}

/// Makes the benchmark's database: the organization, 1,000 members, the
/// member holding five roles, and a service account (the host
/// application's server) with the broker's Global Admin role; answers the
/// account's API token.
async fn prepare(args: &AuthzArgs) -> anyhow::Result<String> {
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
            name: "Authz".into(),
            slug: "authz".into(),
            owner_email: "owner@authz.example".into(),
            owner_name: None,
            owner_password: None,
            preset: Some("broker".into()),
        },
    )
    .await
    .map_err(|e| anyhow!("{e}"))?;
    roster_app::demo::seed_members(&app, &created.org, 1_000, 3, &|_| {}).await.map_err(|e| anyhow!("{e}"))?;
    let id = roster_app::demo::add_member(
        &app,
        &created.org,
        EMAIL,
        "Five Roles",
        roster_domain::MemberStatus::Active,
        Some(PASSWORD),
    )
    .await
    .map_err(|e| anyhow!("{e}"))?;
    let access =
        roster_app::access::open_org(&app, &roster_app::Actor::Cli, "authz").await.map_err(|e| anyhow!("{e}"))?;
    let roles: Vec<String> = ROLES.iter().map(|r| r.to_string()).collect();
    roster_app::roles::set_member_roles(&app, &access, id, &roles, &Default::default())
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let input = roster_app::service_accounts::AccountInput {
        name: "host-app".into(),
        description: "The host application's server".into(),
        roles: Some(vec!["global_admin".into()]),
        grants: None,
    };
    let account = roster_app::service_accounts::create(&app, &access, &input, &Default::default())
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let token = roster_app::service_accounts::create_token(
        &app,
        &access,
        account.id,
        &roster_app::service_accounts::TokenInput { name: "bench".into(), expires_in_days: None },
        &Default::default(),
    )
    .await
    .map_err(|e| anyhow!("{e}"))?;
    app.db.close().await;
    Ok(token.token)
}

/// Sends requests from `concurrency` clients for `secs`; every answer must be 200.
async fn throughput(
    http: &reqwest::Client,
    request: Arc<dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync>,
    concurrency: usize,
    secs: f64,
) -> anyhow::Result<f64> {
    let done = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let limit = Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, request, done) = (http.clone(), request.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            while started.elapsed() < limit {
                let r = request(&http).send().await?;
                let status = r.status();
                let body = r.bytes().await?;
                if !status.is_success() {
                    bail!("answered {status}: {}", String::from_utf8_lossy(&body));
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

/// Runs both measurements and prints the tables.
pub async fn run(args: AuthzArgs) -> anyhow::Result<()> {
    let (effective, resources) = five_roles();
    let pairs: Vec<(String, Action)> =
        resources.iter().flat_map(|r| Action::ALL.iter().map(move |a| (r.clone(), *a))).collect();
    in_process_run(&effective, &pairs, args.checks / 10);
    let runs: Vec<f64> = (0..args.runs).map(|_| in_process_run(&effective, &pairs, args.checks)).collect();
    let per_s = median(runs.clone());
    println!("### Permission checks in process\n");
    println!(
        "A member holding 5 broker roles; {} (resource, action) pairs in turn; {} checks per run, one thread, median of {} runs.\n",
        pairs.len(),
        args.checks,
        args.runs
    );
    println!("| checks/s (median) | runs | goal | ratio to goal |\n| --- | --- | --- | --- |");
    println!(
        "| {per_s:.0} | {} | ≥ 1,000,000 | {:.1} |\n",
        runs.iter().map(|r| format!("{:.2} M", r / 1e6)).collect::<Vec<_>>().join(", "),
        per_s / 1e6
    );

    let token = prepare(&args).await?;
    let probe = reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?;
    let run_args = RunArgs::for_server(&args.roster, &args.database_url, args.port);
    let (server, _) = Server::start(&run_args, &probe).await?;
    let base = format!("http://127.0.0.1:{}", args.port);
    let (cookie, csrf) = sign_in(&probe, &base, EMAIL, PASSWORD).await?;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, cookie.parse()?);
    headers.insert("X-CSRF-Token", csrf.parse()?);
    let http = reqwest::Client::builder().default_headers(headers).pool_max_idle_per_host(64).build()?;
    let health_url = format!("{base}/healthz");
    let check_url = format!("{base}/api/v1/orgs/authz/authz/check");
    let health: Arc<dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync> =
        Arc::new(move |c| c.get(&health_url));
    let check: Arc<dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync> = Arc::new(move |c| {
        c.post(&check_url).json(&serde_json::json!({"user": EMAIL, "resource": "org_pricing", "action": "update"}))
    });
    let batch_url = format!("{base}/api/v1/orgs/authz/authz/check-batch");
    let pairs_json: Vec<serde_json::Value> = pairs
        .iter()
        .take(100)
        .map(|(r, a)| serde_json::json!({"user": EMAIL, "resource": r, "action": a.as_str()}))
        .collect();
    let batch_body = serde_json::json!({ "checks": pairs_json });
    let batch: Arc<dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync> =
        Arc::new(move |c| c.post(&batch_url).json(&batch_body));
    let mut bearer_headers = reqwest::header::HeaderMap::new();
    bearer_headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse()?);
    let bearer_http = reqwest::Client::builder().default_headers(bearer_headers).pool_max_idle_per_host(64).build()?;
    throughput(&http, check.clone(), 1, 0.5).await?;
    throughput(&bearer_http, check.clone(), 1, 0.5).await?;
    println!("### POST …/authz/check vs GET /healthz over HTTP\n");
    println!(
        "The same member asking about themselves; {:.0} s per endpoint per run, alternating, median of {} runs; client and server share the machine.\n",
        args.secs, args.runs
    );
    println!(
        "| clients | /healthz req/s | check req/s (cookie) | check ÷ /healthz (goal ≥ 0.50) | check req/s (bearer token) | bearer ÷ /healthz | check-batch of {n} req/s | checks/s in batches |\n| --- | --- | --- | --- | --- | --- | --- | --- |",
        n = pairs.len().min(100)
    );
    for &c in &args.concurrency {
        let (mut h, mut k, mut t, mut b) = (vec![], vec![], vec![], vec![]);
        for _ in 0..args.runs {
            h.push(throughput(&http, health.clone(), c, args.secs).await?);
            k.push(throughput(&http, check.clone(), c, args.secs).await?);
            t.push(throughput(&bearer_http, check.clone(), c, args.secs).await?);
            b.push(throughput(&http, batch.clone(), c, args.secs).await?);
        }
        let (h, k, t, b) = (median(h), median(k), median(t), median(b));
        println!(
            "| {c} | {h:.0} | {k:.0} | {:.2} | {t:.0} | {:.2} | {b:.0} | {:.0} |",
            k / h,
            t / h,
            b * pairs.len().min(100) as f64
        );
    }
    server.stop().await?;
    Ok(())
}
