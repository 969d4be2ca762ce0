//! Test support: [`spawn_app`] starts Roster on port 0 over a fresh database
//! (SQLite by default, PostgreSQL when `ROSTER_TEST_DB=postgres`), and
//! [`TestApp::finish`] runs the consistency check `verify()` and drops the
//! database. Fixtures create organizations and sign people in.
//!
//! Every answer on an API path is held to `openapi.json` ([`contract`]): a
//! status, media type or body the document does not describe fails the test,
//! at the [`Session`] helper that received it or at [`TestApp::finish`].
#![forbid(unsafe_code)]

pub mod contract;
pub mod mmdb;
pub mod smtp;

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::StatusCode;
use roster_app::{App, Clock, ManualClock};
use roster_domain::Timestamp;
use roster_store::Db;
use serde_json::Value;

/// The password every fixture user gets.
pub const PASSWORD: &str = "correct horse battery";

/// Which database the tests run on, from `ROSTER_TEST_DB` (`sqlite` or `postgres`).
pub fn backend_name() -> String {
    std::env::var("ROSTER_TEST_DB").unwrap_or_else(|_| "sqlite".into())
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("ROSTER_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A running Roster over its own database.
pub struct TestApp {
    /// Where it listens.
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The service layer, for setting up state directly.
    pub app: App,
    /// The clock the app reads; move it to test expiry.
    pub clock: Arc<ManualClock>,
    /// What the contract check found (see [`contract`]).
    pub violations: contract::Violations,
    /// The web layer's state (its admission places, for tests that fill them).
    pub state: roster_web::AppState,
    pg_database: Option<String>,
    _dir: Option<TempDir>,
}

/// A directory removed when dropped.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Opens a fresh, migrated database of the configured backend.
async fn fresh_db() -> (Db, Option<String>, Option<TempDir>) {
    let id = uuid::Uuid::now_v7().simple().to_string();
    if backend_name() == "postgres" {
        let admin_url = postgres_admin_url();
        let name = format!("roster_test_{id}");
        let admin = Db::connect(&admin_url).await.expect("PostgreSQL must be reachable at ROSTER_TEST_PG_URL");
        if let Db::Postgres(p) = &admin {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(p)
                .await
                .expect("create database");
        }
        admin.close().await;
        let url = match admin_url.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => panic!("ROSTER_TEST_PG_URL must end with /DATABASE"),
        };
        let db = Db::connect_with(&url, &roster_store::ConnectOptions { max_connections: 8 })
            .await
            .expect("connect to the test database");
        db.migrate().await.expect("migrate");
        (db, Some(name), None)
    } else {
        let dir = std::env::temp_dir().join(format!("roster-test-{id}"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let db = Db::connect(dir.join("roster.db").to_str().expect("utf-8 path")).await.expect("open SQLite");
        db.migrate().await.expect("migrate");
        (db, None, Some(TempDir(dir)))
    }
}

/// Starts Roster on 127.0.0.1:0 over a fresh database with a manual clock.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// [`spawn_app`] with the configuration changed first (expiries, limits…).
pub async fn spawn_app_with(configure: impl FnOnce(&mut roster_app::Config)) -> TestApp {
    spawn_app_using(configure, |app| app).await
}

/// [`spawn_app`] locating sessions with the suite's GeoIP database
/// ([`mmdb::fixture`]) and trusting `X-Forwarded-For` from the loopback
/// address the tests connect from, so that a test signs in "from"
/// `203.0.113.7` (Berlin) by sending that header.
pub async fn spawn_app_with_geoip() -> TestApp {
    spawn_app_using(
        |c| c.trusted_proxies = vec!["127.0.0.0/8".parse().expect("a network"), "::1".parse().expect("a network")],
        |app| app.with_geoip(mmdb::fixture()),
    )
    .await
}

/// [`spawn_app_with`], and the app changed before it serves (a GeoIP database…).
pub async fn spawn_app_using(
    configure: impl FnOnce(&mut roster_app::Config),
    prepare: impl FnOnce(App) -> App,
) -> TestApp {
    let (db, pg_database, dir) = fresh_db().await;
    let clock = Arc::new(ManualClock::at(roster_app::SystemClock.now()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    // Links in emails point at this very server.
    let mut config = roster_app::Config { base_url: format!("http://{addr}"), ..Default::default() };
    configure(&mut config);
    let app = prepare(App::new(db, config).with_clock(clock.clone()));
    let violations = contract::Violations::default();
    let state = roster_web::AppState::new(app.clone());
    let router = roster_web::router(state.clone())
        .layer(axum::middleware::from_fn_with_state(violations.clone(), contract::check_exchange));
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.expect("serve");
    });
    TestApp { addr, base_url: format!("http://{addr}"), app, clock, violations, state, pg_database, _dir: dir }
}

/// A signed-in HTTP client: the cookie jar plus the CSRF token.
#[derive(Clone)]
pub struct Session {
    /// The client (keeps the session cookie).
    pub client: reqwest::Client,
    /// The session's CSRF token.
    pub csrf: String,
    /// The app's base URL.
    pub base_url: String,
    /// The app's contract check, consulted after every answer.
    pub violations: contract::Violations,
}

impl Session {
    /// GET a path; answers the status and the JSON body (or Null).
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self.client.get(format!("{}{path}", self.base_url)).send().await.expect("request");
        self.answer(r).await
    }

    /// Sends a request built on this session's client (for what [`Self::send`]
    /// cannot say: other headers, form bodies, raw bytes); the answer has been
    /// checked against the document.
    pub async fn raw(&self, req: reqwest::RequestBuilder) -> reqwest::Response {
        let r = req.send().await.expect("request");
        self.violations.assert_none();
        r
    }

    /// The status and JSON body of an answer, once the contract check passed it.
    async fn answer(&self, r: reqwest::Response) -> (StatusCode, Value) {
        self.violations.assert_none();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Sends a JSON body with the CSRF header; answers the status and JSON body.
    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req =
            self.client.request(method, format!("{}{path}", self.base_url)).header("X-CSRF-Token", &self.csrf);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.expect("request");
        self.answer(r).await
    }

    /// POST JSON with the CSRF header.
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }
}

/// A new cookie-keeping client.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// GETs a page as a browser without JavaScript would: its status and HTML.
pub async fn page(c: &reqwest::Client, url: String) -> (StatusCode, String) {
    let r = c.get(url).send().await.expect("page");
    (r.status(), r.text().await.expect("page body"))
}

/// Posts a plain HTML form.
pub async fn post_form(c: &reqwest::Client, url: String, form: &[(&str, &str)]) -> reqwest::Response {
    c.post(url).form(form).send().await.expect("form post")
}

impl TestApp {
    /// Starts the outbox worker sending through `smtp` (polling every 50 ms).
    pub fn start_mail_worker(&self, smtp: &smtp::SmtpServer) {
        let mailer =
            roster_app::smtp::SmtpMailer::from_url(&smtp.url(), "Roster <roster@roster.test>").expect("mailer");
        let opts =
            roster_app::outbox::WorkerOptions { poll: std::time::Duration::from_millis(50), ..Default::default() };
        tokio::spawn(roster_app::outbox::run_worker(self.app.clone(), Arc::new(mailer), opts));
    }

    /// Signs in through the sign-in form, as a browser without JavaScript
    /// would; answers the cookie-keeping client and the CSRF token that the
    /// pages of `acme` carry in their forms.
    pub async fn sign_in_form(&self, email: &str) -> (reqwest::Client, String) {
        let c = client();
        let r = c
            .post(format!("{}/login", self.base_url))
            .form(&[("email", email), ("password", PASSWORD), ("next", "/")])
            .send()
            .await
            .expect("sign-in form");
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in as {email}");
        let page = c
            .get(format!("{}/orgs/acme/settings/users", self.base_url))
            .send()
            .await
            .expect("users page")
            .text()
            .await
            .expect("users page body");
        let csrf = page.split("name=\"csrf_token\" value=\"").nth(1).and_then(|s| s.split('"').next());
        (c, csrf.expect("the page carries a CSRF token").to_string())
    }

    /// Signs in over the API.
    pub async fn login(&self, email: &str, password: &str) -> Session {
        self.login_with(client(), email, password).await
    }

    /// Signs in over the API from a browser announcing `user_agent` and,
    /// through a trusted proxy ([`spawn_app_with_geoip`] trusts the
    /// loopback address), from the client address `ip` (none: the loopback
    /// address the test connects from).
    pub async fn login_from(&self, email: &str, user_agent: &str, ip: Option<&str>) -> Session {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(ip) = ip {
            headers.insert("x-forwarded-for", ip.parse().expect("an address"));
        }
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .default_headers(headers)
            .user_agent(user_agent)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client");
        self.login_with(client, email, PASSWORD).await
    }

    /// Signs in over the API with this client (which keeps the cookie).
    async fn login_with(&self, client: reqwest::Client, email: &str, password: &str) -> Session {
        let r = client
            .post(format!("{}/api/v1/auth/login", self.base_url))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .expect("login request");
        self.violations.assert_none();
        assert_eq!(r.status(), StatusCode::OK, "login of {email} failed");
        let body: Value = r.json().await.expect("login body");
        Session {
            client,
            csrf: body["csrf_token"].as_str().expect("csrf").to_string(),
            base_url: self.base_url.clone(),
            violations: self.violations.clone(),
        }
    }

    /// A client that sends `Authorization: Bearer <token>` with every request
    /// (a service account's or a personal API token) and keeps no cookie;
    /// answers are checked against the document like a signed-in [`Session`]'s.
    pub fn bearer(&self, token: &str) -> Session {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse().expect("a header value"));
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client");
        Session { client, csrf: String::new(), base_url: self.base_url.clone(), violations: self.violations.clone() }
    }

    /// A session-less view of this app for requests of tests' own making:
    /// answers are checked against the document like a [`Session`]'s.
    pub fn anonymous(&self) -> Session {
        Session {
            client: client(),
            csrf: String::new(),
            base_url: self.base_url.clone(),
            violations: self.violations.clone(),
        }
    }

    /// Creates an organization (default role preset) whose owner can sign in with [`PASSWORD`].
    pub async fn create_org(&self, slug: &str, owner_email: &str) -> roster_store::orgs::OrgRecord {
        self.create_org_with_preset(slug, owner_email, roster_domain::permissions::DEFAULT_PRESET).await
    }

    /// Creates an organization from a role preset.
    pub async fn create_org_with_preset(
        &self,
        slug: &str,
        owner_email: &str,
        preset: &str,
    ) -> roster_store::orgs::OrgRecord {
        roster_app::orgs::create_org(
            &self.app,
            &roster_app::Actor::Cli,
            roster_app::orgs::NewOrg {
                name: format!("Org {slug}"),
                slug: slug.into(),
                owner_email: owner_email.into(),
                owner_name: Some(format!("Owner of {slug}")),
                owner_password: Some(PASSWORD.into()),
                preset: Some(preset.into()),
            },
        )
        .await
        .expect("create org")
        .org
    }

    /// Adds `n` generated members to an organization.
    pub async fn seed(&self, org: &roster_store::orgs::OrgRecord, n: u64) {
        roster_app::demo::seed_members(&self.app, org, n, 7, &|_| {}).await.expect("seed");
    }

    /// Adds an active member who can sign in with [`PASSWORD`]; answers their user id.
    pub async fn add_member(
        &self,
        org: &roster_store::orgs::OrgRecord,
        email: &str,
        name: &str,
    ) -> roster_domain::UserId {
        roster_app::demo::add_member(&self.app, org, email, name, roster_domain::MemberStatus::Active, Some(PASSWORD))
            .await
            .expect("add member")
    }

    /// Sets a member's roles (by key) as the operator would.
    pub async fn set_roles(&self, org: &roster_store::orgs::OrgRecord, user: roster_domain::UserId, roles: &[&str]) {
        let access =
            roster_app::access::open_org(&self.app, &roster_app::Actor::Cli, &org.slug).await.expect("open org");
        let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
        roster_app::roles::set_member_roles(&self.app, &access, user, &roles, &Default::default())
            .await
            .expect("set roles");
    }

    /// Creates a custom role as the operator would; answers its key.
    pub async fn create_role(
        &self,
        org: &roster_store::orgs::OrgRecord,
        name: &str,
        grants: &[(&str, &[&str])],
    ) -> String {
        let access =
            roster_app::access::open_org(&self.app, &roster_app::Actor::Cli, &org.slug).await.expect("open org");
        let input = roster_app::roles::RoleInput {
            key: None,
            name: name.into(),
            description: String::new(),
            grants: grants.iter().map(|(r, a)| (r.to_string(), a.iter().map(|a| a.to_string()).collect())).collect(),
        };
        roster_app::roles::create_role(&self.app, &access, input, &Default::default()).await.expect("create role").key
    }

    /// Adds an active member holding these roles (by key); answers their user id.
    pub async fn add_member_with_roles(
        &self,
        org: &roster_store::orgs::OrgRecord,
        email: &str,
        roles: &[&str],
    ) -> roster_domain::UserId {
        let id = self.add_member(org, email, email.split('@').next().unwrap_or("member")).await;
        self.set_roles(org, id, roles).await;
        id
    }

    /// Leaves an organization without an owner, as one provisioned without a
    /// person behind it would be, so that only roles decide who administers it.
    pub async fn make_ownerless(&self, org: &roster_store::orgs::OrgRecord) {
        let mut tx = self.app.db.begin().await.expect("begin");
        roster_store::orgs::clear_owner(&mut tx, org.id).await.expect("clear owner");
        roster_store::orgs::bump_authz_version(&mut tx, org.id).await.expect("bump");
        tx.commit().await.expect("commit");
    }

    /// Moves the app's clock forward.
    pub fn advance(&self, ms: i64) {
        self.clock.advance_ms(ms);
    }

    /// Now, by the app's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Runs `verify()`, fails the test on any broken invariant, and drops
    /// the test's database.
    pub async fn finish(self) {
        let problems = roster_store::verify::verify(&self.app.db).await.expect("verify ran");
        let violations = self.violations.clone();
        self.discard().await;
        violations.assert_none();
        assert!(problems.is_empty(), "verify() found broken invariants:\n{}", problems.join("\n"));
    }

    /// Drops the test's database without checking it (for tests that broke
    /// the connection on purpose).
    pub async fn discard(self) {
        self.app.db.close().await;
        if let Some(name) = &self.pg_database
            && let Ok(Db::Postgres(p)) = Db::connect(&postgres_admin_url()).await
        {
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                .execute(&p)
                .await;
            p.close().await;
        }
        self.violations.assert_none();
    }
}
