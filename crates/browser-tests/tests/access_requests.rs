//! Access requests end to end in headless Chromium. The owner turns Acme's
//! join link on; Nina, who has no account, opens the link, is sent to sign
//! in, creates an account, confirms it from the link in the outbox, lands
//! back on the join link and asks with a message. The owner sees the badge
//! on the Access Requests tab, approves Nina with a role; Nina signs in and
//! lands in Acme. Then the tab on a phone. Screenshots land in
//! `artifacts/screenshots/` (80–89).

use roster_browser_tests::{Browser, Options, Viewport};
use roster_testkit::{PASSWORD, TestApp, spawn_app};

const OWNER: &str = "owner@acme.test";
const NINA: &str = "nina.novak@example.test";
const NINA_PASSWORD: &str = "a long passphrase of five words";
const USERS: &str = "/orgs/acme/settings/users";
const TAB: &str = "/orgs/acme/settings/access-requests";

async fn sign_in(b: &Browser, email: &str, password: &str) {
    b.goto("/login").await;
    b.fill("#email", email).await;
    b.fill("#password", password).await;
    b.click("#sign-in").await;
    b.wait_path("signed in", |p| !p.starts_with("/login")).await;
}

async fn sign_out(b: &Browser) {
    b.goto("/requests").await;
    b.click("#sign-out").await;
    b.wait_path("the sign-in page", |p| p.starts_with("/login")).await;
}

async fn no_sideways_scroll(b: &Browser, what: &str) {
    let overflow = b.eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth").await;
    assert_eq!(overflow.as_i64(), Some(0), "nothing sticks out sideways on a phone: {what}");
}

/// The path of the sign-up link mailed to `email`, read from the outbox as
/// the operator sees it (the letter is written just after the answer).
async fn signup_link(app: &TestApp, email: &str) -> String {
    for _ in 0..100 {
        let messages = roster_app::outbox::list(&app.app, &roster_app::Actor::Cli, None).await.expect("outbox");
        if let Some(m) = messages.iter().find(|m| m.to == email) {
            let link = m.text.split_whitespace().find(|w| w.contains("/signup/confirm?token=")).expect("a link");
            return link.trim_start_matches(&app.app.config.base_url).to_string();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no sign-up letter to {email}");
}

#[tokio::test]
async fn ask_to_join_then_approve_in_chromium() {
    let app = spawn_app().await;
    app.create_org("acme", OWNER).await;
    app.create_org("benco", "ben@example.test").await;
    let Some(mut b) = Browser::start(&app.base_url, Options::default()).await else {
        app.finish().await;
        return;
    };
    // The owner turns the join link on from the Access Requests tab.
    sign_in(&b, OWNER, PASSWORD).await;
    b.click(&format!("nav.tabs a[href=\"{TAB}\"]")).await;
    b.wait_path("the Access Requests tab", |p| p == TAB).await;
    b.find("#no-pending").await;
    b.click("#join_link_enabled").await;
    b.fill("#email_domains", "acme.test").await;
    b.click("#save-settings").await;
    b.wait_text(".flash-ok", "the settings saved", |t| t.contains("The join link is on")).await;
    let link = b.eval("return document.querySelector('#join-link-url').value").await;
    let link = link.as_str().expect("the join link").trim_start_matches(&app.base_url).to_string();
    assert!(link.starts_with("/join/acme?code="), "{link}");
    b.screenshot("80-access-requests-join-link").await;

    sign_out(&b).await;

    // Nina opens the link signed out: sign in, or create an account.
    b.goto(&link).await;
    b.wait_path("the sign-in page", |p| p.starts_with("/login?next=")).await;
    b.click("#create-account").await;
    b.wait_path("the sign-up page", |p| p.starts_with("/signup")).await;
    b.fill("#email", NINA).await;
    b.fill("#name", "Nina Novak").await;
    b.fill("#password", "too short").await;
    b.click("#sign-up").await;
    b.wait_text("#password-error", "the password refused", |t| !t.is_empty()).await;
    let kept = b.eval("return document.querySelector('#email').value").await;
    assert_eq!(kept.as_str(), Some(NINA), "the address is kept");
    b.screenshot("81-signup-error").await;
    b.fill("#password", NINA_PASSWORD).await;
    b.click("#sign-up").await;
    b.wait_text("h1", "the answer", |t| t.contains("Check your email")).await;

    // The link from the outbox: a button, then signed in and back on the join link.
    let confirm = signup_link(&app, NINA).await;
    b.goto(&confirm).await;
    b.find("#confirm").await;
    b.screenshot("82-signup-confirm").await;
    b.click("#confirm").await;
    b.wait_path("the join page", |p| p.starts_with("/join/acme")).await;
    b.wait_text("#flash", "the welcome", |t| t.contains("Welcome to Roster, Nina Novak")).await;
    b.fill("#message", "I joined the Oslo office this week.").await;
    b.screenshot("83-join-page").await;
    b.click("#ask").await;
    b.wait_text("#join-standing", "the pending request", |t| t.contains("You asked to join")).await;
    b.screenshot("84-join-pending").await;

    // Ben asks too (through the service), so that one stays pending.
    let (ben, _) = roster_app::auth::login(&app.app, "ben@example.test", PASSWORD, &Default::default())
        .await
        .expect("Ben signs in");
    let code = link.split("code=").nth(1).expect("a code");
    roster_app::access_requests::create(&app.app, &ben, "acme", Some(code), "Ben from sales", &Default::default())
        .await
        .expect("Ben asks");
    sign_out(&b).await;

    // The owner sees the badge, and approves Nina with Billing Manager beside the default role.
    sign_in(&b, OWNER, PASSWORD).await;
    b.wait_path("the Users page", |p| p.starts_with(USERS)).await;
    let badge = b.text(&format!("nav.tabs a[href=\"{TAB}\"] .tab-badge")).await;
    assert_eq!(badge.as_deref(), Some("2"), "two requests wait");
    let fits = b.eval("var t = document.querySelector('nav.tabs'); return t.scrollWidth <= t.clientWidth").await;
    assert_eq!(fits.as_bool(), Some(true), "every tab, the badge too, fits a laptop's width");
    b.click(&format!("nav.tabs a[href=\"{TAB}\"]")).await;
    b.wait_path("the Access Requests tab", |p| p == TAB).await;
    b.find(&format!("tr[data-email=\"{NINA}\"]")).await;
    b.screenshot("85-access-requests-pending").await;
    b.click(&format!("tr[data-email=\"{NINA}\"] a[data-action=approve]")).await;
    b.wait_path("the approve form", |p| p.ends_with("/approve")).await;
    b.eval(
        "[...document.querySelectorAll('.role-choice')].find(l => l.textContent.includes('Billing Manager')).querySelector('input').click(); return true",
    )
    .await;
    b.screenshot("86-approve-form").await;
    b.click("#approve").await;
    b.wait_text(".flash-ok", "the approval", |t| t.contains("Nina Novak is a member now")).await;
    let badge = b.text(&format!("nav.tabs a[href=\"{TAB}\"] .tab-badge")).await;
    assert_eq!(badge.as_deref(), Some("1"), "one left");
    let decision = b.text(&format!("#recent-requests tr[data-email=\"{NINA}\"]")).await.unwrap_or_default();
    assert!(decision.contains("Approved") && decision.contains(OWNER), "{decision}");
    b.screenshot("87-access-requests-processed").await;

    // On a phone: the rows stack as labelled cards.
    b.set_viewport(Viewport::PHONE).await;
    b.goto(TAB).await;
    b.find("#pending-requests").await;
    no_sideways_scroll(&b, TAB).await;
    b.screenshot("88-phone-access-requests").await;
    b.set_viewport(Viewport::LAPTOP).await;
    sign_out(&b).await;

    // Nina signs in and lands in Acme.
    sign_in(&b, NINA, NINA_PASSWORD).await;
    b.wait_path("Acme's Users page", |p| p.starts_with(USERS)).await;
    b.goto("/requests").await;
    b.wait_text("#my-requests tr[data-status=approved]", "her approved request", |t| t.contains("Org acme")).await;
    b.screenshot("89-my-requests").await;
    b.finish().await;
    app.finish().await;
}
