//! Partner organizations in the UI (issue 14): a partner's Customers tab
//! (search, filter, pages, a new customer, linking an existing
//! organization, unlinking), its Organization Groups tab ([`groups`]), and
//! a customer's own Partner tab ([`partner`]): who of the partner's staff
//! can act there, revoking the link, answering link requests.

pub mod groups;
pub mod partner;

use askama::Template;
use axum::Form;
use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use roster_app::AppError;
use roster_app::partners::CustomerQuery;
use roster_app::partners::customers::{self, CUSTOMERS_CREATE, CUSTOMERS_DELETE, NewCustomer};
use roster_domain::OrgId;
use roster_domain::partners::CustomerStatus;

use crate::extract::Meta;
use crate::format;
use crate::ui::form::{Pairs, field};
use crate::ui::service_accounts::ConfirmPage;
use crate::ui::{FormErrors, Frame, OrgPage, TabKey, UiResult, redirect_with_flash};

/// How many customers one page of the tab shows.
const PER_PAGE: u64 = 50;

/// A customer's row in the tab's table.
pub struct CustomerView {
    id: String,
    name: String,
    slug: String,
    open_href: String,
    unlink_href: String,
    status: &'static str,
    status_label: &'static str,
    active_members: i64,
    members: i64,
    seats_used: i64,
    seats: i64,
}

/// A link request the partner sent that waits for the organization's owner.
pub struct PendingView {
    name: String,
    slug: String,
    requested_by: String,
    requested: String,
}

/// A status filter's option.
pub struct StatusOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "customers.html")]
struct CustomersPage {
    frame: Frame,
    q: String,
    statuses: Vec<StatusOption>,
    rows: Vec<CustomerView>,
    total: i64,
    next_href: Option<String>,
    first_href: Option<String>,
    pending: Vec<PendingView>,
    sees_all: bool,
    can_create: bool,
    can_delete: bool,
    link_org: String,
    link_error: Option<String>,
}

/// The tab's query string: `q`, `status` (`active`, `invited`,
/// `link_pending`; anything else is every status), and the keyset of the
/// page (`after_name`, `after_id`).
fn customer_query(raw: Option<&str>) -> (String, Option<CustomerStatus>, CustomerQuery) {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let q = get("q");
    let status = get("status").parse::<CustomerStatus>().ok();
    let after = match (get("after_name"), get("after_id").parse::<OrgId>()) {
        (name, Ok(id)) => Some((name, id)),
        _ => None,
    };
    let query = CustomerQuery {
        q: (!q.is_empty()).then(|| q.clone()),
        status,
        within_groups: None,
        group: None,
        after,
        limit: PER_PAGE,
    };
    (q, status, query)
}

/// The tab's link with a search, a status and a keyset.
fn customers_href(page: &OrgPage, q: &str, status: Option<CustomerStatus>, after: Option<&(String, OrgId)>) -> String {
    let mut params: Vec<(&str, String)> = Vec::new();
    if !q.is_empty() {
        params.push(("q", q.to_string()));
    }
    if let Some(s) = status {
        params.push(("status", s.as_str().to_string()));
    }
    if let Some((name, id)) = after {
        params.push(("after_name", name.clone()));
        params.push(("after_id", id.to_string()));
    }
    let base = page.links.customers();
    if params.is_empty() {
        base
    } else {
        format!("{base}?{}", serde_urlencoded::to_string(&params).unwrap_or_default())
    }
}

/// The Customers tab: the customers the actor's roles reach, searched,
/// filtered and paged, the link requests waiting, and the forms to add one.
/// Needs customers:read.
pub async fn customers_page(page: OrgPage, RawQuery(raw): RawQuery) -> UiResult {
    customers_view(&page, raw.as_deref(), String::new(), FormErrors { status: StatusCode::OK, ..Default::default() })
        .await
}

/// The tab for `raw`'s query, with the link form holding `link_org` and its errors.
async fn customers_view(page: &OrgPage, raw: Option<&str>, link_org: String, errors: FormErrors) -> UiResult {
    let (q, status, query) = customer_query(raw);
    let paged = query.after.is_some();
    let list = match customers::list(page.app(), &page.access, query).await {
        Ok(l) => l,
        Err(e) => return page.refusal_in_frame(TabKey::Customers, "You cannot see the customers", e).await,
    };
    let rows = list
        .items
        .into_iter()
        .map(|c| {
            let id = c.org.id.to_string();
            CustomerView {
                open_href: page.links.users_of(&c.org.slug),
                unlink_href: page.links.customer_unlink(&id),
                id,
                name: c.org.name,
                slug: c.org.slug,
                status: c.status.as_str(),
                status_label: c.status.label(),
                active_members: c.active_members,
                members: c.members,
                seats_used: c.seats_used,
                seats: c.seats,
            }
        })
        .collect();
    let pending = list
        .pending
        .into_iter()
        .map(|r| PendingView {
            name: r.org.name,
            slug: r.org.slug,
            requested_by: r.requested_by_label,
            requested: format::date_time(r.created_at),
        })
        .collect();
    let view = CustomersPage {
        frame: page.frame(TabKey::Customers).await?,
        statuses: CustomerStatus::ALL
            .into_iter()
            .map(|s| StatusOption { value: s.as_str(), label: s.label(), selected: Some(s) == status })
            .collect(),
        next_href: list.next.as_ref().map(|k| customers_href(page, &q, status, Some(k))),
        first_href: paged.then(|| customers_href(page, &q, status, None)),
        q,
        rows,
        total: list.total,
        pending,
        sees_all: list.sees_all,
        can_create: list.sees_all && page.access.can(CUSTOMERS_CREATE),
        can_delete: list.sees_all && page.access.can(CUSTOMERS_DELETE),
        link_org,
        link_error: errors.field("org").or(errors.form.clone()),
    };
    page.render(errors.status, &view)
}

/// "Link an existing organization": asks its owner (id or slug in `org`);
/// back to the tab with a flash, or the tab again with the form's error.
/// Needs customers:create over every customer.
pub async fn link_submit(page: OrgPage, Meta(meta): Meta, Form(pairs): Form<Pairs>) -> UiResult {
    let org = field(&pairs, "org").to_string();
    if org.trim().is_empty() {
        let errors = FormErrors {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            fields: [("org".to_string(), "is required: the organization's slug".to_string())].into(),
            form: None,
        };
        return customers_view(&page, None, org, errors).await;
    }
    match customers::request_link(page.app(), &page.access, &org, &meta).await {
        Ok(target) => Ok(redirect_with_flash(
            &page.links.customers(),
            "ok",
            &format!("Link requested: {} appears here once its owner accepts.", target.name),
        )),
        Err(e) => {
            let errors = FormErrors::from_refusal(e, &["org"])?;
            customers_view(&page, None, org, errors).await
        }
    }
}

#[derive(Template)]
#[template(path = "customer_new.html")]
struct CustomerNewPage {
    frame: Frame,
    name: String,
    slug: String,
    presets: Vec<(String, String, bool)>,
    owner_email: String,
    owner_name: String,
    name_error: Option<String>,
    slug_error: Option<String>,
    preset_error: Option<String>,
    owner_email_error: Option<String>,
    owner_name_error: Option<String>,
    form_error: Option<String>,
}

/// What the new customer form holds, as typed.
struct CustomerDraft {
    name: String,
    slug: String,
    preset: String,
    owner_email: String,
    owner_name: String,
}

const CUSTOMER_FIELDS: &[&str] = &["name", "slug", "preset", "owner_email", "owner_name"];

async fn customer_form(page: &OrgPage, draft: CustomerDraft, errors: FormErrors) -> UiResult {
    let chosen = if draft.preset.is_empty() { roster_domain::permissions::DEFAULT_PRESET } else { &draft.preset };
    let presets = roster_domain::permissions::presets()
        .into_iter()
        .filter(|p| !p.is_partner())
        .map(|p| {
            let selected = p.key == chosen;
            (p.key, p.name, selected)
        })
        .collect();
    let view = CustomerNewPage {
        frame: page.frame(TabKey::Customers).await?,
        name: draft.name,
        slug: draft.slug,
        presets,
        owner_email: draft.owner_email,
        owner_name: draft.owner_name,
        name_error: errors.field("name"),
        slug_error: errors.field("slug"),
        preset_error: errors.field("preset"),
        owner_email_error: errors.field("owner_email"),
        owner_name_error: errors.field("owner_name"),
        form_error: errors.form.clone(),
    };
    page.render(errors.status, &view)
}

/// The new customer form: name, slug, preset (customer presets only),
/// owner's email and name. Needs customers:create.
pub async fn customer_new_page(page: OrgPage) -> UiResult {
    if !page.access.org.partner {
        return Err(AppError::NotFound("partner organization").into());
    }
    if !page.access.can(CUSTOMERS_CREATE) {
        let e = AppError::Forbidden("creating customers needs customers:create".into());
        return page.refusal_in_frame(TabKey::Customers, "You cannot create customers", e).await;
    }
    let draft = CustomerDraft {
        name: String::new(),
        slug: String::new(),
        preset: String::new(),
        owner_email: String::new(),
        owner_name: String::new(),
    };
    customer_form(&page, draft, FormErrors { status: StatusCode::OK, ..Default::default() }).await
}

/// Creates the customer and invites its owner; back to the tab. A refusal
/// shows the form again as typed. Needs customers:create over every customer.
pub async fn customer_new_submit(page: OrgPage, Meta(meta): Meta, Form(pairs): Form<Pairs>) -> UiResult {
    let draft = CustomerDraft {
        name: field(&pairs, "name").to_string(),
        slug: field(&pairs, "slug").trim().to_string(),
        preset: field(&pairs, "preset").trim().to_string(),
        owner_email: field(&pairs, "owner_email").trim().to_string(),
        owner_name: field(&pairs, "owner_name").to_string(),
    };
    let input = NewCustomer {
        name: draft.name.clone(),
        slug: draft.slug.clone(),
        preset: (!draft.preset.is_empty()).then(|| draft.preset.clone()),
        owner_email: draft.owner_email.clone(),
        owner_name: Some(draft.owner_name.trim().to_string()).filter(|n| !n.is_empty()),
    };
    match customers::create(page.app(), &page.access, input, &meta).await {
        Ok(org) => Ok(redirect_with_flash(
            &page.links.customers(),
            "ok",
            &format!("{} created; its owner {} was sent an invitation.", org.name, draft.owner_email),
        )),
        Err(e) => {
            let errors = FormErrors::from_refusal(e, CUSTOMER_FIELDS)?;
            customer_form(&page, draft, errors).await
        }
    }
}

/// The customer a path names, among the actor's reach (by id).
async fn find_customer(page: &OrgPage, id: &str) -> Result<roster_app::orgs::OrgRecord, AppError> {
    let id: OrgId = crate::query::id(id, "customer")?;
    // The tab's own list answers who the actor may see; a customer outside
    // it is missing, whatever exists.
    let mut after = None;
    loop {
        let query = CustomerQuery { after: after.take(), limit: customers::PAGE_MAX, ..Default::default() };
        let list = customers::list(page.app(), &page.access, query).await?;
        if let Some(c) = list.items.iter().find(|c| c.org.id == id) {
            return Ok(c.org.clone());
        }
        match list.next {
            Some(k) => after = Some(k),
            None => return Err(AppError::NotFound("customer")),
        }
    }
}

/// The confirm step of unlinking a customer. Needs customers:delete.
pub async fn unlink_confirm(page: OrgPage, Path((_, id)): Path<(String, String)>) -> UiResult {
    let customer = find_customer(&page, &id).await?;
    let view = ConfirmPage {
        frame: page.frame(TabKey::Customers).await?,
        title: format!("Unlink {}?", customer.name),
        notes: vec![
            format!("{} stays an organization of its own, with its members and products.", customer.name),
            "It leaves every organization group; linking it again needs its owner's consent.".to_string(),
        ],
        warning: format!("Your staff lose their access to {} at once.", customer.name),
        action: page.links.customer_unlink(&id),
        button: "Unlink",
        danger: true,
        back: page.links.customers(),
        overlap: None,
        form_error: None,
    };
    page.render(StatusCode::OK, &view)
}

/// Unlinks a customer; back to the tab with a flash. Needs customers:delete
/// over every customer.
pub async fn unlink_submit(page: OrgPage, Meta(meta): Meta, Path((_, id)): Path<(String, String)>) -> UiResult {
    crate::query::id::<OrgId>(&id, "customer")?;
    let outcome = customers::unlink(page.app(), &page.access, &id, &meta)
        .await
        .map(|()| "The customer is unlinked: your staff no longer have access to it.".to_string());
    crate::ui::after_action(&page.links.customers(), outcome)
}
