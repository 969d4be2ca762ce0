//! SCIM 2.0 provisioning (RFC 7643, RFC 7644): the use cases behind
//! `/scim/v2`. The organization comes from the caller's service account
//! token (`crate::access::open_org` with `Actor::ServiceAccount`), and every
//! read and change goes through the same permissions as the API: reading
//! Users needs `members:read`.
//!
//! The read side: a User list with a filter translated to SQL on both
//! databases (`roster_store::scim`, never filtered in memory), sorting and
//! paging, and one User by id.
//!
//! The write side: creating a User (an active membership, no invitation;
//! `members:create`), replacing or patching one (`members:update`: its name
//! and whether it is active), and deleting one (archiving it, or disabling
//! it as [`crate::Config::scim_delete`] says; `members:update` either way,
//! as the Users tab's archive needs). Every write is one change
//! (`crate::change::begin`), audited with the service account as the actor,
//! under the same rules as the pages: no escalation, the owner and the last
//! administrator protected. The SCIM JSON is read here into a
//! [`UserChange`] first; what Roster cannot take is refused with its
//! `scimType` (RFC 7644 §3.12).

use roster_domain::audit::{AuditAction, AuditEntry};
use roster_domain::members::{Member, StatusChange};
use roster_domain::orgs::parse_display_name;
use roster_domain::scim::users::{USER_SCHEMA, UserFilter, UserSort};
use roster_domain::{Email, MemberStatus, SortOrder, UserId};
use roster_store::members::NewMember;
use roster_store::users::UserRecord;
use roster_store::{members, orgs, roles, users};
use serde_json::Value;

use crate::access::{OrgAccess, Permission};
use crate::change::{self, Change};
use crate::error::Result;
use crate::members::{apply_rename, apply_status_change, member_in_change};
use crate::{App, AppError, RequestMeta};

/// A SCIM list request's parameters, as the query string gives them.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// `filter`, if any.
    pub filter: Option<String>,
    /// `sortBy`, if any.
    pub sort_by: Option<String>,
    /// `sortOrder`: `ascending` (default) or `descending`.
    pub sort_order: Option<String>,
    /// `startIndex` (1-based; default 1).
    pub start_index: Option<u64>,
    /// `count` (default 100, at most 1,000).
    pub count: Option<u64>,
}

/// Why a SCIM request is refused, with its `scimType` (RFC 7644 §3.12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimRefusal {
    /// `invalidFilter`, `invalidValue`, …
    pub scim_type: &'static str,
    /// What is wrong, in words.
    pub detail: String,
}

/// A page of Users.
#[derive(Debug, Clone)]
pub struct UserList {
    /// How many match in all (`totalResults`).
    pub total: u64,
    /// The 1-based index of the first one here (`startIndex`).
    pub start_index: u64,
    /// The page.
    pub members: Vec<Member>,
}

/// The most Users one list answers (`filter.maxResults`).
pub const MAX_RESULTS: u64 = roster_store::scim::MAX_COUNT;

/// The default page size.
pub const DEFAULT_COUNT: u64 = 100;

/// Lists the organization's Users (archived members are not listed). A
/// malformed filter, an attribute Roster does not know or cannot sort by,
/// or a bad `sortOrder` is refused as `invalidFilter` / `invalidValue`.
pub async fn list_users(
    app: &App,
    access: &OrgAccess,
    q: &ListQuery,
) -> Result<std::result::Result<UserList, ScimRefusal>> {
    access.require(Permission::MEMBERS_READ)?;
    let filter = match q.filter.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        None => UserFilter::Const(true),
        Some(f) => match UserFilter::parse(f) {
            Ok(f) => f,
            Err(e) => return Ok(Err(ScimRefusal { scim_type: e.scim_type(), detail: e.to_string() })),
        },
    };
    let sort = match q.sort_by.as_deref().filter(|s| !s.is_empty()) {
        None => UserSort::default(),
        Some(s) => match UserSort::parse(s) {
            Ok(s) => s,
            Err(e) => return Ok(Err(ScimRefusal { scim_type: e.scim_type(), detail: e.to_string() })),
        },
    };
    let order = match q.sort_order.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("") | Some("ascending") => SortOrder::Asc,
        Some("descending") => SortOrder::Desc,
        Some(other) => {
            return Ok(Err(ScimRefusal {
                scim_type: "invalidValue",
                detail: format!("sortOrder must be ascending or descending, not '{other}'"),
            }));
        }
    };
    let start_index = q.start_index.unwrap_or(1).max(1);
    let count = q.count.unwrap_or(DEFAULT_COUNT);
    let page = roster_store::scim::list_users(
        &mut app.db.conn().await?,
        access.org.id,
        &filter,
        sort,
        order,
        start_index,
        count,
    )
    .await?;
    Ok(Ok(UserList { total: page.total, start_index, members: page.members }))
}

/// One User by id; an archived member, another organization's user or an
/// unknown id is 404.
pub async fn get_user(app: &App, access: &OrgAccess, id: UserId) -> Result<Member> {
    access.require(Permission::MEMBERS_READ)?;
    let m = roster_store::members::find_member(&mut app.db.conn().await?, access.org.id, id)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    if m.status == MemberStatus::Archived {
        return Err(AppError::NotFound("user"));
    }
    Ok(m)
}

/// The schema of a PATCH request's body (RFC 7644 §3.5.2).
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// What `DELETE /scim/v2/Users/{id}` does to the member.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ScimDelete {
    /// Archives them (frees their licenses; a later POST of the same
    /// userName restores them).
    #[default]
    Archive,
    /// Disables them (they keep their roles and licenses).
    Disable,
}

/// A User write as Roster can take it: the sign-in address (never changed
/// here), the name, whether the membership is active. `None`: unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserChange {
    /// `userName`.
    pub user_name: Option<String>,
    /// `displayName`, `name.formatted`, or `name.givenName` + `name.familyName`.
    pub name: Option<String>,
    /// `active`.
    pub active: Option<bool>,
    /// `emails[].value`, to compare with the sign-in address.
    pub emails: Vec<String>,
}

fn refuse<T>(scim_type: &'static str, detail: impl Into<String>) -> std::result::Result<T, ScimRefusal> {
    Err(ScimRefusal { scim_type, detail: detail.into() })
}

/// A key of a JSON object, case-insensitively (SCIM's attribute names are).
fn get<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    v.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v)
}

fn has_schema(body: &Value, schema: &str) -> bool {
    get(body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(schema))))
}

/// A boolean, or the strings `"True"` / `"False"` that Entra ID sends.
fn boolean(attr: &str, v: &Value) -> std::result::Result<bool, ScimRefusal> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => refuse("invalidValue", format!("{attr} must be true or false")),
    }
}

fn string(attr: &str, v: &Value) -> std::result::Result<String, ScimRefusal> {
    match v {
        Value::String(s) => Ok(s.trim().to_string()),
        _ => refuse("invalidValue", format!("{attr} must be a string")),
    }
}

/// The parts of a name a request gives, joined at the end.
#[derive(Default)]
struct NameParts {
    display: Option<String>,
    formatted: Option<String>,
    given: Option<String>,
    family: Option<String>,
}

impl NameParts {
    fn name(self) -> Option<String> {
        let joined = [self.given, self.family].into_iter().flatten().filter(|s| !s.is_empty()).collect::<Vec<_>>();
        self.display
            .filter(|s| !s.is_empty())
            .or(self.formatted.filter(|s| !s.is_empty()))
            .or((!joined.is_empty()).then(|| joined.join(" ")))
    }

    /// Takes `name`'s sub-attributes from an object.
    fn complex(&mut self, v: &Value) -> std::result::Result<(), ScimRefusal> {
        if !v.is_object() {
            return refuse("invalidValue", "name must be an object");
        }
        if let Some(f) = get(v, "formatted") {
            self.formatted = Some(string("name.formatted", f)?);
        }
        if let Some(g) = get(v, "givenName") {
            self.given = Some(string("name.givenName", g)?);
        }
        if let Some(f) = get(v, "familyName") {
            self.family = Some(string("name.familyName", f)?);
        }
        Ok(())
    }
}

/// Core User attributes Roster does not hold: taken and ignored, so that an
/// identity provider's default mappings (Entra's `externalId`, `title`, …)
/// do not fail a whole request.
const IGNORED: [&str; 14] = [
    "externalid",
    "nickname",
    "profileurl",
    "title",
    "usertype",
    "preferredlanguage",
    "locale",
    "timezone",
    "phonenumbers",
    "addresses",
    "photos",
    "ims",
    "x509certificates",
    "password",
];

/// Reads the attributes of a User object (a POST or PUT body, or a PATCH
/// operation's value without a path) into `out` and `name`. Unknown
/// attributes are ignored.
fn read_attributes(v: &Value, out: &mut UserChange, name: &mut NameParts) -> std::result::Result<(), ScimRefusal> {
    let Some(obj) = v.as_object() else { return refuse("invalidSyntax", "a User must be a JSON object") };
    for (k, v) in obj {
        let key = k.rsplit(':').next().unwrap_or(k).to_ascii_lowercase();
        // A PATCH value may name sub-attributes with a dot ("name.givenName").
        match key.as_str() {
            "username" => out.user_name = Some(string("userName", v)?),
            "displayname" => name.display = Some(string("displayName", v)?),
            "name" => name.complex(v)?,
            "name.formatted" => name.formatted = Some(string("name.formatted", v)?),
            "name.givenname" => name.given = Some(string("name.givenName", v)?),
            "name.familyname" => name.family = Some(string("name.familyName", v)?),
            "active" => out.active = Some(boolean("active", v)?),
            "emails" => out.emails.extend(email_values(v)?),
            _ => {}
        }
    }
    Ok(())
}

fn email_values(v: &Value) -> std::result::Result<Vec<String>, ScimRefusal> {
    match v {
        Value::Array(items) => {
            items.iter().filter_map(|e| get(e, "value")).map(|e| string("emails.value", e)).collect()
        }
        Value::String(s) => Ok(vec![s.trim().to_string()]),
        other => match get(other, "value") {
            Some(e) => Ok(vec![string("emails.value", e)?]),
            None => refuse("invalidValue", "emails must be a list of {\"value\": …}"),
        },
    }
}

/// Reads a POST or PUT body (RFC 7644 §3.3, §3.5.1): a User with its
/// schema. `userName` is required.
pub fn read_user(body: &Value) -> std::result::Result<UserChange, ScimRefusal> {
    if !body.is_object() {
        return refuse("invalidSyntax", "the body must be a JSON object");
    }
    if !has_schema(body, USER_SCHEMA) {
        return refuse("invalidSyntax", format!("schemas must include {USER_SCHEMA}"));
    }
    let mut out = UserChange::default();
    let mut name = NameParts::default();
    read_attributes(body, &mut out, &mut name)?;
    if out.user_name.as_deref().is_none_or(str::is_empty) {
        return refuse("invalidValue", "userName is required");
    }
    out.name = name.name();
    Ok(out)
}

/// Reads a PATCH body (RFC 7644 §3.5.2) into one change: operations `add`
/// and `replace` (any case: Entra sends "Replace") of `active`, the name's
/// attributes and (unchanged) `userName` / `emails`, with or without a
/// `path`. Removing `active` or the name is refused; an unknown path is
/// `invalidPath`.
pub fn read_patch(body: &Value) -> std::result::Result<UserChange, ScimRefusal> {
    if !has_schema(body, PATCH_SCHEMA) {
        return refuse("invalidSyntax", format!("schemas must be [\"{PATCH_SCHEMA}\"]"));
    }
    let Some(ops) = get(body, "Operations").and_then(Value::as_array) else {
        return refuse("invalidSyntax", "Operations must be a list");
    };
    let mut out = UserChange::default();
    let mut name = NameParts::default();
    for op in ops {
        let kind = get(op, "op").and_then(Value::as_str).map(str::to_ascii_lowercase);
        let kind = match kind.as_deref() {
            Some(k @ ("add" | "replace" | "remove")) => k.to_string(),
            _ => return refuse("invalidSyntax", "each operation's op must be add, replace or remove"),
        };
        let value = get(op, "value");
        let path = get(op, "path").and_then(Value::as_str).map(str::trim).filter(|p| !p.is_empty());
        let Some(path) = path else {
            if kind == "remove" {
                return refuse("noTarget", "remove needs a path");
            }
            let Some(value) = value.filter(|v| v.is_object()) else {
                return refuse("invalidSyntax", "an operation without a path needs an object value");
            };
            read_attributes(value, &mut out, &mut name)?;
            continue;
        };
        let bare = path.strip_prefix(USER_SCHEMA).map(|p| p.trim_start_matches(':')).unwrap_or(path);
        let lower = bare.to_ascii_lowercase();
        let root = lower.split(['.', '[']).next().unwrap_or("").to_string();
        if kind == "remove" {
            match root.as_str() {
                "active" | "username" | "displayname" | "name" | "emails" => {
                    return refuse("mutability", format!("{bare} cannot be removed"));
                }
                r if IGNORED.contains(&r) || r.starts_with("urn:") => continue,
                _ => return refuse("invalidPath", format!("'{bare}' is not an attribute of a User here")),
            }
        }
        let Some(value) = value else { return refuse("invalidSyntax", format!("{kind} of {bare} needs a value")) };
        match lower.as_str() {
            "active" => out.active = Some(boolean("active", value)?),
            "displayname" => name.display = Some(string("displayName", value)?),
            "name.formatted" => name.formatted = Some(string("name.formatted", value)?),
            "name.givenname" => name.given = Some(string("name.givenName", value)?),
            "name.familyname" => name.family = Some(string("name.familyName", value)?),
            "name" => name.complex(value)?,
            "username" => out.user_name = Some(string("userName", value)?),
            _ if root == "emails" => out.emails.extend(email_values(value)?),
            _ if IGNORED.contains(&root.as_str()) => {}
            _ if lower.starts_with("urn:") => {}
            _ => return refuse("invalidPath", format!("'{bare}' is not an attribute of a User here")),
        }
    }
    out.name = name.name();
    Ok(out)
}

/// Whether two sign-in addresses are the same (case-insensitively).
fn same_address(a: &str, b: &str) -> bool {
    roster_domain::scim::users::normalize_email_literal(a.trim())
        == roster_domain::scim::users::normalize_email_literal(b.trim())
}

/// Refuses a change of the sign-in address: Roster changes one only once
/// its owner confirms the new one, which a provisioning client cannot do.
fn address_unchanged(email: &str, c: &UserChange) -> std::result::Result<(), ScimRefusal> {
    let given = c.user_name.iter().chain(c.emails.iter());
    for a in given {
        if !same_address(a, email) {
            return refuse(
                "mutability",
                format!("the sign-in address is {email}; it is changed by its owner, not by provisioning"),
            );
        }
    }
    Ok(())
}

/// A SCIM write that either happened or was refused with a `scimType`.
pub type ScimResult<T> = Result<std::result::Result<T, ScimRefusal>>;

/// A User made or restored by [`create_user`].
#[derive(Debug, Clone)]
pub struct Created {
    /// The member.
    pub member: Member,
    /// Whether an archived member was restored (rather than added).
    pub restored: bool,
}

/// Creates a User (RFC 7644 §3.3): an active membership for `userName`,
/// without an invitation (they sign in with a password reset link or SSO
/// later), their user made when the address is new to Roster. Needs
/// `members:create`. A member with that address already is refused as
/// `uniqueness` (409), unless archived: then they are restored (which needs
/// `members:update` too), so that a provisioning client's retry or
/// re-assignment finds them again. New members get the preset's default
/// role when it is within the caller's grants (no escalation).
pub async fn create_user(app: &App, access: &OrgAccess, c: &UserChange, meta: &RequestMeta) -> ScimResult<Created> {
    access.require(Permission::MEMBERS_CREATE)?;
    let raw = c.user_name.as_deref().unwrap_or_default();
    let email = match Email::parse(raw) {
        Ok(e) => e,
        Err(_) => return Ok(refuse("invalidValue", format!("userName '{raw}' is not an email address"))),
    };
    let name = c.name.clone().unwrap_or_else(|| email.as_str().split('@').next().unwrap_or_default().to_string());
    let name = match parse_display_name("name", &name) {
        Ok(n) => n,
        Err(e) => return Ok(refuse("invalidValue", e.to_string())),
    };
    let mut change = change::begin(app, access, Permission::MEMBERS_CREATE, meta).await?;
    let org = change.access.org.id;
    if let Some(existing) = members::member_id_by_email(&mut change.tx, org, &email).await? {
        let member = member_in_change(&mut change, existing).await?;
        if member.status != MemberStatus::Archived {
            return Ok(refuse(
                "uniqueness",
                format!("{email} is a member of {} already ({})", change.access.org.name, member.status),
            ));
        }
        change.access.require(Permission::MEMBERS_UPDATE)?;
        let to = apply_status_change(&mut change, &member, StatusChange::Restore).await?;
        let mut member = Member { status: to, ..member };
        if c.active == Some(false) {
            let to = apply_status_change(&mut change, &member, StatusChange::Disable).await?;
            member.status = to;
        }
        if c.name.is_some() {
            apply_rename(&mut change, &member, &name).await?;
        }
        let member = reread(&mut change, existing).await?;
        change.commit().await?;
        return Ok(Ok(Created { member, restored: true }));
    }
    let now = change.now;
    let user = match users::find_user_by_email(&mut change.tx, &email).await? {
        Some(u) => u,
        None => {
            let u = UserRecord {
                locked_at: None,
                id: UserId::new(),
                email: email.as_str().to_string(),
                name,
                password_hash: None,
                email_confirmed: false,
                created_at: now,
            };
            match users::insert_user(&mut change.tx, &u).await {
                Ok(()) => u,
                Err(e) if e.is_unique_violation() => {
                    return Ok(refuse("uniqueness", format!("{email} was being added elsewhere at the same moment")));
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    let status = if c.active == Some(false) { MemberStatus::Disabled } else { MemberStatus::Active };
    members::insert_members(
        &mut change.tx,
        &[NewMember {
            org_id: org,
            user_id: user.id,
            email: user.email.clone(),
            name: user.name.clone(),
            status,
            created_at: now,
            last_active_at: None,
        }],
    )
    .await?;
    let default = change.access.policy.default_role(&change.access.org.preset).cloned();
    let role = default.filter(|r| change.access.lacks(&r.grants).is_none());
    if let Some(r) = &role {
        roles::add_role(&mut change.tx, org, r.id, &[user.id]).await?;
        orgs::bump_authz_version(&mut change.tx, org).await?;
    }
    change.record(
        AuditEntry::new(AuditAction::MemberAdded, user.id)
            .after(serde_json::json!({"email": user.email, "status": status}))
            .with("via", "scim")
            .with("roles", role.iter().map(|r| r.name.clone()).collect::<Vec<_>>()),
    );
    let member = reread(&mut change, user.id).await?;
    change.commit().await?;
    Ok(Ok(Created { member, restored: false }))
}

async fn reread(change: &mut Change<'_>, user: UserId) -> Result<Member> {
    Ok(crate::members::reread(change, user).await?.member)
}

/// Replaces (PUT, RFC 7644 §3.5.1) or patches (PATCH, §3.5.2) a User: its
/// name and whether it is active, in one change. The sign-in address is not
/// changed here (`mutability` unless given unchanged). Enabling and
/// disabling follow the Users tab's rules (the owner and the last
/// administrator protected: 409); disabling ends the member's sessions when
/// no organization is left to them. An archived member is not found. Needs
/// `members:update`.
pub async fn update_user(
    app: &App,
    access: &OrgAccess,
    id: UserId,
    c: &UserChange,
    meta: &RequestMeta,
) -> ScimResult<Member> {
    access.require(Permission::MEMBERS_UPDATE)?;
    let name = match c.name.as_deref().map(|n| parse_display_name("name", n)).transpose() {
        Ok(n) => n,
        Err(e) => return Ok(refuse("invalidValue", e.to_string())),
    };
    let mut change = change::begin(app, access, Permission::MEMBERS_UPDATE, meta).await?;
    let member = member_in_change(&mut change, id).await?;
    if member.status == MemberStatus::Archived {
        return Err(AppError::NotFound("user"));
    }
    if let Err(e) = address_unchanged(&member.email, c) {
        return Ok(Err(e));
    }
    if let Some(name) = &name {
        apply_rename(&mut change, &member, name).await?;
    }
    let kind = match (c.active, member.status) {
        (Some(true), MemberStatus::Disabled) => Some(StatusChange::Enable),
        (Some(false), MemberStatus::Active | MemberStatus::Invited) => Some(StatusChange::Disable),
        _ => None,
    };
    if let Some(kind) = kind {
        apply_status_change(&mut change, &member, kind).await?;
    }
    let member = reread(&mut change, id).await?;
    change.commit().await?;
    Ok(Ok(member))
}

/// Deletes a User (RFC 7644 §3.6): archives the member, or disables them,
/// as [`crate::Config::scim_delete`] says, under the Users tab's rules.
/// Needs `members:update` (archiving is a status change there too). An
/// archived or unknown member is not found.
pub async fn delete_user(app: &App, access: &OrgAccess, id: UserId, meta: &RequestMeta) -> Result<()> {
    access.require(Permission::MEMBERS_UPDATE)?;
    let mut change = change::begin(app, access, Permission::MEMBERS_UPDATE, meta).await?;
    let member = member_in_change(&mut change, id).await?;
    let kind = match (app.config.scim_delete, member.status) {
        (_, MemberStatus::Archived) => return Err(AppError::NotFound("user")),
        (ScimDelete::Archive, _) => Some(StatusChange::Archive),
        (ScimDelete::Disable, MemberStatus::Disabled) => None,
        (ScimDelete::Disable, _) => Some(StatusChange::Disable),
    };
    if let Some(kind) = kind {
        apply_status_change(&mut change, &member, kind).await?;
    }
    change.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_user_body_gives_its_address_name_and_active() {
        let u = read_user(&json!({"schemas": [USER_SCHEMA], "userName": "a@b.test", "active": "False",
            "name": {"givenName": "Ann", "familyName": "Lee"}, "nickName": "al"}))
        .unwrap();
        assert_eq!(
            u,
            UserChange {
                user_name: Some("a@b.test".into()),
                name: Some("Ann Lee".into()),
                active: Some(false),
                emails: vec![]
            }
        );
        let d = read_user(&json!({"schemas": [USER_SCHEMA], "userName": "a@b.test", "displayName": "A",
            "name": {"formatted": "F"}}))
        .unwrap();
        assert_eq!(d.name.as_deref(), Some("A"));
        assert_eq!(read_user(&json!({"userName": "a@b.test"})).unwrap_err().scim_type, "invalidSyntax");
        assert_eq!(read_user(&json!({"schemas": [USER_SCHEMA]})).unwrap_err().scim_type, "invalidValue");
        assert_eq!(
            read_user(&json!({"schemas": [USER_SCHEMA], "userName": "a@b.test", "active": 3})).unwrap_err().scim_type,
            "invalidValue"
        );
    }

    #[test]
    fn patch_operations_read_in_any_case_with_or_without_a_path() {
        let ops = |ops: serde_json::Value| json!({"schemas": [PATCH_SCHEMA], "Operations": ops});
        let p = read_patch(&ops(json!([
            {"op": "Replace", "path": "active", "value": "True"},
            {"op": "replace", "path": "name.givenName", "value": "Ann"},
            {"op": "Add", "path": "name.familyName", "value": "Lee"},
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "a@b.test"},
            {"op": "replace", "path": "externalId", "value": "x"},
            {"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "x"},
        ])))
        .unwrap();
        assert_eq!(
            (p.active, p.name.as_deref(), p.emails.as_slice()),
            (Some(true), Some("Ann Lee"), &["a@b.test".to_string()][..])
        );
        let p = read_patch(&ops(json!([{"op": "replace", "value": {"displayName": "D", "active": false}}]))).unwrap();
        assert_eq!((p.active, p.name.as_deref()), (Some(false), Some("D")));
        let p = read_patch(&ops(
            json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:displayName", "value": "U"}]),
        ))
        .unwrap();
        assert_eq!(p.name.as_deref(), Some("U"));
        let kind = |o: serde_json::Value| read_patch(&ops(o)).unwrap_err().scim_type;
        assert_eq!(kind(json!([{"op": "replace", "path": "shoeSize", "value": 9}])), "invalidPath");
        assert_eq!(kind(json!([{"op": "remove", "path": "active"}])), "mutability");
        assert_eq!(kind(json!([{"op": "move", "path": "active", "value": true}])), "invalidSyntax");
        assert_eq!(read_patch(&json!({"Operations": []})).unwrap_err().scim_type, "invalidSyntax");
    }
}
