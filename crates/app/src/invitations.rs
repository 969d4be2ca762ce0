//! Invitations: inviting people by email (one or a batch), listing, sending
//! again, canceling, and accepting through the emailed link.
//!
//! Inviting creates the user when the address is unknown (no password, email
//! not confirmed) and a membership with status `invited` that already holds
//! the invited roles and own grants, so that the Users list shows the person
//! as Invited with their roles. Invited members are never counted as
//! administrators (the last-administrator rule reads active members only).
//! Accepting activates the membership and confirms the email; canceling
//! removes the invited membership (the invitation stays, as history).
//!
//! The link's token is 32 random bytes ([`tokens::new_secret`]) behind the
//! organization's id ([`roster_domain::invitations::format_token`]); only
//! the secret's SHA-256 is stored. It works once, until its expiry
//! ([`Config::invitation_ttl_ms`](crate::Config::invitation_ttl_ms)), and
//! dies when the invitation is sent again or canceled. Every refusal of a
//! link (unknown, used, expired, canceled, malformed) is the same
//! [`AppError::InvalidToken`], so a link reveals nothing about others.
//!
//! Audit: `invitation.sent`, `.resent`, `.canceled`, `.accepted`, and
//! `invitation.expired`, which is recorded once per expiry: when an expired
//! invitation is sent again or canceled (just before that event), or by
//! [`sweep_expired`] (`roster invitation sweep`), whichever comes first.

use std::collections::{BTreeMap, HashSet};

use roster_domain::audit::{AuditAction, AuditEntry, NewAuditEvent};
use roster_domain::invitations::{
    InvitationCursor, InvitationSort, InvitationState, display_name, format_token, parse_names, parse_token,
};
use roster_domain::members::Member;
use roster_domain::orgs::parse_display_name;
use roster_domain::permissions::Grants;
use roster_domain::{Email, InvitationId, MemberStatus, SortOrder, Timestamp, UserId, ValidationError};
use roster_store::invitations::{self as store, InvitationRecord, NewInvitation};
use roster_store::members::NewMember;
use roster_store::orgs::OrgRecord;
use roster_store::users::UserRecord;
use roster_store::{Reader, members, orgs, roles, users};

use crate::access::{OrgAccess, Permission};
use crate::auth::NewSessionToken;
use crate::change::{self, Change};
use crate::error::Result;
use crate::invariants::{may_change_member, within_own_grants};
use crate::mail::{Letter, MailKind};
use crate::members::RoleRef;
use crate::roles::{GrantsInput, RoleRecord, parse_grants};
use crate::{Actor, App, AppError, ConflictKind, Principal, RequestMeta, tokens};

/// At most this many invitations in one batch.
pub const BATCH_MAX: usize = 100;

/// One person to invite.
#[derive(Debug, Clone, Default)]
pub struct InvitationInput {
    /// Their email address (their sign-in name).
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name (may be empty).
    pub last_name: String,
    /// Roles to give (ids or keys); `None` gives the preset's default role.
    pub roles: Option<Vec<String>>,
    /// Own grants beside the roles (seed 002's "Custom"); `None` or empty: none.
    pub grants: Option<GrantsInput>,
    /// Whether to email the link (otherwise it is answered to the inviter).
    pub send_email: bool,
    /// Products whose licenses the invited member holds from the start
    /// (keys; needs `licenses:update`, and free seats).
    pub products: Vec<String>,
}

/// An invitation as the pages and the API show it.
#[derive(Debug, Clone)]
pub struct InvitationView {
    /// Its id.
    pub id: InvitationId,
    /// The invited user.
    pub user_id: UserId,
    /// The address.
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name ("" for none).
    pub last_name: String,
    /// Where it stands now.
    pub state: InvitationState,
    /// The roles offered (those still existing), in display order.
    pub roles: Vec<RoleRef>,
    /// The own grants offered.
    pub grants: Grants,
    /// Who invited (an email, or `cli`).
    pub invited_by: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it was last sent.
    pub sent_at: Timestamp,
    /// When its link stops (or stopped) working.
    pub expires_at: Timestamp,
    /// How many times it was sent again.
    pub resend_count: i64,
    /// When it was accepted.
    pub accepted_at: Option<Timestamp>,
    /// When it was canceled.
    pub canceled_at: Option<Timestamp>,
    /// Who canceled it.
    pub canceled_by: Option<String>,
}

/// A new invitation, with its link when no email carries it.
#[derive(Debug, Clone)]
pub struct Invited {
    /// The invitation.
    pub invitation: InvitationView,
    /// The accept link, answered only when no email was sent (the inviter
    /// hands it on); `None` when the email carries it.
    pub accept_url: Option<String>,
}

/// What an input turned into once checked against the organization.
struct Checked {
    email: Email,
    first_name: String,
    last_name: String,
    roles: Vec<RoleRecord>,
    grants: Grants,
}

/// Checks one input: the address, the names, the roles and the own grants
/// (each bad field named, all of them at once), then no escalation: every
/// role given and every own grant must be held by the inviter.
fn check_input(access: &OrgAccess, input: &InvitationInput) -> Result<Checked> {
    let mut errors = ValidationError { errors: vec![] };
    let email = Email::parse(&input.email).map_err(|e| errors.merge(e)).ok();
    let names = parse_names(&input.first_name, &input.last_name).map_err(|e| errors.merge(e)).ok();
    let chosen: Vec<RoleRecord> = match &input.roles {
        None => access.policy.default_role(&access.org.preset).cloned().into_iter().collect(),
        Some(wanted) => access.policy.pick_roles(wanted).map_err(|e| errors.merge(e)).unwrap_or_default(),
    };
    let grants = match &input.grants {
        Some(g) => parse_grants("grants", g, &access.policy).map_err(|e| errors.merge(e)).ok().unwrap_or_default(),
        None => Grants::default(),
    };
    if !errors.errors.is_empty() {
        return Err(errors.into());
    }
    for r in &chosen {
        within_own_grants(access, &r.grants, &format!("giving '{}'", r.name))?;
    }
    within_own_grants(access, &grants, "these permissions")?;
    let (Some(email), Some((first_name, last_name))) = (email, names) else {
        return Err(AppError::Internal("checked input lost its parts".into()));
    };
    // Display order, as the pages list roles.
    let roles = access.policy.roles.iter().filter(|r| chosen.iter().any(|c| c.id == r.id)).cloned().collect();
    Ok(Checked { email, first_name, last_name, roles, grants })
}

/// Refuses an address that is a member already (any status) or invited
/// already, with a conflict of its own kind saying what to do instead.
async fn not_a_duplicate(r: &mut impl Reader, access: &OrgAccess, email: &Email) -> Result<()> {
    let org = access.org.id;
    let Some(user) = members::member_id_by_email(r, org, email).await? else { return Ok(()) };
    match members::member_status(r, org, user).await? {
        Some(MemberStatus::Invited) => Err(AppError::conflict(
            ConflictKind::AlreadyInvited,
            format!("{email} is invited to {} already; send the invitation again instead", access.org.name),
        )),
        Some(status) => Err(AppError::conflict(
            ConflictKind::AlreadyMember,
            format!("{email} is a member of {} already ({status})", access.org.name),
        )),
        None => Ok(()),
    }
}

/// Whether the actor may invite people here (the "+ Invite User" button).
pub fn may_invite(access: &OrgAccess) -> bool {
    access.can(Permission::INVITATIONS_CREATE)
}

/// Whether the actor may see invitations here (the Invitations tab).
pub fn may_list(access: &OrgAccess) -> bool {
    access.can(Permission::INVITATIONS_READ)
}

/// Invites one person. Needs `invitations:create`, and no escalation: the
/// inviter must hold every grant of the roles and own grants given. An
/// address that is a member already answers 409 `already-member`, one
/// invited already 409 `already-invited`.
pub async fn invite(app: &App, access: &OrgAccess, input: &InvitationInput, meta: &RequestMeta) -> Result<Invited> {
    access.require(Permission::INVITATIONS_CREATE)?;
    check_input(access, input)?;
    let products = crate::products::check_products(app, "products", &input.products)?;
    if !products.is_empty() {
        access.require(Permission::LICENSES_UPDATE)?;
    }
    let mut change = change::begin(app, access, Permission::INVITATIONS_CREATE, meta).await?;
    // Checked again against the standing re-read under the lock.
    let checked = check_input(&change.access, input)?;
    not_a_duplicate(&mut change.tx, &change.access, &checked.email).await?;
    let (org, now) = (change.access.org.id, change.now);
    let user = match users::find_user_by_email(&mut change.tx, &checked.email).await? {
        Some(u) => u,
        None => {
            let u = UserRecord {
                locked_at: None,
                id: UserId::new(),
                email: checked.email.as_str().to_string(),
                name: display_name(&checked.first_name, &checked.last_name),
                password_hash: None,
                email_confirmed: false,
                created_at: now,
            };
            match users::insert_user(&mut change.tx, &u).await {
                Ok(()) => u,
                Err(e) if e.is_unique_violation() => {
                    return Err(AppError::conflict(
                        ConflictKind::EmailTaken,
                        format!("{} was being invited elsewhere at the same moment; try again", checked.email),
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    members::insert_members(
        &mut change.tx,
        &[NewMember {
            org_id: org,
            user_id: user.id,
            email: user.email.clone(),
            name: user.name.clone(),
            status: MemberStatus::Invited,
            created_at: now,
            last_active_at: None,
        }],
    )
    .await?;
    for r in &checked.roles {
        roles::add_role(&mut change.tx, org, r.id, &[user.id]).await?;
        let access = change.access.clone();
        crate::partners::scopes::follow_given(&mut change.tx, &access, r.id, &[user.id]).await?;
    }
    if !checked.grants.is_empty() {
        roles::set_member_grants(&mut change.tx, org, user.id, &checked.grants).await?;
    }
    if !checked.roles.is_empty() || !checked.grants.is_empty() {
        orgs::bump_authz_version(&mut change.tx, org).await?;
    }
    crate::products::assign_to_invited(app, &mut change, user.id, &products).await?;
    let issued = issue(
        app,
        &mut change,
        &Issue {
            user: user.id,
            email: &checked.email,
            first_name: &checked.first_name,
            last_name: &checked.last_name,
            roles: &checked.roles,
            grants: &checked.grants,
            send_email: input.send_email,
        },
    )
    .await?;
    let (id, expires_at, link) = (issued.id, issued.expires_at, issued.link);
    change.record(
        AuditEntry::new(AuditAction::InvitationSent, user.id)
            .after(serde_json::json!({"email": user.email, "status": MemberStatus::Invited}))
            .with("invitation", id.to_string())
            .with("roles", checked.roles.iter().map(|r| r.name.clone()).collect::<Vec<_>>())
            .with("grants", crate::roles::grants_json(&checked.grants))
            .with("email_sent", input.send_email)
            .with("expires_at", expires_at.0),
    );
    let record = store::find_invitation(&mut change.tx, org, id).await?.ok_or(AppError::NotFound("invitation"))?;
    let view = view_of(&change.access, record, now);
    change.commit().await?;
    Ok(Invited { invitation: view, accept_url: (!input.send_email).then_some(link) })
}

/// What an invitation is issued for (a new invited member, or an imported one).
pub(crate) struct Issue<'a> {
    /// The invited member.
    pub user: UserId,
    /// Their address.
    pub email: &'a Email,
    /// First name.
    pub first_name: &'a str,
    /// Last name.
    pub last_name: &'a str,
    /// The roles offered.
    pub roles: &'a [RoleRecord],
    /// The own grants offered.
    pub grants: &'a Grants,
    /// Whether to email the link.
    pub send_email: bool,
}

/// An invitation issued: its id, its deadline, its accept link.
pub(crate) struct Issued {
    /// Its id.
    pub id: InvitationId,
    /// When its link stops working.
    pub expires_at: Timestamp,
    /// The accept link (emailed when asked).
    pub link: String,
}

/// Issues an invitation inside a change: a new secret (only its hash is
/// stored), the invitation row, and the email through the outbox when
/// asked. The caller records the audit event.
pub(crate) async fn issue(app: &App, change: &mut Change<'_>, i: &Issue<'_>) -> Result<Issued> {
    let mut issued = issue_many(app, change, std::slice::from_ref(i)).await?;
    issued.pop().ok_or_else(|| AppError::Internal("an invitation was not issued".into()))
}

/// [`issue`] for many at once (an import's batch): the rows and the
/// emails are written a few statements per batch, not two per person.
pub(crate) async fn issue_many(app: &App, change: &mut Change<'_>, all: &[Issue<'_>]) -> Result<Vec<Issued>> {
    let (org, now) = (change.access.org.id, change.now);
    let expires_at = now.plus_millis(app.config.invitation_ttl_ms);
    let mut rows = Vec::with_capacity(all.len());
    let mut letters = Vec::new();
    let mut issued = Vec::with_capacity(all.len());
    for i in all {
        let secret = tokens::new_secret();
        let token = format_token(org, &secret);
        let id = InvitationId::new();
        rows.push(NewInvitation {
            id,
            org_id: org,
            user_id: i.user,
            email: i.email.as_str().to_string(),
            first_name: i.first_name.to_string(),
            last_name: i.last_name.to_string(),
            roles_json: roles_json(i.roles),
            grants_json: crate::roles::grants_json(i.grants).to_string(),
            token_hash: tokens::hash_secret(&secret),
            expires_at,
            invited_by: change.access.actor.user_id(),
            invited_by_label: change.access.actor.label(),
            created_at: now,
        });
        let link = app.config.link(&format!("/invite/{token}"));
        if i.send_email {
            let letter = invitation_letter(app, &change.access, i.first_name, i.roles, &link, false);
            letters.push(crate::outbox::message(Some(org), MailKind::Invitation, i.email, &letter, false, now));
        }
        issued.push(Issued { id, expires_at, link });
    }
    store::insert_invitations(&mut change.tx, &rows).await?;
    roster_store::outbox::insert_messages(&mut change.tx, &letters).await?;
    Ok(issued)
}

/// Invites a batch, each row on its own: a refused row (bad input, a
/// duplicate, escalation) answers its error in its place and never undoes
/// or stops the others. At most [`BATCH_MAX`] rows.
pub async fn invite_batch(
    app: &App,
    access: &OrgAccess,
    inputs: &[InvitationInput],
    meta: &RequestMeta,
) -> Result<Vec<Result<Invited>>> {
    access.require(Permission::INVITATIONS_CREATE)?;
    check_batch_size(inputs.len())?;
    let mut out = Vec::with_capacity(inputs.len());
    for input in inputs {
        out.push(invite(app, access, input, meta).await);
    }
    Ok(out)
}

fn check_batch_size(n: usize) -> Result<()> {
    if n == 0 {
        return Err(ValidationError::field("invitations", "name at least one person").into());
    }
    if n > BATCH_MAX {
        return Err(ValidationError::field("invitations", format!("at most {BATCH_MAX} at a time")).into());
    }
    Ok(())
}

/// Checks a batch without inviting anyone: each row's input, whether its
/// address is a member or invited already, whether it repeats an earlier
/// row's, and whether the seats of its products suffice after the earlier
/// rows'. The multi-row form runs this first, so that it can show
/// every row's problem and keep every row as typed before anything is
/// created.
pub async fn check_batch(app: &App, access: &OrgAccess, inputs: &[InvitationInput]) -> Result<Vec<Result<()>>> {
    access.require(Permission::INVITATIONS_CREATE)?;
    check_batch_size(inputs.len())?;
    let mut conn = app.db.conn().await?;
    let mut seen: HashSet<String> = HashSet::new();
    let mut taken: BTreeMap<String, i64> = BTreeMap::new();
    let mut out = Vec::with_capacity(inputs.len());
    for input in inputs {
        let checked = match check_input(access, input) {
            Ok(c) => c,
            Err(e) => {
                out.push(Err(e));
                continue;
            }
        };
        if !seen.insert(checked.email.as_str().to_string()) {
            out.push(Err(ValidationError::field("email", "is in an earlier row already").into()));
            continue;
        }
        let row = match not_a_duplicate(&mut conn, access, &checked.email).await {
            Ok(()) => batch_seats(app, access, &mut conn, &mut taken, &input.products).await,
            Err(e) => Err(e),
        };
        out.push(row);
    }
    Ok(out)
}

/// Checks one row's products against the seats the batch's earlier rows
/// took already (`taken`, per product key): each row is invited in a change
/// of its own, so a row past the last free seat would otherwise be refused
/// only after the rows before it were invited.
async fn batch_seats(
    app: &App,
    access: &OrgAccess,
    conn: &mut roster_store::Conn,
    taken: &mut BTreeMap<String, i64>,
    wanted: &[String],
) -> Result<()> {
    let keys = crate::products::check_products(app, "products", wanted)?;
    if keys.is_empty() {
        return Ok(());
    }
    access.require(Permission::LICENSES_UPDATE)?;
    let subs = roster_store::products::list_subscriptions(conn, access.org.id).await?;
    for (i, k) in keys.iter().enumerate() {
        let name = app.config.catalogue.get(k.as_str()).map(|p| p.name.clone()).unwrap_or_else(|| k.to_string());
        let Some(s) = subs.iter().find(|s| &s.product == k) else {
            return Err(ValidationError::field(
                format!("products[{i}]"),
                format!("the organization does not subscribe to {name}"),
            )
            .into());
        };
        if s.status == roster_domain::products::SubscriptionStatus::Canceled {
            return Err(AppError::conflict(
                ConflictKind::SubscriptionState,
                format!("the subscription to {name} is canceled; reactivate it to assign its licenses"),
            ));
        }
        let before = taken.get(k.as_str()).copied().unwrap_or(0);
        if before + 1 > s.free() {
            return Err(AppError::NoSeats {
                product: k.to_string(),
                name,
                needed: before + 1,
                free: s.free(),
                license_count: s.license_count,
            });
        }
    }
    for k in keys {
        *taken.entry(k.to_string()).or_default() += 1;
    }
    Ok(())
}

/// The role ids given, as stored.
fn roles_json(roles: &[RoleRecord]) -> String {
    serde_json::Value::from(roles.iter().map(|r| r.id.to_string()).collect::<Vec<_>>()).to_string()
}

/// The invitation email.
fn invitation_letter(
    app: &App,
    access: &OrgAccess,
    first_name: &str,
    roles: &[RoleRecord],
    link: &str,
    again: bool,
) -> Letter {
    let org = &access.org.name;
    let inviter = match access.actor.principal() {
        Some(p) => format!("{} ({})", p.name, p.email),
        None => format!("An administrator of {org}"),
    };
    let mut paragraphs = vec![format!("{inviter} invited you to join {org} on Roster.")];
    if !roles.is_empty() {
        let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
        paragraphs.push(format!("Your role: {}.", names.join(", ")));
    }
    paragraphs.push(
        "Open the link to accept: you choose your password there, or sign in if you already have an account.".into(),
    );
    if again {
        paragraphs.push("This replaces the link sent before, which no longer works.".into());
    }
    Letter {
        subject: if again { format!("Reminder: join {org} on Roster") } else { format!("Join {org} on Roster") },
        greeting: format!("Hello {first_name},"),
        paragraphs,
        action: Some(("Accept the invitation".into(), link.to_string())),
        footer: vec![
            format!("The link works for {} and only once.", duration_words(app.config.invitation_ttl_ms)),
            "If you did not expect this invitation, ignore this email.".into(),
        ],
    }
}

/// "7 days", "1 day", "12 hours".
pub fn duration_words(ms: i64) -> String {
    let hours = ms / 3_600_000;
    match (hours / 24, hours % 24) {
        (1, 0) => "1 day".into(),
        (d, 0) if d > 1 => format!("{d} days"),
        _ if hours == 1 => "1 hour".into(),
        _ => format!("{} hours", hours.max(1)),
    }
}

fn view_of(access: &OrgAccess, r: InvitationRecord, now: Timestamp) -> InvitationView {
    let ids: Vec<String> = serde_json::from_str(&r.roles_json).unwrap_or_default();
    let roles = access
        .policy
        .roles
        .iter()
        .filter(|role| ids.iter().any(|i| *i == role.id.to_string()))
        .map(|role| RoleRef { id: role.id, key: role.key.clone(), name: role.name.clone() })
        .collect();
    let grants_input: GrantsInput = serde_json::from_str(&r.grants_json).unwrap_or_default();
    let mut grants = Grants::default();
    for (resource, actions) in grants_input {
        let set = actions
            .iter()
            .filter_map(|a| a.parse::<roster_domain::permissions::Action>().ok())
            .fold(roster_domain::permissions::Actions::NONE, |s, a| s.with(a));
        grants.grant(&resource, set);
    }
    InvitationView {
        state: r.state(now),
        id: r.id,
        user_id: r.user_id,
        email: r.email,
        first_name: r.first_name,
        last_name: r.last_name,
        roles,
        grants,
        invited_by: r.invited_by_label,
        created_at: r.created_at,
        sent_at: r.sent_at,
        expires_at: r.expires_at,
        resend_count: r.resend_count,
        accepted_at: r.accepted_at,
        canceled_at: r.canceled_at,
        canceled_by: r.canceled_by_label,
    }
}

/// A request for one page of invitations.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    /// Only those in this state.
    pub state: Option<InvitationState>,
    /// A cursor from a previous answer.
    pub cursor: Option<String>,
    /// Rows per page (10–200).
    pub per_page: u32,
}

/// Counts stop here, so that no request counts a whole organization.
pub const COUNT_CAP: u64 = 10_000;

/// One page of invitations, newest first, with the count in each state.
#[derive(Debug, Clone)]
pub struct InvitationList {
    /// The rows.
    pub items: Vec<InvitationView>,
    /// Invitations in each state (each stopped at [`COUNT_CAP`]).
    pub counts: Vec<(InvitationState, u64)>,
    /// Whether a count reached the cap (it is then a lower bound).
    pub counts_capped: bool,
    /// Cursor of the next page, if there is one.
    pub next_cursor: Option<String>,
}

/// Lists invitations. Needs `invitations:read`.
pub async fn list(app: &App, access: &OrgAccess, req: &ListRequest) -> Result<InvitationList> {
    access.require(Permission::INVITATIONS_READ)?;
    let per_page = roster_domain::members::check_per_page(req.per_page)?;
    let after = match &req.cursor {
        Some(c) => {
            let c = InvitationCursor::decode_for(c, InvitationSort::Created, SortOrder::Desc)?;
            let roster_domain::page::SortValue::Time(Some(at)) = c.value else {
                return Err(ValidationError::field("cursor", "is not a cursor of this list").into());
            };
            Some((at, c.id))
        }
        None => None,
    };
    let now = app.clock.now();
    let mut conn = app.db.conn().await?;
    let spec = store::ListSpec { state: req.state, now, after, limit: u64::from(per_page) };
    let mut rows = store::list_invitations(&mut conn, access.org.id, &spec).await?;
    let more = rows.len() > per_page as usize;
    rows.truncate(per_page as usize);
    let next_cursor = if more {
        rows.last().map(|r| {
            InvitationCursor {
                sort: InvitationSort::Created,
                order: SortOrder::Desc,
                value: roster_domain::page::SortValue::Time(Some(r.created_at)),
                id: r.id,
                backward: false,
            }
            .encode()
        })
    } else {
        None
    };
    let raw = store::count_states(&mut conn, access.org.id, now, COUNT_CAP).await?;
    let counts_capped = raw.iter().any(|(_, n)| *n > COUNT_CAP);
    Ok(InvitationList {
        items: rows.into_iter().map(|r| view_of(access, r, now)).collect(),
        counts: raw.into_iter().map(|(s, n)| (s, n.min(COUNT_CAP))).collect(),
        counts_capped,
        next_cursor,
    })
}

/// One invitation. Needs `invitations:read`.
pub async fn get(app: &App, access: &OrgAccess, id: InvitationId) -> Result<InvitationView> {
    access.require(Permission::INVITATIONS_READ)?;
    let r = store::find_invitation(&mut app.db.conn().await?, access.org.id, id)
        .await?
        .ok_or(AppError::NotFound("invitation"))?;
    Ok(view_of(access, r, app.clock.now()))
}

/// What can be done to an invitation from its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationAction {
    /// Send it again with a new link (`invitations:update`).
    Resend,
    /// Cancel it (`invitations:delete`).
    Cancel,
}

impl InvitationAction {
    /// The wire and path name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Resend => "resend",
            Self::Cancel => "cancel",
        }
    }

    /// The verb a person reads.
    pub fn label(self) -> &'static str {
        match self {
            Self::Resend => "Resend",
            Self::Cancel => "Cancel",
        }
    }

    /// Reads a path name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "resend" => Some(Self::Resend),
            "cancel" => Some(Self::Cancel),
            _ => None,
        }
    }

    fn permission(self) -> Permission {
        match self {
            Self::Resend => Permission::INVITATIONS_UPDATE,
            Self::Cancel => Permission::INVITATIONS_DELETE,
        }
    }
}

/// The actions each row of a page offers: for an invitation still open
/// (pending or expired), resend and cancel as the actor's permissions
/// allow, unless the invitee's roles or own grants go beyond the actor's.
pub async fn row_actions(app: &App, access: &OrgAccess, rows: &[InvitationView]) -> Result<Vec<Vec<InvitationAction>>> {
    let allowed: Vec<InvitationAction> = [InvitationAction::Resend, InvitationAction::Cancel]
        .into_iter()
        .filter(|a| access.can(a.permission()))
        .collect();
    if allowed.is_empty() {
        return Ok(vec![vec![]; rows.len()]);
    }
    let users: Vec<UserId> = rows.iter().filter(|r| r.state.is_open()).map(|r| r.user_id).collect();
    let beyond = beyond_reach(&mut app.db.conn().await?, access, &users).await?;
    Ok(rows
        .iter()
        .map(|r| if r.state.is_open() && !beyond.contains(&r.user_id) { allowed.clone() } else { vec![] })
        .collect())
}

/// The invitees among `users` who hold (as invited members) grants the
/// actor lacks.
async fn beyond_reach(r: &mut impl Reader, access: &OrgAccess, users: &[UserId]) -> Result<HashSet<UserId>> {
    let mut out = HashSet::new();
    if users.is_empty() {
        return Ok(out);
    }
    for (u, role) in roles::roles_of_members(r, access.org.id, users).await? {
        if access.policy.role(role).is_some_and(|role| access.lacks(&role.grants).is_some()) {
            out.insert(u);
        }
    }
    for (u, own) in roles::grants_of_members(r, access.org.id, users).await? {
        if access.lacks(&own).is_some() {
            out.insert(u);
        }
    }
    Ok(out)
}

/// Reads an open invitation inside a change and checks that the actor may
/// touch it: 404 when there is none, 409 `invitation-closed` when it was
/// accepted or canceled (or its membership is no longer invited), and no
/// escalation over the invitee's roles and grants.
async fn open_in_change(change: &mut Change<'_>, id: InvitationId, verb: &str) -> Result<InvitationRecord> {
    let org = change.access.org.id;
    let inv = store::find_invitation(&mut change.tx, org, id).await?.ok_or(AppError::NotFound("invitation"))?;
    let state = inv.state(change.now);
    if !state.is_open() {
        return Err(AppError::conflict(
            ConflictKind::InvitationClosed,
            format!("the invitation of {} was {}; it cannot be {verb}", inv.email, state.as_str()),
        ));
    }
    match members::member_status(&mut change.tx, org, inv.user_id).await? {
        Some(MemberStatus::Invited) => {}
        other => {
            return Err(AppError::conflict(
                ConflictKind::InvitationClosed,
                format!(
                    "{} is no longer invited ({}); the invitation cannot be {verb}",
                    inv.email,
                    other.map_or("not a member", |s| s.as_str())
                ),
            ));
        }
    }
    let target = crate::policy::load_effective(&mut change.tx, &change.access.policy, org, inv.user_id).await?;
    may_change_member(&change.access, &target, &inv.email)?;
    Ok(inv)
}

/// Records an expired invitation's expiry, once (see the module's documentation).
async fn note_expiry(change: &mut Change<'_>, inv: &InvitationRecord) -> Result<()> {
    if inv.state(change.now) == InvitationState::Expired && inv.expired_noted_at.is_none() {
        store::note_expired(&mut change.tx, change.access.org.id, inv.id, change.now).await?;
        change.record(expired_entry(inv));
    }
    Ok(())
}

fn expired_entry(inv: &InvitationRecord) -> AuditEntry {
    AuditEntry::new(AuditAction::InvitationExpired, inv.user_id)
        .before(serde_json::json!({"invitation": "pending"}))
        .after(serde_json::json!({"invitation": "expired"}))
        .with("invitation", inv.id.to_string())
        .with("email", inv.email.clone())
        .with("expired_at", inv.expires_at.0)
}

/// Sends an invitation again inside a change: a new link (the old one dies),
/// a new expiry, a new email.
async fn apply_resend(app: &App, change: &mut Change<'_>, inv: &InvitationRecord) -> Result<()> {
    note_expiry(change, inv).await?;
    let (org, now) = (change.access.org.id, change.now);
    let secret = tokens::new_secret();
    let expires_at = now.plus_millis(app.config.invitation_ttl_ms);
    if !store::renew(&mut change.tx, org, inv.id, &tokens::hash_secret(&secret), expires_at, now).await? {
        return Err(AppError::conflict(ConflictKind::InvitationClosed, "the invitation is no longer pending"));
    }
    let link = app.config.link(&format!("/invite/{}", format_token(org, &secret)));
    let view = view_of(&change.access, inv.clone(), now);
    let held: Vec<RoleRecord> =
        change.access.policy.roles.iter().filter(|r| view.roles.iter().any(|v| v.id == r.id)).cloned().collect();
    let letter = invitation_letter(app, &change.access, &inv.first_name, &held, &link, true);
    let email = Email::parse(&inv.email)?;
    crate::outbox::enqueue(&mut change.tx, Some(org), MailKind::Invitation, &email, &letter, false, now).await?;
    change.record(
        AuditEntry::new(AuditAction::InvitationResent, inv.user_id)
            .before(serde_json::json!({"expires_at": inv.expires_at.0, "resend_count": inv.resend_count}))
            .after(serde_json::json!({"expires_at": expires_at.0, "resend_count": inv.resend_count + 1}))
            .with("invitation", inv.id.to_string())
            .with("email", inv.email.clone())
            .with("resend_count", inv.resend_count + 1)
            .with("expires_at", expires_at.0),
    );
    Ok(())
}

/// Cancels an invitation inside a change and removes the invited membership.
async fn apply_cancel(change: &mut Change<'_>, inv: &InvitationRecord) -> Result<()> {
    note_expiry(change, inv).await?;
    let (org, now) = (change.access.org.id, change.now);
    let actor = &change.access.actor;
    if !store::mark_canceled(&mut change.tx, org, inv.id, actor.user_id(), &actor.label(), now).await? {
        return Err(AppError::conflict(ConflictKind::InvitationClosed, "the invitation is no longer pending"));
    }
    if members::delete_invited_member(&mut change.tx, org, inv.user_id).await? {
        orgs::bump_authz_version(&mut change.tx, org).await?;
    }
    change.record(
        AuditEntry::new(AuditAction::InvitationCanceled, inv.user_id)
            .before(serde_json::json!({"status": MemberStatus::Invited, "invitation": "pending"}))
            .after(serde_json::json!({"status": null, "invitation": "canceled"}))
            .with("invitation", inv.id.to_string())
            .with("email", inv.email.clone()),
    );
    Ok(())
}

/// Sends an invitation again, pending or expired: a new link (the old one
/// stops working) valid for the full period again. Needs `invitations:update`.
pub async fn resend(app: &App, access: &OrgAccess, id: InvitationId, meta: &RequestMeta) -> Result<InvitationView> {
    access.require(Permission::INVITATIONS_UPDATE)?;
    let mut change = change::begin(app, access, Permission::INVITATIONS_UPDATE, meta).await?;
    let inv = open_in_change(&mut change, id, "sent again").await?;
    apply_resend(app, &mut change, &inv).await?;
    let after = store::find_invitation(&mut change.tx, change.access.org.id, id)
        .await?
        .ok_or(AppError::NotFound("invitation"))?;
    let view = view_of(&change.access, after, change.now);
    change.commit().await?;
    Ok(view)
}

/// Cancels an invitation that was not accepted, and removes the invited
/// membership (the invitation stays listed as canceled). Needs
/// `invitations:delete`.
pub async fn cancel(app: &App, access: &OrgAccess, id: InvitationId, meta: &RequestMeta) -> Result<InvitationView> {
    access.require(Permission::INVITATIONS_DELETE)?;
    let mut change = change::begin(app, access, Permission::INVITATIONS_DELETE, meta).await?;
    let inv = open_in_change(&mut change, id, "canceled").await?;
    apply_cancel(&mut change, &inv).await?;
    let after = store::find_invitation(&mut change.tx, change.access.org.id, id)
        .await?
        .ok_or(AppError::NotFound("invitation"))?;
    let view = view_of(&change.access, after, change.now);
    change.commit().await?;
    Ok(view)
}

/// What a bulk resend or cancel did, or (from [`preview_bulk`]) would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BulkOutcome {
    /// Invitations changed (or to be changed).
    pub changed: u64,
    /// Matching invitations left alone: their invitee holds permissions the
    /// actor lacks, or is no longer invited.
    pub skipped: u64,
}

/// The bulk actions ("Resend all", "Cancel all") the actor may offer on the
/// list filtered by `filter`: those their permissions allow, and none when
/// the filter shows only closed invitations (accepted or canceled).
pub fn bulk_offers(access: &OrgAccess, filter: Option<InvitationState>) -> Vec<InvitationAction> {
    if bulk_states(filter).is_err() {
        return vec![];
    }
    [InvitationAction::Resend, InvitationAction::Cancel].into_iter().filter(|a| access.can(a.permission())).collect()
}

/// The open states a bulk change covers for a list filter: the filter's
/// own when it is pending or expired, both when there is none.
pub fn bulk_states(filter: Option<InvitationState>) -> Result<Vec<InvitationState>> {
    match filter {
        None => Ok(vec![InvitationState::Pending, InvitationState::Expired]),
        Some(s) if s.is_open() => Ok(vec![s]),
        Some(s) => Err(ValidationError::field(
            "status",
            format!("{s} invitations cannot be sent again or canceled; choose pending or expired"),
        )
        .into()),
    }
}

/// Invitations read per step of a bulk walk.
const BULK_BATCH: u64 = 500;

/// The selection rule of a bulk change, for one batch: the invitations to
/// change, counting the others as skipped. The preview and the change both
/// decide with it.
async fn select_batch(
    r: &mut impl Reader,
    access: &OrgAccess,
    ids: &[InvitationId],
    skipped: &mut u64,
) -> Result<Vec<InvitationRecord>> {
    let mut records = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(inv) = store::find_invitation(r, access.org.id, *id).await? {
            records.push(inv);
        }
    }
    let users: Vec<UserId> = records.iter().map(|r| r.user_id).collect();
    let beyond = beyond_reach(r, access, &users).await?;
    let mut out = Vec::with_capacity(records.len());
    for inv in records {
        let invited = members::member_status(r, access.org.id, inv.user_id).await? == Some(MemberStatus::Invited);
        if beyond.contains(&inv.user_id) || !invited {
            *skipped += 1;
        } else {
            out.push(inv);
        }
    }
    Ok(out)
}

/// Counts what a bulk resend or cancel over a list filter would do.
pub async fn preview_bulk(
    app: &App,
    access: &OrgAccess,
    action: InvitationAction,
    filter: Option<InvitationState>,
) -> Result<BulkOutcome> {
    access.require(action.permission())?;
    let now = app.clock.now();
    let mut conn = app.db.conn().await?;
    let mut outcome = BulkOutcome::default();
    for state in bulk_states(filter)? {
        let mut after = None;
        loop {
            let ids = store::select_ids(&mut conn, access.org.id, state, now, after, BULK_BATCH).await?;
            let Some(last) = ids.last() else { break };
            after = Some(*last);
            outcome.changed += select_batch(&mut conn, access, &ids, &mut outcome.skipped).await?.len() as u64;
        }
    }
    Ok(outcome)
}

/// Sends again, or cancels, every open invitation matching a list filter,
/// in one change, auditing each. Needs `invitations:update` (resend) or
/// `invitations:delete` (cancel).
pub async fn bulk(
    app: &App,
    access: &OrgAccess,
    action: InvitationAction,
    filter: Option<InvitationState>,
    meta: &RequestMeta,
) -> Result<BulkOutcome> {
    access.require(action.permission())?;
    let states = bulk_states(filter)?;
    let mut change = change::begin(app, access, action.permission(), meta).await?;
    let (org, now) = (change.access.org.id, change.now);
    let mut outcome = BulkOutcome::default();
    for state in states {
        let mut after = None;
        loop {
            let ids = store::select_ids(&mut change.tx, org, state, now, after, BULK_BATCH).await?;
            let Some(last) = ids.last() else { break };
            after = Some(*last);
            let access = change.access.clone();
            let chosen = select_batch(&mut change.tx, &access, &ids, &mut outcome.skipped).await?;
            for inv in &chosen {
                match action {
                    InvitationAction::Resend => apply_resend(app, &mut change, inv).await?,
                    InvitationAction::Cancel => apply_cancel(&mut change, inv).await?,
                }
            }
            outcome.changed += chosen.len() as u64;
            change.flush().await?;
        }
    }
    change.commit().await?;
    Ok(outcome)
}

/// Writes `invitation.expired` for every expired invitation whose expiry is
/// not in the audit log yet, in every organization; answers how many. For
/// `roster invitation sweep` (and a periodic worker).
pub async fn sweep_expired(app: &App) -> Result<u64> {
    let mut done = 0;
    for org in crate::orgs::list_all(app).await? {
        loop {
            let now = app.clock.now();
            let mut tx = app.db.begin().await?;
            roster_store::orgs::lock_org(&mut tx, org.id).await?;
            let expired = store::expired_unnoted(&mut tx, org.id, now, 500).await?;
            if expired.is_empty() {
                tx.rollback().await?;
                break;
            }
            let mut events = Vec::with_capacity(expired.len());
            for inv in &expired {
                store::note_expired(&mut tx, org.id, inv.id, now).await?;
                events.push(change::audit_event(
                    &Actor::System,
                    org.id,
                    &RequestMeta::default(),
                    now,
                    expired_entry(inv),
                ));
            }
            roster_store::audit::append(&mut tx, &events).await?;
            tx.commit().await?;
            done += expired.len() as u64;
        }
    }
    Ok(done)
}

/// A role as the invite form offers it.
#[derive(Debug, Clone)]
pub struct RoleOffer {
    /// The role.
    pub role: RoleRecord,
    /// Whether the form checks it to begin with (the preset's default role).
    pub default: bool,
    /// Why the actor cannot give it, if they cannot.
    pub refusal: Option<String>,
}

/// What the invite form offers: each role with the reason it cannot be
/// given, and the most the actor may hand out as own grants.
#[derive(Debug, Clone)]
pub struct InviteForm {
    /// Every role of the organization, in display order.
    pub roles: Vec<RoleOffer>,
    /// The actor's own grants: the most the form may hand out per resource.
    pub grantable: Grants,
}

/// The invite form's content. Needs `invitations:create`.
pub fn invite_form(access: &OrgAccess) -> Result<InviteForm> {
    access.require(Permission::INVITATIONS_CREATE)?;
    let default = roster_domain::permissions::preset(&access.org.preset).map(|p| p.default_role);
    let roles = access
        .policy
        .roles
        .iter()
        .map(|r| {
            let refusal = access.lacks(&r.grants).map(|lack| format!("Grants more than you hold ({lack})."));
            RoleOffer {
                default: refusal.is_none() && default.as_deref() == Some(r.key.as_str()),
                role: r.clone(),
                refusal,
            }
        })
        .collect();
    Ok(InviteForm { roles, grantable: access.effective.grants().clone() })
}

/// What the accept page shows about a valid link.
#[derive(Debug, Clone)]
pub struct InvitationPreview {
    /// The organization's name.
    pub org_name: String,
    /// The address invited.
    pub email: String,
    /// The name the inviter typed.
    pub name: String,
    /// Who invited.
    pub invited_by: String,
    /// The roles offered.
    pub roles: Vec<String>,
    /// When the link stops working.
    pub expires_at: Timestamp,
    /// Whether the invitee has an account already (they accept by signing in)
    /// rather than choosing a password.
    pub has_account: bool,
    /// Whether the viewer is signed in as the invitee.
    pub signed_in_as_invitee: bool,
}

/// A live invitation behind a token, with its user, or the one refusal.
async fn live_invitation(
    r: &mut impl Reader,
    token: &str,
    now: Timestamp,
) -> Result<(roster_domain::OrgId, Vec<u8>, InvitationRecord, UserRecord)> {
    let (org, secret) = parse_token(token).ok_or(AppError::InvalidToken)?;
    let hash = tokens::hash_secret(secret);
    let inv = store::find_by_token(r, org, &hash).await?.ok_or(AppError::InvalidToken)?;
    if inv.state(now) != InvitationState::Pending
        || members::member_status(r, org, inv.user_id).await? != Some(MemberStatus::Invited)
    {
        return Err(AppError::InvalidToken);
    }
    let user = users::find_user(r, inv.user_id).await?.ok_or(AppError::InvalidToken)?;
    Ok((org, hash, inv, user))
}

/// What the accept page shows for a link; a bad, used, expired or canceled
/// link is [`AppError::InvalidToken`], whichever it is.
pub async fn preview(app: &App, token: &str, viewer: Option<&Principal>) -> Result<InvitationPreview> {
    let mut conn = app.db.conn().await?;
    let (org, _, inv, user) = live_invitation(&mut conn, token, app.clock.now()).await?;
    let org = roster_store::orgs::find_org(&mut conn, &org.0.to_string()).await?.ok_or(AppError::InvalidToken)?;
    let policy = app.policies.policy(app, &org).await?;
    let ids: Vec<String> = serde_json::from_str(&inv.roles_json).unwrap_or_default();
    Ok(InvitationPreview {
        org_name: org.name,
        name: display_name(&inv.first_name, &inv.last_name),
        email: inv.email,
        invited_by: inv.invited_by_label,
        roles: policy.roles.iter().filter(|r| ids.contains(&r.id.to_string())).map(|r| r.name.clone()).collect(),
        expires_at: inv.expires_at,
        has_account: user.password_hash.is_some(),
        signed_in_as_invitee: viewer.is_some_and(|p| p.user_id == user.id),
    })
}

/// How an invitee proves who they are when accepting.
#[derive(Debug, Clone)]
pub struct AcceptInput {
    /// The token from the link.
    pub token: String,
    /// The name to go by (a new account; defaults to the invited name).
    pub name: Option<String>,
    /// A new account's password to choose, or an existing account's password.
    pub password: Option<String>,
}

/// An accepted invitation: the organization joined, and who is now signed in.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// The organization joined.
    pub org: OrgRecord,
    /// The invitee, signed in.
    pub principal: Principal,
    /// A session opened by the acceptance (`None` when the invitee was signed in already).
    pub session: Option<NewSessionToken>,
}

/// Accepts an invitation. A new account (no password yet) chooses its name
/// and password here, and its email is confirmed; an existing account
/// accepts signed in (`signed_in` is the invitee) or by giving its password.
/// The invitee ends signed in. One link accepts once, whatever the
/// concurrency: every other attempt is [`AppError::InvalidToken`].
pub async fn accept(
    app: &App,
    input: &AcceptInput,
    signed_in: Option<&Principal>,
    meta: &RequestMeta,
) -> Result<Accepted> {
    let (org_id, hash, inv, user) = live_invitation(&mut app.db.conn().await?, &input.token, app.clock.now()).await?;
    if user.password_hash.is_none() {
        let name = match input.name.as_deref().filter(|n| !n.trim().is_empty()) {
            Some(n) => parse_display_name("name", n),
            None => Ok(display_name(&inv.first_name, &inv.last_name)),
        };
        let password = input.password.as_deref().unwrap_or("");
        let mut errors = ValidationError { errors: vec![] };
        let name = name.map_err(|e| errors.merge(e)).ok();
        if password.is_empty() {
            errors.merge(ValidationError::field("password", "is required"));
        } else if let Err(e) =
            crate::passwords::check_password(password, &[&user.email, &display_name(&inv.first_name, &inv.last_name)])
        {
            errors.merge(e);
        }
        let Some(name) = name.filter(|_| errors.errors.is_empty()) else { return Err(errors.into()) };
        let hashed = crate::passwords::hash_password(app, password.to_string()).await?;
        let org = complete(app, org_id, &hash, Some((&name, &hashed)), meta).await?;
        let (principal, session) = crate::auth::login(app, &user.email, password, meta).await?;
        return Ok(Accepted { org, principal, session: Some(session) });
    }
    if let Some(p) = signed_in.filter(|p| p.user_id == user.id) {
        let org = complete(app, org_id, &hash, None, meta).await?;
        return Ok(Accepted { org, principal: p.clone(), session: None });
    }
    let Some(password) = input.password.as_deref().filter(|p| !p.is_empty()) else {
        return Err(AppError::Unauthenticated);
    };
    // The password is checked by signing in; when the link turns out to be
    // used meanwhile (a concurrent accept won), that session is ended again,
    // so a refused accept leaves no session behind.
    let (principal, session) = crate::auth::login(app, &user.email, password, meta).await?;
    let org = match complete(app, org_id, &hash, None, meta).await {
        Ok(org) => org,
        Err(e) => {
            crate::auth::logout(app, &principal).await?;
            return Err(e);
        }
    };
    Ok(Accepted { org, principal, session: Some(session) })
}

/// The acceptance itself, in one transaction under the organization's lock:
/// the invitation (still pending, unexpired, its membership still invited)
/// becomes accepted, the membership active, the email confirmed, and a new
/// account gets its name and password. The conditional update of the
/// invitation decides a race; the lock makes the losers see it decided.
async fn complete(
    app: &App,
    org_id: roster_domain::OrgId,
    token_hash: &[u8],
    new_account: Option<(&str, &str)>,
    meta: &RequestMeta,
) -> Result<OrgRecord> {
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let org = roster_store::orgs::lock_org(&mut tx, org_id).await?.ok_or(AppError::InvalidToken)?;
    let inv = store::find_by_token(&mut tx, org.id, token_hash).await?.ok_or(AppError::InvalidToken)?;
    if inv.state(now) != InvitationState::Pending
        || members::member_status(&mut tx, org.id, inv.user_id).await? != Some(MemberStatus::Invited)
        || !store::mark_accepted(&mut tx, org.id, inv.id, now).await?
    {
        return Err(AppError::InvalidToken);
    }
    let user = inv.user_id;
    match new_account {
        Some((name, hash)) => {
            users::update_user_name(&mut tx, user, name, now).await?;
            users::set_password(&mut tx, user, hash, now).await?;
        }
        None => users::confirm_email(&mut tx, user, now).await?,
    }
    members::set_status(&mut tx, org.id, user, MemberStatus::Invited, MemberStatus::Active, now).await?;
    let event = NewAuditEvent {
        actor_id: Some(user),
        actor_label: inv.email.clone(),
        actor_type: roster_domain::audit::ActorType::User,
        ..change::audit_event(
            &Actor::System,
            org.id,
            meta,
            now,
            AuditEntry::new(AuditAction::InvitationAccepted, user)
                .before(serde_json::json!({"status": MemberStatus::Invited}))
                .after(serde_json::json!({"status": MemberStatus::Active}))
                .with("invitation", inv.id.to_string())
                .with("new_account", new_account.is_some()),
        )
    };
    roster_store::audit::append(&mut tx, &[event]).await?;
    tx.commit().await?;
    Ok(org)
}

/// The pending invitation of each invited member on a page of the Users
/// list (their expiry, for the row).
pub async fn pending_of_members(
    app: &App,
    access: &OrgAccess,
    rows: &[Member],
) -> Result<BTreeMap<UserId, InvitationView>> {
    if !access.can(Permission::INVITATIONS_READ) {
        return Ok(BTreeMap::new());
    }
    let invited: Vec<UserId> = rows.iter().filter(|m| m.status == MemberStatus::Invited).map(|m| m.user_id).collect();
    if invited.is_empty() {
        return Ok(BTreeMap::new());
    }
    let now = app.clock.now();
    let mut out = BTreeMap::new();
    for r in store::pending_for_users(&mut app.db.conn().await?, access.org.id, &invited).await? {
        out.entry(r.user_id).or_insert_with(|| view_of(access, r, now));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_words() {
        assert_eq!(duration_words(7 * 86_400_000), "7 days");
        assert_eq!(duration_words(86_400_000), "1 day");
        assert_eq!(duration_words(3_600_000), "1 hour");
        assert_eq!(duration_words(36 * 3_600_000), "36 hours");
    }
}
