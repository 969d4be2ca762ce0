//! The Users directory: list, read, rename, change status, bulk changes.

use roster_domain::audit::NewAuditEvent;
use roster_domain::members::{Cursor, MAX_OFFSET, Member, StatusChange, StatusCounts, check_per_page};
use roster_domain::orgs::parse_display_name;
use roster_domain::{MemberFilter, MemberSort, MemberStatus, SortOrder, Timestamp, UserId, ValidationError};
use roster_store::members::{ListSpec, PageStart};
use roster_store::{Tx, audit, members, orgs, sessions, users};

use crate::access::{OrgAccess, Permission};
use crate::error::Result;
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
}

/// One page of the directory with its badge counts.
#[derive(Debug, Clone)]
pub struct MemberList {
    /// The rows.
    pub items: Vec<Member>,
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
    access.require(Permission::MembersRead)?;
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
    Ok(MemberList {
        total: counts.total_for(&req.filter),
        items: page_rows.items,
        page,
        per_page,
        counts,
        counts_capped,
        next_cursor,
        prev_cursor,
    })
}

/// One member.
pub async fn get_member(app: &App, access: &OrgAccess, user: UserId) -> Result<Member> {
    access.require(Permission::MembersRead)?;
    members::find_member(&mut app.db.conn().await?, access.org.id, user).await?.ok_or(AppError::NotFound("member"))
}

fn audit_event(
    access: &OrgAccess,
    meta: &RequestMeta,
    now: Timestamp,
    action: &str,
    user: UserId,
    details: serde_json::Value,
) -> NewAuditEvent {
    NewAuditEvent {
        org_id: access.org.id,
        actor_id: access.actor.user_id(),
        actor_label: access.actor.label(),
        action: action.into(),
        target_type: "member".into(),
        target_id: user.to_string(),
        details: details.to_string(),
        ip: meta.ip.clone(),
        created_at: now,
    }
}

/// Locks the organization and reads the member, or answers 404.
async fn lock_member(tx: &mut Tx, access: &OrgAccess, user: UserId) -> Result<(roster_store::orgs::OrgRecord, Member)> {
    let org = orgs::lock_org(tx, access.org.id).await?.ok_or(AppError::NotFound("organization"))?;
    let member = members::find_member_tx(tx, org.id, user).await?.ok_or(AppError::NotFound("member"))?;
    Ok((org, member))
}

/// Renames a member (their user's display name).
pub async fn rename_member(
    app: &App,
    access: &OrgAccess,
    user: UserId,
    name: &str,
    meta: &RequestMeta,
) -> Result<Member> {
    access.require(Permission::MembersUpdate)?;
    let name = parse_display_name("name", name)?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let (_, before) = lock_member(&mut tx, access, user).await?;
    if before.name != name {
        users::update_user_name(&mut tx, user, &name, now).await?;
        audit::append(
            &mut tx,
            &[audit_event(
                access,
                meta,
                now,
                "member.updated",
                user,
                serde_json::json!({"before": {"name": before.name}, "after": {"name": name}}),
            )],
        )
        .await?;
    }
    let after = members::find_member_tx(&mut tx, access.org.id, user).await?.ok_or(AppError::NotFound("member"))?;
    tx.commit().await?;
    Ok(after)
}

/// Refuses a change that would take access away from the owner or from the
/// last member who can administer the organization.
fn guard_removal(org: &roster_store::orgs::OrgRecord, member: &Member) -> Result<()> {
    if org.owner_id == Some(member.user_id) {
        return Err(AppError::conflict(
            ConflictKind::OwnerProtected,
            format!("{} owns {}; the owner cannot be disabled or archived", member.email, org.name),
        ));
    }
    // Until roles exist the owner is the only administrator, so protecting
    // the owner also keeps the last administrator.
    Ok(())
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
) -> Result<Member> {
    access.require(Permission::MembersUpdate)?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let (org, member) = lock_member(&mut tx, access, user).await?;
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
        guard_removal(&org, &member)?;
    }
    members::set_status(&mut tx, org.id, user, member.status, to).await?;
    if change.removes_access() {
        sessions::end_user_sessions(&mut tx, &[user], now, end_reason(to)).await?;
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
    tx.commit().await?;
    Ok(Member { status: to, ..member })
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
    access.require(Permission::MembersUpdate)?;
    check_bulk(change)?;
    let mut conn = app.db.conn().await?;
    let n = members::count_for_change(&mut conn, access.org.id, filter, change.applies_to()).await?;
    let mut skip = 0;
    if change.removes_access()
        && let Some(owner) = access.org.owner_id
        && let Some(m) = members::find_member(&mut conn, access.org.id, owner).await?
        && change.applies_to().contains(&m.status)
        && filter.admits(m.status)
        && matches_search(&m, &filter.q)
    {
        skip = 1;
    }
    Ok(BulkPreview { will_change: n - skip.min(n), will_skip: skip })
}

fn matches_search(m: &Member, q: &str) -> bool {
    q.is_empty() || m.email.to_lowercase().contains(q) || m.name.to_lowercase().contains(q)
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
    access.require(Permission::MembersUpdate)?;
    check_bulk(change)?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let org = orgs::lock_org(&mut tx, access.org.id).await?.ok_or(AppError::NotFound("organization"))?;
    let mut outcome = BulkOutcome { changed: 0, skipped: 0 };
    let mut after = None;
    loop {
        let batch = members::select_member_ids(&mut tx, org.id, filter, change.applies_to(), after, 1000).await?;
        let Some((last, _)) = batch.last() else { break };
        after = Some(*last);
        let mut events = Vec::with_capacity(batch.len());
        let mut ended = Vec::new();
        for from in change.applies_to() {
            let ids: Vec<UserId> =
                batch.iter().filter(|(id, s)| s == from && org.owner_id != Some(*id)).map(|(id, _)| *id).collect();
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
        outcome.skipped += batch.iter().filter(|(id, _)| org.owner_id == Some(*id)).count() as u64;
        if !ended.is_empty() {
            sessions::end_user_sessions(&mut tx, &ended, now, "member_disabled").await?;
        }
        audit::append(&mut tx, &events).await?;
    }
    tx.commit().await?;
    Ok(outcome)
}
