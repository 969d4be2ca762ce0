//! Memberships and the Users directory's queries.
//!
//! Lists page by keyset (`(sort column, user_id)` compared as a row value,
//! read through an index on `(org_id, [status,] column, user_id)`), so a deep
//! page costs what the first one does. Badge counts come from the
//! `member_counts` table, which every status change updates in its own
//! transaction; only a search counts rows, and then at most
//! [`SEARCH_COUNT_CAP`] of them.
//!
//! A search reads its rows one of two ways (see
//! [`SearchPath`](filter::SearchPath)): from the trigram index when few rows
//! match, or by walking the sort order's index and testing each row when so
//! many match that a page fills after a few rows.
//! PostgreSQL's planner makes that choice from pg_trgm's statistics; SQLite's
//! cannot see how many rows an FTS5 query matches, so [`list_members`] asks
//! the index first (a bounded count) and builds the query for the answer.
//!
//! An address condition (the `email` filter, or a search that is a whole
//! address) is never a trigram search: an exact address is an equality and
//! a prefix a range on `members.email`, read from the email indexes on both
//! backends, so that looking a member up by address costs an index lookup.
//!
//! The module is split by concern: `write` (inserts and point writes, with
//! the status counters), `load` (a bulk load that sets the indexes aside),
//! `read` (point reads), `filter` (a [`MemberFilter`] as SQL: which rows a
//! query reads first and how it applies the search), `list` (the keyset
//! listing), `counts` (the badge counts) and `bulk` (the selection of a bulk
//! change and its preview). Every public item is re-exported here, so callers
//! name it `members::…`.

mod bulk;
mod counts;
mod filter;
mod list;
mod load;
mod read;
mod write;

#[cfg(test)]
mod plans;

use roster_domain::members::{Cursor, Member};
use roster_domain::{MemberFilter, MemberSort, MemberStatus, OrgId, SortOrder, Timestamp, UserId};

pub use bulk::{count_for_change, select_member_ids};
pub use counts::count_members;
pub use list::list_members;
pub use load::BulkLoad;
pub(crate) use read::{MemberRow, member_select};
pub use read::{find_member, member_id_by_email, member_status, memberships_of_user, names_of};
pub use write::{
    delete_invited_member, insert_members, set_status, set_status_many, touch_member, touch_user_memberships,
};

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
