//! The Users directory: list, read, rename, change status, bulk changes.

use roster_domain::audit::NewAuditEvent;
use roster_domain::members::{Cursor, MAX_OFFSET, Member, StatusChange, StatusCounts, check_per_page};
use roster_domain::orgs::parse_display_name;
use roster_domain::{MemberFilter, MemberSort, MemberStatus, SortOrder, Timestamp, UserId, ValidationError};
use roster_store::members::{ListSpec, PageStart};
use roster_store::{Tx, audit, members, sessions, users};

use crate::access::{OrgAccess, Permission, relock};
use crate::error::Result;
use crate::invariants::{administrator_remains, may_change_member, not_self};
use crate::policy::load_effective;
use crate::{App, AppError, ConflictKind, RequestMeta};

/// A request for one page of the directory.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    /// Which members.
    pub filter: MemberFilter,
    /// Sort column.
    pub sort: MemberSort,
    /// Sort direction.
    pub order: SortOrder,
    /// 1-based page number (with a cursor, only echoed back).
    pub page: u32,
    /// Rows per page (10–200).
    pub per_page: u32,
    /// A keyset cursor from a previous answer.
    pub cursor: Option<String>,
    /// Only holders of this role (id or key); resolved into the filter.
    pub role: Option<String>,
}

/// A role as a member's badge shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRef {
    /// The role's id.
    pub id: roster_domain::RoleId,
    /// Its key.
    pub key: String,
    /// Its name.
    pub name: String,
}

/// A member with the roles they hold.
#[derive(Debug, Clone)]
pub struct MemberView {
    /// The member.
    pub member: Member,
    /// Their roles, in the organization's display order.
    pub roles: Vec<RoleRef>,
}

/// Adds each member's roles (one query for the page).
async fn with_roles(app: &App, access: &OrgAccess, items: Vec<Member>) -> Result<Vec<MemberView>> {
    with_roles_from(&mut app.db.conn().await?, access, items).await
}

async fn with_roles_from(
    r: &mut impl roster_store::Reader,
    access: &OrgAccess,
    items: Vec<Member>,
) -> Result<Vec<MemberView>> {
    let ids: Vec<UserId> = items.iter().map(|m| m.user_id).collect();
    let pairs = roster_store::roles::roles_of_members(r, access.org.id, &ids).await?;
    Ok(items
        .into_iter()
        .map(|member| {
            let roles = access
                .policy
                .roles
                .iter()
                .filter(|r| pairs.iter().any(|(u, id)| *u == member.user_id && *id == r.id))
                .map(|r| RoleRef { id: r.id, key: r.key.clone(), name: r.name.clone() })
                .collect();
            MemberView { member, roles }
        })
        .collect())
}

/// One page of the directory with its badge counts.
#[derive(Debug, Clone)]
pub struct MemberList {
    /// The rows.
    pub items: Vec<MemberView>,
    /// How many members match the whole filter.
    pub total: u64,
    /// The page number.
    pub page: u32,
    /// Rows per page.
    pub per_page: u32,
    /// Per-status counts over the filter without its status part.
    pub counts: StatusCounts,
    /// Whether a search stopped counting at the cap (counts are then lower bounds).
    pub counts_capped: bool,
    /// Cursor for the next page, if there is one.
    pub next_cursor: Option<String>,
    /// Cursor for the previous page, if there is one.
    pub prev_cursor: Option<String>,
}

/// Lists a page of the organization's members.
pub async fn list_members(app: &App, access: &OrgAccess, req: &ListRequest) -> Result<MemberList> {
    access.require(Permission::MEMBERS_READ)?;
    let mut req = req.clone();
    req.filter.role = resolve_role_filter(access, req.role.as_deref())?.or(req.filter.role);
    if let Some(role) = req.filter.role
        && access.policy.role(role).is_none()
    {
        return Err(ValidationError::field("role", "is not a role of this organization").into());
    }
    let req = &req;
    let per_page = check_per_page(req.per_page)?;
    let page = req.page.max(1);
    let start = match &req.cursor {
        Some(c) => {
            let cursor = Cursor::decode(c)?;
            if cursor.sort != req.sort || cursor.order != req.order {
                return Err(ValidationError::field(
                    "cursor",
                    "belongs to another sort or order; start again from page 1",
                )
                .into());
            }
            PageStart::Cursor(cursor)
        }
        None => {
            let offset = u64::from(page - 1) * u64::from(per_page);
            if offset > MAX_OFFSET {
                return Err(ValidationError::field(
                    "page",
                    format!("is too deep for page numbers (past {MAX_OFFSET} rows); follow next_cursor instead"),
                )
                .into());
            }
            PageStart::Offset(offset)
        }
    };
    let spec =
        ListSpec { filter: req.filter.clone(), sort: req.sort, order: req.order, start, limit: u64::from(per_page) };
    let mut conn = app.db.conn().await?;
    let page_rows = members::list_members(&mut conn, access.org.id, &spec).await?;
    let (counts, counts_capped) = members::count_members(&mut conn, access.org.id, &req.filter).await?;
    let cursor_at = |m: &Member, backward: bool| {
        Cursor { sort: req.sort, order: req.order, value: m.sort_value(req.sort), id: m.user_id, backward }.encode()
    };
    let next_cursor = page_rows.has_more_after.then(|| page_rows.items.last().map(|m| cursor_at(m, false))).flatten();
    let prev_cursor = page_rows.has_more_before.then(|| page_rows.items.first().map(|m| cursor_at(m, true))).flatten();
    drop(conn);
    Ok(MemberList {
        total: counts.total_for(&req.filter),
        items: with_roles(app, access, page_rows.items).await?,
        page,
        per_page,
        counts,
        counts_capped,
        next_cursor,
        prev_cursor,
    })
}

/// Reads a role filter (a role's id or key) against the organization's roles.
pub fn resolve_role_filter(access: &OrgAccess, role: Option<&str>) -> Result<Option<roster_domain::RoleId>> {
    match role.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(r) => {
            access.policy.find_role(r).map(|r| Some(r.id)).ok_or_else(|| {
                ValidationError::field("role", format!("'{r}' is not a role of this organization")).into()
            })
        }
    }
}

/// One member, with their roles.
pub async fn get_member(app: &App, access: &OrgAccess, user: UserId) -> Result<MemberView> {
    access.require(Permission::MEMBERS_READ)?;
    let m = members::find_member(&mut app.db.conn().await?, access.org.id, user)
        .await?
        .ok_or(AppError::NotFound("member"))?;
    Ok(with_roles(app, access, vec![m]).await?.remove(0))
}

fn audit_event(
    access: &OrgAccess,
    meta: &RequestMeta,
    now: Timestamp,
    action: &str,
    user: UserId,
    details: serde_json::Value,
) -> NewAuditEvent {
    crate::audit_event(access, meta, now, action, ("member", user.to_string()), details)
}

/// Locks the organization, re-reads the actor's standing, reads the member
/// (or answers 404) and refuses when the member holds grants the actor lacks.
async fn lock_member(tx: &mut Tx, app: &App, access: &OrgAccess, user: UserId) -> Result<(OrgAccess, Member)> {
    let access = relock(tx, app, access, Permission::MEMBERS_UPDATE).await?;
    let member = members::find_member_tx(tx, access.org.id, user).await?.ok_or(AppError::NotFound("member"))?;
    let target = load_effective(tx, &access.policy, access.org.id, user).await?;
    may_change_member(&access, &target, &member.email)?;
    Ok((access, member))
}

/// Renames a member (their user's display name).
pub async fn rename_member(
    app: &App,
    access: &OrgAccess,
    user: UserId,
    name: &str,
    meta: &RequestMeta,
) -> Result<MemberView> {
    access.require(Permission::MEMBERS_UPDATE)?;
    let name = parse_display_name("name", name)?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let (access, before) = lock_member(&mut tx, app, access, user).await?;
    let access = &access;
    apply_rename(&mut tx, access, &before, &name, meta, now).await?;
    let after = members::find_member_tx(&mut tx, access.org.id, user).await?.ok_or(AppError::NotFound("member"))?;
    let view = with_roles_from(&mut tx, access, vec![after]).await?.remove(0);
    tx.commit().await?;
    Ok(view)
}

/// Renames a member inside a change's transaction, auditing it, when the name differs.
async fn apply_rename(
    tx: &mut Tx,
    access: &OrgAccess,
    before: &Member,
    name: &str,
    meta: &RequestMeta,
    now: Timestamp,
) -> Result<()> {
    if before.name == name {
        return Ok(());
    }
    users::update_user_name(tx, before.user_id, name, now).await?;
    audit::append(
        tx,
        &[audit_event(
            access,
            meta,
            now,
            "member.updated",
            before.user_id,
            serde_json::json!({"before": {"name": before.name}, "after": {"name": name}}),
        )],
    )
    .await?;
    Ok(())
}

/// Everything the member edit form changes at once; absent parts stay.
#[derive(Debug, Clone, Default)]
pub struct MemberEdit {
    /// A new display name.
    pub name: Option<String>,
    /// The roles the member should hold (ids or keys).
    pub roles: Option<Vec<String>>,
    /// The member's own grants beside their roles.
    pub grants: Option<crate::roles::GrantsInput>,
}

/// Applies a member edit (name, roles, own grants) in one transaction: all of
/// it, or, when any part is refused, none of it. Needs `members:update`, under
/// the same rules as each part alone.
pub async fn update_member(
    app: &App,
    access: &OrgAccess,
    user: UserId,
    edit: MemberEdit,
    meta: &RequestMeta,
) -> Result<MemberView> {
    access.require(Permission::MEMBERS_UPDATE)?;
    let mut errors = ValidationError { errors: vec![] };
    let name = edit.name.as_deref().and_then(|n| parse_display_name("name", n).map_err(|e| errors.merge(e)).ok());
    let grants = edit
        .grants
        .as_ref()
        .and_then(|g| crate::roles::parse_grants("grants", g, &access.policy).map_err(|e| errors.merge(e)).ok());
    if !errors.errors.is_empty() {
        return Err(errors.into());
    }
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let (access, before) = lock_member(&mut tx, app, access, user).await?;
    let access = &access;
    if let Some(roles) = &edit.roles {
        crate::roles::apply_member_roles(&mut tx, access, user, roles, meta, now).await?;
    }
    if let Some(grants) = grants {
        crate::roles::apply_member_grants(&mut tx, access, user, grants, meta, now).await?;
    }
    if let Some(name) = name {
        apply_rename(&mut tx, access, &before, &name, meta, now).await?;
    }
    let after = members::find_member_tx(&mut tx, access.org.id, user).await?.ok_or(AppError::NotFound("member"))?;
    let view = with_roles_from(&mut tx, access, vec![after]).await?.remove(0);
    tx.commit().await?;
    Ok(view)
}

fn end_reason(to: MemberStatus) -> &'static str {
    match to {
        MemberStatus::Archived => "member_archived",
        _ => "member_disabled",
    }
}

/// Enables, disables, archives or restores one member. Disabling or
/// archiving ends the member's sessions at once.
pub async fn change_status(
    app: &App,
    access: &OrgAccess,
    user: UserId,
    change: StatusChange,
    meta: &RequestMeta,
) -> Result<MemberView> {
    access.require(Permission::MEMBERS_UPDATE)?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let (access, member) = lock_member(&mut tx, app, access, user).await?;
    let access = &access;
    let org = &access.org;
    let Some(to) = change.apply(member.status) else {
        return Err(AppError::conflict(
            ConflictKind::StatusTransition,
            format!(
                "{} is {}; {} applies only to {} members",
                member.email,
                member.status,
                change.label().to_lowercase(),
                statuses_list(change.applies_to())
            ),
        ));
    };
    if change.removes_access() {
        if org.owner_id == Some(user) {
            return Err(AppError::conflict(
                ConflictKind::OwnerProtected,
                format!(
                    "{} owns {}; the owner cannot be disabled or archived (hand ownership on first)",
                    member.email, org.name
                ),
            ));
        }
        not_self(access, user, &change.label().to_lowercase())?;
    }
    members::set_status(&mut tx, org.id, user, member.status, to).await?;
    if change.removes_access() {
        sessions::end_user_sessions(&mut tx, &[user], now, end_reason(to)).await?;
        administrator_remains(&mut tx, org, &access.policy).await?;
    }
    audit::append(
        &mut tx,
        &[audit_event(
            access,
            meta,
            now,
            change.audit_action(),
            user,
            serde_json::json!({"before": {"status": member.status}, "after": {"status": to}}),
        )],
    )
    .await?;
    let view = with_roles_from(&mut tx, access, vec![Member { status: to, ..member }]).await?.remove(0);
    tx.commit().await?;
    Ok(view)
}

fn statuses_list(s: &[MemberStatus]) -> String {
    s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" or ")
}

/// What a bulk change will do, for the confirm step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkPreview {
    /// Members that will change.
    pub will_change: u64,
    /// Matching members the change will skip (the owner).
    pub will_skip: u64,
}

/// What a bulk change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkOutcome {
    /// Members changed.
    pub changed: u64,
    /// Matching members left alone because a rule protects them.
    pub skipped: u64,
}

fn check_bulk(change: StatusChange) -> Result<()> {
    if matches!(change, StatusChange::Enable | StatusChange::Disable) {
        Ok(())
    } else {
        Err(ValidationError::field("action", "bulk changes are enable or disable").into())
    }
}

/// Counts what a bulk change would do, without doing it.
pub async fn preview_bulk(
    app: &App,
    access: &OrgAccess,
    change: StatusChange,
    filter: &MemberFilter,
) -> Result<BulkPreview> {
    access.require(Permission::MEMBERS_UPDATE)?;
    check_bulk(change)?;
    let mut conn = app.db.conn().await?;
    let n = members::count_for_change(&mut conn, access.org.id, filter, change.applies_to()).await?;
    let mut skip = 0;
    if change.removes_access() {
        // The owner and the actor are never disabled by a bulk change.
        let mut protected: Vec<UserId> = access.org.owner_id.into_iter().collect();
        protected.extend(access.actor.user_id().filter(|me| Some(*me) != access.org.owner_id));
        for id in protected {
            let Some(m) = members::find_member(&mut conn, access.org.id, id).await? else { continue };
            let holds_role = match filter.role {
                Some(role) => roster_store::roles::member_role_ids(&mut conn, access.org.id, id).await?.contains(&role),
                None => true,
            };
            if change.applies_to().contains(&m.status)
                && filter.admits(m.status)
                && filter.matches_text(&m.email, &m.name)
                && holds_role
            {
                skip += 1;
            }
        }
    }
    Ok(BulkPreview { will_change: n - skip.min(n), will_skip: skip })
}

/// Applies `change` to every member matching `filter` (not just one page), in
/// one transaction, auditing each member changed. The owner is skipped.
pub async fn bulk_change(
    app: &App,
    access: &OrgAccess,
    change: StatusChange,
    filter: &MemberFilter,
    meta: &RequestMeta,
) -> Result<BulkOutcome> {
    access.require(Permission::MEMBERS_UPDATE)?;
    check_bulk(change)?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let access = &relock(&mut tx, app, access, Permission::MEMBERS_UPDATE).await?;
    let org = &access.org;
    let mut outcome = BulkOutcome { changed: 0, skipped: 0 };
    let mut after = None;
    loop {
        let batch = members::select_member_ids(&mut tx, org.id, filter, change.applies_to(), after, 1000).await?;
        let Some((last, _)) = batch.last() else { break };
        after = Some(*last);
        let beyond = beyond_reach(&mut tx, access, &batch).await?;
        let protected = |id: &UserId| {
            beyond.contains(id)
                || (change.removes_access() && (org.owner_id == Some(*id) || access.actor.user_id() == Some(*id)))
        };
        let mut events = Vec::with_capacity(batch.len());
        let mut ended = Vec::new();
        for from in change.applies_to() {
            let ids: Vec<UserId> =
                batch.iter().filter(|(id, s)| s == from && !protected(id)).map(|(id, _)| *id).collect();
            let Some(to) = change.apply(*from) else {
                continue;
            };
            members::set_status_many(&mut tx, org.id, &ids, *from, to).await?;
            for id in &ids {
                events.push(audit_event(
                    access,
                    meta,
                    now,
                    change.audit_action(),
                    *id,
                    serde_json::json!({"before": {"status": from}, "after": {"status": to}, "bulk": true}),
                ));
            }
            if change.removes_access() {
                ended.extend(ids.iter().copied());
            }
            outcome.changed += ids.len() as u64;
        }
        outcome.skipped += batch.iter().filter(|(id, _)| protected(id)).count() as u64;
        if !ended.is_empty() {
            sessions::end_user_sessions(&mut tx, &ended, now, "member_disabled").await?;
        }
        audit::append(&mut tx, &events).await?;
    }
    if change.removes_access() {
        administrator_remains(&mut tx, org, &access.policy).await?;
    }
    tx.commit().await?;
    Ok(outcome)
}

/// The members of a batch who hold grants the actor lacks (no escalation:
/// a bulk change leaves them alone and counts them as skipped).
async fn beyond_reach(tx: &mut Tx, access: &OrgAccess, batch: &[(UserId, MemberStatus)]) -> Result<Vec<UserId>> {
    if matches!(access.actor, crate::Actor::Cli) {
        return Ok(vec![]);
    }
    let ids: Vec<UserId> = batch.iter().map(|(u, _)| *u).collect();
    let mut held: std::collections::HashMap<UserId, Vec<roster_domain::RoleId>> = Default::default();
    for (u, r) in roster_store::roles::roles_of_members(tx, access.org.id, &ids).await? {
        held.entry(u).or_default().push(r);
    }
    let mut own = roster_store::roles::grants_of_members(tx, access.org.id, &ids).await?;
    // Most members share a few sets of roles: decide each set once.
    let mut by_roles: std::collections::HashMap<Vec<roster_domain::RoleId>, bool> = Default::default();
    let mut out = Vec::new();
    for id in ids {
        let mut roles = held.remove(&id).unwrap_or_default();
        roles.sort();
        let exceeds = match own.remove(&id) {
            Some(g) => {
                roster_domain::roles::lacking(access.policy.effective(&roles, g).grants(), access.effective.grants())
                    .is_some()
            }
            None => *by_roles.entry(roles.clone()).or_insert_with(|| {
                let e = access.policy.effective(&roles, Default::default());
                roster_domain::roles::lacking(e.grants(), access.effective.grants()).is_some()
            }),
        };
        if exceeds {
            out.push(id);
        }
    }
    Ok(out)
}
