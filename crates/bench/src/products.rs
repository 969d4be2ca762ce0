//! `roster-bench products` (issue 10, item 9), on a database seeded with
//! `roster dev seed --org big --members 1000000 --licenses quote=50,analytics=1`:
//!
//! (a) the Users list with a product filter at 1,000,000 members over HTTP,
//!     one client: a common product (about half the members), a rare one
//!     (about 1%), a product with a status, with a search, and a cursor deep
//!     into a product's list — each beside its reference, the same list
//!     without the product filter, measured in the same run (interleaved);
//! (b) in process, after the server stopped: a bulk assignment of one
//!     product to every active member of a fresh organization of
//!     `--bulk-members` generated members (about 100,000 active at the
//!     default 125,000) through `app::products::bulk_licenses` (the filter
//!     shape, with its audit events), its dry run (the preview), and the
//!     reference: the house's bulk disable of the active members of an
//!     identical organization (`app::members::bulk_change`), alternating
//!     which runs first.

use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use roster_app::products::{BulkLicenses, SubscriptionPatch};
use roster_app::{Actor, App};
use roster_domain::members::StatusChange;
use roster_domain::{MemberFilter, MemberStatus};
use roster_store::Db;

use crate::{RunArgs, Server, Stats, get_json, load, median, sign_in};

/// Arguments of `roster-bench products`.
#[derive(clap::Args, Clone)]
pub struct ProductsArgs {
    /// The `roster` binary.
    #[arg(long, default_value = "target/release/roster")]
    roster: String,
    /// The seeded database (a SQLite file path or a postgres:// URL).
    #[arg(long)]
    database_url: String,
    /// Loopback port to serve on.
    #[arg(long, default_value_t = 18482)]
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
    /// The common product's key (held by about half the members).
    #[arg(long, default_value = "quote")]
    common: String,
    /// The rare product's key (held by about 1%).
    #[arg(long, default_value = "analytics")]
    rare: String,
    /// Requests per list scenario per run (one client).
    #[arg(long, default_value_t = 500)]
    requests: usize,
    /// Repetitions of the list scenarios; the table shows the median of the runs.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Pages of 50 the deep-cursor scenarios follow first.
    #[arg(long, default_value_t = 200)]
    deep_pages: usize,
    /// Members generated in each organization of the bulk part (80% active).
    #[arg(long, default_value_t = 125_000)]
    bulk_members: u64,
    /// Repetitions of the bulk part (each on two fresh organizations).
    #[arg(long, default_value_t = 3)]
    bulk_runs: usize,
    /// Skip the list part (a).
    #[arg(long)]
    skip_list: bool,
    /// Skip the bulk part (b).
    #[arg(long)]
    skip_bulk: bool,
}

/// The goal for a Users list page with a product filter: p99 at most this.
const LIST_GOAL_MS: f64 = 20.0;

/// The goal for assigning one product to 100,000 members with audit.
const BULK_GOAL_S: f64 = 10.0;

/// Runs both parts and prints their tables.
pub async fn run(args: ProductsArgs) -> anyhow::Result<()> {
    if !args.skip_list {
        list(&args).await?;
    }
    if !args.skip_bulk {
        bulk(&args).await?;
    }
    Ok(())
}

/// A list scenario: its key, what it is, its query, and its reference's key.
struct Scenario {
    key: &'static str,
    what: String,
    query: String,
    reference: Option<&'static str>,
}

/// Follows `next_cursor` `pages` times from the first page of `query`.
async fn cursor_after(http: &reqwest::Client, users: &str, query: &str, pages: usize) -> anyhow::Result<String> {
    let mut page = get_json(http, &format!("{users}?per_page=50&{query}")).await?;
    for _ in 1..pages {
        let c = page["next_cursor"].as_str().context("the list ended before the deep page")?.to_string();
        page = get_json(http, &format!("{users}?per_page=50&{query}&cursor={c}")).await?;
    }
    Ok(page["next_cursor"].as_str().context("the list ended at the deep page")?.to_string())
}

async fn list(args: &ProductsArgs) -> anyhow::Result<()> {
    let server_args = RunArgs::for_server(&args.roster, &args.database_url, args.port);
    let probe = reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?;
    let (server, _) = Server::start(&server_args, &probe).await?;
    let base = format!("http://127.0.0.1:{}", args.port);
    let (cookie, _) = sign_in(&probe, &base, &args.email, &args.password).await?;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, cookie.parse()?);
    let http = reqwest::Client::builder().default_headers(headers).timeout(Duration::from_secs(60)).build()?;
    let users = format!("{base}/api/v1/orgs/{}/users", args.org);
    let (common, rare) = (&args.common, &args.rare);
    let deep = cursor_after(&http, &users, "", args.deep_pages).await?;
    let deep_common = cursor_after(&http, &users, &format!("product={common}"), args.deep_pages).await?;
    let pages = args.deep_pages;
    let s = |key, what: String, query: String, reference| Scenario { key, what, query, reference };
    let scenarios = vec![
        s("a", "page 1 by email (reference)".into(), String::new(), None),
        s("p1", format!("product={common} (common)"), format!("product={common}"), Some("a")),
        s("p2", format!("product={rare} (rare)"), format!("product={rare}"), Some("a")),
        s("b", "status=disabled (reference)".into(), "status=disabled".into(), None),
        s("p3", format!("product={common}&status=disabled"), format!("product={common}&status=disabled"), Some("b")),
        s("p4", format!("product={rare}&status=disabled"), format!("product={rare}&status=disabled"), Some("b")),
        s("c", "q=smith12 (reference)".into(), "q=smith12".into(), None),
        s("p5", format!("product={common}&q=smith12"), format!("product={common}&q=smith12"), Some("c")),
        s("p6", format!("product={rare}&q=smith12"), format!("product={rare}&q=smith12"), Some("c")),
        s("d", "q=son (reference, unselective)".into(), "q=son".into(), None),
        s("p7", format!("product={common}&q=son"), format!("product={common}&q=son"), Some("d")),
        s("p9", format!("product={rare}&q=son"), format!("product={rare}&q=son"), Some("d")),
        s("e", format!("cursor {pages} pages deep (reference)"), format!("cursor={deep}"), None),
        s(
            "p8",
            format!("product={common}, cursor {pages} pages deep"),
            format!("product={common}&cursor={deep_common}"),
            Some("e"),
        ),
    ];
    let url = |sc: &Scenario| format!("{users}?per_page=50&{}", sc.query);
    let mut shape = Vec::new();
    for sc in &scenarios {
        let v = get_json(&http, &url(sc)).await?;
        shape.push(format!(
            "| {} | {} | {} | {} | {} |",
            sc.key,
            sc.what,
            v["items"].as_array().map_or(0, |a| a.len()),
            v["total"],
            v["counts_capped"]
        ));
        load(&http, &url(sc), 30, 1, Duration::from_secs(60)).await?;
    }
    let mut stats = vec![Stats::default(); scenarios.len()];
    for _ in 0..args.runs {
        for (i, sc) in scenarios.iter().enumerate() {
            stats[i].push(&load(&http, &url(sc), args.requests, 1, Duration::from_secs(180)).await?);
        }
    }
    server.stop().await?;

    println!("### (a) The Users list with a product filter\n");
    println!("Organization `{}`. What each scenario answers (50 a page):\n", args.org);
    println!("| key | scenario | rows | total | counts_capped |\n| --- | --- | --- | --- | --- |");
    for l in &shape {
        println!("{l}");
    }
    println!(
        "\nLatency in ms measured by the client over loopback, one client (median of {} runs of {} requests each); \
         the reference is the same list without the product filter, measured in the same run.\n",
        args.runs, args.requests
    );
    println!("| key | p50 | p90 | p99 | req/s | reference | p50 ÷ ref p50 | p99 ÷ ref p99 | goal (p99) | p99 / goal |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (i, sc) in scenarios.iter().enumerate() {
        let st = &stats[i];
        let (p50, p99) = (median(st.p50.clone()), median(st.p99.clone()));
        let (reference, r50, r99, goal, of_goal) = match sc.reference {
            Some(r) => {
                let j = scenarios.iter().position(|x| x.key == r).expect("a known reference");
                let (r50, r99) = (median(stats[j].p50.clone()), median(stats[j].p99.clone()));
                (
                    r.to_string(),
                    format!("{:.2}", p50 / r50),
                    format!("{:.2}", p99 / r99),
                    format!("≤ {LIST_GOAL_MS:.0} ms"),
                    format!("{:.2}", p99 / LIST_GOAL_MS),
                )
            }
            None => ("—".into(), "—".into(), "—".into(), "—".into(), "—".into()),
        };
        println!(
            "| {} | {p50:.2} | {:.2} | {p99:.2} | {:.0} | {reference} | {r50} | {r99} | {goal} | {of_goal} |",
            sc.key,
            median(st.p90.clone()),
            median(st.rps.clone()),
        );
    }
    println!();
    Ok(())
}

fn err(e: roster_app::AppError) -> anyhow::Error {
    anyhow!("{e}")
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// Creates an organization of `n` generated members (the same people and
/// statuses for the same seed).
async fn fresh_org(app: &App, slug: &str, n: u64) -> anyhow::Result<roster_app::access::OrgAccess> {
    let created = roster_app::orgs::create_org(
        app,
        &Actor::Cli,
        roster_app::orgs::NewOrg {
            name: slug.into(),
            slug: slug.into(),
            owner_email: format!("owner@{slug}.example"),
            owner_name: Some("Bench Owner".into()),
            owner_password: None,
            preset: None,
        },
    )
    .await
    .map_err(err)?;
    roster_app::demo::seed_members(app, &created.org, n, 11, &|_| {}).await.map_err(err)?;
    roster_app::access::open_org(app, &Actor::Cli, slug).await.map_err(err)
}

/// Audit events of an organization (to count what a change wrote).
async fn events(app: &App, org: roster_domain::OrgId) -> anyhow::Result<i64> {
    Ok(roster_store::audit_query::head_seq(&mut app.db.conn().await?, org).await?)
}

async fn bulk(args: &ProductsArgs) -> anyhow::Result<()> {
    let db = Db::connect(&args.database_url).await?;
    db.migrate().await?;
    let app = App::new(db, Default::default());
    let meta = roster_app::RequestMeta::default();
    let active = MemberFilter::new("", vec![MemberStatus::Active]).map_err(|e| anyhow!("{e}"))?;
    let stamp = now_ms();
    let mut assign_s = Vec::new();
    let mut preview_s = Vec::new();
    let mut disable_s = Vec::new();
    let mut rows = Vec::new();
    for run in 0..args.bulk_runs {
        let started = Instant::now();
        let a = fresh_org(&app, &format!("bulk-assign-{stamp}-{run}"), args.bulk_members).await?;
        let d = fresh_org(&app, &format!("bulk-disable-{stamp}-{run}"), args.bulk_members).await?;
        let patch = SubscriptionPatch { license_count: Some(args.bulk_members as i64 * 2), ..Default::default() };
        roster_app::products::update_subscription(&app, &a, &args.common, &patch, &meta).await.map_err(err)?;
        eprintln!(
            "run {run}: two organizations of {} members in {:.1} s",
            args.bulk_members,
            started.elapsed().as_secs_f64()
        );
        let req = BulkLicenses::Filter { product: args.common.clone(), filter: active.clone(), assign: true };
        // The preview first (a dry run reads what the change would, then rolls back).
        let t = Instant::now();
        let preview = roster_app::products::bulk_licenses(&app, &a, &req, true, &meta).await.map_err(err)?;
        preview_s.push(t.elapsed().as_secs_f64());
        let assign = |app: App, a: roster_app::access::OrgAccess, req: BulkLicenses| async move {
            let before = events(&app, a.org.id).await?;
            let t = Instant::now();
            let o =
                roster_app::products::bulk_licenses(&app, &a, &req, false, &Default::default()).await.map_err(err)?;
            let s = t.elapsed().as_secs_f64();
            anyhow::Ok((o, s, events(&app, a.org.id).await? - before))
        };
        let disable = |app: App, d: roster_app::access::OrgAccess, f: MemberFilter| async move {
            let before = events(&app, d.org.id).await?;
            let t = Instant::now();
            let o = roster_app::members::bulk_change(&app, &d, StatusChange::Disable, &f, &Default::default())
                .await
                .map_err(err)?;
            let s = t.elapsed().as_secs_f64();
            anyhow::Ok((o, s, events(&app, d.org.id).await? - before))
        };
        // Alternate which runs first, so that neither always meets a warmer cache.
        let ((o, s, ev), (od, sd, evd)) = if run % 2 == 0 {
            let x = assign(app.clone(), a.clone(), req.clone()).await?;
            (x, disable(app.clone(), d.clone(), active.clone()).await?)
        } else {
            let y = disable(app.clone(), d.clone(), active.clone()).await?;
            (assign(app.clone(), a.clone(), req.clone()).await?, y)
        };
        if preview.assigned != o.assigned {
            bail!("the preview counted {} assignments, the change made {}", preview.assigned, o.assigned);
        }
        let after = roster_store::products::find_subscription(
            &mut app.db.conn().await?,
            a.org.id,
            &roster_domain::products::ProductKey::parse(&args.common).map_err(|e| anyhow!("{e}"))?,
        )
        .await?
        .context("the subscription")?;
        if after.used as u64 != o.assigned {
            bail!("{} licenses counted as used after assigning {}", after.used, o.assigned);
        }
        assign_s.push(s);
        disable_s.push(sd);
        rows.push(format!(
            "| {run} | {} | {s:.2} s | {ev} | {} | {sd:.2} s | {evd} | {:.2} |",
            o.assigned,
            od.changed,
            s / sd
        ));
        eprintln!("run {run}: assigned {} in {s:.2} s; disabled {} in {sd:.2} s", o.assigned, od.changed);
    }
    let (a, p, d) = (median(assign_s.clone()), median(preview_s.clone()), median(disable_s.clone()));
    println!("### (b) Assigning one product to every active member, with audit\n");
    println!(
        "In process on the same database, each run on two fresh organizations of {} generated members \
         (the same people: 80% active). The change runs in one transaction and writes one \
         `member.licenses_changed` per member plus one `licenses.bulk_changed`; the reference disables \
         the same number of members (one `member.disabled` each) through `app::members::bulk_change`.\n",
        args.bulk_members
    );
    println!(
        "| run | assigned | time | events written | disabled (reference) | time | events written | assign ÷ disable |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for r in &rows {
        println!("{r}");
    }
    println!("\n| figure | median of {} runs | goal | ratio |\n| --- | --- | --- | --- |", args.bulk_runs);
    println!("| assign (filter shape, with audit) | {a:.2} s | ≤ {BULK_GOAL_S:.0} s | {:.2} |", a / BULK_GOAL_S);
    println!("| its dry run (the preview) | {p:.2} s | — | {:.2} × the change |", p / a);
    println!("| bulk disable of as many members (reference) | {d:.2} s | — | assign ÷ disable {:.2} |", a / d);
    println!("\nDry runs: {}.", preview_s.iter().map(|s| format!("{s:.2} s")).collect::<Vec<_>>().join(", "));
    app.db.close().await;
    Ok(())
}
