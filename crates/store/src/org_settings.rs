//! An organization's settings for access requests: its join link (on or
//! off, and its code) and its declared email domains (migration 0016).
//! An organization without a row reads as the defaults: no join link.

use roster_domain::{OrgId, Timestamp};
use sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use uuid::Uuid;

use crate::tables::{OrgEmailDomains, OrgSettings};
use crate::{Reader, Result, Tx};

/// An organization's settings as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgSettingsRecord {
    /// Whether the join link works.
    pub join_link_enabled: bool,
    /// The join link's code (32 hex digits), once one was made.
    pub join_code: Option<String>,
    /// The declared email domains, sorted.
    pub email_domains: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    join_link_enabled: bool,
    join_code: Option<String>,
}

#[derive(sqlx::FromRow)]
struct DomainRow {
    domain: String,
}

#[derive(sqlx::FromRow)]
struct OrgRow {
    org_id: Uuid,
}

/// An organization's settings (the defaults when it never changed one).
pub async fn get(r: &mut impl Reader, org: OrgId) -> Result<OrgSettingsRecord> {
    let q = Query::select()
        .columns([OrgSettings::JoinLinkEnabled, OrgSettings::JoinCode])
        .from(OrgSettings::Table)
        .and_where(Expr::col(OrgSettings::OrgId).eq(org.0))
        .to_owned();
    let row = r.read_optional::<Row, _>(&q).await?;
    let q = Query::select()
        .column(OrgEmailDomains::Domain)
        .from(OrgEmailDomains::Table)
        .and_where(Expr::col(OrgEmailDomains::OrgId).eq(org.0))
        .order_by(OrgEmailDomains::Domain, Order::Asc)
        .to_owned();
    let email_domains = r.read_all::<DomainRow, _>(&q).await?.into_iter().map(|d| d.domain).collect();
    Ok(match row {
        Some(r) => OrgSettingsRecord { join_link_enabled: r.join_link_enabled, join_code: r.join_code, email_domains },
        None => OrgSettingsRecord { email_domains, ..OrgSettingsRecord::default() },
    })
}

/// Writes the join link's state and code.
pub async fn set_join_link(tx: &mut Tx, org: OrgId, enabled: bool, code: Option<&str>, now: Timestamp) -> Result<()> {
    let q = Query::insert()
        .into_table(OrgSettings::Table)
        .columns([OrgSettings::OrgId, OrgSettings::JoinLinkEnabled, OrgSettings::JoinCode, OrgSettings::UpdatedAt])
        .values_panic([org.0.into(), enabled.into(), code.map(str::to_string).into(), now.0.into()])
        .on_conflict(
            OnConflict::column(OrgSettings::OrgId)
                .update_columns([OrgSettings::JoinLinkEnabled, OrgSettings::JoinCode, OrgSettings::UpdatedAt])
                .to_owned(),
        )
        .to_owned();
    tx.execute(&q).await?;
    Ok(())
}

/// Replaces the organization's declared email domains.
pub async fn set_domains(tx: &mut Tx, org: OrgId, domains: &[String]) -> Result<()> {
    tx.execute(
        Query::delete().from_table(OrgEmailDomains::Table).and_where(Expr::col(OrgEmailDomains::OrgId).eq(org.0)),
    )
    .await?;
    if !domains.is_empty() {
        let mut q = Query::insert();
        q.into_table(OrgEmailDomains::Table).columns([OrgEmailDomains::OrgId, OrgEmailDomains::Domain]);
        for d in domains {
            q.values_panic([org.0.into(), d.clone().into()]);
        }
        tx.execute(&q).await?;
    }
    Ok(())
}

/// The organizations that declare this email domain (by the domain's index).
pub async fn orgs_with_domain(r: &mut impl Reader, domain: &str) -> Result<Vec<OrgId>> {
    let q = Query::select()
        .column(OrgEmailDomains::OrgId)
        .from(OrgEmailDomains::Table)
        .and_where(Expr::col(OrgEmailDomains::Domain).eq(domain))
        .limit(50)
        .to_owned();
    Ok(r.read_all::<OrgRow, _>(&q).await?.into_iter().map(|o| OrgId(o.org_id)).collect())
}
