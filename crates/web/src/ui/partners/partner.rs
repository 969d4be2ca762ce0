//! A customer's Partner tab: its partner, the partner's staff who can act
//! here and through which roles, revoking the link, and the partners'
//! link requests waiting for the owner's answer.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use roster_app::AppError;
use roster_app::access::Permission;
use roster_app::partners::customers;
use roster_domain::OrgId;

use crate::extract::Meta;
use crate::format;
use crate::ui::service_accounts::ConfirmPage;
use crate::ui::{Frame, OrgPage, TabKey, UiResult};

/// A partner member who can act here.
pub struct ActorView {
    name: String,
    email: String,
    roles: Vec<String>,
}

/// A partner's link request.
pub struct RequestView {
    partner: String,
    requested_by: String,
    requested: String,
    accept_href: String,
    refuse_href: String,
}

#[derive(Template)]
#[template(path = "partner.html")]
struct PartnerPage {
    frame: Frame,
    /// The partner's name, when there is one.
    partner: Option<String>,
    actors: Vec<ActorView>,
    requests: Vec<RequestView>,
    can_revoke: bool,
    can_answer: bool,
}

/// The Partner tab. Needs members:read.
pub async fn partner_page(page: OrgPage) -> UiResult {
    let v = match customers::partner_view(page.app(), &page.access).await {
        Ok(v) => v,
        Err(e) => return page.refusal_in_frame(TabKey::Partner, "You cannot see this organization's partner", e).await,
    };
    let view = PartnerPage {
        frame: page.frame(TabKey::Partner).await?,
        can_revoke: v.partner.is_some()
            && page.access.via.is_none()
            && page.access.can(Permission::ORG_SETTINGS_UPDATE),
        partner: v.partner.map(|p| p.name),
        actors: v.actors.into_iter().map(|a| ActorView { name: a.name, email: a.email, roles: a.roles }).collect(),
        requests: v
            .requests
            .into_iter()
            .map(|(p, r)| {
                let id = p.id.to_string();
                RequestView {
                    partner: p.name,
                    requested_by: r.requested_by_label,
                    requested: format::date_time(r.created_at),
                    accept_href: page.links.partner_request_answer(&id, "accept"),
                    refuse_href: page.links.partner_request_answer(&id, "refuse"),
                }
            })
            .collect(),
        can_answer: page.access.acts_for_owner(),
    };
    page.render(StatusCode::OK, &view)
}

/// The confirm step of revoking the partner's link. Needs org_settings:update.
pub async fn revoke_confirm(page: OrgPage) -> UiResult {
    let v = customers::partner_view(page.app(), &page.access).await?;
    let partner = v.partner.ok_or(AppError::NotFound("partner link"))?;
    let view = ConfirmPage {
        frame: page.frame(TabKey::Partner).await?,
        title: format!("Revoke {}'s link?", partner.name),
        notes: vec![
            format!("{} keeps its members, roles and products.", page.access.org.name),
            format!("{} can only manage it again if you accept a new link request.", partner.name),
        ],
        warning: format!(
            "{}'s staff ({} who can act here now) lose their access at once.",
            partner.name,
            v.actors.len()
        ),
        action: page.links.partner_revoke(),
        button: "Revoke partner link",
        danger: true,
        back: page.links.partner(),
        overlap: None,
        form_error: None,
    };
    page.render(StatusCode::OK, &view)
}

/// Revokes the partner's link; back to the tab with a flash. Needs
/// org_settings:update, and never through the partner itself.
pub async fn revoke_submit(page: OrgPage, Meta(meta): Meta) -> UiResult {
    let outcome = customers::unlink(page.app(), &page.access, "partner", &meta)
        .await
        .map(|()| "The partner link is revoked: its staff no longer have access here.".to_string());
    crate::ui::after_action(&page.links.partner(), outcome)
}

/// Accepts or refuses a partner's link request (`{action}`: `accept`,
/// `refuse`); back to the tab with a flash. Only the owner answers.
pub async fn answer_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, id, action)): Path<(String, String, String)>,
) -> UiResult {
    let accept = match action.as_str() {
        "accept" => true,
        "refuse" => false,
        _ => return Err(AppError::NotFound("page").into()),
    };
    let partner: OrgId = crate::query::id(&id, "link request")?;
    let outcome = customers::answer_link(page.app(), &page.access, partner, accept, &meta).await.map(|()| {
        if accept {
            "Link accepted: the partner now manages this organization.".to_string()
        } else {
            "Link request refused.".to_string()
        }
    });
    crate::ui::after_action(&page.links.partner(), outcome)
}
