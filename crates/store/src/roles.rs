//! Roles, their grants, who holds them, and members' own grants.
//!
//! Actions are stored as four bits (see [`Actions::bits`]). A role's
//! `member_count` is kept in the transaction that assigns or removes it, so
//! the Roles Explorer never counts rows. Every function that changes roles,
//! grants or assignments leaves it to the caller to call
//! [`bump_authz_version`](crate::orgs::bump_authz_version) in the same
//! transaction.

use std::collections::BTreeMap;

use roster_domain::permissions::{Actions, AppResource, Grants};
use roster_domain::{MemberStatus, OrgId, RoleId, ServiceAccountId, Timestamp, UserId};
use sea_query::{Expr, ExprTrait, Iden, Order, Query};
use uuid::Uuid;

use crate::tables::{MemberGrants, MemberRoles, Members, OrgResources, RoleGrants, Roles, ServiceAccountGrants};
use crate::{Reader, Result, Tx};

/// A role as stored, with its grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRecord {
    /// Its id.
    pub id: RoleId,
    /// Its stable key in the organization.
    pub key: String,
    /// Display name, unique in the organization (ignoring case).
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Whether it came from the organization's preset.
    pub builtin: bool,
    /// Whether it is the owner's role, which is never edited or deleted.
    pub locked: bool,
    /// Display order.
    pub position: i32,
    /// Members holding it.
    pub member_count: i64,
    /// What it grants.
    pub grants: Grants,
}

#[derive(sqlx::FromRow)]
struct RoleRow {
    id: Uuid,
    key: String,
    name: String,
    description: String,
    builtin: bool,
    locked: bool,
    position: i32,
    member_count: i64,
}

#[derive(sqlx::FromRow)]
struct GrantRow {
    owner: Uuid,
    resource: String,
    actions: i32,
}

fn actions_of(bits: i32) -> Actions {
    Actions::from_bits(u8::try_from(bits & 15).unwrap_or(0))
}

/// Inserts a role and its grants.
pub async fn insert_role(tx: &mut Tx, org: OrgId, role: &RoleRecord, now: Timestamp) -> Result<()> {
    tx.execute(
        Query::insert()
            .into_table(Roles::Table)
            .columns([
                Roles::OrgId,
                Roles::Id,
                Roles::Key,
                Roles::Name,
                Roles::NameKey,
                Roles::Description,
                Roles::Builtin,
                Roles::Locked,
                Roles::Position,
                Roles::MemberCount,
                Roles::CreatedAt,
                Roles::UpdatedAt,
            ])
            .values_panic([
                org.0.into(),
                role.id.0.into(),
                role.key.clone().into(),
                role.name.clone().into(),
                role.name.to_lowercase().into(),
                role.description.clone().into(),
                role.builtin.into(),
                role.locked.into(),
                role.position.into(),
                0i64.into(),
                now.0.into(),
                now.0.into(),
            ]),
    )
    .await?;
    set_role_grants(tx, org, role.id, &role.grants).await
}

/// Replaces a role's grants.
pub async fn set_role_grants(tx: &mut Tx, org: OrgId, role: RoleId, grants: &Grants) -> Result<()> {
    replace_grants(tx, &ROLE_GRANTS, org, role.0, grants).await
}

/// The names of one of the two grant tables, which share their shape: a
/// role's grants are keyed by `role_id`, a member's own by `user_id`.
struct GrantTable<T> {
    table: T,
    org_id: T,
    owner: T,
    resource: T,
    actions: T,
}

/// A role's grants.
const ROLE_GRANTS: GrantTable<RoleGrants> = GrantTable {
    table: RoleGrants::Table,
    org_id: RoleGrants::OrgId,
    owner: RoleGrants::RoleId,
    resource: RoleGrants::Resource,
    actions: RoleGrants::Actions,
};

/// A member's own grants.
const MEMBER_GRANTS: GrantTable<MemberGrants> = GrantTable {
    table: MemberGrants::Table,
    org_id: MemberGrants::OrgId,
    owner: MemberGrants::UserId,
    resource: MemberGrants::Resource,
    actions: MemberGrants::Actions,
};

/// A service account's own grants.
const ACCOUNT_GRANTS: GrantTable<ServiceAccountGrants> = GrantTable {
    table: ServiceAccountGrants::Table,
    org_id: ServiceAccountGrants::OrgId,
    owner: ServiceAccountGrants::AccountId,
    resource: ServiceAccountGrants::Resource,
    actions: ServiceAccountGrants::Actions,
};

/// Replaces a service account's own grants.
pub async fn set_account_grants(tx: &mut Tx, org: OrgId, account: ServiceAccountId, grants: &Grants) -> Result<()> {
    replace_grants(tx, &ACCOUNT_GRANTS, org, account.0, grants).await
}

/// A service account's own grants.
pub async fn account_grants(r: &mut impl Reader, org: OrgId, account: ServiceAccountId) -> Result<Grants> {
    let q = Query::select()
        .expr_as(Expr::col(ServiceAccountGrants::AccountId), "owner")
        .columns([ServiceAccountGrants::Resource, ServiceAccountGrants::Actions])
        .from(ServiceAccountGrants::Table)
        .and_where(Expr::col(ServiceAccountGrants::OrgId).eq(org.0))
        .and_where(Expr::col(ServiceAccountGrants::AccountId).eq(account.0))
        .to_owned();
    let mut g = Grants::default();
    for row in r.read_all::<GrantRow, _>(&q).await? {
        g.grant(&row.resource, actions_of(row.actions));
    }
    Ok(g)
}

/// Replaces the grant rows of one owner (a role or a member) in one of the
/// two grant tables.
async fn replace_grants<T: Iden + Copy + 'static>(
    tx: &mut Tx,
    t: &GrantTable<T>,
    org: OrgId,
    owner: Uuid,
    grants: &Grants,
) -> Result<()> {
    tx.execute(
        Query::delete()
            .from_table(t.table)
            .and_where(Expr::col(t.org_id).eq(org.0))
            .and_where(Expr::col(t.owner).eq(owner)),
    )
    .await?;
    if grants.is_empty() {
        return Ok(());
    }
    let mut q = Query::insert();
    q.into_table(t.table).columns([t.org_id, t.owner, t.resource, t.actions]);
    for (resource, actions) in grants.iter() {
        q.values_panic([org.0.into(), owner.into(), resource.into(), i32::from(actions.bits()).into()]);
    }
    tx.execute(&q).await?;
    Ok(())
}

/// Changes a role's name and description.
pub async fn update_role(
    tx: &mut Tx,
    org: OrgId,
    role: RoleId,
    name: &str,
    description: &str,
    now: Timestamp,
) -> Result<()> {
    tx.execute(
        Query::update()
            .table(Roles::Table)
            .value(Roles::Name, name)
            .value(Roles::NameKey, name.to_lowercase())
            .value(Roles::Description, description)
            .value(Roles::UpdatedAt, now.0)
            .and_where(Expr::col(Roles::OrgId).eq(org.0))
            .and_where(Expr::col(Roles::Id).eq(role.0)),
    )
    .await?;
    Ok(())
}

/// Deletes a role that nobody holds, with its grants.
pub async fn delete_role(tx: &mut Tx, org: OrgId, role: RoleId) -> Result<()> {
    tx.execute(
        Query::delete()
            .from_table(RoleGrants::Table)
            .and_where(Expr::col(RoleGrants::OrgId).eq(org.0))
            .and_where(Expr::col(RoleGrants::RoleId).eq(role.0)),
    )
    .await?;
    tx.execute(
        Query::delete()
            .from_table(Roles::Table)
            .and_where(Expr::col(Roles::OrgId).eq(org.0))
            .and_where(Expr::col(Roles::Id).eq(role.0)),
    )
    .await?;
    Ok(())
}

/// Every role of an organization with its grants, in display order.
pub async fn list_roles(r: &mut impl Reader, org: OrgId) -> Result<Vec<RoleRecord>> {
    let q = Query::select()
        .columns([
            Roles::Id,
            Roles::Key,
            Roles::Name,
            Roles::Description,
            Roles::Builtin,
            Roles::Locked,
            Roles::Position,
            Roles::MemberCount,
        ])
        .from(Roles::Table)
        .and_where(Expr::col(Roles::OrgId).eq(org.0))
        .order_by(Roles::Position, Order::Asc)
        .order_by(Roles::Id, Order::Asc)
        .to_owned();
    let rows: Vec<RoleRow> = r.read_all(&q).await?;
    let g = Query::select()
        .expr_as(Expr::col(RoleGrants::RoleId), "owner")
        .columns([RoleGrants::Resource, RoleGrants::Actions])
        .from(RoleGrants::Table)
        .and_where(Expr::col(RoleGrants::OrgId).eq(org.0))
        .to_owned();
    let mut grants: BTreeMap<Uuid, Grants> = BTreeMap::new();
    for row in r.read_all::<GrantRow, _>(&g).await? {
        grants.entry(row.owner).or_default().grant(&row.resource, actions_of(row.actions));
    }
    Ok(rows
        .into_iter()
        .map(|row| RoleRecord {
            grants: grants.remove(&row.id).unwrap_or_default(),
            id: RoleId(row.id),
            key: row.key,
            name: row.name,
            description: row.description,
            builtin: row.builtin,
            locked: row.locked,
            position: row.position,
            member_count: row.member_count,
        })
        .collect())
}

/// The next free display position.
pub async fn next_position(r: &mut impl Reader, org: OrgId) -> Result<i32> {
    #[derive(sqlx::FromRow)]
    struct P {
        p: Option<i32>,
    }
    let q = Query::select()
        .expr_as(Expr::col(Roles::Position).max(), "p")
        .from(Roles::Table)
        .and_where(Expr::col(Roles::OrgId).eq(org.0))
        .to_owned();
    Ok(r.read_optional::<P, _>(&q).await?.and_then(|p| p.p).map_or(0, |p| p + 1))
}

/// The roles a member holds (ids).
pub async fn member_role_ids(r: &mut impl Reader, org: OrgId, user: UserId) -> Result<Vec<RoleId>> {
    Ok(roles_of_members(r, org, &[user]).await?.into_iter().map(|(_, role)| role).collect())
}

/// (member, role) pairs for the given members.
pub async fn roles_of_members(r: &mut impl Reader, org: OrgId, users: &[UserId]) -> Result<Vec<(UserId, RoleId)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        user_id: Uuid,
        role_id: Uuid,
    }
    let mut out = Vec::new();
    for chunk in users.chunks(500) {
        let q = Query::select()
            .columns([MemberRoles::UserId, MemberRoles::RoleId])
            .from(MemberRoles::Table)
            .and_where(Expr::col(MemberRoles::OrgId).eq(org.0))
            .and_where(Expr::col(MemberRoles::UserId).is_in(chunk.iter().map(|u| u.0)))
            .to_owned();
        out.extend(r.read_all::<Row, _>(&q).await?.into_iter().map(|r| (UserId(r.user_id), RoleId(r.role_id))));
    }
    Ok(out)
}

/// Members' own grants, for the given members.
pub async fn grants_of_members(r: &mut impl Reader, org: OrgId, users: &[UserId]) -> Result<BTreeMap<UserId, Grants>> {
    let mut out: BTreeMap<UserId, Grants> = BTreeMap::new();
    for chunk in users.chunks(500) {
        let q = Query::select()
            .expr_as(Expr::col(MemberGrants::UserId), "owner")
            .columns([MemberGrants::Resource, MemberGrants::Actions])
            .from(MemberGrants::Table)
            .and_where(Expr::col(MemberGrants::OrgId).eq(org.0))
            .and_where(Expr::col(MemberGrants::UserId).is_in(chunk.iter().map(|u| u.0)))
            .to_owned();
        for row in r.read_all::<GrantRow, _>(&q).await? {
            out.entry(UserId(row.owner)).or_default().grant(&row.resource, actions_of(row.actions));
        }
    }
    Ok(out)
}

async fn add_to_member_count(tx: &mut Tx, org: OrgId, role: RoleId, n: i64) -> Result<()> {
    if n == 0 {
        return Ok(());
    }
    tx.execute(
        Query::update()
            .table(Roles::Table)
            .value(Roles::MemberCount, Expr::col(Roles::MemberCount).add(n))
            .and_where(Expr::col(Roles::OrgId).eq(org.0))
            .and_where(Expr::col(Roles::Id).eq(role.0)),
    )
    .await?;
    Ok(())
}

/// Gives members a role (those who hold it already are left alone) and
/// counts them. Answers how many gained it.
pub async fn add_role(tx: &mut Tx, org: OrgId, role: RoleId, users: &[UserId]) -> Result<u64> {
    let mut added = 0;
    for chunk in users.chunks(1000) {
        let held: Vec<UserId> = holders_among(tx, org, role, chunk).await?;
        let new: Vec<&UserId> = chunk.iter().filter(|u| !held.contains(u)).collect();
        if new.is_empty() {
            continue;
        }
        let mut q = Query::insert();
        q.into_table(MemberRoles::Table).columns([MemberRoles::OrgId, MemberRoles::UserId, MemberRoles::RoleId]);
        for u in &new {
            q.values_panic([org.0.into(), u.0.into(), role.0.into()]);
        }
        tx.execute(&q).await?;
        added += new.len() as u64;
    }
    add_to_member_count(tx, org, role, added as i64).await?;
    Ok(added)
}

async fn holders_among(tx: &mut Tx, org: OrgId, role: RoleId, users: &[UserId]) -> Result<Vec<UserId>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        user_id: Uuid,
    }
    let q = Query::select()
        .column(MemberRoles::UserId)
        .from(MemberRoles::Table)
        .and_where(Expr::col(MemberRoles::OrgId).eq(org.0))
        .and_where(Expr::col(MemberRoles::RoleId).eq(role.0))
        .and_where(Expr::col(MemberRoles::UserId).is_in(users.iter().map(|u| u.0)))
        .to_owned();
    Ok(tx.fetch_all::<Row, _>(&q).await?.into_iter().map(|r| UserId(r.user_id)).collect())
}

/// Takes a role from members and counts them. Answers how many lost it.
/// In a partner, the role stops applying inside customers too (its
/// `customer_roles` rows go with it), whichever path took it away.
pub async fn remove_role(tx: &mut Tx, org: OrgId, role: RoleId, users: &[UserId]) -> Result<u64> {
    crate::partners::remove_role_everywhere(tx, org, role, users).await?;
    let mut removed = 0;
    for chunk in users.chunks(1000) {
        removed += tx
            .execute(
                Query::delete()
                    .from_table(MemberRoles::Table)
                    .and_where(Expr::col(MemberRoles::OrgId).eq(org.0))
                    .and_where(Expr::col(MemberRoles::RoleId).eq(role.0))
                    .and_where(Expr::col(MemberRoles::UserId).is_in(chunk.iter().map(|u| u.0))),
            )
            .await?;
    }
    add_to_member_count(tx, org, role, -(removed as i64)).await?;
    Ok(removed)
}

/// Every member holding a role, in pages of `limit` after `after`.
pub async fn holders(
    r: &mut impl Reader,
    org: OrgId,
    role: RoleId,
    after: Option<UserId>,
    limit: u64,
) -> Result<Vec<UserId>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        user_id: Uuid,
    }
    let mut q = Query::select();
    q.column(MemberRoles::UserId)
        .from(MemberRoles::Table)
        .and_where(Expr::col(MemberRoles::OrgId).eq(org.0))
        .and_where(Expr::col(MemberRoles::RoleId).eq(role.0))
        .order_by(MemberRoles::UserId, Order::Asc)
        .limit(limit);
    if let Some(a) = after {
        q.and_where(Expr::col(MemberRoles::UserId).gt(a.0));
    }
    Ok(r.read_all::<Row, _>(&q).await?.into_iter().map(|r| UserId(r.user_id)).collect())
}

/// Replaces a member's own grants.
pub async fn set_member_grants(tx: &mut Tx, org: OrgId, user: UserId, grants: &Grants) -> Result<()> {
    replace_grants(tx, &MEMBER_GRANTS, org, user.0, grants).await
}

/// Active members holding any of `roles`, in user-id order: a page of at
/// most `limit` after `after` (keyset paging, so every holder is reached
/// however many there are).
pub async fn active_holders_of_any(
    r: &mut impl Reader,
    org: OrgId,
    roles: &[RoleId],
    after: Option<UserId>,
    limit: u64,
) -> Result<Vec<UserId>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        user_id: Uuid,
    }
    if roles.is_empty() {
        return Ok(vec![]);
    }
    let mut q = Query::select();
    q.distinct()
        .column((MemberRoles::Table, MemberRoles::UserId))
        .from(MemberRoles::Table)
        .inner_join(
            Members::Table,
            Expr::col((Members::Table, Members::OrgId))
                .equals((MemberRoles::Table, MemberRoles::OrgId))
                .and(Expr::col((Members::Table, Members::UserId)).equals((MemberRoles::Table, MemberRoles::UserId))),
        )
        .and_where(Expr::col((MemberRoles::Table, MemberRoles::OrgId)).eq(org.0))
        .and_where(Expr::col((MemberRoles::Table, MemberRoles::RoleId)).is_in(roles.iter().map(|r| r.0)))
        .and_where(Expr::col((Members::Table, Members::Status)).eq(MemberStatus::Active.as_str()))
        .order_by((MemberRoles::Table, MemberRoles::UserId), Order::Asc)
        .limit(limit);
    if let Some(a) = after {
        q.and_where(Expr::col((MemberRoles::Table, MemberRoles::UserId)).gt(a.0));
    }
    Ok(r.read_all::<Row, _>(&q).await?.into_iter().map(|r| UserId(r.user_id)).collect())
}

/// Active members whose own grants include every action of `actions` on
/// `resource`, in user-id order: a page of at most `limit` after `after`.
pub async fn active_with_own_grant(
    r: &mut impl Reader,
    org: OrgId,
    resource: &str,
    actions: Actions,
    after: Option<UserId>,
    limit: u64,
) -> Result<Vec<UserId>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        user_id: Uuid,
    }
    // The stored bit sets that cover `actions`, listed, because the two
    // backends spell bitwise AND on integers differently.
    let covering: Vec<i32> = (0u8..16).filter(|b| Actions::from_bits(*b).covers(actions)).map(i32::from).collect();
    let mut q = Query::select();
    q.column((MemberGrants::Table, MemberGrants::UserId))
        .from(MemberGrants::Table)
        .inner_join(
            Members::Table,
            Expr::col((Members::Table, Members::OrgId))
                .equals((MemberGrants::Table, MemberGrants::OrgId))
                .and(Expr::col((Members::Table, Members::UserId)).equals((MemberGrants::Table, MemberGrants::UserId))),
        )
        .and_where(Expr::col((MemberGrants::Table, MemberGrants::OrgId)).eq(org.0))
        .and_where(Expr::col((MemberGrants::Table, MemberGrants::Resource)).eq(resource))
        .and_where(Expr::col((MemberGrants::Table, MemberGrants::Actions)).is_in(covering))
        .and_where(Expr::col((Members::Table, Members::Status)).eq(MemberStatus::Active.as_str()))
        .order_by((MemberGrants::Table, MemberGrants::UserId), Order::Asc)
        .limit(limit);
    if let Some(a) = after {
        q.and_where(Expr::col((MemberGrants::Table, MemberGrants::UserId)).gt(a.0));
    }
    Ok(r.read_all::<Row, _>(&q).await?.into_iter().map(|r| UserId(r.user_id)).collect())
}

/// Stores an organization's application resources.
pub async fn insert_org_resources(tx: &mut Tx, org: OrgId, resources: &[AppResource]) -> Result<()> {
    if resources.is_empty() {
        return Ok(());
    }
    let mut q = Query::insert();
    q.into_table(OrgResources::Table).columns([
        OrgResources::OrgId,
        OrgResources::Key,
        OrgResources::Label,
        OrgResources::Description,
        OrgResources::Position,
    ]);
    for (i, r) in resources.iter().enumerate() {
        q.values_panic([
            org.0.into(),
            r.key.clone().into(),
            r.label.clone().into(),
            r.description.clone().into(),
            (i as i32).into(),
        ]);
    }
    tx.execute(&q).await?;
    Ok(())
}

/// An organization's application resources, in display order.
pub async fn list_org_resources(r: &mut impl Reader, org: OrgId) -> Result<Vec<AppResource>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        key: String,
        label: String,
        description: String,
    }
    let q = Query::select()
        .columns([OrgResources::Key, OrgResources::Label, OrgResources::Description])
        .from(OrgResources::Table)
        .and_where(Expr::col(OrgResources::OrgId).eq(org.0))
        .order_by(OrgResources::Position, Order::Asc)
        .to_owned();
    Ok(r.read_all::<Row, _>(&q)
        .await?
        .into_iter()
        .map(|r| AppResource { key: r.key, label: r.label, description: r.description })
        .collect())
}

/// Inserts role assignments known to be new (a bulk load's) and counts them.
pub async fn insert_assignments(tx: &mut Tx, org: OrgId, pairs: &[(UserId, RoleId)]) -> Result<()> {
    let mut per_role: BTreeMap<RoleId, i64> = BTreeMap::new();
    for chunk in pairs.chunks(10_000) {
        let mut q = Query::insert();
        q.into_table(MemberRoles::Table).columns([MemberRoles::OrgId, MemberRoles::UserId, MemberRoles::RoleId]);
        for (u, r) in chunk {
            q.values_panic([org.0.into(), u.0.into(), r.0.into()]);
            *per_role.entry(*r).or_default() += 1;
        }
        tx.execute(&q).await?;
    }
    for (role, n) in per_role {
        add_to_member_count(tx, org, role, n).await?;
    }
    Ok(())
}
