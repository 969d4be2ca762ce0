//! The API integration suite: one binary, run against SQLite by default and
//! against PostgreSQL with `ROSTER_TEST_DB=postgres`. Every test ends with
//! `finish()`, which runs the consistency check `verify()`.

mod accounts;
mod auth;
mod contract;
mod guards;
mod hashing;
mod history;
mod house;
mod invitations;
mod matrix;
mod members;
mod outbox;
mod profile;
mod roles;
mod security;
mod sessions;
mod ui;
