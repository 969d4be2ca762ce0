//! The audit log's write path: append-only, hash-chained per organization.

use roster_domain::OrgId;
use roster_domain::audit::{HASH_FORMAT, NewAuditEvent, chain_hash};
use sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use uuid::Uuid;

use crate::tables::{AuditEvents, AuditHeads};
use crate::{Db, Result, Tx, db::Conn};

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
        move_head(tx, org, seq, prev).await?;
        i += run;
    }
    Ok(())
}

/// Records `seq` and `hash` as the organization's newest event, in the
/// appending transaction (the database refuses to move a head backwards).
async fn move_head(tx: &mut Tx, org: OrgId, seq: i64, hash: Vec<u8>) -> Result<()> {
    tx.execute(
        Query::insert()
            .into_table(AuditHeads::Table)
            .columns([AuditHeads::OrgId, AuditHeads::Seq, AuditHeads::Hash])
            .values_panic([org.0.into(), seq.into(), hash.into()])
            .on_conflict(
                OnConflict::column(AuditHeads::OrgId).update_columns([AuditHeads::Seq, AuditHeads::Hash]).to_owned(),
            ),
    )
    .await?;
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

/// Events read per step of a chain check.
const CHECK_BATCH: u64 = 10_000;

/// What is wrong where an organization's chain first breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakKind {
    /// The stored hash is not the hash of the event's fields and the
    /// previous event's hash: the event, or one before it, was edited,
    /// moved or forged.
    HashMismatch,
    /// The event with this sequence number is missing: the chain goes on at
    /// `found`.
    MissingSeq {
        /// The next sequence number present.
        found: i64,
    },
    /// The event names an action Roster never writes.
    UnknownAction(String),
    /// The event names an actor type Roster never writes.
    UnknownActorType(String),
    /// The event claims a chain-hash format Roster never wrote.
    UnknownFormat(i16),
    /// The chain ends before its recorded head: the newest events, up to
    /// `head_seq`, were removed.
    TailMissing {
        /// The recorded head's sequence number.
        head_seq: i64,
    },
    /// The chain goes on past its recorded head, or its last event is not
    /// the one recorded: events were added or replaced behind the program's back.
    HeadMismatch {
        /// The recorded head's sequence number.
        head_seq: i64,
    },
    /// The organization has events but no recorded head.
    HeadMissing,
}

/// The first broken link of a chain: the sequence number of the first event
/// that is wrong (or missing), and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// The first sequence number that does not hold.
    pub seq: i64,
    /// What is wrong there.
    pub kind: BreakKind,
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let seq = self.seq;
        match &self.kind {
            BreakKind::HashMismatch => write!(f, "event {seq}: hash mismatch (edited, moved or forged)"),
            BreakKind::MissingSeq { found } => {
                write!(f, "event {seq}: missing (the chain goes on at {found})")
            }
            BreakKind::UnknownAction(a) => write!(f, "event {seq}: unknown action {a:?}"),
            BreakKind::UnknownActorType(a) => write!(f, "event {seq}: unknown actor type {a:?}"),
            BreakKind::UnknownFormat(v) => write!(f, "event {seq}: unknown hash format {v}"),
            BreakKind::TailMissing { head_seq } => {
                write!(f, "event {seq}: missing (the newest events up to {head_seq} were removed)")
            }
            BreakKind::HeadMismatch { head_seq } => {
                write!(f, "event {seq}: not the recorded head (head is event {head_seq})")
            }
            BreakKind::HeadMissing => write!(f, "event {seq}: the chain's recorded head is missing"),
        }
    }
}

/// The outcome of checking one organization's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Events read (up to the first break).
    pub events: u64,
    /// The newest event's sequence number and hash, when the chain holds
    /// (what an operator may record elsewhere, to anchor the log).
    pub head: Option<(i64, Vec<u8>)>,
    /// The first broken link, if any.
    pub broken: Option<ChainBreak>,
}

#[derive(sqlx::FromRow)]
struct HeadRow {
    seq: i64,
    hash: Vec<u8>,
}

/// One batch of an organization's events after `after`, oldest first.
async fn chain_batch(db: Db, org: OrgId, after: i64) -> Result<Vec<AuditRow>> {
    let q = Query::select()
        .columns(ROW_COLUMNS)
        .from(AuditEvents::Table)
        .and_where(Expr::col(AuditEvents::OrgId).eq(org.0))
        .and_where(Expr::col(AuditEvents::Seq).gt(after))
        .order_by(AuditEvents::Seq, Order::Asc)
        .limit(CHECK_BATCH)
        .to_owned();
    db.conn().await?.fetch_all(&q).await
}

/// A batch being read beside the hashing of the one before; cancelled
/// when the check stops early.
struct NextBatch(tokio::task::JoinHandle<Result<Vec<AuditRow>>>);

impl Drop for NextBatch {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Recomputes an organization's whole chain, oldest first, in batches, and
/// compares its end with the recorded head: answers how many events were
/// read and the first broken link, if any. Detects an edited, removed
/// (also the newest), inserted or reordered event. The next batch is read
/// (on another connection) while the current one is hashed.
pub async fn check_chain(db: &Db, org: OrgId) -> Result<ChainReport> {
    let mut prev: Vec<u8> = Vec::new();
    let mut after = 0i64;
    let mut events = 0u64;
    let broken = |seq, kind| Some(ChainBreak { seq, kind });
    let mut next = Some(NextBatch(tokio::spawn(chain_batch(db.clone(), org, 0))));
    while let Some(mut reading) = next.take() {
        let rows: Vec<AuditRow> = (&mut reading.0).await??;
        if rows.len() as u64 == CHECK_BATCH
            && let Some(last) = rows.last()
        {
            next = Some(NextBatch(tokio::spawn(chain_batch(db.clone(), org, last.seq))));
        }
        for r in rows {
            let fail = |kind| Ok(ChainReport { events, head: None, broken: broken(r.seq, kind) });
            if r.seq != after + 1 {
                return Ok(ChainReport {
                    events,
                    head: None,
                    broken: broken(after + 1, BreakKind::MissingSeq { found: r.seq }),
                });
            }
            // Names this version does not know were not written by Roster.
            let Ok(action) = r.action.parse() else { return fail(BreakKind::UnknownAction(r.action.clone())) };
            let Ok(actor_type) = r.actor_type.parse() else {
                return fail(BreakKind::UnknownActorType(r.actor_type.clone()));
            };
            if !(1..=HASH_FORMAT).contains(&r.hash_format) {
                return fail(BreakKind::UnknownFormat(r.hash_format));
            }
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
                return Ok(ChainReport { events, head: None, broken: broken(r.seq, BreakKind::HashMismatch) });
            }
            prev = r.hash;
            after = r.seq;
            events += 1;
        }
    }
    let q = Query::select()
        .columns([AuditHeads::Seq, AuditHeads::Hash])
        .from(AuditHeads::Table)
        .and_where(Expr::col(AuditHeads::OrgId).eq(org.0))
        .to_owned();
    let head: Option<HeadRow> = db.conn().await?.fetch_optional(&q).await?;
    let problem = match head {
        None if after == 0 => None,
        None => broken(after, BreakKind::HeadMissing),
        Some(h) if h.seq > after => broken(after + 1, BreakKind::TailMissing { head_seq: h.seq }),
        Some(h) if h.seq < after => broken(h.seq + 1, BreakKind::HeadMismatch { head_seq: h.seq }),
        Some(h) if h.hash != prev => broken(after, BreakKind::HeadMismatch { head_seq: h.seq }),
        Some(_) => None,
    };
    let head = (problem.is_none() && after > 0).then_some((after, prev));
    Ok(ChainReport { events, head, broken: problem })
}

/// The sequence number of the first broken link of an organization's
/// chain, if any (see [`check_chain`]).
pub async fn verify_chain(db: &Db, org: OrgId) -> Result<Option<i64>> {
    Ok(check_chain(db, org).await?.broken.map(|b| b.seq))
}
