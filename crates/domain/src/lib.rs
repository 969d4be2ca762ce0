//! Roster's domain: the pure types and rules every other crate builds on.
//!
//! Nothing here does I/O. Values that reach this crate from the outside are
//! parsed into newtypes (`Email`, `OrgSlug`, …) once, so that the rest of the
//! program never sees an unchecked string where a checked one belongs.
#![forbid(unsafe_code)]

pub mod access_requests;
pub mod audit;
pub mod audit_text;
pub mod email;
pub mod error;
pub mod export;
pub mod history;
pub mod ids;
pub mod imports;
pub mod invitations;
pub mod members;
pub mod net;
pub mod orgs;
pub mod page;
pub mod partners;
pub mod passwords;
pub mod permissions;
pub mod products;
pub mod roles;
pub mod scim;
pub mod service_accounts;
pub mod sessions;
pub mod time;
pub mod unicode;

pub use email::Email;
pub use error::{FieldError, ValidationError};
pub use ids::{
    AccessRequestId, ApiTokenId, EmailChangeId, InvitationId, OrgGroupId, OrgId, RoleId, ServiceAccountId, SessionId,
    SignupId, UserId,
};
pub use members::{MemberFilter, MemberSort, MemberStatus, SortOrder};
pub use orgs::{OrgName, OrgSlug};
pub use time::Timestamp;
