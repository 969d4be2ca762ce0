//! Audit completeness (issue 9, item 6): every use case that changes
//! something commits its audit events with it. Each step below runs one
//! mutating `app` function and compares the number of events in the store
//! before and after with what the change must write (an account change
//! writes one event in each organization of the user: Ann belongs to two).
//! The reviewed exceptions (sign-in, sign-out, a session's last-seen time,
//! the session sweeper, a pending email change, a sign-up and its
//! confirmation) are held to zero. Then no event anywhere carries a secret
//! handed out during the run (join link codes and sign-up links included).
//!
//! `app/tests/audit_guard.rs` lists every function that opens a write
//! transaction; this test exercises them.

use roster_app::access::{OrgAccess, open_org};
use roster_app::{Actor, App, Principal};
use roster_domain::MemberFilter;
use roster_domain::members::StatusChange;
use roster_store::Db;
use roster_testkit::{PASSWORD, TestApp, spawn_app_with};

async fn total_events(db: &Db) -> i64 {
    let sql = "SELECT COUNT(*) FROM audit_events";
    match db {
        Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
        Db::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
    }
}

/// Every event's details, and its target, actor label and request context, for the secrets check.
async fn every_event_text(db: &Db) -> Vec<(String, String)> {
    let sql = "SELECT details, target_id || ' ' || actor_label || ' ' || COALESCE(user_agent, '') \
               || ' ' || COALESCE(request_id, '') FROM audit_events";
    match db {
        Db::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
        Db::Postgres(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
    }
}

/// Runs a step and checks how many events it wrote.
macro_rules! writes {
    ($db:expr, $n:expr, $what:literal, $step:expr) => {{
        let before = total_events($db).await;
        let out = $step;
        let after = total_events($db).await;
        assert_eq!(after - before, $n, "{}: wrote {} events, expected {}", $what, after - before, $n);
        out
    }};
}

fn meta() -> roster_app::RequestMeta {
    roster_app::RequestMeta {
        ip: Some("192.0.2.7".into()),
        user_agent: Some("completeness-test".into()),
        request_id: Some("req-1".into()),
    }
}

async fn operator(app: &App, org: &str) -> OrgAccess {
    open_org(app, &Actor::Cli, org).await.unwrap()
}

async fn sign_in(app: &App, email: &str, secrets: &mut Vec<String>) -> Principal {
    let (p, token) = roster_app::auth::login(app, email, PASSWORD, &meta()).await.unwrap();
    secrets.push(token.token);
    p
}

/// The token of the newest link mailed to `to` whose path starts with `path`.
async fn mailed_token(app: &TestApp, to: &str, path: &str) -> String {
    let mut conn = app.app.db.conn().await.unwrap();
    let messages = roster_store::outbox::list_messages_to(&mut conn, to).await.unwrap();
    let text = messages.iter().map(|m| m.text_body.as_str()).find(|t| t.contains(path)).expect("a mailed link");
    let at = text.find(path).unwrap() + path.len();
    text[at..].split(|c: char| c.is_whitespace()).next().unwrap().to_string()
}

/// One future holds every use case's in turn, and a runtime's `block_on`
/// keeps it on the calling thread's stack: with debug builds' large futures
/// that outgrows a test thread's 2 MiB, so it runs on a thread of its own.
/// (A server's requests are spawned tasks, whose futures live on the heap.)
#[test]
fn every_mutating_use_case_writes_its_events() {
    std::thread::Builder::new()
        .stack_size(32 * 1024 * 1024)
        .spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(Box::pin(every_mutating_use_case_writes_its_events_body()))
        })
        .unwrap()
        .join()
        .unwrap();
}

async fn every_mutating_use_case_writes_its_events_body() {
    let t = spawn_app_with(|c| c.lockout_after = 3).await;
    let (app, db) = (&t.app, &t.app.db.clone());
    let mut secrets: Vec<String> = Vec::new();

    let acme = writes!(
        db,
        2,
        "create_org (organization.created, member.added)",
        t.create_org("acme", "owner@acme.test").await
    );
    let globex = t.create_org("globex", "owner@globex.test").await;
    let ann = writes!(db, 1, "demo::add_member", t.add_member(&acme, "ann@example.test", "Ann Lee").await);
    t.add_member(&globex, "ann@example.test", "Ann Lee").await;
    let bob = t.add_member(&acme, "bob@acme.test", "Bob Stone").await;
    let carl = t.add_member(&acme, "carl@acme.test", "Carl Cole").await;
    writes!(db, 1, "demo::seed_members (member.seeded)", t.seed(&acme, 20).await);
    writes!(db, 2, "demo::seed_licenses (subscription.created, licenses.bulk_changed)", {
        roster_app::demo::seed_licenses(app, &acme, "intake", 50.0, 7, &|_| {}).await.unwrap()
    });
    let op = operator(app, "acme").await;

    // Members.
    use roster_app::members;
    writes!(db, 1, "members::rename_member", members::rename_member(app, &op, ann, "Ann Lea", &meta()).await.unwrap());
    writes!(db, 0, "members::rename_member to the same name", {
        members::rename_member(app, &op, ann, "Ann Lea", &meta()).await.unwrap()
    });
    let edit = roster_app::member_edit::MemberEdit {
        name: Some("Ann Lee".into()),
        roles: Some(vec!["billing_manager".into()]),
        grants: None,
        products: None,
    };
    writes!(
        db,
        2,
        "member_edit::update_member (name and roles)",
        roster_app::member_edit::update_member(app, &op, ann, edit, &meta()).await.unwrap()
    );
    for (kind, what) in [
        (StatusChange::Disable, "disable"),
        (StatusChange::Enable, "enable"),
        (StatusChange::Archive, "archive"),
        (StatusChange::Restore, "restore"),
    ] {
        let before = total_events(db).await;
        members::change_status(app, &op, bob, kind, &meta()).await.unwrap();
        assert_eq!(total_events(db).await - before, 1, "members::change_status {what}");
    }
    let only_bob = MemberFilter::parse("", "", "bob@acme.test", vec![]).unwrap();
    writes!(db, 1, "members::bulk_change", {
        members::bulk_change(app, &op, StatusChange::Disable, &only_bob, &meta()).await.unwrap()
    });
    writes!(db, 1, "members::change_status enable", {
        members::change_status(app, &op, bob, StatusChange::Enable, &meta()).await.unwrap()
    });

    // Roles and grants.
    use roster_app::roles;
    writes!(db, 1, "roles::set_member_roles", {
        roles::set_member_roles(app, &op, carl, &["user".into(), "billing_manager".into()], &meta()).await.unwrap()
    });
    let grants: roles::GrantsInput = [("billing".to_string(), vec!["read".to_string()])].into();
    writes!(
        db,
        1,
        "roles::set_member_grants",
        roles::set_member_grants(app, &op, carl, &grants, &meta()).await.unwrap()
    );
    let input = roles::RoleInput {
        key: None,
        name: "Auditor".into(),
        description: String::new(),
        grants: [("audit".to_string(), vec!["read".to_string()])].into(),
    };
    let auditor = writes!(db, 1, "roles::create_role", roles::create_role(app, &op, input, &meta()).await.unwrap());
    let op = operator(app, "acme").await;
    let patch = roles::RolePatch { name: None, description: Some("Reads the history".into()), grants: None };
    writes!(db, 1, "roles::update_role", roles::update_role(app, &op, &auditor.key, patch, &meta()).await.unwrap());
    let op = operator(app, "acme").await;
    let copy = writes!(
        db,
        1,
        "roles::copy_role",
        roles::copy_role(app, &op, &auditor.key, Some("Auditor 2"), &meta()).await.unwrap()
    );
    let op = operator(app, "acme").await;
    writes!(db, 1, "roles::set_member_roles", {
        roles::set_member_roles(app, &op, carl, &["user".into(), copy.key.clone()], &meta()).await.unwrap()
    });
    let op = operator(app, "acme").await;
    writes!(db, 2, "roles::delete_role with one member reassigned (role.deleted, member.roles_changed)", {
        roles::delete_role(app, &op, &copy.key, Some("user"), &meta()).await.unwrap()
    });
    let op = operator(app, "acme").await;

    // Invitations.
    use roster_app::invitations;
    let invite = |email: &str| invitations::InvitationInput {
        email: email.into(),
        first_name: "Invited".into(),
        last_name: String::new(),
        roles: None,
        grants: None,
        send_email: false,
        products: vec![],
    };
    let dora = writes!(
        db,
        1,
        "invitations::invite",
        invitations::invite(app, &op, &invite("dora@example.test"), &meta()).await.unwrap()
    );
    secrets.push(dora.accept_url.clone().unwrap());
    let dora_id = dora.invitation.id;
    writes!(db, 1, "invitations::resend", invitations::resend(app, &op, dora_id, &meta()).await.unwrap());
    writes!(db, 1, "invitations::cancel", invitations::cancel(app, &op, dora_id, &meta()).await.unwrap());
    let eve = invitations::invite(app, &op, &invite("eve@example.test"), &meta()).await.unwrap();
    let link = eve.accept_url.unwrap();
    let token = link.rsplit('/').next().unwrap().to_string();
    secrets.push(token.clone());
    let accept = invitations::AcceptInput { token, name: Some("Eve Ray".into()), password: Some(PASSWORD.into()) };
    let accepted = writes!(
        db,
        1,
        "invitations::accept (a new account)",
        invitations::accept(app, &accept, None, &meta()).await.unwrap()
    );
    if let Some(s) = accepted.session {
        secrets.push(s.token);
    }
    invitations::invite(app, &op, &invite("finn@example.test"), &meta()).await.unwrap();
    t.advance(8 * 24 * 3_600_000);
    writes!(db, 1, "invitations::sweep_expired", invitations::sweep_expired(app).await.unwrap());
    writes!(db, 0, "invitations::sweep_expired again", invitations::sweep_expired(app).await.unwrap());

    // Products and licenses.
    use roster_app::products::{self, BulkLicenses, SubscriptionPatch};
    let seats = |n| SubscriptionPatch { license_count: Some(n), ..Default::default() };
    writes!(db, 1, "products::update_subscription (subscribe)", {
        products::update_subscription(app, &op, "quote", &seats(5), &meta()).await.unwrap()
    });
    writes!(db, 1, "products::update_subscription (seats)", {
        products::update_subscription(app, &op, "quote", &seats(6), &meta()).await.unwrap()
    });
    writes!(db, 0, "products::update_subscription changing nothing", {
        products::update_subscription(app, &op, "quote", &seats(6), &meta()).await.unwrap()
    });
    writes!(db, 1, "products::start_trial", {
        products::start_trial(app, &op, "analytics", Some(7), Some(3), &meta()).await.unwrap()
    });
    writes!(db, 1, "products::convert", products::convert(app, &op, "analytics", &meta()).await.unwrap());
    writes!(db, 1, "products::set_member_products", {
        products::set_member_products(app, &op, bob, &["quote".into()], &meta()).await.unwrap()
    });
    writes!(db, 0, "products::set_member_products to the same products", {
        products::set_member_products(app, &op, bob, &["quote".into()], &meta()).await.unwrap()
    });
    let cells = BulkLicenses::Cells {
        assign: vec![
            (carl.to_string(), "quote".into()),
            (carl.to_string(), "analytics".into()),
            (bob.to_string(), "analytics".into()),
        ],
        remove: vec![(bob.to_string(), "quote".into())],
    };
    writes!(db, 0, "products::bulk_licenses (a dry run)", {
        products::bulk_licenses(app, &op, &cells, true, &meta()).await.unwrap()
    });
    writes!(db, 3, "products::bulk_licenses of cells (carl, bob, licenses.bulk_changed)", {
        products::bulk_licenses(app, &op, &cells, false, &meta()).await.unwrap()
    });
    let by_filter = BulkLicenses::Filter { product: "analytics".into(), filter: only_bob.clone(), assign: false };
    writes!(db, 2, "products::bulk_licenses by filter (bob, licenses.bulk_changed)", {
        products::bulk_licenses(app, &op, &by_filter, false, &meta()).await.unwrap()
    });
    writes!(db, 0, "products::bulk_licenses changing nothing", {
        products::bulk_licenses(app, &op, &by_filter, false, &meta()).await.unwrap()
    });
    let edit = roster_app::member_edit::MemberEdit {
        name: None,
        roles: None,
        grants: None,
        products: Some(vec!["analytics".into()]),
    };
    writes!(
        db,
        1,
        "member_edit::update_member (products)",
        roster_app::member_edit::update_member(app, &op, bob, edit, &meta()).await.unwrap()
    );
    let mut gwen = invite("gwen@example.test");
    gwen.products = vec!["quote".into()];
    let gwen = writes!(db, 2, "invitations::invite with products (invitation.created, member.licenses_changed)", {
        invitations::invite(app, &op, &gwen, &meta()).await.unwrap()
    });
    secrets.push(gwen.accept_url.clone().unwrap());

    // Accounts: Ann belongs to Acme and Globex, so each account event is written twice.
    writes!(db, 1, "password_reset::send_link (administrator)", {
        roster_app::password_reset::send_link(app, &op, bob, &meta()).await.unwrap()
    });
    secrets.push(mailed_token(&t, "bob@acme.test", "token=").await);
    let before = total_events(db).await;
    roster_app::password_reset::request(app, "ann@example.test", &meta()).await.unwrap();
    // The look-up and the link run in a task of their own (the answer's
    // timing must not depend on the address); wait for its events.
    for _ in 0..500 {
        if total_events(db).await - before >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(total_events(db).await - before, 2, "password_reset::request (forgot password), in both organizations");
    let reset = mailed_token(&t, "ann@example.test", "token=").await;
    secrets.push(reset.clone());
    writes!(db, 2, "passwords::set_password_with_token", {
        roster_app::passwords::set_password_with_token(app, &reset, PASSWORD, &meta()).await.unwrap()
    });
    let ann_p = sign_in(app, "ann@example.test", &mut secrets).await;
    let pending = writes!(db, 0, "profile::request_email_change (an exception: nothing changes until confirmed)", {
        roster_app::profile::request_email_change(app, &ann_p, "ann.new@example.test", PASSWORD, &meta()).await.unwrap()
    });
    assert_eq!(pending.new_email, "ann.new@example.test");
    let confirm = mailed_token(&t, "ann.new@example.test", "token=").await;
    secrets.push(confirm.clone());
    writes!(db, 2, "profile::confirm_email_change", {
        roster_app::profile::confirm_email_change(app, &confirm, &meta()).await.unwrap()
    });
    roster_app::profile::request_email_change(app, &ann_p, "ann.third@example.test", PASSWORD, &meta()).await.unwrap();
    writes!(db, 0, "profile::cancel_email_change (an exception)", {
        assert!(roster_app::profile::cancel_email_change(app, &ann_p).await.unwrap())
    });
    let other = sign_in(app, "ann.new@example.test", &mut secrets).await;
    // A third session, for "everywhere else" to end.
    sign_in(app, "ann.new@example.test", &mut secrets).await;
    writes!(
        db,
        2,
        "sessions::end_mine",
        roster_app::sessions::end_mine(app, &ann_p, other.session_id, &meta()).await.unwrap()
    );
    writes!(db, 2, "sessions::end_others", roster_app::sessions::end_others(app, &ann_p, &meta()).await.unwrap());
    writes!(db, 0, "sessions::end_others with nothing to end", {
        roster_app::sessions::end_others(app, &ann_p, &meta()).await.unwrap()
    });

    // A sign-in that replaces an imported hash (PBKDF2 of PASSWORD, made by
    // Python's hashlib) is audited in both organizations; the next one writes none.
    let imported = "$pbkdf2-sha256$i=1000,l=32$Y29tcGxldGVuZXNzLXNsdA$36okroWDoNaNHzROUm2mf2CO804XdH2VbshF9oEXAZU";
    let mut tx = db.begin().await.unwrap();
    roster_store::users::set_password(&mut tx, ann, imported, t.now()).await.unwrap();
    tx.commit().await.unwrap();
    writes!(
        db,
        2,
        "auth::open_session upgrading an imported hash",
        sign_in(app, "ann.new@example.test", &mut secrets).await
    );
    writes!(db, 0, "auth::open_session (an exception)", sign_in(app, "ann.new@example.test", &mut secrets).await);

    // The failure that locks Ann's account is audited in both organizations; the others only count.
    let mut wrote = Vec::new();
    for _ in 0..3 {
        let before = total_events(db).await;
        let r = roster_app::auth::login(app, "ann.new@example.test", "a wrong password entirely", &meta()).await;
        assert!(r.is_err());
        wrote.push(total_events(db).await - before);
    }
    assert_eq!(wrote, [0, 0, 2], "lockout::count_failure");
    writes!(db, 1, "lockout::unlock_member", roster_app::lockout::unlock_member(app, &op, ann, &meta()).await.unwrap());

    // Ownership, by the owner.
    let owner = sign_in(app, "owner@acme.test", &mut secrets).await;
    let owner_access = open_org(app, &Actor::User(owner.clone()), "acme").await.unwrap();
    writes!(db, 1, "ownership::transfer_ownership", {
        roster_app::ownership::transfer_ownership(app, &owner_access, ann, &meta()).await.unwrap()
    });

    // Access requests and sign-up. A sign-up belongs to no organization: it
    // writes no event (a reviewed exception); the requests are audited in
    // the organization asked.
    use roster_app::access_requests::{self as requests, Approval, SettingsChange};
    let op = operator(app, "acme").await;
    let code_of =
        |s: &requests::OrgSettingsView| s.join_link.clone().unwrap().rsplit("code=").next().unwrap().to_string();
    let link_on = SettingsChange {
        join_link_enabled: Some(true),
        email_domains: Some(vec!["acme.example".into()]),
        regenerate_join_link: false,
    };
    let settings = writes!(db, 1, "access_requests::update_settings", {
        requests::update_settings(app, &op, &link_on, &meta()).await.unwrap()
    });
    secrets.push(code_of(&settings));
    writes!(db, 0, "access_requests::update_settings changing nothing", {
        requests::update_settings(app, &op, &link_on, &meta()).await.unwrap()
    });
    let regenerate = SettingsChange { regenerate_join_link: true, ..Default::default() };
    let settings = writes!(db, 1, "access_requests::update_settings (a new join link)", {
        requests::update_settings(app, &op, &regenerate, &meta()).await.unwrap()
    });
    let code = code_of(&settings);
    secrets.push(code.clone());
    let mut sign_up = async |email: &str| {
        let input = roster_app::signup::SignupInput {
            email: email.into(),
            name: "Kim Park".into(),
            password: "a long passphrase of several words".into(),
        };
        writes!(db, 0, "signup::request", roster_app::signup::request(app, &input, &meta()).await.unwrap());
        // The letter is written in a task of its own, after the answer.
        for _ in 0..500 {
            let mut conn = app.db.conn().await.unwrap();
            if !roster_store::outbox::list_messages_to(&mut conn, email).await.unwrap().is_empty() {
                break;
            }
            drop(conn);
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let token = mailed_token(&t, email, "token=").await;
        secrets.push(token.clone());
        let (p, session) =
            writes!(db, 0, "signup::confirm", roster_app::signup::confirm(app, &token, &meta()).await.unwrap());
        secrets.push(session.token);
        p
    };
    let kim = sign_up("kim@example.test").await;
    let lee = sign_up("lee@acme.example").await;
    let mo = sign_up("mo@acme.example").await;
    let r = writes!(db, 1, "access_requests::create (join link)", {
        requests::create(app, &kim, "acme", Some(&code), "Hello", &meta()).await.unwrap()
    });
    writes!(db, 1, "access_requests::withdraw", requests::withdraw(app, &kim, r.id, &meta()).await.unwrap());
    let r = writes!(db, 1, "access_requests::create (again)", {
        requests::create(app, &kim, "acme", Some(&code), "Hello again", &meta()).await.unwrap()
    });
    writes!(db, 1, "access_requests::deny", requests::deny(app, &op, r.id, "Not now", &meta()).await.unwrap());
    let r = writes!(db, 1, "access_requests::create (email domain)", {
        requests::create(app, &lee, "acme", None, "", &meta()).await.unwrap()
    });
    let approval = Approval { roles: Some(vec!["user".into()]), products: vec!["quote".into()] };
    writes!(db, 2, "access_requests::approve with a product (approved, member.licenses_changed)", {
        requests::approve(app, &op, r.id, &approval, &meta()).await.unwrap()
    });
    let r = requests::create(app, &mo, "acme", None, "", &meta()).await.unwrap();
    t.advance(31 * 24 * 3_600_000);
    writes!(db, 1, "access_requests::sweep_expired", requests::sweep_expired(app).await.unwrap());
    writes!(db, 0, "access_requests::sweep_expired again", requests::sweep_expired(app).await.unwrap());
    assert_eq!(requests::get(app, &op, r.id).await.unwrap().state.as_str(), "expired");

    // Service accounts and their tokens.
    {
        use roster_app::service_accounts::{self as accounts, AccountInput, TokenInput};
        let input = AccountInput {
            name: "ci-deploy".into(),
            description: "Deploys".into(),
            roles: Some(vec!["user".into()]),
            grants: None,
        };
        let a = writes!(db, 1, "service_accounts::create", accounts::create(app, &op, &input, &meta()).await.unwrap());
        let edit = AccountInput { description: "Deploys nightly".into(), roles: None, ..input.clone() };
        writes!(db, 1, "service_accounts::update", accounts::update(app, &op, a.id, &edit, &meta()).await.unwrap());
        writes!(db, 0, "service_accounts::update changing nothing", {
            accounts::update(app, &op, a.id, &edit, &meta()).await.unwrap()
        });
        let tok = TokenInput { name: "deploy".into(), expires_in_days: None };
        let made = writes!(db, 1, "service_accounts::create_token", {
            accounts::create_token(app, &op, a.id, &tok, &meta()).await.unwrap()
        });
        secrets.push(made.token.clone());
        writes!(db, 0, "service_accounts::authenticate", {
            accounts::authenticate(app, &made.token, Some("192.0.2.9")).await.unwrap()
        });
        let rotated = writes!(db, 1, "service_accounts::rotate_token", {
            accounts::rotate_token(app, &op, a.id, made.view.id, 1, &meta()).await.unwrap()
        });
        secrets.push(rotated.token.clone());
        writes!(db, 1, "service_accounts::revoke_token", {
            accounts::revoke_token(app, &op, a.id, made.view.id, &meta()).await.unwrap()
        });
        writes!(db, 1, "service_accounts::set_enabled (disable)", {
            accounts::set_enabled(app, &op, a.id, false, &meta()).await.unwrap()
        });
        writes!(db, 1, "service_accounts::set_enabled (enable)", {
            accounts::set_enabled(app, &op, a.id, true, &meta()).await.unwrap()
        });
        writes!(db, 1, "service_accounts::delete", accounts::delete(app, &op, a.id, &meta()).await.unwrap());
        let carl = sign_in(app, "carl@acme.test", &mut secrets).await;
        let mine = writes!(db, 1, "service_accounts::create_my_token (one organization)", {
            accounts::create_my_token(app, &carl, &tok, &meta()).await.unwrap()
        });
        secrets.push(mine.token.clone());
        writes!(db, 1, "service_accounts::revoke_my_token", {
            accounts::revoke_my_token(app, &carl, mine.view.id, &meta()).await.unwrap()
        });
        writes!(db, 0, "service_accounts::revoke_my_token again", {
            accounts::revoke_my_token(app, &carl, mine.view.id, &meta()).await.unwrap()
        });
    }

    // SCIM provisioning.
    {
        use roster_app::scim::{self, UserChange};
        let new =
            UserChange { user_name: Some("sue@acme.test".into()), name: Some("Sue Park".into()), ..Default::default() };
        let sue = writes!(db, 1, "scim::create_user (member.added)", {
            scim::create_user(app, &op, &new, &meta()).await.unwrap().unwrap()
        })
        .member
        .user_id;
        writes!(db, 0, "scim::create_user of a member (uniqueness)", {
            scim::create_user(app, &op, &new, &meta()).await.unwrap().unwrap_err()
        });
        let both = UserChange { name: Some("Sue Parker".into()), active: Some(false), ..Default::default() };
        writes!(db, 2, "scim::update_user (member.updated, member.disabled)", {
            scim::update_user(app, &op, sue, &both, &meta()).await.unwrap().unwrap()
        });
        writes!(db, 0, "scim::update_user changing nothing", {
            scim::update_user(app, &op, sue, &both, &meta()).await.unwrap().unwrap()
        });
        writes!(db, 1, "scim::delete_user (member.archived)", scim::delete_user(app, &op, sue, &meta()).await.unwrap());
        let again = UserChange { name: Some("Sue Parker".into()), ..new };
        writes!(db, 1, "scim::create_user of an archived member (member.restored)", {
            scim::create_user(app, &op, &again, &meta()).await.unwrap().unwrap()
        });
    }

    // SCIM Groups: one event per request, plus the role's own.
    {
        use roster_app::scim_groups as groups;
        use roster_domain::scim::groups::{GroupInput, GroupOp};
        let op = operator(app, "acme").await;
        let carl = roster_store::members::member_id_by_email(
            &mut db.conn().await.unwrap(),
            op.org.id,
            &roster_domain::Email::parse("carl@acme.test").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
        let bound = op.policy.roles.iter().find(|r| !r.locked).unwrap().key.clone();
        let m = writes!(db, 1, "scim_groups::create_mapping", {
            groups::create_mapping(app, &op, "Bound", &bound, &meta()).await.unwrap()
        });
        let input =
            GroupInput { display_name: "Audit Eng".into(), external_id: None, members: Some(vec![carl.to_string()]) };
        let g = writes!(db, 2, "scim_groups::create_group (role.created, scim_group.created)", {
            groups::create_group(app, &op, &input, &meta()).await.unwrap().unwrap()
        });
        let id = g.group.id;
        let op = operator(app, "acme").await;
        let add = [GroupOp::AddMembers(vec![carl.to_string()])];
        writes!(db, 0, "scim_groups::update_group changing nothing", {
            groups::update_group(app, &op, id, &add, &meta()).await.unwrap().unwrap()
        });
        let rename = [GroupOp::Rename("Audit Engineering".into())];
        writes!(db, 2, "scim_groups::update_group renaming (role.updated, scim_group.updated)", {
            groups::update_group(app, &op, id, &rename, &meta()).await.unwrap().unwrap()
        });
        let op = operator(app, "acme").await;
        writes!(db, 2, "scim_groups::delete_group (scim_group.deleted, role.deleted)", {
            groups::delete_group(app, &op, id, &meta()).await.unwrap()
        });
        writes!(db, 1, "scim_groups::delete_mapping", {
            groups::delete_mapping(app, &op, m.mapping.id, &meta()).await.unwrap()
        });
    }

    // The reviewed exceptions write nothing.
    let mut dan_secrets = Vec::new();
    let dan = writes!(db, 0, "auth::login", sign_in(app, "carl@acme.test", &mut dan_secrets).await);
    secrets.extend(dan_secrets.iter().cloned());
    t.advance(2 * 60_000);
    writes!(db, 0, "auth::authenticate moving last-seen forward", {
        roster_app::auth::authenticate(app, &dan_secrets[0]).await.unwrap()
    });
    writes!(db, 0, "auth::logout", roster_app::auth::logout(app, &dan).await.unwrap());
    t.advance(24 * 3_600_000);
    let swept = writes!(db, 0, "session_sweep::sweep", roster_app::session_sweep::sweep(app, 100).await.unwrap());
    assert!(swept.ended() > 0, "the sweep ended the day-old sessions: {swept:?}");

    // No event carries a secret handed out above, or a password hash.
    let texts = every_event_text(db).await;
    assert!(texts.len() > 30);
    for (details, context) in &texts {
        let text = format!("{details} {context}");
        for secret in &secrets {
            let secret = secret.rsplit(['/', '=', '.']).next().unwrap();
            assert!(!text.contains(secret), "an audit event carries a secret: {text}");
        }
        assert!(!text.contains("$argon2"), "an audit event carries a password hash: {text}");
        let details: serde_json::Value = serde_json::from_str(details).expect("details are JSON");
        for key in details.as_object().expect("details are an object").keys() {
            assert!(!key.contains("token") && !key.contains("password"), "a detail named {key}: {text}");
        }
    }
    t.finish().await;
}
