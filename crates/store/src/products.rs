//! Subscriptions and licenses (see the `0014_products` migration).
//!
//! A subscription's `used`, `held_by_disabled` and `held_by_invited`
//! counters are kept by the functions that assign and remove licenses and
//! by the member status changes ([`follow_status`], called from `members::set_status` and
//! `members::set_status_many`), in the caller's transaction. Assigning
//! raises `used` with one conditional update (`used + n <= license_count`)
//! before writing a license, so seats are never exceeded whatever the
//! concurrency; the table's CHECK refuses it too.

use std::collections::BTreeMap;

use roster_domain::products::{ProductKey, Subscription, SubscriptionStatus, Trial};
use roster_domain::{MemberStatus, OrgId, Timestamp, UserId};
use sea_query::{Alias, Expr, ExprTrait, Order, Query};
use uuid::Uuid;

use crate::tables::{Licenses, Members, Subscriptions};
use crate::{Reader, Result, StoreError, Tx};

/// Rows written or read per statement of a many-member change.
const CHUNK: usize = 500;

#[derive(sqlx::FromRow)]
struct Row {
    product: String,
    status: String,
    license_count: i64,
    used: i64,
    held_by_disabled: i64,
    trial_starts_at: Option<i64>,
    trial_ends_at: Option<i64>,
    trial_started_by: Option<Uuid>,
    trial_started_by_label: Option<String>,
    settings: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for Subscription {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("subscription {}: {what}", r.product));
        let trial = match (r.trial_starts_at, r.trial_ends_at) {
            (Some(s), Some(e)) => Some(Trial {
                starts_at: Timestamp(s),
                ends_at: Timestamp(e),
                started_by: r.trial_started_by.map(UserId),
                started_by_label: r.trial_started_by_label.clone().unwrap_or_default(),
            }),
            _ => None,
        };
        let settings = match serde_json::from_str(&r.settings) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => return Err(corrupt("settings")),
        };
        Ok(Subscription {
            product: ProductKey::parse(&r.product).map_err(|_| corrupt("key"))?,
            status: SubscriptionStatus::parse(&r.status).ok_or_else(|| corrupt("status"))?,
            license_count: r.license_count,
            used: r.used,
            held_by_disabled: r.held_by_disabled,
            trial,
            settings,
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
        })
    }
}

fn select() -> sea_query::SelectStatement {
    Query::select()
        .columns([
            Subscriptions::Product,
            Subscriptions::Status,
            Subscriptions::LicenseCount,
            Subscriptions::Used,
            Subscriptions::HeldByDisabled,
            Subscriptions::TrialStartsAt,
            Subscriptions::TrialEndsAt,
            Subscriptions::TrialStartedBy,
            Subscriptions::TrialStartedByLabel,
            Subscriptions::Settings,
            Subscriptions::CreatedAt,
            Subscriptions::UpdatedAt,
        ])
        .from(Subscriptions::Table)
        .to_owned()
}

/// An organization's subscriptions, by product key.
pub async fn list_subscriptions(r: &mut impl Reader, org: OrgId) -> Result<Vec<Subscription>> {
    let q = select()
        .and_where(Expr::col(Subscriptions::OrgId).eq(org.0))
        .order_by(Subscriptions::Product, Order::Asc)
        .to_owned();
    r.read_all::<Row, _>(&q).await?.into_iter().map(Subscription::try_from).collect()
}

/// One subscription.
pub async fn find_subscription(r: &mut impl Reader, org: OrgId, product: &ProductKey) -> Result<Option<Subscription>> {
    let q = select()
        .and_where(Expr::col(Subscriptions::OrgId).eq(org.0))
        .and_where(Expr::col(Subscriptions::Product).eq(product.as_str()))
        .to_owned();
    r.read_optional::<Row, _>(&q).await?.map(Subscription::try_from).transpose()
}

/// Writes a new subscription (its counters start at zero).
pub async fn insert_subscription(tx: &mut Tx, org: OrgId, s: &Subscription) -> Result<()> {
    let t = s.trial.as_ref();
    tx.execute(
        Query::insert()
            .into_table(Subscriptions::Table)
            .columns([
                Subscriptions::OrgId,
                Subscriptions::Product,
                Subscriptions::Status,
                Subscriptions::LicenseCount,
                Subscriptions::TrialStartsAt,
                Subscriptions::TrialEndsAt,
                Subscriptions::TrialStartedBy,
                Subscriptions::TrialStartedByLabel,
                Subscriptions::Settings,
                Subscriptions::CreatedAt,
                Subscriptions::UpdatedAt,
            ])
            .values_panic([
                org.0.into(),
                s.product.as_str().into(),
                s.status.as_str().into(),
                s.license_count.into(),
                t.map(|t| t.starts_at.0).into(),
                t.map(|t| t.ends_at.0).into(),
                t.and_then(|t| t.started_by).map(|u| u.0).into(),
                t.map(|t| t.started_by_label.clone()).into(),
                serde_json::Value::Object(s.settings.clone()).to_string().into(),
                s.created_at.0.into(),
                s.updated_at.0.into(),
            ]),
    )
    .await?;
    Ok(())
}

/// Saves a subscription's status, license count, trial and settings (not
/// its counters). Answers `false` when the license count would fall below
/// the licenses in use (nothing is changed then).
pub async fn update_subscription(tx: &mut Tx, org: OrgId, s: &Subscription) -> Result<bool> {
    let t = s.trial.as_ref();
    let n = tx
        .execute(
            Query::update()
                .table(Subscriptions::Table)
                .value(Subscriptions::Status, s.status.as_str())
                .value(Subscriptions::LicenseCount, s.license_count)
                .value(Subscriptions::TrialStartsAt, t.map(|t| t.starts_at.0))
                .value(Subscriptions::TrialEndsAt, t.map(|t| t.ends_at.0))
                .value(Subscriptions::TrialStartedBy, t.and_then(|t| t.started_by).map(|u| u.0))
                .value(Subscriptions::TrialStartedByLabel, t.map(|t| t.started_by_label.clone()))
                .value(Subscriptions::Settings, serde_json::Value::Object(s.settings.clone()).to_string())
                .value(Subscriptions::UpdatedAt, s.updated_at.0)
                .and_where(Expr::col(Subscriptions::OrgId).eq(org.0))
                .and_where(Expr::col(Subscriptions::Product).eq(s.product.as_str()))
                .and_where(Expr::col(Subscriptions::Used).lte(s.license_count)),
        )
        .await?;
    Ok(n == 1)
}

#[derive(sqlx::FromRow)]
struct PairRow {
    user_id: Uuid,
    product: String,
}

/// The products each of `users` holds a license of, as (user, product)
/// pairs ordered by user and product (one query per 500 users).
pub async fn licenses_of_members(
    r: &mut impl Reader,
    org: OrgId,
    users: &[UserId],
) -> Result<Vec<(UserId, ProductKey)>> {
    let mut out = Vec::new();
    for chunk in users.chunks(CHUNK) {
        let q = Query::select()
            .columns([Licenses::UserId, Licenses::Product])
            .from(Licenses::Table)
            .and_where(Expr::col(Licenses::OrgId).eq(org.0))
            .and_where(Expr::col(Licenses::UserId).is_in(chunk.iter().map(|u| u.0)))
            .order_by(Licenses::UserId, Order::Asc)
            .order_by(Licenses::Product, Order::Asc)
            .to_owned();
        for row in r.read_all::<PairRow, _>(&q).await? {
            let key = ProductKey::parse(&row.product)
                .map_err(|_| StoreError::Corrupt(format!("license of product {}", row.product)))?;
            out.push((UserId(row.user_id), key));
        }
    }
    Ok(out)
}

/// The products one member holds a license of, by key.
pub async fn licenses_of_member(r: &mut impl Reader, org: OrgId, user: UserId) -> Result<Vec<ProductKey>> {
    Ok(licenses_of_members(r, org, &[user]).await?.into_iter().map(|(_, p)| p).collect())
}

/// Whether a member holds a license of a product (the check API).
pub async fn holds_license(r: &mut impl Reader, org: OrgId, user: UserId, product: &ProductKey) -> Result<bool> {
    #[derive(sqlx::FromRow)]
    struct One {
        #[allow(dead_code)]
        one: i32,
    }
    let q = Query::select()
        .expr_as(Expr::val(1), Alias::new("one"))
        .from(Licenses::Table)
        .and_where(Expr::col(Licenses::OrgId).eq(org.0))
        .and_where(Expr::col(Licenses::UserId).eq(user.0))
        .and_where(Expr::col(Licenses::Product).eq(product.as_str()))
        .to_owned();
    Ok(r.read_optional::<One, _>(&q).await?.is_some())
}

/// Which of `users` hold a license of `product` (at most 500 users at a time).
pub async fn holders_of(
    r: &mut impl Reader,
    org: OrgId,
    product: &ProductKey,
    users: &[UserId],
) -> Result<Vec<UserId>> {
    #[derive(sqlx::FromRow)]
    struct IdRow {
        user_id: Uuid,
    }
    let q = Query::select()
        .column(Licenses::UserId)
        .from(Licenses::Table)
        .and_where(Expr::col(Licenses::OrgId).eq(org.0))
        .and_where(Expr::col(Licenses::Product).eq(product.as_str()))
        .and_where(Expr::col(Licenses::UserId).is_in(users.iter().map(|u| u.0)))
        .to_owned();
    Ok(r.read_all::<IdRow, _>(&q).await?.into_iter().map(|r| UserId(r.user_id)).collect())
}

/// Licenses (or members) counted by the statuses the counters split: all,
/// disabled, invited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Held {
    all: i64,
    disabled: i64,
    invited: i64,
}

impl Held {
    fn negated(self) -> Self {
        Self { all: -self.all, disabled: -self.disabled, invited: -self.invited }
    }
}

/// How many of `users` are members, and how many of those disabled and invited.
async fn held_among(tx: &mut Tx, org: OrgId, users: &[UserId]) -> Result<Held> {
    if users.is_empty() {
        return Ok(Held::default());
    }
    #[derive(sqlx::FromRow)]
    struct N {
        status: String,
        n: i64,
    }
    let q = Query::select()
        .column(Members::Status)
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from(Members::Table)
        .and_where(Expr::col(Members::OrgId).eq(org.0))
        .and_where(Expr::col(Members::UserId).is_in(users.iter().map(|u| u.0)))
        .group_by_col(Members::Status)
        .to_owned();
    let mut held = Held::default();
    for r in tx.fetch_all::<N, _>(&q).await? {
        held.all += r.n;
        if r.status == MemberStatus::Disabled.as_str() {
            held.disabled += r.n;
        } else if r.status == MemberStatus::Invited.as_str() {
            held.invited += r.n;
        }
    }
    Ok(held)
}

/// The counts of a product's licenses by their holders' status, from the
/// subscription's counters (archived members hold none); `None` when the
/// organization does not subscribe to it. The Users list's badges read
/// these for a product filter instead of counting holders.
pub async fn holders_by_status(
    r: &mut impl Reader,
    org: OrgId,
    product: &ProductKey,
) -> Result<Option<roster_domain::members::StatusCounts>> {
    #[derive(sqlx::FromRow)]
    struct C {
        used: i64,
        held_by_disabled: i64,
        held_by_invited: i64,
    }
    let q = Query::select()
        .columns([Subscriptions::Used, Subscriptions::HeldByDisabled, Subscriptions::HeldByInvited])
        .from(Subscriptions::Table)
        .and_where(Expr::col(Subscriptions::OrgId).eq(org.0))
        .and_where(Expr::col(Subscriptions::Product).eq(product.as_str()))
        .to_owned();
    let n = |v: i64| v.clamp(0, i64::MAX) as u64;
    Ok(r.read_optional::<C, _>(&q).await?.map(|c| roster_domain::members::StatusCounts {
        active: n(c.used - c.held_by_disabled - c.held_by_invited),
        disabled: n(c.held_by_disabled),
        invited: n(c.held_by_invited),
        archived: 0,
    }))
}

/// Moves a subscription's counters; a rise of `used` only while it stays
/// within the license count (answers whether it moved).
async fn add_to_counters(tx: &mut Tx, org: OrgId, product: &str, by: Held) -> Result<bool> {
    if by == Held::default() {
        return Ok(true);
    }
    let Held { all: used, disabled, invited } = by;
    let mut q = Query::update();
    q.table(Subscriptions::Table)
        .value(Subscriptions::Used, Expr::col(Subscriptions::Used).add(used))
        .value(Subscriptions::HeldByDisabled, Expr::col(Subscriptions::HeldByDisabled).add(disabled))
        .value(Subscriptions::HeldByInvited, Expr::col(Subscriptions::HeldByInvited).add(invited))
        .and_where(Expr::col(Subscriptions::OrgId).eq(org.0))
        .and_where(Expr::col(Subscriptions::Product).eq(product));
    if used > 0 {
        q.and_where(Expr::col(Subscriptions::Used).add(used).lte(Expr::col(Subscriptions::LicenseCount)));
    }
    Ok(tx.execute(&q).await? == 1)
}

/// Assigns `product` to every one of `users` who does not hold it yet.
/// Answers how many gained it, or `None` when the free seats do not suffice
/// for them — then a part of `users` may already have been assigned, and
/// the caller rolls its transaction back. The callers hold the
/// organization's lock; the counter's conditional update keeps the seats
/// even without it.
pub async fn assign(
    tx: &mut Tx,
    org: OrgId,
    product: &ProductKey,
    users: &[UserId],
    now: Timestamp,
) -> Result<Option<u64>> {
    let mut added = 0;
    for chunk in users.chunks(CHUNK) {
        let held = holders_of(tx, org, product, chunk).await?;
        let new: Vec<UserId> = chunk.iter().filter(|u| !held.contains(u)).copied().collect();
        if new.is_empty() {
            continue;
        }
        let held = held_among(tx, org, &new).await?;
        if !add_to_counters(tx, org, product.as_str(), held).await? {
            return Ok(None);
        }
        let mut q = Query::insert();
        q.into_table(Licenses::Table).columns([
            Licenses::OrgId,
            Licenses::UserId,
            Licenses::Product,
            Licenses::AssignedAt,
        ]);
        for u in &new {
            q.values_panic([org.0.into(), u.0.into(), product.as_str().into(), now.0.into()]);
        }
        tx.execute(&q).await?;
        added += new.len() as u64;
    }
    Ok(Some(added))
}

/// Rows per statement of [`load_licenses`] (four values each, within both
/// backends' limits on bound values).
const LOAD_CHUNK: usize = 5_000;

/// Writes licenses of `product` for `users`, none of whom may hold it yet
/// (a bulk load: `dev seed --licenses`), in statements of many rows, after
/// moving the counters once (`disabled` and `invited` of `users` being
/// disabled and invited members). Answers `false`, writing nothing, when
/// the free seats do not suffice.
pub async fn load_licenses(
    tx: &mut Tx,
    org: OrgId,
    product: &ProductKey,
    users: &[UserId],
    (disabled, invited): (i64, i64),
    now: Timestamp,
) -> Result<bool> {
    if users.is_empty() {
        return Ok(true);
    }
    let held = Held { all: users.len() as i64, disabled, invited };
    if !add_to_counters(tx, org, product.as_str(), held).await? {
        return Ok(false);
    }
    for chunk in users.chunks(LOAD_CHUNK) {
        let mut q = Query::insert();
        q.into_table(Licenses::Table).columns([
            Licenses::OrgId,
            Licenses::UserId,
            Licenses::Product,
            Licenses::AssignedAt,
        ]);
        for u in chunk {
            q.values_panic([org.0.into(), u.0.into(), product.as_str().into(), now.0.into()]);
        }
        tx.execute(&q).await?;
    }
    Ok(true)
}

/// Removes `product` from `users` (those without it are left alone) and
/// answers how many lost it.
pub async fn remove(tx: &mut Tx, org: OrgId, product: &ProductKey, users: &[UserId]) -> Result<u64> {
    let mut removed = 0;
    for chunk in users.chunks(CHUNK) {
        let held = holders_of(tx, org, product, chunk).await?;
        if held.is_empty() {
            continue;
        }
        let by = held_among(tx, org, &held).await?;
        tx.execute(
            Query::delete()
                .from_table(Licenses::Table)
                .and_where(Expr::col(Licenses::OrgId).eq(org.0))
                .and_where(Expr::col(Licenses::Product).eq(product.as_str()))
                .and_where(Expr::col(Licenses::UserId).is_in(held.iter().map(|u| u.0))),
        )
        .await?;
        add_to_counters(tx, org, product.as_str(), by.negated()).await?;
        removed += held.len() as u64;
    }
    Ok(removed)
}

/// Keeps the counters and licenses in step with members moving from `from`
/// to `to` (called by the member status changes, in their transaction):
/// becoming or ceasing to be disabled or invited moves `held_by_disabled`
/// or `held_by_invited`; being archived, or removed as a canceled
/// invitation (`to` = `None`), frees the licenses. Answers the licenses
/// freed, by member.
pub async fn follow_status(
    tx: &mut Tx,
    org: OrgId,
    users: &[UserId],
    from: MemberStatus,
    to: Option<MemberStatus>,
) -> Result<BTreeMap<UserId, Vec<ProductKey>>> {
    let frees = matches!(to, None | Some(MemberStatus::Archived));
    // Per license of a moving member: what leaves the counters, what joins them.
    let counted = |s: Option<MemberStatus>| Held {
        all: i64::from(s.is_some()),
        disabled: i64::from(s == Some(MemberStatus::Disabled)),
        invited: i64::from(s == Some(MemberStatus::Invited)),
    };
    let (before, after) = (counted(Some(from)), counted(if frees { None } else { to }));
    let mut freed: BTreeMap<UserId, Vec<ProductKey>> = BTreeMap::new();
    if !frees && before == after {
        return Ok(freed);
    }
    for chunk in users.chunks(CHUNK) {
        let pairs = licenses_of_members(tx, org, chunk).await?;
        if pairs.is_empty() {
            continue;
        }
        let mut per_product: BTreeMap<&str, i64> = BTreeMap::new();
        for (_, p) in &pairs {
            *per_product.entry(p.as_str()).or_default() += 1;
        }
        for (product, n) in &per_product {
            let by = Held {
                all: n * (after.all - before.all),
                disabled: n * (after.disabled - before.disabled),
                invited: n * (after.invited - before.invited),
            };
            add_to_counters(tx, org, product, by).await?;
        }
        if frees {
            tx.execute(
                Query::delete()
                    .from_table(Licenses::Table)
                    .and_where(Expr::col(Licenses::OrgId).eq(org.0))
                    .and_where(Expr::col(Licenses::UserId).is_in(chunk.iter().map(|u| u.0))),
            )
            .await?;
        }
        for (u, p) in pairs {
            freed.entry(u).or_default().push(p);
        }
    }
    if !frees {
        freed.clear();
    }
    Ok(freed)
}
