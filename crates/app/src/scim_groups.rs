//! SCIM 2.0 Groups (RFC 7643 §4.2) mapped to Roster roles, and the
//! administrator's mappings of group names to roles.
//!
//! A group is bound to exactly one role, and its members ARE that role's
//! holders (`member_roles`): there is no second membership list, so the
//! Users tab, the Roles tab and SCIM always agree. The members a group shows
//! are the holders that are not archived (invited members included, as the
//! User list shows them). One role is bound to at most one group.
//!
//! Creating a group (`POST /Groups`): a mapping of its display name (the
//! Service Accounts tab's "Group to role", [`create_mapping`]) binds it to
//! that existing role; otherwise a custom role named after the group is
//! made, granting nothing (an administrator gives it permissions on the
//! Roles tab), through the Roles tab's own logic and its `role.created`
//! event. A role of that name already there is a `uniqueness` conflict
//! (map it instead), as is a second group of the same name. The mapping is
//! read when a group is made: adding or removing one later does not
//! rebind existing groups. `members` given with a POST are added (a bound
//! role's current holders stay).
//!
//! Members change through the rules of the Users tab's role assignment, in
//! one change (one transaction, one `scim_group.*` event summarizing the
//! counts and the first ids) per request: no escalation (the caller must
//! hold every grant of the group's role, to give it or to take it), the
//! last administrator (taking the role, or deleting the group, that would
//! leave no administrator is 409 and changes nothing), the authorization
//! version bumped so that every policy cache sees it. Ids to add must name
//! members of the organization who are not archived (else `invalidValue`
//! naming them); ids to remove that hold nothing are ignored, so a retried
//! or late removal succeeds. Everything is set-wise: the holders read in one
//! query, the ids checked a thousand at a time, the assignments inserted
//! and deleted in batches of a thousand, whatever the number of members.
//!
//! PUT replaces the name and external id, and the members when `members`
//! is given (a PUT without it leaves them: a role is never taken from
//! everyone by an omission). Renaming a group renames the role it made
//! (under the Roles tab's name rules); a bound role keeps its name.
//! DELETE takes the role from every holder, deletes the group and the role
//! it made (`role.deleted`) unless a service account holds it (a deletion
//! never changes an account's access silently: the role then stays); a
//! bound role stays.
//!
//! Permissions: reading Groups needs `members:read`, changing them
//! `members:update` (what the Users tab's role assignment needs; the role a
//! group makes grants nothing, so it needs no `roles:create`). The
//! mappings are read with `service_accounts:read` and changed with
//! `service_accounts:update` (they configure provisioning, beside its
//! token), within the actor's own grants (a mapping to a role the actor
//! could not give is an escalation), never to the owner's locked role.

use std::collections::{BTreeSet, HashMap};

use roster_domain::audit::{AuditAction, AuditEntry};
use roster_domain::scim::groups::{GroupFilter, GroupInput, GroupOp, name_key, parse_group_name};
use roster_domain::{MemberStatus, RoleId, Timestamp, UserId, ValidationError};
use roster_store::scim_groups::{self as store, GroupRecord, MappingRecord};
use roster_store::{orgs, roles as role_store};
use uuid::Uuid;

use crate::access::{OrgAccess, Permission};
use crate::change::{self, Change};
use crate::error::Result;
use crate::invariants::{administrator_remains, within_own_grants};
use crate::roles::RoleRecord;
use crate::scim::{ListQuery, ScimRefusal, ScimResult};
use crate::{App, AppError, ConflictKind, RequestMeta};

/// How many ids an event lists of those added or removed (the counts are whole).
const IDS_IN_EVENT: usize = 20;

/// How many unknown ids a refusal names.
const IDS_IN_REFUSAL: usize = 10;

fn refuse<T>(scim_type: &'static str, detail: impl Into<String>) -> std::result::Result<T, ScimRefusal> {
    Err(ScimRefusal { scim_type, detail: detail.into() })
}

/// A group with its role and, when asked for, its members.
#[derive(Debug, Clone)]
pub struct GroupView {
    /// The group.
    pub group: GroupRecord,
    /// Its role's name.
    pub role_name: String,
    /// Its members (id and name, by id), unless left out.
    pub members: Option<Vec<(UserId, String)>>,
}

/// A page of Groups.
#[derive(Debug, Clone)]
pub struct GroupList {
    /// How many match in all.
    pub total: u64,
    /// The 1-based index of the first one here.
    pub start_index: u64,
    /// The page.
    pub groups: Vec<GroupView>,
}

impl GroupView {
    /// The group's version (`meta.version`, a weak ETag) when its members
    /// were read: it changes with its name, external id, last change and
    /// members (who they are and their names), whichever way the role's
    /// holders changed (SCIM or the Users tab). `None` without the members
    /// (`excludedAttributes=members`): a version of part of a group would
    /// let a write pass over a membership it never saw.
    pub fn version(&self) -> Option<String> {
        self.members.as_ref().map(|m| version_of(&self.group, m))
    }
}

/// The version of a group with these members (in the order read: by id).
fn version_of(g: &GroupRecord, members: &[(UserId, String)]) -> String {
    let (id, updated) = (g.id.to_string(), g.updated_at.0.to_string());
    let mut parts = vec![id.as_str(), g.display_name.as_str(), g.external_id.as_deref().unwrap_or(""), &updated];
    let ids: Vec<String> = members.iter().map(|(u, _)| u.to_string()).collect();
    for ((_, name), id) in members.iter().zip(&ids) {
        parts.push(id);
        parts.push(name);
    }
    roster_domain::scim::users::weak_etag(&parts)
}

/// Refuses a change whose `If-Match` does not name the group's version,
/// read inside the change (so no other change can pass between).
async fn precondition(
    change: &mut Change<'_>,
    group: &GroupRecord,
    if_match: Option<&str>,
) -> Result<std::result::Result<(), ScimRefusal>> {
    let Some(tag) = if_match else { return Ok(Ok(())) };
    let members = store::members_of_role(&mut change.tx, change.access.org.id, group.role_id).await?;
    let current = version_of(group, &members);
    if roster_domain::scim::users::if_match_allows(tag, &current) {
        return Ok(Ok(()));
    }
    Ok(refuse(crate::scim::PRECONDITION_FAILED, format!("the Group has changed: its version is {current}, not {tag}")))
}

fn role_name(access: &OrgAccess, role: RoleId) -> String {
    access.policy.role(role).map(|r| r.name.clone()).unwrap_or_default()
}

async fn view(
    r: &mut impl roster_store::Reader,
    access: &OrgAccess,
    group: GroupRecord,
    role_name: Option<String>,
    with_members: bool,
) -> Result<GroupView> {
    let members =
        if with_members { Some(store::members_of_role(r, access.org.id, group.role_id).await?) } else { None };
    let role_name = role_name.unwrap_or_else(|| role_name_of(access, group.role_id));
    Ok(GroupView { group, role_name, members })
}

fn role_name_of(access: &OrgAccess, role: RoleId) -> String {
    role_name(access, role)
}

/// Lists the organization's groups (filter: `displayName`, `externalId` or
/// `id` with `eq`, and `members[value eq "…"]`, joined by `and`), by name, paged like the User list;
/// `with_members` false leaves the members out (`excludedAttributes=members`,
/// which Okta and Entra send). Needs `members:read`.
pub async fn list_groups(app: &App, access: &OrgAccess, q: &ListQuery, with_members: bool) -> ScimResult<GroupList> {
    access.require(Permission::MEMBERS_READ)?;
    let filter = match q.filter.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        None => GroupFilter::default(),
        Some(f) => match GroupFilter::parse(f) {
            Ok(f) => f,
            Err(e) => return Ok(refuse(e.scim_type, e.detail)),
        },
    };
    let start_index = q.start_index.unwrap_or(1).max(1);
    let count = q.count.unwrap_or(crate::scim::DEFAULT_COUNT).min(crate::scim::MAX_RESULTS);
    let mut conn = app.db.conn().await?;
    let page = store::list_groups(&mut conn, access.org.id, &filter, start_index, count).await?;
    let mut groups = Vec::with_capacity(page.groups.len());
    for g in page.groups {
        groups.push(view(&mut conn, access, g, None, with_members).await?);
    }
    Ok(Ok(GroupList { total: page.total, start_index, groups }))
}

/// One group (another organization's or an unknown id is 404). Needs `members:read`.
pub async fn get_group(app: &App, access: &OrgAccess, id: Uuid, with_members: bool) -> Result<GroupView> {
    access.require(Permission::MEMBERS_READ)?;
    let mut conn = app.db.conn().await?;
    let g = store::find_group(&mut conn, access.org.id, id).await?.ok_or(AppError::NotFound("group"))?;
    view(&mut conn, access, g, None, with_members).await
}

/// The role a group is bound to, as the change's policy knows it.
fn role_of(change: &Change<'_>, group: &GroupRecord) -> Result<RoleRecord> {
    change.access.policy.role(group.role_id).cloned().ok_or(AppError::NotFound("group"))
}

/// The ids a request names, as user ids; those that are no id are named back.
fn parse_ids(ids: &[String]) -> std::result::Result<Vec<UserId>, ScimRefusal> {
    let mut bad = vec![];
    let mut out = Vec::with_capacity(ids.len());
    for s in ids {
        match s.parse::<Uuid>() {
            Ok(u) => out.push(UserId(u)),
            Err(_) => bad.push(s.as_str()),
        }
    }
    if bad.is_empty() {
        Ok(out)
    } else {
        refuse("invalidValue", format!("not users of this organization: {}", shown(&bad)))
    }
}

fn shown<T: std::fmt::Display>(items: &[T]) -> String {
    let mut s = items.iter().take(IDS_IN_REFUSAL).map(ToString::to_string).collect::<Vec<_>>().join(", ");
    if items.len() > IDS_IN_REFUSAL {
        s += &format!(" and {} more", items.len() - IDS_IN_REFUSAL);
    }
    s
}

/// What a member change did.
#[derive(Debug, Default)]
struct Delta {
    added: Vec<UserId>,
    removed: Vec<UserId>,
}

impl Delta {
    fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }

    fn details(&self, mut entry: AuditEntry) -> AuditEntry {
        let first = |ids: &[UserId]| ids.iter().take(IDS_IN_EVENT).map(ToString::to_string).collect::<Vec<_>>();
        if !self.added.is_empty() {
            entry = entry.with("members_added", self.added.len()).with("added", first(&self.added));
        }
        if !self.removed.is_empty() {
            entry = entry.with("members_removed", self.removed.len()).with("removed", first(&self.removed));
        }
        entry
    }
}

/// The member operations of a request, applied to the role's holders:
/// the holders now (not archived) are read once, the operations applied in
/// order to that set, and the difference given and taken set-wise under
/// the role assignment's rules.
async fn apply_members(change: &mut Change<'_>, role: &RoleRecord, ops: &[GroupOp]) -> ScimResult<Delta> {
    let org = change.access.org.id;
    if !ops.iter().any(|o| !matches!(o, GroupOp::Rename(_) | GroupOp::ExternalId(_))) {
        return Ok(Ok(Delta::default()));
    }
    let current: BTreeSet<UserId> =
        store::members_of_role(&mut change.tx, org, role.id).await?.into_iter().map(|(u, _)| u).collect();
    let mut wanted = current.clone();
    let mut named_for_adding: BTreeSet<UserId> = BTreeSet::new();
    for op in ops {
        match op {
            GroupOp::AddMembers(ids) => {
                let ids = match parse_ids(ids) {
                    Ok(i) => i,
                    Err(e) => return Ok(Err(e)),
                };
                named_for_adding.extend(ids.iter().copied());
                wanted.extend(ids);
            }
            GroupOp::ReplaceMembers(ids) => {
                let ids = match parse_ids(ids) {
                    Ok(i) => i,
                    Err(e) => return Ok(Err(e)),
                };
                named_for_adding.extend(ids.iter().copied());
                wanted = ids.into_iter().collect();
            }
            GroupOp::RemoveMembers(ids) => {
                // An id that is none, or holds nothing, has nothing to lose.
                for s in ids {
                    if let Ok(u) = s.parse::<Uuid>() {
                        wanted.remove(&UserId(u));
                    }
                }
            }
            GroupOp::RemoveAllMembers => wanted.clear(),
            GroupOp::Rename(_) | GroupOp::ExternalId(_) => {}
        }
    }
    // Every id named for adding must be a member here, not archived (also
    // one removed again later in the same request: the request is wrong).
    let named: Vec<UserId> = named_for_adding.into_iter().collect();
    let statuses: HashMap<UserId, MemberStatus> =
        store::statuses_of(&mut change.tx, org, &named).await?.into_iter().collect();
    let unknown: Vec<UserId> =
        named.iter().filter(|u| statuses.get(u).is_none_or(|s| *s == MemberStatus::Archived)).copied().collect();
    if !unknown.is_empty() {
        return Ok(refuse("invalidValue", format!("not users of this organization: {}", shown(&unknown))));
    }
    let delta = Delta {
        added: wanted.difference(&current).copied().collect(),
        removed: current.difference(&wanted).copied().collect(),
    };
    if delta.is_empty() {
        return Ok(Ok(delta));
    }
    let access = change.access.clone();
    within_own_grants(&access, &role.grants, &format!("changing who holds '{}'", role.name))?;
    role_store::add_role(&mut change.tx, org, role.id, &delta.added).await?;
    crate::partners::scopes::follow_given(&mut change.tx, &access, role.id, &delta.added).await?;
    role_store::remove_role(&mut change.tx, org, role.id, &delta.removed).await?;
    orgs::bump_authz_version(&mut change.tx, org).await?;
    if !delta.removed.is_empty() {
        administrator_remains(&mut change.tx, &access.org, &access.policy).await?;
    }
    Ok(Ok(delta))
}

/// Creates a group (RFC 7644 §3.3): bound to the role a mapping names for
/// its display name, or to a new custom role of that name; `members` are
/// added. Needs `members:update`. A group of that name, a role of that name
/// (unmapped) or a role bound to another group already is `uniqueness`.
pub async fn create_group(
    app: &App,
    access: &OrgAccess,
    input: &GroupInput,
    meta: &RequestMeta,
) -> ScimResult<GroupView> {
    access.require(Permission::MEMBERS_UPDATE)?;
    let (name, key) = match parse_group_name(&input.display_name) {
        Ok(n) => n,
        Err(e) => return Ok(refuse(e.scim_type, e.detail)),
    };
    let mut change = change::begin(app, access, Permission::MEMBERS_UPDATE, meta).await?;
    let org = change.access.org.id;
    if let Some(g) = store::find_group_by_name(&mut change.tx, org, &name).await? {
        return Ok(refuse("uniqueness", format!("a group named '{}' exists already ({})", g.display_name, g.id)));
    }
    let (role, created_role) = match store::mapping_for_name(&mut change.tx, org, &name).await? {
        Some(m) => {
            let role = change.access.policy.role(m.role_id).cloned().ok_or(AppError::NotFound("role"))?;
            if let Some(other) = store::group_of_role(&mut change.tx, org, role.id).await? {
                return Ok(refuse(
                    "uniqueness",
                    format!("'{}' is the role of the group '{}' already", role.name, other.display_name),
                ));
            }
            (role, false)
        }
        None => {
            if let Some(r) = change.access.policy.roles.iter().find(|r| name_key(&r.name) == key) {
                return Ok(refuse(
                    "uniqueness",
                    format!(
                        "a role named '{}' exists already; bind the group to it (Service Accounts, Group to role) or choose another name",
                        r.name
                    ),
                ));
            }
            let description = format!("Provisioned by SCIM: the members of the identity provider's group '{name}'.");
            let role = match crate::roles::create_empty_role_in(&mut change, &name, &description).await {
                Ok(r) => r,
                Err(AppError::Validation(v)) => return Ok(refuse("invalidValue", v.to_string())),
                Err(AppError::Conflict { detail, .. }) => return Ok(refuse("uniqueness", detail)),
                Err(e) => return Err(e),
            };
            (role, true)
        }
    };
    let now = change.now;
    let group = GroupRecord {
        id: Uuid::now_v7(),
        display_name: name.clone(),
        external_id: input.external_id.clone(),
        role_id: role.id,
        created_role,
        created_at: now,
        updated_at: now,
    };
    match store::insert_group(&mut change.tx, org, &group).await {
        Err(e) if e.is_unique_violation() => {
            return Ok(refuse("uniqueness", format!("a group named '{name}' was being made at the same moment")));
        }
        other => other?,
    }
    let ops: Vec<GroupOp> = input.members.iter().map(|m| GroupOp::AddMembers(m.clone())).collect();
    let delta = match apply_members(&mut change, &role, &ops).await? {
        Ok(d) => d,
        Err(e) => return Ok(Err(e)),
    };
    let entry = AuditEntry::new(AuditAction::ScimGroupCreated, group.id)
        .after(serde_json::json!({"name": name, "role": role.name, "external_id": group.external_id}))
        .with("created_role", created_role);
    change.record(delta.details(entry));
    let v = view(&mut change.tx, &change.access, group, Some(role.name.clone()), true).await?;
    change.commit().await?;
    Ok(Ok(v))
}

/// [`update_group_if`] without a precondition.
pub async fn update_group(
    app: &App,
    access: &OrgAccess,
    id: Uuid,
    ops: &[GroupOp],
    meta: &RequestMeta,
) -> ScimResult<GroupView> {
    update_group_if(app, access, id, ops, None, meta).await
}

/// Replaces (PUT) or patches (PATCH) a group: the operations of the
/// request, in one change. Needs `members:update`. An unknown group is 404.
/// With `if_match` (an `If-Match` header), a group whose version
/// ([`GroupView::version`]) differs is refused as
/// [`crate::scim::PRECONDITION_FAILED`], nothing changed.
pub async fn update_group_if(
    app: &App,
    access: &OrgAccess,
    id: Uuid,
    ops: &[GroupOp],
    if_match: Option<&str>,
    meta: &RequestMeta,
) -> ScimResult<GroupView> {
    access.require(Permission::MEMBERS_UPDATE)?;
    let mut change = change::begin(app, access, Permission::MEMBERS_UPDATE, meta).await?;
    let org = change.access.org.id;
    let group = store::find_group(&mut change.tx, org, id).await?.ok_or(AppError::NotFound("group"))?;
    if let Err(e) = precondition(&mut change, &group, if_match).await? {
        return Ok(Err(e));
    }
    let role = role_of(&change, &group)?;
    let mut name = group.display_name.clone();
    let mut external_id = group.external_id.clone();
    for op in ops {
        match op {
            GroupOp::Rename(n) => match parse_group_name(n) {
                Ok((n, _)) => name = n,
                Err(e) => return Ok(refuse(e.scim_type, e.detail)),
            },
            GroupOp::ExternalId(e) => external_id = e.clone(),
            _ => {}
        }
    }
    let mut entry = AuditEntry::new(AuditAction::ScimGroupUpdated, group.id);
    let mut changed = false;
    if name != group.display_name {
        if name_key(&name) != name_key(&group.display_name)
            && let Some(other) = store::find_group_by_name(&mut change.tx, org, &name).await?
        {
            return Ok(refuse("uniqueness", format!("a group named '{}' exists already", other.display_name)));
        }
        if group.created_role {
            match crate::roles::rename_role_in(&mut change, &role, &name).await {
                Ok(()) => {}
                Err(AppError::Validation(v)) => return Ok(refuse("invalidValue", v.to_string())),
                Err(AppError::Conflict { detail, .. }) => return Ok(refuse("uniqueness", detail)),
                Err(e) => return Err(e),
            }
        }
        entry = entry.before(serde_json::json!({"name": group.display_name})).after(serde_json::json!({"name": name}));
        changed = true;
    }
    if !changed {
        entry = entry.with("group", name.clone());
    }
    if external_id != group.external_id {
        entry = entry.with("external_id", external_id.clone());
        changed = true;
    }
    if changed {
        match store::update_group(&mut change.tx, org, id, &name, external_id.as_deref(), change.now).await {
            Err(e) if e.is_unique_violation() => {
                return Ok(refuse("uniqueness", format!("a group named '{name}' exists already")));
            }
            other => other?,
        }
    }
    let delta = match apply_members(&mut change, &role, ops).await? {
        Ok(d) => d,
        Err(e) => return Ok(Err(e)),
    };
    if changed || !delta.is_empty() {
        change.record(delta.details(entry));
    }
    let group = GroupRecord { display_name: name, external_id, updated_at: change.now, ..group };
    let v = view(&mut change.tx, &change.access, group, Some(role.name.clone()), true).await?;
    change.commit().await?;
    Ok(Ok(v))
}

/// The operations of a PUT body: its name and external id, and its members
/// when it gives them.
pub fn replace_ops(input: &GroupInput) -> Vec<GroupOp> {
    let mut ops = vec![GroupOp::Rename(input.display_name.clone()), GroupOp::ExternalId(input.external_id.clone())];
    if let Some(m) = &input.members {
        ops.push(GroupOp::ReplaceMembers(m.clone()));
    }
    ops
}

/// Deletes a group (RFC 7644 §3.6): its role is taken from every holder
/// (the last administrator protected: 409, nothing changed), the group is
/// deleted, and the role it made too unless a service account holds it.
/// Needs `members:update`.
pub async fn delete_group(app: &App, access: &OrgAccess, id: Uuid, meta: &RequestMeta) -> Result<()> {
    match delete_group_if(app, access, id, None, meta).await? {
        Ok(()) => Ok(()),
        Err(e) => Err(AppError::Internal(format!("a delete without a precondition was refused: {}", e.detail))),
    }
}

/// [`delete_group`] with `if_match` (an `If-Match` header): a group whose
/// version differs is refused as [`crate::scim::PRECONDITION_FAILED`],
/// nothing changed.
pub async fn delete_group_if(
    app: &App,
    access: &OrgAccess,
    id: Uuid,
    if_match: Option<&str>,
    meta: &RequestMeta,
) -> ScimResult<()> {
    access.require(Permission::MEMBERS_UPDATE)?;
    let mut change = change::begin(app, access, Permission::MEMBERS_UPDATE, meta).await?;
    let org = change.access.org.id;
    let group = store::find_group(&mut change.tx, org, id).await?.ok_or(AppError::NotFound("group"))?;
    if let Err(e) = precondition(&mut change, &group, if_match).await? {
        return Ok(Err(e));
    }
    let role = role_of(&change, &group)?;
    // Every holder, archived ones too: the role goes from all of them.
    let mut holders = vec![];
    let mut after = None;
    loop {
        let page = role_store::holders(&mut change.tx, org, role.id, after, 1000).await?;
        after = page.last().copied();
        let done = page.len() < 1000;
        holders.extend(page);
        if done {
            break;
        }
    }
    if !holders.is_empty() {
        let access = change.access.clone();
        within_own_grants(&access, &role.grants, &format!("taking '{}' from the group's members", role.name))?;
        role_store::remove_role(&mut change.tx, org, role.id, &holders).await?;
        orgs::bump_authz_version(&mut change.tx, org).await?;
        administrator_remains(&mut change.tx, &access.org, &access.policy).await?;
    }
    store::delete_group(&mut change.tx, org, id).await?;
    let mut role_deleted = false;
    if group.created_role
        && roster_store::service_accounts::accounts_holding_role(&mut change.tx, org, role.id).await?.is_empty()
    {
        crate::roles::delete_unheld_role_in(&mut change, &role).await?;
        role_deleted = true;
    }
    let delta = Delta { added: vec![], removed: holders };
    let entry = AuditEntry::new(AuditAction::ScimGroupDeleted, group.id)
        .before(serde_json::json!({"name": group.display_name, "role": role.name}))
        .with("role_deleted", role_deleted);
    change.record(delta.details(entry));
    change.commit().await?;
    Ok(Ok(()))
}

/// A mapping as lists show it.
#[derive(Debug, Clone)]
pub struct MappingView {
    /// The mapping.
    pub mapping: MappingRecord,
    /// Its role.
    pub role: RoleRecord,
}

/// The organization's group-to-role mappings, by name. Needs `service_accounts:read`.
pub async fn list_mappings(app: &App, access: &OrgAccess) -> Result<Vec<MappingView>> {
    access.require(Permission::SERVICE_ACCOUNTS_READ)?;
    let mappings = store::list_mappings(&mut app.db.conn().await?, access.org.id).await?;
    Ok(mappings
        .into_iter()
        .filter_map(|m| access.policy.role(m.role_id).cloned().map(|role| MappingView { mapping: m, role }))
        .collect())
}

/// Binds a group name to an existing role (by key or id): a group pushed
/// with that name is bound to the role. Needs `service_accounts:update` and
/// the role's grants (no escalation); the owner's role is refused (409), a
/// name mapped already is refused beside the name (422).
pub async fn create_mapping(
    app: &App,
    access: &OrgAccess,
    display_name: &str,
    role: &str,
    meta: &RequestMeta,
) -> Result<MappingView> {
    access.require(Permission::SERVICE_ACCOUNTS_UPDATE)?;
    let mut errors = ValidationError { errors: vec![] };
    let name = match parse_group_name(display_name) {
        Ok((n, _)) => Some(n),
        Err(e) => {
            errors.merge(ValidationError::field("display_name", e.detail.replace("displayName ", "")));
            None
        }
    };
    let found = access.policy.find_role(role.trim()).cloned();
    if found.is_none() {
        errors.merge(ValidationError::field("role", "is not a role of this organization"));
    }
    let (Some(name), Some(role)) = (name, found) else { return Err(errors.into()) };
    if role.locked {
        return Err(AppError::conflict(
            ConflictKind::RoleLocked,
            format!("'{}' is the owner's role: it belongs to a person, not to provisioning", role.name),
        ));
    }
    let mut change = change::begin(app, access, Permission::SERVICE_ACCOUNTS_UPDATE, meta).await?;
    within_own_grants(&change.access, &role.grants, &format!("binding a group to '{}'", role.name))?;
    let org = change.access.org.id;
    if let Some(m) = store::mapping_for_name(&mut change.tx, org, &name).await? {
        let bound = role_name(&change.access, m.role_id);
        return Err(ValidationError::field(
            "display_name",
            format!("'{}' is bound to '{bound}' already", m.display_name),
        )
        .into());
    }
    let mapping = MappingRecord {
        id: Uuid::now_v7(),
        display_name: name.clone(),
        role_id: role.id,
        created_at: change.now,
        created_by_label: change.access.actor.label(),
    };
    match store::insert_mapping(&mut change.tx, org, &mapping).await {
        Err(e) if e.is_unique_violation() => {
            return Err(ValidationError::field("display_name", format!("'{name}' is bound to a role already")).into());
        }
        other => other?,
    }
    change.record(
        AuditEntry::new(AuditAction::ScimGroupMappingCreated, mapping.id)
            .after(serde_json::json!({"name": name, "role": role.name})),
    );
    change.commit().await?;
    Ok(MappingView { mapping, role })
}

/// Removes a mapping (groups bound through it stay bound). Needs
/// `service_accounts:update`; an unknown one is 404.
pub async fn delete_mapping(app: &App, access: &OrgAccess, id: Uuid, meta: &RequestMeta) -> Result<()> {
    access.require(Permission::SERVICE_ACCOUNTS_UPDATE)?;
    let mut change = change::begin(app, access, Permission::SERVICE_ACCOUNTS_UPDATE, meta).await?;
    let org = change.access.org.id;
    let m = store::find_mapping(&mut change.tx, org, id).await?.ok_or(AppError::NotFound("group mapping"))?;
    store::delete_mapping(&mut change.tx, org, id).await?;
    let role = role_name(&change.access, m.role_id);
    change.record(
        AuditEntry::new(AuditAction::ScimGroupMappingDeleted, m.id)
            .before(serde_json::json!({"name": m.display_name, "role": role})),
    );
    change.commit().await?;
    Ok(())
}

/// A provisioned group as the Service Accounts tab lists it.
#[derive(Debug, Clone)]
pub struct GroupSummary {
    /// Its display name.
    pub name: String,
    /// Its role's name.
    pub role: String,
    /// Whether the group made its role.
    pub created_role: bool,
    /// How many hold the role.
    pub members: i64,
    /// When it was made.
    pub created_at: Timestamp,
}

/// The provisioned groups (the first thousand, by name), for the Service
/// Accounts tab. Needs `service_accounts:read`.
pub async fn group_summaries(app: &App, access: &OrgAccess) -> Result<Vec<GroupSummary>> {
    access.require(Permission::SERVICE_ACCOUNTS_READ)?;
    let mut conn = app.db.conn().await?;
    let page = store::list_groups(&mut conn, access.org.id, &GroupFilter::default(), 1, 1000).await?;
    Ok(page
        .groups
        .into_iter()
        .map(|g| {
            let role = access.policy.role(g.role_id);
            GroupSummary {
                name: g.display_name,
                role: role.map(|r| r.name.clone()).unwrap_or_default(),
                created_role: g.created_role,
                members: role.map_or(0, |r| r.member_count),
                created_at: g.created_at,
            }
        })
        .collect())
}
