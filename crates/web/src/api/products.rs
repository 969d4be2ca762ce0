//! Products and licenses: the catalogue (`/api/v1/products`), an
//! organization's subscriptions (`/api/v1/orgs/{org}/products`: seats,
//! trials, settings), the holders of a product, a member's licenses
//! (`…/users/{id}/products`) and bulk changes (`…/licenses/bulk`).

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use roster_app::products::{BulkLicenseOutcome, BulkLicenses, ProductView, SubscriptionPatch};
use roster_domain::ValidationError;
use roster_domain::products::{Product, SettingKind, SubscriptionState};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::members::{BulkFilter, UserList, user_list};
use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, Authenticated, Meta, OrgApi};
use crate::format::rfc3339;
use crate::query::{self, Strictness};

/// The `{key}` of a product's paths.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ProductPath {
    /// The product's key (`GET /api/v1/products` lists them).
    #[param(example = "quote")]
    pub key: String,
}

/// The kind of value a product setting holds.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SettingKindBody {
    /// `true` or `false`.
    Bool,
    /// A line of text, at most 200 characters.
    Text,
    /// A whole number.
    Number,
}

impl From<SettingKind> for SettingKindBody {
    fn from(k: SettingKind) -> Self {
        match k {
            SettingKind::Bool => Self::Bool,
            SettingKind::Text => Self::Text,
            SettingKind::Number => Self::Number,
        }
    }
}

/// A setting of a product, as the catalogue declares it.
#[derive(Serialize, ToSchema)]
pub struct SettingItem {
    /// Its key in a subscription's `settings`.
    pub key: String,
    /// What people read.
    pub label: String,
    /// The kind of its value.
    pub kind: SettingKindBody,
    /// Its value until an organization changes it.
    #[schema(schema_with = setting_value_schema)]
    pub default: serde_json::Value,
}

/// A setting's value: a boolean, a line of text or a whole number, as its kind says.
fn setting_value_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    serde_json::from_value(serde_json::json!({
        "type": ["boolean", "string", "integer"],
        "description": "A boolean, a line of text or a whole number, as the setting's kind says.",
    }))
    .expect("a well-formed schema")
}

/// An organization's values of a product's settings.
fn settings_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    serde_json::from_value(serde_json::json!({
        "type": "object",
        "description": "Setting key → value (the catalogue's default where the organization set none).",
        "additionalProperties": {"type": ["boolean", "string", "integer"]},
        "example": {"auto_submit": true, "default_carrier": "Acme Mutual"},
    }))
    .expect("a well-formed schema")
}

/// A product of the catalogue.
#[derive(Serialize, ToSchema)]
pub struct CatalogueItem {
    /// Its key.
    #[schema(example = "quote")]
    pub key: String,
    /// Its name.
    #[schema(example = "Quote Assistant")]
    pub name: String,
    /// What it is.
    pub description: String,
    /// The settings each organization may change, in display order.
    pub settings: Vec<SettingItem>,
}

impl From<&Product> for CatalogueItem {
    fn from(p: &Product) -> Self {
        Self {
            key: p.key.to_string(),
            name: p.name.clone(),
            description: p.description.clone(),
            settings: p
                .settings
                .iter()
                .map(|s| SettingItem {
                    key: s.key.clone(),
                    label: s.label.clone(),
                    kind: s.kind.into(),
                    default: s.default.clone(),
                })
                .collect(),
        }
    }
}

/// The deployment's catalogue.
#[derive(Serialize, ToSchema)]
pub struct CatalogueList {
    /// The products, in display order.
    pub items: Vec<CatalogueItem>,
}

/// A subscription's state now.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProductStatus {
    /// A trial before its end: its licenses grant the product.
    Trial,
    /// Paid.
    Active,
    /// A trial past its end, not converted: its licenses grant nothing.
    Expired,
    /// Canceled: its licenses stay assigned but grant nothing.
    Canceled,
}

impl From<SubscriptionState> for ProductStatus {
    fn from(s: SubscriptionState) -> Self {
        match s {
            SubscriptionState::Trial => Self::Trial,
            SubscriptionState::Active => Self::Active,
            SubscriptionState::Expired => Self::Expired,
            SubscriptionState::Canceled => Self::Canceled,
        }
    }
}

/// A trial: its period and who started it.
#[derive(Serialize, ToSchema)]
pub struct TrialItem {
    /// When it started (RFC 3339).
    pub starts_at: String,
    /// When it ends (RFC 3339): from then on its licenses grant nothing until it is converted.
    pub ends_at: String,
    /// Who started it (an email, or `cli`).
    pub started_by: String,
    /// The user who started it, or null when the command line did.
    pub started_by_id: Option<Uuid>,
    /// Whole days left (0 once ended); null once converted to paid.
    pub days_left: Option<i64>,
}

/// A product the organization subscribes to, with its seats.
#[derive(Serialize, ToSchema)]
pub struct ProductItem {
    /// The product's key.
    #[schema(example = "quote")]
    pub key: String,
    /// Its name.
    #[schema(example = "Quote Assistant")]
    pub name: String,
    /// What it is.
    pub description: String,
    /// The subscription's state now: `trial`, `active`, `expired` (a trial past its end) or `canceled`.
    pub status: ProductStatus,
    /// Seats bought (or given for the trial).
    pub license_count: i64,
    /// Licenses assigned (to members of any status but archived).
    pub used: i64,
    /// Seats not assigned.
    pub free: i64,
    /// Licenses held by disabled members: seats that grant nothing and may be reclaimed.
    pub held_by_disabled: i64,
    /// The trial, when the subscription began as one (kept after conversion), or null.
    pub trial: Option<TrialItem>,
    /// The product's settings with the organization's values.
    #[schema(schema_with = settings_schema)]
    pub settings: serde_json::Map<String, serde_json::Value>,
}

impl From<ProductView> for ProductItem {
    fn from(v: ProductView) -> Self {
        let free = v.free();
        let s = v.subscription;
        Self {
            key: v.product.key.to_string(),
            name: v.product.name,
            description: v.product.description,
            status: v.state.into(),
            license_count: s.license_count,
            used: s.used,
            free,
            held_by_disabled: s.held_by_disabled,
            trial: s.trial.map(|t| TrialItem {
                starts_at: rfc3339(t.starts_at),
                ends_at: rfc3339(t.ends_at),
                started_by: t.started_by_label,
                started_by_id: t.started_by.map(|u| u.0),
                days_left: v.days_left,
            }),
            settings: v.settings.into_iter().map(|s| (s.setting.key, s.value)).collect(),
        }
    }
}

/// An organization's products.
#[derive(Serialize, ToSchema)]
pub struct ProductList {
    /// The products it subscribes to, in catalogue order.
    pub items: Vec<ProductItem>,
}

/// Lists the deployment's catalogue: every product an organization may
/// subscribe to, with its settings. Any signed-in user.
#[utoipa::path(get, path = "/api/v1/products", tag = "products",
    responses((status = 200, body = CatalogueList)))]
pub async fn list_catalogue(State(state): State<AppState>, _auth: Authenticated) -> ApiResult<Json<CatalogueList>> {
    let catalogue = roster_app::products::catalogue(&state.app);
    Ok(Json(CatalogueList { items: catalogue.products.iter().map(Into::into).collect() }))
}

/// Lists the organization's products with their seats (license count,
/// used, free, held by disabled members), trial and settings. Needs
/// `licenses:read` or `subscriptions:read`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/products", tag = "products",
    responses((status = 200, body = ProductList)))]
pub async fn list_products(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
) -> ApiResult<Json<ProductList>> {
    let items = roster_app::products::list_products(&state.app, &access).await?;
    Ok(Json(ProductList { items: items.into_iter().map(Into::into).collect() }))
}

/// One of the organization's products; 404 when it does not subscribe to
/// it. Needs `licenses:read` or `subscriptions:read`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/products/{key}", tag = "products",
    params(ProductPath),
    responses((status = 200, body = ProductItem)))]
pub async fn get_product(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Path((_, key)): Path<(String, String)>,
) -> ApiResult<Json<ProductItem>> {
    Ok(Json(roster_app::products::get_product(&state.app, &access, &key).await?.into()))
}

/// A change to a subscription, or a new one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"license_count": 25, "settings": {"auto_submit": true}}))]
pub struct UpdateProduct {
    /// Seats (0–10,000,000); required to subscribe. Lower than the licenses in use is refused
    /// (409 `seats-in-use`, naming how many to free first).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub license_count: Option<i64>,
    /// `canceled` cancels (licenses stay assigned but grant nothing); `active` reactivates a
    /// canceled subscription. A trial becomes paid with `POST …/convert`.
    #[serde(default)]
    #[schema(pattern = "^(active|canceled)$")]
    pub status: Option<String>,
    /// Settings to change (key → value); the others keep their values. Each is checked against
    /// its kind in the catalogue (422 naming `settings.<key>`).
    #[serde(default)]
    #[schema(schema_with = settings_schema)]
    pub settings: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Subscribes the organization to a catalogue product (`license_count`
/// required), or changes its subscription: seats, cancellation or
/// reactivation, settings. Answers 200 with the product in both cases (a
/// request that changes nothing answers it too). Lowering the seats below
/// the licenses in use answers 409 `seats-in-use` with the number to free
/// first; changing a trial's status, 409 `subscription-state`. Needs
/// `subscriptions:update`.
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/products/{key}", tag = "products", request_body = UpdateProduct,
    params(ProductPath),
    responses((status = 200, body = ProductItem, description = "Subscribed, or changed"),
              (status = 409, body = Problem)))]
pub async fn update_product(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, key)): Path<(String, String)>,
    ApiJson(body): ApiJson<UpdateProduct>,
) -> ApiResult<Json<ProductItem>> {
    let patch = SubscriptionPatch { license_count: body.license_count, status: body.status, settings: body.settings };
    Ok(Json(roster_app::products::update_subscription(&state.app, &access, &key, &patch, &meta).await?.into()))
}

/// A trial to start.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"days": 14, "license_count": 5}))]
pub struct StartTrial {
    /// Its length in days, 1–365 (default 30).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 365)]
    pub days: Option<i64>,
    /// Its seats, 0–10,000,000 (default 10).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub license_count: Option<i64>,
}

/// Starts a trial of a product the organization has never subscribed to;
/// who started it and when are kept. From its end its licenses grant
/// nothing until it is converted (`POST …/convert`). A product subscribed
/// to, or tried, before answers 409 `subscription-state`. Needs
/// `subscriptions:update`.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/products/{key}/trial", tag = "products", request_body = StartTrial,
    params(ProductPath),
    responses((status = 201, body = ProductItem, description = "The trial started"),
              (status = 409, body = Problem)))]
pub async fn start_trial(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, key)): Path<(String, String)>,
    ApiJson(body): ApiJson<StartTrial>,
) -> ApiResult<(StatusCode, Json<ProductItem>)> {
    let view =
        roster_app::products::start_trial(&state.app, &access, &key, body.days, body.license_count, &meta).await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// Converts a trial, running or ended, to paid: its licenses stay assigned
/// and grant the product again. A subscription that is not a trial answers
/// 409 `subscription-state`. Needs `subscriptions:update`.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/products/{key}/convert", tag = "products",
    params(ProductPath),
    responses((status = 200, body = ProductItem), (status = 409, body = Problem)))]
pub async fn convert_trial(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, key)): Path<(String, String)>,
) -> ApiResult<Json<ProductItem>> {
    Ok(Json(roster_app::products::convert(&state.app, &access, &key, &meta).await?.into()))
}

/// Query parameters of a product's members (documentation of what
/// [`query::product_members`] reads).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, reason = "documents the query; the handler reads it with query::product_members")]
pub struct ProductMembersParams {
    /// Case-insensitive substring of the name or email (as the Users list's `q`).
    #[param(example = "smith")]
    q: Option<String>,
    /// One or several of active, disabled, invited (repeat the parameter or separate with commas;
    /// archived members hold no licenses).
    #[param(example = "active,disabled")]
    status: Option<String>,
    /// email (default), name, created or last_active.
    #[param(inline)]
    sort: Option<roster_domain::MemberSort>,
    /// asc (default) or desc.
    #[param(inline)]
    order: Option<roster_domain::SortOrder>,
    /// Rows per page, 10–200 (default 25).
    #[param(minimum = 10, maximum = 200)]
    per_page: Option<u32>,
    /// A next_cursor or prev_cursor from an earlier answer.
    cursor: Option<String>,
}

/// Lists the members holding a license of the product, paged by keyset
/// and searchable like the Users list (whose `?product=` filter answers the
/// same members). 404 when the organization does not subscribe to the
/// product. Needs `licenses:read` or `subscriptions:read`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/products/{key}/members", tag = "products",
    params(ProductPath, ProductMembersParams),
    responses((status = 200, body = UserList)))]
pub async fn list_product_members(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Path((_, key)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<UserList>> {
    let req = query::product_members(raw.as_deref(), Strictness::Strict, state.app.clock.now())?;
    let list = roster_app::products::list_holders(&state.app, &access, &key, &req).await?;
    Ok(Json(user_list(&state, &access, list).await?))
}

/// A member's licenses.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"products": ["quote", "analytics"]}))]
pub struct MemberProducts {
    /// Product keys.
    pub products: Vec<String>,
}

/// The products a member holds licenses of. Needs `members:read` (your
/// own: none).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/users/{id}/products", tag = "products",
    params(super::UserPath),
    responses((status = 200, body = MemberProducts)))]
pub async fn get_member_products(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<MemberProducts>> {
    let held = roster_app::products::member_products(&state.app, &access, query::id(&id, "member")?).await?;
    Ok(Json(MemberProducts { products: held.into_iter().map(String::from).collect() }))
}

/// Sets a member's licenses to exactly `products`, in one change (one
/// audit event). A product the organization does not subscribe to answers
/// 422 naming `products[i]`; a canceled one 409 `subscription-state`; when
/// no seat is free, 409 `no-seats` with the product's `seats`. Needs
/// `licenses:update`, and the member within your reach (403 `escalation`
/// for one holding permissions you lack); not for an archived member (409).
#[utoipa::path(put, path = "/api/v1/orgs/{org}/users/{id}/products", tag = "products", request_body = MemberProducts,
    params(super::UserPath),
    responses((status = 200, body = MemberProducts, description = "The member's licenses now"),
              (status = 409, body = Problem)))]
pub async fn set_member_products(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<MemberProducts>,
) -> ApiResult<Json<MemberProducts>> {
    let user = query::id(&id, "member")?;
    let held = roster_app::products::set_member_products(&state.app, &access, user, &body.products, &meta).await?;
    Ok(Json(MemberProducts { products: held.into_iter().map(String::from).collect() }))
}

/// One cell of the members × products grid.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LicenseCell {
    /// The member's user id.
    pub user: String,
    /// The product's key.
    pub product: String,
}

/// What a filtered bulk change does to every matching member.
#[derive(Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LicenseAction {
    /// Assign the product to each matching member who lacks it.
    Assign,
    /// Remove it from each matching member who holds it.
    Remove,
}

/// Cells of the grid to tick and untick.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code, reason = "documents the body; the handler reads it as BulkLicensesBody")]
pub struct BulkCells {
    /// Licenses to assign (at most 10,000 cells in all).
    #[serde(default)]
    pub assign: Vec<LicenseCell>,
    /// Licenses to remove.
    #[serde(default)]
    pub remove: Vec<LicenseCell>,
    /// Only preview: answer what would change (seats short by N show as `seats_after` −N).
    #[serde(default)]
    pub dry_run: bool,
}

/// One product for every member matching a filter.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code, reason = "documents the body; the handler reads it as BulkLicensesBody")]
pub struct BulkByFilter {
    /// The product's key.
    pub product: String,
    /// Which members: the Users list's filter fields (archived members never match).
    #[serde(default)]
    pub filter: BulkFilter,
    /// `assign` or `remove`.
    pub action: LicenseAction,
    /// Only preview: answer what would change.
    #[serde(default)]
    pub dry_run: bool,
}

/// Cells, or a product and a filter.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code, reason = "documents the body; the handler reads it as BulkLicensesBody")]
#[schema(example = json!({"product": "quote", "filter": {"status": ["active"]}, "action": "assign", "dry_run": true}))]
pub enum BulkLicensesRequest {
    /// Cells of the grid: `{"assign": [{"user", "product"}], "remove": […]}`.
    Cells(BulkCells),
    /// `{"product", "filter", "action"}`.
    Filter(BulkByFilter),
}

/// The body of `POST …/licenses/bulk` as read: the fields of both shapes, told apart by which are given.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkLicensesBody {
    #[serde(default)]
    assign: Option<Vec<LicenseCell>>,
    #[serde(default)]
    remove: Option<Vec<LicenseCell>>,
    #[serde(default)]
    product: Option<String>,
    #[serde(default)]
    filter: Option<BulkFilter>,
    #[serde(default)]
    action: Option<LicenseAction>,
    #[serde(default)]
    dry_run: bool,
}

impl BulkLicensesBody {
    /// The change asked for; a body mixing the two shapes, or a filtered
    /// one without its product or action, is refused naming the fields.
    fn request(self, state: &AppState, access: &roster_app::access::OrgAccess) -> ApiResult<BulkLicenses> {
        let cells = |v: Option<Vec<LicenseCell>>| -> Vec<(String, String)> {
            v.unwrap_or_default().into_iter().map(|c| (c.user, c.product)).collect()
        };
        let by_filter = self.product.is_some() || self.filter.is_some() || self.action.is_some();
        if !by_filter {
            return Ok(BulkLicenses::Cells { assign: cells(self.assign), remove: cells(self.remove) });
        }
        let mut errors = ValidationError { errors: vec![] };
        for (field, given) in [("assign", self.assign.is_some()), ("remove", self.remove.is_some())] {
            if given {
                errors.merge(ValidationError::field(field, "cells cannot be combined with product, filter and action"));
            }
        }
        for (field, missing) in [("product", self.product.is_none()), ("action", self.action.is_none())] {
            if missing {
                errors.merge(ValidationError::field(field, "is required with a filter"));
            }
        }
        let (Some(product), Some(action), true) = (self.product, self.action, errors.errors.is_empty()) else {
            return Err(errors.into());
        };
        let filter = self.filter.unwrap_or_default().to_filter(state, access)?;
        Ok(BulkLicenses::Filter { product, filter, assign: matches!(action, LicenseAction::Assign) })
    }
}

/// What a bulk change did, or (a dry run) would do.
#[derive(Serialize, ToSchema)]
pub struct BulkLicensesResult {
    /// Licenses assigned.
    pub assigned: u64,
    /// Licenses removed.
    pub removed: u64,
    /// Cells, or matching members, already as asked.
    pub unchanged: u64,
    /// Members left alone: they hold permissions you lack.
    pub skipped: u64,
    /// Free seats after the change, per product touched (negative in a dry run: short by that many).
    #[schema(example = json!({"quote": 3}))]
    pub seats_after: std::collections::BTreeMap<String, i64>,
    /// Whether this was only a preview.
    pub dry_run: bool,
}

impl From<BulkLicenseOutcome> for BulkLicensesResult {
    fn from(o: BulkLicenseOutcome) -> Self {
        Self {
            assigned: o.assigned,
            removed: o.removed,
            unchanged: o.unchanged,
            skipped: o.skipped,
            seats_after: o.seats_after,
            dry_run: o.dry_run,
        }
    }
}

/// Assigns and removes many licenses in one transaction: cells of the
/// members × products grid, or one product for every member matching the
/// Users list's filter. `dry_run` previews with the same code and changes
/// nothing. When the seats would not suffice, 409 `no-seats` before
/// anything changes. One audit event per member changed, plus one for the
/// bulk change. Members holding permissions you lack are skipped (cells:
/// counted as `skipped` too). Needs `licenses:update`.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/licenses/bulk", tag = "products", request_body = BulkLicensesRequest,
    responses((status = 200, body = BulkLicensesResult), (status = 409, body = Problem)))]
pub async fn bulk_licenses(
    State(state): State<AppState>,
    OrgApi { access, .. }: OrgApi,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<BulkLicensesBody>,
) -> ApiResult<Json<BulkLicensesResult>> {
    let dry_run = body.dry_run;
    let req = body.request(&state, &access)?;
    Ok(Json(roster_app::products::bulk_licenses(&state.app, &access, &req, dry_run, &meta).await?.into()))
}
