//! The History (issue 9, item 7): `GET /api/v1/orgs/{org}/audit` with its
//! filters and keyset pages, the CSV and JSON Lines export, the History tab
//! and the member page's link to it.

use std::collections::HashSet;

use reqwest::StatusCode;
use roster_testkit::contract::DOCUMENT;
use roster_testkit::{PASSWORD, Session, TestApp, page, spawn_app};
use serde_json::{Value, json};

const DAY: i64 = 86_400_000;
const UA: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";

/// Every event of the list under `query`, following `next_cursor` with
/// `limit` a page; fails on a page larger than asked.
async fn all_pages(s: &Session, query: &str, limit: u32) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let c = cursor.as_deref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let (status, body) = s.get(&format!("/api/v1/orgs/acme/audit?limit={limit}{query}{c}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let items = body["items"].as_array().unwrap();
        assert!(items.len() <= limit as usize);
        out.extend(items.iter().cloned());
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
}

/// An event's place in the list's order: its time (nanoseconds) and chain position.
fn key(e: &Value) -> (i128, i64) {
    let t =
        time::OffsetDateTime::parse(e["created_at"].as_str().unwrap(), &time::format_description::well_known::Rfc3339)
            .unwrap();
    (t.unix_timestamp_nanos(), e["seq"].as_i64().unwrap())
}

fn actions(items: &[Value]) -> Vec<&str> {
    items.iter().map(|i| i["action"].as_str().unwrap()).collect()
}

/// An owner and a member of `acme`, and a change made over HTTP with a User-Agent.
async fn acme_with_a_disabled_member(app: &TestApp) -> (Session, roster_domain::UserId) {
    app.create_org("acme", "owner@acme.test").await;
    let org = roster_store::orgs::find_org(&mut app.app.db.conn().await.unwrap(), "acme").await.unwrap().unwrap();
    let bob = app.add_member(&org, "bob@acme.test", "Bob Jones").await;
    let owner = app.login("owner@acme.test", PASSWORD).await;
    let r = owner
        .raw(
            owner
                .client
                .post(format!("{}/api/v1/orgs/acme/users/{bob}/disable", app.base_url))
                .header("X-CSRF-Token", &owner.csrf)
                .header("User-Agent", UA)
                .header("X-Request-Id", "req-disable-1"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    (owner, bob)
}

#[tokio::test]
async fn an_event_shows_actor_action_target_context_and_details_in_words() {
    let app = spawn_app().await;
    let (owner, bob) = acme_with_a_disabled_member(&app).await;
    let (status, body) = owner.get("/api/v1/orgs/acme/audit").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let e = &body["items"][0];
    assert_eq!(e["action"], "member.disabled");
    assert_eq!(e["action_group"], "member");
    assert_eq!(e["action_text"], "disabled");
    assert_eq!(e["actor"]["label"], "owner@acme.test");
    assert_eq!(e["actor"]["type"], "user");
    assert_eq!(e["actor"]["name"], "Owner of acme");
    assert_eq!(
        e["target"],
        json!({"type": "member", "id": bob.to_string(), "name": "Bob Jones", "email": "bob@acme.test"})
    );
    assert_eq!(e["context"]["organization"]["slug"], "acme");
    assert_eq!(e["context"]["user_agent"], UA);
    assert_eq!(e["context"]["request_id"], "req-disable-1");
    assert_eq!(e["context"]["ip"], "127.0.0.1");
    assert_eq!(e["details"]["summary"], "Status changed from Active to Disabled");
    assert_eq!(e["details"]["data"]["before"], json!({"status": "active"}));
    assert!(e["created_at"].as_str().unwrap().ends_with('Z'));
    // Newest first: the organization's creation is the oldest.
    let all = all_pages(&owner, "", 200).await;
    assert_eq!(actions(&all).last(), Some(&"organization.created"));
    assert_eq!(all.last().unwrap()["target"]["name"], "Org acme");
    let seqs: Vec<i64> = all.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "one instant, so chain order: {seqs:?}");
    app.finish().await;
}

#[tokio::test]
async fn filters_by_actor_action_group_target_and_date_range() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    let start = app.now();
    let ann = app.add_member(&org, "ann@acme.test", "Ann Lee").await;
    let bob = app.add_member(&org, "bob@acme.test", "Bob Jones").await;
    app.advance(2 * DAY);
    // Sessions expire when the clock moves on by days: sign in again each time.
    let owner = app.login("owner@acme.test", PASSWORD).await;
    let (s, _) = owner
        .send(reqwest::Method::PATCH, &format!("/api/v1/orgs/acme/users/{ann}"), Some(json!({"name": "Ann Li"})))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = owner.post(&format!("/api/v1/orgs/acme/users/{bob}/disable"), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    app.advance(2 * DAY);
    let owner = app.login("owner@acme.test", PASSWORD).await;
    let (s, _) = owner
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/orgs/acme/users/{bob}/roles"),
            Some(json!({"roles": ["billing_manager"]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "roles");

    let one = all_pages(&owner, "&action=member.updated", 50).await;
    assert_eq!(actions(&one), ["member.updated"]);
    assert_eq!(one[0]["details"]["summary"], "Name changed from “Ann Lee” to “Ann Li”");
    let members = all_pages(&owner, "&action=members", 50).await;
    assert!(members.iter().all(|e| e["action_group"] == "member"), "{members:?}");
    assert_eq!(
        actions(&members)[..3],
        ["member.roles_changed", "member.disabled", "member.updated"],
        "newest first across the group's actions"
    );
    assert_eq!(members[0]["details"]["summary"], "Role changed from User to Billing Manager");
    let orgs = all_pages(&owner, "&action=organization", 50).await;
    assert_eq!(actions(&orgs), ["organization.created"]);
    // The actor: by email (the member), by id, or by label (the command line added the members).
    let by_owner = all_pages(&owner, "&actor=owner%40acme.test", 50).await;
    assert_eq!(actions(&by_owner), ["member.roles_changed", "member.disabled", "member.updated"]);
    let owner_id = by_owner[0]["actor"]["id"].as_str().unwrap().to_string();
    assert_eq!(all_pages(&owner, &format!("&actor={owner_id}"), 50).await.len(), 3);
    let by_cli = all_pages(&owner, "&actor=cli", 50).await;
    assert!(by_cli.iter().all(|e| e["actor"]["type"] == "operator") && by_cli.len() >= 3, "{by_cli:?}");
    // The target: a member's id or email.
    let about_bob = all_pages(&owner, &format!("&target={bob}"), 50).await;
    assert_eq!(actions(&about_bob), ["member.roles_changed", "member.disabled", "member.added"]);
    assert_eq!(all_pages(&owner, "&target=bob%40acme.test", 50).await.len(), 3);
    assert!(all_pages(&owner, "&target=nobody%40acme.test", 50).await.is_empty());
    // Combined: the group and the target and the actor.
    let combined = all_pages(&owner, &format!("&target={bob}&action=member&actor=owner%40acme.test"), 50).await;
    assert_eq!(actions(&combined), ["member.roles_changed", "member.disabled"]);
    // Dates: whole days (UTC), inclusive, and RFC 3339 times.
    let day = |t: i64| roster_domain::audit_text::date(t);
    let middle =
        all_pages(&owner, &format!("&from={}&to={}", day(start.0 + 2 * DAY), day(start.0 + 2 * DAY)), 50).await;
    assert_eq!(actions(&middle), ["member.disabled", "member.updated"]);
    let since = all_pages(&owner, &format!("&from={}", day(start.0 + 3 * DAY)), 50).await;
    assert_eq!(actions(&since), ["member.roles_changed"]);
    let until = all_pages(&owner, &format!("&to={}", day(start.0)), 50).await;
    assert!(until.iter().all(|e| e["action"] != "member.disabled") && !until.is_empty());
    let t = |ms: i64| roster_domain::audit_text::date(ms) + "T00:00:00Z";
    let exact =
        all_pages(&owner, &format!("&action=members&from={}&to={}", t(start.0 + 2 * DAY), t(start.0 + 5 * DAY)), 50)
            .await;
    assert_eq!(actions(&exact), ["member.roles_changed", "member.disabled", "member.updated"]);
    app.finish().await;
}

#[tokio::test]
async fn pages_cover_every_event_once_forward_and_back() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    app.seed(&org, 20).await;
    // Many events at one instant (the test clock stands still), and more spread over a year.
    for i in 0..15 {
        app.add_member(&org, &format!("m{i}@acme.test"), &format!("M {i}")).await;
    }
    roster_app::history::seed::seed_events(&app.app, &org, 180, 3, &|_| {}).await.unwrap();
    let owner = app.login("owner@acme.test", PASSWORD).await;
    let whole = all_pages(&owner, "", 200).await;
    let total = whole.len();
    assert!(total >= 180 + 15 + 3, "{total}");
    for (query, limit) in [("", 7u32), ("&action=members", 9), ("&action=invitation", 5), ("&actor=cli", 4)] {
        let pages = all_pages(&owner, query, limit).await;
        let ids: Vec<&str> = pages.iter().map(|e| e["id"].as_str().unwrap()).collect();
        let unique: HashSet<&&str> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{query}: no event twice");
        // No gap: the pages hold exactly the events of the whole list that match.
        let expected: Vec<&str> = whole
            .iter()
            .filter(|e| match query {
                "&action=members" => e["action_group"] == "member",
                "&action=invitation" => e["action_group"] == "invitation",
                "&actor=cli" => e["actor"]["label"] == "cli",
                _ => true,
            })
            .map(|e| e["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, expected, "{query}");
        // Newest first by date, then by chain position.
        let keys: Vec<(i128, i64)> = pages.iter().map(key).collect();
        assert!(keys.windows(2).all(|w| w[0] > w[1]), "{query}: {keys:?}");
    }
    // Back from the oldest page with prev_cursor: the same events, in the same order.
    let mut cursor = None;
    let last = loop {
        let c = cursor.as_deref().map(|c: &str| format!("&cursor={c}")).unwrap_or_default();
        let (_, body) = owner.get(&format!("/api/v1/orgs/acme/audit?limit=11{c}")).await;
        if body["next_cursor"].is_null() {
            break body;
        }
        cursor = body["next_cursor"].as_str().map(str::to_string);
    };
    let mut back: Vec<Value> = last["items"].as_array().unwrap().clone();
    let mut prev = last["prev_cursor"].as_str().map(str::to_string);
    while let Some(p) = prev {
        let (s, body) = owner.get(&format!("/api/v1/orgs/acme/audit?limit=11&cursor={p}")).await;
        assert_eq!(s, StatusCode::OK);
        let mut items = body["items"].as_array().unwrap().clone();
        assert!(!items.is_empty() && items.len() <= 11);
        assert!(body["next_cursor"].is_string(), "a newer page has older ones after it");
        items.extend(back);
        back = items;
        prev = body["prev_cursor"].as_str().map(str::to_string);
    }
    let ids = |v: &[Value]| v.iter().map(|e| e["id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(ids(&back), ids(&whole));
    app.finish().await;
}

#[tokio::test]
async fn another_organizations_events_are_never_visible() {
    let app = spawn_app().await;
    let (owner, _) = acme_with_a_disabled_member(&app).await;
    let other = app.create_org("globex", "owner@globex.test").await;
    let gus = app.add_member(&other, "gus@globex.test", "Gus").await;
    let theirs = app.login("owner@globex.test", PASSWORD).await;
    let (s, _) = theirs.post(&format!("/api/v1/orgs/globex/users/{gus}/disable"), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let mine = all_pages(&owner, "", 50).await;
    assert!(mine.iter().all(|e| e["context"]["organization"]["slug"] == "acme"));
    assert!(mine.iter().all(|e| e["target"]["id"] != gus.to_string().as_str()));
    assert!(all_pages(&owner, &format!("&target={gus}"), 50).await.is_empty());
    assert!(all_pages(&owner, "&actor=owner%40globex.test", 50).await.is_empty());
    for path in ["/api/v1/orgs/globex/audit", "/api/v1/orgs/globex/audit/export?format=csv"] {
        let (s, body) = owner.get(path).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    // A cursor of another organization's list reads nothing of it.
    let (_, g) = theirs.get("/api/v1/orgs/globex/audit?limit=1").await;
    let c = g["next_cursor"].as_str().unwrap();
    let (s, body) = owner.get(&format!("/api/v1/orgs/acme/audit?cursor={c}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body["items"].as_array().unwrap().iter().all(|e| e["context"]["organization"]["slug"] == "acme"));
    app.finish().await;
}

#[tokio::test]
async fn reading_the_history_needs_audit_read() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    app.add_member_with_roles(&org, "billing@acme.test", &["billing_manager"]).await;
    let billing = app.login("billing@acme.test", PASSWORD).await;
    for path in [
        "/api/v1/orgs/acme/audit",
        "/api/v1/orgs/acme/audit?action=nonsense",
        "/api/v1/orgs/acme/audit/export?format=csv",
        "/api/v1/orgs/acme/audit/export",
    ] {
        let (s, body) = billing.get(path).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}: {body}");
        assert!(body["detail"].as_str().unwrap().contains("audit:read"), "{body}");
    }
    let (c, _) = app.sign_in_form("billing@acme.test").await;
    let (s, html) = page(&c, format!("{}/orgs/acme/settings/history", app.base_url)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(html.contains("audit:read"));
    let (_, users) = page(&c, format!("{}/orgs/acme/settings/users", app.base_url)).await;
    assert!(!users.contains(">History</a>"), "the tab is not shown");
    app.finish().await;
}

#[tokio::test]
async fn bad_filters_answer_422_naming_the_parameter() {
    let app = spawn_app().await;
    app.create_org("acme", "owner@acme.test").await;
    let owner = app.login("owner@acme.test", PASSWORD).await;
    for (query, field) in [
        ("action=member.vanished", "action"),
        ("action=billing", "action"),
        ("actor=a%40", "actor"),
        ("target=not-an-id", "target"),
        ("from=yesterday", "from"),
        ("to=2026-13-01", "to"),
        ("from=2026-11-02&to=2026-11-01", "to"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("cursor=zz", "cursor"),
        ("sort=name", "sort"),
    ] {
        let (s, body) = owner.get(&format!("/api/v1/orgs/acme/audit?{query}")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
    }
    for (query, field) in
        [("", "format"), ("format=xml", "format"), ("format=csv&limit=5", "limit"), ("format=csv&action=x", "action")]
    {
        let (s, body) = owner.get(&format!("/api/v1/orgs/acme/audit/export?{query}")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
    }
    app.finish().await;
}

#[tokio::test]
async fn exports_stream_csv_with_formulas_neutralized_and_json_lines_like_the_list() {
    let app = spawn_app().await;
    let (owner, bob) = acme_with_a_disabled_member(&app).await;
    // A name a spreadsheet would run as a formula, in the target name and the summary.
    let (s, _) = owner
        .send(reqwest::Method::PATCH, &format!("/api/v1/orgs/acme/users/{bob}"), Some(json!({"name": "-2+3"})))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = owner
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/orgs/acme/users/{bob}"),
            Some(json!({"name": "=HYPERLINK(\"http://x.test\",\"y\")"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let list = all_pages(&owner, "", 200).await;

    let r = owner.raw(owner.client.get(format!("{}/api/v1/orgs/acme/audit/export?format=csv", app.base_url))).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(r.headers()["content-disposition"], "attachment; filename=\"acme-history.csv\"");
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(lines[0].starts_with("date,actor,actor_type,actor_id,action,summary,"), "{}", lines[0]);
    assert_eq!(lines.len(), list.len() + 1, "a header and one line per event");
    // Oldest first; the newest is the last rename, and the target's name is now a formula.
    assert!(lines[1].contains(",organization.created,"));
    let last = lines.last().unwrap();
    assert!(last.contains(",member.updated,"), "{last}");
    assert!(
        last.contains(",\"'=HYPERLINK(\"\"http://x.test\"\",\"\"y\"\")\","),
        "the target name is neutralized, then quoted: {last}"
    );
    assert!(!csv.contains(",=") && !csv.contains(",\"=") && !csv.contains(",-2+3,"), "no cell starts a formula: {csv}");
    assert!(csv.contains("to “-2+3”"), "inside a sentence it stays as typed");

    let r = owner
        .raw(owner.client.get(format!("{}/api/v1/orgs/acme/audit/export?format=jsonl&target={bob}", app.base_url)))
        .await;
    assert_eq!(r.headers()["content-type"], "application/jsonl");
    assert_eq!(r.headers()["content-disposition"], "attachment; filename=\"acme-history.jsonl\"");
    let text = r.text().await.unwrap();
    let events: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let about_bob: Vec<&Value> = list.iter().filter(|e| e["target"]["id"] == bob.to_string().as_str()).collect();
    assert_eq!(events.len(), about_bob.len());
    for e in &events {
        let errors = DOCUMENT.validate(&json!({"$ref": "#/components/schemas/EventItem"}), e);
        assert!(errors.is_empty(), "a line is an EventItem: {errors:?}");
    }
    // The same objects as the list, oldest first.
    let mut newest_first = events.clone();
    newest_first.reverse();
    assert_eq!(newest_first.iter().collect::<Vec<_>>(), about_bob);
    app.finish().await;
}

#[tokio::test]
async fn an_export_is_the_log_as_it_was_when_it_began() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    app.seed(&org, 20).await;
    roster_app::history::seed::seed_events(&app.app, &org, 2_500, 5, &|_| {}).await.unwrap();
    let access = roster_app::access::open_org(&app.app, &roster_app::Actor::Cli, "acme").await.unwrap();
    let mut export =
        roster_app::history::export(&app.app, &access, &Default::default(), roster_app::history::ExportFormat::Jsonl)
            .await
            .unwrap();
    let first = export.next_chunk().await.unwrap().unwrap();
    // An event appended while the export runs is not in it.
    app.add_member(&org, "late@acme.test", "Late").await;
    let mut lines = first.lines().count();
    let mut chunks = 1;
    while let Some(c) = export.next_chunk().await.unwrap() {
        lines += c.lines().count();
        chunks += 1;
        assert!(!c.contains("late@acme.test"));
    }
    assert_eq!(lines, 2_500 + 2 + 1, "created, owner added, seeded, the generated events");
    assert!(chunks >= 3, "a batch at a time: {chunks}");
    // The generated log is a valid chain.
    let broken = roster_store::audit::verify_chain(&app.app.db, org.id).await.unwrap();
    assert_eq!(broken, None);
    app.finish().await;
}

#[tokio::test]
async fn the_history_tab_shows_the_columns_sentences_filters_and_links() {
    let app = spawn_app().await;
    let (_, bob) = acme_with_a_disabled_member(&app).await;
    let base = &app.base_url;
    let (c, _) = app.sign_in_form("owner@acme.test").await;
    let (s, html) = page(&c, format!("{base}/orgs/acme/settings/history")).await;
    assert_eq!(s, StatusCode::OK);
    for col in ["Actor", "Action", "Context", "Details", "Date"] {
        assert!(html.contains(&format!("<th scope=\"col\">{col}</th>")), "column {col}");
    }
    assert!(html.contains("Status changed from Active to Disabled"), "a sentence, not JSON");
    assert!(html.contains("aria-current=\"page\">History</a>"), "the History tab is the current one");
    let tabs = html.find("aria-label=\"User management\"").unwrap();
    let (h, m) = (html[tabs..].find(">History</a>").unwrap(), html[tabs..].find(">My Sessions</a>").unwrap());
    assert!(h < m, "History comes before My Sessions, as in seed 000");
    assert!(html.contains("Firefox 121 on Linux") && html.contains("127.0.0.1"), "the context");
    assert!(!html.contains("{&quot;") && !html.contains("{\"before"), "no raw JSON");
    // Filters keep what was typed, and the export links carry them.
    let (s, html) = page(&c, format!("{base}/orgs/acme/settings/history?actor=owner%40acme.test&action=member&target=bob%40acme.test&from=2000-01-01")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("value=\"owner@acme.test\"") && html.contains("value=\"bob@acme.test\""));
    assert!(html.contains("<option value=\"member\" selected>"));
    assert!(html.contains("value=\"2000-01-01\""));
    let unescaped = html.replace("&amp;", "&").replace("&#38;", "&");
    assert!(
        unescaped.contains("/orgs/acme/settings/history/export?actor=owner%40acme.test&action=member&target=bob%40acme.test&from=2000-01-01&format=csv"),
        "the export links carry the filters"
    );
    assert!(html.contains("Status changed from Active to Disabled"));
    assert!(!html.contains("data-action=\"organization.created\""), "filtered");
    // A bad filter is said on the page, which keeps it.
    let (s, html) = page(&c, format!("{base}/orgs/acme/settings/history?from=soon")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"filter-error\"") && html.contains("value=\"soon\""));
    // The export link downloads.
    let r = c.get(format!("{base}/orgs/acme/settings/history/export?format=csv&action=member")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-disposition"], "attachment; filename=\"acme-history.csv\"");
    assert!(r.text().await.unwrap().contains("Status changed from Active to Disabled"));
    // Paging by Older and Newer links.
    let (_, first) = page(&c, format!("{base}/orgs/acme/settings/history?limit=2")).await;
    let older = first
        .split("id=\"older\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let (_, second) = page(&c, format!("{base}{older}")).await;
    assert!(second.contains("id=\"newer\"") && second.contains("id=\"newest\""));
    // The member's page links to the History about them.
    let (_, edit) = page(&c, format!("{base}/orgs/acme/settings/users/{bob}/edit")).await;
    let link = format!("/orgs/acme/settings/history?target={bob}");
    assert!(edit.contains(&format!("href=\"{link}\"")), "the member page links to their history");
    let (_, theirs) = page(&c, format!("{base}{link}")).await;
    assert!(theirs.contains("Bob Jones") && theirs.contains("Status changed from Active to Disabled"));
    assert!(!theirs.contains("data-action=\"organization.created\""), "only events about Bob");
    app.finish().await;
}
