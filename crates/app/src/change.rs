//! The one path every change to an organization takes.
//!
//! [`begin`] opens the transaction, takes the organization's row lock,
//! re-reads the actor's standing and requires the permission again (what a
//! change is checked against must be what it commits against); the use case
//! then writes through [`Change::tx`] and says what it did with
//! [`Change::record`]; [`Change::commit`] writes the audit events and commits.
//!
//! Architecture invariant: a change's writes are committed only together with
//! its audit events. A change that recorded nothing is rolled back by
//! [`Change::commit`], so a use case that forgets its event loses its write
//! (and its tests notice) instead of committing an unaudited change.

use roster_domain::audit::{AuditEntry, NewAuditEvent};
use roster_domain::{OrgId, Timestamp, UserId};
use roster_store::{Tx, orgs, users};

use crate::access::{OrgAccess, Permission, relock};
use crate::error::Result;
use crate::{Actor, App, RequestMeta};

/// A change in progress: the transaction, the actor's standing as re-read
/// under the lock, the time of the change, and the events recorded so far.
pub struct Change<'m> {
    /// The transaction every write of the change goes through.
    pub tx: Tx,
    /// The actor's standing, re-read inside the transaction.
    pub access: OrgAccess,
    /// When the change happens (one instant for all its events).
    pub now: Timestamp,
    meta: &'m RequestMeta,
    pending: Vec<NewAuditEvent>,
    recorded: usize,
}

/// Begins a change: transaction, lock, fresh standing, permission.
pub async fn begin<'m>(app: &App, access: &OrgAccess, p: Permission, meta: &'m RequestMeta) -> Result<Change<'m>> {
    access.require(p)?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let access = relock(&mut tx, app, access, p).await?;
    Ok(Change { tx, access, now, meta, pending: Vec::new(), recorded: 0 })
}

impl Change<'_> {
    /// Records what the change did; written at the next [`Self::flush`] or at commit.
    pub fn record(&mut self, entry: AuditEntry) {
        let entry = match &self.access.via {
            Some(p) => entry.with("partner", partner_detail(p)),
            None => entry,
        };
        let event = audit_event(&self.access.actor, self.access.org.id, self.meta, self.now, entry);
        self.pending.push(event);
        self.recorded += 1;
    }

    /// Writes the events recorded so far (a change over many members flushes
    /// per batch, so that memory stays flat).
    pub async fn flush(&mut self) -> Result<()> {
        if !self.pending.is_empty() {
            roster_store::audit::append(&mut self.tx, &self.pending).await?;
            self.pending.clear();
        }
        Ok(())
    }

    /// How many events the change has recorded.
    pub fn recorded(&self) -> usize {
        self.recorded
    }

    /// Writes the remaining events and commits; a change that recorded
    /// nothing changed nothing worth keeping, and is rolled back.
    pub async fn commit(mut self) -> Result<()> {
        if self.recorded == 0 {
            self.tx.rollback().await?;
            return Ok(());
        }
        self.flush().await?;
        self.tx.commit().await?;
        Ok(())
    }
}

/// The full audit event for an entry: who acted, in which organization,
/// from where, when. Changes outside an organization's change path (creating
/// an organization, setting one's password, the demo loader) use it too.
pub(crate) fn audit_event(
    actor: &Actor,
    org: OrgId,
    meta: &RequestMeta,
    now: Timestamp,
    e: AuditEntry,
) -> NewAuditEvent {
    NewAuditEvent {
        org_id: org,
        actor_id: actor.user_id(),
        actor_label: actor.label(),
        actor_type: actor.actor_type(),
        target_type: e.action.target_type().into(),
        action: e.action,
        target_id: e.target_id,
        details: serde_json::Value::Object(e.details).to_string(),
        ip: meta.ip.clone(),
        request_id: meta.request_id.clone(),
        user_agent: meta.user_agent.clone(),
        created_at: now,
    }
}

/// How an event names the partner its actor acted through (its `partner`
/// detail, which History reads as "Ann Smith (Brokers Inc.)").
pub(crate) fn partner_detail(partner: &roster_store::orgs::OrgRecord) -> serde_json::Value {
    serde_json::json!({"id": partner.id, "name": partner.name})
}

/// Who an account event is by, as the audit log shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountActor {
    /// The account's own user (setting their password through a link).
    User,
    /// Roster itself (locking after failed sign-ins).
    Roster,
}

/// A user's account, opened for a change inside a transaction: the locks of
/// every organization the user belongs to are held (see [`lock_account`]).
#[derive(Debug)]
pub struct LockedAccount {
    /// The user.
    pub user: UserId,
    /// Their organizations, locked.
    orgs: Vec<OrgId>,
}

/// Takes the locks of every organization `user` belongs to, in one order,
/// inside `tx`. An account change takes them before it writes anything: a
/// change inside an organization takes that organization's lock before it
/// writes the user's rows (sessions, memberships), so the other order could
/// deadlock; and each organization's audit log is a hash chain whose lock
/// orders the appends of [`audit_account`].
pub async fn lock_account(tx: &mut Tx, user: UserId) -> Result<LockedAccount> {
    let orgs = users::org_ids_of_user(tx, user).await?;
    for org in &orgs {
        orgs::lock_org(tx, *org).await?;
    }
    Ok(LockedAccount { user, orgs })
}

/// Appends the same events about a user's account to the log of every
/// organization the user belongs to, inside the transaction that locked
/// them: an account is global, and each organization's administrators see
/// what happened to their member.
pub async fn audit_account(
    tx: &mut Tx,
    account: &LockedAccount,
    by: AccountActor,
    meta: &RequestMeta,
    now: Timestamp,
    entries: Vec<AuditEntry>,
) -> Result<()> {
    let user = account.user;
    let mut events: Vec<NewAuditEvent> = Vec::new();
    for &org in &account.orgs {
        for e in &entries {
            let event = audit_event(&Actor::System, org, meta, now, e.clone());
            events.push(match by {
                AccountActor::User => NewAuditEvent {
                    actor_id: Some(user),
                    actor_label: "self".into(),
                    actor_type: roster_domain::audit::ActorType::User,
                    ..event
                },
                AccountActor::Roster => event,
            });
        }
    }
    roster_store::audit::append(tx, &events).await?;
    Ok(())
}
