//! A partner member's edit form without JavaScript (issue 14): the "Where
//! the roles apply" section lists each assignment, and its form moves a
//! role into a group's customers while keeping it in the partner.

use reqwest::StatusCode;
use roster_domain::partners::Scope;
use roster_testkit::{PASSWORD, TestApp, client, page, post_form, spawn_app};

/// Signs in through the sign-in form, as a browser without JavaScript
/// would (the testkit's `sign_in_form` reads its token from `acme`).
async fn sign_in_form(app: &TestApp, email: &str) -> reqwest::Client {
    let c = client();
    let r =
        post_form(&c, format!("{}/login", app.base_url), &[("email", email), ("password", PASSWORD), ("next", "/")])
            .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in as {email}");
    c
}

/// The CSRF token a page's forms carry.
fn csrf_of(html: &str) -> String {
    let t = html.split("name=\"csrf_token\" value=\"").nth(1).and_then(|s| s.split('"').next());
    t.expect("the page carries a CSRF token").to_string()
}

#[tokio::test]
async fn the_edit_form_of_a_partner_member_chooses_the_groups_a_role_applies_in() {
    let app = spawn_app().await;
    let org = app.create_org_with_preset("brk", "owner@brk.test", "broker").await;
    let operator = roster_app::access::open_org(&app.app, &roster_app::Actor::Cli, "brk").await.unwrap();
    let meta = roster_app::RequestMeta::default();
    let group = roster_app::partners::groups::create(&app.app, &operator, "North", &meta).await.unwrap();
    let kam = app.add_member_with_roles(&org, "kam@brk.test", &["key_account_manager"]).await;
    let role = operator.policy.find_role("key_account_manager").expect("the broker preset's role").id.to_string();
    let owner = sign_in_form(&app, "owner@brk.test").await;

    let edit = format!("{}/orgs/brk/settings/users/{kam}/edit", app.base_url);
    let (s, html) = page(&owner, edit.clone()).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    let csrf = csrf_of(&html);
    assert!(html.contains("id=\"member-scopes\""), "the section is shown in a partner: {html}");
    assert!(html.contains("Where the roles apply"));
    assert!(html.contains("The partner"), "the partner assignment is listed");
    assert!(html.contains(&format!("name=\"groups.{role}\" value=\"{}\"", group.id)), "the group is offered");

    let partner_field = format!("partner.{role}");
    let scope_field = format!("scope.{role}");
    let groups_field = format!("groups.{role}");
    let group_id = group.id.to_string();
    let r = post_form(
        &owner,
        format!("{}/orgs/brk/settings/users/{kam}/scopes", app.base_url),
        &[
            ("csrf_token", csrf.as_str()),
            ("return_to", "/orgs/brk/settings/users"),
            ("role", role.as_str()),
            (partner_field.as_str(), "1"),
            (scope_field.as_str(), "groups"),
            (groups_field.as_str(), group_id.as_str()),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap_or_default());
    let to = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(to.starts_with(&format!("/orgs/brk/settings/users/{kam}/edit")), "back to the edit form: {to}");

    let reopened = roster_app::access::open_org(&app.app, &roster_app::Actor::Cli, "brk").await.unwrap();
    let now = roster_app::partners::scopes::of_member(&app.app, &reopened, kam).await.unwrap();
    let got: Vec<(String, Scope)> = now.into_iter().map(|a| (a.role.key.clone(), a.scope)).collect();
    assert_eq!(
        got,
        vec![
            ("key_account_manager".to_string(), Scope::Partner),
            ("key_account_manager".to_string(), Scope::Groups(vec![group.id])),
        ],
        "the partner scope is kept and the group added"
    );

    let (_, html) = page(&owner, edit).await;
    assert!(html.contains("Saved where the roles apply."), "the flash after the redirect");
    assert!(html.contains("Groups: North"), "the group assignment is listed: {html}");
    app.finish().await;
}
