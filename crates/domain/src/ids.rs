//! Typed identifiers. Every id is a UUIDv7 (time-ordered, so new rows land at
//! the end of an index) wrapped in a newtype so that an `OrgId` can never be
//! passed where a `UserId` belongs.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }
    };
}

id_type!(
    /// An organization (tenant).
    OrgId
);
id_type!(
    /// A human identity, global across organizations.
    UserId
);
id_type!(
    /// One sign-in session.
    SessionId
);
id_type!(
    /// A role of one organization.
    RoleId
);
id_type!(
    /// An invitation to join one organization.
    InvitationId
);
id_type!(
    /// A signed-in user's request to join an organization.
    AccessRequestId
);
id_type!(
    /// A sign-up waiting for its email address to be confirmed.
    SignupId
);
id_type!(
    /// A non-human principal of one organization (an integration, a pipeline).
    ServiceAccountId
);
id_type!(
    /// An API token: of a service account, or a member's personal one.
    ApiTokenId
);
id_type!(
    /// A user's request to change their email address, pending until the
    /// link sent to the new address is followed.
    EmailChangeId
);
id_type!(
    /// A partner's group of customer organizations (scoping partner roles).
    OrgGroupId
);
