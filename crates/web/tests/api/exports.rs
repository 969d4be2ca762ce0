//! The Users export (issue 13, items 6 and 7): `GET /api/v1/orgs/{org}/users/export`
//! as CSV and XLSX with the list's filters, formulas neutralized, the Users
//! tab's export links, and the export as of its start.

use reqwest::StatusCode;
use roster_app::Actor;
use roster_app::members::{ExportFormat, ExportRequest};
use roster_app::products::{BulkLicenses, SubscriptionPatch};
use roster_domain::MemberStatus;
use roster_testkit::{PASSWORD, Session, TestApp, page, spawn_app};
use serde_json::Value;

const HEADER: [&str; 8] = ["Email", "First name", "Last name", "Roles", "Products", "Status", "Last active", "Created"];
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Names a spreadsheet would run as formulas, each a member of its own.
const FORMULAS: [(&str, &str); 4] = [
    ("formula@acme.test", "=HYPERLINK(\"http://x.test\",\"y\")"),
    ("plus@acme.test", "+1 555"),
    ("minus@acme.test", "-x"),
    ("at@acme.test", "@x"),
];

/// acme with its owner, Ann Lee (Billing Manager, a Quote Assistant
/// license), a disabled member, an invited one and the formula names.
async fn acme(app: &TestApp) -> Session {
    let org = app.create_org("acme", "owner@acme.test").await;
    let ann = app.add_member_with_roles(&org, "ann@acme.test", &["billing_manager", "user"]).await;
    let owner = app.login("owner@acme.test", PASSWORD).await;
    let (s, body) = owner
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/orgs/acme/users/{ann}"),
            Some(serde_json::json!({"name": "Ann Lee"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let access = roster_app::access::open_org(&app.app, &Actor::Cli, "acme").await.unwrap();
    let meta = Default::default();
    let patch = SubscriptionPatch { license_count: Some(10), ..Default::default() };
    roster_app::products::update_subscription(&app.app, &access, "quote", &patch, &meta).await.unwrap();
    let req = BulkLicenses::Cells { assign: vec![(ann.to_string(), "quote".into())], remove: vec![] };
    roster_app::products::bulk_licenses(&app.app, &access, &req, false, &meta).await.unwrap();
    let dan = roster_app::demo::add_member(&app.app, &org, "dan@acme.test", "Dan Disabled", MemberStatus::Active, None)
        .await
        .unwrap();
    let (s, body) = owner.post(&format!("/api/v1/orgs/acme/users/{dan}/disable"), serde_json::json!({})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    roster_app::demo::add_member(&app.app, &org, "ivy@acme.test", "Ivy", MemberStatus::Invited, None).await.unwrap();
    for (email, name) in FORMULAS {
        roster_app::demo::add_member(&app.app, &org, email, name, MemberStatus::Active, None).await.unwrap();
    }
    owner
}

/// Downloads an export; answers its headers' content type and disposition and the body.
async fn download(s: &Session, query: &str) -> (String, String, Vec<u8>) {
    let r = s.raw(s.client.get(format!("{}/api/v1/orgs/acme/users/export?{query}", s.base_url))).await;
    assert_eq!(r.status(), StatusCode::OK, "{query}");
    let header = |h: &str| r.headers()[h].to_str().unwrap().to_string();
    let (media_type, disposition) = (header("content-type"), header("content-disposition"));
    (media_type, disposition, r.bytes().await.unwrap().to_vec())
}

/// A CSV export's records, header included, after checking its BOM and line ends.
fn csv_rows(body: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(body).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("UTF-8 with a byte order mark");
    assert!(text.ends_with("\r\n") && !text.replace("\r\n", "").contains('\n'), "CRLF line ends: {text:?}");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// An XLSX export's first sheet, cell by cell as text.
fn xlsx_rows(body: Vec<u8>) -> Vec<Vec<String>> {
    use calamine::{Reader, Xlsx, open_workbook_from_rs};
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(body)).expect("an XLSX workbook");
    assert_eq!(book.sheet_names(), ["Users"]);
    let range = book.worksheet_range("Users").unwrap();
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    calamine::Data::String(s) => s.clone(),
                    calamine::Data::Empty => String::new(),
                    other => panic!("every cell is text, not {other:?}"),
                })
                .collect()
        })
        .collect()
}

/// The list's items under a query, every page.
async fn listed(s: &Session, query: &str) -> Vec<Value> {
    let (status, body) = s.get(&format!("/api/v1/orgs/acme/users?per_page=200&{query}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["next_cursor"].is_null());
    body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn the_csv_export_is_the_list_in_the_columns_the_import_reads() {
    let app = spawn_app().await;
    let owner = acme(&app).await;
    let (media_type, disposition, body) = download(&owner, "format=csv").await;
    assert_eq!(media_type, "text/csv; charset=utf-8");
    assert_eq!(disposition, "attachment; filename=\"acme-users.csv\"");
    let rows = csv_rows(&body);
    assert_eq!(rows[0], HEADER);
    let items = listed(&owner, "").await;
    assert_eq!(rows.len(), items.len() + 1, "a header and one row per member");
    // The list's order (email), and each row as the list shows the member.
    for (row, item) in rows[1..].iter().zip(&items) {
        assert_eq!(row[0], item["email"].as_str().unwrap());
        let roles: Vec<&str> = item["roles"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
        assert_eq!(row[3], roles.join("; "), "{row:?}");
        assert_eq!(row[7], item["created_at"].as_str().unwrap());
        assert_eq!(row[6], item["last_active_at"].as_str().unwrap_or(""));
        assert_eq!(row[5].parse::<MemberStatus>().unwrap().as_str(), item["status"].as_str().unwrap());
    }
    let ann = rows.iter().find(|r| r[0] == "ann@acme.test").unwrap();
    assert_eq!(ann[1..3], ["Ann", "Lee"]);
    assert_eq!(ann[4..6], ["Quote Assistant", "Active"]);
    let mut roles: Vec<&str> = ann[3].split("; ").collect();
    roles.sort_unstable();
    assert_eq!(roles, ["Billing Manager", "User"], "role names, in the organization's order");
    let dan = rows.iter().find(|r| r[0] == "dan@acme.test").unwrap();
    assert_eq!((dan[1].as_str(), dan[2].as_str(), dan[5].as_str()), ("Dan", "Disabled", "Disabled"));
    let ivy = rows.iter().find(|r| r[0] == "ivy@acme.test").unwrap();
    assert_eq!((ivy[1].as_str(), ivy[2].as_str(), ivy[5].as_str(), ivy[6].as_str()), ("Ivy", "", "Invited", ""));

    // The status filter narrows it; so do the others, as on the list.
    let rows = csv_rows(&download(&owner, "format=csv&status=disabled").await.2);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][0], "dan@acme.test");
    let rows = csv_rows(&download(&owner, "format=csv&status=active&product=quote").await.2);
    assert_eq!(rows.iter().skip(1).map(|r| r[0].as_str()).collect::<Vec<_>>(), ["ann@acme.test"]);
    let rows = csv_rows(&download(&owner, "format=csv&role=billing_manager&sort=name&order=desc").await.2);
    assert_eq!(rows.len(), 2);
    let rows = csv_rows(&download(&owner, "format=csv&q=acme.test&sort=name&order=desc").await.2);
    let names: Vec<String> = listed(&owner, "q=acme.test&sort=name&order=desc")
        .await
        .iter()
        .map(|i| i["email"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(rows.iter().skip(1).map(|r| r[0].clone()).collect::<Vec<_>>(), names, "the list's order");
    app.finish().await;
}

#[tokio::test]
async fn formula_cells_are_neutralized_in_csv_and_xlsx() {
    let app = spawn_app().await;
    let owner = acme(&app).await;
    let csv = csv_rows(&download(&owner, "format=csv").await.2);
    let (media_type, disposition, body) = download(&owner, "format=xlsx").await;
    assert_eq!(media_type, XLSX);
    assert_eq!(disposition, "attachment; filename=\"acme-users.xlsx\"");
    let xlsx = xlsx_rows(body);
    assert_eq!(xlsx, csv, "the workbook holds the same cells as the CSV file");
    for rows in [&csv, &xlsx] {
        for cell in rows.iter().flatten() {
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "no cell starts a formula: {cell:?}");
        }
        let first_name = |email: &str| rows.iter().find(|r| r[0] == email).unwrap()[1].clone();
        assert_eq!(first_name("formula@acme.test"), "'=HYPERLINK(\"http://x.test\",\"y\")");
        assert_eq!(first_name("plus@acme.test"), "'+1");
        assert_eq!(first_name("minus@acme.test"), "'-x");
        assert_eq!(first_name("at@acme.test"), "'@x");
    }
    // The XLSX export takes the filters too.
    let rows = xlsx_rows(download(&owner, "format=xlsx&status=invited").await.2);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0], HEADER);
    assert_eq!(rows[1][0], "ivy@acme.test");
    app.finish().await;
}

#[tokio::test]
async fn exporting_needs_members_read_in_the_organization() {
    let app = spawn_app().await;
    let owner = acme(&app).await;
    let org = roster_app::access::open_org(&app.app, &Actor::Cli, "acme").await.unwrap().org;
    app.add_member_with_roles(&org, "user@acme.test", &["user"]).await;
    let user = app.login("user@acme.test", PASSWORD).await;
    for path in [
        "/api/v1/orgs/acme/users/export?format=csv",
        "/api/v1/orgs/acme/users/export?format=xlsx",
        "/api/v1/orgs/acme/users/export",
        "/api/v1/orgs/acme/users/export?format=pdf&status=sleeping",
    ] {
        let (s, body) = user.get(path).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}: {body}");
        assert!(body["detail"].as_str().unwrap().contains("members:read"), "{body}");
    }
    // Another organization's members: 404, like one that does not exist.
    let globex = app.create_org("globex", "owner@globex.test").await;
    app.add_member(&globex, "gus@globex.test", "Gus").await;
    for path in ["/api/v1/orgs/globex/users/export?format=csv", "/api/v1/orgs/nowhere/users/export?format=csv"] {
        let (s, body) = owner.get(path).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    let rows = csv_rows(&download(&owner, "format=csv").await.2);
    assert!(rows.iter().all(|r| !r[0].ends_with("@globex.test")), "only this organization's members");
    // Bad parameters: 422 naming them.
    for (query, field) in [
        ("", "format"),
        ("format=pdf", "format"),
        ("format=csv&status=sleeping", "status"),
        ("format=csv&cursor=abc", "cursor"),
        ("format=csv&per_page=50", "per_page"),
        ("format=csv&role=nobody", "role"),
        ("format=csv&product=unknown", "product"),
        ("format=csv&colour=red", "colour"),
    ] {
        let (s, body) = owner.get(&format!("/api/v1/orgs/acme/users/export?{query}")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
    }
    app.finish().await;
}

#[tokio::test]
async fn an_export_reads_in_batches_the_members_of_its_start() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    app.seed(&org, 4_500).await;
    let owner = app.login("owner@acme.test", PASSWORD).await;
    let access = roster_app::access::open_org(&app.app, &Actor::Cli, "acme").await.unwrap();
    let mut export =
        roster_app::members::export(&app.app, &access, &ExportRequest::new(ExportFormat::Csv)).await.unwrap();
    let first = export.next_chunk().await.unwrap().unwrap();
    // A member who joins while the export runs is not in it.
    app.advance(1);
    app.add_member(&org, "zz-late@acme.test", "Late").await;
    let mut text = String::from_utf8(first).unwrap();
    let mut chunks = 1;
    while let Some(c) = export.next_chunk().await.unwrap() {
        text.push_str(std::str::from_utf8(&c).unwrap());
        chunks += 1;
    }
    assert!(!text.contains("zz-late@acme.test"));
    assert_eq!(text.matches("\r\n").count(), 1 + 4_500 + 1, "the header, the seeded members and the owner");
    assert!(chunks >= 3, "a batch of 2,000 at a time: {chunks}");
    // An XLSX export of the same holds the same rows.
    let mut export =
        roster_app::members::export(&app.app, &access, &ExportRequest::new(ExportFormat::Xlsx)).await.unwrap();
    let mut body = Vec::new();
    while let Some(c) = export.next_chunk().await.unwrap() {
        body.extend(c);
    }
    let rows = xlsx_rows(body);
    assert_eq!(rows.len(), 1 + 4_500 + 2, "the late member is there now");
    assert_eq!(rows, csv_rows(&download(&owner, "format=csv").await.2));
    app.finish().await;
}

#[tokio::test]
async fn the_users_tab_links_the_export_with_its_filters() {
    let app = spawn_app().await;
    acme(&app).await;
    let base = &app.base_url;
    let (c, _) = app.sign_in_form("owner@acme.test").await;
    let (s, html) =
        page(&c, format!("{base}/orgs/acme/settings/users?status=disabled&q=dan&sort=-name&per_page=50")).await;
    assert_eq!(s, StatusCode::OK);
    let unescaped = html.replace("&amp;", "&").replace("&#38;", "&");
    let link = |id: &str| -> String {
        let at = unescaped.find(&format!("id=\"{id}\" href=\"")).unwrap_or_else(|| panic!("no {id} link"));
        unescaped[at..].split("href=\"").nth(1).unwrap().split('"').next().unwrap().to_string()
    };
    let csv = link("export-csv");
    assert_eq!(csv, "/orgs/acme/settings/users/export?q=dan&status=disabled&sort=name&order=desc&format=csv");
    assert!(link("export-xlsx").ends_with("&format=xlsx"));
    let r = c.get(format!("{base}{csv}")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-disposition"], "attachment; filename=\"acme-users.csv\"");
    let rows = csv_rows(&r.bytes().await.unwrap());
    assert_eq!(rows.iter().skip(1).map(|r| r[0].as_str()).collect::<Vec<_>>(), ["dan@acme.test"]);
    let r = c.get(format!("{base}{}", link("export-xlsx"))).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], XLSX);
    assert_eq!(xlsx_rows(r.bytes().await.unwrap().to_vec()).len(), 2);
    // The tab's own spellings of the filters work in the link too.
    let r = c
        .get(format!("{base}/orgs/acme/settings/users/export?format=csv&sort=-email&activity=never"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let rows = csv_rows(&r.bytes().await.unwrap());
    assert!(rows.len() > 2 && rows[1][0] > rows[2][0], "descending by email");
    // Without members:read, the page export is refused.
    let org = roster_app::access::open_org(&app.app, &Actor::Cli, "acme").await.unwrap().org;
    app.add_member_with_roles(&org, "user@acme.test", &["user"]).await;
    let (c, _) = app.sign_in_form("user@acme.test").await;
    let (s, _) = page(&c, format!("{base}/orgs/acme/settings/users/export?format=csv")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    app.finish().await;
}
