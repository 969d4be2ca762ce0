//! "Enable all" / "Disable all" on the filtered list: the confirm step,
//! which says how many will change and who is left alone, and the change.

use askama::Template;
use axum::Form;
use axum::extract::RawQuery;
use axum::http::StatusCode;
use roster_app::AppError;
use roster_app::access::OrgAccess;
use roster_domain::members::Activity;
use roster_domain::members::StatusChange;
use roster_domain::{MemberFilter, MemberStatus};
use serde::Deserialize;

use super::{href, list_query, parse_page_query};
use crate::extract::Meta;
use crate::format;
use crate::ui::{Frame, OrgPage, TabKey, UiResult, redirect_with_flash, safe_path};

#[derive(Template)]
#[template(path = "bulk_confirm.html")]
struct BulkPage {
    frame: Frame,
    action: &'static str,
    verb: &'static str,
    past: &'static str,
    removes_access: bool,
    will_change: u64,
    will_change_label: String,
    /// Why matching members will be left alone, one sentence each.
    skip_notes: Vec<String>,
    filter_summary: String,
    q: String,
    name: String,
    email: String,
    status: String,
    role: String,
    /// The activity filter as the Users tab's select writes it.
    activity: String,
    /// The product filter (a product key, or empty).
    product: String,
    return_to: String,
}

/// A filter in words, for a confirm step ("holding the role “User”, status Active").
pub(in crate::ui) fn summary(filter: &MemberFilter, access: &OrgAccess, app: &roster_app::App) -> String {
    let mut parts = Vec::new();
    if let Some(role) = filter.role.and_then(|r| access.policy.role(r)) {
        parts.push(format!("holding the role “{}”", role.name));
    }
    if let Some(p) = &filter.product {
        let name = roster_app::products::catalogue(app).get(p.as_str()).map_or(p.as_str(), |p| p.name.as_str());
        parts.push(format!("holding a license of {name}"));
    }
    if !filter.q.is_empty() {
        parts.push(format!("matching “{}”", filter.q));
    }
    if !filter.name.is_empty() {
        parts.push(format!("named like “{}”", filter.name));
    }
    match roster_domain::members::EmailMatch::parse(&filter.email) {
        Ok(Some(roster_domain::members::EmailMatch::Exact(a))) => parts.push(format!("with the email {a}")),
        Ok(Some(roster_domain::members::EmailMatch::Prefix(p))) => parts.push(format!("with an email starting “{p}”")),
        _ => {}
    }
    if filter.has_status() {
        parts.push(format!("status {}", filter.statuses.iter().map(|s| s.label()).collect::<Vec<_>>().join(" or ")));
    }
    match filter.activity {
        Activity::Any => {}
        Activity::Never => parts.push("never signed in".into()),
        Activity::InactiveFor { days, .. } => parts.push(format!("inactive for {days} days or more")),
    }
    if parts.is_empty() { "every user in the organization".into() } else { parts.join(", ") }
}

/// The sentences that say which matching members a bulk change leaves
/// alone and why (before the change, or after it when `done`).
fn skip_notes(skipped: &roster_app::members::Skipped, done: bool) -> Vec<String> {
    let (will, was) = if done { ("was", "were") } else { ("will be", "will be") };
    let mut notes = Vec::new();
    if skipped.owner > 0 {
        notes.push(format!("The organization's owner matches too and {will} left as is."));
    }
    if skipped.actor > 0 {
        notes.push(format!("You match too, and {will} left as is: nobody disables themselves."));
    }
    match skipped.beyond_reach {
        0 => {}
        1 => notes.push(format!("1 user holds permissions you do not, and {will} left as is.")),
        n => notes.push(format!("{} users hold permissions you do not, and {was} left as is.", format::count(n))),
    }
    notes
}

fn bulk_action(s: &str) -> Option<(StatusChange, &'static str, &'static str, &'static str)> {
    match s {
        "enable" => Some((StatusChange::Enable, "enable", "Enable", "enabled")),
        "disable" => Some((StatusChange::Disable, "disable", "Disable", "disabled")),
        _ => None,
    }
}

/// The confirm step of "Enable all" / "Disable all": says how many will change.
pub async fn bulk_confirm(page: OrgPage, RawQuery(raw): RawQuery) -> UiResult {
    let access = &page.access;
    {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
        let action = pairs.iter().find(|(k, _)| k == "action").map(|(_, v)| v.as_str()).unwrap_or("");
        let (change, action, verb, past) = bulk_action(action).ok_or(AppError::NotFound("page"))?;
        let mut req = parse_page_query(raw.as_deref(), page.state.app.clock.now())?;
        let role = roster_app::members::resolve_role_filter(access, req.role.as_deref())?;
        req.role = role.map(|r| r.to_string());
        let filter = req.filter.clone().with_role(role);
        let preview = roster_app::members::preview_bulk(page.app(), access, change, &filter).await?;
        let back = href(&page.links.users(), list_query(&req, &[]));
        let view = BulkPage {
            frame: page.frame(TabKey::Users).await?,
            action,
            verb,
            past,
            removes_access: change.removes_access(),
            will_change: preview.changed,
            will_change_label: format::count(preview.changed),
            skip_notes: skip_notes(&preview.skipped, false),
            filter_summary: summary(&filter, access, page.app()),
            q: req.filter.q.clone(),
            name: req.filter.name.clone(),
            email: req.filter.email.clone(),
            status: req.filter.statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(","),
            role: req.role.clone().unwrap_or_default(),
            activity: super::activity_value(req.filter.activity),
            product: req.filter.product.as_ref().map(|p| p.to_string()).unwrap_or_default(),
            return_to: back,
        };
        page.render(StatusCode::OK, &view)
    }
}

#[derive(Deserialize)]
pub struct BulkForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    activity: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    return_to: String,
}

/// Runs a confirmed bulk change and reports how many changed.
pub async fn bulk_submit(page: OrgPage, Meta(meta): Meta, Form(f): Form<BulkForm>) -> UiResult {
    let access = &page.access;
    {
        let (change, _, _, past) = bulk_action(&f.action).ok_or(AppError::NotFound("page"))?;
        let statuses =
            f.status.split(',').filter(|s| !s.is_empty()).map(str::parse).collect::<Result<Vec<MemberStatus>, _>>()?;
        let role = roster_app::members::resolve_role_filter(access, Some(&f.role))?;
        let activity = super::parse_activity(&f.activity, page.state.app.clock.now())?;
        let mut filter =
            MemberFilter::parse(&f.q, &f.name, &f.email, statuses)?.with_role(role).with_activity(activity);
        filter.product = match f.product.trim() {
            "" => None,
            key => Some(crate::ui::products::product::catalogue_key(page.app(), key).ok_or_else(|| {
                roster_domain::ValidationError::field("product", format!("'{key}' is not a product"))
            })?),
        };
        let outcome = roster_app::members::bulk_change(page.app(), access, change, &filter, &meta).await?;
        let back = safe_path(&f.return_to, &page.links.users());
        let skipped: String = skip_notes(&outcome.skipped, true).iter().map(|n| format!(" {n}")).collect();
        Ok(redirect_with_flash(
            &back,
            "ok",
            &format!(
                "{} {} {past}.{skipped}",
                format::count(outcome.changed),
                if outcome.changed == 1 { "user" } else { "users" }
            ),
        ))
    }
}
