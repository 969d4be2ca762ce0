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
//! `members:create`), replacing or patching one (`members:update`: its name,
//! whether it is active, its `externalId`, the enterprise extension's
//! `employeeNumber`, `department` and `manager`, and a work address that
//! differs from the sign-in address), and deleting one (archiving it, or
//! disabling it as [`crate::Config::scim_delete`] says; `members:update`
//! either way, as the Users tab's archive needs). Every write is one change
//! (`crate::change::begin`), audited with the service account as the actor,
//! under the same rules as the pages: no escalation, the owner and the last
//! administrator protected. The SCIM JSON is read here into a
//! [`UserChange`] first; what Roster cannot take is refused with its
//! `scimType` (RFC 7644 §3.12).
//!
//! Versions: a User's `meta.version` is [`ScimUser::version`], a weak ETag
//! of its row. A write may carry `If-Match`; it is compared inside the
//! change, after the member is read (the change holds the organization's
//! lock, so nothing changes the member between the check and the write),
//! and a mismatch is refused as [`PRECONDITION_FAILED`] with nothing
//! changed.

use roster_domain::audit::{AuditAction, AuditEntry};
use roster_domain::members::{Member, StatusChange};
use roster_domain::orgs::parse_display_name;
use roster_domain::scim::users::{
    ENTERPRISE_SCHEMA, ScimUser, USER_SCHEMA, UserAttributes, UserFilter, UserSort, if_match_allows,
};
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
    pub users: Vec<ScimUser>,
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
    Ok(Ok(UserList { total: page.total, start_index, users: page.users }))
}

/// One User by id; an archived member, another organization's user or an
/// unknown id is 404.
pub async fn get_user(app: &App, access: &OrgAccess, id: UserId) -> Result<ScimUser> {
    access.require(Permission::MEMBERS_READ)?;
    let u = roster_store::scim::find_user(&mut app.db.conn().await?, access.org.id, id)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    if u.member.status == MemberStatus::Archived {
        return Err(AppError::NotFound("user"));
    }
    Ok(u)
}

/// The schema of a PATCH request's body (RFC 7644 §3.5.2).
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// What `DELETE /scim/v2/Users/{id}` does to the member.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ScimDelete {
    /// Archives them (frees their licenses; a later POST of the same
    /// userName or externalId restores them).
    #[default]
    Archive,
    /// Disables them (they keep their roles and licenses).
    Disable,
}

/// The `scimType` of a refusal that is a failed `If-Match` (412, RFC 7644
/// §3.14). RFC 7644 names no `scimType` for it: the SCIM answer leaves it
/// out.
pub const PRECONDITION_FAILED: &str = "preconditionFailed";

/// The longest `externalId`, `employeeNumber` or `department` taken.
pub const MAX_ATTRIBUTE_CHARS: usize = 256;

/// A User write as Roster can take it: the sign-in address (never changed
/// here), the name, whether the membership is active, and the provider's
/// attributes. `None`: unchanged; for the provider's attributes,
/// `Some(None)` clears one (a PUT's or POST's absent attribute, a PATCH's
/// `remove`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserChange {
    /// `userName`.
    pub user_name: Option<String>,
    /// `displayName`, `name.formatted`, or `name.givenName` + `name.familyName`.
    pub name: Option<String>,
    /// `active`.
    pub active: Option<bool>,
    /// `emails[].value`: the first that is not the sign-in address is kept
    /// as the work address (none: the work address is cleared).
    pub emails: Option<Vec<String>>,
    /// `externalId`.
    pub external_id: Option<Option<String>>,
    /// The enterprise extension's `employeeNumber`.
    pub employee_number: Option<Option<String>>,
    /// The enterprise extension's `department`.
    pub department: Option<Option<String>>,
    /// The enterprise extension's `manager.value` (a user id, as given).
    pub manager: Option<Option<String>>,
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

/// A provider's text attribute: a string (or a number, which Entra may send
/// for an employee number), trimmed; empty or `null` is no value.
fn optional_text(attr: &str, v: &Value) -> std::result::Result<Option<String>, ScimRefusal> {
    let s = match v {
        Value::Null => return Ok(None),
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return refuse("invalidValue", format!("{attr} must be a string")),
    };
    if s.chars().count() > MAX_ATTRIBUTE_CHARS || s.chars().any(char::is_control) {
        return refuse(
            "invalidValue",
            format!("{attr} must be at most {MAX_ATTRIBUTE_CHARS} characters, without control characters"),
        );
    }
    Ok((!s.is_empty()).then_some(s))
}

/// The enterprise `manager`: `{"value": id}` (RFC 7643 §4.3) or the id
/// alone, as Entra sends it in a PATCH; empty or `null` is no manager.
fn manager_value(v: &Value) -> std::result::Result<Option<String>, ScimRefusal> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
        Value::Object(_) => match get(v, "value") {
            Some(inner @ (Value::String(_) | Value::Null)) => manager_value(inner),
            Some(_) => refuse("invalidValue", "manager.value must be a user's id"),
            None => Ok(None),
        },
        _ => refuse("invalidValue", "manager must be {\"value\": id} or a user's id"),
    }
}

/// The enterprise extension's URN, lower case, for matching keys and paths.
fn enterprise_lower() -> String {
    ENTERPRISE_SCHEMA.to_ascii_lowercase()
}

/// One attribute of the enterprise extension (`key` lower case, without the
/// URN). Those Roster does not keep (`costCenter`, `organization`,
/// `division`) are ignored; `manager.displayName` is read-only.
fn read_enterprise_attribute(key: &str, v: &Value, out: &mut UserChange) -> std::result::Result<(), ScimRefusal> {
    match key {
        "employeenumber" => out.employee_number = Some(optional_text("employeeNumber", v)?),
        "department" => out.department = Some(optional_text("department", v)?),
        "manager" | "manager.value" => out.manager = Some(manager_value(v)?),
        _ => {}
    }
    Ok(())
}

/// The enterprise extension as an object (a POST's or PUT's, or a PATCH
/// value's).
fn read_enterprise(v: &Value, out: &mut UserChange) -> std::result::Result<(), ScimRefusal> {
    let Some(obj) = v.as_object() else {
        return refuse("invalidValue", format!("{ENTERPRISE_SCHEMA} must be an object"));
    };
    for (k, v) in obj {
        read_enterprise_attribute(&k.to_ascii_lowercase(), v, out)?;
    }
    Ok(())
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
/// identity provider's default mappings (Entra's `title`, …) do not fail a
/// whole request.
const IGNORED: [&str; 13] = [
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
/// operation's value without a path) into `out` and `name`: the core ones,
/// the enterprise extension as an object under its URN or as
/// `urn:…:enterprise:2.0:User:department` keys. Unknown attributes are
/// ignored.
fn read_attributes(v: &Value, out: &mut UserChange, name: &mut NameParts) -> std::result::Result<(), ScimRefusal> {
    let Some(obj) = v.as_object() else { return refuse("invalidSyntax", "a User must be a JSON object") };
    let enterprise = enterprise_lower();
    for (k, v) in obj {
        let lower = k.to_ascii_lowercase();
        if lower == enterprise {
            read_enterprise(v, out)?;
            continue;
        }
        if let Some(attr) = lower.strip_prefix(&enterprise).and_then(|a| a.strip_prefix(':')) {
            read_enterprise_attribute(attr, v, out)?;
            continue;
        }
        let key = k.rsplit(':').next().unwrap_or(k).to_ascii_lowercase();
        // A PATCH value may name sub-attributes with a dot ("name.givenName").
        match key.as_str() {
            "username" => out.user_name = Some(string("userName", v)?),
            "externalid" => out.external_id = Some(optional_text("externalId", v)?),
            "displayname" => name.display = Some(string("displayName", v)?),
            "name" => name.complex(v)?,
            "name.formatted" => name.formatted = Some(string("name.formatted", v)?),
            "name.givenname" => name.given = Some(string("name.givenName", v)?),
            "name.familyname" => name.family = Some(string("name.familyName", v)?),
            "active" => out.active = Some(boolean("active", v)?),
            "emails" => out.emails.get_or_insert_with(Vec::new).extend(email_values(v)?),
            _ => {}
        }
    }
    Ok(())
}

/// The addresses of an `emails` value, a work one first (Entra's mapping
/// is `emails[type eq "work"].value`), then a primary one, then the rest.
fn email_values(v: &Value) -> std::result::Result<Vec<String>, ScimRefusal> {
    match v {
        Value::Array(items) => {
            let rank = |e: &Value| {
                let work = get(e, "type").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("work"));
                let primary = get(e, "primary").is_some_and(|p| boolean("primary", p).unwrap_or(false));
                match (work, primary) {
                    (true, _) => 0,
                    (false, true) => 1,
                    _ => 2,
                }
            };
            let mut items: Vec<&Value> = items.iter().filter(|e| get(e, "value").is_some()).collect();
            items.sort_by_key(|e| rank(e));
            items.into_iter().filter_map(|e| get(e, "value")).map(|e| string("emails.value", e)).collect()
        }
        Value::String(s) => Ok(vec![s.trim().to_string()]),
        other => match get(other, "value") {
            Some(e) => Ok(vec![string("emails.value", e)?]),
            None => refuse("invalidValue", "emails must be a list of {\"value\": …}"),
        },
    }
}

/// Reads a POST or PUT body (RFC 7644 §3.3, §3.5.1): a User with its
/// schema. `userName` is required. The provider's attributes the body
/// leaves out are cleared (a PUT replaces the whole User).
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
    out.emails.get_or_insert_with(Vec::new);
    for a in [&mut out.external_id, &mut out.employee_number, &mut out.department, &mut out.manager] {
        a.get_or_insert(None);
    }
    Ok(out)
}

/// Reads a PATCH body (RFC 7644 §3.5.2) into one change: operations `add`
/// and `replace` (any case: Entra sends "Replace") of `active`, the name's
/// attributes, `externalId`, the enterprise extension's attributes (by
/// their URN paths, or its URN with an object), `emails` (the work
/// address) and (unchanged) `userName`, with or without a `path`; `remove`
/// of `externalId`, `emails` (the work address) and the enterprise
/// attributes. Removing `active`, `userName` or the name is refused; an
/// unknown path is `invalidPath`.
pub fn read_patch(body: &Value) -> std::result::Result<UserChange, ScimRefusal> {
    if !has_schema(body, PATCH_SCHEMA) {
        return refuse("invalidSyntax", format!("schemas must be [\"{PATCH_SCHEMA}\"]"));
    }
    let Some(ops) = get(body, "Operations").and_then(Value::as_array) else {
        return refuse("invalidSyntax", "Operations must be a list");
    };
    let enterprise = enterprise_lower();
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
        let path_lower = path.to_ascii_lowercase();
        // The enterprise extension: its URN alone (an object), or one of its attributes.
        if path_lower == enterprise || path_lower.starts_with(&format!("{enterprise}:")) {
            let attr = path_lower[enterprise.len()..].trim_start_matches(':').to_string();
            match (kind.as_str(), attr.as_str(), value) {
                ("remove", "", _) => {
                    out.employee_number = Some(None);
                    out.department = Some(None);
                    out.manager = Some(None);
                }
                ("remove", a, _) => read_enterprise_attribute(a, &Value::Null, &mut out)?,
                (_, "", Some(v)) => read_enterprise(v, &mut out)?,
                (_, a, Some(v)) => read_enterprise_attribute(a, v, &mut out)?,
                (_, _, None) => return refuse("invalidSyntax", format!("{kind} of {path} needs a value")),
            }
            continue;
        }
        let bare = path.strip_prefix(USER_SCHEMA).map(|p| p.trim_start_matches(':')).unwrap_or(path);
        let lower = bare.to_ascii_lowercase();
        let root = lower.split(['.', '[']).next().unwrap_or("").to_string();
        if kind == "remove" {
            match root.as_str() {
                "externalid" => out.external_id = Some(None),
                // The sign-in address stays; the work address goes.
                "emails" => out.emails = Some(Vec::new()),
                "active" | "username" | "displayname" | "name" => {
                    return refuse("mutability", format!("{bare} cannot be removed"));
                }
                r if IGNORED.contains(&r) || r.starts_with("urn:") => {}
                _ => return refuse("invalidPath", format!("'{bare}' is not an attribute of a User here")),
            }
            continue;
        }
        let Some(value) = value else { return refuse("invalidSyntax", format!("{kind} of {bare} needs a value")) };
        match lower.as_str() {
            "active" => out.active = Some(boolean("active", value)?),
            "externalid" => out.external_id = Some(optional_text("externalId", value)?),
            "displayname" => name.display = Some(string("displayName", value)?),
            "name.formatted" => name.formatted = Some(string("name.formatted", value)?),
            "name.givenname" => name.given = Some(string("name.givenName", value)?),
            "name.familyname" => name.family = Some(string("name.familyName", value)?),
            "name" => name.complex(value)?,
            "username" => out.user_name = Some(string("userName", value)?),
            _ if root == "emails" => out.emails.get_or_insert_with(Vec::new).extend(email_values(value)?),
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
/// (Other addresses in `emails` are the work address, not the sign-in one.)
fn address_unchanged(email: &str, c: &UserChange) -> std::result::Result<(), ScimRefusal> {
    if let Some(a) = &c.user_name
        && !same_address(a, email)
    {
        return refuse(
            "mutability",
            format!("the sign-in address is {email}; it is changed by its owner, not by provisioning"),
        );
    }
    Ok(())
}

/// The work address among `given`: the first that is not the sign-in
/// address, normalized as addresses are (none: no work address).
fn work_address(sign_in: &str, given: &[String]) -> std::result::Result<Option<String>, ScimRefusal> {
    match given.iter().find(|g| !g.is_empty() && !same_address(g, sign_in)) {
        None => Ok(None),
        Some(g) => match Email::parse(g) {
            Ok(e) => Ok(Some(e.as_str().to_string())),
            Err(_) => refuse("invalidValue", format!("emails: '{g}' is not an email address")),
        },
    }
}

/// The provider's attributes after a change: `current` with what `c` gives.
/// The manager is checked: a member of the organization (not archived),
/// not the User themselves.
async fn attributes_after(
    change: &mut Change<'_>,
    user: Option<UserId>,
    sign_in: &str,
    current: &UserAttributes,
    c: &UserChange,
) -> ScimResult<UserAttributes> {
    let work_email = match &c.emails {
        None => current.work_email.clone(),
        Some(given) => match work_address(sign_in, given) {
            Ok(w) => w,
            Err(e) => return Ok(Err(e)),
        },
    };
    let manager = match &c.manager {
        None => current.manager,
        Some(None) => None,
        Some(Some(raw)) => {
            let not_member = || refuse("invalidValue", format!("manager '{raw}' is not a member of this organization"));
            let Ok(id) = raw.parse::<uuid::Uuid>().map(UserId) else { return Ok(not_member()) };
            if Some(id) == user {
                return Ok(refuse("invalidValue", "a User cannot be their own manager"));
            }
            let status = members::member_status(&mut change.tx, change.access.org.id, id).await?;
            if status.is_none_or(|s| s == MemberStatus::Archived) {
                return Ok(not_member());
            }
            Some(id)
        }
    };
    let pick = |given: &Option<Option<String>>, now: &Option<String>| given.clone().unwrap_or_else(|| now.clone());
    Ok(Ok(UserAttributes {
        external_id: pick(&c.external_id, &current.external_id),
        employee_number: pick(&c.employee_number, &current.employee_number),
        department: pick(&c.department, &current.department),
        manager,
        work_email,
    }))
}

/// The provider's attributes as an audit detail, only the keys in `keys`.
fn attributes_detail(a: &UserAttributes, keys: &[&str]) -> Value {
    let mut m = serde_json::Map::new();
    for k in keys {
        let v = match *k {
            "external_id" => a.external_id.clone(),
            "employee_number" => a.employee_number.clone(),
            "department" => a.department.clone(),
            "manager" => a.manager.map(|m| m.to_string()),
            _ => a.work_email.clone(),
        };
        m.insert((*k).to_string(), v.map_or(Value::Null, Value::String));
    }
    Value::Object(m)
}

/// The names (as audit detail keys) of the attributes that differ.
fn changed_attributes(before: &UserAttributes, after: &UserAttributes) -> Vec<&'static str> {
    let mut keys = Vec::new();
    if before.external_id != after.external_id {
        keys.push("external_id");
    }
    if before.employee_number != after.employee_number {
        keys.push("employee_number");
    }
    if before.department != after.department {
        keys.push("department");
    }
    if before.manager != after.manager {
        keys.push("manager");
    }
    if before.work_email != after.work_email {
        keys.push("work_email");
    }
    keys
}

/// Writes the provider's attributes when they differ, audited as
/// `member.updated` with the changed ones before and after. Another member
/// with the `externalId` is `uniqueness`.
async fn apply_attributes(
    change: &mut Change<'_>,
    user: UserId,
    before: &UserAttributes,
    after: &UserAttributes,
) -> ScimResult<()> {
    let keys = changed_attributes(before, after);
    if keys.is_empty() {
        return Ok(Ok(()));
    }
    let org = change.access.org.id;
    match roster_store::scim::set_attributes(&mut change.tx, org, user, after, change.now).await {
        Ok(()) => {}
        Err(e) if e.is_unique_violation() => return Ok(external_id_taken(after)),
        Err(e) => return Err(e.into()),
    }
    change.record(
        AuditEntry::new(AuditAction::MemberUpdated, user)
            .before(attributes_detail(before, &keys))
            .after(attributes_detail(after, &keys))
            .with("via", "scim"),
    );
    Ok(Ok(()))
}

fn external_id_taken<T>(a: &UserAttributes) -> std::result::Result<T, ScimRefusal> {
    refuse(
        "uniqueness",
        format!("externalId '{}' belongs to another member already", a.external_id.as_deref().unwrap_or_default()),
    )
}

/// A SCIM write that either happened or was refused with a `scimType`.
pub type ScimResult<T> = Result<std::result::Result<T, ScimRefusal>>;

/// A User made or restored by [`create_user`].
#[derive(Debug, Clone)]
pub struct Created {
    /// The membership.
    pub member: Member,
    /// The User.
    pub user: ScimUser,
    /// Whether an archived member was restored (rather than added).
    pub restored: bool,
}

/// Creates a User (RFC 7644 §3.3): an active membership for `userName`,
/// without an invitation (they sign in with a password reset link or SSO
/// later), their user made when the address is new to Roster, with the
/// provider's attributes. Needs `members:create`.
///
/// Idempotence for a provisioning client that retries (Entra does): a
/// member found by `userName` or by `externalId` is refused as
/// `uniqueness` (409, RFC 7644 §3.3), unless archived: then they are
/// restored (which needs `members:update` too), with the request's
/// attributes, so that a retry or a re-assignment finds them again. A
/// member found by `externalId` keeps their sign-in address (only its owner
/// changes it); a different `userName` is not taken. New members get the
/// preset's default role when it is within the caller's grants (no
/// escalation).
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
    let by_email = members::member_id_by_email(&mut change.tx, org, &email).await?;
    let by_external = match c.external_id.as_ref().and_then(Option::as_deref) {
        Some(x) => roster_store::scim::member_id_by_external_id(&mut change.tx, org, x).await?,
        None => None,
    };
    let mut found = Vec::new();
    for id in [by_email, by_external].into_iter().flatten() {
        if !found.iter().any(|m: &Member| m.user_id == id) {
            found.push(member_in_change(&mut change, id).await?);
        }
    }
    if let Some(live) = found.iter().find(|m| m.status != MemberStatus::Archived) {
        let why = if Some(live.user_id) == by_email {
            format!("{email} is a member of {} already ({})", change.access.org.name, live.status)
        } else {
            format!(
                "externalId '{}' is {}'s, a member of {} already ({})",
                c.external_id.clone().flatten().unwrap_or_default(),
                live.email,
                change.access.org.name,
                live.status
            )
        };
        return Ok(refuse("uniqueness", why));
    }
    if found.len() > 1 {
        return Ok(refuse(
            "uniqueness",
            format!(
                "{email} and externalId '{}' are two former members",
                c.external_id.clone().flatten().unwrap_or_default()
            ),
        ));
    }
    if let Some(member) = found.pop() {
        change.access.require(Permission::MEMBERS_UPDATE)?;
        let existing = member.user_id;
        let current = scim_user(&mut change, existing).await?;
        let after = match attributes_after(&mut change, Some(existing), &member.email, &current.attributes, c).await? {
            Ok(a) => a,
            Err(e) => return Ok(Err(e)),
        };
        // The attributes first, so that the restored row never holds another's externalId.
        if let Err(e) = apply_attributes(&mut change, existing, &current.attributes, &after).await? {
            return Ok(Err(e));
        }
        let to = apply_status_change(&mut change, &member, StatusChange::Restore).await?;
        let mut member = Member { status: to, ..member };
        if c.active == Some(false) {
            let to = apply_status_change(&mut change, &member, StatusChange::Disable).await?;
            member.status = to;
        }
        if c.name.is_some() {
            apply_rename(&mut change, &member, &name).await?;
        }
        let user = scim_user(&mut change, existing).await?;
        change.commit().await?;
        return Ok(Ok(Created { member: user.member.clone(), user, restored: true }));
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
    let attributes =
        match attributes_after(&mut change, Some(user.id), &user.email, &UserAttributes::default(), c).await? {
            Ok(a) => a,
            Err(e) => return Ok(Err(e)),
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
    let keys = changed_attributes(&UserAttributes::default(), &attributes);
    if !keys.is_empty() {
        match roster_store::scim::set_attributes(&mut change.tx, org, user.id, &attributes, now).await {
            Ok(()) => {}
            Err(e) if e.is_unique_violation() => return Ok(external_id_taken(&attributes)),
            Err(e) => return Err(e.into()),
        }
    }
    let default = change.access.policy.default_role(&change.access.org.preset).cloned();
    let role = default.filter(|r| change.access.lacks(&r.grants).is_none());
    if let Some(r) = &role {
        roles::add_role(&mut change.tx, org, r.id, &[user.id]).await?;
        let access = change.access.clone();
        crate::partners::scopes::follow_given(&mut change.tx, &access, r.id, &[user.id]).await?;
        orgs::bump_authz_version(&mut change.tx, org).await?;
    }
    let mut after = serde_json::json!({"email": user.email, "status": status});
    if let (Some(after), Value::Object(attrs)) = (after.as_object_mut(), attributes_detail(&attributes, &keys)) {
        after.extend(attrs);
    }
    change.record(
        AuditEntry::new(AuditAction::MemberAdded, user.id)
            .after(after)
            .with("via", "scim")
            .with("roles", role.iter().map(|r| r.name.clone()).collect::<Vec<_>>()),
    );
    let created = scim_user(&mut change, user.id).await?;
    change.commit().await?;
    Ok(Ok(Created { member: created.member.clone(), user: created, restored: false }))
}

/// A member as a SCIM User, read inside the change.
async fn scim_user(change: &mut Change<'_>, user: UserId) -> Result<ScimUser> {
    roster_store::scim::find_user(&mut change.tx, change.access.org.id, user).await?.ok_or(AppError::NotFound("user"))
}

/// Refuses a change whose `If-Match` does not match the User's version.
fn precondition(if_match: Option<&str>, current: &ScimUser) -> std::result::Result<(), ScimRefusal> {
    match if_match {
        Some(tag) if !if_match_allows(tag, &current.version()) => refuse(
            PRECONDITION_FAILED,
            format!("the User has changed: its version is {}, not {tag}", current.version()),
        ),
        _ => Ok(()),
    }
}

/// [`update_user_if`] without a precondition.
pub async fn update_user(
    app: &App,
    access: &OrgAccess,
    id: UserId,
    c: &UserChange,
    meta: &RequestMeta,
) -> ScimResult<ScimUser> {
    update_user_if(app, access, id, c, None, meta).await
}

/// Replaces (PUT, RFC 7644 §3.5.1) or patches (PATCH, §3.5.2) a User: its
/// name, whether it is active, and the provider's attributes, in one
/// change. The sign-in address is not changed here (`mutability` unless
/// given unchanged); an address in `emails` that differs from it is kept
/// as the work address. Enabling and disabling follow the Users tab's rules
/// (the owner and the last administrator protected: 409); disabling ends
/// the member's sessions when no organization is left to them. An archived
/// member is not found. With `if_match` (an `If-Match` header), a User
/// whose version differs is refused as [`PRECONDITION_FAILED`], nothing
/// changed. Needs `members:update`.
pub async fn update_user_if(
    app: &App,
    access: &OrgAccess,
    id: UserId,
    c: &UserChange,
    if_match: Option<&str>,
    meta: &RequestMeta,
) -> ScimResult<ScimUser> {
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
    let current = scim_user(&mut change, id).await?;
    if let Err(e) = precondition(if_match, &current) {
        return Ok(Err(e));
    }
    if let Err(e) = address_unchanged(&member.email, c) {
        return Ok(Err(e));
    }
    let after = match attributes_after(&mut change, Some(id), &member.email, &current.attributes, c).await? {
        Ok(a) => a,
        Err(e) => return Ok(Err(e)),
    };
    if let Err(e) = apply_attributes(&mut change, id, &current.attributes, &after).await? {
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
    let user = scim_user(&mut change, id).await?;
    change.commit().await?;
    Ok(Ok(user))
}

/// [`delete_user_if`] without a precondition.
pub async fn delete_user(app: &App, access: &OrgAccess, id: UserId, meta: &RequestMeta) -> Result<()> {
    match delete_user_if(app, access, id, None, meta).await? {
        Ok(()) => Ok(()),
        // Without a precondition nothing refuses.
        Err(e) => Err(AppError::conflict(crate::error::ConflictKind::StatusTransition, e.detail)),
    }
}

/// Deletes a User (RFC 7644 §3.6): archives the member, or disables them,
/// as [`crate::Config::scim_delete`] says, under the Users tab's rules.
/// Needs `members:update` (archiving is a status change there too). An
/// archived or unknown member is not found. With `if_match`, a User whose
/// version differs is refused as [`PRECONDITION_FAILED`], nothing changed.
pub async fn delete_user_if(
    app: &App,
    access: &OrgAccess,
    id: UserId,
    if_match: Option<&str>,
    meta: &RequestMeta,
) -> ScimResult<()> {
    access.require(Permission::MEMBERS_UPDATE)?;
    let mut change = change::begin(app, access, Permission::MEMBERS_UPDATE, meta).await?;
    let member = member_in_change(&mut change, id).await?;
    let kind = match (app.config.scim_delete, member.status) {
        (_, MemberStatus::Archived) => return Err(AppError::NotFound("user")),
        (ScimDelete::Archive, _) => Some(StatusChange::Archive),
        (ScimDelete::Disable, MemberStatus::Disabled) => None,
        (ScimDelete::Disable, _) => Some(StatusChange::Disable),
    };
    let current = scim_user(&mut change, id).await?;
    if let Err(e) = precondition(if_match, &current) {
        return Ok(Err(e));
    }
    if let Some(kind) = kind {
        apply_status_change(&mut change, &member, kind).await?;
    }
    change.commit().await?;
    Ok(Ok(()))
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
                emails: Some(vec![]),
                external_id: Some(None),
                employee_number: Some(None),
                department: Some(None),
                manager: Some(None),
            }
        );
        // Entra's POST: externalId, the enterprise extension under its URN, a work address.
        let e = read_user(&json!({"schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA], "userName": "a@b.test",
            "externalId": " 0a1b ", "emails": [{"value": "home@x.test", "type": "home"},
                {"value": "Work@B.test", "type": "work", "primary": true}],
            ENTERPRISE_SCHEMA: {"employeeNumber": 701984, "department": "Sales", "manager": {"value": "m-1"},
                "costCenter": "ignored"}}))
        .unwrap();
        assert_eq!(e.external_id, Some(Some("0a1b".into())));
        assert_eq!((e.employee_number, e.department), (Some(Some("701984".into())), Some(Some("Sales".into()))));
        assert_eq!(e.manager, Some(Some("m-1".into())));
        assert_eq!(e.emails, Some(vec!["Work@B.test".to_string(), "home@x.test".to_string()]));
        let long = "x".repeat(MAX_ATTRIBUTE_CHARS + 1);
        let e = read_user(&json!({"schemas": [USER_SCHEMA], "userName": "a@b.test", "externalId": long}));
        assert_eq!(e.unwrap_err().scim_type, "invalidValue");
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
            (p.active, p.name.as_deref(), p.emails.as_deref()),
            (Some(true), Some("Ann Lee"), Some(&["a@b.test".to_string()][..]))
        );
        assert_eq!((p.external_id, p.department), (Some(Some("x".into())), Some(Some("x".into()))));
        // Entra's manager: the id alone or {"value"}; remove clears.
        let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let p = read_patch(&ops(json!([
            {"op": "Add", "path": format!("{ent}:manager"), "value": "m-2"},
            {"op": "Remove", "path": "externalId"},
            {"op": "Remove", "path": format!("{ent}:department")},
            {"op": "Replace", "path": format!("{ent}:employeeNumber"), "value": "E-7"},
        ])))
        .unwrap();
        assert_eq!(p.manager, Some(Some("m-2".into())));
        assert_eq!(
            (p.external_id, p.department, p.employee_number),
            (Some(None), Some(None), Some(Some("E-7".into())))
        );
        let p =
            read_patch(&ops(json!([{"op": "replace", "path": format!("{ent}:manager"), "value": {"value": "m-3"}}])))
                .unwrap();
        assert_eq!(p.manager, Some(Some("m-3".into())));
        let p = read_patch(&ops(json!([{"op": "replace", "value": {
            format!("{ent}:department"): "D", ent: {"employeeNumber": "9"}, "externalId": "e"}}])))
        .unwrap();
        assert_eq!(
            (p.department, p.employee_number, p.external_id, p.manager),
            (Some(Some("D".into())), Some(Some("9".into())), Some(Some("e".into())), None)
        );
        let p = read_patch(&ops(json!([{"op": "remove", "path": "emails[type eq \"work\"].value"}]))).unwrap();
        assert_eq!(p.emails, Some(vec![]));
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
