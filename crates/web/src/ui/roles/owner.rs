//! Handing the organization's ownership on.

use askama::Template;
use axum::Form;
use axum::extract::RawQuery;
use roster_domain::UserId;

use crate::extract::Meta;
use crate::ui::form::{Pairs, field};
use crate::ui::{FormErrors, Frame, OrgPage, TabKey, UiResult, redirect_with_flash};

#[derive(Template)]
#[template(path = "owner.html")]
struct OwnerPage {
    frame: Frame,
    allowed: bool,
    /// (user id, "Name · email") of each active member who could take over.
    candidates: Vec<(String, String)>,
    more: bool,
    /// The search that narrowed the candidates.
    q: String,
    chosen: String,
    form_error: Option<String>,
}

/// How many members the new-owner select lists.
const OWNER_CANDIDATES: u32 = 200;

async fn owner_view(page: &OrgPage, q: &str, chosen: String, errors: FormErrors) -> UiResult {
    let (candidates, more) =
        roster_app::ownership::transfer_candidates(page.app(), &page.access, q, OWNER_CANDIDATES).await?;
    page.render(
        errors.status,
        &OwnerPage {
            frame: page.frame(TabKey::Roles).await?,
            allowed: page.access.org.owner_transfer,
            candidates: candidates
                .into_iter()
                .map(|m| (m.user_id.to_string(), format!("{} · {}", m.name, m.email)))
                .collect(),
            more,
            q: q.trim().to_string(),
            chosen,
            form_error: errors.form,
        },
    )
}

/// The confirm page of handing ownership on. Only the owner, and only where
/// the organization's preset allows it.
pub async fn owner_page(page: OrgPage, RawQuery(raw): RawQuery) -> UiResult {
    let query: Pairs = serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    owner_view(&page, field(&query, "q"), String::new(), FormErrors::default()).await
}

/// Hands ownership to the chosen active member once the owner ticked the
/// confirmation.
pub async fn owner_submit(page: OrgPage, Meta(meta): Meta, Form(pairs): Form<Pairs>) -> UiResult {
    let chosen = field(&pairs, "user").to_string();
    let Ok(to) = chosen.parse::<UserId>() else {
        return owner_view(&page, "", chosen, FormErrors::form("Choose the member who becomes the owner.")).await;
    };
    if field(&pairs, "confirm") != "yes" {
        let errors = FormErrors::form("Tick the box to confirm that you will no longer be the owner.");
        return owner_view(&page, "", chosen, errors).await;
    }
    match roster_app::ownership::transfer_ownership(page.app(), &page.access, to, &meta).await {
        Ok(()) => {
            Ok(redirect_with_flash(&page.links.roles(), "ok", "Ownership handed on: you are no longer the owner."))
        }
        Err(e) => owner_view(&page, "", chosen, FormErrors::from_refusal(e, &[])?).await,
    }
}
