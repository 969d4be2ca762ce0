//! Applying a committed import: batches of new members, one transaction
//! each with their audit events and their rows marked applied, then the
//! updates one member at a time (a refused update marks its row and undoes
//! nothing else). The job holds a lease while it runs; [`spawn_worker`]
//! resumes, on any instance, a job whose lease ran out (its server died).

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;
use std::time::Duration;

use roster_domain::audit::{AuditAction, AuditEntry};
use roster_domain::imports::job::{ImportStatus, Outcome, RowResult, split_list};
use roster_domain::permissions::Grants;
use roster_domain::products::ProductKey;
use roster_domain::{Email, MemberStatus, RoleId, Timestamp, UserId};
use roster_store::imports::{self as store, ImportRecord, ImportRowRecord, RowQuery};
use roster_store::members::NewMember;
use roster_store::users::UserRecord;
use uuid::Uuid;

use super::plan::find_role;
use crate::access::{OrgAccess, Permission};
use crate::actor::Actor;
use crate::change::{self, Change};
use crate::error::Result;
use crate::invitations::{Issue, issue_many};
use crate::{App, AppError, RequestMeta};

/// New members per batch (one transaction each).
const BATCH: u64 = 1_000;

/// Every this many batches (and at the first), the tables' statistics are
/// refreshed (see `roster_store::imports::refresh_statistics`).
const STATISTICS_EVERY: u64 = 10;

/// How long a job's lease lasts without being renewed (each batch renews it).
const LEASE_MS: i64 = 30_000;

/// This instance's name in leases: random per process.
pub(crate) fn instance() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| Uuid::now_v7().to_string())
}

/// When a lease taken at `now` runs out.
pub(crate) fn lease_end(now: Timestamp) -> Timestamp {
    now.plus_millis(LEASE_MS)
}

/// What one step of the job did.
enum Step {
    /// Rows applied: progress so far (applied, in all).
    More(u64, u64),
    /// The job is finished.
    Done,
    /// Another instance holds the job.
    Lost,
}

/// Applies a committing import to its end (or until another instance
/// holds it), calling `progress(applied, in_all)` after each batch. A
/// failure that is not a row's stops the job as `failed`, with the rows
/// applied so far kept and reported.
pub async fn run(
    app: &App,
    access: &OrgAccess,
    id: Uuid,
    meta: &RequestMeta,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<()> {
    loop {
        match step(app, access, id, meta).await {
            Ok(Step::More(done, all)) => progress(done, all),
            Ok(Step::Done | Step::Lost) => return Ok(()),
            Err(e) => {
                if let Err(e2) = fail(app, access, id, meta, &e).await {
                    tracing::error!(error = %e2, import = %id, "could not mark the import failed");
                }
                return Err(e);
            }
        }
    }
}

/// One batch: new members first, then updates, then the end.
async fn step(app: &App, access: &OrgAccess, id: Uuid, meta: &RequestMeta) -> Result<Step> {
    let mut change = change::begin(app, access, Permission::MEMBERS_CREATE, meta).await?;
    let (org, now) = (change.access.org.id, change.now);
    if !store::claim(&mut change.tx, org, id, instance(), lease_end(now), now).await? {
        change.tx.rollback().await?;
        return Ok(Step::Lost);
    }
    let import = store::find_import(&mut change.tx, org, id).await?.ok_or(AppError::NotFound("import"))?;
    let creates = store::list_rows(
        &mut change.tx,
        org,
        id,
        RowQuery { outcome: Some(Outcome::Create), pending: true, after_line: None },
        BATCH,
    )
    .await?;
    if !creates.is_empty() {
        let n = creates.len() as u64;
        if (import.applied / BATCH).is_multiple_of(STATISTICS_EVERY) {
            store::refresh_statistics(&mut change.tx).await?;
        }
        let made = create_members(app, &mut change, &import, creates).await?;
        store::add_applied(&mut change.tx, org, id, n).await?;
        if made == 0 {
            // Every row of the batch was refused: the rows say why, and
            // the job's event says how many.
            change.record(AuditEntry::new(AuditAction::ImportCommitted, id).with("failed", n));
        }
        change.commit().await?;
        return Ok(Step::More(import.applied + n, import.to_apply));
    }
    let updates = store::list_rows(
        &mut change.tx,
        org,
        id,
        RowQuery { outcome: Some(Outcome::Update), pending: true, after_line: None },
        1,
    )
    .await?;
    if let Some(row) = updates.into_iter().next() {
        let line = row.line;
        match update_member(app, &mut change, &row).await {
            Ok(()) => {
                let result = if change.recorded() == 0 { RowResult::Unchanged } else { RowResult::Updated };
                store::set_results(&mut change.tx, org, id, result, &[line]).await?;
                store::add_applied(&mut change.tx, org, id, 1).await?;
                if change.recorded() == 0 {
                    change.record(AuditEntry::new(AuditAction::ImportCommitted, id).with("unchanged", 1u64));
                }
                change.commit().await?;
            }
            Err(e) if is_refusal(&e) => {
                change.tx.rollback().await?;
                refuse_row(app, access, id, line, &e.to_string(), meta).await?;
            }
            Err(e) => return Err(e),
        }
        return Ok(Step::More(import.applied + 1, import.to_apply));
    }
    let failed = store::count_results(&mut change.tx, org, id, RowResult::Failed).await?;
    store::finish(&mut change.tx, org, id, ImportStatus::Done, None, now).await?;
    change.record(
        AuditEntry::new(AuditAction::ImportFinished, id)
            .with("file", import.file_name.as_str())
            .with("applied", import.applied)
            .with("failed", failed),
    );
    change.commit().await?;
    Ok(Step::Done)
}

/// Marks one row refused when applied, in a change of its own.
async fn refuse_row(app: &App, access: &OrgAccess, id: Uuid, line: u64, why: &str, meta: &RequestMeta) -> Result<()> {
    let mut change = change::begin(app, access, Permission::MEMBERS_CREATE, meta).await?;
    let org = change.access.org.id;
    store::set_failed(&mut change.tx, org, id, line, why).await?;
    store::add_applied(&mut change.tx, org, id, 1).await?;
    change.record(AuditEntry::new(AuditAction::ImportCommitted, id).with("failed", 1u64).with("row", line));
    change.commit().await
}

/// Ends a job that stopped on a failure that is not a row's.
async fn fail(app: &App, access: &OrgAccess, id: Uuid, meta: &RequestMeta, e: &AppError) -> Result<()> {
    let mut change = change::begin(app, access, Permission::MEMBERS_CREATE, meta).await?;
    let org = change.access.org.id;
    let message = if is_refusal(e) { e.to_string() } else { "the commit stopped on an internal error".to_string() };
    store::finish(&mut change.tx, org, id, ImportStatus::Failed, Some(&message), change.now).await?;
    change.record(AuditEntry::new(AuditAction::ImportFinished, id).with("failed_with", message.as_str()));
    change.commit().await
}

/// Creates a batch's new members: users (or the existing user of another
/// organization), memberships, roles, licenses, invitations, and one audit
/// event per member. A row whose address became a member since the check
/// is marked failed. Answers how many were created.
async fn create_members(
    app: &App,
    change: &mut Change<'_>,
    import: &ImportRecord,
    rows: Vec<ImportRowRecord>,
) -> Result<u64> {
    let access = change.access.clone();
    let (org, now, id) = (access.org.id, change.now, import.id);
    let emails: Vec<String> = rows.iter().map(|r| r.email.clone()).collect();
    let members_now: Vec<String> =
        store::members_by_email(&mut change.tx, org, &emails).await?.into_iter().map(|m| m.email).collect();
    let (rows, taken): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| !members_now.contains(&r.email));
    for r in &taken {
        store::set_failed(&mut change.tx, org, id, r.line, "became a member after the check").await?;
    }
    if rows.is_empty() {
        return Ok(0);
    }
    let users: HashMap<String, (UserId, String)> =
        store::users_by_email(&mut change.tx, &rows.iter().map(|r| r.email.clone()).collect::<Vec<_>>())
            .await?
            .into_iter()
            .map(|(u, e, n)| (e, (u, n)))
            .collect();
    let status = if import.invite { MemberStatus::Invited } else { MemberStatus::Active };
    let mut new_users = Vec::new();
    let mut made: Vec<(ImportRowRecord, UserId, String)> = Vec::with_capacity(rows.len());
    for r in rows {
        let (user, name) = match users.get(&r.email) {
            Some((u, n)) => (*u, n.clone()),
            None => {
                let u = UserRecord {
                    id: UserId::new(),
                    email: r.email.clone(),
                    name: roster_domain::invitations::display_name(&r.first_name, &r.last_name),
                    password_hash: r.password_hash.clone(),
                    email_confirmed: false,
                    created_at: now,
                    locked_at: None,
                };
                let made = (u.id, u.name.clone());
                new_users.push(u);
                made
            }
        };
        made.push((r, user, name));
    }
    roster_store::users::insert_users(&mut change.tx, &new_users).await?;
    let new_members: Vec<NewMember> = made
        .iter()
        .map(|(r, user, name)| NewMember {
            org_id: org,
            user_id: *user,
            email: r.email.clone(),
            name: name.clone(),
            status,
            created_at: now,
            last_active_at: None,
        })
        .collect();
    roster_store::members::insert_members(&mut change.tx, &new_members).await?;
    // Roles and products, set-wise.
    let default_role = access.policy.default_role(&access.org.preset).map(|r| r.id);
    let mut by_role: BTreeMap<RoleId, Vec<UserId>> = BTreeMap::new();
    let mut by_product: BTreeMap<ProductKey, Vec<UserId>> = BTreeMap::new();
    let mut roles_of: Vec<Vec<crate::roles::RoleRecord>> = Vec::with_capacity(made.len());
    for (r, user, _) in &made {
        let roles: Vec<crate::roles::RoleRecord> = match split_list(&r.roles) {
            Some(names) => names.iter().filter_map(|n| find_role(&access, n).cloned()).collect(),
            None => default_role.and_then(|d| access.policy.role(d).cloned()).into_iter().collect(),
        };
        for role in &roles {
            by_role.entry(role.id).or_default().push(*user);
        }
        roles_of.push(roles);
        for p in split_list(&r.products).unwrap_or_default() {
            if let Ok(k) = ProductKey::parse(&p) {
                by_product.entry(k).or_default().push(*user);
            }
        }
    }
    let access = change.access.clone();
    for (role, users) in &by_role {
        roster_store::roles::add_role(&mut change.tx, org, *role, users).await?;
        crate::partners::scopes::follow_given(&mut change.tx, &access, *role, users).await?;
    }
    if !by_role.is_empty() {
        roster_store::orgs::bump_authz_version(&mut change.tx, org).await?;
    }
    for (product, users) in &by_product {
        if roster_store::products::assign(&mut change.tx, org, product, users, now).await?.is_none() {
            let name = app.config.catalogue.get(product.as_str()).map(|p| p.name.clone()).unwrap_or_default();
            return Err(AppError::Internal(format!(
                "the free seats of {name} ran out during the import (taken since the check)"
            )));
        }
    }
    // The invitations of the batch, written together.
    let issued = if import.invite {
        let emails: Vec<Email> =
            made.iter().map(|(r, _, _)| Email::parse(&r.email)).collect::<std::result::Result<_, _>>()?;
        let grants = Grants::default();
        let all: Vec<Issue<'_>> = made
            .iter()
            .zip(&emails)
            .zip(&roles_of)
            .map(|(((r, user, _), email), roles)| Issue {
                user: *user,
                email,
                first_name: &r.first_name,
                last_name: &r.last_name,
                roles,
                grants: &grants,
                send_email: true,
            })
            .collect();
        issue_many(app, change, &all).await?
    } else {
        Vec::new()
    };
    let mut lines = Vec::with_capacity(made.len());
    for (k, (r, user, _)) in made.iter().enumerate() {
        let role_names: Vec<String> = roles_of[k].iter().map(|r| r.name.clone()).collect();
        let products = split_list(&r.products).unwrap_or_default();
        let mut entry = match issued.get(k) {
            Some(issued) => AuditEntry::new(AuditAction::InvitationSent, *user)
                .after(serde_json::json!({"email": r.email, "status": MemberStatus::Invited}))
                .with("invitation", issued.id.to_string())
                .with("email_sent", true)
                .with("expires_at", issued.expires_at.0),
            None => AuditEntry::new(AuditAction::MemberAdded, *user)
                .after(serde_json::json!({"email": r.email, "status": MemberStatus::Active, "roles": role_names})),
        };
        entry = entry.with("roles", role_names).with("via", "import").with("import", id.to_string());
        if !products.is_empty() {
            entry = entry.with("products", products);
        }
        if r.password_hash.is_some() && !users.contains_key(&r.email) {
            entry = entry.with("imported_hash", true);
        }
        change.record(entry);
        lines.push(r.line);
    }
    store::set_results(&mut change.tx, org, id, RowResult::Created, &lines).await?;
    change.flush().await?;
    Ok(made.len() as u64)
}

/// Updates one member to a row: products, roles, name, through the same
/// rules as the member form (no escalation, the owner and the last
/// administrator protected).
async fn update_member(app: &App, change: &mut Change<'_>, row: &ImportRowRecord) -> Result<()> {
    let user = row.user_id.ok_or(AppError::NotFound("member"))?;
    let before = crate::members::member_in_change(change, user).await?;
    if let Some(products) = split_list(&row.products) {
        change.access.require(Permission::LICENSES_UPDATE)?;
        let keys = crate::products::check_products(app, "products", &products)?;
        crate::products::apply_member_products(app, change, user, &keys).await?;
    }
    if let Some(names) = split_list(&row.roles) {
        let access = change.access.clone();
        let ids: Vec<String> = names.iter().filter_map(|n| find_role(&access, n)).map(|r| r.id.to_string()).collect();
        crate::roles::apply_member_roles(change, user, &ids).await?;
    }
    let first = row.first_name.trim();
    if !first.is_empty() {
        let name = roster_domain::invitations::display_name(first, row.last_name.trim());
        crate::members::apply_rename(change, &before, &name).await?;
    }
    Ok(())
}

/// Resumes, every `every`, the committing imports whose lease ran out
/// (their server stopped mid-commit), on this instance, as Roster itself.
pub fn spawn_worker(app: App, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = resume_abandoned(&app).await {
                tracing::warn!(error = %e, "resuming imports failed");
            }
            tokio::time::sleep(every).await;
        }
    })
}

/// Resumes the abandoned imports once (the worker's round; tests call it).
pub async fn resume_abandoned(app: &App) -> Result<u64> {
    let now = app.clock.now();
    let jobs = store::abandoned(&mut app.db.conn().await?, now, 10).await?;
    let mut resumed = 0;
    for (org, id) in jobs {
        let access = crate::access::open_org(app, &Actor::System, &org.0.to_string()).await?;
        let meta = RequestMeta::default();
        tracing::info!(import = %id, "resuming an import whose server stopped");
        if let Err(e) = run(app, &access, id, &meta, &|_, _| {}).await {
            tracing::error!(error = %e, import = %id, "a resumed import failed");
        }
        resumed += 1;
    }
    Ok(resumed)
}

/// Whether an error is a row's (the row is marked and the job goes on)
/// rather than the database's (which stops the job).
fn is_refusal(e: &AppError) -> bool {
    !matches!(e, AppError::Store(_) | AppError::Internal(_))
}
