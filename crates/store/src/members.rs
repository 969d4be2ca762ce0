//! Memberships and the Users directory's queries.
//!
//! Lists page by keyset (`(sort column, user_id)` compared as a row value,
//! read through an index on `(org_id, [status,] column, user_id)`), so a deep
//! page costs what the first one does. Badge counts come from the
//! `member_counts` table, which every status change updates in its own
//! transaction; only a search counts rows, and then at most
//! [`SEARCH_COUNT_CAP`] of them.

use roster_domain::members::{Cursor, Member, SortValue, StatusCounts};
use roster_domain::{MemberFilter, MemberSort, MemberStatus, OrgId, SortOrder, Timestamp, UserId};
use sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement};
use uuid::Uuid;

use crate::db::Conn;
use crate::orgs::OrgRecord;
use crate::{Backend, Result, StoreError, Tx};

/// A search counts at most this many matching rows; past it the badges say
/// "10,000+" instead of scanning a whole large organization.
pub const SEARCH_COUNT_CAP: u64 = 10_000;

/// A membership to insert.
#[derive(Debug, Clone)]
pub struct NewMember {
    /// The organization.
    pub org_id: OrgId,
    /// The user.
    pub user_id: UserId,
    /// The user's email (mirrored).
    pub email: String,
    /// The user's name (mirrored).
    pub name: String,
    /// The initial status.
    pub status: MemberStatus,
    /// When the membership was created.
    pub created_at: Timestamp,
    /// When the member was last active, if ever.
    pub last_active_at: Option<Timestamp>,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    user_id: Uuid,
    email: String,
    name: String,
    status: String,
    email_confirmed: bool,
    created_at: i64,
    last_active_at: i64,
}

impl TryFrom<MemberRow> for Member {
    type Error = StoreError;
    fn try_from(r: MemberRow) -> Result<Self> {
        Ok(Member {
            user_id: UserId(r.user_id),
            email: r.email,
            name: r.name,
            status: r
                .status
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("member status {}", r.status)))?,
            confirmed: r.email_confirmed,
            created_at: Timestamp(r.created_at),
            last_active_at: (r.last_active_at != 0).then_some(Timestamp(r.last_active_at)),
        })
    }
}

fn member_select() -> SelectStatement {
    Query::select()
        .column(("members", "user_id"))
        .column(("members", "email"))
        .column(("members", "name"))
        .column(("members", "status"))
        .column(("users", "email_confirmed"))
        .column(("members", "created_at"))
        .column(("members", "last_active_at"))
        .from("members")
        .inner_join(
            "users",
            Expr::col(("users", "id")).equals(("members", "user_id")),
        )
        .to_owned()
}

/// Inserts memberships in one multi-row statement per chunk and adds them to
/// the status counters.
pub async fn insert_members(tx: &mut Tx, rows: &[NewMember]) -> Result<()> {
    for chunk in rows.chunks(500) {
        let mut q = Query::insert();
        q.into_table("members").columns([
            "org_id",
            "user_id",
            "email",
            "name",
            "status",
            "created_at",
            "last_active_at",
        ]);
        for m in chunk {
            q.values_panic([
                m.org_id.0.into(),
                m.user_id.0.into(),
                m.email.clone().into(),
                m.name.clone().into(),
                m.status.as_str().into(),
                m.created_at.0.into(),
                m.last_active_at.map_or(0, |t| t.0).into(),
            ]);
        }
        tx.execute(&q).await?;
    }
    let mut per_org: std::collections::BTreeMap<(OrgId, MemberStatus), i64> = Default::default();
    for m in rows {
        *per_org.entry((m.org_id, m.status)).or_default() += 1;
    }
    for ((org, status), n) in per_org {
        add_to_count(tx, org, status, n).await?;
    }
    Ok(())
}

async fn add_to_count(tx: &mut Tx, org: OrgId, status: MemberStatus, n: i64) -> Result<()> {
    if n == 0 {
        return Ok(());
    }
    tx.execute(
        Query::update()
            .table("member_counts")
            .value("count", Expr::col("count").add(n))
            .and_where(Expr::col("org_id").eq(org.0))
            .and_where(Expr::col("status").eq(status.as_str())),
    )
    .await?;
    Ok(())
}

/// One member of an organization.
pub async fn find_member(conn: &mut Conn, org: OrgId, user: UserId) -> Result<Option<Member>> {
    let q = member_select()
        .and_where(Expr::col(("members", "org_id")).eq(org.0))
        .and_where(Expr::col(("members", "user_id")).eq(user.0))
        .to_owned();
    conn.fetch_optional::<MemberRow, _>(&q)
        .await?
        .map(Member::try_from)
        .transpose()
}

/// One member of an organization, read inside a transaction.
pub async fn find_member_tx(tx: &mut Tx, org: OrgId, user: UserId) -> Result<Option<Member>> {
    let q = member_select()
        .and_where(Expr::col(("members", "org_id")).eq(org.0))
        .and_where(Expr::col(("members", "user_id")).eq(user.0))
        .to_owned();
    tx.fetch_optional::<MemberRow, _>(&q)
        .await?
        .map(Member::try_from)
        .transpose()
}

/// Moves one member from `from` to `to` and updates the counters. Answers
/// `false` (and changes nothing) when the member's status was not `from`.
pub async fn set_status(
    tx: &mut Tx,
    org: OrgId,
    user: UserId,
    from: MemberStatus,
    to: MemberStatus,
) -> Result<bool> {
    let n = tx
        .execute(
            Query::update()
                .table("members")
                .value("status", to.as_str())
                .and_where(Expr::col("org_id").eq(org.0))
                .and_where(Expr::col("user_id").eq(user.0))
                .and_where(Expr::col("status").eq(from.as_str())),
        )
        .await?;
    if n == 1 {
        add_to_count(tx, org, from, -1).await?;
        add_to_count(tx, org, to, 1).await?;
    }
    Ok(n == 1)
}

/// Moves many members of one status to another, in one statement, and
/// updates the counters. Answers how many moved.
pub async fn set_status_many(
    tx: &mut Tx,
    org: OrgId,
    users: &[UserId],
    from: MemberStatus,
    to: MemberStatus,
) -> Result<u64> {
    let mut moved = 0;
    for chunk in users.chunks(500) {
        moved += tx
            .execute(
                Query::update()
                    .table("members")
                    .value("status", to.as_str())
                    .and_where(Expr::col("org_id").eq(org.0))
                    .and_where(Expr::col("status").eq(from.as_str()))
                    .and_where(Expr::col("user_id").is_in(chunk.iter().map(|u| u.0))),
            )
            .await?;
    }
    add_to_count(tx, org, from, -(moved as i64)).await?;
    add_to_count(tx, org, to, moved as i64).await?;
    Ok(moved)
}

/// Records that a member was active now.
pub async fn touch_member(tx: &mut Tx, org: OrgId, user: UserId, now: Timestamp) -> Result<()> {
    tx.execute(
        Query::update()
            .table("members")
            .value("last_active_at", now.0)
            .and_where(Expr::col("org_id").eq(org.0))
            .and_where(Expr::col("user_id").eq(user.0)),
    )
    .await?;
    Ok(())
}

/// Records that a user was active now in every organization where they are active.
pub async fn touch_user_memberships(tx: &mut Tx, user: UserId, now: Timestamp) -> Result<()> {
    tx.execute(
        Query::update()
            .table("members")
            .value("last_active_at", now.0)
            .and_where(Expr::col("user_id").eq(user.0))
            .and_where(Expr::col("status").eq(MemberStatus::Active.as_str())),
    )
    .await?;
    Ok(())
}

/// A user's memberships, with their organizations, by organization name.
pub async fn memberships_of_user(
    conn: &mut Conn,
    user: UserId,
) -> Result<Vec<(OrgRecord, MemberStatus)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: Uuid,
        slug: String,
        name: String,
        owner_id: Option<Uuid>,
        created_at: i64,
        status: String,
    }
    let q = Query::select()
        .column(("organizations", "id"))
        .column(("organizations", "slug"))
        .column(("organizations", "name"))
        .column(("organizations", "owner_id"))
        .column(("organizations", "created_at"))
        .column(("members", "status"))
        .from("members")
        .inner_join(
            "organizations",
            Expr::col(("organizations", "id")).equals(("members", "org_id")),
        )
        .and_where(Expr::col(("members", "user_id")).eq(user.0))
        .order_by(("organizations", "name"), Order::Asc)
        .to_owned();
    conn.fetch_all::<Row, _>(&q)
        .await?
        .into_iter()
        .map(|r| {
            let status = r
                .status
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("member status {}", r.status)))?;
            Ok((
                OrgRecord {
                    id: OrgId(r.id),
                    slug: r.slug,
                    name: r.name,
                    owner_id: r.owner_id.map(UserId),
                    created_at: Timestamp(r.created_at),
                },
                status,
            ))
        })
        .collect()
}

/// Where a page starts.
#[derive(Debug, Clone)]
pub enum PageStart {
    /// Skip this many rows (bounded by the caller to shallow pages).
    Offset(u64),
    /// Continue from a keyset cursor.
    Cursor(Cursor),
}

/// A page request over the directory.
#[derive(Debug, Clone)]
pub struct ListSpec {
    /// Which members.
    pub filter: MemberFilter,
    /// By which column.
    pub sort: MemberSort,
    /// In which direction.
    pub order: SortOrder,
    /// Where the page starts.
    pub start: PageStart,
    /// At most this many rows.
    pub limit: u64,
}

/// A page of the directory.
#[derive(Debug, Clone)]
pub struct MemberPage {
    /// The rows, in display order.
    pub items: Vec<Member>,
    /// Whether rows follow the last one (in display order).
    pub has_more_after: bool,
    /// Whether rows precede the first one.
    pub has_more_before: bool,
}

fn sort_column(sort: MemberSort) -> &'static str {
    match sort {
        MemberSort::Email => "email",
        MemberSort::Name => "name",
        MemberSort::Created => "created_at",
        MemberSort::LastActive => "last_active_at",
    }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The search predicate: the one place where the backends differ in SQL.
/// SQLite answers a substring of three or more characters from its FTS5
/// trigram index, PostgreSQL from its pg_trgm GIN index; shorter text falls
/// back to LIKE. (Custom SQL uses each builder's placeholders: `?` for
/// SQLite, `$n` for PostgreSQL.)
fn search_condition(backend: Backend, q: &str) -> Expr {
    let pattern = format!("%{}%", like_escape(q));
    match backend {
        Backend::Sqlite if q.chars().count() >= 3 => Expr::cust_with_values(
            r#""members"."rowid" IN (SELECT "rowid" FROM "members_fts" WHERE "members_fts" MATCH ?)"#,
            [format!("\"{}\"", q.replace('"', "\"\""))],
        ),
        Backend::Sqlite => Expr::cust_with_values(
            r#"("members"."email" LIKE ? ESCAPE '\' OR "members"."name" LIKE ? ESCAPE '\')"#,
            [pattern.clone(), pattern],
        ),
        Backend::Postgres => Expr::cust_with_values(
            r#"lower("members"."email" || ' ' || "members"."name") LIKE $1 ESCAPE '\'"#,
            [pattern],
        ),
    }
}

fn apply_filter(
    q: &mut SelectStatement,
    backend: Backend,
    org: OrgId,
    filter: &MemberFilter,
    with_status: bool,
) {
    q.and_where(Expr::col(("members", "org_id")).eq(org.0));
    if with_status && filter.has_status() {
        q.and_where(
            Expr::col(("members", "status")).is_in(filter.statuses.iter().map(|s| s.as_str())),
        );
    }
    if !filter.q.is_empty() {
        q.and_where(search_condition(backend, &filter.q));
    }
}

fn sort_value_expr(v: &SortValue) -> Expr {
    match v {
        SortValue::Text(s) => Expr::val(s.clone()),
        SortValue::Time(t) => Expr::val(t.map_or(0, |t| t.0)),
    }
}

/// One page of an organization's members.
pub async fn list_members(conn: &mut Conn, org: OrgId, spec: &ListSpec) -> Result<MemberPage> {
    let backend = conn.backend();
    let col = sort_column(spec.sort);
    let mut q = member_select();
    apply_filter(&mut q, backend, org, &spec.filter, true);
    let backward = matches!(&spec.start, PageStart::Cursor(c) if c.backward);
    // Reading backward walks the index the other way and flips the rows after.
    let ascending = (spec.order == SortOrder::Asc) != backward;
    let order = if ascending { Order::Asc } else { Order::Desc };
    match &spec.start {
        PageStart::Offset(n) => {
            q.offset(*n);
        }
        PageStart::Cursor(c) => {
            let left = Expr::tuple([
                Expr::col(("members", col)),
                Expr::col(("members", "user_id")),
            ]);
            let right = Expr::tuple([sort_value_expr(&c.value), Expr::val(c.id.0)]);
            q.and_where(if ascending {
                left.gt(right)
            } else {
                left.lt(right)
            });
        }
    }
    q.order_by(("members", col), order.clone())
        .order_by(("members", "user_id"), order)
        .limit(spec.limit + 1);
    let rows = conn.fetch_all::<MemberRow, _>(&q).await?;
    let more = rows.len() as u64 > spec.limit;
    let mut items = rows
        .into_iter()
        .take(spec.limit as usize)
        .map(Member::try_from)
        .collect::<Result<Vec<_>>>()?;
    let (has_more_after, has_more_before) = match &spec.start {
        PageStart::Offset(n) => (more, *n > 0),
        PageStart::Cursor(c) if c.backward => {
            items.reverse();
            (true, more)
        }
        PageStart::Cursor(_) => (more, true),
    };
    Ok(MemberPage {
        items,
        has_more_after,
        has_more_before,
    })
}

/// Per-status counts over a filter's search part (its status part is
/// ignored, as the badges show every status). Answers the counts and whether
/// they stopped at [`SEARCH_COUNT_CAP`].
pub async fn count_members(
    conn: &mut Conn,
    org: OrgId,
    filter: &MemberFilter,
) -> Result<(StatusCounts, bool)> {
    #[derive(sqlx::FromRow)]
    struct CountRow {
        status: String,
        n: i64,
    }
    let q = if filter.q.is_empty() {
        Query::select()
            .column("status")
            .expr_as(Expr::col("count"), Alias::new("n"))
            .from("member_counts")
            .and_where(Expr::col("org_id").eq(org.0))
            .to_owned()
    } else {
        let mut inner = Query::select();
        inner.column(("members", "status")).from("members");
        apply_filter(&mut inner, conn.backend(), org, filter, false);
        inner.limit(SEARCH_COUNT_CAP + 1);
        Query::select()
            .column("status")
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .from_subquery(inner, Alias::new("matched"))
            .group_by_col("status")
            .to_owned()
    };
    let mut counts = StatusCounts::default();
    for r in conn.fetch_all::<CountRow, _>(&q).await? {
        let status: MemberStatus = r
            .status
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("member status {}", r.status)))?;
        counts.add(status, r.n.clamp(0, i64::MAX) as u64);
    }
    let total: u64 = MemberStatus::ALL.iter().map(|s| counts.get(*s)).sum();
    Ok((counts, !filter.q.is_empty() && total > SEARCH_COUNT_CAP))
}

/// The ids of the next `limit` members (by id, after `after`) that match a
/// filter and have one of `statuses`, for bulk changes.
pub async fn select_member_ids(
    tx: &mut Tx,
    org: OrgId,
    filter: &MemberFilter,
    statuses: &[MemberStatus],
    after: Option<UserId>,
    limit: u64,
) -> Result<Vec<(UserId, MemberStatus)>> {
    #[derive(sqlx::FromRow)]
    struct IdRow {
        user_id: Uuid,
        status: String,
    }
    let mut q = Query::select();
    q.column(("members", "user_id"))
        .column(("members", "status"))
        .from("members");
    let statuses: Vec<MemberStatus> = statuses
        .iter()
        .copied()
        .filter(|s| filter.admits(*s))
        .collect();
    if statuses.is_empty() {
        return Ok(Vec::new());
    }
    let narrowed = MemberFilter {
        q: filter.q.clone(),
        statuses,
    };
    apply_filter(&mut q, tx.backend(), org, &narrowed, true);
    if let Some(a) = after {
        q.and_where(Expr::col(("members", "user_id")).gt(a.0));
    }
    q.order_by(("members", "user_id"), Order::Asc).limit(limit);
    tx.fetch_all::<IdRow, _>(&q)
        .await?
        .into_iter()
        .map(|r| {
            let s = r
                .status
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("member status {}", r.status)))?;
            Ok((UserId(r.user_id), s))
        })
        .collect()
}

/// Counts members matching a filter whose status is one of `statuses`
/// (the preview of a bulk change). Uses the counters when there is no search.
pub async fn count_for_change(
    conn: &mut Conn,
    org: OrgId,
    filter: &MemberFilter,
    statuses: &[MemberStatus],
) -> Result<u64> {
    let statuses: Vec<MemberStatus> = statuses
        .iter()
        .copied()
        .filter(|s| filter.admits(*s))
        .collect();
    if statuses.is_empty() {
        return Ok(0);
    }
    if filter.q.is_empty() {
        let (counts, _) = count_members(conn, org, filter).await?;
        return Ok(statuses.iter().map(|s| counts.get(*s)).sum());
    }
    #[derive(sqlx::FromRow)]
    struct N {
        n: i64,
    }
    let mut q = Query::select();
    q.expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from("members");
    apply_filter(
        &mut q,
        conn.backend(),
        org,
        &MemberFilter {
            q: filter.q.clone(),
            statuses,
        },
        true,
    );
    Ok(conn.fetch_one::<N, _>(&q).await?.n.clamp(0, i64::MAX) as u64)
}
