//! Audit events: what changed, who changed it, and the hash chain that makes
//! the per-organization log tamper-evident.

use sha2::{Digest, Sha256};

use crate::{OrgId, Timestamp, UserId};

/// Declares the closed set of audit actions: each with its stable dotted
/// name (stored, filtered on, never renamed), the kind of object it targets,
/// and the words the History tab shows ("disabled", "changed the roles of").
macro_rules! audit_actions {
    ($($variant:ident => $name:literal, $target:literal, $words:literal;)*) => {
        /// Everything the audit log can say happened. Names are stable: an
        /// event written once keeps its name forever.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum AuditAction {
            $(
                #[doc = concat!("`", $name, "`: ", $words, ".")]
                $variant,
            )*
        }

        impl AuditAction {
            /// Every action, in declaration order.
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant),*];

            /// The stable dotted name (`member.disabled`).
            pub fn as_str(self) -> &'static str {
                match self { $(AuditAction::$variant => $name,)* }
            }

            /// The kind of object the action is about (`member`, `role`, `organization`).
            pub fn target_type(self) -> &'static str {
                match self { $(AuditAction::$variant => $target,)* }
            }

            /// What the actor did, in words, to put between the actor and the target.
            pub fn words(self) -> &'static str {
                match self { $(AuditAction::$variant => $words,)* }
            }
        }
    };
}

audit_actions! {
    MemberAdded => "member.added", "member", "added";
    MemberSeeded => "member.seeded", "organization", "generated members in";
    MemberUpdated => "member.updated", "member", "updated";
    MemberEnabled => "member.enabled", "member", "enabled";
    MemberDisabled => "member.disabled", "member", "disabled";
    MemberArchived => "member.archived", "member", "archived";
    MemberRestored => "member.restored", "member", "restored";
    MemberRolesChanged => "member.roles_changed", "member", "changed the roles of";
    MemberGrantsChanged => "member.grants_changed", "member", "changed the own permissions of";
    UserPasswordSet => "user.password_set", "member", "set the password of";
    RoleCreated => "role.created", "role", "created the role";
    RoleUpdated => "role.updated", "role", "edited the role";
    RoleDeleted => "role.deleted", "role", "deleted the role";
    OrganizationCreated => "organization.created", "organization", "created";
    OrganizationOwnerTransferred => "organization.owner_transferred", "organization", "handed on ownership of";
    OrganizationPresetInstalled => "organization.preset_installed", "organization", "installed the role preset in";
    InvitationSent => "invitation.sent", "member", "invited";
    InvitationResent => "invitation.resent", "member", "sent the invitation again to";
    InvitationCanceled => "invitation.canceled", "member", "canceled the invitation of";
    InvitationAccepted => "invitation.accepted", "member", "accepted the invitation, joining as";
    InvitationExpired => "invitation.expired", "member", "recorded the expiry of the invitation of";
    UserPasswordResetRequested => "user.password_reset_requested", "member", "asked for a password reset link for";
    UserLocked => "user.locked", "member", "locked, after too many failed sign-ins, the account of";
    UserUnlocked => "user.unlocked", "member", "unlocked the account of";
    UserPasswordUpgraded => "user.password_upgraded", "member", "upgraded the stored password hash of";
    UserEmailChanged => "user.email_changed", "member", "changed the email address of";
    SessionRevoked => "session.revoked", "member", "logged out a session of";
    SubscriptionCreated => "subscription.created", "product", "subscribed the organization to";
    SubscriptionChanged => "subscription.changed", "product", "changed the subscription to";
    SubscriptionTrialStarted => "subscription.trial_started", "product", "started a trial of";
    SubscriptionConverted => "subscription.converted", "product", "converted to paid the trial of";
    MemberLicensesChanged => "member.licenses_changed", "member", "changed the product licenses of";
    LicensesBulkChanged => "licenses.bulk_changed", "organization", "changed product licenses in bulk in";
    AccessRequestCreated => "access_request.created", "member", "asked to join, as";
    AccessRequestApproved => "access_request.approved", "member", "approved the access request of";
    AccessRequestDenied => "access_request.denied", "member", "denied the access request of";
    AccessRequestWithdrawn => "access_request.withdrawn", "member", "withdrew the access request of";
    AccessRequestExpired => "access_request.expired", "member", "recorded the expiry of the access request of";
    OrganizationSettingsChanged => "organization.settings_changed", "organization", "changed the settings of";
    ServiceAccountCreated => "service_account.created", "service_account", "created the service account";
    ServiceAccountUpdated => "service_account.updated", "service_account", "edited the service account";
    ServiceAccountDisabled => "service_account.disabled", "service_account", "disabled the service account";
    ServiceAccountEnabled => "service_account.enabled", "service_account", "enabled the service account";
    ServiceAccountDeleted => "service_account.deleted", "service_account", "deleted the service account";
    ApiTokenCreated => "api_token.created", "service_account", "made an API token for";
    ApiTokenRevoked => "api_token.revoked", "service_account", "revoked an API token of";
    ApiTokenRotated => "api_token.rotated", "service_account", "rotated an API token of";
    PersonalTokenCreated => "personal_token.created", "member", "made a personal API token for";
    PersonalTokenRevoked => "personal_token.revoked", "member", "revoked a personal API token of";
    ScimGroupCreated => "scim_group.created", "scim_group", "provisioned the group";
    ScimGroupUpdated => "scim_group.updated", "scim_group", "changed the provisioned group";
    ScimGroupDeleted => "scim_group.deleted", "scim_group", "deleted the provisioned group";
    ScimGroupMappingCreated => "scim_group_mapping.created", "scim_group_mapping", "added the SCIM group binding";
    ScimGroupMappingDeleted => "scim_group_mapping.deleted", "scim_group_mapping", "removed the SCIM group binding";
    ImportUploaded => "import.uploaded", "import", "uploaded the import";
    ImportMapped => "import.mapped", "import", "placed the columns of the import";
    ImportCommitted => "import.committed", "import", "committed the import";
    ImportFinished => "import.finished", "import", "finished the import";
    ImportDiscarded => "import.discarded", "import", "discarded the import";
    CustomerCreated => "customer.created", "organization", "created the customer organization";
    CustomerLinkRequested => "customer.link_requested", "organization", "asked to link the customer organization";
    CustomerLinked => "customer.linked", "organization", "linked the customer organization";
    CustomerLinkRefused => "customer.link_refused", "organization", "refused the link of the organization";
    CustomerUnlinked => "customer.unlinked", "organization", "unlinked the customer organization";
    OrgGroupCreated => "org_group.created", "org_group", "created the organization group";
    OrgGroupRenamed => "org_group.renamed", "org_group", "renamed the organization group";
    OrgGroupDeleted => "org_group.deleted", "org_group", "deleted the organization group";
    OrgGroupCustomersChanged => "org_group.customers_changed", "org_group", "changed the customers of the group";
    OrgGroupMembersChanged => "org_group.members_changed", "org_group", "changed who is assigned to the group";
    MemberScopesChanged => "member.scopes_changed", "member", "changed where the roles apply for";
    OrganizationPartnerChanged => "organization.partner_changed", "organization", "changed the partner standing of";
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for AuditAction {
    type Err = crate::ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AuditAction::ALL
            .iter()
            .copied()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| crate::ValidationError::field("action", format!("'{s}' is not an audit action")))
    }
}

/// What a change says about itself, before the change path adds who acted,
/// from where and when: an action, its target, and details built with
/// [`AuditEntry::before`], [`AuditEntry::after`] and [`AuditEntry::with`].
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// What happened.
    pub action: AuditAction,
    /// The id of the object it happened to (its kind comes from the action).
    pub target_id: String,
    /// The details object (`{"before": …, "after": …, …}`).
    pub details: serde_json::Map<String, serde_json::Value>,
}

impl AuditEntry {
    /// An entry about one object.
    pub fn new(action: AuditAction, target: impl ToString) -> Self {
        Self { action, target_id: target.to_string(), details: serde_json::Map::new() }
    }

    /// The state before the change (the fields that changed).
    pub fn before(self, value: serde_json::Value) -> Self {
        self.with("before", value)
    }

    /// The state after the change (the same fields as [`Self::before`]).
    pub fn after(self, value: serde_json::Value) -> Self {
        self.with("after", value)
    }

    /// Any other detail (`"bulk": true`, `"reason": …`).
    pub fn with(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.details.insert(key.to_string(), value.into());
        self
    }
}

/// An audit event about to be written. The store assigns its sequence number
/// and chain hash inside the transaction that makes the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    /// The organization whose log this event joins.
    pub org_id: OrgId,
    /// The user who acted, if a person did.
    pub actor_id: Option<UserId>,
    /// How the actor is shown: an email, or `cli` / `system`.
    pub actor_label: String,
    /// What kind of actor acted.
    pub actor_type: ActorType,
    /// What happened (stored by its stable dotted name, such as `member.disabled`).
    pub action: AuditAction,
    /// The kind of object changed (`member`, `organization`, …).
    pub target_type: String,
    /// The id of the object changed.
    pub target_id: String,
    /// JSON with the details, such as `{"before":…, "after":…}`.
    pub details: String,
    /// The client's IP address, when the change came over HTTP.
    pub ip: Option<String>,
    /// The id of the HTTP request that made the change.
    pub request_id: Option<String>,
    /// The client's User-Agent, when the change came over HTTP.
    pub user_agent: Option<String>,
    /// When it happened.
    pub created_at: Timestamp,
}

/// The kind of actor behind an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorType {
    /// A person signed in.
    User,
    /// A service account with an API token.
    ServiceAccount,
    /// The deployment's operator, through the `roster` command line.
    Operator,
    /// Roster itself: a sweeper, a lockout, a migration, the demo loader.
    System,
}

impl ActorType {
    /// Every actor type.
    pub const ALL: [ActorType; 4] =
        [ActorType::User, ActorType::ServiceAccount, ActorType::Operator, ActorType::System];

    /// The stored name (`service_account`).
    pub fn as_str(self) -> &'static str {
        match self {
            ActorType::User => "user",
            ActorType::ServiceAccount => "service_account",
            ActorType::Operator => "operator",
            ActorType::System => "system",
        }
    }
}

impl std::str::FromStr for ActorType {
    type Err = crate::ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ActorType::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| crate::ValidationError::field("actor_type", format!("'{s}' is not an actor type")))
    }
}

/// The chain-hash format events are written with now. Format 1 (events
/// written before the actor type and request context were recorded) hashes
/// the original fields; format 2 also hashes the format itself, the actor
/// type, the request id and the User-Agent, so that relabelling an event as
/// format 1 breaks its link too.
pub const HASH_FORMAT: i16 = 2;

/// The hash that links an event to the one before it: SHA-256 over the
/// previous hash and every field of the event, length-prefixed, in the
/// given format (see [`HASH_FORMAT`]).
pub fn chain_hash(prev: &[u8], seq: i64, e: &NewAuditEvent, format: i16) -> Vec<u8> {
    let mut h = Sha256::new();
    let mut field = |b: &[u8]| {
        h.update((b.len() as u64).to_be_bytes());
        h.update(b);
    };
    field(prev);
    field(&seq.to_be_bytes());
    field(e.org_id.0.as_bytes());
    field(e.actor_id.map(|a| a.0.into_bytes()).unwrap_or_default().as_slice());
    field(e.actor_label.as_bytes());
    field(e.action.as_str().as_bytes());
    field(e.target_type.as_bytes());
    field(e.target_id.as_bytes());
    field(e.details.as_bytes());
    field(e.ip.as_deref().unwrap_or("").as_bytes());
    field(&e.created_at.0.to_be_bytes());
    if format >= 2 {
        field(&format.to_be_bytes());
        field(e.actor_type.as_str().as_bytes());
        field(e.request_id.as_deref().unwrap_or("").as_bytes());
        field(e.user_agent.as_deref().unwrap_or("").as_bytes());
    }
    h.finalize().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> NewAuditEvent {
        NewAuditEvent {
            org_id: OrgId::new(),
            actor_id: None,
            actor_label: "cli".into(),
            actor_type: ActorType::Operator,
            action: AuditAction::MemberDisabled,
            target_type: "member".into(),
            target_id: "x".into(),
            details: "{}".into(),
            ip: None,
            request_id: Some("r1".into()),
            user_agent: None,
            created_at: Timestamp(1),
        }
    }

    #[test]
    fn any_field_changes_the_hash() {
        let e = event();
        let base = chain_hash(b"", 1, &e, HASH_FORMAT);
        assert_ne!(base, chain_hash(b"x", 1, &e, HASH_FORMAT));
        assert_ne!(base, chain_hash(b"", 2, &e, HASH_FORMAT));
        let mut e2 = e.clone();
        e2.details = "{\"a\":1}".into();
        assert_ne!(base, chain_hash(b"", 1, &e2, HASH_FORMAT));
        let e3 = NewAuditEvent { actor_type: ActorType::System, ..e.clone() };
        assert_ne!(base, chain_hash(b"", 1, &e3, HASH_FORMAT));
        let e4 = NewAuditEvent { request_id: None, ..e.clone() };
        assert_ne!(base, chain_hash(b"", 1, &e4, HASH_FORMAT));
    }

    #[test]
    fn format_one_ignores_the_context_and_format_two_covers_it() {
        let e = event();
        let bare = NewAuditEvent { actor_type: ActorType::User, request_id: None, user_agent: None, ..e.clone() };
        assert_eq!(chain_hash(b"", 1, &e, 1), chain_hash(b"", 1, &bare, 1));
        assert_ne!(chain_hash(b"", 1, &e, 1), chain_hash(b"", 1, &e, HASH_FORMAT));
    }

    #[test]
    fn action_names_are_unique_and_parse_back() {
        let mut names: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        for a in AuditAction::ALL {
            assert_eq!(a.as_str().parse::<AuditAction>().unwrap(), *a);
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), AuditAction::ALL.len());
        assert!("member.vanished".parse::<AuditAction>().is_err());
    }

    #[test]
    fn entry_builds_details() {
        let e = AuditEntry::new(AuditAction::MemberDisabled, "u1")
            .before(serde_json::json!({"status": "active"}))
            .after(serde_json::json!({"status": "disabled"}))
            .with("bulk", true);
        assert_eq!(
            serde_json::Value::Object(e.details),
            serde_json::json!({"before": {"status": "active"}, "after": {"status": "disabled"}, "bulk": true})
        );
    }
}
