//! Bulk import end to end in headless Chromium (seed 004). The owner opens
//! Users → Import, finds the template links, chooses a CSV file from a
//! temporary directory in the file input and clicks "Read file": the
//! preview counts the rows to create and the one in error, with its reason
//! and cell; "Errors only" shows that row alone. Committing with the bad
//! row skipped shows the progress and then the outcome (htmx polls the
//! progress and reloads the page once the import ends), and the members
//! are on the Users tab. Then the pages on a phone. Screenshots land in
//! `artifacts/screenshots/` (100–105). Without JavaScript the same form
//! uploads, and the committing page refreshes itself until it is done.

use fantoccini::Locator;
use roster_browser_tests::{Browser, Options, Viewport};
use roster_testkit::{PASSWORD, spawn_app, spawn_app_with};

const OWNER: &str = "owner@acme.test";
const USERS: &str = "/orgs/acme/settings/users";
const TAB: &str = "/orgs/acme/settings/imports";

/// Three good rows and one whose address is not one (line 4).
const PEOPLE: &str = "Email,First name,Last name,Roles,Products\r\n\
    ann.lee@acme.test,Ann,Lee,User,\r\n\
    ben.ode@acme.test,Ben,Ode,Admin,\r\n\
    not-an-address,Cal,Moss,User,\r\n\
    dia.park@acme.test,Dia,Park,,\r\n";

async fn no_sideways_scroll(b: &Browser, what: &str) {
    let overflow = b.eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth").await;
    assert_eq!(overflow.as_i64(), Some(0), "nothing sticks out sideways on a phone: {what}");
}

#[tokio::test]
async fn import_a_csv_file_in_chromium() {
    let app = spawn_app_with(|c| c.import_max_bytes = 1024 * 1024).await;
    app.create_org_with_preset("acme", OWNER, "owner-admin-user").await;
    let Some(mut b) = Browser::start(&app.base_url, Options::default()).await else {
        app.finish().await;
        return;
    };
    let dir = std::env::temp_dir().join(format!("roster-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let file = dir.join("people.csv");
    std::fs::write(&file, PEOPLE).expect("the file");
    let big = dir.join("big.csv");
    std::fs::write(&big, "Email\r\n".to_string() + &"someone@acme.test\r\n".repeat(60_000)).expect("a big file");

    b.goto("/login").await;
    b.fill("#email", OWNER).await;
    b.fill("#password", PASSWORD).await;
    b.click("#sign-in").await;
    b.wait_path("the Users page", |p| p.starts_with(USERS)).await;
    let fits = b.eval("var t = document.querySelector('nav.tabs'); return t.scrollWidth <= t.clientWidth").await;
    assert_eq!(fits.as_bool(), Some(true), "every tab, Import too, fits a laptop's width");

    // Users → Import: the templates and the form.
    b.click("#import-users").await;
    b.wait_path("the Import tab", |p| p == TAB).await;
    let csv_href = b.eval("return document.querySelector('#template-csv').getAttribute('href')").await;
    assert_eq!(csv_href.as_str(), Some(format!("{TAB}/template.csv").as_str()));
    b.find("#template-xlsx").await;
    b.find("#no-imports").await;
    let fits = b.eval("var t = document.querySelector('nav.tabs'); return t.scrollWidth <= t.clientWidth").await;
    assert_eq!(fits.as_bool(), Some(true), "the tabs fit with Import the current one, in bold");
    b.screenshot("100-import-tab").await;

    // A file over the limit is refused before it is sent.
    let input = b.find("#file").await;
    input.send_keys(&big.display().to_string()).await.expect("the big file is chosen");
    let why = b.eval("return document.querySelector('#file').validationMessage").await;
    assert!(why.as_str().unwrap_or_default().contains("larger than 1 MB"), "{why}");
    b.click("#read-file").await;
    assert_eq!(b.path().await, TAB, "not sent");

    // Choose the file, Read file: the preview.
    b.goto(TAB).await;
    let input = b.find("#file").await;
    input.send_keys(&file.display().to_string()).await.expect("the file is chosen");
    b.click("#read-file").await;
    b.wait_path("the import's page", |p| p.starts_with(&format!("{TAB}/")) && p.len() > TAB.len() + 20).await;
    b.wait_text("#count-create", "3 to create", |t| t == "3").await;
    assert_eq!(b.text("#count-error").await.as_deref(), Some("1"));
    let bad = b.text("tr[data-line=\"4\"]").await.unwrap_or_default();
    assert!(bad.contains("not an email address") && bad.contains("A4"), "{bad}");
    b.find("#errors-csv").await;
    b.screenshot("101-import-preview").await;
    let import = b.path().await;

    // Errors only.
    b.click("#show-errors").await;
    b.wait_path("errors only", |p| p.ends_with("?outcome=error")).await;
    let lines = b.eval("return document.querySelectorAll('#import-rows tbody tr').length").await;
    assert_eq!(lines.as_i64(), Some(1), "only the bad row");
    b.screenshot("102-import-errors-only").await;

    // Commit, skipping the bad row: the progress, then the outcome.
    b.goto(&import).await;
    b.click("#commit-skip").await;
    b.click("#commit").await;
    b.wait_for("the import to commit or end", async || {
        let status = b.eval("var e = document.querySelector('#import'); return e ? e.dataset.status : ''").await;
        matches!(status.as_str(), Some("committing" | "done")).then_some(())
    })
    .await;
    if b.exists("#import-progress").await {
        b.screenshot("103-import-progress").await;
    }
    b.wait_for("the import to be done", async || {
        let status = b.eval("var e = document.querySelector('#import'); return e ? e.dataset.status : ''").await;
        (status.as_str() == Some("done")).then_some(())
    })
    .await;
    b.wait_text("#outcome", "the outcome", |t| t.contains("The import is done")).await;
    let created = b.eval("return document.querySelectorAll('tr[data-result=created]').length").await;
    assert_eq!(created.as_i64(), Some(3));
    let report = b.client().find(Locator::Css("#report")).await.expect("the report link");
    assert!(report.attr("href").await.ok().flatten().unwrap_or_default().ends_with("/report.csv"));
    b.screenshot("103-import-done").await;

    // The members are on the Users tab.
    b.goto(USERS).await;
    for email in ["ann.lee@acme.test", "ben.ode@acme.test", "dia.park@acme.test"] {
        b.wait_text("#results", email, |t| t.contains(email)).await;
    }

    // On a phone: the rows stack as labelled cards, nothing sticks out.
    b.set_viewport(Viewport::PHONE).await;
    b.goto(&import).await;
    b.find("#import-rows").await;
    no_sideways_scroll(&b, &import).await;
    b.screenshot("104-phone-import").await;
    b.goto(TAB).await;
    b.find("#past-imports").await;
    no_sideways_scroll(&b, TAB).await;
    b.screenshot("105-phone-import-tab").await;
    b.set_viewport(Viewport::LAPTOP).await;
    b.finish().await;
    let _ = std::fs::remove_dir_all(&dir);
    app.finish().await;
}

#[tokio::test]
async fn import_works_without_javascript() {
    let app = spawn_app().await;
    app.create_org_with_preset("acme", OWNER, "owner-admin-user").await;
    let options = Options { javascript: false, screenshots: false };
    let Some(b) = Browser::start(&app.base_url, options).await else {
        app.finish().await;
        return;
    };
    let dir = std::env::temp_dir().join(format!("roster-import-nojs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let file = dir.join("people.csv");
    std::fs::write(&file, PEOPLE).expect("the file");
    b.goto("/login").await;
    b.fill("#email", OWNER).await;
    b.fill("#password", PASSWORD).await;
    b.click("#sign-in").await;
    b.wait_path("signed in", |p| !p.starts_with("/login")).await;

    // The plain form posts the file with its token, and the options as chosen.
    b.goto(TAB).await;
    b.click("#skip-invalid").await;
    let input = b.find("#file").await;
    input.send_keys(&file.display().to_string()).await.expect("the file is chosen");
    b.click("#read-file").await;
    b.wait_text("#count-create", "3 to create", |t| t == "3").await;
    let checked = b.eval("return document.querySelector('#commit-skip').checked").await;
    assert_eq!(checked.as_bool(), Some(true), "the upload's choice to skip bad rows is kept");

    // Commit: the page refreshes itself (a <noscript> meta refresh) until the import is done.
    b.click("#commit").await;
    b.wait_for("the import to be done", async || {
        let status = b.eval("var e = document.querySelector('#import'); return e ? e.dataset.status : ''").await;
        (status.as_str() == Some("done")).then_some(())
    })
    .await;
    let created = b.eval("return document.querySelectorAll('tr[data-result=created]').length").await;
    assert_eq!(created.as_i64(), Some(3));
    b.finish().await;
    let _ = std::fs::remove_dir_all(&dir);
    app.finish().await;
}
