//! Guards an attacker probes: sign-in throttling under concurrency, what the
//! authorization check reveals about accounts outside the organization, and
//! the last-administrator rule in a large organization.

use futures::future::join_all;
use reqwest::StatusCode;
use roster_app::throttle::{FAILURES_PER_EMAIL, FAILURES_PER_IP, WINDOW_MS};
use roster_testkit::{PASSWORD, TestApp, client, spawn_app, spawn_app_with};
use serde_json::json;

/// An app whose hashing pool admits every guess of these tests at once, so
/// that only the throttle refuses (the pool's own refusals: `hashing.rs`).
async fn spawn_app_admitting_all() -> TestApp {
    spawn_app_with(|c| c.hash_queue = Some(1_000)).await
}

/// One API sign-in from a fresh client: the status, the `Retry-After`
/// header (seconds) and the problem type.
async fn api_login(app: &TestApp, email: &str, password: &str) -> (StatusCode, Option<i64>, String) {
    let r = client()
        .post(format!("{}/api/v1/auth/login", app.base_url))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login request");
    let status = r.status();
    let retry_after = r.headers().get("retry-after").map(|v| v.to_str().unwrap().parse::<i64>().unwrap());
    let body: serde_json::Value = r.json().await.unwrap_or_default();
    (status, retry_after, body["type"].as_str().unwrap_or_default().to_string())
}

/// Counts the answers of a batch of sign-ins by status, checking that every
/// refusal carries `Retry-After` and the problem type.
fn tally(answers: &[(StatusCode, Option<i64>, String)]) -> (usize, usize) {
    let mut unauthorized = 0;
    let mut refused = 0;
    for (status, retry_after, kind) in answers {
        match *status {
            StatusCode::UNAUTHORIZED => unauthorized += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                refused += 1;
                let s = retry_after.expect("a 429 carries Retry-After");
                assert!(s > 0 && s <= WINDOW_MS / 1000, "Retry-After {s}");
                assert_eq!(kind, "/problems/too-many-attempts");
            }
            other => panic!("unexpected answer {other}"),
        }
    }
    (unauthorized, refused)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_at_one_account_evaluate_only_the_limit() {
    let app = spawn_app_admitting_all().await;
    app.create_org("acme", "owner@acme.test").await;
    let guesses = (0..50).map(|i| {
        let app = &app;
        // Every spelling of the address counts against the same account.
        let email = if i % 2 == 0 { "owner@acme.test" } else { " OWNER@Acme.test " };
        async move { api_login(app, email, &format!("wrong guess {i}")).await }
    });
    let answers = join_all(guesses).await;
    let (evaluated, refused) = tally(&answers);
    assert_eq!(evaluated, FAILURES_PER_EMAIL as usize, "exactly the limit of guesses is evaluated");
    assert_eq!(refused, 50 - FAILURES_PER_EMAIL as usize);
    // The right password is refused too while the account is locked.
    let (status, retry_after, _) = api_login(&app, "owner@acme.test", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after.unwrap() > WINDOW_MS / 1000 - 60);
    // Another account from the same address is unaffected.
    app.create_org("globex", "owner@globex.test").await;
    app.login("owner@globex.test", PASSWORD).await;
    // When the window has passed, the owner signs in.
    app.advance(WINDOW_MS);
    app.login("owner@acme.test", PASSWORD).await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_right_password_among_parallel_guesses_frees_no_extra_guesses() {
    let app = spawn_app_admitting_all().await;
    app.create_org("acme", "owner@acme.test").await;
    let attempts = (0..50).map(|i| {
        let app = &app;
        let password = if i == 25 { PASSWORD.to_string() } else { format!("wrong guess {i}") };
        async move { api_login(app, "owner@acme.test", &password).await }
    });
    let answers = join_all(attempts).await;
    let signed_in = answers.iter().filter(|a| a.0 == StatusCode::OK).count();
    let rest: Vec<_> = answers.into_iter().filter(|a| a.0 != StatusCode::OK).collect();
    let (wrong, _) = tally(&rest);
    assert!(signed_in <= 1);
    assert!(
        wrong + signed_in <= FAILURES_PER_EMAIL as usize,
        "{wrong} wrong guesses and {signed_in} sign-in evaluated"
    );
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_from_one_address_evaluate_at_most_its_limit() {
    let app = spawn_app_admitting_all().await;
    app.create_org("acme", "owner@acme.test").await;
    let guesses = (0..200).map(|i| {
        let app = &app;
        async move { api_login(app, &format!("guess{i}@acme.test"), "wrong guess").await }
    });
    let answers = join_all(guesses).await;
    let (evaluated, refused) = tally(&answers);
    assert_eq!(evaluated, FAILURES_PER_IP as usize, "exactly the address's limit of guesses is evaluated");
    assert_eq!(refused, 200 - FAILURES_PER_IP as usize);
    // The address is locked for everyone behind it, with the right password too.
    let (status, retry_after, _) = api_login(&app, "owner@acme.test", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after.is_some());
    app.advance(WINDOW_MS);
    app.login("owner@acme.test", PASSWORD).await;
    app.finish().await;
}

#[tokio::test]
async fn successful_sign_ins_from_one_address_are_not_throttled() {
    let app = spawn_app().await;
    app.create_org("acme", "owner@acme.test").await;
    for _ in 0..FAILURES_PER_IP + 5 {
        app.login("owner@acme.test", PASSWORD).await;
    }
    // A success forgets the account's earlier failures.
    for _ in 0..FAILURES_PER_EMAIL - 1 {
        assert_eq!(api_login(&app, "owner@acme.test", "wrong guess").await.0, StatusCode::UNAUTHORIZED);
    }
    app.login("owner@acme.test", PASSWORD).await;
    for _ in 0..FAILURES_PER_EMAIL - 1 {
        assert_eq!(api_login(&app, "owner@acme.test", "wrong guess").await.0, StatusCode::UNAUTHORIZED);
    }
    app.login("owner@acme.test", PASSWORD).await;
    app.finish().await;
}

#[tokio::test]
async fn the_sign_in_form_answers_429_with_retry_after() {
    let app = spawn_app().await;
    app.create_org("acme", "owner@acme.test").await;
    for _ in 0..FAILURES_PER_EMAIL {
        assert_eq!(api_login(&app, "owner@acme.test", "wrong guess").await.0, StatusCode::UNAUTHORIZED);
    }
    let r = client()
        .post(format!("{}/login", app.base_url))
        .header("Origin", &app.base_url)
        .header("Sec-Fetch-Site", "same-origin")
        .form(&[("email", "owner@acme.test"), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let seconds: i64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(seconds > 0 && seconds <= WINDOW_MS / 1000);
    let page = r.text().await.unwrap();
    assert!(page.contains("Too many failed sign-ins"), "{page}");
    app.finish().await;
}

#[tokio::test]
async fn an_authz_check_answers_an_outsider_exactly_like_an_unknown_email() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    let other = app.create_org("globex", "owner@globex.test").await;
    let outsider_id = other.owner_id.unwrap();
    let viewer = app.create_role(&org, "Role viewer", &[("roles", &["read"])]).await;
    app.add_member_with_roles(&org, "plain@acme.test", &[viewer.as_str()]).await;
    let plain = app.login("plain@acme.test", PASSWORD).await;
    let owner = app.login("owner@acme.test", PASSWORD).await;
    let unknown_id = uuid::Uuid::now_v7().to_string();
    let check = |user: String| json!({"user": user, "resource": "members", "action": "read"});
    for (who, session) in [("a member without members:read", &plain), ("the owner", &owner)] {
        for (unknown, outsider) in [
            ("nobody@acme.test".to_string(), "owner@globex.test".to_string()),
            (unknown_id.clone(), outsider_id.to_string()),
        ] {
            let a = session.post("/api/v1/orgs/acme/authz/check", check(unknown.clone())).await;
            let b = session.post("/api/v1/orgs/acme/authz/check", check(outsider.clone())).await;
            assert_eq!(a, b, "{who}: an outsider ({outsider}) is answered like an unknown user ({unknown})");
            let batch = |u: &str| json!({"checks": [check("owner@acme.test".into()), check(u.to_string())]});
            let a = session.post("/api/v1/orgs/acme/authz/check-batch", batch(&unknown)).await;
            let b = session.post("/api/v1/orgs/acme/authz/check-batch", batch(&outsider)).await;
            assert_eq!(a, b, "{who}, in a batch: {outsider} vs {unknown}");
        }
    }
    // Without members:read, asking about anyone but yourself is forbidden,
    // members and strangers alike; with it, a stranger is not found.
    let (status, _) = plain.post("/api/v1/orgs/acme/authz/check", check("nobody@acme.test".into())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = plain.post("/api/v1/orgs/acme/authz/check", check("owner@acme.test".into())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = plain.post("/api/v1/orgs/acme/authz/check", check(" Plain@ACME.test".into())).await;
    assert_eq!(status, StatusCode::OK, "yourself, however spelled");
    let (status, body) = owner.post("/api/v1/orgs/acme/authz/check", check("owner@globex.test".into())).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = owner.post("/api/v1/orgs/acme/authz/check", check("plain@acme.test".into())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.finish().await;
}

/// Every active holder of a role, read page by page from the store.
async fn active_holders(
    app: &TestApp,
    org: roster_domain::OrgId,
    role: roster_domain::RoleId,
) -> Vec<roster_domain::UserId> {
    let mut conn = app.app.db.conn().await.unwrap();
    let mut all = Vec::new();
    loop {
        let page = roster_store::roles::active_holders_of_any(&mut conn, org, &[role], all.last().copied(), 1000)
            .await
            .unwrap();
        let done = page.len() < 1000;
        all.extend(page);
        if done {
            return all;
        }
    }
}

#[tokio::test]
async fn the_last_administrator_rule_is_exact_in_a_large_organization() {
    let app = spawn_app().await;
    // The default preset's Billing Manager changes members but not roles:
    // alone, it does not administer. A fifth of the seeded members hold it.
    let org = app.create_org("big", "owner@big.test").await;
    app.seed(&org, 12_000).await;
    let roles = roster_store::roles::list_roles(&mut app.app.db.conn().await.unwrap(), org.id).await.unwrap();
    let billing = roles.iter().find(|r| r.key == "billing_manager").unwrap().id;
    let role_editor = app.create_role(&org, "Role editor", &[("roles", &["read", "update"])]).await;
    // The only member who administers besides the owner does so through a
    // combination of roles, and comes after every other candidate.
    let combo = app.add_member_with_roles(&org, "combo@big.test", &["billing_manager", role_editor.as_str()]).await;
    let candidates = active_holders(&app, org.id, billing).await;
    let before = candidates.iter().filter(|u| **u < combo).count();
    assert!(before >= 1_500, "{before} candidates come before the administrator");
    assert_eq!(candidates.last(), Some(&combo));
    app.make_ownerless(&org).await;
    let owner = org.owner_id.unwrap();
    let meta = roster_app::RequestMeta::default();
    // Disabling the former owner leaves one administrator: allowed.
    let access = roster_app::access::open_org(&app.app, &roster_app::Actor::Cli, "big").await.unwrap();
    roster_app::members::change_status(&app.app, &access, owner, roster_domain::members::StatusChange::Disable, &meta)
        .await
        .expect("an administrator remains, found among more than a thousand candidates");
    // Taking the combination apart would leave none: refused.
    let access = roster_app::access::open_org(&app.app, &roster_app::Actor::Cli, "big").await.unwrap();
    let refused =
        roster_app::roles::set_member_roles(&app.app, &access, combo, &["billing_manager".to_string()], &meta).await;
    assert!(
        matches!(
            refused,
            Err(roster_app::AppError::Conflict { kind: roster_app::ConflictKind::LastAdministrator, .. })
        ),
        "{refused:?}"
    );
    app.finish().await;
}
