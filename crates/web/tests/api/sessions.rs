//! "My Sessions": a user signed in from two browsers sees both (devices
//! read from the User-Agent, the current one marked), logs the other one
//! out (it is refused at once, audited), logs out everywhere else, cannot
//! touch another user's session (404), and sees the history with how each
//! ended. Then the same through the My Sessions tab's plain forms.

use reqwest::StatusCode;
use roster_testkit::{Session, TestApp, spawn_app};
use serde_json::{Value, json};

const CHROME: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
const FIREFOX: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0";

/// Signs in over the API from a browser announcing `user_agent`.
async fn login_as(app: &TestApp, email: &str, user_agent: &str) -> Session {
    app.login_from(email, user_agent, None).await
}

async fn my_sessions(s: &Session) -> Vec<Value> {
    let (status, body) = s.get("/api/v1/me/sessions").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().clone()
}

fn item<'a>(items: &'a [Value], device: &str) -> &'a Value {
    items.iter().find(|i| i["device"] == device).unwrap_or_else(|| panic!("no {device} in {items:?}"))
}

#[tokio::test]
async fn a_user_sees_their_sessions_and_logs_out_the_other_one() {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    let ann = app.add_member(&acme, "ann@acme.test", "Ann Lee").await;
    let laptop = login_as(&app, "ann@acme.test", CHROME).await;
    app.advance(1000);
    let desk = login_as(&app, "ann@acme.test", FIREFOX).await;

    let items = my_sessions(&laptop).await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0]["device"], "Firefox 121 on Windows 10", "newest first");
    let (chrome, firefox) = (item(&items, "Chrome 120 on Linux"), item(&items, "Firefox 121 on Windows 10"));
    assert_eq!(chrome["current"], true);
    assert_eq!(firefox["current"], false);
    let id = firefox["id"].as_str().unwrap().to_string();
    assert_eq!(firefox["short_id"].as_str().unwrap(), &id.replace('-', "")[24..], "the id's last 8 hex digits");
    assert!(firefox["location"].is_null());
    assert!(firefox["expires_at"].as_str().unwrap() > firefox["created_at"].as_str().unwrap());
    // The other browser sees the same two, itself current.
    assert_eq!(item(&my_sessions(&desk).await, "Firefox 121 on Windows 10")["current"], true);

    let (status, body) = laptop.send(reqwest::Method::DELETE, &format!("/api/v1/me/sessions/{id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = desk.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the logged-out session is refused at once");
    let items = my_sessions(&laptop).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["current"], true);
    // Once ended, it is not found again.
    let (status, _) = laptop.send(reqwest::Method::DELETE, &format!("/api/v1/me/sessions/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, body) = laptop.get("/api/v1/me/sessions/history").await;
    assert_eq!(status, StatusCode::OK);
    let ended = &body["items"][0];
    assert_eq!((ended["id"].as_str(), ended["end_reason"].as_str()), (Some(id.as_str()), Some("revoked")));

    let mut conn = app.app.db.conn().await.unwrap();
    let events =
        roster_store::audit::events_for_target(&mut conn, acme.id, "member", &ann.to_string(), 10).await.unwrap();
    let e = events.iter().find(|e| e.action == "session.revoked").expect("audited");
    assert_eq!(e.actor_id, Some(ann.0));
    assert!(e.details.contains(&id.replace('-', "")[24..]), "{}", e.details);
    assert!(!e.details.contains(&laptop.csrf), "no secret in the details");
    drop(conn);
    app.finish().await;
}

#[tokio::test]
async fn logging_out_everywhere_else_keeps_only_the_current_session() {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    app.add_member(&acme, "ann@acme.test", "Ann Lee").await;
    let here = login_as(&app, "ann@acme.test", CHROME).await;
    let others = [login_as(&app, "ann@acme.test", FIREFOX).await, login_as(&app, "ann@acme.test", "curl/8.5.0").await];
    let owner = login_as(&app, "owner@acme.test", CHROME).await;

    let (status, body) = here.post("/api/v1/me/sessions/revoke-others", json!({})).await;
    assert_eq!((status, &body), (StatusCode::OK, &json!({"ended": 2})));
    for s in &others {
        assert_eq!(s.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(here.get("/api/v1/me").await.0, StatusCode::OK);
    assert_eq!(owner.get("/api/v1/me").await.0, StatusCode::OK, "another user's sessions stay");
    let items = my_sessions(&here).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["current"], true);
    // Nothing else to end: still fine.
    let (status, body) = here.post("/api/v1/me/sessions/revoke-others", json!({})).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"ended": 0})));
    app.finish().await;
}

#[tokio::test]
async fn another_users_session_answers_404_and_the_current_one_signs_out() {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    app.add_member(&acme, "ann@acme.test", "Ann Lee").await;
    let ann = login_as(&app, "ann@acme.test", CHROME).await;
    let owner = login_as(&app, "owner@acme.test", FIREFOX).await;
    let owners = my_sessions(&owner).await;
    let owners_id = owners[0]["id"].as_str().unwrap();

    let (status, body) = ann.send(reqwest::Method::DELETE, &format!("/api/v1/me/sessions/{owners_id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = ann.send(reqwest::Method::DELETE, "/api/v1/me/sessions/not-an-id", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(owner.get("/api/v1/me").await.0, StatusCode::OK, "the owner is still signed in");

    // Logging out the current session signs the caller out.
    let own_id = my_sessions(&ann).await[0]["id"].as_str().unwrap().to_string();
    let (status, _) = ann.send(reqwest::Method::DELETE, &format!("/api/v1/me/sessions/{own_id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(ann.get("/api/v1/me/sessions").await.0, StatusCode::UNAUTHORIZED);
    let (status, body) = owner.get("/api/v1/me/sessions/history").await;
    assert_eq!((status, body["items"].as_array().unwrap().len()), (StatusCode::OK, 0));
    app.finish().await;
}

#[tokio::test]
async fn the_my_sessions_tab_logs_out_with_plain_forms() {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    app.add_member(&acme, "ann@acme.test", "Ann Lee").await;
    let (browser, csrf) = app.sign_in_form("ann@acme.test").await;
    let phone = login_as(&app, "ann@acme.test", FIREFOX).await;
    let tablet = login_as(&app, "ann@acme.test", "curl/8.5.0").await;
    let phone_id = item(&my_sessions(&phone).await, "Firefox 121 on Windows 10")["id"].as_str().unwrap().to_string();
    let base = &format!("{}/orgs/acme/settings", app.base_url);

    // Every member sees the tab (Ann holds the default role), and the link beside the profile.
    let users = browser.get(format!("{base}/users")).send().await.unwrap().text().await.unwrap();
    assert!(users.contains("href=\"/orgs/acme/settings/my-sessions\">My Sessions</a>"), "the tab");
    assert!(users.contains("id=\"sessions-link\""), "the frame's link");
    let page = browser.get(format!("{base}/my-sessions")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert_eq!(page.matches("class=\"session-row").count(), 3, "three active sessions");
    assert_eq!(page.matches("This device</span>").count(), 1);
    assert!(page.contains("Firefox 121 on Windows 10"));
    assert!(page.contains(&phone_id.replace('-', "")[24..]));
    assert_eq!(page.matches(">Log out</button>").count(), 2, "Log out on each other session, not this one");
    assert!(page.contains("id=\"no-history\""));

    // Without the CSRF token the post is refused.
    let r = browser.post(format!("{base}/my-sessions/{phone_id}/logout")).form(&[("x", "y")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(phone.get("/api/v1/me").await.0, StatusCode::OK);

    let r = browser
        .post(format!("{base}/my-sessions/{phone_id}/logout"))
        .form(&[("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/orgs/acme/settings/my-sessions");
    assert_eq!(phone.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    let page = browser.get(format!("{base}/my-sessions")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("is logged out."), "the flash");
    assert_eq!(page.matches("class=\"session-row").count(), 2);
    assert!(page.contains("Revoked"), "the history says how it ended");

    let r =
        browser.post(format!("{base}/my-sessions/logout-others")).form(&[("csrf_token", &csrf)]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(tablet.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    let page = browser.get(format!("{base}/my-sessions")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Logged out 1 other session."));
    assert_eq!(page.matches("class=\"session-row").count(), 1);
    assert!(!page.contains("id=\"logout-others\""), "nothing else to log out");

    // Another user's session id: the not-found page, and it stays.
    let owner = login_as(&app, "owner@acme.test", CHROME).await;
    let owner_id = my_sessions(&owner).await[0]["id"].as_str().unwrap().to_string();
    let r = browser
        .post(format!("{base}/my-sessions/{owner_id}/logout"))
        .form(&[("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(owner.get("/api/v1/me").await.0, StatusCode::OK);

    // Signed out: the page sends to sign-in.
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{base}/my-sessions"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    app.finish().await;
}
