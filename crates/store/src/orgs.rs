//! Organizations.

use roster_domain::{OrgId, Timestamp, UserId};
use sea_query::{Expr, ExprTrait, Query};
use uuid::Uuid;

use crate::tables::{MemberCounts, Members, Organizations};
use crate::{Backend, Result, Tx, db::Conn};

/// An organization as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRecord {
    /// Its id.
    pub id: OrgId,
    /// Its URL handle.
    pub slug: String,
    /// Its display name.
    pub name: String,
    /// Its owner, if it has one.
    pub owner_id: Option<UserId>,
    /// When it was created.
    pub created_at: Timestamp,
    /// The role preset it was created from.
    pub preset: String,
    /// Whether it is a partner (broker or reseller) managing customer organizations.
    pub partner: bool,
    /// Whether its owner may hand ownership to another member.
    pub owner_transfer: bool,
    /// Increases with every change to its roles, grants or role assignments
    /// (for a partner, also to its groups, customers and scoped assignments).
    pub authz_version: i64,
    /// The partner managing it, if it is a customer organization.
    pub parent_id: Option<OrgId>,
}

/// An organization's row (also read joined to other tables).
#[derive(sqlx::FromRow)]
pub(crate) struct OrgRow {
    id: Uuid,
    slug: String,
    name: String,
    owner_id: Option<Uuid>,
    created_at: i64,
    preset: String,
    partner: bool,
    owner_transfer: bool,
    authz_version: i64,
    parent_id: Option<Uuid>,
}

impl From<OrgRow> for OrgRecord {
    fn from(r: OrgRow) -> Self {
        Self {
            id: OrgId(r.id),
            slug: r.slug,
            name: r.name,
            owner_id: r.owner_id.map(UserId),
            created_at: Timestamp(r.created_at),
            preset: r.preset,
            partner: r.partner,
            owner_transfer: r.owner_transfer,
            authz_version: r.authz_version,
            parent_id: r.parent_id.map(OrgId),
        }
    }
}

pub(crate) const COLUMNS: [Organizations; 10] = [
    Organizations::Id,
    Organizations::Slug,
    Organizations::Name,
    Organizations::OwnerId,
    Organizations::CreatedAt,
    Organizations::Preset,
    Organizations::Partner,
    Organizations::OwnerTransfer,
    Organizations::AuthzVersion,
    Organizations::ParentId,
];

/// Inserts an organization and its zeroed member counters.
pub async fn insert_org(tx: &mut Tx, org: &OrgRecord) -> Result<()> {
    tx.execute(Query::insert().into_table(Organizations::Table).columns(COLUMNS).values_panic([
        org.id.0.into(),
        org.slug.clone().into(),
        org.name.clone().into(),
        org.owner_id.map(|u| u.0).into(),
        org.created_at.0.into(),
        org.preset.clone().into(),
        org.partner.into(),
        org.owner_transfer.into(),
        org.authz_version.into(),
        org.parent_id.map(|p| p.0).into(),
    ]))
    .await?;
    let mut counters = Query::insert();
    counters.into_table(MemberCounts::Table).columns([MemberCounts::OrgId, MemberCounts::Status, MemberCounts::Count]);
    for s in roster_domain::MemberStatus::ALL {
        counters.values_panic([org.id.0.into(), s.as_str().into(), 0i64.into()]);
    }
    tx.execute(&counters).await?;
    Ok(())
}

/// Finds an organization by id or by slug.
pub async fn find_org(r: &mut impl crate::Reader, id_or_slug: &str) -> Result<Option<OrgRecord>> {
    let mut q = Query::select();
    q.columns(COLUMNS).from(Organizations::Table);
    match Uuid::parse_str(id_or_slug) {
        Ok(id) => q.and_where(Expr::col(Organizations::Id).eq(id)),
        Err(_) => q.and_where(Expr::col(Organizations::Slug).eq(id_or_slug.to_lowercase())),
    };
    Ok(r.read_optional::<OrgRow, _>(&q).await?.map(Into::into))
}

/// Finds an organization by id or by slug together with one user's
/// membership status there (`None` when they are not a member), in one query:
/// every signed-in request opens its organization this way.
pub async fn find_org_for_member(
    conn: &mut Conn,
    id_or_slug: &str,
    user: UserId,
) -> Result<Option<(OrgRecord, Option<roster_domain::MemberStatus>)>> {
    Ok(find_org_for_member_via(conn, id_or_slug, user).await?.map(|(o, s, _)| (o, s)))
}

/// [`find_org_for_member`] with the organization's partner and the user's
/// membership status there (`None` when it has no partner), in the same
/// one query.
pub async fn find_org_for_member_via(
    conn: &mut Conn,
    id_or_slug: &str,
    user: UserId,
) -> Result<Option<(OrgRecord, Option<roster_domain::MemberStatus>, Option<PartnerOfOrg>)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        org: OrgRow,
        member_status: Option<String>,
        #[sqlx(flatten)]
        partner: PartnerColumns,
    }
    let mut q = Query::select();
    for c in COLUMNS {
        q.column((Organizations::Table, c));
    }
    q.expr_as(Expr::col((Members::Table, Members::Status)), "member_status").from(Organizations::Table).left_join(
        Members::Table,
        Expr::col((Members::Table, Members::OrgId))
            .equals((Organizations::Table, Organizations::Id))
            .and(Expr::col((Members::Table, Members::UserId)).eq(user.0)),
    );
    join_partner(&mut q, Expr::val(user.0));
    match Uuid::parse_str(id_or_slug) {
        Ok(id) => q.and_where(Expr::col((Organizations::Table, Organizations::Id)).eq(id)),
        Err(_) => q.and_where(Expr::col((Organizations::Table, Organizations::Slug)).eq(id_or_slug.to_lowercase())),
    };
    let Some(row) = conn.fetch_optional::<Row, _>(&q).await? else { return Ok(None) };
    let status = match row.member_status {
        None => None,
        Some(s) => Some(s.parse().map_err(|_| crate::StoreError::Corrupt(format!("member status {s}")))?),
    };
    Ok(Some((row.org.into(), status, row.partner.record()?)))
}

/// Locks an organization's row until the transaction ends and answers it.
///
/// Every change to an organization's members takes this lock first, so that
/// invariant checks (owner, last administrator) and the audit chain see a
/// stable state even when two administrators act at the same moment. SQLite
/// needs no row lock: its write transactions already run one at a time.
pub async fn lock_org(tx: &mut Tx, org_id: OrgId) -> Result<Option<OrgRecord>> {
    let mut q = Query::select();
    q.columns(COLUMNS).from(Organizations::Table).and_where(Expr::col(Organizations::Id).eq(org_id.0));
    if tx.backend() == Backend::Postgres {
        q.lock(sea_query::LockType::Update);
    }
    Ok(tx.fetch_optional::<OrgRow, _>(&q).await?.map(Into::into))
}

/// Every organization, by name (for the CLI and the demo).
pub async fn list_orgs(conn: &mut Conn) -> Result<Vec<OrgRecord>> {
    let q = Query::select()
        .columns(COLUMNS)
        .from(Organizations::Table)
        .order_by(Organizations::Name, sea_query::Order::Asc)
        .to_owned();
    Ok(conn.fetch_all::<OrgRow, _>(&q).await?.into_iter().map(Into::into).collect())
}

/// Records that an organization's roles, grants or role assignments changed,
/// so that every server instance reloads what it cached about them.
pub async fn bump_authz_version(tx: &mut Tx, org: OrgId) -> Result<()> {
    tx.execute(
        Query::update()
            .table(Organizations::Table)
            .value(Organizations::AuthzVersion, Expr::col(Organizations::AuthzVersion).add(1))
            .and_where(Expr::col(Organizations::Id).eq(org.0)),
    )
    .await?;
    Ok(())
}

/// Hands an organization to another owner.
pub async fn set_owner(tx: &mut Tx, org: OrgId, owner: UserId) -> Result<()> {
    tx.execute(
        Query::update()
            .table(Organizations::Table)
            .value(Organizations::OwnerId, owner.0)
            .and_where(Expr::col(Organizations::Id).eq(org.0)),
    )
    .await?;
    Ok(())
}

/// Records the preset an organization's roles came from.
pub async fn set_preset(tx: &mut Tx, org: OrgId, preset: &str, partner: bool, owner_transfer: bool) -> Result<()> {
    tx.execute(
        Query::update()
            .table(Organizations::Table)
            .value(Organizations::Preset, preset)
            .value(Organizations::Partner, partner)
            .value(Organizations::OwnerTransfer, owner_transfer)
            .and_where(Expr::col(Organizations::Id).eq(org.0)),
    )
    .await?;
    Ok(())
}

/// Organizations created before roles existed (no preset yet).
pub async fn orgs_without_preset(conn: &mut Conn) -> Result<Vec<OrgRecord>> {
    let q = Query::select()
        .columns(COLUMNS)
        .from(Organizations::Table)
        .and_where(Expr::col(Organizations::Preset).eq(""))
        .to_owned();
    Ok(conn.fetch_all::<OrgRow, _>(&q).await?.into_iter().map(Into::into).collect())
}

/// Leaves an organization without an owner (one provisioned without a
/// person behind it; DESIGN.md §2: the owner is optional).
pub async fn clear_owner(tx: &mut Tx, org: OrgId) -> Result<()> {
    tx.execute(
        Query::update()
            .table(Organizations::Table)
            .value(Organizations::OwnerId, Option::<Uuid>::None)
            .and_where(Expr::col(Organizations::Id).eq(org.0)),
    )
    .await?;
    Ok(())
}

/// A customer's partner read with it (`LEFT JOIN`ed; all `None` when the
/// organization has no partner), and the user's membership status there.
#[derive(sqlx::FromRow)]
pub(crate) struct PartnerColumns {
    #[sqlx(rename = "partner_id")]
    id: Option<Uuid>,
    #[sqlx(rename = "partner_slug")]
    slug: Option<String>,
    #[sqlx(rename = "partner_name")]
    name: Option<String>,
    #[sqlx(rename = "partner_owner_id")]
    owner_id: Option<Uuid>,
    #[sqlx(rename = "partner_created_at")]
    created_at: Option<i64>,
    #[sqlx(rename = "partner_preset")]
    preset: Option<String>,
    #[sqlx(rename = "partner_partner")]
    partner: Option<bool>,
    #[sqlx(rename = "partner_owner_transfer")]
    owner_transfer: Option<bool>,
    #[sqlx(rename = "partner_authz_version")]
    authz_version: Option<i64>,
    #[sqlx(rename = "partner_parent_id")]
    parent_id: Option<Uuid>,
    partner_member_status: Option<String>,
}

/// A customer's partner and the user's membership status there.
pub type PartnerOfOrg = (OrgRecord, Option<roster_domain::MemberStatus>);

impl PartnerColumns {
    /// The partner, when the organization has one.
    pub(crate) fn record(self) -> Result<Option<PartnerOfOrg>> {
        let Some(id) = self.id else { return Ok(None) };
        let (
            Some(slug),
            Some(name),
            Some(created_at),
            Some(preset),
            Some(partner),
            Some(owner_transfer),
            Some(authz_version),
        ) = (self.slug, self.name, self.created_at, self.preset, self.partner, self.owner_transfer, self.authz_version)
        else {
            return Ok(None);
        };
        let status = match self.partner_member_status {
            None => None,
            Some(s) => Some(s.parse().map_err(|_| crate::StoreError::Corrupt(format!("member status {s}")))?),
        };
        let org = OrgRecord {
            id: OrgId(id),
            slug,
            name,
            owner_id: self.owner_id.map(UserId),
            created_at: Timestamp(created_at),
            preset,
            partner,
            owner_transfer,
            authz_version,
            parent_id: self.parent_id.map(OrgId),
        };
        Ok(Some((org, status)))
    }
}

/// Joins an organization's partner (`partner_org`) and `user`'s membership
/// there (`partner_member`), selecting the columns [`PartnerColumns`] reads:
/// a request inside a customer learns in its one query whether the user
/// reaches it through the partner.
pub(crate) fn join_partner(q: &mut sea_query::SelectStatement, user: sea_query::Expr) {
    use sea_query::Alias;
    let p = Alias::new("partner_org");
    let m = Alias::new("partner_member");
    for c in COLUMNS {
        q.expr_as(Expr::col((p.clone(), c)), Alias::new(format!("partner_{}", sea_query::Iden::unquoted(&c))));
    }
    q.expr_as(Expr::col((m.clone(), Members::Status)), Alias::new("partner_member_status"))
        .join_as(
            sea_query::JoinType::LeftJoin,
            Organizations::Table,
            p.clone(),
            Expr::col((p.clone(), Organizations::Id)).equals((Organizations::Table, Organizations::ParentId)),
        )
        .join_as(
            sea_query::JoinType::LeftJoin,
            Members::Table,
            m.clone(),
            Expr::col((m.clone(), Members::OrgId))
                .equals((p, Organizations::Id))
                .and(Expr::col((m, Members::UserId)).eq(user)),
        );
}
