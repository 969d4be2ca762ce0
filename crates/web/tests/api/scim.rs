//! SCIM 2.0 (issue 12), the read side: the Users list with a filter run in
//! the database, sorting and paging, attribute selection, one User, the
//! discovery endpoints, SCIM errors and media type, and who may call it
//! (a service account's bearer token, within its roles and organization).

use reqwest::StatusCode;
use roster_testkit::{PASSWORD, Session, TestApp, spawn_app};
use serde_json::{Value, json};

/// Acme with 3 more members, and a service account of Acme holding `roles`; answers its token.
async fn acme_with_account(roles: &[&str]) -> (TestApp, Session, String) {
    let t = spawn_app().await;
    let org = t.create_org_with_preset("acme", "owner@acme.test", "owner-admin-user").await;
    for (email, name) in [("ann@acme.test", "Ann Smith"), ("bob@acme.test", "Bob Jones"), ("cy@other.test", "Cy Young")]
    {
        t.add_member(&org, email, name).await;
    }
    let owner = t.login("owner@acme.test", PASSWORD).await;
    let (status, a) = owner.post("/api/v1/orgs/acme/service-accounts", json!({"name": "entra", "roles": roles})).await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let id = a["id"].as_str().unwrap();
    let (status, tok) =
        owner.post(&format!("/api/v1/orgs/acme/service-accounts/{id}/tokens"), json!({"name": "scim"})).await;
    assert_eq!(status, StatusCode::CREATED, "{tok}");
    (t, owner, tok["token"].as_str().unwrap().to_string())
}

async fn scim(t: &TestApp, token: Option<&str>, path_and_query: &str) -> (StatusCode, Value) {
    let anon = t.anonymous();
    let mut req = anon.client.get(format!("{}{path_and_query}", anon.base_url));
    if let Some(tk) = token {
        req = req.bearer_auth(tk);
    }
    let r = anon.raw(req).await;
    let status = r.status();
    let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    assert!(ct.starts_with("application/scim+json"), "{path_and_query}: content type {ct}");
    (status, r.json().await.unwrap())
}

fn q(filter: &str) -> String {
    serde_urlencoded::to_string([("filter", filter)]).unwrap()
}

#[tokio::test]
async fn users_are_listed_filtered_sorted_and_paged_in_the_database() {
    let (t, _owner, token) = acme_with_account(&["admin"]).await;
    let tk = Some(token.as_str());
    let (status, all) = scim(&t, tk, "/scim/v2/Users?sortBy=userName").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"]));
    assert_eq!(all["totalResults"], 4);
    let names: Vec<&str> =
        all["Resources"].as_array().unwrap().iter().map(|u| u["userName"].as_str().unwrap()).collect();
    assert_eq!(names, ["ann@acme.test", "bob@acme.test", "cy@other.test", "owner@acme.test"]);
    // Entra's first step: the lookup by userName, whatever its case.
    let (_, one) = scim(&t, tk, &format!("/scim/v2/Users?{}", q(r#"userName eq "Ann@Acme.test""#))).await;
    assert_eq!(one["totalResults"], 1, "{one}");
    let ann = &one["Resources"][0];
    assert_eq!(ann["displayName"], "Ann Smith");
    assert_eq!(ann["emails"], json!([{"value": "ann@acme.test", "type": "work", "primary": true}]));
    assert_eq!(ann["active"], true);
    assert_eq!(ann["meta"]["resourceType"], "User");
    // A value path, and/or/not.
    let f = r#"emails[type eq "work" and value ew "@acme.test"] and not (displayName sw "Owner")"#;
    let (_, acme) = scim(&t, tk, &format!("/scim/v2/Users?{}&sortBy=displayName&sortOrder=descending", q(f))).await;
    let names: Vec<&str> =
        acme["Resources"].as_array().unwrap().iter().map(|u| u["displayName"].as_str().unwrap()).collect();
    assert_eq!(names, ["Bob Jones", "Ann Smith"], "{acme}");
    // Paging: 1-based startIndex, count.
    let (_, page) = scim(&t, tk, "/scim/v2/Users?sortBy=userName&startIndex=2&count=2").await;
    assert_eq!(
        (page["totalResults"].as_u64(), page["startIndex"].as_u64(), page["itemsPerPage"].as_u64()),
        (Some(4), Some(2), Some(2))
    );
    assert_eq!(page["Resources"][0]["userName"], "bob@acme.test");
    // Attribute selection keeps id and schemas.
    let (_, thin) =
        scim(&t, tk, &format!("/scim/v2/Users?{}&attributes=userName", q(r#"userName eq "bob@acme.test""#))).await;
    let keys: Vec<&String> = thin["Resources"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "schemas", "userName"]);
    let (_, without) = scim(&t, tk, "/scim/v2/Users?excludedAttributes=emails,meta&count=1").await;
    assert!(without["Resources"][0].get("emails").is_none() && without["Resources"][0].get("meta").is_none());
    // One User by id.
    let id = ann["id"].as_str().unwrap();
    let (status, got) = scim(&t, tk, &format!("/scim/v2/Users/{id}")).await;
    assert_eq!((status, got["userName"].as_str()), (StatusCode::OK, Some("ann@acme.test")));
    t.finish().await;
}

#[tokio::test]
async fn bad_filters_and_callers_get_scim_errors() {
    let (t, owner, token) = acme_with_account(&["admin"]).await;
    let tk = Some(token.as_str());
    for bad in [r#"userName eq"#, r#"nickName eq "x""#, r#"userName xx "a""#, "((((userName pr"] {
        let (status, e) = scim(&t, tk, &format!("/scim/v2/Users?{}", q(bad))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {e}");
        assert_eq!(e["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:Error"]));
        assert_eq!((e["status"].as_str(), e["scimType"].as_str()), (Some("400"), Some("invalidFilter")), "{e}");
        assert!(!e["detail"].as_str().unwrap().is_empty());
    }
    let (status, e) = scim(&t, tk, "/scim/v2/Users?sortOrder=sideways").await;
    assert_eq!((status, e["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidValue")));
    // No token, a malformed one, a session: 401 in SCIM's shape.
    let (status, e) = scim(&t, None, "/scim/v2/Users").await;
    assert_eq!((status, e["status"].as_str()), (StatusCode::UNAUTHORIZED, Some("401")));
    let (status, _) = scim(&t, Some("roster_nope"), "/scim/v2/Users").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let r = owner.raw(owner.client.get(format!("{}/scim/v2/Users", owner.base_url))).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // A member's personal token is not a provisioning client.
    let (_, mine) = owner.post("/api/v1/me/tokens", json!({"name": "mine"})).await;
    let (status, _) = scim(&t, mine["token"].as_str(), "/scim/v2/Users").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Another organization's user is not found.
    let globex = t.create_org("globex", "owner@globex.test").await;
    let stranger = t.add_member(&globex, "zed@globex.test", "Zed").await;
    let (status, e) = scim(&t, tk, &format!("/scim/v2/Users/{stranger}")).await;
    assert_eq!((status, e["status"].as_str()), (StatusCode::NOT_FOUND, Some("404")));
    let (_, none) = scim(&t, tk, &format!("/scim/v2/Users?{}", q(r#"userName eq "zed@globex.test""#))).await;
    assert_eq!(none["totalResults"], 0);
    t.finish().await;
}

#[tokio::test]
async fn the_accounts_roles_decide_and_discovery_says_what_is_supported() {
    let (t, _owner, token) = acme_with_account(&["user"]).await;
    let tk = Some(token.as_str());
    let (status, e) = scim(&t, tk, "/scim/v2/Users").await;
    assert_eq!((status, e["status"].as_str()), (StatusCode::FORBIDDEN, Some("403")), "{e}");
    let (status, spc) = scim(&t, tk, "/scim/v2/ServiceProviderConfig").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(spc["filter"], json!({"supported": true, "maxResults": 1000}));
    assert_eq!(spc["patch"]["supported"], false);
    assert_eq!(spc["authenticationSchemes"][0]["type"], "oauthbearertoken");
    let (_, types) = scim(&t, tk, "/scim/v2/ResourceTypes").await;
    assert_eq!(types["Resources"][0]["endpoint"], "/Users");
    let (_, schemas) = scim(&t, tk, "/scim/v2/Schemas").await;
    let attrs: Vec<&str> =
        schemas["Resources"][0]["attributes"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(attrs, ["userName", "displayName", "name", "emails", "active"]);
    t.finish().await;
}

#[tokio::test]
async fn turning_scim_on_makes_the_provisioning_account_once_and_its_token_works() {
    let t = spawn_app().await;
    let org = t.create_org_with_preset("acme", "owner@acme.test", "owner-admin-user").await;
    t.add_member(&org, "ann@acme.test", "Ann Smith").await;
    let owner = t.login("owner@acme.test", PASSWORD).await;
    let (status, first) = owner.post("/api/v1/orgs/acme/scim/token", json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert!(first["scim_base_url"].as_str().unwrap().ends_with("/scim/v2"));
    let (_, users) = scim(&t, first["token"].as_str(), "/scim/v2/Users").await;
    assert_eq!(users["totalResults"], 2, "{users}");
    let (status, second) = owner.post("/api/v1/orgs/acme/scim/token", json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(first["account"], second["account"]);
    let (_, accounts) = owner.get("/api/v1/orgs/acme/service-accounts").await;
    assert_eq!(accounts["items"].as_array().unwrap().len(), 1);
    assert_eq!(accounts["items"][0]["scim"], true);
    assert_eq!(accounts["items"][0]["name"], "scim-provisioning");
    // The tab offers it, and its form shows the token once.
    let (status, html) =
        roster_testkit::page(&owner.client, format!("{}/orgs/acme/settings/service-accounts", owner.base_url)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"provisioning\"") && html.contains("/scim/v2"), "{html}");
    let r = roster_testkit::post_form(
        &owner.client,
        format!("{}/orgs/acme/settings/service-accounts/scim-token", owner.base_url),
        &[("csrf_token", &owner.csrf)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let page = r.text().await.unwrap();
    assert!(page.contains("roster_") && page.contains("SCIM token made"), "{page}");
    // A plain user may not.
    t.add_member_with_roles(&org, "bo@acme.test", &["user"]).await;
    let bo = t.login("bo@acme.test", PASSWORD).await;
    let (status, _) = bo.post("/api/v1/orgs/acme/scim/token", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    t.finish().await;
}
