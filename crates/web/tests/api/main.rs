//! The API integration suite: one binary, run against SQLite by default and
//! against PostgreSQL with `ROSTER_TEST_DB=postgres`. Every test ends with
//! `finish()`, which runs the consistency check `verify()`.

mod access_requests;
mod access_requests_ui;
mod accounts;
mod audit_completeness;
mod auth;
mod contract;
mod dormant;
mod exports;
mod guards;
mod hashing;
mod history;
mod house;
mod imported_hashes;
mod imports;
mod imports_ui;
mod invitations;
mod matrix;
mod members;
mod org_sessions;
mod outbox;
mod partners;
mod partners_ui;
mod product_filter;
mod products;
mod profile;
mod revocation;
mod roles;
mod scim;
mod scim_groups;
mod scim_groups_ui;
mod security;
mod service_accounts;
mod service_accounts_ui;
mod session_sweep;
mod sessions;
mod tamper;
mod ui;
