//! `POST /api/v1/orgs`: a signed-in user creates an organization and owns it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use roster_app::Actor;
use roster_app::orgs::NewOrg;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, Authenticated};

/// A new organization.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Umbrella", "slug": "umbrella", "preset": "account-owner"}))]
pub struct CreateOrg {
    /// Display name.
    pub name: String,
    /// URL handle (a–z, 0–9, -).
    pub slug: String,
    /// The role preset (`GET /api/v1/presets`); default `account-owner`.
    #[serde(default)]
    pub preset: Option<String>,
}

/// A created organization.
#[derive(Serialize, ToSchema)]
pub struct OrgBody {
    /// Its id.
    pub id: Uuid,
    /// Its slug.
    pub slug: String,
    /// Its name.
    pub name: String,
    /// The preset its roles came from.
    pub preset: String,
}

/// Creates an organization owned by the signed-in user, with the roles of a
/// preset. Needs a signed-in user (no permission: the organization does not
/// exist yet); `Authenticated` refuses anyone else before the body is read, so a
/// stranger learns nothing about which slugs are taken.
#[utoipa::path(post, path = "/api/v1/orgs", tag = "orgs", request_body = CreateOrg,
    responses((status = 201, body = OrgBody), (status = 409, body = Problem), (status = 429, body = Problem)))]
pub async fn create_org(
    State(state): State<AppState>,
    user: Authenticated,
    ApiJson(body): ApiJson<CreateOrg>,
) -> ApiResult<(StatusCode, Json<OrgBody>)> {
    let created = roster_app::orgs::create_org(
        &state.app,
        &Actor::User(user.principal.clone()),
        NewOrg {
            name: body.name,
            slug: body.slug,
            owner_email: user.principal.email.clone(),
            owner_name: None,
            owner_password: None,
            preset: body.preset,
        },
    )
    .await?;
    let o = created.org;
    Ok((StatusCode::CREATED, Json(OrgBody { id: o.id.0, slug: o.slug, name: o.name, preset: o.preset })))
}
