//! Who may do what in an organization.
//!
//! Every use case opens the organization with [`open_org`] and asks
//! [`OrgAccess::require`] before anything else. A signed-in user's grants are
//! the union of their roles and their own grants ([`crate::policy`]); an
//! operator ([`Actor::is_operator`]) may do everything.

use std::sync::Arc;

use roster_domain::MemberStatus;
use roster_domain::permissions::Action;
use roster_domain::roles::Effective;
use roster_store::orgs::OrgRecord;

use crate::error::Result;
use crate::policy::OrgPolicy;
use crate::{Actor, App, AppError};

/// What an actor asks to do: an action on one of Roster's resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permission {
    /// The resource (`members`).
    pub resource: &'static str,
    /// The action.
    pub action: Action,
}

impl Permission {
    /// Read the members directory.
    pub const MEMBERS_READ: Permission = Permission { resource: "members", action: Action::Read };
    /// Add members.
    pub const MEMBERS_CREATE: Permission = Permission { resource: "members", action: Action::Create };
    /// Change members: rename, disable, enable, archive, restore, roles, grants.
    pub const MEMBERS_UPDATE: Permission = Permission { resource: "members", action: Action::Update };
    /// Read roles and the permissions they grant.
    pub const ROLES_READ: Permission = Permission { resource: "roles", action: Action::Read };
    /// Create custom roles (and copies).
    pub const ROLES_CREATE: Permission = Permission { resource: "roles", action: Action::Create };
    /// Edit roles.
    pub const ROLES_UPDATE: Permission = Permission { resource: "roles", action: Action::Update };
    /// Delete custom roles.
    pub const ROLES_DELETE: Permission = Permission { resource: "roles", action: Action::Delete };

    /// See pending invitations (and the Outbox's messages of the organization).
    pub const INVITATIONS_READ: Permission = Permission { resource: "invitations", action: Action::Read };
    /// Invite people.
    pub const INVITATIONS_CREATE: Permission = Permission { resource: "invitations", action: Action::Create };
    /// Resend invitations.
    pub const INVITATIONS_UPDATE: Permission = Permission { resource: "invitations", action: Action::Update };
    /// Cancel invitations.
    pub const INVITATIONS_DELETE: Permission = Permission { resource: "invitations", action: Action::Delete };

    /// See the organization's sessions (Active Sessions, Session History).
    pub const SESSIONS_READ: Permission = Permission { resource: "sessions", action: Action::Read };
    /// Log out members' sessions from the Active Sessions tab.
    pub const SESSIONS_DELETE: Permission = Permission { resource: "sessions", action: Action::Delete };
    /// Read the organization's History (its audit log), and export it.
    pub const AUDIT_READ: Permission = Permission { resource: "audit", action: Action::Read };
    /// See the organization's products and who holds their licenses.
    pub const LICENSES_READ: Permission = Permission { resource: "licenses", action: Action::Read };
    /// Assign and remove product licenses.
    pub const LICENSES_UPDATE: Permission = Permission { resource: "licenses", action: Action::Update };
    /// See the organization's subscriptions.
    pub const SUBSCRIPTIONS_READ: Permission = Permission { resource: "subscriptions", action: Action::Read };
    /// Change seats, trials, settings and cancellations.
    pub const SUBSCRIPTIONS_UPDATE: Permission = Permission { resource: "subscriptions", action: Action::Update };
    /// See an organization's access requests.
    pub const ACCESS_REQUESTS_READ: Permission = Permission { resource: "access_requests", action: Action::Read };
    /// Approve or deny access requests.
    pub const ACCESS_REQUESTS_UPDATE: Permission = Permission { resource: "access_requests", action: Action::Update };
    /// See the organization's service accounts and their tokens (never a secret).
    pub const SERVICE_ACCOUNTS_READ: Permission = Permission { resource: "service_accounts", action: Action::Read };
    /// Create service accounts.
    pub const SERVICE_ACCOUNTS_CREATE: Permission = Permission { resource: "service_accounts", action: Action::Create };
    /// Edit, disable and enable service accounts; make, revoke and rotate their tokens.
    pub const SERVICE_ACCOUNTS_UPDATE: Permission = Permission { resource: "service_accounts", action: Action::Update };
    /// Delete (archive) service accounts.
    pub const SERVICE_ACCOUNTS_DELETE: Permission = Permission { resource: "service_accounts", action: Action::Delete };
    /// See the organization's settings (its join link and email domains).
    pub const ORG_SETTINGS_READ: Permission = Permission { resource: "org_settings", action: Action::Read };
    /// Change the organization's settings.
    pub const ORG_SETTINGS_UPDATE: Permission = Permission { resource: "org_settings", action: Action::Update };

    /// The permission's name in messages (`members:update`).
    pub fn name(self) -> String {
        format!("{}:{}", self.resource, self.action.as_str())
    }
}

/// An actor's standing in one organization, established once per request.
#[derive(Debug, Clone)]
pub struct OrgAccess {
    /// The organization, as read this request.
    pub org: OrgRecord,
    /// Who is acting.
    pub actor: Actor,
    /// What the actor may do here.
    pub effective: Arc<Effective>,
    /// The organization's roles and resources.
    pub policy: Arc<OrgPolicy>,
    /// The partner a partner member acts through inside a customer
    /// organization (`None`: the actor acts as a member, or as an operator).
    pub via: Option<Arc<OrgRecord>>,
}

impl OrgAccess {
    /// Whether the actor holds a permission here.
    pub fn can(&self, p: Permission) -> bool {
        self.effective.allows(p.resource, p.action)
    }

    /// Refuses with 403 unless the actor holds the permission.
    pub fn require(&self, p: Permission) -> Result<()> {
        if self.can(p) {
            return Ok(());
        }
        let roles: Vec<&str> = self.effective.roles().iter().map(|r| r.name.as_str()).collect();
        let held = if roles.is_empty() {
            "you hold no role here".to_string()
        } else {
            format!("your roles: {}", roles.join(", "))
        };
        Err(AppError::Forbidden(format!(
            "you need the {} permission in {} to do this ({held}); ask an administrator",
            p.name(),
            self.org.name
        )))
    }

    /// Whether the actor is the organization's owner.
    pub fn is_owner(&self) -> bool {
        self.actor.user_id().is_some_and(|u| self.org.owner_id == Some(u))
    }

    /// Whether `user` is the organization's owner.
    pub fn is_owned_by(&self, user: roster_domain::UserId) -> bool {
        self.org.owner_id == Some(user)
    }

    /// Whether the actor may act on the owner's account (send them a reset
    /// link, unlock them): the owner themselves, and the operator, who is
    /// how an owner locked out of everything gets back in. With
    /// [`Self::lacks`], the only places the operator's capability is read.
    pub fn acts_for_owner(&self) -> bool {
        self.is_owner() || self.actor.is_operator()
    }

    /// No escalation, the one place it is decided: what of `wanted` the
    /// actor does not hold themselves, in words ("members: delete"), or
    /// `None` when they hold all of it. Operators hold everything.
    pub fn lacks(&self, wanted: &roster_domain::permissions::Grants) -> Option<String> {
        if self.actor.is_operator() {
            return None;
        }
        roster_domain::roles::lacking(wanted, self.effective.grants())
    }
}

/// Opens an organization (by id or slug) for an actor. For a signed-in
/// user, an organization they are not an active member of answers 404,
/// exactly as a missing one does; an operator opens any organization.
pub async fn open_org(app: &App, actor: &Actor, id_or_slug: &str) -> Result<OrgAccess> {
    if let Some(account) = actor.account() {
        let mut conn = app.db.conn().await?;
        let org = roster_store::orgs::find_org(&mut conn, id_or_slug)
            .await?
            .filter(|o| o.id == account.org_id)
            .ok_or(AppError::NotFound("organization"))?;
        drop(conn);
        return open_account_org(app, actor, org).await;
    }
    let Some(principal) = actor.principal() else {
        let mut conn = app.db.conn().await?;
        let org =
            roster_store::orgs::find_org(&mut conn, id_or_slug).await?.ok_or(AppError::NotFound("organization"))?;
        drop(conn);
        let policy = app.policies.policy(app, &org).await?;
        let effective = Arc::new(policy.everything());
        return Ok(OrgAccess { org, actor: actor.clone(), effective, policy, via: None });
    };
    let mut conn = app.db.conn().await?;
    let found = roster_store::orgs::find_org_for_member_via(&mut conn, id_or_slug, principal.user_id).await?;
    drop(conn);
    let (org, status, partner) = found.map_or((None, None, None), |(o, s, p)| (Some(o), s, p));
    open_read_org(app, actor, org, status, partner).await
}

/// [`open_org`] for a service account whose organization the request has
/// read already (with its token, in one query:
/// [`crate::service_accounts::authenticate_in_org`]): the grants come from
/// the policy cache at the `authz_version` just read.
pub async fn open_account_org(app: &App, actor: &Actor, org: OrgRecord) -> Result<OrgAccess> {
    let Some(account) = actor.account().filter(|a| a.org_id == org.id) else {
        return Err(AppError::NotFound("organization"));
    };
    let policy = app.policies.policy(app, &org).await?;
    let effective = app.policies.account_effective(app, &org, account.account_id).await?;
    Ok(OrgAccess { org, actor: actor.clone(), effective, policy, via: None })
}

/// [`open_org`] for a signed-in user whose organization and membership
/// status the request has read already (with its session, in one query:
/// [`crate::auth::authenticate_in_org`]): an organization they are not an
/// active member of answers 404, exactly as a missing one does, unless it is
/// a customer whose partner's roles reach them there
/// ([`crate::partners::reach_via`], with the partner read in the same
/// query). The grants come from the policy cache at
/// the `authz_version` just read.
pub async fn open_read_org(
    app: &App,
    actor: &Actor,
    org: Option<OrgRecord>,
    status: Option<MemberStatus>,
    partner: Option<roster_store::orgs::PartnerOfOrg>,
) -> Result<OrgAccess> {
    let (Some(principal), Some(org)) = (actor.principal(), org) else {
        return Err(AppError::NotFound("organization"));
    };
    let policy = app.policies.policy(app, &org).await?;
    if status == Some(MemberStatus::Active) {
        let effective = app.policies.effective(app, &org, principal.user_id).await?;
        return Ok(OrgAccess { org, actor: actor.clone(), effective, policy, via: None });
    }
    match Box::pin(crate::partners::reach_via(app, &org, principal.user_id, partner)).await? {
        Some((partner, effective)) => {
            Ok(OrgAccess { org, actor: actor.clone(), effective, policy, via: Some(partner) })
        }
        None => Err(AppError::NotFound("organization")),
    }
}

/// Locks the organization for a change and re-reads the actor's standing
/// inside the transaction, then requires the permission: what a change is
/// checked against must be what it commits against, even when another
/// administrator changed the actor's roles a moment ago.
pub async fn relock(tx: &mut roster_store::Tx, app: &App, access: &OrgAccess, p: Permission) -> Result<OrgAccess> {
    let org = roster_store::orgs::lock_org(tx, access.org.id).await?.ok_or(AppError::NotFound("organization"))?;
    let policy = crate::policy::load_policy(tx, app, &org).await?;
    let mut via = None;
    let effective = match access.actor.principal() {
        None if access.actor.is_operator() => policy.everything(),
        None => match access.actor.account() {
            Some(account) => crate::policy::load_account_effective(tx, &policy, org.id, account.account_id).await?,
            None => return Err(AppError::NotFound("organization")),
        },
        Some(principal) => {
            let status = roster_store::members::member_status(tx, org.id, principal.user_id).await?;
            if status == Some(MemberStatus::Active) {
                crate::policy::load_effective(tx, &policy, org.id, principal.user_id).await?
            } else {
                let (partner, effective) = Box::pin(crate::partners::reach_in_tx(tx, app, &org, principal.user_id))
                    .await?
                    .ok_or(AppError::NotFound("organization"))?;
                via = Some(Arc::new(partner));
                effective
            }
        }
    };
    let fresh =
        OrgAccess { org, actor: access.actor.clone(), effective: Arc::new(effective), policy: Arc::new(policy), via };
    fresh.require(p)?;
    Ok(fresh)
}
