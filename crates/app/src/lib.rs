//! Roster's use cases. Each public function is one thing a person or a
//! program can do; it authorizes, validates, changes and audits inside one
//! transaction, so the UI, the API and the CLI share every rule.
#![forbid(unsafe_code)]

pub mod access;
pub mod access_requests;
pub mod actor;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod change;
pub mod clock;
pub mod demo;
pub mod error;
pub mod geoip;
pub mod hashing;
pub mod history;
pub mod imports;
pub mod invariants;
pub mod invitations;
pub mod lockout;
pub mod mail;
pub mod member_edit;
pub mod member_export;
pub mod members;
pub mod org_sessions;
pub mod orgs;
pub mod outbox;
pub mod ownership;
pub mod partners;
pub mod password_reset;
pub mod passwords;
pub mod policy;
pub mod products;
pub mod profile;
pub mod roles;
pub mod scim;
pub mod scim_groups;
pub mod service_accounts;
pub mod session_sweep;
pub mod sessions;
pub mod signup;
pub mod smtp;
pub mod throttle;
pub mod tokens;

use std::sync::Arc;

pub use actor::{AccountPrincipal, Actor, Principal};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{AppError, ConflictKind};
pub use roster_store::Db;

/// Tunables of a running Roster.
#[derive(Debug, Clone)]
pub struct Config {
    /// A session ends after this long without a request (milliseconds; 30 minutes by default).
    pub session_idle_ms: i64,
    /// A session ends this long after sign-in, used or not (milliseconds).
    pub session_absolute_ms: i64,
    /// How long a set-password link works (milliseconds).
    pub password_link_ms: i64,
    /// How long a password reset link works (milliseconds; 1 hour by default).
    pub reset_link_ms: i64,
    /// Consecutive failed sign-ins that lock an account (100, NIST SP 800-63B).
    pub lockout_after: i64,
    /// How long an invitation's link works (milliseconds; 7 days by default).
    pub invitation_ttl_ms: i64,
    /// How long the link confirming a new email address works
    /// (milliseconds; 24 hours by default).
    pub email_change_ms: i64,
    /// The public base URL, for links printed or mailed (`http://localhost:8080`).
    pub base_url: String,
    /// Application resources this deployment declares for every
    /// organization (the host application enforces them).
    pub app_resources: Vec<roster_domain::permissions::AppResource>,
    /// Whether an SMTP server is configured (a worker sends the outbox);
    /// without one, messages are kept on the Outbox page.
    pub mail_delivery: bool,
    /// The demo's Outbox page shows every message with its links (also
    /// people's own reset links), so that a visitor can walk every flow
    /// without a mailbox. Never set outside `roster demo`.
    pub demo_outbox: bool,
    /// Password hashing threads (0: one per available core).
    pub hash_workers: usize,
    /// Password hashes that may wait for a thread beyond the ones being
    /// computed; more at once are refused with 429 (`None`: a few per thread).
    pub hash_queue: Option<usize>,
    /// The proxies (load balancers) whose `X-Forwarded-For` names the
    /// client: a request from one of these networks is taken to come from
    /// the address the header names, read from the right past the trusted
    /// hops. Empty by default: the header is then ignored, since any
    /// client could write it.
    pub trusted_proxies: Vec<roster_domain::net::Cidr>,
    /// The product catalogue (`[[products]]`; the built-in example where
    /// the configuration names none).
    pub catalogue: roster_domain::products::Catalogue,
    /// How long an access request waits for a decision before it expires (30 days).
    pub access_request_ttl_ms: i64,
    /// After a denial, how long before the same person may ask again (7 days).
    pub access_request_cooldown_ms: i64,
    /// Access requests one user may make per hour, across organizations.
    pub access_requests_per_user_hour: u32,
    /// Access requests one organization accepts per hour.
    pub access_requests_per_org_hour: u32,
    /// Whether people without an account may sign up (then ask to join).
    pub signup_enabled: bool,
    /// How long a sign-up's confirmation link works (24 hours).
    pub signup_link_ms: i64,
    /// API token lifetimes: the longest allowed, and whether "never" is.
    pub token_policy: roster_domain::service_accounts::TokenPolicy,
    /// What SCIM's `DELETE /scim/v2/Users/{id}` does to the member: archive
    /// them (the default) or disable them.
    pub scim_delete: crate::scim::ScimDelete,
    /// How many SCIM requests the server admits at once; one more is
    /// answered 429 with `Retry-After` at once, never left to time out.
    pub scim_max_in_flight: usize,
    /// The largest import file accepted (bytes; 20 MiB by default).
    pub import_max_bytes: usize,
    /// The most data rows an import file may have (100,000 by default).
    pub import_max_rows: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            session_idle_ms: 30 * 60 * 1000,
            session_absolute_ms: 12 * 60 * 60 * 1000,
            password_link_ms: 72 * 60 * 60 * 1000,
            reset_link_ms: 60 * 60 * 1000,
            lockout_after: 100,
            invitation_ttl_ms: 7 * 24 * 60 * 60 * 1000,
            email_change_ms: 24 * 60 * 60 * 1000,
            base_url: "http://localhost:8080".into(),
            app_resources: vec![],
            mail_delivery: false,
            demo_outbox: false,
            hash_workers: 0,
            hash_queue: None,
            trusted_proxies: vec![],
            catalogue: roster_domain::products::Catalogue::builtin(),
            access_request_ttl_ms: 30 * 24 * 60 * 60 * 1000,
            access_request_cooldown_ms: 7 * 24 * 60 * 60 * 1000,
            access_requests_per_user_hour: 10,
            access_requests_per_org_hour: 100,
            signup_enabled: true,
            signup_link_ms: 24 * 60 * 60 * 1000,
            token_policy: roster_domain::service_accounts::TokenPolicy::default(),
            scim_delete: crate::scim::ScimDelete::Archive,
            scim_max_in_flight: 64,
            import_max_bytes: 20 * 1024 * 1024,
            import_max_rows: 100_000,
        }
    }
}

impl Config {
    /// An absolute link to `path` (which starts with `/`) on this
    /// deployment, built from the configured public base URL and never from
    /// a request's `Host` header.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.base_url.trim_end_matches('/'))
    }
}

/// The service: the database, the clock and the configuration every use
/// case needs. Cheap to clone.
#[derive(Clone)]
pub struct App {
    /// The store.
    pub db: Db,
    /// Where time comes from.
    pub clock: Arc<dyn Clock>,
    /// Tunables.
    pub config: Arc<Config>,
    /// Failed sign-in counters.
    pub login_throttle: Arc<throttle::LoginThrottle>,
    /// Roles and members' grants, cached per organization version.
    pub policies: Arc<policy::PolicyCache>,
    /// The password hashing threads.
    pub hashing: Arc<hashing::HashPool>,
    /// The GeoIP database sessions are located with, when the operator gave one.
    pub geoip: Option<Arc<dyn geoip::GeoIp>>,
}

impl App {
    /// An app over a migrated database, with the system clock.
    pub fn new(db: Db, config: Config) -> Self {
        let hashing = Arc::new(hashing::HashPool::new(config.hash_workers, config.hash_queue));
        Self {
            db,
            clock: Arc::new(SystemClock),
            config: Arc::new(config),
            login_throttle: Default::default(),
            policies: Default::default(),
            hashing,
            geoip: None,
        }
    }

    /// The same app locating sessions' addresses with a GeoIP database.
    pub fn with_geoip(mut self, geoip: Arc<dyn geoip::GeoIp>) -> Self {
        self.geoip = Some(geoip);
        self
    }

    /// The same app reading time from another clock (tests move time this way).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

/// Where a request came from, for the audit log and session records.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    /// The client's IP address.
    pub ip: Option<String>,
    /// The client's User-Agent.
    pub user_agent: Option<String>,
    /// The request's id: the client's `X-Request-Id` when it sent a usable
    /// one, otherwise one the server made; the audit log records it.
    pub request_id: Option<String>,
}
