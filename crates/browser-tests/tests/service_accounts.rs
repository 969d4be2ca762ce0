//! The Service Accounts tab end to end in headless Chromium (seed 001). The
//! owner opens the tab (every tab still fits a laptop's width), creates
//! `ci-deploy` with a role through the form, makes a token: it is shown
//! once with a copy button, works as a bearer token, and is never shown
//! again: the account's page holds its prefix only. Revoking it
//! through the confirm step stops it. Then the tab and the account on a
//! phone, and the token page without JavaScript (the field is selectable).
//! Screenshots land in `artifacts/screenshots/` (90–97).

use roster_browser_tests::{Browser, Options, Viewport};
use roster_testkit::{PASSWORD, TestApp, spawn_app};

const OWNER: &str = "owner@acme.test";
const TAB: &str = "/orgs/acme/settings/service-accounts";

async fn sign_in(b: &Browser, email: &str, password: &str) {
    b.goto("/login").await;
    b.fill("#email", email).await;
    b.fill("#password", password).await;
    b.click("#sign-in").await;
    b.wait_path("signed in", |p| !p.starts_with("/login")).await;
}

async fn no_sideways_scroll(b: &Browser, what: &str) {
    let overflow = b.eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth").await;
    assert_eq!(overflow.as_i64(), Some(0), "nothing sticks out sideways on a phone: {what}");
}

/// The status of `GET /api/v1/orgs/acme/users` with only this bearer token.
async fn bearer_status(app: &TestApp, token: &str) -> u16 {
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/orgs/acme/users", app.base_url))
        .bearer_auth(token)
        .send()
        .await
        .expect("the API answers");
    r.status().as_u16()
}

#[tokio::test]
async fn service_accounts_and_a_token_shown_once_in_chromium() {
    let app = spawn_app().await;
    app.create_org_with_preset("acme", OWNER, "owner-admin-user").await;
    let Some(mut b) = Browser::start(&app.base_url, Options::default()).await else {
        app.finish().await;
        return;
    };
    sign_in(&b, OWNER, PASSWORD).await;
    let fits = b.eval("var t = document.querySelector('nav.tabs'); return t.scrollWidth <= t.clientWidth").await;
    assert_eq!(fits.as_bool(), Some(true), "every tab, Service Accounts too, fits a laptop's width");
    b.click(&format!("nav.tabs a[href=\"{TAB}\"]")).await;
    b.wait_path("the Service Accounts tab", |p| p == TAB).await;
    b.find("#no-service-accounts").await;
    b.screenshot("90-service-accounts-empty").await;

    // Create ci-deploy with the Admin role; a missing name is said beside it first.
    b.click("#new-service-account").await;
    b.wait_path("the form", |p| p.ends_with("/new")).await;
    b.fill("#sa-description", "Deploys from GitHub Actions").await;
    b.eval(
        "[...document.querySelectorAll('.role-choice')].find(l => l.textContent.includes('Admin')).querySelector('input').click(); return true",
    )
    .await;
    b.click("#save").await;
    b.wait_text("#name-error", "the name refused", |t| !t.is_empty()).await;
    let kept = b.eval("return document.querySelector('#sa-description').value").await;
    assert_eq!(kept.as_str(), Some("Deploys from GitHub Actions"), "the description is kept");
    b.screenshot("91-service-account-form-error").await;
    b.fill("#sa-name", "ci-deploy").await;
    b.click("#save").await;
    b.wait_text(".flash-ok", "created", |t| t.contains("Service account ci-deploy created")).await;

    // A token: shown once, with the warning and a copy button.
    b.click("#new-token").await;
    b.wait_path("the token form", |p| p.ends_with("/tokens/new")).await;
    b.fill("#token-name", "github-actions").await;
    b.select("#token-lifetime", "30").await;
    b.screenshot("92-new-token-form").await;
    b.click("#make-token").await;
    b.wait_text("#token-warning", "the warning", |t| t.contains("shown only this once")).await;
    let token = b.eval("return document.querySelector('#token-value').value").await;
    let token = token.as_str().expect("the token").to_string();
    assert!(token.starts_with("roster_") && token.len() == 56, "{token}");
    let copy_shown = b.eval("return !document.querySelector('#copy-token').hidden").await;
    assert_eq!(copy_shown.as_bool(), Some(true), "the copy button shows with JavaScript");
    b.click("#copy-token").await;
    b.screenshot("93-token-shown-once").await;
    assert_eq!(bearer_status(&app, &token).await, 200, "the token works");

    // Never again: the account's page shows its prefix only.
    b.click("#done").await;
    b.wait_path("the account's page", |p| p.starts_with(TAB) && !p.ends_with("/tokens/new")).await;
    b.find("#tokens tr[data-state=live]").await;
    let html = b.eval("return document.documentElement.outerHTML").await;
    let html = html.as_str().unwrap_or_default();
    assert!(!html.contains(&token[13..]), "the token's secret is not on the account's page");
    assert!(html.contains(&token[..13]), "its prefix is");
    b.screenshot("94-service-account-tokens").await;
    let account_path = b.path().await;

    // The tab lists it with its role, status and live token.
    b.goto(TAB).await;
    let row = b.text("tr[data-name=ci-deploy]").await.unwrap_or_default();
    assert!(row.contains("Admin") && row.contains("Active") && row.contains("1 live"), "{row}");
    b.screenshot("95-service-accounts-tab").await;

    // Revoke through the confirm step: the token stops.
    b.goto(&account_path).await;
    b.click("#tokens a[data-action=revoke]").await;
    b.wait_path("the confirm step", |p| p.ends_with("/revoke")).await;
    b.click("#confirm").await;
    b.wait_text(".flash-ok", "revoked", |t| t.contains("is revoked")).await;
    b.find("#tokens tr[data-state=revoked]").await;
    assert_eq!(bearer_status(&app, &token).await, 401, "a revoked token is refused");

    // On a phone: rows stack as labelled cards, nothing sticks out.
    b.set_viewport(Viewport::PHONE).await;
    b.goto(TAB).await;
    b.find("#service-accounts").await;
    no_sideways_scroll(&b, TAB).await;
    b.screenshot("96-phone-service-accounts").await;
    b.goto(&account_path).await;
    b.find("#tokens").await;
    no_sideways_scroll(&b, &account_path).await;
    b.screenshot("97-phone-service-account").await;
    b.set_viewport(Viewport::LAPTOP).await;
    b.finish().await;
    app.finish().await;
}

#[tokio::test]
async fn the_token_page_works_without_javascript() {
    let app = spawn_app().await;
    app.create_org("acme", OWNER).await;
    let options = Options { javascript: false, screenshots: false };
    let Some(b) = Browser::start(&app.base_url, options).await else {
        app.finish().await;
        return;
    };
    sign_in(&b, OWNER, PASSWORD).await;
    b.goto(&format!("{TAB}/new")).await;
    b.fill("#sa-name", "nightly-export").await;
    b.click("#save").await;
    b.wait_text(".flash-ok", "created", |t| t.contains("nightly-export")).await;
    b.click("#new-token").await;
    b.wait_path("the token form", |p| p.ends_with("/tokens/new")).await;
    b.fill("#token-name", "cron").await;
    b.click("#make-token").await;
    b.find("#token-value").await;
    let value = b.eval("return document.querySelector('#token-value').value").await;
    assert!(value.as_str().unwrap_or_default().starts_with("roster_"));
    let hidden = b.eval("return document.querySelector('#copy-token').hidden").await;
    assert_eq!(hidden.as_bool(), Some(true), "no copy button that cannot work");
    let readonly = b.eval("return document.querySelector('#token-value').readOnly").await;
    assert_eq!(readonly.as_bool(), Some(true), "read-only, selectable");
    b.finish().await;
    app.finish().await;
}
