//! Defects an attacker's probe of the running demo found (issue 7): open
//! redirects, login CSRF, invisible characters in names, control characters
//! in role descriptions, missing hardening headers, and slug availability
//! told to anyone.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use roster_testkit::{PASSWORD, TestApp, client, spawn_app};
use serde_json::json;

fn location(r: &reqwest::Response) -> &str {
    r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn sign_in_never_redirects_off_site() {
    let app = spawn_app().await;
    app.create_org("acme", "owner@acme.test").await;
    for next in ["/\t/evil.example", "//evil.example", "/\\evil.example", "https://evil.example/", "/%09/evil.example"]
    {
        // The sign-in page does not carry the hostile target into its form.
        let page = client()
            .get(format!("{}/login", app.base_url))
            .query(&[("next", next)])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("name=\"next\" value=\"/\""), "{next:?}: {page}");
        assert!(!page.contains("evil.example"), "{next:?}");
        let r = client()
            .post(format!("{}/login", app.base_url))
            .form(&[("email", "owner@acme.test"), ("password", PASSWORD), ("next", next)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(location(&r), "/", "{next:?} falls back to the home page");
    }
    // A path of this site is kept.
    let r = client()
        .post(format!("{}/login", app.base_url))
        .form(&[("email", "owner@acme.test"), ("password", PASSWORD), ("next", "/orgs/acme/settings/roles")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/orgs/acme/settings/roles");
    app.finish().await;
}

#[tokio::test]
async fn form_actions_and_cancel_links_stay_on_site() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    let bob = app.add_member(&org, "bob@acme.test", "Bob").await;
    let (c, csrf) = app.sign_in_form("owner@acme.test").await;
    let base = &app.base_url;
    let users = "/orgs/acme/settings/users";
    // CR LF once made the redirect fail with a 500 after the change was made.
    for (action, back) in [
        ("disable", "/orgs/acme/settings/users\r\nSet-Cookie: x=1"),
        ("enable", "/\t/evil.example"),
        ("disable", "/%09/evil.example"),
        ("enable", "/%0d%0a/evil.example"),
    ] {
        let r = c
            .post(format!("{base}/orgs/acme/settings/users/{bob}/{action}"))
            .form(&[("csrf_token", csrf.as_str()), ("return_to", back)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{back:?}");
        assert_eq!(location(&r), users, "{back:?} falls back to the Users tab");
    }
    // The edit form: Cancel and the hidden return_to never point off site,
    // and saving with a hostile return_to lands on the Users tab.
    let page = c
        .get(format!("{base}/orgs/acme/settings/users/{bob}/edit"))
        .query(&[("return_to", "/\t/evil.example")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("evil.example"), "{page}");
    assert!(page.contains(&format!("href=\"{users}\" id=\"cancel\"")), "{page}");
    let r = c
        .post(format!("{base}/orgs/acme/settings/users/{bob}/edit"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("name", "Bob"),
            ("roles", "user"),
            ("return_to", "/%0a/evil.example\r\n"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), users);
    // A bulk change as well.
    let r = c
        .post(format!("{base}/orgs/acme/settings/users/bulk"))
        .form(&[("csrf_token", csrf.as_str()), ("action", "enable"), ("q", "bob"), ("return_to", "//evil.example")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), users);
    app.finish().await;
}

/// A sign-in POST with these extra headers, to the API and to the form.
async fn sign_in_with(app: &TestApp, headers: &[(&str, &str)]) -> (reqwest::Response, reqwest::Response) {
    let mut api = client()
        .post(format!("{}/api/v1/auth/login", app.base_url))
        .json(&json!({"email": "owner@acme.test", "password": PASSWORD}));
    let mut form = client().post(format!("{}/login", app.base_url)).form(&[
        ("email", "owner@acme.test"),
        ("password", PASSWORD),
        ("next", "/"),
    ]);
    for (k, v) in headers {
        api = api.header(*k, *v);
        form = form.header(*k, *v);
    }
    (api.send().await.unwrap(), form.send().await.unwrap())
}

#[tokio::test]
async fn sign_in_from_another_site_is_refused() {
    let app = spawn_app().await;
    app.create_org("acme", "owner@acme.test").await;
    for headers in [
        vec![("Origin", "https://evil.example")],
        vec![("Sec-Fetch-Site", "cross-site")],
        vec![("Sec-Fetch-Site", "cross-site"), ("Origin", app.base_url.as_str())],
        vec![("Origin", "null")],
    ] {
        let (api, form) = sign_in_with(&app, &headers).await;
        assert_eq!(api.status(), StatusCode::FORBIDDEN, "{headers:?}");
        assert!(api.headers().get("set-cookie").is_none(), "{headers:?}: no session");
        assert_eq!(api.headers()["content-type"], "application/problem+json");
        let body: serde_json::Value = api.json().await.unwrap();
        assert_eq!(body["status"], 403);
        assert_eq!(form.status(), StatusCode::FORBIDDEN, "{headers:?}");
        assert!(form.headers().get("set-cookie").is_none(), "{headers:?}: no session");
        assert!(form.text().await.unwrap().contains("This form has expired"));
    }
    app.finish().await;
}

#[tokio::test]
async fn sign_in_from_this_site_or_a_program_passes() {
    let app = spawn_app().await;
    app.create_org("acme", "owner@acme.test").await;
    let configured = app.app.config.base_url.clone();
    for headers in [
        vec![],
        vec![("Origin", app.base_url.as_str())],
        vec![("Origin", configured.as_str())],
        vec![("Sec-Fetch-Site", "same-origin"), ("Origin", app.base_url.as_str())],
        vec![("Sec-Fetch-Site", "none")],
    ] {
        let (api, form) = sign_in_with(&app, &headers).await;
        assert_eq!(api.status(), StatusCode::OK, "{headers:?}");
        assert_eq!(form.status(), StatusCode::SEE_OTHER, "{headers:?}");
    }
    app.finish().await;
}

#[tokio::test]
async fn names_with_direction_changing_characters_are_refused() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    let bob = app.add_member(&org, "bob@acme.test", "Bob").await;
    let s = app.login("owner@acme.test", PASSWORD).await;
    for name in ["Bob\u{202E}nimda", "Bo\u{200B}b"] {
        let (status, body) =
            s.send(Method::PATCH, &format!("/api/v1/orgs/acme/users/{bob}"), Some(json!({"name": name}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["errors"][0]["field"], "name", "{body}");
        assert!(
            body["errors"][0]["message"].as_str().unwrap().contains("invisible or direction-changing character"),
            "{body}"
        );
    }
    let (status, body) =
        s.send(Method::PATCH, &format!("/api/v1/orgs/acme/users/{bob}"), Some(json!({"name": "Bob"}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.finish().await;
}

#[tokio::test]
async fn role_descriptions_with_control_characters_are_refused() {
    let app = spawn_app().await;
    app.create_org("acme", "owner@acme.test").await;
    let s = app.login("owner@acme.test", PASSWORD).await;
    let refused = |status: StatusCode, body: &serde_json::Value| {
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["errors"][0]["field"], "description", "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("control character (U+0000)"), "{body}");
    };
    let (status, body) =
        s.post("/api/v1/orgs/acme/roles", json!({"name": "Auditor", "description": "Reads\u{0}history"})).await;
    refused(status, &body);
    let (status, role) =
        s.post("/api/v1/orgs/acme/roles", json!({"name": "Auditor", "description": "Reads history"})).await;
    assert_eq!(status, StatusCode::CREATED, "{role}");
    let path = format!("/api/v1/orgs/acme/roles/{}", role["id"].as_str().unwrap());
    let (status, body) = s.send(Method::PATCH, &path, Some(json!({"description": "Reads\u{0}history"}))).await;
    refused(status, &body);
    // A description may run over several lines.
    let (status, body) =
        s.send(Method::PATCH, &path, Some(json!({"description": "Reads history,\nand the outbox"}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["description"], "Reads history,\nand the outbox", "{body}");
    app.finish().await;
}

#[tokio::test]
async fn pages_and_api_answers_are_not_cached_and_scripts_are_not_inline() {
    let app = spawn_app().await;
    app.create_org("acme", "owner@acme.test").await;
    let (c, _) = app.sign_in_form("owner@acme.test").await;
    let base = &app.base_url;
    for (who, path) in [
        ("anyone", "/login"),
        ("anyone", "/set-password?token=abc"),
        ("signed-in", "/orgs/acme/settings/users"),
        ("signed-in", "/orgs/acme/settings/roles"),
        ("signed-in", "/api/v1/me"),
        ("signed-in", "/api/v1/orgs/acme/users"),
    ] {
        let client = if who == "anyone" { client() } else { c.clone() };
        let r = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
        let csp = r.headers()["content-security-policy"].to_str().unwrap();
        let script_src = csp.split(';').map(str::trim).find(|d| d.starts_with("script-src")).unwrap();
        assert_eq!(script_src, "script-src 'self'", "{path}: {csp}");
        assert!(r.headers().get("strict-transport-security").is_none(), "{path}: plain http sends no HSTS");
        if path.starts_with("/api/") {
            continue;
        }
        // The pages' HTML has no inline script or event handler the policy would block.
        let html = r.text().await.unwrap();
        for tag in html.split("<script").skip(1) {
            assert!(tag.split('>').next().unwrap().contains("src="), "{path}: an inline script");
        }
        assert!(!html.split_whitespace().any(|w| w.starts_with("on") && w.contains("=\"")), "{path}: an on…= handler");
    }
    // The static assets stay cacheable.
    let r = c.get(format!("{base}/assets/roster.js")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_ne!(r.headers()["cache-control"], "no-store");
    app.finish().await;
}

#[tokio::test]
async fn hsts_is_sent_when_the_public_url_is_https() {
    let app = spawn_app().await;
    let mut https = app.app.clone();
    https.config =
        Arc::new(roster_app::Config { base_url: "https://roster.example.com".into(), ..(*app.app.config).clone() });
    let router = roster_web::router(roster_web::AppState::new(https));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap();
    });
    let r = client().get(format!("http://{addr}/login")).send().await.unwrap();
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000; includeSubDomains");
    let r = client().get(format!("{}/login", app.base_url)).send().await.unwrap();
    assert!(r.headers().get("strict-transport-security").is_none());
    app.finish().await;
}

#[tokio::test]
async fn slug_availability_is_told_only_to_those_who_may_create_organizations() {
    let app = spawn_app().await;
    app.create_org("acme", "owner@acme.test").await;
    let create = |slug: &str| json!({"name": "Probe", "slug": slug});
    let url = format!("{}/api/v1/orgs", app.base_url);
    // Signed out: the same 401 for a taken slug and a free one.
    let mut answers = vec![];
    for slug in ["acme", "free-slug"] {
        let r = client().post(&url).json(&create(slug)).send().await.unwrap();
        answers.push((r.status(), r.text().await.unwrap()));
    }
    assert_eq!(answers[0].0, StatusCode::UNAUTHORIZED);
    assert_eq!(answers[0], answers[1], "a taken slug and a free one look the same to a stranger");
    // With a session cookie but no CSRF token (a cross-site form): the same 403.
    let s = app.login("owner@acme.test", PASSWORD).await;
    let mut answers = vec![];
    for slug in ["acme", "free-slug"] {
        let r = s.client.post(&url).json(&create(slug)).send().await.unwrap();
        answers.push((r.status(), r.text().await.unwrap()));
    }
    assert_eq!(answers[0].0, StatusCode::FORBIDDEN);
    assert_eq!(answers[0], answers[1]);
    // Signed in properly, a taken slug is a conflict.
    let (status, body) = s.post("/api/v1/orgs", create("acme")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = s.post("/api/v1/orgs", create("free-slug")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.finish().await;
}
