//! The authorization matrix, in the manner of Keycloak's PermissionsTest:
//! every API operation of the OpenAPI document × every role of two presets,
//! held by a member (session cookie) and by a service account (bearer
//! token), in two organizations, against its own and the other tenant, plus
//! anonymous. The expected answer is derived from the role's grants; an
//! operation the document lists without a rule here fails the test, so a
//! new endpoint cannot ship without saying who may call it.

use reqwest::{Method, StatusCode};
use roster_domain::permissions::{Action, preset};
use roster_testkit::{PASSWORD, Session, TestApp, client, spawn_app};
use serde_json::{Value, json};

/// Who may call an operation.
#[derive(Clone, Copy, Debug)]
enum Rule {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user (no organization involved).
    SignedIn,
    /// Only with a session; the signed-in case ends the session, so only the anonymous case runs.
    EndsSession,
    /// Any signed-in user, on an object of their own named by the path (one of
    /// their sessions): the matrix has no such id for each actor, so only the
    /// anonymous case runs; tests/api/sessions.rs holds another user's id to 404.
    OwnObject,
    /// An active member holding this grant in the organization.
    Grant(&'static str, Action),
    /// An active member holding either of two grants (the Products tab:
    /// `licenses:read` or `subscriptions:read`).
    EitherGrant((&'static str, Action), (&'static str, Action)),
    /// The same, on an object the path names that does not exist (a
    /// session id nobody has: one that exists ends at the first call, and a
    /// second answers 404 like a missing one): holding the grant passes the
    /// check and then finds nothing (404), lacking it is refused first (403).
    GrantThenMissing(&'static str, Action),
    /// Only the organization's owner.
    Owner,
    /// Only the owner, on an object the path names that does not exist (a
    /// partner's link request nobody sent): the owner passes the check and
    /// finds nothing (404), anyone else is refused first (403).
    OwnerThenMissing,
    /// Asking to join with the organization's join link (the body carries
    /// its code): any signed-in user. The organization's own members pass the
    /// check and are refused as members (409 `already-member`); anyone else
    /// asks (201). Without the code, or with a wrong one, the organization
    /// answers 404 like one that does not exist: tests/api/access_requests.rs
    /// holds that.
    AskToJoin,
    /// SCIM: only a service account's bearer token, whose organization and
    /// roles decide; anonymous callers (and sessions: tests/api/scim.rs
    /// holds those, with the token cases) get 401.
    BearerOnly,
    /// Not about one organization: any signed-in user holding this grant
    /// in an organization they belong to (the path names none, so no 404).
    /// A role without the grant may still pass — every actor has created an
    /// organization of its own by then (`POST /api/v1/orgs`) — so only
    /// denials are held here; tests/api/outbox.rs holds the refusal.
    GrantAnywhere(&'static str, Action),
}

fn rule(method: &str, path: &str) -> Option<(Rule, Value)> {
    use Action::*;
    let none = Value::Null;
    Some(match (method, path) {
        ("POST", "/api/v1/auth/login") | ("GET", "/healthz") | ("GET", "/readyz") => (Rule::Public, none),
        ("POST", "/api/v1/invitations/accept") => (Rule::Public, json!({"token": "not-a-token"})),
        ("POST", "/api/v1/auth/password-reset") => (Rule::Public, json!({"email": "nobody@example.test"})),
        ("POST", "/api/v1/auth/password-reset/confirm") => {
            (Rule::Public, json!({"token": "not-a-token", "password": "a long passphrase of several words"}))
        }
        ("POST", "/api/v1/orgs/{org}/users/{id}/password-reset") | ("POST", "/api/v1/orgs/{org}/users/{id}/unlock") => {
            (Rule::Grant("members", Update), json!({}))
        }
        ("GET", "/api/v1/orgs/{org}/invitations") => (Rule::Grant("invitations", Read), none),
        // Access requests: the organization's side, and the requester's.
        ("GET", "/api/v1/orgs/{org}/access-requests") => (Rule::Grant("access_requests", Read), none),
        ("POST", "/api/v1/orgs/{org}/access-requests") => {
            (Rule::AskToJoin, json!({"message": "Let me in", "code": "__join_code__"}))
        }
        ("GET", "/api/v1/orgs/{org}/access-requests/{id}") => (Rule::GrantThenMissing("access_requests", Read), none),
        ("POST", "/api/v1/orgs/{org}/access-requests/{id}/approve") => {
            (Rule::GrantThenMissing("access_requests", Update), json!({"roles": []}))
        }
        ("POST", "/api/v1/orgs/{org}/access-requests/{id}/deny") => {
            (Rule::GrantThenMissing("access_requests", Update), json!({"reason": "matrix"}))
        }
        ("GET", "/api/v1/me/access-requests") | ("GET", "/api/v1/me/join-suggestions") => (Rule::SignedIn, none),
        ("DELETE", "/api/v1/me/access-requests/{id}") => (Rule::OwnObject, none),
        // Service accounts: `{id}` names no account (see `concrete`), so holding the grant finds nothing.
        ("GET", "/api/v1/orgs/{org}/service-accounts") => (Rule::Grant("service_accounts", Read), none),
        ("POST", "/api/v1/orgs/{org}/service-accounts") => {
            (Rule::Grant("service_accounts", Create), json!({"name": "__slug__", "roles": []}))
        }
        ("GET", "/api/v1/orgs/{org}/service-accounts/{id}")
        | ("GET", "/api/v1/orgs/{org}/service-accounts/{id}/tokens") => {
            (Rule::GrantThenMissing("service_accounts", Read), none)
        }
        ("PATCH", "/api/v1/orgs/{org}/service-accounts/{id}") => {
            (Rule::GrantThenMissing("service_accounts", Update), json!({"description": "matrix"}))
        }
        ("POST", "/api/v1/orgs/{org}/service-accounts/{id}/disable")
        | ("POST", "/api/v1/orgs/{org}/service-accounts/{id}/enable") => {
            (Rule::GrantThenMissing("service_accounts", Update), json!({}))
        }
        ("POST", "/api/v1/orgs/{org}/service-accounts/{id}/tokens") => {
            (Rule::GrantThenMissing("service_accounts", Update), json!({"name": "matrix"}))
        }
        ("DELETE", "/api/v1/orgs/{org}/service-accounts/{id}/tokens/{tid}") => {
            (Rule::GrantThenMissing("service_accounts", Update), none)
        }
        ("POST", "/api/v1/orgs/{org}/service-accounts/{id}/tokens/{tid}/rotate") => {
            (Rule::GrantThenMissing("service_accounts", Update), json!({"overlap_hours": 1}))
        }
        ("GET", "/scim/v2/Users")
        | ("GET", "/scim/v2/Users/{id}")
        | ("GET", "/scim/v2/ServiceProviderConfig")
        | ("GET", "/scim/v2/ResourceTypes")
        | ("GET", "/scim/v2/Schemas")
        | ("DELETE", "/scim/v2/Users/{id}") => (Rule::BearerOnly, none),
        ("POST", "/scim/v2/Users") | ("PUT", "/scim/v2/Users/{id}") => (
            Rule::BearerOnly,
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "m@x.test"}),
        ),
        ("PATCH", "/scim/v2/Users/{id}") => {
            (Rule::BearerOnly, json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": []}))
        }
        ("POST", "/api/v1/orgs/{org}/scim/token") => (Rule::Grant("service_accounts", Create), json!({})),
        ("GET", "/scim/v2/Groups") | ("GET", "/scim/v2/Groups/{id}") | ("DELETE", "/scim/v2/Groups/{id}") => {
            (Rule::BearerOnly, none)
        }
        ("POST", "/scim/v2/Groups") | ("PUT", "/scim/v2/Groups/{id}") => (
            Rule::BearerOnly,
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "matrix"}),
        ),
        ("PATCH", "/scim/v2/Groups/{id}") => {
            (Rule::BearerOnly, json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": []}))
        }
        ("GET", "/api/v1/orgs/{org}/scim/group-mappings") => (Rule::Grant("service_accounts", Read), none),
        ("POST", "/api/v1/orgs/{org}/scim/group-mappings") => {
            (Rule::Grant("service_accounts", Update), json!({"display_name": "__slug__", "role": "__default_role__"}))
        }
        ("DELETE", "/api/v1/orgs/{org}/scim/group-mappings/{id}") => {
            (Rule::GrantThenMissing("service_accounts", Update), none)
        }
        ("GET", "/api/v1/me/tokens") => (Rule::SignedIn, none),
        ("POST", "/api/v1/me/tokens") => (Rule::SignedIn, json!({"name": "matrix"})),
        ("DELETE", "/api/v1/me/tokens/{tid}") => (Rule::OwnObject, none),
        ("DELETE", "/api/v1/orgs/{org}/service-accounts/{id}") => {
            (Rule::GrantThenMissing("service_accounts", Delete), none)
        }
        ("GET", "/api/v1/orgs/{org}/settings") => (Rule::Grant("org_settings", Read), none),
        // Partners (issue 14): neither preset here is a partner, so these
        // answer 404 to everyone (tests/api/partners.rs holds a partner's).
        ("GET", "/api/v1/orgs/{org}/customers") => (Rule::Grant("customers", Read), none),
        ("POST", "/api/v1/orgs/{org}/customers") => (
            Rule::Grant("customers", Create),
            json!({"name": "Matrix", "slug": "__slug__-c", "owner_email": "__slug__@customer.test"}),
        ),
        ("POST", "/api/v1/orgs/{org}/customers/link") => (Rule::Grant("customers", Create), json!({"org": "nowhere"})),
        ("DELETE", "/api/v1/orgs/{org}/customers/{customer}") => (Rule::Grant("customers", Delete), none),
        ("GET", "/api/v1/orgs/{org}/org-groups") => (Rule::Grant("org_groups", Read), none),
        ("POST", "/api/v1/orgs/{org}/org-groups") => (Rule::Grant("org_groups", Create), json!({"name": "North"})),
        ("GET", "/api/v1/orgs/{org}/org-groups/{id}") => (Rule::Grant("org_groups", Read), none),
        ("PATCH", "/api/v1/orgs/{org}/org-groups/{id}") => (Rule::Grant("org_groups", Update), json!({"name": "N"})),
        ("DELETE", "/api/v1/orgs/{org}/org-groups/{id}") => (Rule::Grant("org_groups", Delete), none),
        ("PUT", "/api/v1/orgs/{org}/org-groups/{id}/customers") => {
            (Rule::Grant("org_groups", Update), json!({"orgs": []}))
        }
        ("PUT", "/api/v1/orgs/{org}/org-groups/{id}/members") => {
            (Rule::Grant("org_groups", Update), json!({"users": []}))
        }
        ("GET", "/api/v1/orgs/{org}/partner") => (Rule::Grant("members", Read), none),
        ("DELETE", "/api/v1/orgs/{org}/partner") => (Rule::GrantThenMissing("org_settings", Update), none),
        ("POST", "/api/v1/orgs/{org}/partner/requests/{partner}/accept")
        | ("POST", "/api/v1/orgs/{org}/partner/requests/{partner}/refuse") => (Rule::OwnerThenMissing, json!({})),
        ("PATCH", "/api/v1/orgs/{org}/settings") => (Rule::Grant("org_settings", Update), json!({})),
        // Sign-up needs no session; the confirmation's token decides.
        ("POST", "/api/v1/auth/signup") => (
            Rule::Public,
            json!({"email": "__slug__@signup.test", "name": "Matrix", "password": "a long passphrase of several words"}),
        ),
        ("POST", "/api/v1/auth/signup/confirm") => (Rule::Public, json!({"token": "not-a-token"})),
        ("POST", "/api/v1/orgs/{org}/invitations") => (
            Rule::Grant("invitations", Create),
            json!({"email": "__slug__@matrix.test", "first_name": "Matrix", "roles": ["__default_role__"]}),
        ),
        ("POST", "/api/v1/orgs/{org}/invitations/bulk") => {
            (Rule::Grant("invitations", Update), json!({"action": "resend", "dry_run": true}))
        }
        ("POST", "/api/v1/orgs/{org}/invitations/{id}/resend") => (Rule::Grant("invitations", Update), json!({})),
        ("DELETE", "/api/v1/orgs/{org}/invitations/{id}") => (Rule::Grant("invitations", Delete), none),
        ("POST", "/api/v1/auth/logout") => (Rule::EndsSession, json!({})),
        ("GET", "/api/v1/me") | ("GET", "/api/v1/presets") => (Rule::SignedIn, none),
        ("GET", "/api/v1/orgs/{org}/sessions") | ("GET", "/api/v1/orgs/{org}/sessions/history") => {
            (Rule::Grant("sessions", Read), none)
        }
        ("DELETE", "/api/v1/orgs/{org}/sessions/{id}") => (Rule::GrantThenMissing("sessions", Delete), none),
        ("POST", "/api/v1/orgs/{org}/users/{id}/sessions/revoke") => (Rule::Grant("sessions", Delete), json!({})),
        // Each signed-in user about their own account; the change waits for its link.
        ("POST", "/api/v1/me/email") => {
            (Rule::SignedIn, json!({"email": "__slug__@changed.test", "current_password": PASSWORD}))
        }
        ("DELETE", "/api/v1/me/email") => (Rule::SignedIn, none),
        ("GET", "/api/v1/me/sessions") | ("GET", "/api/v1/me/sessions/history") => (Rule::SignedIn, none),
        ("POST", "/api/v1/me/sessions/revoke-others") => (Rule::SignedIn, json!({})),
        ("DELETE", "/api/v1/me/sessions/{id}") => (Rule::OwnObject, none),
        ("POST", "/api/v1/me/email/confirm") => (Rule::Public, json!({"token": "not-a-token"})),
        // The outbox of the organizations where the caller may read invitations (here: only this one).
        ("GET", "/api/v1/outbox") => (Rule::GrantAnywhere("invitations", Read), none),
        ("POST", "/api/v1/orgs") => (Rule::SignedIn, json!({"name": "New", "slug": "__slug__"})),
        ("POST", "/api/v1/orgs/{org}/authz/check") => {
            (Rule::Grant("members", Read), json!({"user": "__target_email__", "resource": "members", "action": "read"}))
        }
        ("POST", "/api/v1/orgs/{org}/authz/check-batch") => (
            Rule::Grant("members", Read),
            json!({"checks": [{"user": "__target_email__", "resource": "members", "action": "read"}]}),
        ),
        ("GET", "/api/v1/orgs/{org}/permissions") => (Rule::Grant("roles", Read), none),
        ("GET", "/api/v1/orgs/{org}/roles") => (Rule::Grant("roles", Read), none),
        ("POST", "/api/v1/orgs/{org}/roles") => (Rule::Grant("roles", Create), json!({"name": "Matrix made"})),
        ("GET", "/api/v1/orgs/{org}/roles/{id}") => (Rule::Grant("roles", Read), none),
        ("DELETE", "/api/v1/orgs/{org}/roles/{id}") => (Rule::Grant("roles", Delete), none),
        ("PATCH", "/api/v1/orgs/{org}/roles/{id}") => (Rule::Grant("roles", Update), json!({"description": "edited"})),
        ("POST", "/api/v1/orgs/{org}/roles/{id}/copy") => (Rule::Grant("roles", Create), json!({})),
        ("POST", "/api/v1/orgs/{org}/transfer-ownership") => (Rule::Owner, json!({"user": "__owner_id__"})),
        ("GET", "/api/v1/orgs/{org}/users") => (Rule::Grant("members", Read), none),
        // Imports: a JSON body is no upload (422 after the check); the
        // import ids of the paths are missing (404 after the check).
        ("POST", "/api/v1/orgs/{org}/imports") => (Rule::Grant("members", Create), json!({})),
        ("GET", "/api/v1/orgs/{org}/imports")
        | ("GET", "/api/v1/orgs/{org}/imports/template.csv")
        | ("GET", "/api/v1/orgs/{org}/imports/template.xlsx") => (Rule::Grant("members", Create), none),
        ("GET", "/api/v1/orgs/{org}/imports/{id}")
        | ("GET", "/api/v1/orgs/{org}/imports/{id}/rows")
        | ("GET", "/api/v1/orgs/{org}/imports/{id}/report.csv")
        | ("GET", "/api/v1/orgs/{org}/imports/{id}/errors.csv")
        | ("POST", "/api/v1/orgs/{org}/imports/{id}/discard") => (Rule::GrantThenMissing("members", Create), none),
        ("POST", "/api/v1/orgs/{org}/imports/{id}/commit") => (Rule::GrantThenMissing("members", Create), json!({})),
        ("POST", "/api/v1/orgs/{org}/imports/{id}/mapping") => {
            (Rule::GrantThenMissing("members", Create), json!({"columns": {}}))
        }
        // The Users export (asked without a format, it answers 422 after the check).
        ("GET", "/api/v1/orgs/{org}/users/export") => (Rule::Grant("members", Read), none),
        // The History and its export (which, asked without a format, answers 422 after the check).
        ("GET", "/api/v1/orgs/{org}/audit") | ("GET", "/api/v1/orgs/{org}/audit/export") => {
            (Rule::Grant("audit", Read), none)
        }
        ("POST", "/api/v1/orgs/{org}/users/bulk") => {
            (Rule::Grant("members", Update), json!({"action": "disable", "dry_run": true}))
        }
        ("GET", "/api/v1/orgs/{org}/users/{id}") => (Rule::Grant("members", Read), none),
        ("PATCH", "/api/v1/orgs/{org}/users/{id}") => (Rule::Grant("members", Update), json!({"name": "Target"})),
        ("POST", "/api/v1/orgs/{org}/users/{id}/archive")
        | ("POST", "/api/v1/orgs/{org}/users/{id}/disable")
        | ("POST", "/api/v1/orgs/{org}/users/{id}/enable")
        | ("POST", "/api/v1/orgs/{org}/users/{id}/restore") => (Rule::Grant("members", Update), json!({})),
        ("PUT", "/api/v1/orgs/{org}/users/{id}/grants") => (Rule::Grant("members", Update), json!({"grants": {}})),
        ("GET", "/api/v1/orgs/{org}/users/{id}/roles") => (Rule::Grant("members", Read), none),
        ("PUT", "/api/v1/orgs/{org}/users/{id}/roles") => {
            (Rule::Grant("members", Update), json!({"roles": ["__default_role__"]}))
        }
        // Products: every tenant subscribes to `quote` (see `tenant`), so `{key}` names a live subscription.
        ("GET", "/api/v1/products") => (Rule::SignedIn, none),
        ("GET", "/api/v1/orgs/{org}/products")
        | ("GET", "/api/v1/orgs/{org}/products/{key}")
        | ("GET", "/api/v1/orgs/{org}/products/{key}/members") => {
            (Rule::EitherGrant(("licenses", Read), ("subscriptions", Read)), none)
        }
        ("PATCH", "/api/v1/orgs/{org}/products/{key}") => {
            (Rule::Grant("subscriptions", Update), json!({"settings": {"auto_submit": true}}))
        }
        // Past the check, a second trial and converting a paid subscription answer 409.
        ("POST", "/api/v1/orgs/{org}/products/{key}/trial") => (Rule::Grant("subscriptions", Update), json!({})),
        ("POST", "/api/v1/orgs/{org}/products/{key}/convert") => (Rule::Grant("subscriptions", Update), json!({})),
        ("GET", "/api/v1/orgs/{org}/users/{id}/products") => (Rule::Grant("members", Read), none),
        ("PUT", "/api/v1/orgs/{org}/users/{id}/products") => {
            (Rule::Grant("licenses", Update), json!({"products": ["quote"]}))
        }
        ("POST", "/api/v1/orgs/{org}/licenses/bulk") => (
            Rule::Grant("licenses", Update),
            json!({"product": "quote", "filter": {"status": ["active"]}, "action": "assign", "dry_run": true}),
        ),
        _ => return None,
    })
}

/// One organization of the matrix and the people in it.
struct Tenant {
    slug: String,
    preset: String,
    owner_id: String,
    target_id: String,
    target_email: String,
    /// A pending invitation of the tenant.
    invitation_id: String,
    /// The code of the tenant's join link (turned on).
    join_code: String,
    /// (role key, signed-in session of a member holding only that role, is the owner).
    actors: Vec<(String, Session, bool)>,
    /// (role key, a client with the bearer token of a service account holding only that role).
    accounts: Vec<(String, Session)>,
}

async fn tenant(app: &TestApp, slug: &str, preset_key: &str) -> Tenant {
    let owner_email = format!("owner@{slug}.test");
    let org = app.create_org_with_preset(slug, &owner_email, preset_key).await;
    let p = preset(preset_key).unwrap();
    app.create_role(&org, "Matrix target", &[]).await;
    let target_email = format!("target@{slug}.test");
    let target = app.add_member(&org, &target_email, "Target").await;
    let access = roster_app::access::open_org(&app.app, &roster_app::Actor::Cli, slug).await.unwrap();
    let input = roster_app::invitations::InvitationInput {
        email: format!("invited@{slug}.test"),
        first_name: "Invited".into(),
        roles: Some(vec![p.default_role.clone()]),
        send_email: true,
        products: vec![],
        ..Default::default()
    };
    let invited = roster_app::invitations::invite(&app.app, &access, &input, &Default::default()).await.unwrap();
    let seats = roster_app::products::SubscriptionPatch { license_count: Some(100), ..Default::default() };
    roster_app::products::update_subscription(&app.app, &access, "quote", &seats, &Default::default()).await.unwrap();
    let link = roster_app::access_requests::SettingsChange { join_link_enabled: Some(true), ..Default::default() };
    let settings =
        roster_app::access_requests::update_settings(&app.app, &access, &link, &Default::default()).await.unwrap();
    let join_code = settings.join_link.unwrap().rsplit("code=").next().unwrap().to_string();
    let mut actors = vec![(p.owner_role.clone(), app.login(&owner_email, PASSWORD).await, true)];
    let mut accounts = Vec::new();
    for r in &p.roles {
        let email = format!("role-{}@{slug}.test", r.key);
        app.add_member_with_roles(&org, &email, &[r.key.as_str()]).await;
        actors.push((r.key.clone(), app.login(&email, PASSWORD).await, false));
        // A service account holding the same role, acting with its bearer
        // token (the owner's role belongs to a person: no account holds it).
        if r.key == p.owner_role {
            continue;
        }
        let input = roster_app::service_accounts::AccountInput {
            name: format!("matrix-{}", r.key),
            roles: Some(vec![r.key.clone()]),
            ..Default::default()
        };
        let meta = Default::default();
        let account = roster_app::service_accounts::create(&app.app, &access, &input, &meta).await.unwrap();
        let token_input = roster_app::service_accounts::TokenInput { name: "matrix".into(), expires_in_days: None };
        let made = roster_app::service_accounts::create_token(&app.app, &access, account.id, &token_input, &meta)
            .await
            .unwrap();
        accounts.push((r.key.clone(), app.bearer(&made.token)));
    }
    Tenant {
        slug: slug.into(),
        preset: preset_key.into(),
        owner_id: org.owner_id.unwrap().to_string(),
        target_id: target.to_string(),
        target_email,
        invitation_id: invited.invitation.id.to_string(),
        join_code,
        actors,
        accounts,
    }
}

fn concrete(path: &str, t: &Tenant, method: &str) -> String {
    let role = if method == "DELETE" { preset(&t.preset).unwrap().default_role } else { "matrix_target".to_string() };
    let id = if path.contains("/roles/{id}") {
        role
    } else if path.contains("/invitations/{id}") {
        t.invitation_id.clone()
    } else if path.contains("/sessions/{id}")
        || path.contains("/access-requests/{id}")
        || path.contains("/service-accounts/{id}")
    {
        // No session or access request has this id (see `Rule::GrantThenMissing`).
        "01920000-0000-7000-8000-000000000000".to_string()
    } else {
        t.target_id.clone()
    };
    path.replace("{org}", &t.slug)
        .replace("{id}", &id)
        .replace("{tid}", "01920000-0000-7000-8000-000000000000")
        .replace("{key}", "quote")
        .replace("{customer}", "nowhere")
        .replace("{partner}", "01920000-0000-7000-8000-000000000000")
}

fn concrete_body(body: &Value, t: &Tenant, n: usize) -> Option<Value> {
    if body.is_null() {
        return None;
    }
    let text = body
        .to_string()
        .replace("__target_email__", &t.target_email)
        .replace("__owner_id__", &t.owner_id)
        .replace("__join_code__", &t.join_code)
        .replace("__default_role__", &preset(&t.preset).unwrap().default_role)
        .replace("__slug__", &format!("made-{n}"));
    Some(serde_json::from_str(&text).unwrap())
}

/// Whether an answer shows the permission check let the request through
/// (whatever the operation then said about the input or the state).
fn passed_the_check(status: StatusCode, body: &Value) -> bool {
    let refused_by_check = status == StatusCode::FORBIDDEN && body["type"] != "/problems/escalation";
    !(matches!(status, StatusCode::UNAUTHORIZED | StatusCode::NOT_FOUND) || refused_by_check)
}

#[tokio::test]
async fn every_operation_answers_every_role_as_its_grants_say() {
    let app = spawn_app().await;
    let tenants = [tenant(&app, "acme", "account-owner").await, tenant(&app, "agency", "owner-admin-user").await];
    let doc: Value = serde_json::from_str(&roster_web::openapi_json()).unwrap();
    let anonymous = client();
    let (mut cases, mut unexpected_allows, mut unexpected_denies) = (0usize, Vec::new(), Vec::new());
    let mut made = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let method_up = method.to_uppercase();
            let (rule, body) = rule(&method_up, path).unwrap_or_else(|| {
                panic!("{method_up} {path} has no rule in the authorization matrix: say who may call it")
            });
            let m = Method::from_bytes(method_up.as_bytes()).unwrap();
            for t in &tenants {
                // Anonymous: everything but the public operations needs a session.
                made += 1;
                let url = format!("{}{}", app.base_url, concrete(path, t, &method_up));
                let mut req = anonymous.request(m.clone(), &url);
                if let Some(b) = concrete_body(&body, t, made) {
                    req = req.json(&b);
                }
                let status = req.send().await.unwrap().status();
                cases += 1;
                match rule {
                    Rule::Public if status == StatusCode::UNAUTHORIZED => {
                        unexpected_denies.push(format!("anonymous {method_up} {path}: {status}"));
                    }
                    Rule::Public => {}
                    _ if status != StatusCode::UNAUTHORIZED => {
                        unexpected_allows.push(format!("anonymous {method_up} {path}: {status}"))
                    }
                    _ => {}
                }
                if matches!(rule, Rule::Public | Rule::EndsSession | Rule::OwnObject | Rule::BearerOnly) {
                    continue;
                }
                for home in &tenants {
                    // The members, then the service accounts holding the same roles.
                    let members = home.actors.iter().map(|(r, s, o)| (r, s, *o, false));
                    let accounts = home.accounts.iter().map(|(r, s)| (r, s, false, true));
                    for (role, session, is_owner, is_account) in members.chain(accounts) {
                        made += 1;
                        let own = home.slug == t.slug;
                        let (status, answer) = session
                            .send(m.clone(), &concrete(path, t, &method_up), concrete_body(&body, t, made))
                            .await;
                        cases += 1;
                        let granted = match rule {
                            // A service account is no person: what is about
                            // the signed-in user (their organizations, asking
                            // to join) or only the owner's is not its to do.
                            Rule::SignedIn
                            | Rule::AskToJoin
                            | Rule::Owner
                            | Rule::OwnerThenMissing
                            | Rule::GrantAnywhere(..)
                                if is_account =>
                            {
                                false
                            }
                            Rule::SignedIn => true,
                            Rule::Owner | Rule::OwnerThenMissing => own && is_owner,
                            Rule::AskToJoin => true,
                            Rule::Grant(resource, action) | Rule::GrantThenMissing(resource, action) => {
                                own && preset(&home.preset).unwrap().role(role).unwrap().grants.allows(resource, action)
                            }
                            Rule::GrantAnywhere(resource, action) => {
                                preset(&home.preset).unwrap().role(role).unwrap().grants.allows(resource, action)
                            }
                            Rule::EitherGrant((r1, a1), (r2, a2)) => {
                                let p = preset(&home.preset).unwrap();
                                let grants = &p.role(role).unwrap().grants;
                                own && (grants.allows(r1, a1) || grants.allows(r2, a2))
                            }
                            Rule::Public | Rule::EndsSession | Rule::OwnObject | Rule::BearerOnly => unreachable!(),
                        };
                        let passed = match rule {
                            // Past the check, the missing object answers 404; the check itself 403.
                            Rule::OwnerThenMissing if own && is_owner => {
                                status == StatusCode::NOT_FOUND && answer["type"] == "/problems/not-found"
                            }
                            Rule::GrantThenMissing(..) if own => {
                                status == StatusCode::NOT_FOUND && answer["type"] == "/problems/not-found"
                            }
                            _ => passed_the_check(status, &answer),
                        };
                        let who = format!(
                            "{role}{} of {} → {method_up} {path} in {}",
                            if is_owner {
                                " (owner)"
                            } else if is_account {
                                " (service account)"
                            } else {
                                ""
                            },
                            home.slug,
                            t.slug
                        );
                        if passed && !granted && (is_account || !matches!(rule, Rule::GrantAnywhere(..))) {
                            unexpected_allows.push(format!("{who}: {status} {answer}"));
                        }
                        if !passed && granted {
                            unexpected_denies.push(format!("{who}: {status} {answer}"));
                        }
                        // Another tenant's organization answers exactly like a missing one.
                        if !own
                            && !matches!(rule, Rule::SignedIn | Rule::GrantAnywhere(..) | Rule::AskToJoin)
                            && status != StatusCode::NOT_FOUND
                        {
                            unexpected_allows.push(format!("{who}: another tenant answered {status}, not 404"));
                        }
                    }
                }
            }
        }
    }
    println!(
        "authorization matrix: {cases} cases, {} unexpected allows, {} unexpected denies",
        unexpected_allows.len(),
        unexpected_denies.len()
    );
    assert!(cases > 300, "the matrix ran only {cases} cases");
    assert!(unexpected_allows.is_empty(), "unexpected allows:\n{}", unexpected_allows.join("\n"));
    assert!(unexpected_denies.is_empty(), "unexpected denies:\n{}", unexpected_denies.join("\n"));
    app.finish().await;
}
