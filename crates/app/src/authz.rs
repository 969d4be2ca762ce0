//! The host application's question: may this member do that here?
//!
//! A check reads the member's status (one indexed lookup) and then evaluates
//! grants from the policy cache: a lookup, not a query over roles.

use std::sync::Arc;

use roster_domain::permissions::Action;
use roster_domain::roles::{Decision, Effective};
use roster_domain::{Email, MemberStatus, UserId, ValidationError};
use roster_store::members;

use crate::access::{OrgAccess, Permission};
use crate::error::Result;
use crate::{App, AppError};

/// One question.
#[derive(Debug, Clone)]
pub struct CheckRequest {
    /// The member: a user id or an email.
    pub user: String,
    /// The resource key.
    pub resource: String,
    /// The action name.
    pub action: String,
}

/// The most checks one batch may ask.
pub const BATCH_MAX: usize = 1000;

/// Whom a check asks about, as written: a user id or an email address.
enum Subject {
    Id(UserId),
    Email(Email),
}

fn parse_subject(user: &str, field: &str) -> Result<Subject> {
    if let Ok(id) = user.parse::<UserId>() {
        return Ok(Subject::Id(id));
    }
    match Email::parse(user) {
        Ok(email) => Ok(Subject::Email(email)),
        Err(_) => Err(ValidationError::field(field, "is neither a user id nor an email address").into()),
    }
}

/// Finds the member a check asks about, among this organization's members
/// only: a user of another organization is not found, exactly like an
/// unknown email, so a check reveals nothing about accounts elsewhere.
/// Asking about anyone but yourself needs `members:read`, checked before
/// anything is looked up.
async fn resolve_member(app: &App, access: &OrgAccess, user: &str, field: &str) -> Result<UserId> {
    let subject = parse_subject(user, field);
    let myself = match (&subject, &access.actor) {
        (Ok(Subject::Id(id)), _) => access.actor.user_id() == Some(*id),
        (Ok(Subject::Email(e)), crate::Actor::User(p)) => p.email == e.as_str(),
        _ => false,
    };
    if myself {
        return access.actor.user_id().ok_or(AppError::NotFound("member"));
    }
    access.require(Permission::MEMBERS_READ)?;
    match subject? {
        // An id's membership is checked when its status is read in this
        // organization (`member_grants`), with the same answer for a stranger.
        Subject::Id(id) => Ok(id),
        Subject::Email(email) => {
            let mut conn = app.db.conn().await?;
            match members::member_id_by_email(&mut conn, access.org.id, &email).await? {
                Some(id) => Ok(id),
                // A customer's check may ask about a member of its partner.
                None => match access.org.parent_id {
                    Some(partner) => members::member_id_by_email(&mut conn, partner, &email).await?,
                    None => None,
                }
                .ok_or(AppError::NotFound("member")),
            }
        }
    }
}

async fn member_grants(app: &App, access: &OrgAccess, user: UserId) -> Result<Option<Arc<Effective>>> {
    if access.actor.user_id() == Some(user) {
        // The actor was found active when the organization was opened.
        return Ok(Some(access.effective.clone()));
    }
    let status = members::member_status(&mut app.db.conn().await?, access.org.id, user).await?;
    match status {
        // A partner member inside a customer: what their roles reach here.
        None if access.org.parent_id.is_some() => match crate::partners::reach(app, &access.org, user).await? {
            Some((_, e)) => Ok(Some(e)),
            None => Err(AppError::NotFound("member")),
        },
        None => Err(AppError::NotFound("member")),
        // Only an active member may do anything; others hold their roles but use none.
        Some(s) if s != MemberStatus::Active => Ok(None),
        Some(_) => Ok(Some(app.policies.effective(app, &access.org, user).await?)),
    }
}

/// Answers a batch of checks in order. Asking about yourself needs no
/// permission; asking about others needs `members:read`. Someone who is not
/// a member of this organization is answered exactly like an unknown email.
pub async fn check_many(app: &App, access: &OrgAccess, checks: &[CheckRequest]) -> Result<Vec<Decision>> {
    if checks.len() > BATCH_MAX {
        return Err(ValidationError::field("checks", format!("at most {BATCH_MAX} checks per request")).into());
    }
    let mut errors = ValidationError { errors: vec![] };
    let mut parsed = Vec::with_capacity(checks.len());
    for (i, c) in checks.iter().enumerate() {
        let prefix = if checks.len() == 1 { String::new() } else { format!("checks[{i}].") };
        if let Some(key) = c.resource.strip_prefix(roster_domain::products::CHECK_PREFIX) {
            if app.config.catalogue.get(key).is_none() {
                errors.merge(ValidationError::field(format!("{prefix}resource"), format!("'{key}' is not a product")));
            } else if c.action.trim() != "read" {
                errors.merge(ValidationError::field(
                    format!("{prefix}action"),
                    "a product is checked with the action read (may the member use it?)",
                ));
            }
        } else if !access.policy.knows(&c.resource) {
            errors.merge(ValidationError::field(
                format!("{prefix}resource"),
                format!("'{}' is not a permission of this organization", c.resource),
            ));
        }
        match c.action.parse::<Action>() {
            Ok(a) => parsed.push(a),
            Err(e) => errors.merge(ValidationError::field(format!("{prefix}action"), e.errors[0].message.clone())),
        }
    }
    if !errors.errors.is_empty() {
        return Err(errors.into());
    }
    // In a partner, the resources its roles carry into customers apply there, not here.
    let inside_customers = &access.policy.customer_resources;
    let mut out = Vec::with_capacity(checks.len());
    let mut last: Option<(String, UserId, Option<Arc<Effective>>)> = None;
    for (i, (c, action)) in checks.iter().zip(parsed).enumerate() {
        let (user, grants) = match &last {
            Some((u, id, g)) if *u == c.user => (*id, g.clone()),
            _ => {
                let field = if checks.len() == 1 { "user".to_string() } else { format!("checks[{i}].user") };
                let user = resolve_member(app, access, c.user.trim(), &field).await?;
                let g = member_grants(app, access, user).await?;
                last = Some((c.user.clone(), user, g.clone()));
                (user, g)
            }
        };
        if let Some(key) = c.resource.strip_prefix(roster_domain::products::CHECK_PREFIX) {
            out.push(crate::products::check_product(app, access, user, grants.is_some(), key).await?);
            continue;
        }
        out.push(match grants {
            Some(_) if inside_customers.contains(&c.resource) => Decision { allowed: false, via: vec![] },
            Some(g) => g.check(&c.resource, action),
            None => Decision { allowed: false, via: vec![] },
        });
    }
    Ok(out)
}
