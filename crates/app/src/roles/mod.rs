//! Roles: the organization's permissions list and custom roles (create,
//! edit, copy, delete with reassignment). Beside them: `assignments` (who
//! holds which role, and members' own grants) and `presets` (the roles an
//! organization starts with). Handing the organization on is
//! [`crate::ownership`].

pub(crate) mod assignments;
mod presets;

pub use assignments::*;
pub use presets::*;

use std::collections::BTreeMap;

use roster_domain::permissions::{Action, Actions, Grants};
use roster_domain::roles::{RoleKey, parse_role_description, parse_role_name};
use roster_domain::{RoleId, ValidationError};
use roster_store::orgs;
use roster_store::roles as store;
pub use roster_store::roles::RoleRecord;

use roster_domain::audit::{AuditAction, AuditEntry};

use crate::access::{OrgAccess, Permission};
use crate::change::{self, Change};
use crate::error::Result;
use crate::invariants::{administrator_remains, within_own_grants};
use crate::policy::{OrgPolicy, Resource};
use crate::{App, AppError, ConflictKind, RequestMeta};

/// Grants as a client sends them: resource → action names.
pub type GrantsInput = BTreeMap<String, Vec<String>>;

/// Reads grants against the organization's resources, naming each bad entry.
pub fn parse_grants(field: &str, input: &GrantsInput, policy: &OrgPolicy) -> Result<Grants, ValidationError> {
    let mut errors = ValidationError { errors: vec![] };
    let mut grants = Grants::default();
    for (resource, actions) in input {
        if !policy.knows(resource) {
            errors.merge(ValidationError::field(
                format!("{field}.{resource}"),
                "is not a permission of this organization (see GET …/permissions)",
            ));
            continue;
        }
        let mut set = Actions::NONE;
        for a in actions {
            match a.parse::<Action>() {
                Ok(a) => set = set.with(a),
                Err(e) => {
                    errors.merge(ValidationError::field(format!("{field}.{resource}"), e.errors[0].message.clone()))
                }
            }
        }
        grants.grant(resource, set);
    }
    if errors.errors.is_empty() { Ok(grants) } else { Err(errors) }
}

/// Grants as audit details show them.
pub(crate) fn grants_json(g: &Grants) -> serde_json::Value {
    g.iter()
        .map(|(r, a)| (r.to_string(), serde_json::Value::from(a.iter().map(Action::as_str).collect::<Vec<_>>())))
        .collect()
}

/// The resources grants may name here.
pub fn list_permissions(access: &OrgAccess) -> Result<Vec<Resource>> {
    access.require(Permission::ROLES_READ)?;
    Ok(access.policy.resources.clone())
}

/// Every role, with grants and member counts.
pub fn list_roles(access: &OrgAccess) -> Result<Vec<RoleRecord>> {
    access.require(Permission::ROLES_READ)?;
    Ok(access.policy.roles.clone())
}

/// One role, by id or key.
pub fn get_role(access: &OrgAccess, id_or_key: &str) -> Result<RoleRecord> {
    access.require(Permission::ROLES_READ)?;
    access.policy.find_role(id_or_key).cloned().ok_or(AppError::NotFound("role"))
}

/// A new custom role.
#[derive(Debug, Clone, Default)]
pub struct RoleInput {
    /// Stable key; made from the name when absent.
    pub key: Option<String>,
    /// Display name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// What it grants.
    pub grants: GrantsInput,
}

/// Changes to a role; absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct RolePatch {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New grants (replacing all of them).
    pub grants: Option<GrantsInput>,
}

fn name_taken(name: &str) -> AppError {
    AppError::conflict(
        ConflictKind::RoleNameTaken,
        format!("a role named '{name}' already exists here; choose another name"),
    )
}

fn role_in<'a>(access: &'a OrgAccess, id_or_key: &str) -> Result<&'a RoleRecord> {
    access.policy.find_role(id_or_key).ok_or(AppError::NotFound("role"))
}

fn check_name_free(policy: &OrgPolicy, name: &str, except: Option<RoleId>) -> Result<()> {
    if policy.roles.iter().any(|r| Some(r.id) != except && r.name.to_lowercase() == name.to_lowercase()) {
        return Err(name_taken(name));
    }
    Ok(())
}

/// A custom role about to be inserted.
struct NewCustomRole<'a> {
    key: RoleKey,
    name: String,
    description: String,
    grants: Grants,
    copied_from: Option<&'a RoleRecord>,
}

async fn insert_custom(change: &mut Change<'_>, new: NewCustomRole<'_>) -> Result<RoleRecord> {
    let NewCustomRole { key, name, description, grants, copied_from } = new;
    let (org, now) = (change.access.org.id, change.now);
    let policy = &change.access.policy;
    check_name_free(policy, &name, None)?;
    // A key made from a name may collide with another role's: number it.
    let mut key = key.as_str().to_string();
    if policy.roles.iter().any(|r| r.key == key) {
        let base = key.clone();
        key =
            (2..).map(|n| format!("{base}_{n}")).find(|k| !policy.roles.iter().any(|r| &r.key == k)).expect("free key");
    }
    let role = RoleRecord {
        id: RoleId::new(),
        key,
        name,
        description,
        builtin: false,
        locked: false,
        position: store::next_position(&mut change.tx, org).await?,
        member_count: 0,
        grants,
    };
    if let Err(e) = store::insert_role(&mut change.tx, org, &role, now).await {
        return Err(if e.is_unique_violation() { name_taken(&role.name) } else { e.into() });
    }
    orgs::bump_authz_version(&mut change.tx, org).await?;
    let mut entry = AuditEntry::new(AuditAction::RoleCreated, role.id).after(serde_json::json!({"key": role.key, "name": role.name, "description": role.description, "grants": grants_json(&role.grants)}));
    if let Some(from) = copied_from {
        entry = entry.with("copied_from", from.key.clone());
    }
    change.record(entry);
    Ok(role)
}

/// Creates a custom role. No escalation: its grants must be the actor's own.
pub async fn create_role(app: &App, access: &OrgAccess, input: RoleInput, meta: &RequestMeta) -> Result<RoleRecord> {
    access.require(Permission::ROLES_CREATE)?;
    let mut errors = ValidationError { errors: vec![] };
    let name = parse_role_name("name", &input.name).map_err(|e| errors.merge(e)).ok();
    let description = parse_role_description("description", &input.description).map_err(|e| errors.merge(e)).ok();
    let key = match &input.key {
        Some(k) if !k.trim().is_empty() => RoleKey::parse("key", k).map_err(|e| errors.merge(e)).ok(),
        _ => name.as_deref().map(RoleKey::from_name),
    };
    let grants = parse_grants("grants", &input.grants, &access.policy).map_err(|e| errors.merge(e)).ok();
    let (Some(name), Some(description), Some(key), Some(grants)) = (name, description, key, grants) else {
        return Err(errors.into());
    };
    if input.key.as_deref().is_some_and(|k| access.policy.roles.iter().any(|r| r.key == k.trim())) {
        return Err(AppError::conflict(
            ConflictKind::RoleNameTaken,
            format!("a role with the key '{}' already exists here", key),
        ));
    }
    let mut change = change::begin(app, access, Permission::ROLES_CREATE, meta).await?;
    within_own_grants(&change.access, &grants, &format!("the role '{name}'"))?;
    let role = insert_custom(&mut change, NewCustomRole { key, name, description, grants, copied_from: None }).await?;
    change.commit().await?;
    Ok(role)
}

/// Copies a role (built-in ones included) as a new custom role.
pub async fn copy_role(
    app: &App,
    access: &OrgAccess,
    id_or_key: &str,
    name: Option<&str>,
    meta: &RequestMeta,
) -> Result<RoleRecord> {
    access.require(Permission::ROLES_CREATE)?;
    access.require(Permission::ROLES_READ)?;
    let source = role_in(access, id_or_key)?.clone();
    let name = match name.filter(|n| !n.trim().is_empty()) {
        Some(n) => parse_role_name("name", n)?,
        None => {
            let base = format!("Copy of {}", source.name);
            let taken = |n: &str| access.policy.roles.iter().any(|r| r.name.to_lowercase() == n.to_lowercase());
            if taken(&base) {
                (2..).map(|i| format!("{base} ({i})")).find(|n| !taken(n)).expect("free name")
            } else {
                base
            }
        }
    };
    let mut change = change::begin(app, access, Permission::ROLES_CREATE, meta).await?;
    let source = role_in(&change.access, &source.id.to_string())?.clone();
    within_own_grants(&change.access, &source.grants, &format!("a copy of '{}'", source.name))?;
    let new = NewCustomRole {
        key: RoleKey::from_name(&name),
        name,
        description: source.description.clone(),
        grants: source.grants.clone(),
        copied_from: Some(&source),
    };
    let role = insert_custom(&mut change, new).await?;
    change.commit().await?;
    Ok(role)
}

/// Why a role cannot be edited at all: the owner's role is locked.
pub fn locked(role: &RoleRecord) -> Option<AppError> {
    role.locked.then(|| {
        AppError::conflict(
            ConflictKind::RoleLocked,
            format!("'{}' is the owner's role and always grants everything; copy it to make a variant", role.name),
        )
    })
}

/// Whether the actor may create custom roles (the empty editor).
pub fn may_create_role(access: &OrgAccess) -> Result<()> {
    access.require(Permission::ROLES_CREATE)
}

/// A role opened in the editor. Needs roles:update.
pub fn role_for_edit(access: &OrgAccess, id_or_key: &str) -> Result<RoleRecord> {
    access.require(Permission::ROLES_UPDATE)?;
    get_role(access, id_or_key)
}

/// Edits a role's name, description or grants. The owner's role is locked.
/// No escalation: the actor must hold every grant the role has now and
/// every grant it would have.
pub async fn update_role(
    app: &App,
    access: &OrgAccess,
    id_or_key: &str,
    patch: RolePatch,
    meta: &RequestMeta,
) -> Result<RoleRecord> {
    access.require(Permission::ROLES_UPDATE)?;
    let mut errors = ValidationError { errors: vec![] };
    let name = patch.name.as_deref().and_then(|n| parse_role_name("name", n).map_err(|e| errors.merge(e)).ok());
    let description = patch
        .description
        .as_deref()
        .and_then(|d| parse_role_description("description", d).map_err(|e| errors.merge(e)).ok());
    let grants =
        patch.grants.as_ref().and_then(|g| parse_grants("grants", g, &access.policy).map_err(|e| errors.merge(e)).ok());
    if !errors.errors.is_empty() {
        return Err(errors.into());
    }
    let mut change = change::begin(app, access, Permission::ROLES_UPDATE, meta).await?;
    let (org, now) = (change.access.org.id, change.now);
    let access = change.access.clone();
    let before = role_in(&access, id_or_key)?.clone();
    if let Some(refusal) = locked(&before) {
        return Err(refusal);
    }
    within_own_grants(&access, &before.grants, &format!("editing '{}'", before.name))?;
    let mut after = before.clone();
    if let Some(n) = name {
        check_name_free(&access.policy, &n, Some(before.id))?;
        after.name = n;
    }
    if let Some(d) = description {
        after.description = d;
    }
    if let Some(g) = grants {
        within_own_grants(&access, &g, &format!("the role '{}'", after.name))?;
        after.grants = g;
    }
    if after == before {
        return Ok(before);
    }
    if let Err(e) = store::update_role(&mut change.tx, org, before.id, &after.name, &after.description, now).await {
        return Err(if e.is_unique_violation() { name_taken(&after.name) } else { e.into() });
    }
    if after.grants != before.grants {
        store::set_role_grants(&mut change.tx, org, before.id, &after.grants).await?;
        let policy = crate::policy::load_policy(&mut change.tx, app, &access.org).await?;
        administrator_remains(&mut change.tx, &access.org, &policy).await?;
    }
    orgs::bump_authz_version(&mut change.tx, org).await?;
    change.record(
        AuditEntry::new(AuditAction::RoleUpdated, before.id)
            .before(serde_json::json!({"name": before.name, "description": before.description, "grants": grants_json(&before.grants)}))
            .after(serde_json::json!({"name": after.name, "description": after.description, "grants": grants_json(&after.grants)})),
    );
    change.commit().await?;
    Ok(after)
}

/// Deletes a custom role. A role still assigned is refused unless
/// `reassign_to` names the role its members get instead.
pub async fn delete_role(
    app: &App,
    access: &OrgAccess,
    id_or_key: &str,
    reassign_to: Option<&str>,
    meta: &RequestMeta,
) -> Result<u64> {
    access.require(Permission::ROLES_DELETE)?;
    let mut change = change::begin(app, access, Permission::ROLES_DELETE, meta).await?;
    let org = change.access.org.id;
    let access = change.access.clone();
    let role = role_in(&access, id_or_key)?.clone();
    if role.builtin {
        return Err(AppError::conflict(
            ConflictKind::BuiltinRole,
            format!("'{}' is a built-in role: it can be copied and edited, not deleted", role.name),
        ));
    }
    within_own_grants(&access, &role.grants, &format!("deleting '{}'", role.name))?;
    let target = match reassign_to.filter(|s| !s.is_empty()) {
        Some(t) => {
            let t = access.policy.find_role(t).ok_or_else(|| {
                AppError::Validation(ValidationError::field("reassign_to", "is not a role of this organization"))
            })?;
            if t.id == role.id {
                return Err(ValidationError::field("reassign_to", "must be another role than the one deleted").into());
            }
            access.require(Permission::MEMBERS_UPDATE)?;
            within_own_grants(&access, &t.grants, &format!("giving '{}' to the members of '{}'", t.name, role.name))?;
            Some(t.clone())
        }
        None => None,
    };
    // Service accounts holding the role keep it until someone changes their
    // roles on purpose: a deletion never changes an account's access silently.
    let accounts = roster_store::service_accounts::accounts_holding_role(&mut change.tx, org, role.id).await?;
    if !accounts.is_empty() {
        let names: Vec<&str> = accounts.iter().map(|a| a.name.as_str()).collect();
        return Err(AppError::conflict(
            ConflictKind::RoleInUse,
            format!(
                "'{}' is held by the service account{} {}; change {} roles first",
                role.name,
                if names.len() == 1 { "" } else { "s" },
                names.join(", "),
                if names.len() == 1 { "its" } else { "their" }
            ),
        ));
    }
    if role.member_count > 0 && target.is_none() {
        return Err(AppError::conflict(
            ConflictKind::RoleInUse,
            format!(
                "'{}' is assigned to {} member{}; choose a role to give them instead (reassign_to)",
                role.name,
                role.member_count,
                if role.member_count == 1 { "" } else { "s" }
            ),
        ));
    }
    let mut moved = 0;
    if let Some(t) = &target {
        let mut after = None;
        loop {
            let batch = store::holders(&mut change.tx, org, role.id, after, 1000).await?;
            let Some(last) = batch.last() else { break };
            after = Some(*last);
            store::add_role(&mut change.tx, org, t.id, &batch).await?;
            let access = change.access.clone();
            crate::partners::scopes::follow_given(&mut change.tx, &access, t.id, &batch).await?;
            store::remove_role(&mut change.tx, org, role.id, &batch).await?;
            for u in &batch {
                change.record(
                    AuditEntry::new(AuditAction::MemberRolesChanged, u)
                        .with("removed", serde_json::json!([role.name]))
                        .with("added", serde_json::json!([t.name]))
                        .with("reason", "role deleted"),
                );
            }
            change.flush().await?;
            moved += batch.len() as u64;
        }
    }
    roster_store::partners::forget_role(&mut change.tx, org, role.id).await?;
    store::delete_role(&mut change.tx, org, role.id).await?;
    orgs::bump_authz_version(&mut change.tx, org).await?;
    let policy = crate::policy::load_policy(&mut change.tx, app, &access.org).await?;
    administrator_remains(&mut change.tx, &access.org, &policy).await?;
    change.record(
        AuditEntry::new(AuditAction::RoleDeleted, role.id)
            .before(serde_json::json!({"key": role.key, "name": role.name, "grants": grants_json(&role.grants)}))
            .with("reassigned_to", target.map(|t| t.name))
            .with("members_moved", moved),
    );
    change.commit().await?;
    Ok(moved)
}

/// What the actor may do with one role on the Roles tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleActions {
    /// Edit its name, description and grants (never the owner's locked role).
    pub edit: bool,
    /// Copy it as a new custom role.
    pub copy: bool,
    /// Delete it (custom roles only).
    pub delete: bool,
}

/// What the Roles tab offers the actor beside each role's own actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RolesTabActions {
    /// Create custom roles.
    pub create: bool,
    /// Follow a role's member count to the filtered Users list.
    pub see_members: bool,
    /// Hand ownership on (the owner, where the preset allows it).
    pub transfer: bool,
}

/// What the actor may do on the Roles tab.
pub fn roles_tab_actions(access: &OrgAccess) -> RolesTabActions {
    RolesTabActions {
        create: access.can(Permission::ROLES_CREATE),
        see_members: access.can(Permission::MEMBERS_READ),
        transfer: access.is_owner() && access.org.owner_transfer,
    }
}

/// What the actor may do with a role.
pub fn role_actions(access: &OrgAccess, role: &RoleRecord) -> RoleActions {
    RoleActions {
        edit: !role.locked && access.can(Permission::ROLES_UPDATE),
        copy: access.can(Permission::ROLES_CREATE),
        delete: !role.builtin && access.can(Permission::ROLES_DELETE),
    }
}

/// A custom role about to be deleted, and the roles its members may be
/// moved to (those the actor may give). Needs roles:delete; a built-in role
/// is refused as [`delete_role`] refuses it.
pub fn deletion_choices(access: &OrgAccess, id_or_key: &str) -> Result<(RoleRecord, Vec<RoleRecord>)> {
    access.require(Permission::ROLES_DELETE)?;
    let role = get_role(access, id_or_key)?;
    if role.builtin {
        return Err(AppError::conflict(
            ConflictKind::BuiltinRole,
            format!("'{}' is a built-in role: it can be copied and edited, not deleted", role.name),
        ));
    }
    let targets =
        access.policy.roles.iter().filter(|r| r.id != role.id && access.lacks(&r.grants).is_none()).cloned().collect();
    Ok((role, targets))
}

/// A custom role without grants made inside another use case's change (a
/// SCIM group's own role): the Roles tab's name rules, insert and
/// `role.created` event. Grants nothing, so it needs no grants of the actor.
pub(crate) async fn create_empty_role_in(change: &mut Change<'_>, name: &str, description: &str) -> Result<RoleRecord> {
    let name = parse_role_name("name", name)?;
    let description = parse_role_description("description", description)?;
    let new = NewCustomRole {
        key: RoleKey::from_name(&name),
        name,
        description,
        grants: Grants::default(),
        copied_from: None,
    };
    insert_custom(change, new).await
}

/// Renames a custom role inside another use case's change (a SCIM group
/// renamed with the role it made), under the Roles tab's name rules, with
/// its `role.updated` event. No escalation: the actor must hold its grants.
pub(crate) async fn rename_role_in(change: &mut Change<'_>, role: &RoleRecord, name: &str) -> Result<()> {
    let name = parse_role_name("name", name)?;
    within_own_grants(&change.access, &role.grants, &format!("renaming '{}'", role.name))?;
    check_name_free(&change.access.policy, &name, Some(role.id))?;
    let (org, now) = (change.access.org.id, change.now);
    if let Err(e) = store::update_role(&mut change.tx, org, role.id, &name, &role.description, now).await {
        return Err(if e.is_unique_violation() { name_taken(&name) } else { e.into() });
    }
    orgs::bump_authz_version(&mut change.tx, org).await?;
    change.record(
        AuditEntry::new(AuditAction::RoleUpdated, role.id)
            .before(serde_json::json!({"name": role.name}))
            .after(serde_json::json!({"name": name})),
    );
    Ok(())
}

/// Deletes a custom role that nobody holds any more inside another use
/// case's change (a SCIM group deleted with the role it made), with its
/// `role.deleted` event. No escalation: the actor must hold its grants.
pub(crate) async fn delete_unheld_role_in(change: &mut Change<'_>, role: &RoleRecord) -> Result<()> {
    within_own_grants(&change.access, &role.grants, &format!("deleting '{}'", role.name))?;
    let org = change.access.org.id;
    roster_store::partners::forget_role(&mut change.tx, org, role.id).await?;
    store::delete_role(&mut change.tx, org, role.id).await?;
    orgs::bump_authz_version(&mut change.tx, org).await?;
    change.record(
        AuditEntry::new(AuditAction::RoleDeleted, role.id)
            .before(serde_json::json!({"key": role.key, "name": role.name, "grants": grants_json(&role.grants)}))
            .with("reassigned_to", serde_json::Value::Null)
            .with("members_moved", 0),
    );
    Ok(())
}
