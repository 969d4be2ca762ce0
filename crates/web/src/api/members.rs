//! `/api/v1/orgs/{org}/users`: the members directory.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use roster_app::access::OrgAccess;
use roster_app::members::{MemberList, MemberView};
use roster_domain::members::{Activity, StatusChange, StatusCounts};
use roster_domain::{MemberFilter, MemberSort, MemberStatus, SortOrder, UserId, ValidationError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, Meta, OrgApi};
use crate::format::rfc3339;
use crate::query::{self, Strictness};

/// One member as the API shows them.
#[derive(Serialize, ToSchema)]
pub struct UserItem {
    /// The user's id.
    pub id: Uuid,
    /// Email (lower-case).
    pub email: String,
    /// Display name.
    pub name: String,
    /// Membership status.
    pub status: MemberStatus,
    /// Whether the email address is confirmed.
    pub confirmed: bool,
    /// The roles the member holds.
    pub roles: Vec<RoleBadge>,
    /// The products the member holds licenses of (keys, as `GET /api/v1/products` lists them).
    pub products: Vec<String>,
    /// When the membership was created (RFC 3339).
    pub created_at: String,
    /// When the member was last active (RFC 3339), or null for never.
    pub last_active_at: Option<String>,
}

/// A role as a member's badge shows it.
#[derive(Serialize, ToSchema)]
pub struct RoleBadge {
    /// The role's id.
    pub id: Uuid,
    /// Its stable key.
    pub key: String,
    /// Its display name.
    pub name: String,
}

impl From<MemberView> for UserItem {
    fn from(v: MemberView) -> Self {
        let m = v.member;
        Self {
            id: m.user_id.0,
            email: m.email,
            name: m.name,
            status: m.status,
            confirmed: m.confirmed,
            roles: v.roles.into_iter().map(|r| RoleBadge { id: r.id.0, key: r.key, name: r.name }).collect(),
            products: vec![],
            created_at: rfc3339(m.created_at),
            last_active_at: m.last_active_at.map(rfc3339),
        }
    }
}

impl UserItem {
    /// The item with its `products` read (one query).
    async fn with_products(self, state: &AppState, access: &OrgAccess) -> ApiResult<Self> {
        let mut items = vec![self];
        fill_products(state, access, &mut items).await?;
        Ok(items.remove(0))
    }
}

/// Fills the `products` of a page of items, with one query for the page.
async fn fill_products(state: &AppState, access: &OrgAccess, items: &mut [UserItem]) -> ApiResult<()> {
    let ids: Vec<UserId> = items.iter().map(|i| UserId(i.id)).collect();
    let mut held = roster_app::products::products_of_page(&state.app, access, &ids).await?;
    for item in items {
        item.products = held.remove(&UserId(item.id)).unwrap_or_default().into_iter().map(String::from).collect();
    }
    Ok(())
}

/// A page of the directory as the API answers it, each item with its products.
pub(crate) async fn user_list(state: &AppState, access: &OrgAccess, list: MemberList) -> ApiResult<UserList> {
    let mut out = UserList::from(list);
    fill_products(state, access, &mut out.items).await?;
    Ok(out)
}

/// A page of members.
#[derive(Serialize, ToSchema)]
pub struct UserList {
    /// The rows.
    pub items: Vec<UserItem>,
    /// Members matching the whole filter.
    pub total: u64,
    /// The page number (1-based).
    pub page: u32,
    /// Rows per page.
    pub per_page: u32,
    /// Per-status counts over the filter without its status part.
    pub counts: StatusCounts,
    /// True when a search stopped counting at 10,000 matches: counts and total are then lower bounds.
    pub counts_capped: bool,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Pass as `cursor` for the previous page; null on the first page.
    pub prev_cursor: Option<String>,
}

impl From<MemberList> for UserList {
    fn from(l: MemberList) -> Self {
        Self {
            items: l.items.into_iter().map(Into::into).collect(),
            total: l.total,
            page: l.page,
            per_page: l.per_page,
            counts: l.counts,
            counts_capped: l.counts_capped,
            next_cursor: l.next_cursor,
            prev_cursor: l.prev_cursor,
        }
    }
}

/// Query parameters of the list (documentation of what [`query::members_list`] reads).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListUsersParams {
    /// Case-insensitive substring of the name or email (at most 200 characters). A whole email
    /// address (`ann@acme.test`) is looked up by address instead: it matches that address and
    /// longer ones beginning with it (`ann@acme.test.au`), not addresses that merely contain it.
    #[param(example = "smith")]
    q: Option<String>,
    /// Case-insensitive substring of the display name only (at most 200 characters).
    name: Option<String>,
    /// The email address, case-insensitively: a whole address (`ann@acme.test`) matches exactly
    /// that address; text ending in `*` (`ann*`, `ann@acme.test*`) matches the addresses beginning
    /// with it; any other text (`ann`, `ann@acme`) is a prefix too. A `*` may only end the value.
    email: Option<String>,
    /// One or several of active, disabled, invited, archived (repeat the parameter or separate with commas; `all` means no filter).
    #[param(schema_with = status_filter_schema)]
    status: Option<Vec<MemberStatus>>,
    /// email (default), name, created or last_active.
    #[param(inline)]
    sort: Option<MemberSort>,
    /// asc (default) or desc.
    #[param(inline)]
    order: Option<SortOrder>,
    /// 1-based page number, as deep as 10,000 rows (so at most 1001, with 10 per page); deeper, follow cursors.
    #[param(minimum = 1, maximum = 1001)]
    page: Option<u32>,
    /// Rows per page, 10–200 (default 25).
    #[param(minimum = 10, maximum = 200)]
    per_page: Option<u32>,
    /// A next_cursor or prev_cursor from an earlier answer.
    cursor: Option<String>,
    /// Only holders of this role (its id or key).
    #[param(example = "billing_manager")]
    role: Option<String>,
    /// Only members holding a license of this product (its key, as `GET /api/v1/products` lists them).
    #[param(example = "quote")]
    product: Option<String>,
    /// Dormant members: only those with no activity (no request with a session) in the last N
    /// days (1–3650) who have been members at least that long; members who never signed in are
    /// included. Works with the bulk actions, so "disable everyone inactive for 90 days" is one step.
    #[param(minimum = 1, maximum = 3650, example = 90)]
    inactive_days: Option<u32>,
    /// `true`: only members who never signed in. Cannot be combined with `inactive_days`.
    never_active: Option<bool>,
}

/// The `status` filter: statuses, `all`, or comma-separated lists of them, as [`query::members_list`] reads it.
fn status_filter_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    let one = "(active|disabled|invited|archived|all)";
    serde_json::from_value(serde_json::json!({
        "type": "array",
        "description": "One or several of active, disabled, invited, archived: repeat the parameter or separate with commas; `all` means no filter.",
        "items": {"type": "string", "pattern": format!("^{one}(,{one})*$"), "examples": ["active", "active,disabled"]},
    }))
    .expect("a well-formed schema")
}

/// Lists an organization's members. Needs `members:read`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/users", tag = "users",
    params(ListUsersParams),
    responses((status = 200, body = UserList)))]
pub async fn list_users(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<UserList>> {
    let req = query::members_list(raw.as_deref(), Strictness::Strict, state.app.clock.now())?;
    let list = roster_app::members::list_members(&state.app, &access, &req).await?;
    Ok(Json(user_list(&state, &access, list).await?))
}

/// Query parameters of the export (documentation of what [`query::members_export`] reads): the
/// list's filters and order, and the format. Paging parameters are refused: the file has every row.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ExportUsersParams {
    /// `csv` (UTF-8 with a byte order mark, CRLF line ends) or `xlsx` (an Excel workbook of one
    /// sheet). Either way a header row comes first: Email, First name, Last name, Roles, Products,
    /// Status, Last active, Created; cells beginning with =, +, -, @, a tab or a carriage return
    /// start with a `'` so that no spreadsheet runs them.
    #[param(pattern = "^(csv|xlsx)$")]
    format: String,
    /// As the list's `q`: a case-insensitive substring of the name or email, or a whole address.
    #[param(example = "smith")]
    q: Option<String>,
    /// As the list's `name`: a case-insensitive substring of the display name.
    name: Option<String>,
    /// As the list's `email`: a whole address, or a prefix (optionally ending in `*`).
    email: Option<String>,
    /// As the list's `status`: one or several of active, disabled, invited, archived.
    #[param(schema_with = status_filter_schema)]
    status: Option<Vec<MemberStatus>>,
    /// email (default), name, created or last_active.
    #[param(inline)]
    sort: Option<MemberSort>,
    /// asc (default) or desc.
    #[param(inline)]
    order: Option<SortOrder>,
    /// Only holders of this role (its id or key).
    #[param(example = "billing_manager")]
    role: Option<String>,
    /// Only members holding a license of this product (its key).
    #[param(example = "quote")]
    product: Option<String>,
    /// As the list's `inactive_days`: dormant members only (1–3650 days without activity).
    #[param(minimum = 1, maximum = 3650, example = 90)]
    inactive_days: Option<u32>,
    /// `true`: only members who never signed in.
    never_active: Option<bool>,
}

/// Exports the organization's members (with the same filters as the list) as CSV or XLSX,
/// streamed: read a batch at a time, whatever the organization's size. The members are those
/// the filter matched when the export began. Needs `members:read`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/users/export", tag = "users",
    params(ExportUsersParams),
    responses((status = 200, description = "The file, as an attachment",
        headers(("Content-Disposition" = String, description = "attachment; filename=\"{org}-users.csv\" (or .xlsx)")),
        content(
            (String = "text/csv", example = "\u{feff}Email,First name,Last name,Roles,Products,Status,Last active,Created\r\nann@acme.test,Ann,Lee,Admin; Billing Manager,Quote Assistant,Active,2026-11-22T14:05:09.123Z,2026-01-05T09:00:00Z\r\nbob@acme.test,'=HYPERLINK(\"x\"),,User,,Invited,,2026-11-20T08:00:00Z\r\n"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        ))))]
pub async fn export_users(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    roster_app::members::require_export(&access)?;
    let req = query::members_export(raw.as_deref(), Strictness::Strict, state.app.clock.now())?;
    let export = roster_app::members::export(&state.app, &access, &req).await?;
    Ok(crate::download::member_export(export))
}

/// One member. Needs `members:read`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/users/{id}", tag = "users",
    params(super::UserPath),
    responses((status = 200, body = UserItem)))]
pub async fn get_user(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<UserItem>> {
    let member = roster_app::members::get_member(&state.app, &access, query::id(&id, "member")?).await?;
    Ok(Json(UserItem::from(member).with_products(&state, &access).await?))
}

/// Changes to a member.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Morgan Member"}))]
pub struct UpdateUser {
    /// New display name (1–200 characters).
    pub name: String,
}

/// Renames a member. Needs `members:update`.
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/users/{id}", tag = "users", request_body = UpdateUser,
    params(super::UserPath),
    responses((status = 200, body = UserItem)))]
pub async fn update_user(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<UpdateUser>,
) -> ApiResult<Json<UserItem>> {
    let member =
        roster_app::members::rename_member(&state.app, &access, query::id(&id, "member")?, &body.name, &meta).await?;
    Ok(Json(UserItem::from(member).with_products(&state, &access).await?))
}

async fn change(
    state: AppState,
    access: OrgAccess,
    meta: roster_app::RequestMeta,
    id: String,
    change: StatusChange,
) -> ApiResult<Json<UserItem>> {
    let member =
        roster_app::members::change_status(&state.app, &access, query::id(&id, "member")?, change, &meta).await?;
    Ok(Json(UserItem::from(member).with_products(&state, &access).await?))
}

/// Disables a member and ends their sessions at once. Needs `members:update`.
/// The owner, and the last administrator, cannot be disabled (409).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/users/{id}/disable", tag = "users",
    params(super::UserPath),
    responses((status = 200, body = UserItem), (status = 409, body = Problem)))]
pub async fn disable_user(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<UserItem>> {
    change(state, access, meta, id, StatusChange::Disable).await
}

/// When a reset link sent to a member stops working.
#[derive(Serialize, ToSchema)]
pub struct ResetLinkSent {
    /// When the link expires (RFC 3339).
    pub expires_at: String,
}

/// "Send reset link": mails the member a link to choose a new password
/// (the administrator never sees it; it is hidden on Outbox pages). Needs
/// `members:update`, and the member within your reach: the owner only by the
/// owner, and not an archived member (409).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/users/{id}/password-reset", tag = "users",
    params(super::UserPath),
    responses((status = 202, body = ResetLinkSent, description = "The link is in the outbox"),
              (status = 409, body = Problem)))]
pub async fn send_password_reset(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<ResetLinkSent>)> {
    let sent = roster_app::password_reset::send_link(&state.app, &access, query::id(&id, "member")?, &meta).await?;
    Ok((StatusCode::ACCEPTED, Json(ResetLinkSent { expires_at: rfc3339(sent.expires_at) })))
}

/// Unlocks a member's account, locked after too many failed sign-ins.
/// Needs `members:update`, and the member within your reach (the owner only
/// by the owner); 409 `not-locked` when it is not locked.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/users/{id}/unlock", tag = "users",
    params(super::UserPath),
    responses((status = 204, description = "Unlocked"), (status = 409, body = Problem)))]
pub async fn unlock_user(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    roster_app::lockout::unlock_member(&state.app, &access, query::id(&id, "member")?, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Enables a disabled member. Needs `members:update`.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/users/{id}/enable", tag = "users",
    params(super::UserPath),
    responses((status = 200, body = UserItem), (status = 409, body = Problem)))]
pub async fn enable_user(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<UserItem>> {
    change(state, access, meta, id, StatusChange::Enable).await
}

/// Archives a member (keeps their history) and ends their sessions. Needs `members:update`.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/users/{id}/archive", tag = "users",
    params(super::UserPath),
    responses((status = 200, body = UserItem), (status = 409, body = Problem)))]
pub async fn archive_user(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<UserItem>> {
    change(state, access, meta, id, StatusChange::Archive).await
}

/// Restores an archived member to active. Needs `members:update`.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/users/{id}/restore", tag = "users",
    params(super::UserPath),
    responses((status = 200, body = UserItem), (status = 409, body = Problem)))]
pub async fn restore_user(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<UserItem>> {
    change(state, access, meta, id, StatusChange::Restore).await
}

/// The filter of a bulk change: the list's filter fields.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct BulkFilter {
    /// Case-insensitive substring of the name or email; a whole address matches the addresses
    /// beginning with it (as the list's `q`).
    #[serde(default)]
    pub q: String,
    /// Case-insensitive substring of the display name only (as the list's `name`).
    #[serde(default)]
    pub name: String,
    /// A whole address (exact), or a prefix ending in `*` or not a whole address (as the list's `email`).
    #[serde(default)]
    pub email: String,
    /// Statuses to include; empty or absent means all.
    #[serde(default)]
    pub status: Vec<MemberStatus>,
    /// Only holders of this role (its id or key).
    #[serde(default)]
    pub role: Option<String>,
    /// Only members holding a license of this product (its key; as the list's `product`).
    #[serde(default)]
    #[schema(example = "quote")]
    pub product: Option<String>,
    /// Only members with no activity in the last N days (as the list's `inactive_days`).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3650)]
    pub inactive_days: Option<u32>,
    /// Only members who never signed in (as the list's `never_active`).
    #[serde(default)]
    pub never_active: bool,
}

impl BulkFilter {
    /// The directory's filter these fields describe; a bad field is named
    /// as `filter.<field>` for the product, as the list names the others.
    pub(crate) fn to_filter(&self, state: &AppState, access: &OrgAccess) -> Result<MemberFilter, ApiError> {
        let role = roster_app::members::resolve_role_filter(access, self.role.as_deref())?;
        let product = match self.product.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            None => None,
            Some(p) => match roster_app::products::catalogue(&state.app).get(p) {
                Some(p) => Some(p.key.clone()),
                None => {
                    return Err(ValidationError::field("filter.product", format!("'{p}' is not a product")).into());
                }
            },
        };
        let activity = Activity::parse(
            self.inactive_days.map(|d| d.to_string()).as_deref(),
            Some(if self.never_active { "true" } else { "false" }),
            state.app.clock.now(),
        )?;
        let mut filter = MemberFilter::parse(&self.q, &self.name, &self.email, self.status.clone())?
            .with_role(role)
            .with_activity(activity);
        filter.product = product;
        Ok(filter)
    }
}

/// The changes a bulk request can make.
#[derive(Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BulkAction {
    /// Enables the disabled members matching the filter.
    Enable,
    /// Disables the active and invited members matching the filter.
    Disable,
}

impl From<BulkAction> for StatusChange {
    fn from(a: BulkAction) -> Self {
        match a {
            BulkAction::Enable => StatusChange::Enable,
            BulkAction::Disable => StatusChange::Disable,
        }
    }
}

/// A bulk change request.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"action": "disable", "filter": {"status": ["active"], "inactive_days": 90}, "dry_run": true}))]
pub struct BulkRequest {
    /// `enable` or `disable`.
    pub action: BulkAction,
    /// Which members (every one matching, not just a page).
    #[serde(default)]
    pub filter: BulkFilter,
    /// Only count what would change.
    #[serde(default)]
    pub dry_run: bool,
}

/// What a bulk change did (or, with `dry_run`, would do).
#[derive(Serialize, ToSchema)]
pub struct BulkResult {
    /// Members changed.
    pub changed: u64,
    /// Matching members left alone because a rule protects them (the owner,
    /// yourself when disabling, members holding permissions you lack).
    pub skipped: u64,
    /// Whether this was only a count.
    pub dry_run: bool,
}

/// Enables or disables every member matching a filter, auditing each one.
/// Needs `members:update`.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/users/bulk", tag = "users", request_body = BulkRequest,
    responses((status = 200, body = BulkResult)))]
pub async fn bulk_users(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<BulkRequest>,
) -> ApiResult<Json<BulkResult>> {
    let filter = body.filter.to_filter(&state, &access)?;
    let action = body.action.into();
    if body.dry_run {
        let p = roster_app::members::preview_bulk(&state.app, &access, action, &filter).await?;
        return Ok(Json(BulkResult { changed: p.changed, skipped: p.skipped.total(), dry_run: true }));
    }
    let o = roster_app::members::bulk_change(&state.app, &access, action, &filter, &meta).await?;
    Ok(Json(BulkResult { changed: o.changed, skipped: o.skipped.total(), dry_run: false }))
}
