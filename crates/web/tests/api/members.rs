//! The Users directory over the API.

use std::collections::HashSet;

use reqwest::StatusCode;
use roster_testkit::{PASSWORD, Session, TestApp, spawn_app};
use serde_json::{Value, json};

async fn acme(members: u64) -> (TestApp, roster_store::orgs::OrgRecord, Session) {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    app.seed(&org, members).await;
    let s = app.login("owner@acme.test", PASSWORD).await;
    (app, org, s)
}

fn emails(body: &Value) -> Vec<String> {
    body["items"].as_array().unwrap().iter().map(|i| i["email"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn list_shape_counts_and_default_sort() {
    let (app, _, s) = acme(60).await;
    let (status, body) = s.get("/api/v1/orgs/acme/users?per_page=10").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 61);
    assert_eq!(body["page"], 1);
    assert_eq!(body["per_page"], 10);
    let c = &body["counts"];
    let sum: u64 = ["active", "disabled", "invited", "archived"].iter().map(|k| c[k].as_u64().unwrap()).sum();
    assert_eq!(sum, 61);
    let item = &body["items"][0];
    for field in ["id", "email", "name", "status", "confirmed", "roles", "products", "created_at", "last_active_at"] {
        assert!(item.get(field).is_some(), "item lacks {field}: {item}");
    }
    let e = emails(&body);
    let mut sorted = e.clone();
    sorted.sort();
    assert_eq!(e, sorted);
    // The same list by slug and by id.
    let id = body["items"][0]["id"].as_str().unwrap();
    let (_, me) = s.get("/api/v1/me").await;
    let org_id = me["organizations"][0]["id"].as_str().unwrap();
    let (status, by_id) = s.get(&format!("/api/v1/orgs/{org_id}/users?per_page=10")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_id["items"][0]["id"], id);
    app.finish().await;
}

#[tokio::test]
async fn bad_parameters_are_named() {
    let (app, _, s) = acme(5).await;
    for (query, field, status) in [
        ("per_page=5", "per_page", StatusCode::UNPROCESSABLE_ENTITY),
        ("per_page=201", "per_page", StatusCode::UNPROCESSABLE_ENTITY),
        ("status=sleeping", "status", StatusCode::UNPROCESSABLE_ENTITY),
        ("sort=age", "sort", StatusCode::UNPROCESSABLE_ENTITY),
        ("order=up", "order", StatusCode::UNPROCESSABLE_ENTITY),
        ("page=0", "page", StatusCode::UNPROCESSABLE_ENTITY),
        ("page=100000", "page", StatusCode::UNPROCESSABLE_ENTITY),
        ("colour=red", "colour", StatusCode::UNPROCESSABLE_ENTITY),
        ("cursor=abc", "cursor", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (got, body) = s.get(&format!("/api/v1/orgs/acme/users?{query}")).await;
        assert_eq!(got, status, "{query}: {body}");
        assert_eq!(body["type"], "/problems/validation", "{query}: {body}");
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
    }
    app.finish().await;
}

#[tokio::test]
async fn search_is_a_case_insensitive_substring_of_name_or_email() {
    let (app, org, s) = acme(30).await;
    app.add_member(&org, "zed.quincy@acme.test", "Zed Quincy").await;
    app.add_member(&org, "other@acme.test", "Anna McQuinn").await;
    // Every search answers exactly the members whose name or email contains it.
    let (_, all) = s.get("/api/v1/orgs/acme/users?per_page=200").await;
    let everyone: Vec<(String, String)> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["email"].as_str().unwrap().to_string(), i["name"].as_str().unwrap().to_lowercase()))
        .collect();
    for (q, at_least) in
        [("QUIN", 2), ("zed.q", 1), ("mcq", 1), ("qu", 2), ("son", 0), ("an", 0), ("nobody-matches", 0)]
    {
        let (status, body) = s.get(&format!("/api/v1/orgs/acme/users?q={q}&per_page=200")).await;
        assert_eq!(status, StatusCode::OK);
        let needle = q.to_lowercase();
        let mut expected: Vec<String> = everyone
            .iter()
            .filter(|(e, n)| e.contains(&needle) || n.contains(&needle))
            .map(|(e, _)| e.clone())
            .collect();
        expected.sort();
        assert!(expected.len() >= at_least, "q={q}");
        assert!(expected.len() < everyone.len() || q == "an", "q={q} should narrow the list");
        assert_eq!(emails(&body), expected, "q={q}");
        assert_eq!(body["total"].as_u64().unwrap() as usize, expected.len(), "q={q}");
    }
    // LIKE wildcards are literal.
    let (_, body) = s.get("/api/v1/orgs/acme/users?q=%25").await;
    assert_eq!(body["total"], 0);
    let (_, body) = s.get("/api/v1/orgs/acme/users?q=_").await;
    assert_eq!(body["total"], 0);
    app.finish().await;
}

#[tokio::test]
async fn status_filter_counts_ignore_the_status_part() {
    let (app, _, s) = acme(80).await;
    let (_, all) = s.get("/api/v1/orgs/acme/users").await;
    let (_, some) = s.get("/api/v1/orgs/acme/users?status=disabled&status=invited").await;
    assert_eq!(all["counts"], some["counts"]);
    let expected = all["counts"]["disabled"].as_u64().unwrap() + all["counts"]["invited"].as_u64().unwrap();
    assert_eq!(some["total"].as_u64().unwrap(), expected);
    for i in some["items"].as_array().unwrap() {
        assert!(i["status"] == "disabled" || i["status"] == "invited", "{i}");
    }
    let (_, comma) = s.get("/api/v1/orgs/acme/users?status=disabled,invited").await;
    assert_eq!(comma["total"], some["total"]);
    app.finish().await;
}

#[tokio::test]
async fn cursor_pages_visit_every_member_once_in_every_sort() {
    let (app, _, s) = acme(57).await;
    for sort in ["email", "name", "created", "last_active"] {
        for order in ["asc", "desc"] {
            let mut seen = Vec::new();
            let mut cursor: Option<String> = None;
            let mut pages = Vec::new();
            loop {
                let c = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
                let (status, body) =
                    s.get(&format!("/api/v1/orgs/acme/users?per_page=10&sort={sort}&order={order}{c}")).await;
                assert_eq!(status, StatusCode::OK, "{body}");
                seen.extend(emails(&body));
                pages.push(body.clone());
                match body["next_cursor"].as_str() {
                    Some(n) => cursor = Some(n.to_string()),
                    None => break,
                }
            }
            assert_eq!(seen.len(), 58, "{sort} {order}");
            assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 58, "{sort} {order}: duplicates");
            // Going back from the last page gives the page before it.
            let last = pages.last().unwrap();
            let prev = last["prev_cursor"].as_str().unwrap();
            let (_, back) =
                s.get(&format!("/api/v1/orgs/acme/users?per_page=10&sort={sort}&order={order}&cursor={prev}")).await;
            assert_eq!(emails(&back), emails(&pages[pages.len() - 2]), "{sort} {order}");
            if sort == "email" {
                let mut sorted = seen.clone();
                sorted.sort();
                if order == "desc" {
                    sorted.reverse();
                }
                assert_eq!(seen, sorted);
            }
        }
    }
    // Page numbers agree with cursors.
    let (_, p2) = s.get("/api/v1/orgs/acme/users?per_page=10&page=2").await;
    let (_, p1) = s.get("/api/v1/orgs/acme/users?per_page=10").await;
    let (_, c2) =
        s.get(&format!("/api/v1/orgs/acme/users?per_page=10&cursor={}", p1["next_cursor"].as_str().unwrap())).await;
    assert_eq!(emails(&p2), emails(&c2));
    // A cursor of another sort is refused.
    let (status, _) = s
        .get(&format!("/api/v1/orgs/acme/users?per_page=10&sort=name&cursor={}", p1["next_cursor"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    app.finish().await;
}

async fn first_with_status(s: &Session, status: &str) -> Value {
    let (_, body) = s.get(&format!("/api/v1/orgs/acme/users?status={status}&per_page=10")).await;
    body["items"][0].clone()
}

#[tokio::test]
async fn disable_enable_archive_restore_with_counts_and_audit() {
    let (app, org, s) = acme(40).await;
    let bob = app.add_member(&org, "bob@acme.test", "Bob Jones").await;
    let bob_session = app.login("bob@acme.test", PASSWORD).await;
    let (_, before) = s.get("/api/v1/orgs/acme/users").await;
    let (status, body) = s.post(&format!("/api/v1/orgs/acme/users/{bob}/disable"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "disabled");
    // Bob's session ended at once.
    assert_eq!(bob_session.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    let (_, after) = s.get("/api/v1/orgs/acme/users").await;
    assert_eq!(after["counts"]["disabled"].as_u64().unwrap(), before["counts"]["disabled"].as_u64().unwrap() + 1);
    assert_eq!(after["counts"]["active"].as_u64().unwrap(), before["counts"]["active"].as_u64().unwrap() - 1);
    // Disabling twice is a conflict that says why.
    let (status, body) = s.post(&format!("/api/v1/orgs/acme/users/{bob}/disable"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["type"], "/problems/invalid-status-transition");
    let (status, body) = s.post(&format!("/api/v1/orgs/acme/users/{bob}/enable"), json!({})).await;
    assert_eq!((status, body["status"].clone()), (StatusCode::OK, json!("active")));
    let (status, body) = s.post(&format!("/api/v1/orgs/acme/users/{bob}/archive"), json!({})).await;
    assert_eq!((status, body["status"].clone()), (StatusCode::OK, json!("archived")));
    let (status, body) = s.post(&format!("/api/v1/orgs/acme/users/{bob}/restore"), json!({})).await;
    assert_eq!((status, body["status"].clone()), (StatusCode::OK, json!("active")));
    // Each change wrote its audit event, in order.
    let events = roster_store::audit::events_for_target(
        &mut app.app.db.conn().await.unwrap(),
        org.id,
        "member",
        &bob.to_string(),
        10,
    )
    .await
    .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["member.restored", "member.archived", "member.enabled", "member.disabled", "member.added"]);
    assert_eq!(events[0].actor_label, "owner@acme.test");
    assert!(events[0].ip.is_some());
    // An invited member can be disabled; a disabled one restored only after archiving.
    let invited = first_with_status(&s, "invited").await;
    let (status, _) =
        s.post(&format!("/api/v1/orgs/acme/users/{}/disable", invited["id"].as_str().unwrap()), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) =
        s.post(&format!("/api/v1/orgs/acme/users/{}/restore", invited["id"].as_str().unwrap()), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    app.finish().await;
}

#[tokio::test]
async fn the_owner_cannot_be_disabled_or_archived() {
    let (app, org, s) = acme(3).await;
    let owner = org.owner_id.unwrap();
    for action in ["disable", "archive"] {
        let (status, body) = s.post(&format!("/api/v1/orgs/acme/users/{owner}/{action}"), json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["type"], "/problems/owner-protected");
        assert!(body["detail"].as_str().unwrap().contains("owner"), "{body}");
    }
    let (_, me) = s.get("/api/v1/me").await;
    assert_eq!(me["user"]["email"], "owner@acme.test");
    app.finish().await;
}

#[tokio::test]
async fn rename_validates_and_keeps_the_mirror() {
    let (app, org, s) = acme(2).await;
    let bob = app.add_member(&org, "bob@acme.test", "Bob").await;
    let path = format!("/api/v1/orgs/acme/users/{bob}");
    let (status, body) = s.send(reqwest::Method::PATCH, &path, Some(json!({"name": "  Robert Jones "}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "Robert Jones");
    let (_, got) = s.get(&path).await;
    assert_eq!(got["name"], "Robert Jones");
    let (status, body) = s.send(reqwest::Method::PATCH, &path, Some(json!({"name": "   "}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "name");
    let (status, body) = s.send(reqwest::Method::PATCH, &path, Some(json!({"name": "X", "role": "admin"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "role", "{body}");
    let (status, body) = s.send(reqwest::Method::PATCH, &path, Some(json!({"name": 5}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "name", "{body}");
    // The search finds the new name.
    let (_, found) = s.get("/api/v1/orgs/acme/users?q=robert").await;
    assert_eq!(found["total"], 1);
    app.finish().await;
}

#[tokio::test]
async fn members_without_admin_rights_read_but_cannot_change() {
    let (app, org, _) = acme(5).await;
    // A plain User (seed 000) cannot even read the directory.
    let dan = app.add_member(&org, "dan@acme.test", "Dan").await;
    let d = app.login("dan@acme.test", PASSWORD).await;
    let (status, body) = d.get("/api/v1/orgs/acme/users").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("members:read"), "{body}");
    assert_eq!(d.get(&format!("/api/v1/orgs/acme/users/{dan}")).await.0, StatusCode::FORBIDDEN);
    // A viewer reads but cannot change.
    let viewer = app.create_role(&org, "Directory viewer", &[("members", &["read"])]).await;
    let bob = app.add_member_with_roles(&org, "bob@acme.test", &[viewer.as_str()]).await;
    let carol = app.add_member(&org, "carol@acme.test", "Carol").await;
    let b = app.login("bob@acme.test", PASSWORD).await;
    assert_eq!(b.get("/api/v1/orgs/acme/users").await.0, StatusCode::OK);
    let (status, body) = b.post(&format!("/api/v1/orgs/acme/users/{carol}/disable"), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["type"], "/problems/forbidden");
    assert!(body["detail"].as_str().unwrap().contains("members:update"), "{body}");
    let (status, _) =
        b.send(reqwest::Method::PATCH, &format!("/api/v1/orgs/acme/users/{bob}"), Some(json!({"name": "Boss"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = b.post("/api/v1/orgs/acme/users/bulk", json!({"action": "disable"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.finish().await;
}

#[tokio::test]
async fn another_tenants_objects_answer_404() {
    let (app, _, s) = acme(3).await;
    let other = app.create_org("globex", "owner@globex.test").await;
    let stranger = app.add_member(&other, "g@globex.test", "G").await;
    // An organization one is not a member of looks exactly like a missing one.
    let (status_other, body_other) = s.get("/api/v1/orgs/globex/users").await;
    let (status_missing, body_missing) = s.get("/api/v1/orgs/no-such-org/users").await;
    assert_eq!(status_other, StatusCode::NOT_FOUND);
    assert_eq!(status_missing, StatusCode::NOT_FOUND);
    assert_eq!(body_other, body_missing);
    // Another tenant's user through one's own organization is missing too.
    for (method, path) in [
        (reqwest::Method::GET, format!("/api/v1/orgs/acme/users/{stranger}")),
        (reqwest::Method::POST, format!("/api/v1/orgs/acme/users/{stranger}/disable")),
        (reqwest::Method::PATCH, format!("/api/v1/orgs/acme/users/{stranger}")),
        (reqwest::Method::GET, "/api/v1/orgs/acme/users/not-a-uuid".to_string()),
    ] {
        let body = (method == reqwest::Method::PATCH).then(|| json!({"name": "Hacked"}));
        let (status, problem) = s.send(method.clone(), &path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {problem}");
    }
    let (status, _) = s.post(&format!("/api/v1/orgs/globex/users/{stranger}/disable"), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.finish().await;
}

#[tokio::test]
async fn bulk_changes_every_matching_member_and_skips_the_owner() {
    let (app, org, s) = acme(250).await;
    let (_, before) = s.get("/api/v1/orgs/acme/users").await;
    let active = before["counts"]["active"].as_u64().unwrap();
    let invited = before["counts"]["invited"].as_u64().unwrap();
    // A dry run counts without changing anything.
    let (status, dry) = s.post("/api/v1/orgs/acme/users/bulk", json!({"action": "disable", "dry_run": true})).await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(dry["changed"].as_u64().unwrap(), active + invited - 1);
    assert_eq!(dry["skipped"], 1);
    let (_, unchanged) = s.get("/api/v1/orgs/acme/users").await;
    assert_eq!(unchanged["counts"], before["counts"]);
    // Every matching member changes, across pages, the owner excepted.
    let (status, done) = s.post("/api/v1/orgs/acme/users/bulk", json!({"action": "disable", "filter": {}})).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["changed"], dry["changed"]);
    let (_, after) = s.get("/api/v1/orgs/acme/users").await;
    assert_eq!(after["counts"]["active"], 1);
    assert_eq!(after["counts"]["invited"], 0);
    // Each one was audited.
    let count = roster_store::audit::events_for_target(
        &mut app.app.db.conn().await.unwrap(),
        org.id,
        "member",
        &org.owner_id.unwrap().to_string(),
        5,
    )
    .await
    .unwrap();
    assert!(count.iter().all(|e| e.action != "member.disabled"), "the owner was not touched");
    let total_events: Vec<(i64,)> = match &app.app.db {
        roster_store::Db::Sqlite(p) => {
            sqlx::query_as("SELECT COUNT(*) FROM audit_events WHERE action = 'member.disabled'")
                .fetch_all(p)
                .await
                .unwrap()
        }
        roster_store::Db::Postgres(p) => {
            sqlx::query_as("SELECT COUNT(*) FROM audit_events WHERE action = 'member.disabled'")
                .fetch_all(p)
                .await
                .unwrap()
        }
    };
    assert_eq!(total_events[0].0 as u64, done["changed"].as_u64().unwrap());
    // Enable with a search only touches the matches.
    let (_, matching) = s.get("/api/v1/orgs/acme/users?q=son&status=disabled").await;
    let (status, enabled) = s
        .post(
            "/api/v1/orgs/acme/users/bulk",
            json!({"action": "enable", "filter": {"q": "son", "status": ["disabled"]}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(enabled["changed"], matching["total"]);
    let (_, now_active) = s.get("/api/v1/orgs/acme/users?status=active").await;
    assert_eq!(now_active["total"].as_u64().unwrap(), 1 + matching["total"].as_u64().unwrap());
    // Archive is not a bulk action.
    let (status, body) = s.post("/api/v1/orgs/acme/users/bulk", json!({"action": "archive"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    app.finish().await;
}

#[tokio::test]
async fn concurrent_changes_keep_counts_and_chain_consistent() {
    let (app, org, s) = acme(30).await;
    let (_, list) = s.get("/api/v1/orgs/acme/users?status=active&per_page=50").await;
    let ids: Vec<String> =
        list["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect();
    let owner = org.owner_id.unwrap().to_string();
    // Everyone at once, each twice, plus the owner: counts, sessions and the audit chain stay right.
    let mut tasks = Vec::new();
    for id in ids.iter().chain(ids.iter()) {
        let s = s.clone();
        let path = format!("/api/v1/orgs/acme/users/{id}/disable");
        tasks.push(tokio::spawn(async move { s.post(&path, json!({})).await.0 }));
    }
    let results: Vec<StatusCode> = futures::future::join_all(tasks).await.into_iter().map(|r| r.unwrap()).collect();
    let ok = results.iter().filter(|s| **s == StatusCode::OK).count();
    let conflicts = results.iter().filter(|s| **s == StatusCode::CONFLICT).count();
    assert_eq!(ok + conflicts, results.len(), "{results:?}");
    assert_eq!(ok, ids.len() - 1, "each member disabled exactly once, never the owner");
    assert!(ids.contains(&owner));
    app.finish().await;
}

/// Everyone in the organization as (email, name), read through the API.
async fn everyone(s: &Session) -> Vec<(String, String, String)> {
    let (_, all) = s.get("/api/v1/orgs/acme/users?per_page=200").await;
    assert!(all["next_cursor"].is_null(), "fits one page");
    all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let text = |k: &str| i[k].as_str().unwrap().to_string();
            (text("email"), text("name"), text("status"))
        })
        .collect()
}

/// The members of `org` used by the name and email filter tests: addresses
/// that begin with, equal and contain `ann@acme.test`, and names with "ann".
async fn add_anns(app: &TestApp, org: &roster_store::orgs::OrgRecord) {
    for (email, name) in [
        ("ann@acme.test", "Ann Lee"),
        ("anna@acme.test", "Anna Berg"),
        ("joann@acme.test", "Jo Ann"),
        ("ann@acme.test.au", "Ann Aussie"),
        ("other@acme.test", "Annabel Quist"),
    ] {
        app.add_member(org, email, name).await;
    }
}

#[tokio::test]
async fn name_and_email_filters_match_exactly_what_they_document() {
    let (app, org, s) = acme(40).await;
    add_anns(&app, &org).await;
    let people = everyone(&s).await;
    // (query, what it must answer, at least this many)
    type Rule = Box<dyn Fn(&str, &str, &str) -> bool>;
    let cases: Vec<(&str, Rule, usize)> = vec![
        ("email=ann@acme.test", Box::new(|e, _, _| e == "ann@acme.test"), 1),
        ("email=ANN@Acme.Test", Box::new(|e, _, _| e == "ann@acme.test"), 1),
        ("email=ann*", Box::new(|e, _, _| e.starts_with("ann")), 3),
        ("email=ann", Box::new(|e, _, _| e.starts_with("ann")), 3),
        ("email=ann@acme.test*", Box::new(|e, _, _| e.starts_with("ann@acme.test")), 2),
        ("email=ann@acme", Box::new(|e, _, _| e.starts_with("ann@acme")), 2),
        ("email=nobody@acme.test", Box::new(|_, _, _| false), 0),
        ("name=ANN", Box::new(|_, n, _| n.to_lowercase().contains("ann")), 5),
        ("name=an", Box::new(|_, n, _| n.to_lowercase().contains("an")), 5),
        ("name=acme", Box::new(|_, n, _| n.to_lowercase().contains("acme")), 0),
        // A search that is a whole address is looked up by address: that
        // address and longer ones, not addresses that merely contain it.
        ("q=ann@acme.test", Box::new(|e, _, _| e.starts_with("ann@acme.test")), 2),
        ("q=nn@acme", Box::new(|e, n, _| e.contains("nn@acme") || n.to_lowercase().contains("nn@acme")), 3),
        ("name=ann&email=ann*", Box::new(|e, n, _| e.starts_with("ann") && n.to_lowercase().contains("ann")), 3),
        ("name=berg&email=ann*", Box::new(|e, n, _| e.starts_with("ann") && n.to_lowercase().contains("berg")), 1),
        ("q=quist&name=annabel", Box::new(|e, n, _| e == "other@acme.test" && n == "Annabel Quist"), 1),
        ("q=acme.test&email=ann*&name=aussie", Box::new(|e, _, _| e == "ann@acme.test.au"), 1),
        ("q=ann@acme.test&email=ann@acme.test", Box::new(|e, _, _| e == "ann@acme.test"), 1),
    ];
    for (query, rule, at_least) in cases {
        let (status, body) = s.get(&format!("/api/v1/orgs/acme/users?{query}&per_page=200")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        let mut expected: Vec<String> =
            people.iter().filter(|(e, n, st)| rule(e, n, st)).map(|(e, _, _)| e.clone()).collect();
        expected.sort();
        assert!(expected.len() >= at_least, "{query}: {expected:?}");
        assert!(expected.len() < people.len(), "{query} should narrow the list");
        assert_eq!(emails(&body), expected, "{query}");
        assert_eq!(body["total"].as_u64().unwrap() as usize, expected.len(), "{query}");
        assert_eq!(body["counts_capped"], false, "{query}");
        // Every page of a cursor walk answers the same members.
        let (_, small) = s.get(&format!("/api/v1/orgs/acme/users?{query}&per_page=10&sort=name")).await;
        assert_eq!(small["total"], body["total"], "{query}");
    }
    app.finish().await;
}

#[tokio::test]
async fn name_and_email_filters_combine_with_status_and_counts() {
    let (app, org, s) = acme(40).await;
    add_anns(&app, &org).await;
    let people = everyone(&s).await;
    let au = people.iter().find(|p| p.0 == "ann@acme.test.au").unwrap();
    let (_, au_item) = s.get("/api/v1/orgs/acme/users?email=ann@acme.test.au").await;
    let id = au_item["items"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(au.2, "active");
    let (status, _) = s.post(&format!("/api/v1/orgs/acme/users/{id}/disable"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, active) = s.get("/api/v1/orgs/acme/users?email=ann@acme.test*&status=active").await;
    assert_eq!(emails(&active), ["ann@acme.test"]);
    assert_eq!(active["total"], 1);
    // The badges count the address filter without its status part.
    assert_eq!(active["counts"]["active"], 1);
    assert_eq!(active["counts"]["disabled"], 1);
    let (_, disabled) = s.get("/api/v1/orgs/acme/users?q=ann@acme.test&status=disabled").await;
    assert_eq!(emails(&disabled), ["ann@acme.test.au"]);
    let (_, named) = s.get("/api/v1/orgs/acme/users?name=aussie&status=disabled,invited").await;
    assert_eq!(emails(&named), ["ann@acme.test.au"]);
    app.finish().await;
}

#[tokio::test]
async fn bulk_preview_and_change_take_the_name_and_email_filters() {
    type Rule = Box<dyn Fn(&str, &str) -> bool>;
    let cases: Vec<(Value, Rule, &[&str])> = vec![
        (json!({"email": "ann*"}), Box::new(|e, _| e.starts_with("ann")), &["active", "invited"]),
        (json!({"email": "ann@acme.test"}), Box::new(|e, _| e == "ann@acme.test"), &["active", "invited"]),
        (
            json!({"name": "ann", "q": "acme.test"}),
            Box::new(|_, n| n.to_lowercase().contains("ann")),
            &["active", "invited"],
        ),
        (
            json!({"q": "ann@acme.test", "status": ["active"]}),
            Box::new(|e, _| e.starts_with("ann@acme.test")),
            &["active"],
        ),
    ];
    for (filter, rule, statuses) in cases {
        // A fresh organization per case, so that each one counts from the same start.
        let (app, org, s) = acme(40).await;
        add_anns(&app, &org).await;
        let people = everyone(&s).await;
        let matching: Vec<&(String, String, String)> = people.iter().filter(|(e, n, _)| rule(e, n)).collect();
        let will = matching.iter().filter(|(_, _, st)| statuses.contains(&st.as_str())).count();
        assert!(will >= 1, "{filter}");
        let (status, dry) = s
            .post("/api/v1/orgs/acme/users/bulk", json!({"action": "disable", "filter": filter, "dry_run": true}))
            .await;
        assert_eq!(status, StatusCode::OK, "{filter}: {dry}");
        assert_eq!(dry["changed"].as_u64().unwrap() as usize, will, "{filter}: {dry}");
        let (status, done) =
            s.post("/api/v1/orgs/acme/users/bulk", json!({"action": "disable", "filter": filter})).await;
        assert_eq!(status, StatusCode::OK, "{filter}: {done}");
        assert_eq!(done["changed"], dry["changed"], "{filter}");
        // Exactly the matching members changed.
        let after = everyone(&s).await;
        for ((e, n, before), (e2, _, now)) in people.iter().zip(&after) {
            assert_eq!(e, e2);
            let changed = rule(e, n) && statuses.contains(&before.as_str());
            assert_eq!(now == "disabled", changed || before == "disabled", "{filter}: {e} {before} → {now}");
        }
        app.finish().await;
    }
}

#[tokio::test]
async fn control_characters_in_text_filters_are_refused_naming_the_field() {
    let (app, _, s) = acme(5).await;
    for (query, field) in [
        ("q=a%00b", "q"),
        ("q=ann%00", "q"),
        ("name=a%01", "name"),
        ("email=ann%00*", "email"),
        ("email=an%0Dn@acme.test", "email"),
        ("email=a*b", "email"),
        ("q=a%09b&status=active", "q"),
    ] {
        let (status, body) = s.get(&format!("/api/v1/orgs/acme/users?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(body["type"], "/problems/validation", "{query}: {body}");
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
    }
    // Every refused field is named at once.
    let (status, body) = s.get("/api/v1/orgs/acme/users?q=%00&name=%00&email=%00").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["q", "name", "email"]);
    // The bulk filter refuses them too, in a dry run and for real.
    for filter in [json!({"q": "a\u{0}b"}), json!({"name": "\u{1b}"}), json!({"email": "ann\u{0}"})] {
        for dry_run in [true, false] {
            let (status, body) = s
                .post(
                    "/api/v1/orgs/acme/users/bulk",
                    json!({"action": "disable", "filter": filter, "dry_run": dry_run}),
                )
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{filter}: {body}");
            let field = filter.as_object().unwrap().keys().next().unwrap().clone();
            assert_eq!(body["errors"][0]["field"], field, "{filter}: {body}");
        }
    }
    let (_, after) = s.get("/api/v1/orgs/acme/users?status=disabled").await;
    let (_, before) = s.get("/api/v1/orgs/acme/users").await;
    assert_eq!(after["total"], before["counts"]["disabled"], "nothing changed");
    app.finish().await;
}
