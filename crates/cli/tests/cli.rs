//! The `roster` binary end to end, on a temporary SQLite file.

use std::io::Write;
use std::process::{Command, Stdio};

fn roster(db: &str, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_roster"))
        .arg("--database-url")
        .arg(db)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run roster");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn org_create_user_list_and_seed() {
    let dir = std::env::temp_dir().join(format!("roster-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("cli.db");
    let db = db.to_str().unwrap();

    let (ok, _, err) = roster(db, &["migrate"], None);
    assert!(ok, "{err}");
    let (ok, out, err) =
        roster(db, &["org", "create", "--name", "Acme", "--slug", "acme", "--owner-email", "Ann@Acme.test"], None);
    assert!(ok, "{err}");
    assert!(out.contains("created organization acme"), "{out}");
    assert!(out.contains("/set-password?token="), "a one-time link is printed: {out}");
    let (ok, out, err) = roster(
        db,
        &[
            "org",
            "create",
            "--name",
            "Globex",
            "--slug",
            "globex",
            "--owner-email",
            "g@globex.test",
            "--owner-password-stdin",
        ],
        Some("a long enough passphrase\n"),
    );
    assert!(ok, "{err}");
    assert!(!out.contains("set-password"), "no link when the password is given: {out}");
    // Bad input is refused with a reason.
    let (ok, _, err) =
        roster(db, &["org", "create", "--name", "X", "--slug", "acme", "--owner-email", "x@x.test"], None);
    assert!(!ok);
    assert!(err.contains("slug"), "{err}");
    let (ok, _, err) =
        roster(db, &["org", "create", "--name", "X", "--slug", "Bad_Slug", "--owner-email", "nope"], None);
    assert!(!ok);
    assert!(err.contains("slug") && err.contains("owner_email"), "every bad field is named: {err}");

    let (ok, out, err) = roster(db, &["dev", "seed", "--org", "acme", "--members", "120"], None);
    assert!(ok, "{err}");
    assert!(out.contains("added 120 members"), "{out}");
    let (ok, out, _) = roster(db, &["user", "list", "--org", "acme"], None);
    assert!(ok);
    assert_eq!(out.lines().count(), 1 + 121, "header plus every member, across pages");
    assert!(out.contains("ann@acme.test"));
    let (ok, out, _) = roster(db, &["user", "list", "--org", "acme", "--status", "archived", "--limit", "3"], None);
    assert!(ok);
    assert!(out.lines().skip(1).all(|l| l.contains("\tarchived\t")), "{out}");
    assert!(out.lines().count() <= 4);
    // Dormant members: never signed in, or inactive for N days.
    let (ok, out, err) = roster(db, &["user", "list", "--org", "acme", "--never-active"], None);
    assert!(ok, "{err}");
    assert!(out.lines().count() > 1 && out.lines().skip(1).all(|l| l.contains("\tnever\t")), "{out}");
    let (ok, _, err) = roster(db, &["user", "list", "--org", "acme", "--inactive-days", "0"], None);
    assert!(!ok && err.contains("inactive_days"), "{err}");
    // Roles: the presets, an organization created from one, its roles with counts.
    let (ok, out, _) = roster(db, &["presets"], None);
    assert!(ok);
    for key in ["account-owner", "super-user", "owner-admin-user", "payments", "broker"] {
        assert!(out.lines().any(|l| l.starts_with(key)), "{key} in {out}");
    }
    let (ok, out, err) = roster(
        db,
        &["org", "create", "--name", "Brokers", "--slug", "brokers", "--owner-email", "b@b.test", "--preset", "broker"],
        None,
    );
    assert!(ok, "{err}");
    assert!(out.contains("broker roles"), "{out}");
    let (ok, out, _) = roster(db, &["role", "list", "--org", "brokers"], None);
    assert!(ok);
    assert_eq!(out.lines().count(), 1 + 9, "seed 004's nine roles: {out}");
    assert!(out.contains("super_admin\tSuper Admin\t1\t"), "the owner holds Super Admin: {out}");
    let (ok, out, _) = roster(db, &["role", "list", "--org", "acme"], None);
    assert!(ok);
    let counted: u64 = out.lines().skip(1).map(|l| l.split('\t').nth(2).unwrap().parse::<u64>().unwrap()).sum();
    assert_eq!(counted, 121, "every member holds one role: {out}");
    let (ok, _, err) = roster(
        db,
        &["org", "create", "--name", "Y", "--slug", "yy", "--owner-email", "y@y.test", "--preset", "nope"],
        None,
    );
    assert!(!ok);
    assert!(err.contains("preset") && err.contains("account-owner"), "{err}");
    let (ok, _, err) = roster(db, &["user", "list", "--org", "nope"], None);
    assert!(!ok);
    assert!(err.contains("not found"), "{err}");
    // What the commands wrote keeps every invariant.
    let problems = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = roster_store::Db::connect(db).await.unwrap();
        roster_store::verify::verify(&db).await.unwrap()
    });
    assert!(problems.is_empty(), "{problems:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The start banner's description of the demo member names exactly the
/// roles the demo gives them, organization by organization.
#[test]
fn demo_banner_describes_the_member_roles_the_demo_seeds() {
    let dir = std::env::temp_dir().join(format!("roster-cli-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("demo.db");
    let seeded = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = roster_store::Db::connect(db.to_str().unwrap()).await.unwrap();
        db.migrate().await.unwrap();
        let app = roster_app::App::new(db.clone(), roster_app::Config::default());
        roster_app::demo::load_demo(&app).await.unwrap();
        let email = roster_domain::Email::parse(roster_app::demo::DEMO_MEMBER).unwrap();
        let member = roster_store::users::find_user_by_email(&mut db.conn().await.unwrap(), &email)
            .await
            .unwrap()
            .expect("the demo member exists")
            .id;
        let mut seeded = vec![];
        for org in roster_app::orgs::active_memberships(&app, member).await.unwrap() {
            let mut conn = db.conn().await.unwrap();
            let held = roster_store::roles::member_role_ids(&mut conn, org.org.id, member).await.unwrap();
            let mut names: Vec<String> = roster_store::roles::list_roles(&mut conn, org.org.id)
                .await
                .unwrap()
                .into_iter()
                .filter(|r| held.contains(&r.id))
                .map(|r| r.name)
                .collect();
            names.sort();
            seeded.push(format!("{} in {}", names.join(" and "), org.org.name));
        }
        seeded
    });
    assert_eq!(seeded.len(), 2, "{seeded:?}");
    for roles in &seeded {
        assert!(roster_app::demo::DEMO_MEMBER_ABOUT.contains(roles.as_str()), "the banner omits {roles:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn invitation_invite_and_list() {
    let dir = std::env::temp_dir().join(format!("roster-cli-inv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("cli.db");
    let db = db.to_str().unwrap();
    let (ok, _, err) =
        roster(db, &["org", "create", "--name", "Acme", "--slug", "acme", "--owner-email", "ann@acme.test"], None);
    assert!(ok, "{err}");
    let (ok, out, err) = roster(
        db,
        &["invitation", "invite", "--org", "acme", "--email", "Bo@Example.test", "--first-name", "Bo", "--no-email"],
        None,
    );
    assert!(ok, "{err}");
    assert!(out.contains("/invite/"), "the link is printed without an email: {out}");
    let (ok, out, err) = roster(
        db,
        &["invitation", "invite", "--org", "acme", "--email", "bo@example.test", "--first-name", "Bo"],
        None,
    );
    assert!(!ok, "a second invitation of the same address is refused: {out}");
    assert!(err.contains("invited to Acme already"), "{err}");
    let (ok, out, err) = roster(db, &["invitation", "list", "--org", "acme", "--status", "pending"], None);
    assert!(ok, "{err}");
    assert!(out.lines().any(|l| l.starts_with("bo@example.test\tBo\tpending\tUser\tcli\t")), "{out}");
    let (ok, out, err) = roster(db, &["invitation", "sweep"], None);
    assert!(ok, "{err}");
    assert!(out.contains("recorded the expiry of 0 invitations"), "{out}");
    // The operator mails the owner a reset link (the owner's own account:
    // how an owner locked out of everything gets back in); the link is not printed.
    let (ok, out, err) = roster(db, &["user", "reset-link", "--org", "acme", "--email", "Ann@acme.test"], None);
    assert!(ok, "{err}");
    assert!(out.contains("in the outbox") && !out.contains("token"), "{out}");
    let (ok, out, _) = roster(db, &["outbox", "list"], None);
    assert!(ok && out.lines().any(|l| l.contains("password_reset\tann@acme.test")), "{out}");
    let (ok, _, err) = roster(db, &["user", "unlock", "--org", "acme", "--email", "ann@acme.test"], None);
    assert!(!ok && err.contains("not locked"), "{err}");
    let (ok, _, err) = roster(db, &["user", "unlock", "--org", "acme", "--email", "nobody@acme.test"], None);
    assert!(!ok && err.contains("not a member"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// `roster audit verify` prints each organization's chain as OK with its
/// count and head, and, once an event is edited behind Roster's back (the
/// append-only triggers dropped), names the organization and the first
/// broken event and exits non-zero. `roster sessions sweep` reports what it ended.
#[test]
fn audit_verify_names_the_first_broken_event_and_sessions_sweep_runs() {
    let dir = std::env::temp_dir().join(format!("roster-cli-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("cli.db");
    let db = db.to_str().unwrap();
    for slug in ["acme", "globex"] {
        let email = format!("owner@{slug}.test");
        let (ok, _, err) =
            roster(db, &["org", "create", "--name", slug, "--slug", slug, "--owner-email", &email], None);
        assert!(ok, "{err}");
    }
    let (ok, out, err) = roster(db, &["audit", "verify"], None);
    assert!(ok, "{err}");
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.lines().all(|l| l.contains("\tOK\t") && l.contains(" events\thead ")), "{out}");
    assert!(err.contains("checked ") && err.contains("events/s"), "{err}");
    let (ok, out, _) = roster(db, &["audit", "verify", "--org", "globex"], None);
    assert!(ok && out.starts_with("globex\tOK\t") && out.lines().count() == 1, "{out}");

    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite:{db}")).await.unwrap();
        sqlx::raw_sql(
            "DROP TRIGGER audit_events_no_update; \
             UPDATE audit_events SET details = '{}' WHERE seq = 1 \
             AND org_id = (SELECT id FROM organizations WHERE slug = 'acme')",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    });
    let (ok, out, err) = roster(db, &["audit", "verify"], None);
    assert!(!ok, "a broken chain fails: {out}");
    assert!(out.lines().any(|l| l == "acme\tBROKEN\tevent 1: hash mismatch (edited, moved or forged)"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("globex\tOK\t")), "{out}");
    assert!(err.contains("1 of 2 audit chains are broken"), "{err}");
    let (ok, _, _) = roster(db, &["audit", "verify", "--org", "globex"], None);
    assert!(ok, "the other organization's chain holds");

    let (ok, out, err) = roster(db, &["sessions", "sweep"], None);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "ended 0 expired sessions (0 idle, 0 absolute)");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Products from the command line: the catalogue (built in, or declared in
/// the configuration), `org create --products`, `product list --org`,
/// `dev seed --licenses` and `user list --product`.
#[test]
fn products_catalogue_subscriptions_seeded_licenses_and_the_product_filter() {
    let dir = std::env::temp_dir().join(format!("roster-cli-products-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("cli.db");
    let db = db.to_str().unwrap();

    let (ok, out, err) = roster(db, &["product", "list"], None);
    assert!(ok, "{err}");
    let keys: Vec<&str> = out.lines().skip(1).map(|l| l.split('\t').next().unwrap()).collect();
    assert_eq!(keys, ["quote", "intake", "analytics"], "the built-in catalogue: {out}");
    assert!(out.contains("quote\tQuote Assistant\tauto_submit,default_carrier\t"), "{out}");
    // A configuration declaring its own catalogue replaces the built-in one.
    let config = dir.join("roster.toml");
    std::fs::write(
        &config,
        "[[products]]\nkey = \"claims\"\nname = \"Claims Desk\"\ndescription = \"First notice of loss.\"\n\
         [[products.settings]]\nkey = \"sla_hours\"\nlabel = \"Hours to first response\"\nkind = \"number\"\ndefault = 24\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let (ok, out, err) = roster(db, &["--config", config, "product", "list"], None);
    assert!(ok, "{err}");
    assert_eq!(out.lines().skip(1).collect::<Vec<_>>(), ["claims\tClaims Desk\tsla_hours\tFirst notice of loss."]);
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[[products]]\nkey = \"a\"\nname = \"\"\n").unwrap();
    let (ok, _, err) = roster(db, &["--config", bad.to_str().unwrap(), "product", "list"], None);
    assert!(!ok && err.contains("products[0].name"), "{err}");

    // A bad --products creates nothing.
    let create = |products: &str| {
        roster(
            db,
            &[
                "org",
                "create",
                "--name",
                "Acme",
                "--slug",
                "acme",
                "--owner-email",
                "ann@acme.test",
                "--products",
                products,
            ],
            None,
        )
    };
    for (bad, named) in [("nope=3", "'nope' is not a product"), ("quote", "not KEY=VALUE"), ("quote=-1", "quote=-1")] {
        let (ok, _, err) = create(bad);
        assert!(!ok && err.contains(named), "{bad}: {err}");
    }
    let (_, out, _) = roster(db, &["org", "list"], None);
    assert!(!out.contains("acme"), "{out}");
    let (ok, out, err) = create("quote=5, intake=2");
    assert!(ok, "{err}");
    assert!(out.contains("subscribed to Quote Assistant (quote) with 5 seats"), "{out}");
    assert!(out.contains("subscribed to Submission Intake (intake) with 2 seats"), "{out}");
    let (ok, out, err) = roster(db, &["product", "list", "--org", "acme"], None);
    assert!(ok, "{err}");
    assert!(out.lines().any(|l| l == "quote\tQuote Assistant\tactive\t5\t0\t5\t0\t-"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("intake\tSubmission Intake\tactive\t2\t0\t2\t0\t")), "{out}");

    // Seeded licenses: about half the members who are not archived; the seats are raised to fit.
    let (ok, out, err) =
        roster(db, &["dev", "seed", "--org", "acme", "--members", "200", "--licenses", "quote=50"], None);
    assert!(ok, "{err}");
    let given: u64 = out
        .lines()
        .find_map(|l| l.strip_prefix("gave ")?.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    assert!((60..=130).contains(&given), "about half of ~190: {given}");
    let (_, out, _) = roster(db, &["product", "list", "--org", "acme"], None);
    let quote: Vec<&str> = out.lines().find(|l| l.starts_with("quote\t")).unwrap().split('\t').collect();
    assert_eq!((quote[3], quote[4], quote[5]), (given.to_string().as_str(), given.to_string().as_str(), "0"), "{out}");
    let (ok, out, err) = roster(db, &["user", "list", "--org", "acme", "--product", "quote"], None);
    assert!(ok, "{err}");
    assert!(out.starts_with("EMAIL\tNAME\tSTATUS\tROLES\tPRODUCTS\t"), "{out}");
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(rows.len() as u64, given, "every holder, across pages");
    assert!(rows.iter().all(|l| l.split('\t').nth(4) == Some("quote") && !l.contains("\tarchived\t")), "{out}");
    let disabled = rows.iter().filter(|l| l.contains("\tdisabled\t")).count();
    assert_eq!(quote[6], disabled.to_string(), "held by disabled members: {out}");
    // The same seed again gives the rest of the chosen nobody twice.
    let (ok, out, err) = roster(db, &["dev", "seed", "--org", "acme", "--licenses", "quote=50"], None);
    assert!(ok && out.contains("gave 0 quote licenses"), "{out}{err}");
    for (args, named) in [
        (vec!["user", "list", "--org", "acme", "--product", "ghost"], "product"),
        (vec!["user", "list", "--org", "acme", "--product", "Not A Key"], "--product"),
        (vec!["dev", "seed", "--org", "acme", "--licenses", "quote=0"], "percent"),
        (vec!["dev", "seed", "--org", "acme", "--licenses", "ghost=5"], "'ghost' is not a product"),
    ] {
        let (ok, _, err) = roster(db, &args, None);
        assert!(!ok && err.contains(named), "{args:?}: {err}");
    }
    let (ok, out, err) = roster(db, &["audit", "verify", "--org", "acme"], None);
    assert!(ok && out.starts_with("acme\tOK\t"), "{out}{err}");
    let problems = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = roster_store::Db::connect(db).await.unwrap();
        roster_store::verify::verify(&db).await.unwrap()
    });
    assert!(problems.is_empty(), "{problems:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The demo's organizations have products to show: a running trial with
/// days left, paid ones, one nearly full, an ended trial, and a disabled
/// member holding seats.
#[test]
fn the_demo_subscribes_to_the_catalogue_and_hands_out_licenses() {
    let dir = std::env::temp_dir().join(format!("roster-cli-demo-products-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("demo.db");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = roster_store::Db::connect(db.to_str().unwrap()).await.unwrap();
        db.migrate().await.unwrap();
        let app = roster_app::App::new(db.clone(), roster_app::Config::default());
        roster_app::demo::load_demo(&app).await.unwrap();
        let cli = roster_app::Actor::Cli;
        let products = |slug: &'static str| {
            let (app, cli) = (app.clone(), cli.clone());
            async move {
                let access = roster_app::access::open_org(&app, &cli, slug).await.unwrap();
                roster_app::products::list_products(&app, &access).await.unwrap()
            }
        };
        let acme = products("acme").await;
        let state = |v: &[roster_app::products::ProductView], key: &str| {
            let p = v.iter().find(|p| p.product.key.as_str() == key).unwrap_or_else(|| panic!("{key}"));
            (p.state.as_str().to_string(), p.days_left, p.subscription.used, p.free(), p.subscription.held_by_disabled)
        };
        let (quote, days, used, _, _) = state(&acme, "quote");
        assert_eq!((quote.as_str(), days), ("trial", Some(4)), "a trial with a few days left");
        assert!(used > 10);
        let trial = acme[0].subscription.trial.clone().unwrap();
        assert_eq!(trial.started_by_label, roster_app::demo::DEMO_OWNER, "the owner started it");
        let (intake, _, used, free, disabled) = state(&acme, "intake");
        assert_eq!(intake, "active");
        assert!(used > 50 && free > 40 && disabled >= 1, "{used} {free} {disabled}");
        let (analytics, _, used, free, disabled) = state(&acme, "analytics");
        assert_eq!((analytics.as_str(), free, disabled), ("active", 1, 1), "nearly full: {used} used");
        let globex = products("globex").await;
        assert_eq!(state(&globex, "analytics").0, "expired");
        assert_eq!(state(&globex, "quote").0, "active");
        assert_eq!(products("initech").await.len(), 1);
        // The demo member holds a Quote Assistant license (the check API allows it).
        let access = roster_app::access::open_org(&app, &cli, "acme").await.unwrap();
        let email = roster_domain::Email::parse(roster_app::demo::DEMO_MEMBER).unwrap();
        let member =
            roster_store::users::find_user_by_email(&mut db.conn().await.unwrap(), &email).await.unwrap().unwrap().id;
        let held = roster_app::products::member_products(&app, &access, member).await.unwrap();
        assert_eq!(held.iter().map(|p| p.as_str()).collect::<Vec<_>>(), ["quote"]);
        let problems = roster_store::verify::verify(&db).await.unwrap();
        assert!(problems.is_empty(), "{problems:?}");
    });
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn export_writes_the_users_list_as_csv_or_xlsx() {
    let dir = std::env::temp_dir().join(format!("roster-cli-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("cli.db");
    let db = db.to_str().unwrap();
    let (ok, _, err) =
        roster(db, &["org", "create", "--name", "Acme", "--slug", "acme", "--owner-email", "ann@acme.test"], None);
    assert!(ok, "{err}");
    let (ok, _, err) = roster(db, &["dev", "seed", "--org", "acme", "--members", "150"], None);
    assert!(ok, "{err}");

    // CSV on stdout: a byte order mark, the header, every member, CRLF.
    let (ok, out, err) = roster(db, &["export", "--org", "acme", "--format", "csv"], None);
    assert!(ok, "{err}");
    let out = out.strip_prefix('\u{feff}').expect("a byte order mark");
    assert!(out.starts_with("Email,First name,Last name,Roles,Products,Status,Last active,Created\r\n"), "{out}");
    assert_eq!(out.matches("\r\n").count(), 1 + 151, "the header and every member");
    assert!(out.contains("\r\nann@acme.test,"));
    // With a filter.
    let (ok, out, err) = roster(db, &["export", "--org", "acme", "--format", "csv", "--status", "archived"], None);
    assert!(ok, "{err}");
    let rows: Vec<&str> = out.split("\r\n").skip(1).filter(|l| !l.is_empty()).collect();
    assert!(!rows.is_empty() && rows.len() < 150);
    assert!(rows.iter().all(|l| l.contains(",Archived,")), "{out}");

    // XLSX to a file.
    let file = dir.join("users.xlsx");
    let (ok, out, err) =
        roster(db, &["export", "--org", "acme", "--format", "xlsx", "--output", file.to_str().unwrap()], None);
    assert!(ok, "{err}");
    assert!(out.is_empty(), "nothing on stdout: {out}");
    let bytes = std::fs::read(&file).unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04") && bytes.len() > 2_000, "a zip file (XLSX)");

    // Refusals name the argument.
    let (ok, _, err) = roster(db, &["export", "--org", "acme", "--format", "pdf"], None);
    assert!(!ok && err.contains("format"), "{err}");
    let (ok, _, err) = roster(db, &["export", "--org", "nowhere", "--format", "csv"], None);
    assert!(!ok && err.contains("not found"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Issue 14: `org create --partner` makes a customer of a partner (its
/// owner emailed through the outbox), a non-partner has no customers, and
/// `org partner` is the operator's switch.
#[test]
fn org_create_partner_makes_a_customer_and_org_partner_switches() {
    let dir = std::env::temp_dir().join(format!("roster-cli-partners-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("roster.db");
    let db = db.to_str().unwrap();
    let (ok, _, err) = roster(db, &["migrate"], None);
    assert!(ok, "{err}");
    let (ok, _, err) = roster(
        db,
        &["org", "create", "--name", "Brokers", "--slug", "brokers", "--owner-email", "b@b.test", "--preset", "broker"],
        None,
    );
    assert!(ok, "{err}");
    let (ok, out, err) = roster(
        db,
        &[
            "org",
            "create",
            "--name",
            "Acme",
            "--slug",
            "acme",
            "--owner-email",
            "ann@acme.test",
            "--partner",
            "brokers",
        ],
        None,
    );
    assert!(ok, "{err}");
    assert!(out.contains("a customer of brokers") && out.contains("emailed"), "{out}");
    let (ok, out, err) = roster(db, &["outbox", "list"], None);
    assert!(ok, "{err}");
    assert!(out.contains("ann@acme.test") && out.contains("Brokers made Acme"), "the owner's email: {out}");
    let (ok, _, err) = roster(
        db,
        &["org", "create", "--name", "Globex", "--slug", "globex", "--owner-email", "g@g.test", "--partner", "acme"],
        None,
    );
    assert!(!ok, "a customer is no partner");
    assert!(err.contains("partner organization") || err.contains("not found"), "{err}");
    let (ok, out, err) = roster(db, &["org", "partner", "brokers", "--off"], None);
    assert!(!ok, "a partner with customers stays one: {out}");
    assert!(err.contains("still has customers"), "{err}");
    let (ok, _, err) =
        roster(db, &["org", "create", "--name", "Solo", "--slug", "solo", "--owner-email", "s@s.test"], None);
    assert!(ok, "{err}");
    let (ok, out, err) = roster(db, &["org", "partner", "solo"], None);
    assert!(ok, "{err}");
    assert!(out.contains("solo is a partner"), "{out}");
    let (ok, out, err) = roster(
        db,
        &["org", "create", "--name", "Sub", "--slug", "sub", "--owner-email", "t@t.test", "--partner", "solo"],
        None,
    );
    assert!(ok, "{err}");
    assert!(out.contains("a customer of solo"), "{out}");
    let problems = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = roster_store::Db::connect(db).await.unwrap();
        roster_store::verify::verify(&db).await.unwrap()
    });
    assert!(problems.is_empty(), "{problems:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
