//! The REST API under `/api/v1`. Each route and its OpenAPI entry are
//! declared once, with `utoipa::path` on the handler.

pub mod auth;
pub mod authz;
pub mod health;
pub mod orgs;
pub mod roles;
pub mod users;

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// The document's fixed parts; paths and schemas come from the handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Roster API",
        version = "1",
        description = "Multi-tenant user management. Errors are RFC 9457 problem documents (application/problem+json). \
            Programs sign in with POST /api/v1/auth/login, keep the session cookie, and send the csrf_token from \
            GET /api/v1/me as X-CSRF-Token on every POST, PUT, PATCH and DELETE."
    ),
    tags(
        (name = "auth", description = "Signing in and out"),
        (name = "users", description = "An organization's members directory"),
        (name = "roles", description = "Roles, permissions, presets and ownership"),
        (name = "authz", description = "Checks for the host application"),
        (name = "orgs", description = "Organizations"),
        (name = "health", description = "Liveness and readiness")
    )
)]
pub struct ApiDoc;

/// Every API route, with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(users::list_users))
        .routes(routes!(users::get_user, users::update_user))
        .routes(routes!(users::disable_user))
        .routes(routes!(users::enable_user))
        .routes(routes!(users::archive_user))
        .routes(routes!(users::restore_user))
        .routes(routes!(users::bulk_users))
        .routes(routes!(orgs::create_org))
        .routes(routes!(roles::list_presets))
        .routes(routes!(roles::list_permissions))
        .routes(routes!(roles::list_roles, roles::create_role))
        .routes(routes!(roles::get_role, roles::update_role, roles::delete_role))
        .routes(routes!(roles::copy_role))
        .routes(routes!(roles::get_member_roles, roles::set_member_roles))
        .routes(routes!(roles::set_member_grants))
        .routes(routes!(roles::transfer_ownership))
        .routes(routes!(authz::check))
        .routes(routes!(authz::check_batch))
}
