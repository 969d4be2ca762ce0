//! SCIM 2.0 under `/scim/v2` (RFC 7643, RFC 7644), for identity providers
//! (Microsoft Entra ID, Okta) provisioning users into an organization.
//!
//! The caller is a service account: its bearer token decides the
//! organization (no `{org}` in the path), and its roles what it may do.
//! Answers are `application/scim+json`; errors are SCIM error messages
//! (`urn:ietf:params:scim:api:messages:2.0:Error`, `status` as a string,
//! `scimType` where RFC 7644 §3.12 names one).
//!
//! The Users list (filter translated to SQL, sorting, paging, `attributes` /
//! `excludedAttributes`), one User, creating, replacing, patching and
//! deleting one, and the discovery endpoints, which say exactly that (PATCH
//! and ETags; no bulk). Handlers read the JSON and answer; the rules are
//! `roster_app::scim`'s.
//!
//! Versions (RFC 7644 §3.14): a User's answer carries its `meta.version`
//! as a weak `ETag` header; `If-Match` on PUT, PATCH and DELETE is checked
//! by the use case inside its change (a mismatch is 412, nothing changed;
//! `*` matches any); `If-None-Match` on GET with the current version is
//! 304. [`set_etag`], [`if_match`] and [`not_modified`] are the helpers
//! any resource's handlers use.

use axum::Json;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use roster_app::AppError;
use roster_app::scim::{ListQuery, PRECONDITION_FAILED, ScimRefusal};
use roster_domain::MemberStatus;
use roster_domain::scim::users::{ENTERPRISE_SCHEMA, ScimUser as UserResource, USER_SCHEMA, if_match_allows};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::extract::{Meta, bearer};
use crate::format::rfc3339;

/// SCIM's media type.
pub const SCIM_JSON: &str = "application/scim+json";
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub(crate) const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// A SCIM error message (RFC 7644 §3.12).
#[derive(serde::Serialize, ToSchema)]
#[schema(example = json!({"schemas": [ERROR_SCHEMA], "status": "400", "scimType": "invalidFilter",
    "detail": "expected an operator after 'userName' at 9"}))]
pub struct ScimError {
    /// Always `["urn:ietf:params:scim:api:messages:2.0:Error"]`.
    pub schemas: Vec<String>,
    /// The HTTP status, as a string.
    pub status: String,
    /// The kind of error, for 400 and 409 answers (`invalidFilter`, `invalidValue`, `uniqueness`, …).
    #[serde(rename = "scimType", skip_serializing_if = "Option::is_none")]
    pub scim_type: Option<String>,
    /// What is wrong, in words.
    pub detail: String,
}

/// A SCIM answer: JSON with SCIM's media type.
pub struct Scim(pub StatusCode, pub Value);

impl IntoResponse for Scim {
    fn into_response(self) -> Response {
        let mut r = (self.0, Json(self.1)).into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
        r
    }
}

/// A refused SCIM request.
pub struct ScimFailure(StatusCode, Option<&'static str>, String);

impl ScimFailure {
    /// Too many SCIM requests in progress: 429, to be retried after [`BUSY_RETRY_AFTER_S`].
    fn busy() -> Self {
        Self(
            StatusCode::TOO_MANY_REQUESTS,
            None,
            "too many provisioning requests in progress; retry after the Retry-After seconds".into(),
        )
    }

    pub(crate) fn bad(refusal: ScimRefusal) -> Self {
        match refusal.scim_type {
            "uniqueness" => Self(StatusCode::CONFLICT, Some(refusal.scim_type), refusal.detail),
            // RFC 7644 names no scimType for a failed precondition.
            PRECONDITION_FAILED => Self(StatusCode::PRECONDITION_FAILED, None, refusal.detail),
            _ => Self(StatusCode::BAD_REQUEST, Some(refusal.scim_type), refusal.detail),
        }
    }
}

impl From<AppError> for ScimFailure {
    fn from(e: AppError) -> Self {
        let p = crate::error::problem_for(&e);
        let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let detail = match e {
            AppError::Unauthenticated => "a service account's bearer token is required".to_string(),
            _ => p.detail,
        };
        Self(status, None, detail)
    }
}

impl IntoResponse for ScimFailure {
    fn into_response(self) -> Response {
        let body = ScimError {
            schemas: vec![ERROR_SCHEMA.into()],
            status: self.0.as_u16().to_string(),
            scim_type: self.1.map(str::to_string),
            detail: self.2,
        };
        let mut r = Scim(self.0, serde_json::to_value(body).unwrap_or_default()).into_response();
        if self.0 == StatusCode::TOO_MANY_REQUESTS {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(BUSY_RETRY_AFTER_S));
        }
        if self.0 == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"scim\""));
        }
        r
    }
}

/// A SCIM request: a service account's bearer token, its organization opened.
pub struct ScimCaller {
    /// The account's standing in its organization.
    pub access: roster_app::access::OrgAccess,
}

/// How long a client refused for being over capacity is asked to wait.
pub const BUSY_RETRY_AFTER_S: u64 = 1;

impl FromRequestParts<AppState> for ScimCaller {
    type Rejection = ScimFailure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers)?.map(str::to_string).ok_or(AppError::Unauthenticated)?;
        let Meta(meta) = Meta::from_request_parts(parts, state).await.unwrap_or_else(|e| match e {});
        // Provisioning is a service account's work: without an organization
        // to name, a member's personal token is refused (401).
        let access =
            roster_app::service_accounts::authenticate_in_org(&state.app, &token, meta.ip.as_deref(), None).await?;
        Ok(Self { access })
    }
}

/// Admits a SCIM request while fewer than
/// [`roster_app::Config::scim_max_in_flight`] are in progress, holding its
/// place until it is answered. Over capacity it answers 429 with
/// `Retry-After` at once (Entra ID and Okta back off on it), so a burst
/// never leaves requests waiting until the client times out.
pub async fn admit(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if !req.uri().path().starts_with("/scim/") {
        return next.run(req).await;
    }
    let Ok(_slot) = state.scim_slots.clone().try_acquire_owned() else {
        return ScimFailure::busy().into_response();
    };
    next.run(req).await
}

/// The absolute base of SCIM's paths on this deployment.
pub(crate) fn base(state: &AppState) -> String {
    state.app.config.link("/scim/v2")
}

/// Puts a resource's version (a weak ETag, `W/"…"`) in the `ETag` header.
pub fn set_etag(r: &mut Response, version: &str) {
    if let Ok(v) = HeaderValue::from_str(version) {
        r.headers_mut().insert(header::ETAG, v);
    }
}

/// The `If-Match` header of a write, for the use case to compare inside its
/// change (`None`: no precondition).
pub fn if_match(headers: &HeaderMap) -> Option<String> {
    headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// Whether a read's `If-None-Match` names the resource's current version
/// (or is `*`): the client's copy is current, 304.
pub fn not_modified(headers: &HeaderMap, version: &str) -> bool {
    headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|tags| if_match_allows(tags, version))
}

/// A 304 answer: no body, the version in `ETag`.
pub(crate) fn not_modified_answer(version: &str) -> Response {
    let mut r = StatusCode::NOT_MODIFIED.into_response();
    set_etag(&mut r, version);
    r
}

/// A member as a SCIM User: the sign-in address is `userName` and the
/// primary work email; a work address the provider gave that differs from
/// it follows as a second, not primary, work email. The enterprise
/// extension appears (and its URN in `schemas`) when it holds a value.
fn user_json(state: &AppState, u: &UserResource) -> Value {
    let m = &u.member;
    let a = &u.attributes;
    let mut emails = vec![json!({"value": m.email, "type": "work", "primary": true})];
    if let Some(w) = &a.work_email {
        emails.push(json!({"value": w, "type": "work", "primary": false}));
    }
    let mut v = json!({
        "schemas": [USER_SCHEMA],
        "id": m.user_id.to_string(),
        "userName": m.email,
        "displayName": m.name,
        "name": {"formatted": m.name},
        "emails": emails,
        "active": m.status == MemberStatus::Active,
        "meta": {
            "resourceType": "User",
            "created": rfc3339(m.created_at),
            "lastModified": rfc3339(u.last_modified()),
            "location": format!("{}/Users/{}", base(state), m.user_id),
            "version": u.version(),
        },
    });
    if let Some(x) = &a.external_id {
        v["externalId"] = json!(x);
    }
    let mut enterprise = serde_json::Map::new();
    if let Some(n) = &a.employee_number {
        enterprise.insert("employeeNumber".into(), json!(n));
    }
    if let Some(d) = &a.department {
        enterprise.insert("department".into(), json!(d));
    }
    if let Some(id) = a.manager {
        let mut manager = json!({"value": id.to_string(), "$ref": format!("{}/Users/{id}", base(state))});
        if let Some(name) = &u.manager_name {
            manager["displayName"] = json!(name);
        }
        enterprise.insert("manager".into(), manager);
    }
    if !enterprise.is_empty() {
        v[ENTERPRISE_SCHEMA] = Value::Object(enterprise);
        v["schemas"] = json!([USER_SCHEMA, ENTERPRISE_SCHEMA]);
    }
    v
}

/// Keeps the attributes asked for, or drops the ones excluded (top-level
/// names, case-insensitive; a sub-attribute keeps or drops its parent's
/// part); `id` and `schemas` always stay (RFC 7644 §3.9).
pub(crate) fn project(mut v: Value, attributes: Option<&str>, excluded: Option<&str>) -> Value {
    let enterprise = ENTERPRISE_SCHEMA.to_ascii_lowercase();
    let names = |s: &str| -> Vec<(String, Option<String>)> {
        s.split(',')
            .map(|a| a.trim().to_ascii_lowercase())
            .filter_map(|a| {
                // The enterprise extension is one object under its URN: its attributes are its parts.
                if let Some(rest) = a.strip_prefix(&enterprise) {
                    let part = rest.trim_start_matches(':').split('.').next().unwrap_or("");
                    return Some((enterprise.clone(), (!part.is_empty()).then(|| part.to_string())));
                }
                let a = a.rsplit(':').next().unwrap_or("").to_string();
                match a.split_once('.') {
                    _ if a.is_empty() => None,
                    Some((p, c)) => Some((p.to_string(), Some(c.to_string()))),
                    None => Some((a, None)),
                }
            })
            .collect()
    };
    let Some(obj) = v.as_object_mut() else { return v };
    let always = |k: &str| k == "id" || k == "schemas";
    if let Some(wanted) = attributes.filter(|a| !a.trim().is_empty()) {
        let wanted = names(wanted);
        obj.retain(|k, _| always(k) || wanted.iter().any(|(p, _)| *p == k.to_ascii_lowercase()));
        for (p, c) in &wanted {
            let Some(c) = c else { continue };
            if wanted.iter().any(|(q, none)| q == p && none.is_none()) {
                continue;
            }
            if let Some(Value::Object(inner)) =
                obj.iter_mut().find(|(k, _)| k.to_ascii_lowercase() == *p).map(|(_, v)| v)
            {
                inner.retain(|k, _| k.to_ascii_lowercase() == *c);
            }
        }
    } else if let Some(excluded) = excluded.filter(|a| !a.trim().is_empty()) {
        for (p, c) in names(excluded) {
            let key = obj.keys().find(|k| k.to_ascii_lowercase() == p).cloned();
            let Some(key) = key.filter(|k| !always(k)) else { continue };
            match c {
                None => {
                    obj.remove(&key);
                }
                Some(c) => {
                    if let Some(Value::Object(inner)) = obj.get_mut(&key) {
                        inner.retain(|k, _| k.to_ascii_lowercase() != c);
                    }
                }
            }
        }
    }
    v
}

/// The query of a User list (RFC 7644 §3.4.2).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsersQuery {
    /// A SCIM filter, e.g. `userName eq "ann@acme.test"` or `emails[type eq "work" and value co "@acme"]`.
    pub filter: Option<String>,
    /// `userName`, `displayName`, `meta.created` or `id` (the default).
    #[serde(rename = "sortBy")]
    #[param(rename = "sortBy")]
    pub sort_by: Option<String>,
    /// `ascending` (default) or `descending`.
    #[serde(rename = "sortOrder")]
    #[param(rename = "sortOrder")]
    pub sort_order: Option<String>,
    /// The 1-based index of the first result (default 1).
    #[serde(rename = "startIndex")]
    #[param(rename = "startIndex", minimum = 1)]
    pub start_index: Option<u64>,
    /// At most this many results (default 100, at most 1,000; 0 answers the total alone).
    pub count: Option<u64>,
    /// Only these attributes (comma-separated); `id` and `schemas` always.
    pub attributes: Option<String>,
    /// All but these attributes (comma-separated).
    #[serde(rename = "excludedAttributes")]
    #[param(rename = "excludedAttributes")]
    pub excluded_attributes: Option<String>,
}

/// A list answer (RFC 7644 §3.4.2).
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(example = json!({"schemas": [LIST_SCHEMA], "totalResults": 1, "startIndex": 1, "itemsPerPage": 1,
    "Resources": [{"schemas": [USER_SCHEMA], "id": "01920000-0000-7000-8000-0000000000aa", "userName": "ann@acme.test"}]}))]
pub struct ScimListResponse {
    /// Always `["urn:ietf:params:scim:api:messages:2.0:ListResponse"]`.
    pub schemas: Vec<String>,
    /// How many match in all.
    #[schema(rename = "totalResults")]
    pub total_results: u64,
    /// The 1-based index of the first resource here.
    #[schema(rename = "startIndex")]
    pub start_index: u64,
    /// How many resources are here.
    #[schema(rename = "itemsPerPage")]
    pub items_per_page: u64,
    /// The resources.
    #[schema(rename = "Resources", value_type = Vec<Object>)]
    pub resources: Vec<Value>,
}

/// Lists the organization's Users: filtered in the database, sorted, paged.
/// Needs `members:read`. A malformed filter, or one naming an attribute
/// Roster does not hold, is 400 `invalidFilter`.
#[utoipa::path(get, path = "/scim/v2/Users", tag = "scim", params(UsersQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ScimListResponse, content_type = "application/scim+json"),
        (status = 400, body = ScimError, content_type = "application/scim+json", description = "invalidFilter or invalidValue"),
        (status = 401, body = ScimError, content_type = "application/scim+json", description = "No or no valid service account token"),
        (status = 403, body = ScimError, content_type = "application/scim+json", description = "The account's roles do not allow it")))]
pub async fn list_users(
    State(state): State<AppState>,
    ScimCaller { access }: ScimCaller,
    Query(q): Query<UsersQuery>,
) -> Result<Scim, ScimFailure> {
    let query = ListQuery {
        filter: q.filter,
        sort_by: q.sort_by,
        sort_order: q.sort_order,
        start_index: q.start_index,
        count: q.count,
    };
    let list = roster_app::scim::list_users(&state.app, &access, &query).await?.map_err(ScimFailure::bad)?;
    let resources: Vec<Value> = list
        .users
        .iter()
        .map(|m| project(user_json(&state, m), q.attributes.as_deref(), q.excluded_attributes.as_deref()))
        .collect();
    Ok(Scim(
        StatusCode::OK,
        json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": list.total,
            "startIndex": list.start_index,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }),
    ))
}

/// A SCIM User.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(example = json!({"schemas": [USER_SCHEMA], "id": "01920000-0000-7000-8000-0000000000aa",
    "userName": "ann@acme.test", "displayName": "Ann Smith", "name": {"formatted": "Ann Smith"},
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "emails": [{"value": "ann@acme.test", "type": "work", "primary": true}], "active": true,
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "701984", "department": "Sales"},
    "meta": {"resourceType": "User", "created": "2026-01-05T09:00:00Z", "lastModified": "2026-01-06T10:30:00Z",
    "location": "https://roster.example.com/scim/v2/Users/01920000-0000-7000-8000-0000000000aa",
    "version": "W/\"3694e05e9dff590a8c6c5b8b4ed7e4f2\""}}))]
pub struct ScimUser {
    /// `["urn:ietf:params:scim:schemas:core:2.0:User"]`.
    pub schemas: Vec<String>,
    /// The user's id.
    pub id: String,
    /// The sign-in address.
    #[schema(rename = "userName")]
    pub user_name: Option<String>,
    /// The identity provider's id of the person (case-exact; unique in the organization).
    #[schema(rename = "externalId")]
    pub external_id: Option<String>,
    /// The display name.
    #[schema(rename = "displayName")]
    pub display_name: Option<String>,
    /// `{"formatted"}`.
    #[schema(value_type = Option<Object>)]
    pub name: Option<Value>,
    /// `[{"value","type":"work","primary":true}]`: the sign-in address;
    /// then the provider's work address when it differs (`"primary": false`).
    #[schema(value_type = Option<Vec<Object>>)]
    pub emails: Option<Value>,
    /// The enterprise extension: `employeeNumber`, `department`,
    /// `manager` (`{"value": id}`; answered with `$ref` and `displayName`).
    #[schema(rename = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", value_type = Option<Object>)]
    pub enterprise: Option<Value>,
    /// Whether the membership is active.
    pub active: Option<bool>,
    /// `resourceType`, `created`, `lastModified`, `location`, `version` (a weak ETag).
    #[schema(value_type = Option<Object>)]
    pub meta: Option<Value>,
}

/// The `{id}` of a User's path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UserPath {
    /// The user's id.
    pub id: String,
}

/// Attribute selection of a single resource.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttributesQuery {
    /// Only these attributes (comma-separated).
    pub attributes: Option<String>,
    /// All but these attributes (comma-separated).
    #[serde(rename = "excludedAttributes")]
    #[param(rename = "excludedAttributes")]
    pub excluded_attributes: Option<String>,
}

/// One User of the organization (an archived member, another
/// organization's user or an unknown id is 404), with its version in
/// `ETag`; 304 when `If-None-Match` names that version. Needs
/// `members:read`.
#[utoipa::path(get, path = "/scim/v2/Users/{id}", tag = "scim",
    params(UserPath, AttributesQuery,
        ("If-None-Match" = Option<String>, Header, description = "A version (`W/\"…\"`) the client holds: 304 when it is current")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ScimUser, content_type = "application/scim+json", headers(("ETag" = String, description = "The User's version, meta.version"))),
        (status = 304, description = "The version in If-None-Match is current", headers(("ETag" = String, description = "The User's version"))),
        (status = 401, body = ScimError, content_type = "application/scim+json", description = "No or no valid service account token"),
        (status = 403, body = ScimError, content_type = "application/scim+json", description = "The account's roles do not allow it"),
        (status = 404, body = ScimError, content_type = "application/scim+json", description = "No such User here")))]
pub async fn get_user(
    State(state): State<AppState>,
    ScimCaller { access }: ScimCaller,
    Path(id): Path<String>,
    Query(q): Query<AttributesQuery>,
    headers: HeaderMap,
) -> Result<Response, ScimFailure> {
    let id = crate::query::id(&id, "user")?;
    let u = roster_app::scim::get_user(&state.app, &access, id).await?;
    let version = u.version();
    if not_modified(&headers, &version) {
        return Ok(not_modified_answer(&version));
    }
    let v = project(user_json(&state, &u), q.attributes.as_deref(), q.excluded_attributes.as_deref());
    let mut r = Scim(StatusCode::OK, v).into_response();
    set_etag(&mut r, &version);
    Ok(r)
}

/// A request body as JSON, or `invalidSyntax`.
pub(crate) fn json_body(body: &[u8]) -> Result<Value, ScimFailure> {
    serde_json::from_slice(body).map_err(|e| {
        ScimFailure::bad(ScimRefusal { scim_type: "invalidSyntax", detail: format!("the body is not JSON: {e}") })
    })
}

/// A User's answer with its `Location` and `ETag`.
fn user_answer(state: &AppState, status: StatusCode, u: &UserResource) -> Response {
    let v = user_json(state, u);
    let location = format!("{}/Users/{}", base(state), u.member.user_id);
    let mut r = Scim(status, v).into_response();
    if let Ok(l) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, l);
    }
    set_etag(&mut r, &u.version());
    r
}

/// Creates a User (RFC 7644 §3.3): an active membership for `userName`
/// (the sign-in address), without an invitation; the name from
/// `displayName`, `name.formatted` or `name.givenName` + `name.familyName`;
/// `active` true unless given false; `externalId`, the enterprise
/// extension (`employeeNumber`, `department`, `manager.value`: a member of
/// the organization) and a work address in `emails` that differs from
/// `userName` are kept. Other attributes are ignored. A member with that
/// userName or externalId already is 409 `uniqueness`; an archived one is
/// restored (201). Needs `members:create` (and `members:update` to
/// restore).
#[utoipa::path(post, path = "/scim/v2/Users", tag = "scim", security(("bearer" = [])),
    request_body(content = ScimUser, content_type = "application/scim+json"),
    responses(
        (status = 201, body = ScimUser, content_type = "application/scim+json", headers(("Location" = String, description = "The User's URL"), ("ETag" = String, description = "The User's version, meta.version"))),
        (status = 400, body = ScimError, content_type = "application/scim+json", description = "invalidSyntax or invalidValue (a manager who is not a member)"),
        (status = 401, body = ScimError, content_type = "application/scim+json", description = "No or no valid service account token"),
        (status = 403, body = ScimError, content_type = "application/scim+json", description = "The account's roles do not allow it"),
        (status = 409, body = ScimError, content_type = "application/scim+json", description = "uniqueness: a member with this userName or externalId already")))]
pub async fn create_user(
    State(state): State<AppState>,
    Meta(meta): Meta,
    ScimCaller { access }: ScimCaller,
    body: axum::body::Bytes,
) -> Result<Response, ScimFailure> {
    let change = roster_app::scim::read_user(&json_body(&body)?).map_err(ScimFailure::bad)?;
    let created =
        roster_app::scim::create_user(&state.app, &access, &change, &meta).await?.map_err(ScimFailure::bad)?;
    Ok(user_answer(&state, StatusCode::CREATED, &created.user))
}

/// Replaces a User (RFC 7644 §3.5.1): its name, `active`, `externalId`,
/// the enterprise extension and the work address; those the body leaves
/// out are cleared (the name stays). `userName` may only repeat the current
/// one (else 400 `mutability`). With `If-Match`, a User whose version
/// differs is 412, unchanged. Disabling the owner or the last administrator
/// is 409. Needs `members:update`.
#[utoipa::path(put, path = "/scim/v2/Users/{id}", tag = "scim",
    params(UserPath, ("If-Match" = Option<String>, Header, description = "The version (`W/\"…\"`, or `*`) the change is for")),
    security(("bearer" = [])),
    request_body(content = ScimUser, content_type = "application/scim+json"),
    responses(
        (status = 200, body = ScimUser, content_type = "application/scim+json", headers(("ETag" = String, description = "The User's new version"))),
        (status = 400, body = ScimError, content_type = "application/scim+json", description = "invalidSyntax, invalidValue or mutability"),
        (status = 401, body = ScimError, content_type = "application/scim+json", description = "No or no valid service account token"),
        (status = 403, body = ScimError, content_type = "application/scim+json", description = "The account's roles do not allow it"),
        (status = 404, body = ScimError, content_type = "application/scim+json", description = "No such User here"),
        (status = 409, body = ScimError, content_type = "application/scim+json", description = "The owner or the last administrator, or uniqueness: another member has the externalId"),
        (status = 412, body = ScimError, content_type = "application/scim+json", description = "If-Match does not name the User's version: nothing changed")))]
pub async fn replace_user(
    State(state): State<AppState>,
    Meta(meta): Meta,
    ScimCaller { access }: ScimCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ScimFailure> {
    let id = crate::query::id(&id, "user")?;
    let change = roster_app::scim::read_user(&json_body(&body)?).map_err(ScimFailure::bad)?;
    let precondition = if_match(&headers);
    let u = roster_app::scim::update_user_if(&state.app, &access, id, &change, precondition.as_deref(), &meta)
        .await?
        .map_err(ScimFailure::bad)?;
    Ok(user_answer(&state, StatusCode::OK, &u))
}

/// A PATCH request (RFC 7644 §3.5.2).
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(example = json!({"schemas": [roster_app::scim::PATCH_SCHEMA],
    "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}))]
pub struct ScimPatch {
    /// `["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`.
    pub schemas: Vec<String>,
    /// `{"op": "add"|"replace"|"remove", "path"?, "value"?}`, op in any case.
    #[schema(rename = "Operations", value_type = Vec<Object>)]
    pub operations: Vec<Value>,
}

/// Patches a User (RFC 7644 §3.5.2): `active` (true/false, or Entra's
/// "True"/"False") enables or disables the member; `displayName`,
/// `name.formatted`, `name.givenName` / `name.familyName` rename them;
/// `externalId`, `urn:…:enterprise:2.0:User:employeeNumber`, `…:department`
/// and `…:manager` (`{"value": id}` or the id) are set or removed;
/// `emails[type eq "work"].value` sets the work address (the sign-in
/// address stays); with no `path`, `value` is an object of attributes.
/// `userName` may only repeat the current address (else 400
/// `mutability`); an unknown path is 400 `invalidPath`; removing `active`
/// is 400. With `If-Match`, a User whose version differs is 412, unchanged.
/// Disabling the owner or the last administrator is 409. Needs
/// `members:update`.
#[utoipa::path(patch, path = "/scim/v2/Users/{id}", tag = "scim",
    params(UserPath, ("If-Match" = Option<String>, Header, description = "The version (`W/\"…\"`, or `*`) the change is for")),
    security(("bearer" = [])),
    request_body(content = ScimPatch, content_type = "application/scim+json"),
    responses(
        (status = 200, body = ScimUser, content_type = "application/scim+json", headers(("ETag" = String, description = "The User's new version"))),
        (status = 400, body = ScimError, content_type = "application/scim+json", description = "invalidSyntax, invalidPath, invalidValue or mutability"),
        (status = 401, body = ScimError, content_type = "application/scim+json", description = "No or no valid service account token"),
        (status = 403, body = ScimError, content_type = "application/scim+json", description = "The account's roles do not allow it"),
        (status = 404, body = ScimError, content_type = "application/scim+json", description = "No such User here"),
        (status = 409, body = ScimError, content_type = "application/scim+json", description = "The owner or the last administrator, or uniqueness: another member has the externalId"),
        (status = 412, body = ScimError, content_type = "application/scim+json", description = "If-Match does not name the User's version: nothing changed")))]
pub async fn patch_user(
    State(state): State<AppState>,
    Meta(meta): Meta,
    ScimCaller { access }: ScimCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ScimFailure> {
    let id = crate::query::id(&id, "user")?;
    let change = roster_app::scim::read_patch(&json_body(&body)?).map_err(ScimFailure::bad)?;
    let precondition = if_match(&headers);
    let u = roster_app::scim::update_user_if(&state.app, &access, id, &change, precondition.as_deref(), &meta)
        .await?
        .map_err(ScimFailure::bad)?;
    Ok(user_answer(&state, StatusCode::OK, &u))
}

/// Deletes a User (RFC 7644 §3.6): archives the member (or disables them,
/// as the deployment's `scim_delete` says); 204. With `If-Match`, a User
/// whose version differs is 412, unchanged. The owner and the last
/// administrator are 409. Needs `members:update`.
#[utoipa::path(delete, path = "/scim/v2/Users/{id}", tag = "scim",
    params(UserPath, ("If-Match" = Option<String>, Header, description = "The version (`W/\"…\"`, or `*`) the change is for")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Archived (or disabled)"),
        (status = 401, body = ScimError, content_type = "application/scim+json", description = "No or no valid service account token"),
        (status = 403, body = ScimError, content_type = "application/scim+json", description = "The account's roles do not allow it"),
        (status = 404, body = ScimError, content_type = "application/scim+json", description = "No such User here"),
        (status = 409, body = ScimError, content_type = "application/scim+json", description = "The owner or the last administrator"),
        (status = 412, body = ScimError, content_type = "application/scim+json", description = "If-Match does not name the User's version: nothing changed")))]
pub async fn delete_user(
    State(state): State<AppState>,
    Meta(meta): Meta,
    ScimCaller { access }: ScimCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ScimFailure> {
    let id = crate::query::id(&id, "user")?;
    let precondition = if_match(&headers);
    roster_app::scim::delete_user_if(&state.app, &access, id, precondition.as_deref(), &meta)
        .await?
        .map_err(ScimFailure::bad)?;
    Ok(StatusCode::NO_CONTENT)
}

/// What this deployment's SCIM supports (RFC 7643 §5): filtering, sorting,
/// PATCH and ETags; no bulk or password change.
#[utoipa::path(get, path = "/scim/v2/ServiceProviderConfig", tag = "scim", security(("bearer" = [])),
    responses((status = 200, body = Object, content_type = "application/scim+json"),
        (status = 401, body = ScimError, content_type = "application/scim+json", description = "No or no valid service account token")))]
pub async fn service_provider_config(State(state): State<AppState>, _caller: ScimCaller) -> Scim {
    Scim(
        StatusCode::OK,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "documentationUri": state.app.config.link("/api/docs"),
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": true, "maxResults": roster_app::scim::MAX_RESULTS},
            "changePassword": {"supported": false},
            "sort": {"supported": true},
            "etag": {"supported": true},
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "Service account token",
                "description": "Authorization: Bearer with a token of one of the organization's service accounts",
                "primary": true,
            }],
            "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{}/ServiceProviderConfig", base(&state))},
        }),
    )
}

/// The resource types (RFC 7643 §6): User and Group.
#[utoipa::path(get, path = "/scim/v2/ResourceTypes", tag = "scim", security(("bearer" = [])),
    responses((status = 200, body = ScimListResponse, content_type = "application/scim+json"),
        (status = 401, body = ScimError, content_type = "application/scim+json", description = "No or no valid service account token")))]
pub async fn resource_types(State(state): State<AppState>, _caller: ScimCaller) -> Scim {
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "A member of the organization",
        "schema": USER_SCHEMA,
        "schemaExtensions": [{"schema": ENTERPRISE_SCHEMA, "required": false}],
        "meta": {"resourceType": "ResourceType", "location": format!("{}/ResourceTypes/User", base(&state))},
    });
    let group = crate::scim_groups::resource_type(&state);
    Scim(
        StatusCode::OK,
        json!({"schemas": [LIST_SCHEMA], "totalResults": 2, "startIndex": 1, "itemsPerPage": 2, "Resources": [user, group]}),
    )
}

fn attribute(name: &str, kind: &str, description: &str, mutability: &str, extra: Value) -> Value {
    let mut a = json!({
        "name": name, "type": kind, "multiValued": false, "description": description, "required": false,
        "caseExact": false, "mutability": mutability, "returned": "default", "uniqueness": "none",
    });
    if let (Some(a), Some(e)) = (a.as_object_mut(), extra.as_object()) {
        a.extend(e.clone());
    }
    a
}

/// The User, Group and enterprise User extension schemas as Roster holds
/// them (RFC 7643 §7): only the attributes it stores.
#[utoipa::path(get, path = "/scim/v2/Schemas", tag = "scim", security(("bearer" = [])),
    responses((status = 200, body = ScimListResponse, content_type = "application/scim+json"),
        (status = 401, body = ScimError, content_type = "application/scim+json", description = "No or no valid service account token")))]
pub async fn schemas(State(state): State<AppState>, _caller: ScimCaller) -> Scim {
    let attributes = vec![
        attribute(
            "userName",
            "string",
            "The sign-in email address, unique across Roster.",
            "readWrite",
            json!({"required": true, "uniqueness": "server"}),
        ),
        attribute(
            "externalId",
            "string",
            "The identity provider's id of the person, unique in the organization.",
            "readWrite",
            json!({"caseExact": true}),
        ),
        attribute("displayName", "string", "The name shown for the member.", "readWrite", json!({})),
        attribute(
            "name",
            "complex",
            "The member's name.",
            "readWrite",
            json!({"subAttributes": [attribute("formatted", "string", "The full name.", "readWrite", json!({}))]}),
        ),
        attribute(
            "emails",
            "complex",
            "The sign-in address (primary), then the provider's work address when it differs.",
            "readWrite",
            json!({"multiValued": true, "subAttributes": [
                attribute("value", "string", "The address.", "readWrite", json!({})),
                attribute("type", "string", "Always work.", "readOnly", json!({"canonicalValues": ["work"]})),
                attribute("primary", "boolean", "True for the sign-in address.", "readOnly", json!({})),
            ]}),
        ),
        attribute("active", "boolean", "Whether the membership is active.", "readWrite", json!({})),
    ];
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A member of the organization",
        "attributes": attributes,
        "meta": {"resourceType": "Schema", "location": format!("{}/Schemas/{USER_SCHEMA}", base(&state))},
    });
    let group = crate::scim_groups::schema(&state);
    let enterprise = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": ENTERPRISE_SCHEMA,
        "name": "EnterpriseUser",
        "description": "The enterprise extension of a User (RFC 7643 §4.3), as far as Roster keeps it",
        "attributes": [
            attribute("employeeNumber", "string", "The identity provider's employee number.", "readWrite", json!({})),
            attribute("department", "string", "The member's department.", "readWrite", json!({})),
            attribute(
                "manager",
                "complex",
                "Another member of the organization, the member's manager.",
                "readWrite",
                json!({"subAttributes": [
                    attribute("value", "string", "The manager's User id.", "readWrite", json!({"caseExact": true})),
                    attribute("$ref", "reference", "The manager's User.", "readOnly", json!({"referenceTypes": ["User"]})),
                    attribute("displayName", "string", "The manager's name.", "readOnly", json!({})),
                ]}),
            ),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{}/Schemas/{ENTERPRISE_SCHEMA}", base(&state))},
    });
    Scim(
        StatusCode::OK,
        json!({"schemas": [LIST_SCHEMA], "totalResults": 3, "startIndex": 1, "itemsPerPage": 3,
            "Resources": [user, group, enterprise]}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_keep_and_exclude_but_never_drop_id_or_schemas() {
        let v =
            json!({"schemas": ["s"], "id": "1", "userName": "a", "name": {"formatted": "A", "x": 1}, "active": true});
        let kept = project(v.clone(), Some("userName, name.formatted"), None);
        assert_eq!(kept, json!({"schemas": ["s"], "id": "1", "userName": "a", "name": {"formatted": "A"}}));
        let dropped = project(v.clone(), None, Some("active,id,name.x"));
        assert_eq!(dropped, json!({"schemas": ["s"], "id": "1", "userName": "a", "name": {"formatted": "A"}}));
        let urn = project(v, Some("urn:ietf:params:scim:schemas:core:2.0:User:userName"), None);
        assert_eq!(urn, json!({"schemas": ["s"], "id": "1", "userName": "a"}));
        let ent = json!({"schemas": ["s"], "id": "1", "userName": "a",
            ENTERPRISE_SCHEMA: {"department": "D", "employeeNumber": "7"}});
        let kept = project(ent.clone(), Some(&format!("{ENTERPRISE_SCHEMA}:department")), None);
        assert_eq!(kept, json!({"schemas": ["s"], "id": "1", ENTERPRISE_SCHEMA: {"department": "D"}}));
        let dropped = project(ent, None, Some(ENTERPRISE_SCHEMA));
        assert_eq!(dropped, json!({"schemas": ["s"], "id": "1", "userName": "a"}));
    }
}
