//! A [`MemberFilter`] as SQL: which rows a query reads first ([`Source`]),
//! how it applies the search text ([`SearchPath`], chosen by [`plan`]), and
//! the conditions themselves ([`apply_filter`]). The search predicate
//! ([`search_condition`]) is the one place where the backends differ in SQL.
//!
//! The role and product filters are alike: a member's roles and licenses
//! are rows keyed `(org_id, user_id, …)`, and each has a second index keyed
//! `(org_id, role_id | product, user_id)`. Knowing how many hold them (the
//! role's `member_count`, the subscription's counters), [`plan`] reads them
//! one of three ways, on both backends: a rare one's holders first, then
//! their rows, sorted; a commoner one by walking the sort order's index
//! with its holders read once into a set (`user_id IN (…)`); a common one
//! by walking with a probe of its key per row (`EXISTS`), since a page
//! fills after a few rows. Neither planner can tell these apart: SQLite has
//! no statistics, and PostgreSQL's, for a product held by 1% of a million
//! members, chose a parallel walk probing each row, five times slower.

use roster_domain::members::{Activity, EmailMatch};
use roster_domain::{MemberFilter, OrgId};
use sea_query::{Alias, Expr, ExprTrait, Iden, Query, SelectStatement};

use crate::db::Conn;
use crate::tables::{Licenses, MemberRoles, Members, MembersFts, Roles, Subscriptions, qualified, quoted};
use crate::{Backend, Result};

/// Which rows a query reads first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    /// The members table, through whichever index fits the sort and filter.
    Members,
    /// SQLite: the FTS5 trigram index's matches (few matches).
    Trigrams,
    /// SQLite: the holders of a role (few holders), then their rows.
    RoleHolders,
    /// SQLite: the holders of a product's license (few holders), then their rows.
    ProductHolders,
}

/// Names the tables a query reads from for a [`Source`] (joined to
/// `members`).
pub(super) fn from_members(q: &mut SelectStatement, source: Source) {
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
        Source::ProductHolders => {
            q.from(Licenses::Table)
                .cross_join(Members::Table)
                .and_where(Expr::col((Members::Table, Members::OrgId)).equals((Licenses::Table, Licenses::OrgId)))
                .and_where(Expr::col((Members::Table, Members::UserId)).equals((Licenses::Table, Licenses::UserId)));
        }
        Source::Members => {
            q.from(Members::Table);
        }
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
pub(super) enum SearchPath {
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
pub(super) fn reads_trigrams(backend: Backend, filter: &MemberFilter, path: SearchPath) -> bool {
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

/// The alias of `licenses` in the product filter's `EXISTS` subquery.
const LICENSED: &str = "licensed";

/// How a query tests the role and the product it does not read first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct HolderSets {
    /// The role as the set of its holders, read once (`user_id IN (…)`),
    /// instead of a probe per row (`EXISTS`).
    pub role: bool,
    /// The product likewise.
    pub product: bool,
}

/// How a list query reads its rows (see [`plan`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Plan {
    /// Which rows it reads first.
    pub source: Source,
    /// How it applies the search.
    pub path: SearchPath,
    /// How it tests the role and the product.
    pub sets: HolderSets,
}

impl Plan {
    /// Reading `source` first, applying the search by `path`, with probes.
    pub fn new(source: Source, path: SearchPath) -> Self {
        Self { source, path, sets: HolderSets::default() }
    }
}

/// `(members.user_id IN (SELECT user_id FROM table WHERE org_id = ? AND key = ?)) = TRUE`:
/// the holders read once from their `(org_id, key, user_id)` index into a
/// set that each row walked is looked up in. (Compared with `TRUE`, the
/// `IN` is not one PostgreSQL turns into a join probing the index per row,
/// as it does an `EXISTS`: it builds a hash of the holders instead. SQLite
/// builds its set either way.)
fn holder_set<T: Iden + Copy + 'static>(
    table: T,
    org_col: T,
    user_col: T,
    key_col: T,
    key: sea_query::Value,
    org: OrgId,
) -> Expr {
    Expr::col((Members::Table, Members::UserId))
        .in_subquery(
            Query::select()
                .column((table, user_col))
                .from(table)
                .and_where(Expr::col((table, org_col)).eq(org.0))
                .and_where(Expr::col((table, key_col)).eq(key))
                .to_owned(),
        )
        .eq(true)
}

/// Adds a filter's conditions to a query over `members` read as `plan`
/// says: the organization, the statuses (when `with_status`), the address
/// conditions, the search as the plan applies it, the role and the product.
pub(super) fn apply_filter(
    q: &mut SelectStatement,
    backend: Backend,
    org: OrgId,
    filter: &MemberFilter,
    with_status: bool,
    plan: Plan,
) {
    let Plan { source, path, sets } = plan;
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
    activity_condition(q, filter.activity);
    if let Some(role) = filter.role {
        if source == Source::RoleHolders {
            q.and_where(Expr::col((MemberRoles::Table, MemberRoles::OrgId)).eq(org.0))
                .and_where(Expr::col((MemberRoles::Table, MemberRoles::RoleId)).eq(role.0));
        } else if sets.role {
            q.and_where(holder_set(
                MemberRoles::Table,
                MemberRoles::OrgId,
                MemberRoles::UserId,
                MemberRoles::RoleId,
                role.0.into(),
                org,
            ));
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
    if let Some(product) = &filter.product {
        if source == Source::ProductHolders {
            q.and_where(Expr::col((Licenses::Table, Licenses::OrgId)).eq(org.0))
                .and_where(Expr::col((Licenses::Table, Licenses::Product)).eq(product.as_str()));
        } else if sets.product {
            q.and_where(holder_set(
                Licenses::Table,
                Licenses::OrgId,
                Licenses::UserId,
                Licenses::Product,
                product.as_str().into(),
                org,
            ));
        } else {
            // The license's primary key (org_id, user_id, product): one probe per row.
            q.and_where(Expr::exists(
                Query::select()
                    .expr(Expr::cust("1"))
                    .from_as(Licenses::Table, Alias::new(LICENSED))
                    .and_where(Expr::col((LICENSED, Licenses::OrgId)).equals((Members::Table, Members::OrgId)))
                    .and_where(Expr::col((LICENSED, Licenses::UserId)).equals((Members::Table, Members::UserId)))
                    .and_where(Expr::col((LICENSED, Licenses::Product)).eq(product.as_str()))
                    .to_owned(),
            ));
        }
    }
}

/// The last-activity conditions (dormant members): `last_active_at` is 0
/// for a member never active, so "never" is an equality and "inactive for N
/// days" a range on the `(org_id, [status,] last_active_at, user_id)`
/// indexes, with the joining date tested on the rows it reads.
fn activity_condition(q: &mut SelectStatement, activity: Activity) {
    let last = || Expr::col((Members::Table, Members::LastActiveAt));
    match activity {
        Activity::Any => {}
        Activity::Never => {
            q.and_where(last().eq(0));
        }
        Activity::InactiveFor { .. } => {
            let cutoff = activity.cutoff().map_or(i64::MIN, |t| t.0);
            q.and_where(last().lt(cutoff)).and_where(Expr::col((Members::Table, Members::CreatedAt)).lt(cutoff));
        }
    }
}

/// Whether a capped count of a search's matches reads the `held` holders of
/// a role or product first (testing the search on each), rather than the
/// search's matches (testing the role or product on each), in an
/// organization of `members`: a count stops at the cap, which the matches
/// reach after about `cap·members/held` of them, and the holders after at
/// most `held` (at a million members: below 100,000 holders).
pub(super) fn counts_holders_first(held: i64, members: i64) -> bool {
    held.saturating_mul(held) < (super::SEARCH_COUNT_CAP as i64).saturating_mul(members)
}

/// On SQLite, how many hold the filter's role and its product (the role's
/// `member_count`, the subscription's `used`; none for a role or product the
/// organization does not have).
async fn holder_counts(conn: &mut Conn, org: OrgId, filter: &MemberFilter) -> Result<(Option<i64>, Option<i64>)> {
    #[derive(sqlx::FromRow)]
    struct N {
        n: i64,
    }
    let mut role_n = None;
    if let Some(role) = filter.role {
        let q = Query::select()
            .expr_as(Expr::col(Roles::MemberCount), Alias::new("n"))
            .from(Roles::Table)
            .and_where(Expr::col(Roles::OrgId).eq(org.0))
            .and_where(Expr::col(Roles::Id).eq(role.0))
            .to_owned();
        role_n = Some(conn.fetch_optional::<N, _>(&q).await?.map_or(0, |n| n.n));
    }
    let mut product_n = None;
    if let Some(product) = &filter.product {
        let q = Query::select()
            .expr_as(Expr::col(Subscriptions::Used), Alias::new("n"))
            .from(Subscriptions::Table)
            .and_where(Expr::col(Subscriptions::OrgId).eq(org.0))
            .and_where(Expr::col(Subscriptions::Product).eq(product.as_str()))
            .to_owned();
        product_n = Some(conn.fetch_optional::<N, _>(&q).await?.map_or(0, |n| n.n));
    }
    Ok((role_n, product_n))
}

/// The fewer of the role's and the product's holders, as a source.
fn fewer(role_n: Option<i64>, product_n: Option<i64>) -> Option<(Source, i64)> {
    match (role_n, product_n) {
        (Some(r), Some(p)) if p < r => Some((Source::ProductHolders, p)),
        (Some(r), _) => Some((Source::RoleHolders, r)),
        (None, Some(p)) => Some((Source::ProductHolders, p)),
        (None, None) => None,
    }
}

/// On SQLite, the holder source of the filter's role or product with the
/// fewest holders, and how many hold it. `None` on PostgreSQL, whose
/// planner chooses itself, and for a filter with neither.
pub(super) async fn fewest_holders(
    conn: &mut Conn,
    org: OrgId,
    filter: &MemberFilter,
) -> Result<Option<(Source, i64)>> {
    if conn.backend() != Backend::Sqlite || (filter.role.is_none() && filter.product.is_none()) {
        return Ok(None);
    }
    let (role_n, product_n) = holder_counts(conn, org, filter).await?;
    Ok(fewer(role_n, product_n))
}

/// The weights of [`plan`]'s choice for a role or a product held by `H`
/// members, `H'` of them in the filter's statuses, which `N'` members have.
/// Walking the sort order's index, a page of `L` rows fills after about
/// `W = L·N'/H'` rows; reading the holders first costs `H` fetches of a row
/// in no order and a sort. On SQLite such a fetch, or a probe of a key in
/// no order, costs about ten times a step along an index (measured at a
/// million members: BENCHMARKS.md), and building the holders' set about
/// one step per holder, so:
///
/// - holders first when `H · HOLDERS_FIRST < W` (at a million members and
///   pages of 50, below about 1,800 holders);
/// - else walking with the holders' set when `H < W · HOLDER_SET` (below
///   about 20,000 at a million members; fewer in a narrow status), where
///   building it costs less than probing each row walked;
/// - else walking with a probe per row.
///
/// A product's `H'` comes from its subscription's counters by status; a
/// role's is estimated as `H·N'/N`.
const HOLDERS_FIRST: i64 = 16;
/// See [`HOLDERS_FIRST`].
const HOLDER_SET: i64 = 8;

/// The most holders read into a set: PostgreSQL hashes a set only when its
/// hash fits its working memory (64 MB with the defaults… of which 50,000
/// ids take a few MB); a larger one is probed row by row instead.
const HOLDER_SET_MAX: i64 = 50_000;

/// How one role or product is best read (see [`HOLDERS_FIRST`]): its
/// holders first (answering how many), or walked with a set or a probe.
enum Reading {
    First(i64),
    Set,
    Probe,
}

fn reading(held: i64, held_in_statuses: i64, members_in_statuses: i64, limit: i64) -> Reading {
    let walk = limit.saturating_mul(members_in_statuses) / Ord::max(held_in_statuses, 1);
    if held.saturating_mul(HOLDERS_FIRST) < walk {
        Reading::First(held)
    } else if held < walk.saturating_mul(HOLDER_SET) && held <= HOLDER_SET_MAX {
        Reading::Set
    } else {
        Reading::Probe
    }
}

/// How a list query reads its rows: the source, how it applies the search,
/// and (SQLite) how it tests a role or a product, for a page of `limit` rows.
pub(super) async fn plan(conn: &mut Conn, org: OrgId, filter: &MemberFilter, limit: u64) -> Result<Plan> {
    let mut sets = HolderSets::default();
    if filter.role.is_some() || filter.product.is_some() {
        let limit = Ord::max(limit, 1) as i64;
        let members = super::counts::status_counters(conn, org).await?;
        let (all, in_statuses) = (members.total_for(&MemberFilter::default()) as i64, members.total_for(filter) as i64);
        let (role_n, _) = holder_counts(conn, org, &MemberFilter { product: None, ..filter.clone() }).await?;
        let role = role_n.map(|h| reading(h, h.saturating_mul(in_statuses) / Ord::max(all, 1), in_statuses, limit));
        let product = match &filter.product {
            Some(p) => {
                let held = crate::products::holders_by_status(conn, org, p).await?.unwrap_or_default();
                let n = |c: u64| c as i64;
                Some(reading(
                    n(held.total_for(&MemberFilter::default())),
                    n(held.total_for(filter)),
                    in_statuses,
                    limit,
                ))
            }
            None => None,
        };
        let first = [(Source::RoleHolders, &role), (Source::ProductHolders, &product)]
            .into_iter()
            .filter_map(|(s, r)| match r {
                Some(Reading::First(h)) => Some((s, *h)),
                _ => None,
            })
            .min_by_key(|(_, h)| *h);
        if let Some((source, _)) = first {
            return Ok(Plan::new(source, SearchPath::RowTest));
        }
        sets = HolderSets { role: matches!(role, Some(Reading::Set)), product: matches!(product, Some(Reading::Set)) };
    }
    // An address condition is read from the email index: an exact address
    // is one row and a prefix a range, where the trigram index would read
    // the match lists of common trigrams such as "@ac". Its few rows are
    // probed for a role or a product.
    if !filter.email_matches().is_empty() {
        return Ok(Plan::new(Source::Members, SearchPath::RowTest));
    }
    let path = search_path(conn, filter).await?;
    if reads_trigrams(conn.backend(), filter, path) {
        return Ok(Plan::new(Source::Trigrams, path));
    }
    Ok(Plan { source: Source::Members, path, sets })
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
