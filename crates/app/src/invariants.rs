//! The rules every change to members and roles keeps (DESIGN.md §2): no
//! escalation, the last administrator, the owner. Each runs inside the
//! change's transaction, after the organization's row is locked, so two
//! administrators acting at once are checked one after the other.

use std::collections::HashMap;

use roster_domain::permissions::{Actions, Grants};
use roster_domain::roles::{Effective, is_administrator};
use roster_domain::{OrgId, RoleId, UserId};
use roster_store::orgs::OrgRecord;
use roster_store::{Tx, roles};

use crate::access::OrgAccess;
use crate::error::Result;
use crate::policy::OrgPolicy;
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

/// Candidates read at a time when no single role makes an administrator
/// and the answer must come from combinations of roles and own grants.
const CANDIDATE_PAGE: u64 = 1_000;

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

/// Whether an active member administers the organization, exactly, at any
/// size: first through one role alone (one indexed query), else by paging
/// through every active member who can change members at all (through a role
/// or their own grants) and evaluating each in full. Most such members share
/// a few sets of roles, so each set is decided once.
async fn has_administrator(tx: &mut Tx, org: OrgId, policy: &OrgPolicy) -> Result<bool> {
    let admin_roles: Vec<_> = policy.roles.iter().filter(|r| is_administrator(&r.grants)).map(|r| r.id).collect();
    if !roles::active_holders_of_any(tx, org, &admin_roles, None, 1).await?.is_empty() {
        return Ok(true);
    }
    let member_roles: Vec<_> = policy
        .roles
        .iter()
        .filter(|r| r.grants.on("members").covers(Actions::NONE.with(UPDATE)))
        .map(|r| r.id)
        .collect();
    let mut decided = HashMap::new();
    let mut after = None;
    loop {
        let page = roles::active_holders_of_any(tx, org, &member_roles, after, CANDIDATE_PAGE).await?;
        if any_administrator(tx, org, policy, &page, &mut decided).await? {
            return Ok(true);
        }
        match page.last() {
            Some(last) if page.len() as u64 == CANDIDATE_PAGE => after = Some(*last),
            _ => break,
        }
    }
    let mut after = None;
    loop {
        let page =
            roles::active_with_own_grant(tx, org, "members", Actions::NONE.with(UPDATE), after, CANDIDATE_PAGE).await?;
        if any_administrator(tx, org, policy, &page, &mut decided).await? {
            return Ok(true);
        }
        match page.last() {
            Some(last) if page.len() as u64 == CANDIDATE_PAGE => after = Some(*last),
            _ => break,
        }
    }
    Ok(false)
}

/// Whether any of these members administers the organization. A member
/// without own grants is decided by their set of roles, once per set.
async fn any_administrator(
    tx: &mut Tx,
    org: OrgId,
    policy: &OrgPolicy,
    users: &[UserId],
    decided: &mut HashMap<Vec<RoleId>, bool>,
) -> Result<bool> {
    if users.is_empty() {
        return Ok(false);
    }
    let mut held: HashMap<UserId, Vec<RoleId>> = HashMap::new();
    for (user, role) in roles::roles_of_members(tx, org, users).await? {
        held.entry(user).or_default().push(role);
    }
    let mut own = roles::grants_of_members(tx, org, users).await?;
    for user in users {
        let mut role_ids = held.remove(user).unwrap_or_default();
        role_ids.sort();
        let administers = match own.remove(user) {
            Some(grants) => policy.effective(&role_ids, grants).is_administrator(),
            None => *decided
                .entry(role_ids)
                .or_insert_with_key(|ids| policy.effective(ids, Grants::default()).is_administrator()),
        };
        if administers {
            return Ok(true);
        }
    }
    Ok(false)
}

const UPDATE: roster_domain::permissions::Action = roster_domain::permissions::Action::Update;
