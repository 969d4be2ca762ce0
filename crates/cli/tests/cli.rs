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
