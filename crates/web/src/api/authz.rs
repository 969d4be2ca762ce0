//! `POST /api/v1/orgs/{org}/authz/check`: the host application asks whether
//! a member may do something.

use axum::Json;
use axum::extract::State;
use roster_app::authz::CheckRequest;
use roster_domain::roles::Decision;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, OrgApi};

/// One question.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"user": "member@acme.test", "resource": "members", "action": "update"}))]
pub struct Check {
    /// The member: a user id or an email address.
    pub user: String,
    /// A resource key (see `GET …/permissions`).
    pub resource: String,
    /// `read`, `create`, `update` or `delete`.
    #[schema(schema_with = crate::api::roles::action_schema)]
    pub action: String,
}

impl From<Check> for CheckRequest {
    fn from(c: Check) -> Self {
        Self { user: c.user, resource: c.resource, action: c.action }
    }
}

/// The answer.
#[derive(Serialize, ToSchema)]
pub struct CheckResult {
    /// Whether the member may.
    pub allowed: bool,
    /// The member's roles that allow it (and "own grants" when their own grants do).
    pub via: Vec<String>,
}

impl From<Decision> for CheckResult {
    fn from(d: Decision) -> Self {
        Self { allowed: d.allowed, via: d.via }
    }
}

/// Answers one check. Asking about yourself needs no permission; about
/// others, `members:read`. A member who is not active is allowed nothing.
///
/// Only this organization's members are looked up: a user of another
/// organization is answered exactly like an unknown one (404).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/authz/check", tag = "authz", request_body = Check,
    responses((status = 200, body = CheckResult)))]
pub async fn check(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    ApiJson(body): ApiJson<Check>,
) -> ApiResult<Json<CheckResult>> {
    let mut out = roster_app::authz::check_many(&state.app, &access, &[body.into()]).await?;
    Ok(Json(out.remove(0).into()))
}

/// Several questions.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"checks": [{"user": "member@acme.test", "resource": "members", "action": "update"}, {"user": "member@acme.test", "resource": "billing", "action": "read"}]}))]
pub struct CheckBatch {
    /// Up to 1,000 checks.
    pub checks: Vec<Check>,
}

/// The answers, in the order asked.
#[derive(Serialize, ToSchema)]
pub struct CheckBatchResult {
    /// One result per check.
    pub results: Vec<CheckResult>,
}

/// Answers up to 1,000 checks in order, under the same rules as one.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/authz/check-batch", tag = "authz", request_body = CheckBatch,
    responses((status = 200, body = CheckBatchResult)))]
pub async fn check_batch(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    ApiJson(body): ApiJson<CheckBatch>,
) -> ApiResult<Json<CheckBatchResult>> {
    let checks: Vec<CheckRequest> = body.checks.into_iter().map(Into::into).collect();
    let results = roster_app::authz::check_many(&state.app, &access, &checks).await?;
    Ok(Json(CheckBatchResult { results: results.into_iter().map(Into::into).collect() }))
}
