//! Who holds which role: members' roles and their own grants beside them.

use roster_domain::UserId;
use roster_domain::audit::{AuditAction, AuditEntry};
use roster_domain::permissions::Grants;
use roster_store::roles as store;
use roster_store::{members, orgs};

use super::{GrantsInput, RoleRecord, grants_json, parse_grants};
use crate::access::{OrgAccess, Permission};
use crate::change::{self, Change};
use crate::error::Result;
use crate::invariants::{administrator_remains, may_change_member, owner_untouched, within_own_grants};
use crate::policy::load_effective;
use crate::{App, AppError, ConflictKind, RequestMeta};

/// A member's roles and own grants, for the edit form and the API.
#[derive(Debug, Clone)]
pub struct MemberAccess {
    /// Roles held, in display order.
    pub roles: Vec<RoleRecord>,
    /// Grants of their own beside their roles.
    pub own: Grants,
}

/// What a member holds.
pub async fn member_access(app: &App, access: &OrgAccess, user: UserId) -> Result<MemberAccess> {
    access.require(Permission::MEMBERS_READ)?;
    let mut conn = app.db.conn().await?;
    if members::member_status(&mut conn, access.org.id, user).await?.is_none() {
        return Err(AppError::NotFound("member"));
    }
    let ids = store::member_role_ids(&mut conn, access.org.id, user).await?;
    let own = store::grants_of_members(&mut conn, access.org.id, &[user]).await?.remove(&user).unwrap_or_default();
    Ok(MemberAccess { roles: access.policy.roles.iter().filter(|r| ids.contains(&r.id)).cloned().collect(), own })
}

/// Reads the member being changed, inside the change's transaction, and
/// applies the rules about who may change them.
async fn member_for_change(change: &mut Change<'_>, user: UserId) -> Result<(String, roster_domain::roles::Effective)> {
    let access = &change.access;
    let m = members::find_member(&mut change.tx, access.org.id, user).await?.ok_or(AppError::NotFound("member"))?;
    let effective = load_effective(&mut change.tx, &access.policy, access.org.id, user).await?;
    owner_untouched(&access.org, access, user, &m.email, "change the roles of")?;
    may_change_member(access, &effective, &m.email)?;
    Ok((m.email, effective))
}

/// Sets a member's roles (ids or keys). No escalation: the actor must hold
/// every grant of each role added, and every grant the member holds now.
pub async fn set_member_roles(
    app: &App,
    access: &OrgAccess,
    user: UserId,
    wanted: &[String],
    meta: &RequestMeta,
) -> Result<Vec<RoleRecord>> {
    access.require(Permission::MEMBERS_UPDATE)?;
    let mut change = change::begin(app, access, Permission::MEMBERS_UPDATE, meta).await?;
    let out = apply_member_roles(&mut change, user, wanted).await?;
    change.commit().await?;
    Ok(out)
}

/// [`set_member_roles`] inside a change; in a partner, the roles' customer
/// scopes follow ([`crate::partners::scopes::follow_roles`]).
pub(crate) async fn apply_member_roles(
    change: &mut Change<'_>,
    user: UserId,
    wanted: &[String],
) -> Result<Vec<RoleRecord>> {
    if !change.access.org.partner {
        return apply_member_roles_only(change, user, wanted).await;
    }
    let before = store::member_role_ids(&mut change.tx, change.access.org.id, user).await?;
    let rows =
        roster_store::partners::customer_roles(&mut change.tx, change.access.org.id, Some(&[user]), None).await?;
    // Boxed: the partner path's futures would otherwise sit inline in every caller's.
    let out = Box::pin(apply_member_roles_only(change, user, wanted)).await?;
    let now: Vec<roster_domain::RoleId> = out.iter().map(|r| r.id).collect();
    Box::pin(crate::partners::scopes::follow_roles(change, user, &before, &now, &rows)).await?;
    Ok(out)
}

/// A member's roles in the organization itself, inside a change (in a
/// partner: the partner scope only).
pub(crate) async fn apply_member_roles_only(
    change: &mut Change<'_>,
    user: UserId,
    wanted: &[String],
) -> Result<Vec<RoleRecord>> {
    let access = change.access.clone();
    let access = &access;
    let new_roles = access.policy.pick_roles(wanted)?;
    let (email, _) = member_for_change(change, user).await?;
    let tx = &mut change.tx;
    let held = store::member_role_ids(tx, access.org.id, user).await?;
    if access.org.owner_id == Some(user)
        && let Some(owner_role) = access.policy.owner_role()
        && !new_roles.iter().any(|r| r.id == owner_role.id)
    {
        return Err(AppError::conflict(
            ConflictKind::OwnerProtected,
            format!("{email} owns {} and always holds '{}'; hand ownership on first", access.org.name, owner_role.name),
        ));
    }
    let added: Vec<&RoleRecord> = new_roles.iter().filter(|r| !held.contains(&r.id)).collect();
    let removed: Vec<&RoleRecord> = access
        .policy
        .roles
        .iter()
        .filter(|r| held.contains(&r.id) && !new_roles.iter().any(|n| n.id == r.id))
        .collect();
    for r in &added {
        within_own_grants(access, &r.grants, &format!("giving '{}'", r.name))?;
    }
    if added.is_empty() && removed.is_empty() {
        return Ok(new_roles);
    }
    for r in &added {
        store::add_role(tx, access.org.id, r.id, &[user]).await?;
    }
    for r in &removed {
        store::remove_role(tx, access.org.id, r.id, &[user]).await?;
    }
    orgs::bump_authz_version(tx, access.org.id).await?;
    if !removed.is_empty() {
        administrator_remains(tx, &access.org, &access.policy).await?;
    }
    let names = |rs: &[&RoleRecord]| rs.iter().map(|r| r.name.clone()).collect::<Vec<_>>();
    let before: Vec<String> =
        access.policy.roles.iter().filter(|r| held.contains(&r.id)).map(|r| r.name.clone()).collect();
    change.record(
        AuditEntry::new(AuditAction::MemberRolesChanged, user)
            .before(serde_json::json!({"roles": before}))
            .after(serde_json::json!({"roles": new_roles.iter().map(|r| r.name.clone()).collect::<Vec<_>>()}))
            .with("added", names(&added))
            .with("removed", names(&removed)),
    );
    Ok(new_roles)
}

/// Sets a member's own grants beside their roles (seed 002's "Custom"
/// permissions), under the same no-escalation rule.
pub async fn set_member_grants(
    app: &App,
    access: &OrgAccess,
    user: UserId,
    input: &GrantsInput,
    meta: &RequestMeta,
) -> Result<Grants> {
    access.require(Permission::MEMBERS_UPDATE)?;
    let grants = parse_grants("grants", input, &access.policy)?;
    let mut change = change::begin(app, access, Permission::MEMBERS_UPDATE, meta).await?;
    let out = apply_member_grants(&mut change, user, grants).await?;
    change.commit().await?;
    Ok(out)
}

/// [`set_member_grants`] inside a change.
pub(crate) async fn apply_member_grants(change: &mut Change<'_>, user: UserId, grants: Grants) -> Result<Grants> {
    let (_, effective) = member_for_change(change, user).await?;
    let access = &change.access;
    within_own_grants(access, &grants, "these permissions")?;
    let before = effective.own().clone();
    if before == grants {
        return Ok(grants);
    }
    store::set_member_grants(&mut change.tx, access.org.id, user, &grants).await?;
    orgs::bump_authz_version(&mut change.tx, access.org.id).await?;
    administrator_remains(&mut change.tx, &access.org, &access.policy).await?;
    change.record(
        AuditEntry::new(AuditAction::MemberGrantsChanged, user)
            .before(serde_json::json!({"grants": grants_json(&before)}))
            .after(serde_json::json!({"grants": grants_json(&grants)})),
    );
    Ok(grants)
}
