//! Roles: the organization's permissions list, custom roles (create, edit,
//! copy, delete with reassignment), members' roles and own grants, presets,
//! and handing ownership on.

use std::collections::BTreeMap;

use roster_domain::permissions::{Action, Actions, Grants, Preset, preset};
use roster_domain::roles::{RoleKey, parse_role_description, parse_role_name};
use roster_domain::{MemberStatus, OrgId, RoleId, Timestamp, UserId, ValidationError};
use roster_store::roles as store;
pub use roster_store::roles::RoleRecord;
use roster_store::{Tx, members, orgs};

use roster_domain::audit::{AuditAction, AuditEntry};

use crate::access::{OrgAccess, Permission};
use crate::change::{self, Change};
use crate::error::Result;
use crate::invariants::{administrator_remains, may_change_member, owner_untouched, within_own_grants};
use crate::policy::{OrgPolicy, Resource, load_effective};
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
fn grants_json(g: &Grants) -> serde_json::Value {
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

/// [`set_member_roles`] inside a change.
pub(crate) async fn apply_member_roles(
    change: &mut Change<'_>,
    user: UserId,
    wanted: &[String],
) -> Result<Vec<RoleRecord>> {
    let access = change.access.clone();
    let access = &access;
    let mut errors = ValidationError { errors: vec![] };
    let mut new_roles: Vec<RoleRecord> = Vec::new();
    for (i, r) in wanted.iter().enumerate() {
        match access.policy.find_role(r.trim()) {
            Some(role) if !new_roles.iter().any(|n| n.id == role.id) => new_roles.push(role.clone()),
            Some(_) => {}
            None => errors.merge(ValidationError::field(
                format!("roles[{i}]"),
                format!("'{r}' is not a role of this organization"),
            )),
        }
    }
    if !errors.errors.is_empty() {
        return Err(errors.into());
    }
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

/// Hands the organization to another active member. Only the owner may, and
/// only where the preset allows it; the new owner gets the owner's role, and
/// the previous owner keeps the roles they hold.
pub async fn transfer_ownership(app: &App, access: &OrgAccess, to: UserId, meta: &RequestMeta) -> Result<()> {
    refuse_unless_owner(access)?;
    let mut change = change::begin(app, access, Permission::MEMBERS_READ, meta).await?;
    let access = change.access.clone();
    let tx = &mut change.tx;
    refuse_unless_owner(&access)?;
    if !access.org.owner_transfer {
        return Err(AppError::conflict(
            ConflictKind::TransferDisabled,
            format!("in {} the owner cannot transfer ownership (its role preset says so)", access.org.name),
        ));
    }
    let target = members::find_member(tx, access.org.id, to).await?.ok_or(AppError::NotFound("member"))?;
    if Some(to) == access.actor.user_id() {
        return Err(ValidationError::field("user", "is already the owner").into());
    }
    if target.status != MemberStatus::Active {
        return Err(ValidationError::field(
            "user",
            format!("{} is {}; only an active member can become owner", target.email, target.status),
        )
        .into());
    }
    orgs::set_owner(tx, access.org.id, to).await?;
    if let Some(owner_role) = access.policy.owner_role() {
        store::add_role(tx, access.org.id, owner_role.id, &[to]).await?;
    }
    orgs::bump_authz_version(tx, access.org.id).await?;
    change.record(
        AuditEntry::new(AuditAction::OrganizationOwnerTransferred, access.org.id)
            .before(serde_json::json!({"owner": access.actor.label()}))
            .after(serde_json::json!({"owner": target.email})),
    );
    change.commit().await?;
    Ok(())
}

/// Installs a preset's resources and roles in a new organization; the owner
/// (if any) gets the owner's role. Answers the roles by key.
pub(crate) async fn install_preset(
    tx: &mut Tx,
    org: OrgId,
    preset: &Preset,
    owner: Option<UserId>,
    now: Timestamp,
) -> Result<BTreeMap<String, RoleId>> {
    orgs::set_preset(tx, org, &preset.key, preset.is_partner(), preset.owner_transfer).await?;
    store::insert_org_resources(tx, org, &preset.resources).await?;
    let mut ids = BTreeMap::new();
    for (i, r) in preset.roles.iter().enumerate() {
        let role = RoleRecord {
            id: RoleId::new(),
            key: r.key.clone(),
            name: r.name.clone(),
            description: r.description.clone(),
            builtin: true,
            locked: r.key == preset.owner_role,
            position: i as i32,
            member_count: 0,
            grants: r.grants.clone(),
        };
        store::insert_role(tx, org, &role, now).await?;
        ids.insert(r.key.clone(), role.id);
    }
    if let Some(owner) = owner {
        store::add_role(tx, org, ids[&preset.owner_role], &[owner]).await?;
    }
    orgs::bump_authz_version(tx, org).await?;
    Ok(ids)
}

/// Looks up a preset, or names the known ones.
pub fn find_preset(key: &str) -> Result<Preset> {
    preset(key).ok_or_else(|| {
        let known: Vec<String> = roster_domain::permissions::presets().into_iter().map(|p| p.key).collect();
        ValidationError::field("preset", format!("unknown preset '{key}'; use one of {}", known.join(", "))).into()
    })
}

/// Gives organizations created before roles existed the default preset: the
/// owner gets the owner's role, every other member the default role. Runs
/// after migrations; does nothing once every organization has a preset.
pub async fn install_missing_presets(app: &App) -> Result<usize> {
    let pending = orgs::orgs_without_preset(&mut app.db.conn().await?).await?;
    let preset = find_preset(roster_domain::permissions::DEFAULT_PRESET)?;
    for org in &pending {
        let now = app.clock.now();
        let mut tx = app.db.begin().await?;
        let ids = install_preset(&mut tx, org.id, &preset, org.owner_id, now).await?;
        let mut after = None;
        loop {
            let batch =
                members::select_member_ids(&mut tx, org.id, &Default::default(), &MemberStatus::ALL, after, 1000)
                    .await?;
            let Some((last, _)) = batch.last() else { break };
            after = Some(*last);
            let others: Vec<UserId> = batch.iter().map(|(u, _)| *u).filter(|u| Some(*u) != org.owner_id).collect();
            store::add_role(&mut tx, org.id, ids[&preset.default_role], &others).await?;
        }
        roster_store::audit::append(
            &mut tx,
            &[roster_domain::audit::NewAuditEvent {
                org_id: org.id,
                actor_id: None,
                actor_label: crate::Actor::System.label(),
                action: AuditAction::OrganizationPresetInstalled,
                target_type: AuditAction::OrganizationPresetInstalled.target_type().into(),
                target_id: org.id.to_string(),
                details: serde_json::json!({"after": {"preset": preset.key}}).to_string(),
                ip: None,
                created_at: now,
            }],
        )
        .await?;
        tx.commit().await?;
    }
    Ok(pending.len())
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

/// Who may become the owner: active members other than the owner matching
/// `q`, at most `limit` of them, and whether there are more. Only the owner
/// asks; where the preset does not allow a transfer, nobody.
pub async fn transfer_candidates(
    app: &App,
    access: &OrgAccess,
    q: &str,
    limit: u32,
) -> Result<(Vec<roster_domain::members::Member>, bool)> {
    refuse_unless_owner(access)?;
    if !access.org.owner_transfer {
        return Ok((vec![], false));
    }
    let req = crate::members::ListRequest {
        filter: roster_domain::MemberFilter::new(q, vec![MemberStatus::Active])?,
        page: 1,
        per_page: limit,
        ..Default::default()
    };
    let list = crate::members::list_members(app, access, &req).await?;
    let more = list.next_cursor.is_some();
    let me = access.actor.user_id();
    Ok((list.items.into_iter().map(|v| v.member).filter(|m| Some(m.user_id) != me).collect(), more))
}

fn refuse_unless_owner(access: &OrgAccess) -> Result<()> {
    if access.is_owner() {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!("only the owner of {} can hand ownership on", access.org.name)))
    }
}
