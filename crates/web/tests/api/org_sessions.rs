//! An organization's sessions: the Active Sessions list shows the live
//! sessions of its active members only (with the location the suite's
//! GeoIP database gives their address), searched by name, email or IP and
//! paged by keyset; an administrator logs one out (refused at once, the
//! history says who from which organization, audited) or all of a
//! member's; another tenant's session answers 404; the permissions, the
//! owner and no-escalation hold. Session History filters by user, reason
//! and dates, newest first, by keyset. Then both tabs with plain forms.

use reqwest::{Method, StatusCode};
use roster_domain::sessions::EndReason;
use roster_domain::{SessionId, Timestamp, UserId};
use roster_testkit::{Session, TestApp, spawn_app, spawn_app_with_geoip};
use serde_json::{Value, json};

const CHROME: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

/// Signs in over the API, through a trusted proxy that says the client is
/// `ip` (none: the loopback address the test connects from).
async fn login_from(app: &TestApp, email: &str, ip: Option<&str>) -> Session {
    app.login_from(email, CHROME, ip).await
}

async fn items(s: &Session, path: &str) -> (Vec<Value>, Option<String>) {
    let (status, body) = s.get(path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    (body["items"].as_array().unwrap().clone(), body["next_cursor"].as_str().map(str::to_string))
}

fn emails(items: &[Value]) -> Vec<String> {
    let mut e: Vec<String> = items.iter().map(|i| i["user"]["email"].as_str().unwrap().to_string()).collect();
    e.sort();
    e.dedup();
    e
}

fn of<'a>(items: &'a [Value], email: &str) -> &'a Value {
    items.iter().find(|i| i["user"]["email"] == email).unwrap_or_else(|| panic!("no session of {email} in {items:?}"))
}

async fn my_session_id(s: &Session) -> String {
    let (_, body) = s.get("/api/v1/me/sessions").await;
    let items = body["items"].as_array().unwrap();
    items.iter().find(|i| i["current"] == true).unwrap()["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_list_shows_this_organizations_active_members_sessions_with_their_location() {
    let app = spawn_app_with_geoip().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    let globex = app.create_org("globex", "owner@globex.test").await;
    app.add_member(&acme, "ann@acme.test", "Ann Lee").await;
    app.add_member(&acme, "bob@acme.test", "Bob Stone").await;
    app.add_member(&globex, "carl@globex.test", "Carl Berg").await;
    // Eve is disabled in Acme but active in Globex: her session reaches Globex only.
    let eve = app.add_member(&acme, "eve@both.test", "Eve Park").await;
    app.add_member(&globex, "eve@both.test", "Eve Park").await;
    let owner = login_from(&app, "owner@acme.test", None).await;
    let (status, _) = owner.post(&format!("/api/v1/orgs/acme/users/{eve}/disable"), json!({})).await;
    assert_eq!(status, StatusCode::OK);

    let ann = login_from(&app, "ann@acme.test", Some("203.0.113.7")).await;
    let _bob = login_from(&app, "bob@acme.test", Some("198.51.100.9")).await;
    let _carl = login_from(&app, "carl@globex.test", Some("203.0.113.8")).await;
    let _eve = login_from(&app, "eve@both.test", Some("203.0.113.9")).await;

    let (list, next) = items(&owner, "/api/v1/orgs/acme/sessions").await;
    assert_eq!(emails(&list), ["ann@acme.test", "bob@acme.test", "owner@acme.test"], "active members of Acme only");
    assert_eq!(next, None);
    let a = of(&list, "ann@acme.test");
    assert_eq!(a["ip"], "203.0.113.7", "the client's address, from the trusted proxy's header");
    assert_eq!(a["location"], "Berlin, Germany");
    assert_eq!(a["user"]["name"], "Ann Lee");
    assert_eq!(a["device"], "Chrome 120 on Linux");
    assert_eq!(a["status"], "active");
    assert_eq!(a["current"], false);
    assert_eq!(a["short_id"].as_str().unwrap(), &a["id"].as_str().unwrap().replace('-', "")[24..]);
    assert_eq!(of(&list, "bob@acme.test")["location"], "Lisbon, Portugal");
    let mine = of(&list, "owner@acme.test");
    assert!(mine["location"].is_null(), "the loopback address is nowhere: {mine}");
    assert_eq!(mine["current"], true);
    // Newest sign-in first.
    let created: Vec<&str> = list.iter().map(|i| i["created_at"].as_str().unwrap()).collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "{created:?}");
    // The user sees the same location on My Sessions.
    let (_, body) = ann.get("/api/v1/me/sessions").await;
    assert_eq!(body["items"][0]["location"], "Berlin, Germany");

    // Search by name (any case), email or address.
    for (q, expected) in [
        ("ann", vec!["ann@acme.test"]),
        ("LEE", vec!["ann@acme.test"]),
        ("bob%40acme", vec!["bob@acme.test"]),
        ("198.51", vec!["bob@acme.test"]),
        ("acme.test", vec!["ann@acme.test", "bob@acme.test", "owner@acme.test"]),
        ("carl", vec![]),
        ("100%25", vec![]),
    ] {
        let (list, _) = items(&owner, &format!("/api/v1/orgs/acme/sessions?q={q}")).await;
        assert_eq!(emails(&list), expected, "q={q}");
    }

    // Five minutes without a request: idle (the owner's own request keeps theirs active).
    app.advance(6 * 60_000);
    let (list, _) = items(&owner, "/api/v1/orgs/acme/sessions").await;
    assert_eq!(of(&list, "ann@acme.test")["status"], "idle");
    assert_eq!(of(&list, "owner@acme.test")["status"], "active");
    // Past the idle lifetime a session is no longer listed, swept or not.
    app.advance(25 * 60_000);
    let (list, _) = items(&owner, "/api/v1/orgs/acme/sessions").await;
    assert_eq!(emails(&list), ["owner@acme.test"]);

    // Bad parameters name themselves.
    for (query, field) in [("per_page=5", "per_page"), ("cursor=zz", "cursor"), ("color=red", "color")] {
        let (status, body) = owner.get(&format!("/api/v1/orgs/acme/sessions?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert!(body.to_string().contains(field), "{query}: {body}");
    }
    app.finish().await;
}

#[tokio::test]
async fn without_a_geoip_database_or_a_trusted_proxy_the_location_is_null() {
    let app = spawn_app().await;
    app.create_org("acme", "owner@acme.test").await;
    // Nobody is trusted by default: the header is ignored.
    let owner = login_from(&app, "owner@acme.test", Some("203.0.113.7")).await;
    let (list, _) = items(&owner, "/api/v1/orgs/acme/sessions").await;
    assert_eq!(list[0]["ip"], "127.0.0.1", "a client cannot choose its address");
    assert!(list[0]["location"].is_null());
    app.finish().await;
}

#[tokio::test]
async fn logging_a_session_out_refuses_it_at_once_and_the_history_says_who() {
    let app = spawn_app_with_geoip().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    let ann_id = app.add_member(&acme, "ann@acme.test", "Ann Lee").await;
    let owner = login_from(&app, "owner@acme.test", None).await;
    let ann = login_from(&app, "ann@acme.test", Some("203.0.113.7")).await;
    let id = my_session_id(&ann).await;

    let (status, body) = owner.send(Method::DELETE, &format!("/api/v1/orgs/acme/sessions/{id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(ann.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED, "refused on the very next request");
    let (status, _) = owner.send(Method::DELETE, &format!("/api/v1/orgs/acme/sessions/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "an ended session is not found again");
    let (status, _) = owner.send(Method::DELETE, "/api/v1/orgs/acme/sessions/not-an-id", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (list, _) = items(&owner, "/api/v1/orgs/acme/sessions/history").await;
    let h = of(&list, "ann@acme.test");
    assert_eq!(h["id"], id.as_str());
    assert_eq!(h["status"], "ended");
    assert_eq!(h["end_reason"], "revoked");
    assert_eq!(h["location"], "Berlin, Germany");
    assert_eq!(h["ended_by"]["user"]["email"], "owner@acme.test");
    assert_eq!(h["ended_by"]["organization"]["slug"], "acme");
    assert_eq!(h["ended_how"], "Revoked by Owner of acme (Org acme)");
    assert!(h["ended_at"].as_str().is_some());

    // Audited in Acme, in the same transaction, naming the short id only.
    let mut conn = app.app.db.conn().await.unwrap();
    let events =
        roster_store::audit::events_for_target(&mut conn, acme.id, "member", &ann_id.to_string(), 10).await.unwrap();
    let e = events.iter().find(|e| e.action == "session.revoked").expect("audited");
    assert_eq!(e.actor_id, acme.owner_id.map(|o| o.0));
    assert!(e.details.contains(&id.replace('-', "")[24..]), "{}", e.details);
    drop(conn);

    // Ann signs in again and reads the same on her own history.
    let ann = login_from(&app, "ann@acme.test", None).await;
    let (_, body) = ann.get("/api/v1/me/sessions/history").await;
    let mine = &body["items"][0];
    assert_eq!(mine["ended_by"]["organization"]["name"], "Org acme");
    assert_eq!(mine["ended_how"], "Revoked by Owner of acme (Org acme)");
    assert_eq!(mine["location"], "Berlin, Germany");
    app.finish().await;
}

#[tokio::test]
async fn all_of_a_members_sessions_are_logged_out_at_once() {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    let globex = app.create_org("globex", "owner@globex.test").await;
    let ann = app.add_member(&acme, "ann@acme.test", "Ann Lee").await;
    let carl = app.add_member(&globex, "carl@globex.test", "Carl Berg").await;
    let dora = app.add_member(&acme, "dora@acme.test", "Dora Kim").await;
    let owner = login_from(&app, "owner@acme.test", None).await;
    let laptop = login_from(&app, "ann@acme.test", None).await;
    let phone = login_from(&app, "ann@acme.test", None).await;

    let (status, body) = owner.post(&format!("/api/v1/orgs/acme/users/{ann}/sessions/revoke"), json!({})).await;
    assert_eq!((status, body["ended"].as_u64()), (StatusCode::OK, Some(2)), "{body}");
    assert_eq!(laptop.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(phone.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(owner.get("/api/v1/me").await.0, StatusCode::OK);
    let (status, body) = owner.post(&format!("/api/v1/orgs/acme/users/{ann}/sessions/revoke"), json!({})).await;
    assert_eq!((status, body["ended"].as_u64()), (StatusCode::OK, Some(0)));
    let (list, _) = items(&owner, "/api/v1/orgs/acme/sessions/history?reason=revoked").await;
    assert_eq!(list.len(), 2);

    // Not a member here: 404; a disabled member: 409 (their sessions reach other organizations only).
    let (status, _) = owner.post(&format!("/api/v1/orgs/acme/users/{carl}/sessions/revoke"), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    owner.post(&format!("/api/v1/orgs/acme/users/{dora}/disable"), json!({})).await;
    let (status, body) = owner.post(&format!("/api/v1/orgs/acme/users/{dora}/sessions/revoke"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // Logging out all of one's own sessions signs the caller out too.
    let me = acme.owner_id.unwrap();
    let (status, body) = owner.post(&format!("/api/v1/orgs/acme/users/{me}/sessions/revoke"), json!({})).await;
    assert_eq!((status, body["ended"].as_u64()), (StatusCode::OK, Some(1)));
    assert_eq!(owner.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    app.finish().await;
}

#[tokio::test]
async fn another_tenants_sessions_answer_404() {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    app.create_org("globex", "owner@globex.test").await;
    let ann = app.add_member(&acme, "ann@acme.test", "Ann Lee").await;
    let ann_session = login_from(&app, "ann@acme.test", None).await;
    let id = my_session_id(&ann_session).await;
    let globex = login_from(&app, "owner@globex.test", None).await;

    for path in [format!("/api/v1/orgs/globex/sessions/{id}"), format!("/api/v1/orgs/acme/sessions/{id}")] {
        let (status, body) = globex.send(Method::DELETE, &path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    let (status, _) = globex.post(&format!("/api/v1/orgs/globex/users/{ann}/sessions/revoke"), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (list, _) = items(&globex, "/api/v1/orgs/globex/sessions").await;
    assert_eq!(emails(&list), ["owner@globex.test"]);
    assert_eq!(globex.get("/api/v1/orgs/acme/sessions").await.0, StatusCode::NOT_FOUND);
    assert_eq!(ann_session.get("/api/v1/me").await.0, StatusCode::OK, "still signed in");
    app.finish().await;
}

#[tokio::test]
async fn the_permissions_the_owner_and_no_escalation_hold() {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    let viewer = app.create_role(&acme, "Session viewer", &[("sessions", &["read"])]).await;
    let admin =
        app.create_role(&acme, "Session admin", &[("sessions", &["read", "delete"]), ("products", &["read"])]).await;
    app.add_member(&acme, "ann@acme.test", "Ann Lee").await;
    app.add_member_with_roles(&acme, "vic@acme.test", &[&viewer]).await;
    app.add_member_with_roles(&acme, "sam@acme.test", &[&admin]).await;
    let billing = app.add_member_with_roles(&acme, "bill@acme.test", &["billing_manager"]).await;
    let owner_s = login_from(&app, "owner@acme.test", None).await;
    let ann_s = login_from(&app, "ann@acme.test", None).await;
    let vic = login_from(&app, "vic@acme.test", None).await;
    let sam = login_from(&app, "sam@acme.test", None).await;
    let bill_s = login_from(&app, "bill@acme.test", None).await;
    let (ann_id, owner_id, bill_id) =
        (my_session_id(&ann_s).await, my_session_id(&owner_s).await, my_session_id(&bill_s).await);

    // A plain member: neither list nor log out.
    assert_eq!(ann_s.get("/api/v1/orgs/acme/sessions").await.0, StatusCode::FORBIDDEN);
    assert_eq!(ann_s.get("/api/v1/orgs/acme/sessions/history").await.0, StatusCode::FORBIDDEN);
    let (status, _) = ann_s.send(Method::DELETE, &format!("/api/v1/orgs/acme/sessions/{owner_id}"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // sessions:read lists, but does not log out.
    assert_eq!(vic.get("/api/v1/orgs/acme/sessions").await.0, StatusCode::OK);
    let (status, body) = vic.send(Method::DELETE, &format!("/api/v1/orgs/acme/sessions/{ann_id}"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // sessions:delete: the owner's sessions are the owner's; a member holding more is out of reach.
    let (status, body) = sam.send(Method::DELETE, &format!("/api/v1/orgs/acme/sessions/{owner_id}"), None).await;
    assert_eq!((status, body["type"].as_str()), (StatusCode::CONFLICT, Some("/problems/owner-protected")), "{body}");
    let (status, body) = sam.send(Method::DELETE, &format!("/api/v1/orgs/acme/sessions/{bill_id}"), None).await;
    assert_eq!((status, body["type"].as_str()), (StatusCode::FORBIDDEN, Some("/problems/escalation")), "{body}");
    let (status, _) = sam.post(&format!("/api/v1/orgs/acme/users/{billing}/sessions/revoke"), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(owner_s.get("/api/v1/me").await.0, StatusCode::OK);
    assert_eq!(bill_s.get("/api/v1/me").await.0, StatusCode::OK);
    // Within reach: done.
    let (status, _) = sam.send(Method::DELETE, &format!("/api/v1/orgs/acme/sessions/{ann_id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(ann_s.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    app.finish().await;
}

/// A session written straight to the store (the paging tests need many;
/// signing in hashes a password each time).
async fn stored_session(app: &TestApp, user: UserId, created: Timestamp, ended: Option<(Timestamp, EndReason)>) {
    let id = SessionId::new();
    let mut tx = app.app.db.begin().await.unwrap();
    let s = roster_store::sessions::NewSession {
        id,
        user_id: user,
        token_hash: roster_app::tokens::hash_secret(&roster_app::tokens::new_secret()),
        created_at: created,
        idle_expires_at: created.plus_millis(30 * 60_000),
        expires_at: created.plus_millis(12 * 3_600_000),
        ip: Some("192.0.2.1".into()),
        user_agent: None,
        location: None,
    };
    roster_store::sessions::insert_session(&mut tx, &s).await.unwrap();
    if let Some((at, reason)) = ended {
        roster_store::sessions::end_session(&mut tx, id, at, reason, None).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// Walks every page of a list with `per_page=10`; answers the rows in order.
async fn all_pages(s: &Session, path: &str) -> (Vec<Value>, usize) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let (mut rows, mut cursor, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}{sep}per_page=10&cursor={c}"),
            None => format!("{path}{sep}per_page=10"),
        };
        let (page, next) = items(s, &url).await;
        assert!(page.len() <= 10);
        rows.extend(page);
        pages += 1;
        match next {
            Some(c) => cursor = Some(c),
            None => return (rows, pages),
        }
    }
}

#[tokio::test]
async fn active_sessions_page_by_keyset_newest_first() {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    let ann = app.add_member(&acme, "ann@acme.test", "Ann Lee").await;
    let now = app.now();
    for i in 0..23 {
        // Two sessions share each sign-in time: the id breaks the tie.
        stored_session(&app, ann, Timestamp(now.0 - 60_000 * (i / 2)), None).await;
    }
    let owner = login_from(&app, "owner@acme.test", None).await;
    let (rows, pages) = all_pages(&owner, "/api/v1/orgs/acme/sessions").await;
    assert_eq!((rows.len(), pages), (24, 3));
    let ids: std::collections::HashSet<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 24, "no row twice");
    let keys: Vec<(&str, &str)> =
        rows.iter().map(|r| (r["created_at"].as_str().unwrap(), r["id"].as_str().unwrap())).collect();
    assert!(keys.windows(2).all(|w| w[0] > w[1]), "newest first, then by id");
    let (rows, _) = all_pages(&owner, "/api/v1/orgs/acme/sessions?q=ann").await;
    assert_eq!(rows.len(), 23);
    app.finish().await;
}

#[tokio::test]
async fn history_filters_by_user_reason_and_dates_and_pages_by_keyset() {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    let globex = app.create_org("globex", "owner@globex.test").await;
    let ann = app.add_member(&acme, "ann@acme.test", "Ann Lee").await;
    let bob = app.add_member(&acme, "bob@acme.test", "Bob Stone").await;
    let carl = app.add_member(&globex, "carl@globex.test", "Carl Berg").await;
    let day = 86_400_000;
    // Midnight UTC, three days ago.
    let start = Timestamp((app.now().0 / day - 3) * day);
    for i in 0..12 {
        let created = Timestamp(start.0 + i * 3_600_000);
        stored_session(&app, ann, created, Some((created.plus_millis(60_000), EndReason::Logout))).await;
    }
    let next_day = Timestamp(start.0 + day + 3_600_000);
    stored_session(&app, bob, next_day, Some((next_day.plus_millis(60_000), EndReason::IdleExpiry))).await;
    stored_session(&app, bob, next_day, Some((next_day.plus_millis(120_000), EndReason::PasswordChanged))).await;
    stored_session(&app, carl, next_day, Some((next_day.plus_millis(60_000), EndReason::Logout))).await;
    stored_session(&app, ann, app.now(), None).await;
    let owner = login_from(&app, "owner@acme.test", None).await;

    let (rows, pages) = all_pages(&owner, "/api/v1/orgs/acme/sessions/history").await;
    assert_eq!((rows.len(), pages), (14, 2), "Acme's members' ended sessions only");
    let ended: Vec<&str> = rows.iter().map(|r| r["ended_at"].as_str().unwrap()).collect();
    assert!(ended.windows(2).all(|w| w[0] >= w[1]), "the latest ended first: {ended:?}");
    assert_eq!(rows[0]["end_reason"], "password_changed");
    assert_eq!(rows[0]["ended_how"], "Password changed");
    assert!(rows[0]["ended_by"].is_null());

    let count = |q: &'static str| {
        let owner = owner.clone();
        async move { all_pages(&owner, &format!("/api/v1/orgs/acme/sessions/history?{q}")).await.0.len() }
    };
    assert_eq!(count("user=bob").await, 2);
    assert_eq!(count("user=ANN%20LEE").await, 12);
    assert_eq!(count("user=carl").await, 0);
    let by_id = format!("user={bob}");
    assert_eq!(all_pages(&owner, &format!("/api/v1/orgs/acme/sessions/history?{by_id}")).await.0.len(), 2);
    assert_eq!(count("reason=logout").await, 12);
    assert_eq!(count("reason=idle_expiry").await, 1);
    assert_eq!(count("reason=revoked").await, 0);
    assert_eq!(count("user=bob&reason=password_changed").await, 1);
    // Dates: a date as `to` includes its whole day.
    let d = |t: Timestamp| roster_testkit_date(t);
    let (first_day, second_day) = (d(start), d(next_day));
    let q = format!("from={first_day}&to={first_day}");
    assert_eq!(all_pages(&owner, &format!("/api/v1/orgs/acme/sessions/history?{q}")).await.0.len(), 12);
    let q = format!("from={second_day}");
    assert_eq!(all_pages(&owner, &format!("/api/v1/orgs/acme/sessions/history?{q}")).await.0.len(), 2);
    // A time range: the first two hours of the first day.
    let q = format!("from={first_day}T00:00:00Z&to={first_day}T02:00:00Z");
    assert_eq!(all_pages(&owner, &format!("/api/v1/orgs/acme/sessions/history?{q}")).await.0.len(), 2);

    for (query, field) in [
        ("reason=vanished", "reason"),
        ("from=last%20week", "from"),
        ("to=2026-13-01", "to"),
        ("from=2026-02-02&to=2026-02-01", "to"),
        ("cursor=abc", "cursor"),
        ("sort=name", "sort"),
    ] {
        let (status, body) = owner.get(&format!("/api/v1/orgs/acme/sessions/history?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert!(body.to_string().contains(field), "{query} names {field}: {body}");
    }
    // A cursor of the live list is refused here.
    let (_, live) = owner.get("/api/v1/orgs/acme/sessions?per_page=10").await;
    assert!(live["next_cursor"].is_null());
    app.finish().await;
}

/// `2026-01-31` for a time (UTC).
fn roster_testkit_date(t: Timestamp) -> String {
    let d = time::OffsetDateTime::from_unix_timestamp(t.0 / 1000).unwrap().date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

#[tokio::test]
async fn both_tabs_work_with_plain_forms() {
    let app = spawn_app_with_geoip().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    let ann_id = app.add_member(&acme, "ann@acme.test", "Ann Lee").await;
    let ann = login_from(&app, "ann@acme.test", Some("203.0.113.7")).await;
    let ann_phone = login_from(&app, "ann@acme.test", Some("198.51.100.3")).await;
    let (browser, csrf) = app.sign_in_form("owner@acme.test").await;
    let base = format!("{}/orgs/acme/settings", app.base_url);

    let (status, page) = roster_testkit::page(&browser, format!("{base}/sessions")).await;
    assert_eq!(status, StatusCode::OK);
    let nav = page.find("href=\"/orgs/acme/settings/sessions\" aria-current=\"page\">Active Sessions</a>");
    let nav = nav.expect("the tab, current");
    let hist = page.find("href=\"/orgs/acme/settings/session-history\">Session History</a>").expect("the tab");
    let mine = page.find("href=\"/orgs/acme/settings/my-sessions\">My Sessions</a>").expect("the tab");
    assert!(nav < hist && hist < mine, "the seed's order of tabs");
    assert_eq!(page.matches("class=\"session-row").count(), 3);
    assert!(page.contains("Berlin, Germany") && page.contains("Lisbon, Portugal"));
    assert!(page.contains("Ann Lee") && page.contains("This device</span>"));
    assert!(page.contains(">Active</span>"));
    // Search without JavaScript: a GET form.
    let (_, found) = roster_testkit::page(&browser, format!("{base}/sessions?q=198.51")).await;
    assert_eq!(found.matches("class=\"session-row").count(), 1);

    // "Log out": a link to the confirmation, then its form.
    let id = my_session_id(&ann).await;
    let (status, confirm) = roster_testkit::page(&browser, format!("{base}/sessions/{id}/logout")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("Log out session") && confirm.contains("Berlin, Germany"), "{confirm}");
    let r = roster_testkit::post_form(
        &browser,
        format!("{base}/sessions/{id}/logout"),
        &[("csrf_token", &csrf), ("return_to", "/orgs/acme/settings/sessions")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/orgs/acme/settings/sessions");
    assert_eq!(ann.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(ann_phone.get("/api/v1/me").await.0, StatusCode::OK);
    let (_, page) = roster_testkit::page(&browser, format!("{base}/sessions")).await;
    assert!(page.contains("Logged out session"), "the flash");
    assert_eq!(page.matches("class=\"session-row").count(), 2);

    // "Log out all": says how many, then does it.
    let (_, confirm) = roster_testkit::page(&browser, format!("{base}/sessions/users/{ann_id}/logout-all")).await;
    assert!(confirm.contains("Log out all 1 session of Ann Lee?"), "{confirm}");
    let r = roster_testkit::post_form(
        &browser,
        format!("{base}/sessions/users/{ann_id}/logout-all"),
        &[("csrf_token", &csrf), ("return_to", "/orgs/acme/settings/sessions")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(ann_phone.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    // Without the CSRF token nothing happens.
    let r = roster_testkit::post_form(&browser, format!("{base}/sessions/users/{ann_id}/logout-all"), &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Session History: how each ended, filtered by a GET form.
    let (status, page) =
        roster_testkit::page(&browser, format!("{base}/session-history?user=ann&reason=revoked")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page.matches("data-reason=\"revoked\"").count(), 2, "{page}");
    assert!(page.contains("Revoked by Owner of acme (Org acme)"));
    assert!(page.contains("Lisbon, Portugal"));
    let (status, page) = roster_testkit::page(&browser, format!("{base}/session-history?from=someday")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"filter-problem\"") && page.contains("someday"), "the filter kept as typed");

    // A member without sessions:read sees neither tab, and a refusal inside the frame.
    let (member, _) = app.sign_in_form("ann@acme.test").await;
    let (status, page) = roster_testkit::page(&member, format!("{base}/sessions")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!page.contains(">Active Sessions</a>") && !page.contains(">Session History</a>"));
    assert_eq!(roster_testkit::page(&member, format!("{base}/session-history")).await.0, StatusCode::FORBIDDEN);
    app.finish().await;
}
