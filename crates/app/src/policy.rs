//! What every member of an organization may do, loaded once and kept in
//! memory until the organization's `authz_version` moves.
//!
//! Each request reads the organization's row anyway (to find it by slug), and
//! every change to roles, grants or role assignments increases the version in
//! its own transaction. So a cached answer is used only while it is provably
//! current, on every server instance (DESIGN.md invariant 6), and a check for
//! the host application is a lookup, not a query.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use roster_domain::partners::CustomerReach;
use roster_domain::permissions::{AppResource, Grants, ROSTER_RESOURCES};
use roster_domain::roles::{Effective, HeldRole};
use roster_domain::{OrgId, RoleId, ServiceAccountId, UserId, ValidationError};
use roster_store::orgs::OrgRecord;
use roster_store::roles::{self, RoleRecord};
use roster_store::{Reader, Tx};

use crate::App;
use crate::error::Result;

/// Who enforces a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnforcedBy {
    /// Roster itself, on its own pages and API.
    Roster,
    /// The host application, which asks Roster's check API.
    Application,
}

/// A resource grants can name in an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// Its key in grants and checks.
    pub key: String,
    /// What people read.
    pub label: String,
    /// What it covers.
    pub description: String,
    /// Who enforces it.
    pub enforced_by: EnforcedBy,
}

/// An organization's roles and resources at one version.
#[derive(Debug, Clone)]
pub struct OrgPolicy {
    /// The `authz_version` this was read at.
    pub version: i64,
    /// Every role, in display order, with grants as evaluated (the owner's
    /// locked role also covers the deployment's resources).
    pub roles: Vec<RoleRecord>,
    /// Every resource grants may name, Roster's first.
    pub resources: Vec<Resource>,
    /// In a partner: the application resources its roles carry into
    /// customers rather than apply in the partner (the broker preset's
    /// "Organization …" rows). Empty elsewhere.
    pub customer_resources: Vec<String>,
    /// In a partner: the preset roles that reach customers when given
    /// without a scope, and how far (the others reach none).
    pub reach: Vec<(RoleId, CustomerReach)>,
}

impl EnforcedBy {
    /// The wire name (`roster`, `application`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Roster => "roster",
            Self::Application => "application",
        }
    }
}

impl OrgPolicy {
    /// A role by id.
    pub fn role(&self, id: RoleId) -> Option<&RoleRecord> {
        self.roles.iter().find(|r| r.id == id)
    }

    /// A role by id (as text) or key.
    pub fn find_role(&self, id_or_key: &str) -> Option<&RoleRecord> {
        match id_or_key.parse::<RoleId>() {
            Ok(id) => self.role(id),
            Err(_) => self.roles.iter().find(|r| r.key == id_or_key),
        }
    }

    /// The roles a form or a body names (ids or keys), each once, in the
    /// order named; every name that is no role here is refused as
    /// `roles[i]`, all of them at once.
    pub fn pick_roles(&self, wanted: &[String]) -> std::result::Result<Vec<RoleRecord>, ValidationError> {
        let mut errors = ValidationError { errors: vec![] };
        let mut chosen: Vec<RoleRecord> = Vec::new();
        for (i, r) in wanted.iter().enumerate() {
            match self.find_role(r.trim()) {
                Some(role) if !chosen.iter().any(|c| c.id == role.id) => chosen.push(role.clone()),
                Some(_) => {}
                None => errors.merge(ValidationError::field(
                    format!("roles[{i}]"),
                    format!("'{r}' is not a role of this organization"),
                )),
            }
        }
        if errors.errors.is_empty() { Ok(chosen) } else { Err(errors) }
    }

    /// The role a preset gives by default (invitations and approvals that name none).
    pub fn default_role(&self, preset: &str) -> Option<&RoleRecord> {
        roster_domain::permissions::preset(preset).and_then(|p| self.find_role(&p.default_role))
    }

    /// Whether grants may name this resource here.
    pub fn knows(&self, resource: &str) -> bool {
        self.resources.iter().any(|r| r.key == resource)
    }

    /// Which customers a role covers when it is given without a scope.
    pub fn reach_of(&self, role: RoleId) -> CustomerReach {
        self.reach.iter().find(|(r, _)| *r == role).map(|(_, c)| *c).unwrap_or_default()
    }

    /// The locked role (the owner's), if the organization has one.
    pub fn owner_role(&self) -> Option<&RoleRecord> {
        self.roles.iter().find(|r| r.locked)
    }

    /// What a member holding `role_ids` with `own` grants may do.
    pub fn effective(&self, role_ids: &[RoleId], own: Grants) -> Effective {
        let held = self
            .roles
            .iter()
            .filter(|r| role_ids.contains(&r.id))
            .map(|r| HeldRole { name: r.name.clone(), grants: r.grants.clone() })
            .collect();
        Effective::new(held, own)
    }

    /// Everything every resource allows: the operator's command line.
    pub fn everything(&self) -> Effective {
        Effective::everything(&self.resources.iter().map(|r| r.key.as_str()).collect::<Vec<_>>())
    }
}

/// A member's effective grants and the organization version they were read at.
type VersionedEffective = (i64, Arc<Effective>);

/// The in-memory cache of policies and members' effective grants.
#[derive(Default)]
pub struct PolicyCache {
    orgs: Mutex<HashMap<OrgId, Arc<OrgPolicy>>>,
    members: Mutex<HashMap<(OrgId, UserId), VersionedEffective>>,
    accounts: Mutex<HashMap<(OrgId, ServiceAccountId), VersionedEffective>>,
    partners: Mutex<HashMap<(OrgId, UserId), PartnerReach>>,
}

/// What a partner member may do inside one customer, at the customer's and
/// the partner's `authz_version`.
type PartnerReach = ((i64, i64), Arc<OrgRecord>, Option<Arc<Effective>>);

/// Past this many cached members the cache starts again: a simple bound on
/// memory for deployments with many active members.
const MEMBER_CACHE_MAX: usize = 100_000;

impl std::fmt::Debug for PolicyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PolicyCache")
    }
}

/// Roster's own resources that apply to an organization.
fn roster_resources(org: &OrgRecord) -> impl Iterator<Item = Resource> + '_ {
    ROSTER_RESOURCES.iter().filter(|(key, _, _)| org.partner || !matches!(*key, "customers" | "org_groups")).map(
        |(key, label, description)| Resource {
            key: (*key).into(),
            label: (*label).into(),
            description: (*description).into(),
            enforced_by: EnforcedBy::Roster,
        },
    )
}

/// Reads an organization's policy (inside a transaction, or on a connection).
pub async fn load_policy(r: &mut impl Reader, app: &App, org: &OrgRecord) -> Result<OrgPolicy> {
    let mut resources: Vec<Resource> = roster_resources(org).collect();
    let app_resource = |a: AppResource| Resource {
        key: a.key,
        label: a.label,
        description: a.description,
        enforced_by: EnforcedBy::Application,
    };
    for a in roles::list_org_resources(r, org.id).await? {
        resources.push(app_resource(a));
    }
    // A customer's checks may name what its partner's roles carry inside it.
    if let Some(parent) = org.parent_id
        && let Some(partner) = roster_store::orgs::find_org(r, &parent.to_string()).await?
        && let Some(preset) = roster_domain::permissions::preset(&partner.preset)
    {
        for a in preset.resources.iter().filter(|a| preset.customer_resources.contains(&a.key)) {
            if !resources.iter().any(|r| r.key == a.key) {
                resources.push(app_resource(a.clone()));
            }
        }
    }
    for a in &app.config.app_resources {
        if !resources.iter().any(|r| r.key == a.key) {
            resources.push(app_resource(a.clone()));
        }
    }
    let mut roles = roles::list_roles(r, org.id).await?;
    for role in roles.iter_mut().filter(|r| r.locked) {
        for a in &app.config.app_resources {
            role.grants.grant(&a.key, roster_domain::permissions::Actions::EDIT);
        }
    }
    // A partner's preset says which resources apply inside customers and how
    // far each of its roles reaches there; read here, once per version.
    let partner_preset = org.partner.then(|| roster_domain::permissions::preset(&org.preset)).flatten();
    let customer_resources = partner_preset.as_ref().map(|p| p.customer_resources.clone()).unwrap_or_default();
    let reach = partner_preset
        .map(|p| {
            roles
                .iter()
                .filter_map(|r| p.role(&r.key).filter(|_| r.builtin).map(|pr| (r.id, pr.customers)))
                .filter(|(_, c)| *c != CustomerReach::None)
                .collect()
        })
        .unwrap_or_default();
    Ok(OrgPolicy { version: org.authz_version, roles, resources, customer_resources, reach })
}

/// Reads what one member may do, with a policy read in the same place.
pub async fn load_effective(r: &mut impl Reader, policy: &OrgPolicy, org: OrgId, user: UserId) -> Result<Effective> {
    let role_ids = roles::member_role_ids(r, org, user).await?;
    let own = roles::grants_of_members(r, org, &[user]).await?.remove(&user).unwrap_or_default();
    Ok(policy.effective(&role_ids, own))
}

impl PolicyCache {
    /// The organization's policy at the version of `org` (read this request).
    pub async fn policy(&self, app: &App, org: &OrgRecord) -> Result<Arc<OrgPolicy>> {
        if let Some(p) = self.orgs.lock().expect("policy cache").get(&org.id)
            && p.version == org.authz_version
        {
            return Ok(p.clone());
        }
        let policy = Arc::new(load_policy(&mut app.db.conn().await?, app, org).await?);
        self.orgs.lock().expect("policy cache").insert(org.id, policy.clone());
        Ok(policy)
    }

    /// What a member may do, at the version of `org` (read this request).
    pub async fn effective(&self, app: &App, org: &OrgRecord, user: UserId) -> Result<Arc<Effective>> {
        if let Some((v, e)) = self.members.lock().expect("policy cache").get(&(org.id, user))
            && *v == org.authz_version
        {
            return Ok(e.clone());
        }
        let policy = self.policy(app, org).await?;
        let e = Arc::new(load_effective(&mut app.db.conn().await?, &policy, org.id, user).await?);
        let mut members = self.members.lock().expect("policy cache");
        if members.len() >= MEMBER_CACHE_MAX {
            members.clear();
        }
        members.insert((org.id, user), (org.authz_version, e.clone()));
        Ok(e)
    }
}

/// Reads what an active service account may do (its roles and own
/// grants); one that is not active reaches nothing (404, like an
/// organization it does not belong to).
pub async fn load_account_effective(
    r: &mut impl Reader,
    policy: &OrgPolicy,
    org: OrgId,
    account: ServiceAccountId,
) -> Result<Effective> {
    use roster_store::service_accounts as accounts;
    let found = accounts::find_account(r, org, account).await?;
    if found.is_none_or(|a| a.status != roster_domain::service_accounts::AccountStatus::Active) {
        return Err(crate::AppError::NotFound("organization"));
    }
    let role_ids = accounts::roles_of_account(r, org, account).await?;
    let own = roles::account_grants(r, org, account).await?;
    Ok(policy.effective(&role_ids, own))
}

impl PolicyCache {
    /// What a service account may do, at the version of `org` (read this
    /// request). Every change to an account's roles, grants or status moves
    /// the organization's `authz_version`, so a cached answer is current.
    pub async fn account_effective(
        &self,
        app: &App,
        org: &OrgRecord,
        account: ServiceAccountId,
    ) -> Result<Arc<Effective>> {
        if let Some((v, e)) = self.accounts.lock().expect("policy cache").get(&(org.id, account))
            && *v == org.authz_version
        {
            return Ok(e.clone());
        }
        let policy = self.policy(app, org).await?;
        let e = Arc::new(load_account_effective(&mut app.db.conn().await?, &policy, org.id, account).await?);
        let mut accounts = self.accounts.lock().expect("policy cache");
        if accounts.len() >= MEMBER_CACHE_MAX {
            accounts.clear();
        }
        accounts.insert((org.id, account), (org.authz_version, e.clone()));
        Ok(e)
    }
}

impl PolicyCache {
    /// What a partner member may do inside `customer` through `partner`
    /// (both read this request), cached at both organizations' versions:
    /// every change to the partner's groups, customers or scoped roles
    /// moves the partner's version, and linking or unlinking the customer's.
    pub async fn partner_effective(
        &self,
        app: &App,
        customer: &OrgRecord,
        partner: OrgRecord,
        user: UserId,
    ) -> Result<(Arc<OrgRecord>, Option<Arc<Effective>>)> {
        let version = (customer.authz_version, partner.authz_version);
        if let Some((v, p, e)) = self.partners.lock().expect("policy cache").get(&(customer.id, user))
            && *v == version
        {
            return Ok((p.clone(), e.clone()));
        }
        let policy = self.policy(app, &partner).await?;
        let customer_policy = self.policy(app, customer).await?;
        let e =
            crate::partners::load_reach(&mut app.db.conn().await?, &policy, &customer_policy, customer, &partner, user)
                .await?;
        let (p, e) = (Arc::new(partner), e.map(Arc::new));
        let mut partners = self.partners.lock().expect("policy cache");
        if partners.len() >= MEMBER_CACHE_MAX {
            partners.clear();
        }
        partners.insert((customer.id, user), (version, p.clone(), e.clone()));
        Ok((p, e))
    }
}

/// Reads the policy inside a write transaction, after the organization's row
/// is locked: what a change checks must be what it commits against, so this
/// bypasses the cache.
pub async fn policy_in_tx(tx: &mut Tx, app: &App, org: &OrgRecord) -> Result<OrgPolicy> {
    load_policy(tx, app, org).await
}
