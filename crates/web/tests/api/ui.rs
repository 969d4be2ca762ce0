//! The pages without JavaScript: plain GETs and form posts, as a browser
//! with scripting off would send them.

use reqwest::StatusCode;
use roster_testkit::{PASSWORD, TestApp, client, page, spawn_app};

#[tokio::test]
async fn users_page_lists_filters_and_pages() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    app.seed(&org, 30).await;
    app.add_member(&org, "zed.quincy@acme.test", "Zed Quincy").await;
    let (c, _) = app.sign_in_form("owner@acme.test").await;
    let page = c.get(format!("{}/orgs/acme/settings/users?per_page=10", app.base_url)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Page 1 / 4"), "32 members at 10 a page");
    assert!(html.contains("32 Total"));
    assert!(html.contains("id=\"next\""));
    let html = c
        .get(format!("{}/orgs/acme/settings/users?q=quincy", app.base_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("zed.quincy@acme.test"));
    assert!(html.contains("1 Total"));
    assert!(html.contains("value=\"quincy\""), "the search box keeps what was typed");
    // Sorting descending by name through the select's value.
    let html = c
        .get(format!("{}/orgs/acme/settings/users?sort=-name&per_page=200", app.base_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let first = html.find("data-email=\"zed.quincy@acme.test\"").unwrap();
    let owner = html.find("data-email=\"owner@acme.test\"").unwrap();
    assert!(first < owner, "Z sorts before O descending");
    app.finish().await;
}

#[tokio::test]
async fn row_actions_edit_and_bulk_work_with_plain_forms() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    app.seed(&org, 20).await;
    let bob = app.add_member(&org, "bob@acme.test", "Bob").await;
    let (c, csrf) = app.sign_in_form("owner@acme.test").await;
    let base = &app.base_url;
    // Disable through the row form; the flash says so on the page we return to.
    let r = c
        .post(format!("{base}/orgs/acme/settings/users/{bob}/disable"))
        .form(&[("csrf_token", csrf.as_str()), ("return_to", "/orgs/acme/settings/users?q=bob")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers().get("location").unwrap(), "/orgs/acme/settings/users?q=bob");
    let html = c.get(format!("{base}/orgs/acme/settings/users?q=bob")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("bob@acme.test is now disabled."), "{html}");
    assert!(html.contains("data-action=\"enable\""));
    // The owner's row offers no disable, and a forged post is refused with a reason.
    let owner = org.owner_id.unwrap();
    let r = c
        .post(format!("{base}/orgs/acme/settings/users/{owner}/disable"))
        .form(&[("csrf_token", csrf.as_str()), ("return_to", "/orgs/acme/settings/users")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = c.get(format!("{base}/orgs/acme/settings/users")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("the owner cannot be disabled"), "{html}");
    // A bad name keeps what was typed and says what is wrong.
    let r = c
        .post(format!("{base}/orgs/acme/settings/users/{bob}/edit"))
        .form(&[("csrf_token", csrf.as_str()), ("name", &"x".repeat(201)), ("return_to", "/orgs/acme/settings/users")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains(&"x".repeat(201)));
    assert!(html.contains("at most 200 characters"));
    // Bulk: the confirm step says how many, and the post does it.
    let html = c
        .get(format!("{base}/orgs/acme/settings/users/bulk?action=disable&status=active"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (_, body) = app.login("owner@acme.test", PASSWORD).await.get("/api/v1/orgs/acme/users?status=active").await;
    let expected = body["total"].as_u64().unwrap() - 1;
    assert!(html.contains(&format!("<strong>{expected}</strong>")), "{html}");
    assert!(html.contains("owner matches too"));
    let r = c
        .post(format!("{base}/orgs/acme/settings/users/bulk"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("action", "disable"),
            ("q", ""),
            ("status", "active"),
            ("return_to", "/orgs/acme/settings/users"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = c.get(format!("{base}/orgs/acme/settings/users")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&format!("{expected} users disabled.")), "{html}");
    // Without the token, nothing changes.
    let r = c
        .post(format!("{base}/orgs/acme/settings/users/{bob}/enable"))
        .form(&[("return_to", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.finish().await;
}

#[tokio::test]
async fn members_without_rights_see_no_actions_and_strangers_see_nothing() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    let viewer = app.create_role(&org, "Directory viewer", &[("members", &["read"])]).await;
    app.add_member_with_roles(&org, "bob@acme.test", &[viewer.as_str()]).await;
    app.create_org("globex", "owner@globex.test").await;
    let (c, _) = app.sign_in_form("bob@acme.test").await;
    let html = c.get(format!("{}/orgs/acme/settings/users", app.base_url)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("bob@acme.test"));
    assert!(!html.contains("data-action="), "no row actions without members:update");
    assert!(!html.contains("id=\"disable-all\""));
    let r = c.get(format!("{}/orgs/globex/settings/users", app.base_url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    app.finish().await;
}

/// A role's id, by key, as the API lists it.
async fn role_id(app: &TestApp, owner: &str, key: &str) -> String {
    let (_, body) = app.login(owner, PASSWORD).await.get("/api/v1/orgs/acme/roles").await;
    body["items"].as_array().unwrap().iter().find(|r| r["key"] == key).unwrap()["id"].as_str().unwrap().to_string()
}

/// The part of a page from `start` up to the next `end`.
fn section<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html.find(start).unwrap_or_else(|| panic!("{start} not in {html}"));
    let rest = &html[from..];
    &rest[..rest[start.len()..].find(end).map(|i| i + start.len()).unwrap_or(rest.len())]
}

#[tokio::test]
async fn users_page_shows_role_badges_and_filters_by_role() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    app.add_member(&org, "bob@acme.test", "Bob").await;
    app.add_member_with_roles(&org, "carol@acme.test", &["billing_manager"]).await;
    let billing = role_id(&app, "owner@acme.test", "billing_manager").await;
    let (c, _) = app.sign_in_form("owner@acme.test").await;
    let base = &app.base_url;
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/users")).await;
    let carol = section(&html, "data-email=\"carol@acme.test\"", "</tr>");
    assert!(carol.contains(&format!("?role={billing}\"")) && carol.contains(">Billing Manager</a>"), "{carol}");
    let bob = section(&html, "data-email=\"bob@acme.test\"", "</tr>");
    assert!(bob.contains(">User</a>"), "the preset's default role: {bob}");
    assert!(html.contains("<option value=\"\">All roles</option>"));
    assert!(html.contains(&format!("<option value=\"{billing}\">Billing Manager</option>")));
    // Filtering by the role (its key works too, and the select shows the choice).
    let (status, html) = page(&c, format!("{base}/orgs/acme/settings/users?role=billing_manager&per_page=10")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("carol@acme.test") && !html.contains("bob@acme.test"), "{html}");
    assert!(html.contains(&format!("<option value=\"{billing}\" selected>")));
    assert!(html.contains("1 Total"));
    // Sorting and bulk links keep the role; the bulk confirm counts only its holders.
    assert!(html.contains(&format!("role={billing}")));
    let bulk = html
        .split("id=\"disable-all\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    assert!(bulk.contains(&format!("role={billing}")), "{bulk}");
    let (_, confirm) = page(&c, format!("{base}{bulk}")).await;
    assert!(confirm.contains("<strong>1</strong>"), "{confirm}");
    assert!(confirm.contains("holding the role “Billing Manager”"));
    assert!(confirm.contains(&format!("name=\"role\" value=\"{billing}\"")));
    // An unknown role starts over without it.
    let r = c.get(format!("{base}/orgs/acme/settings/users?role=nope")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // A member without members:read gets a clear refusal, inside the frame.
    let c = client();
    c.post(format!("{base}/login"))
        .form(&[("email", "bob@acme.test"), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    let (status, html) = page(&c, format!("{base}/orgs/acme/settings/users")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("You cannot see the users"), "{html}");
    assert!(!html.contains(">Roles</a>"), "no Roles tab without roles:read");
    app.finish().await;
}

#[tokio::test]
async fn members_roles_and_own_permissions_change_through_the_edit_form() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    let bob = app.add_member(&org, "bob@acme.test", "Bob").await;
    app.add_member_with_roles(&org, "carol@acme.test", &["billing_manager"]).await;
    let billing = role_id(&app, "owner@acme.test", "billing_manager").await;
    let user_role = role_id(&app, "owner@acme.test", "user").await;
    let owner_role = role_id(&app, "owner@acme.test", "account_owner").await;
    let (c, csrf) = app.sign_in_form("owner@acme.test").await;
    let base = &app.base_url;
    let edit = format!("{base}/orgs/acme/settings/users/{bob}/edit");
    let (_, html) = page(&c, edit.clone()).await;
    assert!(html.contains(&format!("name=\"roles\" value=\"{user_role}\" checked")), "{html}");
    assert!(html.contains(&format!("name=\"roles\" value=\"{billing}\">")));
    assert!(html.contains("value=\"roles\" checked> Roles only"));
    // Billing Manager instead of User, and History (audit) to view of his own.
    let r = c
        .post(&edit)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("return_to", "/orgs/acme/settings/users"),
            ("name", "Bob"),
            ("roles", billing.as_str()),
            ("perm_mode", "custom"),
            ("grant.audit", "read"),
            ("grant.sessions", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/users")).await;
    assert!(html.contains("Saved bob@acme.test."));
    let row = section(&html, "data-email=\"bob@acme.test\"", "</tr>");
    assert!(row.contains(">Billing Manager</a>") && !row.contains(">User</a>"), "{row}");
    let (_, html) = page(&c, edit.clone()).await;
    assert!(html.contains("id=\"perm-custom\" checked"));
    assert!(section(&html, "id=\"grant-audit\"", "</select>").contains("<option value=\"read\" selected>"));
    // Back to roles only: the own grants go.
    let r = c
        .post(&edit)
        .form(&[("csrf_token", csrf.as_str()), ("name", "Bob"), ("roles", billing.as_str()), ("perm_mode", "roles")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&c, edit.clone()).await;
    assert!(html.contains("value=\"roles\" checked> Roles only"));
    // The owner's own form keeps the owner's role, checked and fixed.
    let owner = org.owner_id.unwrap();
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/users/{owner}/edit")).await;
    assert!(html.contains(&format!("value=\"{owner_role}\" checked disabled>")), "{html}");
    assert!(html.contains("The owner always holds this role."));

    // Carol (Billing Manager) cannot give what she lacks: the box is disabled,
    // and a forged post is refused with the form kept as typed.
    let dave = app.add_member(&org, "dave@acme.test", "Dave").await;
    let c2 = client();
    c2.post(format!("{base}/login"))
        .form(&[("email", "carol@acme.test"), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    let edit = format!("{base}/orgs/acme/settings/users/{dave}/edit");
    let (_, html) = page(&c2, edit.clone()).await;
    let csrf2 = html.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    assert!(html.contains(&format!("value=\"{owner_role}\" disabled>")), "{html}");
    assert!(html.contains("Grants more than you hold"));
    let r = c2
        .post(&edit)
        .form(&[
            ("csrf_token", csrf2.as_str()),
            ("name", "Dave typed"),
            ("roles", user_role.as_str()),
            ("roles", owner_role.as_str()),
            ("perm_mode", "roles"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let html = r.text().await.unwrap();
    assert!(html.contains("Beyond your own permissions"), "{html}");
    assert!(html.contains("value=\"Dave typed\""), "the typed name stays");
    assert!(html.contains(&format!("value=\"{owner_role}\" checked disabled>")), "the typed choice stays");
    let (_, body) = app.login("owner@acme.test", PASSWORD).await.get(&format!("/api/v1/orgs/acme/users/{dave}")).await;
    assert_eq!(body["name"], "Dave", "nothing was saved");
    app.finish().await;
}

#[tokio::test]
async fn custom_roles_are_created_edited_copied_and_deleted_through_forms() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    let (c, csrf) = app.sign_in_form("owner@acme.test").await;
    let base = &app.base_url;
    let (status, html) = page(&c, format!("{base}/orgs/acme/settings/roles/new")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"level.members\""));
    let new = format!("{base}/orgs/acme/settings/roles/new");
    // A missing name keeps what was typed.
    let r = c
        .post(&new)
        .form(&[("csrf_token", csrf.as_str()), ("name", ""), ("description", "Typed text"), ("level.audit", "view")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Typed text") && html.contains("id=\"name-error\""), "{html}");
    assert!(section(&html, "id=\"level-audit\"", "</select>").contains("value=\"view\" selected"));
    // A taken name says so.
    let r = c
        .post(&new)
        .form(&[("csrf_token", csrf.as_str()), ("name", "billing manager"), ("description", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("already exists"));
    // Created: View on members, Custom read+update on history (the select wins unless Custom).
    let r = c
        .post(&new)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("name", "Support"),
            ("description", "Helps members"),
            ("level.members", "view"),
            ("act.members", "delete"),
            ("level.audit", "custom"),
            ("act.audit", "read"),
            ("act.audit", "update"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/roles")).await;
    assert!(html.contains("Created the role Support."));
    let card = section(&html, "data-role=\"support\"", "</article>");
    assert!(card.contains("kind-custom"));
    assert!(section(card, "data-resource=\"members\"", "</tr>").contains("lvl-view"));
    assert!(section(card, "data-resource=\"audit\"", "</tr>").contains("read, update"));
    let id = role_id(&app, "owner@acme.test", "support").await;
    // Edit: rename and drop the history grant.
    let edit = format!("{base}/orgs/acme/settings/roles/{id}/edit");
    let (_, html) = page(&c, edit.clone()).await;
    assert!(html.contains("value=\"Support\""));
    assert!(section(&html, "id=\"level-audit\"", "</select>").contains("value=\"custom\" selected"));
    let r = c
        .post(&edit)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("name", "Support desk"),
            ("description", "x"),
            ("level.members", "view"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/roles")).await;
    let card = section(&html, "data-role=\"support\"", "</article>");
    assert!(card.contains("Support desk") && section(card, "data-resource=\"audit\"", "</tr>").contains("lvl-none"));
    // Copy opens the copy in the editor.
    let r = c
        .post(format!("{base}/orgs/acme/settings/roles/{id}/copy"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.ends_with("/edit"), "{to}");
    let (_, html) = page(&c, format!("{base}{to}")).await;
    assert!(html.contains("value=\"Copy of Support desk\""), "{html}");
    // Delete: a role in use asks where its members go.
    let bob = app.add_member(&org, "bob@acme.test", "Bob").await;
    app.set_roles(&org, bob, &["support"]).await;
    let del = format!("{base}/orgs/acme/settings/roles/{id}/delete");
    let (_, html) = page(&c, del.clone()).await;
    assert!(html.contains("id=\"reassign-to\""), "{html}");
    let r = c.post(&del).form(&[("csrf_token", csrf.as_str()), ("reassign_to", "")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("is assigned to 1 member"));
    let user_role = role_id(&app, "owner@acme.test", "user").await;
    let r =
        c.post(&del).form(&[("csrf_token", csrf.as_str()), ("reassign_to", user_role.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/roles")).await;
    assert!(html.contains("Deleted the role Support desk. 1 member got the other role instead."), "{html}");
    assert!(!html.contains("data-role=\"support\""));
    // Built-in roles offer no delete, and the page refuses.
    let billing = role_id(&app, "owner@acme.test", "billing_manager").await;
    let (status, _) = page(&c, format!("{base}/orgs/acme/settings/roles/{billing}/delete")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    app.finish().await;
}

#[tokio::test]
async fn roles_tab_shows_each_roles_matrix_and_compares_them() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    app.add_member_with_roles(&org, "carol@acme.test", &["billing_manager"]).await;
    app.add_member(&org, "bob@acme.test", "Bob").await;
    let billing = role_id(&app, "owner@acme.test", "billing_manager").await;
    let (c, _) = app.sign_in_form("owner@acme.test").await;
    let base = &app.base_url;
    let (status, html) = page(&c, format!("{base}/orgs/acme/settings/roles")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("aria-current=\"page\">Roles</a>"));
    // Seed 000's Billing Manager: products assigned, members, billing and the
    // card on file, but not the full organization.
    let card = section(&html, "data-role=\"billing_manager\"", "</article>");
    assert!(card.contains("kind-builtin"));
    assert!(
        card.contains(&format!("/orgs/acme/settings/users?role={billing}\" class=\"member-count\">1 member</a>")),
        "{card}"
    );
    for (res, level) in [
        ("products", "view"),
        ("payment_method", "edit"),
        ("billing", "edit"),
        ("licenses", "edit"),
        ("org_settings", "none"),
    ] {
        assert!(section(card, &format!("data-resource=\"{res}\""), "</tr>").contains(&format!("lvl-{level}")), "{res}");
    }
    assert!(section(card, "data-resource=\"members\"", "</tr>").contains("read, create, update"));
    assert!(card.contains("data-action=\"edit\"") && card.contains("data-action=\"copy\""));
    assert!(!card.contains("data-action=\"delete\""), "built-in roles are not deleted");
    let owner_card = section(&html, "data-role=\"account_owner\"", "</article>");
    assert!(owner_card.contains("kind-owner") && !owner_card.contains("data-action=\"edit\""));
    // Compare: every role by default, or the ones picked.
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/roles/compare")).await;
    let head = section(&html, "<thead>", "</thead>");
    assert!(head.contains("User") && head.contains("Billing Manager") && head.contains("Account Owner"));
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/roles/compare?roles=user&roles={billing}")).await;
    let head = section(&html, "<thead>", "</thead>");
    assert!(!head.contains("Account Owner"), "{head}");
    let row = section(&html, "data-resource=\"payment_method\"", "</tr>");
    assert!(
        row.contains("cell-none\" data-role=\"user\"") && row.contains("cell-edit\" data-role=\"billing_manager\""),
        "{row}"
    );
    let row = section(&html, "data-resource=\"products\"", "</tr>");
    assert!(
        row.contains("cell-view\" data-role=\"user\"") && row.contains("cell-view\" data-role=\"billing_manager\"")
    );
    // A plain User neither sees the tab nor the page.
    let c2 = client();
    c2.post(format!("{base}/login"))
        .form(&[("email", "bob@acme.test"), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    let (status, _) = page(&c2, format!("{base}/orgs/acme/settings/roles")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.finish().await;
}

#[tokio::test]
async fn ownership_is_handed_on_after_a_confirmation() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    let bob = app.add_member(&org, "bob@acme.test", "Bob").await;
    let (c, csrf) = app.sign_in_form("owner@acme.test").await;
    let base = &app.base_url;
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/roles")).await;
    assert!(html.contains("id=\"transfer-owner\""));
    let (status, html) = page(&c, format!("{base}/orgs/acme/settings/owner")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("<option value=\"{bob}\">Bob · bob@acme.test</option>")), "{html}");
    assert!(html.contains("I understand I will no longer be the owner"));
    // A search narrows the candidates (an organization may have a million members).
    app.add_member(&org, "carol@acme.test", "Carol").await;
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/owner?q=caro")).await;
    assert!(html.contains("carol@acme.test") && !html.contains("bob@acme.test"), "{html}");
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/owner?q=nobody-here")).await;
    assert!(html.contains("No active member matches"), "{html}");
    let bob_s = bob.to_string();
    let r = c
        .post(format!("{base}/orgs/acme/settings/owner"))
        .form(&[("csrf_token", csrf.as_str()), ("user", bob_s.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Tick the box") && html.contains(&format!("<option value=\"{bob}\" selected>")));
    let r = c
        .post(format!("{base}/orgs/acme/settings/owner"))
        .form(&[("csrf_token", csrf.as_str()), ("user", bob_s.as_str()), ("confirm", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/roles")).await;
    assert!(html.contains("you are no longer the owner"));
    assert!(html.contains("Bob owns Org acme"), "{html}");
    let (status, _) = page(&c, format!("{base}/orgs/acme/settings/owner")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the owner");
    // A preset that forbids handing ownership on: the page says so.
    app.create_org_with_preset("globex", "owner@globex.test", "owner-admin-user").await;
    let c3 = client();
    c3.post(format!("{base}/login"))
        .form(&[("email", "owner@globex.test"), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    let (_, html) = page(&c3, format!("{base}/orgs/globex/settings/roles")).await;
    assert!(!html.contains("id=\"transfer-owner\"") && html.contains("cannot be transferred"), "{html}");
    let (_, html) = page(&c3, format!("{base}/orgs/globex/settings/owner")).await;
    assert!(html.contains("id=\"transfer-disabled\""));
    app.finish().await;
}

#[tokio::test]
async fn filter_bar_keeps_name_and_email_in_links_pages_and_bulk() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    app.seed(&org, 20).await;
    for i in 0..12 {
        app.add_member(&org, &format!("zed{i:02}@acme.test"), &format!("Zed Quincy {i}")).await;
    }
    app.add_member(&org, "zed.other@acme.test", "Someone Else").await;
    let (c, csrf) = app.sign_in_form("owner@acme.test").await;
    let base = &app.base_url;
    let (status, html) = page(&c, format!("{base}/orgs/acme/settings/users?name=quincy&email=zed*&per_page=10")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"name\" name=\"name\" value=\"quincy\""), "the Name box keeps its value");
    assert!(html.contains("id=\"email\" name=\"email\" value=\"zed*\""), "the Email box keeps its value");
    assert!(html.contains("12 Total"), "{html}");
    assert!(!html.contains("zed.other@acme.test"));
    // The next page, the badges, the sort links and the bulk links keep both filters.
    let next = html.split("id=\"next\" href=\"").nth(1).unwrap().split('"').next().unwrap().replace("&#38;", "&");
    assert!(next.contains("name=quincy") && next.contains("email=zed*"), "{next}");
    let (_, second) = page(&c, format!("{base}{next}")).await;
    assert!(second.contains("Page 2 / 2"), "{next}: {second}");
    assert!(second.contains("value=\"quincy\"") && second.contains("value=\"zed*\""));
    let disable =
        html.split("id=\"disable-all\" href=\"").nth(1).unwrap().split('"').next().unwrap().replace("&#38;", "&");
    assert!(disable.contains("name=quincy") && disable.contains("email=zed*"), "{disable}");
    for badge in html.split("class=\"badge badge-").skip(1).take(4) {
        assert!(badge.contains("name=quincy") && badge.contains("email=zed*"), "{badge}");
    }
    // The confirm step counts the same members and carries the filters to the post.
    let (_, confirm) = page(&c, format!("{base}{disable}")).await;
    assert!(confirm.contains("<strong>12</strong>"), "{confirm}");
    assert!(confirm.contains("name=\"name\" value=\"quincy\"") && confirm.contains("name=\"email\" value=\"zed*\""));
    let r = c
        .post(format!("{base}/orgs/acme/settings/users/bulk"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("action", "disable"),
            ("name", "quincy"),
            ("email", "zed*"),
            ("return_to", "/orgs/acme/settings/users"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, after) = page(&c, format!("{base}/orgs/acme/settings/users?email=zed*&status=disabled")).await;
    assert!(after.contains("12 Total"), "{after}");
    app.finish().await;
}

#[tokio::test]
async fn control_characters_in_filters_show_an_error_and_keep_the_values() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    app.seed(&org, 5).await;
    let (c, csrf) = app.sign_in_form("owner@acme.test").await;
    let base = &app.base_url;
    let (status, html) =
        page(&c, format!("{base}/orgs/acme/settings/users?q=a%00b&name=zed&email=ann*&status=active")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"filter-error\""), "{html}");
    assert!(html.contains("Search: must not contain control characters"), "{html}");
    assert!(html.contains("value=\"a\u{FFFD}b\""), "the search box keeps what was typed");
    assert!(html.contains("value=\"zed\"") && html.contains("value=\"ann*\""), "the other boxes keep theirs");
    assert!(html.contains("<option value=\"active\" selected>"), "and the status");
    assert!(!html.contains("id=\"disable-all\""), "no bulk action over a refused filter");
    let (status, html) = page(&c, format!("{base}/orgs/acme/settings/users?name=a%0Ab&email=a%01")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Name: must not contain") && html.contains("Email: must not contain"), "{html}");
    // The bulk confirm step and the bulk post refuse them without a 500.
    let (status, html) = page(&c, format!("{base}/orgs/acme/settings/users/bulk?action=disable&q=a%00b")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    for (field, value) in [("q", "a\u{0}b"), ("name", "\u{0}"), ("email", "ann\u{0}*")] {
        let r = c
            .post(format!("{base}/orgs/acme/settings/users/bulk"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("action", "disable"),
                (field, value),
                ("return_to", "/orgs/acme/settings/users"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
    }
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/users?status=active")).await;
    assert!(!html.contains("users disabled"), "nothing changed");
    app.finish().await;
}

// Products: the tab, a product's page, the workspace, the member forms.

/// Subscribes `org` to a product as the operator would.
async fn subscribe(app: &TestApp, org: &roster_store::orgs::OrgRecord, key: &str, seats: i64) {
    let access = roster_app::access::open_org(&app.app, &roster_app::Actor::Cli, &org.slug).await.unwrap();
    let patch = roster_app::products::SubscriptionPatch { license_count: Some(seats), ..Default::default() };
    roster_app::products::update_subscription(&app.app, &access, key, &patch, &Default::default()).await.unwrap();
}

/// Sets a member's products as the operator would.
async fn give_products(app: &TestApp, org: &roster_store::orgs::OrgRecord, user: roster_domain::UserId, keys: &[&str]) {
    let access = roster_app::access::open_org(&app.app, &roster_app::Actor::Cli, &org.slug).await.unwrap();
    let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    roster_app::products::set_member_products(&app.app, &access, user, &keys, &Default::default()).await.unwrap();
}

/// A member's products, as stored.
async fn products_of(app: &TestApp, org: &roster_store::orgs::OrgRecord, user: roster_domain::UserId) -> Vec<String> {
    let access = roster_app::access::open_org(&app.app, &roster_app::Actor::Cli, &org.slug).await.unwrap();
    roster_app::products::member_products(&app.app, &access, user)
        .await
        .unwrap()
        .iter()
        .map(|p| p.to_string())
        .collect()
}

/// The location a redirect points to.
fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn products_tab_subscribes_starts_trials_and_counts_the_days() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    app.add_member(&org, "bob@acme.test", "Bob").await;
    let (c, csrf) = app.sign_in_form("owner@acme.test").await;
    let base = &app.base_url;
    let tab = format!("{base}/orgs/acme/settings/products");
    let (status, html) = page(&c, tab.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let tabs = section(&html, "<nav class=\"tabs\"", "</nav>");
    assert!(tabs.find(">Users</a>").unwrap() < tabs.find(">Products</a>").unwrap(), "Products right after Users");
    assert!(html.contains("aria-current=\"page\">Products</a>"));
    assert!(html.contains("id=\"manage-products\""), "the workspace button, top right");
    assert!(html.contains("id=\"no-products\""));
    for key in ["quote", "intake", "analytics"] {
        assert!(html.contains(&format!("data-offer=\"{key}\"")), "{key} offered");
    }
    // A bad number keeps what was typed, beside the box.
    let r = c
        .post(format!("{tab}/quote/seats"))
        .form(&[("csrf_token", csrf.as_str()), ("license_count", "ten")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    let offer = section(&html, "data-offer=\"quote\"", "</article>");
    assert!(offer.contains("value=\"ten\"") && offer.contains("id=\"seats-quote-error\""), "{offer}");
    // Subscribed with 2 seats.
    let r = c
        .post(format!("{tab}/quote/seats"))
        .form(&[("csrf_token", csrf.as_str()), ("license_count", "2")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/orgs/acme/settings/products");
    let (_, html) = page(&c, tab.clone()).await;
    assert!(html.contains("Subscribed to Quote Assistant with 2 seats."), "{html}");
    let card = section(&html, "data-product=\"quote\"", "</article>");
    assert!(card.contains("status-sub-active\">Active") && card.contains("figure-count\">2<"), "{card}");
    assert!(card.contains("figure-free\">2<") && card.contains("figure-disabled\">0<"));
    assert!(!html.contains("data-offer=\"quote\""), "no longer offered");
    // A trial of 14 days: who started it and the days left.
    let r = c
        .post(format!("{tab}/intake/trial"))
        .form(&[("csrf_token", csrf.as_str()), ("days", "14")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/orgs/acme/settings/products/intake");
    let (status, html) = page(&c, tab.clone()).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let card = section(&html, "data-product=\"intake\"", "</article>");
    assert!(card.contains("status-sub-trial\">Trial") && card.contains("14 days left"), "{card}");
    assert!(card.contains("Started by owner@acme.test on"), "{card}");
    // A trial longer than a year is refused beside its box, the typed days kept.
    let r = c
        .post(format!("{tab}/analytics/trial"))
        .form(&[("csrf_token", csrf.as_str()), ("days", "400")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(section(&html, "data-offer=\"analytics\"", "</article>").contains("value=\"400\""));
    // Two weeks and a day later the trial has ended.
    app.advance(15 * 86_400_000);
    let (c, _) = app.sign_in_form("owner@acme.test").await;
    let (_, html) = page(&c, tab.clone()).await;
    let card = section(&html, "data-product=\"intake\"", "</article>");
    assert!(card.contains("status-sub-expired\">Expired") && card.contains("Trial ended"), "{card}");
    // A plain User sees neither the tab nor the page.
    let (c2, _) = app.sign_in_form("bob@acme.test").await;
    let (status, html) = page(&c2, tab.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("You cannot see the products") && !html.contains(">Products</a>"), "{html}");
    app.finish().await;
}

#[tokio::test]
async fn product_page_changes_seats_settings_and_status_and_reclaims_seats() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    let bob = app.add_member(&org, "bob@acme.test", "Bob").await;
    let carol = app.add_member(&org, "carol@acme.test", "Carol").await;
    subscribe(&app, &org, "quote", 2).await;
    give_products(&app, &org, bob, &["quote"]).await;
    give_products(&app, &org, carol, &["quote"]).await;
    let (c, csrf) = app.sign_in_form("owner@acme.test").await;
    let base = &app.base_url;
    let product = format!("{base}/orgs/acme/settings/products/quote");
    let (status, html) = page(&c, product.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("figure-used\">2<") && html.contains("figure-free\">0<"), "{html}");
    let holders = section(&html, "id=\"holders\"", "</section>");
    assert!(holders.contains("data-email=\"bob@acme.test\"") && holders.contains("data-email=\"carol@acme.test\""));
    assert!(holders.contains("href=\"/orgs/acme/settings/users?product=quote\""), "{holders}");
    // Fewer seats than in use: refused beside the box, the typed value kept.
    let r = c
        .post(format!("{product}/seats"))
        .form(&[("csrf_token", csrf.as_str()), ("from", "product"), ("license_count", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"license_count\" value=\"1\""), "{html}");
    let err = section(&html, "id=\"license_count-error\"", "</small>");
    assert!(err.contains("2 of Quote Assistant") && err.contains("seats are assigned; free 1 first"), "{err}");
    let r = c
        .post(format!("{product}/seats"))
        .form(&[("csrf_token", csrf.as_str()), ("from", "product"), ("license_count", "5")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&c, product.clone()).await;
    assert!(html.contains("Quote Assistant now has 5 seats.") && html.contains("figure-free\">3<"), "{html}");
    // Settings: a checkbox and a text; each saved, shown again.
    let r = c
        .post(format!("{product}/settings"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("setting.auto_submit", "true"),
            ("setting.default_carrier", "Acme Mutual"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&c, product.clone()).await;
    assert!(html.contains("Saved the settings of Quote Assistant."));
    assert!(html.contains("id=\"setting-auto_submit\" value=\"true\" checked"), "{html}");
    assert!(html.contains("id=\"setting-default_carrier\" value=\"Acme Mutual\""));
    // A number setting refuses text beside its field and keeps it.
    subscribe(&app, &org, "intake", 3).await;
    let r = c
        .post(format!("{base}/orgs/acme/settings/products/intake/settings"))
        .form(&[("csrf_token", csrf.as_str()), ("setting.daily_limit", "lots")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("value=\"lots\"") && html.contains("id=\"setting-daily_limit-error\""), "{html}");
    // Carol disabled: her seat shows as held by a disabled member, and one step reclaims it.
    let (status, _) = app
        .login("owner@acme.test", PASSWORD)
        .await
        .post(&format!("/api/v1/orgs/acme/users/{carol}/disable"), serde_json::json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/products")).await;
    let card = section(&html, "data-product=\"quote\"", "</article>");
    assert!(card.contains("figure-disabled\">1<") && card.contains("data-action=\"reclaim\""), "{card}");
    let (status, html) = page(&c, format!("{product}/reclaim")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<strong>1</strong> license to remove from disabled members"), "{html}");
    let r = c
        .post(format!("{product}/reclaim"))
        .form(&[("csrf_token", csrf.as_str()), ("return_to", "/orgs/acme/settings/products")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the progress page");
    let html = r.text().await.unwrap();
    assert!(html.contains("flash-ok") && html.contains("Removed 1 license."), "{html}");
    assert!(html.contains("href=\"/orgs/acme/settings/products\" autofocus>Back to Products"), "the way back: {html}");
    assert!(products_of(&app, &org, carol).await.is_empty());
    assert_eq!(products_of(&app, &org, bob).await, ["quote"]);
    // Cancel after the confirm step; then reactivate.
    let (_, html) = page(&c, format!("{product}/status/cancel")).await;
    assert!(html.contains("Cancel the subscription to Quote Assistant?") && html.contains("grant nothing"), "{html}");
    let r = c.post(format!("{product}/status/cancel")).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&c, product.clone()).await;
    assert!(html.contains("The subscription to Quote Assistant is canceled."));
    assert!(html.contains("status-sub-canceled") && html.contains("id=\"status-reactivate\""), "{html}");
    let r = c.post(format!("{product}/status/reactivate")).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&c, product.clone()).await;
    assert!(html.contains("is active again") && html.contains("status-sub-active"), "{html}");
    // A trial converts to paid in one step.
    let access = roster_app::access::open_org(&app.app, &roster_app::Actor::Cli, "acme").await.unwrap();
    roster_app::products::start_trial(&app.app, &access, "analytics", Some(7), Some(3), &Default::default())
        .await
        .unwrap();
    let analytics = format!("{base}/orgs/acme/settings/products/analytics");
    let (_, html) = page(&c, analytics.clone()).await;
    assert!(html.contains("7 days left") && html.contains("id=\"convert\""), "{html}");
    let r = c.post(format!("{analytics}/convert")).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&c, analytics.clone()).await;
    assert!(html.contains("Analytics is now paid") && html.contains("Converted to paid"), "{html}");
    // Another organization's product page, or an unknown one, is not found.
    let (status, _) = page(&c, format!("{base}/orgs/acme/settings/products/nope")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.finish().await;
}

#[tokio::test]
async fn workspace_previews_and_applies_ticked_cells_and_filters() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    let bob = app.add_member(&org, "bob@acme.test", "Bob").await;
    let carol = app.add_member(&org, "carol@acme.test", "Carol").await;
    let dave = app.add_member(&org, "dave@acme.test", "Dave").await;
    subscribe(&app, &org, "quote", 2).await;
    subscribe(&app, &org, "analytics", 10).await;
    let (c, csrf) = app.sign_in_form("owner@acme.test").await;
    let base = &app.base_url;
    let ws = format!("{base}/orgs/acme/settings/products/workspace");
    let (status, html) = page(&c, ws.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let head = section(&html, "<thead>", "</thead>");
    assert!(head.contains("data-product=\"quote\"") && head.contains("2 free"), "{head}");
    assert!(head.contains("data-product=\"analytics\"") && head.contains("10 free"));
    let row = section(&html, "data-email=\"bob@acme.test\"", "</tr>");
    assert!(row.contains(&format!("name=\"cell\" value=\"{bob}:quote\"")), "{row}");
    assert!(html.contains("id=\"review\"") && html.contains("id=\"bulk-filter-form\""));
    let back = "/orgs/acme/settings/products/workspace?status=active";
    // Three quote licenses for two seats: the preview says it is short, and Apply is disabled.
    let cell = |u: roster_domain::UserId, p: &str| format!("{u}:{p}");
    let r = c
        .post(format!("{ws}/review"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("return_to", back),
            ("cell", &cell(bob, "quote")),
            ("cell", &cell(carol, "quote")),
            ("cell", &cell(dave, "quote")),
            ("member", &format!("{bob} bob@acme.test")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("<strong>3</strong> licenses to assign"), "{html}");
    assert!(section(&html, "id=\"seats-after\"", "</ul>").contains("short by 1 seat"), "{html}");
    assert!(html.contains("id=\"confirm\" disabled"), "Apply is disabled");
    assert!(section(&html, "id=\"changes\"", "</ul>").contains("bob@acme.test"), "who, from the grid's labels");
    // Two quote and one analytics: reviewed, applied, back on the grid with its filters.
    let r = c
        .post(format!("{ws}/review"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("return_to", back),
            ("cell", &cell(bob, "quote")),
            ("cell", &cell(carol, "quote")),
            ("cell", &cell(bob, "analytics")),
        ])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("<strong>3</strong> licenses to assign") && !html.contains("id=\"confirm\" disabled"));
    assert!(html.contains(&format!("name=\"assign\" value=\"{bob}:analytics\"")), "{html}");
    let r = c
        .post(format!("{ws}/apply"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("return_to", back),
            ("assign", &cell(bob, "quote")),
            ("assign", &cell(carol, "quote")),
            ("assign", &cell(bob, "analytics")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the progress page");
    let html = r.text().await.unwrap();
    assert!(html.contains("flash-ok") && html.contains("Assigned 3 licenses."), "{html}");
    assert!(
        html.contains(&format!("href=\"{}\"", back.replace('&', "&amp;"))),
        "back to the grid, filters kept: {html}"
    );
    let (_, html) = page(&c, format!("{base}{back}")).await;
    let row = section(&html, "data-email=\"bob@acme.test\"", "</tr>");
    assert!(row.contains(&format!("value=\"{bob}:quote\" checked")), "{row}");
    assert!(row.contains(&format!("name=\"was\" value=\"{bob}:quote\"")));
    assert!(section(&html, "<thead>", "</thead>").contains("none free"));
    // Unticking Bob's quote and ticking Dave's: one removed, one assigned, within the seats.
    let r = c
        .post(format!("{ws}/review"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("return_to", back),
            ("was", &cell(bob, "quote")),
            ("was", &cell(carol, "quote")),
            ("cell", &cell(carol, "quote")),
            ("cell", &cell(dave, "quote")),
        ])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("<strong>1</strong> license to assign, <strong>1</strong> license to remove"), "{html}");
    let r = c
        .post(format!("{ws}/apply"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("return_to", back),
            ("assign", &cell(dave, "quote")),
            ("remove", &cell(bob, "quote")),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Assigned 1 license and removed 1."));
    assert_eq!(products_of(&app, &org, bob).await, ["analytics"]);
    assert_eq!(products_of(&app, &org, dave).await, ["quote"]);
    // Nothing ticked differently: back with a notice.
    let r = c
        .post(format!("{ws}/review"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("return_to", back),
            ("was", &cell(dave, "quote")),
            ("cell", &cell(dave, "quote")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&c, format!("{base}{back}")).await;
    assert!(html.contains("Nothing changed"));
    // Every active member: analytics for those without it (Bob has it).
    let (status, html) = page(&c, format!("{ws}/filter?action=assign&license=analytics&status=active")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Assign Analytics to every matching member?"), "{html}");
    assert!(html.contains("<strong>3</strong> licenses to assign") && html.contains("1 already hold it"), "{html}");
    assert!(html.contains("status Active"), "the filter in words");
    assert!(html.contains("name=\"filter\" value=\"status=active\""), "{html}");
    let r = c
        .post(format!("{ws}/filter"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("action", "assign"),
            ("license", "analytics"),
            ("filter", "status=active"),
            ("return_to", back),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("Assigned 3 licenses."), "{html}");
    // Removing a product from a search's matches.
    let (_, html) = page(&c, format!("{ws}/filter?action=remove&license=analytics&q=dave")).await;
    assert!(html.contains("<strong>1</strong> license to remove") && html.contains("matching “dave”"), "{html}");
    // Assigning a product the organization lacks, or one short of seats, is refused before anything changes.
    let (status, html) = page(&c, format!("{ws}/filter?action=assign&license=quote")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"blocked\"") && html.contains("id=\"confirm\" disabled"), "{html}");
    let r = c
        .post(format!("{ws}/filter"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("action", "assign"),
            ("license", "quote"),
            ("filter", ""),
            ("return_to", back),
        ])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("flash-error") && html.contains("seats"), "{html}");
    assert_eq!(products_of(&app, &org, bob).await, ["analytics"], "nothing changed");
    // The Users tab shows each member's products.
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/users")).await;
    assert!(html.contains(">Products</th>"));
    let row = section(&html, "data-email=\"dave@acme.test\"", "</tr>");
    assert!(row.contains("data-product=\"quote\"") && row.contains(">Quote Assistant</a>"), "{row}");
    assert!(row.contains("data-product=\"analytics\""), "{row}");
    assert!(html.contains("id=\"manage-products\"") && html.contains("<select name=\"product\" id=\"product\">"));
    app.finish().await;
}

#[tokio::test]
async fn workspace_is_read_only_without_licenses_update() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    let viewer = app.create_role(&org, "License viewer", &[("members", &["read"]), ("licenses", &["read"])]).await;
    app.add_member_with_roles(&org, "vera@acme.test", &[viewer.as_str()]).await;
    subscribe(&app, &org, "quote", 2).await;
    let (c, csrf) = app.sign_in_form("vera@acme.test").await;
    let base = &app.base_url;
    let (status, html) = page(&c, format!("{base}/orgs/acme/settings/products/workspace")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("id=\"review\"") && !html.contains("id=\"bulk-filter-form\""), "{html}");
    assert!(section(&html, "data-email=\"vera@acme.test\"", "</tr>").contains("disabled"));
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/products")).await;
    assert!(!html.contains("id=\"manage-products\"") && !html.contains("data-action=\"subscribe\""), "{html}");
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/products/quote")).await;
    assert!(!html.contains("id=\"seats-form\"") && html.contains("id=\"holders\""), "{html}");
    let r = c
        .post(format!("{base}/orgs/acme/settings/products/workspace/apply"))
        .form(&[("csrf_token", csrf.as_str()), ("assign", &format!("{}:quote", org.owner_id.unwrap()))])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("flash-error"), "refused with a notice: {html}");
    app.finish().await;
}

#[tokio::test]
async fn member_form_saves_products_and_keeps_them_when_no_seat_is_free() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    let bob = app.add_member(&org, "bob@acme.test", "Bob").await;
    let carol = app.add_member(&org, "carol@acme.test", "Carol").await;
    subscribe(&app, &org, "quote", 1).await;
    subscribe(&app, &org, "analytics", 5).await;
    give_products(&app, &org, carol, &["quote"]).await;
    let (c, csrf) = app.sign_in_form("owner@acme.test").await;
    let edit = format!("{}/orgs/acme/settings/users/{bob}/edit", app.base_url);
    let (_, html) = page(&c, edit.clone()).await;
    let quote = section(&html, "data-product=\"quote\"", "</label>");
    assert!(quote.contains("value=\"quote\" disabled") && quote.contains("No seats are free"), "{quote}");
    assert!(section(&html, "data-product=\"analytics\"", "</label>").contains("5 seats free"));
    let user_role = role_id(&app, "owner@acme.test", "user").await;
    let form = |name: &str, products: &[&str]| {
        let mut f = vec![
            ("csrf_token".to_string(), csrf.clone()),
            ("name".into(), name.into()),
            ("roles".into(), user_role.clone()),
            ("perm_mode".into(), "roles".into()),
            ("products_shown".into(), "1".into()),
        ];
        f.extend(products.iter().map(|p| ("products".to_string(), p.to_string())));
        f
    };
    let r = c.post(&edit).form(&form("Bob", &["analytics"])).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(products_of(&app, &org, bob).await, ["analytics"]);
    // A forged tick of the product without seats: refused beside the products, everything kept.
    let r = c.post(&edit).form(&form("Bob typed", &["analytics", "quote"])).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(
        section(&html, "id=\"products-error\"", "</p>").contains("No seats are free for Quote Assistant"),
        "{html}"
    );
    assert!(html.contains("value=\"Bob typed\""));
    assert!(section(&html, "data-product=\"quote\"", "</label>").contains("value=\"quote\" checked>"), "kept ticked");
    assert_eq!(products_of(&app, &org, bob).await, ["analytics"], "nothing saved");
    assert!(products_of(&app, &org, bob).await.len() == 1);
    // Unticking all removes them; the name-only editor without licenses:update leaves them alone.
    let r = c.post(&edit).form(&form("Bob", &[])).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(products_of(&app, &org, bob).await.is_empty());
    give_products(&app, &org, bob, &["analytics"]).await;
    let editor =
        app.create_role(&org, "Member editor", &[("members", &["read", "update"]), ("products", &["read"])]).await;
    app.add_member_with_roles(&org, "ed@acme.test", &[editor.as_str()]).await;
    let (c2, csrf2) = app.sign_in_form("ed@acme.test").await;
    let (_, html) = page(&c2, edit.clone()).await;
    assert!(!html.contains("id=\"products-field\""), "no products without licenses:update");
    let r = c2
        .post(&edit)
        .form(&[
            ("csrf_token", csrf2.as_str()),
            ("name", "Bobby"),
            ("roles", user_role.as_str()),
            ("perm_mode", "roles"),
            ("products_shown", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(products_of(&app, &org, bob).await, ["analytics"]);
    app.finish().await;
}

#[tokio::test]
async fn invite_forms_offer_products_and_count_the_seats_of_every_row() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    subscribe(&app, &org, "quote", 2).await;
    let (c, csrf) = app.sign_in_form("owner@acme.test").await;
    let base = &app.base_url;
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/users/invite")).await;
    assert!(section(&html, "id=\"products-field\"", "</fieldset>").contains("value=\"quote\""), "{html}");
    let r = c
        .post(format!("{base}/orgs/acme/settings/users/invite"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("first_name", "Nina"),
            ("email", "nina@example.test"),
            ("send_email", "on"),
            ("perm_mode", "roles"),
            ("products", "quote"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/users?q=nina")).await;
    assert!(section(&html, "data-email=\"nina@example.test\"", "</tr>").contains("data-product=\"quote\""), "{html}");
    // Two rows want the last seat: the second is refused and nobody is invited.
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/users/invite-many?rows=2")).await;
    assert!(html.contains("name=\"products_0\" value=\"quote\""), "{html}");
    let r = c
        .post(format!("{base}/orgs/acme/settings/users/invite-many"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("rows", "2"),
            ("first_name_0", "Omar"),
            ("email_0", "omar@example.test"),
            ("products_0", "quote"),
            ("first_name_1", "Pia"),
            ("email_1", "pia@example.test"),
            ("products_1", "quote"),
            ("send_email", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(section(&html, "id=\"row-1-error\"", "</tr>").contains("seats"), "{html}");
    assert!(html.contains("name=\"products_0\" value=\"quote\" checked"), "rows kept as typed");
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/users?q=omar")).await;
    assert!(!html.contains("omar@example.test"), "nobody invited");
    app.finish().await;
}

/// The product filter of the pages, once `MemberFilter.product` is read from
/// the query and applied by the store (the "filter" change of issue 10).
#[tokio::test]
async fn product_filter_narrows_the_users_list_the_workspace_and_a_products_holders() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    let bob = app.add_member(&org, "bob@acme.test", "Bob").await;
    app.add_member(&org, "carol@acme.test", "Carol").await;
    subscribe(&app, &org, "quote", 5).await;
    give_products(&app, &org, bob, &["quote"]).await;
    let (c, _) = app.sign_in_form("owner@acme.test").await;
    let base = &app.base_url;
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/users?product=quote")).await;
    assert!(html.contains("<option value=\"quote\" selected>"), "{html}");
    assert!(html.contains("bob@acme.test") && !html.contains("carol@acme.test"), "{html}");
    let bulk =
        html.split("id=\"disable-all\" href=\"").nth(1).unwrap().split('"').next().unwrap().replace("&#38;", "&");
    assert!(bulk.contains("product=quote"), "{bulk}");
    let (_, confirm) = page(&c, format!("{base}{bulk}")).await;
    assert!(confirm.contains("holding a license of Quote Assistant") && confirm.contains("<strong>1</strong>"));
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/products/workspace?product=quote")).await;
    assert!(html.contains("data-email=\"bob@acme.test\"") && !html.contains("data-email=\"carol@acme.test\""));
    assert!(html.contains("name=\"product\" value=\"quote\""), "the bulk form carries the filter");
    let (_, html) = page(&c, format!("{base}/orgs/acme/settings/products/quote")).await;
    let holders = section(&html, "id=\"holders\"", "</section>");
    assert!(holders.contains("bob@acme.test") && !holders.contains("carol@acme.test"), "{holders}");
    app.finish().await;
}
