//! The Users list's `product` filter: only members holding a license of a
//! product, paged by keyset, counted per status, combined with the other
//! filters; an unknown product is refused naming `product`.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use roster_app::Actor;
use roster_app::products::{BulkLicenses, SubscriptionPatch};
use roster_domain::MemberStatus;
use roster_domain::members::StatusChange;
use roster_testkit::{PASSWORD, Session, spawn_app};
use serde_json::Value;

/// Every page of a list, following `next_cursor`; answers the rows' ids,
/// emails and statuses, and the first page.
async fn read_all(s: &Session, query: &str) -> (Vec<(String, String, String)>, Value) {
    let (status, first) = s.get(&format!("/api/v1/orgs/acme/users?per_page=10&{query}")).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let mut page = first.clone();
    let mut out = Vec::new();
    loop {
        for i in page["items"].as_array().unwrap() {
            out.push((
                i["id"].as_str().unwrap().to_string(),
                i["email"].as_str().unwrap().to_string(),
                i["status"].as_str().unwrap().to_string(),
            ));
        }
        let Some(c) = page["next_cursor"].as_str() else { break };
        let (status, next) = s.get(&format!("/api/v1/orgs/acme/users?per_page=10&{query}&cursor={c}")).await;
        assert_eq!(status, StatusCode::OK, "{next}");
        page = next;
    }
    (out, first)
}

#[tokio::test]
async fn the_users_list_filters_by_product() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    app.seed(&org, 60).await;
    let access = roster_app::access::open_org(&app.app, &Actor::Cli, "acme").await.unwrap();
    let meta = Default::default();
    let patch = SubscriptionPatch { license_count: Some(100), ..Default::default() };
    roster_app::products::update_subscription(&app.app, &access, "quote", &patch, &meta).await.unwrap();
    let s = app.login("owner@acme.test", PASSWORD).await;

    // Every third member who is not archived gets a Quote Assistant license.
    let (everyone, _) = read_all(&s, "").await;
    let chosen: Vec<&(String, String, String)> =
        everyone.iter().filter(|m| m.2 != "archived").enumerate().filter(|(i, _)| i % 3 == 0).map(|(_, m)| m).collect();
    let cells = chosen.iter().map(|m| (m.0.clone(), "quote".to_string())).collect();
    let req = BulkLicenses::Cells { assign: cells, remove: vec![] };
    let done = roster_app::products::bulk_licenses(&app.app, &access, &req, false, &meta).await.unwrap();
    assert_eq!(done.assigned, chosen.len() as u64);
    let holders: BTreeSet<&str> = chosen.iter().map(|m| m.0.as_str()).collect();

    // Paged by cursor: exactly the holders, in email order, each once; the badges count them.
    let (listed, first) = read_all(&s, "product=quote").await;
    assert_eq!(listed.iter().map(|m| m.0.as_str()).collect::<BTreeSet<_>>(), holders);
    assert_eq!(listed.len(), holders.len());
    assert!(listed.windows(2).all(|w| w[0].1 < w[1].1), "email order");
    assert_eq!(first["total"], holders.len());
    assert_eq!(first["counts_capped"], false);
    assert_eq!(first["counts"]["archived"], 0);
    for status in ["active", "invited", "disabled"] {
        let n = chosen.iter().filter(|m| m.2 == status).count();
        assert_eq!(first["counts"][status], n, "{status}: {first}");
    }
    // With a status, a sort, a search.
    let (active, _) = read_all(&s, "product=quote&status=active&sort=name&order=desc").await;
    let expected: BTreeSet<&str> = chosen.iter().filter(|m| m.2 == "active").map(|m| m.0.as_str()).collect();
    assert_eq!(active.iter().map(|m| m.0.as_str()).collect::<BTreeSet<_>>(), expected);
    let needle = &chosen[0].1[..4];
    let (found, _) = read_all(&s, &format!("product=quote&q={needle}")).await;
    let expected: BTreeSet<&str> = chosen.iter().filter(|m| m.1.contains(needle)).map(|m| m.0.as_str()).collect();
    assert!(!expected.is_empty());
    assert_eq!(found.iter().map(|m| m.0.as_str()).collect::<BTreeSet<_>>(), expected);

    // Archiving frees the license: the member leaves the list.
    let gone = chosen.iter().find(|m| m.2 == "active" && m.1 != "owner@acme.test").unwrap();
    roster_app::members::change_status(&app.app, &access, gone.0.parse().unwrap(), StatusChange::Archive, &meta)
        .await
        .unwrap();
    let (listed, first) = read_all(&s, "product=quote").await;
    assert_eq!(listed.len(), holders.len() - 1);
    assert!(!listed.iter().any(|m| m.0 == gone.0));
    assert_eq!(first["counts"]["archived"], 0);
    // A disabled member still holds their seat and stays listed as disabled.
    let (disabled, _) = read_all(&s, "product=quote&status=disabled").await;
    assert!(disabled.iter().all(|m| m.2 == MemberStatus::Disabled.as_str()));

    // A catalogue product the organization does not have: nobody.
    let (none, first) = read_all(&s, "product=analytics").await;
    assert!(none.is_empty());
    assert_eq!(first["total"], 0);
    // Not a product, or not a key at all: 422 naming `product`.
    for bad in ["ghost", "Not%20a%20key"] {
        let (status, body) = s.get(&format!("/api/v1/orgs/acme/users?product={bad}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["errors"][0]["field"], "product", "{body}");
    }
    app.finish().await;
}
