//! A partner's Organization Groups tab: the groups with their counts, the
//! create form, one partner member's groups (`?member=<user id>`), and a
//! group's page (rename, delete, its customers and its members).

use askama::Template;
use axum::Form;
use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use roster_app::AppError;
use roster_app::access::Permission;
use roster_app::partners::GroupRecord;
use roster_app::partners::groups::{self, GroupDetail};
use roster_domain::permissions::Action;
use roster_domain::{OrgGroupId, UserId};

use crate::extract::Meta;
use crate::format;
use crate::ui::form::{Pairs, field};
use crate::ui::service_accounts::ConfirmPage;
use crate::ui::{FormErrors, Frame, OrgPage, TabKey, UiResult, redirect_with_flash};

const CREATE: Permission = Permission { resource: "org_groups", action: Action::Create };
const UPDATE: Permission = Permission { resource: "org_groups", action: Action::Update };
const DELETE: Permission = Permission { resource: "org_groups", action: Action::Delete };

/// A group's row in the tab's table.
pub struct GroupRow {
    id: String,
    name: String,
    href: String,
    customers: i64,
    members: i64,
    created: String,
}

fn group_row(page: &OrgPage, g: GroupRecord) -> GroupRow {
    let id = g.id.to_string();
    GroupRow {
        href: page.links.org_group(&id),
        id,
        name: g.name,
        customers: g.customers,
        members: g.members,
        created: format::date(g.created_at),
    }
}

#[derive(Template)]
#[template(path = "org_groups.html")]
struct GroupsPage {
    frame: Frame,
    rows: Vec<GroupRow>,
    /// The partner member whose groups are shown (name or email), when filtered.
    member: Option<String>,
    can_create: bool,
    name: String,
    name_error: Option<String>,
    form_error: Option<String>,
}

fn group_id(id: &str) -> Result<OrgGroupId, AppError> {
    crate::query::id(id, "organization group")
}

/// The Organization Groups tab; with `?member=<user id>`, that partner
/// member's groups. Needs org_groups:read.
pub async fn groups_page(page: OrgPage, RawQuery(raw): RawQuery) -> UiResult {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let member = pairs.iter().find(|(k, _)| k == "member").map(|(_, v)| v.trim().to_string()).filter(|v| !v.is_empty());
    groups_view(&page, member.as_deref(), String::new(), FormErrors { status: StatusCode::OK, ..Default::default() })
        .await
}

async fn groups_view(page: &OrgPage, member: Option<&str>, name: String, errors: FormErrors) -> UiResult {
    let (listed, member_label) = match member {
        Some(m) => {
            let user: UserId = crate::query::id(m, "member")?;
            let found = groups::of_member(page.app(), &page.access, user).await;
            // The member's name, from a group they are assigned to.
            let mut label = m.to_string();
            if let Ok(gs) = &found
                && let Some(g) = gs.first()
                && let Ok(d) = groups::get(page.app(), &page.access, g.id).await
                && let Some(x) = d.members.iter().find(|x| x.user_id == user)
            {
                label = format!("{} ({})", x.name, x.email);
            }
            (found, Some(label))
        }
        None => (groups::list(page.app(), &page.access).await, None),
    };
    let listed = match listed {
        Ok(l) => l,
        Err(e) => return page.refusal_in_frame(TabKey::OrgGroups, "You cannot see the organization groups", e).await,
    };
    let view = GroupsPage {
        frame: page.frame(TabKey::OrgGroups).await?,
        rows: listed.into_iter().map(|g| group_row(page, g)).collect(),
        member: member_label,
        can_create: page.access.can(CREATE),
        name,
        name_error: errors.field("name"),
        form_error: errors.form.clone(),
    };
    page.render(errors.status, &view)
}

/// Creates a group (`name`); on to its page. A refusal shows the tab again
/// with the name as typed. Needs org_groups:create.
pub async fn create_submit(page: OrgPage, Meta(meta): Meta, Form(pairs): Form<Pairs>) -> UiResult {
    let name = field(&pairs, "name").to_string();
    match groups::create(page.app(), &page.access, &name, &meta).await {
        Ok(g) => Ok(redirect_with_flash(
            &page.links.org_group(&g.id.to_string()),
            "ok",
            &format!("Group {} created. Add its customers and members below.", g.name),
        )),
        Err(e) => {
            let errors = FormErrors::from_refusal(e, &["name"])?;
            groups_view(&page, None, name, move_conflict_to_name(errors)).await
        }
    }
}

/// A name in use is shown beside the name.
fn move_conflict_to_name(mut errors: FormErrors) -> FormErrors {
    if errors.fields.is_empty()
        && let Some(f) = errors.form.take()
    {
        errors.fields.insert("name".into(), f);
    }
    errors
}

/// A group's member as the page lists them.
pub struct MemberView {
    name: String,
    email: String,
    roles: Vec<String>,
    groups_href: String,
}

/// A group's customer as the page lists them.
pub struct CustomerView {
    name: String,
    slug: String,
    open_href: String,
}

#[derive(Template)]
#[template(path = "org_group.html")]
struct GroupPage {
    frame: Frame,
    id: String,
    name: String,
    customers: Vec<CustomerView>,
    members: Vec<MemberView>,
    can_update: bool,
    can_delete: bool,
    /// The rename form's name, as typed.
    rename: String,
    rename_error: Option<String>,
    /// The customers' textarea (slugs, one a line), as typed.
    customers_text: String,
    customers_error: Option<String>,
    /// The members' textarea (emails, one a line), as typed.
    members_text: String,
    members_error: Option<String>,
}

/// What the group page's forms hold when one was refused.
#[derive(Default)]
struct Drafts {
    rename: Option<(String, FormErrors)>,
    customers: Option<(String, FormErrors)>,
    members: Option<(String, FormErrors)>,
}

fn message(errors: &FormErrors) -> Option<String> {
    let mut parts: Vec<String> = errors.fields.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    parts.extend(errors.form.clone());
    (!parts.is_empty()).then(|| parts.join("; "))
}

async fn group_view(page: &OrgPage, id: &str, drafts: Drafts) -> UiResult {
    let gid = group_id(id)?;
    let d: GroupDetail = match groups::get(page.app(), &page.access, gid).await {
        Ok(d) => d,
        Err(e) => return page.refusal_in_frame(TabKey::OrgGroups, "You cannot see the organization groups", e).await,
    };
    let status = [&drafts.rename, &drafts.customers, &drafts.members]
        .iter()
        .find_map(|d| d.as_ref().map(|(_, e)| e.status))
        .unwrap_or(StatusCode::OK);
    let (rename, rename_error) = match drafts.rename {
        Some((t, e)) => (t, message(&e)),
        None => (d.group.name.clone(), None),
    };
    let (customers_text, customers_error) = match drafts.customers {
        Some((t, e)) => (t, message(&e)),
        None => (d.customers.iter().map(|c| c.slug.as_str()).collect::<Vec<_>>().join("\n"), None),
    };
    let (members_text, members_error) = match drafts.members {
        Some((t, e)) => (t, message(&e)),
        None => (d.members.iter().map(|m| m.email.as_str()).collect::<Vec<_>>().join("\n"), None),
    };
    let view = GroupPage {
        frame: page.frame(TabKey::OrgGroups).await?,
        id: id.to_string(),
        name: d.group.name,
        customers: d
            .customers
            .into_iter()
            .map(|c| CustomerView { open_href: page.links.users_of(&c.slug), name: c.name, slug: c.slug })
            .collect(),
        members: d
            .members
            .into_iter()
            .map(|m| MemberView {
                groups_href: page.links.org_groups_of_member(&m.user_id.to_string()),
                name: m.name,
                email: m.email,
                roles: m.roles,
            })
            .collect(),
        can_update: page.access.can(UPDATE),
        can_delete: page.access.can(DELETE),
        rename,
        rename_error,
        customers_text,
        customers_error,
        members_text,
        members_error,
    };
    page.render(status, &view)
}

/// A group's page: its customers and members, with the forms to rename it,
/// delete it and change who and what it holds. Needs org_groups:read.
pub async fn group_page(page: OrgPage, Path((_, id)): Path<(String, String)>) -> UiResult {
    group_view(&page, &id, Drafts::default()).await
}

/// The lines of a textarea (or commas), trimmed, without blanks.
fn lines(text: &str) -> Vec<String> {
    text.split(['\n', ',', ';']).map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

/// A refusal of a textarea's lines: each bad line named by its number
/// ("Line 2: 'x' is not a customer …") rather than by the API's `orgs[1]`.
fn line_errors(mut e: AppError) -> Result<FormErrors, crate::ui::UiError> {
    if let AppError::Validation(v) = &mut e {
        for err in &mut v.errors {
            let index = err.field.split_once('[').and_then(|(_, rest)| rest.strip_suffix(']')?.parse::<usize>().ok());
            if let Some(i) = index {
                err.field = format!("Line {}:", i + 1);
            }
        }
    }
    FormErrors::from_refusal(e, &[])
}

/// Renames a group (`name`). Needs org_groups:update.
pub async fn rename_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    Form(pairs): Form<Pairs>,
) -> UiResult {
    let gid = group_id(&id)?;
    let name = field(&pairs, "name").to_string();
    match groups::rename(page.app(), &page.access, gid, &name, &meta).await {
        Ok(g) => Ok(redirect_with_flash(&page.links.org_group(&id), "ok", &format!("Group renamed to {}.", g.name))),
        Err(e) => {
            let errors = FormErrors::from_refusal(e, &["name"])?;
            group_view(&page, &id, Drafts { rename: Some((name, errors)), ..Default::default() }).await
        }
    }
}

/// Sets the group's customers (`customers`: slugs or ids, one a line).
/// Needs org_groups:update and a reach over every customer.
pub async fn customers_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    Form(pairs): Form<Pairs>,
) -> UiResult {
    let gid = group_id(&id)?;
    let text = field(&pairs, "customers").to_string();
    match groups::set_customers(page.app(), &page.access, gid, &lines(&text), &meta).await {
        Ok(d) => Ok(redirect_with_flash(
            &page.links.org_group(&id),
            "ok",
            &format!("{} now holds {}.", d.group.name, count(d.customers.len(), "customer", "customers")),
        )),
        Err(e) => {
            let errors = line_errors(e)?;
            group_view(&page, &id, Drafts { customers: Some((text, errors)), ..Default::default() }).await
        }
    }
}

/// Sets the group's members (`members`: emails or user ids, one a line).
/// Needs org_groups:update, without escalation.
pub async fn members_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    Form(pairs): Form<Pairs>,
) -> UiResult {
    let gid = group_id(&id)?;
    let text = field(&pairs, "members").to_string();
    match groups::set_members(page.app(), &page.access, gid, &lines(&text), &meta).await {
        Ok(d) => Ok(redirect_with_flash(
            &page.links.org_group(&id),
            "ok",
            &format!("{} is now assigned to {}.", d.group.name, count(d.members.len(), "member", "members")),
        )),
        Err(e) => {
            let errors = line_errors(e)?;
            group_view(&page, &id, Drafts { members: Some((text, errors)), ..Default::default() }).await
        }
    }
}

/// The confirm step of deleting a group. Needs org_groups:delete.
pub async fn delete_confirm(page: OrgPage, Path((_, id)): Path<(String, String)>) -> UiResult {
    let d = groups::get(page.app(), &page.access, group_id(&id)?).await?;
    let view = ConfirmPage {
        frame: page.frame(TabKey::OrgGroups).await?,
        title: format!("Delete {}?", d.group.name),
        notes: vec![
            "Its customers stay your customers; only the group goes.".to_string(),
            "This cannot be undone: make a new group if you need one again.".to_string(),
        ],
        warning: format!(
            "Its {} assigned members lose the access this group gave them to its {} customers.",
            d.members.len(),
            d.customers.len()
        ),
        action: page.links.org_group_delete(&id),
        button: "Delete",
        danger: true,
        back: page.links.org_group(&id),
        overlap: None,
        form_error: None,
    };
    page.render(StatusCode::OK, &view)
}

/// Deletes a group; back to the tab with a flash. Needs org_groups:delete.
pub async fn delete_submit(page: OrgPage, Meta(meta): Meta, Path((_, id)): Path<(String, String)>) -> UiResult {
    let gid = group_id(&id)?;
    let outcome =
        groups::delete(page.app(), &page.access, gid, &meta).await.map(|()| "The group is deleted.".to_string());
    crate::ui::after_action(&page.links.org_groups(), outcome)
}

/// "1 customer", "3 customers".
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
