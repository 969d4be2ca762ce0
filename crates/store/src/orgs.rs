//! Organizations.

use roster_domain::{OrgId, Timestamp, UserId};
use sea_query::{Expr, ExprTrait, Query};
use uuid::Uuid;

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
}

#[derive(sqlx::FromRow)]
struct OrgRow {
    id: Uuid,
    slug: String,
    name: String,
    owner_id: Option<Uuid>,
    created_at: i64,
}

impl From<OrgRow> for OrgRecord {
    fn from(r: OrgRow) -> Self {
        Self {
            id: OrgId(r.id),
            slug: r.slug,
            name: r.name,
            owner_id: r.owner_id.map(UserId),
            created_at: Timestamp(r.created_at),
        }
    }
}

const COLUMNS: [&str; 5] = ["id", "slug", "name", "owner_id", "created_at"];

/// Inserts an organization and its zeroed member counters.
pub async fn insert_org(tx: &mut Tx, org: &OrgRecord) -> Result<()> {
    tx.execute(Query::insert().into_table("organizations").columns(COLUMNS).values_panic([
        org.id.0.into(),
        org.slug.clone().into(),
        org.name.clone().into(),
        org.owner_id.map(|u| u.0).into(),
        org.created_at.0.into(),
    ]))
    .await?;
    let mut counters = Query::insert();
    counters.into_table("member_counts").columns(["org_id", "status", "count"]);
    for s in roster_domain::MemberStatus::ALL {
        counters.values_panic([org.id.0.into(), s.as_str().into(), 0i64.into()]);
    }
    tx.execute(&counters).await?;
    Ok(())
}

/// Finds an organization by id or by slug.
pub async fn find_org(conn: &mut Conn, id_or_slug: &str) -> Result<Option<OrgRecord>> {
    let mut q = Query::select();
    q.columns(COLUMNS).from("organizations");
    match Uuid::parse_str(id_or_slug) {
        Ok(id) => q.and_where(Expr::col("id").eq(id)),
        Err(_) => q.and_where(Expr::col("slug").eq(id_or_slug.to_lowercase())),
    };
    Ok(conn.fetch_optional::<OrgRow, _>(&q).await?.map(Into::into))
}

/// Locks an organization's row until the transaction ends and answers it.
///
/// Every change to an organization's members takes this lock first, so that
/// invariant checks (owner, last administrator) and the audit chain see a
/// stable state even when two administrators act at the same moment. SQLite
/// needs no row lock: its write transactions already run one at a time.
pub async fn lock_org(tx: &mut Tx, org_id: OrgId) -> Result<Option<OrgRecord>> {
    let mut q = Query::select();
    q.columns(COLUMNS).from("organizations").and_where(Expr::col("id").eq(org_id.0));
    if tx.backend() == Backend::Postgres {
        q.lock(sea_query::LockType::Update);
    }
    Ok(tx.fetch_optional::<OrgRow, _>(&q).await?.map(Into::into))
}

/// Every organization, by name (for the CLI and the demo).
pub async fn list_orgs(conn: &mut Conn) -> Result<Vec<OrgRecord>> {
    let q = Query::select().columns(COLUMNS).from("organizations").order_by("name", sea_query::Order::Asc).to_owned();
    Ok(conn.fetch_all::<OrgRow, _>(&q).await?.into_iter().map(Into::into).collect())
}
