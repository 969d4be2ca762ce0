//! The Import pages without JavaScript (seed 004): the templates download
//! through the page, a CSV is uploaded through the form (multipart, its
//! CSRF token its first part), the preview counts every outcome and names
//! the bad row's reason and cell, a commit with errors is refused until
//! bad rows are skipped, the page follows the commit to its end, the
//! members exist, the report downloads; a bad upload shows the form again
//! as chosen; the mapping step places an unknown header; members without
//! members:create are kept out.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use roster_testkit::{PASSWORD, TestApp, page, post_form, spawn_app, spawn_app_with};

const TAB: &str = "/orgs/acme/settings/imports";

/// Three good rows and one whose address is not one (line 4, cell A4).
const PEOPLE: &str = "Email,First name,Last name,Roles\r\n\
    ann@acme.test,Ann,Smith,User\r\n\
    bob@acme.test,Bob,Jones,User\r\n\
    not-an-email,Carl,Weber,User\r\n\
    dee@acme.test,Dee,Brown,\r\n";

/// A `multipart/form-data` body as a browser sends the upload form: its
/// fields in order, then the file. Answers the content type and the body.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----RosterTestBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Posts the upload form.
async fn upload(
    app: &TestApp,
    c: &reqwest::Client,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> reqwest::Response {
    let (content_type, body) = multipart(fields, file);
    c.post(format!("{}{TAB}", app.base_url))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("the upload")
}

fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

/// The text of the element with this id (up to its first tag's end).
fn by_id<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("#{id} on the page"));
    let from = at + html[at..].find('>').expect("the tag ends") + 1;
    let to = from + html[from..].find('<').unwrap_or(0);
    &html[from..to]
}

/// The `<tr …>` of a line of the rows table, to its end.
fn row(html: &str, line: u64) -> &str {
    let at = html.find(&format!("data-line=\"{line}\"")).unwrap_or_else(|| panic!("line {line} shown"));
    let end = at + html[at..].find("</tr>").expect("the row ends");
    &html[at..end]
}

/// Uploads `PEOPLE` as the owner; answers the import page's path.
async fn upload_people(app: &TestApp, c: &reqwest::Client, csrf: &str, extra: &[(&str, &str)]) -> String {
    let mut fields = vec![("csrf_token", csrf), ("mode", "create")];
    fields.extend_from_slice(extra);
    let r = upload(app, c, &fields, Some(("people.csv", PEOPLE.as_bytes()))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap_or_default());
    let to = location(&r);
    assert!(to.starts_with(&format!("{TAB}/")), "on to the import's page: {to}");
    to
}

#[tokio::test]
async fn a_csv_uploaded_through_the_page_is_previewed_committed_and_reported() {
    let app = spawn_app().await;
    app.create_org_with_preset("acme", "owner@acme.test", "owner-admin-user").await;
    let (c, csrf) = app.sign_in_form("owner@acme.test").await;

    // Users → Import: the tab, the templates, the form.
    let (_, users) = page(&c, format!("{}/orgs/acme/settings/users", app.base_url)).await;
    assert!(users.contains(&format!("id=\"import-users\" href=\"{TAB}\"")), "the Users toolbar links to Import");
    assert!(users.contains(&format!("href=\"{TAB}\">Import</a>")), "the Import tab is shown");
    let (status, tab) = page(&c, format!("{}{TAB}", app.base_url)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(tab.contains("enctype=\"multipart/form-data\"") && tab.contains("accept=\".csv,.xlsx,.xls,.ods\""));
    let form = &tab[tab.find("id=\"upload-form\"").expect("the form")..];
    assert!(
        form.find("name=\"csrf_token\"").expect("the token") < form.find("name=\"mode\"").expect("the mode"),
        "the token is the form's first field"
    );
    assert!(tab.contains("id=\"no-imports\""));

    let r = c.get(format!("{}{TAB}/template.csv", app.base_url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let disposition = r.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(disposition.starts_with("attachment") && disposition.contains(".csv"), "{disposition}");
    let text = r.text().await.unwrap();
    assert!(text.trim_start_matches('\u{feff}').starts_with("Email,First name,Last name"), "{text}");
    let r = c.get(format!("{}{TAB}/template.xlsx", app.base_url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.unwrap().starts_with(b"PK"), "an XLSX file is a zip");

    // Without the token, or with it anywhere but first: refused, nothing read.
    let file = Some(("people.csv", PEOPLE.as_bytes()));
    assert_eq!(upload(&app, &c, &[("mode", "create")], file).await.status(), StatusCode::FORBIDDEN);
    let late = upload(&app, &c, &[("mode", "create"), ("csrf_token", &csrf)], file).await;
    assert_eq!(late.status(), StatusCode::FORBIDDEN);
    assert_eq!(upload(&app, &c, &[("csrf_token", "forged")], file).await.status(), StatusCode::FORBIDDEN);

    // Read file: the preview.
    let import = upload_people(&app, &c, &csrf, &[]).await;
    let (status, html) = page(&c, format!("{}{import}", app.base_url)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-status=\"preview\""));
    assert_eq!(by_id(&html, "count-create"), "3");
    assert_eq!(by_id(&html, "count-error"), "1");
    let bad = row(&html, 4);
    assert!(bad.contains("data-outcome=\"error\"") && bad.contains("is not an email address"), "{bad}");
    assert!(bad.contains(">A4</span>"), "the cell at fault: {bad}");
    assert!(row(&html, 2).contains("data-outcome=\"create\""));
    assert!(html.contains("id=\"errors-csv\"") && html.contains("id=\"commit-skip\""));

    // Errors only.
    let (_, errors) = page(&c, format!("{}{import}?outcome=error", app.base_url)).await;
    assert!(errors.contains("data-line=\"4\"") && !errors.contains("data-line=\"2\""), "only the bad row");
    let r = c.get(format!("{}{import}/errors.csv", app.base_url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    assert!(csv.contains("not-an-email") && !csv.contains("ann@acme.test"), "{csv}");

    // Committing without skipping the bad row is refused, and says so on the page.
    let r = post_form(&c, format!("{}{import}/commit", app.base_url), &[("csrf_token", &csrf), ("skip_offered", "1")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), import);
    let (_, html) = page(&c, format!("{}{import}", app.base_url)).await;
    assert!(html.contains("flash-error") && html.contains("have errors"), "the refusal is shown");
    assert!(html.contains("data-status=\"preview\""), "nothing was committed");

    // With the bad row skipped: committing, then done.
    let r = post_form(
        &c,
        format!("{}{import}/commit", app.base_url),
        &[("csrf_token", &csrf), ("skip_offered", "1"), ("skip_invalid", "on")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let started = Instant::now();
    let html = loop {
        let (_, html) = page(&c, format!("{}{import}", app.base_url)).await;
        if html.contains("data-status=\"committing\"") {
            assert!(html.contains("<progress") && html.contains("hx-trigger=\"every 1s\""), "the progress bar");
            assert!(html.contains("<noscript><meta http-equiv=\"refresh\" content=\"2\"></noscript>"));
        }
        if html.contains("data-status=\"done\"") {
            break html;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "the import ends: {html}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(html.contains("id=\"outcome\"") && html.contains("id=\"report\""));
    assert!(row(&html, 2).contains("data-result=\"created\"") && row(&html, 4).contains("data-result=\"skipped\""));
    let r = c.get(format!("{}{import}/progress", app.base_url)).send().await.unwrap();
    assert_eq!(r.headers().get("hx-refresh").and_then(|v| v.to_str().ok()), Some("true"), "polling stops");
    let fragment = r.text().await.unwrap();
    assert!(fragment.contains("<progress id=\"progress-bar\" value=\"3\" max=\"3\""), "{fragment}");
    assert!(fragment.contains("3 of 3 rows applied (100%)") && !fragment.contains("<html"), "{fragment}");

    // The members exist.
    let api = app.login("owner@acme.test", PASSWORD).await;
    let (status, users) = api.get("/api/v1/orgs/acme/users").await;
    assert_eq!(status, StatusCode::OK);
    let users = users.to_string();
    for email in ["ann@acme.test", "bob@acme.test", "dee@acme.test"] {
        assert!(users.contains(email), "{email} imported: {users}");
    }
    assert!(!users.contains("not-an-email"));

    // The report, and the tab's list.
    let r = c.get(format!("{}{import}/report.csv", app.base_url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("people-report.csv"));
    let report = r.text().await.unwrap();
    assert!(report.contains("ann@acme.test") && report.contains("created") && report.contains("skipped"), "{report}");
    let (_, tab) = page(&c, format!("{}{TAB}", app.base_url)).await;
    assert!(tab.contains("people.csv") && tab.contains("data-status=\"done\""), "the past import is listed");
    assert!(tab.contains(&format!("{import}/report.csv")));
    app.finish().await;
}

#[tokio::test]
async fn a_bad_upload_shows_the_form_again_as_chosen() {
    let app = spawn_app_with(|c| c.import_max_bytes = 1024 * 1024).await;
    app.create_org_with_preset("acme", "owner@acme.test", "owner-admin-user").await;
    let (c, csrf) = app.sign_in_form("owner@acme.test").await;
    let chosen = [("csrf_token", csrf.as_str()), ("mode", "upsert"), ("dry_run", "true"), ("skip_invalid", "true")];

    let kept = |html: &str| {
        assert!(html.contains("id=\"mode-upsert\" checked"), "the mode is kept");
        assert!(html.contains("id=\"dry-run\" checked") && html.contains("id=\"skip-invalid\" checked"));
        assert!(!html.contains("id=\"invite\" checked"));
        assert!(html.contains("Choose the file again"), "a file input cannot be kept");
    };

    // Not a spreadsheet.
    let r = upload(&app, &c, &chosen, Some(("photo.png", b"\x89PNG\r\n\x1a\nnot a table"))).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"file-error\""), "the error is beside the file");
    kept(&html);

    // No file chosen.
    let r = upload(&app, &c, &chosen, Some(("", b""))).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"file-error\""));
    kept(&html);

    // Too large: refused while reading.
    let mut big = String::from("Email\r\n");
    while big.len() <= 1024 * 1024 {
        big.push_str("someone.with.a.long.address@acme.test\r\n");
    }
    let r = upload(&app, &c, &chosen, Some(("big.csv", big.as_bytes()))).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(by_id(&html, "file-error").contains("larger than 1 MB"), "{}", by_id(&html, "file-error"));
    kept(&html);

    // No import was kept.
    let (_, tab) = page(&c, format!("{}{TAB}", app.base_url)).await;
    assert!(tab.contains("id=\"no-imports\""));
    app.finish().await;
}

#[tokio::test]
async fn a_dry_run_previews_and_cannot_be_committed() {
    let app = spawn_app().await;
    app.create_org_with_preset("acme", "owner@acme.test", "owner-admin-user").await;
    let (c, csrf) = app.sign_in_form("owner@acme.test").await;
    let import = upload_people(&app, &c, &csrf, &[("dry_run", "true")]).await;
    let (_, html) = page(&c, format!("{}{import}", app.base_url)).await;
    assert!(html.contains("id=\"dry-run-note\"") && html.contains("id=\"commit\" disabled"));
    assert!(!html.contains("id=\"commit-form\""));
    let r = post_form(&c, format!("{}{import}/commit", app.base_url), &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&c, format!("{}{import}", app.base_url)).await;
    assert!(html.contains("flash-error") && html.contains("dry run"), "the refusal is shown");

    // Discarded: back to the tab, which lists it.
    let r = post_form(&c, format!("{}{import}/discard", app.base_url), &[("csrf_token", &csrf)]).await;
    assert_eq!(location(&r), TAB);
    let (_, tab) = page(&c, format!("{}{TAB}", app.base_url)).await;
    assert!(tab.contains("data-status=\"discarded\"") && tab.contains("was discarded"));
    app.finish().await;
}

#[tokio::test]
async fn the_rows_come_a_hundred_a_page() {
    let app = spawn_app().await;
    app.create_org_with_preset("acme", "owner@acme.test", "owner-admin-user").await;
    let (c, csrf) = app.sign_in_form("owner@acme.test").await;
    let mut csv = String::from("Email,First name,Last name\r\n");
    for i in 0..150 {
        csv.push_str(&format!("person{i:03}@acme.test,Person,No{i}\r\n"));
    }
    let r = upload(&app, &c, &[("csrf_token", &csrf), ("dry_run", "true")], Some(("many.csv", csv.as_bytes()))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let import = location(&r);
    let (_, html) = page(&c, format!("{}{import}", app.base_url)).await;
    assert_eq!(by_id(&html, "count-create"), "150");
    assert_eq!(html.matches("data-line=").count(), 100, "a hundred rows a page");
    assert!(html.contains("data-line=\"101\"") && !html.contains("data-line=\"102\""));
    let next = format!("{import}?after=101");
    assert!(html.contains(&format!("id=\"next\" href=\"{next}\"")), "Next reads on after the last line");
    let (_, html) = page(&c, format!("{}{next}", app.base_url)).await;
    assert_eq!(html.matches("data-line=").count(), 50);
    assert!(html.contains("data-line=\"102\"") && html.contains("data-line=\"151\"") && !html.contains("id=\"next\""));
    app.finish().await;
}

#[tokio::test]
async fn the_mapping_step_places_an_unknown_header() {
    let app = spawn_app().await;
    app.create_org_with_preset("acme", "owner@acme.test", "owner-admin-user").await;
    let (c, csrf) = app.sign_in_form("owner@acme.test").await;
    let csv = "Email,First name,Abteilung\r\nann@acme.test,Ann,Sales\r\n";
    let r = upload(&app, &c, &[("csrf_token", &csrf)], Some(("team.csv", csv.as_bytes()))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let import = location(&r);
    let (_, html) = page(&c, format!("{}{import}", app.base_url)).await;
    assert!(html.contains("data-status=\"mapping\""));
    assert!(html.contains("name=\"header\" value=\"Abteilung\"") && html.contains("data-header=\"Abteilung\""));
    assert!(html.contains("<option value=\"ignore\">Ignore this column</option>"));
    assert!(html.contains("“Email” → Email"), "the placed headers are shown");
    assert!(!html.contains("id=\"import-counts\""), "no preview yet");

    // Left unanswered: asked again.
    let r = post_form(
        &c,
        format!("{}{import}/mapping", app.base_url),
        &[("csrf_token", &csrf), ("header", "Abteilung"), ("column", "")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&c, format!("{}{import}", app.base_url)).await;
    assert!(html.contains("data-status=\"mapping\"") && html.contains("still need a place"));

    let r = post_form(
        &c,
        format!("{}{import}/mapping", app.base_url),
        &[("csrf_token", &csrf), ("header", "Abteilung"), ("column", "ignore")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), import);
    let (_, html) = page(&c, format!("{}{import}", app.base_url)).await;
    assert!(html.contains("data-status=\"preview\"") && html.contains("Every column is placed"));
    assert_eq!(by_id(&html, "count-create"), "1");
    app.finish().await;
}

#[tokio::test]
async fn members_without_members_create_are_kept_out() {
    let app = spawn_app().await;
    let org = app.create_org_with_preset("acme", "owner@acme.test", "owner-admin-user").await;
    app.add_member(&org, "plain@acme.test", "Plain Member").await;
    let (owner, owner_csrf) = app.sign_in_form("owner@acme.test").await;
    let import = upload_people(&app, &owner, &owner_csrf, &[]).await;

    let (c, csrf) = app.sign_in_form("plain@acme.test").await;
    let (_, users) = page(&c, format!("{}/orgs/acme/settings/users", app.base_url)).await;
    assert!(!users.contains(&format!("href=\"{TAB}\"")), "neither the tab nor the button");
    for path in [TAB.to_string(), import.clone()] {
        let (status, html) = page(&c, format!("{}{path}", app.base_url)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(!html.contains("ann@acme.test"), "{path} shows nothing of the import");
    }
    for path in [
        format!("{TAB}/template.csv"),
        format!("{TAB}/template.xlsx"),
        format!("{import}/report.csv"),
        format!("{import}/errors.csv"),
        format!("{import}/progress"),
    ] {
        let status = c.get(format!("{}{path}", app.base_url)).send().await.unwrap().status();
        assert!(matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{path}: {status}");
    }
    let r = upload(&app, &c, &[("csrf_token", &csrf)], Some(("people.csv", PEOPLE.as_bytes()))).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    for action in ["commit", "discard", "mapping"] {
        let r = post_form(&c, format!("{}{import}/{action}", app.base_url), &[("csrf_token", &csrf)]).await;
        let status = r.status();
        let to = location(&r);
        let body = r.text().await.unwrap_or_default();
        // Refused: the error page, or back to the page with the refusal (which the member cannot open).
        assert!(
            matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND)
                || (status == StatusCode::SEE_OTHER && to == import),
            "{action}: {status} {body}"
        );
    }
    let (_, html) = page(&owner, format!("{}{import}", app.base_url)).await;
    assert!(html.contains("data-status=\"preview\""), "nothing changed");
    app.finish().await;
}
