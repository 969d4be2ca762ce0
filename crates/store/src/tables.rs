//! The names of Roster's tables and columns, for the query builder.
//!
//! One enum per table, derived with sea-query's `Iden`: the `Table` variant
//! names the table (the enum's name in snake_case) and every other variant
//! names a column (the variant's name in snake_case), so that
//! `AuditEvents::OrgId` is written `"org_id"`. The enums follow the migrations
//! in `migrations/sqlite` and `migrations/postgres`; a column added there is
//! added here. Aliases given to computed columns (`AS "n"`) are not names of
//! the schema and stay strings where they are used.

use sea_query::Iden;

/// A name written into hand-written SQL (an FTS5 `MATCH`, a PostgreSQL
/// expression, a catalog query) quoted as the query builder quotes it on both
/// backends: `"members_fts"`.
pub(crate) fn quoted(name: impl Iden) -> String {
    format!("\"{}\"", name.unquoted().replace('"', "\"\""))
}

/// A table's column written into hand-written SQL, qualified and quoted as
/// the query builder writes it: `"members"."email"`.
pub(crate) fn qualified(table: impl Iden, column: impl Iden) -> String {
    format!("{}.{}", quoted(table), quoted(column))
}

/// `users`: global human identities.
#[derive(Iden, Clone, Copy)]
pub(crate) enum Users {
    Table,
    Id,
    Email,
    Name,
    PasswordHash,
    EmailConfirmed,
    CreatedAt,
    UpdatedAt,
    FailedLogins,
    LockedAt,
}

/// `organizations`: the tenants.
#[derive(Iden, Clone, Copy)]
pub(crate) enum Organizations {
    Table,
    Id,
    Slug,
    Name,
    OwnerId,
    CreatedAt,
    Preset,
    Partner,
    OwnerTransfer,
    AuthzVersion,
    /// The partner managing a customer organization (migration 0021).
    ParentId,
}

/// `members`: a user's membership of an organization, with the user's email
/// and name mirrored for searching and sorting.
#[derive(Iden, Clone, Copy)]
pub(crate) enum Members {
    Table,
    OrgId,
    UserId,
    Email,
    Name,
    Status,
    CreatedAt,
    LastActiveAt,
    /// SQLite's implicit row id, which the FTS index refers to.
    Rowid,
    /// SCIM's `externalId` (migration 0019).
    ExternalId,
    /// The enterprise extension's `employeeNumber`.
    EmployeeNumber,
    /// The enterprise extension's `department`.
    Department,
    /// The enterprise extension's `manager.value`: a user id.
    ManagerId,
    /// The provider's work address when it differs from `email`.
    WorkEmail,
    /// When the row last changed (NULL: not since it was made).
    UpdatedAt,
}

/// `members_fts` (SQLite only): the FTS5 trigram index over members' email
/// and name, an external-content table keyed by `members.rowid`.
#[derive(Iden, Clone, Copy)]
pub(crate) enum MembersFts {
    Table,
    Rowid,
    Email,
    Name,
}

/// `member_counts`: an organization's members per status, kept in the
/// transaction that changes them.
#[derive(Iden, Clone, Copy)]
pub(crate) enum MemberCounts {
    Table,
    OrgId,
    Status,
    Count,
}

/// `sessions`: sign-in sessions, by the SHA-256 of their token.
#[derive(Iden, Clone, Copy)]
pub(crate) enum Sessions {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    LastSeenAt,
    IdleExpiresAt,
    ExpiresAt,
    Ip,
    UserAgent,
    EndedAt,
    EndReason,
    EndedBy,
    EndedByOrg,
    Location,
}

/// `password_tokens`: one-time password-setting tokens, by the SHA-256 of
/// their secret.
#[derive(Iden, Clone, Copy)]
pub(crate) enum PasswordTokens {
    Table,
    TokenHash,
    UserId,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

/// `audit_events`: each organization's hash-chained audit log.
#[derive(Iden, Clone, Copy)]
pub(crate) enum AuditEvents {
    Table,
    OrgId,
    Seq,
    Id,
    ActorId,
    ActorLabel,
    Action,
    TargetType,
    TargetId,
    Details,
    Ip,
    CreatedAt,
    Hash,
    ActorType,
    RequestId,
    UserAgent,
    HashFormat,
}

/// `audit_heads`: each organization's newest audit event (sequence number
/// and hash), moved forward with every append.
#[derive(Iden, Clone, Copy)]
pub(crate) enum AuditHeads {
    Table,
    OrgId,
    Seq,
    Hash,
}

/// `org_resources`: an organization's application resources.
#[derive(Iden, Clone, Copy)]
pub(crate) enum OrgResources {
    Table,
    OrgId,
    Key,
    Label,
    Description,
    Position,
}

/// `roles`: an organization's roles.
#[derive(Iden, Clone, Copy)]
pub(crate) enum Roles {
    Table,
    OrgId,
    Id,
    Key,
    Name,
    /// The lower-cased name, unique in the organization.
    NameKey,
    Description,
    Builtin,
    Locked,
    Position,
    MemberCount,
    CreatedAt,
    UpdatedAt,
}

/// `role_grants`: what a role grants, one row per resource.
#[derive(Iden, Clone, Copy)]
pub(crate) enum RoleGrants {
    Table,
    OrgId,
    RoleId,
    Resource,
    /// The granted actions as four bits.
    Actions,
}

/// `member_roles`: which members hold which roles.
#[derive(Iden, Clone, Copy)]
pub(crate) enum MemberRoles {
    Table,
    OrgId,
    UserId,
    RoleId,
}

/// `member_grants`: a member's own grants, one row per resource.
#[derive(Iden, Clone, Copy)]
pub(crate) enum MemberGrants {
    Table,
    OrgId,
    UserId,
    Resource,
    /// The granted actions as four bits.
    Actions,
}

/// `sign_in_attempts`: the sign-in throttle's counters.
#[derive(Iden, Clone, Copy)]
pub(crate) enum SignInAttempts {
    Table,
    /// What the counter counts by (`email` or `ip`).
    Kind,
    Key,
    WindowStart,
    Attempts,
    Failures,
}

#[cfg(test)]
mod tests {
    use sea_query::Iden;

    use super::*;

    /// The derived names are the schema's: snake_case, and `Table` is the table.
    #[test]
    fn names_are_the_schemas() {
        assert_eq!(AuditEvents::Table.to_string(), "audit_events");
        assert_eq!(AuditEvents::OrgId.to_string(), "org_id");
        assert_eq!(SignInAttempts::Table.to_string(), "sign_in_attempts");
        assert_eq!(MembersFts::Table.to_string(), "members_fts");
        assert_eq!(Members::Rowid.to_string(), "rowid");
        assert_eq!(Roles::NameKey.to_string(), "name_key");
        assert_eq!(Organizations::AuthzVersion.to_string(), "authz_version");
        assert_eq!(EmailChanges::Table.to_string(), "email_changes");
        assert_eq!(EmailChanges::NewEmail.to_string(), "new_email");
    }

    /// Hand-written SQL names things as the query builder does.
    #[test]
    fn hand_written_names_are_quoted_like_the_builders() {
        assert_eq!(quoted(MembersFts::Table), r#""members_fts""#);
        assert_eq!(qualified(Members::Table, Members::Email), r#""members"."email""#);
        let q = sea_query::Query::select().column((Members::Table, Members::Rowid)).from(MembersFts::Table).to_owned();
        let expected =
            format!("SELECT {} FROM {}", qualified(Members::Table, Members::Rowid), quoted(MembersFts::Table));
        assert_eq!(q.to_string(sea_query::SqliteQueryBuilder), expected);
        assert_eq!(q.to_string(sea_query::PostgresQueryBuilder), expected);
    }
}

/// `outbox`: emails written with the change that causes them, sent by a worker.
#[derive(Iden, Clone, Copy)]
pub(crate) enum Outbox {
    Table,
    Id,
    OrgId,
    Kind,
    ToEmail,
    Subject,
    TextBody,
    HtmlBody,
    Sensitive,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LastError,
    CreatedAt,
    SentAt,
}

/// `invitations`: pending memberships by email, by the SHA-256 of their
/// link's secret.
#[derive(Iden, Clone, Copy)]
pub(crate) enum Invitations {
    Table,
    OrgId,
    Id,
    UserId,
    Email,
    FirstName,
    LastName,
    Roles,
    Grants,
    TokenHash,
    Status,
    ExpiresAt,
    InvitedBy,
    InvitedByLabel,
    CreatedAt,
    SentAt,
    ResendCount,
    AcceptedAt,
    CanceledAt,
    CanceledBy,
    CanceledByLabel,
    ExpiredNotedAt,
}

/// `email_changes`: users' pending email address changes, by the SHA-256
/// of their confirmation link's secret.
#[derive(Iden, Clone, Copy)]
pub(crate) enum EmailChanges {
    Table,
    Id,
    UserId,
    NewEmail,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    CanceledAt,
}

/// `subscriptions`: an organization's subscription to a catalogue product.
#[derive(Iden, Clone, Copy)]
pub(crate) enum Subscriptions {
    Table,
    OrgId,
    Product,
    Status,
    LicenseCount,
    Used,
    HeldByDisabled,
    HeldByInvited,
    TrialStartsAt,
    TrialEndsAt,
    TrialStartedBy,
    TrialStartedByLabel,
    Settings,
    CreatedAt,
    UpdatedAt,
}

/// `licenses`: a member's license (seat) of a product.
#[derive(Iden, Clone, Copy)]
pub(crate) enum Licenses {
    Table,
    OrgId,
    UserId,
    Product,
    AssignedAt,
}

/// `org_settings`: an organization's join link (migration 0016).
#[derive(Iden, Clone, Copy)]
pub(crate) enum OrgSettings {
    Table,
    OrgId,
    JoinLinkEnabled,
    JoinCode,
    UpdatedAt,
}

/// `org_email_domains`: the email domains an organization declares (migration 0016).
#[derive(Iden, Clone, Copy)]
pub(crate) enum OrgEmailDomains {
    Table,
    OrgId,
    Domain,
}

/// `access_requests`: requests to join an organization (migration 0016).
#[derive(Iden, Clone, Copy)]
pub(crate) enum AccessRequests {
    Table,
    OrgId,
    Id,
    UserId,
    Email,
    Name,
    Message,
    Via,
    Status,
    CreatedAt,
    ExpiresAt,
    DecidedAt,
    DecidedBy,
    DecidedByLabel,
    Reason,
    Roles,
    Products,
}

/// `signups`: sign-ups waiting for their address's confirmation (migration 0016).
#[derive(Iden, Clone, Copy)]
pub(crate) enum Signups {
    Table,
    Id,
    Email,
    Name,
    PasswordHash,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

/// `service_accounts`: non-human principals of an organization (migration 0017).
#[derive(Iden, Clone, Copy)]
pub(crate) enum ServiceAccounts {
    Table,
    OrgId,
    Id,
    Name,
    Description,
    Status,
    Scim,
    CreatedAt,
    CreatedByLabel,
    UpdatedAt,
}

/// `service_account_roles`: the roles a service account holds (migration 0017).
#[derive(Iden, Clone, Copy)]
pub(crate) enum ServiceAccountRoles {
    Table,
    OrgId,
    AccountId,
    RoleId,
}

/// `service_account_grants`: a service account's own grants (migration 0017).
#[derive(Iden, Clone, Copy)]
pub(crate) enum ServiceAccountGrants {
    Table,
    OrgId,
    AccountId,
    Resource,
    Actions,
}

/// `api_tokens`: service accounts' and members' API tokens (migration 0017).
#[derive(Iden, Clone, Copy)]
pub(crate) enum ApiTokens {
    Table,
    Id,
    OrgId,
    AccountId,
    UserId,
    Name,
    Prefix,
    TokenHash,
    CreatedAt,
    CreatedByLabel,
    ExpiresAt,
    LastUsedAt,
    LastUsedIp,
    RevokedAt,
    RevokedByLabel,
    RotatedFrom,
}
