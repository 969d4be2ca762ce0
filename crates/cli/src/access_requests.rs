//! `roster access-request …`: an organization's access requests and its
//! join settings, as the operator.

use clap::Subcommand;
use roster_app::access_requests::{self as requests, Approval, SettingsChange};
use roster_app::{Actor, App};

use crate::describe;

/// The `access-request` subcommands.
#[derive(Subcommand)]
pub enum AccessRequestCommand {
    /// List an organization's pending requests (oldest first) and the recently processed ones.
    List {
        /// Organization slug or id.
        #[arg(long)]
        org: String,
    },
    /// Approve a pending request: the requester becomes an active member.
    Approve {
        /// Organization slug or id.
        #[arg(long)]
        org: String,
        /// The request's id (see `list`).
        #[arg(long)]
        id: String,
        /// Role keys or ids, comma-separated (default: the preset's default role).
        #[arg(long)]
        roles: Option<String>,
        /// Product keys whose licenses to assign, comma-separated.
        #[arg(long)]
        products: Option<String>,
    },
    /// Deny a pending request, with an optional reason mailed to the requester.
    Deny {
        /// Organization slug or id.
        #[arg(long)]
        org: String,
        /// The request's id (see `list`).
        #[arg(long)]
        id: String,
        /// Why (mailed to the requester).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Show, or change, an organization's join link and email domains.
    Settings {
        /// Organization slug or id.
        #[arg(long)]
        org: String,
        /// Turn the join link on or off.
        #[arg(long)]
        join_link: Option<OnOff>,
        /// Make a new join link (the old one stops working).
        #[arg(long)]
        regenerate_join_link: bool,
        /// The organization's email domains, comma-separated ("" for none).
        #[arg(long)]
        email_domains: Option<String>,
    },
    /// Write `access_request.expired` to the audit log for requests that expired since the last sweep.
    Sweep,
}

/// On or off.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum OnOff {
    /// On.
    On,
    /// Off.
    Off,
}

fn list_arg(s: Option<String>) -> Option<Vec<String>> {
    s.map(|s| s.split(',').map(str::trim).filter(|r| !r.is_empty()).map(String::from).collect())
}

fn parse_id(id: &str) -> anyhow::Result<roster_domain::AccessRequestId> {
    id.parse().map_err(|_| anyhow::anyhow!("'{id}' is not a request id (see `roster access-request list`)"))
}

/// Runs one `access-request` subcommand.
pub async fn run(app: App, command: AccessRequestCommand) -> anyhow::Result<()> {
    let meta = Default::default();
    match command {
        AccessRequestCommand::List { org } => {
            let access = roster_app::access::open_org(&app, &Actor::Cli, &org).await.map_err(describe)?;
            let list = requests::list(&app, &access).await.map_err(describe)?;
            println!("PENDING ({})", list.pending_count);
            println!("EMAIL\tNAME\tASKED\tEXPIRES\tVIA\tMESSAGE\tID");
            for r in &list.pending {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    r.email,
                    r.name,
                    roster_domain::audit_text::date_time(r.created_at.0),
                    roster_domain::audit_text::date_time(r.expires_at.0),
                    r.via,
                    r.message.replace('\n', " "),
                    r.id
                );
            }
            println!();
            println!("RECENTLY PROCESSED");
            println!("EMAIL\tDECISION\tBY\tWHEN\tREASON\tID");
            for r in &list.recent {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    r.email,
                    r.state,
                    r.decided_by.as_deref().unwrap_or("-"),
                    r.decided_at.map(|t| roster_domain::audit_text::date_time(t.0)).unwrap_or_default(),
                    r.reason.as_deref().unwrap_or(""),
                    r.id
                );
            }
            Ok(())
        }
        AccessRequestCommand::Approve { org, id, roles, products } => {
            let access = roster_app::access::open_org(&app, &Actor::Cli, &org).await.map_err(describe)?;
            let input = Approval { roles: list_arg(roles), products: list_arg(products).unwrap_or_default() };
            let r = requests::approve(&app, &access, parse_id(&id)?, &input, &meta).await.map_err(describe)?;
            println!("approved: {} is an active member of {} ({})", r.email, access.org.name, r.roles.join(", "));
            Ok(())
        }
        AccessRequestCommand::Deny { org, id, reason } => {
            let access = roster_app::access::open_org(&app, &Actor::Cli, &org).await.map_err(describe)?;
            let r = requests::deny(&app, &access, parse_id(&id)?, &reason, &meta).await.map_err(describe)?;
            println!("denied the request of {}; they were told by email", r.email);
            Ok(())
        }
        AccessRequestCommand::Settings { org, join_link, regenerate_join_link, email_domains } => {
            let access = roster_app::access::open_org(&app, &Actor::Cli, &org).await.map_err(describe)?;
            let change = SettingsChange {
                join_link_enabled: join_link.map(|j| matches!(j, OnOff::On)),
                email_domains: email_domains.map(|d| list_arg(Some(d)).unwrap_or_default()),
                regenerate_join_link,
            };
            let s = if change.join_link_enabled.is_none() && change.email_domains.is_none() && !regenerate_join_link {
                requests::settings(&app, &access).await.map_err(describe)?
            } else {
                requests::update_settings(&app, &access, &change, &meta).await.map_err(describe)?
            };
            println!("join link:     {}", if s.join_link_enabled { "on" } else { "off" });
            if let Some(link) = s.join_link {
                println!("               {link}");
            }
            println!(
                "email domains: {}",
                if s.email_domains.is_empty() { "none".to_string() } else { s.email_domains.join(", ") }
            );
            Ok(())
        }
        AccessRequestCommand::Sweep => {
            let n = requests::sweep_expired(&app).await.map_err(describe)?;
            println!("recorded the expiry of {n} access requests");
            Ok(())
        }
    }
}
