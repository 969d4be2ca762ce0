//! SCIM 2.0 (issue 12), the read side: the Users list with a filter run in
//! the database, sorting and paging, attribute selection, one User, the
//! discovery endpoints, SCIM errors and media type, and who may call it
//! (a service account's bearer token, within its roles and organization).

use reqwest::StatusCode;
use roster_testkit::{PASSWORD, Session, TestApp, spawn_app, spawn_app_with};
use serde_json::{Value, json};

/// Acme with 3 more members, and a service account of Acme holding `roles`; answers its token.
async fn acme_with_account(roles: &[&str]) -> (TestApp, Session, String) {
    acme_with_account_on(spawn_app().await, roles).await
}

async fn acme_with_account_on(t: TestApp, roles: &[&str]) -> (TestApp, Session, String) {
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
    assert_eq!(spc["patch"]["supported"], true);
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

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A SCIM write with the account's token: status, body (null when empty), Location.
async fn send(
    t: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value, Option<String>) {
    let anon = t.anonymous();
    let mut req = anon.client.request(method, format!("{}{path}", anon.base_url)).bearer_auth(token);
    if let Some(b) = body {
        req = req.header("content-type", "application/scim+json").body(b.to_string());
    }
    let r = anon.raw(req).await;
    let status = r.status();
    let location = r.headers().get("location").map(|v| v.to_str().unwrap().to_string());
    let text = r.text().await.unwrap();
    let v = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() };
    (status, v, location)
}

fn replace(path: &str, value: Value) -> Value {
    json!({"schemas": [PATCH], "Operations": [{"op": "Replace", "path": path, "value": value}]})
}

#[tokio::test]
async fn entra_provisions_renames_disables_deletes_and_provisions_again() {
    use reqwest::Method;
    let (t, owner, token) = acme_with_account(&["admin"]).await;
    let tk = token.as_str();
    // Entra looks the user up first: nobody.
    let (_, none) = scim(&t, Some(tk), &format!("/scim/v2/Users?{}", q(r#"userName eq "dee@acme.test""#))).await;
    assert_eq!(none["totalResults"], 0);
    let new_user = json!({"schemas": [USER], "externalId": "dee", "userName": "dee@acme.test", "active": true,
        "displayName": "Dee Ray", "emails": [{"primary": true, "type": "work", "value": "dee@acme.test"}],
        "name": {"givenName": "Dee", "familyName": "Ray"}, "title": "Engineer"});
    let (status, dee, location) = send(&t, tk, Method::POST, "/scim/v2/Users", Some(new_user.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{dee}");
    let id = dee["id"].as_str().unwrap().to_string();
    assert!(location.unwrap().ends_with(&format!("/scim/v2/Users/{id}")));
    assert_eq!(
        (dee["userName"].as_str(), dee["displayName"].as_str(), dee["active"].as_bool()),
        (Some("dee@acme.test"), Some("Dee Ray"), Some(true))
    );
    // An active member (no invitation), in the directory.
    let (_, member) = owner.get(&format!("/api/v1/orgs/acme/users/{id}")).await;
    assert_eq!(member["status"], "active", "{member}");
    let (status, got) = scim(&t, Some(tk), &format!("/scim/v2/Users/{id}")).await;
    assert_eq!((status, got["displayName"].as_str()), (StatusCode::OK, Some("Dee Ray")));
    // Rename.
    let path = format!("/scim/v2/Users/{id}");
    let (status, renamed, _) =
        send(&t, tk, Method::PATCH, &path, Some(replace("displayName", json!("Dee Raymond")))).await;
    assert_eq!((status, renamed["displayName"].as_str()), (StatusCode::OK, Some("Dee Raymond")), "{renamed}");
    // Disable, as Entra says it: the string "False".
    let (status, off, _) = send(&t, tk, Method::PATCH, &path, Some(replace("active", json!("False")))).await;
    assert_eq!((status, off["active"].as_bool()), (StatusCode::OK, Some(false)), "{off}");
    let (_, member) = owner.get(&format!("/api/v1/orgs/acme/users/{id}")).await;
    assert_eq!(member["status"], "disabled");
    // Again, no path: an object of attributes.
    let back = json!({"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": true}}]});
    let (status, on, _) = send(&t, tk, Method::PATCH, &path, Some(back)).await;
    assert_eq!((status, on["active"].as_bool()), (StatusCode::OK, Some(true)), "{on}");
    // Delete archives.
    let (status, body, _) = send(&t, tk, Method::DELETE, &path, None).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let (_, member) = owner.get(&format!("/api/v1/orgs/acme/users/{id}")).await;
    assert_eq!(member["status"], "archived");
    let (status, _) = scim(&t, Some(tk), &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Provisioned again: restored, 201, the same id.
    let (status, again, _) = send(&t, tk, Method::POST, "/scim/v2/Users", Some(new_user.clone())).await;
    assert_eq!(
        (status, again["id"].as_str(), again["active"].as_bool()),
        (StatusCode::CREATED, Some(id.as_str()), Some(true)),
        "{again}"
    );
    // A retry of the same POST: uniqueness.
    let (status, dup, _) = send(&t, tk, Method::POST, "/scim/v2/Users", Some(new_user)).await;
    assert_eq!(
        (status, dup["status"].as_str(), dup["scimType"].as_str()),
        (StatusCode::CONFLICT, Some("409"), Some("uniqueness")),
        "{dup}"
    );
    // The History shows the account as the actor of each step.
    let (_, history) = owner.get(&format!("/api/v1/orgs/acme/audit?target={id}")).await;
    let items = history["items"].as_array().unwrap();
    let actions: Vec<&str> = items.iter().map(|e| e["action"].as_str().unwrap()).collect();
    for a in
        ["member.added", "member.updated", "member.disabled", "member.enabled", "member.archived", "member.restored"]
    {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    assert!(items.iter().all(|e| e["actor"]["type"] == "service_account"), "{history}");
    t.finish().await;
}

#[tokio::test]
async fn okta_replaces_and_bad_writes_get_scim_errors() {
    use reqwest::Method;
    let (t, owner, token) = acme_with_account(&["admin"]).await;
    let tk = token.as_str();
    let (_, one) = scim(&t, Some(tk), &format!("/scim/v2/Users?{}", q(r#"userName eq "ann@acme.test""#))).await;
    let id = one["Resources"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/scim/v2/Users/{id}");
    let ann_session = t.login("ann@acme.test", PASSWORD).await;
    assert_eq!(ann_session.get("/api/v1/me").await.0, StatusCode::OK);
    // Okta's PUT: the whole User, the address in another case; disabled, her sessions end.
    let put = json!({"schemas": [USER], "id": id, "userName": "Ann@Acme.test", "active": false,
        "name": {"givenName": "Ann", "familyName": "Smythe"}, "emails": [{"value": "ann@acme.test", "primary": true}]});
    let (status, ann, _) = send(&t, tk, Method::PUT, &path, Some(put)).await;
    assert_eq!(status, StatusCode::OK, "{ann}");
    assert_eq!((ann["displayName"].as_str(), ann["active"].as_bool()), (Some("Ann Smythe"), Some(false)));
    assert_eq!(ann_session.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    // The address is not provisioning's to change.
    let put = json!({"schemas": [USER], "userName": "ann@elsewhere.test"});
    let (status, e, _) = send(&t, tk, Method::PUT, &path, Some(put)).await;
    assert_eq!((status, e["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("mutability")), "{e}");
    let (status, e, _) =
        send(&t, tk, Method::PATCH, &path, Some(replace(r#"emails[type eq "work"].value"#, json!("a@b.test")))).await;
    assert_eq!((status, e["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("mutability")), "{e}");
    let (status, _, _) =
        send(&t, tk, Method::PATCH, &path, Some(replace(r#"emails[type eq "work"].value"#, json!("ann@acme.test"))))
            .await;
    assert_eq!(status, StatusCode::OK);
    // Unknown paths, removing active, bad JSON and schemas.
    let (status, e, _) = send(&t, tk, Method::PATCH, &path, Some(replace("shoeSize", json!(9)))).await;
    assert_eq!((status, e["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidPath")), "{e}");
    let remove = json!({"schemas": [PATCH], "Operations": [{"op": "remove", "path": "active"}]});
    let (status, _, _) = send(&t, tk, Method::PATCH, &path, Some(remove)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, e, _) = send(&t, tk, Method::PATCH, &path, Some(json!({"Operations": []}))).await;
    assert_eq!((status, e["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidSyntax")), "{e}");
    let anon = t.anonymous();
    let r = anon.raw(anon.client.post(format!("{}/scim/v2/Users", anon.base_url)).bearer_auth(tk).body("{nope")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["scimType"], "invalidSyntax");
    let (status, e, _) =
        send(&t, tk, Method::POST, "/scim/v2/Users", Some(json!({"schemas": [USER], "displayName": "No Name"}))).await;
    assert_eq!((status, e["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidValue")), "{e}");
    // Unknown ids.
    let ghost = "/scim/v2/Users/01920000-0000-7000-8000-0000000000aa";
    assert_eq!(send(&t, tk, Method::PATCH, ghost, Some(replace("active", json!(true)))).await.0, StatusCode::NOT_FOUND);
    assert_eq!(send(&t, tk, Method::DELETE, ghost, None).await.0, StatusCode::NOT_FOUND);
    // The owner is protected (beyond the account's reach: 403 before the owner's 409).
    let (_, o) = scim(&t, Some(tk), &format!("/scim/v2/Users?{}", q(r#"userName eq "owner@acme.test""#))).await;
    let oid = o["Resources"][0]["id"].as_str().unwrap();
    let (status, _, _) =
        send(&t, tk, Method::PATCH, &format!("/scim/v2/Users/{oid}"), Some(replace("active", json!(false)))).await;
    assert!(status == StatusCode::FORBIDDEN || status == StatusCode::CONFLICT, "{status}");
    assert_eq!(owner.get("/api/v1/me").await.0, StatusCode::OK);
    t.finish().await;
}

#[tokio::test]
async fn an_account_without_members_update_may_not_write() {
    use reqwest::Method;
    let (t, owner, token) = acme_with_account(&["user"]).await;
    let tk = token.as_str();
    let (status, e, _) =
        send(&t, tk, Method::POST, "/scim/v2/Users", Some(json!({"schemas": [USER], "userName": "eve@acme.test"})))
            .await;
    assert_eq!((status, e["status"].as_str()), (StatusCode::FORBIDDEN, Some("403")), "{e}");
    let (_, all) = owner.get("/api/v1/orgs/acme/users?q=ann").await;
    let id = all["items"][0]["id"].as_str().unwrap().to_string();
    let (status, _, _) =
        send(&t, tk, Method::PATCH, &format!("/scim/v2/Users/{id}"), Some(replace("active", json!(false)))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = send(&t, tk, Method::DELETE, &format!("/scim/v2/Users/{id}"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    t.finish().await;
}

#[tokio::test]
async fn the_last_administrator_cannot_be_disabled_or_deleted() {
    use reqwest::Method;
    let t = spawn_app().await;
    let org = t.create_org_with_preset("acme", "owner@acme.test", "owner-admin-user").await;
    let ada = t.add_member_with_roles(&org, "ada@acme.test", &["admin"]).await;
    let owner = t.login("owner@acme.test", PASSWORD).await;
    let (_, a) = owner.post("/api/v1/orgs/acme/service-accounts", json!({"name": "okta", "roles": ["admin"]})).await;
    let (_, tok) = owner
        .post(&format!("/api/v1/orgs/acme/service-accounts/{}/tokens", a["id"].as_str().unwrap()), json!({"name": "s"}))
        .await;
    let tk = tok["token"].as_str().unwrap();
    // Nobody owns Acme any more, and its former owner is a plain user: Ada alone administers it.
    t.make_ownerless(&org).await;
    let (_, o) = scim(&t, Some(tk), &format!("/scim/v2/Users?{}", q(r#"userName eq "owner@acme.test""#))).await;
    let former: roster_domain::UserId = o["Resources"][0]["id"].as_str().unwrap().parse().unwrap();
    t.set_roles(&org, former, &["user"]).await;
    let path = format!("/scim/v2/Users/{ada}");
    let (status, e, _) = send(&t, tk, Method::PATCH, &path, Some(replace("active", json!(false)))).await;
    assert_eq!((status, e["status"].as_str()), (StatusCode::CONFLICT, Some("409")), "{e}");
    let (status, e, _) = send(&t, tk, Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{e}");
    let (_, user) = scim(&t, Some(tk), &path).await;
    assert_eq!(user["active"], true);
    t.finish().await;
}

#[tokio::test]
async fn delete_disables_where_the_deployment_says_so() {
    use reqwest::Method;
    let t = spawn_app_with(|c| c.scim_delete = roster_app::scim::ScimDelete::Disable).await;
    let (t, owner, token) = acme_with_account_on(t, &["admin"]).await;
    let (_, one) = scim(&t, Some(&token), &format!("/scim/v2/Users?{}", q(r#"userName eq "bob@acme.test""#))).await;
    let id = one["Resources"][0]["id"].as_str().unwrap().to_string();
    let (status, _, _) = send(&t, &token, Method::DELETE, &format!("/scim/v2/Users/{id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, member) = owner.get(&format!("/api/v1/orgs/acme/users/{id}")).await;
    assert_eq!(member["status"], "disabled");
    let (status, _, _) = send(&t, &token, Method::DELETE, &format!("/scim/v2/Users/{id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "deleting again changes nothing");
    t.finish().await;
}
