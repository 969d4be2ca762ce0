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
}
