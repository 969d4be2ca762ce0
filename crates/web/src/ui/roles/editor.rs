//! The role editor: a new custom role, editing one, copying one.

use askama::Template;
use axum::Form;
use axum::extract::Path;
use roster_app::policy::Resource;
use roster_app::roles::{GrantsInput, RoleInput, RolePatch, RoleRecord};
use roster_domain::permissions::{Action, Actions};

use crate::extract::Meta;
use crate::ui::form::{Pairs, field, fields};
use crate::ui::matrix::{ResourceLine, resource_lines};
use crate::ui::{FormErrors, Frame, OrgPage, TabKey, UiResult, redirect_with_flash};

/// One resource's row in the role editor.
pub struct EditRow {
    line: ResourceLine,
    /// The select's value: none, view, edit or custom.
    level: &'static str,
    /// The four actions and whether each is ticked.
    acts: Vec<(&'static str, bool)>,
}

#[derive(Template)]
#[template(path = "role_edit.html")]
struct RoleEditPage {
    frame: Frame,
    title: String,
    action: String,
    submit_label: &'static str,
    name: String,
    description: String,
    name_error: Option<String>,
    description_error: Option<String>,
    form_error: Option<String>,
    rows: Vec<EditRow>,
    cancel_href: String,
}

/// The role editor's typed state: name, description and grants.
struct RoleDraft {
    name: String,
    description: String,
    grants: Vec<(String, Actions, &'static str)>,
}

impl RoleDraft {
    fn from_role(r: &RoleRecord, resources: &[Resource]) -> Self {
        Self {
            name: r.name.clone(),
            description: r.description.clone(),
            grants: resources
                .iter()
                .map(|res| {
                    let a = r.grants.on(&res.key);
                    (res.key.clone(), a, a.level().as_str())
                })
                .collect(),
        }
    }

    /// Reads the form: per resource `level.<key>` (none, view, edit, custom)
    /// and `act.<key>` checkboxes; the select wins unless it says Custom.
    fn from_form(pairs: &Pairs, resources: &[Resource]) -> Self {
        let grants = resources
            .iter()
            .map(|res| {
                let ticked: Actions = fields(pairs, &format!("act.{}", res.key))
                    .into_iter()
                    .filter_map(|a| a.parse::<Action>().ok())
                    .collect();
                let (actions, level) = match field(pairs, &format!("level.{}", res.key)) {
                    "view" => (Actions::VIEW, "view"),
                    "edit" => (Actions::EDIT, "edit"),
                    "custom" => (ticked, "custom"),
                    _ => (Actions::NONE, "none"),
                };
                (res.key.clone(), actions, level)
            })
            .collect();
        Self { name: field(pairs, "name").to_string(), description: field(pairs, "description").to_string(), grants }
    }

    fn grants_input(&self) -> GrantsInput {
        self.grants
            .iter()
            .filter(|(_, a, _)| !a.is_empty())
            .map(|(k, a, _)| (k.clone(), a.iter().map(|x| x.as_str().to_string()).collect()))
            .collect()
    }
}

/// The role editor as shown: the role (none for a new one), what was typed,
/// and what was wrong with it.
async fn editor(page: &OrgPage, role: Option<&RoleRecord>, draft: RoleDraft, errors: FormErrors) -> UiResult {
    let rows = resource_lines(&page.access.policy.resources)
        .into_iter()
        .map(|line| {
            let (actions, level) = draft
                .grants
                .iter()
                .find(|(k, _, _)| *k == line.key)
                .map(|(_, a, l)| (*a, *l))
                .unwrap_or((Actions::NONE, "none"));
            let acts = Action::ALL.iter().map(|a| (a.as_str(), actions.contains(*a))).collect();
            EditRow { line, level, acts }
        })
        .collect();
    page.render(
        errors.status,
        &RoleEditPage {
            frame: page.frame(TabKey::Roles).await?,
            title: match role {
                Some(r) => format!("Edit role: {}", r.name),
                None => "New role".into(),
            },
            action: match role {
                Some(r) => page.links.role_edit(&r.id.to_string()),
                None => page.links.role_new(),
            },
            submit_label: if role.is_some() { "Save role" } else { "Create role" },
            name: draft.name,
            description: draft.description,
            name_error: errors.field("name").map(|m| format!("Name {m}")),
            description_error: errors.field("description").map(|m| format!("Description {m}")),
            form_error: errors.form,
            rows,
            cancel_href: page.links.roles(),
        },
    )
}

/// The fields of the role editor that show their own errors.
const ROLE_FIELDS: &[&str] = &["name", "description"];

/// The empty role editor. Needs roles:create.
pub async fn new_page(page: OrgPage) -> UiResult {
    roster_app::roles::may_create_role(&page.access)?;
    let draft = RoleDraft { name: String::new(), description: String::new(), grants: vec![] };
    editor(&page, None, draft, FormErrors::default()).await
}

/// Creates a custom role; on an error shows the form again as typed.
/// Needs roles:create (and no escalation).
pub async fn new_submit(page: OrgPage, Meta(meta): Meta, Form(pairs): Form<Pairs>) -> UiResult {
    let draft = RoleDraft::from_form(&pairs, &page.access.policy.resources);
    let input = RoleInput {
        key: None,
        name: draft.name.clone(),
        description: draft.description.clone(),
        grants: draft.grants_input(),
    };
    match roster_app::roles::create_role(page.app(), &page.access, input, &meta).await {
        Ok(role) => Ok(redirect_with_flash(&page.links.roles(), "ok", &format!("Created the role {}.", role.name))),
        Err(e) => editor(&page, None, draft, FormErrors::from_refusal(e, ROLE_FIELDS)?).await,
    }
}

/// The editor for an existing role. Needs roles:update; the owner's role is
/// shown with the reason it cannot be changed.
pub async fn edit_page(page: OrgPage, Path((_, id)): Path<(String, String)>) -> UiResult {
    let role = roster_app::roles::role_for_edit(&page.access, &id)?;
    let draft = RoleDraft::from_role(&role, &page.access.policy.resources);
    let errors = match roster_app::roles::locked(&role) {
        Some(e) => FormErrors::from_refusal(e, ROLE_FIELDS)?,
        None => FormErrors::default(),
    };
    editor(&page, Some(&role), draft, errors).await
}

/// Saves a role's name, description and grants; on an error shows the form
/// again as typed. Needs roles:update (and no escalation).
pub async fn edit_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    Form(pairs): Form<Pairs>,
) -> UiResult {
    let role = roster_app::roles::get_role(&page.access, &id)?;
    let draft = RoleDraft::from_form(&pairs, &page.access.policy.resources);
    let patch = RolePatch {
        name: Some(draft.name.clone()),
        description: Some(draft.description.clone()),
        grants: Some(draft.grants_input()),
    };
    match roster_app::roles::update_role(page.app(), &page.access, &id, patch, &meta).await {
        Ok(r) => Ok(redirect_with_flash(&page.links.roles(), "ok", &format!("Saved the role {}.", r.name))),
        Err(e) => editor(&page, Some(&role), draft, FormErrors::from_refusal(e, ROLE_FIELDS)?).await,
    }
}

/// Copies a role as a new custom role and opens it in the editor.
/// Needs roles:create.
pub async fn copy_submit(page: OrgPage, Meta(meta): Meta, Path((_, id)): Path<(String, String)>) -> UiResult {
    match roster_app::roles::copy_role(page.app(), &page.access, &id, None, &meta).await {
        Ok(r) => Ok(redirect_with_flash(
            &page.links.role_edit(&r.id.to_string()),
            "ok",
            &format!("Created {}: rename it and adjust what it allows.", r.name),
        )),
        Err(e) => {
            let errors = FormErrors::from_refusal(e, &[])?;
            Ok(redirect_with_flash(&page.links.roles(), "error", errors.form.as_deref().unwrap_or_default()))
        }
    }
}
