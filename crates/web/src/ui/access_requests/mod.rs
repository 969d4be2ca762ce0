//! Access requests in the UI: the Access Requests tab (pending requests
//! with Approve and Deny, "Recently processed", and the join link's
//! settings at the bottom), the approve and deny forms, the confirm step of
//! "Regenerate link"; the requester's pages ([`join`]: the join page, "My
//! access requests", the home page of a user without an organization).

pub mod join;

use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use roster_app::AppError;
use roster_app::access_requests::{AccessRequestView, Approval, OrgSettingsView, SettingsChange};
use roster_domain::AccessRequestId;
use serde::Deserialize;

use crate::extract::Meta;
use crate::format;
use crate::ui::form::{Pairs, field, fields};
use crate::ui::members::{ProductChoice, is_products_refusal, product_choices};
use crate::ui::{FormErrors, Frame, OrgPage, TabKey, UiResult, redirect_with_flash};

/// A pending request's row.
pub struct PendingRow {
    id: String,
    name: String,
    email: String,
    message: String,
    asked: String,
    expires: String,
}

/// A processed request's row.
pub struct RecentRow {
    name: String,
    email: String,
    state: &'static str,
    state_label: &'static str,
    by: String,
    when: String,
    /// A denial's reason, or what an approval gave.
    reason: String,
}

fn pending_row(v: &AccessRequestView) -> PendingRow {
    PendingRow {
        id: v.id.to_string(),
        name: v.name.clone(),
        email: v.email.clone(),
        message: v.message.clone(),
        asked: format::date(v.created_at),
        expires: format::date(v.expires_at),
    }
}

/// What an approval gave, in words ("Roles: User · Products: Analytics").
fn given(v: &AccessRequestView) -> String {
    let mut parts = Vec::new();
    if !v.roles.is_empty() {
        parts.push(format!("Roles: {}", v.roles.join(", ")));
    }
    if !v.products.is_empty() {
        parts.push(format!("Products: {}", v.products.join(", ")));
    }
    parts.join(" · ")
}

fn recent_row(v: &AccessRequestView) -> RecentRow {
    let by = match v.state {
        roster_domain::access_requests::RequestState::Withdrawn => "The requester".to_string(),
        roster_domain::access_requests::RequestState::Expired => "Roster (no decision in time)".to_string(),
        _ => v.decided_by.clone().unwrap_or_default(),
    };
    RecentRow {
        name: v.name.clone(),
        email: v.email.clone(),
        state: v.state.as_str(),
        state_label: v.state.label(),
        by,
        when: v.decided_at.map(format::date_time).unwrap_or_default(),
        reason: match v.state {
            roster_domain::access_requests::RequestState::Approved => given(v),
            _ => v.reason.clone().unwrap_or_default(),
        },
    }
}

/// The join link section as the tab shows it.
pub struct SettingsSection {
    enabled: bool,
    link: Option<String>,
    /// The domains as typed (or stored), one a line.
    domains: String,
    can_edit: bool,
    domains_error: Option<String>,
    form_error: Option<String>,
}

#[derive(Template)]
#[template(path = "access_requests.html")]
struct AccessRequestsPage {
    frame: Frame,
    pending: Vec<PendingRow>,
    pending_count: String,
    recent: Vec<RecentRow>,
    can_decide: bool,
    settings: Option<SettingsSection>,
}

/// The tab's settings section, or none for an actor who may not read them;
/// `draft` keeps a refused form as typed.
async fn settings_section(
    page: &OrgPage,
    draft: Option<(bool, String)>,
    errors: &FormErrors,
) -> Result<Option<SettingsSection>, crate::ui::UiError> {
    if !roster_app::access_requests::may_read_settings(&page.access) {
        return Ok(None);
    }
    let s: OrgSettingsView = roster_app::access_requests::settings(page.app(), &page.access).await?;
    let (enabled, domains) = draft.unwrap_or((s.join_link_enabled, s.email_domains.join("\n")));
    Ok(Some(SettingsSection {
        enabled,
        link: s.join_link,
        domains,
        can_edit: roster_app::access_requests::may_update_settings(&page.access),
        domains_error: errors.field("email_domains"),
        form_error: errors.form.clone(),
    }))
}

async fn tab_view(page: &OrgPage, draft: Option<(bool, String)>, errors: FormErrors) -> UiResult {
    let list = match roster_app::access_requests::list(page.app(), &page.access).await {
        Ok(l) => l,
        Err(e) => return page.refusal_in_frame(TabKey::AccessRequests, "You cannot see the access requests", e).await,
    };
    let settings = settings_section(page, draft, &errors).await?;
    let view = AccessRequestsPage {
        frame: page.frame(TabKey::AccessRequests).await?,
        pending: list.pending.iter().map(pending_row).collect(),
        pending_count: crate::ui::kit::pending_badge(list.pending_count).unwrap_or_else(|| "0".into()),
        recent: list.recent.iter().map(recent_row).collect(),
        can_decide: roster_app::access_requests::may_decide(&page.access),
        settings,
    };
    let status = if errors.fields.is_empty() && errors.form.is_none() { StatusCode::OK } else { errors.status };
    page.render(status, &view)
}

/// The Access Requests tab: pending requests (oldest first), then the
/// recently processed ones, then the join link. Needs access_requests:read.
pub async fn access_requests_page(page: OrgPage) -> UiResult {
    tab_view(&page, None, FormErrors::default()).await
}

/// The domains typed in one field, split at commas, spaces and line breaks.
fn split_domains(text: &str) -> Vec<String> {
    text.split([',', '\n', '\r', ' ', '\t', ';']).map(str::trim).filter(|d| !d.is_empty()).map(str::to_string).collect()
}

/// The settings form's errors: each bad domain beside the domains box,
/// named as typed.
fn settings_errors(e: AppError, typed: &[String]) -> Result<FormErrors, crate::ui::UiError> {
    if let AppError::Validation(v) = &e {
        let mut words = Vec::new();
        for err in &v.errors {
            let Some(rest) = err.field.strip_prefix("email_domains") else { continue };
            let which = rest
                .strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| typed.get(i));
            words.push(match which {
                Some(d) => format!("“{d}” {}", err.message),
                None => format!("The list {}", err.message),
            });
        }
        if !words.is_empty() {
            let mut errors = FormErrors { status: StatusCode::UNPROCESSABLE_ENTITY, ..Default::default() };
            errors.fields.insert("email_domains".into(), words.join("; "));
            return Ok(errors);
        }
    }
    FormErrors::from_refusal(e, &[])
}

/// Saves the join link's on/off and the email domains; a refused list is
/// shown again as typed, the reason beside it. Needs org_settings:update.
pub async fn settings_submit(page: OrgPage, Meta(meta): Meta, Form(pairs): Form<Pairs>) -> UiResult {
    let enabled = field(&pairs, "join_link_enabled") == "on";
    let text = field(&pairs, "email_domains").to_string();
    let typed = split_domains(&text);
    let change = SettingsChange {
        join_link_enabled: Some(enabled),
        email_domains: Some(typed.clone()),
        regenerate_join_link: false,
    };
    match roster_app::access_requests::update_settings(page.app(), &page.access, &change, &meta).await {
        Ok(s) => {
            let words = if s.join_link_enabled { "The join link is on." } else { "The join link is off." };
            Ok(redirect_with_flash(
                &format!("{}#join-link", page.links.access_requests()),
                "ok",
                &format!("Settings saved. {words}"),
            ))
        }
        Err(e) => {
            let errors = settings_errors(e, &typed)?;
            tab_view(&page, Some((enabled, text)), errors).await
        }
    }
}

#[derive(Template)]
#[template(path = "join_link_regenerate.html")]
struct RegeneratePage {
    frame: Frame,
}

/// The confirm step of "Regenerate link": the old link stops working.
/// Needs org_settings:update.
pub async fn regenerate_confirm(page: OrgPage) -> UiResult {
    if !roster_app::access_requests::may_update_settings(&page.access) {
        let e = AppError::Forbidden("changing the join link needs org_settings:update".into());
        return page.refusal_in_frame(TabKey::AccessRequests, "You cannot change the join link", e).await;
    }
    let view = RegeneratePage { frame: page.frame(TabKey::AccessRequests).await? };
    page.render(StatusCode::OK, &view)
}

/// Makes a new join link; the old one stops working. Needs org_settings:update.
pub async fn regenerate_submit(page: OrgPage, Meta(meta): Meta) -> UiResult {
    let change = SettingsChange { join_link_enabled: None, email_domains: None, regenerate_join_link: true };
    let back = format!("{}#join-link", page.links.access_requests());
    crate::ui::after_action(
        &back,
        roster_app::access_requests::update_settings(page.app(), &page.access, &change, &meta)
            .await
            .map(|_| "A new join link is ready; the old one no longer works.".to_string()),
    )
}

/// The request a decision form is about.
pub struct Summary {
    name: String,
    email: String,
    message: String,
    asked: String,
    expires: String,
    state: &'static str,
    state_label: &'static str,
    pending: bool,
}

fn summary(v: &AccessRequestView) -> Summary {
    Summary {
        name: v.name.clone(),
        email: v.email.clone(),
        message: v.message.clone(),
        asked: format::date_time(v.created_at),
        expires: format::date(v.expires_at),
        state: v.state.as_str(),
        state_label: v.state.label(),
        pending: v.state == roster_domain::access_requests::RequestState::Pending,
    }
}

#[derive(Template)]
#[template(path = "access_request_approve.html")]
struct ApprovePage {
    frame: Frame,
    id: String,
    request: Summary,
    roles: Vec<crate::ui::form::RoleBox>,
    products: Vec<ProductChoice>,
    roles_error: Option<String>,
    products_error: Option<String>,
    form_error: Option<String>,
}

/// What the approve form holds, as ticked.
struct ApproveDraft {
    roles: Vec<String>,
    products: Vec<String>,
}

fn request_id(id: &str) -> Result<AccessRequestId, AppError> {
    crate::query::id(id, "access request")
}

async fn approve_view(page: &OrgPage, id: &str, draft: Option<ApproveDraft>, errors: FormErrors) -> UiResult {
    let v = roster_app::access_requests::get(page.app(), &page.access, request_id(id)?).await?;
    let offers = match roster_app::access_requests::approval_roles(&page.access) {
        Ok(o) => o,
        Err(e) => return page.refusal_in_frame(TabKey::AccessRequests, "You cannot decide access requests", e).await,
    };
    let draft = draft.unwrap_or_else(|| ApproveDraft {
        roles: offers.iter().filter(|o| o.default).map(|o| o.role.id.to_string()).collect(),
        products: vec![],
    });
    let roles = crate::ui::form::role_boxes(&offers, &draft.roles);
    let product_offers = roster_app::products::product_offers(page.app(), &page.access, &[]).await?;
    let view = ApprovePage {
        frame: page.frame(TabKey::AccessRequests).await?,
        id: v.id.to_string(),
        request: summary(&v),
        roles,
        products: product_choices(&product_offers, &draft.products),
        roles_error: errors.field("roles"),
        products_error: errors.field("products"),
        form_error: errors.form.clone(),
    };
    page.render(errors.status, &view)
}

/// The approve form: the request, roles (the default one ticked; those the
/// approver cannot give disabled with the reason) and products with their
/// free seats. Needs access_requests:update.
pub async fn approve_page(page: OrgPage, Path((_, id)): Path<(String, String)>) -> UiResult {
    approve_view(&page, &id, None, FormErrors { status: StatusCode::OK, ..Default::default() }).await
}

/// The approve form's errors: a bad role beside the roles, no seats beside
/// the products, the rest (escalation, decided meanwhile) for the form.
fn approve_errors(e: AppError) -> Result<FormErrors, crate::ui::UiError> {
    if let AppError::Validation(v) = &e
        && v.errors.iter().all(|x| x.field.starts_with("roles"))
    {
        let mut errors = FormErrors { status: StatusCode::UNPROCESSABLE_ENTITY, ..Default::default() };
        let words: Vec<String> = v.errors.iter().map(|x| x.message.clone()).collect();
        errors.fields.insert("roles".into(), words.join("; "));
        return Ok(errors);
    }
    let about_products = is_products_refusal(&e);
    let mut errors = FormErrors::from_refusal(e, &["products"])?;
    if about_products && let Some(why) = errors.form.take() {
        errors.fields.insert("products".into(), why);
    }
    Ok(errors)
}

/// Approves: the requester becomes an active member with the roles and
/// products ticked; back to the tab with a flash. A refusal shows the form
/// again with the choices kept. Needs access_requests:update.
pub async fn approve_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    Form(pairs): Form<Pairs>,
) -> UiResult {
    let draft = ApproveDraft {
        roles: fields(&pairs, "roles").into_iter().filter(|r| !r.is_empty()).map(str::to_string).collect(),
        products: fields(&pairs, "products").into_iter().filter(|p| !p.is_empty()).map(str::to_string).collect(),
    };
    let input = Approval { roles: Some(draft.roles.clone()), products: draft.products.clone() };
    match roster_app::access_requests::approve(page.app(), &page.access, request_id(&id)?, &input, &meta).await {
        Ok(v) => Ok(redirect_with_flash(
            &page.links.access_requests(),
            "ok",
            &format!("{} is a member now. They were told by email.", v.name),
        )),
        Err(e) => approve_view(&page, &id, Some(draft), approve_errors(e)?).await,
    }
}

#[derive(Template)]
#[template(path = "access_request_deny.html")]
struct DenyPage {
    frame: Frame,
    id: String,
    request: Summary,
    reason: String,
    reason_error: Option<String>,
    form_error: Option<String>,
}

async fn deny_view(page: &OrgPage, id: &str, reason: String, errors: FormErrors) -> UiResult {
    let v = roster_app::access_requests::get(page.app(), &page.access, request_id(id)?).await?;
    if !roster_app::access_requests::may_decide(&page.access) {
        let e = AppError::Forbidden("deciding access requests needs access_requests:update".into());
        return page.refusal_in_frame(TabKey::AccessRequests, "You cannot decide access requests", e).await;
    }
    let view = DenyPage {
        frame: page.frame(TabKey::AccessRequests).await?,
        id: v.id.to_string(),
        request: summary(&v),
        reason,
        reason_error: errors.field("reason"),
        form_error: errors.form.clone(),
    };
    page.render(errors.status, &view)
}

/// The deny form: the request and an optional reason. Needs access_requests:update.
pub async fn deny_page(page: OrgPage, Path((_, id)): Path<(String, String)>) -> UiResult {
    deny_view(&page, &id, String::new(), FormErrors { status: StatusCode::OK, ..Default::default() }).await
}

/// The deny form's fields.
#[derive(Deserialize)]
pub struct DenyForm {
    #[serde(default)]
    reason: String,
}

/// Denies, with the reason the requester is told; back to the tab with a
/// flash. Needs access_requests:update.
pub async fn deny_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<DenyForm>,
) -> UiResult {
    match roster_app::access_requests::deny(page.app(), &page.access, request_id(&id)?, &f.reason, &meta).await {
        Ok(v) => Ok(redirect_with_flash(
            &page.links.access_requests(),
            "ok",
            &format!("Request denied: {} was told by email.", v.name),
        )),
        Err(e) => {
            let errors = FormErrors::from_refusal(e, &["reason"])?;
            deny_view(&page, &id, f.reason, errors).await
        }
    }
}
