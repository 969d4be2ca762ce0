//! The audit log's write path: append-only, hash-chained per organization.

use roster_domain::OrgId;
use roster_domain::audit::{HASH_FORMAT, NewAuditEvent, chain_hash};
use sea_query::{Expr, ExprTrait, Order, Query};
use uuid::Uuid;

use crate::tables::AuditEvents;
use crate::{Result, Tx, db::Conn};

#[derive(sqlx::FromRow)]
struct Head {
    seq: i64,
    hash: Vec<u8>,
}

async fn head(tx: &mut Tx, org: OrgId) -> Result<Option<Head>> {
    let q = Query::select()
        .columns([AuditEvents::Seq, AuditEvents::Hash])
        .from(AuditEvents::Table)
        .and_where(Expr::col(AuditEvents::OrgId).eq(org.0))
        .order_by(AuditEvents::Seq, Order::Desc)
        .limit(1)
        .to_owned();
    tx.fetch_optional(&q).await
}

/// Appends events to their organizations' logs, inside the caller's
/// transaction, so that a change and its audit commit together. The caller
/// holds the organization's lock (see [`crate::orgs::lock_org`]), which keeps
/// the chain linear.
pub async fn append(tx: &mut Tx, events: &[NewAuditEvent]) -> Result<()> {
    let mut i = 0;
    while i < events.len() {
        let org = events[i].org_id;
        let run = events[i..].iter().take_while(|e| e.org_id == org).count();
        let (mut seq, mut prev) = match head(tx, org).await? {
            Some(h) => (h.seq, h.hash),
            None => (0, Vec::new()),
        };
        for chunk in events[i..i + run].chunks(400) {
            let mut q = Query::insert();
            q.into_table(AuditEvents::Table).columns([
                AuditEvents::OrgId,
                AuditEvents::Seq,
                AuditEvents::Id,
                AuditEvents::ActorId,
                AuditEvents::ActorLabel,
                AuditEvents::Action,
                AuditEvents::TargetType,
                AuditEvents::TargetId,
                AuditEvents::Details,
                AuditEvents::Ip,
                AuditEvents::CreatedAt,
                AuditEvents::Hash,
                AuditEvents::ActorType,
                AuditEvents::RequestId,
                AuditEvents::UserAgent,
                AuditEvents::HashFormat,
            ]);
            for e in chunk {
                seq += 1;
                let hash = chain_hash(&prev, seq, e, HASH_FORMAT);
                q.values_panic([
                    e.org_id.0.into(),
                    seq.into(),
                    Uuid::now_v7().into(),
                    e.actor_id.map(|a| a.0).into(),
                    e.actor_label.clone().into(),
                    e.action.as_str().into(),
                    e.target_type.clone().into(),
                    e.target_id.clone().into(),
                    e.details.clone().into(),
                    e.ip.clone().into(),
                    e.created_at.0.into(),
                    hash.clone().into(),
                    e.actor_type.as_str().into(),
                    e.request_id.clone().into(),
                    e.user_agent.clone().into(),
                    HASH_FORMAT.into(),
                ]);
                prev = hash;
            }
            tx.execute(&q).await?;
        }
        i += run;
    }
    Ok(())
}

/// A stored audit event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    /// Position in the organization's chain, from 1.
    pub seq: i64,
    /// The acting user.
    pub actor_id: Option<Uuid>,
    /// How the actor is shown.
    pub actor_label: String,
    /// What was done.
    pub action: String,
    /// The kind of object.
    pub target_type: String,
    /// The object.
    pub target_id: String,
    /// JSON details.
    pub details: String,
    /// Client address.
    pub ip: Option<String>,
    /// When.
    pub created_at: i64,
    /// Chain hash.
    pub hash: Vec<u8>,
    /// The kind of actor (`user`, `service_account`, `operator`, `system`).
    pub actor_type: String,
    /// The HTTP request's id.
    pub request_id: Option<String>,
    /// The client's User-Agent.
    pub user_agent: Option<String>,
    /// The chain-hash format the event was written with.
    pub hash_format: i16,
}

/// The columns an [`AuditRow`] is read from.
const ROW_COLUMNS: [AuditEvents; 14] = [
    AuditEvents::Seq,
    AuditEvents::ActorId,
    AuditEvents::ActorLabel,
    AuditEvents::Action,
    AuditEvents::TargetType,
    AuditEvents::TargetId,
    AuditEvents::Details,
    AuditEvents::Ip,
    AuditEvents::CreatedAt,
    AuditEvents::Hash,
    AuditEvents::ActorType,
    AuditEvents::RequestId,
    AuditEvents::UserAgent,
    AuditEvents::HashFormat,
];

/// The newest `limit` events of an organization about one target, newest first.
pub async fn events_for_target(
    conn: &mut Conn,
    org: OrgId,
    target_type: &str,
    target_id: &str,
    limit: u64,
) -> Result<Vec<AuditRow>> {
    let q = Query::select()
        .columns(ROW_COLUMNS)
        .from(AuditEvents::Table)
        .and_where(Expr::col(AuditEvents::OrgId).eq(org.0))
        .and_where(Expr::col(AuditEvents::TargetType).eq(target_type))
        .and_where(Expr::col(AuditEvents::TargetId).eq(target_id))
        .order_by(AuditEvents::Seq, Order::Desc)
        .limit(limit)
        .to_owned();
    conn.fetch_all(&q).await
}

/// Recomputes an organization's whole chain and answers the first sequence
/// number whose stored hash does not match, if any.
pub async fn verify_chain(conn: &mut Conn, org: OrgId) -> Result<Option<i64>> {
    let mut prev: Vec<u8> = Vec::new();
    let mut after = 0i64;
    loop {
        let q = Query::select()
            .columns(ROW_COLUMNS)
            .from(AuditEvents::Table)
            .and_where(Expr::col(AuditEvents::OrgId).eq(org.0))
            .and_where(Expr::col(AuditEvents::Seq).gt(after))
            .order_by(AuditEvents::Seq, Order::Asc)
            .limit(5000)
            .to_owned();
        let rows: Vec<AuditRow> = conn.fetch_all(&q).await?;
        if rows.is_empty() {
            return Ok(None);
        }
        for r in rows {
            if r.seq != after + 1 {
                return Ok(Some(after + 1));
            }
            // An action name this version does not know was not written by Roster.
            let (Ok(action), Ok(actor_type)) = (r.action.parse(), r.actor_type.parse()) else {
                return Ok(Some(r.seq));
            };
            let e = NewAuditEvent {
                org_id: org,
                actor_id: r.actor_id.map(roster_domain::UserId),
                actor_label: r.actor_label,
                actor_type,
                action,
                target_type: r.target_type,
                target_id: r.target_id,
                details: r.details,
                ip: r.ip,
                request_id: r.request_id,
                user_agent: r.user_agent,
                created_at: roster_domain::Timestamp(r.created_at),
            };
            if chain_hash(&prev, r.seq, &e, r.hash_format) != r.hash {
                return Ok(Some(r.seq));
            }
            prev = r.hash;
            after = r.seq;
        }
    }
}
