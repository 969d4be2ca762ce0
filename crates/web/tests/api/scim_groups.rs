//! SCIM 2.0 Groups (issue 12, item 6): groups bound to roles, their
//! members the role's holders; member PATCH in Okta's and Entra ID's
//! shapes; no escalation and the last administrator; the administrator's
//! group-to-role mappings; another organization's ids; a 2,000-member
//! PATCH; and a replay of Okta's documented group push.

use reqwest::{Method, StatusCode};
use roster_testkit::{PASSWORD, Session, TestApp, spawn_app};
use serde_json::{Value, json};

const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Acme (owner, admin and user roles) with Ann and Bob, and a service
/// account holding `roles`; answers the owner's session and the token.
async fn acme(roles: &[&str]) -> (TestApp, roster_store::orgs::OrgRecord, Session, String) {
    let t = spawn_app().await;
    let org = t.create_org_with_preset("acme", "owner@acme.test", "owner-admin-user").await;
    t.add_member(&org, "ann@acme.test", "Ann Smith").await;
    t.add_member(&org, "bob@acme.test", "Bob Jones").await;
    let owner = t.login("owner@acme.test", PASSWORD).await;
    let token = account_token(&owner, "okta", roles).await;
    (t, org, owner, token)
}

async fn account_token(owner: &Session, name: &str, roles: &[&str]) -> String {
    let (status, a) = owner.post("/api/v1/orgs/acme/service-accounts", json!({"name": name, "roles": roles})).await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let id = a["id"].as_str().unwrap();
    let (status, tok) =
        owner.post(&format!("/api/v1/orgs/acme/service-accounts/{id}/tokens"), json!({"name": "scim"})).await;
    assert_eq!(status, StatusCode::CREATED, "{tok}");
    tok["token"].as_str().unwrap().to_string()
}

/// A SCIM request with the token; answers the status and the body (null when empty).
async fn scim(t: &TestApp, token: &str, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let anon = t.anonymous();
    let mut req = anon.client.request(method, format!("{}{path}", anon.base_url)).bearer_auth(token);
    if let Some(b) = body {
        req = req.header("content-type", "application/scim+json").body(b.to_string());
    }
    let r = anon.raw(req).await;
    let status = r.status();
    let text = r.text().await.unwrap();
    (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
}

async fn get(t: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    scim(t, token, Method::GET, path, None).await
}

async fn patch(t: &TestApp, token: &str, id: &str, ops: Value) -> (StatusCode, Value) {
    scim(
        t,
        token,
        Method::PATCH,
        &format!("/scim/v2/Groups/{id}"),
        Some(json!({"schemas": [PATCH], "Operations": ops})),
    )
    .await
}

async fn user_id(owner: &Session, email: &str) -> String {
    let (_, users) = owner.get(&format!("/api/v1/orgs/acme/users?email={email}")).await;
    users["items"][0]["id"].as_str().unwrap().to_string()
}

fn member_ids(group: &Value) -> Vec<String> {
    let mut ids: Vec<String> =
        group["members"].as_array().unwrap().iter().map(|m| m["value"].as_str().unwrap().to_string()).collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

/// The organization's role of this name, if any (from the Roles API).
async fn role_named(owner: &Session, name: &str) -> Option<Value> {
    let (status, roles) = owner.get("/api/v1/orgs/acme/roles").await;
    assert_eq!(status, StatusCode::OK, "{roles}");
    let list = roles.get("roles").or(roles.get("items")).unwrap_or(&roles).as_array().unwrap().clone();
    list.into_iter().find(|r| r["name"] == name)
}

fn q(filter: &str) -> String {
    serde_urlencoded::to_string([("filter", filter)]).unwrap()
}

#[tokio::test]
async fn groups_are_created_listed_filtered_and_read_with_their_role() {
    let (t, _org, owner, token) = acme(&["admin"]).await;
    let (ann, bob) = (user_id(&owner, "ann@acme.test").await, user_id(&owner, "bob@acme.test").await);
    let (status, g) = scim(
        &t,
        &token,
        Method::POST,
        "/scim/v2/Groups",
        Some(json!({"schemas": [GROUP], "displayName": "Engineering", "externalId": "00g1",
            "members": [{"value": ann}]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    let id = g["id"].as_str().unwrap().to_string();
    assert_eq!((g["displayName"].as_str(), g["externalId"].as_str()), (Some("Engineering"), Some("00g1")));
    assert_eq!(g["members"][0]["value"], ann.as_str());
    assert_eq!(g["members"][0]["display"], "Ann Smith");
    assert!(g["members"][0]["$ref"].as_str().unwrap().ends_with(&format!("/scim/v2/Users/{ann}")));
    assert_eq!(g["meta"]["resourceType"], "Group");
    // The group made a role of its name, granting nothing, which Ann holds.
    let role = role_named(&owner, "Engineering").await.expect("the group's role");
    assert_eq!(role["member_count"], 1, "{role}");
    let (_, events) = owner.get("/api/v1/orgs/acme/audit?action=role.created").await;
    let made = events["items"].as_array().unwrap().iter().find(|e| e["target"]["id"] == role["id"]).unwrap().clone();
    assert_eq!(made["actor"]["label"], "okta", "{made}");
    // A second group of that name, in any case, or named after an unmapped role: 409 uniqueness.
    for name in ["ENGINEERING", "admin"] {
        let (status, e) =
            scim(&t, &token, Method::POST, "/scim/v2/Groups", Some(json!({"schemas": [GROUP], "displayName": name})))
                .await;
        assert_eq!((status, e["scimType"].as_str()), (StatusCode::CONFLICT, Some("uniqueness")), "{name}: {e}");
    }
    let (status, _) = scim(
        &t,
        &token,
        Method::POST,
        "/scim/v2/Groups",
        Some(json!({"schemas": [GROUP], "displayName": "Sales", "members": [{"value": bob}]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // Listed by name, filtered, paged; members left out when excluded.
    let (status, all) = get(&t, &token, "/scim/v2/Groups").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["totalResults"], 2);
    let names: Vec<&str> =
        all["Resources"].as_array().unwrap().iter().map(|g| g["displayName"].as_str().unwrap()).collect();
    assert_eq!(names, ["Engineering", "Sales"]);
    for filter in [r#"displayName eq "engineering""#, r#"externalId eq "00g1""#, &format!(r#"id eq "{id}""#)] {
        let (_, one) = get(&t, &token, &format!("/scim/v2/Groups?{}", q(filter))).await;
        assert_eq!(one["totalResults"], 1, "{filter}: {one}");
        assert_eq!(one["Resources"][0]["id"], id.as_str());
    }
    let (_, none) = get(&t, &token, &format!("/scim/v2/Groups?{}", q(r#"externalId eq "00G1""#))).await;
    assert_eq!(none["totalResults"], 0);
    // Entra's membership check: the group by id and a member.
    for (who, n) in [(&ann, 1), (&bob, 0)] {
        let f = format!(r#"id eq "{id}" and members[value eq "{who}"]"#);
        let (_, found) = get(&t, &token, &format!("/scim/v2/Groups?{}&excludedAttributes=members", q(&f))).await;
        assert_eq!(found["totalResults"], n, "{f}: {found}");
    }
    let (status, e) = get(&t, &token, &format!("/scim/v2/Groups?{}", q(r#"displayName co "eng""#))).await;
    assert_eq!((status, e["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidFilter")));
    let (_, page) = get(&t, &token, "/scim/v2/Groups?startIndex=2&count=1&excludedAttributes=members").await;
    assert_eq!((page["totalResults"].as_u64(), page["itemsPerPage"].as_u64()), (Some(2), Some(1)));
    assert_eq!(page["Resources"][0]["displayName"], "Sales");
    assert!(page["Resources"][0].get("members").is_none(), "{page}");
    let (status, one) = get(&t, &token, &format!("/scim/v2/Groups/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(member_ids(&one), vec![ann.clone()]);
    let (_, thin) = get(&t, &token, &format!("/scim/v2/Groups/{id}?attributes=displayName")).await;
    assert_eq!(thin.as_object().unwrap().keys().collect::<Vec<_>>(), ["displayName", "id", "schemas"]);
    // Discovery names the Group resource and its schema.
    let (_, types) = get(&t, &token, "/scim/v2/ResourceTypes").await;
    assert_eq!(types["Resources"][1]["endpoint"], "/Groups");
    let (_, schemas) = get(&t, &token, "/scim/v2/Schemas").await;
    assert_eq!(schemas["Resources"][1]["id"], GROUP);
    t.finish().await;
}

#[tokio::test]
async fn members_change_by_patch_in_okta_and_entra_shapes_and_by_put() {
    let (t, org, owner, token) = acme(&["admin"]).await;
    let cy = t.add_member(&org, "cy@acme.test", "Cy Young").await.to_string();
    let (ann, bob) = (user_id(&owner, "ann@acme.test").await, user_id(&owner, "bob@acme.test").await);
    let (_, g) =
        scim(&t, &token, Method::POST, "/scim/v2/Groups", Some(json!({"schemas": [GROUP], "displayName": "Eng"})))
            .await;
    let id = g["id"].as_str().unwrap().to_string();
    assert_eq!(g["members"], json!([]));
    // Okta's add.
    let (status, g) =
        patch(&t, &token, &id, json!([{"op": "add", "path": "members", "value": [{"value": ann}, {"value": bob}]}]))
            .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(member_ids(&g), sorted(vec![ann.clone(), bob.clone()]));
    // Okta's remove by a value filter.
    let (_, g) =
        patch(&t, &token, &id, json!([{"op": "remove", "path": format!("members[value eq \"{ann}\"]")}])).await;
    assert_eq!(member_ids(&g), vec![bob.clone()]);
    // Entra's add and remove with a list (ops in any case), in one request.
    let (status, g) = patch(
        &t,
        &token,
        &id,
        json!([{"op": "Add", "path": "members", "value": [{"value": cy}]},
               {"op": "Remove", "path": "members", "value": [{"value": bob}]}]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(member_ids(&g), vec![cy.clone()]);
    // Replace the members with a full list; rename by path and without one (Okta).
    let (_, g) = patch(
        &t,
        &token,
        &id,
        json!([{"op": "replace", "path": "members", "value": [{"value": ann}, {"value": bob}]},
               {"op": "replace", "path": "displayName", "value": "Engineering"}]),
    )
    .await;
    assert_eq!(
        (member_ids(&g), g["displayName"].as_str()),
        (sorted(vec![ann.clone(), bob.clone()]), Some("Engineering"))
    );
    let (status, g) =
        patch(&t, &token, &id, json!([{"op": "replace", "value": {"id": id, "displayName": "R&D"}}])).await;
    assert_eq!((status, g["displayName"].as_str()), (StatusCode::OK, Some("R&D")), "{g}");
    // The role the group made follows its name; the Users tab sees the holders.
    assert!(role_named(&owner, "Eng").await.is_none());
    assert_eq!(role_named(&owner, "R&D").await.unwrap()["member_count"], 2);
    let (_, roles) = owner.get(&format!("/api/v1/orgs/acme/users/{ann}/roles")).await;
    assert!(roles.to_string().contains("R&D"), "{roles}");
    // Unknown, malformed, archived and other organizations' ids: 400 invalidValue naming them, nothing changed.
    let globex = t.create_org("globex", "owner@globex.test").await;
    let zed = t.add_member(&globex, "zed@globex.test", "Zed").await.to_string();
    let (status, _) = owner.post(&format!("/api/v1/orgs/acme/users/{cy}/archive"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    for bad in [zed.as_str(), "not-an-id", cy.as_str()] {
        let (status, e) =
            patch(&t, &token, &id, json!([{"op": "add", "path": "members", "value": [{"value": bad}]}])).await;
        assert_eq!((status, e["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidValue")), "{bad}: {e}");
        assert!(e["detail"].as_str().unwrap().contains(bad), "{e}");
    }
    // Removing someone who holds nothing changes nothing; so does an empty PATCH.
    let (status, g) =
        patch(&t, &token, &id, json!([{"op": "remove", "path": format!("members[value eq \"{zed}\"]")}])).await;
    assert_eq!((status, member_ids(&g)), (StatusCode::OK, sorted(vec![ann.clone(), bob.clone()])));
    // Bad shapes.
    for (ops, kind) in [
        (json!([{"op": "remove", "path": "displayName"}]), "mutability"),
        (json!([{"op": "add", "path": "owner", "value": "x"}]), "invalidPath"),
        (json!([{"op": "remove"}]), "noTarget"),
    ] {
        let (status, e) = patch(&t, &token, &id, ops).await;
        assert_eq!((status, e["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some(kind)), "{e}");
    }
    // PUT: the name, the external id, and the members when given.
    let (status, g) = scim(
        &t,
        &token,
        Method::PUT,
        &format!("/scim/v2/Groups/{id}"),
        Some(json!({"schemas": [GROUP], "displayName": "R&D", "externalId": "x9", "members": [{"value": bob}]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!((member_ids(&g), g["externalId"].as_str()), (vec![bob.clone()], Some("x9")));
    let (_, g) = scim(
        &t,
        &token,
        Method::PUT,
        &format!("/scim/v2/Groups/{id}"),
        Some(json!({"schemas": [GROUP], "displayName": "R&D"})),
    )
    .await;
    assert_eq!((member_ids(&g), g.get("externalId")), (vec![bob.clone()], None));
    // Remove everyone.
    let (_, g) = patch(&t, &token, &id, json!([{"op": "remove", "path": "members"}])).await;
    assert_eq!(g["members"], json!([]));
    // One event per request that changed something.
    let (_, events) = owner.get("/api/v1/orgs/acme/audit?action=scim_group.updated").await;
    assert_eq!(events["items"].as_array().unwrap().len(), 8, "{events}");
    assert!(events["items"].as_array().unwrap().iter().all(|e| e["target"]["name"].is_string()), "named: {events}");
    t.finish().await;
}

#[tokio::test]
async fn escalation_and_the_last_administrator_are_refused_and_change_nothing() {
    let (t, org, owner, admin_token) = acme(&["admin"]).await;
    let (ann, bob) = (user_id(&owner, "ann@acme.test").await, user_id(&owner, "bob@acme.test").await);
    // The administrator binds "Admins" to the admin role; provisioning's own account holds the members grants only.
    let (status, m) =
        owner.post("/api/v1/orgs/acme/scim/group-mappings", json!({"display_name": "Admins", "role": "admin"})).await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    let (status, scim_tok) = owner.post("/api/v1/orgs/acme/scim/token", json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{scim_tok}");
    let weak = scim_tok["token"].as_str().unwrap().to_string();
    t.set_roles(&org, roster_domain::UserId(ann.parse().unwrap()), &["admin"]).await;
    // Ann becomes the only administrator.
    t.make_ownerless(&org).await;
    t.set_roles(&org, org.owner_id.unwrap(), &["user"]).await;
    let (status, g) = scim(
        &t,
        &weak,
        Method::POST,
        "/scim/v2/Groups",
        Some(json!({"schemas": [GROUP], "displayName": "admins", "members": [{"value": bob}]})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "giving admin beyond the account's grants: {g}");
    let (status, g) =
        scim(&t, &weak, Method::POST, "/scim/v2/Groups", Some(json!({"schemas": [GROUP], "displayName": "Admins"})))
            .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    let id = g["id"].as_str().unwrap().to_string();
    // Bound to the existing role: its holders are the members.
    assert_eq!(member_ids(&g), vec![ann.clone()]);
    let (status, e) = patch(&t, &weak, &id, json!([{"op": "add", "path": "members", "value": [{"value": bob}]}])).await;
    assert_eq!((status, e["status"].as_str()), (StatusCode::FORBIDDEN, Some("403")), "{e}");
    // The last administrator: neither removing her nor deleting the group.
    let (status, e) =
        patch(&t, &admin_token, &id, json!([{"op": "remove", "path": format!("members[value eq \"{ann}\"]")}])).await;
    assert_eq!(status, StatusCode::CONFLICT, "{e}");
    assert!(e["detail"].as_str().unwrap().contains("administer"), "{e}");
    let (status, _) = scim(&t, &admin_token, Method::DELETE, &format!("/scim/v2/Groups/{id}"), None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, g) = get(&t, &admin_token, &format!("/scim/v2/Groups/{id}")).await;
    assert_eq!(member_ids(&g), vec![ann.clone()]);
    // With Bob an administrator too, Ann may go; deleting the group takes the role, which stays.
    let (status, g) = patch(
        &t,
        &admin_token,
        &id,
        json!([{"op": "add", "path": "members", "value": [{"value": bob}]},
               {"op": "remove", "path": format!("members[value eq \"{ann}\"]")}]),
    )
    .await;
    assert_eq!((status, member_ids(&g)), (StatusCode::OK, vec![bob.clone()]));
    // Another organization's token does not see the group.
    let globex = t.create_org_with_preset("globex", "owner@globex.test", "owner-admin-user").await;
    let _ = globex;
    let g_owner = t.login("owner@globex.test", PASSWORD).await;
    let (_, a) =
        g_owner.post("/api/v1/orgs/globex/service-accounts", json!({"name": "okta", "roles": ["admin"]})).await;
    let (_, tok) = g_owner
        .post(
            &format!("/api/v1/orgs/globex/service-accounts/{}/tokens", a["id"].as_str().unwrap()),
            json!({"name": "s"}),
        )
        .await;
    let other = tok["token"].as_str().unwrap();
    let (status, _) = get(&t, other, &format!("/scim/v2/Groups/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = scim(&t, other, Method::DELETE, &format!("/scim/v2/Groups/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = get(&t, other, "/scim/v2/Groups").await;
    assert_eq!(list["totalResults"], 0);
    let (status, _) = scim(&t, &admin_token, Method::DELETE, &format!("/scim/v2/Groups/{id}"), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "Bob is the last administrator now");
    t.finish().await;
}

#[tokio::test]
async fn a_mapping_binds_an_existing_role_and_a_made_role_goes_with_its_group() {
    let (t, _org, owner, token) = acme(&["admin"]).await;
    let ann = user_id(&owner, "ann@acme.test").await;
    let (status, m) =
        owner.post("/api/v1/orgs/acme/scim/group-mappings", json!({"display_name": "Staff", "role": "user"})).await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    assert_eq!((m["display_name"].as_str(), m["role"]["key"].as_str()), (Some("Staff"), Some("user")));
    // The same name again (any case) is refused beside the name; the owner's role is not provisioning's.
    let (status, e) =
        owner.post("/api/v1/orgs/acme/scim/group-mappings", json!({"display_name": "STAFF", "role": "admin"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (status, _) =
        owner.post("/api/v1/orgs/acme/scim/group-mappings", json!({"display_name": "Owners", "role": "owner"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, list) = owner.get("/api/v1/orgs/acme/scim/group-mappings").await;
    assert_eq!(list["mappings"].as_array().unwrap().len(), 1, "{list}");
    // A group of the mapped name is bound to the role; deleting it takes the role but keeps it.
    let roles_before = role_named(&owner, "User").await.unwrap();
    let (status, g) = scim(
        &t,
        &token,
        Method::POST,
        "/scim/v2/Groups",
        Some(json!({"schemas": [GROUP], "displayName": "staff", "members": [{"value": ann}]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    assert!(member_ids(&g).contains(&ann));
    let staff = g["id"].as_str().unwrap().to_string();
    let (status, _) = scim(&t, &token, Method::DELETE, &format!("/scim/v2/Groups/{staff}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let user_role = role_named(&owner, "User").await.expect("a bound role stays");
    assert_eq!(user_role["id"], roles_before["id"]);
    assert_eq!(user_role["member_count"], 0, "the role was taken from every holder: {user_role}");
    let (status, _) = get(&t, &token, &format!("/scim/v2/Groups/{staff}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A group that made its role: deleting it deletes the role.
    let (_, g) = scim(
        &t,
        &token,
        Method::POST,
        "/scim/v2/Groups",
        Some(json!({"schemas": [GROUP], "displayName": "Temp", "members": [{"value": ann}]})),
    )
    .await;
    let temp = g["id"].as_str().unwrap().to_string();
    assert!(role_named(&owner, "Temp").await.is_some());
    let (status, _) = scim(&t, &token, Method::DELETE, &format!("/scim/v2/Groups/{temp}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(role_named(&owner, "Temp").await.is_none());
    let (_, deleted) = owner.get("/api/v1/orgs/acme/audit?action=role.deleted").await;
    assert_eq!(deleted["items"].as_array().unwrap().len(), 1, "{deleted}");
    // A role deleted on the Roles tab takes its group with it.
    let (_, g) =
        scim(&t, &token, Method::POST, "/scim/v2/Groups", Some(json!({"schemas": [GROUP], "displayName": "Gone"})))
            .await;
    let gone = g["id"].as_str().unwrap().to_string();
    let key = role_named(&owner, "Gone").await.unwrap()["key"].as_str().unwrap().to_string();
    let (status, body) = owner.send(Method::DELETE, &format!("/api/v1/orgs/acme/roles/{key}"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = get(&t, &token, &format!("/scim/v2/Groups/{gone}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Removing the mapping.
    let mid = m["id"].as_str().unwrap();
    let (status, _) = owner.send(Method::DELETE, &format!("/api/v1/orgs/acme/scim/group-mappings/{mid}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = owner.send(Method::DELETE, &format!("/api/v1/orgs/acme/scim/group-mappings/{mid}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, events) = owner.get("/api/v1/orgs/acme/audit?action=scim_group_mapping").await;
    assert_eq!(events["items"].as_array().unwrap().len(), 2, "{events}");
    t.finish().await;
}

#[tokio::test]
async fn two_thousand_members_in_one_patch() {
    let (t, org, owner, token) = acme(&["admin"]).await;
    t.seed(&org, 2_300).await;
    let mut ids: Vec<String> = vec![];
    for start in [1, 1001, 2001] {
        let (_, page) = get(&t, &token, &format!("/scim/v2/Users?count=1000&startIndex={start}&attributes=id")).await;
        ids.extend(page["Resources"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_string()));
    }
    assert!(ids.len() >= 2_000, "{} users", ids.len());
    ids.truncate(2_000);
    let (_, g) =
        scim(&t, &token, Method::POST, "/scim/v2/Groups", Some(json!({"schemas": [GROUP], "displayName": "All"})))
            .await;
    let id = g["id"].as_str().unwrap().to_string();
    let values: Vec<Value> = ids.iter().map(|i| json!({"value": i})).collect();
    let (status, g) = patch(&t, &token, &id, json!([{"op": "add", "path": "members", "value": values}])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(member_ids(&g), sorted(ids.clone()));
    assert_eq!(role_named(&owner, "All").await.unwrap()["member_count"], 2_000);
    // Entra's remove of half of them, as a list.
    let half: Vec<Value> = ids[..1_000].iter().map(|i| json!({"value": i})).collect();
    let (status, g) = patch(&t, &token, &id, json!([{"op": "Remove", "path": "members", "value": half}])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(member_ids(&g), sorted(ids[1_000..].to_vec()));
    assert_eq!(role_named(&owner, "All").await.unwrap()["member_count"], 1_000);
    let (_, events) = owner.get("/api/v1/orgs/acme/audit?action=scim_group.updated").await;
    let items = events["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "one event per request");
    let counts: Vec<(u64, u64)> = items
        .iter()
        .map(|e| {
            let d = &e["details"]["data"];
            (d["members_added"].as_u64().unwrap_or(0), d["members_removed"].as_u64().unwrap_or(0))
        })
        .collect();
    assert!(counts.contains(&(2_000, 0)) && counts.contains(&(0, 1_000)), "{counts:?}");
    assert!(items.iter().all(|e| e["details"]["data"].get("added").is_none_or(|a| a.as_array().unwrap().len() <= 20)));
    t.finish().await;
}

/// Okta's documented SCIM 2.0 group push, request by request: the lookup
/// by name, the POST with members, the GET without members, the rename,
/// the member add, the member remove by a value filter, the delete.
#[tokio::test]
async fn okta_group_push_replay() {
    let (t, _org, owner, token) = acme(&["admin"]).await;
    let (ann, bob) = (user_id(&owner, "ann@acme.test").await, user_id(&owner, "bob@acme.test").await);
    let (status, found) =
        get(&t, &token, &format!("/scim/v2/Groups?{}&startIndex=1&count=100", q(r#"displayName eq "Test SCIMv2""#)))
            .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        found,
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0,
            "startIndex": 1, "itemsPerPage": 0, "Resources": []})
    );
    let (status, g) = scim(
        &t,
        &token,
        Method::POST,
        "/scim/v2/Groups",
        Some(json!({"schemas": [GROUP], "displayName": "Test SCIMv2",
            "members": [{"value": ann, "display": "ann@acme.test"}]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    let id = g["id"].as_str().unwrap().to_string();
    assert_eq!((g["schemas"].clone(), g["displayName"].as_str()), (json!([GROUP]), Some("Test SCIMv2")));
    assert_eq!(member_ids(&g), vec![ann.clone()]);
    let (status, g) = get(&t, &token, &format!("/scim/v2/Groups/{id}?excludedAttributes=members")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((g["id"].as_str(), g["displayName"].as_str()), (Some(id.as_str()), Some("Test SCIMv2")));
    assert!(g.get("members").is_none(), "{g}");
    let (status, g) =
        patch(&t, &token, &id, json!([{"op": "replace", "value": {"id": id, "displayName": "Test SCIMv2 Renamed"}}]))
            .await;
    assert_eq!((status, g["displayName"].as_str()), (StatusCode::OK, Some("Test SCIMv2 Renamed")), "{g}");
    let (status, g) = patch(
        &t,
        &token,
        &id,
        json!([{"op": "add", "path": "members", "value": [{"value": bob, "display": "bob@acme.test"}]}]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(member_ids(&g), sorted(vec![ann.clone(), bob.clone()]));
    let (status, g) =
        patch(&t, &token, &id, json!([{"op": "remove", "path": format!("members[value eq \"{ann}\"]")}])).await;
    assert_eq!((status, member_ids(&g)), (StatusCode::OK, vec![bob.clone()]));
    let (status, body) = scim(&t, &token, Method::DELETE, &format!("/scim/v2/Groups/{id}"), None).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let (status, e) = get(&t, &token, &format!("/scim/v2/Groups/{id}")).await;
    assert_eq!((status, e["status"].as_str()), (StatusCode::NOT_FOUND, Some("404")));
    assert!(role_named(&owner, "Test SCIMv2 Renamed").await.is_none());
    let (_, roles) = owner.get(&format!("/api/v1/orgs/acme/users/{bob}/roles")).await;
    assert!(!roles.to_string().contains("SCIMv2"), "{roles}");
    t.finish().await;
}

/// A SCIM request with extra headers; answers the status, the `ETag` header and the body.
async fn scim_with(
    t: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (StatusCode, Option<String>, Value) {
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
    let etag = r.headers().get("etag").map(|v| v.to_str().unwrap().to_string());
    let text = r.text().await.unwrap();
    (status, etag, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
}

#[tokio::test]
async fn a_groups_version_follows_its_members_and_if_match_guards_its_writes() {
    let (t, _org, owner, token) = acme(&["admin"]).await;
    let (ann, bob) = (user_id(&owner, "ann@acme.test").await, user_id(&owner, "bob@acme.test").await);
    let (status, etag, g) = scim_with(
        &t,
        &token,
        Method::POST,
        "/scim/v2/Groups",
        &[],
        Some(json!({"schemas": [GROUP], "displayName": "Eng", "members": [{"value": ann}]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    let v1 = g["meta"]["version"].as_str().unwrap().to_string();
    assert!(v1.starts_with("W/\""), "{v1}");
    assert_eq!(etag.as_deref(), Some(v1.as_str()));
    let path = format!("/scim/v2/Groups/{}", g["id"].as_str().unwrap());
    // The same state reads as the same version; a client holding it gets 304.
    let (status, etag, _) = scim_with(&t, &token, Method::GET, &path, &[], None).await;
    assert_eq!((status, etag.as_deref()), (StatusCode::OK, Some(v1.as_str())));
    let (status, _, _) = scim_with(&t, &token, Method::GET, &path, &[("if-none-match", &v1)], None).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    // Without its members there is no version to give.
    let (_, etag, g) =
        scim_with(&t, &token, Method::GET, &format!("{path}?excludedAttributes=members"), &[], None).await;
    assert_eq!((etag, &g["meta"]["version"]), (None, &Value::Null));
    // A write for another version: 412, nothing changed.
    let add_bob =
        json!({"schemas": [PATCH], "Operations": [{"op": "add", "path": "members", "value": [{"value": bob}]}]});
    let stale = "W/\"0000\"";
    let (status, _, err) =
        scim_with(&t, &token, Method::PATCH, &path, &[("if-match", stale)], Some(add_bob.clone())).await;
    assert_eq!((status, err["status"].as_str()), (StatusCode::PRECONDITION_FAILED, Some("412")), "{err}");
    let (_, _, g) = scim_with(&t, &token, Method::GET, &path, &[], None).await;
    assert_eq!(member_ids(&g), vec![ann.clone()]);
    // For the current version: done, and the version moves.
    let (status, v2, g) = scim_with(&t, &token, Method::PATCH, &path, &[("if-match", &v1)], Some(add_bob)).await;
    assert_eq!(status, StatusCode::OK, "{g}");
    let v2 = v2.unwrap();
    assert_ne!(v2, v1);
    assert_eq!(member_ids(&g), sorted(vec![ann.clone(), bob.clone()]));
    // The Users tab taking the role from Bob moves the version too: the
    // identity provider's copy from before is stale.
    let (status, body) = owner
        .send(Method::PUT, &format!("/api/v1/orgs/acme/users/{bob}/roles"), Some(json!({"roles": ["user"]})))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, v3, _) = scim_with(&t, &token, Method::GET, &path, &[], None).await;
    assert_ne!(v3.as_deref(), Some(v2.as_str()));
    let (status, _, _) = scim_with(&t, &token, Method::DELETE, &path, &[("if-match", &v2)], None).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let (status, _, _) = scim_with(&t, &token, Method::DELETE, &path, &[("if-match", &v3.unwrap())], None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}
