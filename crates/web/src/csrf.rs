//! CSRF protection for cookie-authenticated requests.
//!
//! A request that changes state (POST, PUT, PATCH, DELETE) and carries the
//! session cookie must prove it could read a page of ours: it sends the
//! session's CSRF token in the `X-CSRF-Token` header (programs, htmx) or in a
//! `csrf_token` form field (plain HTML forms). A `multipart/form-data` form
//! (a file upload) carries it as its first part, so that it is checked
//! before any of the file is read: only the first few kilobytes of the body
//! are looked at, and the body goes on to the handler whole, still
//! streaming. Otherwise it is refused with 403. The token is derived from
//! the session token, so nothing is stored.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;

use crate::AppState;
use crate::error::Problem;
use crate::extract::{SESSION_COOKIE, cookie};

/// Paths that need no session (they start one, or stand in for a sign-in:
/// asking for a reset link and using one) and so cannot hold a token yet;
/// they are guarded by where the request comes from instead.
const SIGN_IN: [&str; 10] = [
    "/api/v1/auth/login",
    "/api/v1/auth/signup",
    "/api/v1/auth/signup/confirm",
    "/login",
    "/api/v1/auth/password-reset",
    "/api/v1/auth/password-reset/confirm",
    super::ui::paths::FORGOT_PASSWORD,
    super::ui::paths::SET_PASSWORD,
    super::ui::paths::SIGNUP,
    super::ui::paths::SIGNUP_CONFIRM,
];

/// Whether a path accepts an invitation, which signs the invitee in (and
/// needs no session before): guarded by where the request comes from, like
/// a sign-in, and by the token too when a session cookie comes with it.
fn accepts_invitation(path: &str) -> bool {
    path == "/api/v1/invitations/accept" || path.starts_with("/invite/")
}

/// The middleware.
pub async fn protect(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !unsafe_method {
        return next.run(req).await;
    }
    if SIGN_IN.contains(&req.uri().path()) {
        return if comes_from_elsewhere(req.headers(), &state.app.config.base_url) {
            refuse_sign_in(&req)
        } else {
            next.run(req).await
        };
    }
    if accepts_invitation(req.uri().path()) && comes_from_elsewhere(req.headers(), &state.app.config.base_url) {
        return refuse_sign_in(&req);
    }
    let Some(session) = cookie(req.headers(), SESSION_COOKIE).map(str::to_string) else {
        return next.run(req).await;
    };
    if let Some(h) = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        return if roster_app::tokens::csrf_matches(&session, h) { next.run(req).await } else { refuse(&req) };
    }
    let content_type =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    if let Some(boundary) = multipart_boundary(&content_type) {
        let (req, presented) = first_part(req, &boundary).await;
        return match presented {
            Some(t) if roster_app::tokens::csrf_matches(&session, &t) => next.run(req).await,
            _ => refuse(&req),
        };
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
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

/// The most of a multipart body read to find its first part.
const FIRST_PART_MAX: usize = 8 * 1024;

/// The boundary of a `multipart/form-data` content type, if it is one.
fn multipart_boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("boundary").then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Reads the start of a multipart body, at most [`FIRST_PART_MAX`] bytes,
/// until its first part is whole; answers the request with its body intact
/// (what was read, then the rest as it streams) and the first part's value
/// when that part is the `csrf_token` field.
async fn first_part(req: Request, boundary: &str) -> (Request, Option<String>) {
    let (parts, body) = req.into_parts();
    let mut rest = body.into_data_stream();
    let mut head: Vec<u8> = Vec::new();
    let token = loop {
        if let Some(found) = csrf_field(&head, boundary) {
            break found;
        }
        if head.len() >= FIRST_PART_MAX {
            break None;
        }
        match rest.next().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            _ => break None,
        }
    };
    let body = futures::stream::once(async move { Ok::<_, axum::Error>(Bytes::from(head)) }).chain(rest);
    (Request::from_parts(parts, Body::from_stream(body)), token)
}

/// The first part of a multipart body read so far: `None` while it is not
/// whole, `Some(None)` when it is not the `csrf_token` field, `Some(Some(v))`
/// when it is.
fn csrf_field(head: &[u8], boundary: &str) -> Option<Option<String>> {
    let open = format!("--{boundary}\r\n");
    let start = find(head, open.as_bytes())? + open.len();
    let headers_end = start + find(&head[start..], b"\r\n\r\n")?;
    let value_start = headers_end + 4;
    let close = format!("\r\n--{boundary}");
    let value_end = value_start + find(&head[value_start..], close.as_bytes())?;
    let headers = String::from_utf8_lossy(&head[start..headers_end]).to_ascii_lowercase();
    let is_token = headers.lines().any(|l| {
        l.starts_with("content-disposition:")
            && l.split(';').any(|p| p.trim() == "name=\"csrf_token\"")
            && !l.contains("filename")
    });
    Some(is_token.then(|| String::from_utf8_lossy(&head[value_start..value_end]).into_owned()))
}

/// Where `needle` first occurs in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
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

/// Whether the browser says a request comes from another site: it sent
/// `Sec-Fetch-Site: cross-site`, or an `Origin` that is neither the public
/// base URL's origin nor that of the host the request was sent to.
fn comes_from_elsewhere(headers: &HeaderMap, base_url: &str) -> bool {
    let header = |name| headers.get(name).map(|v| v.to_str().unwrap_or("\u{0}").trim().to_ascii_lowercase());
    if header("sec-fetch-site").as_deref() == Some("cross-site") {
        return true;
    }
    let Some(origin) = header(header::ORIGIN.as_str()) else {
        return false;
    };
    let Some(origin) = origin_of(&origin) else {
        // `null` (a sandboxed or privacy-sensitive context) or garbage.
        return true;
    };
    if origin_of(base_url).is_some_and(|base| base == origin) {
        return false;
    }
    // The scheme of the request itself is unknown behind a proxy, so the
    // host alone decides.
    let host = header(header::HOST.as_str());
    let origin_host = origin.split_once("://").map(|(_, h)| h);
    !matches!((host, origin_host), (Some(h), Some(o)) if strip_default_port(&h) == o)
}

/// The `scheme://host[:port]` of a URL, lower-cased, without a default port;
/// `None` when it has no http(s) scheme or no host.
fn origin_of(url: &str) -> Option<String> {
    let url = url.trim().to_ascii_lowercase();
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let authority = match (scheme, authority.rsplit_once(':')) {
        ("http", Some((h, "80"))) | ("https", Some((h, "443"))) => h,
        _ => authority,
    };
    Some(format!("{scheme}://{authority}"))
}

/// A `Host` header without `:80` or `:443`, which browsers leave out of an origin.
fn strip_default_port(host: &str) -> &str {
    host.strip_suffix(":80").or_else(|| host.strip_suffix(":443")).unwrap_or(host)
}

/// The refusal of a sign-in posted from another site.
fn refuse_sign_in(req: &Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        Problem::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "Sign-in from another site refused",
            "Sign in from Roster's own pages, or from a program that sends no Origin header.",
        )
        .into_response()
    } else {
        refuse(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://roster.example.com";

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn a_multipart_form_carries_its_token_as_its_first_part() {
        let ct = "multipart/form-data; boundary=----WebKitFormBoundaryAbC";
        let b = multipart_boundary(ct).expect("a boundary");
        assert_eq!(b, "----WebKitFormBoundaryAbC");
        assert_eq!(multipart_boundary("multipart/form-data; boundary=\"x y\"").as_deref(), Some("x y"));
        assert_eq!(multipart_boundary("application/x-www-form-urlencoded"), None);
        let body = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\ntok123\r\n--{b}\r\n\
             Content-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nEmail\r\n--{b}--\r\n"
        );
        assert_eq!(csrf_field(body.as_bytes(), &b), Some(Some("tok123".into())));
        // Not whole yet: read on.
        assert_eq!(csrf_field(&body.as_bytes()[..60], &b), None);
        // Another first part: no token.
        let other = format!("--{b}\r\nContent-Disposition: form-data; name=\"mode\"\r\n\r\ncreate\r\n--{b}--\r\n");
        assert_eq!(csrf_field(other.as_bytes(), &b), Some(None));
        // A file named csrf_token is not the field.
        let file = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"csrf_token\"; filename=\"t\"\r\n\r\ntok\r\n--{b}--\r\n"
        );
        assert_eq!(csrf_field(file.as_bytes(), &b), Some(None));
    }

    #[test]
    fn sign_in_from_elsewhere_is_recognised() {
        for bad in [
            vec![("sec-fetch-site", "cross-site")],
            vec![("sec-fetch-site", "cross-site"), ("origin", "https://roster.example.com")],
            vec![("origin", "https://evil.example"), ("host", "roster.example.com")],
            vec![("origin", "http://roster.example.com"), ("host", "other.example")],
            vec![("origin", "https://roster.example.com.evil.example")],
            vec![("origin", "null"), ("host", "roster.example.com")],
            vec![("origin", "https://evil.example")],
        ] {
            assert!(comes_from_elsewhere(&headers(&bad), BASE), "{bad:?} must be refused");
        }
    }

    #[test]
    fn sign_in_from_here_or_from_programs_passes() {
        for good in [
            vec![],
            vec![("sec-fetch-site", "same-origin")],
            vec![("sec-fetch-site", "none")],
            vec![("origin", "https://roster.example.com")],
            vec![("origin", "https://Roster.example.com:443")],
            vec![("origin", "http://127.0.0.1:8080"), ("host", "127.0.0.1:8080")],
            vec![("origin", "http://localhost"), ("host", "localhost:80")],
            vec![("host", "roster.example.com")],
        ] {
            assert!(!comes_from_elsewhere(&headers(&good), BASE), "{good:?} must pass");
        }
    }
}
