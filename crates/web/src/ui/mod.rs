//! The web UI: server-rendered pages (askama) that work without JavaScript;
//! htmx (served from the binary) turns links and forms into partial reloads.

mod access_requests;
mod auth;
mod form;
mod history;
mod imports;
mod invitations;
pub mod kit;
mod matrix;
mod members;
mod org_sessions;
mod outbox;
mod partners;
pub mod paths;
mod products;
mod profile;
mod roles;
mod service_accounts;
mod sessions;
mod signup;

use axum::Router;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
pub use kit::{
    Flash, FormErrors, Frame, OrgPage, ReturnForm, TabKey, UiError, UiResult, UserPage, after_action,
    redirect_with_flash,
};

use crate::AppState;
pub(crate) use crate::redirect::safe_path;

/// Every page route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::HOME, get(home))
        .route(paths::LOGIN, get(auth::login_page).post(auth::login_submit))
        .route(paths::LOGOUT, post(auth::logout))
        .route(paths::SET_PASSWORD, get(auth::set_password_page).post(auth::set_password_submit))
        .route(paths::FORGOT_PASSWORD, get(auth::forgot_page).post(auth::forgot_submit))
        .route(paths::USERS, get(members::users_page))
        .route(paths::USERS_BULK, get(members::bulk::bulk_confirm).post(members::bulk::bulk_submit))
        .route(paths::USERS_EXPORT, get(members::export))
        .route(paths::INVITE, get(invitations::invite::invite_page).post(invitations::invite::invite_submit))
        .route(
            paths::INVITE_MANY,
            get(invitations::invite::invite_many_page).post(invitations::invite::invite_many_submit),
        )
        .route(paths::INVITATIONS, get(invitations::invitations_page))
        .route(paths::INVITATIONS_BULK, get(invitations::bulk_confirm).post(invitations::bulk_submit))
        .route(paths::INVITATION_ACTION, get(invitations::action_confirm).post(invitations::action_submit))
        .route(paths::ACCEPT, get(invitations::accept::accept_page).post(invitations::accept::accept_submit))
        .route(paths::USER_EDIT, get(members::edit::edit_page).post(members::edit::edit_submit))
        .route(paths::USER_SCOPES, post(members::scopes::scopes_submit))
        .route(paths::USER_ACTION, post(members::row_action))
        .route(paths::PRODUCTS, get(products::products_page))
        .route(paths::WORKSPACE, get(products::workspace::workspace_page))
        .route(paths::WORKSPACE_REVIEW, post(products::workspace::review_submit))
        .route(paths::WORKSPACE_APPLY, post(products::workspace::apply_submit))
        .route(
            paths::WORKSPACE_FILTER,
            get(products::workspace::filter_confirm).post(products::workspace::filter_submit),
        )
        .route(paths::PRODUCT, get(products::product::product_page))
        .route(paths::PRODUCT_SEATS, post(products::seats_submit))
        .route(paths::PRODUCT_TRIAL, post(products::trial_submit))
        .route(paths::PRODUCT_CONVERT, post(products::product::convert_submit))
        .route(paths::PRODUCT_SETTINGS, post(products::product::settings_submit))
        .route(paths::PRODUCT_STATUS, get(products::confirm::status_confirm).post(products::confirm::status_submit))
        .route(paths::PRODUCT_RECLAIM, get(products::confirm::reclaim_confirm).post(products::confirm::reclaim_submit))
        .route(paths::ROLES, get(roles::roles_page))
        .route(paths::ROLES_COMPARE, get(roles::compare_page))
        .route(paths::ROLE_NEW, get(roles::new_page).post(roles::new_submit))
        .route(paths::ROLE_EDIT, get(roles::edit_page).post(roles::edit_submit))
        .route(paths::ROLE_COPY, post(roles::copy_submit))
        .route(paths::ROLE_DELETE, get(roles::delete_page).post(roles::delete_submit))
        .route(paths::OWNER, get(roles::owner_page).post(roles::owner_submit))
        .route(paths::SERVICE_ACCOUNTS, get(service_accounts::service_accounts_page))
        .route(paths::SERVICE_ACCOUNT_NEW, get(service_accounts::new_page).post(service_accounts::new_submit))
        .route(paths::SCIM_TOKEN, post(service_accounts::tokens::scim_token_submit))
        .route(paths::SCIM_GROUP_MAPPINGS, post(service_accounts::scim_groups::add_mapping_submit))
        .route(paths::SCIM_GROUP_MAPPING_REMOVE, post(service_accounts::scim_groups::remove_mapping_submit))
        .route(paths::SERVICE_ACCOUNT, get(service_accounts::account_page))
        .route(paths::SERVICE_ACCOUNT_EDIT, get(service_accounts::edit_page).post(service_accounts::edit_submit))
        .route(
            paths::SERVICE_ACCOUNT_ACTION,
            get(service_accounts::action_confirm).post(service_accounts::action_submit),
        )
        .route(
            paths::SERVICE_ACCOUNT_TOKEN_NEW,
            get(service_accounts::tokens::new_page).post(service_accounts::tokens::new_submit),
        )
        .route(
            paths::SERVICE_ACCOUNT_TOKEN_ACTION,
            get(service_accounts::tokens::action_confirm).post(service_accounts::tokens::action_submit),
        )
        .route(
            paths::IMPORTS,
            // The upload reads up to the configured size itself; the
            // router's 2 MB default would refuse a file before it could.
            get(imports::imports_page)
                .post(imports::upload_submit)
                .layer(axum::extract::DefaultBodyLimit::max(crate::upload::UPLOAD_CEILING)),
        )
        .route(paths::IMPORT_TEMPLATE_CSV, get(imports::template_csv))
        .route(paths::IMPORT_TEMPLATE_XLSX, get(imports::template_xlsx))
        .route(paths::IMPORT, get(imports::import_page))
        .route(paths::IMPORT_PROGRESS, get(imports::progress_fragment))
        .route(paths::IMPORT_MAPPING, post(imports::mapping_submit))
        .route(paths::IMPORT_COMMIT, post(imports::commit_submit))
        .route(paths::IMPORT_DISCARD, post(imports::discard_submit))
        .route(paths::IMPORT_REPORT, get(imports::report_download))
        .route(paths::IMPORT_ERRORS, get(imports::errors_download))
        .route(paths::OUTBOX, get(outbox::outbox_page))
        .route(paths::ACTIVE_SESSIONS, get(org_sessions::active_sessions_page))
        .route(paths::ORG_SESSION_LOGOUT, get(org_sessions::logout_confirm).post(org_sessions::logout_submit))
        .route(
            paths::MEMBER_SESSIONS_LOGOUT,
            get(org_sessions::logout_all_confirm).post(org_sessions::logout_all_submit),
        )
        .route(paths::SESSION_HISTORY, get(org_sessions::session_history_page))
        .route(paths::HISTORY, get(history::history_page))
        .route(paths::HISTORY_EXPORT, get(history::export))
        .route(paths::MY_SESSIONS, get(sessions::my_sessions_page))
        .route(paths::MY_SESSION_LOGOUT, post(sessions::logout_submit))
        .route(paths::MY_SESSIONS_LOGOUT_OTHERS, post(sessions::logout_others_submit))
        .route(paths::PROFILE, get(profile::profile_page))
        .route(paths::PROFILE_EMAIL, post(profile::email_submit))
        .route(paths::PROFILE_EMAIL_CANCEL, post(profile::cancel_submit))
        .route(paths::PROFILE_TOKENS, post(profile::token_submit))
        .route(paths::PROFILE_TOKEN_REVOKE, post(profile::token_revoke))
        .route(paths::CONFIRM_EMAIL, get(profile::confirm_page).post(profile::confirm_submit))
        .route(paths::ACCESS_REQUESTS, get(access_requests::access_requests_page))
        .route(paths::ACCESS_REQUEST_APPROVE, get(access_requests::approve_page).post(access_requests::approve_submit))
        .route(paths::ACCESS_REQUEST_DENY, get(access_requests::deny_page).post(access_requests::deny_submit))
        .route(paths::JOIN_SETTINGS, post(access_requests::settings_submit))
        .route(
            paths::JOIN_LINK_REGENERATE,
            get(access_requests::regenerate_confirm).post(access_requests::regenerate_submit),
        )
        .route(paths::JOIN, get(access_requests::join::join_page).post(access_requests::join::join_submit))
        .route(paths::MY_REQUESTS, get(access_requests::join::my_requests_page))
        .route(paths::MY_REQUEST_WITHDRAW, post(access_requests::join::withdraw_submit))
        .route(paths::SIGNUP, get(signup::signup_page).post(signup::signup_submit))
        .route(paths::SIGNUP_CONFIRM, get(signup::confirm_page).post(signup::confirm_submit))
        // Issue 14: partners, their customers and organization groups.
        .route(paths::CUSTOMERS, get(partners::customers_page))
        .route(paths::CUSTOMER_NEW, get(partners::customer_new_page).post(partners::customer_new_submit))
        .route(paths::CUSTOMER_LINK, post(partners::link_submit))
        .route(paths::CUSTOMER_UNLINK, get(partners::unlink_confirm).post(partners::unlink_submit))
        .route(paths::ORG_GROUPS, get(partners::groups::groups_page).post(partners::groups::create_submit))
        .route(paths::ORG_GROUP, get(partners::groups::group_page))
        .route(paths::ORG_GROUP_RENAME, post(partners::groups::rename_submit))
        .route(paths::ORG_GROUP_DELETE, get(partners::groups::delete_confirm).post(partners::groups::delete_submit))
        .route(paths::ORG_GROUP_CUSTOMERS, post(partners::groups::customers_submit))
        .route(paths::ORG_GROUP_MEMBERS, post(partners::groups::members_submit))
        .route(paths::PARTNER, get(partners::partner::partner_page))
        .route(paths::PARTNER_REVOKE, get(partners::partner::revoke_confirm).post(partners::partner::revoke_submit))
        .route(paths::PARTNER_REQUEST_ANSWER, post(partners::partner::answer_submit))
}

/// `/`: the first organization's Users tab; for a user with no active
/// organization, their "Join your team" suggestions and access requests.
async fn home(page: UserPage) -> UiResult {
    let memberships = roster_app::orgs::active_memberships(page.app(), page.user.principal.user_id).await?;
    match memberships.first() {
        Some(first) => Ok(Redirect::to(&paths::OrgLinks::new(&first.org.slug).users()).into_response()),
        None => access_requests::join::home_without_org(page).await,
    }
}

use crate::page::render;
pub use crate::page::{error_page, message_page};
