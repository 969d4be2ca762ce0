//! The pages without JavaScript: plain GETs and form posts, as a browser
//! with scripting off would send them.

use reqwest::StatusCode;
use roster_testkit::{PASSWORD, TestApp, client, spawn_app};

/// Signs in through the form; answers the client and the CSRF token the pages carry.
async fn sign_in(app: &TestApp, email: &str) -> (reqwest::Client, String) {
    let c = client();
    let r = c
        .post(format!("{}/login", app.base_url))
        .form(&[("email", email), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = c.get(format!("{}/orgs/acme/settings/users", app.base_url)).send().await.unwrap().text().await.unwrap();
    let csrf = page.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    (c, csrf)
}

#[tokio::test]
async fn users_page_lists_filters_and_pages() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    app.seed(&org, 30).await;
    app.add_member(&org, "zed.quincy@acme.test", "Zed Quincy").await;
    let (c, _) = sign_in(&app, "owner@acme.test").await;
    let page = c.get(format!("{}/orgs/acme/settings/users?per_page=10", app.base_url)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Page 1 / 4"), "32 members at 10 a page");
    assert!(html.contains("32 Total"));
    assert!(html.contains("id=\"next\""));
    let html = c
        .get(format!("{}/orgs/acme/settings/users?q=quincy", app.base_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("zed.quincy@acme.test"));
    assert!(html.contains("1 Total"));
    assert!(html.contains("value=\"quincy\""), "the search box keeps what was typed");
    // Sorting descending by name through the select's value.
    let html = c
        .get(format!("{}/orgs/acme/settings/users?sort=-name&per_page=200", app.base_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let first = html.find("data-email=\"zed.quincy@acme.test\"").unwrap();
    let owner = html.find("data-email=\"owner@acme.test\"").unwrap();
    assert!(first < owner, "Z sorts before O descending");
    app.finish().await;
}

#[tokio::test]
async fn row_actions_edit_and_bulk_work_with_plain_forms() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    app.seed(&org, 20).await;
    let bob = app.add_member(&org, "bob@acme.test", "Bob").await;
    let (c, csrf) = sign_in(&app, "owner@acme.test").await;
    let base = &app.base_url;
    // Disable through the row form; the flash says so on the page we return to.
    let r = c
        .post(format!("{base}/orgs/acme/settings/users/{bob}/disable"))
        .form(&[("csrf_token", csrf.as_str()), ("return_to", "/orgs/acme/settings/users?q=bob")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers().get("location").unwrap(), "/orgs/acme/settings/users?q=bob");
    let html = c.get(format!("{base}/orgs/acme/settings/users?q=bob")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("bob@acme.test is now disabled."), "{html}");
    assert!(html.contains("data-action=\"enable\""));
    // The owner's row offers no disable, and a forged post is refused with a reason.
    let owner = org.owner_id.unwrap();
    let r = c
        .post(format!("{base}/orgs/acme/settings/users/{owner}/disable"))
        .form(&[("csrf_token", csrf.as_str()), ("return_to", "/orgs/acme/settings/users")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = c.get(format!("{base}/orgs/acme/settings/users")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("the owner cannot be disabled"), "{html}");
    // A bad name keeps what was typed and says what is wrong.
    let r = c
        .post(format!("{base}/orgs/acme/settings/users/{bob}/edit"))
        .form(&[("csrf_token", csrf.as_str()), ("name", &"x".repeat(201)), ("return_to", "/orgs/acme/settings/users")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains(&"x".repeat(201)));
    assert!(html.contains("at most 200 characters"));
    // Bulk: the confirm step says how many, and the post does it.
    let html = c
        .get(format!("{base}/orgs/acme/settings/users/bulk?action=disable&status=active"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (_, body) = app.login("owner@acme.test", PASSWORD).await.get("/api/v1/orgs/acme/users?status=active").await;
    let expected = body["total"].as_u64().unwrap() - 1;
    assert!(html.contains(&format!("<strong>{expected}</strong>")), "{html}");
    assert!(html.contains("owner matches too"));
    let r = c
        .post(format!("{base}/orgs/acme/settings/users/bulk"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("action", "disable"),
            ("q", ""),
            ("status", "active"),
            ("return_to", "/orgs/acme/settings/users"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = c.get(format!("{base}/orgs/acme/settings/users")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&format!("{expected} users disabled.")), "{html}");
    // Without the token, nothing changes.
    let r = c
        .post(format!("{base}/orgs/acme/settings/users/{bob}/enable"))
        .form(&[("return_to", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.finish().await;
}

#[tokio::test]
async fn members_without_rights_see_no_actions_and_strangers_see_nothing() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    let viewer = app.create_role(&org, "Directory viewer", &[("members", &["read"])]).await;
    app.add_member_with_roles(&org, "bob@acme.test", &[viewer.as_str()]).await;
    app.create_org("globex", "owner@globex.test").await;
    let (c, _) = sign_in(&app, "bob@acme.test").await;
    let html = c.get(format!("{}/orgs/acme/settings/users", app.base_url)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("bob@acme.test"));
    assert!(!html.contains("data-action="), "no row actions without members:update");
    assert!(!html.contains("id=\"disable-all\""));
    let r = c.get(format!("{}/orgs/globex/settings/users", app.base_url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    app.finish().await;
}
