//! Service accounts in the UI (seed 001): the Service Accounts tab (the
//! organization's accounts with their roles, status and tokens), the create
//! and edit form, an account's page with its tokens, and the confirm steps
//! of disabling, enabling and deleting. Tokens ([`tokens`]): the new-token
//! form, the page that shows a token once, revoking and rotating.

pub mod scim_groups;
pub mod tokens;

use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use roster_app::AppError;
use roster_app::access::Permission;
use roster_app::service_accounts::{AccountInput, AccountView, TokenView};
use roster_domain::ServiceAccountId;
use roster_domain::service_accounts::AccountStatus;

use crate::extract::Meta;
use crate::format;
use crate::ui::form::{Pairs, field, fields};
use crate::ui::{FormErrors, Frame, OrgPage, TabKey, UiResult, redirect_with_flash};

/// A row of the tab's table.
pub struct AccountRow {
    id: String,
    name: String,
    description: String,
    roles: Vec<String>,
    status: &'static str,
    status_label: &'static str,
    live_tokens: usize,
    last_used: String,
    created: String,
    created_by: String,
}

#[derive(Template)]
#[template(path = "service_accounts.html")]
struct ServiceAccountsPage {
    frame: Frame,
    rows: Vec<AccountRow>,
    can_create: bool,
    /// The SCIM base URL identity providers are given.
    scim_base_url: String,
    /// The provisioning account's id, once it exists.
    scim_account: Option<String>,
    /// Whether the actor may make a SCIM token.
    can_scim: bool,
    /// The SCIM group names bound to roles, and the groups provisioned.
    groups: scim_groups::GroupsCard,
}

fn account_id(id: &str) -> Result<ServiceAccountId, AppError> {
    crate::query::id(id, "service account")
}

/// The most recent use among an account's tokens, in words.
fn last_used(tokens: &[TokenView], now: roster_domain::Timestamp) -> String {
    format::ago(tokens.iter().filter_map(|t| t.last_used_at).max(), now)
}

/// The Service Accounts tab: the organization's accounts by name, with
/// their roles, status, live tokens and last use. Needs service_accounts:read.
pub async fn service_accounts_page(page: OrgPage) -> UiResult {
    let accounts = match roster_app::service_accounts::list(page.app(), &page.access, false).await {
        Ok(a) => a,
        Err(e) => {
            return page.refusal_in_frame(TabKey::ServiceAccounts, "You cannot see the service accounts", e).await;
        }
    };
    let now = page.app().clock.now();
    let mut rows = Vec::with_capacity(accounts.len());
    for a in accounts {
        let tokens = roster_app::service_accounts::list_tokens(page.app(), &page.access, a.id).await?;
        rows.push(AccountRow {
            id: a.id.to_string(),
            name: a.name,
            description: a.description,
            roles: a.roles.into_iter().map(|r| r.name).collect(),
            status: a.status.as_str(),
            status_label: a.status.label(),
            live_tokens: tokens.iter().filter(|t| t.live).count(),
            last_used: last_used(&tokens, now),
            created: format::date(a.created_at),
            created_by: a.created_by,
        });
    }
    let scim_account = roster_app::service_accounts::scim_account(page.app(), &page.access).await?;
    let view = ServiceAccountsPage {
        frame: page.frame(TabKey::ServiceAccounts).await?,
        rows,
        can_create: page.access.can(Permission::SERVICE_ACCOUNTS_CREATE),
        scim_base_url: page.app().config.link("/scim/v2"),
        scim_account: scim_account.map(|a| a.id.to_string()),
        can_scim: page.access.can(Permission::SERVICE_ACCOUNTS_CREATE)
            && page.access.can(Permission::SERVICE_ACCOUNTS_UPDATE),
        groups: scim_groups::card(&page).await?,
    };
    page.render(StatusCode::OK, &view)
}

#[derive(Template)]
#[template(path = "service_account_form.html")]
struct AccountFormPage {
    frame: Frame,
    title: String,
    action: String,
    cancel_href: String,
    submit_label: &'static str,
    name: String,
    description: String,
    roles: Vec<crate::ui::form::RoleBox>,
    name_error: Option<String>,
    description_error: Option<String>,
    roles_error: Option<String>,
    form_error: Option<String>,
}

/// What the account form holds, as typed.
struct Draft {
    name: String,
    description: String,
    roles: Vec<String>,
}

impl Draft {
    fn from_form(pairs: &Pairs) -> Self {
        Self {
            name: field(pairs, "name").to_string(),
            description: field(pairs, "description").to_string(),
            roles: fields(pairs, "roles").into_iter().filter(|r| !r.is_empty()).map(str::to_string).collect(),
        }
    }

    fn input(&self) -> AccountInput {
        AccountInput {
            name: self.name.clone(),
            description: self.description.clone(),
            roles: Some(self.roles.clone()),
            grants: None,
        }
    }
}

/// The form, new (`editing` none) or for an account, showing `draft` and `errors`.
async fn form_view(page: &OrgPage, editing: Option<&AccountView>, draft: Draft, errors: FormErrors) -> UiResult {
    let offers = roster_app::service_accounts::role_offers(&page.access)?;
    let roles = crate::ui::form::role_boxes(&offers, &draft.roles);
    let (title, action, cancel_href, submit_label) = match editing {
        Some(a) => {
            let id = a.id.to_string();
            (format!("Edit {}", a.name), page.links.service_account_edit(&id), page.links.service_account(&id), "Save")
        }
        None => (
            "New service account".to_string(),
            page.links.service_account_new(),
            page.links.service_accounts(),
            "Create service account",
        ),
    };
    let view = AccountFormPage {
        frame: page.frame(TabKey::ServiceAccounts).await?,
        title,
        action,
        cancel_href,
        submit_label,
        name: draft.name,
        description: draft.description,
        roles,
        name_error: errors.field("name"),
        description_error: errors.field("description"),
        roles_error: errors.field("roles"),
        form_error: errors.form.clone(),
    };
    page.render(errors.status, &view)
}

/// The account form's errors: each beside its field; a role the actor
/// cannot give (no escalation) beside the roles, a name in use beside the name.
fn form_errors(e: AppError) -> Result<FormErrors, crate::ui::UiError> {
    let beside = match &e {
        AppError::Escalation(_) => Some("roles"),
        AppError::Conflict { kind: roster_app::ConflictKind::RoleNameTaken, .. } => Some("name"),
        _ => None,
    };
    let detail = crate::error::problem_for(&e).detail;
    let mut errors = FormErrors::from_refusal(e, &["name", "description", "roles"])?;
    if let Some(f) = beside {
        errors.form = None;
        errors.fields.insert(f.into(), detail);
    }
    Ok(errors)
}

/// The new service account form: name, description, roles (those the
/// actor cannot give disabled with the reason). Needs service_accounts:create.
pub async fn new_page(page: OrgPage) -> UiResult {
    if !page.access.can(Permission::SERVICE_ACCOUNTS_CREATE) {
        let e = AppError::Forbidden("creating service accounts needs service_accounts:create".into());
        return page.refusal_in_frame(TabKey::ServiceAccounts, "You cannot create service accounts", e).await;
    }
    let draft = Draft { name: String::new(), description: String::new(), roles: vec![] };
    form_view(&page, None, draft, FormErrors { status: StatusCode::OK, ..Default::default() }).await
}

/// Creates the account; on to its page to make its first token. A refusal
/// shows the form again as typed. Needs service_accounts:create.
pub async fn new_submit(page: OrgPage, Meta(meta): Meta, Form(pairs): Form<Pairs>) -> UiResult {
    let draft = Draft::from_form(&pairs);
    match roster_app::service_accounts::create(page.app(), &page.access, &draft.input(), &meta).await {
        Ok(a) => Ok(redirect_with_flash(
            &page.links.service_account(&a.id.to_string()),
            "ok",
            &format!("Service account {} created. Make a token for it below.", a.name),
        )),
        Err(e) => form_view(&page, None, draft, form_errors(e)?).await,
    }
}

/// The edit form of an account, filled with what it holds. Needs service_accounts:update.
pub async fn edit_page(page: OrgPage, Path((_, id)): Path<(String, String)>) -> UiResult {
    let a = roster_app::service_accounts::get(page.app(), &page.access, account_id(&id)?).await?;
    if !page.access.can(Permission::SERVICE_ACCOUNTS_UPDATE) {
        let e = AppError::Forbidden("editing service accounts needs service_accounts:update".into());
        return page.refusal_in_frame(TabKey::ServiceAccounts, "You cannot edit service accounts", e).await;
    }
    let draft = Draft {
        name: a.name.clone(),
        description: a.description.clone(),
        roles: a.roles.iter().map(|r| r.id.to_string()).collect(),
    };
    form_view(&page, Some(&a), draft, FormErrors { status: StatusCode::OK, ..Default::default() }).await
}

/// Saves the edit; back to the account's page. Needs service_accounts:update.
pub async fn edit_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    Form(pairs): Form<Pairs>,
) -> UiResult {
    let sid = account_id(&id)?;
    let draft = Draft::from_form(&pairs);
    match roster_app::service_accounts::update(page.app(), &page.access, sid, &draft.input(), &meta).await {
        Ok(a) => Ok(redirect_with_flash(&page.links.service_account(&id), "ok", &format!("{} saved.", a.name))),
        Err(e) => {
            let errors = form_errors(e)?;
            let a = roster_app::service_accounts::get(page.app(), &page.access, sid).await?;
            form_view(&page, Some(&a), draft, errors).await
        }
    }
}

/// A token's row on the account's page.
pub struct TokenRow {
    id: String,
    name: String,
    prefix: String,
    created: String,
    created_by: String,
    expires: String,
    last_used: String,
    last_used_ip: String,
    state: &'static str,
    state_label: &'static str,
}

/// A token's shown state: live, revoked, or expired (also a rotated one past its overlap).
fn token_state(t: &TokenView) -> (&'static str, &'static str) {
    if t.live {
        ("live", "Live")
    } else if t.revoked_at.is_some() {
        ("revoked", "Revoked")
    } else {
        ("expired", "Expired")
    }
}

fn token_row(t: &TokenView, now: roster_domain::Timestamp) -> TokenRow {
    let (state, state_label) = token_state(t);
    TokenRow {
        id: t.id.to_string(),
        name: t.name.clone(),
        prefix: t.prefix.clone(),
        created: format::date(t.created_at),
        created_by: t.created_by.clone(),
        expires: t.expires_at.map(format::date_time).unwrap_or_else(|| "Never".into()),
        last_used: format::ago(t.last_used_at, now),
        last_used_ip: t.last_used_ip.clone().unwrap_or_default(),
        state,
        state_label,
    }
}

#[derive(Template)]
#[template(path = "service_account.html")]
struct AccountPage {
    frame: Frame,
    id: String,
    name: String,
    description: String,
    roles: Vec<String>,
    status: &'static str,
    status_label: &'static str,
    created: String,
    created_by: String,
    updated: String,
    tokens: Vec<TokenRow>,
    can_update: bool,
    can_delete: bool,
    archived: bool,
    active: bool,
}

/// An account's page: its details, roles, and tokens (never a secret), with
/// Edit, Disable/Enable, Delete and "New token" for whoever may. Needs
/// service_accounts:read.
pub async fn account_page(page: OrgPage, Path((_, id)): Path<(String, String)>) -> UiResult {
    let sid = account_id(&id)?;
    let a = match roster_app::service_accounts::get(page.app(), &page.access, sid).await {
        Ok(a) => a,
        Err(e) => {
            return page.refusal_in_frame(TabKey::ServiceAccounts, "You cannot see the service accounts", e).await;
        }
    };
    let now = page.app().clock.now();
    let tokens = roster_app::service_accounts::list_tokens(page.app(), &page.access, sid).await?;
    let view = AccountPage {
        frame: page.frame(TabKey::ServiceAccounts).await?,
        id: a.id.to_string(),
        name: a.name,
        description: a.description,
        roles: a.roles.into_iter().map(|r| r.name).collect(),
        status: a.status.as_str(),
        status_label: a.status.label(),
        created: format::date_time(a.created_at),
        created_by: a.created_by,
        updated: format::date_time(a.updated_at),
        tokens: tokens.iter().map(|t| token_row(t, now)).collect(),
        can_update: page.access.can(Permission::SERVICE_ACCOUNTS_UPDATE),
        can_delete: page.access.can(Permission::SERVICE_ACCOUNTS_DELETE),
        archived: a.status == AccountStatus::Archived,
        active: a.status == AccountStatus::Active,
    };
    page.render(StatusCode::OK, &view)
}

/// A confirm step: what happens, and the one button that does it.
#[derive(Template)]
#[template(path = "service_account_confirm.html")]
pub(crate) struct ConfirmPage {
    pub(crate) frame: Frame,
    pub(crate) title: String,
    pub(crate) notes: Vec<String>,
    /// A note that warns (shown first, in the warning style).
    pub(crate) warning: String,
    pub(crate) action: String,
    pub(crate) button: &'static str,
    pub(crate) danger: bool,
    pub(crate) back: String,
    /// A rotation's overlap field: its value and error.
    pub(crate) overlap: Option<(String, Option<String>)>,
    pub(crate) form_error: Option<String>,
}

/// The account actions this page knows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AccountAction {
    Disable,
    Enable,
    Delete,
}

fn account_action(action: &str) -> Result<AccountAction, AppError> {
    match action {
        "disable" => Ok(AccountAction::Disable),
        "enable" => Ok(AccountAction::Enable),
        "delete" => Ok(AccountAction::Delete),
        _ => Err(AppError::NotFound("page")),
    }
}

/// The confirm step of disabling, enabling or deleting an account. Needs
/// service_accounts:update (disable, enable) or service_accounts:delete.
pub async fn action_confirm(page: OrgPage, Path((_, id, action)): Path<(String, String, String)>) -> UiResult {
    let which = account_action(&action)?;
    let a = roster_app::service_accounts::get(page.app(), &page.access, account_id(&id)?).await?;
    let tokens = roster_app::service_accounts::list_tokens(page.app(), &page.access, a.id).await?;
    let live = tokens.iter().filter(|t| t.live).count();
    let live_words = match live {
        1 => "its 1 live token".to_string(),
        n => format!("its {n} live tokens"),
    };
    let (title, warning, notes, button) = match which {
        AccountAction::Disable => (
            format!("Disable {}?", a.name),
            format!(
                "{} stop working on their next request: every program using them is refused (401).",
                capital(&live_words)
            ),
            vec!["Its tokens are kept: enabling the account again makes the unexpired ones work again.".to_string()],
            "Disable",
        ),
        AccountAction::Enable => (
            format!("Enable {}?", a.name),
            String::new(),
            vec!["Its unexpired, unrevoked tokens work again from the next request.".to_string()],
            "Enable",
        ),
        AccountAction::Delete => (
            format!("Delete {}?", a.name),
            format!(
                "All its tokens are revoked ({live_words}): programs using them are refused from the next request."
            ),
            vec![
                "The account leaves the list; its history stays in the audit log.".to_string(),
                "This cannot be undone: make a new account if you need one again.".to_string(),
            ],
            "Delete",
        ),
    };
    let view = ConfirmPage {
        frame: page.frame(TabKey::ServiceAccounts).await?,
        title,
        notes,
        warning,
        action: page.links.service_account_action(&id, &action),
        button,
        danger: which != AccountAction::Enable,
        back: page.links.service_account(&id),
        overlap: None,
        form_error: None,
    };
    page.render(StatusCode::OK, &view)
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// Disables, enables or deletes an account; back with a flash (the tab
/// after a delete). Needs service_accounts:update or service_accounts:delete.
pub async fn action_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, id, action)): Path<(String, String, String)>,
) -> UiResult {
    let which = account_action(&action)?;
    let sid = account_id(&id)?;
    let app = page.app();
    let (back, outcome) = match which {
        AccountAction::Disable => (
            page.links.service_account(&id),
            roster_app::service_accounts::set_enabled(app, &page.access, sid, false, &meta)
                .await
                .map(|a| format!("{} is disabled: its tokens no longer work.", a.name)),
        ),
        AccountAction::Enable => (
            page.links.service_account(&id),
            roster_app::service_accounts::set_enabled(app, &page.access, sid, true, &meta)
                .await
                .map(|a| format!("{} is enabled again.", a.name)),
        ),
        AccountAction::Delete => (
            page.links.service_accounts(),
            roster_app::service_accounts::delete(app, &page.access, sid, &meta)
                .await
                .map(|a| format!("{} is deleted and its tokens are revoked.", a.name)),
        ),
    };
    crate::ui::after_action(&back, outcome)
}
