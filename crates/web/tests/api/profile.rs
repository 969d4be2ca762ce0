//! Changing one's own email address: asked for with the current password,
//! confirmed through the link mailed to the new address (the old one is
//! told), single use under 20 concurrent confirmations, expiring, dead
//! after a newer request or a cancel; taken, invalid and unchanged
//! addresses and wrong passwords refused; audited in every organization of
//! the user. Then the same through the profile page's plain forms.

use reqwest::StatusCode;
use roster_testkit::{PASSWORD, Session, TestApp, page, post_form, spawn_app_with};
use serde_json::{Value, json};

const DAY_MS: i64 = 86_400_000;

/// Acme (owner owner@acme.test) with Ann, who also belongs to Globex.
async fn acme_and_ann() -> (TestApp, roster_store::orgs::OrgRecord, roster_store::orgs::OrgRecord, String) {
    // Room in the hashing pool's queue for the concurrent requests below.
    let app = spawn_app_with(|c| c.hash_queue = Some(100)).await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    let globex = app.create_org("globex", "gary@globex.test").await;
    let ann = app.add_member(&acme, "ann@acme.test", "Ann Lee").await;
    app.add_member(&globex, "ann@acme.test", "Ann Lee").await;
    (app, acme, globex, ann.to_string())
}

async fn messages_to(app: &TestApp, email: &str) -> Vec<roster_store::outbox::MessageRow> {
    let mut conn = app.app.db.conn().await.unwrap();
    roster_store::outbox::list_messages_to(&mut conn, email).await.unwrap()
}

/// The token of the newest confirmation link mailed to `email`.
async fn mailed_token(app: &TestApp, email: &str) -> String {
    let messages = messages_to(app, email).await;
    let m = messages.iter().find(|m| m.kind == "email_change_confirm").unwrap_or_else(|| panic!("no link to {email}"));
    let link = m.text_body.split_whitespace().find(|w| w.contains("/confirm-email?token=")).expect("a link");
    assert!(link.starts_with(&app.app.config.base_url), "links use the public base URL: {link}");
    link.rsplit('=').next().unwrap().to_string()
}

async fn request_change(s: &Session, email: &str, password: &str) -> (StatusCode, Value) {
    s.post("/api/v1/me/email", json!({"email": email, "current_password": password})).await
}

async fn confirm(app: &TestApp, token: &str) -> (StatusCode, Value) {
    app.anonymous().post("/api/v1/me/email/confirm", json!({"token": token})).await
}

async fn signs_in(app: &TestApp, email: &str) -> StatusCode {
    let r = roster_testkit::client()
        .post(format!("{}/api/v1/auth/login", app.base_url))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    app.violations.assert_none();
    r.status()
}

async fn current_email(app: &TestApp, user: &str) -> String {
    let mut conn = app.app.db.conn().await.unwrap();
    let id = roster_domain::UserId(user.parse().unwrap());
    roster_store::users::find_user(&mut conn, id).await.unwrap().unwrap().email
}

fn assert_invalid_token(status: StatusCode, body: &Value) {
    assert_eq!((status, body["type"].clone()), (StatusCode::BAD_REQUEST, json!("/problems/invalid-token")), "{body}");
}

#[tokio::test]
async fn the_new_address_confirms_the_change_and_the_old_one_is_told() {
    let (app, acme, globex, ann) = acme_and_ann().await;
    let s = app.login("ann@acme.test", PASSWORD).await;
    let (status, body) = request_change(&s, " Ann.Lee@Example.TEST ", PASSWORD).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["email"], "ann.lee@example.test", "normalized");
    let expires = time::OffsetDateTime::parse(
        body["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!((expires.unix_timestamp_nanos() / 1_000_000) as i64, app.now().0 + DAY_MS, "24 hours by default");
    // The link goes to the new address, hidden on the Outbox page; the old
    // address gets a notice without it.
    let to_new = messages_to(&app, "ann.lee@example.test").await;
    assert_eq!(to_new.len(), 1);
    assert_eq!((to_new[0].kind.as_str(), to_new[0].sensitive, to_new[0].org_id), ("email_change_confirm", true, None));
    let to_old = messages_to(&app, "ann@acme.test").await;
    assert_eq!(to_old.len(), 1);
    assert_eq!((to_old[0].kind.as_str(), to_old[0].sensitive), ("email_change_notice", false));
    assert!(to_old[0].text_body.contains("ann.lee@example.test") && !to_old[0].text_body.contains("token="));
    let token = mailed_token(&app, "ann.lee@example.test").await;
    // Nothing changed yet.
    assert_eq!(signs_in(&app, "ann.lee@example.test").await, StatusCode::UNAUTHORIZED);
    assert_eq!(current_email(&app, &ann).await, "ann@acme.test");
    // Only the secret's hash is stored.
    let mut conn = app.app.db.conn().await.unwrap();
    let hash = roster_app::tokens::hash_secret(&token);
    assert!(roster_store::email_changes::find_by_token(&mut conn, &hash).await.unwrap().is_some());
    assert!(roster_store::email_changes::find_by_token(&mut conn, token.as_bytes()).await.unwrap().is_none());
    drop(conn);
    // The link is the credential: no session needed.
    let (status, body) = confirm(&app, &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"email": "ann.lee@example.test"}));
    assert_eq!(signs_in(&app, "ann.lee@example.test").await, StatusCode::OK);
    assert_eq!(signs_in(&app, "ann@acme.test").await, StatusCode::UNAUTHORIZED);
    // Her session stays signed in, under the new address.
    let (status, me) = s.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["email"], "ann.lee@example.test");
    // The directory shows, finds and filters her by the new address (the
    // members' mirror, the search index and the address index follow).
    let owner = app.login("owner@acme.test", PASSWORD).await;
    for q in ["email=ann.lee@example.test", "q=lee@exa"] {
        let (_, list) = owner.get(&format!("/api/v1/orgs/acme/users?{q}")).await;
        assert_eq!(list["items"][0]["email"], "ann.lee@example.test", "{q}: {list}");
        assert_eq!(list["items"][0]["confirmed"], true);
    }
    let (_, list) = owner.get("/api/v1/orgs/acme/users?email=ann@acme.test").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    // Audited in each organization she belongs to, with before and after.
    for org in [&acme, &globex] {
        let mut conn = app.app.db.conn().await.unwrap();
        let events = roster_store::audit::events_for_target(&mut conn, org.id, "member", &ann, 10).await.unwrap();
        let e = events.iter().find(|e| e.action == "user.email_changed").expect("audited");
        assert_eq!(e.actor_label, "self");
        let details: Value = serde_json::from_str(&e.details).unwrap();
        assert_eq!(details["before"]["email"], "ann@acme.test");
        assert_eq!(details["after"]["email"], "ann.lee@example.test");
    }
    // Used once.
    let (status, body) = confirm(&app, &token).await;
    assert_invalid_token(status, &body);
    app.finish().await;
}

#[tokio::test]
async fn twenty_concurrent_confirmations_of_one_link_let_exactly_one_through() {
    let (app, acme, _, ann) = acme_and_ann().await;
    let s = app.login("ann@acme.test", PASSWORD).await;
    assert_eq!(request_change(&s, "ann@example.test", PASSWORD).await.0, StatusCode::ACCEPTED);
    let token = mailed_token(&app, "ann@example.test").await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let anon = app.anonymous();
        let token = token.clone();
        tasks.push(tokio::spawn(async move { anon.post("/api/v1/me/email/confirm", json!({"token": token})).await }));
    }
    let mut ok = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            StatusCode::OK => ok += 1,
            _ => assert_invalid_token(status, &body),
        }
    }
    assert_eq!(ok, 1, "exactly one confirmation succeeds");
    let mut conn = app.app.db.conn().await.unwrap();
    let events = roster_store::audit::events_for_target(&mut conn, acme.id, "member", &ann, 50).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.action == "user.email_changed").count(), 1);
    drop(conn);
    assert_eq!(current_email(&app, &ann).await, "ann@example.test");
    app.finish().await;
}

#[tokio::test]
async fn links_expire_and_die_after_a_newer_request_or_a_cancel() {
    let (app, _, _, ann) = acme_and_ann().await;
    let s = app.login("ann@acme.test", PASSWORD).await;
    assert_eq!(request_change(&s, "first@example.test", PASSWORD).await.0, StatusCode::ACCEPTED);
    let first = mailed_token(&app, "first@example.test").await;
    // A newer request: the earlier link dies.
    assert_eq!(request_change(&s, "second@example.test", PASSWORD).await.0, StatusCode::ACCEPTED);
    let second = mailed_token(&app, "second@example.test").await;
    let (status, body) = confirm(&app, &first).await;
    assert_invalid_token(status, &body);
    // Canceled: its link dies too.
    let (status, _) = s.send(reqwest::Method::DELETE, "/api/v1/me/email", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = confirm(&app, &second).await;
    assert_invalid_token(status, &body);
    // A link works for 24 hours, and not a moment longer.
    assert_eq!(request_change(&s, "third@example.test", PASSWORD).await.0, StatusCode::ACCEPTED);
    let third = mailed_token(&app, "third@example.test").await;
    assert_eq!(request_change(&s, "fourth@example.test", PASSWORD).await.0, StatusCode::ACCEPTED);
    let fourth = mailed_token(&app, "fourth@example.test").await;
    let (status, body) = confirm(&app, &third).await;
    assert_invalid_token(status, &body);
    app.advance(DAY_MS);
    let (status, body) = confirm(&app, &fourth).await;
    assert_invalid_token(status, &body);
    assert_eq!(current_email(&app, &ann).await, "ann@acme.test");
    // Made-up and malformed tokens answer the same.
    for bogus in ["nonsense", &"0".repeat(64), &format!("{}x", &fourth[1..])] {
        let (status, body) = confirm(&app, bogus).await;
        assert_invalid_token(status, &body);
    }
    // A fresh request after the expiry works (signed in again: the session idled out).
    let s = app.login("ann@acme.test", PASSWORD).await;
    assert_eq!(request_change(&s, "fifth@example.test", PASSWORD).await.0, StatusCode::ACCEPTED);
    app.advance(DAY_MS - 1);
    let (status, body) = confirm(&app, &mailed_token(&app, "fifth@example.test").await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.finish().await;
}

#[tokio::test]
async fn taken_invalid_and_unchanged_addresses_and_wrong_passwords_are_refused() {
    let (app, _, _, ann) = acme_and_ann().await;
    let s = app.login("ann@acme.test", PASSWORD).await;
    // Another account's address: a clear 409.
    let (status, body) = request_change(&s, "Owner@Acme.test", PASSWORD).await;
    assert_eq!((status, body["type"].clone()), (StatusCode::CONFLICT, json!("/problems/email-taken")), "{body}");
    // Malformed, or her own address: 422 naming `email`; invisible characters too.
    for bad in ["not an email", "ANN@acme.test", "ann\u{200b}@example.test", ""] {
        let (status, body) = request_change(&s, bad, PASSWORD).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}: {body}");
        assert_eq!(body["errors"][0]["field"], "email", "{bad:?}: {body}");
    }
    // The current password: wrong, empty or missing.
    let (status, body) = request_change(&s, "ann@example.test", "not the password at all").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0], json!({"field": "current_password", "message": "is wrong"}));
    let (status, body) = request_change(&s, "", "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&Value> = body["errors"].as_array().unwrap().iter().map(|e| &e["field"]).collect();
    assert_eq!(fields, [&json!("email"), &json!("current_password")], "every field at once: {body}");
    let (status, body) = s.post("/api/v1/me/email", json!({"email": "ann@example.test"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "current_password", "{body}");
    // No session: 401.
    let (status, _) = app
        .anonymous()
        .post("/api/v1/me/email", json!({"email": "x@example.test", "current_password": PASSWORD}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(messages_to(&app, "ann@example.test").await.is_empty(), "nothing was mailed");
    assert!(messages_to(&app, "ann@acme.test").await.is_empty());
    // An address free when asked for but taken before the link is followed:
    // 409, the account unchanged, the link still unused.
    assert_eq!(request_change(&s, "bo@example.test", PASSWORD).await.0, StatusCode::ACCEPTED);
    let token = mailed_token(&app, "bo@example.test").await;
    let owner = app.login("owner@acme.test", PASSWORD).await;
    let (status, _) =
        owner.post("/api/v1/orgs/acme/invitations", json!({"email": "bo@example.test", "first_name": "Bo"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = confirm(&app, &token).await;
    assert_eq!((status, body["type"].clone()), (StatusCode::CONFLICT, json!("/problems/email-taken")), "{body}");
    assert_eq!(current_email(&app, &ann).await, "ann@acme.test");
    app.finish().await;
}

#[tokio::test]
async fn wrong_current_passwords_count_like_failed_sign_ins() {
    let (app, _, _, _) = acme_and_ann().await;
    let s = app.login("ann@acme.test", PASSWORD).await;
    for _ in 0..roster_app::throttle::FAILURES_PER_EMAIL {
        let (status, _) = request_change(&s, "ann@example.test", "not the password at all").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // The account's throttle is spent: even the right password waits, and
    // so does signing in.
    let r = s
        .raw(
            s.client
                .post(format!("{}/api/v1/me/email", s.base_url))
                .header("X-CSRF-Token", &s.csrf)
                .json(&json!({"email": "ann@example.test", "current_password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(signs_in(&app, "ann@acme.test").await, StatusCode::TOO_MANY_REQUESTS);
    assert!(messages_to(&app, "ann@example.test").await.is_empty());
    app.finish().await;
}

// The pages, as a browser without JavaScript uses them.

#[tokio::test]
async fn the_profile_page_changes_the_email_with_plain_forms() {
    let (app, _, _, ann) = acme_and_ann().await;
    let base = app.base_url.clone();
    let (c, csrf) = app.sign_in_form("ann@acme.test").await;
    // The frame links to the profile, which shows who is signed in.
    let (_, users) = page(&c, format!("{base}/orgs/acme/settings/users")).await;
    assert!(users.contains("id=\"profile-link\"") && users.contains("href=\"/profile\""), "{users}");
    let (status, html) = page(&c, format!("{base}/profile")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Ann Lee") && html.contains("ann@acme.test") && html.contains("id=\"email-change\""));
    assert!(!html.contains("id=\"pending-change\""));
    // A bad address: said beside the field, what was typed kept.
    let url = format!("{base}/profile/email");
    let r = post_form(
        &c,
        url.clone(),
        &[("csrf_token", csrf.as_str()), ("email", "ann at example"), ("current_password", PASSWORD)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"email-error\"") && html.contains("value=\"ann at example\""), "{html}");
    // A wrong password: said beside its field, the address kept.
    let r = post_form(
        &c,
        url.clone(),
        &[
            ("csrf_token", csrf.as_str()),
            ("email", "ann@example.test"),
            ("current_password", "not the password at all"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"current-password-error\"") && html.contains("The password is wrong"), "{html}");
    assert!(html.contains("value=\"ann@example.test\"") && !html.contains("not the password at all"));
    // A taken address: the form says so.
    let r = post_form(
        &c,
        url.clone(),
        &[("csrf_token", csrf.as_str()), ("email", "gary@globex.test"), ("current_password", PASSWORD)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("belongs to another Roster account"));
    // Without the CSRF token: refused.
    let r = post_form(&c, url.clone(), &[("email", "ann@example.test"), ("current_password", PASSWORD)]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Sent: the profile shows the pending change, which can be canceled.
    let form = [("csrf_token", csrf.as_str()), ("email", "ann@example.test"), ("current_password", PASSWORD)];
    let r = post_form(&c, url.clone(), &form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/profile");
    let (_, html) = page(&c, format!("{base}/profile")).await;
    assert!(html.contains("We sent a link to ann@example.test") && html.contains("id=\"pending-change\""), "{html}");
    let canceled = mailed_token(&app, "ann@example.test").await;
    let r = post_form(&c, format!("{base}/profile/email/cancel"), &[("csrf_token", csrf.as_str())]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&c, format!("{base}/profile")).await;
    assert!(html.contains("The email change is canceled") && !html.contains("id=\"pending-change\""), "{html}");
    let (status, _) = page(&roster_testkit::client(), format!("{base}/confirm-email?token={canceled}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Asked again; the link's page shows a button and changes nothing, however often it is opened.
    let r = post_form(&c, url, &form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let token = mailed_token(&app, "ann@example.test").await;
    let link = format!("{base}/confirm-email?token={token}");
    for _ in 0..2 {
        let (status, html) = page(&roster_testkit::client(), link.clone()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Confirm ann@example.test") && html.contains("id=\"confirm-form\""), "{html}");
        assert!(!html.contains("csrf_token"), "no session, no CSRF field");
    }
    assert_eq!(current_email(&app, &ann).await, "ann@acme.test");
    // Confirmed signed in (the form carries the session's CSRF token): back to the profile.
    let (_, html) = page(&c, link.clone()).await;
    assert!(html.contains(&format!("value=\"{csrf}\"")));
    let r = post_form(&c, format!("{base}/confirm-email"), &[("csrf_token", csrf.as_str()), ("token", token.as_str())])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/profile");
    let (_, html) = page(&c, format!("{base}/profile")).await;
    assert!(html.contains("Your email address is now ann@example.test."), "{html}");
    assert!(html.contains("<dd id=\"profile-email\">ann@example.test</dd>"), "{html}");
    // Used now: one plain page, the same as for a made-up link.
    let (status, used) = page(&roster_testkit::client(), link).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, bogus) = page(&roster_testkit::client(), format!("{base}/confirm-email?token=nonsense")).await;
    assert_eq!(used, bogus);
    app.finish().await;
}

#[tokio::test]
async fn a_link_confirmed_without_a_session_says_which_address_to_sign_in_with() {
    let (app, _, _, _) = acme_and_ann().await;
    let s = app.login("ann@acme.test", PASSWORD).await;
    assert_eq!(request_change(&s, "ann@example.test", PASSWORD).await.0, StatusCode::ACCEPTED);
    let token = mailed_token(&app, "ann@example.test").await;
    let r =
        post_form(&roster_testkit::client(), format!("{}/confirm-email", app.base_url), &[("token", token.as_str())])
            .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("Email address changed") && html.contains("ann@example.test"), "{html}");
    assert_eq!(signs_in(&app, "ann@example.test").await, StatusCode::OK);
    app.finish().await;
}
