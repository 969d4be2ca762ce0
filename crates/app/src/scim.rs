//! SCIM 2.0 provisioning (RFC 7643, RFC 7644): the use cases behind
//! `/scim/v2`. The organization comes from the caller's service account
//! token (`crate::access::open_org` with `Actor::ServiceAccount`), and every
//! read and change goes through the same permissions as the API: reading
//! Users needs `members:read`.
//!
//! This is the read side: a User list with a filter translated to SQL on
//! both databases (`roster_store::scim`, never filtered in memory), sorting
//! and paging, and one User by id. Writes (POST, PUT, PATCH, DELETE) and
//! Groups follow.

use roster_domain::members::Member;
use roster_domain::scim::users::{UserFilter, UserSort};
use roster_domain::{MemberStatus, SortOrder, UserId};

use crate::access::{OrgAccess, Permission};
use crate::error::Result;
use crate::{App, AppError};

/// A SCIM list request's parameters, as the query string gives them.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// `filter`, if any.
    pub filter: Option<String>,
    /// `sortBy`, if any.
    pub sort_by: Option<String>,
    /// `sortOrder`: `ascending` (default) or `descending`.
    pub sort_order: Option<String>,
    /// `startIndex` (1-based; default 1).
    pub start_index: Option<u64>,
    /// `count` (default 100, at most 1,000).
    pub count: Option<u64>,
}

/// Why a SCIM request is refused, with its `scimType` (RFC 7644 §3.12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimRefusal {
    /// `invalidFilter`, `invalidValue`, …
    pub scim_type: &'static str,
    /// What is wrong, in words.
    pub detail: String,
}

/// A page of Users.
#[derive(Debug, Clone)]
pub struct UserList {
    /// How many match in all (`totalResults`).
    pub total: u64,
    /// The 1-based index of the first one here (`startIndex`).
    pub start_index: u64,
    /// The page.
    pub members: Vec<Member>,
}

/// The most Users one list answers (`filter.maxResults`).
pub const MAX_RESULTS: u64 = roster_store::scim::MAX_COUNT;

/// The default page size.
pub const DEFAULT_COUNT: u64 = 100;

/// Lists the organization's Users (archived members are not listed). A
/// malformed filter, an attribute Roster does not know or cannot sort by,
/// or a bad `sortOrder` is refused as `invalidFilter` / `invalidValue`.
pub async fn list_users(
    app: &App,
    access: &OrgAccess,
    q: &ListQuery,
) -> Result<std::result::Result<UserList, ScimRefusal>> {
    access.require(Permission::MEMBERS_READ)?;
    let filter = match q.filter.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        None => UserFilter::Const(true),
        Some(f) => match UserFilter::parse(f) {
            Ok(f) => f,
            Err(e) => return Ok(Err(ScimRefusal { scim_type: e.scim_type(), detail: e.to_string() })),
        },
    };
    let sort = match q.sort_by.as_deref().filter(|s| !s.is_empty()) {
        None => UserSort::default(),
        Some(s) => match UserSort::parse(s) {
            Ok(s) => s,
            Err(e) => return Ok(Err(ScimRefusal { scim_type: e.scim_type(), detail: e.to_string() })),
        },
    };
    let order = match q.sort_order.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("") | Some("ascending") => SortOrder::Asc,
        Some("descending") => SortOrder::Desc,
        Some(other) => {
            return Ok(Err(ScimRefusal {
                scim_type: "invalidValue",
                detail: format!("sortOrder must be ascending or descending, not '{other}'"),
            }));
        }
    };
    let start_index = q.start_index.unwrap_or(1).max(1);
    let count = q.count.unwrap_or(DEFAULT_COUNT);
    let page = roster_store::scim::list_users(
        &mut app.db.conn().await?,
        access.org.id,
        &filter,
        sort,
        order,
        start_index,
        count,
    )
    .await?;
    Ok(Ok(UserList { total: page.total, start_index, members: page.members }))
}

/// One User by id; an archived member, another organization's user or an
/// unknown id is 404.
pub async fn get_user(app: &App, access: &OrgAccess, id: UserId) -> Result<Member> {
    access.require(Permission::MEMBERS_READ)?;
    let m = roster_store::members::find_member(&mut app.db.conn().await?, access.org.id, id)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    if m.status == MemberStatus::Archived {
        return Err(AppError::NotFound("user"));
    }
    Ok(m)
}
