//! The pages of access requests without JavaScript: the Access Requests tab
//! (pending, recently processed, the badge), the approve and deny forms,
//! the join link's settings, the join page's states, "My access requests",
//! and the sign-up pages.

use reqwest::StatusCode;
use roster_testkit::{PASSWORD, TestApp, client, page, post_form, spawn_app, spawn_app_with};

const TAB: &str = "/orgs/acme/settings/access-requests";

/// Signs in through the form as someone who may not belong to `acme`;
/// answers the client and the CSRF token of their pages.
async fn sign_in(app: &TestApp, email: &str) -> (reqwest::Client, String) {
    let c = client();
    let r =
        post_form(&c, format!("{}/login", app.base_url), &[("email", email), ("password", PASSWORD), ("next", "/")])
            .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in as {email}");
    let (_, html) = page(&c, format!("{}/requests", app.base_url)).await;
    (c, csrf_in(&html))
}

fn csrf_in(html: &str) -> String {
    html.split("name=\"csrf_token\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("a CSRF token").into()
}

fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

/// Turns the join link on as the owner and answers its path (`/join/acme?code=…`).
async fn join_link(app: &TestApp, owner: &reqwest::Client, csrf: &str) -> String {
    let r = post_form(
        owner,
        format!("{}{TAB}/settings", app.base_url),
        &[("csrf_token", csrf), ("join_link_enabled", "on"), ("email_domains", "")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(owner, format!("{}{TAB}", app.base_url)).await;
    let link = html.split("id=\"join-link-url\" readonly value=\"").nth(1).and_then(|s| s.split('"').next());
    let link = link.expect("the join link is shown").replace("&amp;", "&").replace("&#x3d;", "=").replace("&#61;", "=");
    link.trim_start_matches(&app.base_url).to_string()
}

/// A person with an account who is not a member of `acme` (they own an
/// organization of their own), signed in.
async fn outsider(app: &TestApp, slug: &str, email: &str) -> (reqwest::Client, String) {
    app.create_org(slug, email).await;
    sign_in(app, email).await
}

/// Asks to join through the join page's form.
async fn ask(app: &TestApp, c: &reqwest::Client, csrf: &str, link: &str, message: &str) -> reqwest::Response {
    let code = link.split("code=").nth(1).unwrap_or_default();
    post_form(c, format!("{}/join/acme", app.base_url), &[("csrf_token", csrf), ("code", code), ("message", message)])
        .await
}

/// The id of the first pending request on the tab.
fn first_pending(html: &str) -> String {
    let id = html.split("id=\"pending-requests\"").nth(1).and_then(|s| s.split("data-request=\"").nth(1));
    id.and_then(|s| s.split('"').next()).expect("a pending request").to_string()
}

#[tokio::test]
async fn tab_lists_pending_and_recent_with_the_badge_and_approving_makes_an_active_member() {
    let app = spawn_app().await;
    app.create_org("acme", "owner@acme.test").await;
    let (owner, csrf) = app.sign_in_form("owner@acme.test").await;
    let base = app.base_url.clone();
    // No request yet: no badge on the tab.
    let (status, html) = page(&owner, format!("{base}{TAB}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Review and approve (or deny) pending requests"), "the intro of seed 000");
    assert!(html.contains("id=\"no-pending\""));
    assert!(!html.contains("class=\"tab-badge\" title"), "no badge at 0");
    let link = join_link(&app, &owner, &csrf).await;

    let (ann, ann_csrf) = outsider(&app, "annco", "ann.smith@example.test").await;
    let (ben, ben_csrf) = outsider(&app, "benco", "ben@example.test").await;
    assert_eq!(ask(&app, &ann, &ann_csrf, &link, "I run the Berlin office").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(ask(&app, &ben, &ben_csrf, &link, "").await.status(), StatusCode::SEE_OTHER);

    // The tab: both pending, the badge counts 2 on every page of the frame.
    let (_, html) = page(&owner, format!("{base}{TAB}")).await;
    assert!(html.contains("data-email=\"ann.smith@example.test\""));
    assert!(html.contains("I run the Berlin office"));
    assert!(html.contains("data-email=\"ben@example.test\""));
    assert!(html.contains("title=\"2 waiting for a decision\">2</span>"), "the tab's badge");
    let (_, users) = page(&owner, format!("{base}/orgs/acme/settings/users")).await;
    assert!(users.contains("Access Requests <span class=\"tab-badge\""), "the badge shows from every tab");
    let ann_id = first_pending(&html);

    // Approve Ann through the form with Billing Manager and no products.
    let (status, form) = page(&owner, format!("{base}{TAB}/{ann_id}/approve")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("I run the Berlin office"), "the request's summary");
    let before = &form[..form.find("<strong>Billing Manager</strong>").expect("Billing Manager offered")];
    let billing =
        before.rsplit("name=\"roles\" value=\"").next().and_then(|s| s.split('"').next()).unwrap().to_string();
    let r =
        post_form(&owner, format!("{base}{TAB}/{ann_id}/approve"), &[("csrf_token", &csrf), ("roles", &billing)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), TAB);
    let (_, html) = page(&owner, format!("{base}{TAB}")).await;
    assert!(html.contains("Ann Smith") || html.contains("ann.smith"), "{html}");
    assert!(html.contains("is a member now"), "the flash");
    assert!(html.contains("title=\"1 waiting for a decision\">1</span>"), "one left");
    let recent = html.split("id=\"recent-requests\"").nth(1).expect("recently processed");
    assert!(recent.contains("data-status=\"approved\""));
    assert!(recent.contains("owner@acme.test"), "by whom");
    assert!(recent.contains("Billing Manager"), "what the approval gave");

    // Ann is an active member at once, with the role.
    let (_, users) = page(&owner, format!("{base}/orgs/acme/settings/users?q=ann.smith")).await;
    assert!(users.contains("data-email=\"ann.smith@example.test\""));
    let (status, _) = page(&ann, format!("{base}/orgs/acme/settings/users")).await;
    assert_eq!(status, StatusCode::OK, "Ann is in");
    // Approving her request again: decided already, said on the form with 409.
    let r =
        post_form(&owner, format!("{base}{TAB}/{ann_id}/approve"), &[("csrf_token", &csrf), ("roles", &billing)]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("approved already"));
    app.finish().await;
}

#[tokio::test]
async fn deny_with_a_reason_and_the_requester_sees_it_and_the_cool_down() {
    let app = spawn_app().await;
    app.create_org("acme", "owner@acme.test").await;
    let (owner, csrf) = app.sign_in_form("owner@acme.test").await;
    let base = app.base_url.clone();
    let link = join_link(&app, &owner, &csrf).await;
    let (ann, ann_csrf) = outsider(&app, "annco", "ann@example.test").await;
    assert_eq!(ask(&app, &ann, &ann_csrf, &link, "Please").await.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&owner, format!("{base}{TAB}")).await;
    let id = first_pending(&html);

    let (status, form) = page(&owner, format!("{base}{TAB}/{id}/deny")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("id=\"reason\""));
    // A reason too long is refused beside the box, kept as typed.
    let long = "x".repeat(600);
    let r = post_form(&owner, format!("{base}{TAB}/{id}/deny"), &[("csrf_token", &csrf), ("reason", &long)]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"reason-error\""));
    assert!(html.contains(&long), "the reason is kept");
    let r = post_form(
        &owner,
        format!("{base}{TAB}/{id}/deny"),
        &[("csrf_token", &csrf), ("reason", "Contractors use the partner org")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&owner, format!("{base}{TAB}")).await;
    assert!(html.contains("Request denied"), "the flash");
    assert!(html.contains("id=\"no-pending\""));
    let recent = html.split("id=\"recent-requests\"").nth(1).expect("recently processed");
    assert!(recent.contains("data-status=\"denied\""));
    assert!(recent.contains("Contractors use the partner org"));

    // Ann: her requests say so, and the join page says when she may ask again.
    let (_, mine) = page(&ann, format!("{base}/requests")).await;
    assert!(mine.contains("data-status=\"denied\""));
    assert!(mine.contains("Contractors use the partner org"));
    let (status, join) = page(&ann, format!("{base}{link}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(join.contains("data-standing=\"cooling-down\""));
    assert!(join.contains("you may ask again from"));
    assert!(!join.contains("id=\"join-form\""));
    app.finish().await;
}

#[tokio::test]
async fn the_tab_is_for_those_who_may_see_requests() {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    app.add_member(&acme, "plain@acme.test", "Plain User").await;
    let base = app.base_url.clone();
    let (plain, _) = app.sign_in_form("plain@acme.test").await;
    let (_, users) = page(&plain, format!("{base}/orgs/acme/settings/users")).await;
    assert!(!users.contains(TAB), "no tab without access_requests:read");
    let (status, _) = page(&plain, format!("{base}{TAB}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (stranger, _) = outsider(&app, "elsewhere", "stranger@example.test").await;
    let (status, _) = page(&stranger, format!("{base}{TAB}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another organization's tab does not exist for them");
    // Signed out: to the sign-in page.
    let r = client().get(format!("{base}{TAB}")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).starts_with("/login?next="));
    app.finish().await;
}

#[tokio::test]
async fn join_link_settings_keep_bad_domains_beside_the_field_and_regenerate() {
    let app = spawn_app().await;
    app.create_org("acme", "owner@acme.test").await;
    let (owner, csrf) = app.sign_in_form("owner@acme.test").await;
    let base = app.base_url.clone();
    let r = post_form(
        &owner,
        format!("{base}{TAB}/settings"),
        &[("csrf_token", &csrf), ("join_link_enabled", "on"), ("email_domains", "acme.test, not a domain!")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"email_domains-error\""), "the error beside the field");
    assert!(html.contains("acme.test, not a domain!"), "kept as typed");
    let r = post_form(
        &owner,
        format!("{base}{TAB}/settings"),
        &[("csrf_token", &csrf), ("join_link_enabled", "on"), ("email_domains", "acme.test\nexample.org")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&owner, format!("{base}{TAB}")).await;
    assert!(html.contains("acme.test\nexample.org"), "the domains one a line");
    let old = join_link(&app, &owner, &csrf).await;
    // Regenerate: a confirm step, then a new link; the old one is a 404.
    let (status, confirm) = page(&owner, format!("{base}{TAB}/regenerate")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("stops working"));
    let r = post_form(&owner, format!("{base}{TAB}/regenerate"), &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let new = join_link(&app, &owner, &csrf).await;
    assert_ne!(old, new);
    let (ann, _) = outsider(&app, "annco", "ann@example.test").await;
    let (status, _) = page(&ann, format!("{base}{old}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the old link stops working");
    let (status, html) = page(&ann, format!("{base}{new}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"join-form\""));
    // Turning the link off: the link is not shown, and it answers 404.
    let r =
        post_form(&owner, format!("{base}{TAB}/settings"), &[("csrf_token", &csrf), ("email_domains", "acme.test")])
            .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&owner, format!("{base}{TAB}")).await;
    assert!(!html.contains("id=\"join-link-url\""));
    let (status, _) = page(&ann, format!("{base}{new}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.finish().await;
}

#[tokio::test]
async fn join_page_states_pending_withdraw_member_and_signed_out() {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    app.add_member(&acme, "member@acme.test", "Mem Ber").await;
    let (owner, csrf) = app.sign_in_form("owner@acme.test").await;
    let base = app.base_url.clone();
    let link = join_link(&app, &owner, &csrf).await;

    // Signed out: to sign in, coming back to the join link; sign-in offers sign-up.
    let r = client().get(format!("{base}{link}")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = location(&r);
    assert!(to.starts_with("/login?next=%2Fjoin%2Facme"), "{to}");
    let (_, login) = page(&client(), format!("{base}{to}")).await;
    assert!(login.contains("id=\"create-account\""), "Create an account is offered");
    assert!(login.contains("/signup?next=%2Fjoin%2Facme"), "and keeps where to go");

    // A wrong code is a 404, like an organization that does not exist.
    let (ann, ann_csrf) = outsider(&app, "annco", "ann@example.test").await;
    let (status, _) = page(&ann, format!("{base}/join/acme?code=00000000000000000000000000000000")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = page(&ann, format!("{base}/join/nope")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Can ask; a message too long is refused beside the box, kept as typed.
    let (status, html) = page(&ann, format!("{base}{link}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Join Org acme"));
    let long = "m".repeat(1001);
    let r = ask(&app, &ann, &ann_csrf, &link, &long).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"message-error\""));
    assert!(html.contains(&long));
    let r = ask(&app, &ann, &ann_csrf, &link, "Hello").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&ann, format!("{base}{}", location(&r))).await;
    assert!(html.contains("Your request is sent"), "the flash");
    assert!(html.contains("data-standing=\"pending\""));
    assert!(html.contains("You asked to join Org acme on"));
    // Asking again: 409, said on the page.
    let r = ask(&app, &ann, &ann_csrf, &link, "Again").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // My access requests lists it with Withdraw; withdrawing goes back where she was.
    let (_, mine) = page(&ann, format!("{base}/requests")).await;
    assert!(mine.contains("data-status=\"pending\""));
    let id = mine.split("data-request=\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_string();
    let r =
        post_form(&ann, format!("{base}/requests/{id}/withdraw"), &[("csrf_token", &ann_csrf), ("return_to", &link)])
            .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), link);
    let (_, html) = page(&ann, format!("{base}{link}")).await;
    assert!(html.contains("is withdrawn"));
    assert!(html.contains("id=\"join-form\""), "she may ask again");
    let (_, html) = page(&owner, format!("{base}{TAB}")).await;
    assert!(html.split("id=\"recent-requests\"").nth(1).unwrap().contains("data-status=\"withdrawn\""));

    // A member is told so, with a link in.
    let (mem, _) = app.sign_in_form("member@acme.test").await;
    let (_, html) = page(&mem, format!("{base}{link}")).await;
    assert!(html.contains("data-standing=\"member\""));
    assert!(html.contains("id=\"open-org\""));
    app.finish().await;
}

#[tokio::test]
async fn signup_keeps_input_on_errors_confirms_by_post_and_lands_where_headed() {
    let app = spawn_app().await;
    app.create_org("acme", "owner@acme.test").await;
    let (owner, csrf) = app.sign_in_form("owner@acme.test").await;
    let base = app.base_url.clone();
    let link = join_link(&app, &owner, &csrf).await;
    let c = client();
    let next = serde_urlencoded::to_string([("next", link.as_str())]).unwrap();
    let (status, html) = page(&c, format!("{base}/signup?{next}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"signup-form\""));
    // Errors beside their fields; the email and name kept, the password not.
    let r = post_form(
        &c,
        format!("{base}/signup"),
        &[("email", "nina@example.test"), ("name", "Nina Novak"), ("password", "short"), ("next", &link)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"password-error\""));
    assert!(html.contains("value=\"nina@example.test\""));
    assert!(html.contains("value=\"Nina Novak\""));
    assert!(!html.contains("value=\"short\""), "the password is not sent back");
    let r = post_form(&c, format!("{base}/signup"), &[("email", "not-an-email"), ("name", ""), ("password", "")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"email-error\"") && html.contains("id=\"name-error\""));
    assert!(html.contains("value=\"not-an-email\""));
    // A good sign-up: the same answer as for every address.
    let r = post_form(
        &c,
        format!("{base}/signup"),
        &[
            ("email", "nina@example.test"),
            ("name", "Nina Novak"),
            ("password", "a long passphrase of five words"),
            ("next", &link),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Check your email"));
    let token = signup_token(&app, "nina@example.test").await;
    // GET shows the address and changes nothing; POST makes the account.
    let (status, html) = page(&c, format!("{base}/signup/confirm?token={token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Confirm nina@example.test"));
    let r = post_form(&c, format!("{base}/signup/confirm"), &[("token", &token)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), link, "back to the join link");
    let (status, html) = page(&c, format!("{base}{link}")).await;
    assert_eq!(status, StatusCode::OK, "signed in");
    assert!(html.contains("Welcome to Roster, Nina Novak"));
    assert!(html.contains("id=\"join-form\""));
    // The link works once.
    let (status, _) = page(&c, format!("{base}/signup/confirm?token={token}")).await;
    assert!(status.is_client_error());
    app.finish().await;
}

/// The token of the sign-up link mailed to `email` (the letter is written
/// after the answer, so this waits for it).
async fn signup_token(app: &TestApp, email: &str) -> String {
    for _ in 0..100 {
        let messages = roster_app::outbox::list(&app.app, &roster_app::Actor::Cli, None).await.expect("outbox");
        if let Some(m) = messages.iter().find(|m| m.to == email) {
            let link = m.text.split_whitespace().find(|w| w.contains("/signup/confirm?token=")).expect("a link");
            return link.split("token=").nth(1).unwrap().trim_end_matches(['.', ')']).to_string();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no sign-up letter to {email}");
}

#[tokio::test]
async fn signup_turned_off_says_so_and_sign_in_offers_no_account() {
    let app = spawn_app_with(|c| c.signup_enabled = false).await;
    let base = app.base_url.clone();
    let (status, html) = page(&client(), format!("{base}/signup")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("Sign-up is turned off"));
    let (_, login) = page(&client(), format!("{base}/login")).await;
    assert!(!login.contains("id=\"create-account\""));
    app.finish().await;
}

#[tokio::test]
async fn home_without_an_organization_shows_suggestions_and_requests() {
    let app = spawn_app().await;
    app.create_org("acme", "owner@acme.test").await;
    let (owner, csrf) = app.sign_in_form("owner@acme.test").await;
    let base = app.base_url.clone();
    let r =
        post_form(&owner, format!("{base}{TAB}/settings"), &[("csrf_token", &csrf), ("email_domains", "example.test")])
            .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Nia signs up with an address at example.test: confirmed, in no organization.
    let c = client();
    let r = post_form(
        &c,
        format!("{base}/signup"),
        &[("email", "nia@example.test"), ("name", "Nia Lind"), ("password", "a long passphrase of five words")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let token = signup_token(&app, "nia@example.test").await;
    let r = post_form(&c, format!("{base}/signup/confirm"), &[("token", &token)]).await;
    assert_eq!(location(&r), "/");
    let (status, home) = page(&c, format!("{base}/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("No organization yet"));
    assert!(home.contains("id=\"suggestions\""), "Join your team");
    assert!(home.contains("href=\"/join/acme\""));
    assert!(home.contains("id=\"no-requests\""));
    // The email domain opens the join page without a code.
    let (status, join) = page(&c, format!("{base}/join/acme")).await;
    assert_eq!(status, StatusCode::OK);
    let nia_csrf = csrf_in(&join);
    let r = post_form(&c, format!("{base}/join/acme"), &[("csrf_token", &nia_csrf), ("message", "New in Oslo")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, home) = page(&c, format!("{base}/")).await;
    assert!(!home.contains("id=\"suggestions\""), "asked: no longer suggested");
    assert!(home.contains("data-status=\"pending\""), "her request is listed");
    // The owner approves with the default role: Nia's home is now Acme.
    let (_, tab) = page(&owner, format!("{base}{TAB}")).await;
    assert!(tab.contains("New in Oslo"));
    let id = first_pending(&tab);
    let (_, form) = page(&owner, format!("{base}{TAB}/{id}/approve")).await;
    let ticked: Vec<String> = form
        .split("name=\"roles\" value=\"")
        .skip(1)
        .filter(|s| s.split('>').next().unwrap_or_default().contains(" checked"))
        .filter_map(|s| s.split('"').next().map(str::to_string))
        .collect();
    assert_eq!(ticked.len(), 1, "the default role is ticked");
    let r =
        post_form(&owner, format!("{base}{TAB}/{id}/approve"), &[("csrf_token", &csrf), ("roles", &ticked[0])]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = c.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/orgs/acme/settings/users");
    app.finish().await;
}

#[tokio::test]
async fn approve_with_products_takes_seats_and_no_seats_keeps_the_choices() {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    let access = roster_app::access::open_org(&app.app, &roster_app::Actor::Cli, "acme").await.unwrap();
    let patch = roster_app::products::SubscriptionPatch { license_count: Some(2), ..Default::default() };
    roster_app::products::update_subscription(&app.app, &access, "quote", &patch, &Default::default()).await.unwrap();
    let (owner, csrf) = app.sign_in_form("owner@acme.test").await;
    let base = app.base_url.clone();
    let link = join_link(&app, &owner, &csrf).await;
    let (ann, ann_csrf) = outsider(&app, "annco", "ann@example.test").await;
    assert_eq!(ask(&app, &ann, &ann_csrf, &link, "").await.status(), StatusCode::SEE_OTHER);
    let (_, tab) = page(&owner, format!("{base}{TAB}")).await;
    let ann_id = first_pending(&tab);
    let (_, form) = page(&owner, format!("{base}{TAB}/{ann_id}/approve")).await;
    assert!(form.contains("data-product=\"quote\""), "the product is offered");
    assert!(form.contains("2 seats free"), "with its free seats");
    let r = post_form(&owner, format!("{base}{TAB}/{ann_id}/approve"), &[("csrf_token", &csrf), ("products", "quote")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let ann_id = roster_app::access_requests::get(&app.app, &access, ann_id.parse().unwrap()).await.unwrap().user_id;
    let held = roster_app::products::member_products(&app.app, &access, ann_id).await.unwrap();
    assert_eq!(held.iter().map(|p| p.to_string()).collect::<Vec<_>>(), ["quote"], "Ann holds a seat");

    // The last seat goes to someone else meanwhile; Ben's approval with the product is refused on the form.
    let (ben, ben_csrf) = outsider(&app, "benco", "ben@example.test").await;
    assert_eq!(ask(&app, &ben, &ben_csrf, &link, "").await.status(), StatusCode::SEE_OTHER);
    let (_, tab) = page(&owner, format!("{base}{TAB}")).await;
    let ben_id = first_pending(&tab);
    let cal = app.add_member(&acme, "cal@acme.test", "Cal").await;
    roster_app::products::set_member_products(&app.app, &access, cal, &["quote".to_string()], &Default::default())
        .await
        .unwrap();
    let (_, form) = page(&owner, format!("{base}{TAB}/{ben_id}/approve")).await;
    let before = &form[..form.find("<strong>Billing Manager</strong>").expect("Billing Manager offered")];
    let billing =
        before.rsplit("name=\"roles\" value=\"").next().and_then(|s| s.split('"').next()).unwrap().to_string();
    let r = post_form(
        &owner,
        format!("{base}{TAB}/{ben_id}/approve"),
        &[("csrf_token", &csrf), ("roles", &billing), ("products", "quote")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"products-error\""), "said beside the products");
    assert!(html.contains(&format!("value=\"{billing}\" checked")), "the role ticked is kept");
    assert!(html.contains("value=\"quote\" checked"), "the product ticked is kept");
    let (_, tab) = page(&owner, format!("{base}{TAB}")).await;
    assert!(tab.contains("data-email=\"ben@example.test\""), "Ben still waits");
    app.finish().await;
}
