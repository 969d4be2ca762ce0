//! Service accounts and their API tokens over the API (issue 12, first
//! part): the account's lifecycle, tokens shown once and stored hashed,
//! bearer authentication within the account's roles and its organization
//! only, disabling, revoking, rotating with an overlap and expiry by the
//! clock, no escalation, role deletion while an account holds the role, and
//! the account as the actor in the audit log.

use reqwest::{Method, StatusCode};
use roster_store::orgs::OrgRecord;
use roster_testkit::{PASSWORD, Session, TestApp, spawn_app_with};
use serde_json::{Value, json};

const HOUR_MS: i64 = 60 * 60 * 1000;
const DAY_MS: i64 = 24 * HOUR_MS;

async fn acme_with(configure: impl FnOnce(&mut roster_app::Config)) -> (TestApp, OrgRecord, Session) {
    let app = spawn_app_with(configure).await;
    let org = app.create_org_with_preset("acme", "owner@acme.test", "owner-admin-user").await;
    let s = app.login("owner@acme.test", PASSWORD).await;
    (app, org, s)
}

async fn acme() -> (TestApp, OrgRecord, Session) {
    acme_with(|_| {}).await
}

/// Creates an account with these roles (as `s`); answers its id.
async fn account(s: &Session, name: &str, roles: &[&str]) -> String {
    let (status, body) = s
        .post("/api/v1/orgs/acme/service-accounts", json!({"name": name, "description": "tests", "roles": roles}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_string()
}

/// Makes a token for an account (as `s`); answers the whole answer.
async fn token(s: &Session, account: &str, body: Value) -> Value {
    let (status, made) = s.post(&format!("/api/v1/orgs/acme/service-accounts/{account}/tokens"), body).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    made
}

/// A moment as the API writes it.
fn rfc3339(ms: i64) -> String {
    roster_web::format::rfc3339(roster_domain::Timestamp(ms))
}

/// A request with only a bearer token (no cookie, no CSRF token).
async fn bearer(t: &TestApp, token: &str, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let anon = t.anonymous();
    let mut req = anon.client.request(method, format!("{}{path}", anon.base_url)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = anon.raw(req).await;
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_token_is_shown_once_and_acts_within_the_accounts_roles() {
    let (t, org, owner) = acme().await;
    let member = t.add_member(&org, "ann@acme.test", "Ann Smith").await;
    let id = account(&owner, "ci-deploy", &["admin"]).await;
    let made = token(&owner, &id, json!({"name": "deploy"})).await;
    let secret = made["token"].as_str().unwrap().to_string();
    assert!(secret.starts_with("roster_") && secret.len() == 56, "{secret}");
    assert!(secret.starts_with(made["prefix"].as_str().unwrap()));
    // 90 days by default.
    assert_eq!(made["expires_at"], json!(rfc3339(t.now().0 + 90 * DAY_MS)));
    // Never again: not in the list, not in the account.
    let (_, list) = owner.get(&format!("/api/v1/orgs/acme/service-accounts/{id}/tokens")).await;
    assert!(!list.to_string().contains(&secret[13..]), "{list}");
    assert_eq!(list["items"][0]["prefix"], made["prefix"]);
    assert_eq!(list["items"][0]["live"], true);
    assert!(list["items"][0]["last_used_at"].is_null());
    // The admin role reads and changes members, with no cookie and no CSRF token.
    let (status, users) = bearer(&t, &secret, Method::GET, "/api/v1/orgs/acme/users", None).await;
    assert_eq!(status, StatusCode::OK, "{users}");
    let (status, body) =
        bearer(&t, &secret, Method::POST, &format!("/api/v1/orgs/acme/users/{member}/disable"), Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The account is the actor in the history.
    let (_, history) = owner.get("/api/v1/orgs/acme/audit?action=member.disabled").await;
    let e = &history["items"][0];
    assert_eq!(e["actor"]["type"], "service_account", "{e}");
    assert_eq!(e["actor"]["label"], "ci-deploy", "{e}");
    // What its roles do not give is refused (admin holds no service_accounts grant).
    let (status, _) = bearer(&t, &secret, Method::GET, "/api/v1/orgs/acme/service-accounts", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Its use is recorded.
    let (_, list) = owner.get(&format!("/api/v1/orgs/acme/service-accounts/{id}/tokens")).await;
    assert!(list["items"][0]["last_used_at"].is_string(), "{list}");
    // No secret in the audit log.
    let (_, all) = owner.get("/api/v1/orgs/acme/audit").await;
    assert!(!all.to_string().contains(&secret[13..]));
    t.finish().await;
}

#[tokio::test]
async fn a_token_never_reaches_another_organization_or_the_people_endpoints() {
    let (t, _org, owner) = acme().await;
    t.create_org("globex", "owner@globex.test").await;
    let id = account(&owner, "sync", &["admin"]).await;
    let secret = token(&owner, &id, json!({"name": "t"})).await["token"].as_str().unwrap().to_string();
    let (status, body) = bearer(&t, &secret, Method::GET, "/api/v1/orgs/globex/users", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = bearer(&t, &secret, Method::GET, "/api/v1/orgs/no-such-org/users", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A person's endpoints take a session, not a service account's token.
    let (status, _) = bearer(&t, &secret, Method::GET, "/api/v1/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Malformed, wrong checksum, unknown: all 401, alike.
    let mut wrong = secret.clone().into_bytes();
    wrong[20] = if wrong[20] == b'a' { b'b' } else { b'a' };
    let unknown = roster_domain::service_accounts::format_token(&[9u8; 32]);
    for bad in ["nope", "roster_", &String::from_utf8(wrong).unwrap(), &unknown] {
        let (status, body) = bearer(&t, bad, Method::GET, "/api/v1/orgs/acme/users", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad}: {body}");
    }
    t.finish().await;
}

#[tokio::test]
async fn disabling_revoking_and_deleting_stop_tokens_on_the_next_request() {
    let (t, _org, owner) = acme().await;
    let id = account(&owner, "nightly", &["admin"]).await;
    let a = token(&owner, &id, json!({"name": "a"})).await;
    let b = token(&owner, &id, json!({"name": "b"})).await;
    let (a_secret, b_secret) = (a["token"].as_str().unwrap(), b["token"].as_str().unwrap());
    let users = "/api/v1/orgs/acme/users";
    assert_eq!(bearer(&t, a_secret, Method::GET, users, None).await.0, StatusCode::OK);
    let (status, body) = owner.post(&format!("/api/v1/orgs/acme/service-accounts/{id}/disable"), json!({})).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("disabled")), "{body}");
    assert_eq!(bearer(&t, a_secret, Method::GET, users, None).await.0, StatusCode::UNAUTHORIZED);
    let (status, _) = owner.post(&format!("/api/v1/orgs/acme/service-accounts/{id}/enable"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bearer(&t, a_secret, Method::GET, users, None).await.0, StatusCode::OK);
    // Revoking one token leaves the other.
    let tid = a["id"].as_str().unwrap();
    let (status, body) =
        owner.send(Method::DELETE, &format!("/api/v1/orgs/acme/service-accounts/{id}/tokens/{tid}"), None).await;
    assert_eq!((status, body["live"].as_bool()), (StatusCode::OK, Some(false)), "{body}");
    assert_eq!(bearer(&t, a_secret, Method::GET, users, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(bearer(&t, b_secret, Method::GET, users, None).await.0, StatusCode::OK);
    // Deleting archives the account and revokes every token; its name is free again.
    let (status, body) = owner.send(Method::DELETE, &format!("/api/v1/orgs/acme/service-accounts/{id}"), None).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("archived")), "{body}");
    assert_eq!(bearer(&t, b_secret, Method::GET, users, None).await.0, StatusCode::UNAUTHORIZED);
    let (_, list) = owner.get("/api/v1/orgs/acme/service-accounts").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "{list}");
    account(&owner, "nightly", &[]).await;
    let (_, history) = owner.get("/api/v1/orgs/acme/audit?action=service_account").await;
    let actions: Vec<&str> =
        history["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "service_account.created",
            "service_account.deleted",
            "service_account.enabled",
            "service_account.disabled",
            "service_account.created"
        ]
    );
    t.finish().await;
}

#[tokio::test]
async fn rotation_keeps_the_old_token_for_the_overlap_and_tokens_expire_by_the_clock() {
    let (t, _org, owner) = acme().await;
    let id = account(&owner, "rotating", &["admin"]).await;
    let old = token(&owner, &id, json!({"name": "deploy", "expires_in_days": 10})).await;
    let old_secret = old["token"].as_str().unwrap();
    let tid = old["id"].as_str().unwrap();
    let (status, new) = owner
        .post(&format!("/api/v1/orgs/acme/service-accounts/{id}/tokens/{tid}/rotate"), json!({"overlap_hours": 2}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{new}");
    let new_secret = new["token"].as_str().unwrap();
    assert_ne!(old_secret, new_secret);
    let users = "/api/v1/orgs/acme/users";
    assert_eq!(bearer(&t, old_secret, Method::GET, users, None).await.0, StatusCode::OK);
    t.advance(2 * HOUR_MS + 1);
    assert_eq!(bearer(&t, old_secret, Method::GET, users, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(bearer(&t, new_secret, Method::GET, users, None).await.0, StatusCode::OK);
    // (The owner's session idled out meanwhile.)
    let owner = t.login("owner@acme.test", PASSWORD).await;
    // A dead token is not rotated.
    let (status, _) = owner
        .post(&format!("/api/v1/orgs/acme/service-accounts/{id}/tokens/{tid}/rotate"), json!({"overlap_hours": 0}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // A one-day token stops after a day.
    let short = token(&owner, &id, json!({"name": "short", "expires_in_days": 1})).await;
    let short_secret = short["token"].as_str().unwrap();
    assert_eq!(bearer(&t, short_secret, Method::GET, users, None).await.0, StatusCode::OK);
    t.advance(DAY_MS);
    assert_eq!(bearer(&t, short_secret, Method::GET, users, None).await.0, StatusCode::UNAUTHORIZED);
    let owner = t.login("owner@acme.test", PASSWORD).await;
    // "Never" and past the deployment's maximum are refused, naming the field.
    let path = format!("/api/v1/orgs/acme/service-accounts/{id}/tokens");
    for days in [0, 366] {
        let (status, body) = owner.post(&path, json!({"name": "x", "expires_in_days": days})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.to_string().contains("expires_in_days"), "{body}");
    }
    t.finish().await;
}

#[tokio::test]
async fn never_expiring_tokens_only_where_the_deployment_allows_them() {
    let (t, _org, owner) = acme_with(|c| {
        c.token_policy = roster_domain::service_accounts::TokenPolicy { max_days: 30, allow_never: true }
    })
    .await;
    let id = account(&owner, "forever", &[]).await;
    let made = token(&owner, &id, json!({"name": "never", "expires_in_days": 0})).await;
    assert!(made["expires_at"].is_null(), "{made}");
    let default = token(&owner, &id, json!({"name": "default"})).await;
    assert_eq!(default["expires_at"], json!(rfc3339(t.now().0 + 30 * DAY_MS)));
    t.finish().await;
}

#[tokio::test]
async fn nobody_gives_an_account_more_than_they_hold() {
    let (t, org, owner) = acme().await;
    let manager_role = t.create_role(&org, "SA manager", &[("service_accounts", &["read", "create", "update"])]).await;
    t.add_member_with_roles(&org, "sam@acme.test", &[&manager_role]).await;
    let sam = t.login("sam@acme.test", PASSWORD).await;
    // Sam holds no members grant: the admin role is beyond him.
    let (status, body) =
        sam.post("/api/v1/orgs/acme/service-accounts", json!({"name": "mine", "roles": ["admin"]})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) =
        sam.post("/api/v1/orgs/acme/service-accounts", json!({"name": "mine", "grants": {"audit": ["read"]}})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The owner's role belongs to a person.
    let (status, body) =
        owner.post("/api/v1/orgs/acme/service-accounts", json!({"name": "x", "roles": ["owner"]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // An account the owner made with admin: Sam may neither edit it nor mint its tokens.
    let id = account(&owner, "powerful", &["admin"]).await;
    let (status, _) =
        sam.send(Method::PATCH, &format!("/api/v1/orgs/acme/service-accounts/{id}"), Some(json!({"roles": []}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = sam.post(&format!("/api/v1/orgs/acme/service-accounts/{id}/tokens"), json!({"name": "t"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Within his own grants he may.
    let (status, body) = sam
        .post("/api/v1/orgs/acme/service-accounts", json!({"name": "reader", "grants": {"service_accounts": ["read"]}}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // A name another account has is refused.
    let (status, body) = sam.post("/api/v1/orgs/acme/service-accounts", json!({"name": "reader"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    t.finish().await;
}

#[tokio::test]
async fn an_edit_changes_what_the_token_may_do_on_the_next_request_and_roles_in_use_stay() {
    let (t, org, owner) = acme().await;
    let role = t.create_role(&org, "Reader", &[("members", &["read"])]).await;
    let id = account(&owner, "reporting", &[&role]).await;
    let secret = token(&owner, &id, json!({"name": "t"})).await["token"].as_str().unwrap().to_string();
    assert_eq!(bearer(&t, &secret, Method::GET, "/api/v1/orgs/acme/users", None).await.0, StatusCode::OK);
    // A role an account holds is not deleted behind its back.
    let (status, body) = owner.send(Method::DELETE, &format!("/api/v1/orgs/acme/roles/{role}"), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("reporting"), "{body}");
    let (status, body) = owner
        .send(
            Method::PATCH,
            &format!("/api/v1/orgs/acme/service-accounts/{id}"),
            Some(json!({"roles": [], "description": "no longer reads"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["roles"], json!([]));
    assert_eq!(bearer(&t, &secret, Method::GET, "/api/v1/orgs/acme/users", None).await.0, StatusCode::FORBIDDEN);
    let (status, _) = owner.send(Method::DELETE, &format!("/api/v1/orgs/acme/roles/{role}"), None).await;
    assert_eq!(status, StatusCode::OK);
    let (_, history) = owner.get("/api/v1/orgs/acme/audit?action=service_account.updated").await;
    assert!(history["items"][0]["details"]["summary"].as_str().unwrap().contains("Roles changed"), "{history}");
    t.finish().await;
}

#[tokio::test]
async fn a_personal_token_acts_as_its_member_within_their_grants_at_each_request() {
    let (t, org, owner) = acme().await;
    t.create_org("globex", "owner@globex.test").await;
    let ann = t.add_member_with_roles(&org, "ann@acme.test", &["admin"]).await;
    let ann_s = t.login("ann@acme.test", PASSWORD).await;
    let (status, made) = ann_s.post("/api/v1/me/tokens", json!({"name": "laptop", "expires_in_days": 30})).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let secret = made["token"].as_str().unwrap().to_string();
    let (_, mine) = ann_s.get("/api/v1/me/tokens").await;
    assert_eq!(mine["items"][0]["prefix"], made["prefix"]);
    assert!(!mine.to_string().contains(&secret[13..]));
    let users = "/api/v1/orgs/acme/users";
    assert_eq!(bearer(&t, &secret, Method::GET, users, None).await.0, StatusCode::OK);
    // Only where she is a member.
    assert_eq!(bearer(&t, &secret, Method::GET, "/api/v1/orgs/globex/users", None).await.0, StatusCode::NOT_FOUND);
    // Her grants at the time of each request: without admin, no members list.
    t.set_roles(&org, ann, &["user"]).await;
    assert_eq!(bearer(&t, &secret, Method::GET, users, None).await.0, StatusCode::FORBIDDEN);
    t.set_roles(&org, ann, &["admin"]).await;
    assert_eq!(bearer(&t, &secret, Method::GET, users, None).await.0, StatusCode::OK);
    // Disabled, she reaches nothing there.
    let (status, _) = owner.post(&format!("/api/v1/orgs/acme/users/{ann}/disable"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bearer(&t, &secret, Method::GET, users, None).await.0, StatusCode::NOT_FOUND);
    let (status, _) = owner.post(&format!("/api/v1/orgs/acme/users/{ann}/enable"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    // Nobody else revokes it; she does.
    let tid = made["id"].as_str().unwrap();
    let (status, _) = owner.send(Method::DELETE, &format!("/api/v1/me/tokens/{tid}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(bearer(&t, &secret, Method::GET, users, None).await.0, StatusCode::OK);
    // (Disabling her ended her sessions; her token outlives them.)
    let ann_s = t.login("ann@acme.test", PASSWORD).await;
    let (status, body) = ann_s.send(Method::DELETE, &format!("/api/v1/me/tokens/{tid}"), None).await;
    assert_eq!((status, body["live"].as_bool()), (StatusCode::OK, Some(false)), "{body}");
    assert_eq!(bearer(&t, &secret, Method::GET, users, None).await.0, StatusCode::UNAUTHORIZED);
    let (_, history) = owner.get("/api/v1/orgs/acme/audit?action=personal_token").await;
    let actions: Vec<&str> =
        history["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["personal_token.revoked", "personal_token.created"]);
    t.finish().await;
}

#[tokio::test]
async fn the_profile_makes_lists_and_revokes_personal_tokens() {
    let (t, _org, owner) = acme().await;
    let base = owner.base_url.clone();
    let r = roster_testkit::post_form(
        &owner.client,
        format!("{base}/profile/tokens"),
        &[("csrf_token", &owner.csrf), ("name", "laptop"), ("days", "30")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = r.text().await.unwrap();
    let at = html.find("roster_").expect("the token is shown");
    let secret: String = html[at..].chars().take(roster_domain::service_accounts::TOKEN_LEN).collect();
    assert!(roster_domain::service_accounts::is_well_formed(&secret), "{secret}");
    assert_eq!(bearer(&t, &secret, Method::GET, "/api/v1/orgs/acme/users", None).await.0, StatusCode::OK);
    // Listed on the profile, never shown again.
    let (status, profile) = roster_testkit::page(&owner.client, format!("{base}/profile")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(profile.contains("laptop") && profile.contains(&secret[..13]), "{profile}");
    assert!(!profile.contains(&secret[13..]));
    // A bad name is refused with the reason; nothing is made.
    let r = roster_testkit::post_form(
        &owner.client,
        format!("{base}/profile/tokens"),
        &[("csrf_token", &owner.csrf), ("name", "")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, mine) = owner.get("/api/v1/me/tokens").await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    // Revoke from the profile.
    let tid = mine["items"][0]["id"].as_str().unwrap();
    let r = roster_testkit::post_form(
        &owner.client,
        format!("{base}/profile/tokens/{tid}/revoke"),
        &[("csrf_token", &owner.csrf)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(bearer(&t, &secret, Method::GET, "/api/v1/orgs/acme/users", None).await.0, StatusCode::UNAUTHORIZED);
    t.finish().await;
}

#[tokio::test]
async fn scim_over_capacity_answers_429_with_retry_after_at_once_and_nothing_else_waits() {
    let (t, _org, s) = acme_with(|c| c.scim_max_in_flight = 2).await;
    let (status, made) = s.post("/api/v1/orgs/acme/scim/token", json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let tk = made["token"].as_str().unwrap().to_string();
    let scim = |tk: String| {
        let anon = t.anonymous();
        async move {
            let r = anon.raw(anon.client.get(format!("{}/scim/v2/Users", anon.base_url)).bearer_auth(tk)).await;
            let retry = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
            let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
            (r.status(), retry, ct, r.json::<Value>().await.unwrap())
        }
    };
    // Both places taken (two requests in progress): the third is refused at once.
    let held = t.state.scim_slots.clone().acquire_many_owned(2).await.unwrap();
    let (status, retry, ct, body) = scim(tk.clone()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(retry.as_deref(), Some("1"));
    assert_eq!(ct.as_deref(), Some("application/scim+json"));
    assert_eq!(body["status"], "429");
    assert_eq!(body["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:Error"]));
    // The rest of the server is not held up by it.
    let (status, _) = s.get("/api/v1/orgs/acme/service-accounts").await;
    assert_eq!(status, StatusCode::OK);
    // A place freed: served again.
    drop(held);
    let (status, retry, _, body) = scim(tk).await;
    assert_eq!((status, retry), (StatusCode::OK, None), "{body}");
}
