//! Who may do what in an organization.
//!
//! Until roles exist, the organization's owner is its one administrator:
//! every active member may read the directory, and only the owner may change
//! it. Every use case asks here, so roles replace this file, not its callers.

use roster_domain::MemberStatus;
use roster_store::orgs::OrgRecord;

use crate::auth::Principal;
use crate::error::Result;
use crate::{Actor, App, AppError};

/// What an actor asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read the members directory.
    MembersRead,
    /// Change members (rename, disable, enable, archive, restore, bulk).
    MembersUpdate,
}

impl Permission {
    /// The permission's name in messages (`members:update`).
    pub fn name(self) -> &'static str {
        match self {
            Self::MembersRead => "members:read",
            Self::MembersUpdate => "members:update",
        }
    }
}

/// An actor's standing in one organization, established once per request.
#[derive(Debug, Clone)]
pub struct OrgAccess {
    /// The organization.
    pub org: OrgRecord,
    /// Who is acting.
    pub actor: Actor,
    /// Whether the actor may administer the organization.
    pub is_admin: bool,
}

impl OrgAccess {
    /// Whether the actor holds a permission here.
    pub fn can(&self, p: Permission) -> bool {
        match p {
            Permission::MembersRead => true,
            Permission::MembersUpdate => self.is_admin,
        }
    }

    /// Refuses with 403 unless the actor holds the permission.
    pub fn require(&self, p: Permission) -> Result<()> {
        if self.can(p) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "you need the {} permission in {} to do this; ask its owner",
                p.name(),
                self.org.name
            )))
        }
    }
}

/// Opens an organization (by id or slug) for a signed-in user. An
/// organization the user is not an active member of answers 404, exactly as
/// a missing one does.
pub async fn open_org(app: &App, principal: &Principal, id_or_slug: &str) -> Result<OrgAccess> {
    let mut conn = app.db.conn().await?;
    let org = roster_store::orgs::find_org(&mut conn, id_or_slug).await?.ok_or(AppError::NotFound("organization"))?;
    let member = roster_store::members::find_member(&mut conn, org.id, principal.user_id).await?;
    if member.is_none_or(|m| m.status != MemberStatus::Active) {
        return Err(AppError::NotFound("organization"));
    }
    let is_admin = org.owner_id == Some(principal.user_id);
    Ok(OrgAccess { org, actor: Actor::User(principal.clone()), is_admin })
}

/// Opens an organization for the operator's command line, which may do everything.
pub async fn open_org_as_cli(app: &App, id_or_slug: &str) -> Result<OrgAccess> {
    let mut conn = app.db.conn().await?;
    let org = roster_store::orgs::find_org(&mut conn, id_or_slug).await?.ok_or(AppError::NotFound("organization"))?;
    Ok(OrgAccess { org, actor: Actor::Cli, is_admin: true })
}
