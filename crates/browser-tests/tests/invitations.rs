//! Invitations and the account lifecycle end to end in headless Chromium.
//! The owner invites one person with "+ Invite User" and several with the
//! multi-row form (one row wrong first, kept as typed), sees them on the
//! Invitations tab, and the invitee follows the link that arrived through a
//! real SMTP server on 127.0.0.1, chooses a password, lands in the
//! organization, signs out and signs in again. Then the password reset:
//! "Forgot password?" from the sign-in page, and an administrator's "Send
//! reset link", each followed from the mail to a new password. Screenshots
//! land in `artifacts/screenshots/` (30–5x), on a laptop and a phone.

use roster_browser_tests::{Browser, Options, Viewport};
use roster_testkit::smtp::SmtpServer;
use roster_testkit::{PASSWORD, TestApp, spawn_app};

const OWNER: &str = "owner@acme.test";
const USERS: &str = "/orgs/acme/settings/users";
const INVITATIONS: &str = "/orgs/acme/settings/invitations";
const NEW_PASSWORD: &str = "a long passphrase of several words";

/// The path of the newest invitation link mailed to `email`, read from the
/// outbox as the operator sees it.
async fn mailed_link(app: &TestApp, email: &str) -> String {
    let messages = roster_app::outbox::list(&app.app, &roster_app::Actor::Cli, None).await.expect("outbox");
    let m = messages.iter().find(|m| m.to == email).unwrap_or_else(|| panic!("no message to {email}"));
    let link = m.text.split_whitespace().find(|w| w.contains("/invite/")).expect("a link in the message");
    link.trim_start_matches(&app.app.config.base_url).to_string()
}

/// The path of the link in the newest mail to `email` that arrived at the
/// SMTP server.
async fn received_link(app: &TestApp, smtp: &SmtpServer, email: &str) -> String {
    let mail = smtp.wait_for(email).await;
    let link = mail.first_link().unwrap_or_else(|| panic!("a link in the mail to {email}: {}", mail.text));
    assert!(link.starts_with(&app.base_url), "links come from the public URL: {link}");
    link.trim_start_matches(&app.base_url).to_string()
}

async fn sign_in(b: &Browser, email: &str, password: &str) {
    b.goto("/login").await;
    b.fill("#email", email).await;
    b.fill("#password", password).await;
    b.click("#sign-in").await;
    b.wait_path("the Users page", |p| p.starts_with(USERS)).await;
}

async fn sign_out(b: &Browser) {
    b.goto(USERS).await;
    b.click("#sign-out").await;
    b.wait_path("the sign-in page", |p| p.starts_with("/login")).await;
}

async fn no_sideways_scroll(b: &Browser, what: &str) {
    let overflow = b.eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth").await;
    assert_eq!(overflow.as_i64(), Some(0), "nothing sticks out sideways on a phone: {what}");
}

#[tokio::test]
async fn invite_then_accept_in_chromium() {
    let Some(smtp) = SmtpServer::start() else { return };
    let app = spawn_app().await;
    app.create_org("acme", OWNER).await;
    let Some(mut b) = Browser::start(&app.base_url, Options::default()).await else {
        app.finish().await;
        return;
    };
    app.start_mail_worker(&smtp);
    sign_in(&b, OWNER, PASSWORD).await;

    // "+ Invite User": one person, with the default role.
    b.click("#invite-user").await;
    b.wait_path("the invite form", |p| p.ends_with("/users/invite")).await;
    b.fill("#first_name", "Nina").await;
    b.fill("#last_name", "Novak").await;
    b.fill("#email", "nina.novak@example.test").await;
    b.screenshot("30-invite-form").await;
    b.click("#send-invite").await;
    b.wait_text(".flash-ok", "the invitation sent", |t| t.contains("Invited nina.novak@example.test")).await;
    let status = b.eval("var r = document.querySelector('tr[data-email=\"nina.novak@example.test\"] .status'); return r && r.textContent").await;
    assert_eq!(status.as_str(), Some("Invited"), "the Users list shows her as invited");
    b.screenshot("31-users-with-invited").await;

    // The multi-row form: one bad row, then fixed.
    b.goto(&format!("{USERS}/invite-many")).await;
    b.select("#rows", "3").await;
    b.click("#generate-rows").await;
    b.find("input[name=email_2]").await;
    b.fill("input[name=first_name_0]", "Omar").await;
    b.fill("input[name=email_0]", "omar@example.test").await;
    b.fill("input[name=first_name_1]", "Pia").await;
    b.fill("input[name=email_1]", "pia-at-example").await;
    b.fill("input[name=first_name_2]", "Quinn").await;
    b.fill("input[name=email_2]", "quinn@example.test").await;
    b.click("#create-users").await;
    b.wait_text("#row-1-error", "the bad row's reason", |t| t.contains("Row 2")).await;
    let kept = b.find("input[name=email_2]").await.prop("value").await.ok().flatten();
    assert_eq!(kept.as_deref(), Some("quinn@example.test"), "the good rows are kept");
    b.screenshot("32-invite-many-one-bad-row").await;
    b.fill("input[name=email_1]", "pia@example.test").await;
    b.click("#create-users").await;
    b.wait_text("#result-title", "the outcome", |t| t.contains("3 users invited")).await;
    b.screenshot("33-invite-many-result").await;

    // The Invitations tab lists them with inviter and expiry.
    b.goto(INVITATIONS).await;
    b.wait_text(".badges", "four pending", |t| t.contains("4 Pending")).await;
    b.screenshot("34-invitations").await;
    b.goto(&format!("{INVITATIONS}/bulk?action=resend")).await;
    b.wait_text("#confirm-title", "the count", |t| t.contains("4 invitations")).await;
    b.screenshot("35-invitations-resend-all-confirm").await;

    // Phone layouts.
    b.set_viewport(Viewport::PHONE).await;
    for (path, shot) in [
        (format!("{USERS}/invite"), "36-phone-invite-form"),
        (format!("{USERS}/invite-many?rows=2"), "37-phone-invite-many"),
        (INVITATIONS.to_string(), "38-phone-invitations"),
    ] {
        b.goto(&path).await;
        b.find("main").await;
        no_sideways_scroll(&b, &path).await;
        b.screenshot(shot).await;
    }
    b.set_viewport(Viewport::LAPTOP).await;
    sign_out(&b).await;

    // Nina follows the link that arrived by mail, chooses a password and lands in Acme.
    let link = received_link(&app, &smtp, "nina.novak@example.test").await;
    assert_eq!(link, mailed_link(&app, "nina.novak@example.test").await, "the Outbox shows the link that was sent");
    b.goto(&link).await;
    b.wait_text("h1", "the invitation", |t| t.contains("Join Org acme")).await;
    b.screenshot("39-accept").await;
    b.fill("#password", "short").await;
    b.click("#accept").await;
    b.wait_text("#password-error", "the password rule", |t| t.contains("at least")).await;
    b.screenshot("40-accept-short-password").await;
    b.fill("#password", NEW_PASSWORD).await;
    b.click("#accept").await;
    b.wait_path("the organization", |p| p.starts_with(USERS)).await;
    b.wait_text(".flash-ok", "the welcome", |t| t.contains("Welcome to Org acme")).await;
    b.screenshot("41-accepted").await;
    b.set_viewport(Viewport::PHONE).await;
    b.goto(&mailed_link(&app, "omar@example.test").await).await;
    b.find("#accept").await;
    no_sideways_scroll(&b, "the accept page").await;
    b.screenshot("42-phone-accept").await;
    b.set_viewport(Viewport::LAPTOP).await;

    // The used link is dead; she signs in with her new password.
    b.goto(&link).await;
    b.wait_text("h1", "the plain refusal", |t| t.contains("Invalid link")).await;
    b.screenshot("43-used-link").await;
    sign_out(&b).await;
    sign_in(&b, "nina.novak@example.test", NEW_PASSWORD).await;
    b.finish().await;
    app.finish().await;
}

#[tokio::test]
async fn forgot_password_and_an_administrators_reset_link_in_chromium() {
    let Some(smtp) = SmtpServer::start() else { return };
    let app = spawn_app().await;
    let org = app.create_org("acme", OWNER).await;
    app.add_member(&org, "ann@example.test", "Ann Lee").await;
    let Some(mut b) = Browser::start(&app.base_url, Options::default()).await else {
        app.finish().await;
        return;
    };
    app.start_mail_worker(&smtp);

    // "Forgot password?" from the sign-in page.
    b.goto("/login").await;
    b.click("#forgot").await;
    b.wait_path("the forgot-password page", |p| p == "/forgot-password").await;
    b.fill("#email", "ann@example.test").await;
    b.screenshot("50-forgot-password").await;
    b.click("#send-link").await;
    b.wait_text("h1", "the same answer for everyone", |t| t.contains("Check your email")).await;
    b.screenshot("51-forgot-password-sent").await;
    let link = received_link(&app, &smtp, "ann@example.test").await;
    b.goto(&link).await;
    b.wait_text("h1", "the set-password page", |t| t.contains("Choose your password")).await;
    b.fill("input[name=password]", NEW_PASSWORD).await;
    b.screenshot("52-reset-choose-password").await;
    b.click("button[type=submit]").await;
    b.wait_text("h1", "the password set", |t| t.contains("Password set")).await;
    sign_in(&b, "ann@example.test", NEW_PASSWORD).await;
    sign_out(&b).await;

    // The owner sends Ann a reset link from her row; she never sees it.
    sign_in(&b, OWNER, PASSWORD).await;
    b.goto(&format!("{USERS}?q=ann")).await;
    b.click("tr[data-email=\"ann@example.test\"] button[data-action=send-reset-link]").await;
    b.wait_text(".flash-ok", "the link sent", |t| t.contains("on its way")).await;
    b.screenshot("53-admin-sent-reset-link").await;
    b.set_viewport(Viewport::PHONE).await;
    b.goto("/forgot-password").await;
    b.find("#send-link").await;
    no_sideways_scroll(&b, "the forgot-password page").await;
    b.screenshot("54-phone-forgot-password").await;
    b.set_viewport(Viewport::LAPTOP).await;
    sign_out(&b).await;
    smtp.wait_for("ann@example.test").await;
    let mut waited = 0;
    let link = loop {
        // The second mail to Ann (the first was her own request).
        waited += 1;
        assert!(waited < 200, "the administrator's reset link reached the SMTP server");
        let links: Vec<String> = smtp
            .received()
            .into_iter()
            .filter(|m| m.to.contains("ann@example.test"))
            .filter_map(|m| m.first_link())
            .collect();
        if links.len() >= 2 {
            break links.last().unwrap().trim_start_matches(&app.base_url).to_string();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    b.goto(&link).await;
    b.fill("input[name=password]", "another long passphrase, chosen by Ann").await;
    b.click("button[type=submit]").await;
    b.wait_text("h1", "the password set", |t| t.contains("Password set")).await;
    sign_in(&b, "ann@example.test", "another long passphrase, chosen by Ann").await;

    // My Sessions: this browser's session, and the ones the resets ended.
    b.goto("/orgs/acme/settings/my-sessions").await;
    b.find("#active-sessions").await;
    b.wait_text("#active-sessions", "this device", |t| t.contains("This device")).await;
    b.screenshot("59-my-sessions").await;
    b.set_viewport(Viewport::PHONE).await;
    b.goto("/orgs/acme/settings/my-sessions").await;
    b.find("#active-sessions").await;
    no_sideways_scroll(&b, "My Sessions").await;
    b.screenshot("60-phone-my-sessions").await;
    b.set_viewport(Viewport::LAPTOP).await;

    // Ann changes her email from her profile: confirmed by the link sent to the new address.
    b.click("#profile-link").await;
    b.wait_path("the profile page", |p| p == "/profile").await;
    b.fill("#new-email", "ann.lee@example.test").await;
    b.fill("#current-password", "another long passphrase, chosen by Ann").await;
    b.screenshot("55-profile-change-email").await;
    b.click("#send-link").await;
    b.wait_text("#pending-change", "the pending change", |t| t.contains("ann.lee@example.test")).await;
    b.screenshot("56-profile-change-pending").await;
    let link = received_link(&app, &smtp, "ann.lee@example.test").await;
    b.goto(&link).await;
    b.wait_text("h1", "the confirm page", |t| t.contains("Confirm your new email address")).await;
    b.screenshot("57-confirm-email").await;
    b.click("#confirm").await;
    b.wait_text("#profile-email", "the new address", |t| t.contains("ann.lee@example.test")).await;
    b.screenshot("58-profile-email-changed").await;
    let told = b
        .poll_until(async || {
            let old = smtp.received().into_iter().filter(|m| m.to.contains("ann@example.test"));
            old.into_iter().any(|m| m.text.contains("ann.lee@example.test")).then_some(())
        })
        .await;
    assert!(told.is_some(), "the old address is told of the change");
    b.finish().await;
    app.finish().await;
}
