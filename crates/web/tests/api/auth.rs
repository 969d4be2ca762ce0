//! Sign-in, sessions, CSRF and health checks.

use reqwest::StatusCode;
use roster_testkit::{PASSWORD, client, spawn_app};
use serde_json::json;

#[tokio::test]
async fn login_sets_an_http_only_cookie_and_me_answers() {
    let app = spawn_app().await;
    app.create_org("acme", "owner@acme.test").await;
    let c = client();
    let r = c
        .post(format!("{}/api/v1/auth/login", app.base_url))
        .json(&json!({"email": "OWNER@acme.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.starts_with("roster_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let me: serde_json::Value =
        c.get(format!("{}/api/v1/me", app.base_url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["user"]["email"], "owner@acme.test");
    assert_eq!(me["organizations"][0]["slug"], "acme");
    assert_eq!(me["organizations"][0]["is_owner"], true);
    assert_eq!(me["csrf_token"].as_str().unwrap().len(), 64);
    // The token itself is stored only as its SHA-256.
    let token = cookie.split(';').next().unwrap().trim_start_matches("roster_session=").to_string();
    let stored: Vec<(Vec<u8>,)> = match &app.app.db {
        roster_store::Db::Sqlite(p) => sqlx::query_as("SELECT token_hash FROM sessions").fetch_all(p).await.unwrap(),
        roster_store::Db::Postgres(p) => sqlx::query_as("SELECT token_hash FROM sessions").fetch_all(p).await.unwrap(),
    };
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].0, roster_app::tokens::hash_secret(&token));
    assert_ne!(stored[0].0, token.as_bytes());
    app.finish().await;
}

#[tokio::test]
async fn wrong_email_and_wrong_password_answer_alike() {
    let app = spawn_app().await;
    app.create_org("acme", "owner@acme.test").await;
    let attempt = |email: &'static str, password: &'static str| {
        let url = format!("{}/api/v1/auth/login", app.base_url);
        async move {
            let r = client().post(url).json(&json!({"email": email, "password": password})).send().await.unwrap();
            (r.status(), r.headers().get("content-type").cloned(), r.text().await.unwrap())
        }
    };
    let wrong_password = attempt("owner@acme.test", "not the password").await;
    let wrong_email = attempt("nobody@acme.test", "not the password").await;
    assert_eq!(wrong_password.0, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password, wrong_email);
    assert_eq!(wrong_password.1.unwrap(), "application/problem+json");
    app.finish().await;
}

#[tokio::test]
async fn login_with_missing_field_names_it() {
    let app = spawn_app().await;
    let r = client()
        .post(format!("{}/api/v1/auth/login", app.base_url))
        .json(&json!({"email": "a@b.test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "password", "{body}");
    let r = client()
        .post(format!("{}/api/v1/auth/login", app.base_url))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    app.finish().await;
}

#[tokio::test]
async fn state_changes_need_the_csrf_token() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    let bob = app.add_member(&org, "bob@acme.test", "Bob").await;
    let s = app.login("owner@acme.test", PASSWORD).await;
    let url = format!("{}/api/v1/orgs/acme/users/{bob}/disable", app.base_url);
    let no_token = s.client.post(&url).send().await.unwrap();
    assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = no_token.json().await.unwrap();
    assert_eq!(body["type"], "/problems/csrf");
    let wrong = s.client.post(&url).header("X-CSRF-Token", "0".repeat(64)).send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    // A plain form post must carry the token as a field.
    let form = s.client.post(&url).form(&[("csrf_token", "nope")]).send().await.unwrap();
    assert_eq!(form.status(), StatusCode::FORBIDDEN);
    let (status, _) = s.post(&format!("/api/v1/orgs/acme/users/{bob}/disable"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    app.finish().await;
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    app.create_org("acme", "owner@acme.test").await;
    let s = app.login("owner@acme.test", PASSWORD).await;
    let (status, _) = s.post("/api/v1/auth/logout", json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = s.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["type"], "/problems/unauthenticated");
    app.finish().await;
}

#[tokio::test]
async fn idle_and_absolute_expiry_end_sessions() {
    let app = spawn_app().await;
    app.create_org("acme", "owner@acme.test").await;
    let s = app.login("owner@acme.test", PASSWORD).await;
    let idle = app.app.config.session_idle_ms;
    // Activity keeps the session alive past the idle limit…
    for _ in 0..3 {
        app.advance(idle - 120_000);
        assert_eq!(s.get("/api/v1/me").await.0, StatusCode::OK);
    }
    // …but not past inactivity.
    app.advance(idle + 1);
    assert_eq!(s.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    // And not past the absolute limit, however active.
    let s = app.login("owner@acme.test", PASSWORD).await;
    let absolute = app.app.config.session_absolute_ms;
    let mut elapsed = 0;
    while elapsed + idle / 2 < absolute {
        app.advance(idle / 2);
        elapsed += idle / 2;
        assert_eq!(s.get("/api/v1/me").await.0, StatusCode::OK);
    }
    app.advance(absolute - elapsed);
    assert_eq!(s.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    app.finish().await;
}

#[tokio::test]
async fn health_checks() {
    let app = spawn_app().await;
    let c = client();
    let r = c.get(format!("{}/healthz", app.base_url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c.get(format!("{}/readyz", app.base_url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // With the database gone, liveness still answers and readiness does not.
    app.app.db.close().await;
    let r = c.get(format!("{}/healthz", app.base_url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c.get(format!("{}/readyz", app.base_url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    app.discard().await;
}

#[tokio::test]
async fn owner_sets_a_password_through_the_one_time_link() {
    let app = spawn_app().await;
    let created = roster_app::orgs::create_org(
        &app.app,
        &roster_app::Actor::Cli,
        roster_app::orgs::NewOrg {
            name: "Linked".into(),
            slug: "linked".into(),
            owner_email: "owner@linked.test".into(),
            owner_name: None,
            owner_password: None,
            preset: None,
        },
    )
    .await
    .unwrap();
    let token = created.password_token.expect("a link is issued when no password is given");
    let c = client();
    let short = c
        .post(format!("{}/set-password", app.base_url))
        .form(&[("token", token.as_str()), ("password", "short")])
        .send()
        .await
        .unwrap();
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let ok = c
        .post(format!("{}/set-password", app.base_url))
        .form(&[("token", token.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let again = c
        .post(format!("{}/set-password", app.base_url))
        .form(&[("token", token.as_str()), ("password", "another long password")])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST, "a link works once");
    let s = app.login("owner@linked.test", PASSWORD).await;
    assert_eq!(s.get("/api/v1/me").await.0, StatusCode::OK);
    app.finish().await;
}

#[tokio::test]
async fn pages_redirect_to_sign_in_and_back() {
    let app = spawn_app().await;
    app.create_org("acme", "owner@acme.test").await;
    let c = client();
    let r = c.get(format!("{}/orgs/acme/settings/users?q=x", app.base_url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers().get("location").unwrap().to_str().unwrap();
    assert!(to.starts_with("/login?next=%2Forgs%2Facme%2Fsettings%2Fusers"), "{to}");
    let r = c
        .post(format!("{}/login", app.base_url))
        .form(&[("email", "owner@acme.test"), ("password", PASSWORD), ("next", "/orgs/acme/settings/users")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers().get("location").unwrap(), "/orgs/acme/settings/users");
    // An outside `next` is not followed.
    let r = c
        .post(format!("{}/login", app.base_url))
        .form(&[("email", "owner@acme.test"), ("password", PASSWORD), ("next", "//evil.example/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers().get("location").unwrap(), "/");
    // A failed sign-in keeps the email typed.
    let r = c
        .post(format!("{}/login", app.base_url))
        .form(&[("email", "owner@acme.test"), ("password", "wrong password!"), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("value=\"owner@acme.test\""));
    app.finish().await;
}

#[tokio::test]
async fn repeated_failures_throttle_sign_in_for_that_email() {
    let app = spawn_app().await;
    app.create_org("acme", "owner@acme.test").await;
    let url = format!("{}/api/v1/auth/login", app.base_url);
    let attempt = |password: &'static str| {
        let url = url.clone();
        async move {
            client().post(url).json(&json!({"email": "owner@acme.test", "password": password})).send().await.unwrap()
        }
    };
    for _ in 0..roster_app::throttle::FAILURES_PER_EMAIL {
        assert_eq!(attempt("wrong password!").await.status(), StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused now, with a reason.
    let r = attempt(PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["type"], "/problems/too-many-attempts");
    // Other accounts are unaffected, and the window passes.
    app.create_org("globex", "owner@globex.test").await;
    app.login("owner@globex.test", PASSWORD).await;
    app.advance(roster_app::throttle::WINDOW_MS);
    assert_eq!(attempt(PASSWORD).await.status(), StatusCode::OK);
    app.finish().await;
}
