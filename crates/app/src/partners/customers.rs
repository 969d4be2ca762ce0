//! A partner's customers: the Customers tab, creating and linking
//! customers, and the customer's own view of its partner.
//!
//! Creating, linking and unlinking need `customers` permission over every
//! customer (an all-customers assignment): someone whose roles reach only
//! their groups' customers cannot add one they would then not see, nor drop
//! one they do not manage. Linking an existing organization is a request its
//! owner accepts or refuses; the customer's administrators may revoke the
//! link at any time.

use roster_domain::audit::{AuditAction, AuditEntry};
use roster_domain::partners::CustomerStatus;
use roster_domain::{OrgId, UserId, ValidationError};
use roster_store::orgs::OrgRecord;
use roster_store::partners::{self as store, CustomerQuery, CustomerRow, LinkRequest};
use roster_store::{audit, orgs};

use super::{actor_coverage, require_partner};
use crate::access::{OrgAccess, Permission};
use crate::change::{self, audit_event};
use crate::error::Result;
use crate::mail::{Letter, MailKind};
use crate::orgs::NewOrg;
use crate::{App, AppError, ConflictKind, RequestMeta};

/// See the partner's customers.
pub const CUSTOMERS_READ: Permission =
    Permission { resource: "customers", action: roster_domain::permissions::Action::Read };
/// Create or link customers.
pub const CUSTOMERS_CREATE: Permission =
    Permission { resource: "customers", action: roster_domain::permissions::Action::Create };
/// Unlink customers.
pub const CUSTOMERS_DELETE: Permission =
    Permission { resource: "customers", action: roster_domain::permissions::Action::Delete };

/// The most customers one page shows.
pub const PAGE_MAX: u64 = 200;

/// A page of customers.
#[derive(Debug, Clone)]
pub struct CustomerPage {
    /// This page, by name.
    pub items: Vec<CustomerRow>,
    /// How many match in all.
    pub total: i64,
    /// The keyset of the next page, when there is one.
    pub next: Option<(String, OrgId)>,
    /// Link requests the partner sent that wait for their owner.
    pub pending: Vec<LinkRequest>,
    /// Whether the actor sees every customer (or only their groups').
    pub sees_all: bool,
}

/// The Customers tab: the customers the actor's roles reach (every one, or
/// those of their groups), searched and filtered, a page at a time.
pub async fn list(app: &App, access: &OrgAccess, mut query: CustomerQuery) -> Result<CustomerPage> {
    require_partner(access)?;
    access.require(CUSTOMERS_READ)?;
    let mut conn = app.db.conn().await?;
    let coverage = actor_coverage(&mut conn, access).await?;
    let sees_all = coverage.covers_all();
    if !sees_all {
        query.within_groups = Some(coverage.groups().collect());
    }
    query.limit = query.limit.clamp(1, PAGE_MAX);
    let wanted = query.limit;
    query.limit = wanted + 1;
    let (mut items, total, pending) = if query.status == Some(CustomerStatus::LinkPending) {
        (Vec::new(), 0, store::link_requests(&mut conn, Some(access.org.id), None).await?)
    } else {
        let items = store::list_customers(&mut conn, access.org.id, &query).await?;
        let total = store::count_customers(&mut conn, access.org.id, &query).await?;
        let pending = if sees_all && query.after.is_none() {
            store::link_requests(&mut conn, Some(access.org.id), None).await?
        } else {
            Vec::new()
        };
        (items, total, pending)
    };
    let next = if items.len() as u64 > wanted {
        items.truncate(wanted as usize);
        items.last().map(|c| (c.org.name.clone(), c.org.id))
    } else {
        None
    };
    let total = if query.status == Some(CustomerStatus::LinkPending) { pending.len() as i64 } else { total };
    Ok(CustomerPage { items, total, next, pending, sees_all })
}

/// Refuses unless the actor's roles reach every customer.
async fn require_all_customers(app: &App, access: &OrgAccess, what: &str) -> Result<()> {
    let coverage = actor_coverage(&mut app.db.conn().await?, access).await?;
    if coverage.covers_all() {
        return Ok(());
    }
    Err(AppError::Forbidden(format!(
        "only a member whose roles reach all customers can {what}; yours reach only the customers of your groups"
    )))
}

/// What creating a customer needs.
#[derive(Debug, Clone)]
pub struct NewCustomer {
    /// Its name.
    pub name: String,
    /// Its URL handle.
    pub slug: String,
    /// Its role preset (the default when absent).
    pub preset: Option<String>,
    /// Its owner's email: invited through the outbox.
    pub owner_email: String,
    /// The owner's name, for a new user.
    pub owner_name: Option<String>,
}

/// Creates a customer organization of the partner: its own preset, its
/// owner (a new user gets a link to choose a password; either way an email
/// goes through the outbox), audited in both organizations.
pub async fn create(app: &App, access: &OrgAccess, input: NewCustomer, meta: &RequestMeta) -> Result<OrgRecord> {
    require_partner(access)?;
    access.require(CUSTOMERS_CREATE)?;
    require_all_customers(app, access, "create a customer").await?;
    let parsed = crate::orgs::parse_new_org(
        app,
        NewOrg {
            name: input.name,
            slug: input.slug,
            owner_email: input.owner_email,
            owner_name: input.owner_name,
            owner_password: None,
            preset: input.preset,
        },
    )
    .await?;
    if parsed.preset.is_partner() {
        return Err(ValidationError::field("preset", "a customer cannot be a partner; choose a customer preset").into());
    }
    let mut change = change::begin(app, access, CUSTOMERS_CREATE, meta).await?;
    let (created, mut events) =
        crate::orgs::insert_new_org(app, &mut change.tx, &access.actor, &parsed, Some(access.org.id)).await?;
    let org = created.org.clone();
    let partner = &access.org;
    let by =
        access.actor.principal().map_or_else(|| partner.name.clone(), |p| format!("{} ({})", p.name, partner.name));
    let (action, footer) = match &created.password_token {
        Some(secret) => (
            Some(("Choose your password".to_string(), app.config.link(&format!("/set-password?token={secret}")))),
            vec![format!(
                "The link works for {} and only once.",
                crate::invitations::duration_words(app.config.password_link_ms)
            )],
        ),
        None => {
            (Some(("Open Roster".to_string(), app.config.link(&format!("/orgs/{}/settings/users", org.slug)))), vec![])
        }
    };
    let letter = Letter {
        subject: format!("{} made {} for you on Roster", partner.name, org.name),
        greeting: "Hello,".into(),
        paragraphs: vec![
            format!("{by} created the organization {} and made you its owner.", org.name),
            format!(
                "{} is its partner: the partner's staff can help manage it, and you can see who and revoke that link in your settings.",
                partner.name
            ),
        ],
        action,
        footer,
    };
    crate::outbox::enqueue(
        &mut change.tx,
        Some(org.id),
        MailKind::Invitation,
        &parsed.email,
        &letter,
        created.password_token.is_some(),
        change.now,
    )
    .await?;
    let details = serde_json::json!({"name": org.name, "slug": org.slug, "preset": org.preset});
    let customer_event = AuditEntry::new(AuditAction::CustomerCreated, org.id)
        .after(details.clone())
        .with("partner_org", partner.name.clone())
        .with("owner", parsed.email.as_str());
    events.push(audit_event(&access.actor, org.id, meta, change.now, customer_event));
    for e in &mut events {
        e.details = with_partner(&e.details, access);
    }
    audit::append(&mut change.tx, &events).await?;
    orgs::bump_authz_version(&mut change.tx, partner.id).await?;
    change.record(
        AuditEntry::new(AuditAction::CustomerCreated, org.id)
            .after(details)
            .with("customer", org.name.clone())
            .with("owner", parsed.email.as_str()),
    );
    change.commit().await?;
    Ok(org)
}

/// Adds `"partner"` to an event written in another organization than the
/// change's own (the customer's log, for a change made in the partner).
fn with_partner(details: &str, access: &OrgAccess) -> String {
    let mut v: serde_json::Value = serde_json::from_str(details).unwrap_or_else(|_| serde_json::json!({}));
    if let (Some(o), Some(_)) = (v.as_object_mut(), access.actor.principal()) {
        o.insert("partner".into(), crate::change::partner_detail(&access.org));
    }
    v.to_string()
}

/// Asks to link an existing organization (id or slug) as a customer; its
/// owner accepts or refuses. An organization that is a partner, or has a
/// partner already, cannot be asked.
pub async fn request_link(app: &App, access: &OrgAccess, org: &str, meta: &RequestMeta) -> Result<OrgRecord> {
    require_partner(access)?;
    access.require(CUSTOMERS_CREATE)?;
    require_all_customers(app, access, "link a customer").await?;
    let target = orgs::find_org(&mut app.db.conn().await?, org.trim())
        .await?
        .ok_or_else(|| ValidationError::field("org", format!("no organization '{}'", org.trim())))?;
    if target.id == access.org.id || target.partner {
        return Err(AppError::conflict(
            ConflictKind::CustomerLink,
            format!("{} is a partner; a partner cannot be a customer", target.name),
        ));
    }
    match target.parent_id {
        Some(p) if p == access.org.id => {
            return Err(AppError::conflict(
                ConflictKind::CustomerLink,
                format!("{} is your customer already", target.name),
            ));
        }
        Some(_) => {
            return Err(AppError::conflict(
                ConflictKind::CustomerLink,
                format!("{} has a partner already; its owner must revoke that link first", target.name),
            ));
        }
        None => {}
    }
    let mut change = change::begin(app, access, CUSTOMERS_CREATE, meta).await?;
    store::insert_link_request(
        &mut change.tx,
        target.id,
        access.org.id,
        access.actor.user_id(),
        &access.actor.label(),
        change.now,
    )
    .await?;
    let mut event = audit_event(
        &access.actor,
        target.id,
        meta,
        change.now,
        AuditEntry::new(AuditAction::CustomerLinkRequested, target.id).with("partner_org", access.org.name.clone()),
    );
    event.details = with_partner(&event.details, access);
    audit::append(&mut change.tx, &[event]).await?;
    change.record(AuditEntry::new(AuditAction::CustomerLinkRequested, target.id).with("customer", target.name.clone()));
    change.commit().await?;
    Ok(target)
}

/// The owner's answer to a link request (accept or refuse); only the owner
/// (or the operator) answers.
pub async fn answer_link(
    app: &App,
    access: &OrgAccess,
    partner: OrgId,
    accept: bool,
    meta: &RequestMeta,
) -> Result<()> {
    if !access.acts_for_owner() {
        return Err(AppError::Forbidden(format!(
            "only the owner of {} can answer a partner's link request",
            access.org.name
        )));
    }
    let mut change = change::begin(app, access, Permission::MEMBERS_READ, meta).await?;
    if store::link_requests(&mut change.tx, Some(partner), Some(access.org.id)).await?.is_empty() {
        return Err(AppError::NotFound("link request"));
    }
    let partner_org =
        orgs::find_org(&mut change.tx, &partner.to_string()).await?.ok_or(AppError::NotFound("link request"))?;
    if accept && change.access.org.parent_id.is_some() {
        return Err(AppError::conflict(
            ConflictKind::CustomerLink,
            "this organization has a partner already; revoke that link first",
        ));
    }
    store::delete_link_request(&mut change.tx, access.org.id, partner).await?;
    let action = if accept { AuditAction::CustomerLinked } else { AuditAction::CustomerLinkRefused };
    if accept {
        store::set_parent(&mut change.tx, access.org.id, Some(partner)).await?;
        orgs::bump_authz_version(&mut change.tx, access.org.id).await?;
        orgs::bump_authz_version(&mut change.tx, partner).await?;
    }
    let event = audit_event(
        &access.actor,
        partner,
        meta,
        change.now,
        AuditEntry::new(action, access.org.id).with("customer", access.org.name.clone()),
    );
    audit::append(&mut change.tx, &[event]).await?;
    change.record(AuditEntry::new(action, access.org.id).with("partner_org", partner_org.name.clone()));
    change.commit().await?;
    Ok(())
}

/// Ends a customer's link, from the partner (`customers:delete` over every
/// customer) or from the customer (its administrators, never through the
/// partner itself): the partner's staff lose their access there at once.
pub async fn unlink(app: &App, access: &OrgAccess, customer: &str, meta: &RequestMeta) -> Result<()> {
    let (partner_side, customer_org, partner_org) = if access.org.partner && access.via.is_none() {
        access.require(CUSTOMERS_DELETE)?;
        let target = orgs::find_org(&mut app.db.conn().await?, customer.trim())
            .await?
            .filter(|o| o.parent_id == Some(access.org.id))
            .ok_or(AppError::NotFound("customer"))?;
        require_all_customers(app, access, "unlink a customer").await?;
        (true, target, access.org.clone())
    } else {
        if access.via.is_some() {
            return Err(AppError::Forbidden("the partner's staff cannot revoke the partner's own link".into()));
        }
        access.require(Permission::ORG_SETTINGS_UPDATE)?;
        let partner = access
            .org
            .parent_id
            .filter(|p| p.to_string() == customer || customer == "partner")
            .ok_or(AppError::NotFound("partner link"))?;
        let partner_org = orgs::find_org(&mut app.db.conn().await?, &partner.to_string())
            .await?
            .ok_or(AppError::NotFound("partner link"))?;
        (false, access.org.clone(), partner_org)
    };
    let p = if partner_side { CUSTOMERS_DELETE } else { Permission::ORG_SETTINGS_UPDATE };
    let mut change = change::begin(app, access, p, meta).await?;
    store::set_parent(&mut change.tx, customer_org.id, None).await?;
    orgs::bump_authz_version(&mut change.tx, customer_org.id).await?;
    orgs::bump_authz_version(&mut change.tx, partner_org.id).await?;
    let (other, entry_other, entry_own) = if partner_side {
        (
            customer_org.id,
            AuditEntry::new(AuditAction::CustomerUnlinked, customer_org.id)
                .with("partner_org", partner_org.name.clone()),
            AuditEntry::new(AuditAction::CustomerUnlinked, customer_org.id).with("customer", customer_org.name.clone()),
        )
    } else {
        (
            partner_org.id,
            AuditEntry::new(AuditAction::CustomerUnlinked, customer_org.id).with("customer", customer_org.name.clone()),
            AuditEntry::new(AuditAction::CustomerUnlinked, customer_org.id)
                .with("partner_org", partner_org.name.clone()),
        )
    };
    let event = audit_event(&access.actor, other, meta, change.now, entry_other);
    audit::append(&mut change.tx, &[event]).await?;
    change.record(entry_own);
    change.commit().await?;
    Ok(())
}

/// A partner member who can act in the customer, with the roles that reach it.
#[derive(Debug, Clone)]
pub struct PartnerActor {
    /// The user.
    pub user_id: UserId,
    /// Their email.
    pub email: String,
    /// Their name.
    pub name: String,
    /// The partner's roles that reach the customer, by name.
    pub roles: Vec<String>,
}

/// A customer's view of its partner.
#[derive(Debug, Clone)]
pub struct PartnerView {
    /// The partner, when the organization has one.
    pub partner: Option<OrgRecord>,
    /// The partner's members who can act here.
    pub actors: Vec<PartnerActor>,
    /// Partners asking to link the organization.
    pub requests: Vec<(OrgRecord, LinkRequest)>,
}

/// The organization's partner, who of its staff can act here and why, and
/// the link requests waiting (`members:read`).
pub async fn partner_view(app: &App, access: &OrgAccess) -> Result<PartnerView> {
    access.require(Permission::MEMBERS_READ)?;
    let mut conn = app.db.conn().await?;
    let mut requests = Vec::new();
    for r in store::link_requests(&mut conn, None, Some(access.org.id)).await? {
        if let Some(p) = orgs::find_org(&mut conn, &r.partner_id.to_string()).await? {
            requests.push((p, r));
        }
    }
    let Some(parent) = access.org.parent_id else {
        return Ok(PartnerView { partner: None, actors: vec![], requests });
    };
    let partner = orgs::find_org(&mut conn, &parent.to_string()).await?.ok_or(AppError::NotFound("partner"))?;
    let policy = crate::policy::load_policy(&mut conn, app, &partner).await?;
    let actors = store::partner_actors(&mut conn, partner.id, access.org.id)
        .await?
        .into_iter()
        .map(|a| PartnerActor {
            roles: a.roles.iter().filter_map(|r| policy.role(*r).map(|r| r.name.clone())).collect(),
            user_id: a.user_id,
            email: a.email,
            name: a.name,
        })
        .collect();
    Ok(PartnerView { partner: Some(partner), actors, requests })
}

/// A page's keyset as an opaque cursor (the last name and id).
pub fn cursor(next: &(String, OrgId)) -> String {
    format!("{}.{}", hex::encode(next.0.as_bytes()), next.1)
}

/// Reads a [`cursor`]; anything else is a `cursor` error.
pub fn parse_cursor(text: &str) -> Result<(String, OrgId)> {
    let bad = || AppError::from(ValidationError::field("cursor", "is not a cursor this list gave"));
    let (name, id) = text.split_once('.').ok_or_else(bad)?;
    let name = String::from_utf8(hex::decode(name).map_err(|_| bad())?).map_err(|_| bad())?;
    Ok((name, id.parse().map_err(|_| bad())?))
}

/// The operator turns an organization into a partner (or back): a partner
/// with customers left cannot stop being one.
pub async fn set_partner(app: &App, access: &OrgAccess, partner: bool, meta: &RequestMeta) -> Result<()> {
    if !access.actor.is_operator() {
        return Err(AppError::Forbidden("only the deployment's operator turns an organization into a partner".into()));
    }
    if access.org.partner == partner {
        return Ok(());
    }
    if access.org.parent_id.is_some() && partner {
        return Err(AppError::conflict(
            ConflictKind::CustomerLink,
            format!("{} is a customer; a customer cannot be a partner", access.org.name),
        ));
    }
    let mut change = change::begin(app, access, Permission::MEMBERS_READ, meta).await?;
    if !partner && store::count_customers(&mut change.tx, access.org.id, &CustomerQuery::default()).await? > 0 {
        return Err(AppError::conflict(
            ConflictKind::CustomerLink,
            format!("{} still has customers; unlink them first", access.org.name),
        ));
    }
    store::set_partner(&mut change.tx, access.org.id, partner).await?;
    change.record(
        AuditEntry::new(AuditAction::OrganizationPartnerChanged, access.org.id)
            .before(serde_json::json!({"partner": !partner}))
            .after(serde_json::json!({"partner": partner})),
    );
    change.commit().await?;
    Ok(())
}
