//! The Service Accounts tab without JavaScript (seed 001): the list, the
//! create form (no escalation, said beside the roles), a token shown once
//! and never again, revoking, rotating, disabling and deleting through the
//! confirm forms (the bearer token stops on the next request), and members
//! without the grant kept out.

use reqwest::{Method, StatusCode};
use roster_store::orgs::OrgRecord;
use roster_testkit::{TestApp, page, post_form, spawn_app_with};

const TAB: &str = "/orgs/acme/settings/service-accounts";
const USERS_API: &str = "/api/v1/orgs/acme/users";

async fn acme_with(configure: impl FnOnce(&mut roster_app::Config)) -> (TestApp, OrgRecord, reqwest::Client, String) {
    let app = spawn_app_with(configure).await;
    let org = app.create_org_with_preset("acme", "owner@acme.test", "owner-admin-user").await;
    let (owner, csrf) = app.sign_in_form("owner@acme.test").await;
    (app, org, owner, csrf)
}

async fn acme() -> (TestApp, OrgRecord, reqwest::Client, String) {
    acme_with(|_| {}).await
}

fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

/// The value of the checkbox just before a role's name on a form.
fn role_box(form: &str, role_name: &str) -> String {
    let at = form.find(&format!("<strong>{role_name}</strong>")).unwrap_or_else(|| panic!("{role_name} offered"));
    let before = &form[..at];
    before.rsplit("name=\"roles\" value=\"").next().and_then(|s| s.split('"').next()).unwrap().to_string()
}

/// The label of the role checkbox holding `role_name` (its `<label …>` up to the name).
fn role_label<'a>(form: &'a str, role_name: &str) -> &'a str {
    let at = form.find(&format!("<strong>{role_name}</strong>")).expect("role offered");
    let start = form[..at].rfind("<label").expect("its label");
    &form[start..at]
}

/// Creates an account through the form (as the owner); answers its id.
async fn create(app: &TestApp, c: &reqwest::Client, csrf: &str, name: &str, roles: &[&str]) -> String {
    let (_, form) = page(c, format!("{}{TAB}/new", app.base_url)).await;
    let mut fields: Vec<(&str, String)> = vec![("csrf_token", csrf.into()), ("name", name.into())];
    fields.push(("description", "Deploys from CI".into()));
    for r in roles {
        fields.push(("roles", role_box(&form, r)));
    }
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post_form(c, format!("{}{TAB}/new", app.base_url), &pairs).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap_or_default());
    let to = location(&r);
    to.strip_prefix(&format!("{TAB}/")).expect("on to the account's page").to_string()
}

/// Makes a token through the form; answers (its secret, the page).
async fn make_token(app: &TestApp, c: &reqwest::Client, csrf: &str, id: &str, name: &str) -> (String, String) {
    let r = post_form(
        c,
        format!("{}{TAB}/{id}/tokens/new", app.base_url),
        &[("csrf_token", csrf), ("name", name), ("expires_in_days", "30")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"), "never cached");
    let html = r.text().await.unwrap();
    (shown_token(&html), html)
}

fn shown_token(html: &str) -> String {
    let t = html.split("id=\"token-value\" readonly value=\"").nth(1).and_then(|s| s.split('"').next());
    t.expect("the token is shown").to_string()
}

/// The status of `GET /api/v1/orgs/acme/users` with only this bearer token.
async fn bearer_status(app: &TestApp, token: &str) -> StatusCode {
    let anon = app.anonymous();
    let req = anon.client.request(Method::GET, format!("{}{USERS_API}", anon.base_url)).bearer_auth(token);
    anon.raw(req).await.status()
}

/// The id of the first token row of an account's page.
fn first_token(html: &str) -> String {
    let id = html.split("data-token=\"").nth(1).and_then(|s| s.split('"').next());
    id.expect("a token row").to_string()
}

#[tokio::test]
async fn the_tab_lists_accounts_and_the_form_creates_one() {
    let (app, _, owner, csrf) = acme().await;
    let base = app.base_url.clone();
    let (status, html) = page(&owner, format!("{base}{TAB}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(">Service Accounts</a>"), "the tab");
    let roles_tab = html.find(">Roles</a>").unwrap();
    assert!(html.find(">Service Accounts</a>").unwrap() > roles_tab, "after Roles");
    assert!(html.contains("without using human user credentials"), "seed 001's words");
    assert!(html.contains("id=\"no-service-accounts\""));
    assert!(html.contains("+ New service account"));

    // The form offers every role but the owner's.
    let (status, form) = page(&owner, format!("{base}{TAB}/new")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("<strong>Admin</strong>") && form.contains("<strong>User</strong>"));
    assert!(!form.contains("<strong>Owner</strong>"), "the owner's role belongs to a person");

    // A bad name: said beside the name, the rest kept.
    let admin = role_box(&form, "Admin");
    let r = post_form(
        &owner,
        format!("{base}{TAB}/new"),
        &[("csrf_token", &csrf), ("name", ""), ("description", "Nightly export"), ("roles", &admin)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = r.text().await.unwrap();
    assert!(again.contains("id=\"name-error\""), "beside the name");
    assert!(again.contains(">Nightly export</textarea>"), "the description kept");
    assert!(role_label(&again, "Admin").contains(" checked"), "the role kept");

    let id = create(&app, &owner, &csrf, "ci-deploy", &["Admin"]).await;
    let (_, html) = page(&owner, format!("{base}{TAB}/{id}")).await;
    assert!(html.contains("Service account ci-deploy created"), "the flash");
    assert!(html.contains("id=\"no-tokens\""));
    let (_, html) = page(&owner, format!("{base}{TAB}")).await;
    let row = html.split("data-name=\"ci-deploy\"").nth(1).expect("listed").split("</tr>").next().unwrap();
    assert!(row.contains("data-status=\"active\"") || html.contains("data-name=\"ci-deploy\" data-status=\"active\""));
    assert!(row.contains("<span class=\"role\">Admin</span>"), "its roles");
    assert!(row.contains("Deploys from CI"));
    assert!(row.contains("0 live") && row.contains("Last used: Never"));

    // The same name again: beside the name.
    let r = post_form(&owner, format!("{base}{TAB}/new"), &[("csrf_token", &csrf), ("name", "ci-deploy")]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("id=\"name-error\""));

    // Edit: the form filled with what it holds; saving changes the roles.
    let (status, edit) = page(&owner, format!("{base}{TAB}/{id}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(edit.contains("value=\"ci-deploy\""));
    assert!(role_label(&edit, "Admin").contains(" checked"));
    let user = role_box(&edit, "User");
    let r = post_form(
        &owner,
        format!("{base}{TAB}/{id}/edit"),
        &[("csrf_token", &csrf), ("name", "ci-deploy"), ("description", "Deploys"), ("roles", &user)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&owner, format!("{base}{TAB}/{id}")).await;
    assert!(html.contains("<span class=\"role\">User</span>") && !html.contains("<span class=\"role\">Admin</span>"));
    app.finish().await;
}

#[tokio::test]
async fn nobody_gives_an_account_more_than_they_hold_through_the_form() {
    let (app, org, _owner, _) = acme().await;
    let role = app.create_role(&org, "SA manager", &[("service_accounts", &["read", "create", "update"])]).await;
    app.add_member_with_roles(&org, "sam@acme.test", &[&role]).await;
    let (sam, csrf) = app.sign_in_form("sam@acme.test").await;
    let base = app.base_url.clone();
    let (status, form) = page(&sam, format!("{base}{TAB}/new")).await;
    assert_eq!(status, StatusCode::OK);
    let admin_label = role_label(&form, "Admin");
    assert!(admin_label.contains(" disabled"), "Admin is beyond Sam: {admin_label}");
    assert!(form.contains("Grants more than you hold"), "the reason beside it");
    // Sent anyway (a forged form): refused beside the roles, input kept.
    let admin = role_box(&form, "Admin");
    let r = post_form(
        &sam,
        format!("{base}{TAB}/new"),
        &[("csrf_token", &csrf), ("name", "sneaky"), ("description", "mine"), ("roles", &admin)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"roles-error\""), "beside the roles");
    assert!(!html.contains("id=\"form-error\""));
    assert!(html.contains("value=\"sneaky\""), "the name kept");
    let (_, list) = page(&sam, format!("{base}{TAB}")).await;
    assert!(!list.contains("data-name=\"sneaky\""), "nothing made");
    app.finish().await;
}

#[tokio::test]
async fn a_token_is_shown_once_then_never_and_revoking_stops_it() {
    let (app, _, owner, csrf) = acme().await;
    let base = app.base_url.clone();
    let id = create(&app, &owner, &csrf, "ci-deploy", &["Admin"]).await;
    let (status, form) = page(&owner, format!("{base}{TAB}/{id}/tokens/new")).await;
    assert_eq!(status, StatusCode::OK);
    for days in ["30", "90", "180", "365"] {
        assert!(form.contains(&format!("<option value=\"{days}\"")), "{days} days offered");
    }
    assert!(form.contains("<option value=\"90\" selected>"), "90 days by default");
    assert!(!form.contains("<option value=\"0\""), "never is not allowed here");
    // A name is needed: said beside it, the lifetime kept.
    let r = post_form(
        &owner,
        format!("{base}{TAB}/{id}/tokens/new"),
        &[("csrf_token", &csrf), ("name", ""), ("expires_in_days", "180")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = r.text().await.unwrap();
    assert!(again.contains("id=\"token-name-error\"") && again.contains("<option value=\"180\" selected>"));

    let (secret, shown) = make_token(&app, &owner, &csrf, &id, "github-actions").await;
    assert!(secret.starts_with("roster_") && secret.len() == 56, "{secret}");
    assert!(shown.contains("shown only this once"), "the warning");
    assert!(shown.contains("id=\"copy-token\""), "the copy button");
    // Never again: the account's page and the tab show its prefix only.
    let body = &secret[13..];
    let (_, account) = page(&owner, format!("{base}{TAB}/{id}")).await;
    assert!(!account.contains(body), "the secret is not on the account's page");
    assert!(account.contains(&secret[..13]), "its prefix is");
    assert!(account.contains("data-state=\"live\""));
    let (_, tab) = page(&owner, format!("{base}{TAB}")).await;
    assert!(!tab.contains(body));
    assert!(tab.contains("1 live"));

    // It works, and its last use is shown.
    assert_eq!(bearer_status(&app, &secret).await, StatusCode::OK);
    let (_, account) = page(&owner, format!("{base}{TAB}/{id}")).await;
    assert!(account.contains("just now"), "last used");
    assert!(account.contains("127.0.0.1"), "from where");

    // Revoke: a confirm step, then 401 on the next request.
    let tid = first_token(&account);
    let (status, confirm) = page(&owner, format!("{base}{TAB}/{id}/tokens/{tid}/revoke")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("Revoke the token"));
    let r = post_form(&owner, format!("{base}{TAB}/{id}/tokens/{tid}/revoke"), &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("{TAB}/{id}"));
    assert_eq!(bearer_status(&app, &secret).await, StatusCode::UNAUTHORIZED);
    let (_, account) = page(&owner, format!("{base}{TAB}/{id}")).await;
    assert!(account.contains("is revoked"), "the flash");
    assert!(account.contains("data-state=\"revoked\""));
    assert!(!account.contains(body));
    app.finish().await;
}

#[tokio::test]
async fn rotating_through_the_form_shows_the_new_token_once() {
    let (app, _, owner, csrf) = acme().await;
    let base = app.base_url.clone();
    let id = create(&app, &owner, &csrf, "ci-deploy", &["Admin"]).await;
    let (old, _) = make_token(&app, &owner, &csrf, &id, "deploy").await;
    let (_, account) = page(&owner, format!("{base}{TAB}/{id}")).await;
    let tid = first_token(&account);
    let (status, confirm) = page(&owner, format!("{base}{TAB}/{id}/tokens/{tid}/rotate")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("name=\"overlap_hours\"") && confirm.contains("value=\"24\""));
    // Too long an overlap: beside the field, kept.
    let url = format!("{base}{TAB}/{id}/tokens/{tid}/rotate");
    let r = post_form(&owner, url.clone(), &[("csrf_token", &csrf), ("overlap_hours", "9999")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = r.text().await.unwrap();
    assert!(again.contains("id=\"overlap-error\"") && again.contains("value=\"9999\""));
    // With an overlap the old one keeps working.
    let r = post_form(&owner, url, &[("csrf_token", &csrf), ("overlap_hours", "2")]).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let html = r.text().await.unwrap();
    let new = shown_token(&html);
    assert_ne!(new, old);
    assert!(html.contains("id=\"overlap-note\""));
    assert_eq!(bearer_status(&app, &new).await, StatusCode::OK);
    assert_eq!(bearer_status(&app, &old).await, StatusCode::OK, "within the overlap");
    app.advance(2 * 60 * 60 * 1000 + 1000);
    assert_eq!(bearer_status(&app, &old).await, StatusCode::UNAUTHORIZED, "past the overlap");
    // Signed in again (the session idled out meanwhile).
    let (owner, _) = app.sign_in_form("owner@acme.test").await;
    let (_, account) = page(&owner, format!("{base}{TAB}/{id}")).await;
    assert!(!account.contains(&new[13..]) && !account.contains(&old[13..]));
    assert!(account.contains("data-state=\"expired\"") && account.contains("data-state=\"live\""), "{account}");
    app.finish().await;
}

#[tokio::test]
async fn disabling_and_deleting_through_the_forms_stop_the_tokens() {
    let (app, _, owner, csrf) = acme().await;
    let base = app.base_url.clone();
    let id = create(&app, &owner, &csrf, "ci-deploy", &["Admin"]).await;
    let (secret, _) = make_token(&app, &owner, &csrf, &id, "deploy").await;
    assert_eq!(bearer_status(&app, &secret).await, StatusCode::OK);

    let (status, confirm) = page(&owner, format!("{base}{TAB}/{id}/disable")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("Disable ci-deploy?") && confirm.contains("Its 1 live token"), "{confirm}");
    let r = post_form(&owner, format!("{base}{TAB}/{id}/disable"), &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(bearer_status(&app, &secret).await, StatusCode::UNAUTHORIZED, "disabled");
    let (_, account) = page(&owner, format!("{base}{TAB}/{id}")).await;
    assert!(account.contains("is disabled") && account.contains("id=\"disabled-note\""));
    assert!(account.contains("id=\"enable\""));
    let r = post_form(&owner, format!("{base}{TAB}/{id}/enable"), &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(bearer_status(&app, &secret).await, StatusCode::OK, "enabled again");

    let (status, confirm) = page(&owner, format!("{base}{TAB}/{id}/delete")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("All its tokens are revoked"), "delete says its tokens are revoked");
    let r = post_form(&owner, format!("{base}{TAB}/{id}/delete"), &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), TAB);
    assert_eq!(bearer_status(&app, &secret).await, StatusCode::UNAUTHORIZED, "deleted");
    let (_, tab) = page(&owner, format!("{base}{TAB}")).await;
    assert!(tab.contains("is deleted and its tokens are revoked"));
    assert!(!tab.contains("data-name=\"ci-deploy\""), "no longer listed");
    // An unknown action is no page.
    let (status, _) = page(&owner, format!("{base}{TAB}/{id}/explode")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.finish().await;
}

#[tokio::test]
async fn never_expiring_tokens_are_offered_only_where_the_deployment_allows_them() {
    let (app, _, owner, csrf) = acme_with(|c| c.token_policy.allow_never = true).await;
    let base = app.base_url.clone();
    let id = create(&app, &owner, &csrf, "ci-deploy", &["User"]).await;
    let (_, form) = page(&owner, format!("{base}{TAB}/{id}/tokens/new")).await;
    assert!(form.contains("<option value=\"0\">Never expires</option>"));
    let r = post_form(
        &owner,
        format!("{base}{TAB}/{id}/tokens/new"),
        &[("csrf_token", &csrf), ("name", "forever"), ("expires_in_days", "0")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let (_, account) = page(&owner, format!("{base}{TAB}/{id}")).await;
    let row = account.split("data-token=\"").nth(1).unwrap().split("</tr>").next().unwrap();
    assert!(row.contains(">Never</td>"), "{row}");
    app.finish().await;
}

#[tokio::test]
async fn a_member_without_the_grant_is_kept_out() {
    let (app, org, owner, csrf) = acme().await;
    let base = app.base_url.clone();
    let id = create(&app, &owner, &csrf, "ci-deploy", &["User"]).await;
    app.add_member(&org, "ann@acme.test", "Ann Smith").await;
    let (ann, ann_csrf) = app.sign_in_form("ann@acme.test").await;
    let (status, mine) = page(&ann, format!("{base}/orgs/acme/settings/my-sessions")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!mine.contains(">Service Accounts</a>"), "no tab");
    for path in [TAB.to_string(), format!("{TAB}/new"), format!("{TAB}/{id}"), format!("{TAB}/{id}/tokens/new")] {
        let (status, html) = page(&ann, format!("{base}{path}")).await;
        assert!(matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{path}: {status}");
        assert!(!html.contains("ci-deploy"), "{path}");
    }
    let r = post_form(
        &ann,
        format!("{base}{TAB}/{id}/tokens/new"),
        &[("csrf_token", &ann_csrf), ("name", "mine"), ("expires_in_days", "30")],
    )
    .await;
    assert!(matches!(r.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{}", r.status());
    assert!(!r.text().await.unwrap().contains("roster_"), "no token made");
    let r = post_form(&ann, format!("{base}{TAB}/{id}/delete"), &[("csrf_token", &ann_csrf)]).await;
    assert!(r.status() != StatusCode::SEE_OTHER || location(&r) == format!("{TAB}/{id}") || location(&r) == TAB);
    let (_, tab) = page(&owner, format!("{base}{TAB}")).await;
    assert!(tab.contains("data-name=\"ci-deploy\""), "still there");
    app.finish().await;
}

#[tokio::test]
async fn a_reader_sees_the_accounts_but_no_button_that_changes_them() {
    let (app, org, owner, csrf) = acme().await;
    let base = app.base_url.clone();
    let id = create(&app, &owner, &csrf, "ci-deploy", &["User"]).await;
    make_token(&app, &owner, &csrf, &id, "deploy").await;
    let role = app.create_role(&org, "SA reader", &[("service_accounts", &["read"])]).await;
    app.add_member_with_roles(&org, "rita@acme.test", &[&role]).await;
    let (rita, rita_csrf) = app.sign_in_form("rita@acme.test").await;
    let (status, tab) = page(&rita, format!("{base}{TAB}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(tab.contains("data-name=\"ci-deploy\""));
    assert!(!tab.contains("id=\"new-service-account\""), "no create button");
    let (status, account) = page(&rita, format!("{base}{TAB}/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(account.contains("data-state=\"live\""), "the tokens are listed");
    for button in ["id=\"edit\"", "id=\"disable\"", "id=\"delete\"", "id=\"new-token\"", "data-action=\"revoke\""] {
        assert!(!account.contains(button), "{button}");
    }
    let (status, _) = page(&rita, format!("{base}{TAB}/new")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let r = post_form(&rita, format!("{base}{TAB}/{id}/disable"), &[("csrf_token", &rita_csrf)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, account) = page(&rita, format!("{base}{TAB}/{id}")).await;
    assert!(account.contains("flash-error"), "refused, said in the flash");
    assert!(account.contains("id=\"sa-status\">Active<"), "still active");
    app.finish().await;
}
