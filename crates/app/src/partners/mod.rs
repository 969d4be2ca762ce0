//! Partner organizations and their customers (issue 14, seed 004).
//!
//! A partner member reaches a customer through the roles of theirs that
//! cover it ([`reach`]): each role's customer part
//! ([`roster_domain::partners::customer_grants`]) over every customer or
//! over the customers of the groups it names. They act there as
//! themselves; every event they cause names the partner
//! ([`crate::change::Change::record`]).
//!
//! - [`customers`]: the Customers tab (create, link with the owner's
//!   consent, unlink), and the customer's side (its partner, who can act,
//!   revoking the link).
//! - [`groups`]: the Organization Groups tab.
//! - [`scopes`]: scoped role assignments and no escalation across scopes.

pub mod customers;
pub mod groups;
pub mod scopes;

use std::sync::Arc;

use roster_domain::partners::{Coverage, customer_grants};
use roster_domain::permissions::Grants;
use roster_domain::roles::{Effective, HeldRole};
use roster_domain::{MemberStatus, UserId};
use roster_store::orgs::OrgRecord;
use roster_store::{Reader, Tx, partners as store};

use crate::access::OrgAccess;
use crate::error::Result;
use crate::policy::OrgPolicy;
use crate::{App, AppError};

/// Reads what `user`, a member of `partner`, may do inside `customer`:
/// `None` when no role of theirs covers it, or none gives anything there.
pub(crate) async fn load_reach(
    r: &mut impl Reader,
    partner_policy: &OrgPolicy,
    customer_policy: &OrgPolicy,
    customer: &OrgRecord,
    partner: &OrgRecord,
    user: UserId,
) -> Result<Option<Effective>> {
    if !partner.partner || customer.parent_id != Some(partner.id) {
        return Ok(None);
    }
    let roles = store::covering_roles(r, partner.id, user, customer.id).await?;
    let carried = &partner_policy.customer_resources;
    let own: Vec<&str> = customer_policy
        .resources
        .iter()
        .filter(|r| r.enforced_by == crate::policy::EnforcedBy::Application)
        .map(|r| r.key.as_str())
        .collect();
    let held: Vec<HeldRole> = partner_policy
        .roles
        .iter()
        .filter(|r| roles.contains(&r.id))
        .map(|r| HeldRole {
            name: format!("{} ({})", r.name, partner.name),
            grants: customer_grants(&r.grants, carried, &own),
        })
        .collect();
    let effective = Effective::new(held, Grants::default());
    Ok((!effective.grants().is_empty()).then_some(effective))
}

/// Whether `user` reaches `customer` through its partner, and with what:
/// they must be an active member of the partner (read this request, so a
/// disabled partner member is stopped at once) and hold a role covering the
/// customer. The answer is cached at both organizations' versions.
pub async fn reach(app: &App, customer: &OrgRecord, user: UserId) -> Result<Option<(Arc<OrgRecord>, Arc<Effective>)>> {
    let Some(parent) = customer.parent_id else { return Ok(None) };
    let mut conn = app.db.conn().await?;
    let found = roster_store::orgs::find_org_for_member(&mut conn, &parent.to_string(), user).await?;
    drop(conn);
    reach_via(app, customer, user, found).await
}

/// [`reach`] with the partner and the user's status there read already
/// (joined to the request's one query: [`roster_store::orgs::find_org_for_member_via`]).
pub async fn reach_via(
    app: &App,
    customer: &OrgRecord,
    user: UserId,
    partner: Option<roster_store::orgs::PartnerOfOrg>,
) -> Result<Option<(Arc<OrgRecord>, Arc<Effective>)>> {
    let Some((partner, Some(MemberStatus::Active))) = partner else { return Ok(None) };
    if customer.parent_id != Some(partner.id) {
        return Ok(None);
    }
    let (partner, effective) = app.policies.partner_effective(app, customer, partner, user).await?;
    Ok(effective.map(|e| (partner, e)))
}

/// [`reach`] inside a change's transaction, after the customer's lock.
pub(crate) async fn reach_in_tx(
    tx: &mut Tx,
    app: &App,
    customer: &OrgRecord,
    user: UserId,
) -> Result<Option<(OrgRecord, Effective)>> {
    let Some(parent) = customer.parent_id else { return Ok(None) };
    let Some(partner) = roster_store::orgs::find_org(tx, &parent.to_string()).await? else { return Ok(None) };
    if roster_store::members::member_status(tx, partner.id, user).await? != Some(MemberStatus::Active) {
        return Ok(None);
    }
    let policy = crate::policy::load_policy(tx, app, &partner).await?;
    let customer_policy = crate::policy::load_policy(tx, app, customer).await?;
    Ok(load_reach(tx, &policy, &customer_policy, customer, &partner, user).await?.map(|e| (partner, e)))
}

/// What one partner member's roles reach inside customers.
pub(crate) async fn coverage_of(
    r: &mut impl Reader,
    policy: &OrgPolicy,
    partner: &OrgRecord,
    user: UserId,
) -> Result<Coverage> {
    let rows = store::customer_roles(r, partner.id, Some(&[user]), None).await?;
    let mut c = Coverage::default();
    for row in rows {
        if let Some(role) = policy.role(row.role) {
            c.add(row.group, &customer_grants(&role.grants, &policy.customer_resources, &[]));
        }
    }
    Ok(c)
}

/// What the actor's roles reach inside the partner's customers; an
/// operator reaches everything.
pub(crate) async fn actor_coverage(r: &mut impl Reader, access: &OrgAccess) -> Result<Coverage> {
    if access.actor.is_operator() {
        let mut c = Coverage::default();
        c.add(None, access.effective.grants());
        let everything = customer_grants(&everything_on(access), &access.policy.customer_resources, &[]);
        c.add(None, &everything);
        return Ok(c);
    }
    match access.actor.user_id() {
        Some(user) => coverage_of(r, &access.policy, &access.org, user).await,
        None => Ok(Coverage::default()),
    }
}

fn everything_on(access: &OrgAccess) -> Grants {
    let mut g = Grants::default();
    for r in &access.policy.resources {
        g.grant(&r.key, roster_domain::permissions::Actions::EDIT);
    }
    g
}

/// Refuses (404) unless the organization is a partner.
pub(crate) fn require_partner(access: &OrgAccess) -> Result<()> {
    if access.org.partner { Ok(()) } else { Err(AppError::NotFound("partner organization")) }
}

pub use roster_store::partners::{CustomerQuery, CustomerRow, GroupRecord, LinkRequest};
