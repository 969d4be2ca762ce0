//! The Provisioning card's SCIM groups, without JavaScript: "Group to
//! role" (a binding added through the form, listed, refused again with the
//! reason in the flash, removed with its button), the groups pushed with
//! their role, and a member without `service_accounts:update` offered no
//! form.

use reqwest::StatusCode;
use roster_testkit::{PASSWORD, page, post_form, spawn_app};
use serde_json::json;

const TAB: &str = "/orgs/acme/settings/service-accounts";

fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_group_binding_is_added_and_removed_through_the_provisioning_card() {
    let app = spawn_app().await;
    let org = app.create_org_with_preset("acme", "owner@acme.test", "owner-admin-user").await;
    let (owner, csrf) = app.sign_in_form("owner@acme.test").await;
    let base = app.base_url.clone();
    let (status, tab) = page(&owner, format!("{base}{TAB}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(tab.contains("Group to role") && tab.contains("id=\"no-group-mappings\""), "{tab}");
    assert!(tab.contains("id=\"group-mapping-form\"") && tab.contains("id=\"no-scim-groups\""));
    let form = tab.split("id=\"group-role\"").nth(1).unwrap().split("</select>").next().unwrap();
    assert!(form.contains("<option value=\"admin\">Admin</option>"), "{form}");
    assert!(!form.contains("value=\"owner\""), "the owner's role is not offered");

    let add = |name: &'static str| {
        let (owner, csrf, base) = (owner.clone(), csrf.clone(), base.clone());
        async move {
            post_form(
                &owner,
                format!("{base}/orgs/acme/settings/scim-group-mappings"),
                &[("csrf_token", &csrf), ("display_name", name), ("role", "admin")],
            )
            .await
        }
    };
    let r = add("Engineering Admins").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("{TAB}#provisioning"));
    let (_, tab) = page(&owner, format!("{base}{TAB}")).await;
    assert!(tab.contains("flash-ok") || tab.contains("now get the role Admin"), "the flash");
    let row = tab.split("data-name=\"Engineering Admins\"").nth(1).expect("listed").split("</tr>").next().unwrap();
    assert!(row.contains("<span class=\"role\">Admin</span>"), "{row}");
    let id = tab.split("data-mapping=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    // The same name again: refused, said in the flash, still one binding.
    let r = add("engineering admins").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, tab) = page(&owner, format!("{base}{TAB}")).await;
    assert!(tab.contains("flash-error") && tab.contains("bound to"), "refused with the reason");
    assert_eq!(tab.matches("data-mapping=").count(), 1);

    // A group pushed under that name is listed with its role.
    let s = app.login("owner@acme.test", PASSWORD).await;
    let (_, tok) = s.post("/api/v1/orgs/acme/scim/token", json!({})).await;
    let anon = app.anonymous();
    let req = anon
        .client
        .post(format!("{base}/scim/v2/Groups"))
        .bearer_auth(tok["token"].as_str().unwrap())
        .header("content-type", "application/scim+json")
        .body(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Engineering Admins"})
                .to_string(),
        );
    assert_eq!(anon.raw(req).await.status(), StatusCode::CREATED);
    let (_, tab) = page(&owner, format!("{base}{TAB}")).await;
    let row =
        tab.split("data-group=\"Engineering Admins\"").nth(1).expect("the group listed").split("</tr>").next().unwrap();
    assert!(row.contains("<span class=\"role\">Admin</span>") && row.contains("Bound"), "{row}");

    // Remove it with its button.
    let r = post_form(
        &owner,
        format!("{base}/orgs/acme/settings/scim-group-mappings/{id}/remove"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, tab) = page(&owner, format!("{base}{TAB}")).await;
    assert!(tab.contains("id=\"no-group-mappings\""), "removed");
    assert!(tab.contains("data-group=\"Engineering Admins\""), "the group stays bound");

    // A member who may only read the tab gets no form.
    let reader = app.create_role(&org, "SA Reader", &[("service_accounts", &["read"])]).await;
    app.set_roles(&org, app.add_member(&org, "sam@acme.test", "Sam").await, &[reader.as_str()]).await;
    let (sam, sam_csrf) = app.sign_in_form("sam@acme.test").await;
    let (status, tab) = page(&sam, format!("{base}{TAB}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!tab.contains("id=\"group-mapping-form\""), "no form without service_accounts:update");
    let r = post_form(
        &sam,
        format!("{base}/orgs/acme/settings/scim-group-mappings"),
        &[("csrf_token", &sam_csrf), ("display_name", "X"), ("role", "user")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, tab) = page(&sam, format!("{base}{TAB}")).await;
    assert!(tab.contains("flash-error") && tab.contains("id=\"no-group-mappings\""), "refused");
    app.finish().await;
}
