//! Contracts that other programs rely on: the committed OpenAPI document
//! (which every answer of the suite is held to, see `roster_testkit::contract`)
//! and the two schemas.

use reqwest::{Method, StatusCode, header};
use roster_testkit::contract::{DOCUMENT, Exchange};
use roster_testkit::spawn_app;
use serde_json::{Value, json};

/// `openapi.json` at the workspace root is the document the code generates.
/// Regenerate it with `UPDATE_OPENAPI=1 cargo test -p roster-web --test api openapi`.
#[tokio::test]
async fn openapi_document_is_committed_and_current() {
    let generated = roster_web::openapi_json();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi.json");
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::write(path, format!("{generated}\n")).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed.trim_end() == generated.trim_end(),
        "openapi.json is out of date; run UPDATE_OPENAPI=1 cargo test -p roster-web --test api openapi and commit it"
    );
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/api/v1/orgs/{org}/users"]["get"].is_object());
    // The served copy is the same document.
    let app = spawn_app().await;
    let anonymous = app.anonymous();
    let served: serde_json::Value =
        anonymous.raw(anonymous.client.get(format!("{}/api/openapi.json", app.base_url))).await.json().await.unwrap();
    assert_eq!(served, doc);
    let docs = anonymous.raw(anonymous.client.get(format!("{}/api/docs/", app.base_url))).await;
    assert_eq!(docs.status(), reqwest::StatusCode::OK);
    app.finish().await;
}

/// Both migration folders give the same tables and columns (names and
/// nullability). Needs PostgreSQL; without it (and outside CI) it says so and passes.
#[tokio::test]
async fn both_schemas_have_the_same_tables_and_columns() {
    let dir = std::env::temp_dir().join(format!("roster-schema-{}", uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite = roster_store::Db::connect(dir.join("s.db").to_str().unwrap()).await.unwrap();
    sqlite.migrate().await.unwrap();
    let lite = roster_store::schema::columns(&sqlite).await.unwrap();
    sqlite.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    let admin_url = roster_testkit::postgres_admin_url();
    let admin = match roster_store::Db::connect(&admin_url).await {
        Ok(db) => db,
        Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("SKIPPED: PostgreSQL unreachable ({e}); CI runs this");
            return;
        }
        Err(e) => panic!("PostgreSQL unreachable in CI: {e}"),
    };
    let name = format!("roster_schema_{}", uuid_like());
    let roster_store::Db::Postgres(p) = &admin else { unreachable!() };
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(p).await.unwrap();
    let url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
    let pg = roster_store::Db::connect(&url).await.unwrap();
    pg.migrate().await.unwrap();
    let post = roster_store::schema::columns(&pg).await.unwrap();
    pg.close().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)"))).execute(p).await.unwrap();
    assert!(lite.len() > 30, "{lite:?}");
    assert_eq!(lite, post, "the SQLite and PostgreSQL schemas differ");
}

fn uuid_like() -> String {
    format!(
        "{}_{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
    )
}

/// Every `"$ref"` anywhere in a JSON value.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get("$ref") {
                out.push(r.clone());
            }
            o.values().for_each(|v| refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// Every reference in the document points at something it defines.
#[test]
fn every_ref_in_the_document_resolves() {
    let doc = DOCUMENT.document();
    let mut all = Vec::new();
    refs(doc, &mut all);
    assert!(all.len() > 50, "only {} references", all.len());
    let broken: Vec<&String> =
        all.iter().filter(|r| r.strip_prefix('#').and_then(|p| doc.pointer(p)).is_none()).collect();
    assert!(broken.is_empty(), "references that resolve to nothing: {broken:?}");
    // Every schema compiles with its references (the contract check needs them).
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        let _ = DOCUMENT.validate(&json!({"$ref": format!("#/components/schemas/{name}")}), &Value::Null);
        assert!(schema.is_object(), "{name}");
    }
}

/// The resolved response object of an operation's response.
fn resolved<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    while let Some(r) = v["$ref"].as_str() {
        v = doc.pointer(r.strip_prefix('#').unwrap()).unwrap();
    }
    v
}

/// Every error an `/api/v1` operation lists is a problem document, and every
/// one lists the standard problems; the `{org}` parameter is the shared one.
#[test]
fn every_operation_answers_errors_as_problem_json() {
    let doc = DOCUMENT.document();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                let response = resolved(doc, response);
                assert!(response["description"].as_str().is_some_and(|d| !d.is_empty()), "{method} {path} {status}");
                if !path.starts_with("/api/v1/") || status.as_str() < "400" {
                    continue;
                }
                let content = response["content"].as_object().unwrap();
                assert_eq!(
                    content.keys().collect::<Vec<_>>(),
                    ["application/problem+json"],
                    "{method} {path} {status}"
                );
                assert_eq!(content["application/problem+json"]["schema"]["$ref"], "#/components/schemas/Problem");
                checked += 1;
            }
            if path.starts_with("/api/v1/") {
                for status in ["400", "401", "403", "404", "422", "500"] {
                    assert!(op["responses"].get(status).is_some(), "{method} {path} does not list {status}");
                }
            }
            if path.contains("{org}") {
                assert_eq!(op["parameters"][0]["$ref"], "#/components/parameters/org", "{method} {path}");
            }
        }
    }
    assert!(checked > 100, "only {checked} error responses");
    assert!(doc["paths"]["/api/v1/auth/login"]["post"]["responses"].get("429").is_some());
}

/// The contract check refuses what the document does not say: an unlisted
/// status, another media type, a body off its schema.
#[test]
fn the_contract_check_fails_on_any_mismatch() {
    let headers = |ct: &str| {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(header::CONTENT_TYPE, ct.parse().unwrap());
        h
    };
    let problem = json!({"type": "/problems/x", "title": "X", "status": 404, "detail": "x"}).to_string();
    let me = json!({"user": {"id": "01920000-0000-7000-8000-000000000000", "email": "a@b.test", "name": "A"},
        "organizations": [], "csrf_token": "t"})
    .to_string();
    let check = |method: &Method, path: &str, status: u16, ct: &str, body: &str| {
        DOCUMENT.check(&Exchange {
            method,
            path,
            query: None,
            request_body: b"",
            status: StatusCode::from_u16(status).unwrap(),
            headers: &headers(ct),
            body: body.as_bytes(),
        })
    };
    assert_eq!(check(&Method::GET, "/api/v1/me", 200, "application/json", &me), Vec::<String>::new());
    assert_eq!(
        check(&Method::GET, "/api/v1/orgs/acme/users/x", 404, "application/problem+json", &problem),
        Vec::<String>::new()
    );
    // An unlisted status, the wrong media type, a body off its schema, a bad id format.
    assert!(!check(&Method::GET, "/api/v1/me", 409, "application/problem+json", &problem).is_empty());
    assert!(!check(&Method::GET, "/api/v1/orgs/acme/users/x", 404, "application/json", &problem).is_empty());
    assert!(!check(&Method::GET, "/api/v1/me", 200, "application/json", r#"{"user": {}}"#).is_empty());
    assert!(
        !check(
            &Method::GET,
            "/api/v1/me",
            200,
            "application/json",
            &me.replace("01920000-0000-7000-8000-000000000000", "7")
        )
        .is_empty()
    );
    // Unknown paths and methods must be the 404 and 405 problems.
    assert!(!check(&Method::GET, "/api/v1/nope", 200, "application/json", "{}").is_empty());
    assert!(!check(&Method::DELETE, "/api/v1/me", 404, "application/problem+json", &problem).is_empty());
    // A request the document calls invalid must not be accepted.
    let list = json!({"items": [], "total": 0, "page": 1, "per_page": 5, "counts": {"active": 0, "disabled": 0, "invited": 0, "archived": 0, "all": 0},
        "counts_capped": false, "next_cursor": null, "prev_cursor": null});
    let accepted = DOCUMENT.check(&Exchange {
        method: &Method::GET,
        path: "/api/v1/orgs/acme/users",
        query: Some("per_page=5"),
        request_body: b"",
        status: StatusCode::OK,
        headers: &headers("application/json"),
        body: list.to_string().as_bytes(),
    });
    assert!(accepted.iter().any(|e| e.contains("per_page")), "{accepted:?}");
}

/// Bodies that are not JSON, unknown paths and wrong methods answer problem
/// documents (and the contract check holds them to the document).
#[tokio::test]
async fn malformed_bodies_unknown_routes_and_wrong_methods_answer_problems() {
    let app = spawn_app().await;
    app.create_org("acme", "owner@acme.test").await;
    let s = app.login("owner@acme.test", roster_testkit::PASSWORD).await;
    let url = |p: &str| format!("{}{p}", app.base_url);
    let problem =
        |r: &reqwest::Response| r.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);

    let r = s
        .raw(
            s.client
                .post(url("/api/v1/orgs/acme/users/bulk"))
                .header("X-CSRF-Token", &s.csrf)
                .header(header::CONTENT_TYPE, "application/json")
                .body("{\"action\": "),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(problem(&r).as_deref(), Some("application/problem+json"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["type"], "/problems/malformed-request");
    let r = s.raw(s.client.post(url("/api/v1/orgs")).header("X-CSRF-Token", &s.csrf).body("name=x")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // A query string that cannot be read is a problem document too.
    let (status, body) = s.send(Method::DELETE, "/api/v1/orgs/acme/roles/user?reassign_to=a&reassign_to=b", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["type"], "/problems/malformed-request");

    for (method, path) in [(Method::GET, "/api/v1/nope"), (Method::POST, "/api/v2/orgs"), (Method::GET, "/api")] {
        let r = s.raw(s.client.request(method.clone(), url(path)).header("X-CSRF-Token", &s.csrf)).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(problem(&r).as_deref(), Some("application/problem+json"), "{method} {path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["status"], 404);
    }

    let r = s.raw(s.client.delete(url("/api/v1/me")).header("X-CSRF-Token", &s.csrf)).await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(problem(&r).as_deref(), Some("application/problem+json"));
    assert_eq!(r.headers()[header::ALLOW], "GET,HEAD");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["type"], "/problems/method-not-allowed");
    let (status, _) = s.send(Method::PUT, "/api/v1/orgs/acme/users", None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);

    // Pages keep pages: an unknown one is an HTML 404 page, not an empty body.
    let r = s.raw(s.client.get(url("/no-such-page"))).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(problem(&r).unwrap().starts_with("text/html"));
    assert!(r.text().await.unwrap().contains("Page not found"));
    app.finish().await;
}

/// The users list's query parameters: what the document calls valid the
/// server accepts, and what it calls invalid the server refuses (422).
#[tokio::test]
async fn the_users_list_accepts_exactly_the_parameters_the_document_allows() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    app.seed(&org, 12).await;
    let s = app.login("owner@acme.test", roster_testkit::PASSWORD).await;
    let doc = DOCUMENT.document();
    let params = doc["paths"]["/api/v1/orgs/{org}/users"]["get"]["parameters"].as_array().unwrap();
    let schema = |name: &str| params.iter().find(|p| p["name"] == name).unwrap()["schema"].clone();
    let cases: [(&str, Value, &str); 17] = [
        ("page", json!(0), "0"),
        ("page", json!(1), "1"),
        ("page", json!(1001), "1001"),
        ("page", json!(1002), "1002"),
        ("per_page", json!(9), "9"),
        ("per_page", json!(10), "10"),
        ("per_page", json!(200), "200"),
        ("per_page", json!(201), "201"),
        ("sort", json!("last_active"), "last_active"),
        ("sort", json!("age"), "age"),
        ("order", json!("desc"), "desc"),
        ("order", json!("up"), "up"),
        ("status", json!(["invited"]), "invited"),
        ("status", json!(["active,disabled"]), "active,disabled"),
        ("status", json!(["all"]), "all"),
        ("status", json!(["gone"]), "gone"),
        ("status", json!(["active,gone"]), "active,gone"),
    ];
    for (name, value, text) in cases {
        let valid = DOCUMENT.validate(&schema(name), &value).is_empty();
        // page 1001 is only reachable with 10 rows a page.
        let extra = if name == "page" { "&per_page=10" } else { "" };
        let (status, body) = s.get(&format!("/api/v1/orgs/acme/users?{name}={text}{extra}")).await;
        let accepted = status == StatusCode::OK;
        assert_eq!(
            valid, accepted,
            "{name}={text}: the document says valid={valid}, the server answered {status} {body}"
        );
        if !accepted {
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}={text}");
            assert_eq!(body["errors"][0]["field"], name, "{name}={text}: {body}");
        }
    }
    // The bulk action is enable or disable, as the document's enum says.
    let actions = doc["components"]["schemas"]["BulkAction"]["enum"].clone();
    assert_eq!(actions, json!(["enable", "disable"]));
    let (status, body) = s.post("/api/v1/orgs/acme/users/bulk", json!({"action": "archive", "dry_run": true})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "action");
    let (status, _) = s.post("/api/v1/orgs/acme/users/bulk", json!({"action": "disable", "dry_run": true})).await;
    assert_eq!(status, StatusCode::OK);
    app.finish().await;
}
