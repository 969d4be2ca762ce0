//! The account lifecycle over the API: lockout after consecutive failed
//! sign-ins (one lock however many fail at once), unlock by an
//! administrator, "Forgot password?" (the same answer for every address),
//! the reset link (single use, ends sessions, unlocks), and the
//! administrator's "Send reset link".

use reqwest::StatusCode;
use roster_testkit::{PASSWORD, TestApp, page, post_form, spawn_app_with};
use serde_json::{Value, json};

const NEW_PASSWORD: &str = "a long passphrase of several words";
const QUARTER_HOUR_MS: i64 = 16 * 60 * 1000;

/// An app whose accounts lock after 3 failures, with room in the hashing
/// pool for the concurrent sign-ins below.
async fn app() -> (TestApp, roster_store::orgs::OrgRecord) {
    let app = spawn_app_with(|c| {
        c.lockout_after = 3;
        c.hash_queue = Some(100);
    })
    .await;
    let org = app.create_org("acme", "owner@acme.test").await;
    (app, org)
}

async fn audit_count(app: &TestApp, org: &roster_store::orgs::OrgRecord, target: &str, action: &str) -> usize {
    let mut conn = app.app.db.conn().await.unwrap();
    roster_store::audit::events_for_target(&mut conn, org.id, "member", target, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == action)
        .count()
}

/// The newest reset link's token mailed to `email`, waiting up to five
/// seconds for it (a self-service request writes it after answering).
async fn reset_token(app: &TestApp, email: &str) -> Option<String> {
    for _ in 0..50 {
        let mut conn = app.app.db.conn().await.unwrap();
        let messages = roster_store::outbox::list_messages_to(&mut conn, email).await.unwrap();
        if let Some(m) = messages.iter().find(|m| m.kind == "password_reset") {
            assert!(m.sensitive, "a reset link is hidden on Outbox pages");
            let link = m.text_body.split_whitespace().find(|w| w.contains("/set-password?token=")).expect("a link");
            assert!(link.starts_with(&app.app.config.base_url), "links use the public base URL: {link}");
            return Some(link.rsplit('=').next().unwrap().to_string());
        }
        drop(conn);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    None
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> (StatusCode, Value) {
    app.anonymous().post("/api/v1/auth/login", json!({"email": email, "password": password})).await
}

#[tokio::test]
async fn concurrent_failures_lock_an_account_once_and_an_administrator_unlocks_it() {
    let (app, org) = app().await;
    let ann = app.add_member(&org, "ann@acme.test", "Ann").await.to_string();
    app.add_member_with_roles(&org, "bm@acme.test", &["billing_manager"]).await;
    app.add_member_with_roles(&org, "plain@acme.test", &["user"]).await;
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let app_url = app.anonymous();
        tasks.push(tokio::spawn(async move {
            app_url.post("/api/v1/auth/login", json!({"email": "ann@acme.test", "password": "wrong guess"})).await
        }));
    }
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert!(
            matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS),
            "{status} {body}"
        );
    }
    assert_eq!(audit_count(&app, &org, &ann, "user.locked").await, 1, "exactly one failure locks");
    let mut conn = app.app.db.conn().await.unwrap();
    let locked = roster_store::outbox::list_messages_to(&mut conn, "ann@acme.test").await.unwrap();
    assert_eq!(locked.iter().filter(|m| m.kind == "account_locked").count(), 1, "the user is told once");
    drop(conn);

    // Past the throttle's window, the right password still meets the lock.
    app.advance(QUARTER_HOUR_MS);
    let (status, body) = sign_in(&app, "ann@acme.test", PASSWORD).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["type"], "/problems/account-locked");

    let plain = app.login("plain@acme.test", PASSWORD).await;
    let (status, _) = plain.post(&format!("/api/v1/orgs/acme/users/{ann}/unlock"), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "unlocking needs members:update");
    let bm = app.login("bm@acme.test", PASSWORD).await;
    let (status, body) = bm.post(&format!("/api/v1/orgs/acme/users/{ann}/unlock"), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(audit_count(&app, &org, &ann, "user.unlocked").await, 1);
    let (status, body) = bm.post(&format!("/api/v1/orgs/acme/users/{ann}/unlock"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["type"], "/problems/not-locked");
    let (status, body) = sign_in(&app, "ann@acme.test", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.finish().await;
}

#[tokio::test]
async fn a_reset_request_answers_the_same_for_every_address() {
    let (app, org) = app().await;
    app.add_member(&org, "ann@acme.test", "Ann").await;
    let anon = app.anonymous();
    let known = anon.post("/api/v1/auth/password-reset", json!({"email": "ann@acme.test"})).await;
    let unknown = anon.post("/api/v1/auth/password-reset", json!({"email": "nobody@acme.test"})).await;
    let malformed = anon.post("/api/v1/auth/password-reset", json!({"email": "not an address"})).await;
    assert_eq!(known.0, StatusCode::ACCEPTED, "{}", known.1);
    assert_eq!(known, unknown, "a known and an unknown address get the same answer");
    assert_eq!(known, malformed, "so does a malformed one");
    assert!(reset_token(&app, "ann@acme.test").await.is_some(), "the known address gets a link");
    let mut conn = app.app.db.conn().await.unwrap();
    assert!(roster_store::outbox::list_messages_to(&mut conn, "nobody@acme.test").await.unwrap().is_empty());
    drop(conn);
    // Asking again and again for one address sends a few links, then stops
    // quietly; the answer stays the same.
    for _ in 0..5 {
        assert_eq!(anon.post("/api/v1/auth/password-reset", json!({"email": "ann@acme.test"})).await, known);
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let mut conn = app.app.db.conn().await.unwrap();
    let sent = roster_store::outbox::list_messages_to(&mut conn, "ann@acme.test").await.unwrap().len();
    assert_eq!(sent, roster_app::password_reset::REQUESTS_PER_EMAIL as usize);
    drop(conn);
    app.finish().await;
}

#[tokio::test]
async fn a_reset_link_sets_the_password_once_ends_sessions_and_unlocks() {
    let (app, org) = app().await;
    let ann = app.add_member(&org, "ann@acme.test", "Ann").await.to_string();
    let before = app.login("ann@acme.test", PASSWORD).await;
    // Lock the account, then reset it.
    for _ in 0..3 {
        sign_in(&app, "ann@acme.test", "wrong guess").await;
    }
    assert_eq!(audit_count(&app, &org, &ann, "user.locked").await, 1);
    let anon = app.anonymous();
    anon.post("/api/v1/auth/password-reset", json!({"email": "ann@acme.test"})).await;
    let token = reset_token(&app, "ann@acme.test").await.expect("a reset link");

    let (status, body) =
        anon.post("/api/v1/auth/password-reset/confirm", json!({"token": token, "password": "short"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "password");
    let (status, body) =
        anon.post("/api/v1/auth/password-reset/confirm", json!({"token": token, "password": NEW_PASSWORD})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) =
        anon.post("/api/v1/auth/password-reset/confirm", json!({"token": token, "password": NEW_PASSWORD})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a link works once: {body}");
    assert_eq!(body["type"], "/problems/invalid-token");

    assert_eq!(before.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED, "the sessions before the reset end");
    app.advance(QUARTER_HOUR_MS);
    assert_eq!(sign_in(&app, "ann@acme.test", PASSWORD).await.0, StatusCode::UNAUTHORIZED);
    let (status, body) = sign_in(&app, "ann@acme.test", NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "the reset unlocked the account: {body}");
    assert_eq!(audit_count(&app, &org, &ann, "user.password_reset_requested").await, 1);
    assert_eq!(audit_count(&app, &org, &ann, "user.password_set").await, 1);
    assert_eq!(audit_count(&app, &org, &ann, "user.unlocked").await, 1);
    app.finish().await;
}

#[tokio::test]
async fn an_administrator_sends_a_reset_link_within_their_reach() {
    let (app, org) = app().await;
    let ann = app.add_member(&org, "ann@acme.test", "Ann").await.to_string();
    app.add_member_with_roles(&org, "bm@acme.test", &["billing_manager"]).await;
    app.add_member_with_roles(&org, "plain@acme.test", &["user"]).await;
    let bm = app.login("bm@acme.test", PASSWORD).await;
    let (status, body) = bm.post(&format!("/api/v1/orgs/acme/users/{ann}/password-reset"), json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert!(body["expires_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{body}");
    let token = reset_token(&app, "ann@acme.test").await.expect("a reset link");
    assert_eq!(audit_count(&app, &org, &ann, "user.password_reset_requested").await, 1);

    // The administrator never sees the link: the Outbox hides it.
    let owner = app.login("owner@acme.test", PASSWORD).await;
    let (status, outbox) = owner.get("/api/v1/outbox").await;
    assert_eq!(status, StatusCode::OK, "{outbox}");
    assert!(!outbox.to_string().contains(&token), "the link is hidden: {outbox}");

    let owner_id = org.owner_id.unwrap();
    let (status, body) = bm.post(&format!("/api/v1/orgs/acme/users/{owner_id}/password-reset"), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the owner holds more than a Billing Manager: {body}");
    assert_eq!(body["type"], "/problems/escalation");
    app.add_member_with_roles(&org, "admin@acme.test", &["account_owner"]).await;
    let admin = app.login("admin@acme.test", PASSWORD).await;
    let (status, body) = admin.post(&format!("/api/v1/orgs/acme/users/{owner_id}/password-reset"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "only the owner acts on the owner's account: {body}");
    assert_eq!(body["type"], "/problems/owner-protected");
    let plain = app.login("plain@acme.test", PASSWORD).await;
    let (status, _) = plain.post(&format!("/api/v1/orgs/acme/users/{ann}/password-reset"), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "sending a link needs members:update");
    let (status, _) = bm.post("/api/v1/orgs/acme/users/not-an-id/password-reset", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = bm.post(&format!("/api/v1/orgs/acme/users/{ann}/archive"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = bm.post(&format!("/api/v1/orgs/acme/users/{ann}/password-reset"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "an archived member first comes back: {body}");
    app.finish().await;
}

#[tokio::test]
async fn the_pages_offer_forgot_password_locked_badges_unlock_and_reset_links() {
    let (app, org) = app().await;
    let ann = app.add_member(&org, "ann@acme.test", "Ann").await.to_string();
    let base = app.base_url.clone();
    let anon = roster_testkit::client();
    let (_, login) = page(&anon, format!("{base}/login")).await;
    assert!(login.contains("href=\"/forgot-password\""), "the sign-in page links to Forgot password?");
    let unknown = post_form(&anon, format!("{base}/forgot-password"), &[("email", "nobody@acme.test")]).await;
    assert_eq!(unknown.status(), StatusCode::OK);
    let known = post_form(&anon, format!("{base}/forgot-password"), &[("email", "ann@acme.test")]).await;
    assert_eq!(known.status(), StatusCode::OK);
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap(), "the same page for every address");
    let token = reset_token(&app, "ann@acme.test").await.expect("a reset link");

    // Lock Ann; the sign-in page then says why and what to do.
    for _ in 0..3 {
        sign_in(&app, "ann@acme.test", "wrong guess").await;
    }
    app.advance(QUARTER_HOUR_MS);
    let form = [("email", "ann@acme.test"), ("password", PASSWORD), ("next", "/")];
    let r = post_form(&anon, format!("{base}/login"), &form).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let locked = r.text().await.unwrap();
    assert!(locked.contains("locked") && locked.contains("Forgot password?"), "{locked}");
    assert!(locked.contains("value=\"ann@acme.test\""), "the form keeps the address");

    // The owner's Users tab marks the lock and offers Unlock and Send reset link.
    let (c, csrf) = app.sign_in_form("owner@acme.test").await;
    let users_url = format!("{base}/orgs/acme/settings/users?q=ann");
    let back = [("csrf_token", csrf.as_str()), ("return_to", "/orgs/acme/settings/users?q=ann")];
    let (_, users) = page(&c, users_url.clone()).await;
    assert!(users.contains("status-locked"), "the row shows the lock");
    let unlock = format!("/orgs/acme/settings/users/{ann}/unlock");
    let send = format!("/orgs/acme/settings/users/{ann}/send-reset-link");
    assert!(users.contains(&unlock) && users.contains(&send), "both account actions are offered");
    assert_eq!(post_form(&c, format!("{base}{unlock}"), &back).await.status(), StatusCode::SEE_OTHER);
    let (_, users) = page(&c, users_url.clone()).await;
    assert!(users.contains("Unlocked the account"), "the flash says so");
    assert!(!users.contains("status-locked") && !users.contains(&unlock), "no longer locked");
    assert_eq!(post_form(&c, format!("{base}{send}"), &back).await.status(), StatusCode::SEE_OTHER);
    let (_, users) = page(&c, users_url).await;
    assert!(users.contains("A link to choose a new password is on its way"), "the flash says so");
    let newer = reset_token(&app, "ann@acme.test").await.expect("a second link");
    assert_ne!(newer, token, "a new link");

    // The first link died with the second; the second sets the password on the page.
    let set = |token: &str| [("token", token.to_string()), ("password", NEW_PASSWORD.to_string())];
    let r = anon.post(format!("{base}/set-password")).form(&set(&token)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "an earlier link stops working");
    let r = anon.post(format!("{base}/set-password")).form(&set(&newer)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(sign_in(&app, "ann@acme.test", NEW_PASSWORD).await.0, StatusCode::OK);
    app.finish().await;
}
