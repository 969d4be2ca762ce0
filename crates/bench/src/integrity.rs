//! `roster-bench integrity`: the audit log's and the sessions' costs (issue
//! 9, item 9), in one run over one fresh database:
//!
//! (a) `roster audit verify --org integrity` (the release binary, as an
//!     operator runs it) over a chain of `--events` generated events, and the
//!     same check in process; events/s.
//! (b) a member update — the store calls `members::rename_member` makes in
//!     its one transaction (the organization's lock and the actor's fresh
//!     standing, the member and their grants, the rename, the member read
//!     again) — with its audit event appended, against the same calls
//!     without it, alternating blocks of 100, on an organization whose log
//!     already holds the generated events.
//! (c) what every organization API request validates, in process, with
//!     `--sessions` sessions stored: the session, the member's status and
//!     their grants (`auth::authenticate_in_org`, one query) — against the
//!     former two-query path (`auth::authenticate` then `access::open_org`);
//!     latency p50/p99, and on PostgreSQL the statements each one runs,
//!     counted by the server (`pg_stat_database.xact_commit`: each statement
//!     outside a transaction is one).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use roster_app::{Actor, App, ManualClock};
use roster_domain::audit::{ActorType, AuditAction, NewAuditEvent};
use roster_domain::{MemberStatus, SessionId, Timestamp, UserId};
use roster_store::Db;

use crate::median;

/// Options of the integrity benchmark.
#[derive(clap::Args, Clone)]
pub struct IntegrityArgs {
    /// The `roster` binary.
    #[arg(long, default_value = "target/release/roster")]
    pub roster: String,
    /// A fresh SQLite file path (replaced) or a postgres:// URL of an empty database.
    #[arg(long, default_value = "/tmp/roster-bench-integrity.db")]
    pub database_url: String,
    /// Audit events to generate in the organization.
    #[arg(long, default_value_t = 1_000_000)]
    pub events: u64,
    /// Sessions to store.
    #[arg(long, default_value_t = 1_000_000)]
    pub sessions: u64,
    /// Repetitions; the tables show medians.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Member updates per variant per run.
    #[arg(long, default_value_t = 1_000)]
    pub updates: usize,
    /// Validations per path per run.
    #[arg(long, default_value_t = 20_000)]
    pub checks: usize,
    /// Reuse the database of an earlier run (skip generating).
    #[arg(long)]
    pub reuse: bool,
}

const ORG: &str = "integrity";
const MEMBERS: u64 = 1_000;
const MEMBERS_UPDATE: roster_app::access::Permission = roster_app::access::Permission::MEMBERS_UPDATE;

fn err(e: roster_app::AppError) -> anyhow::Error {
    anyhow!("{e}")
}

/// A realistic event: a rename by an administrator over HTTP.
fn event(org: roster_domain::OrgId, i: u64, now: i64) -> NewAuditEvent {
    NewAuditEvent {
        org_id: org,
        actor_id: Some(UserId(uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001))),
        actor_label: "admin@integrity.example".into(),
        actor_type: ActorType::User,
        action: AuditAction::MemberUpdated,
        target_type: "member".into(),
        target_id: uuid::Uuid::from_u128(u128::from(i) << 64 | 0x7000_8000_0000_0000).to_string(),
        details: format!(r#"{{"before":{{"name":"Member {i}"}},"after":{{"name":"Member {i} Renamed"}}}}"#),
        ip: Some("203.0.113.17".into()),
        request_id: Some(format!("req-{i:012}")),
        user_agent: Some(
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
                .into(),
        ),
        created_at: Timestamp(now - 1_000_000 + i as i64),
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

async fn generate(args: &IntegrityArgs, app: &App) -> anyhow::Result<()> {
    let created = roster_app::orgs::create_org(
        app,
        &Actor::Cli,
        roster_app::orgs::NewOrg {
            name: "Integrity".into(),
            slug: ORG.into(),
            owner_email: "owner@integrity.example".into(),
            owner_name: None,
            owner_password: None,
            preset: None,
        },
    )
    .await
    .map_err(err)?;
    let org = created.org;
    roster_app::demo::seed_members(app, &org, MEMBERS, 5, &|_| {}).await.map_err(err)?;
    let started = Instant::now();
    let now = now_ms();
    let mut done = 0;
    while done < args.events {
        let n = (args.events - done).min(10_000);
        let events: Vec<NewAuditEvent> = (done..done + n).map(|i| event(org.id, i, now)).collect();
        let mut tx = app.db.begin().await?;
        roster_store::orgs::lock_org(&mut tx, org.id).await?;
        roster_store::audit::append(&mut tx, &events).await?;
        tx.commit().await?;
        done += n;
    }
    eprintln!("generated {} audit events in {:.1} s", args.events, started.elapsed().as_secs_f64());
    let started = Instant::now();
    let active = active_members(app, org.id).await?;
    let mut done = 0;
    while done < args.sessions {
        let n = (args.sessions - done).min(10_000);
        let rows: Vec<roster_store::sessions::NewSession> = (done..done + n)
            .map(|i| session(active[i as usize % active.len()], &roster_app::tokens::new_secret(), now))
            .collect();
        let mut tx = app.db.begin().await?;
        roster_store::sessions::insert_sessions(&mut tx, &rows).await?;
        tx.commit().await?;
        done += n;
    }
    eprintln!("generated {} sessions in {:.1} s", args.sessions, started.elapsed().as_secs_f64());
    Ok(())
}

fn session(user: UserId, token: &str, now: i64) -> roster_store::sessions::NewSession {
    roster_store::sessions::NewSession {
        id: SessionId::new(),
        user_id: user,
        token_hash: roster_app::tokens::hash_secret(token),
        created_at: Timestamp(now),
        idle_expires_at: Timestamp(now + 30 * 60_000),
        expires_at: Timestamp(now + 12 * 3_600_000),
        ip: Some("198.51.100.4".into()),
        user_agent: Some("Mozilla/5.0 (bench)".into()),
        location: None,
    }
}

async fn active_members(app: &App, org: roster_domain::OrgId) -> anyhow::Result<Vec<UserId>> {
    let mut conn = app.db.conn().await?;
    let rows = roster_store::members::select_member_ids(
        &mut conn,
        org,
        &Default::default(),
        &[MemberStatus::Active],
        None,
        MEMBERS * 2,
    )
    .await?;
    Ok(rows.into_iter().map(|(u, _)| u).collect())
}

/// Statements the server has run in this database (PostgreSQL), once its
/// statistics caught up: each statement outside a transaction commits one.
async fn pg_commits(db: &Db) -> anyhow::Result<Option<i64>> {
    let Db::Postgres(p) = db else { return Ok(None) };
    // Backends report their counters when idle, at most once a second.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut c = p.acquire().await?;
    sqlx::query("SELECT pg_stat_clear_snapshot()").execute(&mut *c).await?;
    let n: i64 = sqlx::query_scalar("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
        .fetch_one(&mut *c)
        .await?;
    Ok(Some(n))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Runs the benchmark and prints its tables.
pub async fn run(args: IntegrityArgs) -> anyhow::Result<()> {
    let is_pg = args.database_url.starts_with("postgres");
    if !is_pg && !args.reuse {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", args.database_url));
        }
    }
    let db = Db::connect(&args.database_url).await?;
    db.migrate().await?;
    // The clock stays at the start, so the stored sessions stay live and no
    // validation writes a last-seen time (a session writes it at most once a
    // minute; that write is left out of (c)).
    let clock = Arc::new(ManualClock::at(Timestamp(now_ms())));
    let app = App::new(db.clone(), Default::default()).with_clock(clock);
    if !args.reuse {
        generate(&args, &app).await?;
    }
    let access = roster_app::access::open_org(&app, &Actor::Cli, ORG).await.map_err(err)?;
    let org = access.org.clone();

    // (a) roster audit verify, the binary and in process.
    let mut cli_rates = Vec::new();
    let mut lib_rates = Vec::new();
    for run in 0..args.runs {
        let started = Instant::now();
        let out = std::process::Command::new(&args.roster)
            .args(["--database-url", &args.database_url, "audit", "verify", "--org", ORG])
            .env("ROSTER_LOG", "warn")
            .output()
            .with_context(|| format!("running {}", args.roster))?;
        let secs = started.elapsed().as_secs_f64();
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() || !stdout.contains("\tOK\t") {
            bail!("audit verify failed: {stdout} {}", String::from_utf8_lossy(&out.stderr));
        }
        let events: f64 = stdout.split('\t').nth(2).and_then(|s| s.split(' ').next()).unwrap_or("0").parse()?;
        let started = Instant::now();
        let report = roster_app::audit::verify_chain(&app, &access).await.map_err(err)?;
        let lib_secs = started.elapsed().as_secs_f64();
        assert!(report.broken.is_none());
        cli_rates.push(events / secs);
        lib_rates.push(report.events as f64 / lib_secs);
        eprintln!(
            "(a) run {run}: {events} events, CLI {secs:.2} s ({:.0}/s), in process {lib_secs:.2} s ({:.0}/s)",
            events / secs,
            report.events as f64 / lib_secs
        );
    }

    // (b) a member update with and without its audit event.
    let member = active_members(&app, org.id).await?[0];
    let mut with_ms = Vec::new();
    let mut without_ms = Vec::new();
    let mut i = 0u64;
    for _ in 0..args.runs {
        let (mut with, mut without) = (Vec::new(), Vec::new());
        for block in 0..(args.updates / 100).max(1) * 2 {
            let audited = block % 2 == 0;
            for _ in 0..100 {
                i += 1;
                let name = format!("Bench Member {i}");
                let started = Instant::now();
                let now = Timestamp(now_ms());
                // The store calls of `members::rename_member`, in its order:
                // the change path's lock and fresh standing, the member and
                // their grants, the rename, the event, the member read again.
                let mut tx = app.db.begin().await?;
                let fresh = roster_app::access::relock(&mut tx, &app, &access, MEMBERS_UPDATE).await.map_err(err)?;
                let before = roster_store::members::find_member(&mut tx, org.id, member).await?.context("member")?;
                roster_app::policy::load_effective(&mut tx, &fresh.policy, org.id, member).await.map_err(err)?;
                roster_store::users::update_user_name(&mut tx, member, &name, now).await?;
                if audited {
                    let entry = roster_domain::audit::AuditEntry::new(AuditAction::MemberUpdated, member)
                        .before(serde_json::json!({"name": before.name}))
                        .after(serde_json::json!({"name": name}));
                    let e = NewAuditEvent {
                        target_id: entry.target_id,
                        details: serde_json::Value::Object(entry.details).to_string(),
                        created_at: now,
                        ..event(org.id, i, now.0)
                    };
                    roster_store::audit::append(&mut tx, &[e]).await?;
                }
                roster_store::members::find_member(&mut tx, org.id, member).await?;
                roster_store::roles::roles_of_members(&mut tx, org.id, &[member]).await?;
                tx.commit().await?;
                let t = started.elapsed().as_secs_f64() * 1000.0;
                if audited { with.push(t) } else { without.push(t) }
            }
        }
        with_ms.push(median(with));
        without_ms.push(median(without));
    }

    // (c) validating an organization request, with the sessions stored.
    let active = active_members(&app, org.id).await?;
    let now = app.clock.now().0;
    let tokens: Vec<String> = (0..1_000).map(|_| roster_app::tokens::new_secret()).collect();
    let rows: Vec<_> = tokens.iter().enumerate().map(|(i, t)| session(active[i % active.len()], t, now)).collect();
    let mut tx = app.db.begin().await?;
    roster_store::sessions::insert_sessions(&mut tx, &rows).await?;
    tx.commit().await?;
    let stored: i64 = match &db {
        Db::Sqlite(p) => sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(p).await?,
        Db::Postgres(p) => sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(p).await?,
    };
    // Warm the policy cache and the connections.
    for t in &tokens {
        roster_app::auth::authenticate_in_org(&app, t, ORG).await.map_err(err)?;
    }
    let (mut one_p50, mut one_p99, mut two_p50, mut two_p99) = (vec![], vec![], vec![], vec![]);
    let (mut one_q, mut two_q) = (vec![], vec![]);
    for _ in 0..args.runs {
        for two in [false, true] {
            let before = pg_commits(&db).await?;
            let mut lat = Vec::with_capacity(args.checks);
            for k in 0..args.checks {
                let t = &tokens[k % tokens.len()];
                let started = Instant::now();
                if two {
                    let p = roster_app::auth::authenticate(&app, t).await.map_err(err)?;
                    let a = roster_app::access::open_org(&app, &Actor::User(p), ORG).await.map_err(err)?;
                    std::hint::black_box(a);
                } else {
                    let a = roster_app::auth::authenticate_in_org(&app, t, ORG).await.map_err(err)?;
                    std::hint::black_box(a);
                }
                lat.push(started.elapsed().as_secs_f64() * 1e6);
            }
            let after = pg_commits(&db).await?;
            lat.sort_by(f64::total_cmp);
            let (p50, p99) = (percentile(&lat, 0.5), percentile(&lat, 0.99));
            let queries = before.zip(after).map(|(b, a)| (a - b) as f64 / args.checks as f64);
            if two {
                two_p50.push(p50);
                two_p99.push(p99);
                two_q.extend(queries);
            } else {
                one_p50.push(p50);
                one_p99.push(p99);
                one_q.extend(queries);
            }
        }
    }

    let backend = if is_pg { "postgres" } else { "sqlite" };
    println!();
    println!(
        "backend {backend}: {} audit events in `{ORG}`, {stored} stored sessions, {} runs",
        args.events, args.runs
    );
    println!();
    println!("| figure | measured (runs) | goal | ratio |");
    println!("| --- | --- | --- | --- |");
    let list = |v: &[f64], digits: usize| v.iter().map(|x| format!("{x:.digits$}")).collect::<Vec<_>>().join(", ");
    let cli = median(cli_rates.clone());
    println!(
        "| (a) `roster audit verify --org {ORG}` (the binary, wall clock incl. start) | {cli:.0} events/s ({}) | ≥ 200,000 | {:.2} |",
        list(&cli_rates, 0),
        cli / 200_000.0
    );
    let lib = median(lib_rates.clone());
    println!(
        "| (a) the same check in process | {lib:.0} events/s ({}) | ≥ 200,000 | {:.2} |",
        list(&lib_rates, 0),
        lib / 200_000.0
    );
    let (w, wo) = (median(with_ms.clone()), median(without_ms.clone()));
    println!("| (b) member update with its audit event, median | {w:.3} ms ({}) | — | — |", list(&with_ms, 3));
    println!("| (b) the same update without it, median | {wo:.3} ms ({}) | — | — |", list(&without_ms, 3));
    println!("| **(b) ratio with / without** | **{:.2}** | ≤ 1.2 | {:.2} of the goal |", w / wo, (w / wo) / 1.2);
    let (p50, p99) = (median(one_p50.clone()), median(one_p99.clone()));
    println!(
        "| (c) session + status + grants, one query: p50 | {p50:.1} µs ({}) | ≤ 25 µs | {:.2} |",
        list(&one_p50, 1),
        p50 / 25.0
    );
    println!("| (c) the same: p99 | {p99:.1} µs ({}) | ≤ 50 µs | {:.2} |", list(&one_p99, 1), p99 / 50.0);
    let (p50b, p99b) = (median(two_p50.clone()), median(two_p99.clone()));
    println!(
        "| (c) former path (authenticate, then open_org): p50 / p99 | {p50b:.1} / {p99b:.1} µs | — | {:.2} / {:.2} × the one-query path |",
        p50b / p50,
        p99b / p99
    );
    if !one_q.is_empty() {
        println!(
            "| (c) statements per validation on PostgreSQL: one-query path / former path | {:.2} / {:.2} | 1 round trip | — |",
            median(one_q),
            median(two_q)
        );
    }
    app.db.close().await;
    Ok(())
}
