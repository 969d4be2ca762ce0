//! Sessions and History end to end in headless Chromium. Ann signs in from
//! two devices in Berlin and Lisbon (a GeoIP fixture and a trusted proxy's
//! `X-Forwarded-For`); the owner sees both on the Active Sessions tab, logs
//! one out through the confirm step (Ann's next request with it is
//! refused), finds it on the Session History tab with who revoked it,
//! reads the History tab in words, filters the Users tab to members who
//! never signed in, and looks at the tabs on a phone. Screenshots land in
//! `artifacts/screenshots/` (61–69).

use reqwest::StatusCode;
use roster_browser_tests::{Browser, Options, Viewport};
use roster_testkit::{PASSWORD, TestApp, spawn_app_with_geoip};
use serde_json::json;

const OWNER: &str = "owner@acme.test";
const USERS: &str = "/orgs/acme/settings/users";
const ACTIVE: &str = "/orgs/acme/settings/sessions";
const ENDED: &str = "/orgs/acme/settings/session-history";
const HISTORY: &str = "/orgs/acme/settings/history";
const CHROME: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
const SAFARI: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";

/// Signs `email` in over the API from `ip` with `user_agent`; answers the client holding the cookie.
async fn device(app: &TestApp, email: &str, user_agent: &str, ip: &str) -> reqwest::Client {
    let client = reqwest::Client::builder().cookie_store(true).user_agent(user_agent).build().unwrap();
    let r = client
        .post(format!("{}/api/v1/auth/login", app.base_url))
        .header("x-forwarded-for", ip)
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "sign-in of {email}");
    client
}

async fn me_status(app: &TestApp, c: &reqwest::Client) -> StatusCode {
    c.get(format!("{}/api/v1/me", app.base_url)).send().await.unwrap().status()
}

async fn no_sideways_scroll(b: &Browser, what: &str) {
    let overflow = b.eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth").await;
    assert_eq!(overflow.as_i64(), Some(0), "nothing sticks out sideways on a phone: {what}");
}

#[tokio::test]
async fn sessions_and_history_tabs_in_chromium() {
    let app = spawn_app_with_geoip().await;
    let acme = app.create_org("acme", OWNER).await;
    app.add_member(&acme, "ann@acme.test", "Ann Lee").await;
    app.add_member(&acme, "cal@acme.test", "Cal Moss").await;
    let laptop = device(&app, "ann@acme.test", CHROME, "203.0.113.7").await;
    let phone = device(&app, "ann@acme.test", SAFARI, "198.51.100.20").await;
    let Some(mut b) = Browser::start(&app.base_url, Options::default()).await else {
        app.finish().await;
        return;
    };
    b.goto("/login").await;
    b.fill("#email", OWNER).await;
    b.fill("#password", PASSWORD).await;
    b.click("#sign-in").await;
    b.wait_path("the Users page", |p| p.starts_with(USERS)).await;

    // Active Sessions: Ann's two devices, located, and the owner's own.
    b.goto(ACTIVE).await;
    let rows = b.eval("return document.querySelectorAll('#active-sessions tr.session-row').length").await;
    assert_eq!(rows.as_i64(), Some(3), "Ann's two sessions and the owner's");
    let located = b
        .eval("return [...document.querySelectorAll('#active-sessions td.location')].map(t => t.textContent).join('|')")
        .await;
    let located = located.as_str().unwrap_or_default().to_string();
    assert!(located.contains("Berlin, Germany") && located.contains("Lisbon, Portugal"), "{located}");
    b.screenshot("61-active-sessions").await;

    // Log out Ann's phone: the confirm step, then the phone is refused.
    b.click("tr.session-row[data-email=\"ann@acme.test\"] a[data-action=\"logout\"]").await;
    b.wait_path("the confirm step", |p| p.contains("/sessions/")).await;
    b.screenshot("62-session-logout-confirm").await;
    b.click("#confirm").await;
    b.wait_text(".flash-ok", "the session logged out", |t| !t.is_empty()).await;
    let refused = [me_status(&app, &laptop).await, me_status(&app, &phone).await];
    assert_eq!(
        refused.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count(),
        1,
        "exactly one of Ann's devices is logged out: {refused:?}"
    );
    let rows = b.eval("return document.querySelectorAll('#active-sessions tr.session-row').length").await;
    assert_eq!(rows.as_i64(), Some(2));

    // Session History: the ended session, with who ended it.
    b.goto(ENDED).await;
    let how = b.text("#session-history").await.unwrap_or_default();
    assert!(how.contains("Ann Lee") && how.contains("Revoked by"), "{how}");
    b.screenshot("63-session-history").await;

    // History: a change in words, then filtered to one member.
    b.goto(USERS).await;
    b.click("tr[data-email=\"cal@acme.test\"] [data-action=\"disable\"]").await;
    b.wait_text(".flash-ok", "the member disabled", |t| t.contains("disabled")).await;
    b.goto(HISTORY).await;
    let heads =
        b.eval("return [...document.querySelectorAll('#history th')].map(t => t.textContent.trim()).join(',')").await;
    assert_eq!(heads.as_str(), Some("Actor,Action,Context,Details,Date"), "seed 000's columns");
    let text = b.text("#history").await.unwrap_or_default();
    assert!(text.contains("Cal Moss") || text.contains("cal@acme.test"), "{text}");
    assert!(!text.contains("{\""), "details are words, not JSON: {text}");
    b.screenshot("64-history").await;

    // Dormant members: the Users tab's Activity filter.
    b.goto(&format!("{USERS}?activity=never")).await;
    let listed =
        b.eval("return [...document.querySelectorAll('tr[data-email]')].map(t => t.dataset.email).join(',')").await;
    assert_eq!(listed.as_str(), Some("cal@acme.test"), "only Cal never signed in");
    b.screenshot("65-users-never-signed-in").await;

    // On a phone: the tabs stay within the screen.
    b.set_viewport(Viewport::PHONE).await;
    for (path, shot) in
        [(ACTIVE, "66-phone-active-sessions"), (ENDED, "67-phone-session-history"), (HISTORY, "68-phone-history")]
    {
        b.goto(path).await;
        no_sideways_scroll(&b, path).await;
        let shown = b
            .eval("var t = document.querySelector('nav.tabs [aria-current=page]').getBoundingClientRect(); return t.left >= 0 && t.right <= window.innerWidth")
            .await;
        assert_eq!(shown.as_bool(), Some(true), "the current tab is scrolled into view on {path}");
        b.screenshot(shot).await;
    }
    b.finish().await;
    app.finish().await;
}
