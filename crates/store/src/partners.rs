//! Partners, their customers and organization groups (migration 0021):
//! `organizations.parent_id`, `customer_link_requests`, `org_groups`,
//! `org_group_customers` and `customer_roles` (a partner member's roles
//! inside customers: one row per role and group, the nil id standing for
//! every customer).

use roster_domain::partners::CustomerStatus;
use roster_domain::{MemberStatus, OrgGroupId, OrgId, RoleId, Timestamp, UserId};
use sea_query::{Alias, Expr, ExprTrait, Func, Iden, Order, Query, QueryStatementBuilder, SelectStatement};
use uuid::Uuid;

use crate::orgs::{COLUMNS, OrgRecord, OrgRow};
use crate::tables::{MemberCounts, MemberRoles, Members, Organizations};
use crate::{Reader, Result, Tx};

/// `customer_link_requests` (migration 0021).
#[derive(Iden, Clone, Copy)]
enum CustomerLinkRequests {
    Table,
    OrgId,
    PartnerId,
    RequestedBy,
    RequestedByLabel,
    CreatedAt,
}

/// `org_groups` (migration 0021).
#[derive(Iden, Clone, Copy)]
enum OrgGroups {
    Table,
    OrgId,
    Id,
    Name,
    NameKey,
    CreatedAt,
}

/// `org_group_customers` (migration 0021).
#[derive(Iden, Clone, Copy)]
enum OrgGroupCustomers {
    Table,
    OrgId,
    GroupId,
    CustomerId,
}

/// `customer_roles` (migration 0021).
#[derive(Iden, Clone, Copy)]
enum CustomerRoles {
    Table,
    OrgId,
    UserId,
    RoleId,
    GroupId,
}

/// `subscriptions` (migration 0014), for the seats column.
#[derive(Iden, Clone, Copy)]
enum Subscriptions {
    Table,
    OrgId,
    LicenseCount,
    Used,
    Status,
}

/// How `customer_roles` stores "every customer".
const ALL_CUSTOMERS: Uuid = Uuid::nil();

fn group_value(group: Option<OrgGroupId>) -> Uuid {
    group.map_or(ALL_CUSTOMERS, |g| g.0)
}

fn group_of(v: Uuid) -> Option<OrgGroupId> {
    (v != ALL_CUSTOMERS).then_some(OrgGroupId(v))
}

/// Makes `customer` a customer of `partner` (or of nobody).
pub async fn set_parent(tx: &mut Tx, customer: OrgId, partner: Option<OrgId>) -> Result<()> {
    tx.execute(
        Query::update()
            .table(Organizations::Table)
            .value(Organizations::ParentId, partner.map(|p| p.0))
            .and_where(Expr::col(Organizations::Id).eq(customer.0)),
    )
    .await?;
    if partner.is_none() {
        // Groups of the old partner no longer hold it.
        tx.execute(
            Query::delete()
                .from_table(OrgGroupCustomers::Table)
                .and_where(Expr::col(OrgGroupCustomers::CustomerId).eq(customer.0)),
        )
        .await?;
    }
    Ok(())
}

/// Marks an organization as a partner (or not): the operator's switch.
pub async fn set_partner(tx: &mut Tx, org: OrgId, partner: bool) -> Result<()> {
    tx.execute(
        Query::update()
            .table(Organizations::Table)
            .value(Organizations::Partner, partner)
            .value(Organizations::AuthzVersion, Expr::col(Organizations::AuthzVersion).add(1))
            .and_where(Expr::col(Organizations::Id).eq(org.0)),
    )
    .await?;
    Ok(())
}

/// What the Customers tab asks for.
#[derive(Debug, Clone, Default)]
pub struct CustomerQuery {
    /// Substring of the name or slug.
    pub q: Option<String>,
    /// Only customers in this status (active or invited).
    pub status: Option<CustomerStatus>,
    /// Only customers in one of these groups (`None`: every customer).
    pub within_groups: Option<Vec<OrgGroupId>>,
    /// Only customers of this group.
    pub group: Option<OrgGroupId>,
    /// Keyset: after this (name, id).
    pub after: Option<(String, OrgId)>,
    /// At most this many.
    pub limit: u64,
}

/// One customer in the Customers tab.
#[derive(Debug, Clone)]
pub struct CustomerRow {
    /// The organization.
    pub org: OrgRecord,
    /// Active, or invited (its owner has never signed in yet).
    pub status: CustomerStatus,
    /// Active members.
    pub active_members: i64,
    /// Members in every status but archived.
    pub members: i64,
    /// Licenses assigned, over the seats of its live subscriptions.
    pub seats_used: i64,
    /// Seats of its live subscriptions.
    pub seats: i64,
}

#[derive(sqlx::FromRow)]
struct CustomerDbRow {
    #[sqlx(flatten)]
    org: OrgRow,
    owner_last_active: Option<i64>,
    active_members: Option<i64>,
    members: Option<i64>,
    seats_used: Option<i64>,
    seats: Option<i64>,
}

fn customers_where(q: &mut SelectStatement, partner: OrgId, query: &CustomerQuery) {
    q.and_where(Expr::col((Organizations::Table, Organizations::ParentId)).eq(partner.0));
    if let Some(text) = query.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pattern =
            format!("%{}%", text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        q.and_where(
            Expr::expr(Func::lower(Expr::col((Organizations::Table, Organizations::Name))))
                .like(sea_query::LikeExpr::new(pattern.clone()).escape('\\'))
                .or(Expr::col((Organizations::Table, Organizations::Slug))
                    .like(sea_query::LikeExpr::new(pattern).escape('\\'))),
        );
    }
    let in_groups = |groups: Vec<Uuid>| {
        Query::select()
            .column(OrgGroupCustomers::CustomerId)
            .from(OrgGroupCustomers::Table)
            .and_where(Expr::col(OrgGroupCustomers::OrgId).eq(partner.0))
            .and_where(Expr::col(OrgGroupCustomers::GroupId).is_in(groups))
            .to_owned()
    };
    if let Some(groups) = &query.within_groups {
        q.and_where(
            Expr::col((Organizations::Table, Organizations::Id))
                .in_subquery(in_groups(groups.iter().map(|g| g.0).collect())),
        );
    }
    if let Some(g) = query.group {
        q.and_where(Expr::col((Organizations::Table, Organizations::Id)).in_subquery(in_groups(vec![g.0])));
    }
    match query.status {
        Some(CustomerStatus::Invited) => {
            q.and_where(owner_status_expr().eq(0i64));
        }
        Some(CustomerStatus::Active) => {
            q.and_where(
                Expr::col((Organizations::Table, Organizations::OwnerId)).is_null().or(owner_status_expr().ne(0i64)),
            );
        }
        Some(CustomerStatus::LinkPending) | None => {}
    }
}

fn owner_status_expr() -> Expr {
    Expr::SubQuery(
        None,
        Box::new(
            Query::select()
                .column((Alias::new("om"), Members::LastActiveAt))
                .from_as(Members::Table, Alias::new("om"))
                .and_where(
                    Expr::col((Alias::new("om"), Members::OrgId)).equals((Organizations::Table, Organizations::Id)),
                )
                .and_where(
                    Expr::col((Alias::new("om"), Members::UserId))
                        .equals((Organizations::Table, Organizations::OwnerId)),
                )
                .to_owned()
                .into_sub_query_statement(),
        ),
    )
}

fn count_expr(status: Option<MemberStatus>) -> Expr {
    let mut q = Query::select();
    q.expr(Func::cast_as(Func::sum(Expr::col((Alias::new("mc"), MemberCounts::Count))), Alias::new("BIGINT")))
        .from_as(MemberCounts::Table, Alias::new("mc"))
        .and_where(
            Expr::col((Alias::new("mc"), MemberCounts::OrgId)).equals((Organizations::Table, Organizations::Id)),
        );
    match status {
        Some(s) => q.and_where(Expr::col((Alias::new("mc"), MemberCounts::Status)).eq(s.as_str())),
        None => q.and_where(Expr::col((Alias::new("mc"), MemberCounts::Status)).ne(MemberStatus::Archived.as_str())),
    };
    Expr::SubQuery(None, Box::new(q.into_sub_query_statement()))
}

fn seats_expr(column: Subscriptions) -> Expr {
    let q = Query::select()
        .expr(Func::cast_as(Func::sum(Expr::col((Alias::new("sub"), column))), Alias::new("BIGINT")))
        .from_as(Subscriptions::Table, Alias::new("sub"))
        .and_where(
            Expr::col((Alias::new("sub"), Subscriptions::OrgId)).equals((Organizations::Table, Organizations::Id)),
        )
        .and_where(Expr::col((Alias::new("sub"), Subscriptions::Status)).ne("canceled"))
        .to_owned();
    Expr::SubQuery(None, Box::new(q.into_sub_query_statement()))
}

/// A page of a partner's customers by name, with their status, member
/// counts and seats (keyset: `after` the last page's (name, id)).
pub async fn list_customers(r: &mut impl Reader, partner: OrgId, query: &CustomerQuery) -> Result<Vec<CustomerRow>> {
    let mut q = Query::select();
    for c in COLUMNS {
        q.column((Organizations::Table, c));
    }
    q.expr_as(owner_status_expr(), Alias::new("owner_last_active"))
        .expr_as(count_expr(Some(MemberStatus::Active)), Alias::new("active_members"))
        .expr_as(count_expr(None), Alias::new("members"))
        .expr_as(seats_expr(Subscriptions::Used), Alias::new("seats_used"))
        .expr_as(seats_expr(Subscriptions::LicenseCount), Alias::new("seats"))
        .from(Organizations::Table);
    customers_where(&mut q, partner, query);
    if let Some((name, id)) = &query.after {
        q.and_where(
            Expr::col((Organizations::Table, Organizations::Name)).gt(name.clone()).or(Expr::col((
                Organizations::Table,
                Organizations::Name,
            ))
            .eq(name.clone())
            .and(Expr::col((Organizations::Table, Organizations::Id)).gt(id.0))),
        );
    }
    q.order_by((Organizations::Table, Organizations::Name), Order::Asc)
        .order_by((Organizations::Table, Organizations::Id), Order::Asc)
        .limit(query.limit);
    let rows: Vec<CustomerDbRow> = r.read_all(&q).await?;
    Ok(rows
        .into_iter()
        .map(|row| CustomerRow {
            status: if row.owner_last_active == Some(0) { CustomerStatus::Invited } else { CustomerStatus::Active },
            org: row.org.into(),
            active_members: row.active_members.unwrap_or(0),
            members: row.members.unwrap_or(0),
            seats_used: row.seats_used.unwrap_or(0),
            seats: row.seats.unwrap_or(0),
        })
        .collect())
}

/// How many customers match (without the keyset and the limit).
pub async fn count_customers(r: &mut impl Reader, partner: OrgId, query: &CustomerQuery) -> Result<i64> {
    #[derive(sqlx::FromRow)]
    struct N {
        n: i64,
    }
    let mut q = Query::select();
    q.expr_as(Expr::col((Organizations::Table, Organizations::Id)).count(), Alias::new("n")).from(Organizations::Table);
    customers_where(&mut q, partner, query);
    Ok(r.read_optional::<N, _>(&q).await?.map_or(0, |n| n.n))
}

/// A pending request to link an organization to a partner.
#[derive(Debug, Clone)]
pub struct LinkRequest {
    /// The organization asked (it becomes the customer).
    pub org: OrgRecord,
    /// The partner asking.
    pub partner_id: OrgId,
    /// Who asked.
    pub requested_by: Option<UserId>,
    /// How the audit log names who asked.
    pub requested_by_label: String,
    /// When.
    pub created_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    #[sqlx(flatten)]
    org: OrgRow,
    partner_id: Uuid,
    requested_by: Option<Uuid>,
    requested_by_label: String,
    requested_at: i64,
}

/// Records a request to link `org` to `partner` (an earlier one is replaced).
pub async fn insert_link_request(
    tx: &mut Tx,
    org: OrgId,
    partner: OrgId,
    by: Option<UserId>,
    by_label: &str,
    now: Timestamp,
) -> Result<()> {
    delete_link_request(tx, org, partner).await?;
    tx.execute(
        Query::insert()
            .into_table(CustomerLinkRequests::Table)
            .columns([
                CustomerLinkRequests::OrgId,
                CustomerLinkRequests::PartnerId,
                CustomerLinkRequests::RequestedBy,
                CustomerLinkRequests::RequestedByLabel,
                CustomerLinkRequests::CreatedAt,
            ])
            .values_panic([org.0.into(), partner.0.into(), by.map(|u| u.0).into(), by_label.into(), now.0.into()]),
    )
    .await?;
    Ok(())
}

/// Removes a link request (accepted, refused or withdrawn).
pub async fn delete_link_request(tx: &mut Tx, org: OrgId, partner: OrgId) -> Result<u64> {
    tx.execute(
        Query::delete()
            .from_table(CustomerLinkRequests::Table)
            .and_where(Expr::col(CustomerLinkRequests::OrgId).eq(org.0))
            .and_where(Expr::col(CustomerLinkRequests::PartnerId).eq(partner.0)),
    )
    .await
}

/// Pending link requests: those a partner sent (`by_partner`), or those an
/// organization received (`to_org`).
pub async fn link_requests(
    r: &mut impl Reader,
    by_partner: Option<OrgId>,
    to_org: Option<OrgId>,
) -> Result<Vec<LinkRequest>> {
    let mut q = Query::select();
    for c in COLUMNS {
        q.column((Organizations::Table, c));
    }
    q.column((CustomerLinkRequests::Table, CustomerLinkRequests::PartnerId))
        .column((CustomerLinkRequests::Table, CustomerLinkRequests::RequestedBy))
        .column((CustomerLinkRequests::Table, CustomerLinkRequests::RequestedByLabel))
        .expr_as(Expr::col((CustomerLinkRequests::Table, CustomerLinkRequests::CreatedAt)), Alias::new("requested_at"))
        .from(CustomerLinkRequests::Table)
        .inner_join(
            Organizations::Table,
            Expr::col((Organizations::Table, Organizations::Id))
                .equals((CustomerLinkRequests::Table, CustomerLinkRequests::OrgId)),
        )
        .order_by((CustomerLinkRequests::Table, CustomerLinkRequests::CreatedAt), Order::Desc)
        .limit(500);
    if let Some(p) = by_partner {
        q.and_where(Expr::col((CustomerLinkRequests::Table, CustomerLinkRequests::PartnerId)).eq(p.0));
    }
    if let Some(o) = to_org {
        q.and_where(Expr::col((CustomerLinkRequests::Table, CustomerLinkRequests::OrgId)).eq(o.0));
    }
    let rows: Vec<LinkRow> = r.read_all(&q).await?;
    Ok(rows
        .into_iter()
        .map(|r| LinkRequest {
            org: r.org.into(),
            partner_id: OrgId(r.partner_id),
            requested_by: r.requested_by.map(UserId),
            requested_by_label: r.requested_by_label,
            created_at: Timestamp(r.requested_at),
        })
        .collect())
}

/// An organization group as stored, with its counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    /// Its id.
    pub id: OrgGroupId,
    /// Its name.
    pub name: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// How many customers it holds.
    pub customers: i64,
    /// How many partner members it is assigned to.
    pub members: i64,
}

#[derive(sqlx::FromRow)]
struct GroupRow {
    id: Uuid,
    name: String,
    created_at: i64,
    customers: Option<i64>,
    members: Option<i64>,
}

/// Inserts a group; a name taken in the partner is a unique violation.
pub async fn insert_group(tx: &mut Tx, partner: OrgId, id: OrgGroupId, name: &str, now: Timestamp) -> Result<()> {
    tx.execute(
        Query::insert()
            .into_table(OrgGroups::Table)
            .columns([OrgGroups::OrgId, OrgGroups::Id, OrgGroups::Name, OrgGroups::NameKey, OrgGroups::CreatedAt])
            .values_panic([partner.0.into(), id.0.into(), name.into(), name.to_lowercase().into(), now.0.into()]),
    )
    .await?;
    Ok(())
}

/// Renames a group; a name taken in the partner is a unique violation.
pub async fn rename_group(tx: &mut Tx, partner: OrgId, id: OrgGroupId, name: &str) -> Result<u64> {
    tx.execute(
        Query::update()
            .table(OrgGroups::Table)
            .value(OrgGroups::Name, name)
            .value(OrgGroups::NameKey, name.to_lowercase())
            .and_where(Expr::col(OrgGroups::OrgId).eq(partner.0))
            .and_where(Expr::col(OrgGroups::Id).eq(id.0)),
    )
    .await
}

/// Deletes a group with its customers and the role rows that name it.
pub async fn delete_group(tx: &mut Tx, partner: OrgId, id: OrgGroupId) -> Result<u64> {
    tx.execute(
        Query::delete()
            .from_table(OrgGroupCustomers::Table)
            .and_where(Expr::col(OrgGroupCustomers::OrgId).eq(partner.0))
            .and_where(Expr::col(OrgGroupCustomers::GroupId).eq(id.0)),
    )
    .await?;
    tx.execute(
        Query::delete()
            .from_table(CustomerRoles::Table)
            .and_where(Expr::col(CustomerRoles::OrgId).eq(partner.0))
            .and_where(Expr::col(CustomerRoles::GroupId).eq(id.0)),
    )
    .await?;
    tx.execute(
        Query::delete()
            .from_table(OrgGroups::Table)
            .and_where(Expr::col(OrgGroups::OrgId).eq(partner.0))
            .and_where(Expr::col(OrgGroups::Id).eq(id.0)),
    )
    .await
}

/// A partner's groups by name, with their counts (or only `ids`).
pub async fn list_groups(r: &mut impl Reader, partner: OrgId, ids: Option<&[OrgGroupId]>) -> Result<Vec<GroupRecord>> {
    let customers = Query::select()
        .expr(Expr::col((Alias::new("gc"), OrgGroupCustomers::CustomerId)).count())
        .from_as(OrgGroupCustomers::Table, Alias::new("gc"))
        .and_where(Expr::col((Alias::new("gc"), OrgGroupCustomers::OrgId)).equals((OrgGroups::Table, OrgGroups::OrgId)))
        .and_where(Expr::col((Alias::new("gc"), OrgGroupCustomers::GroupId)).equals((OrgGroups::Table, OrgGroups::Id)))
        .to_owned();
    let members = Query::select()
        .expr(Expr::col((Alias::new("cr"), CustomerRoles::UserId)).count_distinct())
        .from_as(CustomerRoles::Table, Alias::new("cr"))
        .and_where(Expr::col((Alias::new("cr"), CustomerRoles::OrgId)).equals((OrgGroups::Table, OrgGroups::OrgId)))
        .and_where(Expr::col((Alias::new("cr"), CustomerRoles::GroupId)).equals((OrgGroups::Table, OrgGroups::Id)))
        .to_owned();
    let mut q = Query::select();
    q.column((OrgGroups::Table, OrgGroups::Id))
        .column((OrgGroups::Table, OrgGroups::Name))
        .column((OrgGroups::Table, OrgGroups::CreatedAt))
        .expr_as(Expr::SubQuery(None, Box::new(customers.into_sub_query_statement())), Alias::new("customers"))
        .expr_as(Expr::SubQuery(None, Box::new(members.into_sub_query_statement())), Alias::new("members"))
        .from(OrgGroups::Table)
        .and_where(Expr::col((OrgGroups::Table, OrgGroups::OrgId)).eq(partner.0))
        .order_by((OrgGroups::Table, OrgGroups::NameKey), Order::Asc);
    if let Some(ids) = ids {
        q.and_where(Expr::col((OrgGroups::Table, OrgGroups::Id)).is_in(ids.iter().map(|g| g.0)));
    }
    let rows: Vec<GroupRow> = r.read_all(&q).await?;
    Ok(rows
        .into_iter()
        .map(|g| GroupRecord {
            id: OrgGroupId(g.id),
            name: g.name,
            created_at: Timestamp(g.created_at),
            customers: g.customers.unwrap_or(0),
            members: g.members.unwrap_or(0),
        })
        .collect())
}

/// The groups of a partner that hold a customer.
pub async fn groups_of_customer(r: &mut impl Reader, partner: OrgId, customer: OrgId) -> Result<Vec<OrgGroupId>> {
    #[derive(sqlx::FromRow)]
    struct G {
        group_id: Uuid,
    }
    let q = Query::select()
        .column(OrgGroupCustomers::GroupId)
        .from(OrgGroupCustomers::Table)
        .and_where(Expr::col(OrgGroupCustomers::OrgId).eq(partner.0))
        .and_where(Expr::col(OrgGroupCustomers::CustomerId).eq(customer.0))
        .to_owned();
    Ok(r.read_all::<G, _>(&q).await?.into_iter().map(|g| OrgGroupId(g.group_id)).collect())
}

/// The customers of a group (ids).
pub async fn customers_of_group(r: &mut impl Reader, partner: OrgId, group: OrgGroupId) -> Result<Vec<OrgId>> {
    #[derive(sqlx::FromRow)]
    struct C {
        customer_id: Uuid,
    }
    let q = Query::select()
        .column(OrgGroupCustomers::CustomerId)
        .from(OrgGroupCustomers::Table)
        .and_where(Expr::col(OrgGroupCustomers::OrgId).eq(partner.0))
        .and_where(Expr::col(OrgGroupCustomers::GroupId).eq(group.0))
        .to_owned();
    Ok(r.read_all::<C, _>(&q).await?.into_iter().map(|c| OrgId(c.customer_id)).collect())
}

/// Adds customers to a group (those already in it are left).
pub async fn add_group_customers(tx: &mut Tx, partner: OrgId, group: OrgGroupId, orgs: &[OrgId]) -> Result<()> {
    for chunk in orgs.chunks(500) {
        let mut q = Query::insert();
        q.into_table(OrgGroupCustomers::Table)
            .columns([OrgGroupCustomers::OrgId, OrgGroupCustomers::GroupId, OrgGroupCustomers::CustomerId])
            .on_conflict(sea_query::OnConflict::new().do_nothing().to_owned());
        for o in chunk {
            q.values_panic([partner.0.into(), group.0.into(), o.0.into()]);
        }
        tx.execute(&q).await?;
    }
    Ok(())
}

/// Removes customers from a group.
pub async fn remove_group_customers(tx: &mut Tx, partner: OrgId, group: OrgGroupId, orgs: &[OrgId]) -> Result<()> {
    for chunk in orgs.chunks(1000) {
        tx.execute(
            Query::delete()
                .from_table(OrgGroupCustomers::Table)
                .and_where(Expr::col(OrgGroupCustomers::OrgId).eq(partner.0))
                .and_where(Expr::col(OrgGroupCustomers::GroupId).eq(group.0))
                .and_where(Expr::col(OrgGroupCustomers::CustomerId).is_in(chunk.iter().map(|o| o.0))),
        )
        .await?;
    }
    Ok(())
}

/// One of a partner member's roles inside customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CustomerRole {
    /// The member.
    pub user: UserId,
    /// The role.
    pub role: RoleId,
    /// The group it covers (`None`: every customer).
    pub group: Option<OrgGroupId>,
}

#[derive(sqlx::FromRow)]
struct CustomerRoleRow {
    user_id: Uuid,
    role_id: Uuid,
    group_id: Uuid,
}

/// The customer-scope rows of some members (`users`), or of a group's members (`group`).
pub async fn customer_roles(
    r: &mut impl Reader,
    partner: OrgId,
    users: Option<&[UserId]>,
    group: Option<OrgGroupId>,
) -> Result<Vec<CustomerRole>> {
    let mut q = Query::select();
    q.columns([CustomerRoles::UserId, CustomerRoles::RoleId, CustomerRoles::GroupId])
        .from(CustomerRoles::Table)
        .and_where(Expr::col(CustomerRoles::OrgId).eq(partner.0))
        .order_by(CustomerRoles::UserId, Order::Asc);
    if let Some(users) = users {
        q.and_where(Expr::col(CustomerRoles::UserId).is_in(users.iter().map(|u| u.0)));
    }
    if let Some(g) = group {
        q.and_where(Expr::col(CustomerRoles::GroupId).eq(g.0));
    }
    let rows: Vec<CustomerRoleRow> = r.read_all(&q).await?;
    Ok(rows
        .into_iter()
        .map(|r| CustomerRole { user: UserId(r.user_id), role: RoleId(r.role_id), group: group_of(r.group_id) })
        .collect())
}

/// Adds customer-scope rows (those present are left).
pub async fn add_customer_roles(tx: &mut Tx, partner: OrgId, rows: &[CustomerRole]) -> Result<()> {
    for chunk in rows.chunks(500) {
        let mut q = Query::insert();
        q.into_table(CustomerRoles::Table)
            .columns([CustomerRoles::OrgId, CustomerRoles::UserId, CustomerRoles::RoleId, CustomerRoles::GroupId])
            .on_conflict(sea_query::OnConflict::new().do_nothing().to_owned());
        for r in chunk {
            q.values_panic([partner.0.into(), r.user.0.into(), r.role.0.into(), group_value(r.group).into()]);
        }
        tx.execute(&q).await?;
    }
    Ok(())
}

/// Removes customer-scope rows.
pub async fn remove_customer_roles(tx: &mut Tx, partner: OrgId, rows: &[CustomerRole]) -> Result<()> {
    for r in rows {
        tx.execute(
            Query::delete()
                .from_table(CustomerRoles::Table)
                .and_where(Expr::col(CustomerRoles::OrgId).eq(partner.0))
                .and_where(Expr::col(CustomerRoles::UserId).eq(r.user.0))
                .and_where(Expr::col(CustomerRoles::RoleId).eq(r.role.0))
                .and_where(Expr::col(CustomerRoles::GroupId).eq(group_value(r.group))),
        )
        .await?;
    }
    Ok(())
}

/// The roles of a partner member that cover one customer: those over every
/// customer and those over a group holding it. One indexed query.
pub async fn covering_roles(r: &mut impl Reader, partner: OrgId, user: UserId, customer: OrgId) -> Result<Vec<RoleId>> {
    #[derive(sqlx::FromRow)]
    struct Held {
        role_id: Uuid,
    }
    let groups = Query::select()
        .column(OrgGroupCustomers::GroupId)
        .from(OrgGroupCustomers::Table)
        .and_where(Expr::col(OrgGroupCustomers::OrgId).eq(partner.0))
        .and_where(Expr::col(OrgGroupCustomers::CustomerId).eq(customer.0))
        .to_owned();
    let q = Query::select()
        .distinct()
        .column(CustomerRoles::RoleId)
        .from(CustomerRoles::Table)
        .and_where(Expr::col(CustomerRoles::OrgId).eq(partner.0))
        .and_where(Expr::col(CustomerRoles::UserId).eq(user.0))
        .and_where(
            Expr::col(CustomerRoles::GroupId)
                .eq(ALL_CUSTOMERS)
                .or(Expr::col(CustomerRoles::GroupId).in_subquery(groups)),
        )
        .to_owned();
    Ok(r.read_all::<Held, _>(&q).await?.into_iter().map(|h| RoleId(h.role_id)).collect())
}

/// A partner member who can act in a customer, for the customer's admins.
#[derive(Debug, Clone)]
pub struct PartnerActor {
    /// The user.
    pub user_id: UserId,
    /// Their email.
    pub email: String,
    /// Their name.
    pub name: String,
    /// The roles that reach the customer.
    pub roles: Vec<RoleId>,
}

/// The active partner members whose roles cover `customer`.
pub async fn partner_actors(r: &mut impl Reader, partner: OrgId, customer: OrgId) -> Result<Vec<PartnerActor>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        user_id: Uuid,
        email: String,
        name: String,
        role_id: Uuid,
    }
    let groups = Query::select()
        .column(OrgGroupCustomers::GroupId)
        .from(OrgGroupCustomers::Table)
        .and_where(Expr::col(OrgGroupCustomers::OrgId).eq(partner.0))
        .and_where(Expr::col(OrgGroupCustomers::CustomerId).eq(customer.0))
        .to_owned();
    let q = Query::select()
        .distinct()
        .column((CustomerRoles::Table, CustomerRoles::UserId))
        .column((Members::Table, Members::Email))
        .column((Members::Table, Members::Name))
        .column((CustomerRoles::Table, CustomerRoles::RoleId))
        .from(CustomerRoles::Table)
        .inner_join(
            Members::Table,
            Expr::col((Members::Table, Members::OrgId)).equals((CustomerRoles::Table, CustomerRoles::OrgId)).and(
                Expr::col((Members::Table, Members::UserId)).equals((CustomerRoles::Table, CustomerRoles::UserId)),
            ),
        )
        .and_where(Expr::col((CustomerRoles::Table, CustomerRoles::OrgId)).eq(partner.0))
        .and_where(Expr::col((Members::Table, Members::Status)).eq(MemberStatus::Active.as_str()))
        .and_where(
            Expr::col((CustomerRoles::Table, CustomerRoles::GroupId)).eq(ALL_CUSTOMERS).or(Expr::col((
                CustomerRoles::Table,
                CustomerRoles::GroupId,
            ))
            .in_subquery(groups)),
        )
        .order_by((Members::Table, Members::Name), Order::Asc)
        .order_by((CustomerRoles::Table, CustomerRoles::UserId), Order::Asc)
        .limit(5000)
        .to_owned();
    let rows: Vec<Row> = r.read_all(&q).await?;
    let mut out: Vec<PartnerActor> = Vec::new();
    for row in rows {
        match out.last_mut() {
            Some(last) if last.user_id.0 == row.user_id => last.roles.push(RoleId(row.role_id)),
            _ => out.push(PartnerActor {
                user_id: UserId(row.user_id),
                email: row.email,
                name: row.name,
                roles: vec![RoleId(row.role_id)],
            }),
        }
    }
    Ok(out)
}

/// Removes every customer-scope row of a role (a role deleted).
pub async fn forget_role(tx: &mut Tx, partner: OrgId, role: RoleId) -> Result<()> {
    tx.execute(
        Query::delete()
            .from_table(CustomerRoles::Table)
            .and_where(Expr::col(CustomerRoles::OrgId).eq(partner.0))
            .and_where(Expr::col(CustomerRoles::RoleId).eq(role.0)),
    )
    .await?;
    Ok(())
}

/// The partner members holding a role in the partner (for the group members picker).
pub async fn member_roles_of(r: &mut impl Reader, partner: OrgId, users: &[UserId]) -> Result<Vec<(UserId, RoleId)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        user_id: Uuid,
        role_id: Uuid,
    }
    let q = Query::select()
        .columns([MemberRoles::UserId, MemberRoles::RoleId])
        .from(MemberRoles::Table)
        .and_where(Expr::col(MemberRoles::OrgId).eq(partner.0))
        .and_where(Expr::col(MemberRoles::UserId).is_in(users.iter().map(|u| u.0)))
        .to_owned();
    Ok(r.read_all::<Row, _>(&q).await?.into_iter().map(|r| (UserId(r.user_id), RoleId(r.role_id))).collect())
}

/// Refreshes the planner's statistics of the partner tables after a bulk
/// load (PostgreSQL; see [`crate::imports::refresh_statistics`]).
pub async fn refresh_statistics(tx: &mut Tx) -> Result<()> {
    crate::imports::analyze(tx, "ANALYZE organizations, member_counts, org_groups, org_group_customers, customer_roles")
        .await
}

/// Removes the customer-scope rows of a role for some members (the role
/// taken from them: [`crate::roles::remove_role`]).
pub(crate) async fn remove_role_everywhere(tx: &mut Tx, partner: OrgId, role: RoleId, users: &[UserId]) -> Result<()> {
    for chunk in users.chunks(1000) {
        tx.execute(
            Query::delete()
                .from_table(CustomerRoles::Table)
                .and_where(Expr::col(CustomerRoles::OrgId).eq(partner.0))
                .and_where(Expr::col(CustomerRoles::RoleId).eq(role.0))
                .and_where(Expr::col(CustomerRoles::UserId).is_in(chunk.iter().map(|u| u.0))),
        )
        .await?;
    }
    Ok(())
}

/// The partner's customers that `names` (ids or slugs) name, set-wise (500
/// names per query): what a group's customers list is checked against.
pub async fn find_customers(r: &mut impl Reader, partner: OrgId, names: &[String]) -> Result<Vec<OrgRecord>> {
    let mut out: Vec<OrgRecord> = Vec::new();
    for chunk in names.chunks(500) {
        let ids: Vec<Uuid> = chunk.iter().filter_map(|n| Uuid::parse_str(n.trim()).ok()).collect();
        let slugs: Vec<String> = chunk.iter().map(|n| n.trim().to_lowercase()).collect();
        let mut q = Query::select();
        q.columns(COLUMNS)
            .from(Organizations::Table)
            .and_where(Expr::col(Organizations::ParentId).eq(partner.0))
            .and_where(Expr::col(Organizations::Id).is_in(ids).or(Expr::col(Organizations::Slug).is_in(slugs)));
        let rows: Vec<OrgRow> = r.read_all(&q).await?;
        for org in rows.into_iter().map(OrgRecord::from) {
            if !out.iter().any(|o| o.id == org.id) {
                out.push(org);
            }
        }
    }
    Ok(out)
}

/// A group's customers as organizations, by name (one query).
pub async fn group_customers(r: &mut impl Reader, partner: OrgId, group: OrgGroupId) -> Result<Vec<OrgRecord>> {
    let mut q = Query::select();
    for c in COLUMNS {
        q.column((Organizations::Table, c));
    }
    q.from(Organizations::Table)
        .inner_join(
            OrgGroupCustomers::Table,
            Expr::col((OrgGroupCustomers::Table, OrgGroupCustomers::CustomerId))
                .equals((Organizations::Table, Organizations::Id)),
        )
        .and_where(Expr::col((OrgGroupCustomers::Table, OrgGroupCustomers::OrgId)).eq(partner.0))
        .and_where(Expr::col((OrgGroupCustomers::Table, OrgGroupCustomers::GroupId)).eq(group.0))
        .order_by((Organizations::Table, Organizations::Name), Order::Asc)
        .order_by((Organizations::Table, Organizations::Id), Order::Asc);
    let rows: Vec<OrgRow> = r.read_all(&q).await?;
    Ok(rows.into_iter().map(Into::into).collect())
}
