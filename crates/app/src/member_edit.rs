//! The member edit: name, roles, own grants and products changed together,
//! in one transaction. It sits above `members`, `roles` and `products`, each
//! of which changes its own part inside the one change.

use roster_domain::UserId;
use roster_domain::ValidationError;
use roster_domain::orgs::parse_display_name;

use crate::access::{OrgAccess, Permission};
use crate::change;
use crate::error::Result;
use crate::members::{MemberView, apply_rename, member_in_change, reread};
use crate::{App, AppError, RequestMeta};

/// Everything the member edit form changes at once; absent parts stay.
#[derive(Debug, Clone, Default)]
pub struct MemberEdit {
    /// A new display name.
    pub name: Option<String>,
    /// The roles the member should hold (ids or keys).
    pub roles: Option<Vec<String>>,
    /// The member's own grants beside their roles.
    pub grants: Option<crate::roles::GrantsInput>,
    /// The products the member should hold licenses of (keys); changing
    /// them needs `licenses:update` too.
    pub products: Option<Vec<String>>,
}

/// Applies a member edit (name, roles, own grants, products) in one
/// transaction: all of it, or, when any part is refused, none of it. Needs
/// `members:update` (and `licenses:update` for products), under the same
/// rules as each part alone.
pub async fn update_member(
    app: &App,
    access: &OrgAccess,
    user: UserId,
    edit: MemberEdit,
    meta: &RequestMeta,
) -> Result<MemberView> {
    access.require(Permission::MEMBERS_UPDATE)?;
    let mut errors = ValidationError { errors: vec![] };
    let name = edit.name.as_deref().and_then(|n| parse_display_name("name", n).map_err(|e| errors.merge(e)).ok());
    let grants = edit
        .grants
        .as_ref()
        .and_then(|g| crate::roles::parse_grants("grants", g, &access.policy).map_err(|e| errors.merge(e)).ok());
    let products = match &edit.products {
        Some(p) => {
            access.require(Permission::LICENSES_UPDATE)?;
            crate::products::check_products(app, "products", p).map_err(|e| merge_into(&mut errors, e)).ok()
        }
        None => None,
    };
    if !errors.errors.is_empty() {
        return Err(errors.into());
    }
    let mut change = change::begin(app, access, Permission::MEMBERS_UPDATE, meta).await?;
    let before = member_in_change(&mut change, user).await?;
    if let Some(products) = &products {
        crate::products::apply_member_products(app, &mut change, user, products).await?;
    }
    if let Some(roles) = &edit.roles {
        crate::roles::apply_member_roles(&mut change, user, roles).await?;
    }
    if let Some(grants) = grants {
        crate::roles::apply_member_grants(&mut change, user, grants).await?;
    }
    if let Some(name) = name {
        apply_rename(&mut change, &before, &name).await?;
    }
    let view = reread(&mut change, user).await?;
    change.commit().await?;
    Ok(view)
}

/// Adds a validation error's fields to `errors` (another error is kept as a
/// field-less message, which does not happen for the parsers used here).
fn merge_into(errors: &mut ValidationError, e: AppError) {
    match e {
        AppError::Validation(v) => errors.merge(v),
        other => errors.merge(ValidationError::field("products", other.to_string())),
    }
}
