//! End-to-end tests of the Users page in headless Chromium.
//!
//! Each test starts Roster over a fresh database (`ROSTER_TEST_DB` picks
//! SQLite or PostgreSQL), seeds an organization, and drives the UI as an
//! administrator would: sign in, search, filter, sort, page, disable and
//! enable a member, disable many at once, clear the filters. Every wait polls
//! for what the page must show, so the same steps pass when htmx swaps part
//! of a page and when the browser loads a whole new one; the second test
//! proves the latter by turning JavaScript off. Screenshots of every major
//! step land in `artifacts/screenshots/`.

use std::time::Instant;

use roster_browser_tests::{Browser, Options, Viewport};
use roster_testkit::{PASSWORD, TestApp, spawn_app};
use serde::Deserialize;

/// The organization's slug and owner.
const ORG: &str = "acme";
const OWNER: &str = "owner@acme.test";
/// How many generated members the organization gets besides its owner.
const SEEDED: u64 = 60;
/// The Users page.
const USERS: &str = "/orgs/acme/settings/users";
/// A search that matches a handful of the seeded members (their emails are
/// `first.last{n}@acme.example`, generated from a fixed seed).
const BULK_SEARCH: &str = "an";

/// One row of the members table.
#[derive(Debug, Clone, Deserialize)]
struct RowView {
    email: String,
    name: String,
    status: String,
    created: String,
    actions: Vec<String>,
}

/// The counts in the summary badges above the table.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
struct Counts {
    active: u64,
    invited: u64,
    disabled: u64,
    archived: u64,
    total: u64,
}

/// What the Users page shows, read by one script so that the parts agree
/// with each other even while htmx is swapping.
#[derive(Debug, Clone, Deserialize)]
struct UsersView {
    path: String,
    indicator: String,
    q: String,
    status: String,
    sort: String,
    per_page: String,
    flash: Option<String>,
    counts: Counts,
    rows: Vec<RowView>,
    has_prev: bool,
    has_next: bool,
    busy: bool,
}

impl UsersView {
    fn row(&self, email: &str) -> Option<&RowView> {
        self.rows.iter().find(|r| r.email == email)
    }

    fn emails(&self) -> Vec<&str> {
        self.rows.iter().map(|r| r.email.as_str()).collect()
    }

    /// A few lines for a failure message.
    fn summary(&self) -> String {
        let rows: Vec<String> = self.rows.iter().take(5).map(|r| format!("{} ({})", r.email, r.status)).collect();
        format!(
            "{path}\n  filters: q={q:?} status={status:?} sort={sort:?} per_page={per_page}\n  \
             {indicator}, {counts:?}\n  flash: {flash:?}\n  first rows of {n}: {rows:?}",
            path = self.path,
            q = self.q,
            status = self.status,
            sort = self.sort,
            per_page = self.per_page,
            indicator = self.indicator,
            counts = self.counts,
            flash = self.flash,
            n = self.rows.len(),
        )
    }
}

/// Reads the Users page; `null` when it is not on screen.
const READ_USERS_PAGE: &str = r#"
const $ = (s, root = document) => root.querySelector(s);
const text = (s, root) => ($(s, root)?.textContent ?? '').replace(/\s+/g, ' ').trim();
const count = (s) => parseInt(text(s).replace(/[^0-9]/g, ''), 10) || 0;
if (!$('#page-indicator') || !$('#filters')) return null;
return {
  path: location.pathname + location.search,
  indicator: text('#page-indicator'),
  q: $('#q').value,
  status: $('#status').value,
  sort: $('#sort').value,
  per_page: $('#per_page').value,
  flash: $('.flash') ? text('.flash') : null,
  counts: {
    active: count('.badge-active'),
    invited: count('.badge-invited'),
    disabled: count('.badge-disabled'),
    archived: count('.badge-archived'),
    total: count('.badge-total'),
  },
  rows: [...document.querySelectorAll('tr[data-email]')].map((tr) => ({
    email: tr.dataset.email,
    name: text('td.user .name', tr),
    status: text('.status', tr),
    created: text('td.created', tr),
    actions: [...tr.querySelectorAll('button[data-action]')].map((b) => b.dataset.action),
  })),
  has_prev: !!$('a#prev'),
  has_next: !!$('a#next'),
  busy: !!$('.htmx-request'),
};
"#;

/// Waits until the Users page is on screen, settled, and satisfies `ok`;
/// on a timeout, fails with what the page showed last.
async fn wait_users(b: &Browser, what: &str, ok: impl Fn(&UsersView) -> bool) -> UsersView {
    let mut last: Option<UsersView> = None;
    let found = b
        .poll_until(async || {
            let view: UsersView = serde_json::from_value(b.eval(READ_USERS_PAGE).await).ok()?;
            let done = !view.busy && ok(&view);
            last = Some(view.clone());
            done.then_some(view)
        })
        .await;
    match (found, last) {
        (Some(view), _) => view,
        (None, Some(view)) => panic!(
            "timed out after {:?} waiting for the Users page to show {what}; it last showed {}",
            roster_browser_tests::TIMEOUT,
            view.summary()
        ),
        (None, None) => panic!(
            "timed out after {:?} waiting for the Users page to show {what}; the browser is at {}",
            roster_browser_tests::TIMEOUT,
            b.path().await
        ),
    }
}

/// The query parameter `key` of a path, decoded.
fn param(path: &str, key: &str) -> Option<String> {
    let query = path.split_once('?')?.1;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
    pairs.into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Prints how long a step took, so a slow step stands out in the log.
struct Steps {
    test: &'static str,
    start: Instant,
    last: Instant,
}

impl Steps {
    fn new(test: &'static str) -> Self {
        let now = Instant::now();
        Self { test, start: now, last: now }
    }

    fn done(&mut self, step: &str) {
        let now = Instant::now();
        println!("  [{}] {step}: {:.2?} (total {:.2?})", self.test, now - self.last, now - self.start);
        self.last = now;
    }
}

/// The seeded organization, and a browser on the app; `None` when the
/// browser is not installed (and CI is not set).
async fn setup(options: Options) -> Option<(TestApp, Browser)> {
    let app = spawn_app().await;
    let org = app.create_org(ORG, OWNER).await;
    app.seed(&org, SEEDED).await;
    match Browser::start(&app.base_url, options).await {
        Some(browser) => Some((app, browser)),
        None => {
            // Skipped: still drop the test's database.
            app.finish().await;
            None
        }
    }
}

/// Signs in as the owner, first with a wrong password, and lands on the Users page.
async fn sign_in(b: &Browser) -> UsersView {
    b.goto("/login").await;
    b.find("#email").await;
    b.screenshot("01-sign-in").await;

    b.fill("#email", OWNER).await;
    b.fill("#password", "not the password").await;
    b.click("#sign-in").await;
    b.wait_text(".flash-error", "the wrong-password message", |t| t.contains("wrong")).await;
    let kept = b.find("#email").await.prop("value").await.ok().flatten();
    assert_eq!(kept.as_deref(), Some(OWNER), "a failed sign-in keeps the email that was typed");
    b.screenshot("02-sign-in-wrong-password").await;

    b.fill("#password", PASSWORD).await;
    b.click("#sign-in").await;
    b.wait_path("the Users page", |p| p == USERS).await;
    let v = wait_users(b, "the first page", |v| v.indicator.starts_with("Page 1 /")).await;
    b.screenshot("03-users").await;
    v
}

/// The scenario both tests run.
async fn users_scenario(b: &Browser, steps: &mut Steps) {
    // Sign in: the directory opens on page 1, sorted by email, 25 a page.
    let first = sign_in(b).await;
    steps.done("sign in");
    let total = SEEDED + 1;
    assert_eq!(first.counts.total, total, "the Total badge counts the owner and every seeded member");
    assert_eq!(
        first.counts.active + first.counts.invited + first.counts.disabled + first.counts.archived,
        total,
        "the status badges add up to the total"
    );
    let pages = total.div_ceil(25);
    assert_eq!(first.indicator, format!("Page 1 / {pages}"));
    assert_eq!(first.rows.len(), 25);
    assert_eq!((first.q.as_str(), first.status.as_str(), first.sort.as_str()), ("", "", "email"));
    assert!(first.emails().is_sorted(), "rows are sorted by email: {:?}", first.emails());
    assert!(!first.has_prev && first.has_next, "page 1 has only a next link");

    // Paging: next, next, then back.
    b.click("#next").await;
    let second = wait_users(b, "page 2", |v| v.indicator == format!("Page 2 / {pages}")).await;
    assert_eq!(second.rows.len(), 25);
    assert!(second.has_prev);
    assert!(
        first.rows.last().map(|r| r.email.as_str()) < second.rows.first().map(|r| r.email.as_str()),
        "page 2 continues where page 1 ended"
    );
    b.screenshot("04-users-page-2").await;
    b.click("#next").await;
    let last = wait_users(b, "the last page", |v| v.indicator == format!("Page {pages} / {pages}")).await;
    assert_eq!(last.rows.len() as u64, total - 25 * (pages - 1));
    assert!(!last.has_next, "the last page has no next link");
    b.click("#prev").await;
    let back = wait_users(b, "page 2 again", |v| v.indicator == format!("Page 2 / {pages}")).await;
    assert_eq!(back.emails(), second.emails(), "going back shows the same page 2");
    b.click("#prev").await;
    wait_users(b, "page 1 again", |v| v.indicator == format!("Page 1 / {pages}")).await;
    steps.done("paging");

    // Per page: 10 a page.
    b.select("#per_page", "10").await;
    b.click("#filters button[type=submit]").await;
    let ten = wait_users(b, "10 rows a page", |v| v.rows.len() == 10 && v.indicator.ends_with(" / 7")).await;
    assert_eq!(param(&ten.path, "per_page").as_deref(), Some("10"), "the URL keeps the page size");
    assert_eq!(ten.per_page, "10");
    b.screenshot("05-users-10-per-page").await;
    steps.done("per page");

    // Sort: newest first, by creation date.
    b.select("#sort", "-created").await;
    b.click("#filters button[type=submit]").await;
    let newest =
        wait_users(b, "the newest members first", |v| v.sort == "-created" && v.path.contains("created")).await;
    let created: Vec<&str> = newest.rows.iter().map(|r| r.created.as_str()).collect();
    assert!(created.iter().all(|d| d.len() == 10), "the Created column shows dates: {created:?}");
    assert!(created.is_sorted_by(|a, b| a >= b), "newest first: {created:?}");
    assert_eq!(newest.per_page, "10", "sorting keeps the page size");
    b.screenshot("06-users-sorted-newest").await;
    steps.done("sort");

    // Status filter: only disabled members.
    b.select("#status", "disabled").await;
    b.click("#filters button[type=submit]").await;
    let disabled = wait_users(b, "only disabled members", |v| {
        param(&v.path, "status").as_deref() == Some("disabled") && v.rows.iter().all(|r| r.status == "Disabled")
    })
    .await;
    assert_eq!(disabled.counts.total, disabled.counts.disabled, "the total counts the filtered list");
    assert_eq!(disabled.rows.len() as u64, disabled.counts.disabled.min(10));
    assert!(disabled.rows.iter().all(|r| r.actions.contains(&"enable".to_string())), "disabled rows offer Enable");
    b.screenshot("07-users-filtered-disabled").await;
    steps.done("status filter");

    // Clear resets every filter and the sort.
    b.click("#clear").await;
    let cleared = wait_users(b, "no filters", |v| v.path == USERS && v.rows.len() == 25).await;
    assert_eq!(
        (cleared.q.as_str(), cleared.status.as_str(), cleared.sort.as_str(), cleared.per_page.as_str()),
        ("", "", "email", "25")
    );
    assert_eq!(cleared.counts, first.counts);
    assert_eq!(cleared.emails(), first.emails());
    steps.done("clear");

    // Search: one member's email finds that member alone.
    let target = cleared
        .rows
        .iter()
        .find(|r| r.status == "Active" && r.actions.contains(&"disable".to_string()))
        .expect("page 1 has an active member who can be disabled")
        .clone();
    let needle = target.email.clone();
    b.fill("#q", &needle).await;
    b.click("#filters button[type=submit]").await;
    let found = wait_users(b, &format!("the search for {needle}"), |v| {
        param(&v.path, "q").as_deref() == Some(needle.as_str()) && v.rows.len() == 1
    })
    .await;
    assert_eq!(found.rows[0].email, target.email);
    assert_eq!(found.rows[0].name, target.name);
    assert_eq!(found.counts.total, 1);
    b.screenshot("08-users-search").await;
    steps.done("search");

    // The edit form opens from the row and Cancel returns to the same search.
    let row = format!("tr[data-email=\"{}\"]", target.email);
    b.click(&format!("{row} a.btn-edit")).await;
    let name = b.find("#member-edit #name").await.prop("value").await.ok().flatten();
    assert_eq!(name.as_deref(), Some(target.name.as_str()), "the edit form shows the member's name");
    b.screenshot("09-edit-member").await;
    b.click("#cancel").await;
    wait_users(b, "the search again after Cancel", |v| v.q == needle && v.rows.len() == 1).await;
    steps.done("edit form");

    // Disable that member from the row, then enable them again.
    b.click(&format!("{row} button[data-action=disable]")).await;
    let after_disable = wait_users(b, &format!("{} disabled", target.email), |v| {
        v.row(&target.email).is_some_and(|r| r.status == "Disabled")
    })
    .await;
    let flash = after_disable.flash.clone().unwrap_or_default();
    assert_eq!(flash, format!("{} is now disabled.", target.email));
    assert_eq!(after_disable.q, needle, "the search stays after a row action");
    assert_eq!(
        after_disable.row(&target.email).map(|r| r.actions.clone()),
        Some(vec!["enable".into(), "archive".into(), "send-reset-link".into()])
    );
    b.screenshot("10-member-disabled").await;
    b.click(&format!("{row} button[data-action=enable]")).await;
    let after_enable = wait_users(b, &format!("{} active again", target.email), |v| {
        v.row(&target.email).is_some_and(|r| r.status == "Active")
    })
    .await;
    assert_eq!(after_enable.flash.as_deref(), Some(format!("{} is now active.", target.email).as_str()));
    b.screenshot("11-member-enabled").await;
    steps.done("disable and enable one member");

    // Bulk: disable every member the search matches, through the confirm page.
    b.fill("#q", BULK_SEARCH).await;
    b.click("#filters button[type=submit]").await;
    let before = wait_users(b, &format!("the search for {BULK_SEARCH}"), |v| {
        param(&v.path, "q").as_deref() == Some(BULK_SEARCH)
            && v.rows.iter().all(|r| format!("{} {}", r.email, r.name).to_lowercase().contains(BULK_SEARCH))
    })
    .await;
    assert!(before.flash.is_none(), "new filters clear the previous action's notice");
    let will_change = before.counts.active + before.counts.invited;
    assert!(will_change >= 2, "the bulk search should match several members who can be disabled: {before:?}");
    b.click("#disable-all").await;
    let count_text = b.wait_text("#bulk-count", "how many will change", |t| t.contains("will be disabled")).await;
    assert_eq!(count_text, format!("{will_change} users will be disabled."));
    assert!(b.path().await.starts_with(&format!("{USERS}/bulk?")), "the confirm step has its own URL");
    b.screenshot("12-bulk-confirm").await;
    b.click("#confirm-bulk").await;
    let after_bulk = wait_users(b, "the bulk change's result", |v| {
        v.flash.as_deref().is_some_and(|f| f.starts_with(&format!("{will_change} users disabled")))
    })
    .await;
    assert_eq!(after_bulk.q, BULK_SEARCH, "the list keeps its search after the bulk change");
    assert_eq!(
        after_bulk.counts,
        Counts {
            active: 0,
            invited: 0,
            disabled: before.counts.disabled + will_change,
            archived: before.counts.archived,
            total: before.counts.total
        },
        "every matching member who could be disabled is"
    );
    assert!(after_bulk.rows.iter().all(|r| r.status == "Disabled" || r.status == "Archived"));
    b.screenshot("13-bulk-done").await;
    steps.done("bulk disable");

    // Clear again: the whole directory, with the new counts.
    b.click("#clear").await;
    let end = wait_users(b, "no filters after the bulk change", |v| v.path == USERS && v.q.is_empty()).await;
    assert_eq!(end.counts.total, total);
    assert_eq!(end.counts.disabled, first.counts.disabled + will_change);
    assert!(end.flash.is_none(), "a flash is shown once");
    steps.done("clear after bulk");
}

const ROLES: &str = "/orgs/acme/settings/roles";

/// The Roles tab: the explorer's cards, comparing two roles, then giving a
/// member a second role and a permission of their own on the edit form.
async fn roles_scenario(b: &Browser, steps: &mut Steps) {
    b.goto(USERS).await;
    b.click("nav.tabs a[href$='/settings/roles']").await;
    b.wait_path("the Roles tab", |p| p == ROLES).await;
    let bm = b
        .wait_text("#role-billing_manager [data-resource=payment_method] .lvl", "Billing Manager's card", |t| {
            !t.is_empty()
        })
        .await;
    assert!(bm.contains("Edit"), "seed 000: a Billing Manager updates the card on file ({bm})");
    let user_cell = b.text("#role-user [data-resource=payment_method] .lvl").await.unwrap_or_default();
    assert!(user_cell.contains("None"), "a User does not ({user_cell})");
    b.screenshot("19-roles").await;
    steps.done("roles tab");

    // Compare two roles: untick the owner's role in the picker.
    b.click("#compare-form label.check:last-child input").await;
    b.click("#compare").await;
    b.wait_path("the compare page", |p| p.starts_with(&format!("{ROLES}/compare?"))).await;
    b.find("#compare-table").await;
    let columns = b.eval("return document.querySelectorAll('#compare-table thead th').length").await;
    assert_eq!(columns.as_i64(), Some(3), "the permission column and two roles");
    let cell = b.text("#compare-table [data-resource=billing] [data-role=billing_manager]").await.unwrap_or_default();
    assert!(cell.contains("Edit"), "{cell}");
    b.screenshot("20-roles-compare").await;
    steps.done("compare roles");

    // The role editor: Custom shows the four actions.
    b.goto(ROLES).await;
    b.click("#new-role").await;
    b.wait_path("the role editor", |p| p == format!("{ROLES}/new")).await;
    b.fill("#role-name", "Support").await;
    b.select("#level-members", "view").await;
    b.select("#level-audit", "custom").await;
    b.click("tr[data-resource=audit] input[value=read]").await;
    b.click("tr[data-resource=audit] input[value=update]").await;
    b.screenshot("21-role-editor").await;
    b.click("#save-role").await;
    b.wait_text("#role-support [data-resource=audit] .lvl-detail", "the new role's custom grant", |t| {
        t == "read, update"
    })
    .await;
    steps.done("create a role");

    // A member's roles on the edit form.
    b.goto(USERS).await;
    let href = b
        .wait_for("a member's edit link", async || {
            let v = b
                .eval(&format!(
                    "var r = [...document.querySelectorAll('tr[data-email]')].find(r => r.dataset.email !== '{OWNER}'); \
                     return r ? [r.dataset.email, r.querySelector('a.btn-edit').getAttribute('href')] : null"
                ))
                .await;
            v.as_array().map(|a| (a[0].as_str().unwrap_or("").to_string(), a[1].as_str().unwrap_or("").to_string()))
        })
        .await;
    let (email, edit) = href;
    b.goto(&edit).await;
    b.find("#roles-field").await;
    let billing = b
        .eval(
            "var l = [...document.querySelectorAll('.role-choice')].find(l => l.querySelector('strong').textContent === 'Billing Manager'); \
             return l.querySelector('input').value",
        )
        .await;
    let billing = billing.as_str().unwrap_or_default().to_string();
    b.click(&format!("input[name=roles][value='{billing}']")).await;
    b.click("#perm-custom").await;
    b.select("#grant-audit", "read").await;
    b.screenshot("22-edit-member-roles").await;
    b.click("#save").await;
    let row = format!("tr[data-email=\"{email}\"] .roles-cell");
    let roles = b.wait_text(&row, "the new role on the row", |t| t.contains("Billing Manager")).await;
    assert!(roles.contains("User"), "the role held before stays: {roles}");
    b.goto(&edit).await;
    let audit = b.find("#grant-audit").await.prop("value").await.ok().flatten();
    assert_eq!(audit.as_deref(), Some("read"), "the member's own permission was saved");
    steps.done("edit a member's roles");

    // Handing ownership on asks for a member and an explicit confirmation.
    b.goto(ROLES).await;
    b.click("#transfer-owner").await;
    b.find("#new-owner").await;
    b.screenshot("26-transfer-ownership").await;
}

/// The phone layout: nothing wider than the screen, and screenshots of the
/// pages an administrator uses.
async fn phone_screenshots(b: &mut Browser, steps: &mut Steps) {
    b.set_viewport(Viewport::PHONE).await;
    b.goto(USERS).await;
    let v = wait_users(b, "the phone layout", |v| !v.rows.is_empty()).await;
    assert_eq!(v.rows.len(), 25);
    let overflow = b.eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth").await;
    assert_eq!(overflow.as_i64(), Some(0), "nothing sticks out sideways on a phone");
    b.screenshot_visible("14-phone-users").await;
    b.screenshot("15-phone-users-full-page").await;
    b.goto(&format!("{USERS}/bulk?action=disable")).await;
    b.wait_text("#bulk-count", "how many will change", |t| t.contains("will be disabled")).await;
    b.screenshot("16-phone-bulk-confirm").await;
    b.goto("/login").await;
    b.find("#email").await;
    b.screenshot("17-phone-sign-in").await;
    for (path, shot) in [(ROLES.to_string(), "23-phone-roles"), (format!("{ROLES}/compare"), "24-phone-roles-compare")]
    {
        b.goto(&path).await;
        b.find(".role-card, #compare-table").await;
        let overflow =
            b.eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth").await;
        assert_eq!(overflow.as_i64(), Some(0), "nothing sticks out sideways on a phone: {path}");
        b.screenshot(shot).await;
    }
    b.goto(USERS).await;
    let href = b.eval("var a = document.querySelectorAll('tr[data-email] a.btn-edit'); return a.length > 1 ? a[1].getAttribute('href') : null").await;
    if let Some(h) = href.as_str() {
        b.goto(h).await;
        b.click("#perm-custom").await;
        b.screenshot("25-phone-edit-member").await;
    }
    b.set_viewport(Viewport::LAPTOP).await;
    steps.done("phone");
}

/// A page that does not exist, or belongs to an organization the user is
/// not in, shows a plain message page rather than an error dump.
async fn not_found_page(b: &Browser) {
    b.goto("/orgs/no-such-org/settings/users").await;
    let title = b.wait_text("h1", "a title", |t| !t.is_empty()).await;
    assert!(!b.exists("#filters").await, "no directory for an unknown organization (title: {title})");
    b.screenshot("18-not-found").await;
}

/// Signs out with the sidebar's button and checks the session is gone.
async fn sign_out(b: &Browser) {
    b.goto(USERS).await;
    b.click("#sign-out").await;
    b.wait_path("the sign-in page", |p| p.starts_with("/login")).await;
    b.goto(USERS).await;
    b.wait_path("the sign-in page after signing out", |p| p.starts_with("/login")).await;
}

#[tokio::test]
async fn users_page_in_chromium() {
    let mut steps = Steps::new("javascript");
    let Some((app, mut b)) = setup(Options::default()).await else { return };
    steps.done("start app and browser");
    users_scenario(&b, &mut steps).await;
    roles_scenario(&b, &mut steps).await;
    phone_screenshots(&mut b, &mut steps).await;
    not_found_page(&b).await;
    sign_out(&b).await;
    b.finish().await;
    app.finish().await;
    steps.done("sign out and verify");
}

#[tokio::test]
async fn users_page_without_javascript() {
    let mut steps = Steps::new("no javascript");
    let Some((app, b)) = setup(Options { javascript: false, screenshots: false }).await else { return };
    steps.done("start app and browser (no JavaScript)");
    users_scenario(&b, &mut steps).await;
    roles_scenario(&b, &mut steps).await;
    let htmx_ran = b.eval("return typeof window.htmx !== 'undefined'").await;
    assert_eq!(htmx_ran.as_bool(), Some(false), "the page's scripts did not run");
    sign_out(&b).await;
    b.finish().await;
    app.finish().await;
    steps.done("sign out and verify");
}
