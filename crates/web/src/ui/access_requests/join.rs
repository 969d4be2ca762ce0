//! The requester's pages, outside any organization: the join page
//! (`/join/{slug}?code=…`: ask with a message, or why they cannot), "My
//! access requests" with Withdraw and the "Join your team" suggestions, and
//! the home page of a user with no active organization, which shows the
//! same.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use roster_app::AppError;
use roster_app::access_requests::{MyRequest, Standing};
use roster_domain::MemberStatus;
use serde::Deserialize;

use crate::extract::Meta;
use crate::format;
use crate::ui::kit::Flash;
use crate::ui::paths::{self, OrgLinks};
use crate::ui::{FormErrors, UiResult, UserPage, redirect_with_flash, safe_path};

#[derive(Template)]
#[template(path = "join.html")]
struct JoinView {
    csrf: String,
    flash: Option<Flash>,
    org_name: String,
    /// The page's own path (with the code), where the form posts.
    action: String,
    code: String,
    /// `can-ask`, `member`, `invited`, `pending`, `cooling-down`.
    standing: &'static str,
    /// Why they cannot ask, in words.
    why: String,
    /// Where a member goes.
    org_href: String,
    /// The pending request's withdraw action.
    withdraw_action: String,
    message: String,
    message_error: Option<String>,
    form_error: Option<String>,
    user_email: String,
}

/// The join page's query.
#[derive(Deserialize)]
pub struct JoinQuery {
    #[serde(default)]
    code: String,
}

async fn join_view(page: &UserPage, slug: &str, code: &str, message: String, errors: FormErrors) -> UiResult {
    let code_opt = Some(code).filter(|c| !c.is_empty());
    let j = roster_app::access_requests::join_page(page.app(), &page.user.principal, slug, code_opt).await?;
    let action = paths::join(&j.slug, code_opt);
    let (standing, why, withdraw_action) = match &j.standing {
        Standing::CanAsk => ("can-ask", String::new(), String::new()),
        Standing::Member(MemberStatus::Active) => {
            ("member", format!("You are a member of {} already.", j.org_name), String::new())
        }
        Standing::Member(MemberStatus::Archived) => (
            "member",
            format!("You were a member of {}: ask one of its administrators to restore your account.", j.org_name),
            String::new(),
        ),
        Standing::Member(s) => (
            "member",
            format!(
                "You are a member of {} already ({}); ask one of its administrators if you cannot get in.",
                j.org_name, s
            ),
            String::new(),
        ),
        Standing::Invited => (
            "invited",
            format!(
                "You are invited to {} already: check your email for the invitation and accept it from there.",
                j.org_name
            ),
            String::new(),
        ),
        Standing::Pending(r) => (
            "pending",
            format!(
                "You asked to join {} on {}. An administrator decides; you are told by email. The request expires on {} without a decision.",
                j.org_name,
                format::date(r.created_at),
                format::date(r.expires_at)
            ),
            paths::my_request_withdraw(&r.id.to_string()),
        ),
        Standing::CoolingDown(at) => (
            "cooling-down",
            format!(
                "Your last request to join {} was denied; you may ask again from {}.",
                j.org_name,
                format::date_time(*at)
            ),
            String::new(),
        ),
    };
    page.render(
        errors.status,
        &JoinView {
            csrf: page.user.csrf(),
            flash: page.flash.clone(),
            org_href: OrgLinks::new(&j.slug).users(),
            org_name: j.org_name,
            action,
            code: code.to_string(),
            standing,
            why,
            withdraw_action,
            message,
            message_error: errors.field("message"),
            form_error: errors.form,
            user_email: page.user.principal.email.clone(),
        },
    )
}

/// The join page: the organization's name and "Ask to join" with a
/// message, or why the user cannot ask. 404 unless the organization accepts
/// a request from them (the join link's code, or their email's domain).
/// Signed out, the visitor is sent to sign in and comes back here.
pub async fn join_page(page: UserPage, Path(slug): Path<String>, Query(q): Query<JoinQuery>) -> UiResult {
    join_view(&page, &slug, &q.code, String::new(), FormErrors { status: StatusCode::OK, ..Default::default() }).await
}

/// The join form's fields.
#[derive(Deserialize)]
pub struct JoinForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// Asks to join: back to the join page, which now says the request waits.
/// A refusal shows the form again with the message kept.
pub async fn join_submit(
    page: UserPage,
    Meta(meta): Meta,
    Path(slug): Path<String>,
    Form(f): Form<JoinForm>,
) -> UiResult {
    let code = Some(f.code.as_str()).filter(|c| !c.is_empty());
    match roster_app::access_requests::create(page.app(), &page.user.principal, &slug, code, &f.message, &meta).await {
        Ok(_) => Ok(redirect_with_flash(
            &paths::join(&slug, code),
            "ok",
            "Your request is sent. An administrator decides, and you are told by email.",
        )),
        Err(e @ (AppError::TooManyAttempts { .. } | AppError::Busy { .. })) => {
            let errors = FormErrors {
                status: StatusCode::TOO_MANY_REQUESTS,
                ..FormErrors::form(crate::error::problem_for(&e).detail)
            };
            let res = join_view(&page, &slug, &f.code, f.message, errors).await?;
            Ok(crate::error::with_retry_after(&e, res))
        }
        Err(e) => {
            let errors = FormErrors::from_refusal(e, &["message"])?;
            join_view(&page, &slug, &f.code, f.message, errors).await
        }
    }
}

/// One of the user's requests as "My access requests" lists it.
pub struct MyRow {
    id: String,
    org_name: String,
    org_href: Option<String>,
    state: &'static str,
    state_label: &'static str,
    asked: String,
    /// When it was decided or expires, in words.
    outcome: String,
    reason: String,
    pending: bool,
    withdraw_action: String,
}

fn my_row(r: &MyRequest) -> MyRow {
    use roster_domain::access_requests::RequestState;
    let v = &r.request;
    let when = v.decided_at.map(format::date).unwrap_or_default();
    MyRow {
        id: v.id.to_string(),
        org_name: r.org_name.clone(),
        org_href: (v.state == RequestState::Approved).then(|| OrgLinks::new(&r.org_slug).users()),
        state: v.state.as_str(),
        state_label: v.state.label(),
        asked: format::date(v.created_at),
        outcome: match v.state {
            RequestState::Pending => format!("Expires {}", format::date(v.expires_at)),
            RequestState::Approved => format!("Approved {when}"),
            RequestState::Denied => format!("Denied {when}"),
            RequestState::Withdrawn => format!("Withdrawn {when}"),
            RequestState::Expired => format!("Expired {when}"),
        },
        reason: v.reason.clone().unwrap_or_default(),
        pending: v.state == RequestState::Pending,
        withdraw_action: paths::my_request_withdraw(&v.id.to_string()),
    }
}

#[derive(Template)]
#[template(path = "my_requests.html")]
struct MyRequestsView {
    csrf: String,
    flash: Option<Flash>,
    /// The home page of a user without an organization (its own title).
    home: bool,
    /// Whether the user belongs to an organization (a way back to it).
    has_orgs: bool,
    user_name: String,
    user_email: String,
    rows: Vec<MyRow>,
    /// (name, join page) of each "Join your team" suggestion.
    suggestions: Vec<(String, String)>,
}

async fn my_requests_view(page: &UserPage, home: bool) -> UiResult {
    let principal = &page.user.principal;
    let mine = roster_app::access_requests::mine(page.app(), principal).await?;
    let suggestions = roster_app::access_requests::suggestions(page.app(), principal).await?;
    let has_orgs = !home && !roster_app::orgs::active_memberships(page.app(), principal.user_id).await?.is_empty();
    page.render(
        StatusCode::OK,
        &MyRequestsView {
            csrf: page.user.csrf(),
            flash: page.flash.clone(),
            home,
            has_orgs,
            user_name: principal.name.clone(),
            user_email: principal.email.clone(),
            rows: mine.iter().map(my_row).collect(),
            suggestions: suggestions.into_iter().map(|s| (s.name, paths::join(&s.slug, None))).collect(),
        },
    )
}

/// "My access requests": the user's requests with their status (Withdraw on
/// a pending one) and the "Join your team" suggestions. Any signed-in user.
pub async fn my_requests_page(page: UserPage) -> UiResult {
    my_requests_view(&page, false).await
}

/// The home page of a user without an active organization: their
/// suggestions and requests instead of a bare "no organization" notice.
pub async fn home_without_org(page: UserPage) -> UiResult {
    my_requests_view(&page, true).await
}

/// Withdraw's form: where to go back to.
#[derive(Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    return_to: String,
}

/// Withdraws one of the user's pending requests; back where they were with
/// a flash (a request decided meanwhile says so instead).
pub async fn withdraw_submit(
    page: UserPage,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Form(f): Form<WithdrawForm>,
) -> UiResult {
    let back = safe_path(&f.return_to, paths::MY_REQUESTS);
    let id = crate::query::id(&id, "access request")?;
    crate::ui::after_action(
        &back,
        roster_app::access_requests::withdraw(page.app(), &page.user.principal, id, &meta)
            .await
            .map(|r| format!("Your request to join {} is withdrawn.", r.org_name)),
    )
}
