//! `roster service-account …` and `roster token …`: an organization's
//! service accounts and their API tokens, as the operator.

use clap::Subcommand;
use roster_app::service_accounts::{self as accounts, AccountInput, TokenInput};
use roster_app::{Actor, App};

use crate::describe;

/// The `service-account` subcommands.
#[derive(Subcommand)]
pub enum ServiceAccountCommand {
    /// Create a service account.
    Create {
        /// Organization slug or id.
        #[arg(long)]
        org: String,
        /// Its name (unique in the organization).
        #[arg(long)]
        name: String,
        /// What it is for.
        #[arg(long, default_value = "")]
        description: String,
        /// A role key or id to give it (repeat for more).
        #[arg(long = "role")]
        roles: Vec<String>,
    },
    /// List an organization's service accounts.
    List {
        /// Organization slug or id.
        #[arg(long)]
        org: String,
    },
}

/// The `token` subcommands.
#[derive(Subcommand)]
pub enum TokenCommand {
    /// Make an API token for a service account; prints it once.
    Create {
        /// Organization slug or id.
        #[arg(long)]
        org: String,
        /// The service account's name or id.
        #[arg(long)]
        account: String,
        /// The token's name.
        #[arg(long, default_value = "cli")]
        name: String,
        /// Days until it expires (default 90; 0 for never, where the deployment allows it).
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
}

/// Runs one `service-account` subcommand.
pub async fn run(app: App, command: ServiceAccountCommand) -> anyhow::Result<()> {
    let meta = Default::default();
    match command {
        ServiceAccountCommand::Create { org, name, description, roles } => {
            let access = roster_app::access::open_org(&app, &Actor::Cli, &org).await.map_err(describe)?;
            let input = AccountInput { name, description, roles: Some(roles), grants: None };
            let a = accounts::create(&app, &access, &input, &meta).await.map_err(describe)?;
            let roles: Vec<&str> = a.roles.iter().map(|r| r.name.as_str()).collect();
            println!("created the service account {} ({}) with roles: {}", a.name, a.id, roles.join(", "));
            Ok(())
        }
        ServiceAccountCommand::List { org } => {
            let access = roster_app::access::open_org(&app, &Actor::Cli, &org).await.map_err(describe)?;
            println!("NAME\tSTATUS\tROLES\tCREATED BY\tID");
            for a in accounts::list(&app, &access, false).await.map_err(describe)? {
                let roles: Vec<&str> = a.roles.iter().map(|r| r.name.as_str()).collect();
                println!("{}\t{}\t{}\t{}\t{}", a.name, a.status, roles.join(", "), a.created_by, a.id);
            }
            Ok(())
        }
    }
}

/// Runs one `token` subcommand.
pub async fn run_token(app: App, command: TokenCommand) -> anyhow::Result<()> {
    let meta = Default::default();
    match command {
        TokenCommand::Create { org, account, name, expires_in_days } => {
            let access = roster_app::access::open_org(&app, &Actor::Cli, &org).await.map_err(describe)?;
            let all = accounts::list(&app, &access, false).await.map_err(describe)?;
            let Some(a) = all.iter().find(|a| a.name == account || a.id.to_string() == account) else {
                anyhow::bail!(
                    "{} has no service account '{account}' (see `roster service-account list`)",
                    access.org.name
                );
            };
            let input = TokenInput { name, expires_in_days };
            let made = accounts::create_token(&app, &access, a.id, &input, &meta).await.map_err(describe)?;
            let expiry =
                made.view.expires_at.map_or("never".to_string(), |e| roster_domain::audit_text::date_time(e.0));
            eprintln!("token {} for {} (expires {expiry}); it is shown this once:", made.view.prefix, a.name);
            println!("{}", made.token);
            Ok(())
        }
    }
}
