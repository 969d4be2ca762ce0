//! Bulk import (issue 13): templates, upload in several encodings and
//! formats, the mapping step (remembered), every row checked before
//! anything is written (syntax, duplicates, existing members, roles and no
//! escalation, products and seats), commit modes, skipping bad rows, the
//! report, invitations through the outbox, one audit event per member, and
//! a commit resumed after its server stopped (each row applied once).

use reqwest::StatusCode;
use roster_testkit::{PASSWORD, Session, TestApp, spawn_app};
use serde_json::{Value, json};

/// Acme (owner-admin-user preset) with Ann, an owner session, and Quote with `seats` seats.
async fn acme(seats: i64) -> (TestApp, roster_store::orgs::OrgRecord, Session) {
    let t = spawn_app().await;
    let org = t.create_org_with_preset("acme", "owner@acme.test", "owner-admin-user").await;
    t.add_member(&org, "ann@acme.test", "Ann Smith").await;
    let owner = t.login("owner@acme.test", PASSWORD).await;
    let (status, body) = owner
        .send(reqwest::Method::PATCH, "/api/v1/orgs/acme/products/quote", Some(json!({"license_count": seats})))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (t, org, owner)
}

/// A multipart body: the text fields, then the file.
fn multipart(fields: &[(&str, &str)], file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "roster-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Uploads a file; answers the status and body.
async fn upload(s: &Session, fields: &[(&str, &str)], file_name: &str, bytes: &[u8]) -> (StatusCode, Value) {
    let (ct, body) = multipart(fields, file_name, bytes);
    let r = s
        .raw(
            s.client
                .post(format!("{}/api/v1/orgs/acme/imports", s.base_url))
                .header("X-CSRF-Token", &s.csrf)
                .header("content-type", ct)
                .body(body),
        )
        .await;
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Commits and waits for the end; answers the import.
async fn commit(s: &Session, id: &str, body: Value) -> Value {
    let (status, v) = s.post(&format!("/api/v1/orgs/acme/imports/{id}/commit"), body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    wait(s, id).await
}

async fn wait(s: &Session, id: &str) -> Value {
    for _ in 0..400 {
        let (status, v) = s.get(&format!("/api/v1/orgs/acme/imports/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        if v["status"] != "committing" {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the import did not end");
}

async fn rows(s: &Session, id: &str, query: &str) -> Vec<Value> {
    let (status, v) = s.get(&format!("/api/v1/orgs/acme/imports/{id}/rows?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["rows"].as_array().unwrap().clone()
}

async fn member(s: &Session, email: &str) -> Value {
    let (_, users) = s.get(&format!("/api/v1/orgs/acme/users?email={email}&status=active,invited,disabled")).await;
    users["items"][0].clone()
}

#[tokio::test]
async fn a_csv_is_checked_row_by_row_before_anything_is_written() {
    let (t, _org, owner) = acme(2).await;
    let csv = "Email,First name,Last name,Roles,Products\r\n\
               bob@acme.test,Bob,Jones,User,Quote Assistant\r\n\
               carol@acme.test,Carol,,admin,quote\r\n\
               not-an-address,Dan,,,\r\n\
               bob@acme.test,Bob,Again,,\r\n\
               ann@acme.test,Ann,Smith,,\r\n\
               erin@acme.test,Erin,,Wizard,\r\n\
               frank@acme.test,Frank,,,quote\r\n";
    let (status, v) = upload(&owner, &[], "people.csv", csv.as_bytes()).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "preview");
    assert_eq!(v["counts"], json!({"create": 2, "update": 0, "unchanged": 1, "error": 4}), "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    let errors = rows(&owner, &id, "outcome=error").await;
    let why: Vec<(u64, &str, &str)> = errors
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["cell"].as_str().unwrap(), r["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(why[0].0, 4);
    assert_eq!(why[0].1, "A4");
    assert!(why[0].2.contains("not an email address"), "{why:?}");
    assert!(why[1].2.contains("row 2"), "a duplicate names the first row: {why:?}");
    assert_eq!((why[2].0, why[2].1), (7, "D7"));
    assert!(why[2].2.contains("'Wizard' is not a role"), "{why:?}");
    assert_eq!((why[3].0, why[3].1), (8, "E8"));
    assert!(why[3].2.contains("no free seat of Quote Assistant"), "two seats, taken by rows 2 and 3: {why:?}");
    // Nothing was written: Bob is no member yet.
    assert!(member(&owner, "bob@acme.test").await.is_null());
    // Without skipping, the commit is refused and writes nothing.
    let (status, p) = owner.post(&format!("/api/v1/orgs/acme/imports/{id}/commit"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");
    assert_eq!(p["type"], "/problems/import-state");
    assert!(p["detail"].as_str().unwrap().contains("4 of 7 rows have errors"), "{p}");
    assert!(member(&owner, "bob@acme.test").await.is_null());
    // Skipping bad rows: the good ones are created, one event each.
    let done = commit(&owner, &id, json!({"skip_invalid": true})).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["progress"], json!({"applied": 2, "total": 2, "percent": 100}));
    let bob = member(&owner, "bob@acme.test").await;
    assert_eq!(bob["status"], "active");
    assert_eq!(bob["name"], "Bob Jones");
    assert_eq!(bob["roles"].as_array().unwrap().iter().map(|r| r["key"].clone()).collect::<Vec<_>>(), [json!("user")]);
    let (_, quote) = owner.get("/api/v1/orgs/acme/products/quote").await;
    assert_eq!(quote["used"], 2, "{quote}");
    let carol = member(&owner, "carol@acme.test").await;
    assert_eq!(carol["roles"][0]["key"], "admin");
    let results: Vec<Value> = rows(&owner, &id, "").await.iter().map(|r| r["result"].clone()).collect();
    assert_eq!(
        results,
        [
            json!("created"),
            json!("created"),
            json!("skipped"),
            json!("skipped"),
            json!("unchanged"),
            json!("skipped"),
            json!("skipped")
        ]
    );
    let (_, history) = owner.get("/api/v1/orgs/acme/audit?action=member.added").await;
    let added: Vec<&Value> =
        history["items"].as_array().unwrap().iter().filter(|e| e["details"]["data"]["via"] == "import").collect();
    assert_eq!(added.len(), 2, "one event per member: {history}");
    let (_, history) = owner.get("/api/v1/orgs/acme/audit?action=import.finished").await;
    assert_eq!(history["items"].as_array().unwrap().len(), 1, "{history}");
    // The report lists every row.
    let r = owner.raw(owner.client.get(format!("{}/api/v1/orgs/acme/imports/{id}/report.csv", owner.base_url))).await;
    assert_eq!(r.status(), StatusCode::OK);
    let report = r.text().await.unwrap();
    assert_eq!(report.lines().count(), 8, "{report}");
    assert!(report.contains("bob@acme.test,Bob,Jones,User,quote,create,created"), "{report}");
    // Committing again is refused.
    let (status, _) = owner.post(&format!("/api/v1/orgs/acme/imports/{id}/commit"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    t.finish().await;
}

#[tokio::test]
async fn encodings_delimiters_and_spreadsheets_read_the_same() {
    let (t, _org, owner) = acme(5).await;
    // Windows-1252 with semicolons and synonyms for the headers.
    let mut cp1252 = b"E-mail;Given name;Surname\r\nmuller@acme.test;J".to_vec();
    cp1252.push(0xFC); // ü
    cp1252.extend_from_slice(b"rgen;M\xFCller\r\n");
    let (status, v) = upload(&owner, &[], "people.csv", &cp1252).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["counts"]["create"], 1, "{v}");
    let first = &rows(&owner, v["id"].as_str().unwrap(), "").await[0];
    assert_eq!((first["first_name"].as_str(), first["last_name"].as_str()), (Some("Jürgen"), Some("Müller")));
    // UTF-16 LE with BOM and tabs.
    let text = "Email\tFirst name\r\nzoe@acme.test\tZoë\r\n";
    let mut utf16 = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let (status, v) = upload(&owner, &[], "people.txt", &utf16).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(rows(&owner, v["id"].as_str().unwrap(), "").await[0]["first_name"], "Zoë");
    // The XLSX template, filled in by a program: its note row is skipped.
    let r = owner.raw(owner.client.get(format!("{}/api/v1/orgs/acme/imports/template.xlsx", owner.base_url))).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("roster-import-template.xlsx"));
    let template = r.bytes().await.unwrap();
    let (status, v) = upload(&owner, &[], "template.xlsx", &template).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!((v["status"].as_str(), v["rows_total"].as_u64()), (Some("preview"), Some(0)), "{v}");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["Email", "First name", "Last name", "Roles"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet.write_string(1, 0, "xavier@acme.test").unwrap();
    sheet.write_string(1, 1, "Xavier").unwrap();
    sheet.write_number(1, 2, 42).unwrap();
    sheet.write_string(1, 3, "User; Admin").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let (status, v) = upload(&owner, &[], "people.xlsx", &bytes).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let row = &rows(&owner, v["id"].as_str().unwrap(), "").await[0];
    assert_eq!((row["last_name"].as_str(), row["roles"].as_str()), (Some("42"), Some("User; Admin")), "{row}");
    // The CSV template is the header row.
    let r = owner.raw(owner.client.get(format!("{}/api/v1/orgs/acme/imports/template.csv", owner.base_url))).await;
    assert_eq!(r.text().await.unwrap(), "\u{feff}Email,First name,Last name,Roles,Products\r\n");
    t.finish().await;
}

#[tokio::test]
async fn hostile_and_broken_files_are_refused_with_a_reason() {
    let (t, _org, owner) = acme(1).await;
    for (name, bytes, words) in [
        ("x.xlsx", b"PK\x03\x04 this is no spreadsheet".to_vec(), "damaged"),
        ("x.csv", b"Name,Phone\r\nAnn,1\r\n".to_vec(), "Email"),
        ("x.csv", Vec::new(), "empty"),
    ] {
        let (status, p) = upload(&owner, &[], name, &bytes).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {p}");
        let detail = p.to_string();
        assert!(detail.contains(words) || detail.to_lowercase().contains(&words.to_lowercase()), "{name}: {p}");
    }
    let (_, list) = owner.get("/api/v1/orgs/acme/imports").await;
    assert_eq!(list["imports"].as_array().unwrap().len(), 0, "a refused file leaves no import");
    t.finish().await;
}

#[tokio::test]
async fn the_size_cap_is_configurable() {
    let t = roster_testkit::spawn_app_with(|c| {
        c.import_max_bytes = 1024;
        c.import_max_rows = 3;
    })
    .await;
    t.create_org_with_preset("acme", "owner@acme.test", "owner-admin-user").await;
    let owner = t.login("owner@acme.test", PASSWORD).await;
    let big = format!("Email\r\n{}", "someone@acme.test\r\n".repeat(100));
    let (status, p) = upload(&owner, &[], "big.csv", big.as_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert!(p.to_string().contains("larger than"), "{p}");
    let many: String =
        std::iter::once("Email\r\n".to_string()).chain((0..5).map(|i| format!("p{i}@acme.test\r\n"))).collect();
    let (status, p) = upload(&owner, &[], "many.csv", many.as_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert!(p.to_string().contains("more than 3"), "{p}");
    t.finish().await;
}

#[tokio::test]
async fn the_mapping_step_places_unknown_headers_and_is_remembered() {
    let (t, _org, owner) = acme(1).await;
    let csv = "Email,Vorname,Dept\r\nhans@acme.test,Hans,Sales\r\n";
    let (status, v) = upload(&owner, &[], "hr.csv", csv.as_bytes()).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "mapping", "{v}");
    assert_eq!(v["unplaced"], json!(["Dept"]), "Vorname is a known synonym: {v}");
    let id = v["id"].as_str().unwrap();
    let (status, p) = owner.post(&format!("/api/v1/orgs/acme/imports/{id}/commit"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");
    let (status, p) =
        owner.post(&format!("/api/v1/orgs/acme/imports/{id}/mapping"), json!({"columns": {"Dept": "sorcery"}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (status, v) =
        owner.post(&format!("/api/v1/orgs/acme/imports/{id}/mapping"), json!({"columns": {"Dept": "ignore"}})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!((v["status"].as_str(), v["counts"]["create"].as_u64()), (Some("preview"), Some(1)), "{v}");
    // The next upload with the same header needs no mapping step.
    let (_, v) = upload(&owner, &[], "hr2.csv", csv.as_bytes()).await;
    assert_eq!(v["status"], "preview", "{v}");
    t.finish().await;
}

#[tokio::test]
async fn upsert_updates_members_and_create_only_refuses_them() {
    let (t, _org, owner) = acme(3).await;
    let csv = "Email,First name,Last name,Roles,Products\r\nann@acme.test,Anne,Smith,Admin,quote\r\n";
    let (_, v) = upload(&owner, &[], "a.csv", csv.as_bytes()).await;
    assert_eq!(v["counts"]["error"], 1, "create-only: a member who would change is an error: {v}");
    let err = &rows(&owner, v["id"].as_str().unwrap(), "").await[0];
    assert!(err["reason"].as_str().unwrap().contains("create and update"), "{err}");
    let (status, v) = upload(&owner, &[("mode", "upsert")], "a.csv", csv.as_bytes()).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["counts"], json!({"create": 0, "update": 1, "unchanged": 0, "error": 0}), "{v}");
    let done = commit(&owner, v["id"].as_str().unwrap(), json!({})).await;
    assert_eq!(done["status"], "done", "{done}");
    let ann = member(&owner, "ann@acme.test").await;
    assert_eq!(ann["name"], "Anne Smith");
    assert_eq!(ann["roles"][0]["key"], "admin");
    let (_, p) = owner.get(&format!("/api/v1/orgs/acme/users/{}/products", ann["id"].as_str().unwrap())).await;
    assert!(p.to_string().contains("quote"), "{p}");
    // The same file again changes nothing.
    let (_, v) = upload(&owner, &[("mode", "upsert")], "a.csv", csv.as_bytes()).await;
    assert_eq!(v["counts"], json!({"create": 0, "update": 0, "unchanged": 1, "error": 0}), "{v}");
    t.finish().await;
}

#[tokio::test]
async fn an_importer_cannot_give_more_than_they_hold() {
    let (t, org, owner) = acme(1).await;
    drop(owner);
    t.add_member_with_roles(&org, "ursula@acme.test", &["user"]).await;
    // A role that may create members but not give Admin.
    let lead =
        t.create_role(&org, "Team lead", &[("members", &["read", "create"]), ("invitations", &["create"])]).await;
    t.add_member_with_roles(&org, "lead@acme.test", &[lead.as_str()]).await;
    let s = t.login("lead@acme.test", PASSWORD).await;
    let csv = "Email,First name,Roles\r\nnew@acme.test,New,Admin\r\nok@acme.test,Ok,Team lead\r\n";
    let (status, v) = upload(&s, &[], "x.csv", csv.as_bytes()).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["counts"]["error"], 1, "{v}");
    let bad = &rows(&s, v["id"].as_str().unwrap(), "outcome=error").await[0];
    assert_eq!(bad["cell"], "C2");
    assert!(bad["reason"].as_str().unwrap().contains("Admin"), "{bad}");
    // Upsert needs members:update.
    let (status, p) = upload(&s, &[("mode", "upsert")], "x.csv", csv.as_bytes()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{p}");
    // Ursula (no members:create) may not import at all.
    let u = t.login("ursula@acme.test", PASSWORD).await;
    let (status, _) = upload(&u, &[], "x.csv", csv.as_bytes()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = u.get(&format!("/api/v1/orgs/acme/imports/{}", v["id"].as_str().unwrap())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    t.finish().await;
}

#[tokio::test]
async fn invited_imports_queue_invitations_and_imported_hashes_sign_in() {
    let (t, _org, owner) = acme(1).await;
    let hash = t.app.hashing.hash("imported password 42".into()).await.unwrap();
    let csv = format!(
        "Email,First name,Password hash\r\ninvitee@acme.test,Ivy,\r\nhashed@acme.test,Hal,\"{hash}\"\r\nbadhash@acme.test,Bo,$md5$abc\r\n"
    );
    let (_, v) = upload(&owner, &[("invite", "true"), ("skip_invalid", "true")], "x.csv", csv.as_bytes()).await;
    assert_eq!(v["counts"], json!({"create": 2, "update": 0, "unchanged": 0, "error": 1}), "{v}");
    let done = commit(&owner, v["id"].as_str().unwrap(), json!({})).await;
    assert_eq!(done["status"], "done", "{done}");
    let ivy = member(&owner, "invitee@acme.test").await;
    assert_eq!(ivy["status"], "invited");
    let (_, invitations) = owner.get("/api/v1/orgs/acme/invitations").await;
    let to: Vec<&str> = invitations["items"].as_array().unwrap().iter().filter_map(|m| m["email"].as_str()).collect();
    assert!(to.contains(&"invitee@acme.test") && to.contains(&"hashed@acme.test"), "{invitations}");
    let mails = {
        let mut conn = t.app.db.conn().await.unwrap();
        roster_store::outbox::list_messages(&mut conn, &roster_store::outbox::Scope::All, None, 50).await.unwrap()
    };
    let mailed: Vec<&str> = mails.iter().map(|m| m.to_email.as_str()).collect();
    assert!(mailed.contains(&"invitee@acme.test") && mailed.contains(&"hashed@acme.test"), "{mailed:?}");
    // Without an invitation, an imported hash signs in as it is.
    let (_, v) = upload(
        &owner,
        &[],
        "y.csv",
        format!("Email,First name,Password hash\r\nhal2@acme.test,Hal,\"{hash}\"\r\n").as_bytes(),
    )
    .await;
    commit(&owner, v["id"].as_str().unwrap(), json!({})).await;
    let hal = t.anonymous();
    let (status, body) =
        hal.post("/api/v1/auth/login", json!({"email": "hal2@acme.test", "password": "imported password 42"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    t.finish().await;
}

#[tokio::test]
async fn another_organization_s_import_is_not_found() {
    let (t, _org, owner) = acme(1).await;
    let (_, v) = upload(&owner, &[], "x.csv", b"Email,First name\r\nz@acme.test,Z\r\n").await;
    let id = v["id"].as_str().unwrap();
    t.create_org_with_preset("other", "boss@other.test", "owner-admin-user").await;
    let boss = t.login("boss@other.test", PASSWORD).await;
    for path in [format!("/api/v1/orgs/other/imports/{id}"), format!("/api/v1/orgs/other/imports/{id}/rows")] {
        let (status, _) = boss.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, _) = boss.post(&format!("/api/v1/orgs/other/imports/{id}/commit"), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = boss.get(&format!("/api/v1/orgs/acme/imports/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    t.finish().await;
}

#[tokio::test]
async fn a_commit_whose_server_stopped_is_resumed_and_applies_each_row_once() {
    let (t, org, owner) = acme(1).await;
    let csv: String = std::iter::once("Email,First name\r\n".to_string())
        .chain((0..2_500).map(|i| format!("p{i:04}@acme.test,P{i}\r\n")))
        .collect();
    let (_, v) = upload(&owner, &[], "big.csv", csv.as_bytes()).await;
    assert_eq!(v["counts"]["create"], 2_500, "{v}");
    let id: uuid::Uuid = v["id"].as_str().unwrap().parse().unwrap();
    // The commit starts (as a server would), applies nothing, and its
    // server "dies": the lease is left to run out.
    let access = roster_app::access::open_org(&t.app, &roster_app::Actor::Cli, "acme").await.unwrap();
    let meta = roster_app::RequestMeta::default();
    roster_app::imports::start(&t.app, &access, id, None, &meta).await.unwrap();
    assert_eq!(roster_app::imports::resume_abandoned(&t.app).await.unwrap(), 0, "the lease still holds");
    t.advance(31_000);
    assert_eq!(roster_app::imports::resume_abandoned(&t.app).await.unwrap(), 1);
    let done = wait(&owner, &id.to_string()).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["progress"]["applied"], 2_500);
    let n = {
        let mut conn = t.app.db.conn().await.unwrap();
        let active = [roster_domain::MemberStatus::Active];
        roster_store::members::count_for_change(&mut conn, org.id, &Default::default(), &active).await.unwrap()
    };
    assert_eq!(n, 2_500 + 2, "each row once, beside the owner and Ann");
    t.finish().await;
}
