//! Rendering a page: a template with its status, and the plain pages that
//! stand alone (a message, a service error). Both the UI and the request
//! plumbing (extractors, CSRF) answer with these, so they live below `ui`.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use roster_app::AppError;

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    title: &'a str,
    message: &'a str,
}

/// Renders a template, or a plain 500 if rendering fails.
pub fn render<T: Template>(status: StatusCode, t: &T) -> Response {
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

/// The page for a service error: the same status, title and words as the
/// API's problem document for it (and its `Retry-After`).
pub fn error_page(e: &AppError) -> Response {
    let p = crate::error::problem_for(e);
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    crate::error::with_retry_after(e, message_page(status, &p.title, &p.detail))
}
