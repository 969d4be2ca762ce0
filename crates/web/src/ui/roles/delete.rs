//! Deleting a custom role, moving its members to another role.

use askama::Template;
use axum::Form;
use axum::extract::Path;

use crate::extract::Meta;
use crate::ui::form::{Pairs, field};
use crate::ui::{FormErrors, Frame, OrgPage, TabKey, UiResult, redirect_with_flash};

#[derive(Template)]
#[template(path = "role_delete.html")]
struct DeletePage {
    frame: Frame,
    id: String,
    name: String,
    member_count: i64,
    members_href: String,
    /// (id, name) of the roles its members may get instead.
    targets: Vec<(String, String)>,
    reassign_to: String,
    form_error: Option<String>,
}

async fn delete_view(page: &OrgPage, id: &str, reassign_to: String, errors: FormErrors) -> UiResult {
    let (role, targets) = roster_app::roles::deletion_choices(&page.access, id)?;
    page.render(
        errors.status,
        &DeletePage {
            frame: page.frame(TabKey::Roles).await?,
            id: role.id.to_string(),
            members_href: format!("{}?role={}", page.links.users(), role.id),
            targets: targets.into_iter().map(|r| (r.id.to_string(), r.name)).collect(),
            name: role.name,
            member_count: role.member_count,
            reassign_to,
            form_error: errors.form,
        },
    )
}

/// The confirm step of deleting a custom role; asks which role its members
/// get instead. Needs roles:delete.
pub async fn delete_page(page: OrgPage, Path((_, id)): Path<(String, String)>) -> UiResult {
    delete_view(&page, &id, String::new(), FormErrors::default()).await
}

/// Deletes a custom role, moving its members to `reassign_to`.
/// Needs roles:delete (and members:update when members move).
pub async fn delete_submit(
    page: OrgPage,
    Meta(meta): Meta,
    Path((_, id)): Path<(String, String)>,
    Form(pairs): Form<Pairs>,
) -> UiResult {
    let name = page.access.policy.find_role(&id).map(|r| r.name.clone()).unwrap_or_default();
    let reassign = field(&pairs, "reassign_to").to_string();
    let target = Some(reassign.as_str()).filter(|s| !s.is_empty());
    match roster_app::roles::delete_role(page.app(), &page.access, &id, target, &meta).await {
        Ok(moved) => {
            let moved = if moved > 0 {
                format!(" {moved} member{} got the other role instead.", if moved == 1 { "" } else { "s" })
            } else {
                String::new()
            };
            Ok(redirect_with_flash(&page.links.roles(), "ok", &format!("Deleted the role {name}.{moved}")))
        }
        Err(e) => delete_view(&page, &id, reassign, FormErrors::from_refusal(e, &[])?).await,
    }
}
