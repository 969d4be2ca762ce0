//! Creating organizations and listing a user's.

use roster_domain::audit::{AuditAction, AuditEntry};
use roster_domain::orgs::parse_display_name;
use roster_domain::permissions::DEFAULT_PRESET;
use roster_domain::{Email, MemberStatus, OrgId, OrgName, OrgSlug, UserId, ValidationError};
use roster_store::members::NewMember;
pub use roster_store::orgs::OrgRecord;
use roster_store::users::UserRecord;
use roster_store::{audit, members, orgs, users};

use crate::error::Result;
use crate::{Actor, App, AppError, ConflictKind, RequestMeta, passwords};

/// What creating an organization needs.
#[derive(Debug, Clone)]
pub struct NewOrg {
    /// Display name.
    pub name: String,
    /// URL handle.
    pub slug: String,
    /// The owner's email; a user is created when none has it.
    pub owner_email: String,
    /// The owner's name, for a new user (defaults to the email's local part).
    pub owner_name: Option<String>,
    /// A password to set now instead of issuing a set-password link.
    pub owner_password: Option<String>,
    /// The role preset (see `roster presets`); the default when absent.
    pub preset: Option<String>,
}

/// A created organization.
#[derive(Debug, Clone)]
pub struct CreatedOrg {
    /// The organization.
    pub org: OrgRecord,
    /// The owner.
    pub owner_id: UserId,
    /// A one-time set-password link secret, when no password was given.
    pub password_token: Option<String>,
}

/// Creates an organization with its owner as its first active member, and
/// audits both, in one transaction.
///
/// Who may: any signed-in user (who becomes its owner) and the command line;
/// there is no permission to hold, since the organization does not exist
/// yet. The actor is therefore established before this is called (the API
/// authenticates, and checks the CSRF token, before it reads the body), so
/// whether a slug is taken (409) is told only to those who may create an
/// organization; anyone else gets the same 401 or 403 whatever the slug.
pub async fn create_org(app: &App, actor: &Actor, input: NewOrg) -> Result<CreatedOrg> {
    let parsed = parse_new_org(app, input).await?;
    let mut tx = app.db.begin().await?;
    let (created, events) = Box::pin(insert_new_org(app, &mut tx, actor, &parsed, None)).await?;
    audit::append(&mut tx, &events).await?;
    tx.commit().await?;
    Ok(created)
}

/// A [`NewOrg`] checked, with its owner's password hashed.
pub(crate) struct ParsedOrg {
    name: OrgName,
    slug: OrgSlug,
    /// The owner's email.
    pub email: Email,
    owner_name: String,
    hash: Option<String>,
    /// The preset.
    pub preset: roster_domain::permissions::Preset,
}

/// Checks a [`NewOrg`], every field at once.
pub(crate) async fn parse_new_org(app: &App, input: NewOrg) -> Result<ParsedOrg> {
    let mut errors = ValidationError { errors: vec![] };
    let name = OrgName::parse("name", &input.name).map_err(|e| errors.merge(e)).ok();
    let slug = OrgSlug::parse(&input.slug).map_err(|e| errors.merge(e)).ok();
    let email = Email::parse(&input.owner_email)
        .map_err(|e| {
            errors.merge(ValidationError::field("owner_email", e.errors[0].message.clone()));
        })
        .ok();
    if let Some(p) = &input.owner_password {
        passwords::check_password(p, &[&input.owner_email, &input.name]).map_err(|e| errors.merge(e)).ok();
    }
    let preset_key = input.preset.as_deref().map(str::trim).filter(|p| !p.is_empty()).unwrap_or(DEFAULT_PRESET);
    let preset = crate::roles::find_preset(preset_key)
        .map_err(|e| {
            if let AppError::Validation(v) = e {
                errors.merge(v)
            }
        })
        .ok();
    let (Some(name), Some(slug), Some(email), Some(preset)) = (name, slug, email, preset) else {
        return Err(errors.into());
    };
    if !errors.errors.is_empty() {
        return Err(errors.into());
    }
    let owner_name = match &input.owner_name {
        Some(n) => parse_display_name("owner_name", n)?,
        None => email.as_str().split('@').next().unwrap_or("Owner").to_string(),
    };
    let hash = match &input.owner_password {
        Some(p) => Some(passwords::hash_password(app, p.clone()).await?),
        None => None,
    };
    Ok(ParsedOrg { name, slug, email, owner_name, hash, preset })
}

/// Writes a checked organization with its owner as its first active member
/// (a customer of `parent` when given), inside `tx`; answers the events
/// that audit both (`organization.created`, `member.added`), for the caller
/// to append in the same transaction.
pub(crate) async fn insert_new_org(
    app: &App,
    tx: &mut roster_store::Tx,
    actor: &Actor,
    parsed: &ParsedOrg,
    parent: Option<OrgId>,
) -> Result<(CreatedOrg, Vec<roster_domain::audit::NewAuditEvent>)> {
    let ParsedOrg { name, slug, email, owner_name, hash, preset } = parsed;
    let now = app.clock.now();
    let existing = users::find_user_by_email(tx, email).await?;
    let user = match existing {
        Some(u) => u,
        None => {
            let u = UserRecord {
                locked_at: None,
                id: UserId::new(),
                email: email.as_str().to_string(),
                name: owner_name.clone(),
                password_hash: hash.clone(),
                email_confirmed: false,
                created_at: now,
            };
            users::insert_user(tx, &u).await?;
            u
        }
    };
    let org = OrgRecord {
        id: OrgId::new(),
        slug: slug.as_str().to_string(),
        name: name.as_str().to_string(),
        owner_id: Some(user.id),
        created_at: now,
        preset: preset.key.clone(),
        partner: preset.is_partner(),
        owner_transfer: preset.owner_transfer,
        authz_version: 0,
        parent_id: parent,
    };
    if let Err(e) = orgs::insert_org(tx, &org).await {
        return Err(if e.is_unique_violation() {
            AppError::conflict(ConflictKind::SlugTaken, format!("the slug '{}' is taken; choose another", org.slug))
        } else {
            e.into()
        });
    }
    members::insert_members(
        tx,
        &[NewMember {
            org_id: org.id,
            user_id: user.id,
            email: user.email.clone(),
            name: user.name.clone(),
            status: MemberStatus::Active,
            created_at: now,
            last_active_at: None,
        }],
    )
    .await?;
    crate::roles::install_preset(tx, org.id, preset, Some(user.id), now).await?;
    let password_token = match (&hash, &user.password_hash) {
        (None, None) => Some(passwords::issue_password_token(app, tx, user.id, app.config.password_link_ms).await?.0),
        _ => None,
    };
    let event = |e: AuditEntry| crate::change::audit_event(actor, org.id, &RequestMeta::default(), now, e);
    let events = vec![
        event(AuditEntry::new(AuditAction::OrganizationCreated, org.id).after(
            serde_json::json!({"name": org.name, "slug": org.slug, "owner": user.email, "preset": preset.key}),
        )),
        event(AuditEntry::new(AuditAction::MemberAdded, user.id).after(serde_json::json!({"email": user.email, "status": "active", "owner": true, "roles": [preset.role(&preset.owner_role).map(|r| r.name.clone())]}))),
    ];
    Ok((CreatedOrg { org, owner_id: user.id, password_token }, events))
}

/// One organization a user belongs to, for `/me` and the organization picker.
#[derive(Debug, Clone)]
pub struct Membership {
    /// The organization.
    pub org: OrgRecord,
    /// The user's status there.
    pub status: MemberStatus,
    /// Whether the user owns it.
    pub is_owner: bool,
}

/// The organizations where a user is an active member.
pub async fn active_memberships(app: &App, user: UserId) -> Result<Vec<Membership>> {
    let rows = members::memberships_of_user(&mut app.db.conn().await?, user).await?;
    Ok(rows
        .into_iter()
        .filter(|(_, s)| *s == MemberStatus::Active)
        .map(|(org, status)| Membership { is_owner: org.owner_id == Some(user), org, status })
        .collect())
}

/// Every organization (for the operator's CLI).
pub async fn list_all(app: &App) -> Result<Vec<OrgRecord>> {
    Ok(orgs::list_orgs(&mut app.db.conn().await?).await?)
}
