//! Roles and permissions through the API: presets, custom roles, role
//! assignment, own grants, no escalation, the owner, the last administrator
//! (under concurrency) and the check API.

use reqwest::{Method, StatusCode};
use roster_testkit::{PASSWORD, TestApp, spawn_app};
use serde_json::{Value, json};

fn role_id(roles: &Value, key: &str) -> String {
    roles["items"].as_array().unwrap().iter().find(|r| r["key"] == key).unwrap_or_else(|| panic!("no role {key}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn presets_are_listed_and_chosen_when_an_organization_is_created() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    let s = app.login("owner@acme.test", PASSWORD).await;
    let (status, presets) = s.get("/api/v1/presets").await;
    assert_eq!(status, StatusCode::OK);
    let keys: Vec<&str> = presets["items"].as_array().unwrap().iter().map(|p| p["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["account-owner", "super-user", "owner-admin-user", "payments", "broker"]);
    // The default preset is seed 000's three roles; the owner holds Account Owner.
    let (_, roles) = s.get("/api/v1/orgs/acme/roles").await;
    let names: Vec<&str> = roles["items"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["User", "Billing Manager", "Account Owner"]);
    assert_eq!(roles["items"][2]["member_count"], 1);
    assert_eq!(roles["items"][2]["locked"], true);
    let (_, me) = s.get(&format!("/api/v1/orgs/acme/users/{}", org.owner_id.unwrap())).await;
    assert_eq!(me["roles"][0]["key"], "account_owner", "{me}");
    // A signed-in user creates a broker organization; its permissions carry seed 004's wording.
    let (status, created) =
        s.post("/api/v1/orgs", json!({"name": "Broker Co", "slug": "broker-co", "preset": "broker"})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["preset"], "broker");
    let (_, perms) = s.get("/api/v1/orgs/broker-co/permissions").await;
    let labels: Vec<&str> = perms["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["enforced_by"] == "application")
        .map(|p| p["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "Broker settings",
            "Broker pricing",
            "Broker billing",
            "Organization approvals",
            "Organization subscriptions",
            "Organization pricing",
            "Organization billing"
        ]
    );
    assert!(perms["items"].as_array().unwrap().iter().any(|p| p["resource"] == "customers"), "partners get customers");
    let (_, acme_perms) = s.get("/api/v1/orgs/acme/permissions").await;
    assert!(!acme_perms["items"].as_array().unwrap().iter().any(|p| p["resource"] == "customers"));
    let (status, body) = s.post("/api/v1/orgs", json!({"name": "X", "slug": "x-co", "preset": "nope"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "preset", "{body}");
    app.finish().await;
}

#[tokio::test]
async fn custom_roles_are_created_edited_copied_and_deleted_with_reassignment() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    let s = app.login("owner@acme.test", PASSWORD).await;
    let grants = json!({"members": ["read"], "audit": ["read"]});
    let (status, role) = s
        .post("/api/v1/orgs/acme/roles", json!({"name": "Auditor", "description": "Reads history", "grants": grants}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{role}");
    assert_eq!(role["key"], "auditor");
    assert_eq!(role["builtin"], false);
    assert_eq!(role["grants"], grants);
    let id = role["id"].as_str().unwrap().to_string();
    // Names are unique regardless of case; grants must name known resources and actions.
    let (status, body) = s.post("/api/v1/orgs/acme/roles", json!({"name": "auditor"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["type"], "/problems/role-name-taken");
    let (status, body) = s
        .post("/api/v1/orgs/acme/roles", json!({"name": "Bad", "grants": {"nope": ["read"], "members": ["fly"]}}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["grants.members", "grants.nope"], "{body}");
    // Edit.
    let (status, edited) = s
        .send(
            Method::PATCH,
            &format!("/api/v1/orgs/acme/roles/{id}"),
            Some(json!({"name": "History reader", "grants": {"audit": ["read"]}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["name"], "History reader");
    assert_eq!(edited["grants"], json!({"audit": ["read"]}));
    // The owner's role is locked; built-in roles are copied, not deleted.
    let (status, body) =
        s.send(Method::PATCH, "/api/v1/orgs/acme/roles/account_owner", Some(json!({"description": "x"}))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["type"], "/problems/role-locked");
    let (status, body) = s.send(Method::DELETE, "/api/v1/orgs/acme/roles/user", None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["type"], "/problems/builtin-role");
    let (status, copy) = s.post("/api/v1/orgs/acme/roles/billing_manager/copy", json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{copy}");
    assert_eq!(copy["name"], "Copy of Billing Manager");
    assert_eq!(copy["builtin"], false);
    let (_, bm) = s.get("/api/v1/orgs/acme/roles/billing_manager").await;
    assert_eq!(copy["grants"], bm["grants"]);
    // A role in use is refused until its members get another role.
    let bob = app.add_member(&org, "bob@acme.test", "Bob").await;
    let (status, _) = s
        .send(Method::PUT, &format!("/api/v1/orgs/acme/users/{bob}/roles"), Some(json!({"roles": [id.clone()]})))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = s.send(Method::DELETE, &format!("/api/v1/orgs/acme/roles/{id}"), None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["type"], "/problems/role-in-use");
    assert!(body["detail"].as_str().unwrap().contains("1 member"), "{body}");
    let (status, body) =
        s.send(Method::DELETE, &format!("/api/v1/orgs/acme/roles/{id}?reassign_to=billing_manager"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["members_moved"], 1);
    let (_, bob_roles) = s.get(&format!("/api/v1/orgs/acme/users/{bob}/roles")).await;
    assert_eq!(bob_roles["roles"][0]["key"], "billing_manager");
    assert_eq!(s.get(&format!("/api/v1/orgs/acme/roles/{id}")).await.0, StatusCode::NOT_FOUND);
    app.finish().await;
}

#[tokio::test]
async fn roles_show_as_badges_and_filter_the_directory() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    app.seed(&org, 40).await;
    let s = app.login("owner@acme.test", PASSWORD).await;
    let (_, roles) = s.get("/api/v1/orgs/acme/roles").await;
    let counted: i64 = roles["items"].as_array().unwrap().iter().map(|r| r["member_count"].as_i64().unwrap()).sum();
    assert_eq!(counted, 41, "every seeded member holds one role, the owner too");
    for (key, expected) in
        roles["items"].as_array().unwrap().iter().map(|r| (r["key"].clone(), r["member_count"].clone()))
    {
        let key = key.as_str().unwrap();
        let (status, page) = s.get(&format!("/api/v1/orgs/acme/users?role={key}&per_page=200")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["total"], expected, "role {key}");
        for item in page["items"].as_array().unwrap() {
            assert!(item["roles"].as_array().unwrap().iter().any(|r| r["key"] == key), "{item}");
        }
        // By id too, combined with a status filter.
        let id = role_id(&roles, key);
        let (status, _) = s.get(&format!("/api/v1/orgs/acme/users?role={id}&status=active")).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, body) = s.get("/api/v1/orgs/acme/users?role=ghost").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "role");
    // A bulk change can be narrowed to a role.
    let (_, dry) = s
        .post(
            "/api/v1/orgs/acme/users/bulk",
            json!({"action": "disable", "dry_run": true, "filter": {"role": "billing_manager", "status": ["active"]}}),
        )
        .await;
    let (_, active_bm) = s.get("/api/v1/orgs/acme/users?role=billing_manager&status=active").await;
    assert_eq!(dry["changed"], active_bm["total"], "{dry}");
    app.finish().await;
}

#[tokio::test]
async fn no_escalation_when_assigning_roles_or_editing_them() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    let bm = app.add_member_with_roles(&org, "bm@acme.test", &["billing_manager"]).await;
    let bob = app.add_member(&org, "bob@acme.test", "Bob").await;
    let owner = org.owner_id.unwrap();
    let b = app.login("bm@acme.test", PASSWORD).await;
    // A Billing Manager gives the roles they hold…
    let (status, body) = b
        .send(Method::PUT, &format!("/api/v1/orgs/acme/users/{bob}/roles"), Some(json!({"roles": ["billing_manager"]})))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // …but not Account Owner, and the refusal names what they lack.
    let (status, body) = b
        .send(Method::PUT, &format!("/api/v1/orgs/acme/users/{bob}/roles"), Some(json!({"roles": ["account_owner"]})))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["type"], "/problems/escalation");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("members: delete") && detail.contains("roles: create, update, delete"), "{detail}");
    // They cannot change a member more powerful than themselves, nor the owner.
    let admin = app.add_member_with_roles(&org, "admin@acme.test", &["account_owner"]).await;
    let (status, body) = b.post(&format!("/api/v1/orgs/acme/users/{admin}/disable"), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["type"], "/problems/escalation");
    let (status, body) =
        b.send(Method::PUT, &format!("/api/v1/orgs/acme/users/{owner}/roles"), Some(json!({"roles": ["user"]}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["type"], "/problems/owner-protected");
    // Another Account Owner cannot demote the owner either; the owner keeps their role.
    let a = app.login("admin@acme.test", PASSWORD).await;
    let (status, body) =
        a.send(Method::PUT, &format!("/api/v1/orgs/acme/users/{owner}/roles"), Some(json!({"roles": ["user"]}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let o = app.login("owner@acme.test", PASSWORD).await;
    let (status, body) =
        o.send(Method::PUT, &format!("/api/v1/orgs/acme/users/{owner}/roles"), Some(json!({"roles": ["user"]}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("hand ownership on first"), "{body}");
    // A bulk disable by the Billing Manager skips whoever holds more than they do.
    let (status, body) =
        b.post("/api/v1/orgs/acme/users/bulk", json!({"action": "disable", "filter": {"status": ["active"]}})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["changed"], 1, "only bob: {body}");
    assert_eq!(body["skipped"], 3, "the owner, the other account owner and the billing manager themselves: {body}");
    // Role edits: a role holding more than you cannot be edited, nor made to.
    let custom = app.create_role(&org, "Support", &[("members", &["read"])]).await;
    let (status, body) = b
        .send(
            Method::PATCH,
            &format!("/api/v1/orgs/acme/roles/{custom}"),
            Some(json!({"grants": {"members": ["read", "delete"]}})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let _ = bm;
    app.finish().await;
}

#[tokio::test]
async fn own_grants_beside_roles_follow_the_same_rule() {
    // Seed 002: an Admin customizes a User's permissions, but only with access they hold.
    let app = spawn_app().await;
    let org = app.create_org_with_preset("agency", "owner@agency.test", "owner-admin-user").await;
    app.add_member_with_roles(&org, "admin@agency.test", &["admin"]).await;
    let user = app.add_member(&org, "user@agency.test", "Uma").await;
    let a = app.login("admin@agency.test", PASSWORD).await;
    let path = format!("/api/v1/orgs/agency/users/{user}/grants");
    let (status, body) = a.send(Method::PUT, &path, Some(json!({"grants": {"sub_accounts": ["read"]}}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("sub_accounts: read"), "{body}");
    let (status, body) = a.send(Method::PUT, &path, Some(json!({"grants": {"audit": ["read"]}}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["grants"], json!({"audit": ["read"]}));
    // The check API sees the own grant.
    let (_, check) = a
        .post(
            "/api/v1/orgs/agency/authz/check",
            json!({"user": "user@agency.test", "resource": "audit", "action": "read"}),
        )
        .await;
    assert_eq!(check, json!({"allowed": true, "via": ["own grants"]}));
    // The owner can give what the admin cannot.
    let o = app.login("owner@agency.test", PASSWORD).await;
    let (status, _) = o.send(Method::PUT, &path, Some(json!({"grants": {"sub_accounts": ["read"]}}))).await;
    assert_eq!(status, StatusCode::OK);
    // Now the user holds something the admin lacks: the admin cannot touch them.
    let (status, body) = a.send(Method::PUT, &path, Some(json!({"grants": {}}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // And in this preset the owner cannot hand ownership on (seed 002).
    let (status, body) = o.post("/api/v1/orgs/agency/transfer-ownership", json!({"user": user})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["type"], "/problems/transfer-disabled");
    app.finish().await;
}

#[tokio::test]
async fn the_owner_hands_ownership_on_where_the_preset_allows() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    let bob = app.add_member(&org, "bob@acme.test", "Bob").await;
    let admin = app.add_member_with_roles(&org, "admin@acme.test", &["account_owner"]).await;
    let a = app.login("admin@acme.test", PASSWORD).await;
    let (status, _) = a.post("/api/v1/orgs/acme/transfer-ownership", json!({"user": admin})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the owner");
    let o = app.login("owner@acme.test", PASSWORD).await;
    let (status, body) = o.post("/api/v1/orgs/acme/transfer-ownership", json!({"user": bob})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, bob_item) = o.get(&format!("/api/v1/orgs/acme/users/{bob}")).await;
    let keys: Vec<&str> = bob_item["roles"].as_array().unwrap().iter().map(|r| r["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["user", "account_owner"], "the new owner gets the owner's role");
    // The new owner is protected; the previous one is not any more.
    let (status, _) = o.post(&format!("/api/v1/orgs/acme/users/{bob}/disable"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let b = app.login("bob@acme.test", PASSWORD).await;
    let (status, body) = b.post(&format!("/api/v1/orgs/acme/users/{}/disable", org.owner_id.unwrap()), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.finish().await;
}

/// Signs in one session per member, ahead of a race.
async fn sessions(app: &TestApp, emails: &[&str]) -> Vec<roster_testkit::Session> {
    let mut out = Vec::new();
    for e in emails {
        out.push(app.login(e, PASSWORD).await);
    }
    out
}

#[tokio::test]
async fn fifty_concurrent_demotions_and_disables_leave_an_administrator() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    let a = app.add_member_with_roles(&org, "a@acme.test", &["account_owner"]).await;
    let b = app.add_member_with_roles(&org, "b@acme.test", &["account_owner"]).await;
    app.make_ownerless(&org).await;
    app.set_roles(&org, org.owner_id.unwrap(), &["user"]).await;
    let s = sessions(&app, &["a@acme.test", "b@acme.test"]).await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (session, target) = if i % 2 == 0 { (s[0].clone(), b) } else { (s[1].clone(), a) };
        let me = if i % 2 == 0 { a } else { b };
        // Each administrator demotes themselves, demotes the other, or disables the other.
        let (method, path, body) = match (i / 2) % 3 {
            0 => (Method::PUT, format!("/api/v1/orgs/acme/users/{me}/roles"), Some(json!({"roles": ["user"]}))),
            1 => (Method::PUT, format!("/api/v1/orgs/acme/users/{target}/roles"), Some(json!({"roles": ["user"]}))),
            _ => (Method::POST, format!("/api/v1/orgs/acme/users/{target}/disable"), Some(json!({}))),
        };
        tasks.push(tokio::spawn(async move { session.send(method, &path, body).await }));
    }
    let results: Vec<(StatusCode, Value)> =
        futures::future::join_all(tasks).await.into_iter().map(|r| r.unwrap()).collect();
    let ok = results.iter().filter(|(s, _)| s.is_success()).count();
    let refused = results.iter().filter(|(_, b)| b["type"] == "/problems/last-administrator").count();
    assert!(ok >= 1, "one of the two was demoted or disabled");
    assert!(refused >= 1, "the last administrator was defended: {results:?}");
    for (status, body) in &results {
        assert!(status.is_success() || status.is_client_error(), "{status} {body}");
    }
    // Exactly one active administrator remains (asked as the operator: either may be gone).
    let access = roster_app::access::open_org(&app.app, &roster_app::Actor::Cli, "acme").await.unwrap();
    let req = roster_app::members::ListRequest {
        role: Some("account_owner".into()),
        filter: roster_domain::MemberFilter::new("", vec![roster_domain::MemberStatus::Active]).unwrap(),
        page: 1,
        per_page: 10,
        ..Default::default()
    };
    let admins = roster_app::members::list_members(&app.app, &access, &req).await.unwrap();
    assert_eq!(admins.total, 1, "{:?}", admins.items);
    app.finish().await;
}

#[tokio::test]
async fn the_check_api_answers_with_the_roles_that_allow() {
    let app = spawn_app().await;
    let org = app.create_org_with_preset("pay", "owner@pay.test", "payments").await;
    let other = app.create_org("other", "owner@other.test").await;
    let many = app
        .add_member_with_roles(
            &org,
            "many@pay.test",
            &["admin", "system_integrator", "payment_management", "reporting"],
        )
        .await;
    let stranger = app.add_member(&other, "stranger@other.test", "Stranger").await;
    let o = app.login("owner@pay.test", PASSWORD).await;
    let (_, perms) = o.get("/api/v1/orgs/pay/permissions").await;
    let resources: Vec<String> =
        perms["items"].as_array().unwrap().iter().map(|p| p["resource"].as_str().unwrap().to_string()).collect();
    let (_, roles) = o.get("/api/v1/orgs/pay/roles").await;
    // Every (resource, action) answer agrees with the roles' grants, and via names exactly the granting roles.
    let mut checks = Vec::new();
    for r in &resources {
        for a in ["read", "create", "update", "delete"] {
            checks.push(json!({"user": many.to_string(), "resource": r, "action": a}));
        }
    }
    let (status, batch) = o.post("/api/v1/orgs/pay/authz/check-batch", json!({"checks": checks})).await;
    assert_eq!(status, StatusCode::OK, "{batch}");
    let held = ["admin", "system_integrator", "payment_management", "reporting"];
    for (c, result) in checks.iter().zip(batch["results"].as_array().unwrap()) {
        let expected: Vec<&str> = roles["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| held.contains(&r["key"].as_str().unwrap()))
            .filter(|r| {
                r["grants"][c["resource"].as_str().unwrap()]
                    .as_array()
                    .is_some_and(|acts| acts.iter().any(|x| x == &c["action"]))
            })
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert_eq!(result["allowed"], !expected.is_empty(), "{c}");
        assert_eq!(result["via"], json!(expected), "{c}");
    }
    // By email; a disabled member is allowed nothing; another tenant's user is not found.
    let (_, one) = o
        .post(
            "/api/v1/orgs/pay/authz/check",
            json!({"user": "many@pay.test", "resource": "transactions", "action": "read"}),
        )
        .await;
    assert_eq!(one["allowed"], true, "{one}");
    o.post(&format!("/api/v1/orgs/pay/users/{many}/disable"), json!({})).await;
    let (_, one) = o
        .post(
            "/api/v1/orgs/pay/authz/check",
            json!({"user": many.to_string(), "resource": "transactions", "action": "read"}),
        )
        .await;
    assert_eq!(one, json!({"allowed": false, "via": []}));
    let (status, _) = o
        .post(
            "/api/v1/orgs/pay/authz/check",
            json!({"user": stranger.to_string(), "resource": "members", "action": "read"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = o
        .post("/api/v1/orgs/pay/authz/check", json!({"user": "many@pay.test", "resource": "nope", "action": "dance"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"].as_array().unwrap().len(), 2, "{body}");
    // A member without members:read may ask about themselves only.
    app.add_member(&org, "rep@pay.test", "Rep").await;
    let r = app.login("rep@pay.test", PASSWORD).await;
    let (status, me) = r
        .post(
            "/api/v1/orgs/pay/authz/check",
            json!({"user": "rep@pay.test", "resource": "analytics_reports", "action": "read"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me, json!({"allowed": true, "via": ["Reporting"]}));
    let (status, _) = r
        .post(
            "/api/v1/orgs/pay/authz/check",
            json!({"user": "owner@pay.test", "resource": "members", "action": "read"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Changes take effect on the very next check.
    o.send(Method::PUT, &format!("/api/v1/orgs/pay/users/{many}/roles"), Some(json!({"roles": ["reporting"]}))).await;
    o.post(&format!("/api/v1/orgs/pay/users/{many}/enable"), json!({})).await;
    let (_, one) = o
        .post(
            "/api/v1/orgs/pay/authz/check",
            json!({"user": "many@pay.test", "resource": "transactions", "action": "update"}),
        )
        .await;
    assert_eq!(one["allowed"], false, "{one}");
    app.finish().await;
}

#[tokio::test]
async fn a_member_edit_saves_all_of_it_or_none_of_it() {
    let app = spawn_app().await;
    let org = app.create_org_with_preset("agency", "owner@agency.test", "owner-admin-user").await;
    let admin = app.add_member_with_roles(&org, "admin@agency.test", &["admin"]).await;
    let user = app.add_member(&org, "user@agency.test", "Uma").await;
    let principal = roster_app::Principal {
        user_id: admin,
        email: "admin@agency.test".into(),
        name: "admin".into(),
        session_id: roster_domain::SessionId::new(),
    };
    let access = roster_app::access::open_org(&app.app, &roster_app::Actor::User(principal), "agency").await.unwrap();
    // Roles and name are fine, the own grant is beyond the admin: nothing is saved.
    let edit = roster_app::member_edit::MemberEdit {
        name: Some("Uma Renamed".into()),
        roles: Some(vec!["admin".into()]),
        grants: Some([("sub_accounts".to_string(), vec!["read".to_string()])].into()),
        products: None,
    };
    let err =
        roster_app::member_edit::update_member(&app.app, &access, user, edit, &Default::default()).await.unwrap_err();
    assert!(matches!(err, roster_app::AppError::Escalation(_)), "{err:?}");
    let o = app.login("owner@agency.test", PASSWORD).await;
    let (_, item) = o.get(&format!("/api/v1/orgs/agency/users/{user}")).await;
    assert_eq!(item["name"], "Uma");
    assert_eq!(item["roles"][0]["key"], "user", "{item}");
    assert_eq!(item["roles"].as_array().unwrap().len(), 1);
    // Within the admin's reach, all three parts are saved together.
    let edit = roster_app::member_edit::MemberEdit {
        name: Some("Uma Renamed".into()),
        roles: Some(vec!["admin".into()]),
        grants: Some([("audit".to_string(), vec!["read".to_string()])].into()),
        products: None,
    };
    let saved =
        roster_app::member_edit::update_member(&app.app, &access, user, edit, &Default::default()).await.unwrap();
    assert_eq!(saved.member.name, "Uma Renamed");
    assert_eq!(saved.roles.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), ["admin"]);
    app.finish().await;
}
