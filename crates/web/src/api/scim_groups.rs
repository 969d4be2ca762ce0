//! The administrator's bindings of SCIM group names to roles
//! (`/api/v1/orgs/{org}/scim/group-mappings`): a group an identity
//! provider pushes with a mapped name is bound to that existing role
//! instead of making a role of its own. Read with `service_accounts:read`,
//! changed with `service_accounts:update` (they configure provisioning,
//! beside its token); see `roster_app::scim_groups`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use roster_app::scim_groups::MappingView;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::members::RoleBadge;
use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, Meta, OrgApi};
use crate::format::rfc3339;
use crate::query;

/// A binding of a group name to a role.
#[derive(Serialize, ToSchema)]
pub struct GroupMappingItem {
    /// Its id.
    pub id: Uuid,
    /// The group's display name it binds (compared ignoring case).
    pub display_name: String,
    /// The role a group of that name is bound to.
    pub role: RoleBadge,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// Who made it (an email, or `cli`).
    pub created_by: String,
}

impl From<MappingView> for GroupMappingItem {
    fn from(v: MappingView) -> Self {
        Self {
            id: v.mapping.id,
            display_name: v.mapping.display_name,
            role: RoleBadge { id: v.role.id.0, key: v.role.key, name: v.role.name },
            created_at: rfc3339(v.mapping.created_at),
            created_by: v.mapping.created_by_label,
        }
    }
}

/// The organization's group mappings.
#[derive(Serialize, ToSchema)]
pub struct GroupMappingList {
    /// The mappings, by name.
    pub mappings: Vec<GroupMappingItem>,
}

/// A new binding.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroupMapping {
    /// The group's display name, as the identity provider pushes it.
    #[schema(example = "Engineering Admins")]
    pub display_name: String,
    /// The role, by key or id (not the owner's role).
    #[schema(example = "admin")]
    pub role: String,
}

/// The `{id}` of a mapping's path.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct MappingPath {
    /// The mapping's id.
    #[param(example = "01920000-0000-7000-8000-000000000000")]
    pub id: Uuid,
}

/// Lists the bindings of group names to roles. Needs `service_accounts:read`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/scim/group-mappings", tag = "scim",
    responses((status = 200, body = GroupMappingList)))]
pub async fn list_mappings(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
) -> ApiResult<Json<GroupMappingList>> {
    let mappings = roster_app::scim_groups::list_mappings(&state.app, &access).await?;
    Ok(Json(GroupMappingList { mappings: mappings.into_iter().map(Into::into).collect() }))
}

/// Binds a group name to an existing role: a SCIM group pushed with that
/// name is bound to the role (its members hold it) instead of making a
/// role of its own. Groups made before keep their binding. Needs
/// `service_accounts:update` and every grant of the role (no escalation);
/// the owner's role is 409; a name bound already is 422.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/scim/group-mappings", tag = "scim",
    request_body = NewGroupMapping,
    responses((status = 201, body = GroupMappingItem), (status = 409, body = Problem)))]
pub async fn create_mapping(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<NewGroupMapping>,
) -> ApiResult<(StatusCode, Json<GroupMappingItem>)> {
    let made =
        roster_app::scim_groups::create_mapping(&state.app, &access, &body.display_name, &body.role, &meta).await?;
    Ok((StatusCode::CREATED, Json(made.into())))
}

/// Removes a binding (groups bound through it stay bound); 204. Needs
/// `service_accounts:update`.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/scim/group-mappings/{id}", tag = "scim",
    params(MappingPath), responses((status = 204, description = "Removed")))]
pub async fn delete_mapping(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = query::id::<Uuid>(&id, "group mapping")?;
    roster_app::scim_groups::delete_mapping(&state.app, &access, id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
