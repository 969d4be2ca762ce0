//! CSRF protection for cookie-authenticated requests.
//!
//! A request that changes state (POST, PUT, PATCH, DELETE) and carries the
//! session cookie must prove it could read a page of ours: it sends the
//! session's CSRF token in the `X-CSRF-Token` header (programs, htmx) or in a
//! `csrf_token` form field (plain HTML forms). Otherwise it is refused with
//! 403. The token is derived from the session token, so nothing is stored.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::Problem;
use crate::extract::{SESSION_COOKIE, cookie};

/// Paths that start a session and so cannot hold a token yet.
const EXEMPT: [&str; 2] = ["/api/v1/auth/login", "/login"];

/// The middleware.
pub async fn protect(req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !unsafe_method || EXEMPT.contains(&req.uri().path()) {
        return next.run(req).await;
    }
    let Some(session) = cookie(req.headers(), SESSION_COOKIE).map(str::to_string) else {
        return next.run(req).await;
    };
    if let Some(h) = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        return if roster_app::tokens::csrf_matches(&session, h) { next.run(req).await } else { refuse(&req) };
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return refuse(&req);
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return Problem::malformed(None, "the form is too large").into_response();
    };
    let presented = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "csrf_token").map(|(_, v)| v));
    let req = Request::from_parts(parts, Body::from(bytes));
    match presented {
        Some(t) if roster_app::tokens::csrf_matches(&session, &t) => next.run(req).await,
        _ => refuse(&req),
    }
}

fn refuse(req: &Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        Problem::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "CSRF token missing or wrong",
            "Send the csrf_token from GET /api/v1/me in the X-CSRF-Token header.",
        )
        .into_response()
    } else {
        crate::page::message_page(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "The page was open too long or came from elsewhere. Go back, reload it and try again.",
        )
    }
}
