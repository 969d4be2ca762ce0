//! The invite form ("+ Invite User"), the multi-row form (seed 004's
//! method 3) and the page listing each row's outcome.
use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::Query;
use axum::http::StatusCode;
use roster_app::invitations::{InvitationInput, Invited};
use roster_app::{AppError, ConflictKind};
use serde::Deserialize;

use crate::extract::Meta;
use crate::ui::form::{Pairs, field, fields};
use crate::ui::members::{
    GrantRow, ProductChoice, grant_rows, grant_values, grants_from_form, is_products_refusal, product_choices,
};
use crate::ui::{FormErrors, Frame, OrgPage, TabKey, UiResult, redirect_with_flash};

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage {
    frame: Frame,
    first_name: String,
    last_name: String,
    email: String,
    send_email: bool,
    first_name_error: Option<String>,
    last_name_error: Option<String>,
    email_error: Option<String>,
    form_error: Option<String>,
    roles: Vec<crate::ui::form::RoleBox>,
    custom: bool,
    grant_rows: Vec<GrantRow>,
    /// The products offered (none without licenses:update).
    products: Vec<ProductChoice>,
    /// Why the products ticked were refused.
    products_error: Option<String>,
}

/// What the invite form holds, as typed.
struct InviteDraft {
    first_name: String,
    last_name: String,
    email: String,
    roles: Option<Vec<String>>,
    send_email: bool,
    custom: bool,
    grants: BTreeMap<String, String>,
    /// The product keys ticked: the invitee holds their seats from the start.
    products: Vec<String>,
}

impl InviteDraft {
    fn from_form(pairs: &Pairs) -> Self {
        Self {
            first_name: field(pairs, "first_name").to_string(),
            last_name: field(pairs, "last_name").to_string(),
            email: field(pairs, "email").to_string(),
            roles: Some(fields(pairs, "roles").into_iter().filter(|r| !r.is_empty()).map(str::to_string).collect()),
            send_email: field(pairs, "send_email") == "on",
            custom: field(pairs, "perm_mode") == "custom",
            grants: grant_values(pairs),
            products: ticked_products(pairs, "products"),
        }
    }

    fn input(&self) -> InvitationInput {
        InvitationInput {
            email: self.email.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            roles: self.roles.clone(),
            grants: Some(grants_from_form(self.custom, &self.grants)),
            send_email: self.send_email,
            products: self.products.clone(),
        }
    }
}

/// The product keys ticked in a form's `name` boxes.
fn ticked_products(pairs: &Pairs, name: &str) -> Vec<String> {
    fields(pairs, name).into_iter().filter(|p| !p.is_empty()).map(str::to_string).collect()
}

/// The form's errors: validation by field, a duplicate address under the
/// email box, no seats beside the products, the rest for the form.
fn invite_errors(e: AppError) -> Result<FormErrors, crate::ui::UiError> {
    if let AppError::Conflict { kind: ConflictKind::AlreadyMember | ConflictKind::AlreadyInvited, detail } = &e {
        let mut errors = FormErrors { status: StatusCode::CONFLICT, ..Default::default() };
        errors.fields.insert("email".into(), detail.clone());
        return Ok(errors);
    }
    let about_products = is_products_refusal(&e);
    let mut errors = FormErrors::from_refusal(e, &["email", "first_name", "last_name", "products"])?;
    if about_products && let Some(why) = errors.form.take() {
        errors.fields.insert("products".into(), why);
    }
    Ok(errors)
}

async fn invite_view(page: &OrgPage, draft: Option<InviteDraft>, errors: FormErrors) -> UiResult {
    let form = match roster_app::invitations::invite_form(&page.access) {
        Ok(f) => f,
        Err(e) => return page.refusal_in_frame(TabKey::Users, "You cannot invite people here", e).await,
    };
    let draft = draft.unwrap_or_else(|| InviteDraft {
        first_name: String::new(),
        last_name: String::new(),
        email: String::new(),
        roles: Some(form.roles.iter().filter(|o| o.default).map(|o| o.role.id.to_string()).collect()),
        send_email: true,
        custom: false,
        grants: BTreeMap::new(),
        products: vec![],
    });
    let offers = roster_app::products::product_offers(page.app(), &page.access, &[]).await?;
    let chosen = draft.roles.clone().unwrap_or_default();
    let roles = crate::ui::form::role_boxes(&form.roles, &chosen);
    let view = InvitePage {
        frame: page.frame(TabKey::Users).await?,
        grant_rows: grant_rows(&page.access, &form.grantable, &draft.grants),
        first_name: draft.first_name,
        last_name: draft.last_name,
        email: draft.email,
        send_email: draft.send_email,
        first_name_error: errors.field("first_name"),
        last_name_error: errors.field("last_name"),
        email_error: errors.field("email"),
        form_error: errors.form.clone(),
        roles,
        custom: draft.custom,
        products: product_choices(&offers, &draft.products),
        products_error: errors.field("products"),
    };
    page.render(errors.status, &view)
}

/// The invite form. Needs invitations:create.
pub async fn invite_page(page: OrgPage) -> UiResult {
    invite_view(&page, None, FormErrors { status: StatusCode::OK, ..Default::default() }).await
}

/// Sends an invitation from the form; on a refusal shows the form again as
/// typed, with the reason next to the field. Needs invitations:create.
pub async fn invite_submit(page: OrgPage, Meta(meta): Meta, Form(pairs): Form<Pairs>) -> UiResult {
    let draft = InviteDraft::from_form(&pairs);
    match roster_app::invitations::invite(page.app(), &page.access, &draft.input(), &meta).await {
        Ok(invited) if invited.accept_url.is_some() => {
            result_view(&page, vec![Outcome::of(&draft.email, Ok(invited))]).await
        }
        Ok(invited) => Ok(redirect_with_flash(
            &page.links.users(),
            "ok",
            &format!("Invited {}. The invitation is on its way by email.", invited.invitation.email),
        )),
        Err(e) => invite_view(&page, Some(draft), invite_errors(e)?).await,
    }
}

/// One row of the multi-row form, as typed, with what is wrong with it.
pub struct ManyRow {
    index: usize,
    first_name: String,
    last_name: String,
    email: String,
    role: String,
    /// The product keys ticked in the row.
    products: Vec<String>,
    /// Why the row was refused (`None` when it is fine or untouched).
    error: Option<String>,
    /// The boxes to mark (`email`, `first_name`, `last_name`, `role`, `products`).
    bad: Vec<&'static str>,
}

impl ManyRow {
    fn blank(index: usize, role: &str) -> Self {
        Self {
            index,
            first_name: String::new(),
            last_name: String::new(),
            email: String::new(),
            role: role.to_string(),
            products: vec![],
            error: None,
            bad: vec![],
        }
    }

    fn has_product(&self, key: &str) -> bool {
        self.products.iter().any(|p| p == key)
    }

    fn is_bad(&self, name: &str) -> bool {
        self.bad.contains(&name)
    }

    fn is_blank(&self) -> bool {
        self.first_name.trim().is_empty() && self.last_name.trim().is_empty() && self.email.trim().is_empty()
    }

    fn input(&self, send_email: bool) -> InvitationInput {
        InvitationInput {
            email: self.email.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            roles: Some(if self.role.is_empty() { vec![] } else { vec![self.role.clone()] }),
            grants: None,
            send_email,
            products: self.products.clone(),
        }
    }
}

/// The most rows the form generates.
const MANY_MAX: usize = 50;

#[derive(Template)]
#[template(path = "invite_many.html")]
struct InviteManyPage {
    frame: Frame,
    count: usize,
    count_options: Vec<usize>,
    rows: Vec<ManyRow>,
    /// (role id, name, why it cannot be given).
    role_options: Vec<(String, String, Option<String>)>,
    /// The products each row may offer (none without licenses:update).
    product_options: Vec<ProductChoice>,
    send_email: bool,
    form_error: Option<String>,
}

async fn many_view(
    page: &OrgPage,
    rows: Vec<ManyRow>,
    send_email: bool,
    status: StatusCode,
    form_error: Option<String>,
) -> UiResult {
    let form = match roster_app::invitations::invite_form(&page.access) {
        Ok(f) => f,
        Err(e) => return page.refusal_in_frame(TabKey::Users, "You cannot invite people here", e).await,
    };
    let role_options =
        form.roles.iter().map(|o| (o.role.id.to_string(), o.role.name.clone(), o.refusal.clone())).collect();
    let offers = roster_app::products::product_offers(page.app(), &page.access, &[]).await?;
    let view = InviteManyPage {
        frame: page.frame(TabKey::Users).await?,
        product_options: product_choices(&offers, &[]),
        count: rows.len(),
        count_options: vec![1, 2, 3, 5, 10, 20, 30, 50],
        rows,
        role_options,
        send_email,
        form_error,
    };
    page.render(status, &view)
}

fn default_role(page: &OrgPage) -> String {
    roster_app::invitations::invite_form(&page.access)
        .ok()
        .and_then(|f| f.roles.into_iter().find(|o| o.default).map(|o| o.role.id.to_string()))
        .unwrap_or_default()
}

#[derive(Deserialize)]
pub struct ManyQuery {
    #[serde(default)]
    rows: Option<usize>,
}

/// The multi-row form: "Generate rows" asks for it with `?rows=N`.
pub async fn invite_many_page(page: OrgPage, Query(q): Query<ManyQuery>) -> UiResult {
    let n = q.rows.unwrap_or(3).clamp(1, MANY_MAX);
    let role = default_role(&page);
    let rows = (0..n).map(|i| ManyRow::blank(i, &role)).collect();
    many_view(&page, rows, true, StatusCode::OK, None).await
}

/// What a refused row says, and which of its boxes are wrong.
fn row_problem(e: &AppError) -> (String, Vec<&'static str>) {
    let column = |f: &str| -> Option<(&'static str, &'static str)> {
        match f {
            "email" => Some(("email", "Email")),
            "first_name" => Some(("first_name", "First name")),
            "last_name" => Some(("last_name", "Last name")),
            f if f.starts_with("roles") => Some(("role", "Role")),
            f if f.starts_with("products") => Some(("products", "Products")),
            _ => None,
        }
    };
    match e {
        AppError::Validation(v) => {
            let mut bad = Vec::new();
            let words: Vec<String> = v
                .errors
                .iter()
                .map(|x| match column(&x.field) {
                    Some((name, label)) => {
                        bad.push(name);
                        format!("{label} {}.", x.message)
                    }
                    None => format!("{} {}.", x.field, x.message),
                })
                .collect();
            (words.join(" "), bad)
        }
        AppError::Conflict { kind: ConflictKind::AlreadyMember | ConflictKind::AlreadyInvited, detail } => {
            (format!("{detail}."), vec!["email"])
        }
        AppError::Escalation(why) => (format!("{why}."), vec!["role"]),
        other if is_products_refusal(other) => {
            (format!("{}.", crate::error::problem_for(other).detail), vec!["products"])
        }
        other => (crate::error::problem_for(other).detail, vec![]),
    }
}

/// "Create users": checks every filled row first; when any is refused,
/// shows the form again with every row as typed and each refused row's
/// reason beside it, and invites nobody. Otherwise invites each row and
/// lists each row's outcome. Needs invitations:create.
pub async fn invite_many_submit(page: OrgPage, Meta(meta): Meta, Form(pairs): Form<Pairs>) -> UiResult {
    let n = field(&pairs, "rows").parse::<usize>().unwrap_or(0).clamp(1, MANY_MAX);
    let send_email = field(&pairs, "send_email") == "on";
    let mut rows: Vec<ManyRow> = (0..n)
        .map(|i| ManyRow {
            index: i,
            first_name: field(&pairs, &format!("first_name_{i}")).to_string(),
            last_name: field(&pairs, &format!("last_name_{i}")).to_string(),
            email: field(&pairs, &format!("email_{i}")).to_string(),
            role: field(&pairs, &format!("role_{i}")).to_string(),
            products: ticked_products(&pairs, &format!("products_{i}")),
            error: None,
            bad: vec![],
        })
        .collect();
    let filled: Vec<usize> = rows.iter().filter(|r| !r.is_blank()).map(|r| r.index).collect();
    if filled.is_empty() {
        let msg = "Fill in at least one row: a first name and an email.".to_string();
        return many_view(&page, rows, send_email, StatusCode::UNPROCESSABLE_ENTITY, Some(msg)).await;
    }
    let inputs: Vec<InvitationInput> = filled.iter().map(|i| rows[*i].input(send_email)).collect();
    let checks = match roster_app::invitations::check_batch(page.app(), &page.access, &inputs).await {
        Ok(c) => c,
        Err(e) => {
            let errors = FormErrors::from_refusal(e, &[])?;
            return many_view(&page, rows, send_email, errors.status, errors.form).await;
        }
    };
    let mut refused = false;
    for (i, check) in filled.iter().zip(&checks) {
        if let Err(e) = check {
            let (message, bad) = row_problem(e);
            rows[*i].error = Some(message);
            rows[*i].bad = bad;
            refused = true;
        }
    }
    if refused {
        let n = rows.iter().filter(|r| r.error.is_some()).count();
        let msg = format!(
            "{n} {} a change; nobody was invited yet. The other rows are kept as typed.",
            if n == 1 { "row needs" } else { "rows need" }
        );
        return many_view(&page, rows, send_email, StatusCode::UNPROCESSABLE_ENTITY, Some(msg)).await;
    }
    let results = roster_app::invitations::invite_batch(page.app(), &page.access, &inputs, &meta).await?;
    let outcomes = filled.iter().zip(results).map(|(i, r)| Outcome::of(&rows[*i].email, r)).collect();
    result_view(&page, outcomes).await
}

/// One row's outcome on the result page.
pub struct Outcome {
    email: String,
    ok: bool,
    message: String,
    /// The accept link, when no email carries it.
    link: Option<String>,
}

impl Outcome {
    fn of(typed: &str, r: Result<Invited, AppError>) -> Self {
        match r {
            Ok(i) => Self {
                message: match &i.accept_url {
                    Some(_) => "Invited; no email was sent: hand them this link.".into(),
                    None => "Invited; the invitation is on its way by email.".into(),
                },
                email: i.invitation.email,
                ok: true,
                link: i.accept_url,
            },
            Err(e) => Self { email: typed.to_string(), ok: false, message: row_problem(&e).0, link: None },
        }
    }
}

#[derive(Template)]
#[template(path = "invite_result.html")]
struct ResultPage {
    frame: Frame,
    outcomes: Vec<Outcome>,
    invited: usize,
    failed: usize,
}

async fn result_view(page: &OrgPage, outcomes: Vec<Outcome>) -> UiResult {
    let invited = outcomes.iter().filter(|o| o.ok).count();
    let view =
        ResultPage { frame: page.frame(TabKey::Users).await?, failed: outcomes.len() - invited, invited, outcomes };
    page.render(StatusCode::OK, &view)
}
