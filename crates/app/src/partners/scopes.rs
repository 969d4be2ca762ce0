//! Scoped role assignments in a partner: each of a member's roles applies in
//! the partner, inside every customer, or inside the customers of chosen
//! groups. The partner scope is the member's ordinary roles (with the
//! organization's own rules: no escalation, owner, last administrator); the
//! customer scopes are `customer_roles` rows, under no escalation across
//! scopes ([`roster_domain::partners::Coverage::lacks`]).

use roster_domain::audit::{AuditAction, AuditEntry};
use roster_domain::partners::{CustomerReach, Scope, customer_grants};
use roster_domain::{OrgGroupId, RoleId, UserId, ValidationError};
use roster_store::orgs;
use roster_store::partners::{self as store, CustomerRole};

use super::{actor_coverage, require_partner};
use crate::access::{OrgAccess, Permission};
use crate::change::{self, Change};
use crate::error::Result;
use crate::{App, AppError, RequestMeta};
use roster_store::roles::RoleRecord;

/// One role with where it applies.
#[derive(Debug, Clone)]
pub struct Assignment {
    /// The role.
    pub role: RoleRecord,
    /// Where it applies.
    pub scope: Scope,
}

/// What a request asks: a role (id or key) and its scope.
#[derive(Debug, Clone)]
pub struct AssignmentInput {
    /// The role's id or key.
    pub role: String,
    /// Where it applies.
    pub scope: Scope,
}

/// A member's assignments: partner roles first, then customer scopes, in
/// the roles' display order.
pub async fn of_member(app: &App, access: &OrgAccess, user: UserId) -> Result<Vec<Assignment>> {
    let held = crate::roles::assignments::member_access(app, access, user).await?;
    let rows = store::customer_roles(&mut app.db.conn().await?, access.org.id, Some(&[user]), None).await?;
    Ok(assemble(access, &held.roles.iter().map(|r| r.id).collect::<Vec<_>>(), &rows))
}

fn assemble(access: &OrgAccess, partner_roles: &[RoleId], rows: &[CustomerRole]) -> Vec<Assignment> {
    let mut out = Vec::new();
    for role in &access.policy.roles {
        if partner_roles.contains(&role.id) {
            out.push(Assignment { role: role.clone(), scope: Scope::Partner });
        }
        let mine: Vec<&CustomerRole> = rows.iter().filter(|r| r.role == role.id).collect();
        if mine.iter().any(|r| r.group.is_none()) {
            out.push(Assignment { role: role.clone(), scope: Scope::AllCustomers });
        }
        let groups: Vec<OrgGroupId> = mine.iter().filter_map(|r| r.group).collect();
        if !groups.is_empty() {
            out.push(Assignment { role: role.clone(), scope: Scope::Groups(groups) });
        }
    }
    out
}

/// Sets every assignment of a member at once (`members:update`). Roles with
/// the partner scope become their partner roles (the plain form's rules);
/// the others their customer scopes. Every group named must be the
/// partner's; every scope given must be within the actor's own.
pub async fn set(
    app: &App,
    access: &OrgAccess,
    user: UserId,
    wanted: &[AssignmentInput],
    meta: &RequestMeta,
) -> Result<Vec<Assignment>> {
    require_partner(access)?;
    access.require(Permission::MEMBERS_UPDATE)?;
    let groups = store::list_groups(&mut app.db.conn().await?, access.org.id, None).await?;
    let mut errors = ValidationError { errors: vec![] };
    let mut partner_roles: Vec<String> = Vec::new();
    let mut rows: Vec<CustomerRole> = Vec::new();
    for (i, a) in wanted.iter().enumerate() {
        let Some(role) = access.policy.find_role(a.role.trim()) else {
            errors.merge(ValidationError::field(
                format!("assignments[{i}].role"),
                format!("'{}' is not a role of this organization", a.role),
            ));
            continue;
        };
        match &a.scope {
            Scope::Partner => partner_roles.push(role.id.to_string()),
            Scope::AllCustomers => rows.push(CustomerRole { user, role: role.id, group: None }),
            Scope::Groups(gs) => {
                for g in gs {
                    if groups.iter().any(|x| x.id == *g) {
                        rows.push(CustomerRole { user, role: role.id, group: Some(*g) });
                    } else {
                        errors.merge(ValidationError::field(
                            format!("assignments[{i}].scope.groups"),
                            format!("'{g}' is not an organization group of {}", access.org.name),
                        ));
                    }
                }
            }
        }
    }
    if !errors.errors.is_empty() {
        return Err(errors.into());
    }
    rows.sort();
    rows.dedup();
    let mut change = change::begin(app, access, Permission::MEMBERS_UPDATE, meta).await?;
    // What the member had, for the record: taking a partner role also takes its customer scopes.
    let before = store::customer_roles(&mut change.tx, access.org.id, Some(&[user]), None).await?;
    let held = crate::roles::assignments::apply_member_roles_only(&mut change, user, &partner_roles).await?;
    apply_rows(&mut change, user, rows, &groups, Some(&before)).await?;
    let access = change.access.clone();
    change.commit().await?;
    let rows = store::customer_roles(&mut app.db.conn().await?, access.org.id, Some(&[user]), None).await?;
    Ok(assemble(&access, &held.iter().map(|r| r.id).collect::<Vec<_>>(), &rows))
}

/// Replaces a member's customer-scope rows inside a change, under no
/// escalation across scopes, and records what changed.
async fn apply_rows(
    change: &mut Change<'_>,
    user: UserId,
    rows: Vec<CustomerRole>,
    groups: &[roster_store::partners::GroupRecord],
    before: Option<&[CustomerRole]>,
) -> Result<()> {
    let access = change.access.clone();
    let current = store::customer_roles(&mut change.tx, access.org.id, Some(&[user]), None).await?;
    let add: Vec<CustomerRole> = rows.iter().copied().filter(|r| !current.contains(r)).collect();
    let remove: Vec<CustomerRole> = current.iter().copied().filter(|r| !rows.contains(r)).collect();
    // What the record says changed, against what the member had before the change.
    let before = before.unwrap_or(&current);
    let added: Vec<CustomerRole> = rows.iter().copied().filter(|r| !before.contains(r)).collect();
    let removed: Vec<CustomerRole> = before.iter().copied().filter(|r| !rows.contains(r)).collect();
    if add.is_empty() && remove.is_empty() && added.is_empty() && removed.is_empty() {
        return Ok(());
    }
    let group_name =
        |g: OrgGroupId| groups.iter().find(|x| x.id == g).map_or_else(|| g.to_string(), |x| x.name.clone());
    let describe = |r: &CustomerRole| {
        let role = access.policy.role(r.role).map(|x| x.name.clone()).unwrap_or_default();
        match r.group {
            None => format!("{role} in all customers"),
            Some(g) => format!("{role} in {}", group_name(g)),
        }
    };
    if !access.actor.is_operator() {
        let coverage = actor_coverage(&mut change.tx, &access).await?;
        for r in added.iter().chain(&removed) {
            let Some(role) = access.policy.role(r.role) else { continue };
            let scope = r.group.map_or(Scope::AllCustomers, |g| Scope::Groups(vec![g]));
            if let Some(m) = coverage.lacks(
                &scope,
                &customer_grants(&role.grants, &access.policy.customer_resources, &[]),
                group_name,
            ) {
                return Err(AppError::Forbidden(format!("you cannot change '{}': {m}", describe(r))));
            }
        }
    }
    store::add_customer_roles(&mut change.tx, access.org.id, &add).await?;
    store::remove_customer_roles(&mut change.tx, access.org.id, &remove).await?;
    orgs::bump_authz_version(&mut change.tx, access.org.id).await?;
    if !added.is_empty() || !removed.is_empty() {
        change.record(
            AuditEntry::new(AuditAction::MemberScopesChanged, user)
                .with("added", added.iter().map(describe).collect::<Vec<_>>())
                .with("removed", removed.iter().map(describe).collect::<Vec<_>>()),
        );
    }
    Ok(())
}

/// Roles given outside the roles form (an invitation accepted, an access
/// request approved, an import, SCIM, ownership handed on): in a partner,
/// a preset role that reaches every customer does so for them too, as the
/// plain form would make it. No event of its own: the change that gave the
/// roles records them.
pub(crate) async fn follow_given(
    tx: &mut roster_store::Tx,
    access: &OrgAccess,
    role: RoleId,
    users: &[UserId],
) -> Result<()> {
    if !access.org.partner || users.is_empty() {
        return Ok(());
    }
    if access.policy.reach_of(role) == CustomerReach::All {
        let rows: Vec<CustomerRole> = users.iter().map(|u| CustomerRole { user: *u, role, group: None }).collect();
        store::add_customer_roles(tx, access.org.id, &rows).await?;
        orgs::bump_authz_version(tx, access.org.id).await?;
    }
    Ok(())
}

/// The plain form in a partner (`{"roles": […]}`): each role added also
/// applies inside customers as its preset says (every customer for the
/// "Global …" roles, the member's groups for the Key Account roles), and a
/// role removed stops applying there too.
pub(crate) async fn follow_roles(
    change: &mut Change<'_>,
    user: UserId,
    held_before: &[RoleId],
    now_held: &[RoleId],
    rows_before: &[CustomerRole],
) -> Result<()> {
    let access = change.access.clone();
    if !access.org.partner {
        return Ok(());
    }
    // The member's groups stay theirs when their roles change (a Key Account
    // Manager made a Sales Agent keeps the customers of their groups).
    let mut my_groups: Vec<OrgGroupId> = rows_before.iter().filter_map(|r| r.group).collect();
    my_groups.sort();
    my_groups.dedup();
    let mut rows: Vec<CustomerRole> = rows_before.iter().copied().filter(|r| now_held.contains(&r.role)).collect();
    for role in now_held.iter().filter(|r| !held_before.contains(r)) {
        match access.policy.reach_of(*role) {
            CustomerReach::None => {}
            CustomerReach::All => rows.push(CustomerRole { user, role: *role, group: None }),
            CustomerReach::Groups => {
                rows.extend(my_groups.iter().map(|g| CustomerRole { user, role: *role, group: Some(*g) }))
            }
        }
    }
    rows.sort();
    rows.dedup();
    let groups = store::list_groups(&mut change.tx, access.org.id, None).await?;
    apply_rows(change, user, rows, &groups, Some(rows_before)).await
}
