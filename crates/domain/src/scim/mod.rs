//! SCIM 2.0 (RFC 7643, RFC 7644): the filter language and how a User's
//! attributes map onto Roster's members.
//!
//! `filter` parses a filter into an AST, whatever the resource; `users`
//! resolves that AST against the User resource as Roster stores it (one
//! member row: id, sign-in email, name, status, creation time) into a
//! [`users::UserFilter`], which the store turns into SQL and which
//! [`users::UserFilter::matches`] evaluates on a member (the reference the
//! store's translation is tested against).

pub mod filter;
pub mod groups;
pub mod users;

pub use filter::{AttrPath, CompareOp, Filter, FilterError, Value};
pub use users::{UserFilter, UserSort};
