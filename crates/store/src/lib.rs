//! Roster's storage: one query code path over SQLite and PostgreSQL.
//!
//! Every query is built once with sea-query and run by [`Db`] or [`Tx`] on
//! whichever backend the database URL chose. Store functions that touch
//! tenant-owned rows take the [`OrgId`](roster_domain::OrgId) first, so that
//! a query crossing tenants cannot be written by accident.
#![forbid(unsafe_code)]

pub mod access_requests;
pub mod audit;
pub mod audit_query;
mod db;
pub mod email_changes;
pub mod imports;
pub mod invitations;
pub mod members;
pub mod org_sessions;
pub mod org_settings;
pub mod orgs;
pub mod outbox;
pub mod partners;
pub mod products;
pub mod roles;
pub mod schema;
pub mod scim;
pub mod scim_groups;
pub mod service_accounts;
pub mod session_sweep;
pub mod sessions;
pub mod signups;
mod tables;
pub mod throttle;
pub mod users;
pub mod verify;

pub use db::{Backend, Conn, ConnectOptions, Db, Reader, Tx};

/// A storage failure. Its message is for logs, never for clients.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database driver failed (connection, constraint, syntax…).
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed to apply.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value could not be read back (a corrupt or foreign row).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// A read running beside the caller's work did not finish (its task panicked or was cancelled).
    #[error("background read: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The database URL names no supported backend.
    #[error("unsupported database URL (use a file path, sqlite:…, or postgres://…)")]
    UnsupportedUrl,
}

impl StoreError {
    /// Whether the error is a unique-constraint violation (a duplicate key).
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

/// Shorthand for store results.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
