//! `roster export`: an organization's Users list as CSV or XLSX, with the
//! list's filters, written to stdout or a file as the operator, streamed.

use std::io::Write;

use anyhow::Context;
use roster_app::members::{ExportFormat, ExportRequest};
use roster_app::{Actor, App};
use roster_domain::members::Activity;
use roster_domain::products::ProductKey;
use roster_domain::{MemberFilter, MemberSort, MemberStatus, SortOrder};

use crate::describe;

/// Arguments of `roster export`.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// Organization slug (or id).
    #[arg(long)]
    org: String,
    /// csv (UTF-8 with a byte order mark) or xlsx (an Excel workbook). Cells a spreadsheet
    /// would run as formulas start with '.
    #[arg(long)]
    format: String,
    /// Write the file here instead of to stdout.
    #[arg(long, short)]
    output: Option<String>,
    /// Only these statuses (comma-separated: active, disabled, invited, archived).
    #[arg(long)]
    status: Option<String>,
    /// Substring of name or email, or a whole address.
    #[arg(long, default_value = "")]
    q: String,
    /// Substring of the name only.
    #[arg(long, default_value = "")]
    name: String,
    /// An address, or a prefix of addresses (ann*).
    #[arg(long, default_value = "")]
    email: String,
    /// Only holders of this role (its key or id).
    #[arg(long)]
    role: Option<String>,
    /// Only members holding a license of this product (its key).
    #[arg(long)]
    product: Option<String>,
    /// Only members with no activity in the last N days (dormant), never-active ones included.
    #[arg(long, conflicts_with = "never_active")]
    inactive_days: Option<u32>,
    /// Only members who never signed in.
    #[arg(long)]
    never_active: bool,
    /// Order by email (default), name, created or last_active.
    #[arg(long, default_value = "email")]
    sort: String,
    /// asc (default) or desc.
    #[arg(long, default_value = "asc")]
    order: String,
}

/// Runs `roster export`.
pub async fn run(app: App, args: ExportArgs) -> anyhow::Result<()> {
    let access = roster_app::access::open_org(&app, &Actor::Cli, &args.org).await.map_err(describe)?;
    let bad = |e: roster_domain::ValidationError| anyhow::anyhow!("--{e}");
    let format: ExportFormat = args.format.parse().map_err(bad)?;
    let statuses = args
        .status
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "all")
        .map(str::parse::<MemberStatus>)
        .collect::<Result<Vec<_>, _>>()
        .map_err(bad)?;
    let activity = Activity::parse(
        args.inactive_days.map(|d| d.to_string()).as_deref(),
        Some(if args.never_active { "true" } else { "false" }),
        app.clock.now(),
    )
    .map_err(bad)?;
    let product = args
        .product
        .map(|p| ProductKey::parse(p.trim()))
        .transpose()
        .map_err(|_| anyhow::anyhow!("--product: not a product key"))?;
    let filter = MemberFilter::parse(&args.q, &args.name, &args.email, statuses)
        .map_err(bad)?
        .with_activity(activity)
        .with_product(product);
    let req = ExportRequest {
        filter,
        role: args.role,
        sort: args.sort.parse::<MemberSort>().map_err(bad)?,
        order: args.order.parse::<SortOrder>().map_err(bad)?,
        format,
    };
    let mut export = roster_app::members::export(&app, &access, &req).await.map_err(describe)?;
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => {
            Box::new(std::io::BufWriter::new(std::fs::File::create(path).with_context(|| format!("creating {path}"))?))
        }
        None => Box::new(std::io::stdout().lock()),
    };
    while let Some(chunk) = export.next_chunk().await.map_err(describe)? {
        out.write_all(&chunk)?;
    }
    out.flush()?;
    Ok(())
}
