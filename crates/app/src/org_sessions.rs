//! An organization's sessions, for its administrators: the Active Sessions
//! tab (every live session of the organization's active members; search by
//! name, email or IP; "Log out" one, or all of a member's) and the Session
//! History tab (their ended sessions with how each ended, filtered by user,
//! reason and date range). Both newest first, keyset-paginated.
//!
//! Whose sessions: Active Sessions lists the sessions of *active* members,
//! the people who can use the organization with them; a disabled or
//! archived member's sessions reach only their other organizations, which
//! are not this organization's to see or end, and an invitee is not a
//! member yet. Session History covers active, disabled and archived members
//! (a security review looks at people who left too), never invitees.
//!
//! Logging out from here ends the session with reason `revoked`, recording
//! the administrator and this organization (the user's other organizations
//! see "an administrator of another organization"), and audits
//! `session.revoked` in this organization, in the same transaction. The
//! user can sign in again to every organization where they are active. An
//! administrator may log out the sessions of members within their reach:
//! not of one holding grants they lack (no escalation), and not the owner's
//! unless they act for the owner (`OrgAccess::acts_for_owner`: the owner
//! themselves, or the operator) — the same rules as the other actions on a
//! member's account.

use roster_domain::audit::{AuditAction, AuditEntry};
use roster_domain::page::{SortOrder, SortValue};
use roster_domain::sessions::{EndReason, LiveStatus, SessionCursor, SessionSort};
use roster_domain::{MemberStatus, SessionId, Timestamp, UserId, ValidationError};
use roster_store::org_sessions::{self as store, OrgSession};
use roster_store::sessions as session_store;

use crate::access::{OrgAccess, Permission};
use crate::change::{self, Change};
use crate::error::Result;
use crate::invariants::may_change_member;
use crate::policy::load_effective;
use crate::sessions::{Person, SessionView, Viewer, is_live, short_id, view};
use crate::{App, AppError, ConflictKind, RequestMeta};

/// The members whose live sessions Active Sessions lists.
pub const LIVE_STATUSES: [MemberStatus; 1] = [MemberStatus::Active];
/// The members whose ended sessions Session History lists.
pub const HISTORY_STATUSES: [MemberStatus; 3] = [MemberStatus::Active, MemberStatus::Disabled, MemberStatus::Archived];

/// Rows per page unless asked otherwise.
pub const PER_PAGE_DEFAULT: u32 = 50;

/// A session in an organization's lists: the session, whose it is, and (for
/// a live one) whether it is in use.
#[derive(Debug, Clone)]
pub struct OrgSessionView {
    /// The session (its `is_current` marks the viewer's own session).
    pub session: SessionView,
    /// The member it belongs to.
    pub user: Person,
    /// Active or idle (live sessions; `Idle` for ended ones, which nobody uses).
    pub status: LiveStatus,
}

/// One page of a session list.
#[derive(Debug, Clone)]
pub struct SessionPage {
    /// The rows, newest first.
    pub items: Vec<OrgSessionView>,
    /// The cursor of the next page; `None` on the last.
    pub next_cursor: Option<String>,
}

/// What the Active Sessions list is asked for.
#[derive(Debug, Clone, Default)]
pub struct ActiveRequest {
    /// A part of a member's name or email, or of an IP address.
    pub q: String,
    /// A `next_cursor` of an earlier page.
    pub cursor: Option<String>,
    /// Rows per page (10–200).
    pub per_page: u32,
}

/// What the Session History list is asked for.
#[derive(Debug, Clone, Default)]
pub struct HistoryRequest {
    /// A member: their user id, or a part of their name or email.
    pub user: String,
    /// Only sessions that ended this way.
    pub reason: Option<EndReason>,
    /// Only sessions that ended at or after this.
    pub from: Option<Timestamp>,
    /// Only sessions that ended before this.
    pub until: Option<Timestamp>,
    /// A `next_cursor` of an earlier page.
    pub cursor: Option<String>,
    /// Rows per page (10–200).
    pub per_page: u32,
}

/// The longest search text.
const SEARCH_MAX: usize = 200;

fn search_text(field: &str, text: &str) -> Result<Option<String>> {
    let text = text.trim();
    if text.chars().count() > SEARCH_MAX {
        return Err(ValidationError::field(field, format!("must be at most {SEARCH_MAX} characters")).into());
    }
    if text.chars().any(char::is_control) {
        return Err(ValidationError::field(field, "must not contain control characters").into());
    }
    Ok((!text.is_empty()).then(|| text.to_lowercase()))
}

fn decode_cursor(cursor: Option<&str>, sort: SessionSort) -> Result<Option<(Timestamp, SessionId)>> {
    let Some(text) = cursor.filter(|c| !c.is_empty()) else { return Ok(None) };
    let c = SessionCursor::decode_for(text, sort, SortOrder::Desc)?;
    match c.value {
        SortValue::Time(Some(at)) if !c.backward => Ok(Some((at, c.id))),
        _ => Err(ValidationError::field("cursor", "is not a cursor of this list; start again from page 1").into()),
    }
}

fn encode_cursor(sort: SessionSort, at: Timestamp, id: SessionId) -> String {
    SessionCursor { sort, order: SortOrder::Desc, value: SortValue::Time(Some(at)), id, backward: false }.encode()
}

fn row(access: &OrgAccess, r: OrgSession, now: Timestamp) -> OrgSessionView {
    let current = access.actor.principal().map_or(SessionId(uuid::Uuid::nil()), |p| p.session_id);
    let user = Person { id: UserId(r.session.user_id), email: r.member_email, name: r.member_name };
    let status =
        if r.session.ended_at.is_none() { LiveStatus::at(now.0, r.session.last_seen_at) } else { LiveStatus::Idle };
    OrgSessionView { session: view(r.session, current, Viewer::Org(access.org.id)), user, status }
}

/// Splits `limit + 1` rows into a page and the next page's cursor.
fn page(
    access: &OrgAccess,
    mut rows: Vec<OrgSession>,
    per_page: u32,
    now: Timestamp,
    sort: SessionSort,
) -> SessionPage {
    let more = rows.len() > per_page as usize;
    rows.truncate(per_page as usize);
    let next_cursor = more.then(|| rows.last()).flatten().map(|r| {
        let at = match sort {
            SessionSort::Created => r.session.created_at,
            SessionSort::Ended => r.session.ended_at.unwrap_or_default(),
        };
        encode_cursor(sort, Timestamp(at), SessionId(r.session.id))
    });
    SessionPage { items: rows.into_iter().map(|r| row(access, r, now)).collect(), next_cursor }
}

/// The Active Sessions list: the live sessions of the organization's active
/// members, newest sign-in first, searched by name, email or IP. Needs
/// `sessions:read`.
pub async fn list_active(app: &App, access: &OrgAccess, req: &ActiveRequest) -> Result<SessionPage> {
    access.require(Permission::SESSIONS_READ)?;
    let per_page = roster_domain::members::check_per_page(req.per_page)?;
    let search = search_text("q", &req.q)?;
    let after = decode_cursor(req.cursor.as_deref(), SessionSort::Created)?;
    let now = app.clock.now();
    let mut conn = app.db.conn().await?;
    let driver = store::plan(&mut conn, access.org.id, &LIVE_STATUSES).await?;
    let spec = store::LiveSpec {
        now,
        statuses: LIVE_STATUSES.to_vec(),
        search,
        after,
        limit: u64::from(per_page) + 1,
        driver,
    };
    let rows = store::list_live_org_sessions(&mut conn, access.org.id, &spec).await?;
    Ok(page(access, rows, per_page, now, SessionSort::Created))
}

/// The Session History list: the ended sessions of the organization's
/// members (active, disabled, archived), latest ended first, filtered by
/// member, reason and date range. Needs `sessions:read`.
pub async fn list_history(app: &App, access: &OrgAccess, req: &HistoryRequest) -> Result<SessionPage> {
    access.require(Permission::SESSIONS_READ)?;
    let per_page = roster_domain::members::check_per_page(req.per_page)?;
    let after = decode_cursor(req.cursor.as_deref(), SessionSort::Ended)?;
    let (user, user_text) = match req.user.trim().parse::<UserId>() {
        Ok(id) => (Some(id), None),
        Err(_) => (None, search_text("user", &req.user)?),
    };
    if let (Some(from), Some(until)) = (req.from, req.until)
        && from >= until
    {
        return Err(ValidationError::field("to", "must be after from").into());
    }
    let now = app.clock.now();
    let mut conn = app.db.conn().await?;
    let driver = if user.is_some() {
        store::Driver::Members
    } else {
        store::plan(&mut conn, access.org.id, &HISTORY_STATUSES).await?
    };
    let spec = store::EndedSpec {
        statuses: HISTORY_STATUSES.to_vec(),
        user,
        user_text,
        reason: req.reason,
        from: req.from,
        until: req.until,
        after,
        limit: u64::from(per_page) + 1,
        driver,
    };
    let rows = store::list_ended_org_sessions(&mut conn, access.org.id, &spec).await?;
    Ok(page(access, rows, per_page, now, SessionSort::Ended))
}

/// Whether the actor may log out this member's sessions: `sessions:delete`,
/// the owner only by whoever acts for the owner, and no member holding
/// grants the actor lacks. Reads inside `r` (a change's transaction, or a
/// connection for what a page offers).
async fn may_end_sessions_of(
    r: &mut impl roster_store::Reader,
    access: &OrgAccess,
    user: UserId,
    email: &str,
) -> Result<()> {
    access.require(Permission::SESSIONS_DELETE)?;
    if access.is_owned_by(user) && !access.acts_for_owner() {
        return Err(AppError::conflict(
            ConflictKind::OwnerProtected,
            format!("{email} owns {}; only they can log out their sessions", access.org.name),
        ));
    }
    let target = load_effective(r, &access.policy, access.org.id, user).await?;
    may_change_member(access, &target, email)
}

/// The session the actor ended, for the answer.
#[derive(Debug, Clone)]
pub struct EndedSession {
    /// Its short id.
    pub short_id: String,
    /// Whose it was.
    pub user: Person,
    /// Whether it was the session of the request itself (the actor is signed out).
    pub was_current: bool,
}

fn revoked_entry(user: UserId, ended: &[SessionId], how: &str) -> AuditEntry {
    let ids: Vec<String> = ended.iter().map(|id| short_id(*id)).collect();
    AuditEntry::new(AuditAction::SessionRevoked, user).with("sessions", ids).with("how", how)
}

fn ended_by(change: &Change<'_>) -> Option<session_store::EndedBy> {
    let org = Some(change.access.org.id);
    change.access.actor.user_id().map(|user| session_store::EndedBy { user, org })
}

fn is_current(access: &OrgAccess, id: SessionId) -> bool {
    access.actor.principal().is_some_and(|p| p.session_id == id)
}

/// Logs out one live session of an active member of the organization
/// (reason `revoked`, the administrator and this organization recorded),
/// audited as `session.revoked` here, in the same transaction. Needs
/// `sessions:delete`; an unknown, ended or expired session, or another
/// organization's, answers 404; the owner's answers 409 `owner-protected`
/// unless the actor acts for the owner; a member holding grants the actor
/// lacks answers 403 `escalation`.
pub async fn end_session(app: &App, access: &OrgAccess, id: SessionId, meta: &RequestMeta) -> Result<EndedSession> {
    access.require(Permission::SESSIONS_DELETE)?;
    let mut change = change::begin(app, access, Permission::SESSIONS_DELETE, meta).await?;
    let org = change.access.org.id;
    let found = store::find_org_session(&mut change.tx, org, &LIVE_STATUSES, id).await?;
    let Some(found) = found.filter(|s| is_live(&s.session, change.now)) else {
        return Err(AppError::NotFound("session"));
    };
    let user = Person { id: UserId(found.session.user_id), email: found.member_email, name: found.member_name };
    let fresh = change.access.clone();
    may_end_sessions_of(&mut change.tx, &fresh, user.id, &user.email).await?;
    let by = ended_by(&change);
    if !session_store::end_session(&mut change.tx, id, change.now, EndReason::Revoked, by).await? {
        return Err(AppError::NotFound("session"));
    }
    change.record(revoked_entry(user.id, &[id], "by an administrator"));
    change.commit().await?;
    Ok(EndedSession { short_id: short_id(id), was_current: is_current(access, id), user })
}

/// What "Log out all sessions" of a member did.
#[derive(Debug, Clone)]
pub struct MemberSessionsEnded {
    /// The member.
    pub user: Person,
    /// How many live sessions ended (0 when there were none).
    pub ended: usize,
    /// Whether the request's own session was among them.
    pub was_current: bool,
}

/// The active member whose sessions an administrator is about to end, or
/// the refusal: 404 for someone who is not a member, 409 for one who is
/// not active (their sessions reach only their other organizations).
async fn active_member(r: &mut impl roster_store::Reader, access: &OrgAccess, user: UserId) -> Result<Person> {
    let m = roster_store::members::find_member(r, access.org.id, user)
        .await?
        .filter(|m| m.status != MemberStatus::Invited)
        .ok_or(AppError::NotFound("member"))?;
    if m.status != MemberStatus::Active {
        return Err(AppError::conflict(
            ConflictKind::StatusTransition,
            format!(
                "{} is {} in {}; their sessions give no access here, and only their other organizations may end them",
                m.email,
                m.status.as_str(),
                access.org.name
            ),
        ));
    }
    Ok(Person { id: m.user_id, email: m.email, name: m.name })
}

/// Logs out every live session of an active member (reason `revoked`, the
/// administrator and this organization recorded); when any ended, audited
/// as one `session.revoked` here, in the same transaction. Needs
/// `sessions:delete`, under the same rules as [`end_session`]; someone who
/// is not a member answers 404.
pub async fn end_member_sessions(
    app: &App,
    access: &OrgAccess,
    user: UserId,
    meta: &RequestMeta,
) -> Result<MemberSessionsEnded> {
    access.require(Permission::SESSIONS_DELETE)?;
    let mut change = change::begin(app, access, Permission::SESSIONS_DELETE, meta).await?;
    let person = active_member(&mut change.tx, &change.access, user).await?;
    let fresh = change.access.clone();
    may_end_sessions_of(&mut change.tx, &fresh, user, &person.email).await?;
    let by = ended_by(&change);
    let mut ended = Vec::new();
    for s in session_store::list_live_user_sessions(&mut change.tx, user).await? {
        let id = SessionId(s.id);
        if is_live(&s, change.now)
            && session_store::end_session(&mut change.tx, id, change.now, EndReason::Revoked, by).await?
        {
            ended.push(id);
        }
    }
    if !ended.is_empty() {
        change.record(revoked_entry(user, &ended, "all of the member's sessions, by an administrator"));
    }
    change.commit().await?;
    let was_current = ended.iter().any(|id| is_current(access, *id));
    Ok(MemberSessionsEnded { user: person, ended: ended.len(), was_current })
}

/// For each row of a page of live sessions, whether the actor may log it
/// out (what the tab offers; the change checks again under the lock). Each
/// member's standing is read once.
pub async fn logout_offers(app: &App, access: &OrgAccess, rows: &[OrgSessionView]) -> Result<Vec<bool>> {
    if !access.can(Permission::SESSIONS_DELETE) {
        return Ok(vec![false; rows.len()]);
    }
    let mut conn = app.db.conn().await?;
    let mut decided: std::collections::HashMap<UserId, bool> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let allowed = match decided.get(&r.user.id) {
            Some(a) => *a,
            None => {
                let a = match may_end_sessions_of(&mut conn, access, r.user.id, &r.user.email).await {
                    Ok(()) => true,
                    Err(AppError::Conflict { .. } | AppError::Escalation(_) | AppError::Forbidden(_)) => false,
                    Err(e) => return Err(e),
                };
                decided.insert(r.user.id, a);
                a
            }
        };
        out.push(allowed);
    }
    Ok(out)
}

/// What the confirmation of "Log out all sessions" shows: the member, and
/// how many live sessions they have. Refuses as [`end_member_sessions`]
/// would (without changing anything).
pub async fn member_sessions_preview(app: &App, access: &OrgAccess, user: UserId) -> Result<(Person, usize)> {
    access.require(Permission::SESSIONS_DELETE)?;
    let mut conn = app.db.conn().await?;
    let person = active_member(&mut conn, access, user).await?;
    may_end_sessions_of(&mut conn, access, user, &person.email).await?;
    let now = app.clock.now();
    let live = session_store::list_live_user_sessions(&mut conn, user).await?;
    Ok((person, live.iter().filter(|s| is_live(s, now)).count()))
}

/// One live session of an active member, for the confirmation of "Log
/// out" (404 like [`end_session`]). Needs `sessions:delete`.
pub async fn find_live(app: &App, access: &OrgAccess, id: SessionId) -> Result<OrgSessionView> {
    access.require(Permission::SESSIONS_DELETE)?;
    let now = app.clock.now();
    let mut conn = app.db.conn().await?;
    let found = store::find_org_session(&mut conn, access.org.id, &LIVE_STATUSES, id).await?;
    let found = found.filter(|s| is_live(&s.session, now)).ok_or(AppError::NotFound("session"))?;
    let v = row(access, found, now);
    may_end_sessions_of(&mut conn, access, v.user.id, &v.user.email).await?;
    Ok(v)
}
