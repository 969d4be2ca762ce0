//! Request extractors: the session cookie, the signed-in principal, request
//! metadata, and JSON bodies whose errors become problem documents.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use roster_app::Principal;
use roster_app::{AppError, RequestMeta};
use roster_domain::net::Cidr;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::{ApiError, Problem};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "roster_session";

/// Reads one cookie from a request's `Cookie` headers.
pub fn cookie<'a>(parts: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    parts
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The `Set-Cookie` value that starts a session.
pub fn session_cookie(token: &str, secure: bool, max_age_s: i64) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that ends a session.
pub fn clear_session_cookie(secure: bool) -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}", if secure { "; Secure" } else { "" })
}

/// Who an API request acts as, from its credentials: the session cookie
/// today; a bearer token joins here with service accounts, and every handler
/// that takes this extractor accepts it. Refuses with 401 problem+json.
pub struct Authenticated {
    /// The actor.
    pub actor: roster_app::Actor,
    /// The signed-in person behind a session.
    pub principal: Principal,
    /// The session token from the cookie (the CSRF token derives from it).
    pub token: String,
}

impl Authenticated {
    /// The actor the request acts as.
    pub fn actor(&self) -> roster_app::Actor {
        self.actor.clone()
    }
}

/// Reads the session cookie and resolves it to the signed-in principal.
async fn session(parts: &Parts, state: &AppState) -> Result<(Principal, String), AppError> {
    let token = cookie(&parts.headers, SESSION_COOKIE).ok_or(AppError::Unauthenticated)?.to_string();
    let principal = roster_app::auth::authenticate(&state.app, &token).await?;
    Ok((principal, token))
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let (principal, token) = session(parts, state).await?;
        Ok(Self { actor: roster_app::Actor::User(principal.clone()), principal, token })
    }
}

/// The bearer token of an `Authorization: Bearer …` header, if one came; a
/// malformed `Authorization` header is refused (401).
pub fn bearer(headers: &HeaderMap) -> Result<Option<&str>, AppError> {
    let Some(v) = headers.get(header::AUTHORIZATION) else { return Ok(None) };
    let v = v.to_str().map_err(|_| AppError::Unauthenticated)?;
    match v.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(Some(token.trim()))
        }
        _ => Err(AppError::Unauthenticated),
    }
}

/// An API request about one organization: authenticated (a session cookie,
/// or a service account's `Authorization: Bearer` token), and the
/// organization named by the `{org}` path segment opened for the actor
/// (404 for one the actor may not see).
pub struct OrgApi {
    /// The signed-in person, for a session (`None` for a service account's bearer token).
    pub auth: Option<Authenticated>,
    /// Their standing in the organization.
    pub access: roster_app::access::OrgAccess,
}

impl FromRequestParts<AppState> for OrgApi {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let params = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound("organization"))?;
        let org = params.iter().find(|(k, _)| *k == "org").map(|(_, v)| v.to_string());
        let org = org.ok_or(AppError::NotFound("organization"))?;
        // A service account's token: its own organization only, within its roles.
        if let Some(bearer) = bearer(&parts.headers)?.map(str::to_string) {
            let Meta(meta) = Meta::from_request_parts(parts, state).await.unwrap_or_else(|e| match e {});
            let access =
                roster_app::service_accounts::authenticate_in_org(&state.app, &bearer, meta.ip.as_deref(), Some(&org))
                    .await?;
            return Ok(Self { auth: None, access });
        }
        let token = cookie(&parts.headers, SESSION_COOKIE).ok_or(AppError::Unauthenticated)?.to_string();
        // The session, the organization and the membership in one query.
        let (principal, access) = roster_app::auth::authenticate_in_org(&state.app, &token, &org).await?;
        let auth = Authenticated { actor: roster_app::Actor::User(principal.clone()), principal, token };
        Ok(Self { auth: Some(auth), access })
    }
}

/// The signed-in principal of a page request; without one, the browser is
/// sent to the sign-in page and brought back afterwards.
pub struct UiUser {
    /// Who is signed in.
    pub principal: Principal,
    /// The session token from the cookie.
    pub token: String,
}

impl UiUser {
    /// The actor the request acts as.
    pub fn actor(&self) -> roster_app::Actor {
        roster_app::Actor::User(self.principal.clone())
    }

    /// The CSRF token pages embed in their forms.
    pub fn csrf(&self) -> String {
        roster_app::tokens::csrf_for_session(&self.token)
    }
}

impl FromRequestParts<AppState> for UiUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let to_login = || {
            let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let q = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
            Redirect::to(&format!("/login?{q}")).into_response()
        };
        match session(parts, state).await {
            Ok((principal, token)) => Ok(Self { principal, token }),
            Err(AppError::Unauthenticated) => Err(to_login()),
            Err(e) => Err(crate::page::error_page(&e)),
        }
    }
}

/// The header a request's id travels in, both ways.
pub const REQUEST_ID: header::HeaderName = header::HeaderName::from_static("x-request-id");

/// A request's id: the client's `X-Request-Id` when it is 1 to 64 letters,
/// digits, `-`, `_`, `.` or `:`, otherwise a new UUIDv7. Answers carry it
/// back, logs and audit events record it.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl RequestId {
    /// The id for a request with these headers.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let sent = headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()).filter(|v| {
            (1..=64).contains(&v.len())
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        });
        Self(sent.map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_string))
    }
}

/// Where a request came from.
pub struct Meta(pub RequestMeta);

impl FromRequestParts<AppState> for Meta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let ip = peer.map(|p| client_ip(p, &parts.headers, &state.app.config.trusted_proxies).to_string());
        let user_agent = parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_string);
        let request_id = parts.extensions.get::<RequestId>().map(|r| r.0.clone());
        Ok(Self(RequestMeta { ip, user_agent, request_id }))
    }
}

/// The client's address: the peer's, unless the peer is a trusted proxy;
/// then `X-Forwarded-For` is read from the right (each proxy appends the
/// address it received from), past the trusted hops, and the first address
/// that is not a trusted proxy is the client. A malformed entry stops the
/// walk at the last address known good, so a client cannot make itself
/// look like any address by writing the header (it can write only the
/// left part, which a trusted proxy never vouches for).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else { break };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    client
}

/// A JSON body whose syntax or shape errors answer problem+json naming the
/// field (400 for unreadable JSON, 422 for a wrong field).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/json") || ct.contains("+json"));
        if !is_json {
            return Err(Problem::malformed(None, "send the body as JSON with Content-Type: application/json"));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| Problem::malformed(None, "the request body could not be read"))?;
        decode_json(&bytes).map(Self)
    }
}

/// Reads a JSON body into `T`: unreadable JSON is a 400, a wrong or missing
/// field a 422 naming it (what [`ApiJson`] answers).
pub fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => Ok(v),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let field = if path == "." { None } else { Some(path.as_str()) };
            if inner.is_syntax() || inner.is_eof() {
                Err(Problem::malformed(None, format!("the body is not valid JSON: {inner}")))
            } else {
                let msg = inner.to_string();
                let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                let field = field.map(str::to_string).or_else(|| {
                    // serde names a missing or unknown field inside its message.
                    msg.split('`').nth(1).map(str::to_string)
                });
                let mut p = Problem::malformed(field.as_deref(), msg.clone());
                p.status = 422;
                p.type_ = "/problems/validation".into();
                p.title = "Invalid input".into();
                p.detail = match &field {
                    Some(f) => format!("{f}: {msg}"),
                    None => msg,
                };
                Err(p)
            }
        }
    }
}

/// The signed-in principal behind a request's session cookie, if there is a
/// live one, and the cookie's token (pages and operations that anyone may
/// use, and that act differently for a signed-in visitor).
pub async fn optional_session(headers: &axum::http::HeaderMap, state: &AppState) -> Option<(Principal, String)> {
    let token = cookie(headers, SESSION_COOKIE)?.to_string();
    roster_app::auth::authenticate(&state.app, &token).await.ok().map(|p| (p, token))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let lb: Vec<Cidr> = vec!["10.0.0.0/8".parse().unwrap()];
        // Nobody trusted: the header is ignored.
        assert_eq!(client_ip(ip("10.0.0.1"), &headers(&["203.0.113.7"]), &[]), ip("10.0.0.1"));
        // An untrusted peer cannot name another client.
        assert_eq!(client_ip(ip("198.51.100.1"), &headers(&["203.0.113.7"]), &lb), ip("198.51.100.1"));
        // Through the load balancer: the address it received from.
        assert_eq!(client_ip(ip("10.0.0.1"), &headers(&["203.0.113.7"]), &lb), ip("203.0.113.7"));
        // A client's own forged entries stay to the left of what the proxy appended.
        assert_eq!(client_ip(ip("10.0.0.1"), &headers(&["1.2.3.4, 203.0.113.7"]), &lb), ip("203.0.113.7"));
        // Several trusted hops are passed over, across header lines.
        assert_eq!(client_ip(ip("10.0.0.1"), &headers(&["203.0.113.7", "10.0.0.2"]), &lb), ip("203.0.113.7"));
        // Garbage stops the walk at the last good address.
        assert_eq!(client_ip(ip("10.0.0.1"), &headers(&["nonsense"]), &lb), ip("10.0.0.1"));
        assert_eq!(client_ip(ip("10.0.0.1"), &headers(&[]), &lb), ip("10.0.0.1"));
    }
}
