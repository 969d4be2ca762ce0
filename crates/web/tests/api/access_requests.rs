//! Access requests over the API (issue 11): the organization's settings
//! (join link, email domains), asking to join by the link or by an email
//! domain, who may not ask (409s), the Access Requests list, approving (roles
//! and products, no escalation, seats) and denying (with the requester told
//! by email), two decisions at once, the cool-down and expiry by the clock,
//! the rate limit, withdrawing, tenancy, sign-up, and the audit trail.

use reqwest::{Method, StatusCode};
use roster_domain::UserId;
use roster_store::orgs::OrgRecord;
use roster_testkit::{PASSWORD, Session, TestApp, spawn_app_with};
use serde_json::{Value, json};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
const NEW_PASSWORD: &str = "a long passphrase of several words";

/// Acme (owner-admin-user preset: owner, admin, user) and its owner's session.
async fn acme_with(configure: impl FnOnce(&mut roster_app::Config)) -> (TestApp, OrgRecord, Session) {
    let app = spawn_app_with(configure).await;
    let org = app.create_org_with_preset("acme", "owner@acme.test", "owner-admin-user").await;
    let s = app.login("owner@acme.test", PASSWORD).await;
    (app, org, s)
}

async fn acme() -> (TestApp, OrgRecord, Session) {
    acme_with(|_| {}).await
}

/// A signed-in user with a confirmed email who belongs to no organization.
async fn outsider(t: &TestApp, email: &str) -> (UserId, Session) {
    account(t, email, true).await
}

/// A signed-in user who belongs to no organization, with their email confirmed or not.
async fn account(t: &TestApp, email: &str, email_confirmed: bool) -> (UserId, Session) {
    let hash = roster_app::passwords::hash_password(&t.app, PASSWORD.to_string()).await.unwrap();
    let id = UserId::new();
    let mut tx = t.app.db.begin().await.unwrap();
    roster_store::users::insert_user(
        &mut tx,
        &roster_store::users::UserRecord {
            id,
            email: email.into(),
            name: format!("Name of {}", email.split('@').next().unwrap()),
            password_hash: Some(hash),
            email_confirmed,
            created_at: t.now(),
            locked_at: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (id, t.login(email, PASSWORD).await)
}

/// Turns the join link on (as the owner) and answers its code.
async fn enable_join_link(s: &Session, org: &str) -> String {
    let (status, body) =
        s.send(Method::PATCH, &format!("/api/v1/orgs/{org}/settings"), Some(json!({"join_link_enabled": true}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    code_of(&body)
}

fn code_of(settings: &Value) -> String {
    settings["join_link"].as_str().expect("a join link").rsplit("code=").next().unwrap().to_string()
}

async fn ask(s: &Session, org: &str, code: Option<&str>, message: &str) -> (StatusCode, Value) {
    let mut body = json!({"message": message});
    if let Some(c) = code {
        body["code"] = json!(c);
    }
    s.post(&format!("/api/v1/orgs/{org}/access-requests"), body).await
}

async fn list(s: &Session) -> Value {
    let (status, body) = s.get("/api/v1/orgs/acme/access-requests").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The kinds of the messages written to `email`, newest first.
async fn mail_kinds(t: &TestApp, email: &str) -> Vec<String> {
    let mut conn = t.app.db.conn().await.unwrap();
    roster_store::outbox::list_messages_to(&mut conn, email).await.unwrap().into_iter().map(|m| m.kind).collect()
}

/// The messages written to `email`, waiting a little for ones written after the answer.
async fn wait_for_mail(t: &TestApp, email: &str) -> Vec<roster_store::outbox::MessageRow> {
    for _ in 0..500 {
        let mut conn = t.app.db.conn().await.unwrap();
        let m = roster_store::outbox::list_messages_to(&mut conn, email).await.unwrap();
        if !m.is_empty() {
            return m;
        }
        drop(conn);
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no message to {email}");
}

/// The Users list's row of a member, if any.
async fn user_row(s: &Session, email: &str) -> Option<Value> {
    let (status, body) = s.get(&format!("/api/v1/orgs/acme/users?email={email}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().first().cloned()
}

/// The actions of the organization's `access_request` events, oldest first.
async fn request_events(s: &Session) -> Vec<String> {
    let (status, body) = s.get("/api/v1/orgs/acme/audit?action=access_request").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut actions: Vec<String> =
        body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_string()).collect();
    actions.reverse();
    actions
}

async fn subscribe(t: &TestApp, org: &str, product: &str, seats: i64) {
    let access = roster_app::access::open_org(&t.app, &roster_app::Actor::Cli, org).await.unwrap();
    let patch = roster_app::products::SubscriptionPatch { license_count: Some(seats), ..Default::default() };
    roster_app::products::update_subscription(&t.app, &access, product, &patch, &Default::default()).await.unwrap();
}

#[tokio::test]
async fn settings_turn_the_join_link_on_regenerate_it_and_check_domains() {
    let (t, _, owner) = acme().await;
    let (status, body) = owner.get("/api/v1/orgs/acme/settings").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"join_link_enabled": false, "join_link": null, "email_domains": []}));
    let code = enable_join_link(&owner, "acme").await;
    let (_, body) = owner.get("/api/v1/orgs/acme/settings").await;
    let link = body["join_link"].as_str().unwrap();
    assert!(link.starts_with(&format!("{}/join/acme?code=", t.base_url)), "{link}");
    assert_eq!(code.len(), 32);

    // Regenerating: the old code is refused like an unknown organization, the new one works.
    let (status, body) =
        owner.send(Method::PATCH, "/api/v1/orgs/acme/settings", Some(json!({"regenerate_join_link": true}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let new_code = code_of(&body);
    assert_ne!(new_code, code);
    let (_, ann) = outsider(&t, "ann@example.test").await;
    let (status, old) = ask(&ann, "acme", Some(&code), "hello").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{old}");
    let (status, body) = ask(&ann, "acme", Some(&new_code), "hello").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Domains: checked and named by their place; public providers refused; folded and sorted.
    let (status, body) = owner
        .send(Method::PATCH, "/api/v1/orgs/acme/settings", Some(json!({"email_domains": ["acme.com", "not a domain"]})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "email_domains[1]");
    let (status, body) =
        owner.send(Method::PATCH, "/api/v1/orgs/acme/settings", Some(json!({"email_domains": ["gmail.com"]}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "email_domains[0]");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("public mail provider"), "{body}");
    let (status, body) = owner
        .send(
            Method::PATCH,
            "/api/v1/orgs/acme/settings",
            Some(json!({"email_domains": ["@Zeta.ACME.com", "acme.com"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["email_domains"], json!(["acme.com", "zeta.acme.com"]));
    assert_eq!(body["join_link_enabled"], true, "left as it was");

    // Turning the link off: the code stops working.
    let (status, body) =
        owner.send(Method::PATCH, "/api/v1/orgs/acme/settings", Some(json!({"join_link_enabled": false}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["join_link"], Value::Null);
    let (_, bo) = outsider(&t, "bo@example.test").await;
    let (status, body) = ask(&bo, "acme", Some(&new_code), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // A plain user may neither change nor read the settings; an admin reads but may not change.
    let org = roster_app::access::open_org(&t.app, &roster_app::Actor::Cli, "acme").await.unwrap().org;
    t.add_member_with_roles(&org, "user@acme.test", &["user"]).await;
    t.add_member_with_roles(&org, "admin@acme.test", &["admin"]).await;
    let user = t.login("user@acme.test", PASSWORD).await;
    let (status, body) =
        user.send(Method::PATCH, "/api/v1/orgs/acme/settings", Some(json!({"join_link_enabled": true}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = user.get("/api/v1/orgs/acme/settings").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Each change is audited once, and the code never appears in the History.
    let (_, history) = owner.get("/api/v1/orgs/acme/audit?action=organization.settings_changed").await;
    let items = history["items"].as_array().unwrap();
    assert_eq!(items.len(), 4, "{history}");
    let text = history.to_string();
    assert!(!text.contains(&code) && !text.contains(&new_code), "a join code in the History: {text}");
    t.finish().await;
}

#[tokio::test]
async fn a_join_link_request_is_pending_and_other_ways_in_answer_404() {
    let (t, _, owner) = acme().await;
    let (_, ann) = outsider(&t, "ann@example.test").await;
    // No link yet, no domain: exactly like an organization that does not exist.
    let (status, missing) = ask(&ann, "no-such-org", None, "hi").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = ask(&ann, "acme", None, "hi").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, missing, "the same answer as an unknown organization");
    let code = enable_join_link(&owner, "acme").await;
    // Without the code (and no domain), still 404; with a wrong one too.
    let (status, body) = ask(&ann, "acme", None, "hi").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, missing);
    let (status, _) = ask(&ann, "acme", Some("0123456789abcdef0123456789abcdef"), "hi").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // With it: pending. By the organization's id as well as its slug.
    let (status, body) = ask(&ann, "acme", Some(&code), "  I work in billing.\nDana knows me.  ").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "pending");
    assert_eq!(body["email"], "ann@example.test");
    assert_eq!(body["message"], "I work in billing.\nDana knows me.");
    assert_eq!(body["via"], "join_link");
    assert_eq!(body["decided_at"], Value::Null);
    // A bad message is named.
    let (_, bo) = outsider(&t, "bo@example.test").await;
    let (status, body) = ask(&bo, "acme", Some(&code), &"x".repeat(1001)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "message");
    let org_id = roster_app::access::open_org(&t.app, &roster_app::Actor::Cli, "acme").await.unwrap().org.id;
    let (status, body) = ask(&bo, &org_id.to_string(), Some(&code), "").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Anonymous: 401.
    let (status, _) = ask(&t.anonymous(), "acme", Some(&code), "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The requester sees it among their own.
    let (status, mine) = ann.get("/api/v1/me/access-requests").await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["items"][0]["org_slug"], "acme");
    assert_eq!(mine["items"][0]["status"], "pending");
    t.finish().await;
}

#[tokio::test]
async fn a_confirmed_email_in_a_declared_domain_may_ask_without_a_code() {
    let (t, _, owner) = acme().await;
    let (_, dana) = outsider(&t, "dana@acme.com").await;
    let (_, eve) = outsider(&t, "eve@elsewhere.test").await;
    let (status, body) = dana.get("/api/v1/me/join-suggestions").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["items"], json!([]));
    let (status, _) =
        owner.send(Method::PATCH, "/api/v1/orgs/acme/settings", Some(json!({"email_domains": ["acme.com"]}))).await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = dana.get("/api/v1/me/join-suggestions").await;
    assert_eq!(body["items"], json!([{"slug": "acme", "name": "Org acme"}]));
    let (_, body) = eve.get("/api/v1/me/join-suggestions").await;
    assert_eq!(body["items"], json!([]));
    let (status, body) = ask(&eve, "acme", None, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // An unconfirmed address in the domain is not enough.
    let (_, frank) = account(&t, "frank@acme.com", false).await;
    let (status, _) = ask(&frank, "acme", None, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, body) = frank.get("/api/v1/me/join-suggestions").await;
    assert_eq!(body["items"], json!([]));
    let (status, body) = ask(&dana, "acme", None, "Hi from accounting").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["via"], "email_domain");
    // Once asked, no longer suggested.
    let (_, body) = dana.get("/api/v1/me/join-suggestions").await;
    assert_eq!(body["items"], json!([]));
    t.finish().await;
}

#[tokio::test]
async fn members_invitees_and_a_second_request_are_refused_with_409() {
    let (t, org, owner) = acme().await;
    let code = enable_join_link(&owner, "acme").await;
    t.add_member(&org, "member@acme.test", "Member").await;
    let member = t.login("member@acme.test", PASSWORD).await;
    let (status, body) = ask(&member, "acme", Some(&code), "").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["type"], "/problems/already-member");
    // The owner, too.
    let (status, body) = ask(&owner, "acme", Some(&code), "").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["type"], "/problems/already-member");
    // Someone invited (with an account of their own already).
    let (_, gil) = outsider(&t, "gil@example.test").await;
    let (status, body) = owner
        .post(
            "/api/v1/orgs/acme/invitations",
            json!({"email": "gil@example.test", "first_name": "Gil", "send_email": false}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = ask(&gil, "acme", Some(&code), "").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["type"], "/problems/already-invited");
    assert!(body["detail"].as_str().unwrap().contains("invited"), "{body}");
    // A second request while the first waits.
    let (_, ann) = outsider(&t, "ann@example.test").await;
    let (status, _) = ask(&ann, "acme", Some(&code), "first").await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = ask(&ann, "acme", Some(&code), "second").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["type"], "/problems/request-pending");
    assert_eq!(list(&owner).await["pending_count"], 1);
    // Invited while the request waits: approving it is refused, nothing changes.
    let (status, _) = owner
        .post(
            "/api/v1/orgs/acme/invitations",
            json!({"email": "ann@example.test", "first_name": "Ann", "send_email": false}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = list(&owner).await["pending"][0]["id"].as_str().unwrap().to_string();
    let (status, body) = owner.post(&format!("/api/v1/orgs/acme/access-requests/{id}/approve"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["type"], "/problems/already-member");
    assert_eq!(user_row(&owner, "ann@example.test").await.unwrap()["status"], "invited");
    assert!(mail_kinds(&t, "ann@example.test").await.is_empty());
    t.finish().await;
}

#[tokio::test]
async fn approving_makes_an_active_member_with_roles_and_licenses_and_tells_them() {
    let (t, _, owner) = acme().await;
    subscribe(&t, "acme", "quote", 5).await;
    let code = enable_join_link(&owner, "acme").await;
    let (ann_id, ann) = outsider(&t, "ann@example.test").await;
    let (_, bo) = outsider(&t, "bo@example.test").await;
    let (_, a) = ask(&ann, "acme", Some(&code), "I work in billing.").await;
    t.advance(1_000);
    let (_, b) = ask(&bo, "acme", Some(&code), "").await;
    let l = list(&owner).await;
    assert_eq!(l["pending_count"], 2);
    assert_eq!(l["pending"][0]["id"], a["id"], "oldest first");
    assert_eq!(l["pending"][0]["message"], "I work in billing.");
    assert_eq!(l["pending"][0]["name"], "Name of ann");
    assert_eq!(l["pending"][0]["user"], ann_id.to_string());
    assert_eq!(l["recent"], json!([]));
    let (status, one) = owner.get(&format!("/api/v1/orgs/acme/access-requests/{}", a["id"].as_str().unwrap())).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(one["email"], "ann@example.test");
    assert!(user_row(&owner, "ann@example.test").await.is_none(), "not a member before approval");

    let (status, body) = owner
        .post(
            &format!("/api/v1/orgs/acme/access-requests/{}/approve", a["id"].as_str().unwrap()),
            json!({"roles": ["admin"], "products": ["quote"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "approved");
    assert_eq!(body["decided_by"], "owner@acme.test");
    assert_eq!(body["roles"], json!(["Admin"]));
    assert!(body["decided_at"].is_string());
    let row = user_row(&owner, "ann@example.test").await.expect("a member now");
    assert_eq!(row["status"], "active");
    assert_eq!(row["roles"].as_array().unwrap().iter().map(|r| r["key"].clone()).collect::<Vec<_>>(), ["admin"]);
    let (status, products) = owner.get(&format!("/api/v1/orgs/acme/users/{ann_id}/products")).await;
    assert_eq!(status, StatusCode::OK, "{products}");
    assert_eq!(products["products"], json!(["quote"]));
    assert_eq!(mail_kinds(&t, "ann@example.test").await, ["access_approved"]);
    // Ann is in now: the organization is hers to see.
    let (status, me) = ann.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["organizations"][0]["slug"], "acme");

    // Denying Bo, with a reason: told by email, listed with it.
    let (status, body) = owner
        .post(
            &format!("/api/v1/orgs/acme/access-requests/{}/deny", b["id"].as_str().unwrap()),
            json!({"reason": "Only the billing team."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "denied");
    assert_eq!(mail_kinds(&t, "bo@example.test").await, ["access_denied"]);
    let mut conn = t.app.db.conn().await.unwrap();
    let letter = roster_store::outbox::list_messages_to(&mut conn, "bo@example.test").await.unwrap();
    assert!(letter[0].text_body.contains("Only the billing team."), "{}", letter[0].text_body);
    drop(conn);
    assert!(user_row(&owner, "bo@example.test").await.is_none());

    let l = list(&owner).await;
    assert_eq!(l["pending_count"], 0);
    assert_eq!(l["pending"], json!([]));
    let recent = l["recent"].as_array().unwrap();
    assert_eq!(recent.len(), 2);
    assert_eq!(recent[0]["status"], "denied", "newest first");
    assert_eq!(recent[0]["reason"], "Only the billing team.");
    assert_eq!(recent[0]["decided_by"], "owner@acme.test");
    assert_eq!(recent[1]["status"], "approved");
    assert_eq!(recent[1]["products"], json!(["Quote Assistant"]));
    assert!(recent[1]["decided_at"].is_string());
    // Deciding again: 409 request-closed.
    let (status, body) =
        owner.post(&format!("/api/v1/orgs/acme/access-requests/{}/deny", a["id"].as_str().unwrap()), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["type"], "/problems/request-closed");

    assert_eq!(
        request_events(&owner).await,
        ["access_request.created", "access_request.created", "access_request.approved", "access_request.denied"]
    );
    t.finish().await;
}

#[tokio::test]
async fn an_approver_gives_only_what_they_hold_and_seats_must_be_free() {
    let (t, org, owner) = acme().await;
    subscribe(&t, "acme", "quote", 1).await;
    let code = enable_join_link(&owner, "acme").await;
    let gatekeeper = t.create_role(&org, "Gatekeeper", &[("access_requests", &["read", "update"])]).await;
    t.add_member_with_roles(&org, "gate@acme.test", &[gatekeeper.as_str()]).await;
    let gate = t.login("gate@acme.test", PASSWORD).await;
    let (_, ann) = outsider(&t, "ann@example.test").await;
    let (_, a) = ask(&ann, "acme", Some(&code), "").await;
    let approve = format!("/api/v1/orgs/acme/access-requests/{}/approve", a["id"].as_str().unwrap());

    // A role whose grants the approver lacks: refused, nothing changed.
    let (status, body) = gate.post(&approve, json!({"roles": ["admin"]})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["type"], "/problems/escalation");
    // Products need licenses:update.
    let (status, body) = gate.post(&approve, json!({"roles": [], "products": ["quote"]})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // An unknown role is named.
    let (status, body) = owner.post(&approve, json!({"roles": ["no_such_role"]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "roles[0]");
    // No free seat: 409 no-seats, nothing changed.
    let owner_id = org.owner_id.unwrap();
    let (status, body) = owner
        .send(
            Method::PUT,
            &format!("/api/v1/orgs/acme/users/{owner_id}/products"),
            Some(json!({"products": ["quote"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = owner.post(&approve, json!({"roles": ["user"], "products": ["quote"]})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["type"], "/problems/no-seats");
    assert_eq!(body["seats"]["free"], 0);
    assert!(user_row(&owner, "ann@example.test").await.is_none(), "no member was made");
    let l = list(&owner).await;
    assert_eq!(l["pending_count"], 1, "still pending: {l}");
    assert!(mail_kinds(&t, "ann@example.test").await.is_empty(), "no letter for a refused approval");
    assert_eq!(request_events(&owner).await, ["access_request.created"]);

    // The default role grants more than the gatekeeper holds, too.
    let (status, body) = gate.post(&approve, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["type"], "/problems/escalation");
    // Within their own grants (no role): approved.
    let (status, body) = gate.post(&approve, json!({"roles": []})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["roles"], json!([]));
    let row = user_row(&owner, "ann@example.test").await.unwrap();
    assert_eq!(row["status"], "active");
    assert_eq!(row["roles"], json!([]));
    assert_eq!(body["decided_by"], "gate@acme.test");
    t.finish().await;
}

#[tokio::test]
async fn of_two_decisions_at_once_exactly_one_wins() {
    let (t, org, owner) = acme().await;
    let code = enable_join_link(&owner, "acme").await;
    t.add_member_with_roles(&org, "admin@acme.test", &["admin"]).await;
    let admin = t.login("admin@acme.test", PASSWORD).await;
    for (round, second_denies) in [(0, false), (1, true)] {
        let email = format!("ann{round}@example.test");
        let (_, ann) = outsider(&t, &email).await;
        let (_, a) = ask(&ann, "acme", Some(&code), "").await;
        let id = a["id"].as_str().unwrap();
        let approve = format!("/api/v1/orgs/acme/access-requests/{id}/approve");
        let other =
            if second_denies { format!("/api/v1/orgs/acme/access-requests/{id}/deny") } else { approve.clone() };
        let ((s1, b1), (s2, b2)) =
            tokio::join!(owner.post(&approve, json!({"roles": ["user"]})), admin.post(&other, json!({})));
        let statuses = [s1, s2];
        assert_eq!(statuses.iter().filter(|s| s.is_success()).count(), 1, "{b1} {b2}");
        let loser = if s1.is_success() { &b2 } else { &b1 };
        assert_eq!(loser["type"], "/problems/request-closed", "{loser}");
        assert!(statuses.contains(&StatusCode::CONFLICT));
        let (_, users) = owner.get(&format!("/api/v1/orgs/acme/users?email={email}")).await;
        let members = users["items"].as_array().unwrap().len();
        let approved = b1["status"] == "approved" || b2["status"] == "approved";
        assert_eq!(members, usize::from(approved), "the member exists once when approved: {users}");
        assert_eq!(mail_kinds(&t, &email).await.len(), 1, "one letter");
    }
    let decided = request_events(&owner).await.into_iter().filter(|a| a != "access_request.created").count();
    assert_eq!(decided, 2, "one decision event per request");
    t.finish().await;
}

#[tokio::test]
async fn after_a_denial_the_cool_down_and_an_undecided_request_expires() {
    let (t, _, owner) = acme().await;
    let code = enable_join_link(&owner, "acme").await;
    let (_, ann) = outsider(&t, "ann@example.test").await;
    let (_, a) = ask(&ann, "acme", Some(&code), "").await;
    let (status, _) = owner
        .post(&format!("/api/v1/orgs/acme/access-requests/{}/deny", a["id"].as_str().unwrap()), json!({"reason": ""}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = ask(&ann, "acme", Some(&code), "again").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["type"], "/problems/request-cooldown");
    // (Sessions end when idle for so long: sign in again after each move of the clock.)
    t.advance(7 * DAY_MS - 60_000);
    let ann = t.login("ann@example.test", PASSWORD).await;
    let (status, _) = ask(&ann, "acme", Some(&code), "again").await;
    assert_eq!(status, StatusCode::CONFLICT, "a minute short of 7 days");
    t.advance(60_000);
    let ann = t.login("ann@example.test", PASSWORD).await;
    let (status, b) = ask(&ann, "acme", Some(&code), "again").await;
    assert_eq!(status, StatusCode::CREATED, "{b}");

    // Undecided for 30 days: expired, listed in recent, and approval refused.
    t.advance(30 * DAY_MS);
    let (owner, ann) = (t.login("owner@acme.test", PASSWORD).await, t.login("ann@example.test", PASSWORD).await);
    let l = list(&owner).await;
    assert_eq!(l["pending_count"], 0, "{l}");
    assert_eq!(l["recent"][0]["id"], b["id"]);
    assert_eq!(l["recent"][0]["status"], "expired");
    assert_eq!(l["recent"][0]["decided_at"], l["recent"][0]["expires_at"]);
    let (status, body) = owner
        .post(&format!("/api/v1/orgs/acme/access-requests/{}/approve", b["id"].as_str().unwrap()), json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["type"], "/problems/request-closed");
    let (_, mine) = ann.get("/api/v1/me/access-requests").await;
    assert_eq!(mine["items"][0]["status"], "expired");
    // The sweep records it once.
    assert_eq!(roster_app::access_requests::sweep_expired(&t.app).await.unwrap(), 1);
    assert_eq!(roster_app::access_requests::sweep_expired(&t.app).await.unwrap(), 0);
    let events = request_events(&owner).await;
    assert_eq!(events.iter().filter(|a| *a == "access_request.expired").count(), 1, "{events:?}");
    // And a new request is allowed.
    let (status, c) = ask(&ann, "acme", Some(&code), "third time").await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(list(&owner).await["pending_count"], 1);
    t.finish().await;
}

#[tokio::test]
async fn an_expired_request_not_swept_is_recorded_when_the_next_one_is_made() {
    let (t, _, owner) = acme().await;
    let code = enable_join_link(&owner, "acme").await;
    let (_, ann) = outsider(&t, "ann@example.test").await;
    ask(&ann, "acme", Some(&code), "").await;
    t.advance(30 * DAY_MS);
    let (owner, ann) = (t.login("owner@acme.test", PASSWORD).await, t.login("ann@example.test", PASSWORD).await);
    let (status, body) = ask(&ann, "acme", Some(&code), "").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        request_events(&owner).await,
        ["access_request.created", "access_request.expired", "access_request.created"]
    );
    assert_eq!(roster_app::access_requests::sweep_expired(&t.app).await.unwrap(), 0, "recorded once");
    t.finish().await;
}

#[tokio::test]
async fn too_many_requests_answer_429_with_retry_after() {
    let (t, _, owner) = acme_with(|c| c.access_requests_per_user_hour = 3).await;
    let code = enable_join_link(&owner, "acme").await;
    let (_, ann) = outsider(&t, "ann@example.test").await;
    for _ in 0..3 {
        let (status, body) = ask(&ann, "acme", Some(&code), "").await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = ann
            .send(Method::DELETE, &format!("/api/v1/me/access-requests/{}", body["id"].as_str().unwrap()), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let r = ann
        .raw(
            ann.client
                .post(format!("{}/api/v1/orgs/acme/access-requests", t.base_url))
                .header("X-CSRF-Token", &ann.csrf)
                .json(&json!({"message": "", "code": code})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=3600).contains(&wait), "{wait}");
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["type"].as_str().unwrap().ends_with("/rate-limited"), "{body}");
    assert!(body["detail"].as_str().unwrap().contains("Too many access requests"), "{body}");
    // An hour later, allowed again.
    t.advance(60 * 60 * 1000);
    let ann = t.login("ann@example.test", PASSWORD).await;
    let (status, body) = ask(&ann, "acme", Some(&code), "").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    t.finish().await;
}

#[tokio::test]
async fn the_per_organization_cap_stops_a_flood_from_many_users() {
    let (t, _, owner) = acme_with(|c| c.access_requests_per_org_hour = 2).await;
    let code = enable_join_link(&owner, "acme").await;
    for (i, expected) in
        [StatusCode::CREATED, StatusCode::CREATED, StatusCode::TOO_MANY_REQUESTS].into_iter().enumerate()
    {
        let (_, s) = outsider(&t, &format!("u{i}@example.test")).await;
        let (status, body) = ask(&s, "acme", Some(&code), "").await;
        assert_eq!(status, expected, "{body}");
    }
    t.finish().await;
}

#[tokio::test]
async fn a_requester_withdraws_their_own_request_only() {
    let (t, _, owner) = acme().await;
    let code = enable_join_link(&owner, "acme").await;
    let (_, ann) = outsider(&t, "ann@example.test").await;
    let (_, bo) = outsider(&t, "bo@example.test").await;
    let (_, a) = ask(&ann, "acme", Some(&code), "").await;
    let path = format!("/api/v1/me/access-requests/{}", a["id"].as_str().unwrap());
    let (status, body) = bo.send(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another user's request: {body}");
    let (status, body) = ann.send(Method::DELETE, "/api/v1/me/access-requests/not-an-id", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = ann.send(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "withdrawn");
    assert_eq!(body["org_slug"], "acme");
    let (status, body) = ann.send(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["type"], "/problems/request-closed");
    let l = list(&owner).await;
    assert_eq!(l["pending_count"], 0);
    assert_eq!(l["recent"][0]["status"], "withdrawn");
    assert_eq!(l["recent"][0]["decided_by"], Value::Null);
    // Withdrawn, Ann may ask again at once.
    let (status, _) = ask(&ann, "acme", Some(&code), "").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        request_events(&owner).await,
        ["access_request.created", "access_request.withdrawn", "access_request.created"]
    );
    t.finish().await;
}

#[tokio::test]
async fn another_organizations_administrator_sees_nothing() {
    let (t, _, owner) = acme().await;
    t.create_org("globex", "owner@globex.test").await;
    let globex = t.login("owner@globex.test", PASSWORD).await;
    let code = enable_join_link(&owner, "acme").await;
    let (_, ann) = outsider(&t, "ann@example.test").await;
    let (_, a) = ask(&ann, "acme", Some(&code), "").await;
    let id = a["id"].as_str().unwrap();
    for (method, path, body) in [
        (Method::GET, "/api/v1/orgs/acme/access-requests".to_string(), None),
        (Method::GET, format!("/api/v1/orgs/acme/access-requests/{id}"), None),
        (Method::POST, format!("/api/v1/orgs/acme/access-requests/{id}/approve"), Some(json!({}))),
        (Method::POST, format!("/api/v1/orgs/acme/access-requests/{id}/deny"), Some(json!({}))),
        (Method::GET, "/api/v1/orgs/acme/settings".to_string(), None),
        // Acme's request through Globex's paths: not Globex's.
        (Method::GET, format!("/api/v1/orgs/globex/access-requests/{id}"), None),
        (Method::POST, format!("/api/v1/orgs/globex/access-requests/{id}/approve"), Some(json!({}))),
        (Method::POST, format!("/api/v1/orgs/globex/access-requests/{id}/deny"), Some(json!({}))),
    ] {
        let (status, answer) = globex.send(method.clone(), &path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
    }
    let (_, l) = globex.get("/api/v1/orgs/globex/access-requests").await;
    assert_eq!(l["pending"], json!([]));
    assert_eq!(list(&owner).await["pending_count"], 1, "still pending in Acme");
    t.finish().await;
}

/// The token of the newest sign-up link mailed to `email`.
async fn signup_token(t: &TestApp, email: &str) -> String {
    let messages = wait_for_mail(t, email).await;
    let m = &messages[0];
    assert_eq!(m.kind, "signup_confirm");
    let at = m.text_body.find("/signup/confirm?token=").expect("a confirmation link") + "/signup/confirm?token=".len();
    m.text_body[at..].split(|c: char| c.is_whitespace()).next().unwrap().to_string()
}

async fn signup(t: &TestApp, email: &str, password: &str) -> (StatusCode, Value) {
    t.anonymous().post("/api/v1/auth/signup", json!({"email": email, "name": "Hal Ng", "password": password})).await
}

#[tokio::test]
async fn signing_up_mails_a_link_that_makes_the_account_and_signs_in_once() {
    let (t, _, _) = acme().await;
    let (status, body) = signup(&t, "Hal@Example.test", NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["message"], roster_app::signup::ANSWER);
    let token = signup_token(&t, "hal@example.test").await;
    // No account before the link is followed.
    let c = roster_testkit::client();
    let r = c
        .post(format!("{}/api/v1/auth/login", t.base_url))
        .json(&json!({"email": "hal@example.test", "password": NEW_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Following it signs in (the cookie is set), like a sign-in.
    let r = c
        .post(format!("{}/api/v1/auth/signup/confirm", t.base_url))
        .json(&json!({"token": token}))
        .send()
        .await
        .unwrap();
    t.violations.assert_none();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["set-cookie"].to_str().unwrap().contains("HttpOnly"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["user"]["email"], "hal@example.test");
    assert_eq!(body["user"]["name"], "Hal Ng");
    assert_eq!(body["organizations"], json!([]));
    assert!(body["csrf_token"].is_string());
    let r = c.get(format!("{}/api/v1/me", t.base_url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let mut conn = t.app.db.conn().await.unwrap();
    let email = roster_domain::Email::parse("hal@example.test").unwrap();
    let user = roster_store::users::find_user_by_email(&mut conn, &email).await.unwrap().unwrap();
    assert!(user.email_confirmed, "the link confirmed the address");
    drop(conn);
    // The password works.
    t.login("hal@example.test", NEW_PASSWORD).await;
    // Twice: refused.
    let (status, body) = t.anonymous().post("/api/v1/auth/signup/confirm", json!({"token": token})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["type"], "/problems/invalid-token");
    let (status, _) = t.anonymous().post("/api/v1/auth/signup/confirm", json!({"token": "nope"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // An address with an account: the same answer, and a notice instead of a link.
    let (status, again) = signup(&t, "owner@acme.test", NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(again, body_of_answer());
    let messages = wait_for_mail(&t, "owner@acme.test").await;
    assert_eq!(messages[0].kind, "signup_existing");
    assert!(!messages[0].text_body.contains("token="), "no link that makes an account");
    t.finish().await;
}

fn body_of_answer() -> Value {
    json!({"message": roster_app::signup::ANSWER})
}

#[tokio::test]
async fn sign_up_refuses_bad_fields_and_is_off_when_turned_off() {
    let (t, _, _) = acme().await;
    let (status, body) = signup(&t, "ivy@example.test", "short").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["errors"].as_array().unwrap().iter().any(|e| e["field"] == "password"), "{body}");
    let (status, body) = t
        .anonymous()
        .post("/api/v1/auth/signup", json!({"email": "not an email", "name": "", "password": NEW_PASSWORD}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"email") && fields.contains(&"name"), "{body}");
    // From another site: refused like a sign-in.
    let r = t
        .anonymous()
        .raw(
            roster_testkit::client()
                .post(format!("{}/api/v1/auth/signup", t.base_url))
                .header("Origin", "https://evil.example")
                .json(&json!({"email": "ivy@example.test", "name": "Ivy", "password": NEW_PASSWORD})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    t.finish().await;

    let t = spawn_app_with(|c| c.signup_enabled = false).await;
    let (status, body) = signup(&t, "ivy@example.test", NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("turned off"), "{body}");
    t.finish().await;
}

#[tokio::test]
async fn a_new_account_signs_up_then_asks_by_its_domain() {
    let (t, _, owner) = acme().await;
    owner.send(Method::PATCH, "/api/v1/orgs/acme/settings", Some(json!({"email_domains": ["acme.com"]}))).await;
    signup(&t, "jo@acme.com", NEW_PASSWORD).await;
    let token = signup_token(&t, "jo@acme.com").await;
    let (status, _) = t.anonymous().post("/api/v1/auth/signup/confirm", json!({"token": token})).await;
    assert_eq!(status, StatusCode::OK);
    let jo = t.login("jo@acme.com", NEW_PASSWORD).await;
    let (_, body) = jo.get("/api/v1/me/join-suggestions").await;
    assert_eq!(body["items"][0]["slug"], "acme");
    let (status, body) = ask(&jo, "acme", None, "new here").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["name"], "Hal Ng");
    t.finish().await;
}

#[tokio::test]
async fn too_many_sign_ups_from_one_address_answer_429() {
    let t = spawn_app_with(|_| {}).await;
    for _ in 0..roster_app::signup::REQUESTS_PER_IP {
        let (status, body) = signup(&t, "kim@example.test", NEW_PASSWORD).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
    let r = t
        .anonymous()
        .raw(
            roster_testkit::client()
                .post(format!("{}/api/v1/auth/signup", t.base_url))
                .json(&json!({"email": "kim@example.test", "name": "Kim", "password": NEW_PASSWORD})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("Too many sign-ups"), "{body}");
    // Only the first few letters to one address were written; the rest were dropped, silently.
    for _ in 0..500 {
        if mail_kinds(&t, "kim@example.test").await.len() as u32 >= roster_app::signup::REQUESTS_PER_EMAIL {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(mail_kinds(&t, "kim@example.test").await.len() as u32, roster_app::signup::REQUESTS_PER_EMAIL);
    t.finish().await;
}

#[tokio::test]
async fn the_pending_count_stops_at_100_like_the_badge() {
    let (t, org, owner) = acme().await;
    let now = t.now();
    let mut tx = t.app.db.begin().await.unwrap();
    for i in 0..120 {
        let user = roster_store::users::UserRecord {
            id: UserId::new(),
            email: format!("r{i}@example.test"),
            name: format!("R {i}"),
            password_hash: None,
            email_confirmed: true,
            created_at: now,
            locked_at: None,
        };
        roster_store::users::insert_user(&mut tx, &user).await.unwrap();
        let request = roster_store::access_requests::NewAccessRequest {
            id: roster_domain::AccessRequestId::new(),
            org_id: org.id,
            user_id: user.id,
            email: user.email.clone(),
            name: user.name.clone(),
            message: String::new(),
            via: "join_link".into(),
            created_at: now,
            expires_at: now.plus_millis(30 * DAY_MS),
        };
        roster_store::access_requests::insert(&mut tx, &request).await.unwrap();
    }
    tx.commit().await.unwrap();
    let l = list(&owner).await;
    assert_eq!(l["pending"].as_array().unwrap().len(), 120);
    assert_eq!(l["pending_count"], 100, "stopped at 100, as the badge");
    let access = roster_app::access::open_org(&t.app, &roster_app::Actor::Cli, "acme").await.unwrap();
    assert_eq!(roster_app::access_requests::pending_count(&t.app, &access).await.unwrap(), 100);
    t.finish().await;
}
