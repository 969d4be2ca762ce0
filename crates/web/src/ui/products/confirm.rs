//! The confirm steps of the Products pages, on one page shape (the house's
//! bulk confirm page): canceling or reactivating a subscription, reclaiming
//! the seats held by disabled members, and the workspace's previews.

use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use roster_app::AppError;
use roster_app::products::{BulkLicenseOutcome, BulkLicenses, SubscriptionPatch};
use roster_domain::{MemberFilter, MemberStatus};

use crate::extract::Meta;
use crate::format;
use crate::ui::{Frame, OrgPage, ReturnForm, TabKey, UiResult, after_action, safe_path};

/// A product's free seats after a change.
pub struct SeatLine {
    pub(super) name: String,
    /// "3 free", "none free".
    pub(super) after: String,
    /// "short by 2", when the seats would not suffice.
    pub(super) short: Option<String>,
}

/// One member's changes in a preview.
pub struct ChangeLine {
    pub(super) who: String,
    pub(super) added: Vec<String>,
    pub(super) removed: Vec<String>,
}

/// The confirm page: what will happen, then the button (or why not).
#[derive(Template)]
#[template(path = "products_confirm.html")]
pub struct ConfirmPage {
    pub(super) frame: Frame,
    pub(super) title: String,
    pub(super) facts: Vec<(String, String)>,
    /// (a number, what it counts), said as one sentence.
    pub(super) counts: Vec<(String, String)>,
    /// Said instead of the button when there is nothing to do.
    pub(super) nothing: Option<String>,
    /// (note, whether it is a warning).
    pub(super) notes: Vec<(String, bool)>,
    pub(super) seats: Vec<SeatLine>,
    pub(super) changes: Vec<ChangeLine>,
    /// Why the change cannot be applied (seats short): the button is disabled.
    pub(super) blocked: Option<String>,
    pub(super) post_to: String,
    pub(super) hidden: Vec<(String, String)>,
    pub(super) button: String,
    pub(super) danger: bool,
    /// The progress bar's words, for changes that may take a while.
    pub(super) progress: Option<String>,
    pub(super) return_to: String,
    pub(super) back_label: String,
}

impl ConfirmPage {
    /// A confirm page with nothing but its title, form and way back.
    pub(super) fn new(frame: Frame, title: String, post_to: String, button: String, return_to: String) -> Self {
        Self {
            frame,
            title,
            facts: vec![],
            counts: vec![],
            nothing: None,
            notes: vec![],
            seats: vec![],
            changes: vec![],
            blocked: None,
            post_to,
            hidden: vec![],
            button,
            danger: false,
            progress: None,
            return_to,
            back_label: "Back".into(),
        }
    }
}

/// "3 licenses", "1 license".
pub(super) fn licenses(n: u64) -> String {
    format!("{} {}", format::count(n), if n == 1 { "license" } else { "licenses" })
}

/// "1 seat", "3 seats".
pub(super) fn seats(n: i64) -> String {
    format!("{} {}", format::count(n.unsigned_abs()), if n.abs() == 1 { "seat" } else { "seats" })
}

/// Each product's seats after a (previewed) bulk change, and why it cannot
/// be applied when some product would be short.
pub(super) fn seat_lines(page: &OrgPage, outcome: &BulkLicenseOutcome) -> (Vec<SeatLine>, Option<String>) {
    let names = super::product_names(page.app());
    let name = |k: &str| names.get(k).cloned().unwrap_or_else(|| k.to_string());
    let lines = outcome
        .seats_after
        .iter()
        .map(|(k, free)| SeatLine {
            name: name(k),
            after: if *free > 0 { format!("{} free after", seats(*free)) } else { "no seat free after".into() },
            short: (*free < 0).then(|| format!("short by {}", seats(-*free))),
        })
        .collect();
    let short = outcome.short();
    let blocked = (!short.is_empty()).then(|| {
        let each: Vec<String> = short.iter().map(|(k, n)| format!("{} is short by {}", name(k), seats(*n))).collect();
        format!("Not enough seats: {}. Add seats on the product's page, or assign fewer licenses.", each.join("; "))
    });
    (lines, blocked)
}

/// The sentences about matching members a bulk change leaves alone.
pub(super) fn bulk_notes(outcome: &BulkLicenseOutcome, assign: Option<bool>) -> Vec<(String, bool)> {
    let mut notes = Vec::new();
    if outcome.unchanged > 0 {
        let n = format::count(outcome.unchanged);
        notes.push((
            match assign {
                Some(true) => format!("{n} already hold it."),
                Some(false) => format!("{n} do not hold it."),
                None => format!("{n} of the cells are as asked already."),
            },
            false,
        ));
    }
    match outcome.skipped {
        0 => {}
        1 => notes.push(("1 member holds permissions you do not, and is left as is.".into(), false)),
        n => notes
            .push((format!("{} members hold permissions you do not, and are left as is.", format::count(n)), false)),
    }
    notes
}

/// The status changes of a subscription: (path action, stored status to set, title, button, past tense).
fn status_change(action: &str) -> Option<(&'static str, &'static str, &'static str, &'static str)> {
    match action {
        "cancel" => Some(("canceled", "Cancel the subscription to", "Cancel subscription", "canceled")),
        "reactivate" => Some(("active", "Reactivate the subscription to", "Reactivate", "active again")),
        _ => None,
    }
}

/// The confirm step of canceling or reactivating a subscription. Needs
/// subscriptions:update (the change checks it).
pub async fn status_confirm(page: OrgPage, Path((_, key, action)): Path<(String, String, String)>) -> UiResult {
    let (_, title, button, _) = status_change(&action).ok_or(AppError::NotFound("page"))?;
    let v = roster_app::products::get_product(page.app(), &page.access, &key).await?;
    let s = &v.subscription;
    let back = page.links.product(&key);
    let frame = page.frame(TabKey::Products).await?;
    let mut view = ConfirmPage::new(
        frame,
        format!("{title} {}?", v.product.name),
        page.links.product_status(&key, &action),
        button.into(),
        back,
    );
    view.facts = vec![
        ("Product".into(), v.product.name.clone()),
        ("Status".into(), super::state_label(v.state).into()),
        ("Seats".into(), format!("{} · {} assigned", format::count(s.license_count.max(0) as u64), s.used)),
    ];
    if action == "cancel" {
        view.danger = true;
        view.notes.push((
            format!(
                "Its {} stay assigned but grant nothing until the subscription is reactivated; no new license can be assigned.",
                licenses(s.used.max(0) as u64)
            ),
            true,
        ));
    } else {
        view.notes.push((format!("Its {} grant the product again.", licenses(s.used.max(0) as u64)), false));
    }
    page.render(StatusCode::OK, &view)
}

/// Cancels or reactivates a subscription. Needs subscriptions:update.
pub async fn status_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, key, action)): Path<(String, String, String)>,
    Form(_): Form<ReturnForm>,
) -> UiResult {
    let (status, _, _, past) = status_change(&action).ok_or(AppError::NotFound("page"))?;
    let patch = SubscriptionPatch { status: Some(status.into()), ..Default::default() };
    let outcome = roster_app::products::update_subscription(page.app(), &page.access, &key, &patch, &meta)
        .await
        .map(|v| format!("The subscription to {} is {past}.", v.product.name));
    after_action(&page.links.product(&key), outcome)
}

/// "Reclaim N seats": the licenses held by disabled members, removed in one bulk change.
fn reclaim_request(key: &str) -> BulkLicenses {
    let filter = MemberFilter {
        statuses: vec![MemberStatus::Disabled],
        product: roster_domain::products::ProductKey::parse(key.trim()).ok(),
        ..Default::default()
    };
    BulkLicenses::Filter { product: key.to_string(), filter, assign: false }
}

/// The confirm step of "Reclaim N seats": a dry run says how many
/// licenses disabled members lose. Needs licenses:update.
pub async fn reclaim_confirm(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, key)): Path<(String, String)>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> UiResult {
    let v = roster_app::products::get_product(page.app(), &page.access, &key).await?;
    let outcome =
        roster_app::products::bulk_licenses(page.app(), &page.access, &reclaim_request(&key), true, &meta).await?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let asked = pairs.iter().find(|(k, _)| k == "return_to").map(|(_, v)| v.as_str()).unwrap_or("");
    let back = safe_path(asked, &page.links.products());
    let frame = page.frame(TabKey::Products).await?;
    let mut view = ConfirmPage::new(
        frame,
        format!("Reclaim the seats of {} held by disabled members?", v.product.name),
        page.links.product_reclaim(&key),
        format!("Reclaim {}", seats(outcome.removed as i64)),
        back.clone(),
    );
    view.facts = vec![
        ("Product".into(), v.product.name.clone()),
        ("Members".into(), "every disabled member holding its license".into()),
    ];
    view.hidden.push(("return_to".into(), back));
    view.danger = true;
    view.progress = Some("Reclaiming…".into());
    if outcome.removed == 0 {
        view.nothing = Some("No disabled member holds its license now.".into());
    } else {
        view.counts = vec![(
            format::count(outcome.removed),
            format!("{} to remove from disabled members", if outcome.removed == 1 { "license" } else { "licenses" }),
        )];
        view.notes.push(("They stay disabled; enabling one later does not give the license back.".into(), true));
        view.notes.extend(bulk_notes(&outcome, Some(false)).into_iter().filter(|(n, _)| !n.contains("do not hold")));
        view.seats = seat_lines(&page, &outcome).0;
    }
    page.render(StatusCode::OK, &view)
}

/// Removes the licenses of a product held by disabled members, its
/// progress streamed. Needs licenses:update.
pub async fn reclaim_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, key)): Path<(String, String)>,
    Form(f): Form<ReturnForm>,
) -> UiResult {
    let back = safe_path(&f.return_to, &page.links.products());
    let req = reclaim_request(&key);
    Ok(super::workspace::streamed_change(&page, meta, req, (back, "Back to Products"), "Reclaiming seats"))
}
