//! Who acts: the one model every use case, audit event and check reads.
//!
//! Architecture invariant: an [`Actor`] is established by an interface (a
//! session cookie in `web`, the operator's command line in `cli`, a worker in
//! `app`) and passed down unchanged; no use case invents one. Only the
//! operator kinds ([`Actor::is_operator`]) pass the grant limits and act on
//! the owner's account, and that capability is read in one module only:
//! [`crate::access::OrgAccess::lacks`] and
//! [`crate::access::OrgAccess::acts_for_owner`].

use roster_domain::{ApiTokenId, OrgId, ServiceAccountId, SessionId, UserId};

/// The signed-in person behind a request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Their user id.
    pub user_id: UserId,
    /// Their email.
    pub email: String,
    /// Their display name.
    pub name: String,
    /// The session the request came with.
    pub session_id: SessionId,
}

/// A service account behind a request, authenticated by one of its tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountPrincipal {
    /// The organization the account belongs to (the only one it reaches).
    pub org_id: OrgId,
    /// The account.
    pub account_id: ServiceAccountId,
    /// Its name, as the audit log shows it.
    pub name: String,
    /// The token the request came with.
    pub token_id: ApiTokenId,
}

/// Who is acting.
///
/// Service accounts join this enum with their issue (a bearer token names an
/// account of one organization, authorized by its roles like a member); every
/// `match` on `Actor` is then a place the compiler points to.
#[derive(Debug, Clone)]
pub enum Actor {
    /// A person signed in with a session: bounded by their grants in each
    /// organization, and no further.
    User(Principal),
    /// A service account of one organization, with one of its API tokens:
    /// bounded by its roles and own grants there, like a member, and
    /// reaching no other organization.
    ServiceAccount(AccountPrincipal),
    /// The `roster` command line, run by whoever operates the server: may do
    /// everything, in every organization.
    Cli,
    /// Roster itself: migrations, workers, the demo loader.
    System,
}

impl Actor {
    /// The acting user's id, if a person is acting.
    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Actor::User(p) => Some(p.user_id),
            Actor::ServiceAccount(_) | Actor::Cli | Actor::System => None,
        }
    }

    /// The service account, if one is acting.
    pub fn account(&self) -> Option<&AccountPrincipal> {
        match self {
            Actor::ServiceAccount(a) => Some(a),
            Actor::User(_) | Actor::Cli | Actor::System => None,
        }
    }

    /// The signed-in person, if one is acting.
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Actor::User(p) => Some(p),
            Actor::ServiceAccount(_) | Actor::Cli | Actor::System => None,
        }
    }

    /// Whether this actor operates the deployment rather than belonging to
    /// an organization: the command line and Roster itself. Operators hold
    /// every permission, and the no-escalation limits (which compare an
    /// actor's grants with what they hand out) do not apply to them.
    pub fn is_operator(&self) -> bool {
        matches!(self, Actor::Cli | Actor::System)
    }

    /// The kind of actor the audit log records.
    pub fn actor_type(&self) -> roster_domain::audit::ActorType {
        use roster_domain::audit::ActorType;
        match self {
            Actor::User(_) => ActorType::User,
            Actor::ServiceAccount(_) => ActorType::ServiceAccount,
            Actor::Cli => ActorType::Operator,
            Actor::System => ActorType::System,
        }
    }

    /// How the actor appears in the audit log.
    pub fn label(&self) -> String {
        match self {
            Actor::User(p) => p.email.clone(),
            Actor::ServiceAccount(a) => a.name.clone(),
            Actor::Cli => "cli".into(),
            Actor::System => "system".into(),
        }
    }
}
