//! The web UI: server-rendered pages (askama) that work without JavaScript;
//! htmx (served from the binary) turns links and forms into partial reloads.

mod auth;
mod roles;
mod users;

use askama::Template;
use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use roster_app::AppError;
use roster_app::access::{OrgAccess, Permission};

use crate::AppState;
use crate::extract::{UiUser, cookie};
pub(crate) use crate::redirect::safe_path;

/// Every page route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(auth::login_page).post(auth::login_submit))
        .route("/logout", post(auth::logout))
        .route("/set-password", get(auth::set_password_page).post(auth::set_password_submit))
        .route("/orgs/{org}/settings/users", get(users::users_page))
        .route("/orgs/{org}/settings/users/bulk", get(users::bulk_confirm).post(users::bulk_submit))
        .route("/orgs/{org}/settings/users/{id}/edit", get(users::edit_page).post(users::edit_submit))
        .route("/orgs/{org}/settings/users/{id}/{action}", post(users::status_submit))
        .route("/orgs/{org}/settings/roles", get(roles::roles_page))
        .route("/orgs/{org}/settings/roles/compare", get(roles::compare_page))
        .route("/orgs/{org}/settings/roles/new", get(roles::new_page).post(roles::new_submit))
        .route("/orgs/{org}/settings/roles/{id}/edit", get(roles::edit_page).post(roles::edit_submit))
        .route("/orgs/{org}/settings/roles/{id}/copy", post(roles::copy_submit))
        .route("/orgs/{org}/settings/roles/{id}/delete", get(roles::delete_page).post(roles::delete_submit))
        .route("/orgs/{org}/settings/owner", get(roles::owner_page).post(roles::owner_submit))
}

/// `/`: the first organization's Users tab.
async fn home(state: axum::extract::State<AppState>, user: UiUser) -> Response {
    match roster_app::orgs::active_memberships(&state.app, user.principal.user_id).await {
        Ok(m) => match m.first() {
            Some(first) => Redirect::to(&format!("/orgs/{}/settings/users", first.org.slug)).into_response(),
            None => message_page(
                StatusCode::OK,
                "No organization yet",
                "You are signed in, but you are not an active member of any organization. Ask an administrator to invite you.",
            ),
        },
        Err(e) => error_page(&e),
    }
}

/// A one-off notice shown after a redirect (kind `ok` or `error`).
pub struct Flash {
    /// `ok` or `error`, used as a CSS class.
    pub kind: &'static str,
    /// The text.
    pub message: String,
}

const FLASH_COOKIE: &str = "roster_flash";

/// The `Set-Cookie` value that carries a flash to the next page.
fn set_flash(kind: &'static str, message: &str) -> String {
    let v = serde_urlencoded::to_string([("k", kind), ("m", message)]).unwrap_or_default();
    format!("{FLASH_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age=60", v.replace(';', "%3B"))
}

/// Reads (and clears) a flash.
fn take_flash(headers: &HeaderMap) -> Option<Flash> {
    let raw = cookie(headers, FLASH_COOKIE)?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw).ok()?;
    let kind = match pairs.iter().find(|(k, _)| k == "k")?.1.as_str() {
        "ok" => "ok",
        _ => "error",
    };
    let message = pairs.into_iter().find(|(k, _)| k == "m")?.1;
    Some(Flash { kind, message })
}

/// A redirect that shows a flash on the next page.
fn redirect_with_flash(to: &str, kind: &'static str, message: &str) -> Response {
    ([(header::SET_COOKIE, set_flash(kind, message))], Redirect::to(to)).into_response()
}

/// Adds the header that clears a flash once shown.
fn with_flash_cleared(had_flash: bool, page: Response) -> Response {
    if !had_flash {
        return page;
    }
    let mut page = page;
    if let Ok(v) = format!("{FLASH_COOKIE}=; Path=/; Max-Age=0").parse() {
        page.headers_mut().append(header::SET_COOKIE, v);
    }
    page
}

/// A tab along the top of User Management.
pub struct Tab {
    /// Its label.
    pub label: &'static str,
    /// Where it leads.
    pub href: String,
    /// Whether it is the current one.
    pub active: bool,
}

/// What every page inside the frame shows: who is signed in, which
/// organization, the tabs, a flash.
pub struct Frame {
    /// The user's name.
    pub user_name: String,
    /// The user's email.
    pub user_email: String,
    /// The CSRF token for forms.
    pub csrf: String,
    /// The current organization's slug.
    pub org_slug: String,
    /// The current organization's name.
    pub org_name: String,
    /// (slug, name) of every organization the user can switch to.
    pub orgs: Vec<(String, String)>,
    /// The tabs whose capability exists.
    pub tabs: Vec<Tab>,
    /// A notice from the previous action.
    pub flash: Option<Flash>,
}

impl Frame {
    async fn new(
        state: &AppState,
        user: &UiUser,
        access: &OrgAccess,
        active: &str,
        headers: &HeaderMap,
    ) -> Result<Self, AppError> {
        let orgs = roster_app::orgs::active_memberships(&state.app, user.principal.user_id).await?;
        let slug = access.org.slug.clone();
        Ok(Self {
            user_name: user.principal.name.clone(),
            user_email: user.principal.email.clone(),
            csrf: user.csrf(),
            org_name: access.org.name.clone(),
            orgs: orgs.into_iter().map(|m| (m.org.slug, m.org.name)).collect(),
            tabs: {
                let mut tabs = vec![Tab {
                    label: "Users",
                    href: format!("/orgs/{slug}/settings/users"),
                    active: active == "users",
                }];
                if access.can(Permission::ROLES_READ) {
                    tabs.push(Tab {
                        label: "Roles",
                        href: format!("/orgs/{slug}/settings/roles"),
                        active: active == "roles",
                    });
                }
                tabs
            },
            org_slug: slug,
            flash: take_flash(headers),
        })
    }
}

#[derive(Template)]
#[template(path = "frame_message.html")]
struct FrameMessagePage<'a> {
    frame: Frame,
    title: &'a str,
    message: &'a str,
}

/// A refusal shown inside the frame, so the tabs the viewer may use stay at hand.
async fn forbidden_in_frame(
    state: &AppState,
    user: &UiUser,
    access: &OrgAccess,
    active: &str,
    headers: &HeaderMap,
    title: &str,
    message: &str,
) -> Response {
    match Frame::new(state, user, access, active, headers).await {
        Ok(frame) => render(StatusCode::FORBIDDEN, &FrameMessagePage { frame, title, message }),
        Err(e) => error_page(&e),
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    title: &'a str,
    message: &'a str,
}

/// Renders a template, or a plain 500 if rendering fails.
fn render<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// A page with a title and one message.
pub fn message_page(status: StatusCode, title: &str, message: &str) -> Response {
    render(status, &MessagePage { title, message })
}

/// A page, or the error page for what refused it.
fn respond<T: Template>(status: StatusCode, page: Result<T, AppError>) -> Response {
    match page {
        Ok(p) => render(status, &p),
        Err(e) => error_page(&e),
    }
}

/// The page for a service error.
pub fn error_page(e: &AppError) -> Response {
    let p = crate::error::problem_for(e);
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    message_page(status, &p.title, &p.detail)
}
