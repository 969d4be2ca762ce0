//! Access requests: someone signed in asks to join an organization; an
//! administrator approves (choosing roles and products) or denies.
//!
//! Who may ask: an organization accepts a request from someone who holds its
//! join link while the link is on (the link's code, compared in constant
//! time), or whose confirmed email address is in one of its declared email
//! domains. To anyone else the organization answers 404, exactly like one
//! that does not exist. A member (any status, archived included: they ask an
//! administrator to restore them) or someone invited cannot ask, and says so.
//!
//! Rules: one pending request per person and organization (a unique index
//! decides concurrent requests); after a denial a new request only after the
//! cool-down ([`Config::access_request_cooldown_ms`](crate::Config)); a
//! request expires undecided after
//! [`Config::access_request_ttl_ms`](crate::Config), read by the clock (a
//! pending request past it reads as expired everywhere, and
//! [`sweep_expired`] or the next request records it); requests per user and
//! per organization per hour are capped (429). A decision is one conditional
//! update under the organization's lock, so of two administrators deciding
//! at once exactly one wins and the other gets 409 `request-closed`.
//! Approving makes an active membership at once, with the roles and products
//! chosen (within the approver's own grants and the free seats).
//!
//! Audit, each in the organization's log and the transaction of its change:
//! `access_request.created` and `.withdrawn` (by the requester),
//! `.approved` and `.denied` (by the administrator), `.expired` (by Roster).

use roster_domain::access_requests::{
    EmailDomain, RequestState, RequestStatus, is_join_code, parse_domains, parse_message, parse_reason,
};
use roster_domain::audit::{ActorType, AuditAction, AuditEntry};
use roster_domain::{AccessRequestId, Email, MemberStatus, OrgId, Timestamp, UserId};
use roster_store::access_requests::{self as store, AccessRequestRecord, Decision, NewAccessRequest};
use roster_store::members::NewMember;
use roster_store::orgs::OrgRecord;
use roster_store::throttle::{self, AttemptKey, AttemptKind};
use roster_store::{Reader, members, org_settings, orgs, roles, users};
use subtle::ConstantTimeEq;

use crate::access::{OrgAccess, Permission};
use crate::change::{self, Change};
use crate::error::Result;
use crate::invariants::within_own_grants;
use crate::mail::{Letter, MailKind};
use crate::roles::RoleRecord;
use crate::{Actor, App, AppError, ConflictKind, Principal, RequestMeta, tokens};

/// How many pending requests the tab lists (oldest first); the badge counts
/// up to [`COUNT_CAP`].
pub const PENDING_LIMIT: u64 = 200;
/// How many processed requests "Recently processed" lists.
pub const RECENT_LIMIT: u64 = 20;
/// The badge stops counting here ("99+").
pub const COUNT_CAP: u64 = 99;
/// The window of the per-user and per-organization request caps.
const RATE_WINDOW_MS: i64 = 60 * 60 * 1000;

/// A request as the pages and the API show it.
#[derive(Debug, Clone)]
pub struct AccessRequestView {
    /// Its id.
    pub id: AccessRequestId,
    /// The organization asked.
    pub org_id: OrgId,
    /// The requester.
    pub user_id: UserId,
    /// The requester's name when asking.
    pub name: String,
    /// The requester's address when asking.
    pub email: String,
    /// Their message ("" for none).
    pub message: String,
    /// How they came: `join_link` or `email_domain`.
    pub via: String,
    /// Where it stands now.
    pub state: RequestState,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it expires (or expired) undecided.
    pub expires_at: Timestamp,
    /// Who decided it (an email, `cli`), for approved and denied ones.
    pub decided_by: Option<String>,
    /// When it was decided, withdrawn or expired.
    pub decided_at: Option<Timestamp>,
    /// A denial's reason.
    pub reason: Option<String>,
    /// An approval's roles (names).
    pub roles: Vec<String>,
    /// An approval's products (names).
    pub products: Vec<String>,
}

fn view_of(r: AccessRequestRecord, now: Timestamp) -> AccessRequestView {
    let state = RequestState::of(r.status, r.expires_at, now);
    let names = |j: &Option<String>| -> Vec<String> {
        j.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default()
    };
    let decided = matches!(state, RequestState::Approved | RequestState::Denied);
    AccessRequestView {
        id: r.id,
        org_id: r.org_id,
        user_id: r.user_id,
        name: r.name,
        email: r.email,
        message: r.message,
        via: r.via,
        created_at: r.created_at,
        expires_at: r.expires_at,
        decided_by: if decided { r.decided_by_label } else { None },
        decided_at: match state {
            RequestState::Expired => Some(r.decided_at.unwrap_or(r.expires_at)),
            _ => r.decided_at,
        },
        reason: r.reason,
        roles: names(&r.roles_json),
        products: names(&r.products_json),
        state,
    }
}

/// Whether the actor may see the Access Requests tab.
pub fn may_list(access: &OrgAccess) -> bool {
    access.can(Permission::ACCESS_REQUESTS_READ)
}

/// Whether the actor may approve and deny.
pub fn may_decide(access: &OrgAccess) -> bool {
    access.can(Permission::ACCESS_REQUESTS_UPDATE)
}

/// Whether the actor may see the join link and email domains.
pub fn may_read_settings(access: &OrgAccess) -> bool {
    access.can(Permission::ORG_SETTINGS_READ)
}

/// Whether the actor may change the join link and email domains.
pub fn may_update_settings(access: &OrgAccess) -> bool {
    access.can(Permission::ORG_SETTINGS_UPDATE)
}

/// The roles the approve form offers: every role of the organization, the
/// preset's default role ticked to begin with, and each role the approver
/// cannot give (it grants more than they hold) with the reason. Needs
/// `access_requests:update`.
pub fn approval_roles(access: &OrgAccess) -> Result<Vec<crate::invitations::RoleOffer>> {
    access.require(Permission::ACCESS_REQUESTS_UPDATE)?;
    let default = roster_domain::permissions::preset(&access.org.preset).map(|p| p.default_role);
    Ok(access
        .policy
        .roles
        .iter()
        .map(|r| {
            let refusal = access.lacks(&r.grants).map(|lack| format!("Grants more than you hold ({lack})."));
            crate::invitations::RoleOffer {
                default: refusal.is_none() && default.as_deref() == Some(r.key.as_str()),
                role: r.clone(),
                refusal,
            }
        })
        .collect())
}

/// The tab's two lists.
#[derive(Debug, Clone)]
pub struct AccessRequestList {
    /// Pending requests, oldest first (at most [`PENDING_LIMIT`]).
    pub pending: Vec<AccessRequestView>,
    /// How many are pending in all (stopped at [`COUNT_CAP`] + 1).
    pub pending_count: u64,
    /// The most recently processed, newest first.
    pub recent: Vec<AccessRequestView>,
}

/// The Access Requests tab: pending and recently processed. Needs `access_requests:read`.
pub async fn list(app: &App, access: &OrgAccess) -> Result<AccessRequestList> {
    access.require(Permission::ACCESS_REQUESTS_READ)?;
    let now = app.clock.now();
    let mut conn = app.db.conn().await?;
    let org = access.org.id;
    let pending: Vec<AccessRequestView> =
        store::list_pending(&mut conn, org, now, PENDING_LIMIT).await?.into_iter().map(|r| view_of(r, now)).collect();
    // Capped like the badge's count ([`pending_count`]), however many the list holds.
    let pending_count = if (pending.len() as u64) < PENDING_LIMIT {
        (pending.len() as u64).min(COUNT_CAP + 1)
    } else {
        store::count_pending(&mut conn, org, now, COUNT_CAP).await?
    };
    let recent =
        store::list_recent(&mut conn, org, now, RECENT_LIMIT).await?.into_iter().map(|r| view_of(r, now)).collect();
    Ok(AccessRequestList { pending, pending_count, recent })
}

/// How many requests wait for a decision (the tab's badge), stopped at
/// [`COUNT_CAP`] + 1; 0 for an actor who may not see them.
pub async fn pending_count(app: &App, access: &OrgAccess) -> Result<u64> {
    if !may_list(access) {
        return Ok(0);
    }
    Ok(store::count_pending(&mut app.db.conn().await?, access.org.id, app.clock.now(), COUNT_CAP).await?)
}

/// One request of the organization. Needs `access_requests:read`.
pub async fn get(app: &App, access: &OrgAccess, id: AccessRequestId) -> Result<AccessRequestView> {
    access.require(Permission::ACCESS_REQUESTS_READ)?;
    let r =
        store::find(&mut app.db.conn().await?, access.org.id, id).await?.ok_or(AppError::NotFound("access request"))?;
    Ok(view_of(r, app.clock.now()))
}

/// What an approver chooses.
#[derive(Debug, Clone, Default)]
pub struct Approval {
    /// Roles to give (ids or keys); `None` gives the preset's default role.
    pub roles: Option<Vec<String>>,
    /// Products whose licenses to assign (keys; needs `licenses:update` and free seats).
    pub products: Vec<String>,
}

/// The roles an approval gives, checked: each exists, and the approver holds
/// every grant of each (no escalation).
fn chosen_roles(access: &OrgAccess, wanted: &Option<Vec<String>>) -> Result<Vec<RoleRecord>> {
    let chosen = match wanted {
        None => access.policy.default_role(&access.org.preset).cloned().into_iter().collect(),
        Some(wanted) => access.policy.pick_roles(wanted)?,
    };
    for r in &chosen {
        within_own_grants(access, &r.grants, &format!("giving '{}'", r.name))?;
    }
    Ok(access.policy.roles.iter().filter(|r| chosen.iter().any(|c| c.id == r.id)).cloned().collect())
}

/// A request decided already, withdrawn or expired.
fn closed(state: RequestState) -> AppError {
    AppError::conflict(
        ConflictKind::RequestClosed,
        match state {
            RequestState::Approved => "this request was approved already".to_string(),
            RequestState::Denied => "this request was denied already".to_string(),
            RequestState::Withdrawn => "the requester withdrew this request".to_string(),
            RequestState::Expired => "this request expired without a decision".to_string(),
            RequestState::Pending => "this request was decided meanwhile".to_string(),
        },
    )
}

/// Reads a pending request inside a change, or refuses: 404 when unknown,
/// 409 `request-closed` when it is not pending any more.
async fn pending_in(change: &mut Change<'_>, id: AccessRequestId) -> Result<AccessRequestRecord> {
    let r = store::find(&mut change.tx, change.access.org.id, id).await?.ok_or(AppError::NotFound("access request"))?;
    match RequestState::of(r.status, r.expires_at, change.now) {
        RequestState::Pending => Ok(r),
        other => Err(closed(other)),
    }
}

/// Approves a pending request: the requester becomes an active member at
/// once with the roles chosen (the preset's default role when none are
/// named) and the products' licenses, and is told by email. Needs
/// `access_requests:update` (and `licenses:update` for products); no
/// escalation; seats must suffice. A request decided meanwhile answers 409
/// `request-closed`.
pub async fn approve(
    app: &App,
    access: &OrgAccess,
    id: AccessRequestId,
    input: &Approval,
    meta: &RequestMeta,
) -> Result<AccessRequestView> {
    access.require(Permission::ACCESS_REQUESTS_UPDATE)?;
    chosen_roles(access, &input.roles)?;
    let products = crate::products::check_products(app, "products", &input.products)?;
    if !products.is_empty() {
        access.require(Permission::LICENSES_UPDATE)?;
    }
    let mut change = change::begin(app, access, Permission::ACCESS_REQUESTS_UPDATE, meta).await?;
    let roles_given = chosen_roles(&change.access, &input.roles)?;
    let r = pending_in(&mut change, id).await?;
    let (org, now) = (change.access.org.id, change.now);
    if let Some(status) = members::member_status(&mut change.tx, org, r.user_id).await? {
        return Err(AppError::conflict(
            ConflictKind::AlreadyMember,
            format!(
                "{} became a member of {} meanwhile ({status}); deny or leave this request",
                r.email, change.access.org.name
            ),
        ));
    }
    let user = users::find_user(&mut change.tx, r.user_id).await?.ok_or(AppError::NotFound("access request"))?;
    members::insert_members(
        &mut change.tx,
        &[NewMember {
            org_id: org,
            user_id: user.id,
            email: user.email.clone(),
            name: user.name.clone(),
            status: MemberStatus::Active,
            created_at: now,
            last_active_at: None,
        }],
    )
    .await?;
    for role in &roles_given {
        roles::add_role(&mut change.tx, org, role.id, &[user.id]).await?;
        let access = change.access.clone();
        crate::partners::scopes::follow_given(&mut change.tx, &access, role.id, &[user.id]).await?;
    }
    if !roles_given.is_empty() {
        orgs::bump_authz_version(&mut change.tx, org).await?;
    }
    let role_names: Vec<String> = roles_given.iter().map(|r| r.name.clone()).collect();
    let product_names: Vec<String> = products
        .iter()
        .map(|k| app.config.catalogue.get(k.as_str()).map(|p| p.name.clone()).unwrap_or_else(|| k.to_string()))
        .collect();
    let by_label = change.access.actor.label();
    let decided = store::decide(
        &mut change.tx,
        org,
        id,
        &Decision {
            status: RequestStatus::Approved,
            by: change.access.actor.user_id(),
            by_label: &by_label,
            reason: None,
            roles_json: Some(serde_json::Value::from(role_names.clone()).to_string()),
            products_json: Some(serde_json::Value::from(product_names.clone()).to_string()),
            now,
        },
    )
    .await?;
    if !decided {
        return Err(closed(RequestState::Pending));
    }
    change.record(
        AuditEntry::new(AuditAction::AccessRequestApproved, user.id)
            .after(serde_json::json!({"status": MemberStatus::Active}))
            .with("request", id.to_string())
            .with("email", user.email.clone())
            .with("roles", role_names.clone())
            .with("products", product_names.clone()),
    );
    if !products.is_empty() {
        crate::products::apply_member_products(app, &mut change, user.id, &products).await?;
    }
    let email = Email::parse(&user.email)?;
    let letter = approved_letter(app, &change.access.org, &user.name, &role_names);
    crate::outbox::enqueue(&mut change.tx, Some(org), MailKind::AccessApproved, &email, &letter, false, now).await?;
    let record = store::find(&mut change.tx, org, id).await?.ok_or(AppError::NotFound("access request"))?;
    change.commit().await?;
    Ok(view_of(record, now))
}

/// Denies a pending request, with an optional reason that the requester is
/// told by email. Needs `access_requests:update`. A request decided
/// meanwhile answers 409 `request-closed`.
pub async fn deny(
    app: &App,
    access: &OrgAccess,
    id: AccessRequestId,
    reason: &str,
    meta: &RequestMeta,
) -> Result<AccessRequestView> {
    access.require(Permission::ACCESS_REQUESTS_UPDATE)?;
    let reason = parse_reason("reason", reason)?;
    let mut change = change::begin(app, access, Permission::ACCESS_REQUESTS_UPDATE, meta).await?;
    let r = pending_in(&mut change, id).await?;
    let (org, now) = (change.access.org.id, change.now);
    let by_label = change.access.actor.label();
    let decided = store::decide(
        &mut change.tx,
        org,
        id,
        &Decision {
            status: RequestStatus::Denied,
            by: change.access.actor.user_id(),
            by_label: &by_label,
            reason: Some(reason.as_str()).filter(|r| !r.is_empty()),
            roles_json: None,
            products_json: None,
            now,
        },
    )
    .await?;
    if !decided {
        return Err(closed(RequestState::Pending));
    }
    change.record(
        AuditEntry::new(AuditAction::AccessRequestDenied, r.user_id)
            .with("request", id.to_string())
            .with("email", r.email.clone())
            .with("reason", reason.clone()),
    );
    let email = Email::parse(&r.email)?;
    let letter = denied_letter(app, &change.access.org, &r.name, &reason);
    crate::outbox::enqueue(&mut change.tx, Some(org), MailKind::AccessDenied, &email, &letter, false, now).await?;
    let record = store::find(&mut change.tx, org, id).await?.ok_or(AppError::NotFound("access request"))?;
    change.commit().await?;
    Ok(view_of(record, now))
}

fn approved_letter(app: &App, org: &OrgRecord, name: &str, roles: &[String]) -> Letter {
    let mut paragraphs =
        vec![format!("Your request to join {} on Roster was approved. You are a member now.", org.name)];
    if !roles.is_empty() {
        paragraphs.push(format!("Your role: {}.", roles.join(", ")));
    }
    Letter {
        subject: format!("You joined {} on Roster", org.name),
        greeting: format!("Hello {name},"),
        paragraphs,
        action: Some((format!("Open {}", org.name), app.config.link(&format!("/orgs/{}", org.slug)))),
        footer: vec!["You receive this email because you asked to join this organization.".into()],
    }
}

fn denied_letter(app: &App, org: &OrgRecord, name: &str, reason: &str) -> Letter {
    let mut paragraphs = vec![format!("Your request to join {} on Roster was declined.", org.name)];
    if !reason.is_empty() {
        paragraphs.push(format!("The reason given: {reason}"));
    }
    paragraphs.push(format!(
        "You may ask again after {}, or ask an administrator of {} for an invitation.",
        crate::invitations::duration_words(app.config.access_request_cooldown_ms),
        org.name
    ));
    Letter {
        subject: format!("Your request to join {} on Roster", org.name),
        greeting: format!("Hello {name},"),
        paragraphs,
        action: None,
        footer: vec!["You receive this email because you asked to join this organization.".into()],
    }
}

// ---------------------------------------------------------------------------
// The requester's side.

/// How a requester may reach an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The join link (with its current code, while it is on).
    JoinLink,
    /// A confirmed address in one of the organization's email domains.
    EmailDomain,
}

impl Via {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Via::JoinLink => "join_link",
            Via::EmailDomain => "email_domain",
        }
    }
}

/// Finds an organization that accepts a request from this user: by the
/// join link's code, or by the user's confirmed email domain. Anything else
/// is 404, the same as an organization that does not exist.
async fn reachable(
    r: &mut impl Reader,
    org: &str,
    user: &roster_store::users::UserRecord,
    code: Option<&str>,
) -> Result<(OrgRecord, Via)> {
    let not_found = AppError::NotFound("organization");
    let org = orgs::find_org(r, org).await?.ok_or(not_found)?;
    let settings = org_settings::get(r, org.id).await?;
    if let (Some(code), Some(current)) = (code.filter(|c| is_join_code(c)), settings.join_code.as_deref())
        && settings.join_link_enabled
        && bool::from(code.as_bytes().ct_eq(current.as_bytes()))
    {
        return Ok((org, Via::JoinLink));
    }
    if user.email_confirmed
        && let Ok(email) = Email::parse(&user.email)
        && settings.email_domains.iter().any(|d| d == EmailDomain::of(&email).as_str())
    {
        return Ok((org, Via::EmailDomain));
    }
    Err(AppError::NotFound("organization"))
}

/// Where the signed-in user stands with an organization they may ask to join.
#[derive(Debug, Clone)]
pub enum Standing {
    /// They may ask.
    CanAsk,
    /// They are a member already (this status).
    Member(MemberStatus),
    /// They are invited already.
    Invited,
    /// They asked already; the request waits.
    Pending(Box<AccessRequestView>),
    /// They were denied and may ask again from this moment.
    CoolingDown(Timestamp),
}

/// What the join page shows.
#[derive(Debug, Clone)]
pub struct JoinPage {
    /// The organization's slug.
    pub slug: String,
    /// The organization's name.
    pub org_name: String,
    /// How the user reaches it.
    pub via: Via,
    /// Where they stand.
    pub standing: Standing,
}

async fn standing(app: &App, r: &mut impl Reader, org: OrgId, user: UserId, now: Timestamp) -> Result<Standing> {
    match members::member_status(r, org, user).await? {
        Some(MemberStatus::Invited) => return Ok(Standing::Invited),
        Some(s) => return Ok(Standing::Member(s)),
        None => {}
    }
    if let Some(p) = store::pending_of(r, org, user).await?
        && RequestState::of(p.status, p.expires_at, now) == RequestState::Pending
    {
        return Ok(Standing::Pending(Box::new(view_of(p, now))));
    }
    if let Some(denied) = store::last_denied(r, org, user).await? {
        let again = denied.plus_millis(app.config.access_request_cooldown_ms);
        if now.0 < again.0 {
            return Ok(Standing::CoolingDown(again));
        }
    }
    Ok(Standing::CanAsk)
}

/// The join page (`/join/{slug}`): the organization and where the user
/// stands with it. 404 unless the organization accepts a request from them.
pub async fn join_page(app: &App, principal: &Principal, org: &str, code: Option<&str>) -> Result<JoinPage> {
    let mut conn = app.db.conn().await?;
    let user = users::find_user(&mut conn, principal.user_id).await?.ok_or(AppError::Unauthenticated)?;
    let (org, via) = reachable(&mut conn, org, &user, code).await?;
    let standing = standing(app, &mut conn, org.id, user.id, app.clock.now()).await?;
    Ok(JoinPage { slug: org.slug, org_name: org.name, via, standing })
}

/// The refusal for a standing that cannot ask.
fn refusal(standing: &Standing, org: &OrgRecord) -> Option<AppError> {
    let name = &org.name;
    match standing {
        Standing::CanAsk => None,
        Standing::Member(MemberStatus::Archived) => Some(AppError::conflict(
            ConflictKind::AlreadyMember,
            format!("you were a member of {name}; ask one of its administrators to restore your account"),
        )),
        Standing::Member(s) => {
            Some(AppError::conflict(ConflictKind::AlreadyMember, format!("you are a member of {name} already ({s})")))
        }
        Standing::Invited => Some(AppError::conflict(
            ConflictKind::AlreadyInvited,
            format!("you are invited to {name} already; accept the invitation from your email"),
        )),
        Standing::Pending(p) => Some(AppError::conflict(
            ConflictKind::RequestPending,
            format!(
                "you asked to join {name} already on {}; wait for a decision, or withdraw that request first",
                roster_domain::audit_text::date(p.created_at.0)
            ),
        )),
        Standing::CoolingDown(at) => Some(AppError::conflict(
            ConflictKind::RequestCooldown,
            format!(
                "your last request to join {name} was denied; you may ask again from {}",
                roster_domain::audit_text::date_time(at.0)
            ),
        )),
    }
}

/// Counts one request against the per-user and per-organization caps, or
/// refuses with 429 and the seconds to wait.
async fn reserve(app: &App, user: UserId, org: OrgId, now: Timestamp) -> Result<()> {
    let mut conn = app.db.conn().await?;
    for (key, limit) in [
        (
            AttemptKey { kind: AttemptKind::AccessRequestUser, key: user.to_string() },
            app.config.access_requests_per_user_hour,
        ),
        (
            AttemptKey { kind: AttemptKind::AccessRequestOrg, key: org.to_string() },
            app.config.access_requests_per_org_hour,
        ),
    ] {
        if throttle::reserve_attempt(&mut conn, &key, limit, now, RATE_WINDOW_MS).await?.is_none() {
            let start = throttle::window_start(&mut conn, &key).await?.unwrap_or(now.0);
            return Err(AppError::RateLimited {
                what: "access requests",
                retry_after_s: ((start + RATE_WINDOW_MS - now.0).max(1_000) + 999) / 1000,
            });
        }
    }
    Ok(())
}

/// The event of a change the requester makes in an organization they do not
/// belong to: the requester is the actor.
fn requester_event(
    principal: &Principal,
    org: OrgId,
    meta: &RequestMeta,
    now: Timestamp,
    entry: AuditEntry,
) -> roster_domain::audit::NewAuditEvent {
    let mut e = change::audit_event(&Actor::User(principal.clone()), org, meta, now, entry);
    e.actor_type = ActorType::User;
    e
}

/// Asks to join an organization (by slug or id), with a message. 404 unless
/// it accepts a request from the user (join link code, or email domain);
/// 409 for a member, someone invited, a pending request
/// (`request-pending`) or a cool-down (`request-cooldown`); 429 past the
/// rate limits.
pub async fn create(
    app: &App,
    principal: &Principal,
    org: &str,
    code: Option<&str>,
    message: &str,
    meta: &RequestMeta,
) -> Result<AccessRequestView> {
    let message = parse_message("message", message)?;
    let user =
        users::find_user(&mut app.db.conn().await?, principal.user_id).await?.ok_or(AppError::Unauthenticated)?;
    let (org, via) = reachable(&mut app.db.conn().await?, org, &user, code).await?;
    let now = app.clock.now();
    {
        let mut conn = app.db.conn().await?;
        if let Some(e) = refusal(&standing(app, &mut conn, org.id, user.id, now).await?, &org) {
            return Err(e);
        }
    }
    reserve(app, user.id, org.id, now).await?;
    let mut tx = app.db.begin().await?;
    let org = orgs::lock_org(&mut tx, org.id).await?.ok_or(AppError::NotFound("organization"))?;
    let mut events = Vec::new();
    // A pending request past its expiry is recorded as expired first, so
    // that the new one can take its place.
    if let Some(old) = store::pending_of(&mut tx, org.id, user.id).await?
        && store::mark_expired(&mut tx, org.id, old.id, now).await?
    {
        events.push(change::audit_event(&Actor::System, org.id, meta, now, expired_entry(&old)));
    }
    // Decided again under the lock: a concurrent request or decision may have come first.
    if let Some(e) = refusal(&standing(app, &mut tx, org.id, user.id, now).await?, &org) {
        return Err(e);
    }
    let id = AccessRequestId::new();
    let new = NewAccessRequest {
        id,
        org_id: org.id,
        user_id: user.id,
        email: user.email.clone(),
        name: user.name.clone(),
        message: message.clone(),
        via: via.as_str().into(),
        created_at: now,
        expires_at: now.plus_millis(app.config.access_request_ttl_ms),
    };
    if let Err(e) = store::insert(&mut tx, &new).await {
        if e.is_unique_violation() {
            return Err(AppError::conflict(
                ConflictKind::RequestPending,
                format!("you asked to join {} already; wait for a decision", org.name),
            ));
        }
        return Err(e.into());
    }
    events.push(requester_event(
        principal,
        org.id,
        meta,
        now,
        AuditEntry::new(AuditAction::AccessRequestCreated, user.id)
            .with("request", id.to_string())
            .with("email", user.email.clone())
            .with("message", message)
            .with("via", via.as_str()),
    ));
    roster_store::audit::append(&mut tx, &events).await?;
    let record = store::find(&mut tx, org.id, id).await?.ok_or(AppError::NotFound("access request"))?;
    tx.commit().await?;
    Ok(view_of(record, now))
}

fn expired_entry(r: &AccessRequestRecord) -> AuditEntry {
    AuditEntry::new(AuditAction::AccessRequestExpired, r.user_id)
        .with("request", r.id.to_string())
        .with("email", r.email.clone())
        .with("expired_at", r.expires_at.0)
}

/// A request of the signed-in user's, with the organization's name.
#[derive(Debug, Clone)]
pub struct MyRequest {
    /// The request.
    pub request: AccessRequestView,
    /// The organization's slug.
    pub org_slug: String,
    /// The organization's name.
    pub org_name: String,
}

/// The signed-in user's own requests, newest first (the last 50).
pub async fn mine(app: &App, principal: &Principal) -> Result<Vec<MyRequest>> {
    let now = app.clock.now();
    let mut conn = app.db.conn().await?;
    let mut out = Vec::new();
    for r in store::of_user(&mut conn, principal.user_id, 50).await? {
        let Some(org) = orgs::find_org(&mut conn, &r.org_id.to_string()).await? else { continue };
        out.push(MyRequest { request: view_of(r, now), org_slug: org.slug, org_name: org.name });
    }
    Ok(out)
}

/// Withdraws one of the signed-in user's own pending requests. Another
/// user's request, or an unknown one, is 404; one decided already 409.
pub async fn withdraw(app: &App, principal: &Principal, id: AccessRequestId, meta: &RequestMeta) -> Result<MyRequest> {
    let now = app.clock.now();
    let r = store::find_of_user(&mut app.db.conn().await?, principal.user_id, id)
        .await?
        .ok_or(AppError::NotFound("access request"))?;
    let mut tx = app.db.begin().await?;
    let org = orgs::lock_org(&mut tx, r.org_id).await?.ok_or(AppError::NotFound("access request"))?;
    let state = RequestState::of(r.status, r.expires_at, now);
    if state != RequestState::Pending || !store::withdraw(&mut tx, org.id, id, principal.user_id, now).await? {
        return Err(closed(state));
    }
    let event = requester_event(
        principal,
        org.id,
        meta,
        now,
        AuditEntry::new(AuditAction::AccessRequestWithdrawn, r.user_id)
            .with("request", id.to_string())
            .with("email", r.email.clone()),
    );
    roster_store::audit::append(&mut tx, &[event]).await?;
    let record = store::find(&mut tx, org.id, id).await?.ok_or(AppError::NotFound("access request"))?;
    tx.commit().await?;
    Ok(MyRequest { request: view_of(record, now), org_slug: org.slug, org_name: org.name })
}

/// An organization offered to the signed-in user by their email domain.
#[derive(Debug, Clone)]
pub struct JoinSuggestion {
    /// Its slug.
    pub slug: String,
    /// Its name.
    pub name: String,
}

/// "Join your team": the organizations that declare the signed-in user's
/// confirmed email domain, that they are not a member of, not invited to,
/// and have no pending request to (a denied one still cooling down is left
/// out too).
pub async fn suggestions(app: &App, principal: &Principal) -> Result<Vec<JoinSuggestion>> {
    let now = app.clock.now();
    let mut conn = app.db.conn().await?;
    let Some(user) = users::find_user(&mut conn, principal.user_id).await? else { return Ok(vec![]) };
    let Ok(email) = Email::parse(&user.email) else { return Ok(vec![]) };
    if !user.email_confirmed {
        return Ok(vec![]);
    }
    let mut out = Vec::new();
    for org in org_settings::orgs_with_domain(&mut conn, EmailDomain::of(&email).as_str()).await? {
        if !matches!(standing(app, &mut conn, org, user.id, now).await?, Standing::CanAsk) {
            continue;
        }
        if let Some(o) = orgs::find_org(&mut conn, &org.to_string()).await? {
            out.push(JoinSuggestion { slug: o.slug, name: o.name });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Records the expiry of pending requests past their end, in every
/// organization (`access_request.expired`, once each); answers how many.
/// Run by `roster access-request sweep` and every minute by the server's
/// sweeper.
pub async fn sweep_expired(app: &App) -> Result<u64> {
    let mut n = 0;
    loop {
        let now = app.clock.now();
        let due = store::due_expired(&mut app.db.conn().await?, now, 100).await?;
        if due.is_empty() {
            return Ok(n);
        }
        for (org, id) in due {
            let mut tx = app.db.begin().await?;
            orgs::lock_org(&mut tx, org).await?;
            let Some(r) = store::find(&mut tx, org, id).await? else { continue };
            if store::mark_expired(&mut tx, org, id, now).await? {
                let event = change::audit_event(&Actor::System, org, &RequestMeta::default(), now, expired_entry(&r));
                roster_store::audit::append(&mut tx, &[event]).await?;
                tx.commit().await?;
                n += 1;
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The organization's settings for requests.

/// An organization's join link and email domains as the settings show them.
#[derive(Debug, Clone)]
pub struct OrgSettingsView {
    /// Whether the join link works.
    pub join_link_enabled: bool,
    /// The join link (absolute), when it is on.
    pub join_link: Option<String>,
    /// The declared email domains.
    pub email_domains: Vec<String>,
}

fn settings_view(app: &App, org: &OrgRecord, s: &org_settings::OrgSettingsRecord) -> OrgSettingsView {
    OrgSettingsView {
        join_link_enabled: s.join_link_enabled,
        join_link: match (&s.join_code, s.join_link_enabled) {
            (Some(code), true) => Some(app.config.link(&format!("/join/{}?code={code}", org.slug))),
            _ => None,
        },
        email_domains: s.email_domains.clone(),
    }
}

/// The organization's settings. Needs `org_settings:read`.
pub async fn settings(app: &App, access: &OrgAccess) -> Result<OrgSettingsView> {
    access.require(Permission::ORG_SETTINGS_READ)?;
    let s = org_settings::get(&mut app.db.conn().await?, access.org.id).await?;
    Ok(settings_view(app, &access.org, &s))
}

/// A change to the settings; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct SettingsChange {
    /// Turn the join link on or off.
    pub join_link_enabled: Option<bool>,
    /// Replace the declared email domains.
    pub email_domains: Option<Vec<String>>,
    /// Make a new join link (the old one stops working).
    pub regenerate_join_link: bool,
}

/// Changes the settings. Needs `org_settings:update`. Turning the link on
/// the first time makes its code; regenerating replaces it.
pub async fn update_settings(
    app: &App,
    access: &OrgAccess,
    input: &SettingsChange,
    meta: &RequestMeta,
) -> Result<OrgSettingsView> {
    access.require(Permission::ORG_SETTINGS_UPDATE)?;
    let domains = match &input.email_domains {
        Some(d) => {
            Some(parse_domains("email_domains", d)?.into_iter().map(|d| d.as_str().to_string()).collect::<Vec<_>>())
        }
        None => None,
    };
    let mut change = change::begin(app, access, Permission::ORG_SETTINGS_UPDATE, meta).await?;
    let org = change.access.org.id;
    let before = org_settings::get(&mut change.tx, org).await?;
    let enabled = input.join_link_enabled.unwrap_or(before.join_link_enabled);
    let mut code = before.join_code.clone();
    let regenerated = input.regenerate_join_link || (enabled && code.is_none());
    if regenerated {
        code = Some(tokens::new_secret()[..32].to_string());
    }
    if enabled != before.join_link_enabled || code != before.join_code {
        org_settings::set_join_link(&mut change.tx, org, enabled, code.as_deref(), change.now).await?;
    }
    let after_domains = domains.unwrap_or_else(|| before.email_domains.clone());
    if after_domains != before.email_domains {
        org_settings::set_domains(&mut change.tx, org, &after_domains).await?;
    }
    let mut b = serde_json::Map::new();
    let mut a = serde_json::Map::new();
    if enabled != before.join_link_enabled {
        b.insert("join_link_enabled".into(), before.join_link_enabled.into());
        a.insert("join_link_enabled".into(), enabled.into());
    }
    if after_domains != before.email_domains {
        b.insert("email_domains".into(), before.email_domains.clone().into());
        a.insert("email_domains".into(), after_domains.clone().into());
    }
    if !a.is_empty() || regenerated && input.regenerate_join_link {
        change.record(
            AuditEntry::new(AuditAction::OrganizationSettingsChanged, org)
                .before(serde_json::Value::Object(b))
                .after(serde_json::Value::Object(a))
                .with("join_link_regenerated", input.regenerate_join_link),
        );
    }
    let after = org_settings::get(&mut change.tx, org).await?;
    let view = settings_view(app, &change.access.org, &after);
    change.commit().await?;
    Ok(view)
}
