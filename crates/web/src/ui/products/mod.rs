//! The Products tab (seed 000: "every product your organization has access
//! to, along with license count, trial period, and who started the
//! trial"): the organization's products with their seats, and the
//! catalogue's others to subscribe to or try. A product's own page
//! ([`product`]) changes its seats, status and settings and lists its
//! holders; [`confirm`] holds the confirm steps (cancel, reactivate,
//! reclaim the seats of disabled members); [`workspace`] is "Manage Users &
//! Products", the members × products grid for bulk changes.

pub mod confirm;
pub mod product;
pub mod workspace;

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use roster_app::products::ProductView;
use roster_app::{AppError, ConflictKind};
use roster_domain::Timestamp;
use roster_domain::products::{Product, SubscriptionState, SubscriptionStatus};

use crate::extract::Meta;
use crate::format;
use crate::ui::form::{Pairs, field};
use crate::ui::{FormErrors, Frame, OrgPage, TabKey, UiResult, redirect_with_flash};

/// The words of a subscription's state, for its badge.
pub(in crate::ui) fn state_label(s: SubscriptionState) -> &'static str {
    match s {
        SubscriptionState::Trial => "Trial",
        SubscriptionState::Active => "Active",
        SubscriptionState::Expired => "Expired",
        SubscriptionState::Canceled => "Canceled",
    }
}

/// "12 days left", "1 day left", "Ended".
fn days_left_words(days: i64) -> String {
    match days {
        0 => "Ended".into(),
        1 => "1 day left".into(),
        n => format!("{n} days left"),
    }
}

/// A product's trial in words: days left (or when it ended) and who started it when.
pub(in crate::ui) fn trial_words(v: &ProductView, now: Timestamp) -> Option<(String, String)> {
    let t = v.subscription.trial.as_ref()?;
    let started = format!("Started by {} on {}", t.started_by_label, format::date(t.starts_at));
    let head = match v.state {
        SubscriptionState::Trial => days_left_words(v.days_left.unwrap_or_else(|| t.days_left(now))),
        SubscriptionState::Expired => format!("Trial ended {}", format::date(t.ends_at)),
        _ if v.subscription.status == SubscriptionStatus::Active => "Converted to paid".into(),
        _ => format!("Trial until {}", format::date(t.ends_at)),
    };
    Some((head, started))
}

/// A product the organization has, as a card of the tab.
pub struct ProductCard {
    key: String,
    name: String,
    description: String,
    state: &'static str,
    state_label: &'static str,
    license_count: String,
    used: String,
    free: String,
    held_by_disabled: i64,
    held_by_disabled_label: String,
    /// (headline, who started it and when) for a product that began as a trial.
    trial: Option<(String, String)>,
    /// Whether the trial is in its last days (shown in the warning colour).
    trial_ending: bool,
    /// "Reclaim N seats", for those who may remove licenses.
    reclaim_href: Option<String>,
}

impl ProductCard {
    pub(super) fn of(v: &ProductView, page: &OrgPage, now: Timestamp) -> Self {
        let s = &v.subscription;
        let held = s.held_by_disabled;
        Self {
            key: v.product.key.to_string(),
            name: v.product.name.clone(),
            description: v.product.description.clone(),
            state: v.state.as_str(),
            state_label: state_label(v.state),
            license_count: format::count(s.license_count.max(0) as u64),
            used: format::count(s.used.max(0) as u64),
            free: format::count(v.free().max(0) as u64),
            held_by_disabled: held,
            held_by_disabled_label: format::count(held.max(0) as u64),
            trial: trial_words(v, now),
            trial_ending: v.state == SubscriptionState::Expired
                || (v.state == SubscriptionState::Trial && v.days_left.is_some_and(|d| d <= 3)),
            reclaim_href: (held > 0 && roster_app::products::may_assign(&page.access))
                .then(|| page.links.product_reclaim(v.product.key.as_str())),
        }
    }
}

/// A catalogue product the organization does not have yet, with its
/// "Subscribe" and "Start trial" forms as typed.
pub struct Offer {
    key: String,
    name: String,
    description: String,
    seats: String,
    seats_error: Option<String>,
    days: String,
    days_error: Option<String>,
    /// A refusal that is about neither box.
    error: Option<String>,
}

impl Offer {
    fn of(p: &Product) -> Self {
        Self {
            key: p.key.to_string(),
            name: p.name.clone(),
            description: p.description.clone(),
            seats: String::new(),
            seats_error: None,
            days: roster_domain::products::DEFAULT_TRIAL_DAYS.to_string(),
            days_error: None,
            error: None,
        }
    }
}

#[derive(Template)]
#[template(path = "products.html")]
struct ProductsPage {
    frame: Frame,
    cards: Vec<ProductCard>,
    offers: Vec<Offer>,
    /// Whether the viewer may subscribe, start trials and change seats.
    can_manage: bool,
    /// "Manage Users & Products", for those who assign licenses.
    workspace_href: Option<String>,
}

/// What one offer's form held when it was refused: (product key, typed
/// offer with its errors).
type OfferDraft = (String, Offer);

async fn products_view(page: &OrgPage, draft: Option<OfferDraft>, status: StatusCode) -> UiResult {
    let app = page.app();
    let listed = roster_app::products::list_products(app, &page.access).await;
    let views = match listed {
        Ok(v) => v,
        Err(e) => return page.refusal_in_frame(TabKey::Products, "You cannot see the products", e).await,
    };
    let now = app.clock.now();
    let cards = views.iter().map(|v| ProductCard::of(v, page, now)).collect();
    let mut draft = draft;
    let offers = roster_app::products::unsubscribed(app, &page.access)
        .await?
        .iter()
        .map(|p| match draft.take_if(|(k, _)| *k == p.key.as_str()) {
            Some((_, typed)) => typed,
            None => Offer::of(p),
        })
        .collect();
    let view = ProductsPage {
        frame: page.frame(TabKey::Products).await?,
        cards,
        offers,
        can_manage: roster_app::products::may_manage_subscriptions(&page.access),
        workspace_href: workspace_button(page),
    };
    page.render(status, &view)
}

/// The "Manage Users & Products" button's link, for those who assign licenses.
pub(in crate::ui) fn workspace_button(page: &OrgPage) -> Option<String> {
    roster_app::products::may_assign(&page.access).then(|| page.links.workspace())
}

/// The Products tab. Needs licenses:read or subscriptions:read.
pub async fn products_page(page: OrgPage) -> UiResult {
    products_view(&page, None, StatusCode::OK).await
}

/// Reads a whole number typed into `name`; what is wrong names the field.
pub(in crate::ui) fn whole_number(
    pairs: &Pairs,
    name: &str,
    words: &str,
) -> Result<Option<i64>, roster_domain::ValidationError> {
    match field(pairs, name).trim() {
        "" => Ok(None),
        t => t
            .parse::<i64>()
            .map(Some)
            .map_err(|_| roster_domain::ValidationError::field(name, format!("{words} must be a whole number"))),
    }
}

/// The seats form's errors: the seats box's own (a bad number, or seats
/// still in use, said beside it), the rest for the form.
pub(in crate::ui) fn seats_errors(e: AppError) -> Result<FormErrors, crate::ui::UiError> {
    if let AppError::Conflict { kind: ConflictKind::SeatsInUse, detail } = &e {
        let mut errors = FormErrors { status: StatusCode::CONFLICT, ..Default::default() };
        errors.fields.insert("license_count".into(), detail.clone());
        return Ok(errors);
    }
    FormErrors::from_refusal(e, &["license_count", "days"])
}

/// "Subscribe" on the tab (with a seat count) or "Save seats" on a
/// product's page: subscribes the organization, or changes the seats.
/// Lowering them below the licenses in use is refused beside the box, with
/// the typed value kept. Needs subscriptions:update.
pub async fn seats_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, key)): Path<(String, String)>,
    Form(pairs): Form<Pairs>,
) -> UiResult {
    let from_product = field(&pairs, "from") == "product";
    let typed = field(&pairs, "license_count").to_string();
    let outcome = match whole_number(&pairs, "license_count", "the number of seats") {
        Ok(count) => {
            let patch = roster_app::products::SubscriptionPatch { license_count: count, ..Default::default() };
            roster_app::products::update_subscription(page.app(), &page.access, &key, &patch, &meta).await
        }
        Err(e) => Err(e.into()),
    };
    match outcome {
        Ok(v) => {
            let n = v.subscription.license_count;
            let seats = format!("{} {}", format::count(n.max(0) as u64), if n == 1 { "seat" } else { "seats" });
            if from_product {
                Ok(redirect_with_flash(
                    &page.links.product(&key),
                    "ok",
                    &format!("{} now has {seats}.", v.product.name),
                ))
            } else {
                Ok(redirect_with_flash(
                    &page.links.products(),
                    "ok",
                    &format!("Subscribed to {} with {seats}.", v.product.name),
                ))
            }
        }
        Err(e) => {
            let errors = seats_errors(e)?;
            if from_product {
                let draft = product::Draft { seats: Some(typed), ..Default::default() };
                product::product_view(&page, &key, draft, errors).await
            } else {
                offer_refused(&page, &key, |o| o.seats = typed, errors).await
            }
        }
    }
}

/// Shows the tab again with one offer's form as typed and what was wrong.
async fn offer_refused(page: &OrgPage, key: &str, typed: impl FnOnce(&mut Offer), errors: FormErrors) -> UiResult {
    let Some(p) = roster_app::products::catalogue(page.app()).get(key) else {
        return Err(AppError::NotFound("product").into());
    };
    let mut offer = Offer::of(p);
    typed(&mut offer);
    offer.seats_error = errors.field("license_count");
    offer.days_error = errors.field("days");
    offer.error = errors.form.clone();
    products_view(page, Some((key.to_string(), offer)), errors.status).await
}

/// "Start trial": a trial of `days` days (who and when are recorded).
/// Needs subscriptions:update.
pub async fn trial_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, key)): Path<(String, String)>,
    Form(pairs): Form<Pairs>,
) -> UiResult {
    let typed = field(&pairs, "days").to_string();
    let outcome = match whole_number(&pairs, "days", "the trial's length") {
        Ok(days) => roster_app::products::start_trial(page.app(), &page.access, &key, days, None, &meta).await,
        Err(e) => Err(e.into()),
    };
    match outcome {
        Ok(v) => {
            let days = v.days_left.unwrap_or_default();
            Ok(redirect_with_flash(
                &page.links.product(&key),
                "ok",
                &format!(
                    "Started a trial of {}: {} with {} seats.",
                    v.product.name,
                    days_left_words(days).to_lowercase(),
                    v.subscription.license_count
                ),
            ))
        }
        Err(e) => offer_refused(&page, &key, |o| o.days = typed, seats_errors(e)?).await,
    }
}

/// Each member's products by name, for a page of members (the Users tab's
/// Products column, the workspace's rows).
pub(in crate::ui) fn product_names(app: &roster_app::App) -> BTreeMap<String, String> {
    roster_app::products::catalogue(app).products.iter().map(|p| (p.key.to_string(), p.name.clone())).collect()
}
