//! Memberships and the Users directory's queries.
//!
//! Lists page by keyset (`(sort column, user_id)` compared as a row value,
//! read through an index on `(org_id, [status,] column, user_id)`), so a deep
//! page costs what the first one does. Badge counts come from the
//! `member_counts` table, which every status change updates in its own
//! transaction; only a search counts rows, and then at most
//! [`SEARCH_COUNT_CAP`] of them.
//!
//! A search reads its rows one of two ways (see [`SearchPath`]): from the
//! trigram index when few rows match, or by walking the sort order's index and
//! testing each row when so many match that a page fills after a few rows.
//! PostgreSQL's planner makes that choice from pg_trgm's statistics; SQLite's
//! cannot see how many rows an FTS5 query matches, so [`list_members`] asks
//! the index first (a bounded count) and builds the query for the answer.
//!
//! An address condition (the `email` filter, or a search that is a whole
//! address) is never a trigram search: an exact address is an equality and
//! a prefix a range on `members.email`, read from the email indexes on both
//! backends, so that looking a member up by address costs an index lookup.

use roster_domain::members::{Cursor, EmailMatch, Member, SortValue, StatusCounts};
use roster_domain::{MemberFilter, MemberSort, MemberStatus, OrgId, SortOrder, Timestamp, UserId};
use sea_query::{Alias, Expr, ExprTrait, Iden, Order, Query, QueryBuilder, SelectStatement, Values};
use sea_query_sqlx::{SqlxBinder, SqlxValues};
use uuid::Uuid;

use crate::db::Conn;
use crate::orgs::OrgRecord;
use crate::tables::{MemberCounts, MemberRoles, Members, MembersFts, Organizations, Roles, Users, qualified, quoted};
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
            status: r.status.parse().map_err(|_| StoreError::Corrupt(format!("member status {}", r.status)))?,
            confirmed: r.email_confirmed,
            created_at: Timestamp(r.created_at),
            last_active_at: (r.last_active_at != 0).then_some(Timestamp(r.last_active_at)),
        })
    }
}

fn member_select() -> SelectStatement {
    member_select_from(Source::Members)
}

/// Which rows a query reads first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The members table, through whichever index fits the sort and filter.
    Members,
    /// SQLite: the FTS5 trigram index's matches (few matches).
    Trigrams,
    /// SQLite: the holders of a role (few holders), then their rows.
    RoleHolders,
}

/// The directory's columns, read from `members`, or first from the FTS5
/// trigram index's matches joined to `members` by rowid, or first from a
/// role's holders (SQLite only; `CROSS JOIN` keeps the first table as the
/// outer loop, so that its rows stream in and a `LIMIT` stops reading them).
fn member_select_from(source: Source) -> SelectStatement {
    let mut q = Query::select();
    q.column((Members::Table, Members::UserId))
        .column((Members::Table, Members::Email))
        .column((Members::Table, Members::Name))
        .column((Members::Table, Members::Status))
        .column((Users::Table, Users::EmailConfirmed))
        .column((Members::Table, Members::CreatedAt))
        .column((Members::Table, Members::LastActiveAt));
    from_members(&mut q, source);
    q.inner_join(Users::Table, Expr::col((Users::Table, Users::Id)).equals((Members::Table, Members::UserId)));
    q
}

fn from_members(q: &mut SelectStatement, source: Source) {
    // A CROSS JOIN takes no ON in sea-query: the join condition is a WHERE term.
    match source {
        Source::Trigrams => {
            q.from(MembersFts::Table)
                .cross_join(Members::Table)
                .and_where(Expr::col((Members::Table, Members::Rowid)).equals((MembersFts::Table, MembersFts::Rowid)));
        }
        Source::RoleHolders => {
            q.from(MemberRoles::Table)
                .cross_join(Members::Table)
                .and_where(Expr::col((Members::Table, Members::OrgId)).equals((MemberRoles::Table, MemberRoles::OrgId)))
                .and_where(
                    Expr::col((Members::Table, Members::UserId)).equals((MemberRoles::Table, MemberRoles::UserId)),
                );
        }
        Source::Members => {
            q.from(Members::Table);
        }
    }
}

/// Rows per multi-row INSERT: 7 values each stays under SQLite's 32,766 and
/// PostgreSQL's 65,535 bound parameters. Few, large statements matter on
/// SQLite: each statement flushes the FTS5 trigram index's pending terms to a
/// new segment (at its statement savepoint) and journals the pages it touches
/// first, so 500-row statements spent more time merging segments and
/// journaling than inserting.
const INSERT_CHUNK: usize = 4_000;

/// Inserts memberships in one multi-row statement per chunk and adds them to
/// the status counters.
pub async fn insert_members(tx: &mut Tx, rows: &[NewMember]) -> Result<()> {
    for chunk in rows.chunks(INSERT_CHUNK) {
        let mut q = Query::insert();
        q.into_table(Members::Table).columns([
            Members::OrgId,
            Members::UserId,
            Members::Email,
            Members::Name,
            Members::Status,
            Members::CreatedAt,
            Members::LastActiveAt,
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

/// A fixed statement without parameters, for the schema changes of a bulk
/// load and the catalog reads behind them (sea-query builds no DDL that the
/// store can run). Never built from user input.
struct FixedSql(String);

impl SqlxBinder for FixedSql {
    fn build_sqlx<T: QueryBuilder>(&self, _: T) -> (String, SqlxValues) {
        (self.0.clone(), SqlxValues(Values(Vec::new())))
    }
}

/// The SQLite trigger that copies each new membership into the trigram
/// index; a bulk load sets it aside with the indexes.
const FTS_INSERT_TRIGGER: &str = "members_fts_insert";

/// A bulk load adds at least this many rows, and at least as many as the
/// table holds, before [`BulkLoad::start`] sets the indexes aside.
const BULK_LOAD_MIN: u64 = 100_000;

/// A bulk insert of memberships that sets `members`' secondary indexes (and,
/// on SQLite, the trigger that feeds the trigram index) aside and builds them
/// again once the rows are in: sorting a million keys once per index costs a
/// fraction of inserting them one by one into eight B-trees and an FTS5
/// index. Worth it only when the load is large next to the table, so
/// [`BulkLoad::start`] decides; either way the caller then inserts with
/// [`insert_members`] and calls [`BulkLoad::finish`] in the same transaction.
///
/// The schema changes are transactional on both backends, so a failed load
/// leaves the indexes as they were. On PostgreSQL, dropping an index locks the
/// table against readers until the transaction ends: this is for `dev seed`
/// and tests, never for a live organization.
#[derive(Debug)]
pub struct BulkLoad {
    /// The statements that rebuild what was set aside, in order.
    rebuild: Vec<String>,
    /// SQLite: the largest `members.rowid` before the load; later rows are
    /// added to the trigram index on [`BulkLoad::finish`].
    fts_after: Option<i64>,
}

impl BulkLoad {
    /// Sets the indexes aside if adding `adding` rows makes that worth it.
    pub async fn start(tx: &mut Tx, adding: u64) -> Result<Self> {
        #[derive(sqlx::FromRow)]
        struct N {
            n: i64,
        }
        #[derive(sqlx::FromRow)]
        struct Object {
            kind: String,
            name: String,
            sql: String,
        }
        let none = Self { rebuild: Vec::new(), fts_after: None };
        if adding < BULK_LOAD_MIN {
            return Ok(none);
        }
        let held = Query::select()
            .expr_as(
                Expr::cust(format!("CAST(COALESCE(SUM({}), 0) AS BIGINT)", quoted(MemberCounts::Count))),
                Alias::new("n"),
            )
            .from(MemberCounts::Table)
            .to_owned();
        if tx.fetch_one::<N, _>(&held).await?.n.clamp(0, i64::MAX) as u64 > adding {
            return Ok(none);
        }
        let (objects, fts_after) = match tx.backend() {
            Backend::Sqlite => {
                // Secondary indexes (the primary key's has no SQL) and the
                // trigger that copies each new row into the trigram index.
                let objects = tx
                    .fetch_all::<Object, _>(&FixedSql(format!(
                        r#"SELECT "type" AS "kind", "name", "sql" FROM "sqlite_master"
                           WHERE "tbl_name" = '{members}' AND "sql" IS NOT NULL
                             AND ("type" = 'index' OR "name" = '{FTS_INSERT_TRIGGER}')"#,
                        members = Members::Table.unquoted(),
                    )))
                    .await?;
                let last = Query::select()
                    .expr_as(Expr::cust(format!("COALESCE(MAX({}), 0)", quoted(Members::Rowid))), Alias::new("n"))
                    .from(Members::Table)
                    .to_owned();
                (objects, Some(tx.fetch_one::<N, _>(&last).await?.n))
            }
            Backend::Postgres => {
                let objects = tx
                    .fetch_all::<Object, _>(&FixedSql(format!(
                        r#"SELECT 'index' AS "kind", i.relname::text AS "name", pg_get_indexdef(i.oid) AS "sql"
                           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                           WHERE x.indrelid = '{members}'::regclass AND NOT x.indisunique"#,
                        members = Members::Table.unquoted(),
                    )))
                    .await?;
                (objects, None)
            }
        };
        let mut rebuild = Vec::with_capacity(objects.len());
        for o in objects {
            let kind = if o.kind == "trigger" { "TRIGGER" } else { "INDEX" };
            tx.execute(&FixedSql(format!(r#"DROP {kind} "{}""#, o.name.replace('"', "\"\"")))).await?;
            rebuild.push(o.sql);
        }
        if tx.backend() == Backend::Postgres {
            // Memory to sort in while the indexes are built again (the
            // default 64 MB makes the trigram index's build spill); the
            // setting ends with the transaction.
            tx.execute(&FixedSql("SET LOCAL maintenance_work_mem = '256MB'".into())).await?;
        }
        Ok(Self { rebuild, fts_after })
    }

    /// Whether the indexes are set aside (the load must then finish in the
    /// transaction that started it).
    pub fn is_active(&self) -> bool {
        !self.rebuild.is_empty()
    }

    /// Adds the loaded rows to the trigram index and rebuilds what
    /// [`BulkLoad::start`] set aside.
    pub async fn finish(self, tx: &mut Tx) -> Result<()> {
        if !self.is_active() {
            return Ok(());
        }
        if let Some(after) = self.fts_after {
            let rows = Query::select()
                .columns([Members::Rowid, Members::Email, Members::Name])
                .from(Members::Table)
                .and_where(Expr::col(Members::Rowid).gt(after))
                .order_by(Members::Rowid, Order::Asc)
                .to_owned();
            let fill = Query::insert()
                .into_table(MembersFts::Table)
                .columns([MembersFts::Rowid, MembersFts::Email, MembersFts::Name])
                .select_from(rows)
                .map_err(|e| StoreError::Corrupt(format!("trigram fill: {e}")))?
                .to_owned();
            tx.execute(&fill).await?;
        }
        for sql in self.rebuild {
            tx.execute(&FixedSql(sql)).await?;
        }
        Ok(())
    }
}

async fn add_to_count(tx: &mut Tx, org: OrgId, status: MemberStatus, n: i64) -> Result<()> {
    if n == 0 {
        return Ok(());
    }
    tx.execute(
        Query::update()
            .table(MemberCounts::Table)
            .value(MemberCounts::Count, Expr::col(MemberCounts::Count).add(n))
            .and_where(Expr::col(MemberCounts::OrgId).eq(org.0))
            .and_where(Expr::col(MemberCounts::Status).eq(status.as_str())),
    )
    .await?;
    Ok(())
}

/// One member of an organization.
pub async fn find_member(r: &mut impl crate::Reader, org: OrgId, user: UserId) -> Result<Option<Member>> {
    let q = member_select()
        .and_where(Expr::col((Members::Table, Members::OrgId)).eq(org.0))
        .and_where(Expr::col((Members::Table, Members::UserId)).eq(user.0))
        .to_owned();
    r.read_optional::<MemberRow, _>(&q).await?.map(Member::try_from).transpose()
}

/// A member's status, or `None` for a user who is not a member.
pub async fn member_status(r: &mut impl crate::Reader, org: OrgId, user: UserId) -> Result<Option<MemberStatus>> {
    #[derive(sqlx::FromRow)]
    struct S {
        status: String,
    }
    let q = Query::select()
        .column(Members::Status)
        .from(Members::Table)
        .and_where(Expr::col(Members::OrgId).eq(org.0))
        .and_where(Expr::col(Members::UserId).eq(user.0))
        .to_owned();
    r.read_optional::<S, _>(&q)
        .await?
        .map(|s| s.status.parse().map_err(|_| StoreError::Corrupt(format!("member status {}", s.status))))
        .transpose()
}

/// The member of an organization with this email, if any: the user's id.
/// Only this organization's members are looked at, so the answer says
/// nothing about accounts elsewhere.
pub async fn member_id_by_email(
    r: &mut impl crate::Reader,
    org: OrgId,
    email: &roster_domain::Email,
) -> Result<Option<UserId>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        user_id: Uuid,
    }
    let q = Query::select()
        .column(Members::UserId)
        .from(Members::Table)
        .and_where(Expr::col(Members::OrgId).eq(org.0))
        .and_where(Expr::col(Members::Email).eq(email.as_str()))
        .to_owned();
    Ok(r.read_optional::<Row, _>(&q).await?.map(|r| UserId(r.user_id)))
}

/// Moves one member from `from` to `to` and updates the counters. Answers
/// `false` (and changes nothing) when the member's status was not `from`.
pub async fn set_status(tx: &mut Tx, org: OrgId, user: UserId, from: MemberStatus, to: MemberStatus) -> Result<bool> {
    let n = tx
        .execute(
            Query::update()
                .table(Members::Table)
                .value(Members::Status, to.as_str())
                .and_where(Expr::col(Members::OrgId).eq(org.0))
                .and_where(Expr::col(Members::UserId).eq(user.0))
                .and_where(Expr::col(Members::Status).eq(from.as_str())),
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
                    .table(Members::Table)
                    .value(Members::Status, to.as_str())
                    .and_where(Expr::col(Members::OrgId).eq(org.0))
                    .and_where(Expr::col(Members::Status).eq(from.as_str()))
                    .and_where(Expr::col(Members::UserId).is_in(chunk.iter().map(|u| u.0))),
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
            .table(Members::Table)
            .value(Members::LastActiveAt, now.0)
            .and_where(Expr::col(Members::OrgId).eq(org.0))
            .and_where(Expr::col(Members::UserId).eq(user.0)),
    )
    .await?;
    Ok(())
}

/// Records that a user was active now in every organization where they are active.
pub async fn touch_user_memberships(tx: &mut Tx, user: UserId, now: Timestamp) -> Result<()> {
    tx.execute(
        Query::update()
            .table(Members::Table)
            .value(Members::LastActiveAt, now.0)
            .and_where(Expr::col(Members::UserId).eq(user.0))
            .and_where(Expr::col(Members::Status).eq(MemberStatus::Active.as_str())),
    )
    .await?;
    Ok(())
}

/// A user's memberships, with their organizations, by organization name.
pub async fn memberships_of_user(conn: &mut Conn, user: UserId) -> Result<Vec<(OrgRecord, MemberStatus)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        org: crate::orgs::OrgRow,
        status: String,
    }
    let mut q = Query::select();
    for c in crate::orgs::COLUMNS {
        q.column((Organizations::Table, c));
    }
    q.column((Members::Table, Members::Status))
        .from(Members::Table)
        .inner_join(
            Organizations::Table,
            Expr::col((Organizations::Table, Organizations::Id)).equals((Members::Table, Members::OrgId)),
        )
        .and_where(Expr::col((Members::Table, Members::UserId)).eq(user.0))
        .order_by((Organizations::Table, Organizations::Name), Order::Asc);
    conn.fetch_all::<Row, _>(&q)
        .await?
        .into_iter()
        .map(|r| {
            let status = r.status.parse().map_err(|_| StoreError::Corrupt(format!("member status {}", r.status)))?;
            Ok((r.org.into(), status))
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
pub type MemberPage = roster_domain::page::Page<Member>;

fn sort_column(sort: MemberSort) -> Members {
    match sort {
        MemberSort::Email => Members::Email,
        MemberSort::Name => Members::Name,
        MemberSort::Created => Members::CreatedAt,
        MemberSort::LastActive => Members::LastActiveAt,
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

/// On SQLite, a search whose text matches at least this many rows (in the
/// whole trigram index) walks the sort order's index instead of reading the
/// matches: with that many matches a page of 200 fills after about
/// `200 × members ÷ 5,000` rows (40,000 in an organization of a million),
/// while below it, reading and sorting every match costs at most 5,000
/// lookups.
const TRIGRAM_READ_MAX: u64 = 5_000;

/// How a query applies the search text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SearchPath {
    /// Test each row the query reads: a LIKE on PostgreSQL (its planner reads
    /// the pg_trgm index for it when that pays) and for text shorter than a
    /// trigram; on SQLite, also when the text is so common that walking the
    /// sort order's index fills a page after a few rows.
    RowTest,
    /// SQLite: read the FTS5 trigram index's matches first, in rowid order,
    /// then fetch, filter and sort those rows (few matches).
    Trigrams,
    /// SQLite: test membership of the trigram index's whole match set
    /// (`rowid IN (…)`), for bulk changes that read every match anyway.
    TrigramSet,
}

/// Whether the search needs the SQLite trigram index as the outer loop.
fn reads_trigrams(backend: Backend, filter: &MemberFilter, path: SearchPath) -> bool {
    backend == Backend::Sqlite && path == SearchPath::Trigrams && fts_query(filter).is_some()
}

/// The trigram index's FTS5 match against one bound query (SQLite).
fn fts_match() -> String {
    format!("{} MATCH ?", quoted(MembersFts::Table))
}

/// FTS5's trigram tokenizer answers text of three characters or more.
fn uses_trigrams(q: &str) -> bool {
    q.chars().count() >= 3
}

/// An FTS5 query for the text as one phrase (a substring).
fn fts_phrase(q: &str) -> String {
    format!("\"{}\"", q.replace('"', "\"\""))
}

/// The FTS5 query for a filter's text parts that the trigram index can
/// answer (three characters or more): the search as a phrase in either
/// column, the name filter as a phrase in the `name` column. `None` when no
/// part can use the index.
fn fts_query(filter: &MemberFilter) -> Option<String> {
    let mut parts = Vec::new();
    let q = filter.q_text();
    if uses_trigrams(q) {
        parts.push(fts_phrase(q));
    }
    if uses_trigrams(&filter.name) {
        parts.push(format!("{} : {}", MembersFts::Name.unquoted(), fts_phrase(&filter.name)));
    }
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

/// The smallest text that sorts after every text beginning with `prefix`,
/// in the byte order both backends use for `members.email` (SQLite's BINARY
/// collation, PostgreSQL's `COLLATE "C"`: UTF-8 bytes compare as code
/// points do). `None` when there is none (an empty prefix).
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last as u32 + 1 {
            0xD800 => 0xE000,
            n => n,
        };
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// The address conditions: an exact address is an equality, a prefix a
/// range (`email >= 'ann' AND email < 'ano'`), so that both backends read
/// them from the `(org_id, [status,] email, user_id)` indexes.
fn email_conditions(filter: &MemberFilter) -> Vec<Expr> {
    let col = || Expr::col((Members::Table, Members::Email));
    let mut out = Vec::new();
    for m in filter.email_matches() {
        match m {
            EmailMatch::Exact(a) => out.push(col().eq(a)),
            EmailMatch::Prefix(p) => {
                if let Some(end) = prefix_end(&p) {
                    out.push(col().lt(end));
                }
                out.push(col().gte(p));
            }
        }
    }
    out
}

/// The text predicates (search and name): the one place where the backends
/// differ in SQL. SQLite answers text of three or more characters from its
/// FTS5 trigram index (one MATCH for every such part), PostgreSQL from its
/// pg_trgm GIN index over `lower(email || ' ' || name)` (a name filter tests
/// that expression too, so that the index serves it, then the name alone);
/// shorter text falls back to LIKE. (Custom SQL uses each builder's
/// placeholders: `?` for SQLite, `$n` for PostgreSQL.)
fn search_condition(backend: Backend, filter: &MemberFilter, path: SearchPath) -> Option<Expr> {
    let pattern = |t: &str| format!("%{}%", like_escape(t));
    let q = filter.q_text();
    let name = filter.name.as_str();
    let email_col = qualified(Members::Table, Members::Email);
    let name_col = qualified(Members::Table, Members::Name);
    let mut out = Vec::new();
    match backend {
        Backend::Sqlite => {
            let indexed = matches!(path, SearchPath::Trigrams | SearchPath::TrigramSet);
            if indexed && let Some(fts) = fts_query(filter) {
                out.push(if path == SearchPath::Trigrams {
                    Expr::cust_with_values(fts_match(), [fts])
                } else {
                    Expr::cust_with_values(
                        format!(
                            "{} IN (SELECT {} FROM {} WHERE {})",
                            qualified(Members::Table, Members::Rowid),
                            quoted(MembersFts::Rowid),
                            quoted(MembersFts::Table),
                            fts_match(),
                        ),
                        [fts],
                    )
                });
            }
            // Text the trigram index did not answer is tested with LIKE.
            let needs_like = |t: &str| !t.is_empty() && (!indexed || !uses_trigrams(t));
            if needs_like(q) {
                out.push(Expr::cust_with_values(
                    format!(r#"({email_col} LIKE ? ESCAPE '\' OR {name_col} LIKE ? ESCAPE '\')"#),
                    [pattern(q), pattern(q)],
                ));
            }
            if needs_like(name) {
                out.push(Expr::cust_with_values(format!(r#"{name_col} LIKE ? ESCAPE '\'"#), [pattern(name)]));
            }
        }
        Backend::Postgres => {
            // The expression of the pg_trgm index (`members_search`), so
            // that the planner can read the index for it.
            let text = format!("lower({email_col} || ' ' || {name_col})");
            if !q.is_empty() {
                out.push(Expr::cust_with_values(format!(r#"{text} LIKE $1 ESCAPE '\'"#), [pattern(q)]));
            }
            if !name.is_empty() {
                out.push(Expr::cust_with_values(
                    format!(r#"({text} LIKE $1 ESCAPE '\' AND lower({name_col}) LIKE $2 ESCAPE '\')"#),
                    [pattern(name), pattern(name)],
                ));
            }
        }
    }
    out.into_iter().reduce(|a, b| a.and(b))
}

/// The alias of `member_roles` in the role filter's `EXISTS` subquery.
const HELD: &str = "held";

#[allow(clippy::too_many_arguments)]
fn apply_filter(
    q: &mut SelectStatement,
    backend: Backend,
    org: OrgId,
    filter: &MemberFilter,
    with_status: bool,
    path: SearchPath,
    source: Source,
) {
    q.and_where(Expr::col((Members::Table, Members::OrgId)).eq(org.0));
    if with_status && filter.has_status() {
        q.and_where(Expr::col((Members::Table, Members::Status)).is_in(filter.statuses.iter().map(|s| s.as_str())));
    }
    for c in email_conditions(filter) {
        q.and_where(c);
    }
    if let Some(c) = search_condition(backend, filter, path) {
        q.and_where(c);
    }
    if let Some(role) = filter.role {
        if source == Source::RoleHolders {
            q.and_where(Expr::col((MemberRoles::Table, MemberRoles::OrgId)).eq(org.0))
                .and_where(Expr::col((MemberRoles::Table, MemberRoles::RoleId)).eq(role.0));
        } else {
            q.and_where(Expr::exists(
                Query::select()
                    .expr(Expr::cust("1"))
                    .from_as(MemberRoles::Table, Alias::new(HELD))
                    .and_where(Expr::col((HELD, MemberRoles::OrgId)).equals((Members::Table, Members::OrgId)))
                    .and_where(Expr::col((HELD, MemberRoles::UserId)).equals((Members::Table, Members::UserId)))
                    .and_where(Expr::col((HELD, MemberRoles::RoleId)).eq(role.0))
                    .to_owned(),
            ));
        }
    }
}

/// On SQLite, a role held by fewer members than this is read from its
/// holders first (and their rows sorted); a commoner one is tested on each
/// row while walking the sort order's index, which fills a page quickly.
const ROLE_READ_MAX: i64 = 5_000;

/// Whether a filter's role is rare enough, on SQLite, to read its holders first.
async fn reads_role_holders(conn: &mut Conn, org: OrgId, filter: &MemberFilter) -> Result<bool> {
    let Some(role) = filter.role else { return Ok(false) };
    if conn.backend() != Backend::Sqlite {
        return Ok(false);
    }
    #[derive(sqlx::FromRow)]
    struct N {
        member_count: i64,
    }
    let q = Query::select()
        .column(Roles::MemberCount)
        .from(Roles::Table)
        .and_where(Expr::col(Roles::OrgId).eq(org.0))
        .and_where(Expr::col(Roles::Id).eq(role.0))
        .to_owned();
    Ok(conn.fetch_optional::<N, _>(&q).await?.is_some_and(|n| n.member_count < ROLE_READ_MAX))
}

/// The source of a list query and how it applies the search.
async fn plan(conn: &mut Conn, org: OrgId, filter: &MemberFilter) -> Result<(Source, SearchPath)> {
    if reads_role_holders(conn, org, filter).await? {
        return Ok((Source::RoleHolders, SearchPath::RowTest));
    }
    // An address condition is read from the email index: an exact address
    // is one row and a prefix a range, where the trigram index would read
    // the match lists of common trigrams such as "@ac".
    if !filter.email_matches().is_empty() {
        return Ok((Source::Members, SearchPath::RowTest));
    }
    let path = search_path(conn, filter).await?;
    let source = if reads_trigrams(conn.backend(), filter, path) { Source::Trigrams } else { Source::Members };
    Ok((source, path))
}

/// Chooses how a page reads a search's rows. PostgreSQL's planner estimates
/// a pg_trgm match from statistics and needs no help. SQLite's treats every
/// FTS5 query alike, so it is asked here: a count of matches, stopped at
/// [`TRIGRAM_READ_MAX`], that reads only the index's list of row ids.
async fn search_path(conn: &mut Conn, filter: &MemberFilter) -> Result<SearchPath> {
    let Some(fts) = fts_query(filter).filter(|_| conn.backend() == Backend::Sqlite) else {
        return Ok(SearchPath::RowTest);
    };
    #[derive(sqlx::FromRow)]
    struct N {
        n: i64,
    }
    let hits = Query::select()
        .expr(Expr::cust("1"))
        .from(MembersFts::Table)
        .and_where(Expr::cust_with_values(fts_match(), [fts]))
        .limit(TRIGRAM_READ_MAX)
        .to_owned();
    let probe = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from_subquery(hits, Alias::new("hits"))
        .to_owned();
    let n = conn.fetch_one::<N, _>(&probe).await?.n;
    Ok(if (n as u64) < TRIGRAM_READ_MAX { SearchPath::Trigrams } else { SearchPath::RowTest })
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
    let (source, path) = plan(conn, org, &spec.filter).await?;
    let mut q = member_select_from(source);
    apply_filter(&mut q, backend, org, &spec.filter, true, path, source);
    let backward = matches!(&spec.start, PageStart::Cursor(c) if c.backward);
    // Reading backward walks the index the other way and flips the rows after.
    let ascending = (spec.order == SortOrder::Asc) != backward;
    let order = if ascending { Order::Asc } else { Order::Desc };
    // An address condition reads its rows from the email index (see `plan`);
    // under another sort they are then sorted. The sort column is written as
    // an expression (the same values and order) so that no planner walks
    // that column's index instead: without statistics, SQLite would scan a
    // whole organization in name order to find one address.
    let sort_key = if spec.filter.email_matches().is_empty() || spec.sort == MemberSort::Email {
        Expr::col((Members::Table, col))
    } else if matches!(spec.sort, MemberSort::Name) {
        Expr::cust(format!("{} || ''", qualified(Members::Table, Members::Name)))
    } else {
        Expr::col((Members::Table, col)).add(0)
    };
    match &spec.start {
        PageStart::Offset(n) => {
            q.offset(*n);
        }
        PageStart::Cursor(c) => {
            let left = Expr::tuple([sort_key.clone(), Expr::col((Members::Table, Members::UserId))]);
            let right = Expr::tuple([sort_value_expr(&c.value), Expr::val(c.id.0)]);
            q.and_where(if ascending { left.gt(right) } else { left.lt(right) });
        }
    }
    q.order_by_expr(sort_key, order.clone()).order_by((Members::Table, Members::UserId), order).limit(spec.limit + 1);
    // A search or a role filter is planned for its values (see `fetch_all_planned`).
    let rows = if !spec.filter.has_text() && spec.filter.role.is_none() {
        conn.fetch_all::<MemberRow, _>(&q).await?
    } else {
        conn.fetch_all_planned::<MemberRow, _>(&q).await?
    };
    let more = rows.len() as u64 > spec.limit;
    let mut items = rows.into_iter().take(spec.limit as usize).map(Member::try_from).collect::<Result<Vec<_>>>()?;
    let (has_more_after, has_more_before) = match &spec.start {
        PageStart::Offset(n) => (more, *n > 0),
        PageStart::Cursor(c) if c.backward => {
            items.reverse();
            (true, more)
        }
        PageStart::Cursor(_) => (more, true),
    };
    Ok(MemberPage { items, has_more_after, has_more_before })
}

/// Per-status counts over a filter's search part (its status part is
/// ignored, as the badges show every status). Answers the counts and whether
/// they stopped at [`SEARCH_COUNT_CAP`].
pub async fn count_members(conn: &mut Conn, org: OrgId, filter: &MemberFilter) -> Result<(StatusCounts, bool)> {
    #[derive(sqlx::FromRow)]
    struct CountRow {
        status: String,
        n: i64,
    }
    let capped = filter.has_text() || filter.role.is_some();
    let q = if !capped {
        Query::select()
            .column(MemberCounts::Status)
            .expr_as(Expr::col(MemberCounts::Count), Alias::new("n"))
            .from(MemberCounts::Table)
            .and_where(Expr::col(MemberCounts::OrgId).eq(org.0))
            .to_owned()
    } else {
        // Read the matches from the trigram index or the role's holders (on
        // SQLite, streamed, so that the cap stops the reading), never by
        // walking the whole organization.
        let backend = conn.backend();
        let mut inner = Query::select();
        inner.column((Members::Table, Members::Status));
        let source = if backend != Backend::Sqlite {
            Source::Members
        } else if filter.role.is_some() && (!filter.has_text() || reads_role_holders(conn, org, filter).await?) {
            Source::RoleHolders
        } else if !filter.email_matches().is_empty() {
            // The email index reads the matching addresses (see `plan`).
            Source::Members
        } else if reads_trigrams(backend, filter, SearchPath::Trigrams) {
            Source::Trigrams
        } else {
            Source::Members
        };
        let path = if source == Source::Trigrams { SearchPath::Trigrams } else { SearchPath::RowTest };
        from_members(&mut inner, source);
        apply_filter(&mut inner, backend, org, filter, false, path, source);
        inner.limit(SEARCH_COUNT_CAP + 1);
        Query::select()
            .column(Members::Status)
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .from_subquery(inner, Alias::new("matched"))
            .group_by_col(Members::Status)
            .to_owned()
    };
    let mut counts = StatusCounts::default();
    for r in conn.fetch_all_planned::<CountRow, _>(&q).await? {
        let status: MemberStatus =
            r.status.parse().map_err(|_| StoreError::Corrupt(format!("member status {}", r.status)))?;
        counts.add(status, r.n.clamp(0, i64::MAX) as u64);
    }
    let total: u64 = MemberStatus::ALL.iter().map(|s| counts.get(*s)).sum();
    Ok((counts, capped && total > SEARCH_COUNT_CAP))
}

/// How a bulk change's queries apply the search: testing the whole trigram
/// match set, unless an address condition already narrows the rows through
/// the email index (then each of those rows is tested).
fn bulk_path(filter: &MemberFilter) -> SearchPath {
    if filter.email_matches().is_empty() { SearchPath::TrigramSet } else { SearchPath::RowTest }
}

/// The ids of the next `limit` members (by id, after `after`) that match a
/// filter and have one of `statuses`, for bulk changes.
pub async fn select_member_ids(
    r: &mut impl crate::Reader,
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
    q.column((Members::Table, Members::UserId)).column((Members::Table, Members::Status)).from(Members::Table);
    let statuses: Vec<MemberStatus> = statuses.iter().copied().filter(|s| filter.admits(*s)).collect();
    if statuses.is_empty() {
        return Ok(Vec::new());
    }
    let narrowed = MemberFilter { statuses, ..filter.clone() };
    apply_filter(&mut q, r.backend(), org, &narrowed, true, bulk_path(filter), Source::Members);
    if let Some(a) = after {
        q.and_where(Expr::col((Members::Table, Members::UserId)).gt(a.0));
    }
    q.order_by((Members::Table, Members::UserId), Order::Asc).limit(limit);
    r.read_all::<IdRow, _>(&q)
        .await?
        .into_iter()
        .map(|r| {
            let s = r.status.parse().map_err(|_| StoreError::Corrupt(format!("member status {}", r.status)))?;
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
    let statuses: Vec<MemberStatus> = statuses.iter().copied().filter(|s| filter.admits(*s)).collect();
    if statuses.is_empty() {
        return Ok(0);
    }
    if !filter.has_text() && filter.role.is_none() {
        let (counts, _) = count_members(conn, org, filter).await?;
        return Ok(statuses.iter().map(|s| counts.get(*s)).sum());
    }
    #[derive(sqlx::FromRow)]
    struct N {
        n: i64,
    }
    let mut q = Query::select();
    q.expr_as(Expr::cust("COUNT(*)"), Alias::new("n")).from(Members::Table);
    apply_filter(
        &mut q,
        conn.backend(),
        org,
        &MemberFilter { statuses, ..filter.clone() },
        true,
        bulk_path(filter),
        Source::Members,
    );
    Ok(conn.fetch_all_planned::<N, _>(&q).await?.first().map_or(0, |n| n.n.clamp(0, i64::MAX) as u64))
}

/// Removes a membership that never started: an invited member whose
/// invitation was canceled. Their roles (with the roles' member counts) and
/// own grants go with it, and the status counters are updated. Answers
/// `false` (and changes nothing) when the member is not `invited`. The
/// caller bumps the organization's authorization version.
pub async fn delete_invited_member(tx: &mut Tx, org: OrgId, user: UserId) -> Result<bool> {
    if member_status(tx, org, user).await? != Some(MemberStatus::Invited) {
        return Ok(false);
    }
    for role in crate::roles::member_role_ids(tx, org, user).await? {
        crate::roles::remove_role(tx, org, role, &[user]).await?;
    }
    crate::roles::set_member_grants(tx, org, user, &Default::default()).await?;
    let n = tx
        .execute(
            Query::delete()
                .from_table(Members::Table)
                .and_where(Expr::col(Members::OrgId).eq(org.0))
                .and_where(Expr::col(Members::UserId).eq(user.0))
                .and_where(Expr::col(Members::Status).eq(MemberStatus::Invited.as_str())),
        )
        .await?;
    if n == 1 {
        add_to_count(tx, org, MemberStatus::Invited, -1).await?;
    }
    Ok(n == 1)
}
