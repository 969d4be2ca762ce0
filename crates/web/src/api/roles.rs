//! Roles and permissions: presets, an organization's permissions list, its
//! roles, members' roles and own grants, and handing ownership on.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use roster_app::policy::Resource;
use roster_app::roles::RoleRecord;
use roster_app::roles::{GrantsInput, MemberAccess, RoleInput, RolePatch};
use roster_domain::UserId;
use roster_domain::permissions::{Action, Grants};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, Authenticated, Meta, OrgApi};
use crate::query;

/// Grants on the wire: resource → actions.
pub type GrantsBody = BTreeMap<String, Vec<String>>;

/// The schema of an action name: what `Action` parses.
pub fn action_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    serde_json::from_value(serde_json::json!({"type": "string", "enum": ["read", "create", "update", "delete"]}))
        .expect("a well-formed schema")
}

/// The schema of grants on the wire: resource → action names.
pub(crate) fn grants_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    serde_json::from_value(serde_json::json!({
        "type": "object",
        "description": "Resource key → actions (`GET …/permissions` lists the resources).",
        "additionalProperties": {"type": "array", "items": action_schema()},
    }))
    .expect("a well-formed schema")
}

pub(crate) fn grants_body(g: &Grants) -> GrantsBody {
    g.iter().map(|(r, a)| (r.to_string(), a.iter().map(|a| Action::as_str(a).to_string()).collect())).collect()
}

/// One role of a preset.
#[derive(Serialize, ToSchema)]
pub struct PresetRoleBody {
    /// Stable key.
    pub key: String,
    /// Display name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// What it grants.
    #[schema(schema_with = grants_schema)]
    pub grants: GrantsBody,
}

/// An application resource a preset declares.
#[derive(Serialize, ToSchema)]
pub struct PresetResourceBody {
    /// Its key.
    pub key: String,
    /// Its label (the product document's wording).
    pub label: String,
    /// What it covers.
    pub description: String,
}

/// A role preset.
#[derive(Serialize, ToSchema)]
pub struct PresetBody {
    /// Stable key (`account-owner`).
    pub key: String,
    /// Display name.
    pub name: String,
    /// What it reproduces.
    pub description: String,
    /// The owner's role.
    pub owner_role: String,
    /// The role new members get by default.
    pub default_role: String,
    /// Whether the owner may hand ownership on.
    pub owner_transfer: bool,
    /// Application resources it declares.
    pub resources: Vec<PresetResourceBody>,
    /// Its roles.
    pub roles: Vec<PresetRoleBody>,
}

/// Presets.
#[derive(Serialize, ToSchema)]
pub struct PresetList {
    /// Every preset.
    pub items: Vec<PresetBody>,
}

/// The role presets an organization can be created from. Needs a signed-in user.
#[utoipa::path(get, path = "/api/v1/presets", tag = "roles",
    responses((status = 200, body = PresetList)))]
pub async fn list_presets(_user: Authenticated) -> Json<PresetList> {
    Json(PresetList {
        items: roster_domain::permissions::presets()
            .into_iter()
            .map(|p| PresetBody {
                resources: p
                    .resources
                    .iter()
                    .map(|r| PresetResourceBody {
                        key: r.key.clone(),
                        label: r.label.clone(),
                        description: r.description.clone(),
                    })
                    .collect(),
                roles: p
                    .roles
                    .iter()
                    .map(|r| PresetRoleBody {
                        key: r.key.clone(),
                        name: r.name.clone(),
                        description: r.description.clone(),
                        grants: grants_body(&r.grants),
                    })
                    .collect(),
                key: p.key,
                name: p.name,
                description: p.description,
                owner_role: p.owner_role,
                default_role: p.default_role,
                owner_transfer: p.owner_transfer,
            })
            .collect(),
    })
}

/// A resource grants can name.
#[derive(Serialize, ToSchema)]
pub struct PermissionBody {
    /// Its key in grants and checks.
    pub resource: String,
    /// What people read.
    pub label: String,
    /// What it covers.
    pub description: String,
    /// `roster` (Roster enforces it) or `application` (the host application does).
    pub enforced_by: String,
}

impl From<Resource> for PermissionBody {
    fn from(r: Resource) -> Self {
        Self { resource: r.key, label: r.label, description: r.description, enforced_by: r.enforced_by.as_str().into() }
    }
}

/// The permissions list.
#[derive(Serialize, ToSchema)]
pub struct PermissionList {
    /// Every resource, Roster's first.
    pub items: Vec<PermissionBody>,
}

/// The resources grants can name in an organization. Needs `roles:read`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/permissions", tag = "roles",
    responses((status = 200, body = PermissionList)))]
pub async fn list_permissions(OrgApi { access, .. }: OrgApi) -> ApiResult<Json<PermissionList>> {
    Ok(Json(PermissionList {
        items: roster_app::roles::list_permissions(&access)?.into_iter().map(Into::into).collect(),
    }))
}

/// A role.
#[derive(Serialize, ToSchema)]
pub struct RoleBody {
    /// Its id.
    pub id: Uuid,
    /// Its stable key.
    pub key: String,
    /// Display name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Whether it came from the preset (built-in roles can be copied, not deleted).
    pub builtin: bool,
    /// Whether it is the owner's role, which is never edited or deleted.
    pub locked: bool,
    /// Members holding it.
    pub member_count: i64,
    /// What it grants: resource → actions.
    #[schema(schema_with = grants_schema)]
    pub grants: GrantsBody,
}

impl From<RoleRecord> for RoleBody {
    fn from(r: RoleRecord) -> Self {
        Self {
            id: r.id.0,
            key: r.key,
            name: r.name,
            description: r.description,
            builtin: r.builtin,
            locked: r.locked,
            member_count: r.member_count,
            grants: grants_body(&r.grants),
        }
    }
}

/// Roles.
#[derive(Serialize, ToSchema)]
pub struct RoleList {
    /// Every role, in display order.
    pub items: Vec<RoleBody>,
}

/// An organization's roles. Needs `roles:read`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/roles", tag = "roles",
    responses((status = 200, body = RoleList)))]
pub async fn list_roles(OrgApi { access, .. }: OrgApi) -> ApiResult<Json<RoleList>> {
    Ok(Json(RoleList { items: roster_app::roles::list_roles(&access)?.into_iter().map(Into::into).collect() }))
}

/// A new custom role.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Support", "description": "Answers members' questions.", "grants": {"members": ["read"], "billing": ["read"]}}))]
pub struct NewRole {
    /// Stable key (a–z, 0–9, _); made from the name when absent.
    #[serde(default)]
    pub key: Option<String>,
    /// Display name, unique in the organization.
    pub name: String,
    /// What it is for.
    #[serde(default)]
    pub description: String,
    /// What it grants: resource → actions (`read`, `create`, `update`, `delete`).
    #[serde(default)]
    #[schema(schema_with = grants_schema)]
    pub grants: GrantsBody,
    /// Ignored on input (roles are never created built-in).
    #[serde(default)]
    pub builtin: Option<bool>,
    /// Ignored on input (the count follows assignments).
    #[serde(default)]
    pub member_count: Option<i64>,
}

/// Creates a custom role. Needs `roles:create`; its grants must be your own.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/roles", tag = "roles", request_body = NewRole,
    responses((status = 201, body = RoleBody),
              (status = 409, body = Problem)))]
pub async fn create_role(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<NewRole>,
) -> ApiResult<(StatusCode, Json<RoleBody>)> {
    let input = RoleInput { key: body.key, name: body.name, description: body.description, grants: body.grants };
    let role = roster_app::roles::create_role(&state.app, &access, input, &meta).await?;
    Ok((StatusCode::CREATED, Json(role.into())))
}

/// One role. Needs `roles:read`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/roles/{id}", tag = "roles",
    params(super::RolePath),
    responses((status = 200, body = RoleBody)))]
pub async fn get_role(
    OrgApi { access, .. }: OrgApi,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<RoleBody>> {
    Ok(Json(roster_app::roles::get_role(&access, &id)?.into()))
}

/// Changes to a role; absent fields stay.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"description": "Reads members and billing.", "grants": {"members": ["read"], "billing": ["read"]}}))]
pub struct RoleChanges {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New description.
    #[serde(default)]
    pub description: Option<String>,
    /// New grants, replacing all of them.
    #[serde(default)]
    #[schema(schema_with = grants_schema)]
    pub grants: Option<GrantsBody>,
}

/// Edits a role. Needs `roles:update`; you must hold every grant it has and
/// would have. The owner's role is locked (409).
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/roles/{id}", tag = "roles", request_body = RoleChanges,
    params(super::RolePath),
    responses((status = 200, body = RoleBody),
              (status = 409, body = Problem)))]
pub async fn update_role(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<RoleChanges>,
) -> ApiResult<Json<RoleBody>> {
    let patch = RolePatch { name: body.name, description: body.description, grants: body.grants };
    Ok(Json(roster_app::roles::update_role(&state.app, &access, &id, patch, &meta).await?.into()))
}

/// Options of a delete.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteRoleParams {
    /// The role (id or key) that the deleted role's members get instead; required while it is assigned.
    pub reassign_to: Option<String>,
}

/// What a delete did.
#[derive(Serialize, ToSchema)]
pub struct DeletedRole {
    /// Members moved to the `reassign_to` role.
    pub members_moved: u64,
}

/// Deletes a custom role. Needs `roles:delete` (and `members:update` to
/// reassign). Built-in roles and roles still assigned without
/// `reassign_to` are refused (409).
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/roles/{id}", tag = "roles",
    params(super::RolePath, DeleteRoleParams),
    responses((status = 200, body = DeletedRole),
              (status = 409, body = Problem)))]
pub async fn delete_role(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Json<DeletedRole>, axum::response::Response> {
    // Read by hand so that a query that cannot be read answers a problem
    // document, not axum's plain-text rejection.
    let params: DeleteRoleParams = serde_urlencoded::from_str(query.as_deref().unwrap_or(""))
        .map_err(|e| Problem::malformed(None, format!("the query string cannot be read: {e}")).into_response())?;
    let moved = roster_app::roles::delete_role(&state.app, &access, &id, params.reassign_to.as_deref(), &meta)
        .await
        .map_err(|e| ApiError(e).into_response())?;
    Ok(Json(DeletedRole { members_moved: moved }))
}

/// A copy's name.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Billing Manager (EU)"}))]
pub struct CopyRole {
    /// The copy's name (default "Copy of …").
    #[serde(default)]
    pub name: Option<String>,
}

/// Copies a role (built-in ones too) as a new custom role. Needs `roles:create`.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/roles/{id}/copy", tag = "roles", request_body = CopyRole,
    params(super::RolePath),
    responses((status = 201, body = RoleBody), (status = 409, body = Problem)))]
pub async fn copy_role(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<CopyRole>,
) -> ApiResult<(StatusCode, Json<RoleBody>)> {
    let role = roster_app::roles::copy_role(&state.app, &access, &id, body.name.as_deref(), &meta).await?;
    Ok((StatusCode::CREATED, Json(role.into())))
}

/// A member's roles and own grants.
#[derive(Serialize, ToSchema)]
pub struct MemberAccessBody {
    /// Roles held (in a partner: those that apply in the partner itself).
    pub roles: Vec<RoleBody>,
    /// Grants of their own beside their roles.
    #[schema(schema_with = grants_schema)]
    pub grants: GrantsBody,
    /// In a partner organization: every role with where it applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignments: Option<Vec<super::partners::AssignmentItem>>,
}

impl From<MemberAccess> for MemberAccessBody {
    fn from(m: MemberAccess) -> Self {
        Self { roles: m.roles.into_iter().map(Into::into).collect(), grants: grants_body(&m.own), assignments: None }
    }
}

/// [`MemberAccessBody`] with a partner member's scoped assignments.
async fn member_access_body(
    state: &AppState,
    access: &roster_app::access::OrgAccess,
    uid: roster_domain::UserId,
) -> ApiResult<MemberAccessBody> {
    let mut body: MemberAccessBody = roster_app::roles::member_access(&state.app, access, uid).await?.into();
    if access.org.partner {
        let assignments = roster_app::partners::scopes::of_member(&state.app, access, uid).await?;
        body.assignments = Some(assignments.into_iter().map(Into::into).collect());
    }
    Ok(body)
}

/// A member's roles and own grants (in a partner, also every role with
/// where it applies). Needs `members:read`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/users/{id}/roles", tag = "roles",
    params(super::UserPath),
    responses((status = 200, body = MemberAccessBody)))]
pub async fn get_member_roles(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<MemberAccessBody>> {
    Ok(Json(member_access_body(&state, &access, query::id(&id, "member")?).await?))
}

/// The roles a member should hold: `roles`, or in a partner organization
/// `assignments` (each role with where it applies).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"roles": ["billing_manager"]}))]
pub struct SetRoles {
    /// Role ids or keys (replacing the member's roles). In a partner, each
    /// role also applies inside customers as its preset says.
    pub roles: Option<Vec<String>>,
    /// In a partner: every role with its scope (replacing all of them).
    pub assignments: Option<Vec<super::partners::AssignmentBody>>,
}

/// Sets a member's roles. Needs `members:update`; you must hold every grant
/// of each role you give, and every grant the member holds now. In a
/// partner, `assignments` gives each role a scope: `"partner"`,
/// `"all_customers"` or `{"groups": [ids]}`; nobody gives a scope wider
/// than their own, or a role beyond their own in that scope.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/users/{id}/roles", tag = "roles", request_body = SetRoles,
    params(super::UserPath),
    responses((status = 200, body = MemberAccessBody),
              (status = 409, body = Problem)))]
pub async fn set_member_roles(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<SetRoles>,
) -> ApiResult<Json<MemberAccessBody>> {
    let uid = query::id(&id, "member")?;
    match (body.roles, body.assignments) {
        (Some(roles), None) => {
            roster_app::roles::set_member_roles(&state.app, &access, uid, &roles, &meta).await?;
        }
        (None, Some(assignments)) => {
            let wanted: Vec<_> = assignments.into_iter().map(Into::into).collect();
            roster_app::partners::scopes::set(&state.app, &access, uid, &wanted, &meta).await?;
        }
        _ => {
            return Err(roster_domain::ValidationError::field("roles", "give either roles or assignments").into());
        }
    }
    Ok(Json(member_access_body(&state, &access, uid).await?))
}

/// A member's own grants.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"grants": {"billing": ["read"]}}))]
pub struct SetGrants {
    /// Resource → actions, replacing the member's own grants (empty: none).
    #[schema(schema_with = grants_schema)]
    pub grants: GrantsBody,
}

/// Sets a member's own grants beside their roles (seed 002's "Custom"
/// permissions). Needs `members:update`; only grants you hold yourself.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/users/{id}/grants", tag = "roles", request_body = SetGrants,
    params(super::UserPath),
    responses((status = 200, body = MemberAccessBody),
              (status = 409, body = Problem)))]
pub async fn set_member_grants(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<SetGrants>,
) -> ApiResult<Json<MemberAccessBody>> {
    let uid = query::id(&id, "member")?;
    let input: GrantsInput = body.grants;
    roster_app::roles::set_member_grants(&state.app, &access, uid, &input, &meta).await?;
    Ok(Json(roster_app::roles::member_access(&state.app, &access, uid).await?.into()))
}

/// Who becomes owner.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"user": "01920000-0000-7000-8000-000000000000"}))]
pub struct TransferOwnership {
    /// The new owner's user id (an active member).
    pub user: Uuid,
}

/// Hands the organization to another active member. Only the owner, and
/// only where the preset allows it (409 otherwise).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/transfer-ownership", tag = "roles", request_body = TransferOwnership,
    responses((status = 204),
              (status = 409, body = Problem)))]
pub async fn transfer_ownership(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<TransferOwnership>,
) -> ApiResult<StatusCode> {
    roster_app::ownership::transfer_ownership(&state.app, &access, UserId(body.user), &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
