//! Signing in and out, sessions, and passwords.

use roster_domain::audit::{AuditAction, AuditEntry};
use roster_domain::sessions::EndReason;
use roster_domain::{Email, SessionId, Timestamp, UserId};
use roster_store::{sessions, users};

use crate::change::{self, AccountActor, LockedAccount};
use crate::error::Result;
use crate::hashing::{Slot, Upgrade, Verification};
use crate::{App, AppError, Principal, RequestMeta, tokens};

/// A new session: the secret goes into the cookie and nowhere else.
#[derive(Debug, Clone)]
pub struct NewSessionToken {
    /// The cookie value.
    pub token: String,
    /// When the session ends regardless of use.
    pub expires_at: Timestamp,
}

/// Verifies a password on a slot of the hashing pool. When the email is
/// unknown (`hash` is `None`) it is verified against the pool's dummy hash,
/// at the same parameters, so a wrong email costs the same work as a wrong
/// password. A right password whose stored hash is imported or weaker than
/// the pool's comes back with its new hash to store ([`store_upgrade`]).
async fn verify_password(app: &App, slot: Slot, password: String, hash: Option<String>) -> Result<Verification> {
    match hash {
        Some(h) => slot.verify_and_upgrade(password, h).await,
        None => {
            slot.verify(password, app.hashing.dummy_hash().to_string()).await?;
            Ok(Verification { matches: false, upgrade: None })
        }
    }
}

/// How a password was proven when its hash is upgraded, as the audit
/// event says it.
#[derive(Debug, Clone, Copy)]
enum ProvenBy {
    SignIn,
    Reauthentication,
}

/// Stores the upgraded hash of a password just verified, inside `tx`,
/// before anything else of the user is written there: the account's locks
/// (every organization of the user) are taken first, for the audit event
/// the caller appends with [`change::audit_account`]. Nothing is stored
/// when the hash changed meanwhile (a password set at the same moment is
/// kept). Answers the locked account and the event's entry.
async fn store_upgrade(
    tx: &mut roster_store::Tx,
    user: &users::UserRecord,
    upgrade: Upgrade,
    by: ProvenBy,
) -> Result<Option<(LockedAccount, AuditEntry)>> {
    let Some(from) = user.password_hash.as_deref() else { return Ok(None) };
    let account = change::lock_account(tx, user.id).await?;
    if !users::upgrade_password_hash(tx, user.id, from, &upgrade.hash).await? {
        return Ok(None);
    }
    let entry = AuditEntry::new(AuditAction::UserPasswordUpgraded, user.id)
        .before(serde_json::json!({"scheme": upgrade.from}))
        .after(serde_json::json!({"scheme": "argon2id"}))
        .with(
            "via",
            match by {
                ProvenBy::SignIn => "sign-in",
                ProvenBy::Reauthentication => "re-authentication",
            },
        );
    Ok(Some((account, entry)))
}

/// Signs in with email and password and opens a session. A wrong email and a
/// wrong password answer the same error after the same work. The attempt is
/// reserved against the throttle's counters before the password is hashed,
/// so a refused attempt costs no hashing and concurrent guesses cannot
/// overrun the limit. Before that, the attempt takes its place on the
/// hashing pool: when the pool is full it is refused at once (`Busy`),
/// before the throttle counts it, so it is not a guess.
pub async fn login(app: &App, email: &str, password: &str, meta: &RequestMeta) -> Result<(Principal, NewSessionToken)> {
    let slot = app.hashing.try_slot()?;
    let now = app.clock.now();
    let reservation = app.login_throttle.reserve(&app.db, email, meta.ip.as_deref(), now).await?;
    let email = Email::parse(email).ok();
    let user = match &email {
        Some(e) => users::find_user_by_email(&mut app.db.conn().await?, e).await?,
        None => None,
    };
    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    // Verified whether or not the user exists (against a dummy hash if not).
    let verified = verify_password(app, slot, password.to_string(), hash).await?;
    let Some(user) = user else {
        app.login_throttle.failed(&app.db, &reservation).await?;
        return Err(AppError::InvalidCredentials);
    };
    if user.locked_at.is_some() {
        // A locked account stays locked whatever the password; the attempt
        // counts against the throttle like a failure.
        app.login_throttle.failed(&app.db, &reservation).await?;
        return Err(AppError::AccountLocked);
    }
    if !verified.matches {
        app.login_throttle.failed(&app.db, &reservation).await?;
        return Err(match crate::lockout::count_failure(app, &user, meta).await? {
            true => AppError::AccountLocked,
            false => AppError::InvalidCredentials,
        });
    }
    app.login_throttle.succeeded(&app.db, &reservation).await?;
    open_session(app, user, meta, verified.upgrade).await
}

/// Opens a session for a user whose identity was just proven (a password
/// at sign-in, or a confirmed sign-up's link). A password sign-in's
/// `upgrade` (an imported or weaker hash hashed again) is stored in the
/// same transaction, audited as `user.password_upgraded` in every
/// organization of the user.
pub(crate) async fn open_session(
    app: &App,
    user: users::UserRecord,
    meta: &RequestMeta,
    upgrade: Option<Upgrade>,
) -> Result<(Principal, NewSessionToken)> {
    let now = app.clock.now();
    let token = tokens::new_secret();
    let session = sessions::NewSession {
        id: SessionId::new(),
        user_id: user.id,
        token_hash: tokens::hash_secret(&token),
        created_at: now,
        // The idle deadline is never later than the absolute one (the sweeper relies on it).
        idle_expires_at: now.plus_millis(app.config.session_idle_ms.min(app.config.session_absolute_ms)),
        expires_at: now.plus_millis(app.config.session_absolute_ms),
        ip: meta.ip.clone(),
        user_agent: meta.user_agent.as_ref().map(|ua| ua.chars().take(512).collect()),
        // Looked up once, here, and stored: the session lists read it as is.
        location: crate::geoip::locate(app.geoip.as_deref(), meta.ip.as_deref()),
    };
    let mut tx = app.db.begin().await?;
    let upgraded = match upgrade {
        Some(u) => store_upgrade(&mut tx, &user, u, ProvenBy::SignIn).await?,
        None => None,
    };
    sessions::insert_session(&mut tx, &session).await?;
    users::clear_failed_logins(&mut tx, user.id).await?;
    roster_store::members::touch_user_memberships(&mut tx, user.id, now).await?;
    if let Some((account, entry)) = upgraded {
        change::audit_account(&mut tx, &account, AccountActor::Roster, meta, now, vec![entry]).await?;
    }
    tx.commit().await?;
    Ok((
        Principal { user_id: user.id, email: user.email, name: user.name, session_id: session.id },
        NewSessionToken { token, expires_at: session.expires_at },
    ))
}

/// Checks a signed-in user's password again before a sensitive change to
/// their account (OWASP ASVS: re-authentication before changing the
/// account's email). It is a password guess like a sign-in and is treated
/// as one: it takes its place on the hashing pool first (`Busy` when full),
/// is reserved against the same per-account and per-address throttle, and
/// a wrong password counts towards the account's lockout. So a stolen
/// session cannot guess the password here any faster than at the sign-in
/// page. A wrong password is [`AppError::InvalidCredentials`]; a locked
/// account is [`AppError::AccountLocked`] whatever the password.
pub async fn reauthenticate(app: &App, user: &users::UserRecord, password: &str, meta: &RequestMeta) -> Result<()> {
    let slot = app.hashing.try_slot()?;
    let now = app.clock.now();
    let reservation = app.login_throttle.reserve(&app.db, &user.email, meta.ip.as_deref(), now).await?;
    let verified = verify_password(app, slot, password.to_string(), user.password_hash.clone()).await?;
    if user.locked_at.is_some() {
        app.login_throttle.failed(&app.db, &reservation).await?;
        return Err(AppError::AccountLocked);
    }
    if !verified.matches {
        app.login_throttle.failed(&app.db, &reservation).await?;
        return Err(match crate::lockout::count_failure(app, user, meta).await? {
            true => AppError::AccountLocked,
            false => AppError::InvalidCredentials,
        });
    }
    app.login_throttle.succeeded(&app.db, &reservation).await?;
    // A right password ends a run of consecutive failures, as a sign-in
    // does, and an imported or weaker hash is upgraded, as at sign-in.
    let mut tx = app.db.begin().await?;
    let upgraded = match verified.upgrade {
        Some(u) => store_upgrade(&mut tx, user, u, ProvenBy::Reauthentication).await?,
        None => None,
    };
    users::clear_failed_logins(&mut tx, user.id).await?;
    if let Some((account, entry)) = upgraded {
        change::audit_account(&mut tx, &account, AccountActor::Roster, meta, app.clock.now(), vec![entry]).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// How often a session's last-seen time is written (at most once a minute),
/// so that reads stay reads.
const TOUCH_EVERY_MS: i64 = 60_000;

/// Finds the principal behind a session token, or refuses it when it is
/// unknown, ended or expired. Moves the idle expiry forward now and then.
pub async fn authenticate(app: &App, token: &str) -> Result<Principal> {
    if token.len() != 64 {
        return Err(AppError::Unauthenticated);
    }
    let hash = tokens::hash_secret(token);
    let found = sessions::find_live_session(&mut app.db.conn().await?, &hash).await?;
    accept_session(app, found.ok_or(AppError::Unauthenticated)?).await
}

/// [`authenticate`] together with the organizations where the user is an
/// active member, read in the same query (what `GET /api/v1/me` shows).
pub async fn authenticate_with_orgs(app: &App, token: &str) -> Result<(Principal, Vec<crate::orgs::Membership>)> {
    if token.len() != 64 {
        return Err(AppError::Unauthenticated);
    }
    let hash = tokens::hash_secret(token);
    let found = sessions::find_live_session_with_orgs(&mut app.db.conn().await?, &hash).await?;
    let (session, orgs) = found.ok_or(AppError::Unauthenticated)?;
    let principal = accept_session(app, session).await?;
    let memberships = orgs
        .into_iter()
        .map(|org| crate::orgs::Membership {
            is_owner: org.owner_id == Some(principal.user_id),
            org,
            status: roster_domain::MemberStatus::Active,
        })
        .collect();
    Ok((principal, memberships))
}

/// [`authenticate`] and [`crate::access::open_org`] together, for a request
/// about one organization: the session, its user, the organization and the
/// user's membership status are read in one query (one round trip), every
/// request, from the database; grants come from the policy cache at the
/// organization's `authz_version` read in that query. So a revoked session,
/// a disabled or archived member, or changed roles are seen by the very
/// next request on every instance, and nothing cached can serve them.
pub async fn authenticate_in_org(
    app: &App,
    token: &str,
    id_or_slug: &str,
) -> Result<(Principal, crate::access::OrgAccess)> {
    if token.len() != 64 {
        return Err(AppError::Unauthenticated);
    }
    let hash = tokens::hash_secret(token);
    let found = sessions::find_live_session_in_org(&mut app.db.conn().await?, &hash, id_or_slug).await?;
    let found = found.ok_or(AppError::Unauthenticated)?;
    let principal = accept_session(app, found.session).await?;
    let actor = crate::Actor::User(principal.clone());
    let access = crate::access::open_read_org(app, &actor, found.org, found.status, found.partner).await?;
    Ok((principal, access))
}

/// Refuses an expired session (ending it) and moves a live one's idle expiry
/// forward now and then.
async fn accept_session(app: &App, s: sessions::SessionUser) -> Result<Principal> {
    let now = app.clock.now();
    let session_id = SessionId(s.session_id);
    if now.0 >= s.expires_at || now.0 >= s.idle_expires_at {
        // Ended when it expired, as the sweeper records it, not when it was
        // last tried.
        let expired_at = s.idle_expires_at.min(s.expires_at);
        let reason = EndReason::expiry(expired_at, s.expires_at);
        let mut tx = app.db.begin().await?;
        sessions::end_session(&mut tx, session_id, Timestamp(expired_at), reason, None).await?;
        tx.commit().await?;
        return Err(AppError::Unauthenticated);
    }
    if now.0 - s.last_seen_at >= TOUCH_EVERY_MS {
        let mut tx = app.db.begin().await?;
        let idle = now.plus_millis(app.config.session_idle_ms).min(Timestamp(s.expires_at));
        sessions::touch_session(&mut tx, session_id, now, idle).await?;
        roster_store::members::touch_user_memberships(&mut tx, UserId(s.user_id), now).await?;
        tx.commit().await?;
    }
    Ok(Principal { user_id: UserId(s.user_id), email: s.email, name: s.name, session_id })
}

/// Ends the principal's session.
pub async fn logout(app: &App, principal: &Principal) -> Result<()> {
    let mut tx = app.db.begin().await?;
    sessions::end_session(&mut tx, principal.session_id, app.clock.now(), EndReason::Logout, None).await?;
    tx.commit().await?;
    Ok(())
}
