//! "My Sessions": the signed-in user's own sessions (each with a readable
//! device and a short non-secret id), their recent history, logging one of
//! them out, and logging out everywhere else. No permission is needed: a
//! user acts on their own sessions only, and another user's session answers
//! 404 like a missing one.

use roster_domain::audit::{AuditAction, AuditEntry};
use roster_domain::sessions::EndReason;
use roster_domain::{OrgId, SessionId, Timestamp, UserId};
use roster_store::sessions::{self, SessionRecord};

use crate::change::{AccountActor, audit_account, lock_account};
use crate::error::Result;
use crate::{App, AppError, Principal, RequestMeta};

/// How many ended sessions the history shows.
pub const HISTORY_LIMIT: u64 = 20;

/// One session as its user sees it.
#[derive(Debug, Clone)]
pub struct SessionView {
    /// The session's id.
    pub id: SessionId,
    /// The short identifier shown to people (the id's last 8 hex digits;
    /// never derived from the token).
    pub short_id: String,
    /// Browser and operating system, read from the User-Agent ("Chrome 120 on Linux").
    pub device: String,
    /// The client's address at sign-in.
    pub ip: Option<String>,
    /// Where that address was, looked up at sign-in ("Berlin, Germany");
    /// `None` without a GeoIP database or for an address it does not know.
    pub location: Option<String>,
    /// When it started.
    pub created_at: Timestamp,
    /// When a request last used it (written at most once a minute).
    pub last_active_at: Timestamp,
    /// When it ends unless ended before: the earlier of the idle and the absolute expiry.
    pub expires_at: Timestamp,
    /// Whether this is the session of the request asking.
    pub is_current: bool,
    /// When it ended (history only).
    pub ended_at: Option<Timestamp>,
    /// Why it ended (history only): `logout`, `revoked`, `idle_expiry`, `password_changed`, …
    pub end_reason: Option<String>,
    /// Who logged it out, when someone did and the viewer may know.
    pub ended_by: Option<EndedBy>,
    /// How it ended, in words ("Revoked by Ann Smith (Acme)"; history only).
    pub how: Option<String>,
}

/// Someone who logged a session out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedBy {
    /// Who did it (the session's own user from another session, or an administrator).
    pub user: Option<Person>,
    /// The organization whose Active Sessions tab they did it from; `None`
    /// when the user did it from their own My Sessions.
    pub org: Option<OrgRef>,
}

/// A user as a session page names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Their id.
    pub id: UserId,
    /// Their email.
    pub email: String,
    /// Their name.
    pub name: String,
}

/// An organization as a session page names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRef {
    /// Its id.
    pub id: OrgId,
    /// Its slug.
    pub slug: String,
    /// Its name.
    pub name: String,
}

/// Who may read who ended a session: the session's own user reads
/// everything; an organization's administrators read who did it when it was
/// done by the user themselves or from their own organization's tab, and
/// only "an administrator of another organization" otherwise (a user's
/// other organizations are not theirs to know).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Viewer {
    /// The session's user (My Sessions).
    Owner,
    /// An organization's administrators.
    Org(OrgId),
}

/// Who ended a session and how, in words, as `viewer` may read it.
pub(crate) fn ending(s: &SessionRecord, viewer: Viewer) -> (Option<EndedBy>, Option<String>) {
    let reason = s.end_reason.as_deref().map(|r| r.parse::<EndReason>().map_err(|_| r.replace('_', " ")));
    let Some(reason) = reason else { return (None, None) };
    let reason = match reason {
        Ok(r) => r,
        Err(unknown) => return (None, Some(unknown)),
    };
    let person = match (s.ended_by, &s.ended_by_name, &s.ended_by_email) {
        (Some(id), Some(name), Some(email)) => {
            Some(Person { id: UserId(id), email: email.clone(), name: name.clone() })
        }
        _ => None,
    };
    let org = match (s.ended_by_org, &s.ended_by_org_slug, &s.ended_by_org_name) {
        (Some(id), Some(slug), Some(name)) => Some(OrgRef { id: OrgId(id), slug: slug.clone(), name: name.clone() }),
        _ => None,
    };
    if reason != EndReason::Revoked || person.is_none() {
        return (None, Some(reason.label().to_string()));
    }
    let by_themselves = s.ended_by == Some(s.user_id) && org.is_none();
    let visible = match (viewer, &org) {
        (Viewer::Owner, _) | (_, None) => true,
        (Viewer::Org(viewer), Some(o)) => o.id == viewer,
    };
    let how = match (&person, &org) {
        _ if by_themselves && viewer == Viewer::Owner => "Revoked by you from another session".to_string(),
        (Some(p), _) if by_themselves => format!("Revoked by {} from another session", p.name),
        _ if !visible => "Revoked by an administrator of another organization".to_string(),
        (Some(p), Some(o)) => format!("Revoked by {} ({})", p.name, o.name),
        (Some(p), None) => format!("Revoked by {}", p.name),
        (None, _) => reason.label().to_string(),
    };
    (visible.then_some(EndedBy { user: person, org }), Some(how))
}

/// The short, non-secret identifier of a session: the last 8 hex digits of
/// its id (the random part of a UUIDv7).
pub fn short_id(id: SessionId) -> String {
    let hex = id.0.simple().to_string();
    hex[hex.len() - 8..].to_string()
}

/// A readable device from a User-Agent: "Chrome 120 on Linux", "Safari 17
/// on iPhone", "curl 8"; "Unknown device" when nothing is recognized.
pub fn device(user_agent: Option<&str>) -> String {
    const UNKNOWN: &str = woothee::woothee::VALUE_UNKNOWN;
    let parsed = user_agent.filter(|ua| !ua.trim().is_empty()).and_then(|ua| woothee::parser::Parser::new().parse(ua));
    let Some(r) = parsed else { return "Unknown device".into() };
    let major = r.version.split('.').next().unwrap_or_default();
    let browser = match (r.name, major) {
        (UNKNOWN, _) => String::new(),
        (name, "") | (name, UNKNOWN) => name.to_string(),
        (name, v) => format!("{name} {v}"),
    };
    let os = if r.os == UNKNOWN { "" } else { r.os };
    match (browser.is_empty(), os.is_empty()) {
        (true, true) => "Unknown device".into(),
        (true, false) => format!("Unknown browser on {os}"),
        (false, true) => browser,
        (false, false) => format!("{browser} on {os}"),
    }
}

pub(crate) fn view(s: SessionRecord, current: SessionId, viewer: Viewer) -> SessionView {
    let id = SessionId(s.id);
    let (ended_by, how) = ending(&s, viewer);
    SessionView {
        ended_by,
        how,
        location: s.location,
        short_id: short_id(id),
        device: device(s.user_agent.as_deref()),
        ip: s.ip,
        created_at: Timestamp(s.created_at),
        last_active_at: Timestamp(s.last_seen_at),
        expires_at: Timestamp(s.idle_expires_at.min(s.expires_at)),
        is_current: id == current,
        ended_at: s.ended_at.map(Timestamp),
        end_reason: s.end_reason,
        id,
    }
}

pub(crate) fn is_live(s: &SessionRecord, now: Timestamp) -> bool {
    s.ended_at.is_none() && now.0 < s.idle_expires_at.min(s.expires_at)
}

/// The signed-in user's active sessions, newest first, the current one marked.
pub async fn list_mine(app: &App, principal: &Principal) -> Result<Vec<SessionView>> {
    let now = app.clock.now();
    let rows = sessions::list_live_user_sessions(&mut app.db.conn().await?, principal.user_id).await?;
    Ok(rows.into_iter().filter(|s| is_live(s, now)).map(|s| view(s, principal.session_id, Viewer::Owner)).collect())
}

/// The signed-in user's most recently ended sessions with how each ended,
/// the latest first (at most [`HISTORY_LIMIT`]).
pub async fn history_mine(app: &App, principal: &Principal) -> Result<Vec<SessionView>> {
    let rows = sessions::list_ended_user_sessions(&mut app.db.conn().await?, principal.user_id, HISTORY_LIMIT).await?;
    Ok(rows.into_iter().map(|s| view(s, principal.session_id, Viewer::Owner)).collect())
}

fn revoked_entry(principal: &Principal, ended: &[SessionId], how: &str) -> AuditEntry {
    let ids: Vec<String> = ended.iter().map(|id| short_id(*id)).collect();
    AuditEntry::new(AuditAction::SessionRevoked, principal.user_id).with("sessions", ids).with("how", how)
}

/// What logging one session out did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Another session of the user ended.
    Other,
    /// The session making the request ended: the user is signed out.
    Current,
}

/// Logs out one of the signed-in user's own active sessions (the current
/// one too: that signs them out). Another user's session, an ended or an
/// expired one answers [`AppError::NotFound`]. Audited as `session.revoked`
/// in every organization of the user, in the same transaction.
pub async fn end_mine(app: &App, principal: &Principal, id: SessionId, meta: &RequestMeta) -> Result<Ended> {
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let account = lock_account(&mut tx, principal.user_id).await?;
    let found = sessions::find_user_session(&mut tx, principal.user_id, id).await?;
    if !found.is_some_and(|s| is_live(&s, now)) {
        return Err(AppError::NotFound("session"));
    }
    let (ended, reason) = if id == principal.session_id {
        (Ended::Current, EndReason::Logout)
    } else {
        (Ended::Other, EndReason::Revoked)
    };
    let by = (reason == EndReason::Revoked).then_some(sessions::EndedBy { user: principal.user_id, org: None });
    if !sessions::end_session(&mut tx, id, now, reason, by).await? {
        return Err(AppError::NotFound("session"));
    }
    let entry = revoked_entry(principal, &[id], "one session");
    audit_account(&mut tx, &account, AccountActor::User, meta, now, vec![entry]).await?;
    tx.commit().await?;
    Ok(ended)
}

/// "Log out everywhere else": ends every other active session of the
/// signed-in user, keeping the current one. Answers how many ended; when
/// some did, audited as one `session.revoked` in every organization of the
/// user, in the same transaction.
pub async fn end_others(app: &App, principal: &Principal, meta: &RequestMeta) -> Result<usize> {
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let account = lock_account(&mut tx, principal.user_id).await?;
    let mut ended = Vec::new();
    for s in sessions::list_live_user_sessions(&mut tx, principal.user_id).await? {
        let id = SessionId(s.id);
        let by = Some(sessions::EndedBy { user: principal.user_id, org: None });
        if id != principal.session_id && sessions::end_session(&mut tx, id, now, EndReason::Revoked, by).await? {
            ended.push(id);
        }
    }
    if !ended.is_empty() {
        let entry = revoked_entry(principal, &ended, "everywhere else");
        audit_account(&mut tx, &account, AccountActor::User, meta, now, vec![entry]).await?;
    }
    tx.commit().await?;
    Ok(ended.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_read_from_user_agents() {
        let chrome =
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
        assert_eq!(device(Some(chrome)), "Chrome 120 on Linux");
        let firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0";
        assert_eq!(device(Some(firefox)), "Firefox 121 on Windows 10");
        assert_eq!(device(None), "Unknown device");
        assert_eq!(device(Some("")), "Unknown device");
        assert_eq!(device(Some("???")), "Unknown device");
    }

    #[test]
    fn short_ids_are_the_last_eight_hex_digits() {
        let id = SessionId(uuid::Uuid::parse_str("01920000-0000-7000-8000-0000deadbeef").unwrap());
        assert_eq!(short_id(id), "deadbeef");
    }
}
