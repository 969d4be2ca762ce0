//! Static assets compiled into the binary: the stylesheet and htmx. No CDN.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

const CSS: &str = include_str!("../assets/roster.css");
const HTMX: &str = include_str!("../assets/htmx.min.js");
const APP_JS: &str = include_str!("../assets/roster.js");

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body)
}

/// Routes for `/assets/*`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/roster.css", get(|| async { asset("text/css; charset=utf-8", CSS) }))
        .route("/assets/htmx.min.js", get(|| async { asset("text/javascript; charset=utf-8", HTMX) }))
        .route("/assets/roster.js", get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }))
}
