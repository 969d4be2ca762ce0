//! A member's edit form: name, roles, own permissions and products
//! (licenses), saved as one change.

use askama::Template;
use axum::Form;
use axum::extract::{Path, RawQuery};
use roster_app::access::OrgAccess;
use roster_app::products::ProductOffer;
use roster_app::roles::GrantsInput;
use roster_app::{AppError, ConflictKind};
use roster_domain::UserId;
use roster_domain::permissions::Actions;

use crate::extract::Meta;
use crate::query::{self};
use crate::ui::form::{Pairs, field, fields};
use crate::ui::{FormErrors, Frame, OrgPage, TabKey, UiResult, redirect_with_flash, safe_path};

/// A role's checkbox on the edit form.
pub struct RoleChoice {
    id: String,
    name: String,
    description: String,
    checked: bool,
    disabled: bool,
    /// Why it cannot be changed here.
    hint: String,
}

/// A product's checkbox on a member form (the edit form, the invite forms).
pub struct ProductChoice {
    pub(in crate::ui) key: String,
    pub(in crate::ui) name: String,
    /// "Active · 3 seats free".
    pub(in crate::ui) detail: String,
    pub(in crate::ui) checked: bool,
    pub(in crate::ui) disabled: bool,
    /// Why it cannot be ticked (no seats, canceled).
    pub(in crate::ui) hint: String,
}

/// The products a member form offers, with the drafted ones ticked. A
/// refused product stays tickable while it is ticked as typed, so that a
/// refused form keeps what was typed.
pub(in crate::ui) fn product_choices(offers: &[ProductOffer], ticked: &[String]) -> Vec<ProductChoice> {
    offers
        .iter()
        .map(|o| {
            let checked = ticked.iter().any(|k| k == o.product.key.as_str());
            let free = match o.free {
                0 => "no seat free".to_string(),
                1 => "1 seat free".to_string(),
                n => format!("{} seats free", crate::format::count(n.max(0) as u64)),
            };
            ProductChoice {
                key: o.product.key.to_string(),
                name: o.product.name.clone(),
                detail: format!("{} · {free}", crate::ui::products::state_label(o.state)),
                checked,
                disabled: o.refusal.is_some() && !checked,
                hint: o.refusal.clone().unwrap_or_default(),
            }
        })
        .collect()
}

/// Whether a refusal is about the products ticked (no seats, a canceled
/// subscription): said beside the Products boxes.
pub(in crate::ui) fn is_products_refusal(e: &AppError) -> bool {
    matches!(e, AppError::NoSeats { .. } | AppError::Conflict { kind: ConflictKind::SubscriptionState, .. })
}

/// One resource's select among the member's own permissions.
pub struct GrantRow {
    pub(in crate::ui) line: crate::ui::matrix::ResourceLine,
    /// The chosen value: the actions joined by `+` ("" for none).
    pub(in crate::ui) value: String,
    /// (value, label, disabled) of each option.
    pub(in crate::ui) options: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "user_edit.html")]
struct EditPage {
    frame: Frame,
    id: String,
    email: String,
    status: &'static str,
    status_label: &'static str,
    is_owner: bool,
    name: String,
    name_error: Option<String>,
    form_error: Option<String>,
    return_to: String,
    show_access: bool,
    /// Why the roles cannot be changed at all (the owner, seen by another member).
    access_locked: Option<String>,
    roles: Vec<RoleChoice>,
    custom: bool,
    grant_rows: Vec<GrantRow>,
    /// The products offered (none without licenses:update).
    products: Vec<ProductChoice>,
    /// Why the products ticked were refused.
    products_error: Option<String>,
    /// The History tab filtered to this member, for those who may read it.
    history_href: Option<String>,
    /// In a partner: where each of the member's roles applies, with its form.
    member_scopes: Option<super::scopes::ScopesSection>,
}

/// What the edit form holds: as stored, or as typed.
#[derive(Default)]
struct MemberDraft {
    name: String,
    roles: Vec<String>,
    custom: bool,
    /// resource → actions joined by `+`.
    grants: std::collections::BTreeMap<String, String>,
    /// The product keys ticked.
    products: Vec<String>,
    /// Whether the form showed the Products boxes (otherwise it sends none,
    /// and the member's products stay).
    products_shown: bool,
}

fn joined(a: Actions) -> String {
    a.iter().map(|x| x.as_str()).collect::<Vec<_>>().join("+")
}

impl MemberDraft {
    fn from_form(pairs: &Pairs) -> Self {
        Self {
            name: field(pairs, "name").to_string(),
            roles: fields(pairs, "roles").into_iter().filter(|r| !r.is_empty()).map(str::to_string).collect(),
            custom: field(pairs, "perm_mode") == "custom",
            grants: grant_values(pairs),
            products: fields(pairs, "products").into_iter().filter(|p| !p.is_empty()).map(str::to_string).collect(),
            products_shown: field(pairs, "products_shown") == "1",
        }
    }

    /// The own grants to save: none unless "Custom" is chosen.
    fn grants_input(&self) -> GrantsInput {
        grants_from_form(self.custom, &self.grants)
    }
}

/// The own-permission selects of a member form (the edit form and the
/// invite form): per resource, the options the actor may hand out, with the
/// drafted value chosen.
pub(in crate::ui) fn grant_rows(
    access: &OrgAccess,
    grantable: &roster_domain::permissions::Grants,
    values: &std::collections::BTreeMap<String, String>,
) -> Vec<GrantRow> {
    crate::ui::matrix::resource_lines(&access.policy.resources)
        .into_iter()
        .map(|line| {
            let value = values.get(&line.key).cloned().unwrap_or_default();
            let allowed = grantable.on(&line.key);
            let mut options: Vec<(String, String, bool)> =
                [(Actions::NONE, "❌ None"), (Actions::VIEW, "🧐 View"), (Actions::EDIT, "✍️ Edit")]
                    .into_iter()
                    .map(|(a, label)| (joined(a), label.to_string(), !allowed.covers(a)))
                    .collect();
            if !options.iter().any(|o| o.0 == value) {
                options.push((value.clone(), format!("🔧 Custom: {}", value.replace('+', ", ")), false));
            }
            for o in &mut options {
                o.2 = o.2 && o.0 != value;
            }
            GrantRow { line, value, options }
        })
        .collect()
}

/// The own grants a member form sends: none unless "Custom" is chosen.
pub(in crate::ui) fn grants_from_form(
    custom: bool,
    values: &std::collections::BTreeMap<String, String>,
) -> GrantsInput {
    if !custom {
        return GrantsInput::new();
    }
    values
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.clone(), v.split('+').filter(|a| !a.is_empty()).map(str::to_string).collect()))
        .collect()
}

/// The drafted own grants of a form: `grant.<resource>` fields.
pub(in crate::ui) fn grant_values(pairs: &Pairs) -> std::collections::BTreeMap<String, String> {
    pairs.iter().filter_map(|(k, v)| k.strip_prefix("grant.").map(|r| (r.to_string(), v.clone()))).collect()
}

/// The member form as shown: as stored, or as typed with what was wrong.
async fn edit_view(
    page: &OrgPage,
    uid: UserId,
    draft: Option<MemberDraft>,
    errors: FormErrors,
    return_to: String,
) -> UiResult {
    let form = roster_app::members::member_form(page.app(), &page.access, uid).await?;
    let m = form.member;
    let held = roster_app::products::member_products(page.app(), &page.access, uid).await?;
    let offers = roster_app::products::product_offers(page.app(), &page.access, &held).await?;
    let draft = draft.unwrap_or_else(|| MemberDraft {
        name: m.name.clone(),
        roles: form.roles.iter().filter(|o| o.held).map(|o| o.role.id.to_string()).collect(),
        custom: !form.own.is_empty(),
        grants: form.own.iter().map(|(k, a)| (k.to_string(), joined(a))).collect(),
        products: held.iter().map(|p| p.to_string()).collect(),
        products_shown: true,
    });
    let roles = form
        .roles
        .iter()
        .map(|o| {
            let id = o.role.id.to_string();
            let checked = draft.roles.iter().any(|x| *x == id || *x == o.role.key);
            RoleChoice {
                id,
                name: o.role.name.clone(),
                description: o.role.description.clone(),
                checked,
                disabled: o.refusal.is_some(),
                hint: o.refusal.clone().unwrap_or_default(),
            }
        })
        .collect();
    let grant_rows = grant_rows(&page.access, &form.grantable, &draft.grants);
    let member_scopes = super::scopes::section(page, uid).await?;
    page.render(
        errors.status,
        &EditPage {
            frame: page.frame(TabKey::Users).await?,
            id: m.user_id.to_string(),
            status: m.status.as_str(),
            status_label: m.status.label(),
            is_owner: page.access.is_owned_by(m.user_id),
            name: draft.name,
            email: m.email,
            name_error: errors.field("name"),
            form_error: errors.form.clone(),
            return_to,
            show_access: true,
            access_locked: form.access_locked,
            roles,
            custom: draft.custom,
            grant_rows,
            products: product_choices(&offers, &draft.products),
            products_error: errors.field("products"),
            history_href: roster_app::history::may_read(&page.access)
                .then(|| page.links.history_of(&m.user_id.to_string())),
            member_scopes,
        },
    )
}

/// The edit form. Needs members:update.
pub async fn edit_page(page: OrgPage, Path((_, id)): Path<(String, String)>, RawQuery(raw): RawQuery) -> UiResult {
    let uid = query::id(&id, "member")?;
    let back: Pairs = serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let back = safe_path(field(&back, "return_to"), &page.links.users());
    edit_view(&page, uid, None, FormErrors::default(), back).await
}

/// Saves the edit form (name, roles, own permissions) as one change: all
/// of it or, when any part is refused, none of it; on a refusal shows the
/// form again with what was typed and the reason. Needs members:update (and
/// no escalation).
pub async fn edit_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    Form(pairs): Form<Pairs>,
) -> UiResult {
    let back = safe_path(field(&pairs, "return_to"), &page.links.users());
    let uid = query::id(&id, "member")?;
    let draft = MemberDraft::from_form(&pairs);
    // The form offers the owner's roles to the owner alone; otherwise it
    // saves the name only.
    let access_offered = roster_app::members::may_change_access(&page.access, uid);
    // Products are saved only by those who assign licenses, and only when
    // the ticked set differs from the held one (an unchanged set is no change).
    let products = if draft.products_shown && roster_app::products::may_assign(&page.access) {
        let held = roster_app::products::member_products(page.app(), &page.access, uid).await?;
        let mut ticked: Vec<&str> = draft.products.iter().map(String::as_str).collect();
        let mut had: Vec<&str> = held.iter().map(|p| p.as_str()).collect();
        ticked.sort_unstable();
        ticked.dedup();
        had.sort_unstable();
        (ticked != had).then(|| draft.products.clone())
    } else {
        None
    };
    let edit = roster_app::member_edit::MemberEdit {
        name: Some(draft.name.clone()),
        roles: access_offered.then(|| draft.roles.clone()),
        grants: access_offered.then(|| draft.grants_input()),
        products,
    };
    match roster_app::member_edit::update_member(page.app(), &page.access, uid, edit, &meta).await {
        Ok(saved) => Ok(redirect_with_flash(&back, "ok", &format!("Saved {}.", saved.member.email))),
        Err(e) => {
            let about_products = is_products_refusal(&e);
            let mut errors = FormErrors::from_refusal(e, &["name", "products"])?;
            if about_products && let Some(why) = errors.form.take() {
                errors.fields.insert("products".into(), why);
            }
            edit_view(&page, uid, Some(draft), errors, back).await
        }
    }
}
