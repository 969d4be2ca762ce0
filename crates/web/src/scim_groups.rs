//! SCIM 2.0 Groups under `/scim/v2/Groups` (RFC 7643 §4.2, RFC 7644): the
//! identity provider's groups (Okta's "Push groups", Entra ID's group
//! provisioning), each bound to one Roster role whose holders are its
//! members. Handlers read the JSON and answer; the rules are
//! `roster_app::scim_groups`'s, the shapes `roster_domain::scim::groups`'s.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use roster_app::scim::{ListQuery, ScimRefusal};
use roster_app::scim_groups::GroupView;
use roster_domain::scim::groups::{GROUP_SCHEMA, read_group, read_patch};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::extract::Meta;
use crate::format::rfc3339;
use crate::scim::{
    AttributesQuery, LIST_SCHEMA, Scim, ScimCaller, ScimFailure, base, if_match, json_body, not_modified,
    not_modified_answer, project, set_etag,
};

/// A group as a SCIM Group; its members as `[{value, display, $ref}]` when loaded.
fn group_json(state: &AppState, v: &GroupView) -> Value {
    let g = &v.group;
    let mut out = json!({
        "schemas": [GROUP_SCHEMA],
        "id": g.id.to_string(),
        "displayName": g.display_name,
        "meta": {
            "resourceType": "Group",
            "created": rfc3339(g.created_at),
            "lastModified": rfc3339(g.updated_at),
            "location": format!("{}/Groups/{}", base(state), g.id),
        },
    });
    if let Some(e) = &g.external_id {
        out["externalId"] = json!(e);
    }
    if let Some(version) = v.version() {
        out["meta"]["version"] = json!(version);
    }
    if let Some(members) = &v.members {
        let users = format!("{}/Users", base(state));
        out["members"] = members
            .iter()
            .map(|(id, name)| json!({"value": id.to_string(), "display": name, "$ref": format!("{users}/{id}")}))
            .collect();
    }
    out
}

/// Whether an answer needs the members: not excluded, and asked for when
/// attributes are chosen (so `excludedAttributes=members` never reads them).
fn wants_members(attributes: Option<&str>, excluded: Option<&str>) -> bool {
    let names = |s: &str| -> Vec<String> {
        s.split(',')
            .map(|a| a.trim().rsplit(':').next().unwrap_or("").split('.').next().unwrap_or("").to_ascii_lowercase())
            .collect()
    };
    if let Some(a) = attributes.filter(|a| !a.trim().is_empty()) {
        return names(a).iter().any(|n| n == "members");
    }
    !excluded.is_some_and(|e| names(e).iter().any(|n| n == "members"))
}

fn answer(state: &AppState, status: StatusCode, v: &GroupView) -> Response {
    let location = format!("{}/Groups/{}", base(state), v.group.id);
    let mut r = Scim(status, group_json(state, v)).into_response();
    if let Ok(l) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, l);
    }
    if let Some(version) = v.version() {
        set_etag(&mut r, &version);
    }
    r
}

fn group_id(id: &str) -> Result<Uuid, ScimFailure> {
    Ok(crate::query::id::<Uuid>(id, "group")?)
}

/// The query of a Group list (RFC 7644 §3.4.2).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupsQuery {
    /// `displayName eq "…"`, `externalId eq "…"`, `id eq "…"` or `members[value eq "…"]`, joined by `and`.
    pub filter: Option<String>,
    /// The 1-based index of the first result (default 1).
    #[serde(rename = "startIndex")]
    #[param(rename = "startIndex", minimum = 1)]
    pub start_index: Option<u64>,
    /// At most this many results (default 100, at most 1,000; 0 answers the total alone).
    pub count: Option<u64>,
    /// Only these attributes (comma-separated); `id` and `schemas` always.
    pub attributes: Option<String>,
    /// All but these attributes (comma-separated); `members` leaves the members unread.
    #[serde(rename = "excludedAttributes")]
    #[param(rename = "excludedAttributes")]
    pub excluded_attributes: Option<String>,
}

/// A SCIM Group.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(example = json!({"schemas": [GROUP_SCHEMA], "id": "01920000-0000-7000-8000-0000000000bb",
    "displayName": "Engineering", "externalId": "00g1abcd",
    "members": [{"value": "01920000-0000-7000-8000-0000000000aa", "display": "Ann Smith"}],
    "meta": {"resourceType": "Group", "created": "2026-01-05T09:00:00Z", "lastModified": "2026-01-05T09:00:00Z",
        "location": "https://roster.example.com/scim/v2/Groups/01920000-0000-7000-8000-0000000000bb"}}))]
pub struct ScimGroup {
    /// `["urn:ietf:params:scim:schemas:core:2.0:Group"]`.
    pub schemas: Vec<String>,
    /// The group's id.
    pub id: String,
    /// The group's name (unique in the organization, ignoring case).
    #[schema(rename = "displayName")]
    pub display_name: Option<String>,
    /// The identity provider's id for it, if it gave one.
    #[schema(rename = "externalId")]
    pub external_id: Option<String>,
    /// The holders of the group's role, not archived: `[{"value": user id, "display", "$ref"}]`.
    #[schema(value_type = Option<Vec<Object>>)]
    pub members: Option<Value>,
    /// `resourceType`, `created`, `lastModified`, `location`.
    #[schema(value_type = Option<Object>)]
    pub meta: Option<Value>,
}

/// The `{id}` of a Group's path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct GroupPath {
    /// The group's id.
    pub id: String,
}

/// Lists the organization's Groups by name, filtered by `displayName`,
/// `externalId`, `id` or a member (`eq`, `members[value eq "…"]`, joined
/// by `and`), paged. Needs `members:read`.
#[utoipa::path(get, path = "/scim/v2/Groups", tag = "scim", params(GroupsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = crate::scim::ScimListResponse, content_type = "application/scim+json"),
        (status = 400, body = crate::scim::ScimError, content_type = "application/scim+json", description = "invalidFilter"),
        (status = 401, body = crate::scim::ScimError, content_type = "application/scim+json", description = "No or no valid service account token"),
        (status = 403, body = crate::scim::ScimError, content_type = "application/scim+json", description = "The account's roles do not allow it")))]
pub async fn list_groups(
    State(state): State<AppState>,
    ScimCaller { access }: ScimCaller,
    Query(q): Query<GroupsQuery>,
) -> Result<Scim, ScimFailure> {
    let with_members = wants_members(q.attributes.as_deref(), q.excluded_attributes.as_deref());
    let query = ListQuery { filter: q.filter, start_index: q.start_index, count: q.count, ..Default::default() };
    let list = roster_app::scim_groups::list_groups(&state.app, &access, &query, with_members)
        .await?
        .map_err(ScimFailure::bad)?;
    let resources: Vec<Value> = list
        .groups
        .iter()
        .map(|g| project(group_json(&state, g), q.attributes.as_deref(), q.excluded_attributes.as_deref()))
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

/// One Group (another organization's or an unknown id is 404). Needs `members:read`.
#[utoipa::path(get, path = "/scim/v2/Groups/{id}", tag = "scim", params(GroupPath, AttributesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ScimGroup, content_type = "application/scim+json", description = "The Group; with its members, its version in `meta.version` and the ETag header"),
        (status = 304, description = "If-None-Match names the Group's current version (read with its members)"),
        (status = 401, body = crate::scim::ScimError, content_type = "application/scim+json", description = "No or no valid service account token"),
        (status = 403, body = crate::scim::ScimError, content_type = "application/scim+json", description = "The account's roles do not allow it"),
        (status = 404, body = crate::scim::ScimError, content_type = "application/scim+json", description = "No such Group here")))]
pub async fn get_group(
    State(state): State<AppState>,
    ScimCaller { access }: ScimCaller,
    Path(id): Path<String>,
    Query(q): Query<AttributesQuery>,
    headers: HeaderMap,
) -> Result<Response, ScimFailure> {
    let id = group_id(&id)?;
    let with_members = wants_members(q.attributes.as_deref(), q.excluded_attributes.as_deref());
    let g = roster_app::scim_groups::get_group(&state.app, &access, id, with_members).await?;
    let version = g.version();
    if let Some(v) = &version
        && not_modified(&headers, v)
    {
        return Ok(not_modified_answer(v));
    }
    let body = project(group_json(&state, &g), q.attributes.as_deref(), q.excluded_attributes.as_deref());
    let mut r = Scim(StatusCode::OK, body).into_response();
    if let Some(v) = &version {
        set_etag(&mut r, v);
    }
    Ok(r)
}

/// Creates a Group: bound to the role the organization's mapping names for
/// its `displayName` (Service Accounts, "Group to role"), or to a new
/// custom role of that name that grants nothing; `members` (`[{"value":
/// user id}]`) get the role. A group of that name, an unmapped role of
/// that name, or a role bound to another group is 409 `uniqueness`; an
/// unknown or archived member is 400 `invalidValue` naming them. Needs
/// `members:update` (and the role's grants to give it).
#[utoipa::path(post, path = "/scim/v2/Groups", tag = "scim", security(("bearer" = [])),
    request_body(content = ScimGroup, content_type = "application/scim+json"),
    responses(
        (status = 201, body = ScimGroup, content_type = "application/scim+json", headers(("Location" = String, description = "The Group's URL"))),
        (status = 400, body = crate::scim::ScimError, content_type = "application/scim+json", description = "invalidSyntax or invalidValue"),
        (status = 401, body = crate::scim::ScimError, content_type = "application/scim+json", description = "No or no valid service account token"),
        (status = 403, body = crate::scim::ScimError, content_type = "application/scim+json", description = "The account's roles do not allow it, or the role's grants are beyond them"),
        (status = 409, body = crate::scim::ScimError, content_type = "application/scim+json", description = "uniqueness: a group or role of this name already")))]
pub async fn create_group(
    State(state): State<AppState>,
    Meta(meta): Meta,
    ScimCaller { access }: ScimCaller,
    body: axum::body::Bytes,
) -> Result<Response, ScimFailure> {
    let input = read_group(&json_body(&body)?).map_err(refusal)?;
    let g =
        roster_app::scim_groups::create_group(&state.app, &access, &input, &meta).await?.map_err(ScimFailure::bad)?;
    Ok(answer(&state, StatusCode::CREATED, &g))
}

fn refusal(e: roster_domain::scim::groups::GroupError) -> ScimFailure {
    ScimFailure::bad(ScimRefusal { scim_type: e.scim_type, detail: e.detail })
}

/// Replaces a Group: its `displayName` and `externalId`, and its members
/// when `members` is given (without it they stay). Renaming renames the
/// role the group made. Taking the role from the last administrator is
/// 409. Needs `members:update` (and the role's grants).
#[utoipa::path(put, path = "/scim/v2/Groups/{id}", tag = "scim", params(GroupPath, ("If-Match" = Option<String>, Header, description = "The version (`W/\"…\"`, or `*`) the change is for; needs the Group read with its members")), security(("bearer" = [])),
    request_body(content = ScimGroup, content_type = "application/scim+json"),
    responses(
        (status = 200, body = ScimGroup, content_type = "application/scim+json"),
        (status = 400, body = crate::scim::ScimError, content_type = "application/scim+json", description = "invalidSyntax or invalidValue"),
        (status = 401, body = crate::scim::ScimError, content_type = "application/scim+json", description = "No or no valid service account token"),
        (status = 403, body = crate::scim::ScimError, content_type = "application/scim+json", description = "The account's roles do not allow it, or the role's grants are beyond them"),
        (status = 404, body = crate::scim::ScimError, content_type = "application/scim+json", description = "No such Group here"),
        (status = 409, body = crate::scim::ScimError, content_type = "application/scim+json", description = "uniqueness, or the last administrator"),
        (status = 412, body = crate::scim::ScimError, content_type = "application/scim+json", description = "If-Match does not name the Group's version: nothing changed")))]
pub async fn replace_group(
    State(state): State<AppState>,
    Meta(meta): Meta,
    ScimCaller { access }: ScimCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ScimFailure> {
    let id = group_id(&id)?;
    let input = read_group(&json_body(&body)?).map_err(refusal)?;
    let ops = roster_app::scim_groups::replace_ops(&input);
    let g =
        roster_app::scim_groups::update_group_if(&state.app, &access, id, &ops, if_match(&headers).as_deref(), &meta)
            .await?
            .map_err(ScimFailure::bad)?;
    Ok(answer(&state, StatusCode::OK, &g))
}

/// Patches a Group (RFC 7644 §3.5.2), in Okta's and Entra ID's shapes:
/// `add` / `replace` / `remove` of `members` (`[{"value": user id}]`;
/// remove also by `members[value eq "…"]`, or without a value: everyone),
/// `displayName` and `externalId` by path, or an object of them without a
/// path. All operations are one change. Needs `members:update` (and the
/// role's grants); the last administrator is 409.
#[utoipa::path(patch, path = "/scim/v2/Groups/{id}", tag = "scim", params(GroupPath, ("If-Match" = Option<String>, Header, description = "The version (`W/\"…\"`, or `*`) the change is for; needs the Group read with its members")), security(("bearer" = [])),
    request_body(content = crate::scim::ScimPatch, content_type = "application/scim+json"),
    responses(
        (status = 200, body = ScimGroup, content_type = "application/scim+json"),
        (status = 400, body = crate::scim::ScimError, content_type = "application/scim+json", description = "invalidSyntax, invalidPath, invalidValue, noTarget or mutability"),
        (status = 401, body = crate::scim::ScimError, content_type = "application/scim+json", description = "No or no valid service account token"),
        (status = 403, body = crate::scim::ScimError, content_type = "application/scim+json", description = "The account's roles do not allow it, or the role's grants are beyond them"),
        (status = 404, body = crate::scim::ScimError, content_type = "application/scim+json", description = "No such Group here"),
        (status = 409, body = crate::scim::ScimError, content_type = "application/scim+json", description = "uniqueness, or the last administrator"),
        (status = 412, body = crate::scim::ScimError, content_type = "application/scim+json", description = "If-Match does not name the Group's version: nothing changed")))]
pub async fn patch_group(
    State(state): State<AppState>,
    Meta(meta): Meta,
    ScimCaller { access }: ScimCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ScimFailure> {
    let id = group_id(&id)?;
    let ops = read_patch(&json_body(&body)?).map_err(refusal)?;
    let g =
        roster_app::scim_groups::update_group_if(&state.app, &access, id, &ops, if_match(&headers).as_deref(), &meta)
            .await?
            .map_err(ScimFailure::bad)?;
    Ok(answer(&state, StatusCode::OK, &g))
}

/// Deletes a Group: its role is taken from every holder, and the role the
/// group made is deleted (a bound role stays); 204. Leaving no
/// administrator is 409 and changes nothing. Needs `members:update` (and
/// the role's grants).
#[utoipa::path(delete, path = "/scim/v2/Groups/{id}", tag = "scim", params(GroupPath, ("If-Match" = Option<String>, Header, description = "The version (`W/\"…\"`, or `*`) the change is for; needs the Group read with its members")), security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = crate::scim::ScimError, content_type = "application/scim+json", description = "No or no valid service account token"),
        (status = 403, body = crate::scim::ScimError, content_type = "application/scim+json", description = "The account's roles do not allow it, or the role's grants are beyond them"),
        (status = 404, body = crate::scim::ScimError, content_type = "application/scim+json", description = "No such Group here"),
        (status = 409, body = crate::scim::ScimError, content_type = "application/scim+json", description = "The last administrator"),
        (status = 412, body = crate::scim::ScimError, content_type = "application/scim+json", description = "If-Match does not name the Group's version: nothing changed")))]
pub async fn delete_group(
    State(state): State<AppState>,
    Meta(meta): Meta,
    ScimCaller { access }: ScimCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ScimFailure> {
    let id = group_id(&id)?;
    roster_app::scim_groups::delete_group_if(&state.app, &access, id, if_match(&headers).as_deref(), &meta)
        .await?
        .map_err(ScimFailure::bad)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The Group resource type, for `/ResourceTypes`.
pub(crate) fn resource_type(state: &AppState) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "Group",
        "name": "Group",
        "endpoint": "/Groups",
        "description": "A group of the identity provider, bound to one Roster role whose holders are its members",
        "schema": GROUP_SCHEMA,
        "meta": {"resourceType": "ResourceType", "location": format!("{}/ResourceTypes/Group", base(state))},
    })
}

/// The Group schema as Roster holds it, for `/Schemas`.
pub(crate) fn schema(state: &AppState) -> Value {
    let attr = |name: &str, kind: &str, description: &str, extra: Value| {
        let mut a = json!({
            "name": name, "type": kind, "multiValued": false, "description": description, "required": false,
            "caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "none",
        });
        if let (Some(a), Some(e)) = (a.as_object_mut(), extra.as_object()) {
            a.extend(e.clone());
        }
        a
    };
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": GROUP_SCHEMA,
        "name": "Group",
        "description": "A group bound to one role: its members are the role's holders",
        "attributes": [
            attr("displayName", "string", "The group's name, unique in the organization; a role the group made carries it too.",
                json!({"required": true, "uniqueness": "server"})),
            attr("externalId", "string", "The identity provider's id for the group.", json!({"caseExact": true})),
            attr("members", "complex", "The members (not archived) holding the group's role.", json!({
                "multiValued": true,
                "subAttributes": [
                    attr("value", "string", "The user's id.", json!({"mutability": "immutable"})),
                    attr("display", "string", "The user's name.", json!({"mutability": "readOnly"})),
                    attr("$ref", "reference", "The User's URL.", json!({"mutability": "immutable", "referenceTypes": ["User"]})),
                ],
            })),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{}/Schemas/{GROUP_SCHEMA}", base(state))},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_read_unless_excluded_or_left_out_of_the_attributes() {
        assert!(wants_members(None, None));
        assert!(!wants_members(None, Some("members")));
        assert!(!wants_members(None, Some("meta, urn:ietf:params:scim:schemas:core:2.0:Group:members")));
        assert!(!wants_members(Some("displayName"), None));
        assert!(wants_members(Some("displayName,members.value"), Some("members")));
    }
}
