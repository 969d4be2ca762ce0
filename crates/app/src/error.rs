//! The service layer's errors. The web crate maps each to one HTTP status
//! and one stable problem type, in one place.

use roster_domain::ValidationError;
use roster_store::StoreError;

/// Why a request was refused because of the state it met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictKind {
    /// The change would disable, archive or demote the organization's owner.
    OwnerProtected,
    /// The change would leave no active member who can administer the organization.
    LastAdministrator,
    /// The member's current status does not allow the change.
    StatusTransition,
    /// The email address belongs to another user.
    EmailTaken,
    /// The slug belongs to another organization.
    SlugTaken,
    /// Another role of the organization has this name or key.
    RoleNameTaken,
    /// The role is the owner's and is never edited or deleted.
    RoleLocked,
    /// Built-in roles can be copied, not deleted.
    BuiltinRole,
    /// The role is assigned to members; reassign them first.
    RoleInUse,
    /// The organization's preset does not let the owner hand ownership on.
    TransferDisabled,
    /// Members cannot disable, archive or demote themselves.
    SelfChange,
    /// The address belongs to a member of the organization already.
    AlreadyMember,
    /// The address has a pending invitation already (send it again instead).
    AlreadyInvited,
    /// The invitation was accepted or canceled; it cannot be sent again or canceled.
    InvitationClosed,
    /// The account is not locked (nothing to unlock).
    NotLocked,
    /// Lowering seats below the licenses assigned.
    SeatsInUse,
    /// The subscription's state does not allow it (already subscribed, not a trial, canceled).
    SubscriptionState,
    /// The person has a pending access request to the organization already.
    RequestPending,
    /// The access request was decided, withdrawn or expired already.
    RequestClosed,
    /// A denied requester asks again before the cool-down ends.
    RequestCooldown,
    /// The import's status does not allow it (not previewed yet, a dry run,
    /// committed already), or its rows have errors and bad rows are not skipped.
    ImportState,
    /// The organization cannot become (or stop being) this partner's
    /// customer: it is a partner, has a partner already, or is not linked.
    CustomerLink,
    /// An organization group's name is taken in the partner.
    GroupNameTaken,
}

impl ConflictKind {
    /// The stable slug used in problem types (`/problems/<slug>`).
    pub fn slug(self) -> &'static str {
        match self {
            Self::OwnerProtected => "owner-protected",
            Self::LastAdministrator => "last-administrator",
            Self::StatusTransition => "invalid-status-transition",
            Self::EmailTaken => "email-taken",
            Self::SlugTaken => "slug-taken",
            Self::RoleNameTaken => "role-name-taken",
            Self::RoleLocked => "role-locked",
            Self::BuiltinRole => "builtin-role",
            Self::RoleInUse => "role-in-use",
            Self::TransferDisabled => "transfer-disabled",
            Self::SelfChange => "self-change",
            Self::AlreadyMember => "already-member",
            Self::AlreadyInvited => "already-invited",
            Self::InvitationClosed => "invitation-closed",
            Self::NotLocked => "not-locked",
            Self::SeatsInUse => "seats-in-use",
            Self::SubscriptionState => "subscription-state",
            Self::RequestPending => "request-pending",
            Self::RequestClosed => "request-closed",
            Self::RequestCooldown => "request-cooldown",
            Self::ImportState => "import-state",
            Self::CustomerLink => "customer-link",
            Self::GroupNameTaken => "group-name-taken",
        }
    }
}

/// A use case's failure.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input is malformed; each bad field is named.
    #[error("invalid input: {0}")]
    Validation(#[from] ValidationError),
    /// No such object, or one the actor may not know about (another tenant's).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The actor is known but lacks the permission; the text says which.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// No escalation: the change would give, or touch, grants the actor
    /// does not hold; the text names them.
    #[error("escalation: {0}")]
    Escalation(String),
    /// The change conflicts with the current state.
    #[error("{detail}")]
    Conflict {
        /// Which rule refused it.
        kind: ConflictKind,
        /// What happened and what to do instead.
        detail: String,
    },
    /// Assigning licenses would exceed a subscription's seats.
    #[error("{}", roster_domain::products::no_seats_message(name, *needed, *free, *license_count))]
    NoSeats {
        /// The product's key.
        product: String,
        /// The product's name.
        name: String,
        /// Licenses the change needed.
        needed: i64,
        /// Seats free.
        free: i64,
        /// Seats in all.
        license_count: i64,
    },
    /// No valid session or token came with the request.
    #[error("authentication required")]
    Unauthenticated,
    /// The email or password is wrong (deliberately not saying which).
    #[error("invalid email or password")]
    InvalidCredentials,
    /// Too many failed sign-ins; try again after this many seconds.
    #[error("too many attempts")]
    TooManyAttempts {
        /// Seconds until attempts are allowed again.
        retry_after_s: i64,
    },
    /// Too many requests of one kind (access requests, sign-ups) from one
    /// person, client or to one organization; try again after this many seconds.
    #[error("too many {what}")]
    RateLimited {
        /// What was asked too often, in words ("access requests").
        what: &'static str,
        /// Seconds until it is allowed again.
        retry_after_s: i64,
    },
    /// Every place on the password hashing pool is taken; try again after
    /// this many seconds. Nothing was done (a sign-in was not counted).
    #[error("busy")]
    Busy {
        /// Seconds to wait before trying again.
        retry_after_s: i64,
    },
    /// The account is locked after too many consecutive failed sign-ins,
    /// until its password is reset or an administrator unlocks it.
    #[error("account locked")]
    AccountLocked,
    /// A link or token is unknown, used or expired.
    #[error("this link is invalid or has expired")]
    InvalidToken,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something else failed inside the server.
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    /// A conflict of a kind, with its explanation.
    pub fn conflict(kind: ConflictKind, detail: impl Into<String>) -> Self {
        Self::Conflict { kind, detail: detail.into() }
    }

    /// For a refusal that passes with time (`TooManyAttempts`, `Busy`): the
    /// seconds to wait, which the web layer sends as `Retry-After`.
    pub fn retry_after_s(&self) -> Option<i64> {
        match self {
            Self::TooManyAttempts { retry_after_s }
            | Self::Busy { retry_after_s }
            | Self::RateLimited { retry_after_s, .. } => Some(*retry_after_s),
            _ => None,
        }
    }
}

/// Shorthand for use-case results.
pub type Result<T, E = AppError> = std::result::Result<T, E>;
