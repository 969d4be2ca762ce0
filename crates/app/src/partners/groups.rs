//! The Organization Groups tab: groups of customers, and the partner
//! members assigned to them.
//!
//! Assigning a member to a group adds the group to the scope of each of
//! their roles that is limited to groups (the broker preset's Key Account
//! roles and Sales Agent, or any role they hold over groups already); a
//! member with no such role cannot be assigned. Every change moves the
//! partner's `authz_version`, so it takes effect on the next request on
//! every instance. Changing which customers a group holds needs a reach
//! over every customer (no escalation across scopes).

use roster_domain::audit::{AuditAction, AuditEntry};
use roster_domain::partners::{CustomerReach, Scope, customer_grants, parse_group_name};
use roster_domain::permissions::Action;
use roster_domain::{OrgGroupId, OrgId, UserId, ValidationError};
use roster_store::orgs::OrgRecord;
use roster_store::partners::{self as store, CustomerRole, GroupRecord};
use roster_store::{members, orgs};

use super::{actor_coverage, require_partner};
use crate::access::{OrgAccess, Permission};
use crate::change;
use crate::error::Result;
use crate::{App, AppError, ConflictKind, RequestMeta};

const READ: Permission = Permission { resource: "org_groups", action: Action::Read };
const CREATE: Permission = Permission { resource: "org_groups", action: Action::Create };
const UPDATE: Permission = Permission { resource: "org_groups", action: Action::Update };
const DELETE: Permission = Permission { resource: "org_groups", action: Action::Delete };

/// A group with its customers and members.
#[derive(Debug, Clone)]
pub struct GroupDetail {
    /// The group.
    pub group: GroupRecord,
    /// Its customers, by name.
    pub customers: Vec<OrgRecord>,
    /// The partner members assigned to it, with the roles it scopes.
    pub members: Vec<GroupMember>,
}

/// A partner member assigned to a group.
#[derive(Debug, Clone)]
pub struct GroupMember {
    /// The user.
    pub user_id: UserId,
    /// Their email.
    pub email: String,
    /// Their name.
    pub name: String,
    /// Their roles scoped to the group, by name.
    pub roles: Vec<String>,
}

/// Every group of the partner, by name, with counts (`org_groups:read`).
pub async fn list(app: &App, access: &OrgAccess) -> Result<Vec<GroupRecord>> {
    require_partner(access)?;
    access.require(READ)?;
    Ok(store::list_groups(&mut app.db.conn().await?, access.org.id, None).await?)
}

/// One group, its customers and members (`org_groups:read`).
pub async fn get(app: &App, access: &OrgAccess, id: OrgGroupId) -> Result<GroupDetail> {
    require_partner(access)?;
    access.require(READ)?;
    let mut conn = app.db.conn().await?;
    let group = store::list_groups(&mut conn, access.org.id, Some(&[id]))
        .await?
        .pop()
        .ok_or(AppError::NotFound("organization group"))?;
    let customers = store::group_customers(&mut conn, access.org.id, id).await?;
    let rows = store::customer_roles(&mut conn, access.org.id, None, Some(id)).await?;
    let mut ids: Vec<UserId> = rows.iter().map(|r| r.user).collect();
    ids.dedup();
    let names = roster_store::members::names_of(&mut conn, access.org.id, &ids).await?;
    let mut members: Vec<GroupMember> = Vec::new();
    for row in rows {
        let role = access.policy.role(row.role).map(|r| r.name.clone()).unwrap_or_default();
        match members.iter_mut().find(|m| m.user_id == row.user) {
            Some(m) => m.roles.push(role),
            None => {
                if let Some((_, name, email)) = names.iter().find(|(u, _, _)| *u == row.user) {
                    members.push(GroupMember {
                        user_id: row.user,
                        email: email.clone(),
                        name: name.clone(),
                        roles: vec![role],
                    });
                }
            }
        }
    }
    members.sort_by_key(|m| m.name.to_lowercase());
    Ok(GroupDetail { group, customers, members })
}

/// The groups a partner member is assigned to (`org_groups:read`).
pub async fn of_member(app: &App, access: &OrgAccess, user: UserId) -> Result<Vec<GroupRecord>> {
    require_partner(access)?;
    access.require(READ)?;
    let mut conn = app.db.conn().await?;
    let mut ids: Vec<OrgGroupId> = store::customer_roles(&mut conn, access.org.id, Some(&[user]), None)
        .await?
        .into_iter()
        .filter_map(|r| r.group)
        .collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(vec![]);
    }
    Ok(store::list_groups(&mut conn, access.org.id, Some(&ids)).await?)
}

fn name_taken(e: roster_store::StoreError, name: &str) -> AppError {
    if e.is_unique_violation() {
        AppError::conflict(ConflictKind::GroupNameTaken, format!("a group named '{name}' exists; choose another name"))
    } else {
        e.into()
    }
}

/// Creates a group (`org_groups:create`).
pub async fn create(app: &App, access: &OrgAccess, name: &str, meta: &RequestMeta) -> Result<GroupRecord> {
    require_partner(access)?;
    access.require(CREATE)?;
    let name = parse_group_name(name)?;
    let mut change = change::begin(app, access, CREATE, meta).await?;
    let id = OrgGroupId::new();
    store::insert_group(&mut change.tx, access.org.id, id, &name, change.now)
        .await
        .map_err(|e| name_taken(e, &name))?;
    change.record(AuditEntry::new(AuditAction::OrgGroupCreated, id).after(serde_json::json!({"name": name})));
    let created_at = change.now;
    change.commit().await?;
    Ok(GroupRecord { id, name, created_at, customers: 0, members: 0 })
}

async fn existing(change: &mut change::Change<'_>, id: OrgGroupId) -> Result<GroupRecord> {
    store::list_groups(&mut change.tx, change.access.org.id, Some(&[id]))
        .await?
        .pop()
        .ok_or(AppError::NotFound("organization group"))
}

/// Renames a group (`org_groups:update`).
pub async fn rename(
    app: &App,
    access: &OrgAccess,
    id: OrgGroupId,
    name: &str,
    meta: &RequestMeta,
) -> Result<GroupRecord> {
    require_partner(access)?;
    access.require(UPDATE)?;
    let name = parse_group_name(name)?;
    let mut change = change::begin(app, access, UPDATE, meta).await?;
    let before = existing(&mut change, id).await?;
    if before.name == name {
        return Ok(before);
    }
    store::rename_group(&mut change.tx, access.org.id, id, &name).await.map_err(|e| name_taken(e, &name))?;
    change.record(
        AuditEntry::new(AuditAction::OrgGroupRenamed, id)
            .before(serde_json::json!({"name": before.name}))
            .after(serde_json::json!({"name": name})),
    );
    change.commit().await?;
    Ok(GroupRecord { name, ..before })
}

/// Deletes a group (`org_groups:delete`): its members' roles no longer
/// reach its customers, from the next request on.
pub async fn delete(app: &App, access: &OrgAccess, id: OrgGroupId, meta: &RequestMeta) -> Result<()> {
    require_partner(access)?;
    access.require(DELETE)?;
    let mut change = change::begin(app, access, DELETE, meta).await?;
    let before = existing(&mut change, id).await?;
    store::delete_group(&mut change.tx, access.org.id, id).await?;
    orgs::bump_authz_version(&mut change.tx, access.org.id).await?;
    change
        .record(AuditEntry::new(AuditAction::OrgGroupDeleted, id).before(
            serde_json::json!({"name": before.name, "customers": before.customers, "members": before.members}),
        ));
    change.commit().await?;
    Ok(())
}

/// Sets which customers a group holds (ids or slugs; `org_groups:update`,
/// and a reach over every customer). Each name that is no customer of the
/// partner is refused as `orgs[i]`, all at once.
pub async fn set_customers(
    app: &App,
    access: &OrgAccess,
    id: OrgGroupId,
    wanted: &[String],
    meta: &RequestMeta,
) -> Result<GroupDetail> {
    require_partner(access)?;
    access.require(UPDATE)?;
    let mut conn = app.db.conn().await?;
    if !actor_coverage(&mut conn, access).await?.covers_all() {
        return Err(AppError::Forbidden(
            "only a member whose roles reach all customers can change which customers a group holds".into(),
        ));
    }
    let found = store::find_customers(&mut conn, access.org.id, wanted).await?;
    let mut errors = ValidationError { errors: vec![] };
    let mut ids: Vec<OrgId> = Vec::new();
    let mut names: Vec<(OrgId, String)> = Vec::new();
    for (i, w) in wanted.iter().enumerate() {
        let w = w.trim();
        match found.iter().find(|o| o.slug == w.to_lowercase() || o.id.to_string() == w) {
            Some(o) => {
                if !ids.contains(&o.id) {
                    ids.push(o.id);
                    names.push((o.id, o.name.clone()));
                }
            }
            None => errors.merge(ValidationError::field(
                format!("orgs[{i}]"),
                format!("'{w}' is not a customer of {}", access.org.name),
            )),
        }
    }
    drop(conn);
    if !errors.errors.is_empty() {
        return Err(errors.into());
    }
    let mut change = change::begin(app, access, UPDATE, meta).await?;
    let group = existing(&mut change, id).await?;
    let held = store::customers_of_group(&mut change.tx, access.org.id, id).await?;
    let added: Vec<OrgId> = ids.iter().copied().filter(|o| !held.contains(o)).collect();
    let removed: Vec<OrgId> = held.iter().copied().filter(|o| !ids.contains(o)).collect();
    if !added.is_empty() || !removed.is_empty() {
        store::add_group_customers(&mut change.tx, access.org.id, id, &added).await?;
        store::remove_group_customers(&mut change.tx, access.org.id, id, &removed).await?;
        orgs::bump_authz_version(&mut change.tx, access.org.id).await?;
        let mut removed_names = Vec::new();
        for o in &removed {
            if let Some(org) = orgs::find_org(&mut change.tx, &o.to_string()).await? {
                removed_names.push(org.name);
            }
        }
        let name_of = |o: &OrgId| names.iter().find(|(i, _)| i == o).map(|(_, n)| n.clone()).unwrap_or_default();
        change.record(
            AuditEntry::new(AuditAction::OrgGroupCustomersChanged, id)
                .with("group", group.name.clone())
                .with("added", added.iter().map(name_of).collect::<Vec<_>>())
                .with("removed", removed_names),
        );
    }
    change.commit().await?;
    get(app, access, id).await
}

/// Sets which partner members a group is assigned to (ids or emails;
/// `org_groups:update`). A member added gets the group in the scope of each
/// of their roles that is limited to groups; no escalation: the actor's
/// roles must reach the group with everything those roles give there.
pub async fn set_members(
    app: &App,
    access: &OrgAccess,
    id: OrgGroupId,
    wanted: &[String],
    meta: &RequestMeta,
) -> Result<GroupDetail> {
    require_partner(access)?;
    access.require(UPDATE)?;
    let mut conn = app.db.conn().await?;
    let mut errors = ValidationError { errors: vec![] };
    let mut users: Vec<(UserId, String)> = Vec::new();
    for (i, w) in wanted.iter().enumerate() {
        let w = w.trim();
        let found = match w.parse::<UserId>() {
            Ok(u) => members::find_member(&mut conn, access.org.id, u).await?.map(|m| (u, m.email)),
            Err(_) => match roster_domain::Email::parse(w) {
                Ok(e) => members::member_id_by_email(&mut conn, access.org.id, &e)
                    .await?
                    .map(|u| (u, e.as_str().to_string())),
                Err(_) => None,
            },
        };
        match found {
            Some(f) if !users.iter().any(|(u, _)| *u == f.0) => users.push(f),
            Some(_) => {}
            None => errors.merge(ValidationError::field(
                format!("users[{i}]"),
                format!("'{w}' is not a member of {}", access.org.name),
            )),
        }
    }
    drop(conn);
    if !errors.errors.is_empty() {
        return Err(errors.into());
    }
    let mut change = change::begin(app, access, UPDATE, meta).await?;
    let group = existing(&mut change, id).await?;
    let access = change.access.clone();
    let current = store::customer_roles(&mut change.tx, access.org.id, None, Some(id)).await?;
    let user_ids: Vec<UserId> = users.iter().map(|(u, _)| *u).collect();
    let mut add: Vec<CustomerRole> = Vec::new();
    let their_rows = store::customer_roles(&mut change.tx, access.org.id, Some(&user_ids), None).await?;
    let partner_roles = store::member_roles_of(&mut change.tx, access.org.id, &user_ids).await?;
    for (i, (user, email)) in users.iter().enumerate() {
        if current.iter().any(|r| r.user == *user) {
            continue;
        }
        let mut roles: Vec<roster_domain::RoleId> =
            their_rows.iter().filter(|r| r.user == *user && r.group.is_some()).map(|r| r.role).collect();
        for (_, role) in partner_roles.iter().filter(|(u, _)| u == user) {
            if access.policy.reach_of(*role) == CustomerReach::Groups && !roles.contains(role) {
                roles.push(*role);
            }
        }
        if roles.is_empty() {
            errors.merge(ValidationError::field(
                format!("users[{i}]"),
                format!(
                    "{email} holds no role limited to organization groups (such as Key Account Manager or Sales Agent)"
                ),
            ));
        }
        roles.sort();
        roles.dedup();
        add.extend(roles.into_iter().map(|role| CustomerRole { user: *user, role, group: Some(id) }));
    }
    if !errors.errors.is_empty() {
        return Err(errors.into());
    }
    let remove: Vec<CustomerRole> = current.iter().copied().filter(|r| !user_ids.contains(&r.user)).collect();
    let coverage = actor_coverage(&mut change.tx, &access).await?;
    for r in add.iter().chain(&remove) {
        if access.actor.is_operator() {
            break;
        }
        let Some(role) = access.policy.role(r.role) else { continue };
        if let Some(m) = coverage.lacks(
            &Scope::Groups(vec![id]),
            &customer_grants(&role.grants, &access.policy.customer_resources, &[]),
            |_| group.name.clone(),
        ) {
            return Err(AppError::Forbidden(format!("you cannot assign '{}' in {}: {m}", role.name, group.name)));
        }
    }
    if !add.is_empty() || !remove.is_empty() {
        store::add_customer_roles(&mut change.tx, access.org.id, &add).await?;
        store::remove_customer_roles(&mut change.tx, access.org.id, &remove).await?;
        orgs::bump_authz_version(&mut change.tx, access.org.id).await?;
        let email_of = |u: UserId| users.iter().find(|(x, _)| *x == u).map(|(_, e)| e.clone());
        let mut added: Vec<String> = add.iter().filter_map(|r| email_of(r.user)).collect();
        added.dedup();
        let mut removed: Vec<String> = Vec::new();
        for r in &remove {
            if let Some(m) = members::find_member(&mut change.tx, access.org.id, r.user).await?
                && !removed.contains(&m.email)
            {
                removed.push(m.email);
            }
        }
        change.record(
            AuditEntry::new(AuditAction::OrgGroupMembersChanged, id)
                .with("group", group.name.clone())
                .with("added", added)
                .with("removed", removed),
        );
    }
    change.commit().await?;
    get(app, &access, id).await
}
