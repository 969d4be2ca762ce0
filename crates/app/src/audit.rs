//! Tamper evidence: checking an organization's audit log against its hash
//! chain and its recorded head (`roster audit verify`).
//!
//! Each event's hash covers its fields and the previous event's hash, and
//! the appending transaction records the newest event as the chain's head;
//! the database refuses to change or remove events and to move a head
//! backwards. A check recomputes the chain from the first event and names
//! the first link that does not hold: an edited, removed, inserted or moved
//! event, or newest events removed. The chain has no secret: someone who can
//! rewrite the database with the triggers off and recompute every hash after
//! an edit is caught only against a head recorded outside the database (the
//! check prints each head for that purpose).

use roster_domain::permissions::Action;
use roster_store::audit::{self, ChainReport};

use crate::App;
use crate::access::{OrgAccess, Permission};
use crate::error::Result;

/// Reading an organization's audit log.
const AUDIT_READ: Permission = Permission { resource: "audit", action: Action::Read };

/// Checks the organization's audit chain; needs `audit:read`.
pub async fn verify_chain(app: &App, access: &OrgAccess) -> Result<ChainReport> {
    access.require(AUDIT_READ)?;
    Ok(audit::check_chain(&app.db, access.org.id).await?)
}
