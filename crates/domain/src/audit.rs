//! Audit events: what changed, who changed it, and the hash chain that makes
//! the per-organization log tamper-evident.

use sha2::{Digest, Sha256};

use crate::{OrgId, Timestamp, UserId};

/// An audit event about to be written. The store assigns its sequence number
/// and chain hash inside the transaction that makes the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    /// The organization whose log this event joins.
    pub org_id: OrgId,
    /// The user who acted, if a person did.
    pub actor_id: Option<UserId>,
    /// How the actor is shown: an email, or `cli` / `system`.
    pub actor_label: String,
    /// A stable dotted name, such as `member.disabled`.
    pub action: String,
    /// The kind of object changed (`member`, `organization`, …).
    pub target_type: String,
    /// The id of the object changed.
    pub target_id: String,
    /// JSON with the details, such as `{"before":…, "after":…}`.
    pub details: String,
    /// The client's IP address, when the change came over HTTP.
    pub ip: Option<String>,
    /// When it happened.
    pub created_at: Timestamp,
}

/// The hash that links an event to the one before it:
/// SHA-256 over the previous hash and every field of the event, length-prefixed.
pub fn chain_hash(prev: &[u8], seq: i64, e: &NewAuditEvent) -> Vec<u8> {
    let mut h = Sha256::new();
    let mut field = |b: &[u8]| {
        h.update((b.len() as u64).to_be_bytes());
        h.update(b);
    };
    field(prev);
    field(&seq.to_be_bytes());
    field(e.org_id.0.as_bytes());
    field(e.actor_id.map(|a| a.0.into_bytes()).unwrap_or_default().as_slice());
    field(e.actor_label.as_bytes());
    field(e.action.as_bytes());
    field(e.target_type.as_bytes());
    field(e.target_id.as_bytes());
    field(e.details.as_bytes());
    field(e.ip.as_deref().unwrap_or("").as_bytes());
    field(&e.created_at.0.to_be_bytes());
    h.finalize().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> NewAuditEvent {
        NewAuditEvent {
            org_id: OrgId::new(),
            actor_id: None,
            actor_label: "cli".into(),
            action: "member.disabled".into(),
            target_type: "member".into(),
            target_id: "x".into(),
            details: "{}".into(),
            ip: None,
            created_at: Timestamp(1),
        }
    }

    #[test]
    fn any_field_changes_the_hash() {
        let e = event();
        let base = chain_hash(b"", 1, &e);
        assert_ne!(base, chain_hash(b"x", 1, &e));
        assert_ne!(base, chain_hash(b"", 2, &e));
        let mut e2 = e.clone();
        e2.details = "{\"a\":1}".into();
        assert_ne!(base, chain_hash(b"", 1, &e2));
    }
}
