//! A service account's tokens in the UI: the "New token" form (a name and a
//! lifetime the deployment allows), the page that shows a new token once
//! (read-only, selectable, with a copy button), and the confirm steps of
//! revoking and rotating (with the old token's overlap).

use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use roster_app::AppError;
use roster_app::service_accounts::{NewToken, TokenInput};
use roster_domain::ApiTokenId;
use roster_domain::service_accounts::DEFAULT_TOKEN_DAYS;

use super::{ConfirmPage, account_id};
use crate::extract::Meta;
use crate::format;
use crate::ui::form::{Pairs, field};
use crate::ui::{FormErrors, Frame, OrgPage, TabKey, UiResult};

/// The lifetimes the form offers, in days, before the deployment's maximum cuts them.
const LIFETIMES: [u32; 4] = [30, 90, 180, 365];

/// The overlap a rotation proposes, in hours.
const DEFAULT_OVERLAP_HOURS: &str = "24";

/// One choice of the lifetime select.
pub struct Lifetime {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "service_account_token_new.html")]
struct TokenFormPage {
    frame: Frame,
    id: String,
    account: String,
    name: String,
    lifetimes: Vec<Lifetime>,
    name_error: Option<String>,
    lifetime_error: Option<String>,
    form_error: Option<String>,
}

/// The lifetimes this deployment allows (`0`: never), `chosen` selected.
fn lifetimes(page: &OrgPage, chosen: &str) -> Vec<Lifetime> {
    let policy = roster_app::service_accounts::token_policy(page.app());
    let mut days: Vec<u32> = LIFETIMES.into_iter().filter(|d| *d <= policy.max_days).collect();
    if days.is_empty() || (policy.max_days < 365 && !days.contains(&policy.max_days)) {
        days.push(policy.max_days.max(1));
    }
    let default = DEFAULT_TOKEN_DAYS.min(policy.max_days.max(1)).to_string();
    let chosen = if chosen.is_empty() { default.as_str() } else { chosen };
    let mut out: Vec<Lifetime> = days
        .into_iter()
        .map(|d| Lifetime { value: d.to_string(), label: format!("{d} days"), selected: d.to_string() == chosen })
        .collect();
    if policy.allow_never {
        out.push(Lifetime { value: "0".into(), label: "Never expires".into(), selected: chosen == "0" });
    }
    out
}

async fn form_view(page: &OrgPage, id: &str, name: String, chosen: &str, errors: FormErrors) -> UiResult {
    let a = roster_app::service_accounts::get(page.app(), &page.access, account_id(id)?).await?;
    let view = TokenFormPage {
        frame: page.frame(TabKey::ServiceAccounts).await?,
        id: id.to_string(),
        account: a.name,
        name,
        lifetimes: lifetimes(page, chosen),
        name_error: errors.field("name"),
        lifetime_error: errors.field("expires_in_days"),
        form_error: errors.form.clone(),
    };
    page.render(errors.status, &view)
}

/// The "New token" form: a name and a lifetime (90 days unless chosen;
/// "never" only where the deployment allows it). Needs service_accounts:update.
pub async fn new_page(page: OrgPage, Path((_, id)): Path<(String, String)>) -> UiResult {
    if !page.access.can(roster_app::access::Permission::SERVICE_ACCOUNTS_UPDATE) {
        let e = AppError::Forbidden("making tokens needs service_accounts:update".into());
        return page.refusal_in_frame(TabKey::ServiceAccounts, "You cannot make tokens", e).await;
    }
    form_view(&page, &id, String::new(), "", FormErrors { status: StatusCode::OK, ..Default::default() }).await
}

#[derive(Template)]
#[template(path = "service_account_token.html")]
struct TokenShownPage {
    frame: Frame,
    id: String,
    account: String,
    token_name: String,
    token: String,
    prefix: String,
    expires: String,
    /// What was done, in words ("Token made", "Token rotated").
    heading: &'static str,
    /// For a rotation: until when the old token keeps working.
    note: String,
}

/// The page that shows a token once: never cached, never shown again.
async fn shown_once(page: &OrgPage, id: &str, made: NewToken, heading: &'static str, note: String) -> UiResult {
    let a = roster_app::service_accounts::get(page.app(), &page.access, account_id(id)?).await?;
    let view = TokenShownPage {
        frame: page.frame(TabKey::ServiceAccounts).await?,
        id: id.to_string(),
        account: a.name,
        token_name: made.view.name,
        token: made.token,
        prefix: made.view.prefix,
        expires: made.view.expires_at.map(format::date_time).unwrap_or_else(|| "Never".into()),
        heading,
        note,
    };
    let mut res = page.render(StatusCode::CREATED, &view)?;
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// "Create a SCIM token" on the tab: the provisioning account is made the
/// first time, then its token is shown once like any other, with the SCIM
/// base URL to paste beside it. A refusal goes back to the tab with it.
pub async fn scim_token_submit(page: OrgPage, Meta(meta): Meta) -> UiResult {
    match roster_app::service_accounts::scim_token(page.app(), &page.access, &meta).await {
        Ok((account, made)) => {
            let note = format!(
                "Paste it into the identity provider with the SCIM base URL {} (Entra ID: Tenant URL and Secret Token; Okta: SCIM connector base URL and API token).",
                page.app().config.link("/scim/v2")
            );
            shown_once(&page, &account.id.to_string(), made, "SCIM token made", note).await
        }
        Err(e) => Ok(crate::ui::redirect_with_flash(
            &page.links.service_accounts(),
            "error",
            &crate::error::problem_for(&e).detail,
        )),
    }
}

/// Makes the token and shows it once (201, not cached). A refusal shows the
/// form again as typed. Needs service_accounts:update.
pub async fn new_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    Form(pairs): Form<Pairs>,
) -> UiResult {
    let name = field(&pairs, "name").to_string();
    let chosen = field(&pairs, "expires_in_days").to_string();
    let days = match chosen.trim() {
        "" => None,
        d => match d.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                let errors = field_error("expires_in_days", "choose one of the lifetimes offered");
                return form_view(&page, &id, name, &chosen, errors).await;
            }
        },
    };
    let input = TokenInput { name: name.clone(), expires_in_days: days };
    match roster_app::service_accounts::create_token(page.app(), &page.access, account_id(&id)?, &input, &meta).await {
        Ok(made) => shown_once(&page, &id, made, "Token made", String::new()).await,
        Err(e) => {
            let errors = FormErrors::from_refusal(e, &["name", "expires_in_days"])?;
            form_view(&page, &id, name, &chosen, errors).await
        }
    }
}

/// A form's one error, beside `field`.
fn field_error(field: &str, message: &str) -> FormErrors {
    let mut errors = FormErrors { status: StatusCode::UNPROCESSABLE_ENTITY, ..Default::default() };
    errors.fields.insert(field.into(), message.into());
    errors
}

/// The token actions this page knows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TokenAction {
    Revoke,
    Rotate,
}

fn token_action(action: &str) -> Result<TokenAction, AppError> {
    match action {
        "revoke" => Ok(TokenAction::Revoke),
        "rotate" => Ok(TokenAction::Rotate),
        _ => Err(AppError::NotFound("page")),
    }
}

async fn confirm_view(
    page: &OrgPage,
    id: &str,
    tid: &str,
    which: TokenAction,
    overlap: String,
    errors: FormErrors,
) -> UiResult {
    let sid = account_id(id)?;
    let token_id: ApiTokenId = crate::query::id(tid, "token")?;
    let a = roster_app::service_accounts::get(page.app(), &page.access, sid).await?;
    let tokens = roster_app::service_accounts::list_tokens(page.app(), &page.access, sid).await?;
    let t = tokens.into_iter().find(|t| t.id == token_id).ok_or(AppError::NotFound("token"))?;
    let who = format!("“{}” ({}…) of {}", t.name, t.prefix, a.name);
    let action = if which == TokenAction::Revoke { "revoke" } else { "rotate" };
    let view = match which {
        TokenAction::Revoke => ConfirmPage {
            frame: page.frame(TabKey::ServiceAccounts).await?,
            title: format!("Revoke the token {who}?"),
            warning: "Programs using it are refused from their next request (401).".into(),
            notes: vec!["A revoked token never works again: make a new one if needed.".into()],
            action: page.links.service_account_token_action(id, tid, action),
            button: "Revoke",
            danger: true,
            back: page.links.service_account(id),
            overlap: None,
            form_error: errors.form.clone(),
        },
        TokenAction::Rotate => ConfirmPage {
            frame: page.frame(TabKey::ServiceAccounts).await?,
            title: format!("Rotate the token {who}?"),
            warning: String::new(),
            notes: vec![
                "A new token is made and shown once, with a fresh lifetime.".into(),
                "The old one keeps working for the overlap you choose, so that programs can switch; 0 stops it now."
                    .into(),
            ],
            action: page.links.service_account_token_action(id, tid, action),
            button: "Rotate",
            danger: false,
            back: page.links.service_account(id),
            overlap: Some((overlap, errors.field("overlap_hours"))),
            form_error: errors.form.clone(),
        },
    };
    page.render(errors.status, &view)
}

/// The confirm step of revoking or rotating a token (a rotation asks for
/// the old token's overlap in hours). Needs service_accounts:update.
pub async fn action_confirm(
    page: OrgPage,
    Path((_, id, tid, action)): Path<(String, String, String, String)>,
) -> UiResult {
    let which = token_action(&action)?;
    if !page.access.can(roster_app::access::Permission::SERVICE_ACCOUNTS_UPDATE) {
        let e = AppError::Forbidden("revoking or rotating tokens needs service_accounts:update".into());
        return page.refusal_in_frame(TabKey::ServiceAccounts, "You cannot change tokens", e).await;
    }
    let ok = FormErrors { status: StatusCode::OK, ..Default::default() };
    confirm_view(&page, &id, &tid, which, DEFAULT_OVERLAP_HOURS.into(), ok).await
}

/// Revokes a token (back to the account with a flash) or rotates it (the
/// new token shown once). Needs service_accounts:update.
pub async fn action_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, id, tid, action)): Path<(String, String, String, String)>,
    Form(pairs): Form<Pairs>,
) -> UiResult {
    let which = token_action(&action)?;
    let sid = account_id(&id)?;
    let token_id: ApiTokenId = crate::query::id(&tid, "token")?;
    match which {
        TokenAction::Revoke => crate::ui::after_action(
            &page.links.service_account(&id),
            roster_app::service_accounts::revoke_token(page.app(), &page.access, sid, token_id, &meta)
                .await
                .map(|t| format!("The token “{}” is revoked.", t.name)),
        ),
        TokenAction::Rotate => {
            let typed = field(&pairs, "overlap_hours").trim().to_string();
            let Ok(hours) = typed.parse::<u32>() else {
                let errors = field_error("overlap_hours", "must be a whole number of hours");
                return confirm_view(&page, &id, &tid, which, typed, errors).await;
            };
            match roster_app::service_accounts::rotate_token(page.app(), &page.access, sid, token_id, hours, &meta)
                .await
            {
                Ok(made) => {
                    let note = if hours == 0 {
                        "The old token stopped working now.".to_string()
                    } else {
                        let until = page.app().clock.now().plus_millis(i64::from(hours) * 3_600_000);
                        format!("The old token keeps working until {}.", format::date_time(until))
                    };
                    shown_once(&page, &id, made, "Token rotated", note).await
                }
                Err(e) => {
                    let errors = FormErrors::from_refusal(e, &["overlap_hours"])?;
                    confirm_view(&page, &id, &tid, which, typed, errors).await
                }
            }
        }
    }
}
