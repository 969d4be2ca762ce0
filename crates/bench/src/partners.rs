//! `roster-bench partners`: a partner with 10,000 customer organizations in
//! 200 organization groups (issue 14).
//!
//! Measured in process, on the service layer the API and the pages call:
//! - the customers a Key Account Manager can see (their 5 groups' 250
//!   customers, first page of 50, and a search), against a Global Admin's
//!   first page of all 10,000;
//! - a permission check inside a customer by a partner member (opening the
//!   customer through the partner, then `check_many` on themselves), against
//!   the same check by one of the customer's own members (no scoping).

use std::time::{Duration, Instant};

use anyhow::anyhow;
use roster_app::access::open_org;
use roster_app::actor::Principal;
use roster_app::authz::{CheckRequest, check_many};
use roster_app::partners::CustomerQuery;
use roster_app::partners::customers::{self, NewCustomer};
use roster_app::{Actor, App};
use roster_domain::{OrgGroupId, OrgId, SessionId, Timestamp, UserId};
use roster_store::orgs::OrgRecord;

use crate::median;

/// Options of the partners benchmark.
#[derive(clap::Args, Clone)]
pub struct PartnersArgs {
    /// A fresh SQLite file path or a postgres:// URL of an empty database.
    #[arg(long, default_value = "/tmp/roster-bench-partners.db")]
    pub database_url: String,
    /// Customer organizations under the partner.
    #[arg(long, default_value_t = 10_000)]
    pub customers: usize,
    /// Organization groups (each customer in one).
    #[arg(long, default_value_t = 200)]
    pub groups: usize,
    /// Timed calls per measurement per run.
    #[arg(long, default_value_t = 1_000)]
    pub samples: usize,
    /// Repetitions; the table shows medians.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
}

fn actor(user: UserId, email: &str) -> Actor {
    Actor::User(Principal { user_id: user, email: email.into(), name: email.into(), session_id: SessionId::new() })
}

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("{e}")
}

/// p50 and p99 of `samples` calls.
async fn latency<F: AsyncFnMut() -> anyhow::Result<()>>(
    samples: usize,
    mut f: F,
) -> anyhow::Result<(Duration, Duration)> {
    for _ in 0..samples / 10 {
        f().await?;
    }
    let mut v = Vec::with_capacity(samples);
    for _ in 0..samples {
        let t = Instant::now();
        f().await?;
        v.push(t.elapsed());
    }
    v.sort();
    let at = |p: f64| v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    Ok((at(0.5), at(0.99)))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The partner, its customers and groups, a Key Account Manager in 5
/// groups, a Global Admin, and a customer with a member of its own.
struct Fixture {
    partner: OrgRecord,
    kam: Actor,
    global: Actor,
    customer: String,
    own_member: Actor,
    kam_email: String,
    own_email: String,
}

async fn prepare(app: &App, args: &PartnersArgs) -> anyhow::Result<Fixture> {
    let partner = roster_app::orgs::create_org(
        app,
        &Actor::Cli,
        roster_app::orgs::NewOrg {
            name: "Brokers Inc.".into(),
            slug: "brokers".into(),
            owner_email: "owner@brokers.example".into(),
            owner_name: None,
            owner_password: None,
            preset: Some("broker".into()),
        },
    )
    .await
    .map_err(err)?
    .org;
    let access = open_org(app, &Actor::Cli, "brokers").await.map_err(err)?;
    // One customer made as a partner makes one (its own roles, owner, email)...
    let full = customers::create(
        app,
        &access,
        NewCustomer {
            name: "Customer 00000".into(),
            slug: "customer-00000".into(),
            preset: None,
            owner_email: "boss@customer-00000.example".into(),
            owner_name: None,
        },
        &Default::default(),
    )
    .await
    .map_err(err)?;
    // ...and the rest written straight to the store, a thousand per transaction.
    let now = Timestamp(1_760_000_000_000);
    let mut ids: Vec<OrgId> = vec![full.id];
    for chunk in (1..args.customers).collect::<Vec<_>>().chunks(1000) {
        let mut tx = app.db.begin().await?;
        for i in chunk {
            let org = OrgRecord {
                id: OrgId::new(),
                slug: format!("customer-{i:05}"),
                name: format!("Customer {i:05}"),
                owner_id: None,
                created_at: now,
                preset: "account-owner".into(),
                partner: false,
                owner_transfer: true,
                authz_version: 0,
                parent_id: Some(partner.id),
            };
            roster_store::orgs::insert_org(&mut tx, &org).await?;
            ids.push(org.id);
        }
        tx.commit().await?;
    }
    let mut groups = Vec::new();
    let mut tx = app.db.begin().await?;
    for g in 0..args.groups {
        let id = OrgGroupId::new();
        roster_store::partners::insert_group(&mut tx, partner.id, id, &format!("Group {g:03}"), now).await?;
        let members: Vec<OrgId> =
            ids.iter().enumerate().filter(|(i, _)| i % args.groups == g).map(|(_, o)| *o).collect();
        roster_store::partners::add_group_customers(&mut tx, partner.id, id, &members).await?;
        groups.push(id);
    }
    tx.commit().await?;
    let kam_email = "kam@brokers.example".to_string();
    let kam = roster_app::demo::add_member(
        app,
        &partner,
        &kam_email,
        "Kim Account",
        roster_domain::MemberStatus::Active,
        None,
    )
    .await
    .map_err(err)?;
    roster_app::roles::set_member_roles(app, &access, kam, &["key_account_manager".into()], &Default::default())
        .await
        .map_err(err)?;
    for g in groups.iter().take(5) {
        roster_app::partners::groups::set_members(
            app,
            &access,
            *g,
            std::slice::from_ref(&kam_email),
            &Default::default(),
        )
        .await
        .map_err(err)?;
    }
    let global_email = "global@brokers.example";
    let global = roster_app::demo::add_member(
        app,
        &partner,
        global_email,
        "Gil Obal",
        roster_domain::MemberStatus::Active,
        None,
    )
    .await
    .map_err(err)?;
    roster_app::roles::set_member_roles(app, &access, global, &["global_admin".into()], &Default::default())
        .await
        .map_err(err)?;
    let customer = open_org(app, &Actor::Cli, "customer-00000").await.map_err(err)?;
    let own_email = "own@customer-00000.example".to_string();
    let own = roster_app::demo::add_member(
        app,
        &customer.org,
        &own_email,
        "Own Member",
        roster_domain::MemberStatus::Active,
        None,
    )
    .await
    .map_err(err)?;
    roster_app::roles::set_member_roles(app, &customer, own, &["account_owner".into()], &Default::default())
        .await
        .map_err(err)?;
    // The measured customer is in the Key Account Manager's first group;
    // PostgreSQL's statistics after the bulk load (autovacuum may be off).
    let mut tx = app.db.begin().await?;
    roster_store::partners::refresh_statistics(&mut tx).await?;
    tx.commit().await?;
    Ok(Fixture {
        partner,
        kam: actor(kam, &kam_email),
        global: actor(global, global_email),
        customer: "customer-00000".into(),
        own_member: actor(own, &own_email),
        kam_email,
        own_email,
    })
}

/// Prepares the database, then measures and prints the tables.
pub async fn run(args: PartnersArgs) -> anyhow::Result<()> {
    if !args.database_url.starts_with("postgres") {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", args.database_url));
        }
    }
    let db = roster_store::Db::connect(&args.database_url).await?;
    db.migrate().await?;
    let app = App::new(db, Default::default());
    let started = Instant::now();
    let f = prepare(&app, &args).await?;
    println!(
        "prepared {} customers in {} groups in {:.1} s",
        args.customers,
        args.groups,
        started.elapsed().as_secs_f64()
    );

    let kam_partner = open_org(&app, &f.kam, &f.partner.slug).await.map_err(err)?;
    let global_partner = open_org(&app, &f.global, &f.partner.slug).await.map_err(err)?;
    let page = |q: Option<&str>| CustomerQuery { q: q.map(str::to_string), limit: 50, ..Default::default() };
    let seen = customers::list(&app, &kam_partner, page(None)).await.map_err(err)?;
    println!("a Key Account Manager in 5 groups sees {} customers; a Global Admin {}", seen.total, {
        customers::list(&app, &global_partner, page(None)).await.map_err(err)?.total
    });
    let (mut kam50, mut kam99, mut kq50, mut kq99, mut g50, mut g99) = (vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut s50, mut s99, mut d50, mut d99) = (vec![], vec![], vec![], vec![]);
    for _ in 0..args.runs {
        let (a, b) = latency(args.samples, async || {
            customers::list(&app, &kam_partner, page(None)).await.map(|_| ()).map_err(err)
        })
        .await?;
        kam50.push(ms(a));
        kam99.push(ms(b));
        let (a, b) = latency(args.samples, async || {
            customers::list(&app, &kam_partner, page(Some("0004"))).await.map(|_| ()).map_err(err)
        })
        .await?;
        kq50.push(ms(a));
        kq99.push(ms(b));
        let (a, b) = latency(args.samples, async || {
            customers::list(&app, &global_partner, page(None)).await.map(|_| ()).map_err(err)
        })
        .await?;
        g50.push(ms(a));
        g99.push(ms(b));
        // A check inside the customer: opened as a request opens it, then asked.
        let scoped = [CheckRequest { user: f.kam_email.clone(), resource: "members".into(), action: "update".into() }];
        let (a, b) = latency(args.samples * 5, async || {
            let access = open_org(&app, &f.kam, &f.customer).await.map_err(err)?;
            let d = check_many(&app, &access, &scoped).await.map_err(err)?;
            anyhow::ensure!(d[0].allowed, "the Key Account Manager may update members there");
            Ok(())
        })
        .await?;
        s50.push(ms(a));
        s99.push(ms(b));
        let direct = [CheckRequest { user: f.own_email.clone(), resource: "members".into(), action: "update".into() }];
        let (a, b) = latency(args.samples * 5, async || {
            let access = open_org(&app, &f.own_member, &f.customer).await.map_err(err)?;
            let d = check_many(&app, &access, &direct).await.map_err(err)?;
            anyhow::ensure!(d[0].allowed, "the customer's own administrator may update members");
            Ok(())
        })
        .await?;
        d50.push(ms(a));
        d99.push(ms(b));
    }
    let backend = if args.database_url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    println!(
        "\n### Partners on {backend}: {} customers, {} groups (medians of {} runs)\n",
        args.customers, args.groups, args.runs
    );
    println!("| measurement | p50 ms | p99 ms | goal |\n| --- | --- | --- | --- |");
    println!(
        "| customers a Key Account Manager sees (5 groups, {} customers), first page of 50 | {:.2} | {:.2} | p99 ≤ 20 ms ({:.2} of goal) |",
        seen.total,
        median(kam50),
        median(kam99.clone()),
        median(kam99) / 20.0
    );
    println!("| the same, searching `0004` | {:.2} | {:.2} | |", median(kq50), median(kq99));
    println!("| a Global Admin's first page of all {} | {:.2} | {:.2} | |", args.customers, median(g50), median(g99));
    let (s50, s99, d50, d99) = (median(s50), median(s99), median(d50), median(d99));
    println!("| check inside a customer, partner member (open + check) | {s50:.3} | {s99:.3} | ≤ 1.5× unscoped |");
    println!("| the same check, the customer's own member (unscoped) | {d50:.3} | {d99:.3} | |");
    println!(
        "| scoped ÷ unscoped | {:.2} | {:.2} | {} |",
        s50 / d50,
        s99 / d99,
        if s50 / d50 <= 1.5 { "met" } else { "missed" }
    );
    app.db.close().await;
    Ok(())
}
