//! The rules the pages render come from `app`, and the API keeps them: the
//! bulk preview counts exactly what the bulk change does, and nobody
//! disables or archives themselves.

use reqwest::StatusCode;
use roster_testkit::{PASSWORD, spawn_app};
use serde_json::json;

#[tokio::test]
async fn nobody_disables_or_archives_themselves() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    let admin = app.add_member_with_roles(&org, "admin@acme.test", &["account_owner"]).await;
    let a = app.login("admin@acme.test", PASSWORD).await;
    for action in ["disable", "archive"] {
        let (status, body) = a.post(&format!("/api/v1/orgs/acme/users/{admin}/{action}"), json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{action}: {body}");
        assert_eq!(body["type"], "/problems/self-change", "{body}");
        assert!(body["detail"].as_str().unwrap().contains("yourself"), "{body}");
    }
    let (_, me) = a.get(&format!("/api/v1/orgs/acme/users/{admin}")).await;
    assert_eq!(me["status"], "active");
    // The page offers on your own row only what you may do: no Disable, no Archive.
    let (c, _) = app.sign_in_form("admin@acme.test").await;
    let html = c.get(format!("{}/orgs/acme/settings/users", app.base_url)).send().await.unwrap().text().await.unwrap();
    let own_row = row_of(&html, "admin@acme.test");
    assert!(own_row.contains("btn-edit"), "{own_row}");
    assert!(!own_row.contains("data-action=\"disable\"") && !own_row.contains("data-action=\"archive\""), "{own_row}");
    // The owner's row offers neither, to anyone.
    let owner_row = row_of(&html, "owner@acme.test");
    assert!(!owner_row.contains("data-action=\"disable\""), "{owner_row}");
    app.finish().await;
}

/// The `<tr>` of one member in the Users page.
fn row_of<'a>(html: &'a str, email: &str) -> &'a str {
    let start = html.find(&format!("<tr data-email=\"{email}\"")).unwrap_or_else(|| panic!("no row for {email}"));
    let end = html[start..].find("</tr>").unwrap() + start;
    &html[start..end]
}

#[tokio::test]
async fn bulk_preview_counts_what_the_change_does_for_an_admin_who_is_not_the_owner() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    app.seed(&org, 40).await;
    // A Billing Manager manages users but holds less than an Account Owner.
    app.add_member_with_roles(&org, "bm@acme.test", &["billing_manager"]).await;
    app.add_member_with_roles(&org, "ao1@acme.test", &["account_owner"]).await;
    app.add_member_with_roles(&org, "ao2@acme.test", &["account_owner"]).await;
    let b = app.login("bm@acme.test", PASSWORD).await;
    let filter = json!({"status": ["active"]});
    let (status, preview) =
        b.post("/api/v1/orgs/acme/users/bulk", json!({"action": "disable", "filter": filter, "dry_run": true})).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    // The confirm page says the same number, and why the others stay.
    let (c, _) = app.sign_in_form("bm@acme.test").await;
    let page = c
        .get(format!("{}/orgs/acme/settings/users/bulk?action=disable&status=active", app.base_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let will = preview["changed"].as_u64().unwrap();
    assert!(page.contains(&format!("<strong>{will}</strong>")), "{page}");
    assert!(page.contains("owner matches too"), "{page}");
    assert!(page.contains("You match too"), "{page}");
    assert!(page.contains("2 users hold permissions you do not"), "{page}");
    let (status, done) = b.post("/api/v1/orgs/acme/users/bulk", json!({"action": "disable", "filter": filter})).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["changed"], preview["changed"], "preview {preview} vs change {done}");
    assert_eq!(done["skipped"], preview["skipped"], "preview {preview} vs change {done}");
    // Skipped: the owner, the two Account Owners and the Billing Manager themselves.
    assert_eq!(done["skipped"], 4, "{done}");
    let (_, left) = b.get("/api/v1/orgs/acme/users?status=active").await;
    assert_eq!(left["total"], 4, "exactly the skipped members stay active: {left}");
    app.finish().await;
}
