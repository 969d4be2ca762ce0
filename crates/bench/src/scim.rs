//! `roster-bench scim`: SCIM 2.0 provisioning on a seeded database (issue
//! 12, item 10), measured from the outside with the organization's SCIM
//! token, against `/healthz` in the same run:
//!
//! - the `userName eq` look-up Entra ID and Okta make before every create,
//!   over a few hundred real addresses of the organization (p50 / p99);
//! - writes with their audit events: creating Users (`POST /Users`) and
//!   disabling them (`PATCH active=false`), at 1 and 8 clients (req/s);
//! - a Group's member PATCH adding, then removing, 10,000 members at once;
//! - a burst of 500 requests at once: each is answered 200 or 429 with
//!   `Retry-After`, and none waits until the client gives up.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{RunArgs, Sample, Server, Stats, load, median, ms, sign_in};

/// Arguments of `roster-bench scim`.
#[derive(clap::Args, Clone)]
pub struct ScimArgs {
    /// The `roster` binary.
    #[arg(long, default_value = "target/release/roster")]
    roster: String,
    /// The seeded database the server opens.
    #[arg(long)]
    database_url: String,
    /// Loopback port to serve on.
    #[arg(long, default_value_t = 18482)]
    port: u16,
    /// The large organization's slug.
    #[arg(long, default_value = "big")]
    org: String,
    /// Its owner, who makes the SCIM token.
    #[arg(long, default_value = "owner@big.example")]
    email: String,
    /// Their password.
    #[arg(long)]
    password: String,
    /// Look-ups per run (one client).
    #[arg(long, default_value_t = 1000)]
    lookups: usize,
    /// Writes per scenario per run and concurrency.
    #[arg(long, default_value_t = 500)]
    writes: usize,
    /// Members in the Group PATCH.
    #[arg(long, default_value_t = 10_000)]
    group_members: usize,
    /// Requests sent at once in the burst.
    #[arg(long, default_value_t = 500)]
    burst: usize,
    /// Repetitions; tables show the median of the runs.
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The goals: look-up p99 (ms); writes per second by backend.
const LOOKUP_GOAL_MS: f64 = 5.0;
const GROUP_GOAL_S: f64 = 5.0;

/// A client that sends the SCIM token with every request.
fn scim_client(token: &str, timeout: Duration) -> anyhow::Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse()?);
    Ok(reqwest::Client::builder().default_headers(headers).timeout(timeout).build()?)
}

/// Builds the `i`-th request of a scenario on a client.
type MakeRequest = Arc<dyn Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync>;

/// Sends `total` requests made by `make(i)` from `concurrency` clients;
/// every answer must have the status `expect`. Answers the latencies and
/// each answer's JSON (by `i`) when `keep` is set.
async fn drive(
    http: &reqwest::Client,
    total: usize,
    concurrency: usize,
    expect: StatusCode,
    keep: bool,
    make: MakeRequest,
) -> anyhow::Result<(Sample, Vec<(usize, Value)>)> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, next, make) = (http.clone(), next.clone(), make.clone());
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut kept) = (Vec::new(), Vec::new());
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                let r = make(&http, i).send().await?;
                let status = r.status();
                let body = r.bytes().await?;
                if status != expect {
                    bail!("request {i} answered {status}: {}", String::from_utf8_lossy(&body));
                }
                lat.push(t.elapsed());
                if keep {
                    kept.push((i, serde_json::from_slice(&body)?));
                }
            }
            anyhow::Ok((lat, kept))
        }));
    }
    let (mut latencies, mut kept) = (Vec::with_capacity(total), Vec::new());
    for t in tasks {
        let (l, k) = t.await??;
        latencies.extend(l);
        kept.extend(k);
    }
    kept.sort_by_key(|(i, _)| *i);
    Ok((Sample { latencies, wall: started.elapsed() }, kept))
}

/// Starts the server, measures the scenarios, prints the tables.
pub async fn run(args: ScimArgs) -> anyhow::Result<()> {
    let server_args = RunArgs::for_server(&args.roster, &args.database_url, args.port);
    let probe = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
    let (server, _) = Server::start(&server_args, &probe).await?;
    let base = format!("http://127.0.0.1:{}", args.port);
    let backend = if args.database_url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    let write_goal = if backend == "SQLite" { 500.0 } else { 200.0 };

    // The organization's SCIM token, made as its owner would on the Service Accounts tab.
    let (cookie, csrf) = sign_in(&probe, &base, &args.email, &args.password).await?;
    let made: Value = probe
        .post(format!("{base}/api/v1/orgs/{}/scim/token", args.org))
        .header(reqwest::header::COOKIE, cookie)
        .header("X-CSRF-Token", csrf)
        .json(&json!({}))
        .send()
        .await?
        .json()
        .await?;
    let token = made["token"].as_str().with_context(|| format!("no SCIM token: {made}"))?.to_string();
    let http = scim_client(&token, Duration::from_secs(120))?;
    let users = format!("{base}/scim/v2/Users");

    // Real addresses from across the organization.
    let mut addresses = Vec::new();
    let mut total = 0;
    for k in 0..20u64 {
        let start = 1 + k * 50_000;
        let page = crate::get_json(&http, &format!("{users}?startIndex={start}&count=20&attributes=userName")).await?;
        total = page["totalResults"].as_u64().unwrap_or_default();
        addresses.extend(
            page["Resources"].as_array().into_iter().flatten().filter_map(|u| u["userName"].as_str().map(String::from)),
        );
    }
    if addresses.is_empty() {
        bail!("the organization {} has no Users", args.org);
    }
    let lookup_urls: Arc<Vec<String>> = Arc::new(
        addresses
            .iter()
            .map(|a| {
                format!(
                    "{users}?{}",
                    serde_urlencoded::to_string([("filter", format!("userName eq \"{a}\""))]).unwrap()
                )
            })
            .collect(),
    );
    let healthz = format!("{base}/healthz");

    // Warm-up.
    load(&http, &healthz, 200, 1, Duration::from_secs(30)).await?;
    let urls = lookup_urls.clone();
    drive(&http, 200, 1, StatusCode::OK, false, Arc::new(move |c, i| c.get(&urls[i % urls.len()]))).await?;

    let tag = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis();
    let (mut health, mut lookup) = (Stats::default(), Stats::default());
    let mut writes: Vec<(usize, Stats, Stats, Stats)> =
        vec![1, 8].into_iter().map(|c| (c, Stats::default(), Stats::default(), Stats::default())).collect();
    let mut group_times: Vec<(f64, f64)> = Vec::new();
    let mut group_note = None;
    for run in 0..args.runs {
        health.push(&load(&http, &healthz, args.lookups, 1, Duration::from_secs(120)).await?);
        let urls = lookup_urls.clone();
        let (s, _) =
            drive(&http, args.lookups, 1, StatusCode::OK, false, Arc::new(move |c, i| c.get(&urls[i % urls.len()])))
                .await?;
        lookup.push(&s);
        for (clients, hz, created, patched) in writes.iter_mut() {
            hz.push(&load(&http, &healthz, args.writes * 4, *clients, Duration::from_secs(120)).await?);
            let (u, n) = (users.clone(), *clients);
            let (s, kept) = drive(
                &http,
                args.writes,
                *clients,
                StatusCode::CREATED,
                true,
                Arc::new(move |c, i| {
                    c.post(&u).header("content-type", "application/scim+json").json(&json!({
                        "schemas": [USER],
                        "userName": format!("bench-{tag}-{run}-{n}-{i}@scim.example"),
                        "name": {"givenName": "Bench", "familyName": format!("User {i}")},
                        "active": true,
                    }))
                }),
            )
            .await?;
            created.push(&s);
            let ids: Arc<Vec<String>> =
                Arc::new(kept.iter().filter_map(|(_, u)| u["id"].as_str().map(String::from)).collect());
            let u = users.clone();
            let (s, _) = drive(
                &http,
                ids.len(),
                *clients,
                StatusCode::OK,
                false,
                Arc::new(move |c, i| {
                    c.patch(format!("{u}/{}", ids[i])).header("content-type", "application/scim+json").json(&json!({
                        "schemas": [PATCH],
                        "Operations": [{"op": "replace", "path": "active", "value": false}],
                    }))
                }),
            )
            .await?;
            patched.push(&s);
        }
        match group_patch(&http, &base, &format!("bench-{tag}-{run}"), args.group_members).await {
            Ok(t) => group_times.push(t),
            Err(e) => group_note = Some(e.to_string()),
        }
    }
    let burst = burst(&token, &lookup_urls[0], args.burst).await?;
    server.stop().await?;

    println!(
        "{backend}, organization `{}` with {total} Users listed by SCIM; medians of {} runs.\n",
        args.org, args.runs
    );
    println!("`userName eq` look-ups over {} addresses, one client, {} per run:\n", addresses.len(), args.lookups);
    println!("| scenario | p50 ms | p99 ms | req/s | p50 ÷ /healthz p50 | goal (p99) | p99 / goal |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let h50 = median(health.p50.clone());
    for (name, st, goal) in [("/healthz", &health, None), ("userName eq", &lookup, Some(LOOKUP_GOAL_MS))] {
        let (p50, p99) = (median(st.p50.clone()), median(st.p99.clone()));
        println!(
            "| {name} | {p50:.2} | {p99:.2} | {:.0} | {:.2} | {} | {} |",
            median(st.rps.clone()),
            p50 / h50,
            goal.map_or("—".into(), |g| format!("≤ {g:.0} ms")),
            goal.map_or("—".into(), |g| format!("{:.2}", p99 / g)),
        );
    }
    println!("\nWrites with their audit events, {} per scenario per run:\n", args.writes);
    println!(
        "| clients | /healthz req/s | POST /Users req/s | p99 ms | PATCH active req/s | p99 ms | POST ÷ /healthz | goal | POST / goal | PATCH / goal |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (clients, hz, created, patched) in &writes {
        let (h, c, p) = (median(hz.rps.clone()), median(created.rps.clone()), median(patched.rps.clone()));
        println!(
            "| {clients} | {h:.0} | {c:.0} | {:.1} | {p:.0} | {:.1} | {:.3} | ≥ {write_goal:.0}/s | {:.2} | {:.2} |",
            median(created.p99.clone()),
            median(patched.p99.clone()),
            c / h,
            c / write_goal,
            p / write_goal,
        );
    }
    println!("\nA Group's member PATCH with {} members:\n", args.group_members);
    if group_times.is_empty() {
        println!("not measured: {}", group_note.unwrap_or_default());
    } else {
        let add = median(group_times.iter().map(|t| t.0).collect());
        let remove = median(group_times.iter().map(|t| t.1).collect());
        println!("| PATCH | seconds | goal | ÷ goal |\n| --- | --- | --- | --- |");
        println!(
            "| add {} members | {add:.2} | ≤ {GROUP_GOAL_S:.0} s | {:.2} |",
            args.group_members,
            add / GROUP_GOAL_S
        );
        println!(
            "| remove {} members | {remove:.2} | ≤ {GROUP_GOAL_S:.0} s | {:.2} |",
            args.group_members,
            remove / GROUP_GOAL_S
        );
    }
    println!(
        "\n{} look-ups sent at once: {} answered 200, {} answered 429 (every one with Retry-After: {}), {} other answers, {} errors or time-outs; the slowest took {:.0} ms.",
        args.burst, burst.ok, burst.busy, burst.all_retry_after, burst.other, burst.failed, burst.slowest_ms
    );
    Ok(())
}

/// Makes a Group, PATCHes `n` members into it and out again (seconds
/// each), and deletes it.
async fn group_patch(http: &reqwest::Client, base: &str, name: &str, n: usize) -> anyhow::Result<(f64, f64)> {
    let groups = format!("{base}/scim/v2/Groups");
    let mut ids = Vec::with_capacity(n);
    let mut start = 1;
    while ids.len() < n {
        let page = crate::get_json(
            http,
            &format!("{base}/scim/v2/Users?filter=active%20eq%20true&startIndex={start}&count=1000&attributes=id"),
        )
        .await?;
        let got: Vec<String> = page["Resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|u| u["id"].as_str().map(String::from))
            .collect();
        if got.is_empty() {
            break;
        }
        start += got.len();
        ids.extend(got);
    }
    ids.truncate(n);
    let send = |m: Method, url: String, body: Value| {
        http.request(m, url).header("content-type", "application/scim+json").json(&body).send()
    };
    let r = send(Method::POST, groups.clone(), json!({"schemas": [GROUP], "displayName": name})).await?;
    let status = r.status();
    let group: Value = r.json().await?;
    if status != StatusCode::CREATED {
        bail!("POST /Groups answered {status}: {group}");
    }
    let url = format!("{groups}/{}", group["id"].as_str().context("a Group without id")?);
    let members: Vec<Value> = ids.iter().map(|id| json!({"value": id})).collect();
    let mut times = [0.0; 2];
    for (k, op) in ["add", "remove"].into_iter().enumerate() {
        let t = Instant::now();
        let r = send(
            Method::PATCH,
            url.clone(),
            json!({"schemas": [PATCH], "Operations": [{"op": op, "path": "members", "value": members}]}),
        )
        .await?;
        let status = r.status();
        let body = r.text().await?;
        if !status.is_success() {
            bail!("PATCH {op} members answered {status}: {body}");
        }
        times[k] = t.elapsed().as_secs_f64();
    }
    let r = http.delete(&url).send().await?;
    if !r.status().is_success() {
        bail!("DELETE {url} answered {}", r.status());
    }
    Ok((times[0], times[1]))
}

/// How a burst was answered.
struct Burst {
    ok: usize,
    busy: usize,
    all_retry_after: bool,
    other: usize,
    failed: usize,
    slowest_ms: f64,
}

/// Sends `n` requests at once, each on its own connection.
async fn burst(token: &str, url: &str, n: usize) -> anyhow::Result<Burst> {
    let http = scim_client(token, Duration::from_secs(30))?;
    let mut tasks = Vec::new();
    for _ in 0..n {
        let (http, url) = (http.clone(), url.to_string());
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let r = http.get(url).send().await;
            (r.map(|r| (r.status(), r.headers().contains_key(reqwest::header::RETRY_AFTER))), t.elapsed())
        }));
    }
    let mut b = Burst { ok: 0, busy: 0, all_retry_after: true, other: 0, failed: 0, slowest_ms: 0.0 };
    for t in tasks {
        let (r, took) = t.await?;
        b.slowest_ms = b.slowest_ms.max(ms(took));
        match r {
            Ok((StatusCode::OK, _)) => b.ok += 1,
            Ok((StatusCode::TOO_MANY_REQUESTS, retry)) => {
                b.busy += 1;
                b.all_retry_after &= retry;
            }
            Ok(_) => b.other += 1,
            Err(_) => b.failed += 1,
        }
    }
    Ok(b)
}
