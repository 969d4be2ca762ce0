//! SCIM 2.0 (issue 12): the Users list with a filter run in the database,
//! sorting and paging, attribute selection, one User, the discovery
//! endpoints, SCIM errors and media type, and who may call it (a service
//! account's bearer token, within its roles and organization); the writes,
//! `externalId` and the enterprise extension, POST's idempotence, the work
//! address, `meta.lastModified`, ETags, and a replay of Entra ID's
//! documented provisioning requests.

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
    assert_eq!(spc["etag"]["supported"], true);
    assert_eq!(spc["authenticationSchemes"][0]["type"], "oauthbearertoken");
    let (_, types) = scim(&t, tk, "/scim/v2/ResourceTypes").await;
    assert_eq!(types["Resources"][0]["endpoint"], "/Users");
    assert_eq!(types["Resources"][0]["schemaExtensions"][0]["schema"], ENTERPRISE);
    let (_, schemas) = scim(&t, tk, "/scim/v2/Schemas").await;
    let attrs: Vec<&str> =
        schemas["Resources"][0]["attributes"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(attrs, ["userName", "externalId", "displayName", "name", "emails", "active"]);
    // The extension ResourceTypes announces is described too.
    assert_eq!(schemas["totalResults"], 3);
    assert_eq!(schemas["Resources"][2]["id"], ENTERPRISE);
    let ext: Vec<&str> =
        schemas["Resources"][2]["attributes"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(ext, ["employeeNumber", "department", "manager"]);
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
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

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
    // Another work address is the work address; the sign-in address stays.
    let (status, e, _) =
        send(&t, tk, Method::PATCH, &path, Some(replace(r#"emails[type eq "work"].value"#, json!("a@b.test")))).await;
    assert_eq!(
        (status, e["userName"].as_str(), e["emails"][1]["value"].as_str()),
        (StatusCode::OK, Some("ann@acme.test"), Some("a@b.test")),
        "{e}"
    );
    let (status, e, _) =
        send(&t, tk, Method::PATCH, &path, Some(replace(r#"emails[type eq "work"].value"#, json!("ann@acme.test"))))
            .await;
    assert_eq!((status, e["emails"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{e}");
    let (status, e, _) =
        send(&t, tk, Method::PATCH, &path, Some(replace(r#"emails[type eq "work"].value"#, json!("not an address"))))
            .await;
    assert_eq!((status, e["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidValue")), "{e}");
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

/// A SCIM request with the account's token and extra headers: status, body
/// (null when empty), headers.
async fn exchange(
    t: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let anon = t.anonymous();
    let mut req = anon.client.request(method, format!("{}{path}", anon.base_url)).bearer_auth(token);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.header("content-type", "application/scim+json").body(b.to_string());
    }
    let r = anon.raw(req).await;
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    let v = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() };
    (status, v, headers)
}

/// The id of the User with this userName.
async fn id_of(t: &TestApp, token: &str, user_name: &str) -> String {
    let (_, one) =
        scim(t, Some(token), &format!("/scim/v2/Users?{}", q(&format!("userName eq \"{user_name}\"")))).await;
    one["Resources"][0]["id"].as_str().unwrap_or_else(|| panic!("{user_name}: {one}")).to_string()
}

/// How many Users a filter finds.
async fn found(t: &TestApp, token: &str, filter: &str) -> u64 {
    let (status, list) = scim(t, Some(token), &format!("/scim/v2/Users?{}", q(filter))).await;
    assert_eq!(status, StatusCode::OK, "{filter}: {list}");
    list["totalResults"].as_u64().unwrap()
}

fn etag(h: &reqwest::header::HeaderMap) -> String {
    h.get("etag").expect("an ETag header").to_str().unwrap().to_string()
}

#[tokio::test]
async fn external_id_and_the_enterprise_extension_are_stored_filtered_patched_and_replaced() {
    use reqwest::Method;
    let (t, owner, token) = acme_with_account(&["admin"]).await;
    let tk = token.as_str();
    let bob = id_of(&t, tk, "bob@acme.test").await;
    let ann = id_of(&t, tk, "ann@acme.test").await;
    let new_user = json!({"schemas": [USER, ENTERPRISE], "externalId": "EVE-1", "userName": "eve@acme.test",
        "name": {"givenName": "Eve", "familyName": "Adams"},
        "emails": [{"value": "eve.adams@corp.test", "type": "work", "primary": true}],
        ENTERPRISE: {"employeeNumber": "701984", "department": "Sales", "manager": {"value": bob}}});
    let (status, eve, headers) = exchange(&t, tk, Method::POST, "/scim/v2/Users", Some(new_user), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{eve}");
    assert_eq!(eve["schemas"], json!([USER, ENTERPRISE]));
    assert_eq!(eve["externalId"], "EVE-1");
    assert_eq!(
        eve["emails"],
        json!([{"value": "eve@acme.test", "type": "work", "primary": true},
            {"value": "eve.adams@corp.test", "type": "work", "primary": false}])
    );
    let ext = &eve[ENTERPRISE];
    assert_eq!((ext["employeeNumber"].as_str(), ext["department"].as_str()), (Some("701984"), Some("Sales")), "{eve}");
    assert_eq!(
        (ext["manager"]["value"].as_str(), ext["manager"]["displayName"].as_str()),
        (Some(bob.as_str()), Some("Bob Jones"))
    );
    assert!(ext["manager"]["$ref"].as_str().unwrap().ends_with(&format!("/scim/v2/Users/{bob}")));
    assert_eq!(etag(&headers), eve["meta"]["version"].as_str().unwrap());
    let id = eve["id"].as_str().unwrap().to_string();
    let path = format!("/scim/v2/Users/{id}");
    // Read back as written.
    let (status, got, headers) = exchange(&t, tk, Method::GET, &path, None, &[]).await;
    assert_eq!((status, &got), (StatusCode::OK, &eve));
    assert_eq!(etag(&headers), eve["meta"]["version"].as_str().unwrap());
    // Filters in the database: externalId is case-exact, the enterprise attributes are not.
    assert_eq!(found(&t, tk, r#"externalId eq "EVE-1""#).await, 1);
    assert_eq!(found(&t, tk, r#"externalId eq "eve-1""#).await, 0);
    assert_eq!(found(&t, tk, r#"externalId sw "EVE" and externalId ew "-1" and externalId co "E-""#).await, 1);
    assert_eq!(found(&t, tk, "externalId pr").await, 1);
    assert_eq!(found(&t, tk, r#"not (externalId eq "EVE-1")"#).await, 4);
    assert_eq!(found(&t, tk, &format!(r#"{ENTERPRISE}:department eq "SALES""#)).await, 1);
    assert_eq!(found(&t, tk, &format!(r#"{ENTERPRISE}:employeeNumber sw "70""#)).await, 1);
    let (_, sorted) = scim(&t, Some(tk), "/scim/v2/Users?sortBy=externalId&sortOrder=descending").await;
    assert_eq!(sorted["Resources"][0]["id"], id.as_str(), "{sorted}");
    // PATCH with paths, as Entra sends them: the manager as an id, a department, a removal.
    let ops = json!({"schemas": [PATCH], "Operations": [
        {"op": "Replace", "path": format!("{ENTERPRISE}:department"), "value": "R&D"},
        {"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": ann},
        {"op": "Remove", "path": format!("{ENTERPRISE}:employeeNumber")}]});
    let (status, eve, _) = exchange(&t, tk, Method::PATCH, &path, Some(ops), &[]).await;
    assert_eq!(status, StatusCode::OK, "{eve}");
    assert_eq!(
        eve[ENTERPRISE],
        json!({"department": "R&D", "manager": {"value": ann, "displayName": "Ann Smith",
            "$ref": eve[ENTERPRISE]["manager"]["$ref"]}})
    );
    // Without a path: an object of attributes, the extension's by its URN.
    let ops = json!({"schemas": [PATCH], "Operations": [{"op": "replace",
        "value": {"externalId": "EVE-2", format!("{ENTERPRISE}:department"): "Ops"}}]});
    let (status, eve, _) = exchange(&t, tk, Method::PATCH, &path, Some(ops), &[]).await;
    assert_eq!(
        (status, eve["externalId"].as_str(), eve[ENTERPRISE]["department"].as_str()),
        (StatusCode::OK, Some("EVE-2"), Some("Ops"))
    );
    assert_eq!(found(&t, tk, r#"externalId eq "EVE-1""#).await, 0);
    // A manager who is not a member here, or no user at all.
    let globex = t.create_org("globex", "owner@globex.test").await;
    let stranger = t.add_member(&globex, "zed@globex.test", "Zed").await;
    for bad in [stranger.to_string(), "nobody".to_string(), id.clone()] {
        let (status, e, _) = exchange(
            &t,
            tk,
            Method::PATCH,
            &path,
            Some(replace(&format!("{ENTERPRISE}:manager"), json!({"value": bad}))),
            &[],
        )
        .await;
        assert_eq!((status, e["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidValue")), "{bad}: {e}");
    }
    // PUT replaces: what it leaves out is cleared.
    let put = json!({"schemas": [USER], "userName": "eve@acme.test", "displayName": "Eve Adams"});
    let (status, eve, _) = exchange(&t, tk, Method::PUT, &path, Some(put), &[]).await;
    assert_eq!(status, StatusCode::OK, "{eve}");
    assert_eq!(eve["schemas"], json!([USER]));
    assert!(eve.get("externalId").is_none() && eve.get(ENTERPRISE).is_none(), "{eve}");
    assert_eq!(eve["emails"].as_array().unwrap().len(), 1);
    assert_eq!(found(&t, tk, "externalId pr").await, 0);
    // The History tells the changes, with the service account as the actor.
    let (_, history) = owner.get(&format!("/api/v1/orgs/acme/audit?target={id}&action=member.updated")).await;
    let items = history["items"].as_array().unwrap();
    // Two PATCHes and the PUT; the refused ones wrote nothing.
    assert_eq!(items.len(), 3, "{history}");
    assert!(items.iter().any(|e| e["details"]["data"]["after"]["external_id"] == "EVE-2"), "{history}");
    assert!(items.iter().all(|e| e["actor"]["type"] == "service_account"), "{history}");
    t.finish().await;
}

#[tokio::test]
async fn post_is_idempotent_by_user_name_and_external_id() {
    use reqwest::Method;
    let (t, owner, token) = acme_with_account(&["admin"]).await;
    let tk = token.as_str();
    let fay = json!({"schemas": [USER], "externalId": "f-1", "userName": "fay@acme.test", "displayName": "Fay"});
    let (status, first, _) = exchange(&t, tk, Method::POST, "/scim/v2/Users", Some(fay.clone()), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let id = first["id"].as_str().unwrap().to_string();
    // Entra's retry with the same externalId and another userName: 409 uniqueness, nothing made.
    let renamed = json!({"schemas": [USER], "externalId": "f-1", "userName": "fay.b@acme.test"});
    let (status, e, _) = exchange(&t, tk, Method::POST, "/scim/v2/Users", Some(renamed.clone()), &[]).await;
    assert_eq!(
        (status, e["status"].as_str(), e["scimType"].as_str()),
        (StatusCode::CONFLICT, Some("409"), Some("uniqueness")),
        "{e}"
    );
    assert_eq!(found(&t, tk, r#"userName eq "fay.b@acme.test""#).await, 0);
    // Another member may not take it either.
    let bob = id_of(&t, tk, "bob@acme.test").await;
    let (status, e, _) = exchange(
        &t,
        tk,
        Method::PATCH,
        &format!("/scim/v2/Users/{bob}"),
        Some(replace("externalId", json!("f-1"))),
        &[],
    )
    .await;
    assert_eq!((status, e["scimType"].as_str()), (StatusCode::CONFLICT, Some("uniqueness")), "{e}");
    // Deleted (archived), then provisioned again under a new userName: the same member restored.
    let (status, _, _) = exchange(&t, tk, Method::DELETE, &format!("/scim/v2/Users/{id}"), None, &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let with_mail = json!({"schemas": [USER], "externalId": "f-1", "userName": "fay.b@acme.test",
        "emails": [{"value": "fay.b@acme.test", "type": "work", "primary": true}], "active": true});
    let (status, again, _) = exchange(&t, tk, Method::POST, "/scim/v2/Users", Some(with_mail), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(
        (again["id"].as_str(), again["userName"].as_str(), again["active"].as_bool(), again["externalId"].as_str()),
        (Some(id.as_str()), Some("fay@acme.test"), Some(true), Some("f-1"))
    );
    assert_eq!(again["emails"][1]["value"], "fay.b@acme.test", "{again}");
    let (_, member) = owner.get(&format!("/api/v1/orgs/acme/users/{id}")).await;
    assert_eq!(member["status"], "active");
    // And a retry of that: the member is live, 409.
    let (status, _, _) = exchange(&t, tk, Method::POST, "/scim/v2/Users", Some(renamed), &[]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _, _) = exchange(&t, tk, Method::POST, "/scim/v2/Users", Some(fay), &[]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, all) = owner.get("/api/v1/orgs/acme/users?q=fay").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1, "{all}");
    t.finish().await;
}

#[tokio::test]
async fn last_modified_and_the_version_follow_changes_and_if_match_guards_them() {
    use reqwest::Method;
    let (t, _owner, token) = acme_with_account(&["admin"]).await;
    let tk = token.as_str();
    let ann = id_of(&t, tk, "ann@acme.test").await;
    let path = format!("/scim/v2/Users/{ann}");
    let (status, before, h) = exchange(&t, tk, Method::GET, &path, None, &[]).await;
    assert_eq!(status, StatusCode::OK);
    let v1 = etag(&h);
    assert!(v1.starts_with("W/\"") && v1 == before["meta"]["version"], "{v1} {before}");
    assert_eq!(before["meta"]["lastModified"], before["meta"]["created"]);
    // The same state, the same version; the client's copy is current: 304.
    let (status, body, h) = exchange(&t, tk, Method::GET, &path, None, &[("If-None-Match", &v1)]).await;
    assert_eq!((status, body, etag(&h)), (StatusCode::NOT_MODIFIED, Value::Null, v1.clone()));
    t.advance(60_000);
    // A change under the right version: the work address, a new version, a later lastModified.
    let (status, after, h) = exchange(
        &t,
        tk,
        Method::PATCH,
        &path,
        Some(replace(r#"emails[type eq "work"].value"#, json!("ann.smith@corp.test"))),
        &[("If-Match", &v1)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{after}");
    let v2 = etag(&h);
    assert_ne!(v2, v1);
    assert_eq!(v2, after["meta"]["version"]);
    assert_eq!(after["emails"][1], json!({"value": "ann.smith@corp.test", "type": "work", "primary": false}));
    assert!(
        after["meta"]["lastModified"].as_str().unwrap() > before["meta"]["lastModified"].as_str().unwrap(),
        "{after}"
    );
    let since = before["meta"]["lastModified"].as_str().unwrap();
    assert_eq!(found(&t, tk, &format!(r#"meta.lastModified gt "{since}""#)).await, 1);
    let (status, _, _) = exchange(&t, tk, Method::GET, &path, None, &[("If-None-Match", &v1)]).await;
    assert_eq!(status, StatusCode::OK);
    // The old version is refused (412, SCIM's error, no scimType) and nothing changes.
    for (method, body) in [
        (Method::PATCH, Some(replace("displayName", json!("Somebody Else")))),
        (Method::PUT, Some(json!({"schemas": [USER], "userName": "ann@acme.test", "active": false}))),
        (Method::DELETE, None),
    ] {
        let (status, e, _) = exchange(&t, tk, method.clone(), &path, body, &[("If-Match", &v1)]).await;
        assert_eq!((status, e["status"].as_str()), (StatusCode::PRECONDITION_FAILED, Some("412")), "{method}: {e}");
        assert_eq!(e["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:Error"]));
        assert!(e.get("scimType").is_none(), "{e}");
    }
    let (_, now, h) = exchange(&t, tk, Method::GET, &path, None, &[]).await;
    assert_eq!(
        (now["displayName"].as_str(), now["active"].as_bool(), etag(&h)),
        (Some("Ann Smith"), Some(true), v2.clone())
    );
    // A status change is a change too.
    t.advance(60_000);
    let (_, off, h) =
        exchange(&t, tk, Method::PATCH, &path, Some(replace("active", json!("False"))), &[("If-Match", &v2)]).await;
    assert_eq!(off["active"], false, "{off}");
    assert_ne!(etag(&h), v2);
    assert!(off["meta"]["lastModified"].as_str().unwrap() > after["meta"]["lastModified"].as_str().unwrap());
    // `*` matches whatever the version.
    let (status, _, _) = exchange(&t, tk, Method::DELETE, &path, None, &[("If-Match", "*")]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    t.finish().await;
}

/// A replay of Microsoft Entra ID's documented provisioning requests
/// ("Tutorial: Develop and plan provisioning for a SCIM endpoint", its
/// request examples): the look-up before a create, the create with the
/// enterprise extension, the reads, the updates with `"op": "Replace"` and
/// Entra's paths, the soft delete with `active` "False", the hard delete.
/// Where Entra's example userName is not an address (`Test_User_…`), the
/// address form its default mapping (userPrincipalName) gives is used.
#[tokio::test]
async fn entra_id_request_examples_replay() {
    use reqwest::Method;
    let (t, owner, token) = acme_with_account(&["admin"]).await;
    let tk = token.as_str();
    let manager = id_of(&t, tk, "bob@acme.test").await;
    let user_name = "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@testuser.com";
    let stored = user_name.to_lowercase();
    // Get user by query, before the create: nobody.
    let (status, none) =
        scim(&t, Some(tk), &format!("/scim/v2/Users?{}", q(&format!("userName eq \"{user_name}\"")))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        none,
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0,
            "startIndex": 1, "itemsPerPage": 0, "Resources": []})
    );
    // Create user.
    let create = json!({
        "schemas": [USER, ENTERPRISE],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": user_name,
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "roles": [],
        ENTERPRISE: {"employeeNumber": "701984", "department": "Tour Operations", "manager": {"value": manager}},
    });
    let (status, created, h) = exchange(&t, tk, Method::POST, "/scim/v2/Users", Some(create), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert!(h.get("location").unwrap().to_str().unwrap().ends_with(&format!("/scim/v2/Users/{id}")));
    assert_eq!(
        (created["userName"].as_str(), created["externalId"].as_str(), created["active"].as_bool()),
        (Some(stored.as_str()), Some("0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"), Some(true))
    );
    assert_eq!(created["displayName"], "givenName familyName");
    assert_eq!(created["emails"][1]["value"], "test_user_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com");
    assert_eq!(created[ENTERPRISE]["department"], "Tour Operations");
    assert_eq!(created[ENTERPRISE]["manager"]["value"], manager.as_str());
    assert_eq!(created["meta"]["resourceType"], "User");
    // Get user.
    let path = format!("/scim/v2/Users/{id}");
    let (status, got) = scim(&t, Some(tk), &path).await;
    assert_eq!((status, &got), (StatusCode::OK, &created));
    // Get user by query.
    let (_, by_query) =
        scim(&t, Some(tk), &format!("/scim/v2/Users?{}", q(&format!("userName eq \"{user_name}\"")))).await;
    assert_eq!((by_query["totalResults"].as_u64(), &by_query["Resources"][0]), (Some(1), &created));
    // Get user by query, zero results (another user).
    let (_, zero) = scim(&t, Some(tk), &format!("/scim/v2/Users?{}", q(r#"userName eq "non-existent user""#))).await;
    assert_eq!(zero["totalResults"], 0);
    // Update user [multi-valued and single-valued properties], and the manager.
    let update = json!({"schemas": [PATCH], "Operations": [
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@microsoft.com"},
        {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
        {"op": "Replace", "path": "name.givenName", "value": "updatedGivenName"},
        {"op": "Replace", "path": "externalId", "value": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ff"},
        {"op": "Replace", "path": format!("{ENTERPRISE}:manager"), "value": {"value": id_of(&t, tk, "ann@acme.test").await}},
        {"op": "Replace", "path": format!("{ENTERPRISE}:department"), "value": "Finance"}]});
    let (status, updated, _) = exchange(&t, tk, Method::PATCH, &path, Some(update), &[]).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["displayName"], "updatedGivenName updatedFamilyName");
    assert_eq!(updated["emails"][1]["value"], "updatedemail@microsoft.com");
    assert_eq!(updated["userName"].as_str(), Some(stored.as_str()));
    assert_eq!(updated["externalId"], "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ff");
    assert_eq!(updated[ENTERPRISE]["manager"]["displayName"], "Ann Smith");
    assert_eq!(updated[ENTERPRISE]["department"], "Finance");
    assert_ne!(updated["meta"]["version"], created["meta"]["version"]);
    // Disable user (soft delete), as Entra says it: "Replace" with the string "False".
    let disable = json!({"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
    let (status, disabled, _) = exchange(&t, tk, Method::PATCH, &path, Some(disable), &[]).await;
    assert_eq!((status, disabled["active"].as_bool()), (StatusCode::OK, Some(false)), "{disabled}");
    let (_, member) = owner.get(&format!("/api/v1/orgs/acme/users/{id}")).await;
    assert_eq!(member["status"], "disabled");
    assert_eq!(found(&t, tk, "active eq false and externalId pr").await, 1);
    // Delete user (hard delete): archived, 204, and gone from SCIM.
    let (status, body, _) = exchange(&t, tk, Method::DELETE, &path, None, &[]).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let (status, e) = scim(&t, Some(tk), &path).await;
    assert_eq!((status, e["status"].as_str()), (StatusCode::NOT_FOUND, Some("404")));
    let (_, member) = owner.get(&format!("/api/v1/orgs/acme/users/{id}")).await;
    assert_eq!(member["status"], "archived");
    assert_eq!(found(&t, tk, &format!("userName eq \"{user_name}\"")).await, 0);
    t.finish().await;
}
