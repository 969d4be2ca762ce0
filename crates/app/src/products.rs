//! Products: the catalogue, an organization's subscriptions (seats, trials,
//! settings) and its members' licenses, one by one or in bulk.
//!
//! Seeing the Products tab needs `licenses:read` or `subscriptions:read`;
//! changing seats, trials, settings and cancellations needs
//! `subscriptions:update`; assigning and removing licenses needs
//! `licenses:update`, and the member must be within the actor's reach (no
//! escalation, as for any change to a member). Every change takes the
//! organization's lock through [`change::begin`], so two assignments never
//! both take the last seat; the store's conditional counter keeps it too.

use std::collections::{BTreeMap, BTreeSet};

use roster_domain::audit::{AuditAction, AuditEntry};
use roster_domain::products::{
    self as domain, Catalogue, Product, ProductKey, ProductSetting, Subscription, SubscriptionState,
    SubscriptionStatus, Trial,
};
use roster_domain::{MemberFilter, MemberStatus, Timestamp, UserId, ValidationError};
use roster_store::{members, products as store};

use crate::access::{OrgAccess, Permission};
use crate::change::{self, Change};
use crate::error::Result;
use crate::invariants::may_change_member;
use crate::policy::load_effective;
use crate::{App, AppError, ConflictKind, RequestMeta};

/// The deployment's catalogue (`GET /api/v1/products`).
pub fn catalogue(app: &App) -> &Catalogue {
    &app.config.catalogue
}

/// A setting of a product with the organization's value.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingValue {
    /// The setting as the catalogue declares it.
    pub setting: ProductSetting,
    /// The organization's value (the default where it set none).
    pub value: serde_json::Value,
}

/// A product the organization subscribes to, as the Products tab shows it.
#[derive(Debug, Clone)]
pub struct ProductView {
    /// The catalogue's product.
    pub product: Product,
    /// The subscription.
    pub subscription: Subscription,
    /// Its state now (a trial past its end is expired).
    pub state: SubscriptionState,
    /// For a trial: whole days left (0 once ended).
    pub days_left: Option<i64>,
    /// The product's settings with the organization's values.
    pub settings: Vec<SettingValue>,
}

impl ProductView {
    fn new(product: &Product, subscription: Subscription, now: Timestamp) -> Self {
        let state = subscription.state(now);
        let days_left = match (subscription.status, &subscription.trial) {
            (SubscriptionStatus::Trial, Some(t)) => Some(t.days_left(now)),
            _ => None,
        };
        let settings = product
            .settings
            .iter()
            .map(|s| SettingValue {
                setting: s.clone(),
                value: subscription.settings.get(&s.key).cloned().unwrap_or_else(|| s.default.clone()),
            })
            .collect();
        Self { product: product.clone(), subscription, state, days_left, settings }
    }

    /// Seats not assigned.
    pub fn free(&self) -> i64 {
        self.subscription.free()
    }
}

/// Whether the actor may see the Products tab (`licenses:read` or `subscriptions:read`).
pub fn may_view(access: &OrgAccess) -> bool {
    access.can(Permission::LICENSES_READ) || access.can(Permission::SUBSCRIPTIONS_READ)
}

/// Whether the actor may assign and remove licenses.
pub fn may_assign(access: &OrgAccess) -> bool {
    access.can(Permission::LICENSES_UPDATE)
}

/// Whether the actor may change seats, trials, settings and cancellations.
pub fn may_manage_subscriptions(access: &OrgAccess) -> bool {
    access.can(Permission::SUBSCRIPTIONS_UPDATE)
}

fn require_view(access: &OrgAccess) -> Result<()> {
    if may_view(access) { Ok(()) } else { access.require(Permission::LICENSES_READ) }
}

/// A catalogue product by key, or 404 (unknown keys and malformed ones alike).
fn product<'a>(app: &'a App, key: &str) -> Result<&'a Product> {
    app.config.catalogue.get(key.trim()).ok_or(AppError::NotFound("product"))
}

/// The organization's products (those it subscribes to, in catalogue order).
pub async fn list_products(app: &App, access: &OrgAccess) -> Result<Vec<ProductView>> {
    require_view(access)?;
    let subs = store::list_subscriptions(&mut app.db.conn().await?, access.org.id).await?;
    let now = app.clock.now();
    Ok(app
        .config
        .catalogue
        .products
        .iter()
        .filter_map(|p| subs.iter().find(|s| s.product == p.key).map(|s| ProductView::new(p, s.clone(), now)))
        .collect())
}

/// One of the organization's products; 404 when it does not subscribe to it.
pub async fn get_product(app: &App, access: &OrgAccess, key: &str) -> Result<ProductView> {
    require_view(access)?;
    let p = product(app, key)?;
    let s = store::find_subscription(&mut app.db.conn().await?, access.org.id, &p.key)
        .await?
        .ok_or(AppError::NotFound("product"))?;
    Ok(ProductView::new(p, s, app.clock.now()))
}

/// Catalogue products the organization does not subscribe to yet (what
/// the Products tab offers to subscribe to or try).
pub async fn unsubscribed(app: &App, access: &OrgAccess) -> Result<Vec<Product>> {
    require_view(access)?;
    let subs = store::list_subscriptions(&mut app.db.conn().await?, access.org.id).await?;
    Ok(app.config.catalogue.products.iter().filter(|p| !subs.iter().any(|s| s.product == p.key)).cloned().collect())
}

/// A change to a subscription: any of its seats, its status (`active` to
/// reactivate a canceled one, `canceled` to cancel) and its settings.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionPatch {
    /// New license count.
    pub license_count: Option<i64>,
    /// `active` or `canceled`.
    pub status: Option<String>,
    /// Settings to change (others keep their values).
    pub settings: Option<serde_json::Map<String, serde_json::Value>>,
}

fn seats_in_use(product: &Product, s: &Subscription, wanted: i64) -> AppError {
    AppError::conflict(
        ConflictKind::SeatsInUse,
        format!(
            "{} of {}'s seats are assigned; free {} first (remove licenses), or keep at least {} seats",
            s.used,
            product.name,
            s.used - wanted,
            s.used
        ),
    )
}

/// Subscribes the organization to a catalogue product (with `license_count`)
/// or changes its subscription. Lowering the seats below the licenses in
/// use is refused with the number to free first.
pub async fn update_subscription(
    app: &App,
    access: &OrgAccess,
    key: &str,
    patch: &SubscriptionPatch,
    meta: &RequestMeta,
) -> Result<ProductView> {
    access.require(Permission::SUBSCRIPTIONS_UPDATE)?;
    let p = product(app, key)?;
    let mut errors = ValidationError { errors: vec![] };
    let count = match patch.license_count.map(domain::check_license_count).transpose() {
        Ok(c) => c,
        Err(e) => {
            errors.merge(e);
            None
        }
    };
    let status = match patch.status.as_deref().map(str::trim) {
        None => None,
        Some("active") => Some(SubscriptionStatus::Active),
        Some("canceled") => Some(SubscriptionStatus::Canceled),
        Some(other) => {
            errors.merge(ValidationError::field(
                "status",
                format!("'{other}' is not a status to set: active or canceled (trials start with POST …/trial)"),
            ));
            None
        }
    };
    let mut settings_changed = serde_json::Map::new();
    for (k, v) in patch.settings.iter().flatten() {
        match p.settings.iter().find(|s| &s.key == k) {
            None => {
                errors.merge(ValidationError::field(format!("settings.{k}"), format!("is not a setting of {}", p.name)))
            }
            Some(s) => match s.check(&format!("settings.{k}"), v) {
                Ok(v) => {
                    settings_changed.insert(k.clone(), v);
                }
                Err(e) => errors.merge(e),
            },
        }
    }
    if !errors.errors.is_empty() {
        return Err(errors.into());
    }
    let mut change = change::begin(app, access, Permission::SUBSCRIPTIONS_UPDATE, meta).await?;
    let org = change.access.org.id;
    let existing = store::find_subscription(&mut change.tx, org, &p.key).await?;
    let saved = match existing {
        None => {
            let Some(license_count) = count else {
                return Err(ValidationError::field(
                    "license_count",
                    format!("is required to subscribe to {} (or start a trial)", p.name),
                )
                .into());
            };
            if status == Some(SubscriptionStatus::Canceled) {
                return Err(ValidationError::field("status", "a new subscription cannot start canceled").into());
            }
            let mut s = Subscription {
                product: p.key.clone(),
                status: SubscriptionStatus::Active,
                license_count,
                used: 0,
                held_by_disabled: 0,
                trial: None,
                settings: Default::default(),
                created_at: change.now,
                updated_at: change.now,
            };
            s.settings.extend(settings_changed.clone());
            store::insert_subscription(&mut change.tx, org, &s).await?;
            let mut after = serde_json::json!({"status": "active", "license_count": license_count});
            if !settings_changed.is_empty() {
                after["settings"] = serde_json::Value::Object(settings_changed);
            }
            change.record(AuditEntry::new(AuditAction::SubscriptionCreated, &p.key).after(after));
            s
        }
        Some(old) => {
            let mut s = old.clone();
            if let Some(c) = count {
                s.license_count = c;
            }
            if let Some(st) = status {
                s.status = match (old.status, st) {
                    (SubscriptionStatus::Trial, SubscriptionStatus::Active) => {
                        return Err(AppError::conflict(
                            ConflictKind::SubscriptionState,
                            format!("{} is a trial: convert it to paid (POST …/convert)", p.name),
                        ));
                    }
                    (_, st) => st,
                };
            }
            s.settings.extend(settings_changed.clone());
            s.updated_at = change.now;
            let mut before = serde_json::Map::new();
            let mut after = serde_json::Map::new();
            if s.license_count != old.license_count {
                before.insert("license_count".into(), old.license_count.into());
                after.insert("license_count".into(), s.license_count.into());
            }
            if s.status != old.status {
                before.insert("status".into(), old.state(change.now).as_str().into());
                after.insert("status".into(), s.state(change.now).as_str().into());
            }
            let changed_settings: serde_json::Map<String, serde_json::Value> =
                settings_changed.into_iter().filter(|(k, v)| old.settings.get(k) != Some(v)).collect();
            if !changed_settings.is_empty() {
                let old_values = changed_settings
                    .keys()
                    .map(|k| {
                        let d = p.settings.iter().find(|s| &s.key == k).map(|s| s.default.clone());
                        (k.clone(), old.settings.get(k).cloned().or(d).unwrap_or_default())
                    })
                    .collect();
                before.insert("settings".into(), serde_json::Value::Object(old_values));
                after.insert("settings".into(), serde_json::Value::Object(changed_settings));
            }
            if before.is_empty() && after.is_empty() {
                return Ok(ProductView::new(p, old, change.now));
            }
            if !store::update_subscription(&mut change.tx, org, &s).await? {
                return Err(seats_in_use(p, &old, s.license_count));
            }
            change.record(
                AuditEntry::new(AuditAction::SubscriptionChanged, &p.key)
                    .before(serde_json::Value::Object(before))
                    .after(serde_json::Value::Object(after)),
            );
            s
        }
    };
    let now = change.now;
    change.commit().await?;
    Ok(ProductView::new(p, saved, now))
}

/// Starts a trial of a product the organization has never subscribed to:
/// `days` long (30 by default), with `license_count` seats (10 by default);
/// who started it and when are kept. Its licenses grant nothing from its
/// end until it is converted to paid.
pub async fn start_trial(
    app: &App,
    access: &OrgAccess,
    key: &str,
    days: Option<i64>,
    license_count: Option<i64>,
    meta: &RequestMeta,
) -> Result<ProductView> {
    access.require(Permission::SUBSCRIPTIONS_UPDATE)?;
    let p = product(app, key)?;
    let mut errors = ValidationError { errors: vec![] };
    let days = domain::check_trial_days(days.unwrap_or(domain::DEFAULT_TRIAL_DAYS)).map_err(|e| errors.merge(e)).ok();
    let seats = domain::check_license_count(license_count.unwrap_or(domain::DEFAULT_TRIAL_LICENSES))
        .map_err(|e| errors.merge(e))
        .ok();
    let (Some(days), Some(seats)) = (days, seats) else { return Err(errors.into()) };
    let mut change = change::begin(app, access, Permission::SUBSCRIPTIONS_UPDATE, meta).await?;
    let org = change.access.org.id;
    if let Some(old) = store::find_subscription(&mut change.tx, org, &p.key).await? {
        let detail = match (&old.trial, old.state(change.now)) {
            (Some(_), SubscriptionState::Trial) => format!("{} is already in its trial", p.name),
            (Some(_), _) => format!("{} has had its trial; subscribe to it instead", p.name),
            (None, _) => format!("the organization already subscribes to {}", p.name),
        };
        return Err(AppError::conflict(ConflictKind::SubscriptionState, detail));
    }
    let actor = &change.access.actor;
    let trial = Trial::starting(change.now, days, actor.user_id(), actor.label());
    let s = Subscription {
        product: p.key.clone(),
        status: SubscriptionStatus::Trial,
        license_count: seats,
        used: 0,
        held_by_disabled: 0,
        trial: Some(trial.clone()),
        settings: Default::default(),
        created_at: change.now,
        updated_at: change.now,
    };
    store::insert_subscription(&mut change.tx, org, &s).await?;
    change.record(
        AuditEntry::new(AuditAction::SubscriptionTrialStarted, &p.key)
            .after(serde_json::json!({"status": "trial", "license_count": seats}))
            .with("days", days)
            .with("ends_at", trial.ends_at.0),
    );
    let now = change.now;
    change.commit().await?;
    Ok(ProductView::new(p, s, now))
}

/// Converts a trial (running or ended) to paid: its licenses stay assigned
/// and grant the product again.
pub async fn convert(app: &App, access: &OrgAccess, key: &str, meta: &RequestMeta) -> Result<ProductView> {
    access.require(Permission::SUBSCRIPTIONS_UPDATE)?;
    let p = product(app, key)?;
    let mut change = change::begin(app, access, Permission::SUBSCRIPTIONS_UPDATE, meta).await?;
    let org = change.access.org.id;
    let old = store::find_subscription(&mut change.tx, org, &p.key).await?.ok_or(AppError::NotFound("product"))?;
    if old.status != SubscriptionStatus::Trial {
        return Err(AppError::conflict(
            ConflictKind::SubscriptionState,
            format!("{} is {}, not a trial; only a trial is converted to paid", p.name, old.state(change.now)),
        ));
    }
    let mut s = old.clone();
    s.status = SubscriptionStatus::Active;
    s.updated_at = change.now;
    store::update_subscription(&mut change.tx, org, &s).await?;
    change.record(
        AuditEntry::new(AuditAction::SubscriptionConverted, &p.key)
            .before(serde_json::json!({"status": old.state(change.now).as_str()}))
            .after(serde_json::json!({"status": "active"})),
    );
    let now = change.now;
    change.commit().await?;
    Ok(ProductView::new(p, s, now))
}

/// The products a member holds licenses of (needs `members:read`; a member
/// may always read their own).
pub async fn member_products(app: &App, access: &OrgAccess, user: UserId) -> Result<Vec<ProductKey>> {
    if access.actor.user_id() != Some(user) {
        access.require(Permission::MEMBERS_READ)?;
    }
    let mut conn = app.db.conn().await?;
    if members::member_status(&mut conn, access.org.id, user).await?.is_none() {
        return Err(AppError::NotFound("member"));
    }
    Ok(store::licenses_of_member(&mut conn, access.org.id, user).await?)
}

/// Each member's products, for a page of the directory (one query).
pub async fn products_of_members(
    r: &mut impl roster_store::Reader,
    access: &OrgAccess,
    users: &[UserId],
) -> Result<BTreeMap<UserId, Vec<ProductKey>>> {
    let mut out: BTreeMap<UserId, Vec<ProductKey>> = BTreeMap::new();
    for (u, p) in store::licenses_of_members(r, access.org.id, users).await? {
        out.entry(u).or_default().push(p);
    }
    Ok(out)
}

/// Reads product keys as given (`field[i]`), against the catalogue.
fn parse_products(app: &App, field: &str, wanted: &[String]) -> Result<Vec<ProductKey>> {
    let mut errors = ValidationError { errors: vec![] };
    let mut out: Vec<ProductKey> = Vec::new();
    for (i, k) in wanted.iter().enumerate() {
        match app.config.catalogue.get(k.trim()) {
            Some(p) if !out.contains(&p.key) => out.push(p.key.clone()),
            Some(_) => {}
            None => errors.merge(ValidationError::field(format!("{field}[{i}]"), format!("'{k}' is not a product"))),
        }
    }
    if errors.errors.is_empty() { Ok(out) } else { Err(errors.into()) }
}

/// Sets a member's licenses to exactly `wanted` (product keys). Needs
/// `licenses:update` and the member within the actor's reach.
pub async fn set_member_products(
    app: &App,
    access: &OrgAccess,
    user: UserId,
    wanted: &[String],
    meta: &RequestMeta,
) -> Result<Vec<ProductKey>> {
    access.require(Permission::LICENSES_UPDATE)?;
    let wanted = parse_products(app, "products", wanted)?;
    let mut change = change::begin(app, access, Permission::LICENSES_UPDATE, meta).await?;
    let out = apply_member_products(app, &mut change, user, &wanted).await?;
    change.commit().await?;
    Ok(out)
}

/// Parses product keys for a form or an invitation (`field[i]` names a bad one).
pub fn check_products(app: &App, field: &str, wanted: &[String]) -> Result<Vec<ProductKey>> {
    parse_products(app, field, wanted)
}

/// The products an invitation offers (`products` of the input), assigned
/// to the invited member inside the invitation's change, so that the
/// invitee holds the seats from the start. Needs `licenses:update`.
pub(crate) async fn assign_to_invited(
    app: &App,
    change: &mut Change<'_>,
    user: UserId,
    products: &[ProductKey],
) -> Result<()> {
    if products.is_empty() {
        return Ok(());
    }
    change.access.require(Permission::LICENSES_UPDATE)?;
    apply_member_products(app, change, user, products).await.map(|_| ())
}

/// The refusal for assigning a product whose subscription is missing or canceled.
fn unusable(app: &App, field: &str, key: &ProductKey, s: Option<&Subscription>) -> Option<AppError> {
    let name = app.config.catalogue.get(key.as_str()).map(|p| p.name.clone()).unwrap_or_else(|| key.to_string());
    match s {
        None => Some(ValidationError::field(field, format!("the organization does not subscribe to {name}")).into()),
        Some(s) if s.status == SubscriptionStatus::Canceled => Some(AppError::conflict(
            ConflictKind::SubscriptionState,
            format!("the subscription to {name} is canceled; reactivate it to assign its licenses"),
        )),
        Some(_) => None,
    }
}

fn no_seats(app: &App, s: &Subscription, needed: i64) -> AppError {
    let name = app.config.catalogue.get(s.product.as_str()).map(|p| p.name.clone()).unwrap_or_default();
    AppError::NoSeats { product: s.product.to_string(), name, needed, free: s.free(), license_count: s.license_count }
}

/// [`set_member_products`] inside a change (also the member edit form and
/// invitations, whose invited member holds the seats offered). Answers the
/// member's products after the change.
pub(crate) async fn apply_member_products(
    app: &App,
    change: &mut Change<'_>,
    user: UserId,
    wanted: &[ProductKey],
) -> Result<Vec<ProductKey>> {
    let org = change.access.org.id;
    let m = members::find_member(&mut change.tx, org, user).await?.ok_or(AppError::NotFound("member"))?;
    if m.status == MemberStatus::Archived {
        return Err(AppError::conflict(
            ConflictKind::StatusTransition,
            format!("{} is archived; archived members hold no licenses (restore them first)", m.email),
        ));
    }
    let effective = load_effective(&mut change.tx, &change.access.policy, org, user).await?;
    may_change_member(&change.access, &effective, &m.email)?;
    let held = store::licenses_of_member(&mut change.tx, org, user).await?;
    let added: Vec<&ProductKey> = wanted.iter().filter(|p| !held.contains(p)).collect();
    let removed: Vec<&ProductKey> = held.iter().filter(|p| !wanted.contains(p)).collect();
    if added.is_empty() && removed.is_empty() {
        return Ok(held);
    }
    for (i, p) in added.iter().enumerate() {
        let s = store::find_subscription(&mut change.tx, org, p).await?;
        if let Some(e) = unusable(app, &format!("products[{i}]"), p, s.as_ref()) {
            return Err(e);
        }
        if store::assign(&mut change.tx, org, p, &[user], change.now).await?.is_none() {
            return Err(no_seats(app, &s.expect("checked above"), 1));
        }
    }
    for p in &removed {
        store::remove(&mut change.tx, org, p, &[user]).await?;
    }
    let after: Vec<ProductKey> = {
        let mut a: Vec<ProductKey> = held.iter().filter(|p| wanted.contains(p)).cloned().collect();
        a.extend(added.iter().map(|p| (*p).clone()));
        a.sort();
        a
    };
    let keys = |l: &[&ProductKey]| l.iter().map(|p| p.to_string()).collect::<Vec<_>>();
    change.record(
        AuditEntry::new(AuditAction::MemberLicensesChanged, user)
            .before(serde_json::json!({"products": held}))
            .after(serde_json::json!({"products": after}))
            .with("added", keys(&added))
            .with("removed", keys(&removed)),
    );
    Ok(after)
}

/// A product as a member form offers it.
#[derive(Debug, Clone)]
pub struct ProductOffer {
    /// The product.
    pub product: Product,
    /// Its subscription's state.
    pub state: SubscriptionState,
    /// Free seats.
    pub free: i64,
    /// Whether the member holds it now.
    pub held: bool,
    /// Why it cannot be ticked (no seats, canceled), if it cannot.
    pub refusal: Option<String>,
}

/// The organization's products as a member form offers them, with `held`
/// ticked; none without `licenses:update`.
pub async fn product_offers(app: &App, access: &OrgAccess, held: &[ProductKey]) -> Result<Vec<ProductOffer>> {
    if !may_assign(access) {
        return Ok(vec![]);
    }
    let subs = store::list_subscriptions(&mut app.db.conn().await?, access.org.id).await?;
    let now = app.clock.now();
    Ok(app
        .config
        .catalogue
        .products
        .iter()
        .filter_map(|p| {
            let s = subs.iter().find(|s| s.product == p.key)?;
            let is_held = held.contains(&p.key);
            let refusal = if is_held {
                None
            } else if s.status == SubscriptionStatus::Canceled {
                Some("The subscription is canceled.".to_string())
            } else if s.free() == 0 {
                Some(format!("No seats are free (all {} are assigned).", s.license_count))
            } else {
                None
            };
            Some(ProductOffer { product: p.clone(), state: s.state(now), free: s.free(), held: is_held, refusal })
        })
        .collect())
}

/// A bulk change of licenses: cells of the workspace's grid, or one product
/// for every member matching a filter.
#[derive(Debug, Clone)]
pub enum BulkLicenses {
    /// Ticked and unticked cells: (user id, product key).
    Cells {
        /// Licenses to assign.
        assign: Vec<(String, String)>,
        /// Licenses to remove.
        remove: Vec<(String, String)>,
    },
    /// One product for every member matching a filter (archived members never match).
    Filter {
        /// The product key.
        product: String,
        /// The directory's filter.
        filter: MemberFilter,
        /// Assign (true) or remove (false).
        assign: bool,
    },
}

/// What a bulk change did, or (a dry run) would do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkLicenseOutcome {
    /// Licenses assigned.
    pub assigned: u64,
    /// Licenses removed.
    pub removed: u64,
    /// Cells or matching members already as asked.
    pub unchanged: u64,
    /// Matching members left alone: they hold permissions the actor lacks.
    pub skipped: u64,
    /// Free seats per product key after the change (negative: short by that many).
    pub seats_after: BTreeMap<String, i64>,
    /// Whether nothing was written.
    pub dry_run: bool,
}

impl BulkLicenseOutcome {
    /// The products whose seats would not suffice, with how many are missing.
    pub fn short(&self) -> Vec<(&str, i64)> {
        self.seats_after.iter().filter(|(_, f)| **f < 0).map(|(k, f)| (k.as_str(), -*f)).collect()
    }
}

/// Members read per step of a filtered bulk change.
const BULK_BATCH: u64 = 1000;

/// Most cells one bulk request may carry.
pub const MAX_CELLS: usize = 10_000;

/// Applies (or, with `dry_run`, previews) a bulk change of licenses in one
/// transaction: the preview and the change run the same code, and a dry run
/// is rolled back. When the seats would not suffice, a real run is refused
/// with [`AppError::NoSeats`] before anything is written; a dry run answers
/// the shortfall as negative `seats_after`. One event per member changed,
/// plus one for the bulk change.
pub async fn bulk_licenses(
    app: &App,
    access: &OrgAccess,
    req: &BulkLicenses,
    dry_run: bool,
    meta: &RequestMeta,
) -> Result<BulkLicenseOutcome> {
    access.require(Permission::LICENSES_UPDATE)?;
    let mut change = change::begin(app, access, Permission::LICENSES_UPDATE, meta).await?;
    let org = change.access.org.id;
    let subs: BTreeMap<ProductKey, Subscription> =
        store::list_subscriptions(&mut change.tx, org).await?.into_iter().map(|s| (s.product.clone(), s)).collect();
    // Per member: (products to add, products to remove), in user order.
    let mut plan: BTreeMap<UserId, (BTreeSet<ProductKey>, BTreeSet<ProductKey>)> = BTreeMap::new();
    let mut outcome = BulkLicenseOutcome { dry_run, ..Default::default() };
    let mut bulk_product: Option<String> = None;
    match req {
        BulkLicenses::Cells { assign, remove } => {
            if assign.len() + remove.len() > MAX_CELLS {
                return Err(ValidationError::field("assign", format!("at most {MAX_CELLS} cells per request")).into());
            }
            let cells = read_cells(app, &mut change, &subs, assign, remove).await?;
            let users: Vec<UserId> = cells.iter().map(|c| c.0).collect::<BTreeSet<_>>().into_iter().collect();
            let skip = beyond_reach(&mut change, &users).await?;
            let held = held_by(&mut change, &users).await?;
            for (u, p, add) in cells {
                if skip.contains(&u) {
                    outcome.skipped += 1;
                    continue;
                }
                let has = held.get(&u).is_some_and(|h| h.contains(&p));
                if has == add {
                    outcome.unchanged += 1;
                    continue;
                }
                let e = plan.entry(u).or_default();
                if add {
                    e.0.insert(p)
                } else {
                    e.1.insert(p)
                };
            }
        }
        BulkLicenses::Filter { product, filter, assign } => {
            let key = ProductKey::parse(product.trim())
                .ok()
                .filter(|k| app.config.catalogue.get(k.as_str()).is_some())
                .ok_or_else(|| ValidationError::field("product", format!("'{product}' is not a product")))?;
            if *assign && let Some(e) = unusable(app, "product", &key, subs.get(&key)) {
                return Err(e);
            }
            bulk_product = Some(key.to_string());
            let statuses = [MemberStatus::Invited, MemberStatus::Active, MemberStatus::Disabled];
            let mut after = None;
            loop {
                let batch =
                    members::select_member_ids(&mut change.tx, org, filter, &statuses, after, BULK_BATCH).await?;
                let Some((last, _)) = batch.last() else { break };
                after = Some(*last);
                let users: Vec<UserId> = batch.iter().map(|(u, _)| *u).collect();
                let skip = beyond_reach(&mut change, &users).await?;
                let held = store::holders_of(&mut change.tx, org, &key, &users).await?;
                for u in users {
                    if skip.contains(&u) {
                        outcome.skipped += 1;
                    } else if held.contains(&u) == *assign {
                        outcome.unchanged += 1;
                    } else {
                        let e = plan.entry(u).or_default();
                        if *assign {
                            e.0.insert(key.clone())
                        } else {
                            e.1.insert(key.clone())
                        };
                    }
                }
            }
        }
    }
    // Seats after, per product touched.
    let mut delta: BTreeMap<ProductKey, i64> = BTreeMap::new();
    for (add, rem) in plan.values() {
        for p in add {
            *delta.entry(p.clone()).or_default() += 1;
        }
        for p in rem {
            *delta.entry(p.clone()).or_default() -= 1;
        }
    }
    for (p, d) in &delta {
        if let Some(s) = subs.get(p) {
            outcome.seats_after.insert(p.to_string(), s.license_count - s.used - d);
        }
    }
    if let Some(p) = &bulk_product
        && let Some(s) = subs.get(&ProductKey::parse(p).expect("parsed above"))
    {
        outcome.seats_after.entry(p.clone()).or_insert(s.free());
    }
    outcome.assigned = plan.values().map(|(a, _)| a.len() as u64).sum();
    outcome.removed = plan.values().map(|(_, r)| r.len() as u64).sum();
    if dry_run {
        change.tx.rollback().await?;
        return Ok(outcome);
    }
    if let Some((p, _)) = delta.iter().find(|(p, d)| subs.get(*p).is_some_and(|s| s.license_count - s.used - **d < 0)) {
        let s = &subs[p];
        return Err(no_seats(app, s, delta[p]));
    }
    // Write: per product, the members gaining and losing it, in batches.
    let mut gains: BTreeMap<&ProductKey, Vec<UserId>> = BTreeMap::new();
    let mut losses: BTreeMap<&ProductKey, Vec<UserId>> = BTreeMap::new();
    for (u, (add, rem)) in &plan {
        for p in add {
            gains.entry(p).or_default().push(*u);
        }
        for p in rem {
            losses.entry(p).or_default().push(*u);
        }
    }
    for (p, users) in &losses {
        store::remove(&mut change.tx, org, p, users).await?;
    }
    for (p, users) in &gains {
        if store::assign(&mut change.tx, org, p, users, change.now).await?.is_none() {
            return Err(no_seats(app, &subs[*p], users.len() as i64));
        }
    }
    let users: Vec<UserId> = plan.keys().copied().collect();
    for chunk in users.chunks(BULK_BATCH as usize) {
        let after_held = held_by(&mut change, chunk).await?;
        for u in chunk {
            let (add, rem) = &plan[u];
            let after: Vec<ProductKey> = after_held.get(u).cloned().unwrap_or_default();
            let mut before: BTreeSet<ProductKey> = after.iter().filter(|p| !add.contains(*p)).cloned().collect();
            before.extend(rem.iter().cloned());
            change.record(
                AuditEntry::new(AuditAction::MemberLicensesChanged, u)
                    .before(serde_json::json!({"products": before}))
                    .after(serde_json::json!({"products": after}))
                    .with("added", add.iter().map(|p| p.to_string()).collect::<Vec<_>>())
                    .with("removed", rem.iter().map(|p| p.to_string()).collect::<Vec<_>>())
                    .with("bulk", true),
            );
        }
        change.flush().await?;
    }
    let mut summary = AuditEntry::new(AuditAction::LicensesBulkChanged, org)
        .with("assigned", outcome.assigned)
        .with("removed", outcome.removed)
        .with("unchanged", outcome.unchanged);
    match req {
        BulkLicenses::Cells { assign, remove } => summary = summary.with("cells", (assign.len() + remove.len()) as u64),
        BulkLicenses::Filter { assign, .. } => {
            summary = summary
                .with("product", bulk_product.clone().unwrap_or_default())
                .with("action", if *assign { "assign" } else { "remove" })
        }
    }
    if outcome.assigned + outcome.removed > 0 {
        change.record(summary);
    }
    change.commit().await?;
    Ok(outcome)
}

/// Reads the workspace's cells: each user a member of this organization
/// (not archived), each product one the organization subscribes to (and
/// for an assignment, not canceled). Every bad cell is named.
async fn read_cells(
    app: &App,
    change: &mut Change<'_>,
    subs: &BTreeMap<ProductKey, Subscription>,
    assign: &[(String, String)],
    remove: &[(String, String)],
) -> Result<Vec<(UserId, ProductKey, bool)>> {
    let org = change.access.org.id;
    let mut errors = ValidationError { errors: vec![] };
    let mut out = Vec::with_capacity(assign.len() + remove.len());
    for (name, cells, add) in [("assign", assign, true), ("remove", remove, false)] {
        for (i, (user, product)) in cells.iter().enumerate() {
            let uid = match user.trim().parse::<UserId>() {
                Ok(u) => match members::member_status(&mut change.tx, org, u).await? {
                    Some(MemberStatus::Archived) => {
                        errors.merge(ValidationError::field(
                            format!("{name}[{i}].user"),
                            "is archived; archived members hold no licenses",
                        ));
                        None
                    }
                    Some(_) => Some(u),
                    None => {
                        errors.merge(ValidationError::field(format!("{name}[{i}].user"), "is not a member"));
                        None
                    }
                },
                Err(_) => {
                    errors.merge(ValidationError::field(format!("{name}[{i}].user"), "is not a user id"));
                    None
                }
            };
            let key = match app.config.catalogue.get(product.trim()) {
                Some(p) => match (subs.get(&p.key), add) {
                    (None, _) => {
                        errors.merge(ValidationError::field(
                            format!("{name}[{i}].product"),
                            format!("the organization does not subscribe to {}", p.name),
                        ));
                        None
                    }
                    (Some(s), true) if s.status == SubscriptionStatus::Canceled => {
                        errors.merge(ValidationError::field(
                            format!("{name}[{i}].product"),
                            format!("the subscription to {} is canceled", p.name),
                        ));
                        None
                    }
                    _ => Some(p.key.clone()),
                },
                None => {
                    errors.merge(ValidationError::field(
                        format!("{name}[{i}].product"),
                        format!("'{product}' is not a product"),
                    ));
                    None
                }
            };
            if let (Some(u), Some(k)) = (uid, key) {
                out.push((u, k, add));
            }
        }
    }
    if errors.errors.is_empty() { Ok(out) } else { Err(errors.into()) }
}

/// Each of `users`' products, read inside the change.
async fn held_by(change: &mut Change<'_>, users: &[UserId]) -> Result<BTreeMap<UserId, Vec<ProductKey>>> {
    let mut out: BTreeMap<UserId, Vec<ProductKey>> = BTreeMap::new();
    for (u, p) in store::licenses_of_members(&mut change.tx, change.access.org.id, users).await? {
        out.entry(u).or_default().push(p);
    }
    Ok(out)
}

/// The members among `users` who hold permissions the actor lacks (a bulk
/// change leaves them alone).
async fn beyond_reach(change: &mut Change<'_>, users: &[UserId]) -> Result<BTreeSet<UserId>> {
    let batch: Vec<(UserId, MemberStatus)> = users.iter().map(|u| (*u, MemberStatus::Active)).collect();
    Ok(crate::members::beyond_reach(&mut change.tx, &change.access, &batch).await?.into_iter().collect())
}

/// The check API's answer for `product:<key>`: allowed only with a license
/// of a live subscription (active, or a trial before its end) and an active
/// membership; `via` names the license (`license:<key>`).
pub(crate) async fn check_product(
    app: &App,
    access: &OrgAccess,
    user: UserId,
    active: bool,
    key: &str,
) -> Result<roster_domain::roles::Decision> {
    let deny = roster_domain::roles::Decision { allowed: false, via: vec![] };
    let Some(p) = app.config.catalogue.get(key) else { return Ok(deny) };
    if !active {
        return Ok(deny);
    }
    let mut conn = app.db.conn().await?;
    let Some(s) = store::find_subscription(&mut conn, access.org.id, &p.key).await? else { return Ok(deny) };
    if !s.state(app.clock.now()).grants_access()
        || !store::holds_license(&mut conn, access.org.id, user, &p.key).await?
    {
        return Ok(deny);
    }
    Ok(roster_domain::roles::Decision { allowed: true, via: vec![format!("license:{}", p.key)] })
}

/// [`products_of_members`] on a connection of its own, for the pages (the
/// Users tab's Products column, the workspace's grid), which hold none.
pub async fn products_of_page(
    app: &App,
    access: &OrgAccess,
    users: &[UserId],
) -> Result<BTreeMap<UserId, Vec<ProductKey>>> {
    products_of_members(&mut app.db.conn().await?, access, users).await
}
