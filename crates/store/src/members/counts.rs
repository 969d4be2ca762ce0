//! The Users tab's badge counts: the status counters (for a product
//! alone, its subscription's), or a capped count of a search's matches.

use roster_domain::members::StatusCounts;
use roster_domain::{MemberFilter, MemberStatus, OrgId};
use sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};

use super::SEARCH_COUNT_CAP;
use super::filter::{
    Plan, SearchPath, Source, apply_filter, counts_holders_first, fewest_holders, from_members, reads_trigrams,
};
use crate::db::Conn;
use crate::tables::{MemberCounts, Members};
use crate::{Backend, Result, StoreError};

/// Per-status counts over a filter's search part (its status part is
/// ignored, as the badges show every status). Answers the counts and whether
/// they stopped at [`SEARCH_COUNT_CAP`].
pub async fn count_members(conn: &mut Conn, org: OrgId, filter: &MemberFilter) -> Result<(StatusCounts, bool)> {
    // A product alone (with or without statuses): its holders by status are
    // counters of the subscription, kept with every license and status change.
    if let Some(product) = product_only(filter) {
        let counts = crate::products::holders_by_status(conn, org, product).await?.unwrap_or_default();
        return Ok((counts, false));
    }
    let capped = filter.narrows();
    if !capped {
        return Ok((status_counters(conn, org).await?, false));
    }
    let q = {
        // Read the matches from the trigram index or the holders of the
        // role or product (on SQLite, streamed, so that the cap stops the
        // reading), never by walking the whole organization.
        let backend = conn.backend();
        let holders = fewest_holders(conn, org, filter).await?;
        let members = match holders {
            Some(_) => status_counters(conn, org).await?.total_for(&MemberFilter::default()) as i64,
            None => 0,
        };
        let source = if backend != Backend::Sqlite {
            Source::Members
        } else if let Some((holders, n)) = holders
            && (!filter.has_text() || counts_holders_first(n, members))
        {
            holders
        } else if !filter.email_matches().is_empty() {
            // The email index reads the matching addresses (see `plan`).
            Source::Members
        } else if reads_trigrams(backend, filter, SearchPath::Trigrams) {
            Source::Trigrams
        } else {
            Source::Members
        };
        count_statement(backend, org, filter, source)
    };
    let counts = read_counts(conn, &q).await?;
    let total: u64 = MemberStatus::ALL.iter().map(|s| counts.get(*s)).sum();
    Ok((counts, total > SEARCH_COUNT_CAP))
}

/// An organization's members per status: its `member_counts` counters.
pub(super) async fn status_counters(conn: &mut Conn, org: OrgId) -> Result<StatusCounts> {
    let q = Query::select()
        .column(MemberCounts::Status)
        .expr_as(Expr::col(MemberCounts::Count), Alias::new("n"))
        .from(MemberCounts::Table)
        .and_where(Expr::col(MemberCounts::OrgId).eq(org.0))
        .to_owned();
    read_counts(conn, &q).await
}

/// Reads `(status, n)` rows into counts.
async fn read_counts(conn: &mut Conn, q: &SelectStatement) -> Result<StatusCounts> {
    #[derive(sqlx::FromRow)]
    struct CountRow {
        status: String,
        n: i64,
    }
    let mut counts = StatusCounts::default();
    for r in conn.fetch_all_planned::<CountRow, _>(q).await? {
        let status: MemberStatus =
            r.status.parse().map_err(|_| StoreError::Corrupt(format!("member status {}", r.status)))?;
        counts.add(status, r.n.clamp(0, i64::MAX) as u64);
    }
    Ok(counts)
}

/// The capped count of a narrowing filter's matches per status, read from
/// `source` (its status part ignored).
pub(super) fn count_statement(backend: Backend, org: OrgId, filter: &MemberFilter, source: Source) -> SelectStatement {
    let mut inner = Query::select();
    inner.column((Members::Table, Members::Status));
    let path = if source == Source::Trigrams { SearchPath::Trigrams } else { SearchPath::RowTest };
    from_members(&mut inner, source);
    apply_filter(&mut inner, backend, org, filter, false, Plan::new(source, path));
    inner.limit(SEARCH_COUNT_CAP + 1);
    Query::select()
        .column(Members::Status)
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from_subquery(inner, Alias::new("matched"))
        .group_by_col(Members::Status)
        .to_owned()
}

/// The filter's product when nothing else but statuses narrows it: its
/// counts are the subscription's counters.
pub(super) fn product_only(filter: &MemberFilter) -> Option<&roster_domain::products::ProductKey> {
    let alone = !filter.has_text() && filter.role.is_none() && filter.activity == roster_domain::members::Activity::Any;
    filter.product.as_ref().filter(|_| alone)
}
