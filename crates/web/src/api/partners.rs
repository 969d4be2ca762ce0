//! Partner organizations (issue 14): a partner's customers
//! (`/api/v1/orgs/{partner}/customers`), its organization groups
//! (`…/org-groups`), scoped role assignments (the `assignments` form of
//! `PUT …/users/{id}/roles`), and a customer's view of its partner
//! (`/api/v1/orgs/{org}/partner`). See `roster_app::partners`.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use roster_app::orgs::OrgRecord;
use roster_app::partners::customers::{self, NewCustomer};
use roster_app::partners::groups::GroupDetail;
use roster_app::partners::scopes::{Assignment, AssignmentInput};
use roster_app::partners::{CustomerQuery, CustomerRow, GroupRecord, LinkRequest};
use roster_domain::partners::{CustomerStatus, Scope};
use roster_domain::{OrgGroupId, ValidationError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::members::RoleBadge;
use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, Meta, OrgApi};
use crate::format::rfc3339;
use crate::query;

fn scope_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    serde_json::from_value(serde_json::json!({
        "description": "Where the role applies: the partner itself, every customer, or the customers of these organization groups.",
        "oneOf": [
            {"type": "string", "enum": ["partner", "all_customers"]},
            {"type": "object", "required": ["groups"], "additionalProperties": false,
             "properties": {"groups": {"type": "array", "items": {"type": "string", "format": "uuid"}}}}
        ]
    }))
    .expect("a well-formed schema")
}

/// One role with where it applies, as a request gives it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentBody {
    /// The role, by id or key.
    #[schema(example = "key_account_manager")]
    pub role: String,
    /// Where it applies.
    #[schema(schema_with = scope_schema)]
    pub scope: Scope,
}

impl From<AssignmentBody> for AssignmentInput {
    fn from(b: AssignmentBody) -> Self {
        Self { role: b.role, scope: b.scope }
    }
}

/// One role with where it applies.
#[derive(Serialize, ToSchema)]
pub struct AssignmentItem {
    /// The role.
    pub role: RoleBadge,
    /// Where it applies.
    #[schema(schema_with = scope_schema)]
    pub scope: Scope,
}

impl From<Assignment> for AssignmentItem {
    fn from(a: Assignment) -> Self {
        Self { role: RoleBadge { id: a.role.id.0, key: a.role.key, name: a.role.name }, scope: a.scope }
    }
}

/// An organization, as partners' lists show it.
#[derive(Serialize, ToSchema)]
pub struct OrgBrief {
    /// Its id.
    pub id: Uuid,
    /// Its URL handle.
    pub slug: String,
    /// Its name.
    pub name: String,
}

impl From<&OrgRecord> for OrgBrief {
    fn from(o: &OrgRecord) -> Self {
        Self { id: o.id.0, slug: o.slug.clone(), name: o.name.clone() }
    }
}

/// A customer organization of the partner.
#[derive(Serialize, ToSchema)]
pub struct CustomerItem {
    /// Its id.
    pub id: Uuid,
    /// Its URL handle.
    pub slug: String,
    /// Its name.
    pub name: String,
    /// Its role preset.
    pub preset: String,
    /// `active`, or `invited` while its owner has never signed in.
    #[schema(example = "active")]
    pub status: String,
    /// Active members.
    pub active_members: i64,
    /// Members in every status but archived.
    pub members: i64,
    /// Licenses assigned in its live subscriptions.
    pub seats_used: i64,
    /// Seats of its live subscriptions.
    pub seats: i64,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

impl From<CustomerRow> for CustomerItem {
    fn from(c: CustomerRow) -> Self {
        Self {
            id: c.org.id.0,
            slug: c.org.slug,
            name: c.org.name,
            preset: c.org.preset,
            status: c.status.as_str().into(),
            active_members: c.active_members,
            members: c.members,
            seats_used: c.seats_used,
            seats: c.seats,
            created_at: rfc3339(c.org.created_at),
        }
    }
}

/// A link request waiting for the organization's owner.
#[derive(Serialize, ToSchema)]
pub struct LinkRequestItem {
    /// The organization asked.
    pub org: OrgBrief,
    /// The partner asking.
    pub partner_id: Uuid,
    /// Who asked (an email, or `cli`).
    pub requested_by: String,
    /// When (RFC 3339).
    pub created_at: String,
}

impl From<LinkRequest> for LinkRequestItem {
    fn from(r: LinkRequest) -> Self {
        Self {
            org: (&r.org).into(),
            partner_id: r.partner_id.0,
            requested_by: r.requested_by_label,
            created_at: rfc3339(r.created_at),
        }
    }
}

/// A page of customers.
#[derive(Serialize, ToSchema)]
pub struct CustomerList {
    /// This page, by name.
    pub items: Vec<CustomerItem>,
    /// How many match in all.
    pub total: i64,
    /// The cursor of the next page, when there is one.
    pub next_cursor: Option<String>,
    /// Link requests waiting for their organization's owner.
    pub pending_links: Vec<LinkRequestItem>,
    /// Whether your roles reach every customer (or only your groups').
    pub all_customers: bool,
}

/// The customers list's query.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct CustomersParams {
    /// A part of the name or slug (case-insensitive).
    q: Option<String>,
    /// `active`, `invited` or `link_pending`.
    status: Option<String>,
    /// Only the customers of this organization group.
    group: Option<Uuid>,
    /// Rows per page, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    per_page: Option<u32>,
    /// A next_cursor from an earlier answer.
    cursor: Option<String>,
}

fn customers_query(raw: Option<&str>) -> Result<CustomerQuery, roster_app::AppError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| ValidationError::field("query", "is not a valid query string"))?;
    let mut errors = ValidationError { errors: vec![] };
    let mut q = CustomerQuery { limit: 50, ..Default::default() };
    for (k, v) in pairs {
        let v = v.trim().to_string();
        match k.as_str() {
            "q" => q.q = Some(v).filter(|v| !v.is_empty()),
            "status" if v.is_empty() => {}
            "status" => match v.parse::<CustomerStatus>() {
                Ok(s) => q.status = Some(s),
                Err(e) => errors.merge(e),
            },
            "group" => match v.parse::<OrgGroupId>() {
                Ok(g) => q.group = Some(g),
                Err(_) => errors.merge(ValidationError::field("group", "is not a group id")),
            },
            "per_page" => match v.parse::<u64>() {
                Ok(n) if (1..=200).contains(&n) => q.limit = n,
                _ => errors.merge(ValidationError::field("per_page", "is a number from 1 to 200")),
            },
            "cursor" => match customers::parse_cursor(&v) {
                Ok(c) => q.after = Some(c),
                Err(_) => errors.merge(ValidationError::field("cursor", "is not a cursor this list gave")),
            },
            other => errors.merge(ValidationError::field(other.to_string(), "is not a parameter of this list")),
        }
    }
    if errors.errors.is_empty() { Ok(q) } else { Err(errors.into()) }
}

/// The partner's customers your roles reach (every one, or your groups'),
/// by name, a page at a time, with status, member counts and seats. Needs
/// `customers:read` in a partner organization (another organization: 404).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/customers", tag = "partners",
    params(CustomersParams),
    responses((status = 200, body = CustomerList)))]
pub async fn list_customers(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<CustomerList>> {
    let q = customers_query(raw.as_deref())?;
    let page = customers::list(&state.app, &access, q).await?;
    Ok(Json(CustomerList {
        items: page.items.into_iter().map(Into::into).collect(),
        total: page.total,
        next_cursor: page.next.as_ref().map(customers::cursor),
        pending_links: page.pending.into_iter().map(Into::into).collect(),
        all_customers: page.sees_all,
    }))
}

/// A new customer organization.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Acme Insurance", "slug": "acme-insurance", "preset": "account-owner", "owner_email": "ann@acme.test"}))]
pub struct NewCustomerBody {
    /// Its name.
    pub name: String,
    /// Its URL handle.
    pub slug: String,
    /// Its role preset (not a partner preset; `account-owner` when absent).
    pub preset: Option<String>,
    /// Its owner's email: invited through the outbox.
    pub owner_email: String,
    /// The owner's name, for a new user.
    pub owner_name: Option<String>,
}

/// Creates a customer organization with its own preset and owner (emailed
/// through the outbox). Needs `customers:create` and a reach over every
/// customer; a slug taken is 409.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/customers", tag = "partners",
    request_body = NewCustomerBody,
    responses((status = 201, body = OrgBrief), (status = 409, body = Problem)))]
pub async fn create_customer(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<NewCustomerBody>,
) -> ApiResult<(StatusCode, Json<OrgBrief>)> {
    let org = customers::create(
        &state.app,
        &access,
        NewCustomer {
            name: body.name,
            slug: body.slug,
            preset: body.preset,
            owner_email: body.owner_email,
            owner_name: body.owner_name,
        },
        &meta,
    )
    .await?;
    Ok((StatusCode::CREATED, Json((&org).into())))
}

/// An organization to link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    /// Its slug or id.
    #[schema(example = "globex")]
    pub org: String,
}

/// Asks to link an existing organization as a customer: its owner accepts
/// or refuses (`POST /api/v1/orgs/{org}/partner/requests/{partner}/accept`).
/// A partner, or an organization with a partner, is 409. Needs
/// `customers:create` and a reach over every customer; 202.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/customers/link", tag = "partners",
    request_body = LinkBody,
    responses((status = 202, body = OrgBrief), (status = 409, body = Problem)))]
pub async fn link_customer(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<LinkBody>,
) -> ApiResult<(StatusCode, Json<OrgBrief>)> {
    let org = customers::request_link(&state.app, &access, &body.org, &meta).await?;
    Ok((StatusCode::ACCEPTED, Json((&org).into())))
}

/// The `{customer}` of a customer's path.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct CustomerPath {
    /// The customer's slug or id.
    #[param(example = "acme-insurance")]
    pub customer: String,
}

/// Unlinks a customer: the partner's staff lose access there at once. Needs
/// `customers:delete` and a reach over every customer; 204.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/customers/{customer}", tag = "partners",
    params(CustomerPath), responses((status = 204, description = "Unlinked")))]
pub async fn unlink_customer(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, customer)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    customers::unlink(&state.app, &access, &customer, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A partner member who can act in the organization.
#[derive(Serialize, ToSchema)]
pub struct PartnerActorItem {
    /// Their user id.
    pub id: Uuid,
    /// Their email.
    pub email: String,
    /// Their name.
    pub name: String,
    /// The partner's roles that reach this organization.
    pub roles: Vec<String>,
}

/// An organization's partner, who of its staff can act here, and the
/// partners asking to link it.
#[derive(Serialize, ToSchema)]
pub struct PartnerBody {
    /// The partner, when the organization has one.
    pub partner: Option<OrgBrief>,
    /// The partner's members who can act here.
    pub actors: Vec<PartnerActorItem>,
    /// Partners asking to link the organization (the owner answers).
    pub requests: Vec<PartnerRequestItem>,
}

/// A partner asking to link the organization.
#[derive(Serialize, ToSchema)]
pub struct PartnerRequestItem {
    /// The partner.
    pub partner: OrgBrief,
    /// Who asked.
    pub requested_by: String,
    /// When (RFC 3339).
    pub created_at: String,
}

/// The organization's partner and who of its staff can act here (and
/// with which roles), and pending link requests. Needs `members:read`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/partner", tag = "partners",
    responses((status = 200, body = PartnerBody)))]
pub async fn get_partner(State(state): State<AppState>, OrgApi { access, .. }: OrgApi) -> ApiResult<Json<PartnerBody>> {
    let v = customers::partner_view(&state.app, &access).await?;
    Ok(Json(PartnerBody {
        partner: v.partner.as_ref().map(Into::into),
        actors: v
            .actors
            .into_iter()
            .map(|a| PartnerActorItem { id: a.user_id.0, email: a.email, name: a.name, roles: a.roles })
            .collect(),
        requests: v
            .requests
            .into_iter()
            .map(|(p, r)| PartnerRequestItem {
                partner: (&p).into(),
                requested_by: r.requested_by_label,
                created_at: rfc3339(r.created_at),
            })
            .collect(),
    }))
}

/// Revokes the organization's partner link: the partner's staff lose
/// access here at once. Needs `org_settings:update`, as a member (not
/// through the partner); 204.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/partner", tag = "partners",
    responses((status = 204, description = "Revoked")))]
pub async fn revoke_partner(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
) -> ApiResult<StatusCode> {
    customers::unlink(&state.app, &access, "partner", &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The `{partner}` of a link request's path.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RequestPath {
    /// The partner's id.
    #[param(example = "01920000-0000-7000-8000-000000000000")]
    pub partner: Uuid,
}

/// Accepts a partner's link request: the organization becomes its
/// customer. Only the owner; 204.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/partner/requests/{partner}/accept", tag = "partners",
    params(RequestPath), responses((status = 204, description = "Linked"), (status = 409, body = Problem)))]
pub async fn accept_link(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, partner)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let partner = query::id(&partner, "link request")?;
    customers::answer_link(&state.app, &access, partner, true, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Refuses a partner's link request. Only the owner; 204.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/partner/requests/{partner}/refuse", tag = "partners",
    params(RequestPath), responses((status = 204, description = "Refused")))]
pub async fn refuse_link(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, partner)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let partner = query::id(&partner, "link request")?;
    customers::answer_link(&state.app, &access, partner, false, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An organization group.
#[derive(Serialize, ToSchema)]
pub struct GroupItem {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// How many customers it holds.
    pub customers: i64,
    /// How many partner members are assigned to it.
    pub members: i64,
    /// When it was made (RFC 3339).
    pub created_at: String,
}

impl From<GroupRecord> for GroupItem {
    fn from(g: GroupRecord) -> Self {
        Self { id: g.id.0, name: g.name, customers: g.customers, members: g.members, created_at: rfc3339(g.created_at) }
    }
}

/// The partner's organization groups.
#[derive(Serialize, ToSchema)]
pub struct GroupList {
    /// The groups, by name.
    pub items: Vec<GroupItem>,
}

/// A partner member assigned to a group.
#[derive(Serialize, ToSchema)]
pub struct GroupMemberItem {
    /// Their user id.
    pub id: Uuid,
    /// Their email.
    pub email: String,
    /// Their name.
    pub name: String,
    /// Their roles that the group scopes.
    pub roles: Vec<String>,
}

/// A group with its customers and members.
#[derive(Serialize, ToSchema)]
pub struct GroupDetailBody {
    /// The group.
    pub group: GroupItem,
    /// Its customers, by name.
    pub customers: Vec<OrgBrief>,
    /// The partner members assigned to it.
    pub members: Vec<GroupMemberItem>,
}

impl From<GroupDetail> for GroupDetailBody {
    fn from(d: GroupDetail) -> Self {
        Self {
            group: d.group.into(),
            customers: d.customers.iter().map(Into::into).collect(),
            members: d
                .members
                .into_iter()
                .map(|m| GroupMemberItem { id: m.user_id.0, email: m.email, name: m.name, roles: m.roles })
                .collect(),
        }
    }
}

/// The partner's organization groups, by name, with their counts. Needs
/// `org_groups:read`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/org-groups", tag = "partners",
    responses((status = 200, body = GroupList)))]
pub async fn list_groups(State(state): State<AppState>, OrgApi { access, .. }: OrgApi) -> ApiResult<Json<GroupList>> {
    let groups = roster_app::partners::groups::list(&state.app, &access).await?;
    Ok(Json(GroupList { items: groups.into_iter().map(Into::into).collect() }))
}

/// A group's name.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupBody {
    /// 1 to 100 characters, unique in the partner (ignoring case).
    #[schema(example = "Nordics")]
    pub name: String,
}

/// Creates an organization group. Needs `org_groups:create`; a name taken is 409.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/org-groups", tag = "partners",
    request_body = GroupBody,
    responses((status = 201, body = GroupItem), (status = 409, body = Problem)))]
pub async fn create_group(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<GroupBody>,
) -> ApiResult<(StatusCode, Json<GroupItem>)> {
    let g = roster_app::partners::groups::create(&state.app, &access, &body.name, &meta).await?;
    Ok((StatusCode::CREATED, Json(g.into())))
}

/// The `{id}` of a group's paths.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct GroupPath {
    /// The group's id.
    #[param(example = "01920000-0000-7000-8000-000000000000")]
    pub id: Uuid,
}

/// A group with its customers and members. Needs `org_groups:read`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/org-groups/{id}", tag = "partners",
    params(GroupPath), responses((status = 200, body = GroupDetailBody)))]
pub async fn get_group(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<GroupDetailBody>> {
    let id = query::id(&id, "organization group")?;
    Ok(Json(roster_app::partners::groups::get(&state.app, &access, id).await?.into()))
}

/// Renames a group. Needs `org_groups:update`; a name taken is 409.
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/org-groups/{id}", tag = "partners",
    params(GroupPath), request_body = GroupBody,
    responses((status = 200, body = GroupItem), (status = 409, body = Problem)))]
pub async fn rename_group(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<GroupBody>,
) -> ApiResult<Json<GroupItem>> {
    let id = query::id(&id, "organization group")?;
    Ok(Json(roster_app::partners::groups::rename(&state.app, &access, id, &body.name, &meta).await?.into()))
}

/// Deletes a group: its members' roles stop reaching its customers at
/// once. Needs `org_groups:delete`; 204.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/org-groups/{id}", tag = "partners",
    params(GroupPath), responses((status = 204, description = "Deleted")))]
pub async fn delete_group(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = query::id(&id, "organization group")?;
    roster_app::partners::groups::delete(&state.app, &access, id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A group's customers.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupCustomersBody {
    /// Customer slugs or ids (replacing the group's customers).
    pub orgs: Vec<String>,
}

/// Sets a group's customers (a customer may be in several groups). Needs
/// `org_groups:update` and a reach over every customer; a name that is no
/// customer of the partner is 422.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/org-groups/{id}/customers", tag = "partners",
    params(GroupPath), request_body = GroupCustomersBody,
    responses((status = 200, body = GroupDetailBody)))]
pub async fn set_group_customers(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<GroupCustomersBody>,
) -> ApiResult<Json<GroupDetailBody>> {
    let id = query::id(&id, "organization group")?;
    Ok(Json(roster_app::partners::groups::set_customers(&state.app, &access, id, &body.orgs, &meta).await?.into()))
}

/// A group's members.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupMembersBody {
    /// Partner members' ids or emails (replacing the group's members).
    pub users: Vec<String>,
}

/// Sets which partner members a group is assigned to: each gets the group
/// in the scope of their roles limited to groups (a member with none is
/// 422). Needs `org_groups:update`; no escalation across scopes.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/org-groups/{id}/members", tag = "partners",
    params(GroupPath), request_body = GroupMembersBody,
    responses((status = 200, body = GroupDetailBody)))]
pub async fn set_group_members(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<GroupMembersBody>,
) -> ApiResult<Json<GroupDetailBody>> {
    let id = query::id(&id, "organization group")?;
    Ok(Json(roster_app::partners::groups::set_members(&state.app, &access, id, &body.users, &meta).await?.into()))
}
