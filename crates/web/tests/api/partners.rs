//! Partner organizations (issue 14): seed 004's matrix across the partner
//! and its customers, organization groups taking effect at once, no
//! escalation across scopes, tenant isolation, and acting inside a
//! customer as oneself.

use roster_testkit::{PASSWORD, spawn_app};
use serde_json::{Value, json};

/// Seed 004's table: role names, then per row its resource and marks.
const ROLES: [&str; 9] = [
    "Super Admin",
    "Global Admin",
    "Global View Only Admin",
    "Global Support Admin",
    "Global Billing Admin",
    "Key Account Manager",
    "Key Account View Only Manager",
    "Limited Key Account Manager",
    "Sales Agent",
];
const ROWS: [(&str, &str, [&str; 9]); 8] = [
    ("Broker settings", "broker_settings", ["e", "v", "v", "-", "-", "-", "-", "-", "-"]),
    ("Broker users", "members", ["e", "e", "v", "-", "-", "-", "-", "-", "-"]),
    ("Broker pricing", "broker_pricing", ["e", "e", "v", "v", "e", "-", "-", "-", "-"]),
    ("Broker billing", "broker_billing", ["e", "e", "v", "-", "e", "v", "v", "v", "v"]),
    ("Organization approvals", "org_approvals", ["e", "e", "v", "e", "-", "e", "v", "v", "v"]),
    ("Organization subscriptions", "org_subscriptions", ["e", "e", "v", "e", "-", "e", "v", "e", "e"]),
    ("Organization pricing", "org_pricing", ["e", "e", "v", "e", "-", "e", "v", "e", "v"]),
    ("Organization billing", "org_billing", ["e", "e", "v", "e", "-", "v", "v", "v", "v"]),
];

fn key(name: &str) -> String {
    name.to_lowercase().replace(' ', "_")
}

#[tokio::test]
async fn seed_004s_matrix_holds_in_the_partner_and_inside_customers_cell_by_cell() {
    let app = spawn_app().await;
    let partner = app.create_org_with_preset("brokers", "owner@brokers.test", "broker").await;
    let owner = app.login("owner@brokers.test", PASSWORD).await;
    for (slug, name) in [("mine-co", "Mine Co"), ("other-co", "Other Co")] {
        let (s, b) = owner
            .post(
                "/api/v1/orgs/brokers/customers",
                json!({"name": name, "slug": slug, "preset": "account-owner", "owner_email": format!("boss@{slug}.test")}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
    }
    let (s, group) = owner.post("/api/v1/orgs/brokers/org-groups", json!({"name": "Mine"})).await;
    assert_eq!(s, 201, "{group}");
    let gid = group["id"].as_str().unwrap().to_string();
    let (s, b) = owner
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/orgs/brokers/org-groups/{gid}/customers"),
            Some(json!({"orgs": ["mine-co"]})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let mut emails = Vec::new();
    for role in ROLES {
        let email = format!("{}@brokers.test", key(role));
        app.add_member_with_roles(&partner, &email, &[&key(role)]).await;
        emails.push(email);
    }
    let group_scoped: Vec<String> = emails.iter().skip(5).cloned().collect();
    let (s, b) = owner
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/orgs/brokers/org-groups/{gid}/members"),
            Some(json!({"users": group_scoped})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["members"].as_array().unwrap().len(), 4, "{b}");

    let mut cells = 0;
    let mut wrong = Vec::new();
    for (i, role) in ROLES.iter().enumerate() {
        let me = app.login(&emails[i], PASSWORD).await;
        for (ctx, in_group) in [("brokers", None), ("mine-co", Some(true)), ("other-co", Some(false))] {
            let mut checks = Vec::new();
            let mut expected = Vec::new();
            for (row, resource, marks) in ROWS {
                let broker_row = !resource.starts_with("org_");
                // Broker rows apply in the partner; Organization rows inside customers.
                if in_group.is_some() && broker_row {
                    continue;
                }
                for action in ["read", "update"] {
                    let table = matches!((marks[i], action), ("e", _) | ("v", "read"));
                    let group_limited = i >= 5;
                    let allowed = match in_group {
                        None => broker_row && table,
                        Some(mine) => table && (mine || !group_limited),
                    };
                    checks.push(json!({"user": emails[i], "resource": resource, "action": action}));
                    expected.push((row, action, allowed));
                }
            }
            let (s, b) = me.post(&format!("/api/v1/orgs/{ctx}/authz/check-batch"), json!({"checks": checks})).await;
            // A customer outside a Key Account role's groups is not there at all.
            if i >= 5 && in_group == Some(false) {
                assert_eq!(s, 404, "{role} in {ctx}: {b}");
                cells += expected.len();
                continue;
            }
            assert_eq!(s, 200, "{role} in {ctx}: {b}");
            for ((row, action, allowed), got) in expected.iter().zip(b["results"].as_array().unwrap()) {
                cells += 1;
                if got["allowed"].as_bool() != Some(*allowed) {
                    wrong.push(format!("{role} / {row} / {action} in {ctx}: expected {allowed}, got {got}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "cells that differ from seed 004:\n{}", wrong.join("\n"));
    assert_eq!(cells, 9 * (8 * 2 + 2 * 4 * 2));
    app.finish().await;
}

#[tokio::test]
async fn groups_take_effect_on_the_next_request_and_customers_see_the_partner_actor() {
    let app = spawn_app().await;
    let partner = app.create_org_with_preset("brokers2", "owner@brokers2.test", "broker").await;
    let owner = app.login("owner@brokers2.test", PASSWORD).await;
    let (s, b) = owner
        .post(
            "/api/v1/orgs/brokers2/customers",
            json!({"name": "Acme", "slug": "acme2", "owner_email": "boss@acme2.test"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    // The owner's email went through the outbox.
    let kam = app.add_member_with_roles(&partner, "kam@brokers2.test", &["key_account_manager"]).await;
    let me = app.login("kam@brokers2.test", PASSWORD).await;
    assert_eq!(me.get("/api/v1/orgs/acme2/users").await.0, 404, "no group yet: the customer is not there");
    let (s, listed) = me.get("/api/v1/orgs/brokers2/customers").await;
    assert_eq!(s, 200, "{listed}");
    assert_eq!(listed["total"], 0, "a Key Account Manager sees only their groups' customers: {listed}");
    let (_, g) = owner.post("/api/v1/orgs/brokers2/org-groups", json!({"name": "North"})).await;
    let gid = g["id"].as_str().unwrap().to_string();
    owner
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/orgs/brokers2/org-groups/{gid}/customers"),
            Some(json!({"orgs": ["acme2"]})),
        )
        .await;
    let (s, b) = owner
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/orgs/brokers2/org-groups/{gid}/members"),
            Some(json!({"users": [kam.to_string()]})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, users) = me.get("/api/v1/orgs/acme2/users").await;
    assert_eq!(s, 200, "{users}");
    let (_, listed) = me.get("/api/v1/orgs/brokers2/customers?q=acm").await;
    assert_eq!(listed["total"], 1, "{listed}");
    assert_eq!(listed["items"][0]["slug"], "acme2");
    assert_eq!(listed["items"][0]["status"], "invited", "its owner never signed in: {listed}");
    // Acting inside the customer: the History names the partner.
    let (s, inv) =
        me.post("/api/v1/orgs/acme2/invitations", json!({"email": "new@acme2.test", "first_name": "New"})).await;
    assert_eq!(s, 201, "{inv}");
    let customer = roster_app::access::open_org(&app.app, &roster_app::Actor::Cli, "acme2").await.unwrap();
    let h = roster_app::history::list(&app.app, &customer, &Default::default()).await.unwrap();
    let text = format!("{h:?}");
    assert!(text.contains("Through the partner Org brokers2"), "the History names the partner: {text}");
    assert!(text.contains("kam (Org brokers2)"), "the actor reads as 'Name (Partner)': {text}");
    // The customer's view: who of the partner can act here.
    let op = roster_app::partners::customers::partner_view(&app.app, &customer).await.unwrap();
    assert_eq!(op.partner.as_ref().map(|p| p.slug.as_str()), Some("brokers2"));
    assert!(op.actors.iter().any(|a| a.email == "kam@brokers2.test"), "{:?}", op.actors);
    // Out of the group: gone on the next request.
    owner
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/orgs/brokers2/org-groups/{gid}/members"),
            Some(json!({"users": []})),
        )
        .await;
    assert_eq!(me.get("/api/v1/orgs/acme2/users").await.0, 404);
    // Back in, then the customer moves out of the group.
    owner
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/orgs/brokers2/org-groups/{gid}/members"),
            Some(json!({"users": ["kam@brokers2.test"]})),
        )
        .await;
    assert_eq!(me.get("/api/v1/orgs/acme2/users").await.0, 200);
    owner
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/orgs/brokers2/org-groups/{gid}/customers"),
            Some(json!({"orgs": []})),
        )
        .await;
    assert_eq!(me.get("/api/v1/orgs/acme2/users").await.0, 404);
    // Changing a member's roles keeps their groups; taking the scope takes the reach.
    owner
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/orgs/brokers2/org-groups/{gid}/customers"),
            Some(json!({"orgs": ["acme2"]})),
        )
        .await;
    assert_eq!(me.get("/api/v1/orgs/acme2/users").await.0, 200);
    let roles = format!("/api/v1/orgs/brokers2/users/{kam}/roles");
    let (s, b) = owner.send(reqwest::Method::PUT, &roles, Some(json!({"roles": ["sales_agent"]}))).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["assignments"][1]["scope"]["groups"][0], gid.as_str(), "the Sales Agent keeps the group: {b}");
    assert_eq!(me.get("/api/v1/orgs/acme2/users").await.0, 200);
    let only_partner = json!({"assignments": [{"role": "sales_agent", "scope": "partner"}]});
    let (s, b) = owner.send(reqwest::Method::PUT, &roles, Some(only_partner)).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["assignments"].as_array().unwrap().len(), 1, "{b}");
    assert_eq!(me.get("/api/v1/orgs/acme2/users").await.0, 404);
    // A "Global" role given with the plain form reaches every customer.
    let (s, b) = owner.send(reqwest::Method::PUT, &roles, Some(json!({"roles": ["global_view_only_admin"]}))).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["assignments"][1]["scope"], "all_customers", "{b}");
    let (s, users) = me.get("/api/v1/orgs/acme2/users").await;
    assert_eq!(s, 200, "{users}");
    let (s, b) =
        me.post("/api/v1/orgs/acme2/invitations", json!({"email": "two@acme2.test", "first_name": "Two"})).await;
    assert_eq!(s, 403, "view only inside customers: {b}");
    app.finish().await;
}

#[tokio::test]
async fn no_escalation_across_scopes_and_tenant_isolation() {
    let app = spawn_app().await;
    let partner = app.create_org_with_preset("brokers3", "owner@brokers3.test", "broker").await;
    app.create_org_with_preset("rivals", "owner@rivals.test", "broker").await;
    let owner = app.login("owner@brokers3.test", PASSWORD).await;
    let rival = app.login("owner@rivals.test", PASSWORD).await;
    app.create_org("c-two", "boss@c-two.test").await;
    for slug in ["c-one"] {
        let (s, b) = owner
            .post(
                "/api/v1/orgs/brokers3/customers",
                json!({"name": slug, "slug": slug, "owner_email": format!("boss@{slug}.test")}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
    }
    let (_, g) = owner.post("/api/v1/orgs/brokers3/org-groups", json!({"name": "One"})).await;
    let gid = g["id"].as_str().unwrap().to_string();
    owner
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/orgs/brokers3/org-groups/{gid}/customers"),
            Some(json!({"orgs": ["c-one"]})),
        )
        .await;
    // Another partner sees none of it: 404, like something that does not exist.
    assert_eq!(rival.get("/api/v1/orgs/c-one/users").await.0, 404);
    assert_eq!(rival.get("/api/v1/orgs/brokers3/customers").await.0, 404);
    assert_eq!(rival.get(&format!("/api/v1/orgs/rivals/org-groups/{gid}")).await.0, 404);
    let (s, b) = rival
        .send(
            reqwest::Method::PUT,
            "/api/v1/orgs/rivals/org-groups/00000000-0000-7000-8000-000000000000/customers",
            Some(json!({"orgs": []})),
        )
        .await;
    assert_eq!(s, 404, "{b}");
    // A Global Admin (every customer) gives a Key Account Manager the group.
    let admin = app.add_member_with_roles(&partner, "ga@brokers3.test", &["global_admin"]).await;
    let _ = admin;
    let kam = app.add_member_with_roles(&partner, "kam@brokers3.test", &["key_account_manager"]).await;
    let ga = app.login("ga@brokers3.test", PASSWORD).await;
    let body = json!({"assignments": [
        {"role": "key_account_manager", "scope": "partner"},
        {"role": "key_account_manager", "scope": {"groups": [gid]}}
    ]});
    let (s, b) = ga.send(reqwest::Method::PUT, &format!("/api/v1/orgs/brokers3/users/{kam}/roles"), Some(body)).await;
    assert_eq!(s, 200, "{b}");
    assert!(b["assignments"].as_array().unwrap().iter().any(|a| a["scope"]["groups"][0] == gid.as_str()), "{b}");
    // The Key Account Manager cannot widen anyone's scope to all customers.
    let sales = app.add_member_with_roles(&partner, "sales@brokers3.test", &["sales_agent"]).await;
    app.set_roles(&partner, kam, &["key_account_manager", "global_view_only_admin"]).await;
    let kam_s = app.login("kam@brokers3.test", PASSWORD).await;
    let body = json!({"assignments": [{"role": "sales_agent", "scope": "all_customers"}]});
    let (s, b) =
        kam_s.send(reqwest::Method::PUT, &format!("/api/v1/orgs/brokers3/users/{sales}/roles"), Some(body)).await;
    assert!(s == 403, "{s} {b}");
    // An unknown scope is a clear 422.
    let body = json!({"assignments": [{"role": "sales_agent", "scope": "everywhere"}]});
    let (s, b) = ga.send(reqwest::Method::PUT, &format!("/api/v1/orgs/brokers3/users/{sales}/roles"), Some(body)).await;
    assert!(s == 422 || s == 400, "{s} {b}");
    // Linking an organization is a request its owner answers.
    assert_eq!(ga.get("/api/v1/orgs/c-two/users").await.0, 404);
    let (s, b) = owner.post("/api/v1/orgs/brokers3/customers/link", json!({"org": "c-two"})).await;
    assert_eq!(s, 202, "{b}");
    let boss2 = app.login("boss@c-two.test", PASSWORD).await;
    let accept = |view: &Value| {
        format!("/api/v1/orgs/c-two/partner/requests/{}/accept", view["requests"][0]["partner"]["id"].as_str().unwrap())
    };
    let (s, view) = boss2.get("/api/v1/orgs/c-two/partner").await;
    assert_eq!(s, 200, "{view}");
    let (s, b) = boss2.post(&accept(&view), json!({})).await;
    assert_eq!(s, 204, "{b}");
    assert_eq!(ga.get("/api/v1/orgs/c-two/users").await.0, 200);
    // The customer's own admins see who of the partner can act there.
    let (_, view) = boss2.get("/api/v1/orgs/c-two/partner").await;
    assert_eq!(view["partner"]["slug"], "brokers3", "{view}");
    assert!(view["actors"].as_array().unwrap().iter().any(|a| a["email"] == "ga@brokers3.test"), "{view}");
    // Unlinking from the partner ends the reach at once.
    let (s, b) = owner.send(reqwest::Method::DELETE, "/api/v1/orgs/brokers3/customers/c-two", None).await;
    assert_eq!(s, 204, "{b}");
    assert_eq!(ga.get("/api/v1/orgs/c-two/users").await.0, 404);
    let (s, b) = owner.post("/api/v1/orgs/brokers3/customers/link", json!({"org": "c-two"})).await;
    assert_eq!(s, 202, "{b}");
    let (_, view) = boss2.get("/api/v1/orgs/c-two/partner").await;
    let (s, b) = boss2.post(&accept(&view), json!({})).await;
    assert_eq!(s, 204, "{b}");
    assert_eq!(ga.get("/api/v1/orgs/c-two/users").await.0, 200);
    // The customer's administrators revoke the link.
    let (s, b) = boss2.send(reqwest::Method::DELETE, "/api/v1/orgs/c-two/partner", None).await;
    assert_eq!(s, 204, "{b}");
    assert_eq!(ga.get("/api/v1/orgs/c-two/users").await.0, 404);
    app.finish().await;
}
