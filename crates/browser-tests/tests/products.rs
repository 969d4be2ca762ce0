//! Products and licenses end to end in headless Chromium. The owner opens
//! the Products tab, subscribes to Quote Assistant and starts a trial of
//! Analytics, opens "Manage Users & Products", ticks cells of the grid,
//! reviews the changes (and, asking for more seats than there are, sees
//! the preview refuse), applies them, and finds the licenses in the Users
//! list's Products column; then the same pages on a phone. Screenshots
//! land in `artifacts/screenshots/` (70–79).

use roster_browser_tests::{Browser, Options, Viewport};
use roster_testkit::{PASSWORD, spawn_app};

const OWNER: &str = "owner@acme.test";
const USERS: &str = "/orgs/acme/settings/users";
const PRODUCTS: &str = "/orgs/acme/settings/products";
const WORKSPACE: &str = "/orgs/acme/settings/products/workspace";

async fn no_sideways_scroll(b: &Browser, what: &str) {
    let overflow = b.eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth").await;
    assert_eq!(overflow.as_i64(), Some(0), "nothing sticks out sideways on a phone: {what}");
}

/// The cell of `email` × `product` in the grid.
fn cell(email: &str, product: &str) -> String {
    format!("tr[data-email=\"{email}\"] input[name=cell][value$=\":{product}\"]")
}

/// Whether the grid's cell is ticked now.
async fn ticked(b: &Browser, email: &str, product: &str) -> bool {
    let css = cell(email, product).replace('"', "\\\"");
    b.eval(&format!("return document.querySelector(\"{css}\").checked")).await.as_bool() == Some(true)
}

#[tokio::test]
async fn products_tab_and_workspace_in_chromium() {
    let app = spawn_app().await;
    let acme = app.create_org("acme", OWNER).await;
    for (email, name) in [
        ("ann@acme.test", "Ann Lee"),
        ("ben@acme.test", "Ben Ode"),
        ("cal@acme.test", "Cal Moss"),
        ("dia@acme.test", "Dia Park"),
    ] {
        app.add_member(&acme, email, name).await;
    }
    let Some(mut b) = Browser::start(&app.base_url, Options::default()).await else {
        app.finish().await;
        return;
    };
    b.goto("/login").await;
    b.fill("#email", OWNER).await;
    b.fill("#password", PASSWORD).await;
    b.click("#sign-in").await;
    b.wait_path("the Users page", |p| p.starts_with(USERS)).await;

    // The Products tab, right after Users: nothing yet, the catalogue offered.
    let tabs = b.eval("return [...document.querySelectorAll('nav.tabs a')].map(a => a.textContent).join(',')").await;
    assert!(tabs.as_str().unwrap_or_default().starts_with("Users,Products,"), "{tabs}");
    b.click("nav.tabs a[href=\"/orgs/acme/settings/products\"]").await;
    b.wait_path("the Products tab", |p| p == PRODUCTS).await;
    b.find("#no-products").await;

    // Subscribe to Quote Assistant with 3 seats; a 14-day trial of Analytics.
    b.fill("#seats-quote", "3").await;
    b.click("[data-offer=quote] button[data-action=subscribe]").await;
    b.wait_text(".flash-ok", "the subscription", |t| t.contains("Subscribed to Quote Assistant with 3 seats")).await;
    b.fill("#days-analytics", "14").await;
    b.click("[data-offer=analytics] button[data-action=trial]").await;
    b.wait_text(".flash-ok", "the trial", |t| t.contains("Started a trial of Analytics")).await;
    b.wait_text(".trial-note", "the days left", |t| t.contains("14 days left") && t.contains(OWNER)).await;
    b.screenshot("71-product-trial").await;
    b.goto(PRODUCTS).await;
    b.wait_text("[data-product=quote] .figure-free", "three free seats", |t| t == "3").await;
    b.screenshot("70-products-tab").await;

    // "Manage Users & Products": the grid, ticked and reviewed.
    b.click("#manage-products").await;
    b.wait_path("the workspace", |p| p.starts_with(WORKSPACE)).await;
    b.find("#grid").await;
    for (email, product) in [
        ("ann@acme.test", "quote"),
        ("ben@acme.test", "quote"),
        ("ann@acme.test", "analytics"),
        ("cal@acme.test", "analytics"),
    ] {
        b.click(&cell(email, product)).await;
        assert!(ticked(&b, email, product).await, "{email} × {product} ticked");
    }
    b.screenshot("72-workspace-ticked").await;
    b.click("#review").await;
    b.wait_text("#confirm-title", "the preview", |t| t.contains("Review the changes")).await;
    let count = b.text("#bulk-count").await.unwrap_or_default();
    assert!(count.contains("4 licenses to assign"), "{count}");
    b.screenshot("73-workspace-review").await;
    b.click("#confirm").await;
    b.wait_text(".flash-ok", "the change applied", |t| t.contains("Assigned 4 licenses")).await;
    b.screenshot("74-workspace-apply-progress").await;
    b.click(".stream-end a.btn").await;
    b.wait_path("back on the grid", |p| p.starts_with(WORKSPACE)).await;
    b.find("#grid").await;
    assert!(ticked(&b, "ann@acme.test", "quote").await && ticked(&b, "cal@acme.test", "analytics").await);
    let head = b.text("th[data-product=quote] .seat-free").await.unwrap_or_default();
    assert_eq!(head, "1 free", "the header counts the seats left");
    b.screenshot("74-workspace-after-apply").await;

    // Two more Quote licenses for one free seat: the preview refuses to apply.
    b.click(&cell("cal@acme.test", "quote")).await;
    b.click(&cell("dia@acme.test", "quote")).await;
    b.wait_text("#changed-count", "the changes counted", |t| t == "2 changes").await;
    b.click("#review").await;
    b.wait_text("#seats-after", "the shortfall", |t| t.contains("short by 1 seat")).await;
    let disabled = b.eval("return document.querySelector('#confirm').disabled").await;
    assert_eq!(disabled.as_bool(), Some(true), "Apply is disabled while the seats do not suffice");
    b.screenshot("75-workspace-short-of-seats").await;
    b.click("#back").await;
    b.wait_path("the grid again", |p| p.starts_with(WORKSPACE)).await;
    b.find("#grid").await;
    assert!(ticked(&b, "dia@acme.test", "quote").await, "back on the grid as it was left, ticks included");

    // The Users list shows each member's products.
    b.goto(USERS).await;
    let ann = b.text("tr[data-email=\"ann@acme.test\"] .products-cell").await.unwrap_or_default();
    assert!(ann.contains("Quote Assistant") && ann.contains("Analytics"), "{ann}");
    let dia = b.text("tr[data-email=\"dia@acme.test\"] .products-cell").await.unwrap_or_default();
    assert!(!dia.contains("Quote Assistant"), "nothing was applied for Dia: {dia}");
    b.screenshot("76-users-products-column").await;
    let fits = b
        .eval("var t = document.querySelector('table.users'); return t.scrollWidth <= t.parentElement.clientWidth")
        .await;
    assert_eq!(fits.as_bool(), Some(true), "the Users list fits a laptop's width with its Products column");

    // On a phone: the grid stacks each member as a card of labelled boxes.
    b.set_viewport(Viewport::PHONE).await;
    for (path, shot) in [(WORKSPACE, "77-phone-workspace"), (PRODUCTS, "78-phone-products"), (USERS, "79-phone-users")]
    {
        b.goto(path).await;
        b.find("main").await;
        no_sideways_scroll(&b, path).await;
        b.screenshot(shot).await;
    }
    b.goto(WORKSPACE).await;
    b.click(&cell("dia@acme.test", "analytics")).await;
    assert!(ticked(&b, "dia@acme.test", "analytics").await, "a box is tickable on a phone");
    b.finish().await;
    app.finish().await;
}
