//! `roster`: the one binary. Serves the web UI and API, runs migrations,
//! loads the demo, and administers organizations from the command line.
#![forbid(unsafe_code)]

mod access_requests;
mod config;
mod export;
mod imports;
mod service_accounts;

use std::io::Read;
use std::net::SocketAddr;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use roster_app::members::ListRequest;
use roster_app::{Actor, App};
use roster_domain::{MemberFilter, MemberStatus};
use roster_store::Db;

use crate::config::Settings;

#[derive(Parser)]
#[command(name = "roster", version, about = "Multi-tenant user management")]
struct Cli {
    /// A TOML config file (keys: listen, database_url, public_url, smtp_url, smtp_from, hash_workers, hash_queue, invitation_days, scim_delete, scim_max_in_flight, import_max_mb, import_max_rows, signup_enabled, access_request_days, access_request_cooldown_days, session_idle_minutes, session_absolute_hours, geoip_db, trusted_proxies, [[resources]], [[products]]). Env variables ROSTER_* override it.
    #[arg(long, global = true, env = "ROSTER_CONFIG")]
    config: Option<String>,
    /// Database: a SQLite file path (default roster.db) or a postgres:// URL.
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// The public base URL of this deployment, for links in emails (env ROSTER_PUBLIC_URL).
    #[arg(long, global = true)]
    public_url: Option<String>,
    /// The SMTP server: smtp://host:port (STARTTLS; ?tls=none for a local relay) or
    /// smtps://user:password@host:465 (env ROSTER_SMTP_URL). Without one, emails stay on the Outbox page.
    #[arg(long, global = true)]
    smtp_url: Option<String>,
    /// The sender of Roster's emails, e.g. "Acme <no-reply@acme.example>" (env ROSTER_SMTP_FROM).
    #[arg(long, global = true)]
    smtp_from: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web UI and the API.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<String>,
        /// Password hashing threads (default: one per core; ROSTER_HASH_WORKERS).
        #[arg(long)]
        hash_workers: Option<usize>,
        /// Password hashes that may wait beyond the ones being computed; more
        /// sign-ins at once answer 429 (default: 4 per thread; ROSTER_HASH_QUEUE).
        #[arg(long)]
        hash_queue: Option<usize>,
        /// A MaxMind (GeoIP2/GeoLite2 City) or DB-IP City Lite .mmdb file that
        /// locates sessions' addresses (ROSTER_GEOIP_DB). Without one, locations show as "—".
        #[arg(long)]
        geoip_db: Option<String>,
        /// A network (CIDR) of proxies whose X-Forwarded-For names the client;
        /// repeat or separate with commas (ROSTER_TRUSTED_PROXIES). None by default.
        #[arg(long = "trusted-proxy")]
        trusted_proxies: Vec<String>,
    },
    /// Serve a fresh SQLite database filled with deterministic demo data.
    Demo {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// The demo's database file; it is replaced on every start.
        #[arg(long, default_value = "roster-demo.db")]
        file: String,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Organizations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Users of an organization.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Tools for development and benchmarks.
    Dev {
        #[command(subcommand)]
        command: DevCommand,
    },
    /// List the role presets an organization can be created from.
    Presets,
    /// Roles of an organization.
    Role {
        #[command(subcommand)]
        command: RoleCommand,
    },
    /// Products: the catalogue, an organization's subscriptions.
    Product {
        #[command(subcommand)]
        command: ProductCommand,
    },
    /// The email outbox: every message Roster wrote, newest first.
    Outbox {
        #[command(subcommand)]
        command: OutboxCommand,
    },
    /// Access requests of an organization: list, approve, deny; and the
    /// organization's join link and email domains.
    AccessRequest {
        #[command(subcommand)]
        command: access_requests::AccessRequestCommand,
    },
    /// Import members from a CSV, XLSX, XLS or ODS file (template: the
    /// Import page, or GET /api/v1/orgs/{org}/imports/template.csv).
    Import(imports::ImportArgs),
    /// Service accounts of an organization.
    ServiceAccount {
        #[command(subcommand)]
        command: service_accounts::ServiceAccountCommand,
    },
    /// API tokens of service accounts.
    Token {
        #[command(subcommand)]
        command: service_accounts::TokenCommand,
    },
    /// Invitations of an organization.
    Invitation {
        #[command(subcommand)]
        command: InvitationCommand,
    },
    /// Sign-in sessions.
    Sessions {
        #[command(subcommand)]
        command: SessionsCommand,
    },
    /// Export an organization's Users list (with the list's filters) as CSV or XLSX, to stdout
    /// or --output (streamed: one batch of members in memory at a time).
    Export(export::ExportArgs),
    /// The audit log (History): verify its hash chains, export it.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Print the OpenAPI document.
    Openapi,
}

#[derive(Subcommand)]
enum SessionsCommand {
    /// End the sessions past their idle or absolute deadline, recording why
    /// (`roster serve` does it every minute too).
    Sweep {
        /// Sessions ended per transaction.
        #[arg(long, default_value_t = 500)]
        batch: u64,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every organization's audit log (or one's) against its hash
    /// chain and recorded head; exits non-zero naming the first broken event.
    Verify {
        /// Only this organization (slug or id).
        #[arg(long)]
        org: Option<String>,
    },
    /// Write an organization's History to stdout, oldest first, as CSV or
    /// JSON Lines (streamed: one batch of events in memory at a time).
    Export(AuditExportArgs),
}

#[derive(clap::Args)]
struct AuditExportArgs {
    /// Organization slug (or id).
    #[arg(long)]
    org: String,
    /// csv (cells a spreadsheet would run as formulas start with ') or jsonl (one event per line).
    #[arg(long)]
    format: String,
    /// Only events by this actor: a user id, an email address, or a label (cli, system).
    #[arg(long)]
    actor: Option<String>,
    /// Only this action (member.disabled) or group (member, role, invitation, session, organization, user).
    #[arg(long)]
    action: Option<String>,
    /// Only events about this object: an id, or a member's email address.
    #[arg(long)]
    target: Option<String>,
    /// From this date (2026-11-01, UTC) or RFC 3339 time, inclusive.
    #[arg(long)]
    from: Option<String>,
    /// Up to this date (through its end, UTC) or RFC 3339 time, inclusive.
    #[arg(long)]
    to: Option<String>,
}

#[derive(Subcommand)]
enum OutboxCommand {
    /// List messages, newest first (the operator sees every message, links and all).
    List {
        /// Print each message's text too.
        #[arg(long)]
        text: bool,
    },
}

#[derive(Subcommand)]
enum RoleCommand {
    /// List an organization's roles with their grants and member counts.
    List {
        /// Organization slug or id.
        #[arg(long)]
        org: String,
    },
}

#[derive(Subcommand)]
enum ProductCommand {
    /// List the catalogue's products, or with --org an organization's
    /// subscriptions with their seats used and free.
    List {
        /// Organization slug or id.
        #[arg(long)]
        org: Option<String>,
    },
}

#[derive(Subcommand)]
enum InvitationCommand {
    /// List an organization's invitations, newest first, with inviter, dates and expiry.
    List {
        /// Organization slug or id.
        #[arg(long)]
        org: String,
        /// Only pending, expired, accepted or canceled ones.
        #[arg(long)]
        status: Option<String>,
    },
    /// Invite someone; prints the accept link when no email is sent.
    Invite {
        /// Organization slug or id.
        #[arg(long)]
        org: String,
        /// Their email address.
        #[arg(long)]
        email: String,
        /// First name.
        #[arg(long)]
        first_name: String,
        /// Last name.
        #[arg(long, default_value = "")]
        last_name: String,
        /// Role keys or ids, comma-separated (default: the preset's default role).
        #[arg(long)]
        roles: Option<String>,
        /// Do not email the link; print it instead.
        #[arg(long)]
        no_email: bool,
    },
    /// Write `invitation.expired` to the audit log for invitations that expired since the last sweep.
    Sweep,
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create an organization with its owner; prints a one-time link to set the owner's password.
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// URL handle (a-z, 0-9, -).
        #[arg(long)]
        slug: String,
        /// The owner's email (a user is created if none has it).
        #[arg(long)]
        owner_email: String,
        /// The owner's display name.
        #[arg(long)]
        owner_name: Option<String>,
        /// Read the owner's password from standard input instead of printing a link.
        #[arg(long)]
        owner_password_stdin: bool,
        /// The role preset (see `roster presets`; default account-owner).
        #[arg(long)]
        preset: Option<String>,
        /// Subscribe it to products: KEY=SEATS, comma-separated (quote=25,intake=10).
        #[arg(long)]
        products: Option<String>,
        /// Create it as a customer of this partner organization (slug or id):
        /// its owner is emailed through the outbox.
        #[arg(long)]
        partner: Option<String>,
    },
    /// List organizations.
    List,
    /// Turn an organization into a partner, which manages customer
    /// organizations (or back, with --off).
    Partner {
        /// Organization slug or id.
        org: String,
        /// Stop being a partner (it must have no customers left).
        #[arg(long)]
        off: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// List an organization's members.
    List {
        /// Organization slug or id.
        #[arg(long)]
        org: String,
        /// Only these statuses (comma-separated).
        #[arg(long)]
        status: Option<String>,
        /// Substring of name or email.
        #[arg(long, default_value = "")]
        q: String,
        /// Only members with no activity in the last N days (dormant), never-active ones included.
        #[arg(long, conflicts_with = "never_active")]
        inactive_days: Option<u32>,
        /// Only members who never signed in.
        #[arg(long)]
        never_active: bool,
        /// Only members holding a license of this product (its key).
        #[arg(long)]
        product: Option<String>,
        /// At most this many rows.
        #[arg(long)]
        limit: Option<u64>,
    },
    /// Unlock a member's account, locked after too many failed sign-ins.
    Unlock {
        /// Organization slug or id.
        #[arg(long)]
        org: String,
        /// The member's email.
        #[arg(long)]
        email: String,
    },
    /// Mail a member a link to choose a new password (through the outbox;
    /// nobody but the member sees the link).
    ResetLink {
        /// Organization slug or id.
        #[arg(long)]
        org: String,
        /// The member's email.
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum DevCommand {
    /// Add N generated members to an organization (created if missing).
    Seed {
        /// Organization slug.
        #[arg(long)]
        org: String,
        /// How many members to add.
        #[arg(long, default_value_t = 0)]
        members: u64,
        /// How many audit events to append to the organization's History
        /// (a valid hash chain; actors and targets are its members).
        #[arg(long, default_value_t = 0)]
        events: u64,
        /// Give products' licenses to a share of the members who are not
        /// archived: KEY=PERCENT, comma-separated (quote=50,analytics=1).
        /// The organization is subscribed, or its seats raised, as needed.
        #[arg(long)]
        licenses: Option<String>,
        /// Random seed (the same seed gives the same people).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ROSTER_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let mut settings = Settings::load(cli.config.as_deref())?;
    if let Some(url) = cli.database_url {
        settings.database_url = url;
    }
    if let Some(url) = cli.public_url {
        settings.public_url = Some(url);
    }
    if let Some(url) = cli.smtp_url {
        settings.smtp_url = Some(url);
    }
    if let Some(from) = cli.smtp_from {
        settings.smtp_from = from;
    }
    match cli.command {
        Command::Serve { listen, hash_workers, hash_queue, geoip_db, trusted_proxies } => {
            if geoip_db.is_some() {
                settings.geoip_db = geoip_db;
            }
            if !trusted_proxies.is_empty() {
                settings.trusted_proxies = trusted_proxies.iter().flat_map(|t| config::split_list(t)).collect();
            }
            if let Some(l) = listen {
                settings.listen = l;
            }
            if let Some(n) = hash_workers {
                settings.hash_workers = n;
            }
            if hash_queue.is_some() {
                settings.hash_queue = hash_queue;
            }
            let app = with_geoip(open(&settings).await?, &settings)?;
            serve(app, &settings, &settings.listen).await
        }
        Command::Demo { listen, file } => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{file}{suffix}"));
            }
            settings.database_url = file;
            if !listen.is_empty() && settings.public_url.is_none() {
                settings.base_url = format!("http://{listen}");
            }
            let mut app = open(&settings).await?;
            app.config = std::sync::Arc::new(roster_app::Config { demo_outbox: true, ..(*app.config).clone() });
            roster_app::demo::load_demo(&app).await?;
            println!("Roster demo on http://{listen}");
            println!(
                "  sign in as {} / {}  (owner of Acme Corp, Globex and Initech each have their own owner)",
                roster_app::demo::DEMO_OWNER,
                roster_app::demo::DEMO_PASSWORD
            );
            println!(
                "  or as      {} / {}  ({})",
                roster_app::demo::DEMO_MEMBER,
                roster_app::demo::DEMO_PASSWORD,
                roster_app::demo::DEMO_MEMBER_ABOUT
            );
            println!(
                "  or as      {} / {}  ({})",
                roster_app::demo::DEMO_PARTNER_MEMBER,
                roster_app::demo::DEMO_PASSWORD,
                roster_app::demo::DEMO_PARTNER_ABOUT
            );
            println!(
                "  or as      {} / {}  (no organization yet: asks to join Acme Corp from its suggestion)",
                roster_app::demo::DEMO_REQUESTER,
                roster_app::demo::DEMO_PASSWORD
            );
            if settings.smtp_url.is_none() {
                println!(
                    "  no SMTP server configured: emails (invitations, reset links) are kept on the Outbox tab, links and all"
                );
            }
            serve(app, &settings, &listen).await
        }
        Command::Migrate => {
            open(&settings).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Presets => {
            for p in roster_domain::permissions::presets() {
                println!("{}\t{}", p.key, p.name);
                for r in &p.roles {
                    let marks = if r.key == p.owner_role {
                        " (owner)"
                    } else if r.key == p.default_role {
                        " (default)"
                    } else {
                        ""
                    };
                    println!("  {}\t{}{marks}\t{}", r.key, r.name, r.grants);
                }
            }
            Ok(())
        }
        Command::Role { command: RoleCommand::List { org } } => {
            let app = open(&settings).await?;
            let access = roster_app::access::open_org(&app, &roster_app::Actor::Cli, &org).await.map_err(describe)?;
            println!("KEY\tNAME\tMEMBERS\tBUILTIN\tGRANTS\tID");
            for r in roster_app::roles::list_roles(&access).map_err(describe)? {
                println!("{}\t{}\t{}\t{}\t{}\t{}", r.key, r.name, r.member_count, r.builtin, r.grants, r.id);
            }
            Ok(())
        }
        Command::Org { command } => org(open(&settings).await?, command).await,
        Command::Product { command: ProductCommand::List { org } } => product_list(open(&settings).await?, org).await,
        Command::Invitation { command } => invitation(open(&settings).await?, command).await,
        Command::AccessRequest { command } => access_requests::run(open(&settings).await?, command).await,
        Command::ServiceAccount { command } => service_accounts::run(open(&settings).await?, command).await,
        Command::Import(args) => imports::run(open(&settings).await?, args).await,
        Command::Token { command } => service_accounts::run_token(open(&settings).await?, command).await,
        Command::User {
            command: UserCommand::List { org, status, q, inactive_days, never_active, product, limit },
        } => {
            let app = open(&settings).await?;
            let activity = roster_domain::members::Activity::parse(
                inactive_days.map(|d| d.to_string()).as_deref(),
                Some(if never_active { "true" } else { "false" }),
                app.clock.now(),
            )?;
            let product = product
                .map(|p| roster_domain::products::ProductKey::parse(p.trim()))
                .transpose()
                .map_err(|_| anyhow::anyhow!("--product: not a product key"))?;
            user_list(app, &org, status, &q, activity, product, limit).await
        }
        Command::User { command: UserCommand::Unlock { org, email } } => {
            let app = open(&settings).await?;
            let (access, user) = member_by_email(&app, &org, &email).await?;
            roster_app::lockout::unlock_member(&app, &access, user, &Default::default()).await.map_err(describe)?;
            println!("unlocked {email}");
            Ok(())
        }
        Command::User { command: UserCommand::ResetLink { org, email } } => {
            let app = open(&settings).await?;
            let (access, user) = member_by_email(&app, &org, &email).await?;
            roster_app::password_reset::send_link(&app, &access, user, &Default::default()).await.map_err(describe)?;
            println!("a reset link for {email} is in the outbox");
            Ok(())
        }
        Command::Dev { command: DevCommand::Seed { org, members, events, licenses, seed } } => {
            let licenses = licenses.as_deref().map(|l| key_values("--licenses", l)).transpose()?.unwrap_or_default();
            let app = open(&settings).await?;
            dev_seed(app.clone(), &org, members, seed).await?;
            if events > 0 {
                dev_seed_events(app.clone(), &org, events, seed).await?;
            }
            for (key, percent) in licenses {
                let percent: f64 =
                    percent.parse().map_err(|_| anyhow::anyhow!("--licenses: {key}={percent}: not a percentage"))?;
                dev_seed_licenses(app.clone(), &org, &key, percent, seed).await?;
            }
            Ok(())
        }
        Command::Audit { command: AuditCommand::Export(args) } => audit_export(open(&settings).await?, args).await,
        Command::Export(args) => export::run(open(&settings).await?, args).await,
        Command::Outbox { command: OutboxCommand::List { text } } => {
            let app = open(&settings).await?;
            let messages = roster_app::outbox::list(&app, &Actor::Cli, None).await.map_err(describe)?;
            println!("CREATED\tSTATUS\tKIND\tTO\tSUBJECT\tLAST ERROR");
            for m in messages {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    m.created_at.0,
                    m.status,
                    m.kind,
                    m.to,
                    m.subject,
                    m.last_error.as_deref().unwrap_or("")
                );
                if text {
                    println!("{}\n", m.text);
                }
            }
            Ok(())
        }
        Command::Sessions { command: SessionsCommand::Sweep { batch } } => {
            let app = open(&settings).await?;
            let s = roster_app::session_sweep::sweep(&app, batch).await.map_err(describe)?;
            println!("ended {} expired sessions ({} idle, {} absolute)", s.ended(), s.idle, s.absolute);
            Ok(())
        }
        Command::Audit { command: AuditCommand::Verify { org } } => audit_verify(open(&settings).await?, org).await,
        Command::Openapi => {
            println!("{}", roster_web::openapi_json());
            Ok(())
        }
    }
}

/// `roster audit verify`: one line per organization, `OK` with its event
/// count and head, or `BROKEN` with the first broken event; fails when any
/// chain is broken.
async fn audit_verify(app: App, org: Option<String>) -> anyhow::Result<()> {
    let orgs = match org {
        Some(o) => vec![roster_app::access::open_org(&app, &Actor::Cli, &o).await.map_err(describe)?.org],
        None => roster_app::orgs::list_all(&app).await.map_err(describe)?,
    };
    let started = std::time::Instant::now();
    let (mut events, mut broken) = (0u64, 0usize);
    for org in &orgs {
        let access = roster_app::access::open_org(&app, &Actor::Cli, &org.id.to_string()).await.map_err(describe)?;
        let report = roster_app::audit::verify_chain(&app, &access).await.map_err(describe)?;
        events += report.events;
        match (&report.broken, &report.head) {
            (Some(b), _) => {
                broken += 1;
                println!("{}\tBROKEN\t{b}", org.slug);
            }
            (None, Some((seq, hash))) => {
                let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
                println!("{}\tOK\t{} events\thead {seq} {hex}", org.slug, report.events);
            }
            (None, None) => println!("{}\tOK\t0 events", org.slug),
        }
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "checked {events} events of {} organizations in {secs:.2}s ({:.0} events/s)",
        orgs.len(),
        events as f64 / secs.max(1e-9)
    );
    if broken > 0 {
        bail!("{broken} of {} audit chains are broken", orgs.len());
    }
    Ok(())
}

async fn open(settings: &Settings) -> anyhow::Result<App> {
    let db = Db::connect(&settings.database_url).await.with_context(|| "opening the database")?;
    db.migrate().await.context("applying migrations")?;
    let app = App::new(
        db,
        roster_app::Config {
            base_url: settings.public_url(),
            app_resources: settings.app_resources(),
            mail_delivery: settings.smtp_url.is_some(),
            hash_workers: settings.hash_workers,
            hash_queue: settings.hash_queue,
            invitation_ttl_ms: i64::from(settings.invitation_days.max(1)) * 86_400_000,
            scim_delete: settings.scim_delete()?,
            scim_max_in_flight: settings.scim_max_in_flight.max(1),
            import_max_bytes: settings.import_max_mb.clamp(1, 200) * 1024 * 1024,
            import_max_rows: settings.import_max_rows.max(1),
            signup_enabled: settings.signup_enabled,
            access_request_ttl_ms: i64::from(settings.access_request_days.max(1)) * 86_400_000,
            access_request_cooldown_ms: i64::from(settings.access_request_cooldown_days) * 86_400_000,
            session_idle_ms: settings.session_lifetimes_ms().0,
            session_absolute_ms: settings.session_lifetimes_ms().1,
            trusted_proxies: settings.trusted_proxy_networks()?,
            catalogue: settings.catalogue()?,
            ..Default::default()
        },
    );

    let n = roster_app::roles::install_missing_presets(&app).await.map_err(describe)?;
    if n > 0 {
        tracing::info!(organizations = n, "installed the default role preset where none was");
    }
    Ok(app)
}

/// The app locating sessions with the configured GeoIP database, if any
/// (a file that cannot be read stops the start, naming it).
fn with_geoip(app: App, settings: &Settings) -> anyhow::Result<App> {
    let Some(path) = &settings.geoip_db else {
        tracing::info!("no GeoIP database configured (--geoip-db): session locations show as \"—\"");
        return Ok(app);
    };
    let db = roster_app::geoip::MaxMindDb::open(std::path::Path::new(path))?;
    tracing::info!(%path, "locating sessions with the GeoIP database");
    Ok(app.with_geoip(std::sync::Arc::new(db)))
}

async fn serve(app: App, settings: &Settings, listen: &str) -> anyhow::Result<()> {
    match &settings.smtp_url {
        Some(url) => {
            let mailer = roster_app::smtp::SmtpMailer::from_url(url, &settings.smtp_from)?;
            tokio::spawn(roster_app::outbox::run_worker(
                app.clone(),
                std::sync::Arc::new(mailer),
                roster_app::outbox::WorkerOptions::default(),
            ));
            tracing::info!(from = %settings.smtp_from, "sending email through SMTP");
        }
        None => tracing::info!("no SMTP server configured (--smtp-url): emails are kept on the Outbox tab"),
    }
    // Every instance sweeps; their claims skip each other's rows.
    tokio::spawn(roster_app::session_sweep::run_worker(app.clone(), Default::default()));
    // Every instance resumes imports whose server stopped mid-commit (their
    // lease ran out); a running import's lease keeps the others off it.
    roster_app::imports::spawn_worker(app.clone(), std::time::Duration::from_secs(10));
    let router = roster_web::router(roster_web::AppState::new(app.clone()));
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
    tracing::info!(address = %listener.local_addr()?, "roster listening");
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown())
        .await?;
    app.db.close().await;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

async fn org(app: App, command: OrgCommand) -> anyhow::Result<()> {
    match command {
        OrgCommand::Create { name, slug, owner_email, owner_name, owner_password_stdin, preset, products, partner } => {
            // Read before anything is created, so that a bad flag creates nothing.
            let products = products.as_deref().map(|p| subscriptions(&app, p)).transpose()?.unwrap_or_default();
            let owner_password = if owner_password_stdin {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                Some(s.trim_end_matches(['\n', '\r']).to_string())
            } else {
                None
            };
            if let Some(partner) = partner {
                anyhow::ensure!(
                    owner_password.is_none(),
                    "a customer's owner chooses their own password from the email; drop --owner-password-stdin"
                );
                let access = roster_app::access::open_org(&app, &Actor::Cli, &partner).await.map_err(describe)?;
                let input =
                    roster_app::partners::customers::NewCustomer { name, slug, preset, owner_email, owner_name };
                let org = roster_app::partners::customers::create(&app, &access, input, &Default::default())
                    .await
                    .map_err(describe)?;
                println!(
                    "created organization {} ({}) with the {} roles, a customer of {}; its owner was emailed (see the outbox)",
                    org.slug, org.id, org.preset, access.org.slug
                );
                return subscribe(&app, &org.id.to_string(), products).await;
            }
            let created = roster_app::orgs::create_org(
                &app,
                &Actor::Cli,
                roster_app::orgs::NewOrg { name, slug, owner_email, owner_name, owner_password, preset },
            )
            .await
            .map_err(describe)?;
            println!(
                "created organization {} ({}) with the {} roles",
                created.org.slug, created.org.id, created.org.preset
            );
            subscribe(&app, &created.org.id.to_string(), products).await?;
            if let Some(token) = created.password_token {
                println!("the owner sets a password here (one use, within 72 hours):");
                println!("{}/set-password?token={token}", app.config.base_url);
            }
            Ok(())
        }
        OrgCommand::List => {
            for o in roster_app::orgs::list_all(&app).await.map_err(describe)? {
                println!("{}\t{}\t{}", o.slug, o.id, o.name);
            }
            Ok(())
        }
        OrgCommand::Partner { org, off } => {
            let access = roster_app::access::open_org(&app, &Actor::Cli, &org).await.map_err(describe)?;
            roster_app::partners::customers::set_partner(&app, &access, !off, &Default::default())
                .await
                .map_err(describe)?;
            println!("{} is {}", access.org.slug, if off { "no longer a partner" } else { "a partner" });
            Ok(())
        }
    }
}

/// Subscribes a new organization to products (KEY, seats).
async fn subscribe(app: &App, org: &str, products: Vec<(String, i64)>) -> anyhow::Result<()> {
    if products.is_empty() {
        return Ok(());
    }
    let access = roster_app::access::open_org(app, &Actor::Cli, org).await.map_err(describe)?;
    for (key, seats) in products {
        let patch = roster_app::products::SubscriptionPatch { license_count: Some(seats), ..Default::default() };
        let p = roster_app::products::update_subscription(app, &access, &key, &patch, &Default::default())
            .await
            .map_err(describe)?;
        println!("subscribed to {} ({}) with {seats} seats", p.product.name, p.product.key);
    }
    Ok(())
}

async fn invitation(app: App, command: InvitationCommand) -> anyhow::Result<()> {
    match command {
        InvitationCommand::List { org, status } => {
            let access = roster_app::access::open_org(&app, &Actor::Cli, &org).await.map_err(describe)?;
            let state = status.filter(|s| !s.is_empty()).map(|s| s.parse()).transpose()?;
            let mut req = roster_app::invitations::ListRequest { state, cursor: None, per_page: 200 };
            println!("EMAIL\tNAME\tSTATUS\tROLES\tINVITED BY\tSENT\tEXPIRES\tID");
            loop {
                let page = roster_app::invitations::list(&app, &access, &req).await.map_err(describe)?;
                for i in &page.items {
                    let roles: Vec<&str> = i.roles.iter().map(|r| r.name.as_str()).collect();
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        i.email,
                        roster_domain::invitations::display_name(&i.first_name, &i.last_name),
                        i.state,
                        roles.join(", "),
                        i.invited_by,
                        i.sent_at.0,
                        i.expires_at.0,
                        i.id
                    );
                }
                match page.next_cursor {
                    Some(c) => req.cursor = Some(c),
                    None => break,
                }
            }
            Ok(())
        }
        InvitationCommand::Invite { org, email, first_name, last_name, roles, no_email } => {
            let access = roster_app::access::open_org(&app, &Actor::Cli, &org).await.map_err(describe)?;
            let input = roster_app::invitations::InvitationInput {
                email,
                first_name,
                last_name,
                roles: roles.map(|r| r.split(',').map(str::trim).filter(|r| !r.is_empty()).map(String::from).collect()),
                grants: None,
                send_email: !no_email,
                products: vec![],
            };
            let invited =
                roster_app::invitations::invite(&app, &access, &input, &Default::default()).await.map_err(describe)?;
            println!("invited {} ({})", invited.invitation.email, invited.invitation.id);
            match invited.accept_url {
                Some(url) => println!("hand them this link (one use, until it expires):\n{url}"),
                None => println!("the invitation email is in the outbox"),
            }
            Ok(())
        }
        InvitationCommand::Sweep => {
            let n = roster_app::invitations::sweep_expired(&app).await.map_err(describe)?;
            println!("recorded the expiry of {n} invitations");
            Ok(())
        }
    }
}

/// Opens an organization as the operator and finds a member by email.
async fn member_by_email(
    app: &App,
    org: &str,
    email: &str,
) -> anyhow::Result<(roster_app::access::OrgAccess, roster_domain::UserId)> {
    let access = roster_app::access::open_org(app, &Actor::Cli, org).await.map_err(describe)?;
    let filter = roster_domain::MemberFilter::parse("", "", email, vec![]).map_err(|e| anyhow::anyhow!("{e}"))?;
    let req = roster_app::members::ListRequest { filter, page: 1, per_page: 10, ..Default::default() };
    let list = roster_app::members::list_members(app, &access, &req).await.map_err(describe)?;
    let wanted = email.trim().to_lowercase();
    let member = list.items.iter().find(|m| m.member.email == wanted);
    let user = member.ok_or_else(|| anyhow::anyhow!("{email} is not a member of {org}"))?.member.user_id;
    Ok((access, user))
}

pub(crate) fn describe(e: roster_app::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

async fn user_list(
    app: App,
    org: &str,
    status: Option<String>,
    q: &str,
    activity: roster_domain::members::Activity,
    product: Option<roster_domain::products::ProductKey>,
    limit: Option<u64>,
) -> anyhow::Result<()> {
    let access = roster_app::access::open_org(&app, &roster_app::Actor::Cli, org).await.map_err(describe)?;
    let statuses = status
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<MemberStatus>())
        .collect::<Result<Vec<_>, _>>()?;
    let filter = MemberFilter::new(q, statuses)?.with_activity(activity).with_product(product);
    let mut req = ListRequest { filter, page: 1, per_page: 200, ..Default::default() };
    let mut printed = 0u64;
    println!("EMAIL\tNAME\tSTATUS\tROLES\tPRODUCTS\tCREATED\tLAST_ACTIVE\tID");
    loop {
        let page = roster_app::members::list_members(&app, &access, &req).await.map_err(describe)?;
        let ids: Vec<roster_domain::UserId> = page.items.iter().map(|v| v.member.user_id).collect();
        let products = roster_app::products::products_of_members(&mut app.db.conn().await?, &access, &ids)
            .await
            .map_err(describe)?;
        for v in &page.items {
            if limit.is_some_and(|l| printed >= l) {
                return Ok(());
            }
            let roles: Vec<&str> = v.roles.iter().map(|r| r.name.as_str()).collect();
            let m = &v.member;
            let held: Vec<&str> = products.get(&m.user_id).into_iter().flatten().map(|p| p.as_str()).collect();
            let last_active = m.last_active_at.map_or_else(|| "never".to_string(), |t| t.0.to_string());
            println!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                m.email,
                m.name,
                m.status,
                roles.join(", "),
                held.join(","),
                m.created_at.0,
                last_active,
                m.user_id
            );
            printed += 1;
        }
        match page.next_cursor {
            Some(c) => req.cursor = Some(c),
            None => break,
        }
    }
    Ok(())
}

/// `roster audit export`: the History as CSV or JSON Lines on stdout, a
/// batch at a time.
async fn audit_export(app: App, args: AuditExportArgs) -> anyhow::Result<()> {
    use std::io::Write;

    use roster_domain::history::{ActionFilter, ActorFilter, HistoryFilter, TargetFilter};
    let access = roster_app::access::open_org(&app, &Actor::Cli, &args.org).await.map_err(describe)?;
    let format: roster_app::history::ExportFormat = args.format.parse().map_err(|e| anyhow::anyhow!("--{e}"))?;
    let bad = |e: roster_domain::ValidationError| anyhow::anyhow!("--{e}");
    let filter = HistoryFilter {
        actor: args.actor.as_deref().map(ActorFilter::parse).transpose().map_err(bad)?,
        action: args.action.as_deref().map(ActionFilter::parse).transpose().map_err(bad)?,
        target: args.target.as_deref().map(TargetFilter::parse).transpose().map_err(bad)?,
        from: args
            .from
            .as_deref()
            .map(|s| roster_app::history::parse_time("from", s, false))
            .transpose()
            .map_err(bad)?,
        to: args.to.as_deref().map(|s| roster_app::history::parse_time("to", s, true)).transpose().map_err(bad)?,
    };
    let mut export = roster_app::history::export(&app, &access, &filter, format).await.map_err(describe)?;
    let mut out = std::io::stdout().lock();
    while let Some(chunk) = export.next_chunk().await.map_err(describe)? {
        out.write_all(chunk.as_bytes())?;
    }
    out.flush()?;
    Ok(())
}

/// `roster dev seed --events N`: a large History for the benchmarks.
async fn dev_seed_events(app: App, org: &str, events: u64, seed: u64) -> anyhow::Result<()> {
    let access = roster_app::access::open_org(&app, &Actor::Cli, org).await.map_err(describe)?;
    let started = std::time::Instant::now();
    let n = roster_app::history::seed::seed_events(&app, &access.org, events, seed, &|done| {
        eprintln!("  {done}/{events} events ({:.1}s)", started.elapsed().as_secs_f64());
    })
    .await
    .map_err(describe)?;
    println!("appended {n} audit events to {} in {:.1}s", access.org.slug, started.elapsed().as_secs_f64());
    Ok(())
}

async fn dev_seed(app: App, org: &str, members: u64, seed: u64) -> anyhow::Result<()> {
    let access = match roster_app::access::open_org(&app, &roster_app::Actor::Cli, org).await {
        Ok(a) => a,
        Err(roster_app::AppError::NotFound(_)) => {
            roster_app::orgs::create_org(
                &app,
                &Actor::Cli,
                roster_app::orgs::NewOrg {
                    name: org.to_string(),
                    slug: org.to_string(),
                    owner_email: format!("owner@{org}.example"),
                    owner_name: Some("Seed Owner".into()),
                    owner_password: None,
                    preset: None,
                },
            )
            .await
            .map_err(describe)?;
            roster_app::access::open_org(&app, &roster_app::Actor::Cli, org).await.map_err(describe)?
        }
        Err(e) => bail!("{e}"),
    };
    let started = std::time::Instant::now();
    let total = members;
    let n = roster_app::demo::seed_members(&app, &access.org, members, seed, &|done| {
        eprintln!("  {done}/{total} members ({:.1}s)", started.elapsed().as_secs_f64());
    })
    .await
    .map_err(describe)?;
    println!("added {n} members to {} in {:.1}s", access.org.slug, started.elapsed().as_secs_f64());
    if app.db.backend() == roster_store::Backend::Postgres {
        // A bulk load leaves PostgreSQL without statistics until autovacuum
        // analyzes the tables (never, where it is off): the planner then
        // reads a million members where it should read one.
        let started = std::time::Instant::now();
        app.db.run_script("ANALYZE").await?;
        println!("analyzed the tables in {:.1}s", started.elapsed().as_secs_f64());
    }
    Ok(())
}

/// Reads `KEY=VALUE,…` (a flag's pairs), naming the flag on a bad one.
fn key_values(flag: &str, text: &str) -> anyhow::Result<Vec<(String, String)>> {
    config::split_list(text)
        .into_iter()
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => {
                Ok((k.trim().to_string(), v.trim().to_string()))
            }
            _ => bail!("{flag}: '{pair}' is not KEY=VALUE"),
        })
        .collect()
}

/// Reads `--products KEY=SEATS,…` against the catalogue.
fn subscriptions(app: &App, text: &str) -> anyhow::Result<Vec<(String, i64)>> {
    key_values("--products", text)?
        .into_iter()
        .map(|(key, seats)| {
            let p = roster_app::products::catalogue(app).get(&key).with_context(|| {
                let known: Vec<&str> =
                    roster_app::products::catalogue(app).products.iter().map(|p| p.key.as_str()).collect();
                format!("--products: '{key}' is not a product (the catalogue has {})", known.join(", "))
            })?;
            let n = seats
                .parse::<i64>()
                .ok()
                .and_then(|n| roster_domain::products::check_license_count(n).ok())
                .with_context(|| format!("--products: {key}={seats}: seats are a whole number from 0 to 10000000"))?;
            Ok((p.key.to_string(), n))
        })
        .collect()
}

/// `roster product list`: the catalogue, or an organization's subscriptions.
async fn product_list(app: App, org: Option<String>) -> anyhow::Result<()> {
    let Some(org) = org else {
        println!("KEY\tNAME\tSETTINGS\tDESCRIPTION");
        for p in &roster_app::products::catalogue(&app).products {
            let settings: Vec<&str> = p.settings.iter().map(|s| s.key.as_str()).collect();
            println!("{}\t{}\t{}\t{}", p.key, p.name, settings.join(","), p.description);
        }
        return Ok(());
    };
    let access = roster_app::access::open_org(&app, &Actor::Cli, &org).await.map_err(describe)?;
    println!("KEY\tNAME\tSTATUS\tSEATS\tUSED\tFREE\tHELD_BY_DISABLED\tTRIAL");
    for v in roster_app::products::list_products(&app, &access).await.map_err(describe)? {
        let s = &v.subscription;
        let trial = match (&s.trial, v.days_left) {
            (Some(t), Some(left)) => {
                format!("{left} days left (ends {}, started by {})", t.ends_at.0, t.started_by_label)
            }
            (Some(t), None) => format!("converted (started by {})", t.started_by_label),
            (None, _) => "-".into(),
        };
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{trial}",
            v.product.key,
            v.product.name,
            v.state,
            s.license_count,
            s.used,
            v.free(),
            s.held_by_disabled
        );
    }
    Ok(())
}

/// `roster dev seed --licenses KEY=PERCENT`: licenses for a share of the members.
async fn dev_seed_licenses(app: App, org: &str, key: &str, percent: f64, seed: u64) -> anyhow::Result<()> {
    let access = roster_app::access::open_org(&app, &Actor::Cli, org).await.map_err(describe)?;
    let started = std::time::Instant::now();
    let n = roster_app::demo::seed_licenses(&app, &access.org, key, percent, seed, &|done| {
        eprintln!("  {done} {key} licenses ({:.1}s)", started.elapsed().as_secs_f64());
    })
    .await
    .map_err(describe)?;
    println!("gave {n} {key} licenses in {} in {:.1}s", access.org.slug, started.elapsed().as_secs_f64());
    Ok(())
}
