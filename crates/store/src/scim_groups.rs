//! SCIM Groups (migration 0018): `scim_groups`, each bound to one role,
//! and `scim_group_mappings`, an administrator's binding of a group name to
//! an existing role. A group's members are its role's holders
//! (`member_roles`, changed through [`crate::roles::add_role`] and
//! [`crate::roles::remove_role`]); this module reads them, archived members
//! left out, and checks a request's member ids set-wise (one query per
//! thousand ids, never one per member).

use roster_domain::scim::groups::{GroupCondition, GroupFilter};
use roster_domain::{MemberStatus, OrgId, RoleId, Timestamp, UserId};
use sea_query::{Expr, ExprTrait, Iden, Order, Query, SelectStatement};
use uuid::Uuid;

use crate::tables::{MemberRoles, Members};
use crate::{Reader, Result, StoreError, Tx};

/// `scim_groups` (migration 0018).
#[derive(Iden, Clone, Copy)]
enum ScimGroups {
    Table,
    OrgId,
    Id,
    DisplayName,
    NameKey,
    ExternalId,
    RoleId,
    CreatedRole,
    CreatedAt,
    UpdatedAt,
}

/// `scim_group_mappings` (migration 0018).
#[derive(Iden, Clone, Copy)]
enum ScimGroupMappings {
    Table,
    OrgId,
    Id,
    DisplayName,
    NameKey,
    RoleId,
    CreatedAt,
    CreatedByLabel,
}

/// A SCIM group as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    /// Its id (the SCIM `id`).
    pub id: Uuid,
    /// `displayName`.
    pub display_name: String,
    /// `externalId`, if the client gave one.
    pub external_id: Option<String>,
    /// The role its members hold.
    pub role_id: RoleId,
    /// Whether the group made its role (deleted with it).
    pub created_role: bool,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct GroupRow {
    id: Uuid,
    display_name: String,
    external_id: Option<String>,
    role_id: Uuid,
    created_role: bool,
    created_at: i64,
    updated_at: i64,
}

impl From<GroupRow> for GroupRecord {
    fn from(r: GroupRow) -> Self {
        Self {
            id: r.id,
            display_name: r.display_name,
            external_id: r.external_id,
            role_id: RoleId(r.role_id),
            created_role: r.created_role,
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
        }
    }
}

fn group_select(org: OrgId) -> SelectStatement {
    Query::select()
        .columns([
            ScimGroups::Id,
            ScimGroups::DisplayName,
            ScimGroups::ExternalId,
            ScimGroups::RoleId,
            ScimGroups::CreatedRole,
            ScimGroups::CreatedAt,
            ScimGroups::UpdatedAt,
        ])
        .from(ScimGroups::Table)
        .and_where(Expr::col(ScimGroups::OrgId).eq(org.0))
        .to_owned()
}

/// Inserts a group. A name taken in the organization is a unique violation.
pub async fn insert_group(tx: &mut Tx, org: OrgId, g: &GroupRecord) -> Result<()> {
    tx.execute(
        Query::insert()
            .into_table(ScimGroups::Table)
            .columns([
                ScimGroups::OrgId,
                ScimGroups::Id,
                ScimGroups::DisplayName,
                ScimGroups::NameKey,
                ScimGroups::ExternalId,
                ScimGroups::RoleId,
                ScimGroups::CreatedRole,
                ScimGroups::CreatedAt,
                ScimGroups::UpdatedAt,
            ])
            .values_panic([
                org.0.into(),
                g.id.into(),
                g.display_name.clone().into(),
                roster_domain::scim::groups::name_key(&g.display_name).into(),
                g.external_id.clone().into(),
                g.role_id.0.into(),
                g.created_role.into(),
                g.created_at.0.into(),
                g.updated_at.0.into(),
            ]),
    )
    .await?;
    Ok(())
}

/// Changes a group's name and external id. A name taken is a unique violation.
pub async fn update_group(
    tx: &mut Tx,
    org: OrgId,
    id: Uuid,
    display_name: &str,
    external_id: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    tx.execute(
        Query::update()
            .table(ScimGroups::Table)
            .value(ScimGroups::DisplayName, display_name)
            .value(ScimGroups::NameKey, roster_domain::scim::groups::name_key(display_name))
            .value(ScimGroups::ExternalId, external_id.map(str::to_string))
            .value(ScimGroups::UpdatedAt, now.0)
            .and_where(Expr::col(ScimGroups::OrgId).eq(org.0))
            .and_where(Expr::col(ScimGroups::Id).eq(id)),
    )
    .await?;
    Ok(())
}

/// Deletes a group (its role and its holders are the caller's).
pub async fn delete_group(tx: &mut Tx, org: OrgId, id: Uuid) -> Result<()> {
    tx.execute(
        Query::delete()
            .from_table(ScimGroups::Table)
            .and_where(Expr::col(ScimGroups::OrgId).eq(org.0))
            .and_where(Expr::col(ScimGroups::Id).eq(id)),
    )
    .await?;
    Ok(())
}

/// One group of the organization.
pub async fn find_group(r: &mut impl Reader, org: OrgId, id: Uuid) -> Result<Option<GroupRecord>> {
    let q = group_select(org).and_where(Expr::col(ScimGroups::Id).eq(id)).to_owned();
    Ok(r.read_optional::<GroupRow, _>(&q).await?.map(GroupRecord::from))
}

/// The group with this name (compared in lower case), if any.
pub async fn find_group_by_name(r: &mut impl Reader, org: OrgId, name: &str) -> Result<Option<GroupRecord>> {
    let key = roster_domain::scim::groups::name_key(name);
    let q = group_select(org).and_where(Expr::col(ScimGroups::NameKey).eq(key)).to_owned();
    Ok(r.read_optional::<GroupRow, _>(&q).await?.map(GroupRecord::from))
}

/// The group bound to a role, if any.
pub async fn group_of_role(r: &mut impl Reader, org: OrgId, role: RoleId) -> Result<Option<GroupRecord>> {
    let q = group_select(org).and_where(Expr::col(ScimGroups::RoleId).eq(role.0)).limit(1).to_owned();
    Ok(r.read_optional::<GroupRow, _>(&q).await?.map(GroupRecord::from))
}

/// A page of a Group list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPage {
    /// Every group the filter matches.
    pub total: u64,
    /// The page, by name then id.
    pub groups: Vec<GroupRecord>,
}

/// The organization's groups matching a filter, by name: `start_index`
/// 1-based, at most `count` of them, with the total.
pub async fn list_groups(
    r: &mut impl Reader,
    org: OrgId,
    filter: &GroupFilter,
    start_index: u64,
    count: u64,
) -> Result<GroupPage> {
    let mut q = group_select(org);
    for c in &filter.all {
        match c {
            GroupCondition::NameKey(k) => q.and_where(Expr::col(ScimGroups::NameKey).eq(k.as_str())),
            GroupCondition::ExternalId(e) => q.and_where(Expr::col(ScimGroups::ExternalId).eq(e.as_str())),
            GroupCondition::Id(Some(id)) => q.and_where(Expr::col(ScimGroups::Id).eq(*id)),
            GroupCondition::Id(None) | GroupCondition::Member(None) => q.and_where(Expr::cust("(1 = 0)")),
            GroupCondition::Member(Some(user)) => q.and_where(Expr::exists(
                Query::select()
                    .expr(Expr::cust("1"))
                    .from(MemberRoles::Table)
                    .inner_join(
                        Members::Table,
                        Expr::col((Members::Table, Members::OrgId))
                            .equals((MemberRoles::Table, MemberRoles::OrgId))
                            .and(
                                Expr::col((Members::Table, Members::UserId))
                                    .equals((MemberRoles::Table, MemberRoles::UserId)),
                            ),
                    )
                    .and_where(
                        Expr::col((MemberRoles::Table, MemberRoles::OrgId))
                            .equals((ScimGroups::Table, ScimGroups::OrgId)),
                    )
                    .and_where(
                        Expr::col((MemberRoles::Table, MemberRoles::RoleId))
                            .equals((ScimGroups::Table, ScimGroups::RoleId)),
                    )
                    .and_where(Expr::col((MemberRoles::Table, MemberRoles::UserId)).eq(*user))
                    .and_where(Expr::col((Members::Table, Members::Status)).ne(MemberStatus::Archived.as_str()))
                    .to_owned(),
            )),
        };
    }
    #[derive(sqlx::FromRow)]
    struct N {
        n: i64,
    }
    let mut counted = q.clone();
    counted.clear_selects().expr_as(Expr::col(ScimGroups::Id).count(), "n");
    let total = r.read_optional::<N, _>(&counted).await?.map_or(0, |n| n.n) as u64;
    q.order_by(ScimGroups::NameKey, Order::Asc)
        .order_by(ScimGroups::Id, Order::Asc)
        .offset(start_index.saturating_sub(1))
        .limit(count);
    let groups = if count == 0 { vec![] } else { r.read_all::<GroupRow, _>(&q).await? };
    Ok(GroupPage { total, groups: groups.into_iter().map(GroupRecord::from).collect() })
}

/// A group's members: the holders of its role who are not archived, with
/// their names, by user id. One query, whatever the number.
pub async fn members_of_role(r: &mut impl Reader, org: OrgId, role: RoleId) -> Result<Vec<(UserId, String)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        user_id: Uuid,
        name: String,
    }
    let q = Query::select()
        .column((MemberRoles::Table, MemberRoles::UserId))
        .column((Members::Table, Members::Name))
        .from(MemberRoles::Table)
        .inner_join(
            Members::Table,
            Expr::col((Members::Table, Members::OrgId))
                .equals((MemberRoles::Table, MemberRoles::OrgId))
                .and(Expr::col((Members::Table, Members::UserId)).equals((MemberRoles::Table, MemberRoles::UserId))),
        )
        .and_where(Expr::col((MemberRoles::Table, MemberRoles::OrgId)).eq(org.0))
        .and_where(Expr::col((MemberRoles::Table, MemberRoles::RoleId)).eq(role.0))
        .and_where(Expr::col((Members::Table, Members::Status)).ne(MemberStatus::Archived.as_str()))
        .order_by((MemberRoles::Table, MemberRoles::UserId), Order::Asc)
        .to_owned();
    Ok(r.read_all::<Row, _>(&q).await?.into_iter().map(|r| (UserId(r.user_id), r.name)).collect())
}

/// The statuses of those of `users` who are members of the organization
/// (one query per thousand ids); users who are not are absent.
pub async fn statuses_of(r: &mut impl Reader, org: OrgId, users: &[UserId]) -> Result<Vec<(UserId, MemberStatus)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        user_id: Uuid,
        status: String,
    }
    let mut out = Vec::with_capacity(users.len());
    for chunk in users.chunks(1000) {
        let q = Query::select()
            .columns([Members::UserId, Members::Status])
            .from(Members::Table)
            .and_where(Expr::col(Members::OrgId).eq(org.0))
            .and_where(Expr::col(Members::UserId).is_in(chunk.iter().map(|u| u.0)))
            .to_owned();
        for row in r.read_all::<Row, _>(&q).await? {
            let status =
                row.status.parse().map_err(|_| StoreError::Corrupt(format!("member status {}", row.status)))?;
            out.push((UserId(row.user_id), status));
        }
    }
    Ok(out)
}

/// An administrator's binding of a group name to a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingRecord {
    /// Its id.
    pub id: Uuid,
    /// The group's display name it binds.
    pub display_name: String,
    /// The role a group of that name is bound to.
    pub role_id: RoleId,
    /// When it was made.
    pub created_at: Timestamp,
    /// Who made it.
    pub created_by_label: String,
}

#[derive(sqlx::FromRow)]
struct MappingRow {
    id: Uuid,
    display_name: String,
    role_id: Uuid,
    created_at: i64,
    created_by_label: String,
}

impl From<MappingRow> for MappingRecord {
    fn from(r: MappingRow) -> Self {
        Self {
            id: r.id,
            display_name: r.display_name,
            role_id: RoleId(r.role_id),
            created_at: Timestamp(r.created_at),
            created_by_label: r.created_by_label,
        }
    }
}

fn mapping_select(org: OrgId) -> SelectStatement {
    Query::select()
        .columns([
            ScimGroupMappings::Id,
            ScimGroupMappings::DisplayName,
            ScimGroupMappings::RoleId,
            ScimGroupMappings::CreatedAt,
            ScimGroupMappings::CreatedByLabel,
        ])
        .from(ScimGroupMappings::Table)
        .and_where(Expr::col(ScimGroupMappings::OrgId).eq(org.0))
        .to_owned()
}

/// Inserts a mapping. A name mapped already is a unique violation.
pub async fn insert_mapping(tx: &mut Tx, org: OrgId, m: &MappingRecord) -> Result<()> {
    tx.execute(
        Query::insert()
            .into_table(ScimGroupMappings::Table)
            .columns([
                ScimGroupMappings::OrgId,
                ScimGroupMappings::Id,
                ScimGroupMappings::DisplayName,
                ScimGroupMappings::NameKey,
                ScimGroupMappings::RoleId,
                ScimGroupMappings::CreatedAt,
                ScimGroupMappings::CreatedByLabel,
            ])
            .values_panic([
                org.0.into(),
                m.id.into(),
                m.display_name.clone().into(),
                roster_domain::scim::groups::name_key(&m.display_name).into(),
                m.role_id.0.into(),
                m.created_at.0.into(),
                m.created_by_label.clone().into(),
            ]),
    )
    .await?;
    Ok(())
}

/// Deletes a mapping.
pub async fn delete_mapping(tx: &mut Tx, org: OrgId, id: Uuid) -> Result<()> {
    tx.execute(
        Query::delete()
            .from_table(ScimGroupMappings::Table)
            .and_where(Expr::col(ScimGroupMappings::OrgId).eq(org.0))
            .and_where(Expr::col(ScimGroupMappings::Id).eq(id)),
    )
    .await?;
    Ok(())
}

/// The organization's mappings, by name.
pub async fn list_mappings(r: &mut impl Reader, org: OrgId) -> Result<Vec<MappingRecord>> {
    let q = mapping_select(org)
        .order_by(ScimGroupMappings::NameKey, Order::Asc)
        .order_by(ScimGroupMappings::Id, Order::Asc)
        .to_owned();
    Ok(r.read_all::<MappingRow, _>(&q).await?.into_iter().map(MappingRecord::from).collect())
}

/// One mapping of the organization.
pub async fn find_mapping(r: &mut impl Reader, org: OrgId, id: Uuid) -> Result<Option<MappingRecord>> {
    let q = mapping_select(org).and_where(Expr::col(ScimGroupMappings::Id).eq(id)).to_owned();
    Ok(r.read_optional::<MappingRow, _>(&q).await?.map(MappingRecord::from))
}

/// The mapping of a group name (compared in lower case), if any.
pub async fn mapping_for_name(r: &mut impl Reader, org: OrgId, name: &str) -> Result<Option<MappingRecord>> {
    let key = roster_domain::scim::groups::name_key(name);
    let q = mapping_select(org).and_where(Expr::col(ScimGroupMappings::NameKey).eq(key)).to_owned();
    Ok(r.read_optional::<MappingRow, _>(&q).await?.map(MappingRecord::from))
}
