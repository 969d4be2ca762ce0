//! The REST API under `/api/v1`. Each route and its OpenAPI entry are
//! declared once, with `utoipa::path` on the handler.

pub mod access_requests;
pub mod auth;
pub mod authz;
pub mod health;
pub mod history;
pub mod imports;
pub mod invitations;
pub mod members;
pub mod org_sessions;
pub mod orgs;
pub mod outbox;
pub mod partners;
pub mod products;
pub mod profile;
pub mod roles;
pub mod scim_groups;
pub mod service_accounts;
pub mod sessions;

use axum::http::StatusCode;
use serde_json::json;
use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::{Ref, RefOr, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// The `{id}` of a member's paths (documentation only: the handlers read it
/// as text, and an id that is not a UUID answers 404 like a missing one).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UserPath {
    /// The member's user id (the `id` of an item of `GET /api/v1/orgs/acme/users`, or `user.id` of `GET /api/v1/me`).
    #[param(example = "01920000-0000-7000-8000-000000000000")]
    pub id: uuid::Uuid,
}

/// The `{id}` of a role's paths.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RolePath {
    /// The role's id or key (`GET /api/v1/orgs/acme/roles` lists them).
    #[param(example = "billing_manager")]
    pub id: String,
}

/// The document's fixed parts; paths and schemas come from the handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Roster API",
        version = "1",
        description = "Multi-tenant user management. Errors are RFC 9457 problem documents (application/problem+json). \
            Programs sign in with POST /api/v1/auth/login, keep the session cookie, and send the csrf_token from \
            GET /api/v1/me as X-CSRF-Token on every POST, PUT, PATCH and DELETE.\n\n\
            Every /api/v1 operation may answer the standard problems 400, 401, 403, 404, 422 and 500 \
            (components/responses). A path under /api that is not in this document answers 404 (NotFound), \
            and a path of this document asked with a method it does not list answers 405 (MethodNotAllowed) \
            with an Allow header; both as application/problem+json."
    ),
    tags(
        (name = "auth", description = "Signing in and out"),
        (name = "profile", description = "The signed-in user's own account: changing its email address"),
        (name = "sessions", description = "The signed-in user's own sessions: where they are signed in, logging one out or all the others"),
        (name = "org-sessions", description = "An organization's sessions: its members' live sessions, logging them out, and the history of ended ones"),
        (name = "users", description = "An organization's members directory"),
        (name = "roles", description = "Roles, permissions, presets and ownership"),
        (name = "invitations", description = "Inviting people, and accepting an invitation"),
        (name = "access-requests", description = "Asking to join an organization (by its join link or an email domain), approving or denying requests, and the organization's join link and email domains"),
        (name = "products", description = "Products and licenses: the catalogue, an organization's subscriptions (seats, trials, settings), members' licenses, one by one or in bulk"),
        (name = "authz", description = "Checks for the host application"),
        (name = "orgs", description = "Organizations"),
        (name = "audit", description = "The History: an organization's audit log, filtered and paged, and its CSV and JSON Lines export"),
        (name = "outbox", description = "The emails Roster wrote, and their delivery"),
        (name = "service-accounts", description = "Service accounts and API tokens (sent as Authorization: Bearer), and members' personal tokens"),
        (name = "imports", description = "Bulk import of members from CSV, XLSX, XLS or ODS files: templates, upload, the mapping step, the preview of every row, commit as a job with progress, and reports"),
        (name = "scim", description = "SCIM 2.0 (RFC 7643, RFC 7644) for identity providers, with a service account's bearer token: application/scim+json"),
        (name = "partners", description = "Partner organizations: customers, linking with the owner's consent, organization groups, and where a partner member's roles apply"),
        (name = "health", description = "Liveness and readiness")
    )
)]
pub struct ApiDoc;

/// The API's routes and its finished OpenAPI document (see [`finish_document`]).
pub fn router_and_document() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = router().split_for_parts();
    finish_document(&mut doc);
    (router, doc)
}

/// Every API route, with its OpenAPI description as the handlers declare it.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::request_password_reset))
        .routes(routes!(auth::confirm_password_reset))
        .routes(routes!(auth::signup))
        .routes(routes!(auth::confirm_signup))
        .routes(routes!(profile::request_email_change, profile::cancel_email_change))
        .routes(routes!(profile::confirm_email_change))
        .routes(routes!(sessions::list_my_sessions))
        .routes(routes!(sessions::my_session_history))
        .routes(routes!(sessions::end_my_session))
        .routes(routes!(sessions::revoke_other_sessions))
        .routes(routes!(org_sessions::list_org_sessions))
        .routes(routes!(org_sessions::org_session_history))
        .routes(routes!(org_sessions::end_org_session))
        .routes(routes!(org_sessions::revoke_member_sessions))
        .routes(routes!(members::list_users))
        .routes(routes!(members::export_users))
        .routes(routes!(members::get_user, members::update_user))
        .routes(routes!(members::disable_user))
        .routes(routes!(members::enable_user))
        .routes(routes!(members::archive_user))
        .routes(routes!(members::restore_user))
        .routes(routes!(members::bulk_users))
        .routes(routes!(members::send_password_reset))
        .routes(routes!(members::unlock_user))
        .routes(routes!(products::list_catalogue))
        .routes(routes!(products::list_products))
        .routes(routes!(products::get_product, products::update_product))
        .routes(routes!(products::start_trial))
        .routes(routes!(products::convert_trial))
        .routes(routes!(products::list_product_members))
        .routes(routes!(products::get_member_products, products::set_member_products))
        .routes(routes!(products::bulk_licenses))
        .routes(routes!(orgs::create_org))
        .routes(routes!(roles::list_presets))
        .routes(routes!(roles::list_permissions))
        .routes(routes!(roles::list_roles, roles::create_role))
        .routes(routes!(roles::get_role, roles::update_role, roles::delete_role))
        .routes(routes!(roles::copy_role))
        .routes(routes!(roles::get_member_roles, roles::set_member_roles))
        .routes(routes!(roles::set_member_grants))
        .routes(routes!(roles::transfer_ownership))
        .routes(routes!(partners::list_customers, partners::create_customer))
        .routes(routes!(partners::link_customer))
        .routes(routes!(partners::unlink_customer))
        .routes(routes!(partners::get_partner, partners::revoke_partner))
        .routes(routes!(partners::accept_link))
        .routes(routes!(partners::refuse_link))
        .routes(routes!(partners::list_groups, partners::create_group))
        .routes(routes!(partners::get_group, partners::rename_group, partners::delete_group))
        .routes(routes!(partners::set_group_customers))
        .routes(routes!(partners::set_group_members))
        .routes(routes!(authz::check))
        .routes(routes!(authz::check_batch))
        .routes(routes!(outbox::list_outbox))
        .routes(routes!(history::list_audit))
        .routes(routes!(history::export_audit))
        .routes(routes!(invitations::invite, invitations::list))
        .routes(routes!(invitations::resend))
        .routes(routes!(invitations::cancel))
        .routes(routes!(invitations::bulk))
        .routes(routes!(invitations::accept))
        .routes(routes!(access_requests::list_access_requests, access_requests::create_access_request))
        .routes(routes!(access_requests::get_access_request))
        .routes(routes!(access_requests::approve_access_request))
        .routes(routes!(access_requests::deny_access_request))
        .routes(routes!(access_requests::list_my_access_requests))
        .routes(routes!(access_requests::withdraw_my_access_request))
        .routes(routes!(access_requests::list_join_suggestions))
        .routes(routes!(access_requests::get_org_settings, access_requests::update_org_settings))
        .routes(routes!(service_accounts::list_accounts, service_accounts::create_account))
        .routes(routes!(
            service_accounts::get_account,
            service_accounts::patch_account,
            service_accounts::delete_account
        ))
        .routes(routes!(service_accounts::disable_account))
        .routes(routes!(service_accounts::enable_account))
        .routes(routes!(service_accounts::list_tokens, service_accounts::create_token))
        .routes(routes!(service_accounts::revoke_token))
        .routes(routes!(service_accounts::rotate_token))
        .routes(routes!(service_accounts::list_my_tokens, service_accounts::create_my_token))
        .routes(routes!(service_accounts::revoke_my_token))
        .routes(routes!(service_accounts::create_scim_token))
        .routes(routes!(crate::scim::list_users, crate::scim::create_user))
        .routes(routes!(
            crate::scim::get_user,
            crate::scim::replace_user,
            crate::scim::patch_user,
            crate::scim::delete_user
        ))
        .routes(routes!(crate::scim::service_provider_config))
        .routes(routes!(crate::scim::resource_types))
        .routes(routes!(crate::scim::schemas))
        .routes(routes!(crate::scim_groups::list_groups, crate::scim_groups::create_group))
        .routes(routes!(
            crate::scim_groups::get_group,
            crate::scim_groups::replace_group,
            crate::scim_groups::patch_group,
            crate::scim_groups::delete_group
        ))
        .routes(routes!(scim_groups::list_mappings, scim_groups::create_mapping))
        .routes(routes!(scim_groups::delete_mapping))
        .merge(
            // The upload reads up to the configured size itself; the
            // router's 2 MB default would refuse a file before it could.
            OpenApiRouter::new()
                .routes(routes!(imports::upload_import, imports::list_imports))
                .layer(axum::extract::DefaultBodyLimit::max(crate::upload::UPLOAD_CEILING)),
        )
        .routes(routes!(imports::template_csv))
        .routes(routes!(imports::template_xlsx))
        .routes(routes!(imports::get_import))
        .routes(routes!(imports::list_rows))
        .routes(routes!(imports::answer_mapping))
        .routes(routes!(imports::commit_import))
        .routes(routes!(imports::discard_import))
        .routes(routes!(imports::report))
        .routes(routes!(imports::error_rows))
}

/// The reusable problem responses: component name, status, and when it is answered.
const PROBLEMS: [(&str, u16, &str); 9] = [
    (
        "BadRequest",
        400,
        "The request could not be read: a body that is not JSON or not sent as application/json, \
         or a query string that is not well-formed.",
    ),
    ("Unauthorized", 401, "No valid session (on sign-in: the email or password is wrong)."),
    (
        "Forbidden",
        403,
        "A permission is missing, the change would go beyond your own permissions, \
         or the X-CSRF-Token header is missing or wrong.",
    ),
    (
        "NotFound",
        404,
        "No such organization or object, or you cannot see it; also any path under /api that is not in this document.",
    ),
    ("MethodNotAllowed", 405, "The path exists, but not with this method; the Allow header lists its methods."),
    ("Conflict", 409, "The current state does not allow this change."),
    ("UnprocessableContent", 422, "The input was read but is invalid; `errors` names each bad field."),
    (
        "TooManyRequests",
        429,
        "Too many sign-in attempts for this account or from this address, too many sign-ups from this address, \
         or too many access requests by this user or to this organization (`/problems/too-many-attempts`), \
         or too many passwords being checked at once (`/problems/busy`); Retry-After says when to try again.",
    ),
    ("InternalError", 500, "Something failed on the server's side."),
];

/// The problems every `/api/v1` operation may answer, besides its own.
const STANDARD: [u16; 6] = [400, 401, 403, 404, 422, 500];

/// The component name of the problem response for a status.
fn problem_name(status: u16) -> Option<&'static str> {
    PROBLEMS.iter().find(|(_, s, _)| *s == status).map(|(name, _, _)| *name)
}

/// Completes the document the handlers declare, so that each handler's
/// annotation names only what is particular to it: the problem responses
/// and the `{org}` parameter are declared once, as components, and referenced
/// from every operation that has them. A handler's `(status = 409, body =
/// Problem)` becomes a reference to the standard problem response (media
/// type `application/problem+json`), every `/api/v1` operation gets the
/// [`STANDARD`] problems, and a response without a description gets its
/// status's reason phrase (OpenAPI requires one).
pub fn finish_document(doc: &mut utoipa::openapi::OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, status, description) in PROBLEMS {
        let mut response = json!({
            "description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        });
        if status == 405 {
            response["headers"] =
                json!({"Allow": {"description": "The methods the path has.", "schema": {"type": "string"}}});
        }
        if status == 429 {
            response["headers"] = json!({"Retry-After": {
                "description": "Seconds until the request may be tried again.",
                "schema": {"type": "integer", "minimum": 1},
            }});
        }
        components.responses.insert(name.into(), RefOr::T(from_json(response)));
    }
    components.security_schemes.insert(
        "bearer".into(),
        from_json(json!({"type": "http", "scheme": "bearer", "description": "A service account's or a member's API token (roster_…)."})),
    );
    components.parameters.insert(
        "org".into(),
        RefOr::T(from_json(json!({
            "name": "org",
            "in": "path",
            "required": true,
            "description": "The organization's id or slug (the demo's largest is `acme`).",
            "schema": {"type": "string"},
            "example": "acme",
        }))),
    );
    for (path, item) in doc.paths.paths.iter_mut() {
        for op in operations_mut(item) {
            if path.contains("{org}") {
                let params = op.parameters.get_or_insert_with(Vec::new);
                params.retain(|p| !matches!(p, RefOr::T(p) if p.name == "org"));
                params.insert(0, RefOr::Ref(Ref::new("#/components/parameters/org")));
            }
            let responses = &mut op.responses.responses;
            for (status, response) in responses.iter_mut() {
                let code = status.parse::<u16>().unwrap_or_default();
                match response {
                    RefOr::T(r) if is_problem(r) => {
                        let name = problem_name(code)
                            .unwrap_or_else(|| panic!("{path}: no standard problem response for {status}"));
                        let mut reference = Ref::from_response_name(name);
                        reference.description = r.description.clone();
                        *response = RefOr::Ref(reference);
                    }
                    RefOr::T(r) if r.description.is_empty() => {
                        let reason = StatusCode::from_u16(code).ok().and_then(|s| s.canonical_reason());
                        r.description = reason.unwrap_or("Answer").to_string();
                    }
                    _ => {}
                }
            }
            if path.starts_with("/scim/v2/") {
                // `crate::scim::admit`: over capacity, any SCIM request.
                responses.entry("429".into()).or_insert_with(|| {
                    RefOr::T(from_json(json!({
                        "description": "Too many provisioning requests in progress; Retry-After says when to try again.",
                        "headers": {"Retry-After": {
                            "description": "Seconds until the request may be tried again.",
                            "schema": {"type": "integer", "minimum": 1},
                        }},
                        "content": {"application/scim+json": {"schema": {"$ref": "#/components/schemas/ScimError"}}},
                    })))
                });
            }
            if path.starts_with("/api/v1/") {
                for status in STANDARD {
                    let name = problem_name(status).expect("standard problems are components");
                    responses.entry(status.to_string()).or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
                }
            }
        }
    }
}

/// The methods of each of the document's paths, as an `Allow` header
/// (`GET` brings `HEAD`, which the router answers too).
pub fn allowed_methods(doc: &utoipa::openapi::OpenApi) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in &doc.paths.paths {
        let mut methods = Vec::new();
        for (name, present) in [
            ("GET", item.get.is_some()),
            ("HEAD", item.get.is_some() || item.head.is_some()),
            ("POST", item.post.is_some()),
            ("PUT", item.put.is_some()),
            ("PATCH", item.patch.is_some()),
            ("DELETE", item.delete.is_some()),
            ("OPTIONS", item.options.is_some()),
        ] {
            if present {
                methods.push(name);
            }
        }
        out.push((path.clone(), methods.join(",")));
    }
    out
}

/// The `Allow` value for a concrete path: that of the template it matches
/// best (a literal segment beats a parameter).
pub fn allow_for(allowed: &[(String, String)], path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    allowed
        .iter()
        .filter_map(|(template, allow)| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (t, s) in parts.iter().zip(&segments) {
                if t.starts_with('{') {
                    continue;
                }
                if t != s {
                    return None;
                }
                literal += 1;
            }
            Some((literal, allow))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, allow)| allow.clone())
}

/// A document part written as JSON; the parts are constants, so a failure is a bug here.
fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("a well-formed OpenAPI part")
}

/// Whether a response's bodies are problem documents.
fn is_problem(r: &Response) -> bool {
    !r.content.is_empty()
        && r.content.values().all(|c| {
            matches!(c, RefOr::T(c) if matches!(&c.schema, Some(RefOr::Ref(s)) if s.ref_location == "#/components/schemas/Problem"))
        })
}

/// A path's operations.
fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .flatten()
}
