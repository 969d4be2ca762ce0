//! Role presets: installing one in a new organization, and the default
//! preset for organizations created before roles.

use std::collections::BTreeMap;

use roster_domain::audit::AuditAction;
use roster_domain::permissions::{Preset, preset};
use roster_domain::{MemberStatus, OrgId, RoleId, Timestamp, UserId, ValidationError};
use roster_store::roles as store;
use roster_store::{Tx, members, orgs};

use super::RoleRecord;
use crate::App;
use crate::error::Result;

/// Installs a preset's resources and roles in a new organization; the owner
/// (if any) gets the owner's role. Answers the roles by key.
pub(crate) async fn install_preset(
    tx: &mut Tx,
    org: OrgId,
    preset: &Preset,
    owner: Option<UserId>,
    now: Timestamp,
) -> Result<BTreeMap<String, RoleId>> {
    orgs::set_preset(tx, org, &preset.key, preset.is_partner(), preset.owner_transfer).await?;
    store::insert_org_resources(tx, org, &preset.resources).await?;
    let mut ids = BTreeMap::new();
    for (i, r) in preset.roles.iter().enumerate() {
        let role = RoleRecord {
            id: RoleId::new(),
            key: r.key.clone(),
            name: r.name.clone(),
            description: r.description.clone(),
            builtin: true,
            locked: r.key == preset.owner_role,
            position: i as i32,
            member_count: 0,
            grants: r.grants.clone(),
        };
        store::insert_role(tx, org, &role, now).await?;
        ids.insert(r.key.clone(), role.id);
    }
    if let Some(owner) = owner {
        store::add_role(tx, org, ids[&preset.owner_role], &[owner]).await?;
        // A partner's owner reaches every customer with their role.
        if preset.role(&preset.owner_role).is_some_and(|r| r.customers == roster_domain::partners::CustomerReach::All) {
            let row = roster_store::partners::CustomerRole { user: owner, role: ids[&preset.owner_role], group: None };
            roster_store::partners::add_customer_roles(tx, org, &[row]).await?;
        }
    }
    orgs::bump_authz_version(tx, org).await?;
    Ok(ids)
}

/// Looks up a preset, or names the known ones.
pub fn find_preset(key: &str) -> Result<Preset> {
    preset(key).ok_or_else(|| {
        let known: Vec<String> = roster_domain::permissions::presets().into_iter().map(|p| p.key).collect();
        ValidationError::field("preset", format!("unknown preset '{key}'; use one of {}", known.join(", "))).into()
    })
}

/// Gives organizations created before roles existed the default preset: the
/// owner gets the owner's role, every other member the default role. Runs
/// after migrations; does nothing once every organization has a preset.
pub async fn install_missing_presets(app: &App) -> Result<usize> {
    let pending = orgs::orgs_without_preset(&mut app.db.conn().await?).await?;
    let preset = find_preset(roster_domain::permissions::DEFAULT_PRESET)?;
    for org in &pending {
        let now = app.clock.now();
        let mut tx = app.db.begin().await?;
        let ids = install_preset(&mut tx, org.id, &preset, org.owner_id, now).await?;
        let mut after = None;
        loop {
            let batch =
                members::select_member_ids(&mut tx, org.id, &Default::default(), &MemberStatus::ALL, after, 1000)
                    .await?;
            let Some((last, _)) = batch.last() else { break };
            after = Some(*last);
            let others: Vec<UserId> = batch.iter().map(|(u, _)| *u).filter(|u| Some(*u) != org.owner_id).collect();
            store::add_role(&mut tx, org.id, ids[&preset.default_role], &others).await?;
        }
        roster_store::audit::append(
            &mut tx,
            &[roster_domain::audit::NewAuditEvent {
                org_id: org.id,
                actor_id: None,
                actor_label: crate::Actor::System.label(),
                actor_type: crate::Actor::System.actor_type(),
                action: AuditAction::OrganizationPresetInstalled,
                target_type: AuditAction::OrganizationPresetInstalled.target_type().into(),
                target_id: org.id.to_string(),
                details: serde_json::json!({"after": {"preset": preset.key}}).to_string(),
                ip: None,
                request_id: None,
                user_agent: None,
                created_at: now,
            }],
        )
        .await?;
        tx.commit().await?;
    }
    Ok(pending.len())
}
