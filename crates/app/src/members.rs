//! The Users directory: list, read, rename, change status, bulk changes;
//! its export is [`crate::member_export`]'s (re-exported here).

use roster_domain::audit::{AuditAction, AuditEntry};
use roster_domain::members::{Cursor, MAX_OFFSET, Member, StatusChange, StatusCounts, check_per_page};
use roster_domain::orgs::parse_display_name;
use roster_domain::sessions::EndReason;
use roster_domain::{MemberFilter, MemberSort, MemberStatus, SortOrder, UserId, ValidationError};
use roster_store::members::{ListSpec, PageStart};
use roster_store::{members, sessions, users};

use crate::access::{OrgAccess, Permission};
use crate::change::{self, Change};
use crate::error::Result;
use crate::invariants::{administrator_remains, may_change_member, not_self};
use crate::policy::load_effective;
use crate::{App, AppError, ConflictKind, RequestMeta};

/// The export of the directory (CSV, XLSX) lives in [`crate::member_export`].
pub use crate::member_export::{ExportFormat, ExportRequest, MemberExport, export, require_export};

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
    list_page(app, access, req).await
}

/// [`list_members`] for a caller that checked its own permission first
/// (`products::list_holders`: a product's holders, seen with `licenses:read`).
pub(crate) async fn list_page(app: &App, access: &OrgAccess, req: &ListRequest) -> Result<MemberList> {
    let mut req = req.clone();
    req.filter.role = resolve_role_filter(access, req.role.as_deref())?.or(req.filter.role);
    if let Some(role) = req.filter.role
        && access.policy.role(role).is_none()
    {
        return Err(ValidationError::field("role", "is not a role of this organization").into());
    }
    check_product_filter(app, &req.filter)?;
    let req = &req;
    let per_page = check_per_page(req.per_page)?;
    let page = req.page.max(1);
    let start = match &req.cursor {
        Some(c) => PageStart::Cursor(Cursor::decode_for(c, req.sort, req.order)?),
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
    let (next_cursor, prev_cursor) = page_rows.cursors(cursor_at);
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

/// Refuses a filter's product that is not in the catalogue (422 naming
/// `product`), as an unknown role is refused: a product the organization
/// does not subscribe to is no error, it matches nobody.
pub fn check_product_filter(app: &App, filter: &MemberFilter) -> Result<()> {
    match &filter.product {
        Some(p) if app.config.catalogue.get(p.as_str()).is_none() => {
            Err(ValidationError::field("product", format!("'{p}' is not a product")).into())
        }
        _ => Ok(()),
    }
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

/// Reads the member a change is about (or answers 404) and refuses when
/// they hold grants the actor lacks. Runs inside the change, after the lock.
pub(crate) async fn member_in_change(change: &mut Change<'_>, user: UserId) -> Result<Member> {
    let member =
        members::find_member(&mut change.tx, change.access.org.id, user).await?.ok_or(AppError::NotFound("member"))?;
    let target = load_effective(&mut change.tx, &change.access.policy, change.access.org.id, user).await?;
    may_change_member(&change.access, &target, &member.email)?;
    Ok(member)
}

/// The member an administrator acts on for their account (sends a reset
/// link, unlocks), inside a change: a member of the organization within the
/// actor's reach, and the owner only by the owner. Refuses an archived
/// member (they have no access here to recover).
pub(crate) async fn member_for_account_action(change: &mut Change<'_>, user: UserId) -> Result<Member> {
    let member = member_in_change(change, user).await?;
    account_action_refusal(&change.access, &member)?;
    Ok(member)
}

/// Why the actor may not act on a member's account, if they may not.
fn account_action_refusal(access: &OrgAccess, member: &Member) -> Result<()> {
    if access.is_owned_by(member.user_id) && !access.acts_for_owner() {
        return Err(AppError::conflict(
            ConflictKind::OwnerProtected,
            format!("{} owns {}; only they can act on their account", member.email, access.org.name),
        ));
    }
    if member.status == MemberStatus::Archived {
        return Err(AppError::conflict(
            ConflictKind::StatusTransition,
            format!("{} is archived; restore them first", member.email),
        ));
    }
    Ok(())
}

/// What the actor may do to a member's account from the member's actions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountActions {
    /// "Send reset link": mail the member a link to choose a new password.
    pub send_reset_link: bool,
    /// "Unlock": the account is locked after failed sign-ins.
    pub unlock: bool,
    /// Whether the account is locked (shown to anyone who may manage members).
    pub locked: bool,
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
    let mut change = change::begin(app, access, Permission::MEMBERS_UPDATE, meta).await?;
    let before = member_in_change(&mut change, user).await?;
    apply_rename(&mut change, &before, &name).await?;
    let view = reread(&mut change, user).await?;
    change.commit().await?;
    Ok(view)
}

/// The member as the change left them, with their roles.
pub(crate) async fn reread(change: &mut Change<'_>, user: UserId) -> Result<MemberView> {
    let after =
        members::find_member(&mut change.tx, change.access.org.id, user).await?.ok_or(AppError::NotFound("member"))?;
    Ok(with_roles_from(&mut change.tx, &change.access, vec![after]).await?.remove(0))
}

/// Renames a member inside a change, auditing it, when the name differs.
pub(crate) async fn apply_rename(change: &mut Change<'_>, before: &Member, name: &str) -> Result<()> {
    if before.name == name {
        return Ok(());
    }
    users::update_user_name(&mut change.tx, before.user_id, name, change.now).await?;
    change.record(
        AuditEntry::new(AuditAction::MemberUpdated, before.user_id)
            .before(serde_json::json!({"name": before.name}))
            .after(serde_json::json!({"name": name})),
    );
    Ok(())
}

fn end_reason(to: MemberStatus) -> EndReason {
    match to {
        MemberStatus::Archived => EndReason::MemberArchived,
        _ => EndReason::MemberDisabled,
    }
}

/// Ends the sessions of those among `users` who, after this change, hold no
/// active membership in any organization, with `reason`. The revocation
/// rule: users are global, so disabling or archiving a member blocks only
/// this organization for them (access requires an active membership, read
/// on every request); their sessions end only when no organization is left
/// to them, so that one tenant's administrator cannot sign a user out of
/// another tenant. The users' rows are locked first, so that two
/// organizations cutting off the same user at once decide one after the
/// other and the second sees the first's change.
async fn end_sessions_of_cut_off(change: &mut Change<'_>, users: &[UserId], reason: EndReason) -> Result<u64> {
    users::lock_users(&mut change.tx, users).await?;
    let cut_off = users::without_active_membership(&mut change.tx, users).await?;
    Ok(sessions::end_user_sessions(&mut change.tx, &cut_off, change.now, reason).await?)
}

/// Enables, disables, archives or restores one member. Disabling or
/// archiving blocks this organization for them on their next request, and
/// ends their sessions when it was their last active membership (see
/// [`end_sessions_of_cut_off`]).
pub async fn change_status(
    app: &App,
    access: &OrgAccess,
    user: UserId,
    change_kind: StatusChange,
    meta: &RequestMeta,
) -> Result<MemberView> {
    access.require(Permission::MEMBERS_UPDATE)?;
    let mut change = change::begin(app, access, Permission::MEMBERS_UPDATE, meta).await?;
    let member = member_in_change(&mut change, user).await?;
    let to = apply_status_change(&mut change, &member, change_kind).await?;
    let view = with_roles_from(&mut change.tx, &change.access, vec![Member { status: to, ..member }]).await?.remove(0);
    change.commit().await?;
    Ok(view)
}

/// Applies one status change to a member read inside `change` (by
/// [`member_in_change`]), auditing it, with every rule of
/// [`change_status`]: the transition, the owner, the actor themselves, the
/// last administrator; archiving frees licenses; access taken away ends the
/// sessions of those left without an organization. Answers the new status.
pub(crate) async fn apply_status_change(
    change: &mut Change<'_>,
    member: &Member,
    change_kind: StatusChange,
) -> Result<MemberStatus> {
    let user = member.user_id;
    let to = status_change_refusal(&change.access, member, change_kind)?;
    // Archiving frees the member's licenses (the store does it with the status).
    let freed = if to == MemberStatus::Archived {
        roster_store::products::licenses_of_member(&mut change.tx, change.access.org.id, user).await?
    } else {
        vec![]
    };
    members::set_status(&mut change.tx, change.access.org.id, user, member.status, to, change.now).await?;
    if change_kind.removes_access() {
        end_sessions_of_cut_off(change, &[user], end_reason(to)).await?;
        administrator_remains(&mut change.tx, &change.access.org, &change.access.policy).await?;
    }
    let mut entry = AuditEntry::new(change_kind.audit_action(), user)
        .before(serde_json::json!({"status": member.status}))
        .after(serde_json::json!({"status": to}));
    if !freed.is_empty() {
        entry = entry.with("licenses_freed", freed.iter().map(|p| p.to_string()).collect::<Vec<_>>());
    }
    change.record(entry);
    Ok(to)
}

/// The status a change would give a member, or why it is refused: the
/// status does not allow it, the member is the owner, or the actor is the
/// member (nobody disables or archives themselves). Grants are checked
/// separately ([`may_change_member`]).
fn status_change_refusal(access: &OrgAccess, member: &Member, change: StatusChange) -> Result<MemberStatus> {
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
        if access.is_owned_by(member.user_id) {
            return Err(AppError::conflict(
                ConflictKind::OwnerProtected,
                format!(
                    "{} owns {}; the owner cannot be disabled or archived (hand ownership on first)",
                    member.email, access.org.name
                ),
            ));
        }
        not_self(access, member.user_id, &change.label().to_lowercase())?;
    }
    Ok(to)
}

/// What a page's row offers for one member: the status changes, and the
/// actions on the member's account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowActions {
    /// The status changes the actor may make.
    pub status: Vec<StatusChange>,
    /// The account actions (reset link, unlock) and whether it is locked.
    pub account: AccountActions,
}

/// The actions each row of a page offers, in order: none without
/// `members:update`, none on members beyond the actor's reach (read once
/// for the page); status changes as their rules allow; "Send reset link"
/// where the member's account is within reach (not the owner's for anyone
/// but the owner, not an archived member's); "Unlock" only on a locked one.
pub async fn row_actions(app: &App, access: &OrgAccess, rows: &[MemberView]) -> Result<Vec<RowActions>> {
    if !access.can(Permission::MEMBERS_UPDATE) {
        return Ok(vec![RowActions::default(); rows.len()]);
    }
    let mut conn = app.db.conn().await?;
    let batch: Vec<(UserId, MemberStatus)> = rows.iter().map(|v| (v.member.user_id, v.member.status)).collect();
    let beyond = beyond_reach(&mut conn, access, &batch).await?;
    let ids: Vec<UserId> = rows.iter().map(|v| v.member.user_id).collect();
    let locked: std::collections::HashSet<UserId> = users::locked_among(&mut conn, &ids).await?.into_iter().collect();
    Ok(rows
        .iter()
        .map(|v| {
            let m = &v.member;
            let is_locked = locked.contains(&m.user_id);
            if beyond.contains(&m.user_id) {
                return RowActions {
                    account: AccountActions { locked: is_locked, ..Default::default() },
                    ..Default::default()
                };
            }
            let may = account_action_refusal(access, m).is_ok();
            RowActions {
                status: StatusChange::ALL
                    .into_iter()
                    .filter(|c| status_change_refusal(access, m, *c).is_ok())
                    .collect(),
                account: AccountActions { send_reset_link: may, unlock: may && is_locked, locked: is_locked },
            }
        })
        .collect())
}

fn statuses_list(s: &[MemberStatus]) -> String {
    s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" or ")
}

/// Why a bulk change leaves a matching member alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Skipped {
    /// The owner (never disabled).
    pub owner: u64,
    /// The actor themselves (nobody disables themselves).
    pub actor: u64,
    /// Members holding permissions the actor lacks (no escalation).
    pub beyond_reach: u64,
}

impl Skipped {
    /// All skipped members.
    pub fn total(&self) -> u64 {
        self.owner + self.actor + self.beyond_reach
    }
}

/// What a bulk change did, or (from [`preview_bulk`]) would do: the same
/// selection rule decides both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BulkOutcome {
    /// Members changed (or to be changed).
    pub changed: u64,
    /// Matching members left alone, by reason.
    pub skipped: Skipped,
}

fn check_bulk(change: StatusChange) -> Result<()> {
    if matches!(change, StatusChange::Enable | StatusChange::Disable) {
        Ok(())
    } else {
        Err(ValidationError::field("action", "bulk changes are enable or disable").into())
    }
}

/// Members read per step of a bulk walk.
const BULK_BATCH: u64 = 1000;

/// The selection rule of a bulk change, for one batch of matching members:
/// which to change and, for the others, why not. The preview and the change
/// both decide with it, so they cannot disagree.
async fn select_batch(
    r: &mut impl roster_store::Reader,
    access: &OrgAccess,
    change: StatusChange,
    batch: &[(UserId, MemberStatus)],
    skipped: &mut Skipped,
) -> Result<Vec<(UserId, MemberStatus)>> {
    let beyond = beyond_reach(r, access, batch).await?;
    let mut out = Vec::with_capacity(batch.len());
    for (id, status) in batch {
        if change.removes_access() && access.is_owned_by(*id) {
            skipped.owner += 1;
        } else if change.removes_access() && access.actor.user_id() == Some(*id) {
            skipped.actor += 1;
        } else if beyond.contains(id) {
            skipped.beyond_reach += 1;
        } else {
            out.push((*id, *status));
        }
    }
    Ok(out)
}

/// Counts what a bulk change would do, without doing it: the same walk and
/// the same selection rule as [`bulk_change`], read-only.
pub async fn preview_bulk(
    app: &App,
    access: &OrgAccess,
    change: StatusChange,
    filter: &MemberFilter,
) -> Result<BulkOutcome> {
    access.require(Permission::MEMBERS_UPDATE)?;
    check_bulk(change)?;
    check_product_filter(app, filter)?;
    let mut conn = app.db.conn().await?;
    let mut outcome = BulkOutcome::default();
    let mut after = None;
    loop {
        let batch =
            members::select_member_ids(&mut conn, access.org.id, filter, change.applies_to(), after, BULK_BATCH)
                .await?;
        let Some((last, _)) = batch.last() else { break };
        after = Some(*last);
        outcome.changed += select_batch(&mut conn, access, change, &batch, &mut outcome.skipped).await?.len() as u64;
    }
    Ok(outcome)
}

/// Applies `change` to every member matching `filter` (not just one page), in
/// one transaction, auditing each member changed. The owner, the actor and
/// members beyond the actor's reach are skipped and counted. A bulk disable
/// ends the sessions of those it leaves without any active membership, as
/// [`change_status`] does.
pub async fn bulk_change(
    app: &App,
    access: &OrgAccess,
    change_kind: StatusChange,
    filter: &MemberFilter,
    meta: &RequestMeta,
) -> Result<BulkOutcome> {
    access.require(Permission::MEMBERS_UPDATE)?;
    check_bulk(change_kind)?;
    check_product_filter(app, filter)?;
    let mut change = change::begin(app, access, Permission::MEMBERS_UPDATE, meta).await?;
    let org = change.access.org.id;
    let mut outcome = BulkOutcome::default();
    let mut after = None;
    loop {
        let batch =
            members::select_member_ids(&mut change.tx, org, filter, change_kind.applies_to(), after, BULK_BATCH)
                .await?;
        let Some((last, _)) = batch.last() else { break };
        after = Some(*last);
        let chosen = select_batch(&mut change.tx, &change.access, change_kind, &batch, &mut outcome.skipped).await?;
        let mut ended = Vec::new();
        for from in change_kind.applies_to() {
            let Some(to) = change_kind.apply(*from) else { continue };
            let ids: Vec<UserId> = chosen.iter().filter(|(_, s)| s == from).map(|(id, _)| *id).collect();
            members::set_status_many(&mut change.tx, org, &ids, *from, to, change.now).await?;
            for id in &ids {
                change.record(
                    AuditEntry::new(change_kind.audit_action(), id)
                        .before(serde_json::json!({"status": from}))
                        .after(serde_json::json!({"status": to}))
                        .with("bulk", true),
                );
            }
            if change_kind.removes_access() {
                ended.extend(ids.iter().copied());
            }
            outcome.changed += ids.len() as u64;
        }
        if !ended.is_empty() {
            end_sessions_of_cut_off(&mut change, &ended, EndReason::MemberDisabled).await?;
        }
        change.flush().await?;
    }
    if change_kind.removes_access() {
        administrator_remains(&mut change.tx, &change.access.org, &change.access.policy).await?;
    }
    change.commit().await?;
    Ok(outcome)
}

/// The members of a batch who hold grants the actor lacks (no escalation:
/// a bulk change leaves them alone and counts them as skipped). A member's
/// grants are the union of their roles' and their own, so they exceed the
/// actor's exactly when one role, or their own grants, does.
pub(crate) async fn beyond_reach(
    r: &mut impl roster_store::Reader,
    access: &OrgAccess,
    batch: &[(UserId, MemberStatus)],
) -> Result<std::collections::HashSet<UserId>> {
    let exceeding: std::collections::HashSet<roster_domain::RoleId> =
        access.policy.roles.iter().filter(|r| access.lacks(&r.grants).is_some()).map(|r| r.id).collect();
    let ids: Vec<UserId> = batch.iter().map(|(u, _)| *u).collect();
    let mut out: std::collections::HashSet<UserId> = Default::default();
    if !exceeding.is_empty() {
        for (u, role) in roster_store::roles::roles_of_members(r, access.org.id, &ids).await? {
            if exceeding.contains(&role) {
                out.insert(u);
            }
        }
    }
    for (u, own) in roster_store::roles::grants_of_members(r, access.org.id, &ids).await? {
        if access.lacks(&own).is_some() {
            out.insert(u);
        }
    }
    Ok(out)
}

/// Whether the actor may change members here (the Users tab's row actions,
/// bulk buttons and edit links).
pub fn may_manage(access: &OrgAccess) -> bool {
    access.can(Permission::MEMBERS_UPDATE)
}

/// A role as the member form offers it.
#[derive(Debug, Clone)]
pub struct RoleOffer {
    /// The role.
    pub role: roster_store::roles::RoleRecord,
    /// Whether the member holds it now.
    pub held: bool,
    /// Why the actor cannot change whether the member holds it, if they cannot.
    pub refusal: Option<String>,
}

/// What the member edit form shows and offers: the member, their roles and
/// own grants, each role with the reason it cannot be given or taken, and
/// what the actor may hand out per resource.
#[derive(Debug, Clone)]
pub struct MemberForm {
    /// The member.
    pub member: Member,
    /// Every role of the organization, in display order.
    pub roles: Vec<RoleOffer>,
    /// The member's own grants beside their roles.
    pub own: roster_domain::permissions::Grants,
    /// Why the member's roles and permissions cannot be changed at all here
    /// (the owner, seen by anyone else); the form then saves the name only.
    pub access_locked: Option<String>,
    /// The actor's own grants: the most the form may hand out per resource.
    pub grantable: roster_domain::permissions::Grants,
}

/// Whether the actor may change `user`'s roles and own grants at all: the
/// owner's are the owner's to change.
pub fn may_change_access(access: &OrgAccess, user: UserId) -> bool {
    !access.is_owned_by(user) || access.is_owner()
}

/// The member edit form's content. Needs members:update.
pub async fn member_form(app: &App, access: &OrgAccess, user: UserId) -> Result<MemberForm> {
    access.require(Permission::MEMBERS_UPDATE)?;
    let member = get_member(app, access, user).await?.member;
    let held = crate::roles::member_access(app, access, user).await?;
    let is_owner = access.is_owned_by(user);
    let access_locked = (!may_change_access(access, user))
        .then(|| format!("{} owns the organization: only they can change their roles and permissions.", member.name));
    let roles = access
        .policy
        .roles
        .iter()
        .map(|r| {
            let refusal = if access_locked.is_some() {
                Some(String::new())
            } else if is_owner && r.locked {
                Some("The owner always holds this role.".to_string())
            } else {
                access.lacks(&r.grants).map(|lack| format!("Grants more than you hold ({lack})."))
            };
            RoleOffer { held: held.roles.iter().any(|h| h.id == r.id), role: r.clone(), refusal }
        })
        .collect();
    Ok(MemberForm { member, roles, own: held.own, access_locked, grantable: access.effective.grants().clone() })
}
