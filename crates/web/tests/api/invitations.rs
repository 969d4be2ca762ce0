//! Invitations over the API: invite (one and a batch), list, resend,
//! cancel, accept (a new account and an existing one), expiry, tenancy, no
//! escalation, and one link accepted once under 50 concurrent attempts.

use reqwest::StatusCode;
use roster_testkit::{PASSWORD, Session, TestApp, page, post_form, spawn_app_with};
use serde_json::{Value, json};

const NEW_PASSWORD: &str = "a long passphrase of several words";

async fn acme() -> (TestApp, roster_store::orgs::OrgRecord, Session) {
    // Room in the hashing pool's queue for every concurrent accept below, so
    // that the link alone decides which one succeeds.
    let app = spawn_app_with(|c| c.hash_queue = Some(100)).await;
    let org = app.create_org("acme", "owner@acme.test").await;
    let s = app.login("owner@acme.test", PASSWORD).await;
    (app, org, s)
}

/// The token of the newest invitation link mailed to `email` (read from the outbox).
async fn mailed_token(app: &TestApp, email: &str) -> String {
    let mut conn = app.app.db.conn().await.unwrap();
    let messages = roster_store::outbox::list_messages_to(&mut conn, email).await.unwrap();
    let m = messages.first().unwrap_or_else(|| panic!("no message to {email}"));
    assert_eq!(m.kind, "invitation");
    let link = m.text_body.split_whitespace().find(|w| w.contains("/invite/")).expect("a link in the message");
    assert!(link.starts_with(&app.app.config.base_url), "links use the public base URL: {link}");
    link.rsplit('/').next().unwrap().to_string()
}

async fn messages_to(app: &TestApp, email: &str) -> usize {
    let mut conn = app.app.db.conn().await.unwrap();
    roster_store::outbox::list_messages_to(&mut conn, email).await.unwrap().len()
}

async fn invite(s: &Session, email: &str, roles: Value) -> (StatusCode, Value) {
    s.post(
        "/api/v1/orgs/acme/invitations",
        json!({"email": email, "first_name": "Ann", "last_name": "Lee", "roles": roles, "send_email": true}),
    )
    .await
}

async fn user_row(s: &Session, email: &str) -> Option<Value> {
    let (status, body) = s.get(&format!("/api/v1/orgs/acme/users?email={email}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().first().cloned()
}

async fn audit_actions(app: &TestApp, org: &roster_store::orgs::OrgRecord, target: &str) -> Vec<String> {
    let mut conn = app.app.db.conn().await.unwrap();
    let mut events: Vec<String> = roster_store::audit::events_for_target(&mut conn, org.id, "member", target, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    events.reverse();
    events
}

#[tokio::test]
async fn an_invitation_makes_an_invited_member_with_roles_and_a_mailed_link() {
    let (app, org, s) = acme().await;
    let (status, body) = invite(&s, "Ann@Example.test", json!(["billing_manager"])).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "pending");
    assert_eq!(body["email"], "ann@example.test");
    assert_eq!(body["roles"][0]["key"], "billing_manager");
    assert_eq!(body["invited_by"], "owner@acme.test");
    assert!(body.get("accept_url").is_none(), "the email carries the link: {body}");
    let expires = time::OffsetDateTime::parse(
        body["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let days = (expires.unix_timestamp() * 1000 - app.now().0) / 86_400_000;
    assert!((6..=7).contains(&days), "7 days by default, got {days}");
    // The Users list shows them as invited, with their role, unconfirmed.
    let row = user_row(&s, "ann@example.test").await.expect("the invitee is listed");
    assert_eq!(row["status"], "invited");
    assert_eq!(row["confirmed"], false);
    assert_eq!(row["name"], "Ann Lee");
    assert_eq!(row["roles"][0]["key"], "billing_manager");
    let (_, users) = s.get("/api/v1/orgs/acme/users").await;
    assert_eq!(users["counts"]["invited"], 1);
    // The link was written to the outbox in the same change.
    assert_eq!(messages_to(&app, "ann@example.test").await, 1);
    let token = mailed_token(&app, "ann@example.test").await;
    assert!(token.len() > 64);
    // Listed with its inviter and dates, and counted.
    let (status, list) = s.get("/api/v1/orgs/acme/invitations?status=pending").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["items"][0]["email"], "ann@example.test");
    assert_eq!(list["counts"]["pending"], 1);
    assert_eq!(list["counts"]["expired"], 0);
    // The secret is stored hashed only.
    let secret = token.split('.').nth(1).unwrap();
    let mut conn = app.app.db.conn().await.unwrap();
    let inv_org = roster_domain::invitations::parse_token(&token).unwrap().0;
    assert_eq!(inv_org, org.id);
    let by_hash = roster_store::invitations::find_by_token(&mut conn, org.id, &roster_app::tokens::hash_secret(secret))
        .await
        .unwrap();
    assert!(by_hash.is_some());
    let by_plain = roster_store::invitations::find_by_token(&mut conn, org.id, secret.as_bytes()).await.unwrap();
    assert!(by_plain.is_none());
    drop(conn);
    let user = row["id"].as_str().unwrap();
    assert_eq!(audit_actions(&app, &org, user).await, ["invitation.sent"]);
    // Without an email, the answer carries the link to hand on.
    let (status, body) = s
        .post(
            "/api/v1/orgs/acme/invitations",
            json!({"email": "bo@example.test", "first_name": "Bo", "send_email": false}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body["accept_url"].as_str().unwrap().contains("/invite/"));
    assert_eq!(messages_to(&app, "bo@example.test").await, 0);
    // No roles named: the preset's default role.
    assert_eq!(body["roles"][0]["key"], "user");
    app.finish().await;
}

#[tokio::test]
async fn duplicates_bad_rows_and_escalation_are_refused_each_on_its_own() {
    let (app, org, s) = acme().await;
    app.add_member(&org, "member@acme.test", "Member").await;
    assert_eq!(invite(&s, "ann@example.test", json!([])).await.0, StatusCode::CREATED);
    // A member already, or invited already: 409 of its own kind.
    let (status, body) = invite(&s, "member@acme.test", json!([])).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["type"], "/problems/already-member");
    let (status, body) = invite(&s, "ANN@example.test", json!([])).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["type"], "/problems/already-invited");
    // A bad field is named.
    let (status, body) = s
        .post("/api/v1/orgs/acme/invitations", json!({"email": "not an email", "first_name": "", "roles": ["nope"]}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["email", "first_name", "roles[0]"]);
    // A batch answers every row in order; a refused row loses none of the others.
    let (status, body) = s
        .post(
            "/api/v1/orgs/acme/invitations",
            json!({"invitations": [
                {"email": "one@example.test", "first_name": "One"},
                {"email": "bad", "first_name": "Bad"},
                {"email": "member@acme.test", "first_name": "Member"},
                {"email": "two@example.test", "first_name": "Two", "roles": ["billing_manager"]},
                {"email": "one@example.test", "first_name": "Again"},
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let r = body["results"].as_array().unwrap();
    assert_eq!(r.len(), 5);
    assert_eq!(r[0]["ok"], true);
    assert_eq!(r[0]["invitation"]["email"], "one@example.test");
    assert_eq!(r[1]["ok"], false);
    assert_eq!(r[1]["error"]["errors"][0]["field"], "email");
    assert_eq!(r[2]["error"]["type"], "/problems/already-member");
    assert_eq!(r[3]["ok"], true);
    assert_eq!(r[4]["error"]["type"], "/problems/already-invited");
    assert!(user_row(&s, "one@example.test").await.is_some());
    assert!(user_row(&s, "two@example.test").await.is_some());
    // No escalation: a Billing Manager invites, but cannot give Account Owner.
    app.add_member_with_roles(&org, "billing@acme.test", &["billing_manager"]).await;
    let b = app.login("billing@acme.test", PASSWORD).await;
    let (status, body) = invite(&b, "boss@example.test", json!(["account_owner"])).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["type"], "/problems/escalation");
    let (status, body) = b
        .post(
            "/api/v1/orgs/acme/invitations",
            json!({"email": "boss@example.test", "first_name": "B", "roles": [], "grants": {"roles": ["delete"]}}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["type"], "/problems/escalation");
    assert!(user_row(&s, "boss@example.test").await.is_none(), "nothing was made");
    assert_eq!(invite(&b, "boss@example.test", json!(["billing_manager"])).await.0, StatusCode::CREATED);
    // A plain user cannot invite at all.
    app.add_member(&org, "plain@acme.test", "Plain").await;
    let p = app.login("plain@acme.test", PASSWORD).await;
    let (status, body) = invite(&p, "x@example.test", json!([])).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["type"], "/problems/forbidden");
    app.finish().await;
}

#[tokio::test]
async fn a_new_account_accepts_with_a_name_and_password_and_is_signed_in() {
    let (app, org, s) = acme().await;
    let (_, body) = invite(&s, "ann@example.test", json!(["billing_manager"])).await;
    let id = body["id"].as_str().unwrap().to_string();
    let user = body["user_id"].as_str().unwrap().to_string();
    let token = mailed_token(&app, "ann@example.test").await;
    let anon = app.anonymous();
    // A short password is refused, naming the field, and the link still works.
    let (status, body) = anon.post("/api/v1/invitations/accept", json!({"token": token, "password": "short"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "password");
    let (status, body) = anon
        .post("/api/v1/invitations/accept", json!({"token": token, "name": "Ann B. Lee", "password": NEW_PASSWORD}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["organization"]["slug"], "acme");
    assert_eq!(body["user"]["email"], "ann@example.test");
    // Signed in by the answer's cookie.
    let (status, me) = anon.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["organizations"][0]["slug"], "acme");
    assert_eq!(me["user"]["name"], "Ann B. Lee");
    // Active, confirmed, with the invited role; the invitation is accepted.
    let row = user_row(&s, "ann@example.test").await.unwrap();
    assert_eq!(row["status"], "active");
    assert_eq!(row["confirmed"], true);
    assert_eq!(row["name"], "Ann B. Lee");
    assert_eq!(row["roles"][0]["key"], "billing_manager");
    let (_, list) = s.get("/api/v1/orgs/acme/invitations?status=accepted").await;
    assert_eq!(list["items"][0]["id"], id.as_str());
    assert!(list["items"][0]["accepted_at"].is_string());
    // The password works for signing in; the link works once.
    app.login("ann@example.test", NEW_PASSWORD).await;
    let (status, body) =
        app.anonymous().post("/api/v1/invitations/accept", json!({"token": token, "password": NEW_PASSWORD})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["type"], "/problems/invalid-token");
    // Resend and cancel are refused once accepted.
    let (status, body) = s.post(&format!("/api/v1/orgs/acme/invitations/{id}/resend"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["type"], "/problems/invitation-closed");
    assert_eq!(audit_actions(&app, &org, &user).await, ["invitation.sent", "invitation.accepted"]);
    app.finish().await;
}

#[tokio::test]
async fn an_existing_account_accepts_by_signing_in() {
    let (app, _, s) = acme().await;
    app.create_org("globex", "gary@globex.test").await;
    let (status, body) = invite(&s, "gary@globex.test", json!([])).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = mailed_token(&app, "gary@globex.test").await;
    let anon = app.anonymous();
    // Without a session or a password: sign in first.
    let (status, _) = anon.post("/api/v1/invitations/accept", json!({"token": token})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) =
        anon.post("/api/v1/invitations/accept", json!({"token": token, "password": "wrong password here"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    // Signed in as Gary, no password is needed; he lands in Acme too.
    let gary = app.login("gary@globex.test", PASSWORD).await;
    let (status, body) = gary.post("/api/v1/invitations/accept", json!({"token": token})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["organization"]["slug"], "acme");
    assert_eq!(body["csrf_token"], gary.csrf.as_str());
    let (_, me) = gary.get("/api/v1/me").await;
    let slugs: Vec<&str> =
        me["organizations"].as_array().unwrap().iter().map(|o| o["slug"].as_str().unwrap()).collect();
    assert!(slugs.contains(&"acme") && slugs.contains(&"globex"), "{slugs:?}");
    // His name stays his own.
    assert_eq!(user_row(&s, "gary@globex.test").await.unwrap()["name"], "Owner of globex");
    app.finish().await;
}

#[tokio::test]
async fn resend_replaces_the_link_and_expired_links_die() {
    let (app, org, s) = acme().await;
    let (_, body) = invite(&s, "ann@example.test", json!([])).await;
    let id = body["id"].as_str().unwrap().to_string();
    let user = body["user_id"].as_str().unwrap().to_string();
    let first = mailed_token(&app, "ann@example.test").await;
    app.advance(3 * 86_400_000);
    let s = app.login("owner@acme.test", PASSWORD).await;
    let (status, body) = s.post(&format!("/api/v1/orgs/acme/invitations/{id}/resend"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["resend_count"], 1);
    assert_eq!(messages_to(&app, "ann@example.test").await, 2);
    let second = mailed_token(&app, "ann@example.test").await;
    assert_ne!(first, second);
    let anon = app.anonymous();
    let accept = |t: &str| json!({"token": t, "password": NEW_PASSWORD});
    let (status, body) = anon.post("/api/v1/invitations/accept", accept(&first)).await;
    assert_eq!((status, body["type"].clone()), (StatusCode::BAD_REQUEST, json!("/problems/invalid-token")));
    // The new link works for 7 days from the resend; after that it is dead.
    app.advance(7 * 86_400_000);
    let s = app.login("owner@acme.test", PASSWORD).await;
    let (status, _) = anon.post("/api/v1/invitations/accept", accept(&second)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, list) = s.get("/api/v1/orgs/acme/invitations?status=expired").await;
    assert_eq!(list["items"][0]["id"], id.as_str());
    assert_eq!(list["counts"]["expired"], 1);
    assert_eq!(list["counts"]["pending"], 0);
    // An expired invitation is sent again; its expiry is audited first, once.
    let (status, _) = s.post(&format!("/api/v1/orgs/acme/invitations/{id}/resend"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let third = mailed_token(&app, "ann@example.test").await;
    let (status, body) = anon.post("/api/v1/invitations/accept", accept(&third)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        audit_actions(&app, &org, &user).await,
        ["invitation.sent", "invitation.resent", "invitation.expired", "invitation.resent", "invitation.accepted"]
    );
    app.finish().await;
}

#[tokio::test]
async fn cancel_removes_the_invited_member_and_kills_the_link() {
    let (app, org, s) = acme().await;
    let (_, before) = s.get("/api/v1/orgs/acme/users").await;
    let (_, body) = invite(&s, "ann@example.test", json!(["billing_manager"])).await;
    let id = body["id"].as_str().unwrap().to_string();
    let token = mailed_token(&app, "ann@example.test").await;
    let (status, body) = s.send(reqwest::Method::DELETE, &format!("/api/v1/orgs/acme/invitations/{id}"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "canceled");
    assert_eq!(body["canceled_by"], "owner@acme.test");
    assert!(user_row(&s, "ann@example.test").await.is_none());
    let (_, after) = s.get("/api/v1/orgs/acme/users").await;
    assert_eq!(after["counts"], before["counts"]);
    let (_, roles) = s.get("/api/v1/orgs/acme/roles/billing_manager").await;
    assert_eq!(roles["member_count"], 0, "{roles}");
    let (status, _) =
        app.anonymous().post("/api/v1/invitations/accept", json!({"token": token, "password": NEW_PASSWORD})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = s.send(reqwest::Method::DELETE, &format!("/api/v1/orgs/acme/invitations/{id}"), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["type"], "/problems/invitation-closed");
    // Canceled stays listed, and the address can be invited again.
    let (_, list) = s.get("/api/v1/orgs/acme/invitations?status=canceled").await;
    assert_eq!(list["items"][0]["id"], id.as_str());
    assert_eq!(invite(&s, "ann@example.test", json!([])).await.0, StatusCode::CREATED);
    let _ = org;
    app.finish().await;
}

#[tokio::test]
async fn another_tenants_invitation_answers_404() {
    let (app, _, s) = acme().await;
    app.create_org("globex", "owner@globex.test").await;
    let g = app.login("owner@globex.test", PASSWORD).await;
    let (status, body) =
        g.post("/api/v1/orgs/globex/invitations", json!({"email": "ann@example.test", "first_name": "Ann"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let theirs = body["id"].as_str().unwrap();
    for (status, body) in [
        s.post(&format!("/api/v1/orgs/acme/invitations/{theirs}/resend"), json!({})).await,
        s.send(reqwest::Method::DELETE, &format!("/api/v1/orgs/acme/invitations/{theirs}"), None).await,
        s.send(reqwest::Method::DELETE, "/api/v1/orgs/acme/invitations/not-an-id", None).await,
    ] {
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
    let (status, _) = s.get("/api/v1/orgs/globex/invitations").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = s.get("/api/v1/orgs/acme/invitations").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    // The same address may be invited by two organizations.
    assert_eq!(invite(&s, "ann@example.test", json!([])).await.0, StatusCode::CREATED);
    app.finish().await;
}

#[tokio::test]
async fn fifty_concurrent_accepts_of_one_link_let_exactly_one_through() {
    let (app, org, s) = acme().await;
    let (_, body) = invite(&s, "ann@example.test", json!([])).await;
    let user = body["user_id"].as_str().unwrap().to_string();
    let token = mailed_token(&app, "ann@example.test").await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let anon = app.anonymous();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            anon.post(
                "/api/v1/invitations/accept",
                json!({"token": token, "name": format!("Ann {i}"), "password": NEW_PASSWORD}),
            )
            .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            StatusCode::OK => ok += 1,
            // A refused attempt is the one plain answer for a used link.
            StatusCode::BAD_REQUEST => assert_eq!(body["type"], "/problems/invalid-token", "{body}"),
            // An attempt that starts after the winner finds an account with a
            // password, and signs in to accept: on a slow machine more of them
            // run at once than the sign-in throttle admits for one account.
            StatusCode::TOO_MANY_REQUESTS => assert_eq!(body["type"], "/problems/too-many-attempts", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(ok, 1, "exactly one accept succeeds");
    let uid: roster_domain::UserId = user.parse().unwrap();
    let live = roster_store::sessions::count_live_sessions(&mut app.app.db.conn().await.unwrap(), uid).await.unwrap();
    assert_eq!(live, 1, "the refused accepts leave no session behind");
    let accepted = audit_actions(&app, &org, &user).await.iter().filter(|a| *a == "invitation.accepted").count();
    assert_eq!(accepted, 1);
    let row = user_row(&s, "ann@example.test").await.unwrap();
    assert_eq!(row["status"], "active");
    app.finish().await;
}

#[tokio::test]
async fn invited_members_never_count_as_administrators() {
    let (app, org, s) = acme().await;
    app.make_ownerless(&org).await;
    let admin = app.add_member_with_roles(&org, "admin@acme.test", &["account_owner"]).await;
    let a = app.login("admin@acme.test", PASSWORD).await;
    assert_eq!(invite(&s, "next@example.test", json!(["account_owner"])).await.0, StatusCode::CREATED);
    // The owner's user leaves administration to the roles: drop theirs.
    let (_, users) = s.get("/api/v1/orgs/acme/users?email=owner@acme.test").await;
    let owner_id = users["items"][0]["id"].as_str().unwrap().to_string();
    let (status, body) = a
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/orgs/acme/users/{owner_id}/roles"),
            Some(json!({"roles": ["user"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Now the only active administrator cannot step down: the invited one does not count.
    let (status, body) = a
        .send(reqwest::Method::PUT, &format!("/api/v1/orgs/acme/users/{admin}/roles"), Some(json!({"roles": ["user"]})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["type"], "/problems/last-administrator");
    app.finish().await;
}

#[tokio::test]
async fn bulk_resend_and_cancel_cover_the_filtered_invitations() {
    let (app, _, s) = acme().await;
    for i in 0..3 {
        assert_eq!(invite(&s, &format!("old{i}@example.test"), json!([])).await.0, StatusCode::CREATED);
    }
    app.advance(8 * 86_400_000);
    let s = app.login("owner@acme.test", PASSWORD).await;
    for i in 0..2 {
        assert_eq!(invite(&s, &format!("new{i}@example.test"), json!([])).await.0, StatusCode::CREATED);
    }
    let (status, body) = s
        .post("/api/v1/orgs/acme/invitations/bulk", json!({"action": "resend", "status": "expired", "dry_run": true}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["changed"], 3);
    let (_, body) =
        s.post("/api/v1/orgs/acme/invitations/bulk", json!({"action": "resend", "status": "expired"})).await;
    assert_eq!(body["changed"], 3);
    assert_eq!(messages_to(&app, "old0@example.test").await, 2);
    assert_eq!(messages_to(&app, "new0@example.test").await, 1);
    let (_, list) = s.get("/api/v1/orgs/acme/invitations").await;
    assert_eq!(list["counts"]["pending"], 5);
    let (status, body) =
        s.post("/api/v1/orgs/acme/invitations/bulk", json!({"action": "cancel", "status": "accepted"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, body) = s.post("/api/v1/orgs/acme/invitations/bulk", json!({"action": "cancel"})).await;
    assert_eq!(body["changed"], 5);
    let (_, users) = s.get("/api/v1/orgs/acme/users").await;
    assert_eq!(users["counts"]["invited"], 0);
    app.finish().await;
}

// The pages, as a browser without JavaScript uses them.

#[tokio::test]
async fn the_multi_row_form_keeps_every_row_when_one_is_wrong() {
    let (app, org, s) = acme().await;
    app.add_member(&org, "member@acme.test", "Member").await;
    let (c, csrf) = app.sign_in_form("owner@acme.test").await;
    let base = &app.base_url;
    let (status, html) = page(&c, format!("{base}/orgs/acme/settings/users/invite-many?rows=3")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"email_2\"") && !html.contains("name=\"email_3\""), "three rows");
    assert!(html.contains("Generate rows") && html.contains("Create users") && html.contains("name=\"send_email\""));
    let url = format!("{base}/orgs/acme/settings/users/invite-many");
    let rows = |bad: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("rows", "4".to_string()),
            ("first_name_0", "Ann".into()),
            ("last_name_0", "Lee".into()),
            ("email_0", "ann@example.test".into()),
            ("role_0", String::new()),
            ("first_name_1", "Bad".into()),
            ("email_1", bad.into()),
            ("first_name_2", "Bo".into()),
            ("email_2", "bo@example.test".into()),
            ("send_email", "on".into()),
        ]
    };
    let form = rows("not-an-email");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post_form(&c, url.clone(), &pairs).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    for kept in ["value=\"ann@example.test\"", "value=\"Lee\"", "value=\"bo@example.test\"", "value=\"not-an-email\""] {
        assert!(html.contains(kept), "{kept} is kept: {html}");
    }
    assert!(html.contains("id=\"row-1-error\""), "the bad row says why");
    assert!(html.contains("Row 2: Email"), "{html}");
    assert!(!html.contains("id=\"row-0-error\"") && !html.contains("id=\"row-2-error\""));
    assert!(user_row(&s, "ann@example.test").await.is_none(), "nobody was invited yet");
    // An existing member in a row is refused next to it, too.
    let form = rows("member@acme.test");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let html = post_form(&c, url.clone(), &pairs).await.text().await.unwrap();
    assert!(html.contains("is a member of Org acme already"), "{html}");
    // Fixed, every row is invited and the result lists each one.
    let form = rows("cy@example.test");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post_form(&c, url, &pairs).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("3 users invited"), "{html}");
    for e in ["ann@example.test", "cy@example.test", "bo@example.test"] {
        assert!(html.contains(&format!("data-email=\"{e}\"")), "{e} in the result");
        assert_eq!(user_row(&s, e).await.unwrap()["status"], "invited");
        assert_eq!(messages_to(&app, e).await, 1);
    }
    // The Users tab marks invited rows with their expiry.
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/users?status=invited")).await;
    assert!(html.contains("Invitation expires"), "{html}");
    assert!(html.contains("id=\"invited-note\""));
    assert!(html.contains("data-action=\"invitation-resend\"") && html.contains("data-action=\"invitation-cancel\""));
    app.finish().await;
}

#[tokio::test]
async fn the_invite_form_offers_only_roles_the_inviter_may_give() {
    let (app, org, _) = acme().await;
    app.add_member_with_roles(&org, "billing@acme.test", &["billing_manager"]).await;
    app.add_member(&org, "plain@acme.test", "Plain").await;
    let base = &app.base_url;
    let (owner, _) = app.sign_in_form("owner@acme.test").await;
    let (_, html) = page(&owner, format!("{base}/orgs/acme/settings/users")).await;
    assert!(html.contains("id=\"invite-user\""), "the owner may invite");
    let (plain, _) = app.sign_in_form("plain@acme.test").await;
    let (_, html) = page(&plain, format!("{base}/orgs/acme/settings/users")).await;
    assert!(!html.contains("id=\"invite-user\""), "a plain user may not");
    let (status, _) = page(&plain, format!("{base}/orgs/acme/settings/users/invite")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (c, csrf) = app.sign_in_form("billing@acme.test").await;
    let (status, html) = page(&c, format!("{base}/orgs/acme/settings/users/invite")).await;
    assert_eq!(status, StatusCode::OK);
    let owner_box = html.split("<label class=\"role-choice").find(|l| l.contains("Account Owner")).unwrap();
    assert!(owner_box.contains("disabled") && owner_box.contains("Grants more than you hold"), "{owner_box}");
    // A forged post is refused and the form keeps what was typed.
    let account_owner = roster_app::access::open_org(&app.app, &roster_app::Actor::Cli, "acme")
        .await
        .unwrap()
        .policy
        .find_role("account_owner")
        .unwrap()
        .id
        .to_string();
    let url = format!("{base}/orgs/acme/settings/users/invite");
    let r = post_form(
        &c,
        url.clone(),
        &[
            ("csrf_token", &csrf),
            ("first_name", "Boss"),
            ("email", "boss@example.test"),
            ("roles", &account_owner),
            ("perm_mode", "roles"),
            ("send_email", "on"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let html = r.text().await.unwrap();
    assert!(html.contains("value=\"boss@example.test\"") && html.contains("Beyond your own permissions"), "{html}");
    // A bad address is named next to its box.
    let r = post_form(&c, url.clone(), &[("csrf_token", &csrf), ("first_name", "Ann"), ("email", "ann@")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("id=\"email-error\""));
    // Without the email, the link is shown to hand on.
    let r = post_form(&c, url, &[("csrf_token", &csrf), ("first_name", "Ann"), ("email", "ann@example.test")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("class=\"link-box\"") && html.contains("/invite/"), "{html}");
    assert_eq!(messages_to(&app, "ann@example.test").await, 0);
    app.finish().await;
}

#[tokio::test]
async fn the_accept_page_sets_a_password_or_signs_in_and_lands_in_the_organization() {
    let (app, _, s) = acme().await;
    app.create_org("globex", "gary@globex.test").await;
    invite(&s, "ann@example.test", json!(["billing_manager"])).await;
    invite(&s, "gary@globex.test", json!([])).await;
    let base = &app.base_url;
    let token = mailed_token(&app, "ann@example.test").await;
    let c = roster_testkit::client();
    let (status, html) = page(&c, format!("{base}/invite/{token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Join Org acme") && html.contains("value=\"Ann Lee\"") && html.contains("Billing Manager"));
    assert!(html.contains("name=\"password\""));
    // A short password: said so, the name kept.
    let url = format!("{base}/invite/{token}");
    let r = post_form(&c, url.clone(), &[("name", "Ann Q. Lee"), ("password", "short")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"password-error\"") && html.contains("value=\"Ann Q. Lee\""), "{html}");
    let r = post_form(&c, url.clone(), &[("name", "Ann Q. Lee"), ("password", NEW_PASSWORD)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/orgs/acme/settings/users");
    let (status, html) = page(&c, format!("{base}/orgs/acme/settings/users")).await;
    assert_eq!(status, StatusCode::OK, "signed in, a Billing Manager sees the users");
    assert!(html.contains("Welcome to Org acme.") && html.contains("Ann Q. Lee"));
    // Used now: one plain page that says nothing else.
    let (status, used) = page(&roster_testkit::client(), url).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, bogus) = page(&roster_testkit::client(), format!("{base}/invite/nonsense")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(used, bogus, "a used link and a made-up one look the same");
    assert!(!used.contains("acme") && !used.contains("ann@"));
    // An existing account signs in to accept.
    let token = mailed_token(&app, "gary@globex.test").await;
    let c = roster_testkit::client();
    let (_, html) = page(&c, format!("{base}/invite/{token}")).await;
    assert!(html.contains("Sign in and join") && !html.contains("Choose a password"), "{html}");
    let r = post_form(&c, format!("{base}/invite/{token}"), &[("password", "not his password at all")]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("The password is wrong."));
    let r = post_form(&c, format!("{base}/invite/{token}"), &[("password", PASSWORD)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/orgs/acme/settings/users");
    assert_eq!(user_row(&s, "gary@globex.test").await.unwrap()["status"], "active");
    // A post from another site is refused.
    let (_, body) = invite(&s, "cy@example.test", json!([])).await;
    assert_eq!(body["status"], "pending");
    let token = mailed_token(&app, "cy@example.test").await;
    let r = roster_testkit::client()
        .post(format!("{base}/invite/{token}"))
        .header("Origin", "https://evil.example")
        .form(&[("password", NEW_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.finish().await;
}

#[tokio::test]
async fn the_invitations_tab_resends_and_cancels_after_a_confirmation() {
    let (app, _, s) = acme().await;
    for e in ["ann@example.test", "bo@example.test"] {
        invite(&s, e, json!([])).await;
    }
    app.advance(8 * 86_400_000);
    let s = app.login("owner@acme.test", PASSWORD).await;
    invite(&s, "cy@example.test", json!([])).await;
    let (c, csrf) = app.sign_in_form("owner@acme.test").await;
    let base = &app.base_url;
    let (status, html) = page(&c, format!("{base}/orgs/acme/settings/invitations")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(">Invitations</a>"), "the tab");
    assert!(html.contains("1 Pending") && html.contains("2 Expired"), "{html}");
    assert!(html.contains("data-status=\"expired\"") && html.contains("owner@acme.test"));
    // Cancel one, after its confirmation.
    let (_, list) = s.get("/api/v1/orgs/acme/invitations?status=pending").await;
    let id = list["items"][0]["id"].as_str().unwrap();
    let (status, html) = page(&c, format!("{base}/orgs/acme/settings/invitations/{id}/cancel")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Cancel the invitation of cy@example.test?"), "{html}");
    let r = post_form(
        &c,
        format!("{base}/orgs/acme/settings/invitations/{id}/cancel"),
        &[("csrf_token", &csrf), ("return_to", "/orgs/acme/settings/invitations")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/invitations")).await;
    assert!(html.contains("Canceled the invitation of cy@example.test."), "{html}");
    // Resend every expired one, after the count.
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/invitations/bulk?action=resend&status=expired")).await;
    assert!(html.contains("Send again 2 invitations?"), "{html}");
    let r = post_form(
        &c,
        format!("{base}/orgs/acme/settings/invitations/bulk"),
        &[
            ("csrf_token", &csrf),
            ("action", "resend"),
            ("status", "expired"),
            ("return_to", "/orgs/acme/settings/invitations"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/invitations")).await;
    assert!(html.contains("2 invitations sent again.") && html.contains("2 Pending") && html.contains("0 Expired"));
    assert_eq!(messages_to(&app, "ann@example.test").await, 2);
    app.finish().await;
}
