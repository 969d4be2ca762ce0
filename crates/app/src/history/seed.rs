//! `roster dev seed --events N`: a large, realistic audit log for the
//! History benchmarks, written through the one write path
//! (`roster_store::audit::append`), so the events form a valid hash chain.
//!
//! Deterministic for a given seed: actors are some of the organization's
//! active members (and the command line, and Roster itself), targets its
//! members, actions a mix like a busy organization's, dates spread evenly
//! over the year before now.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use roster_domain::audit::{ActorType, AuditAction, NewAuditEvent};
use roster_domain::{MemberStatus, Timestamp, UserId};
use roster_store::orgs::OrgRecord;
use serde_json::json;

use crate::App;
use crate::error::Result;

/// Events appended per statement batch (the store splits them into inserts).
const BATCH: u64 = 10_000;
/// Events per transaction: a commit every so often keeps the write-ahead log small.
const PER_TX: u64 = 200_000;
/// How far back the generated events go.
const SPAN_MS: i64 = 365 * 24 * 3_600_000;

/// The action mix, by weight.
const MIX: &[(AuditAction, u32)] = &[
    (AuditAction::MemberUpdated, 10),
    (AuditAction::MemberDisabled, 7),
    (AuditAction::MemberEnabled, 5),
    (AuditAction::MemberArchived, 3),
    (AuditAction::MemberRestored, 1),
    (AuditAction::MemberRolesChanged, 15),
    (AuditAction::MemberGrantsChanged, 2),
    (AuditAction::InvitationSent, 12),
    (AuditAction::InvitationResent, 4),
    (AuditAction::InvitationCanceled, 2),
    (AuditAction::InvitationAccepted, 8),
    (AuditAction::InvitationExpired, 2),
    (AuditAction::SessionRevoked, 12),
    (AuditAction::UserPasswordResetRequested, 5),
    (AuditAction::UserPasswordSet, 4),
    (AuditAction::UserLocked, 1),
    (AuditAction::UserUnlocked, 1),
    (AuditAction::UserEmailChanged, 2),
];

const AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "curl/8.5.0",
];

/// Appends `n` generated events to an organization's log; answers how many.
/// `progress` is told the running count after each transaction.
pub async fn seed_events(
    app: &App,
    org: &OrgRecord,
    n: u64,
    seed: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<u64> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x00a0_d17e_7e17);
    let mut conn = app.db.conn().await?;
    let sample = roster_store::members::select_member_ids(
        &mut conn,
        org.id,
        &Default::default(),
        &MemberStatus::ALL,
        None,
        5_000,
    )
    .await?;
    let ids: Vec<UserId> = sample.iter().map(|(u, _)| *u).collect();
    let named = roster_store::members::names_of(&mut conn, org.id, &ids).await?;
    let roles: Vec<String> =
        roster_store::roles::list_roles(&mut conn, org.id).await?.into_iter().map(|r| r.name).collect();
    drop(conn);
    if named.is_empty() {
        return Err(crate::AppError::NotFound("member"));
    }
    // Admins: the owner (if a member) and a few active members.
    let mut actors: Vec<(UserId, String)> = Vec::new();
    if let Some(owner) = org.owner_id
        && let Some((_, _, email)) = named.iter().find(|(u, _, _)| *u == owner)
    {
        actors.push((owner, email.clone()));
    }
    for (u, status) in &sample {
        if actors.len() >= 20 {
            break;
        }
        if *status == MemberStatus::Active
            && !actors.iter().any(|(a, _)| a == u)
            && let Some((_, _, email)) = named.iter().find(|(id, _, _)| id == u)
        {
            actors.push((*u, email.clone()));
        }
    }
    let roles = if roles.is_empty() { vec!["User".to_string()] } else { roles };
    let total_weight: u32 = MIX.iter().map(|(_, w)| w).sum();
    let now = app.clock.now().0;
    let start = now - SPAN_MS;
    let step = (SPAN_MS / n.max(1) as i64).max(1);
    let mut done = 0u64;
    while done < n {
        let mut tx = app.db.begin().await?;
        roster_store::orgs::lock_org(&mut tx, org.id).await?;
        let tx_end = (done + PER_TX).min(n);
        while done < tx_end {
            let batch = (tx_end - done).min(BATCH);
            let mut events = Vec::with_capacity(batch as usize);
            for i in 0..batch {
                let k = done + i;
                let created_at = start + k as i64 * step + rng.random_range(0..step);
                let mut pick = rng.random_range(0..total_weight);
                let action = MIX
                    .iter()
                    .find(|(_, w)| {
                        if pick < *w {
                            true
                        } else {
                            pick -= *w;
                            false
                        }
                    })
                    .map(|(a, _)| *a)
                    .unwrap_or(AuditAction::MemberUpdated);
                let (target, name, email) = &named[rng.random_range(0..named.len())];
                let who = rng.random_range(0..100);
                let (actor_id, actor_label, actor_type) = if who < 90 && !actors.is_empty() {
                    let (id, label) = &actors[rng.random_range(0..actors.len())];
                    (Some(*id), label.clone(), ActorType::User)
                } else if who < 97 {
                    (None, "cli".to_string(), ActorType::Operator)
                } else {
                    (None, "system".to_string(), ActorType::System)
                };
                let role = |rng: &mut StdRng| roles[rng.random_range(0..roles.len())].clone();
                let details = match action {
                    AuditAction::MemberUpdated => {
                        json!({"before": {"name": name}, "after": {"name": format!("{name} Jr")}})
                    }
                    AuditAction::MemberDisabled => {
                        json!({"before": {"status": "active"}, "after": {"status": "disabled"}, "bulk": rng.random_range(0..10) == 0})
                    }
                    AuditAction::MemberEnabled | AuditAction::MemberRestored => {
                        json!({"before": {"status": "disabled"}, "after": {"status": "active"}})
                    }
                    AuditAction::MemberArchived => {
                        json!({"before": {"status": "disabled"}, "after": {"status": "archived"}})
                    }
                    AuditAction::MemberRolesChanged => {
                        let (b, a) = (role(&mut rng), role(&mut rng));
                        json!({"before": {"roles": [b]}, "after": {"roles": [a]}, "added": [a], "removed": [b]})
                    }
                    AuditAction::MemberGrantsChanged => {
                        json!({"before": {"grants": {}}, "after": {"grants": {"members": ["read"]}}})
                    }
                    AuditAction::InvitationSent => {
                        json!({"after": {"email": email, "status": "invited"}, "invitation": uuid::Uuid::now_v7().to_string(), "roles": [role(&mut rng)], "grants": {}, "email_sent": true, "expires_at": created_at + 7 * 86_400_000})
                    }
                    AuditAction::InvitationResent => {
                        json!({"invitation": uuid::Uuid::now_v7().to_string(), "email": email, "resend_count": rng.random_range(1..4), "expires_at": created_at + 7 * 86_400_000})
                    }
                    AuditAction::InvitationCanceled => {
                        json!({"before": {"status": "invited"}, "invitation": uuid::Uuid::now_v7().to_string(), "email": email})
                    }
                    AuditAction::InvitationAccepted => {
                        json!({"before": {"status": "invited"}, "after": {"status": "active"}, "invitation": uuid::Uuid::now_v7().to_string(), "new_account": rng.random_range(0..2) == 0})
                    }
                    AuditAction::InvitationExpired => {
                        json!({"invitation": uuid::Uuid::now_v7().to_string(), "email": email, "expired_at": created_at})
                    }
                    AuditAction::SessionRevoked => {
                        json!({"sessions": [format!("{:08x}", rng.random::<u32>())], "how": "one session"})
                    }
                    AuditAction::UserPasswordResetRequested => {
                        json!({"by": if rng.random_range(0..2) == 0 { "administrator" } else { "themselves" }})
                    }
                    AuditAction::UserPasswordSet => {
                        json!({"via": "one-time link", "sessions_ended": rng.random_range(0..3)})
                    }
                    AuditAction::UserLocked => json!({"failed_sign_ins": 100, "email": email}),
                    AuditAction::UserUnlocked => json!({"via": "administrator"}),
                    AuditAction::UserEmailChanged => {
                        json!({"before": {"email": email}, "after": {"email": format!("new.{email}")}, "via": "confirmation link"})
                    }
                    _ => json!({}),
                };
                let web = actor_type == ActorType::User;
                events.push(NewAuditEvent {
                    org_id: org.id,
                    actor_id,
                    actor_label,
                    actor_type,
                    action,
                    target_type: action.target_type().into(),
                    target_id: if action.target_type() == "member" { target.to_string() } else { org.id.to_string() },
                    details: details.to_string(),
                    ip: web.then(|| format!("10.{}.{}.{}", rng.random::<u8>(), rng.random::<u8>(), rng.random::<u8>())),
                    request_id: web.then(|| format!("{:016x}", rng.random::<u64>())),
                    user_agent: web.then(|| AGENTS[rng.random_range(0..AGENTS.len())].to_string()),
                    created_at: Timestamp(created_at),
                });
            }
            roster_store::audit::append(&mut tx, &events).await?;
            done += batch;
        }
        tx.commit().await?;
        progress(done);
    }
    Ok(done)
}
