//! The web kit every organization page is made of, so that a tab's handlers
//! are glue: [`OrgPage`] signs the visitor in, opens the organization named
//! by the `{org}` path segment and takes the flash ([`UserPage`] does the
//! same for the user's own pages, outside any organization); [`UiError`] renders the
//! error page for whatever refused the request; [`FormErrors`] is the one
//! mapping from a refused change to what a form shows; [`TABS`] drives the
//! navigation.
//!
//! Architecture invariant: a page handler takes an [`OrgPage`] (or a
//! [`UserPage`] or [`UiUser`] outside an organization) and returns `Result<Response,
//! UiError>`; it never opens the organization, reads the flash or maps an
//! `AppError` itself.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use roster_app::access::{OrgAccess, Permission, open_org};
use roster_app::{App, AppError};
use roster_domain::ValidationError;

use super::paths::OrgLinks;
use crate::AppState;
use crate::extract::{UiUser, cookie};
use crate::page::{error_page, render};

/// Why a page request failed: a service error (rendered as the error page),
/// or an answer already made (a redirect to the sign-in page).
pub enum UiError {
    /// A service error.
    App(AppError),
    /// A finished answer (boxed: a response is large beside an error).
    Response(Box<Response>),
}

impl<E: Into<AppError>> From<E> for UiError {
    fn from(e: E) -> Self {
        Self::App(e.into())
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        match self {
            Self::App(e) => error_page(&e),
            Self::Response(r) => *r,
        }
    }
}

/// What a page handler answers.
pub type UiResult = Result<Response, UiError>;

/// A tab along the top of User Management.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TabKey {
    /// The Users tab.
    Users,
    /// The Products tab.
    Products,
    /// The Roles tab.
    Roles,
    /// The Outbox tab.
    Outbox,
    /// The Invitations tab.
    Invitations,
    /// The Access Requests tab.
    AccessRequests,
    /// The History tab.
    History,
    /// The Active Sessions tab.
    ActiveSessions,
    /// The Session History tab.
    SessionHistory,
    /// The My Sessions tab.
    MySessions,
    /// The Service Accounts tab.
    ServiceAccounts,
    /// The Import tab.
    Imports,
    /// A partner's Customers tab (issue 14).
    Customers,
    /// A partner's Organization Groups tab (issue 14).
    OrgGroups,
    /// A customer's Partner tab: its partner and the link requests waiting.
    Partner,
}

/// A tab's row in the table that drives the navigation.
pub struct TabSpec {
    /// Which tab.
    pub key: TabKey,
    /// Its label.
    pub label: &'static str,
    /// Its link, for an organization.
    pub href: fn(&OrgLinks) -> String,
    /// The permissions that show it, any one of them (none: every member sees it).
    pub shown_by: &'static [Permission],
}

/// The tabs of User Management, in order. A new tab is one row here.
pub const TABS: &[TabSpec] = &[
    TabSpec { key: TabKey::Users, label: "Users", href: OrgLinks::users, shown_by: &[] },
    // Seed 000: Products right after Users, for whoever assigns licenses or manages subscriptions.
    TabSpec {
        key: TabKey::Products,
        label: "Products",
        href: OrgLinks::products,
        shown_by: &[Permission::LICENSES_READ, Permission::SUBSCRIPTIONS_READ],
    },
    // Seed 004: "Navigate to Import": after Users and Products (seed 000 keeps
    // Products next to Users), for whoever may add members (`may_import`).
    TabSpec { key: TabKey::Imports, label: "Import", href: OrgLinks::imports, shown_by: &[Permission::MEMBERS_CREATE] },
    TabSpec { key: TabKey::Roles, label: "Roles", href: OrgLinks::roles, shown_by: &[Permission::ROLES_READ] },
    // DESIGN.md lists Service Accounts right after Roles (seed 001).
    TabSpec {
        key: TabKey::ServiceAccounts,
        label: "Service Accounts",
        href: OrgLinks::service_accounts,
        shown_by: &[Permission::SERVICE_ACCOUNTS_READ],
    },
    TabSpec {
        key: TabKey::Invitations,
        label: "Invitations",
        href: OrgLinks::invitations,
        shown_by: &[Permission::INVITATIONS_READ],
    },
    // Seed 000: Access Requests before History; beside Invitations, the other way in.
    TabSpec {
        key: TabKey::AccessRequests,
        label: "Access Requests",
        href: OrgLinks::access_requests,
        shown_by: &[Permission::ACCESS_REQUESTS_READ],
    },
    TabSpec { key: TabKey::Outbox, label: "Outbox", href: OrgLinks::outbox, shown_by: &[Permission::INVITATIONS_READ] },
    // Seed 000's order: History comes before the sessions tabs.
    TabSpec { key: TabKey::History, label: "History", href: OrgLinks::history, shown_by: &[Permission::AUDIT_READ] },
    TabSpec {
        key: TabKey::ActiveSessions,
        label: "Active Sessions",
        href: OrgLinks::active_sessions,
        shown_by: &[Permission::SESSIONS_READ],
    },
    TabSpec {
        key: TabKey::SessionHistory,
        label: "Session History",
        href: OrgLinks::session_history,
        shown_by: &[Permission::SESSIONS_READ],
    },
    TabSpec { key: TabKey::MySessions, label: "My Sessions", href: OrgLinks::my_sessions, shown_by: &[] },
    // Issue 14: a partner's tabs (shown only in a partner organization, see
    // [`OrgPage::frame`]), and a customer's Partner tab (shown only when it
    // has a partner or a link request waiting).
    TabSpec { key: TabKey::Customers, label: "Customers", href: OrgLinks::customers, shown_by: &[CUSTOMERS_READ] },
    TabSpec {
        key: TabKey::OrgGroups,
        label: "Organization Groups",
        href: OrgLinks::org_groups,
        shown_by: &[ORG_GROUPS_READ],
    },
    TabSpec { key: TabKey::Partner, label: "Partner", href: OrgLinks::partner, shown_by: &[Permission::MEMBERS_READ] },
];

/// See a partner's customers (the Customers tab).
pub const CUSTOMERS_READ: Permission = roster_app::partners::customers::CUSTOMERS_READ;
/// See a partner's organization groups (the Organization Groups tab).
pub const ORG_GROUPS_READ: Permission =
    Permission { resource: "org_groups", action: roster_domain::permissions::Action::Read };

/// A tab as the frame draws it.
pub struct Tab {
    /// Its label.
    pub label: &'static str,
    /// Where it leads.
    pub href: String,
    /// Whether it is the current one.
    pub active: bool,
    /// A count shown on it ("3", "99+"), when there is one to show.
    pub badge: Option<String>,
}

/// The Access Requests tab's badge: how many requests wait, none at 0,
/// "99+" past the count's cap.
pub fn pending_badge(n: u64) -> Option<String> {
    match n {
        0 => None,
        n if n > roster_app::access_requests::COUNT_CAP => Some(format!("{}+", roster_app::access_requests::COUNT_CAP)),
        n => Some(n.to_string()),
    }
}

/// A one-off notice shown after a redirect (kind `ok` or `error`).
#[derive(Debug, Clone)]
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

/// Reads a flash.
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
pub fn redirect_with_flash(to: &str, kind: &'static str, message: &str) -> Response {
    ([(header::SET_COOKIE, set_flash(kind, message))], Redirect::to(to)).into_response()
}

/// The form of a row action's button: the page to go back to.
#[derive(serde::Deserialize)]
pub struct ReturnForm {
    /// A same-origin path (checked by [`crate::redirect::safe_path`]).
    #[serde(default)]
    pub return_to: String,
}

/// Answers a row action: back to `back` with the outcome as the flash, the
/// sentence saying what was done, or why it was refused when the refusal is
/// one a person can act on (a rule's conflict, a missing permission, no
/// escalation). Any other error becomes the error page.
pub fn after_action(back: &str, outcome: Result<String, AppError>) -> UiResult {
    match outcome {
        Ok(done) => Ok(redirect_with_flash(back, "ok", &done)),
        Err(
            e @ (AppError::Conflict { .. }
            | AppError::NoSeats { .. }
            | AppError::Forbidden(_)
            | AppError::Escalation(_)),
        ) => Ok(redirect_with_flash(back, "error", &crate::error::problem_for(&e).detail)),
        Err(e) => Err(e.into()),
    }
}

/// What every page inside the frame shows: who is signed in, which
/// organization, the tabs, a flash, and the organization's links.
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
    /// The tabs the viewer may open.
    pub tabs: Vec<Tab>,
    /// A notice from the previous action.
    pub flash: Option<Flash>,
    /// The organization's page links.
    pub links: OrgLinks,
    /// When a partner member acts inside this customer organization: the
    /// partner's name and its Customers tab, for the banner.
    pub via: Option<(String, String)>,
}

/// A request for one of an organization's pages, signed in and opened.
pub struct OrgPage {
    /// The shared state.
    pub state: AppState,
    /// Who is signed in.
    pub user: UiUser,
    /// Their standing in the organization.
    pub access: OrgAccess,
    /// The organization's page links.
    pub links: OrgLinks,
    flash: Option<Flash>,
}

impl FromRequestParts<AppState> for OrgPage {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = UiUser::from_request_parts(parts, state).await.map_err(|r| UiError::Response(Box::new(r)))?;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| UiError::App(AppError::NotFound("organization")))?;
        let org = params.iter().find(|(k, _)| *k == "org").map(|(_, v)| v.to_string());
        let org = org.ok_or(AppError::NotFound("organization"))?;
        let access = open_org(&state.app, &user.actor(), &org).await?;
        let links = OrgLinks::new(&access.org.slug);
        Ok(Self { state: state.clone(), user, access, links, flash: take_flash(&parts.headers) })
    }
}

impl OrgPage {
    /// The service.
    pub fn app(&self) -> &App {
        &self.state.app
    }

    /// The frame for a page on one tab.
    pub async fn frame(&self, active: TabKey) -> Result<Frame, UiError> {
        let orgs = roster_app::orgs::active_memberships(&self.state.app, self.user.principal.user_id).await?;
        let pending = roster_app::access_requests::pending_count(&self.state.app, &self.access).await?;
        let shows_partner = self.shows_partner_tab().await;
        Ok(Frame {
            user_name: self.user.principal.name.clone(),
            user_email: self.user.principal.email.clone(),
            csrf: self.user.csrf(),
            org_slug: self.access.org.slug.clone(),
            org_name: self.access.org.name.clone(),
            orgs: orgs.into_iter().map(|m| (m.org.slug, m.org.name)).collect(),
            tabs: TABS
                .iter()
                .filter(|t| t.shown_by.is_empty() || t.shown_by.iter().any(|p| self.access.can(*p)))
                .filter(|t| match t.key {
                    TabKey::Customers | TabKey::OrgGroups => self.access.org.partner && self.access.via.is_none(),
                    TabKey::Partner => shows_partner,
                    _ => true,
                })
                .map(|t| Tab {
                    label: t.label,
                    href: (t.href)(&self.links),
                    active: t.key == active,
                    badge: if t.key == TabKey::AccessRequests { pending_badge(pending) } else { None },
                })
                .collect(),
            flash: self.flash.clone(),
            links: self.links.clone(),
            via: self.access.via.as_ref().map(|p| (p.name.clone(), self.links.customers_of(&p.slug))),
        })
    }

    /// Whether the Partner tab shows: the organization has a partner, or
    /// (for whoever answers them, its owner) a partner's link request waits.
    async fn shows_partner_tab(&self) -> bool {
        if self.access.org.partner {
            return false;
        }
        if self.access.org.parent_id.is_some() {
            return true;
        }
        if self.access.via.is_some() || !self.access.acts_for_owner() || !self.access.can(Permission::MEMBERS_READ) {
            return false;
        }
        // A failure to read the requests only hides the tab; the page itself reports it.
        roster_app::partners::customers::partner_view(&self.state.app, &self.access)
            .await
            .is_ok_and(|v| !v.requests.is_empty())
    }

    /// Renders a page of this organization, clearing the flash it showed.
    pub fn render<T: Template>(&self, status: StatusCode, page: &T) -> UiResult {
        Ok(render_clearing_flash(status, page, self.flash.is_some()))
    }

    /// A refusal shown inside the frame, so that the tabs the viewer may
    /// use stay at hand; other errors become the error page.
    pub async fn refusal_in_frame(&self, active: TabKey, title: &str, e: AppError) -> UiResult {
        if !matches!(e, AppError::Forbidden(_)) {
            return Err(e.into());
        }
        let p = crate::error::problem_for(&e);
        let frame = self.frame(active).await?;
        self.render(StatusCode::FORBIDDEN, &FrameMessagePage { frame, title, message: &p.detail })
    }
}

/// Renders a page; when it showed a flash, the flash cookie is cleared.
fn render_clearing_flash<T: Template>(status: StatusCode, page: &T, showed_flash: bool) -> Response {
    let mut res = render(status, page);
    if showed_flash && let Ok(v) = format!("{FLASH_COOKIE}=; Path=/; Max-Age=0").parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// A request for one of the signed-in user's own pages, outside any
/// organization (the profile page): signed in, with the flash taken. The
/// counterpart of [`OrgPage`].
pub struct UserPage {
    /// The shared state.
    pub state: AppState,
    /// Who is signed in.
    pub user: UiUser,
    /// A notice from the previous action.
    pub flash: Option<Flash>,
}

impl FromRequestParts<AppState> for UserPage {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = UiUser::from_request_parts(parts, state).await.map_err(|r| UiError::Response(Box::new(r)))?;
        Ok(Self { state: state.clone(), user, flash: take_flash(&parts.headers) })
    }
}

impl UserPage {
    /// The service.
    pub fn app(&self) -> &App {
        &self.state.app
    }

    /// Renders one of the user's pages, clearing the flash it showed.
    pub fn render<T: Template>(&self, status: StatusCode, page: &T) -> UiResult {
        Ok(render_clearing_flash(status, page, self.flash.is_some()))
    }
}

#[derive(Template)]
#[template(path = "frame_message.html")]
struct FrameMessagePage<'a> {
    frame: Frame,
    title: &'a str,
    message: &'a str,
}

/// What a form shows when a change it sent was refused: a message per field
/// it has, and one for the form as a whole.
#[derive(Debug, Default)]
pub struct FormErrors {
    /// The status the form is shown again with.
    pub status: StatusCode,
    /// Field name → what is wrong with it.
    pub fields: BTreeMap<String, String>,
    /// What is wrong beyond the form's own fields.
    pub form: Option<String>,
}

impl FormErrors {
    /// The one mapping from a refused change to a form's errors. Refusals a
    /// person can act on in the form (bad input, no escalation, a rule's
    /// conflict, a missing permission) are shown in it: validation errors
    /// by field where the form has that field (`own_fields`), the rest as
    /// one message. Any other error is not about the form, and is passed on.
    pub fn from_refusal(e: AppError, own_fields: &[&str]) -> Result<Self, UiError> {
        match &e {
            AppError::Validation(v) => Ok(Self::from_validation(v, own_fields)),
            AppError::Escalation(_) | AppError::Conflict { .. } | AppError::NoSeats { .. } | AppError::Forbidden(_) => {
                let p = crate::error::problem_for(&e);
                Ok(Self {
                    status: StatusCode::from_u16(p.status).unwrap_or(StatusCode::FORBIDDEN),
                    fields: BTreeMap::new(),
                    form: Some(format!("{}: {}", p.title, p.detail)),
                })
            }
            _ => Err(e.into()),
        }
    }

    fn from_validation(v: &ValidationError, own_fields: &[&str]) -> Self {
        let mut fields = BTreeMap::new();
        let mut other = Vec::new();
        for e in &v.errors {
            if own_fields.contains(&e.field.as_str()) && !fields.contains_key(&e.field) {
                fields.insert(e.field.clone(), e.message.clone());
            } else {
                other.push(format!("{} {}", e.field, e.message));
            }
        }
        Self { status: StatusCode::UNPROCESSABLE_ENTITY, fields, form: (!other.is_empty()).then(|| other.join("; ")) }
    }

    /// A message for the form as a whole (a check the handler makes itself).
    pub fn form(message: impl Into<String>) -> Self {
        Self { status: StatusCode::UNPROCESSABLE_ENTITY, fields: BTreeMap::new(), form: Some(message.into()) }
    }

    /// The message for one field, if any.
    pub fn field(&self, name: &str) -> Option<String> {
        self.fields.get(name).cloned()
    }
}
