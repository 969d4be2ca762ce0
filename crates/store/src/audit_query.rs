//! The audit log's read side: an organization's events, filtered and read a
//! page at a time by keyset, newest first, for the History tab, its API and
//! the exports. Kept apart from the write path (`audit::append`) and the
//! chain check (`audit::verify_chain`).
//!
//! The order is (created_at, seq): by date, and by chain position within a
//! millisecond. Every filter has an index (org_id, column, created_at, seq)
//! (migration 0011), so a page, at any depth, is one index range read of at
//! most `limit + 1` matching rows:
//!
//! - a target reads `audit_events_target_time`, an actor `audit_events_actor`
//!   or `audit_events_actor_label`, one action `audit_events_action`, nothing
//!   or a date range alone `audit_events_time`; the other filters of the same
//!   request are checked on the rows that index yields;
//! - an action group alone (several actions) reads `audit_events_action` once
//!   per action, each arm limited to the page, and merges them (`UNION ALL`
//!   under one `ORDER BY … LIMIT`), rather than one `IN` list that no index
//!   returns in date order.

use roster_domain::audit::AuditAction;
use roster_domain::history::EventPosition;
use roster_domain::{OrgId, UserId};
use sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement, UnionType};
use uuid::Uuid;

use crate::Result;
use crate::db::Conn;
use crate::tables::AuditEvents;

/// One event as the History tab and the exports read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    /// The event's id.
    pub id: Uuid,
    /// Its position in the organization's chain, from 1.
    pub seq: i64,
    /// The acting user, when a person acted.
    pub actor_id: Option<Uuid>,
    /// How the actor was shown when the event was written (an email, `cli`, `system`, `self`).
    pub actor_label: String,
    /// `user`, `service_account`, `operator` or `system`.
    pub actor_type: String,
    /// The action's stable dotted name.
    pub action: String,
    /// The kind of object acted on.
    pub target_type: String,
    /// The object's id.
    pub target_id: String,
    /// The details, JSON text.
    pub details: String,
    /// The client's address.
    pub ip: Option<String>,
    /// The HTTP request's id.
    pub request_id: Option<String>,
    /// The client's User-Agent.
    pub user_agent: Option<String>,
    /// When (milliseconds).
    pub created_at: i64,
}

impl EventRow {
    /// The keyset position of this event.
    pub fn position(&self) -> EventPosition {
        EventPosition { created_at: self.created_at, seq: self.seq }
    }
}

const COLUMNS: [AuditEvents; 13] = [
    AuditEvents::Id,
    AuditEvents::Seq,
    AuditEvents::ActorId,
    AuditEvents::ActorLabel,
    AuditEvents::ActorType,
    AuditEvents::Action,
    AuditEvents::TargetType,
    AuditEvents::TargetId,
    AuditEvents::Details,
    AuditEvents::Ip,
    AuditEvents::RequestId,
    AuditEvents::UserAgent,
    AuditEvents::CreatedAt,
];

/// Which events to read: every part optional, all parts together.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// Events by this user.
    pub actor_id: Option<UserId>,
    /// Events whose actor was shown with this label.
    pub actor_label: Option<String>,
    /// Events of these actions (empty: any action).
    pub actions: Vec<AuditAction>,
    /// Events about this object.
    pub target_id: Option<String>,
    /// Events at or after this time (milliseconds).
    pub from: Option<i64>,
    /// Events at or before this time (milliseconds).
    pub to: Option<i64>,
    /// Events at or before this chain position (an export's snapshot).
    pub upto_seq: Option<i64>,
}

/// Where a read starts and which way it goes.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadFrom {
    /// The boundary event (excluded); `None` starts at the newest (or, reading
    /// newer, the oldest) event.
    pub after: Option<EventPosition>,
    /// `false`: older events, newest first; `true`: newer events, oldest first.
    pub newer: bool,
}

/// Up to `limit` events of an organization matching `q`, from `from`, in
/// the order read (newest first, or oldest first when reading newer).
pub async fn list_events(
    conn: &mut Conn,
    org: OrgId,
    q: &EventQuery,
    from: ReadFrom,
    limit: u64,
) -> Result<Vec<EventRow>> {
    conn.fetch_all(&events_statement(org, q, from, limit)).await
}

/// The statement [`list_events`] runs (also for the query plans the tests and
/// benchmarks look at).
pub fn events_statement(org: OrgId, q: &EventQuery, from: ReadFrom, limit: u64) -> SelectStatement {
    let order = if from.newer { Order::Asc } else { Order::Desc };
    let merge_actions = q.actions.len() > 1 && q.actor_id.is_none() && q.actor_label.is_none() && q.target_id.is_none();
    if !merge_actions {
        let mut s = arm(org, q, &q.actions, from);
        s.order_by(AuditEvents::CreatedAt, order.clone()).order_by(AuditEvents::Seq, order).limit(limit);
        return s;
    }
    // One arm per action, each limited to the page, merged under one order.
    let mut arms = q.actions.iter().enumerate().map(|(i, a)| {
        let mut inner = arm(org, q, std::slice::from_ref(a), from);
        inner.order_by(AuditEvents::CreatedAt, order.clone()).order_by(AuditEvents::Seq, order.clone()).limit(limit);
        Query::select().columns(COLUMNS).from_subquery(inner, Alias::new(format!("a{i}"))).to_owned()
    });
    let mut merged = arms.next().expect("more than one action");
    for other in arms {
        merged.union(UnionType::All, other);
    }
    merged.order_by(AuditEvents::CreatedAt, order.clone()).order_by(AuditEvents::Seq, order).limit(limit);
    merged
}

/// The select of one index range: the organization, the filters, the
/// keyset bound, without order or limit.
fn arm(org: OrgId, q: &EventQuery, actions: &[AuditAction], from: ReadFrom) -> SelectStatement {
    let mut s = Query::select();
    s.columns(COLUMNS).from(AuditEvents::Table).and_where(Expr::col(AuditEvents::OrgId).eq(org.0));
    if let Some(t) = &q.target_id {
        s.and_where(Expr::col(AuditEvents::TargetId).eq(t.as_str()));
    }
    if let Some(a) = q.actor_id {
        s.and_where(Expr::col(AuditEvents::ActorId).eq(a.0));
    }
    if let Some(l) = &q.actor_label {
        s.and_where(Expr::col(AuditEvents::ActorLabel).eq(l.as_str()));
    }
    match actions {
        [] => {}
        [one] => {
            s.and_where(Expr::col(AuditEvents::Action).eq(one.as_str()));
        }
        many => {
            s.and_where(Expr::col(AuditEvents::Action).is_in(many.iter().map(|a| a.as_str())));
        }
    }
    if let Some(upto) = q.upto_seq {
        s.and_where(Expr::col(AuditEvents::Seq).lte(upto));
    }
    // At most one bound each side: the cursor's row value, or the date when
    // it is the tighter one (then the cursor is implied by it).
    let key = || Expr::tuple([Expr::col(AuditEvents::CreatedAt), Expr::col(AuditEvents::Seq)]);
    let at = |p: EventPosition| Expr::tuple([Expr::val(p.created_at), Expr::val(p.seq)]);
    let (mut low, mut high) = (q.from, q.to);
    match from.after {
        Some(p) if from.newer && low.is_none_or(|f| f <= p.created_at) => {
            low = None;
            s.and_where(key().gt(at(p)));
        }
        Some(p) if !from.newer && high.is_none_or(|t| t >= p.created_at) => {
            high = None;
            s.and_where(key().lt(at(p)));
        }
        _ => {}
    }
    if let Some(f) = low {
        s.and_where(Expr::col(AuditEvents::CreatedAt).gte(f));
    }
    if let Some(t) = high {
        s.and_where(Expr::col(AuditEvents::CreatedAt).lte(t));
    }
    s
}

/// The newest chain position of an organization (0 for an empty log): an
/// export reads up to it, so that events appended meanwhile do not join it.
pub async fn head_seq(conn: &mut Conn, org: OrgId) -> Result<i64> {
    #[derive(sqlx::FromRow)]
    struct Head {
        seq: i64,
    }
    let q = Query::select()
        .column(AuditEvents::Seq)
        .from(AuditEvents::Table)
        .and_where(Expr::col(AuditEvents::OrgId).eq(org.0))
        .order_by(AuditEvents::Seq, Order::Desc)
        .limit(1)
        .to_owned();
    Ok(conn.fetch_optional::<Head, _>(&q).await?.map_or(0, |h| h.seq))
}

#[cfg(test)]
mod tests {
    use roster_domain::audit::AuditAction;
    use roster_domain::history::{ActionFilter, EventPosition};
    use roster_domain::{OrgId, UserId};
    use sea_query::{QueryBuilder, SelectStatement};
    use sea_query_sqlx::{SqlxBinder, SqlxValues};

    use super::*;

    /// A statement's query plan, asked for with SQLite's `EXPLAIN QUERY PLAN`.
    struct Explain(SelectStatement);

    impl SqlxBinder for Explain {
        fn build_sqlx<T: QueryBuilder>(&self, qb: T) -> (String, SqlxValues) {
            let (sql, values) = self.0.build_sqlx(qb);
            (format!("EXPLAIN QUERY PLAN {sql}"), values)
        }
    }

    #[derive(sqlx::FromRow)]
    struct Step {
        detail: String,
    }

    /// Every filter is one index range in the list's order on SQLite (which
    /// plans without statistics): the expected index, and never a sort of
    /// the matching rows (`USE TEMP B-TREE FOR ORDER BY`), except of the
    /// pages of an action group's arms, which hold at most a page each.
    #[tokio::test]
    async fn every_filter_reads_its_index_in_order_on_sqlite() {
        let dir = std::env::temp_dir().join(format!("roster-plan-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = crate::Db::connect(dir.join("p.db").to_str().unwrap()).await.unwrap();
        db.migrate().await.unwrap();
        let mut conn = db.conn().await.unwrap();
        let org = OrgId::new();
        let members = ActionFilter::Group("member").actions();
        let at = Some(EventPosition { created_at: 1_000, seq: 10 });
        let cases: Vec<(&str, EventQuery, &str)> = vec![
            ("none", EventQuery::default(), "audit_events_time"),
            ("dates", EventQuery { from: Some(1), to: Some(2), ..Default::default() }, "audit_events_time"),
            (
                "action",
                EventQuery { actions: vec![AuditAction::UserLocked], ..Default::default() },
                "audit_events_action",
            ),
            ("group", EventQuery { actions: members.clone(), ..Default::default() }, "audit_events_action"),
            ("actor", EventQuery { actor_id: Some(UserId::new()), ..Default::default() }, "audit_events_actor"),
            ("label", EventQuery { actor_label: Some("cli".into()), ..Default::default() }, "audit_events_actor_label"),
            ("target", EventQuery { target_id: Some("t".into()), ..Default::default() }, "audit_events_target_time"),
            (
                "target+group+dates",
                EventQuery {
                    target_id: Some("t".into()),
                    actions: members,
                    from: Some(1),
                    to: Some(9),
                    ..Default::default()
                },
                "audit_events_target_time",
            ),
        ];
        for (name, q, index) in cases {
            for newer in [false, true] {
                for after in [None, at] {
                    let s = events_statement(org, &q, ReadFrom { after, newer }, 51);
                    let plan: Vec<String> =
                        conn.fetch_all::<Step, _>(&Explain(s)).await.unwrap().into_iter().map(|s| s.detail).collect();
                    let text = plan.join(" | ");
                    assert!(text.contains(&format!("USING INDEX {index} ")), "{name}: {text}");
                    assert!(!text.contains("SCAN audit_events"), "{name}: {text}");
                    // An action group's arms are merged: each arm's page (at most
                    // `limit` rows, read in index order) is sorted for the merge.
                    let merged = name == "group";
                    for (i, step) in plan.iter().enumerate() {
                        if step.contains("TEMP B-TREE") {
                            let of_an_arm = merged && i > 0 && plan[i - 1].starts_with("SCAN a");
                            assert!(of_an_arm, "{name}: a sort of the matching rows: {text}");
                        }
                    }
                    // (A date bound tighter than the cursor stands for it.)
                    if after.is_some() && !merged && q.from.is_none() && q.to.is_none() {
                        assert!(text.contains("(created_at,seq)"), "{name}: the cursor bounds the range: {text}");
                    }
                }
            }
        }
        drop(conn);
        db.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
