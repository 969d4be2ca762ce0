//! Invitations in the UI: the invite form ("+ Invite User"), the multi-row
//! form (seed 004's method 3), the Invitations tab with resend and cancel
//! (per row and in bulk, each after a confirmation), and the public page of
//! an invitation link.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use roster_app::invitations::{AcceptInput, InvitationAction, InvitationInput, InvitationView, Invited, bulk_states};
use roster_app::{AppError, ConflictKind};
use roster_domain::InvitationId;
use roster_domain::invitations::InvitationState;
use serde::Deserialize;

use super::form::{Pairs, field, fields};
use super::members::{GrantRow, grant_rows, grant_values, grants_from_form};
use super::{FormErrors, Frame, OrgPage, TabKey, UiResult, error_page, redirect_with_flash, render, safe_path};
use crate::AppState;
use crate::extract::{Meta, SESSION_COOKIE, cookie, optional_session, session_cookie};
use crate::format;

/// A role's checkbox (or option) on an invite form.
pub struct RoleBox {
    id: String,
    name: String,
    description: String,
    checked: bool,
    disabled: bool,
    /// Why it cannot be given here.
    hint: String,
}

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
    roles: Vec<RoleBox>,
    custom: bool,
    grant_rows: Vec<GrantRow>,
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
        }
    }
}

/// The form's errors: validation by field, a duplicate address under the
/// email box, the rest for the form.
fn invite_errors(e: AppError) -> Result<FormErrors, super::UiError> {
    if let AppError::Conflict { kind: ConflictKind::AlreadyMember | ConflictKind::AlreadyInvited, detail } = &e {
        let mut errors = FormErrors { status: StatusCode::CONFLICT, ..Default::default() };
        errors.fields.insert("email".into(), detail.clone());
        return Ok(errors);
    }
    FormErrors::from_refusal(e, &["email", "first_name", "last_name"])
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
    });
    let chosen = draft.roles.clone().unwrap_or_default();
    let roles = form
        .roles
        .iter()
        .map(|o| {
            let id = o.role.id.to_string();
            RoleBox {
                checked: chosen.iter().any(|x| *x == id || *x == o.role.key),
                id,
                name: o.role.name.clone(),
                description: o.role.description.clone(),
                disabled: o.refusal.is_some(),
                hint: o.refusal.clone().unwrap_or_default(),
            }
        })
        .collect();
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
    /// Why the row was refused (`None` when it is fine or untouched).
    error: Option<String>,
    /// The boxes to mark (`email`, `first_name`, `last_name`, `role`).
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
            error: None,
            bad: vec![],
        }
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
    let view = InviteManyPage {
        frame: page.frame(TabKey::Users).await?,
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

/// A row of the Invitations tab.
pub struct InvitationRow {
    id: String,
    name: String,
    email: String,
    roles: Vec<String>,
    state: &'static str,
    state_label: &'static str,
    invited_by: String,
    sent: String,
    expires: String,
    resends: i64,
    actions: Vec<(&'static str, &'static str)>,
}

fn row(v: InvitationView, actions: Vec<InvitationAction>) -> InvitationRow {
    let expires = match v.state {
        InvitationState::Pending => format::date(v.expires_at),
        InvitationState::Expired => format!("Expired {}", format::date(v.expires_at)),
        InvitationState::Accepted => v.accepted_at.map(|t| format!("Accepted {}", format::date(t))).unwrap_or_default(),
        InvitationState::Canceled => v.canceled_at.map(|t| format!("Canceled {}", format::date(t))).unwrap_or_default(),
    };
    InvitationRow {
        id: v.id.to_string(),
        name: roster_domain::invitations::display_name(&v.first_name, &v.last_name),
        email: v.email,
        roles: v.roles.into_iter().map(|r| r.name).collect(),
        state: v.state.as_str(),
        state_label: v.state.label(),
        invited_by: v.invited_by,
        sent: format::date(v.sent_at),
        expires,
        resends: v.resend_count,
        actions: actions.into_iter().map(|a| (a.as_str(), a.label())).collect(),
    }
}

/// A status badge of the Invitations tab.
pub struct StateBadge {
    key: &'static str,
    label: &'static str,
    count: String,
    href: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "invitations.html")]
struct InvitationsPage {
    frame: Frame,
    badges: Vec<StateBadge>,
    all_href: String,
    all_active: bool,
    rows: Vec<InvitationRow>,
    next_href: Option<String>,
    first_href: Option<String>,
    can_invite: bool,
    /// The bulk buttons' links, when the filter covers open invitations and the actor may.
    resend_all_href: Option<String>,
    cancel_all_href: Option<String>,
    return_to: String,
}

fn status_query(state: Option<InvitationState>, extra: &[(&str, String)]) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(s) = state {
        pairs.push(("status", s.as_str().into()));
    }
    pairs.extend(extra.iter().cloned());
    serde_urlencoded::to_string(&pairs).unwrap_or_default()
}

fn with_query(path: &str, q: String) -> String {
    if q.is_empty() { path.to_string() } else { format!("{path}?{q}") }
}

/// The Invitations tab: newest first, filtered by status. Needs invitations:read.
pub async fn invitations_page(page: OrgPage, RawQuery(raw): RawQuery) -> UiResult {
    let path = page.links.invitations();
    let Ok(req) = crate::api::invitations::parse_list_query(raw.as_deref(), false) else {
        return Ok(Redirect::to(&path).into_response());
    };
    let list = match roster_app::invitations::list(page.app(), &page.access, &req).await {
        Ok(l) => l,
        Err(AppError::Validation(_)) => {
            return Ok(Redirect::to(&with_query(&path, status_query(req.state, &[]))).into_response());
        }
        Err(e) => return page.refusal_in_frame(TabKey::Invitations, "You cannot see the invitations", e).await,
    };
    let actions = roster_app::invitations::row_actions(page.app(), &page.access, &list.items).await?;
    let plus = if list.counts_capped { "+" } else { "" };
    let badges = list
        .counts
        .iter()
        .map(|(s, n)| StateBadge {
            key: s.as_str(),
            label: s.label(),
            count: format!("{}{plus}", format::count(*n)),
            href: with_query(&path, status_query(Some(*s), &[])),
            active: req.state == Some(*s),
        })
        .collect();
    let bulk_href = |a: InvitationAction| {
        let open = bulk_states(req.state).is_ok();
        let permitted = match a {
            InvitationAction::Resend => page.access.can(roster_app::access::Permission::INVITATIONS_UPDATE),
            InvitationAction::Cancel => page.access.can(roster_app::access::Permission::INVITATIONS_DELETE),
        };
        (open && permitted).then(|| {
            with_query(&page.links.invitations_bulk(), status_query(req.state, &[("action", a.as_str().into())]))
        })
    };
    let current = with_query(
        &path,
        status_query(req.state, &req.cursor.iter().map(|c| ("cursor", c.clone())).collect::<Vec<_>>()),
    );
    let view = InvitationsPage {
        frame: page.frame(TabKey::Invitations).await?,
        badges,
        all_href: path.clone(),
        all_active: req.state.is_none(),
        next_href: list.next_cursor.map(|c| with_query(&path, status_query(req.state, &[("cursor", c)]))),
        first_href: req.cursor.as_ref().map(|_| with_query(&path, status_query(req.state, &[]))),
        rows: list.items.into_iter().zip(actions).map(|(v, a)| row(v, a)).collect(),
        can_invite: roster_app::invitations::may_invite(&page.access),
        resend_all_href: bulk_href(InvitationAction::Resend),
        cancel_all_href: bulk_href(InvitationAction::Cancel),
        return_to: current,
    };
    page.render(StatusCode::OK, &view)
}

#[derive(Template)]
#[template(path = "invitation_confirm.html")]
struct ConfirmPage {
    frame: Frame,
    title: String,
    /// (label, value) facts about what will change.
    facts: Vec<(String, String)>,
    notes: Vec<String>,
    /// Nothing to do (the button is not offered).
    nothing: bool,
    action: &'static str,
    button: String,
    danger: bool,
    post_to: String,
    status: String,
    return_to: String,
}

fn parse_invitation(id: &str) -> Result<InvitationId, AppError> {
    id.parse().map_err(|_| AppError::NotFound("invitation"))
}

#[derive(Deserialize)]
pub struct ReturnQuery {
    #[serde(default)]
    return_to: String,
}

/// The confirm step of one invitation's resend or cancel.
pub async fn action_confirm(
    page: OrgPage,
    Path((_, id, action)): Path<(String, String, String)>,
    Query(q): Query<ReturnQuery>,
) -> UiResult {
    let action = InvitationAction::parse(&action).ok_or(AppError::NotFound("page"))?;
    let v = roster_app::invitations::get(page.app(), &page.access, parse_invitation(&id)?).await?;
    let back = safe_path(&q.return_to, &page.links.invitations());
    let name = roster_domain::invitations::display_name(&v.first_name, &v.last_name);
    let (title, button, notes, danger) = match action {
        InvitationAction::Resend => (
            format!("Send the invitation of {} again?", v.email),
            "Send again".to_string(),
            vec!["A new link goes out by email; the link sent before stops working.".to_string()],
            false,
        ),
        InvitationAction::Cancel => (
            format!("Cancel the invitation of {}?", v.email),
            "Cancel the invitation".to_string(),
            vec!["The link stops working and they leave the Users list; the invitation stays listed here.".to_string()],
            true,
        ),
    };
    let facts = vec![
        ("Name".to_string(), name),
        ("Status".to_string(), v.state.label().to_string()),
        ("Invited by".to_string(), v.invited_by.clone()),
        ("Sent".to_string(), format::date(v.sent_at)),
        ("Expires".to_string(), format::date(v.expires_at)),
    ];
    let view = ConfirmPage {
        frame: page.frame(TabKey::Invitations).await?,
        title,
        facts,
        notes,
        nothing: !v.state.is_open(),
        action: action.as_str(),
        button,
        danger,
        post_to: page.links.invitation_action(&v.id.to_string(), action.as_str()),
        status: String::new(),
        return_to: back,
    };
    page.render(StatusCode::OK, &view)
}

#[derive(Deserialize)]
pub struct ReturnForm {
    #[serde(default)]
    return_to: String,
}

/// Sends one invitation again, or cancels it.
pub async fn action_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, id, action)): Path<(String, String, String)>,
    Form(f): Form<ReturnForm>,
) -> UiResult {
    let back = safe_path(&f.return_to, &page.links.invitations());
    let action = InvitationAction::parse(&action).ok_or(AppError::NotFound("page"))?;
    let id = parse_invitation(&id)?;
    let done = match action {
        InvitationAction::Resend => roster_app::invitations::resend(page.app(), &page.access, id, &meta).await,
        InvitationAction::Cancel => roster_app::invitations::cancel(page.app(), &page.access, id, &meta).await,
    };
    match done {
        Ok(v) => {
            let what = match action {
                InvitationAction::Resend => format!("Sent the invitation of {} again.", v.email),
                InvitationAction::Cancel => format!("Canceled the invitation of {}.", v.email),
            };
            Ok(redirect_with_flash(&back, "ok", &what))
        }
        Err(e @ (AppError::Conflict { .. } | AppError::Forbidden(_) | AppError::Escalation(_))) => {
            Ok(redirect_with_flash(&back, "error", &crate::error::problem_for(&e).detail))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct BulkQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    status: String,
}

fn bulk_filter(status: &str) -> Result<Option<InvitationState>, AppError> {
    if status.is_empty() { Ok(None) } else { Ok(Some(status.parse()?)) }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "invitation" } else { "invitations" }
}

/// The confirm step of "Resend all" / "Cancel all": says how many.
pub async fn bulk_confirm(page: OrgPage, Query(q): Query<BulkQuery>) -> UiResult {
    let action = InvitationAction::parse(&q.action).ok_or(AppError::NotFound("page"))?;
    let filter = bulk_filter(&q.status)?;
    let preview = roster_app::invitations::preview_bulk(page.app(), &page.access, action, filter).await?;
    let which = match filter {
        Some(s) => format!("{} invitations", s.label()),
        None => "Pending and expired invitations".to_string(),
    };
    let verb = match action {
        InvitationAction::Resend => "Send again",
        InvitationAction::Cancel => "Cancel",
    };
    let mut notes = vec![match action {
        InvitationAction::Resend => "Each gets a new link by email; the links sent before stop working.".to_string(),
        InvitationAction::Cancel => "Their links stop working and the invited people leave the Users list.".to_string(),
    }];
    if preview.skipped > 0 {
        notes.push(format!(
            "{} {} will be left as is: the invitee holds permissions you do not, or is no longer invited.",
            format::count(preview.skipped),
            plural(preview.skipped)
        ));
    }
    let view = ConfirmPage {
        frame: page.frame(TabKey::Invitations).await?,
        title: format!("{verb} {} {}?", format::count(preview.changed), plural(preview.changed)),
        facts: vec![("Which".to_string(), which)],
        notes,
        nothing: preview.changed == 0,
        action: action.as_str(),
        button: format!("{verb} {} {}", format::count(preview.changed), plural(preview.changed)),
        danger: action == InvitationAction::Cancel,
        post_to: page.links.invitations_bulk(),
        status: q.status.clone(),
        return_to: with_query(&page.links.invitations(), status_query(filter, &[])),
    };
    page.render(StatusCode::OK, &view)
}

#[derive(Deserialize)]
pub struct BulkForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    return_to: String,
}

/// Runs a confirmed bulk resend or cancel and says how many.
pub async fn bulk_submit(page: OrgPage, Meta(meta): Meta, Form(f): Form<BulkForm>) -> UiResult {
    let action = InvitationAction::parse(&f.action).ok_or(AppError::NotFound("page"))?;
    let filter = bulk_filter(&f.status)?;
    let o = roster_app::invitations::bulk(page.app(), &page.access, action, filter, &meta).await?;
    let past = match action {
        InvitationAction::Resend => "sent again",
        InvitationAction::Cancel => "canceled",
    };
    let skipped = if o.skipped > 0 { format!(" {} left as is.", format::count(o.skipped)) } else { String::new() };
    Ok(redirect_with_flash(
        &safe_path(&f.return_to, &page.links.invitations()),
        "ok",
        &format!("{} {} {past}.{skipped}", format::count(o.changed), plural(o.changed)),
    ))
}

#[derive(Template)]
#[template(path = "accept.html")]
struct AcceptPage {
    token: String,
    org_name: String,
    email: String,
    invited_by: String,
    roles: Vec<String>,
    expires: String,
    /// `new` (choose a name and password), `signed-in` (one button) or `sign-in`.
    mode: &'static str,
    name: String,
    csrf: Option<String>,
    min_password: usize,
    name_error: Option<String>,
    password_error: Option<String>,
    error: Option<String>,
}

/// The CSRF token for a form posted with whatever session cookie the
/// browser holds (a post that carries a cookie must carry its token).
fn csrf_of(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE).map(roster_app::tokens::csrf_for_session)
}

async fn accept_view(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
    status: StatusCode,
    name: Option<String>,
    errors: FormErrors,
) -> Response {
    let viewer = optional_session(headers, state).await;
    let preview = match roster_app::invitations::preview(&state.app, token, viewer.as_ref().map(|(p, _)| p)).await {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    let mode = match (preview.has_account, preview.signed_in_as_invitee) {
        (false, _) => "new",
        (true, true) => "signed-in",
        (true, false) => "sign-in",
    };
    render(
        status,
        &AcceptPage {
            token: token.to_string(),
            org_name: preview.org_name,
            name: name.unwrap_or(preview.name),
            email: preview.email,
            invited_by: preview.invited_by,
            roles: preview.roles,
            expires: format::date(preview.expires_at),
            mode,
            csrf: csrf_of(headers),
            min_password: roster_app::auth::PASSWORD_MIN,
            name_error: errors.field("name"),
            password_error: errors.field("password"),
            error: errors.form,
        },
    )
}

/// The page of an invitation link: choose a name and password (a new
/// account), accept with one button (signed in as the invitee), or sign in
/// to accept (an existing account). A bad, used, expired or canceled link
/// gets one plain page that says so and nothing else.
pub async fn accept_page(State(state): State<AppState>, headers: HeaderMap, Path(token): Path<String>) -> Response {
    accept_view(&state, &headers, &token, StatusCode::OK, None, FormErrors::default()).await
}

#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// Accepts the invitation and lands the invitee, signed in, in the organization.
pub async fn accept_submit(
    State(state): State<AppState>,
    Meta(meta): Meta,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<AcceptForm>,
) -> Response {
    let viewer = optional_session(&headers, &state).await;
    let input = AcceptInput { token: token.clone(), name: f.name.clone(), password: f.password.clone() };
    match roster_app::invitations::accept(&state.app, &input, viewer.as_ref().map(|(p, _)| p), &meta).await {
        Ok(accepted) => {
            let to = super::paths::OrgLinks::new(&accepted.org.slug).users();
            let mut res = redirect_with_flash(&to, "ok", &format!("Welcome to {}.", accepted.org.name));
            if let Some(s) = accepted.session {
                let max_age = (s.expires_at.0 - state.app.clock.now().0) / 1000;
                if let Ok(v) = session_cookie(&s.token, state.secure_cookies, max_age).parse() {
                    res.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            res
        }
        Err(AppError::Validation(v)) => {
            let errors = FormErrors::from_refusal(AppError::Validation(v), &["name", "password"]).unwrap_or_default();
            accept_view(&state, &headers, &token, StatusCode::UNPROCESSABLE_ENTITY, f.name, errors).await
        }
        Err(AppError::InvalidCredentials) => {
            let errors = FormErrors::form("The password is wrong.");
            accept_view(&state, &headers, &token, StatusCode::UNAUTHORIZED, None, errors).await
        }
        Err(AppError::Unauthenticated) => {
            let errors = FormErrors::form("Sign in with your password to accept.");
            accept_view(&state, &headers, &token, StatusCode::UNAUTHORIZED, None, errors).await
        }
        Err(e @ AppError::TooManyAttempts { retry_after_s }) => {
            let errors = FormErrors::form(crate::error::problem_for(&e).detail);
            let page = accept_view(&state, &headers, &token, StatusCode::TOO_MANY_REQUESTS, None, errors).await;
            ([(header::RETRY_AFTER, retry_after_s.to_string())], page).into_response()
        }
        Err(e) => error_page(&e),
    }
}
