//! The password hashing pool under load: a sign-in beyond its capacity is
//! refused at once with 429 and `Retry-After`, is not counted as a guess,
//! and never becomes a 5xx.

use reqwest::StatusCode;
use roster_testkit::{PASSWORD, TestApp, client, spawn_app_with};
use serde_json::json;

/// An app whose pool hashes one password at a time and lets one more wait.
async fn spawn_small_pool() -> TestApp {
    spawn_app_with(|c| {
        c.hash_workers = 1;
        c.hash_queue = Some(1);
    })
    .await
}

/// A sign-in over the API: status, `Retry-After`, and the problem type (if any).
async fn sign_in(base_url: &str, email: &str, password: &str) -> (StatusCode, Option<String>, String) {
    let r = client()
        .post(format!("{base_url}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let retry_after = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    let body: serde_json::Value = r.json().await.unwrap();
    (status, retry_after, body["type"].as_str().unwrap_or_default().to_string())
}

#[tokio::test]
async fn a_flood_of_sign_ins_beyond_the_pool_answers_429_busy_with_retry_after() {
    let app = spawn_small_pool().await;
    assert_eq!(app.app.hashing.capacity(), 2);
    let org = app.create_org("acme", "owner@acme.test").await;
    let mut people = vec!["owner@acme.test".to_string()];
    for i in 0..3 {
        let email = format!("member{i}@acme.test");
        app.add_member(&org, &email, &format!("Member {i}")).await;
        people.push(email);
    }
    // Forty at once, each at its own account (so the per-account limit
    // plays no part): the people above with the right password, the rest
    // unknown addresses.
    let attempts: Vec<_> = (0..40)
        .map(|i| {
            let base_url = app.base_url.clone();
            let email = people.get(i).cloned().unwrap_or_else(|| format!("nobody{i}@acme.test"));
            tokio::spawn(async move { sign_in(&base_url, &email, PASSWORD).await })
        })
        .collect();
    let (mut busy, mut evaluated) = (0, 0);
    for a in attempts {
        let (status, retry_after, kind) = a.await.unwrap();
        match status {
            StatusCode::OK | StatusCode::UNAUTHORIZED => evaluated += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert_eq!(kind, "/problems/busy");
                assert_eq!(retry_after.as_deref(), Some("1"));
                busy += 1;
            }
            other => panic!("a sign-in answered {other} ({kind})"),
        }
    }
    assert!(busy > 0, "no sign-in was refused though 40 came at once to a pool of 2 places");
    assert!(evaluated > 0, "every sign-in was refused");
    // The pool is free again afterwards, and every account can sign in.
    for email in &people {
        app.login(email, PASSWORD).await;
    }
    app.finish().await;
}

#[tokio::test]
async fn a_busy_refusal_is_not_counted_as_a_guess() {
    let app = spawn_small_pool().await;
    app.create_org("acme", "owner@acme.test").await;
    // Every place on the pool is taken.
    let held = [app.app.hashing.try_slot().unwrap(), app.app.hashing.try_slot().unwrap()];
    for _ in 0..2 * roster_app::throttle::FAILURES_PER_EMAIL {
        let (status, retry_after, kind) = sign_in(&app.base_url, "owner@acme.test", "a wrong password").await;
        assert_eq!(
            (status, retry_after.as_deref(), kind.as_str()),
            (StatusCode::TOO_MANY_REQUESTS, Some("1"), "/problems/busy")
        );
    }
    // The sign-in form says so too, keeps what was typed, and sends Retry-After.
    let r = client()
        .post(format!("{}/login", app.base_url))
        .form(&[("email", "owner@acme.test"), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["retry-after"], "1");
    let page = r.text().await.unwrap();
    assert!(page.contains("Too many passwords are being checked at this moment"), "{page}");
    assert!(page.contains("value=\"owner@acme.test\""), "{page}");
    drop(held);
    // Twice the account's limit was refused, yet none of it counted: the
    // right password is let in.
    app.login("owner@acme.test", PASSWORD).await;
    app.finish().await;
}
