//! Products and licenses over the API (issue 10): the catalogue,
//! subscriptions (seats, settings, cancel), licenses per member and in
//! bulk, seats never exceeded under concurrency, trials ended by the
//! clock, the check API's `product:<key>`, disabled and archived members,
//! no escalation and tenant isolation.

use reqwest::StatusCode;
use roster_domain::{MemberStatus, UserId};
use roster_store::orgs::OrgRecord;
use roster_testkit::{PASSWORD, Session, TestApp, spawn_app};
use serde_json::{Value, json};

const DAY: i64 = 86_400_000;

/// Acme (account-owner preset) and its owner, signed in.
async fn acme() -> (TestApp, OrgRecord, Session) {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    let s = app.login("owner@acme.test", PASSWORD).await;
    (app, org, s)
}

/// Adds an active member who never signs in (no password to hash).
async fn member(app: &TestApp, org: &OrgRecord, email: &str) -> UserId {
    roster_app::demo::add_member(&app.app, org, email, "Member", MemberStatus::Active, None).await.unwrap()
}

async fn subscribe(s: &Session, key: &str, seats: i64) -> Value {
    let (status, body) = s
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/orgs/acme/products/{key}"),
            Some(json!({"license_count": seats})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn patch_product(s: &Session, key: &str, body: Value) -> (StatusCode, Value) {
    s.send(reqwest::Method::PATCH, &format!("/api/v1/orgs/acme/products/{key}"), Some(body)).await
}

async fn product(s: &Session, key: &str) -> Value {
    let (status, body) = s.get(&format!("/api/v1/orgs/acme/products/{key}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn put_products(s: &Session, user: UserId, products: &[&str]) -> (StatusCode, Value) {
    s.send(
        reqwest::Method::PUT,
        &format!("/api/v1/orgs/acme/users/{user}/products"),
        Some(json!({"products": products})),
    )
    .await
}

async fn check(s: &Session, user: &str, resource: &str, action: &str) -> (StatusCode, Value) {
    s.post("/api/v1/orgs/acme/authz/check", json!({"user": user, "resource": resource, "action": action})).await
}

/// Every event of `action` in acme, newest first.
async fn events(s: &Session, action: &str) -> Vec<Value> {
    let (status, body) = s.get(&format!("/api/v1/orgs/acme/audit?action={action}&limit=200")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["next_cursor"].is_null(), "fits one page");
    body["items"].as_array().unwrap().clone()
}

fn field(body: &Value) -> &str {
    body["errors"][0]["field"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn the_catalogue_lists_products_and_their_settings_to_anyone_signed_in() {
    let (app, org, _) = acme().await;
    app.add_member(&org, "user@acme.test", "Plain User").await;
    let u = app.login("user@acme.test", PASSWORD).await;
    let (status, body) = u.get("/api/v1/products").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let keys: Vec<&str> = body["items"].as_array().unwrap().iter().map(|p| p["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["quote", "intake", "analytics"]);
    let quote = &body["items"][0];
    assert_eq!(quote["name"], "Quote Assistant");
    assert!(!quote["description"].as_str().unwrap().is_empty());
    assert_eq!(
        quote["settings"][0],
        json!({"key": "auto_submit", "label": "Submit finished quotes automatically", "kind": "bool", "default": false})
    );
    assert_eq!(body["items"][1]["settings"][0]["kind"], "number");
    let (status, _) = app.anonymous().get("/api/v1/products").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    app.finish().await;
}

#[tokio::test]
async fn subscribing_changing_seats_settings_and_canceling() {
    let (app, org, s) = acme().await;
    // Nothing subscribed yet.
    let (_, list) = s.get("/api/v1/orgs/acme/products").await;
    assert_eq!(list["items"], json!([]));
    let (status, body) = s.get("/api/v1/orgs/acme/products/quote").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = s.get("/api/v1/orgs/acme/products/teleport").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = patch_product(&s, "quote", json!({"settings": {"auto_submit": true}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(field(&body), "license_count", "subscribing needs seats: {body}");

    // Subscribe.
    let q = subscribe(&s, "quote", 3).await;
    assert_eq!(q["status"], "active");
    assert_eq!((q["license_count"].as_i64(), q["used"].as_i64(), q["free"].as_i64()), (Some(3), Some(0), Some(3)));
    assert_eq!(q["held_by_disabled"], 0);
    assert!(q["trial"].is_null());
    assert_eq!(q["settings"], json!({"auto_submit": false, "default_carrier": ""}), "the catalogue's defaults");
    let (_, list) = s.get("/api/v1/orgs/acme/products").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["key"], "quote");

    // Three members take every seat; lowering below them is refused with the number to free.
    let ids = [
        member(&app, &org, "a@acme.test").await,
        member(&app, &org, "b@acme.test").await,
        member(&app, &org, "c@acme.test").await,
    ];
    for id in ids {
        let (status, body) = put_products(&s, id, &["quote"]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = patch_product(&s, "quote", json!({"license_count": 1})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["type"], "/problems/seats-in-use", "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("3 of Quote Assistant's seats are assigned") && detail.contains("free 2 first"), "{body}");
    assert_eq!(product(&s, "quote").await["license_count"], 3, "nothing changed");
    let q = patch_product(&s, "quote", json!({"license_count": 10})).await.1;
    assert_eq!((q["license_count"].as_i64(), q["used"].as_i64(), q["free"].as_i64()), (Some(10), Some(3), Some(7)));
    let (status, body) = patch_product(&s, "quote", json!({"license_count": -1})).await;
    assert_eq!((status, field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "license_count"), "{body}");

    // Settings: checked against their kind, the others kept.
    let (status, q) = patch_product(&s, "quote", json!({"settings": {"auto_submit": true}})).await;
    assert_eq!(status, StatusCode::OK, "{q}");
    assert_eq!(q["settings"], json!({"auto_submit": true, "default_carrier": ""}));
    let (status, body) = patch_product(&s, "quote", json!({"settings": {"auto_submit": "yes"}})).await;
    assert_eq!((status, field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "settings.auto_submit"), "{body}");
    let (status, body) = patch_product(&s, "quote", json!({"settings": {"colour": "red"}})).await;
    assert_eq!((status, field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "settings.colour"), "{body}");
    let (status, body) = patch_product(&s, "quote", json!({"settings": {"default_carrier": "x\u{7}"}})).await;
    assert_eq!((status, field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "settings.default_carrier"), "{body}");
    assert_eq!(product(&s, "quote").await["settings"]["auto_submit"], true);

    // Cancel: licenses stay assigned but grant nothing, and none can be added; reactivate.
    let (status, q) = patch_product(&s, "quote", json!({"status": "canceled"})).await;
    assert_eq!((status, q["status"].as_str()), (StatusCode::OK, Some("canceled")), "{q}");
    assert_eq!(q["used"], 3);
    let (_, verdict) = check(&s, "a@acme.test", "product:quote", "read").await;
    assert_eq!(verdict, json!({"allowed": false, "via": []}));
    let d = member(&app, &org, "d@acme.test").await;
    let (status, body) = put_products(&s, d, &["quote"]).await;
    assert_eq!((status, body["type"].as_str()), (StatusCode::CONFLICT, Some("/problems/subscription-state")), "{body}");
    let (status, body) = patch_product(&s, "quote", json!({"status": "trial"})).await;
    assert_eq!((status, field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "status"), "{body}");
    let (status, q) = patch_product(&s, "quote", json!({"status": "active"})).await;
    assert_eq!((status, q["status"].as_str()), (StatusCode::OK, Some("active")), "{q}");
    let (_, verdict) = check(&s, "a@acme.test", "product:quote", "read").await;
    assert_eq!(verdict, json!({"allowed": true, "via": ["license:quote"]}));

    // Each change audited with before and after.
    assert_eq!(events(&s, "subscription.created").await.len(), 1);
    let changed = events(&s, "subscription.changed").await;
    assert_eq!(changed.len(), 4, "seats, a setting, cancel, reactivate: {changed:?}");
    assert_eq!(changed[3]["details"]["data"]["before"], json!({"license_count": 3}));
    assert_eq!(changed[3]["details"]["data"]["after"], json!({"license_count": 10}));
    app.finish().await;
}

#[tokio::test]
async fn a_members_licenses_are_set_with_put_and_shown_in_the_users_list() {
    let (app, org, s) = acme().await;
    subscribe(&s, "quote", 5).await;
    subscribe(&s, "analytics", 5).await;
    let ann = member(&app, &org, "ann@acme.test").await;
    let (status, body) = put_products(&s, ann, &["quote", "analytics"]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"products": ["analytics", "quote"]}));
    let (_, body) = s.get(&format!("/api/v1/orgs/acme/users/{ann}/products")).await;
    assert_eq!(body, json!({"products": ["analytics", "quote"]}));
    let (_, item) = s.get(&format!("/api/v1/orgs/acme/users/{ann}")).await;
    assert_eq!(item["products"], json!(["analytics", "quote"]));
    assert_eq!(product(&s, "quote").await["used"], 1);

    // Removing one keeps the other; the same set again changes nothing and writes nothing.
    let (status, body) = put_products(&s, ann, &["analytics"]).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"products": ["analytics"]})));
    assert_eq!(product(&s, "quote").await["used"], 0);
    put_products(&s, ann, &["analytics"]).await;
    let changes = events(&s, "member.licenses_changed").await;
    assert_eq!(changes.len(), 2, "one event per change: {changes:?}");
    assert_eq!(changes[0]["target"]["id"], ann.to_string());
    assert_eq!(changes[0]["details"]["data"]["removed"], json!(["quote"]));

    // The list's items carry their products.
    let (_, list) = s.get("/api/v1/orgs/acme/users?q=ann%40acme.test").await;
    assert_eq!(list["items"][0]["products"], json!(["analytics"]));
    let (_, list) = s.get("/api/v1/orgs/acme/users?q=owner%40acme.test").await;
    assert_eq!(list["items"][0]["products"], json!([]));

    // Refusals name the bad entry; nothing changes.
    let (status, body) = put_products(&s, ann, &["teleport"]).await;
    assert_eq!((status, field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "products[0]"), "{body}");
    let (status, body) = put_products(&s, ann, &["analytics", "intake"]).await;
    assert_eq!((status, field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "products[0]"), "not subscribed: {body}");
    assert!(
        body["errors"][0]["message"].as_str().unwrap().contains("does not subscribe to Submission Intake"),
        "{body}"
    );
    let (status, body) = s
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/orgs/acme/users/{ann}/products"),
            Some(json!({"product": "quote"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = put_products(&s, UserId::new(), &["quote"]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) =
        s.send(reqwest::Method::PUT, "/api/v1/orgs/acme/users/not-an-id/products", Some(json!({"products": []}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, body) = s.get(&format!("/api/v1/orgs/acme/users/{ann}/products")).await;
    assert_eq!(body, json!({"products": ["analytics"]}));

    // A member reads their own licenses without members:read.
    let bo = app.add_member(&org, "bo@acme.test", "Bo").await;
    put_products(&s, bo, &["quote"]).await;
    let b = app.login("bo@acme.test", PASSWORD).await;
    let (status, body) = b.get(&format!("/api/v1/orgs/acme/users/{bo}/products")).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"products": ["quote"]})));
    let (status, _) = b.get(&format!("/api/v1/orgs/acme/users/{ann}/products")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.finish().await;
}

#[tokio::test]
async fn two_hundred_concurrent_assignments_take_exactly_the_ten_free_seats() {
    let (app, org, s) = acme().await;
    subscribe(&s, "quote", 10).await;
    let mut ids = Vec::new();
    for i in 0..200 {
        ids.push(member(&app, &org, &format!("m{i:03}@acme.test")).await);
    }
    let mut tasks = Vec::new();
    for id in ids {
        let s = s.clone();
        tasks.push(tokio::spawn(async move { put_products(&s, id, &["quote"]).await }));
    }
    let answers: Vec<(StatusCode, Value)> =
        futures::future::join_all(tasks).await.into_iter().map(|r| r.unwrap()).collect();
    let ok = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let refused: Vec<&Value> = answers.iter().filter(|(s, _)| *s == StatusCode::CONFLICT).map(|(_, b)| b).collect();
    assert_eq!(ok, 10, "exactly the free seats are taken");
    assert_eq!(
        refused.len(),
        190,
        "every other request is refused: {:?}",
        answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    for body in refused {
        assert_eq!(body["type"], "/problems/no-seats", "{body}");
        assert_eq!(body["status"], 409);
        assert_eq!(body["detail"], "No seats are free for Quote Assistant: all 10 are assigned", "{body}");
        assert_eq!(body["seats"], json!({"product": "quote", "license_count": 10, "free": 0, "needed": 1}), "{body}");
    }
    let q = product(&s, "quote").await;
    assert_eq!((q["used"].as_i64(), q["free"].as_i64()), (Some(10), Some(0)), "{q}");
    assert_eq!(events(&s, "member.licenses_changed").await.len(), 10);
    app.finish().await;
}

#[tokio::test]
async fn a_trial_ends_with_the_clock_and_converting_it_keeps_the_assignments() {
    let (app, org, s) = acme().await;
    let ann = member(&app, &org, "ann@acme.test").await;
    let started_at = app.now();
    let (status, q) = s.post("/api/v1/orgs/acme/products/quote/trial", json!({"days": 14, "license_count": 5})).await;
    assert_eq!(status, StatusCode::CREATED, "{q}");
    assert_eq!(q["status"], "trial");
    assert_eq!(q["license_count"], 5);
    let trial = &q["trial"];
    assert_eq!(trial["started_by"], "owner@acme.test");
    let (_, me) = s.get("/api/v1/me").await;
    assert_eq!(trial["started_by_id"], me["user"]["id"]);
    assert_eq!(trial["days_left"], 14);
    let starts = time::OffsetDateTime::parse(
        trial["starts_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let ends =
        time::OffsetDateTime::parse(trial["ends_at"].as_str().unwrap(), &time::format_description::well_known::Rfc3339)
            .unwrap();
    assert!((starts.unix_timestamp() * 1000 - started_at.0).abs() < 1000, "{trial}");
    assert_eq!((ends - starts).whole_days(), 14);
    let started = events(&s, "subscription.trial_started").await;
    assert_eq!(started.len(), 1);
    assert_eq!(started[0]["actor"]["label"], "owner@acme.test");

    // A trial's licenses grant the product while it runs.
    put_products(&s, ann, &["quote"]).await;
    let (_, verdict) = check(&s, "ann@acme.test", "product:quote", "read").await;
    assert_eq!(verdict, json!({"allowed": true, "via": ["license:quote"]}));
    app.advance(10 * DAY);
    let s = app.login("owner@acme.test", PASSWORD).await;
    assert_eq!(product(&s, "quote").await["trial"]["days_left"], 4);

    // Past its end: expired, and the license grants nothing.
    app.advance(5 * DAY);
    let s = app.login("owner@acme.test", PASSWORD).await;
    let q = product(&s, "quote").await;
    assert_eq!((q["status"].as_str(), q["trial"]["days_left"].as_i64()), (Some("expired"), Some(0)), "{q}");
    assert_eq!(q["used"], 1, "the assignment stays");
    let (_, verdict) = check(&s, "ann@acme.test", "product:quote", "read").await;
    assert_eq!(verdict, json!({"allowed": false, "via": []}));
    let (status, body) = s.post("/api/v1/orgs/acme/products/quote/trial", json!({})).await;
    assert_eq!((status, body["type"].as_str()), (StatusCode::CONFLICT, Some("/problems/subscription-state")), "{body}");
    assert!(body["detail"].as_str().unwrap().contains("has had its trial"), "{body}");
    let (status, body) = patch_product(&s, "quote", json!({"status": "active"})).await;
    assert_eq!(
        (status, body["type"].as_str()),
        (StatusCode::CONFLICT, Some("/problems/subscription-state")),
        "a trial is converted, not reactivated: {body}"
    );

    // Converted: active, the same member holds it and may use it again.
    let (status, q) = s.post("/api/v1/orgs/acme/products/quote/convert", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{q}");
    assert_eq!(q["status"], "active");
    assert_eq!(q["used"], 1);
    assert_eq!(q["trial"]["started_by"], "owner@acme.test", "the trial is kept");
    assert!(q["trial"]["days_left"].is_null());
    let (_, verdict) = check(&s, "ann@acme.test", "product:quote", "read").await;
    assert_eq!(verdict, json!({"allowed": true, "via": ["license:quote"]}));
    let (_, held) = s.get(&format!("/api/v1/orgs/acme/users/{ann}/products")).await;
    assert_eq!(held, json!({"products": ["quote"]}));
    let converted = events(&s, "subscription.converted").await;
    assert_eq!(converted[0]["details"]["data"]["before"], json!({"status": "expired"}));

    // Converting again, or trying a product subscribed to, is refused; a bad length is named.
    let (status, body) = s.post("/api/v1/orgs/acme/products/quote/convert", json!({})).await;
    assert_eq!((status, body["type"].as_str()), (StatusCode::CONFLICT, Some("/problems/subscription-state")), "{body}");
    let (status, body) = s.post("/api/v1/orgs/acme/products/quote/trial", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = s.post("/api/v1/orgs/acme/products/intake/trial", json!({"days": 0})).await;
    assert_eq!((status, field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "days"), "{body}");
    let (status, body) = s.post("/api/v1/orgs/acme/products/intake/convert", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // Defaults: 30 days, 10 seats.
    let (status, q) = s.post("/api/v1/orgs/acme/products/intake/trial", json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{q}");
    assert_eq!((q["trial"]["days_left"].as_i64(), q["license_count"].as_i64()), (Some(30), Some(10)));
    app.finish().await;
}

#[tokio::test]
async fn the_check_api_answers_product_use_and_disabling_and_archiving_follow() {
    let (app, org, s) = acme().await;
    subscribe(&s, "quote", 5).await;
    subscribe(&s, "analytics", 5).await;
    let ann = member(&app, &org, "ann@acme.test").await;
    member(&app, &org, "bob@acme.test").await;
    put_products(&s, ann, &["quote"]).await;
    let (status, verdict) = check(&s, "ann@acme.test", "product:quote", "read").await;
    assert_eq!(status, StatusCode::OK, "{verdict}");
    assert_eq!(verdict, json!({"allowed": true, "via": ["license:quote"]}));
    for (who, what) in [
        ("ann@acme.test", "product:analytics"),
        ("bob@acme.test", "product:quote"),
        ("ann@acme.test", "product:intake"),
    ] {
        let (_, verdict) = check(&s, who, what, "read").await;
        assert_eq!(verdict, json!({"allowed": false, "via": []}), "{who} {what}");
    }
    let (status, body) = check(&s, "ann@acme.test", "product:teleport", "read").await;
    assert_eq!((status, field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "resource"), "{body}");
    let (status, body) = check(&s, "ann@acme.test", "product:quote", "update").await;
    assert_eq!((status, field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "action"), "{body}");
    // In a batch, each refusal names its check.
    let (status, body) = s
        .post(
            "/api/v1/orgs/acme/authz/check-batch",
            json!({"checks": [
                {"user": "ann@acme.test", "resource": "product:quote", "action": "read"},
                {"user": "ann@acme.test", "resource": "product:quote", "action": "delete"},
            ]}),
        )
        .await;
    assert_eq!((status, field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "checks[1].action"), "{body}");

    // Disabled: the seat stays taken and shows as held by a disabled member, but grants nothing.
    let (status, body) = s.post(&format!("/api/v1/orgs/acme/users/{ann}/disable"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["products"], json!(["quote"]));
    let (_, verdict) = check(&s, "ann@acme.test", "product:quote", "read").await;
    assert_eq!(verdict, json!({"allowed": false, "via": []}));
    let q = product(&s, "quote").await;
    assert_eq!((q["used"].as_i64(), q["held_by_disabled"].as_i64(), q["free"].as_i64()), (Some(1), Some(1), Some(4)));
    s.post(&format!("/api/v1/orgs/acme/users/{ann}/enable"), json!({})).await;
    let q = product(&s, "quote").await;
    assert_eq!((q["used"].as_i64(), q["held_by_disabled"].as_i64()), (Some(1), Some(0)));
    let (_, verdict) = check(&s, "ann@acme.test", "product:quote", "read").await;
    assert_eq!(verdict["allowed"], true);

    // Archived: the license is freed, and the event says which.
    s.post(&format!("/api/v1/orgs/acme/users/{ann}/disable"), json!({})).await;
    let (status, body) = s.post(&format!("/api/v1/orgs/acme/users/{ann}/archive"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["products"], json!([]));
    let q = product(&s, "quote").await;
    assert_eq!((q["used"].as_i64(), q["held_by_disabled"].as_i64(), q["free"].as_i64()), (Some(0), Some(0), Some(5)));
    let archived = events(&s, "member.archived").await;
    assert_eq!(archived[0]["details"]["data"]["licenses_freed"], json!(["quote"]), "{archived:?}");
    let (_, verdict) = check(&s, "ann@acme.test", "product:quote", "read").await;
    assert_eq!(verdict["allowed"], false);
    // An archived member is given no license; restored, they hold none until given one.
    let (status, body) = put_products(&s, ann, &["quote"]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    s.post(&format!("/api/v1/orgs/acme/users/{ann}/restore"), json!({})).await;
    let (_, held) = s.get(&format!("/api/v1/orgs/acme/users/{ann}/products")).await;
    assert_eq!(held, json!({"products": []}));
    app.finish().await;
}

#[tokio::test]
async fn bulk_cells_preview_then_apply_with_one_event_per_member_and_one_for_the_change() {
    let (app, org, s) = acme().await;
    subscribe(&s, "quote", 3).await;
    subscribe(&s, "analytics", 10).await;
    let a = member(&app, &org, "a@acme.test").await;
    let b = member(&app, &org, "b@acme.test").await;
    let c = member(&app, &org, "c@acme.test").await;
    put_products(&s, c, &["quote"]).await;
    let cells = json!({
        "assign": [{"user": a, "product": "quote"}, {"user": a, "product": "analytics"}, {"user": b, "product": "quote"}, {"user": c, "product": "quote"}],
        "remove": [{"user": c, "product": "analytics"}],
    });
    let mut preview = cells.clone();
    preview["dry_run"] = json!(true);
    let (status, p) = s.post("/api/v1/orgs/acme/licenses/bulk", preview).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(
        p,
        json!({"assigned": 3, "removed": 0, "unchanged": 2, "skipped": 0, "seats_after": {"analytics": 9, "quote": 0}, "dry_run": true})
    );
    assert_eq!(product(&s, "quote").await["used"], 1, "a preview changes nothing");
    let (status, done) = s.post("/api/v1/orgs/acme/licenses/bulk", cells).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["assigned"], p["assigned"]);
    assert_eq!(done["seats_after"], p["seats_after"]);
    assert_eq!(done["dry_run"], false);
    assert_eq!(product(&s, "quote").await["used"], 3);
    let (_, held) = s.get(&format!("/api/v1/orgs/acme/users/{a}/products")).await;
    assert_eq!(held, json!({"products": ["analytics", "quote"]}));
    assert_eq!(events(&s, "member.licenses_changed").await.len(), 1 + 2, "c's own assignment, then a and b");
    let bulk = events(&s, "licenses.bulk_changed").await;
    assert_eq!(bulk.len(), 1);
    assert_eq!(bulk[0]["details"]["data"]["assigned"], 3);

    // Removing cells.
    let (status, done) = s
        .post(
            "/api/v1/orgs/acme/licenses/bulk",
            json!({"remove": [{"user": a, "product": "quote"}, {"user": b, "product": "quote"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!((done["removed"].as_u64(), done["seats_after"]["quote"].as_i64()), (Some(2), Some(2)));

    // Short of seats: the preview says by how much, the change is refused before anything is written.
    let d = member(&app, &org, "d@acme.test").await;
    let e = member(&app, &org, "e@acme.test").await;
    let short = json!({"assign": [{"user": a, "product": "quote"}, {"user": b, "product": "quote"}, {"user": d, "product": "quote"}, {"user": e, "product": "analytics"}]});
    let mut preview = short.clone();
    preview["dry_run"] = json!(true);
    let (status, p) = s.post("/api/v1/orgs/acme/licenses/bulk", preview).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["seats_after"]["quote"], -1, "{p}");
    let before = events(&s, "member.licenses_changed").await.len();
    let (status, body) = s.post("/api/v1/orgs/acme/licenses/bulk", short).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["type"], "/problems/no-seats");
    assert_eq!(body["seats"], json!({"product": "quote", "license_count": 3, "free": 2, "needed": 3}));
    assert_eq!(product(&s, "quote").await["used"], 1);
    assert_eq!(product(&s, "analytics").await["used"], 1, "e got nothing either");
    assert_eq!(events(&s, "member.licenses_changed").await.len(), before);

    // Bad cells are named; a body mixing the two shapes is refused.
    let (status, body) = s.post("/api/v1/orgs/acme/licenses/bulk", json!({"assign": [{"user": a, "product": "quote"}, {"user": "nobody", "product": "quote"}, {"user": a, "product": "teleport"}]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["assign[1].user", "assign[2].product"]);
    let (status, body) =
        s.post("/api/v1/orgs/acme/licenses/bulk", json!({"assign": [], "product": "quote", "action": "assign"})).await;
    assert_eq!((status, field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "assign"), "{body}");
    let (status, body) = s.post("/api/v1/orgs/acme/licenses/bulk", json!({"filter": {}, "action": "assign"})).await;
    assert_eq!((status, field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "product"), "{body}");
    app.finish().await;
}

#[tokio::test]
async fn bulk_by_filter_previews_exactly_what_it_applies() {
    let (app, org, s) = acme().await;
    app.seed(&org, 40).await;
    let (_, users) = s.get("/api/v1/orgs/acme/users?status=active&per_page=200").await;
    let active = users["total"].as_i64().unwrap();
    subscribe(&s, "analytics", active + 5).await;
    let body = json!({"product": "analytics", "filter": {"status": ["active"]}, "action": "assign"});
    let mut preview = body.clone();
    preview["dry_run"] = json!(true);
    let (status, p) = s.post("/api/v1/orgs/acme/licenses/bulk", preview).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["assigned"].as_i64(), Some(active), "{p}");
    assert_eq!(p["seats_after"], json!({"analytics": 5}));
    assert_eq!(product(&s, "analytics").await["used"], 0);
    let (status, done) = s.post("/api/v1/orgs/acme/licenses/bulk", body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    for k in ["assigned", "removed", "unchanged", "skipped", "seats_after"] {
        assert_eq!(done[k], p[k], "{k}: preview {p} vs change {done}");
    }
    assert_eq!(product(&s, "analytics").await["used"].as_i64(), Some(active));
    assert_eq!(events(&s, "member.licenses_changed").await.len() as i64, active);
    let bulk = events(&s, "licenses.bulk_changed").await;
    assert_eq!(bulk.len(), 1);
    assert_eq!(bulk[0]["details"]["data"]["product"], "analytics");
    assert_eq!(bulk[0]["details"]["data"]["action"], "assign");
    // Again: everyone holds it already.
    let (_, again) = s.post("/api/v1/orgs/acme/licenses/bulk", body).await;
    assert_eq!((again["assigned"].as_i64(), again["unchanged"].as_i64()), (Some(0), Some(active)), "{again}");
    assert_eq!(events(&s, "licenses.bulk_changed").await.len(), 1, "a change of nothing is not audited");

    // Not enough seats for everyone matching: refused before anything changes.
    subscribe(&s, "quote", 3).await;
    let (status, refused) = s
        .post(
            "/api/v1/orgs/acme/licenses/bulk",
            json!({"product": "quote", "filter": {"status": ["active"]}, "action": "assign"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["seats"]["needed"].as_i64(), Some(active));
    assert_eq!(product(&s, "quote").await["used"], 0);
    // Remove by filter, and a filter naming an unknown product or role.
    let (_, removed) = s
        .post(
            "/api/v1/orgs/acme/licenses/bulk",
            json!({"product": "analytics", "filter": {"q": "owner@acme.test"}, "action": "remove"}),
        )
        .await;
    assert_eq!(removed["removed"], 1, "{removed}");
    for (filter, name) in [(json!({"product": "teleport"}), "filter.product"), (json!({"role": "nobody"}), "role")] {
        let (status, body) = s
            .post(
                "/api/v1/orgs/acme/licenses/bulk",
                json!({"product": "analytics", "filter": filter, "action": "remove"}),
            )
            .await;
        assert_eq!((status, field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, name), "{body}");
    }
    let (status, body) =
        s.post("/api/v1/orgs/acme/licenses/bulk", json!({"product": "intake", "filter": {}, "action": "assign"})).await;
    assert_eq!((status, field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "product"), "not subscribed: {body}");
    app.finish().await;
}

#[tokio::test]
async fn holders_of_a_product_are_listed_and_the_users_list_filters_by_product() {
    let (app, org, s) = acme().await;
    subscribe(&s, "quote", 50).await;
    let mut holders = Vec::new();
    for i in 0..12 {
        let id = member(&app, &org, &format!("holder{i:02}@acme.test")).await;
        put_products(&s, id, &["quote"]).await;
        holders.push(format!("holder{i:02}@acme.test"));
    }
    for i in 0..5 {
        member(&app, &org, &format!("other{i}@acme.test")).await;
    }
    // Paged by cursor, every holder once.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = s.get(&format!("/api/v1/orgs/acme/products/quote/members?per_page=10{cursor}")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for i in page["items"].as_array().unwrap() {
            assert_eq!(i["products"], json!(["quote"]), "{i}");
            seen.push(i["email"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, holders);
    let (_, found) = s.get("/api/v1/orgs/acme/products/quote/members?q=holder07").await;
    assert_eq!(found["total"], 1, "{found}");
    let (status, body) = s.get("/api/v1/orgs/acme/products/quote/members?role=user").await;
    assert_eq!((status, field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "role"), "{body}");
    let (status, _) = s.get("/api/v1/orgs/acme/products/intake/members").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not subscribed");

    // The Users list's product filter answers the same members.
    let (status, list) = s.get("/api/v1/orgs/acme/users?product=quote&per_page=50").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let emails: Vec<&str> = list["items"].as_array().unwrap().iter().map(|i| i["email"].as_str().unwrap()).collect();
    assert_eq!(emails, holders);
    let (status, body) = s.get("/api/v1/orgs/acme/users?product=teleport").await;
    assert_eq!((status, field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "product"), "{body}");

    // So do the bulk filters: another product for every holder, and the Users list's bulk change.
    subscribe(&s, "analytics", 50).await;
    let (status, p) = s
        .post(
            "/api/v1/orgs/acme/licenses/bulk",
            json!({"product": "analytics", "filter": {"product": "quote"}, "action": "assign", "dry_run": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["assigned"], 12, "{p}");
    let (status, p) = s
        .post(
            "/api/v1/orgs/acme/users/bulk",
            json!({"action": "disable", "filter": {"product": "quote"}, "dry_run": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["changed"], 12, "{p}");
    let (status, body) =
        s.post("/api/v1/orgs/acme/users/bulk", json!({"action": "disable", "filter": {"product": "teleport"}})).await;
    assert_eq!((status, field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "filter.product"), "{body}");
    app.finish().await;
}

#[tokio::test]
async fn a_billing_manager_assigns_and_manages_but_a_user_cannot_and_nobody_escalates() {
    let (app, org, s) = acme().await;
    subscribe(&s, "quote", 10).await;
    app.add_member_with_roles(&org, "bm@acme.test", &["billing_manager"]).await;
    let user = app.add_member_with_roles(&org, "user@acme.test", &["user"]).await;
    let ao = app.add_member_with_roles(&org, "ao@acme.test", &["account_owner"]).await;
    let b = app.login("bm@acme.test", PASSWORD).await;
    let u = app.login("user@acme.test", PASSWORD).await;

    // The Billing Manager: assigns licenses to a User, manages subscriptions and trials.
    let (status, body) = put_products(&b, user, &["quote"]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = patch_product(&b, "quote", json!({"license_count": 12})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = b.post("/api/v1/orgs/acme/products/analytics/trial", json!({"days": 7})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["trial"]["started_by"], "bm@acme.test");
    let (status, _) = b.get("/api/v1/orgs/acme/products/quote/members").await;
    assert_eq!(status, StatusCode::OK);
    // … but not the Account Owner's licenses (they hold permissions the Billing Manager lacks).
    let (status, body) = put_products(&b, ao, &["quote"]).await;
    assert_eq!((status, body["type"].as_str()), (StatusCode::FORBIDDEN, Some("/problems/escalation")), "{body}");
    let (status, body) =
        b.post("/api/v1/orgs/acme/licenses/bulk", json!({"assign": [{"user": ao, "product": "quote"}]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["assigned"].as_u64(), body["skipped"].as_u64()), (Some(0), Some(1)), "{body}");
    let (_, held) = s.get(&format!("/api/v1/orgs/acme/users/{ao}/products")).await;
    assert_eq!(held, json!({"products": []}));
    // A filtered change skips them too, the same in preview and change.
    let f = json!({"product": "quote", "filter": {"status": ["active"]}, "action": "assign", "dry_run": true});
    let (_, p) = b.post("/api/v1/orgs/acme/licenses/bulk", f).await;
    assert!(p["skipped"].as_u64().unwrap() >= 2, "the owner and the Account Owner: {p}");

    // A User: no Products tab, no assignments, no subscriptions.
    for path in
        ["/api/v1/orgs/acme/products", "/api/v1/orgs/acme/products/quote", "/api/v1/orgs/acme/products/quote/members"]
    {
        let (status, body) = u.get(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
    }
    let (status, _) = put_products(&u, user, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "assigning needs licenses:update, even for oneself");
    let (status, _) = patch_product(&u, "quote", json!({"license_count": 100})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = u.post("/api/v1/orgs/acme/products/intake/trial", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = u.post("/api/v1/orgs/acme/licenses/bulk", json!({"assign": []})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = u.get("/api/v1/products").await;
    assert_eq!(status, StatusCode::OK, "the catalogue is public to members");

    // A role reading licenses sees the tab without members:read; one with licenses:read only cannot assign.
    let reader = app.create_role(&org, "License reader", &[("licenses", &["read"])]).await;
    app.add_member_with_roles(&org, "reader@acme.test", &[reader.as_str()]).await;
    let r = app.login("reader@acme.test", PASSWORD).await;
    let (status, body) = r.get("/api/v1/orgs/acme/products/quote/members").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["items"][0]["email"], "user@acme.test");
    let (status, _) = put_products(&r, user, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.finish().await;
}

#[tokio::test]
async fn another_organizations_products_and_members_answer_404() {
    let (app, org, s) = acme().await;
    subscribe(&s, "quote", 5).await;
    let globex = app.create_org("globex", "owner@globex.test").await;
    let g = app.login("owner@globex.test", PASSWORD).await;
    let stranger = member(&app, &globex, "stranger@globex.test").await;
    let ann = member(&app, &org, "ann@acme.test").await;
    // Globex's owner on Acme's paths.
    for path in
        ["/api/v1/orgs/acme/products", "/api/v1/orgs/acme/products/quote", "/api/v1/orgs/acme/products/quote/members"]
    {
        let (status, _) = g.get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, _) = put_products(&g, ann, &["quote"]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) =
        g.post("/api/v1/orgs/acme/licenses/bulk", json!({"assign": [{"user": ann, "product": "quote"}]})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Acme's owner naming Globex's member on Acme's paths.
    let (status, _) = put_products(&s, stranger, &["quote"]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s.get(&format!("/api/v1/orgs/acme/users/{stranger}/products")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) =
        s.post("/api/v1/orgs/acme/licenses/bulk", json!({"assign": [{"user": stranger, "product": "quote"}]})).await;
    assert_eq!((status, field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "assign[0].user"), "{body}");
    // Globex has no subscription of its own.
    let (_, list) = g.get("/api/v1/orgs/globex/products").await;
    assert_eq!(list["items"], json!([]));
    assert_eq!(product(&s, "quote").await["used"], 0);
    app.finish().await;
}

#[tokio::test]
async fn an_invitation_gives_its_products_seats_at_once() {
    let (app, _, s) = acme().await;
    subscribe(&s, "quote", 1).await;
    let (status, inv) = s
        .post(
            "/api/v1/orgs/acme/invitations",
            json!({"email": "new@acme.test", "first_name": "New", "products": ["quote"], "send_email": false}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{inv}");
    let (_, held) = s.get(&format!("/api/v1/orgs/acme/users/{}/products", inv["user_id"].as_str().unwrap())).await;
    assert_eq!(held, json!({"products": ["quote"]}));
    let q = product(&s, "quote").await;
    assert_eq!((q["used"].as_i64(), q["free"].as_i64()), (Some(1), Some(0)), "the invitee holds the seat");
    // No seat left: the invitation is refused whole.
    let (status, body) = s
        .post(
            "/api/v1/orgs/acme/invitations",
            json!({"email": "late@acme.test", "first_name": "Late", "products": ["quote"]}),
        )
        .await;
    assert_eq!((status, body["type"].as_str()), (StatusCode::CONFLICT, Some("/problems/no-seats")), "{body}");
    let (_, list) = s.get("/api/v1/orgs/acme/users?q=late%40acme.test").await;
    assert_eq!(list["total"], 0, "nobody was invited");
    let (status, body) = s
        .post(
            "/api/v1/orgs/acme/invitations",
            json!({"email": "odd@acme.test", "first_name": "Odd", "products": ["teleport"]}),
        )
        .await;
    assert_eq!((status, field(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "products[0]"), "{body}");
    // Canceling the invitation frees the seat.
    let (status, _) = s
        .send(reqwest::Method::DELETE, &format!("/api/v1/orgs/acme/invitations/{}", inv["id"].as_str().unwrap()), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(product(&s, "quote").await["used"], 0);
    app.finish().await;
}
