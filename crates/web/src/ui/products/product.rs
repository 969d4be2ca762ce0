//! A product's page: its figures (seats, used, free, held by disabled
//! members, the trial), the forms that change its seats, convert a trial,
//! cancel or reactivate it and change its settings, and the members holding
//! its licenses (the Users list filtered by the product: searchable, paged).

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use roster_app::AppError;
use roster_app::products::{ProductView, SubscriptionPatch};
use roster_domain::products::{ProductKey, SettingKind, SubscriptionState, SubscriptionStatus};

use super::{ProductCard, workspace_button};
use crate::extract::Meta;
use crate::format;
use crate::ui::form::{Pairs, field};
use crate::ui::members::{href, list_query, parse_page_query};
use crate::ui::{FormErrors, Frame, OrgPage, ReturnForm, TabKey, UiResult, after_action, redirect_with_flash};

/// What the page's forms held when one was refused: the typed seats, the
/// typed settings (setting key → value as typed).
#[derive(Default)]
pub struct Draft {
    /// The seats box, as typed.
    pub seats: Option<String>,
    /// The settings, as typed.
    pub settings: Option<BTreeMap<String, String>>,
}

/// One setting's field.
pub struct SettingField {
    key: String,
    label: String,
    /// `bool`, `text` or `number`.
    kind: &'static str,
    value: String,
    checked: bool,
    error: Option<String>,
}

/// A member holding the product's license.
pub struct HolderRow {
    id: String,
    name: String,
    email: String,
    status: &'static str,
    status_label: &'static str,
}

/// The holders' list.
pub struct Holders {
    rows: Vec<HolderRow>,
    total_label: String,
    page: u32,
    pages: u64,
    prev_href: Option<String>,
    next_href: Option<String>,
}

#[derive(Template)]
#[template(path = "product.html")]
struct ProductPage {
    frame: Frame,
    /// The figures, as the tab's card shows them.
    card: ProductCard,
    /// Whether the viewer may change seats, status and settings.
    can_manage: bool,
    /// Whether the viewer may edit members (the holders' names link to their form).
    can_edit_members: bool,
    seats: String,
    seats_error: Option<String>,
    form_error: Option<String>,
    /// "Convert to paid", for a trial (running or ended).
    convert: bool,
    /// (action, label) of the status change offered: cancel or reactivate.
    status_action: Option<(&'static str, &'static str)>,
    settings: Vec<SettingField>,
    workspace_href: Option<String>,
    /// The holders (None: the viewer may not read the directory).
    holders: Option<Holders>,
    /// The holders' search box.
    q: String,
}

fn setting_kind(k: SettingKind) -> &'static str {
    match k {
        SettingKind::Bool => "bool",
        SettingKind::Text => "text",
        SettingKind::Number => "number",
    }
}

/// A setting's value as its field shows it.
fn shown(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The page, as stored or with a refused form as typed.
pub(super) async fn product_view(page: &OrgPage, key: &str, draft: Draft, errors: FormErrors) -> UiResult {
    product_page_with(page, key, None, draft, errors).await
}

async fn product_page_with(page: &OrgPage, key: &str, raw: Option<&str>, draft: Draft, errors: FormErrors) -> UiResult {
    let app = page.app();
    let v = match roster_app::products::get_product(app, &page.access, key).await {
        Ok(v) => v,
        Err(e @ AppError::Forbidden(_)) => {
            return page.refusal_in_frame(TabKey::Products, "You cannot see the products", e).await;
        }
        Err(e) => return Err(e.into()),
    };
    let now = app.clock.now();
    let s = &v.subscription;
    let can_manage = roster_app::products::may_manage_subscriptions(&page.access);
    let settings = v
        .settings
        .iter()
        .map(|sv| {
            let typed = draft.settings.as_ref().map(|d| d.get(&sv.setting.key).cloned().unwrap_or_default());
            let value = typed.clone().unwrap_or_else(|| shown(&sv.value));
            SettingField {
                key: sv.setting.key.clone(),
                label: sv.setting.label.clone(),
                kind: setting_kind(sv.setting.kind),
                checked: match &typed {
                    Some(t) => t == "true",
                    None => sv.value == serde_json::Value::Bool(true),
                },
                value,
                error: errors.field(&format!("settings.{}", sv.setting.key)),
            }
        })
        .collect();
    let status_action = match v.state {
        SubscriptionState::Canceled => Some(("reactivate", "Reactivate")),
        _ => Some(("cancel", "Cancel subscription")),
    };
    let holders = holders(page, &v, raw).await?;
    let q = holders.as_ref().map(|(q, _)| q.clone()).unwrap_or_default();
    let view = ProductPage {
        frame: page.frame(TabKey::Products).await?,
        card: ProductCard::of(&v, page, now),
        can_manage,
        can_edit_members: roster_app::members::may_manage(&page.access),
        seats: draft.seats.unwrap_or_else(|| s.license_count.to_string()),
        seats_error: errors.field("license_count"),
        form_error: errors.form.clone(),
        convert: s.status == SubscriptionStatus::Trial,
        status_action,
        settings,
        workspace_href: workspace_button(page),
        holders: holders.map(|(_, h)| h),
        q,
    };
    page.render(errors.status, &view)
}

/// The members holding the product's licenses: the directory filtered by
/// the product (with the search typed), a page at a time. `None` for a
/// viewer who may not see them.
async fn holders(page: &OrgPage, v: &ProductView, raw: Option<&str>) -> Result<Option<(String, Holders)>, AppError> {
    let app = page.app();
    let mut req = match parse_page_query(raw, app.clock.now()) {
        Ok(r) => r,
        Err(_) => parse_page_query(None, app.clock.now())?,
    };
    req.filter.product = Some(v.product.key.clone());
    let key = v.product.key.as_str();
    let list = match roster_app::products::list_holders(app, &page.access, key, &req).await {
        Ok(l) => l,
        Err(AppError::Forbidden(_)) => return Ok(None),
        // A stale cursor: the first page.
        Err(AppError::Validation(_)) => {
            req.cursor = None;
            req.page = 1;
            roster_app::products::list_holders(app, &page.access, key, &req).await?
        }
        Err(e) => return Err(e),
    };
    let path = page.links.product(v.product.key.as_str());
    // The product is the page's own: its links leave the filter out.
    let link = |overrides: &[(&str, String)]| {
        let mut o = overrides.to_vec();
        o.push(("product", String::new()));
        href(&path, list_query(&req, &o))
    };
    let page_no = list.page;
    Ok(Some((
        req.filter.q.clone(),
        Holders {
            total_label: format::count(list.total),
            pages: list.total.div_ceil(u64::from(list.per_page)).max(1),
            prev_href: list.prev_cursor.map(|c| {
                let p = page_no.saturating_sub(1).max(1);
                if p == 1 { link(&[]) } else { link(&[("cursor", c), ("page", p.to_string())]) }
            }),
            next_href: list.next_cursor.map(|c| link(&[("cursor", c), ("page", (page_no + 1).to_string())])),
            page: page_no,
            rows: list
                .items
                .into_iter()
                .map(|m| HolderRow {
                    id: m.member.user_id.to_string(),
                    name: m.member.name,
                    email: m.member.email,
                    status: m.member.status.as_str(),
                    status_label: m.member.status.label(),
                })
                .collect(),
        },
    )))
}

/// A product's page. Needs licenses:read or subscriptions:read.
pub async fn product_page(page: OrgPage, Path((_, key)): Path<(String, String)>, RawQuery(raw): RawQuery) -> UiResult {
    let errors = FormErrors { status: StatusCode::OK, ..Default::default() };
    product_page_with(&page, &key, raw.as_deref(), Draft::default(), errors).await
}

/// "Convert to paid": a trial (running or ended) becomes an active
/// subscription and its licenses stay assigned. Needs subscriptions:update.
pub async fn convert_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, key)): Path<(String, String)>,
    Form(_): Form<ReturnForm>,
) -> UiResult {
    let outcome = roster_app::products::convert(page.app(), &page.access, &key, &meta)
        .await
        .map(|v| format!("{} is now paid; its licenses stay assigned.", v.product.name));
    after_action(&page.links.product(&key), outcome)
}

/// Saves the product's settings (each refused value named beside its
/// field, the others kept as typed). Needs subscriptions:update.
pub async fn settings_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, key)): Path<(String, String)>,
    Form(pairs): Form<Pairs>,
) -> UiResult {
    let app = page.app();
    let product = roster_app::products::catalogue(app).get(&key).ok_or(AppError::NotFound("product"))?.clone();
    let mut typed = BTreeMap::new();
    let mut values = serde_json::Map::new();
    let mut bad = roster_domain::ValidationError { errors: vec![] };
    for s in &product.settings {
        let name = format!("setting.{}", s.key);
        let text = field(&pairs, &name).to_string();
        let value = match s.kind {
            // An unticked box is not sent: off.
            SettingKind::Bool => {
                let on = !text.is_empty();
                typed.insert(s.key.clone(), on.to_string());
                serde_json::Value::Bool(on)
            }
            SettingKind::Number => {
                typed.insert(s.key.clone(), text.clone());
                match text.trim().parse::<i64>() {
                    Ok(n) => n.into(),
                    Err(_) => {
                        bad.merge(roster_domain::ValidationError::field(
                            format!("settings.{}", s.key),
                            "must be a whole number",
                        ));
                        continue;
                    }
                }
            }
            SettingKind::Text => {
                typed.insert(s.key.clone(), text.clone());
                serde_json::Value::String(text)
            }
        };
        values.insert(s.key.clone(), value);
    }
    let outcome = if bad.errors.is_empty() {
        let patch = SubscriptionPatch { settings: Some(values), ..Default::default() };
        roster_app::products::update_subscription(app, &page.access, &key, &patch, &meta).await
    } else {
        Err(bad.into())
    };
    match outcome {
        Ok(v) => Ok(redirect_with_flash(
            &page.links.product(&key),
            "ok",
            &format!("Saved the settings of {}.", v.product.name),
        )),
        Err(e) => {
            let own: Vec<String> = product.settings.iter().map(|s| format!("settings.{}", s.key)).collect();
            let own: Vec<&str> = own.iter().map(String::as_str).collect();
            let errors = FormErrors::from_refusal(e, &own)?;
            product_view(&page, &key, Draft { settings: Some(typed), ..Default::default() }, errors).await
        }
    }
}

/// The product's key as a filter value, when it is one of the catalogue.
pub(in crate::ui) fn catalogue_key(app: &roster_app::App, key: &str) -> Option<ProductKey> {
    roster_app::products::catalogue(app).get(key.trim()).map(|p| p.key.clone())
}
