//! Roster's HTTP surface: the REST API (with its OpenAPI document) and the
//! server-rendered web UI, both thin layers over `roster_app`.
//!
//! [`router`] builds the whole application as one `axum::Router`, so tests
//! can drive it without a socket and `roster serve` can bind it to one.
#![forbid(unsafe_code)]

pub mod api;
mod assets;
mod csrf;
mod download;
pub mod error;
mod extract;
pub mod format;
mod page;
mod progress;
mod query;
mod redirect;
pub mod scim;
pub mod scim_groups;
pub mod ui;
mod upload;

use axum::Router;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use roster_app::App;
use tower_http::set_header::SetResponseHeaderLayer;

pub use extract::SESSION_COOKIE;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The service layer.
    pub app: App,
    /// Whether cookies carry the `Secure` attribute (the public URL is https).
    pub secure_cookies: bool,
    /// The places for SCIM requests in progress ([`roster_app::Config::scim_max_in_flight`]).
    pub scim_slots: std::sync::Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// State over an app; cookies are `Secure` when its base URL is https.
    pub fn new(app: App) -> Self {
        let secure_cookies = app.config.base_url.starts_with("https://");
        let scim_slots = std::sync::Arc::new(tokio::sync::Semaphore::new(app.config.scim_max_in_flight.max(1)));
        Self { app, secure_cookies, scim_slots }
    }
}

/// The whole application: API, OpenAPI document and Swagger UI, web UI,
/// health checks, static assets, with CSRF protection and security headers.
pub fn router(state: AppState) -> Router {
    let (api_router, openapi) = api::router_and_document();
    let allowed = std::sync::Arc::new(api::allowed_methods(&openapi));
    let docs = utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi);
    let https = state.secure_cookies;
    let router = Router::new()
        .merge(api_router)
        .merge(ui::router())
        .merge(assets::router())
        .layer(axum::middleware::from_fn_with_state(state.clone(), csrf::protect))
        .layer(axum::middleware::from_fn_with_state(state.clone(), scim::admit))
        .with_state(state)
        .merge(docs)
        .fallback(not_found)
        .method_not_allowed_fallback(move |method: Method, uri: Uri| method_not_allowed(allowed.clone(), method, uri))
        .layer(axum::middleware::from_fn(log_request))
        .layer(axum::middleware::from_fn(no_store))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)));
    // HSTS over plain http would be ignored at best and, on a host later
    // moved to https, harmless; sent only when the public URL is https.
    if https {
        router.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        ))
    } else {
        router
    }
}

/// The content security policy: scripts only from our own files (no inline
/// script or `on…=` handler exists in the templates), no framing, forms
/// posting only here. Inline styles stay allowed for htmx's indicator style.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// `Strict-Transport-Security`, sent when the public base URL is https.
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Marks every answer `Cache-Control: no-store` unless its handler chose
/// otherwise, except the static assets and the API document, which are
/// the same for everyone. Pages and API answers for a signed-in user, the
/// sign-in page and the set-password page (its URL holds a one-time secret)
/// must never be kept by a browser or a shared cache.
async fn no_store(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let path = req.uri().path();
    let shared = path.starts_with("/assets/") || path.starts_with("/api/docs") || path == "/api/openapi.json";
    let mut res = next.run(req).await;
    if !shared && !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// The OpenAPI document, as served at `/api/openapi.json`.
pub fn openapi_json() -> String {
    let (_, openapi) = api::router_and_document();
    openapi.to_pretty_json().unwrap_or_default()
}

/// Whether a path belongs to the API, whose answers are problem documents.
fn is_api(uri: &Uri) -> bool {
    uri.path() == "/api" || uri.path().starts_with("/api/")
}

/// A path no route has: 404 problem+json under `/api`, a page elsewhere.
async fn not_found(uri: Uri) -> Response {
    if is_api(&uri) {
        error::Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            "There is no such path in this API; /api/openapi.json lists them.",
        )
        .into_response()
    } else {
        ui::message_page(StatusCode::NOT_FOUND, "Page not found", "There is no page at this address.")
    }
}

/// A known path asked with a method it does not have: 405, as problem+json
/// with the `Allow` header (from the OpenAPI document) under `/api`, and a
/// page elsewhere. (axum's own `Allow` is lost under the router's layers.)
async fn method_not_allowed(allowed: std::sync::Arc<Vec<(String, String)>>, method: Method, uri: Uri) -> Response {
    if is_api(&uri) {
        let mut res = error::Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method not allowed",
            format!("{method} is not a method of this path; the Allow header lists its methods."),
        )
        .into_response();
        if let Some(allow) = api::allow_for(&allowed, uri.path()).and_then(|a| HeaderValue::from_str(&a).ok()) {
            res.headers_mut().insert(header::ALLOW, allow);
        }
        res
    } else {
        ui::message_page(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
            "This page cannot be asked for that way.",
        )
    }
}

/// Logs each request's method, path (never the query, which may carry a
/// one-time token), status and duration: server errors at `warn`, the rest at `debug`.
async fn log_request(mut req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let id = extract::RequestId::from_headers(req.headers());
    req.extensions_mut().insert(id.clone());
    let started = std::time::Instant::now();
    let mut res = next.run(req).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if res.status().is_server_error() {
        tracing::warn!(%method, %path, status = res.status().as_u16(), ms, request_id = %id.0, "request failed");
    } else {
        tracing::debug!(%method, %path, status = res.status().as_u16(), ms, request_id = %id.0, "request");
    }
    if let Ok(v) = HeaderValue::from_str(&id.0) {
        res.headers_mut().insert(extract::REQUEST_ID, v);
    }
    res
}
