//! Dormant members: the Users list filters by last activity
//! (`inactive_days=N` counts back from now and leaves out members who joined
//! since; `never_active=true` is the members who never signed in), and the
//! bulk action works on that filter, in the API and on the Users tab, so
//! "disable everyone inactive for 90 days" is one confirmed step.

use reqwest::StatusCode;
use roster_testkit::{PASSWORD, page, post_form, spawn_app};
use serde_json::{Value, json};

const DAY: i64 = 86_400_000;

fn emails(list: &Value) -> Vec<String> {
    let mut out: Vec<String> =
        list["items"].as_array().unwrap().iter().map(|i| i["email"].as_str().unwrap().to_string()).collect();
    out.sort();
    out
}

#[tokio::test]
async fn the_list_and_the_bulk_action_find_dormant_members() {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    // Day 0: Ann signs in; Cal is added and never signs in.
    app.add_member(&acme, "ann@acme.test", "Ann Lee").await;
    app.add_member(&acme, "cal@acme.test", "Cal Moss").await;
    app.login("ann@acme.test", PASSWORD).await;
    // Day 80: Bob (added on day 0) signs in. Day 95: Dan joins, never signs in.
    app.add_member(&acme, "bob@acme.test", "Bob Ray").await;
    app.advance(80 * DAY);
    app.login("bob@acme.test", PASSWORD).await;
    app.advance(15 * DAY);
    app.add_member(&acme, "dan@acme.test", "Dan Orr").await;
    // Day 100: the owner looks.
    app.advance(5 * DAY);
    let owner = app.login("owner@acme.test", PASSWORD).await;

    let (status, list) = owner.get("/api/v1/orgs/acme/users?inactive_days=90").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(
        emails(&list),
        ["ann@acme.test", "cal@acme.test"],
        "inactive 90 days: not Bob (day 80), not Dan (joined day 95)"
    );
    assert_eq!(list["total"], 2);
    let (_, list) = owner.get("/api/v1/orgs/acme/users?inactive_days=10").await;
    assert_eq!(emails(&list), ["ann@acme.test", "bob@acme.test", "cal@acme.test"], "{list}");
    let (_, list) = owner.get("/api/v1/orgs/acme/users?never_active=true").await;
    assert_eq!(emails(&list), ["cal@acme.test", "dan@acme.test"], "{list}");
    let (_, list) = owner.get("/api/v1/orgs/acme/users?never_active=true&q=dan").await;
    assert_eq!(emails(&list), ["dan@acme.test"], "combined with a search: {list}");

    // Bad values name the parameter.
    for (q, field) in [
        ("inactive_days=0", "inactive_days"),
        ("inactive_days=soon", "inactive_days"),
        ("inactive_days=3651", "inactive_days"),
        ("never_active=maybe", "never_active"),
        ("inactive_days=30&never_active=true", "never_active"),
    ] {
        let (status, problem) = owner.get(&format!("/api/v1/orgs/acme/users?{q}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{q}: {problem}");
    }

    // "Disable everyone inactive for 90 days": the preview, then the change.
    let filter = json!({"inactive_days": 90});
    let (status, preview) = owner
        .post("/api/v1/orgs/acme/users/bulk", json!({"action": "disable", "filter": filter, "dry_run": true}))
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["changed"], 2, "{preview}");
    let (status, done) =
        owner.post("/api/v1/orgs/acme/users/bulk", json!({"action": "disable", "filter": filter})).await;
    assert_eq!((status, done["changed"].clone()), (StatusCode::OK, json!(2)), "{done}");
    let (_, disabled) = owner.get("/api/v1/orgs/acme/users?status=disabled").await;
    assert_eq!(emails(&disabled), ["ann@acme.test", "cal@acme.test"], "{disabled}");
    let (status, problem) = owner
        .post(
            "/api/v1/orgs/acme/users/bulk",
            json!({"action": "disable", "filter": {"inactive_days": 0}, "dry_run": true}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    app.finish().await;
}

#[tokio::test]
async fn the_users_tab_filters_by_activity_and_disables_the_dormant_in_one_confirmed_step() {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    app.add_member(&acme, "ann@acme.test", "Ann Lee").await;
    app.add_member(&acme, "cal@acme.test", "Cal Moss").await;
    app.login("ann@acme.test", PASSWORD).await;
    app.advance(100 * DAY);
    app.add_member(&acme, "bob@acme.test", "Bob Ray").await;
    app.login("bob@acme.test", PASSWORD).await;
    let base = format!("{}/orgs/acme/settings/users", app.base_url);
    let (c, csrf) = app.sign_in_form("owner@acme.test").await;

    let (status, html) = page(&c, format!("{base}?activity=90")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("ann@acme.test") && html.contains("cal@acme.test"), "{html}");
    assert!(!html.contains("bob@acme.test"), "Bob was active today");
    assert!(
        html.contains(r#"<option value="90" selected>Inactive for 90+ days</option>"#),
        "the select keeps the choice"
    );
    assert!(html.contains("inactive_days=90"), "the bulk links carry the filter: {html}");
    let (_, html) = page(&c, format!("{base}?activity=never")).await;
    assert!(html.contains("cal@acme.test") && !html.contains("ann@acme.test"), "{html}");

    // The confirm step counts the dormant members and names the filter.
    let (status, confirm) = page(&c, format!("{base}/bulk?action=disable&status=active&inactive_days=90")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("<strong>2</strong>"), "{confirm}");
    assert!(confirm.contains("inactive for 90 days or more"), "{confirm}");
    assert!(confirm.contains(r#"name="activity" value="90""#), "{confirm}");
    let r = post_form(
        &c,
        format!("{base}/bulk"),
        &[
            ("csrf_token", csrf.as_str()),
            ("action", "disable"),
            ("status", "active"),
            ("activity", "90"),
            ("return_to", "/orgs/acme/settings/users"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let owner = app.login("owner@acme.test", PASSWORD).await;
    let (_, disabled) = owner.get("/api/v1/orgs/acme/users?status=disabled").await;
    assert_eq!(emails(&disabled), ["ann@acme.test", "cal@acme.test"], "{disabled}");
    app.finish().await;
}
