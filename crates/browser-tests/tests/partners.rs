//! Partner organizations in headless Chromium (issue 14, seed 004). The
//! broker's owner creates a customer on the Customers tab, makes an
//! organization group holding it and assigns a Key Account Manager to it on
//! the Organization Groups tab; the Key Account Manager then sees only that
//! customer and opens its user management as themselves (the banner says
//! through which partner); the member's page says where their roles apply;
//! an organization the partner asked to link shows the request on its
//! Partner tab, and its owner accepts it. Screenshots land in
//! `artifacts/screenshots/` (110–119).

use roster_browser_tests::{Browser, Options, Viewport};
use roster_testkit::{PASSWORD, spawn_app};

const OWNER: &str = "owner@brokers.test";
const KAM: &str = "kam@brokers.test";
const CUSTOMERS: &str = "/orgs/brokers/settings/customers";
const GROUPS: &str = "/orgs/brokers/settings/org-groups";

async fn sign_in(b: &Browser, email: &str) {
    b.goto("/login").await;
    b.fill("#email", email).await;
    b.fill("#password", PASSWORD).await;
    b.click("#sign-in").await;
    b.wait_path("signed in", |p| p != "/login").await;
}

async fn no_sideways_scroll(b: &Browser, what: &str) {
    let overflow = b.eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth").await;
    assert_eq!(overflow.as_i64(), Some(0), "nothing sticks out sideways on a phone: {what}");
}

#[tokio::test]
async fn a_partner_manages_customers_and_groups_and_acts_inside_a_customer() {
    let app = spawn_app().await;
    let partner = app.create_org_with_preset("brokers", OWNER, "broker").await;
    app.create_org("globex", "boss@globex.test").await;
    let kam = app.add_member_with_roles(&partner, KAM, &["key_account_manager"]).await;
    let Some(mut b) = Browser::start(&app.base_url, Options::default()).await else {
        app.finish().await;
        return;
    };
    sign_in(&b, OWNER).await;

    // Customers → New customer: a bad address keeps what was typed.
    b.goto(CUSTOMERS).await;
    b.find("#no-customers").await;
    b.click("#new-customer").await;
    b.fill("#customer-name", "Acme Insurance").await;
    b.fill("#customer-slug", "acme-insurance").await;
    b.fill("#owner-email", "not-an-address").await;
    b.click("#save").await;
    b.find("#owner-email-error").await;
    let kept = b.eval("return document.querySelector('#customer-name').value").await;
    assert_eq!(kept.as_str(), Some("Acme Insurance"), "the form keeps what was typed");
    b.fill("#owner-email", "ann@acme-insurance.test").await;
    b.click("#save").await;
    b.wait_path("the Customers tab", |p| p.starts_with(CUSTOMERS)).await;
    b.wait_text("#customers", "the new customer", |t| t.contains("Acme Insurance")).await;
    // Linking an existing organization is a request its owner answers.
    b.fill("#link-org", "globex").await;
    b.click("#request-link").await;
    b.wait_text("#pending-links", "the link request", |t| t.contains("globex") || t.contains("Globex")).await;
    b.screenshot("110-customers-tab").await;

    // Organization Groups: a group with the customer and the Key Account Manager.
    b.goto(GROUPS).await;
    b.fill("#group-name", "Nordics").await;
    b.click("#create-group").await;
    b.wait_path("the group's page", |p| p.starts_with(&format!("{GROUPS}/"))).await;
    b.fill("#customers-text", "acme-insurance").await;
    b.click("#save-customers").await;
    b.wait_text("#group-customers", "its customer", |t| t.contains("Acme Insurance")).await;
    b.fill("#members-text", KAM).await;
    b.click("#save-members").await;
    b.wait_text("#group-members", "its member", |t| t.contains(KAM) || t.contains("kam")).await;
    b.screenshot("111-org-group").await;
    b.goto(GROUPS).await;
    b.screenshot("112-org-groups-tab").await;
    // The member's page says where each of their roles applies.
    b.goto(&format!("/orgs/brokers/settings/users/{kam}/edit")).await;
    let scopes = b.wait_text("#member-scopes", "where the roles apply", |t| t.contains("Groups: Nordics")).await;
    assert!(scopes.contains("The partner"), "{scopes}");
    b.eval("document.querySelector('#member-scopes').scrollIntoView(); return true").await;
    b.screenshot_visible("117-member-scopes").await;

    // The Key Account Manager sees the group's customer and acts inside it as themselves.
    b.click("#sign-out").await;
    sign_in(&b, KAM).await;
    b.goto(CUSTOMERS).await;
    b.wait_text("#customers", "the group's customer", |t| t.contains("Acme Insurance")).await;
    b.screenshot("113-customers-key-account").await;
    b.goto("/orgs/acme-insurance/settings/users").await;
    let banner = b.wait_text("#partner-banner", "the banner", |t| t.contains("through")).await;
    assert!(banner.contains("Acme Insurance") && banner.contains("Org brokers"), "{banner}");
    b.screenshot("114-acting-inside-a-customer").await;
    b.goto("/orgs/acme-insurance/settings/history").await;
    b.wait_text("main", "the History", |t| t.contains("History")).await;

    // On a phone: the Customers tab stacks, nothing sticks out.
    b.set_viewport(Viewport::PHONE).await;
    b.goto(CUSTOMERS).await;
    b.find("#customers").await;
    no_sideways_scroll(&b, CUSTOMERS).await;
    b.screenshot("115-phone-customers").await;
    b.goto("/orgs/acme-insurance/settings/users").await;
    b.find("#partner-banner").await;
    no_sideways_scroll(&b, "a customer's users").await;
    b.screenshot("116-phone-acting-inside").await;
    b.set_viewport(Viewport::LAPTOP).await;

    // Globex's owner sees the partner's link request on the Partner tab and accepts it.
    b.click("#sign-out").await;
    sign_in(&b, "boss@globex.test").await;
    b.goto("/orgs/globex/settings/partner").await;
    b.wait_text("#link-requests", "the request", |t| t.contains("Org brokers")).await;
    b.screenshot("118-partner-tab-request").await;
    b.click("#link-request-list button.btn-primary").await;
    b.wait_text("#partner-name", "the partner", |t| t.contains("Org brokers")).await;
    b.screenshot("119-partner-tab-linked").await;
    b.finish().await;
    app.finish().await;
}
