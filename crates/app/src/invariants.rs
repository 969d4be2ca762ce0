//! The rules every change to members and roles keeps (DESIGN.md §2): no
//! escalation, the last administrator, the owner. Each runs inside the
//! change's transaction, after the organization's row is locked, so two
//! administrators acting at once are checked one after the other.

use roster_domain::permissions::{Actions, Grants};
use roster_domain::roles::{Effective, is_administrator};
use roster_domain::{OrgId, UserId};
use roster_store::orgs::OrgRecord;
use roster_store::{Tx, roles};

use crate::access::OrgAccess;
use crate::error::Result;
use crate::policy::{OrgPolicy, load_effective};
use crate::{AppError, ConflictKind};

/// No escalation: refuses to give grants the actor does not hold.
pub fn within_own_grants(access: &OrgAccess, wanted: &Grants, what: &str) -> Result<()> {
    match access.lacks(wanted) {
        None => Ok(()),
        Some(missing) => {
            Err(AppError::Escalation(format!("{what} would grant permissions you do not hold yourself: {missing}")))
        }
    }
}

/// No escalation: refuses to change a member who holds grants the actor
/// does not (an administrator cannot touch someone more powerful).
pub fn may_change_member(access: &OrgAccess, target: &Effective, email: &str) -> Result<()> {
    match access.lacks(target.grants()) {
        None => Ok(()),
        Some(missing) => Err(AppError::Escalation(format!(
            "{email} holds permissions you do not ({missing}); only someone who holds them can change this member"
        ))),
    }
}

/// Refuses a change aimed at the actor themselves that removes access.
pub fn not_self(access: &OrgAccess, user: UserId, what: &str) -> Result<()> {
    if access.actor.user_id() == Some(user) {
        return Err(AppError::conflict(
            ConflictKind::SelfChange,
            format!("you cannot {what} yourself; ask another administrator"),
        ));
    }
    Ok(())
}

/// The owner: nobody else may disable, archive or demote them.
pub fn owner_untouched(org: &OrgRecord, access: &OrgAccess, user: UserId, email: &str, what: &str) -> Result<()> {
    if org.owner_id == Some(user) && access.actor.user_id() != Some(user) {
        return Err(AppError::conflict(
            ConflictKind::OwnerProtected,
            format!("{email} owns {}; nobody else can {what} the owner", org.name),
        ));
    }
    Ok(())
}

/// Members examined, at most, when no single role makes an administrator
/// and the answer must come from combinations of roles and own grants.
const COMBINATION_SCAN: u64 = 1_000;

/// Last administrator: after a change, at least one active member must still
/// be able to administer members and roles. Runs after the change, in its
/// transaction, so it sees the state that would be committed.
pub async fn administrator_remains(tx: &mut Tx, org: &OrgRecord, policy: &OrgPolicy) -> Result<()> {
    if has_administrator(tx, org.id, policy).await? {
        return Ok(());
    }
    Err(AppError::conflict(
        ConflictKind::LastAdministrator,
        format!(
            "this would leave {} without an active member who can administer members and roles; \
             give that to someone else first",
            org.name
        ),
    ))
}

async fn has_administrator(tx: &mut Tx, org: OrgId, policy: &OrgPolicy) -> Result<bool> {
    let admin_roles: Vec<_> = policy.roles.iter().filter(|r| is_administrator(&r.grants)).map(|r| r.id).collect();
    if !roles::active_holders_of_any(tx, org, &admin_roles, 1).await?.is_empty() {
        return Ok(true);
    }
    // No one role is enough: look at members who can change members at all
    // (through a role or their own grants) and evaluate each in full.
    let member_roles: Vec<_> = policy
        .roles
        .iter()
        .filter(|r| r.grants.on("members").covers(Actions::NONE.with(UPDATE)))
        .map(|r| r.id)
        .collect();
    let mut candidates = roles::active_holders_of_any(tx, org, &member_roles, COMBINATION_SCAN).await?;
    candidates
        .extend(roles::active_with_own_grant(tx, org, "members", Actions::NONE.with(UPDATE), COMBINATION_SCAN).await?);
    candidates.sort();
    candidates.dedup();
    for user in candidates {
        if load_effective(tx, policy, org, user).await?.is_administrator() {
            return Ok(true);
        }
    }
    Ok(false)
}

const UPDATE: roster_domain::permissions::Action = roster_domain::permissions::Action::Update;
