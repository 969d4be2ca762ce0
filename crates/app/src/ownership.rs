//! The owner: handing the organization on, and who may take it. Beside
//! `roles` and `members`, which it reads (a candidate is a member found by
//! the directory's search; the new owner gets the owner's role).

use roster_domain::audit::{AuditAction, AuditEntry};
use roster_domain::{MemberStatus, UserId, ValidationError};
use roster_store::roles as store;
use roster_store::{members, orgs};

use crate::access::{OrgAccess, Permission};
use crate::change::{self};
use crate::error::Result;
use crate::{App, AppError, ConflictKind, RequestMeta};

/// Hands the organization to another active member. Only the owner may, and
/// only where the preset allows it; the new owner gets the owner's role, and
/// the previous owner keeps the roles they hold.
pub async fn transfer_ownership(app: &App, access: &OrgAccess, to: UserId, meta: &RequestMeta) -> Result<()> {
    refuse_unless_owner(access)?;
    let mut change = change::begin(app, access, Permission::MEMBERS_READ, meta).await?;
    let access = change.access.clone();
    let tx = &mut change.tx;
    refuse_unless_owner(&access)?;
    if !access.org.owner_transfer {
        return Err(AppError::conflict(
            ConflictKind::TransferDisabled,
            format!("in {} the owner cannot transfer ownership (its role preset says so)", access.org.name),
        ));
    }
    let target = members::find_member(tx, access.org.id, to).await?.ok_or(AppError::NotFound("member"))?;
    if Some(to) == access.actor.user_id() {
        return Err(ValidationError::field("user", "is already the owner").into());
    }
    if target.status != MemberStatus::Active {
        return Err(ValidationError::field(
            "user",
            format!("{} is {}; only an active member can become owner", target.email, target.status),
        )
        .into());
    }
    orgs::set_owner(tx, access.org.id, to).await?;
    if let Some(owner_role) = access.policy.owner_role() {
        store::add_role(tx, access.org.id, owner_role.id, &[to]).await?;
        crate::partners::scopes::follow_given(tx, &access, owner_role.id, &[to]).await?;
    }
    orgs::bump_authz_version(tx, access.org.id).await?;
    change.record(
        AuditEntry::new(AuditAction::OrganizationOwnerTransferred, access.org.id)
            .before(serde_json::json!({"owner": access.actor.label()}))
            .after(serde_json::json!({"owner": target.email})),
    );
    change.commit().await?;
    Ok(())
}

/// Who may become the owner: active members other than the owner matching
/// `q`, at most `limit` of them, and whether there are more. Only the owner
/// asks; where the preset does not allow a transfer, nobody.
pub async fn transfer_candidates(
    app: &App,
    access: &OrgAccess,
    q: &str,
    limit: u32,
) -> Result<(Vec<roster_domain::members::Member>, bool)> {
    refuse_unless_owner(access)?;
    if !access.org.owner_transfer {
        return Ok((vec![], false));
    }
    let req = crate::members::ListRequest {
        filter: roster_domain::MemberFilter::new(q, vec![MemberStatus::Active])?,
        page: 1,
        per_page: limit,
        ..Default::default()
    };
    let list = crate::members::list_members(app, access, &req).await?;
    let more = list.next_cursor.is_some();
    let me = access.actor.user_id();
    Ok((list.items.into_iter().map(|v| v.member).filter(|m| Some(m.user_id) != me).collect(), more))
}

fn refuse_unless_owner(access: &OrgAccess) -> Result<()> {
    if access.is_owner() {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!("only the owner of {} can hand ownership on", access.org.name)))
    }
}
