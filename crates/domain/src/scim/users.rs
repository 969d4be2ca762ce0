//! The SCIM User resource's attributes as Roster stores them, and a filter
//! resolved against them.
//!
//! | SCIM attribute | Roster |
//! | --- | --- |
//! | `id` | `members.user_id` |
//! | `userName`, `emails`, `emails.value` | `members.email`, the sign-in address (stored lower-cased and NFC-normalized by `Email::parse`) |
//! | `emails.type`, `emails.primary` | the sign-in address is `"work"` and primary |
//! | a second `emails` entry (`"work"`, not primary) | `members.work_email`, the provider's work address when it differs from the sign-in address; answered, not filtered on |
//! | `displayName`, `name.formatted` | `members.name` |
//! | `active` | `members.status = 'active'` |
//! | `externalId` | `members.external_id` (case-exact) |
//! | `meta.created` | `members.created_at` |
//! | `meta.lastModified` | `members.updated_at`, or `created_at` for a row never changed since migration 0019 |
//! | `meta.resourceType` | `"User"` |
//! | `meta.version` | a weak ETag of the row ([`ScimUser::version`]) |
//! | enterprise `employeeNumber`, `department` | `members.employee_number`, `members.department` |
//! | enterprise `manager.value` | `members.manager_id` (answered with the manager's name; not filtered on) |
//!
//! `name.givenName`, `name.familyName` and the other parts of a name are
//! refused (Roster keeps one name), as is any attribute not in the table.
//! An attribute a member has no value of (`externalId`, the enterprise
//! ones) satisfies no comparison, `ne` included, and not `pr`.
//!
//! Case: `userName` and emails are case-insensitive in SCIM (`caseExact`
//! false); the stored address is already lower-cased, so the literal is
//! lower-cased the same way (Unicode) and compared as is, which keeps the
//! `(org_id, email)` index usable. `displayName`, `name.formatted`,
//! `employeeNumber` and `department` are case-insensitive too, folded in
//! ASCII only: that is what SQLite's `lower()` does, and PostgreSQL's under
//! the column's `"C"` collation, so both backends agree (an `É` and an `é`
//! stay apart). `externalId` is case-exact (RFC 7643 §3.1). Strings order
//! by their bytes (UTF-8) on both. Dates are ISO 8601 literals compared as
//! points in time to the millisecond.

use unicode_normalization::UnicodeNormalization;

use super::filter::{AttrPath, CompareOp, Filter, FilterError, Value, parse_path};
use crate::members::Member;
use crate::{MemberStatus, Timestamp, UserId};

/// The schema URN of the core User resource; a qualified path must use it.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

/// The schema URN of the enterprise User extension (RFC 7643 §4.3).
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// What a provider says about a member beyond the core attributes Roster
/// has for everyone (migration 0019); `None`: no value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserAttributes {
    /// `externalId`, as the provider wrote it.
    pub external_id: Option<String>,
    /// The enterprise extension's `employeeNumber`.
    pub employee_number: Option<String>,
    /// The enterprise extension's `department`.
    pub department: Option<String>,
    /// The enterprise extension's `manager.value`: a user of the same organization.
    pub manager: Option<UserId>,
    /// The provider's work address when it differs from the sign-in address.
    pub work_email: Option<String>,
}

/// A member as a SCIM User: the membership, the provider's attributes, when
/// the row last changed, and the manager's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimUser {
    /// The membership.
    pub member: Member,
    /// The provider's attributes.
    pub attributes: UserAttributes,
    /// When the row last changed (`None`: not since it was made).
    pub updated_at: Option<Timestamp>,
    /// The manager's name, when they are a member of the organization.
    pub manager_name: Option<String>,
}

impl ScimUser {
    /// `meta.lastModified`: the last change, or the creation.
    pub fn last_modified(&self) -> Timestamp {
        self.updated_at.unwrap_or(self.member.created_at)
    }

    /// `meta.version`: a weak ETag of everything the User is made of in its
    /// row (not the manager's name, which is another User's), so that it
    /// changes with every change of the User and is equal for equal state.
    pub fn version(&self) -> String {
        let m = &self.member;
        let a = &self.attributes;
        let opt = |s: &Option<String>| s.clone().map_or_else(|| "\u{0}".to_string(), |s| format!("={s}"));
        weak_etag(&[
            &m.user_id.to_string(),
            &m.email,
            &m.name,
            m.status.as_str(),
            &opt(&a.external_id),
            &opt(&a.employee_number),
            &opt(&a.department),
            &opt(&a.manager.map(|u| u.to_string())),
            &opt(&a.work_email),
            &self.last_modified().0.to_string(),
        ])
    }
}

/// A weak ETag (`W/"…"`, RFC 9110 §8.8.3) of a resource's state given as
/// its parts: the first 16 bytes of the SHA-256 of the parts, each ended by
/// a unit separator, in hex. Equal parts give equal tags.
pub fn weak_etag(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0x1f]);
    }
    let digest = h.finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("W/\"{hex}\"")
}

/// Whether an `If-Match` header's value lets a change of a resource whose
/// current tag is `current` through: `*`, or a list of tags one of which is
/// `current`, compared weakly (a `W/` prefix on either side is ignored:
/// SCIM's versions are weak, RFC 7644 §3.14).
pub fn if_match_allows(header: &str, current: &str) -> bool {
    let opaque = |t: &str| {
        let t = t.trim();
        t.strip_prefix("W/").unwrap_or(t).to_string()
    };
    let current = opaque(current);
    header.split(',').any(|t| t.trim() == "*" || opaque(t) == current)
}

/// A filter resolved against the User resource: what the store turns into
/// SQL and [`UserFilter::matches`] evaluates. No node can be unknown, so
/// the SQL it becomes is never `NULL` and `not` is plain negation.
#[derive(Debug, Clone, PartialEq)]
pub enum UserFilter {
    /// Always or never (an attribute every member has the same value of,
    /// or none has).
    Const(bool),
    /// `id eq` (true) or `id ne` (false) the id.
    Id {
        /// Whether the test is equality (else inequality).
        equal: bool,
        /// The id compared with.
        id: UserId,
    },
    /// The sign-in address, against a literal normalized as addresses are.
    Email(CompareOp, String),
    /// The name folded to lower case in ASCII, against a literal folded the same way.
    Name(CompareOp, String),
    /// The name is not empty (`displayName pr`).
    NameNotEmpty,
    /// The member is active (true) or not (false).
    Active(bool),
    /// The creation time, by one of eq, ne, gt, ge, lt, le.
    Created(CompareOp, Timestamp),
    /// The last change (`updated_at`, else `created_at`), by one of eq, ne, gt, ge, lt, le.
    Modified(CompareOp, Timestamp),
    /// A provider's attribute has a value and it compares so with the
    /// literal (folded as [`TextAttr::fold`] says).
    Text(TextAttr, CompareOp, String),
    /// A provider's attribute has a value (`pr`).
    Present(TextAttr),
    /// Both hold.
    And(Box<UserFilter>, Box<UserFilter>),
    /// Either holds.
    Or(Box<UserFilter>, Box<UserFilter>),
    /// It does not hold.
    Not(Box<UserFilter>),
}

/// A text attribute a provider gives, which a member may have no value of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextAttr {
    /// `externalId` (case-exact).
    ExternalId,
    /// The enterprise extension's `employeeNumber` (case-insensitive).
    EmployeeNumber,
    /// The enterprise extension's `department` (case-insensitive).
    Department,
}

impl TextAttr {
    /// Whether the attribute compares case-insensitively (folded in ASCII, as
    /// the store's `lower()` does).
    pub fn folds_case(self) -> bool {
        !matches!(self, TextAttr::ExternalId)
    }

    /// A value as compared: folded in ASCII when the attribute ignores case.
    pub fn fold(self, s: &str) -> String {
        if self.folds_case() { s.to_ascii_lowercase() } else { s.to_string() }
    }

    /// The member's value of the attribute.
    pub fn value_of(self, a: &UserAttributes) -> Option<&str> {
        match self {
            TextAttr::ExternalId => a.external_id.as_deref(),
            TextAttr::EmployeeNumber => a.employee_number.as_deref(),
            TextAttr::Department => a.department.as_deref(),
        }
    }
}

/// A User attribute a filter or a sort can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attr {
    Id,
    /// `userName`, `emails`, `emails.value`.
    Email,
    /// `displayName`, `name.formatted`.
    Name,
    Active,
    /// `meta.created`.
    Created,
    /// `meta.lastModified`.
    Modified,
    /// `externalId`, `employeeNumber`, `department`.
    Text(TextAttr),
    /// An attribute with the same value for every member.
    ConstText(&'static str),
    ConstBool(bool),
}

fn is(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn unknown(path: &AttrPath) -> FilterError {
    FilterError::whole(format!("'{path}' is not an attribute of a User that can be filtered on"))
}

/// The attribute a path names, at the top level (`in_emails` false) or inside
/// a value path on `emails`.
fn attr(path: &AttrPath, in_emails: bool) -> Result<Attr, FilterError> {
    let name = path.name.as_str();
    let sub = path.sub.as_deref();
    if let Some(uri) = &path.uri
        && !in_emails
        && is(uri, ENTERPRISE_SCHEMA)
    {
        return match (name, sub) {
            (n, None) if is(n, "employeeNumber") => Ok(Attr::Text(TextAttr::EmployeeNumber)),
            (n, None) if is(n, "department") => Ok(Attr::Text(TextAttr::Department)),
            _ => Err(unknown(path)),
        };
    }
    if let Some(uri) = &path.uri
        && (in_emails || !is(uri, USER_SCHEMA))
    {
        return Err(unknown(path));
    }
    if in_emails {
        return match (name, sub) {
            (n, None) if is(n, "value") => Ok(Attr::Email),
            (n, None) if is(n, "type") => Ok(Attr::ConstText("work")),
            (n, None) if is(n, "primary") => Ok(Attr::ConstBool(true)),
            _ => Err(unknown(path)),
        };
    }
    match (name, sub) {
        (n, None) if is(n, "id") => Ok(Attr::Id),
        (n, None) if is(n, "userName") => Ok(Attr::Email),
        (n, None) if is(n, "externalId") => Ok(Attr::Text(TextAttr::ExternalId)),
        (n, None) if is(n, "displayName") => Ok(Attr::Name),
        (n, None) if is(n, "active") => Ok(Attr::Active),
        (n, None) if is(n, "emails") => Ok(Attr::Email),
        (n, Some(s)) if is(n, "emails") => attr(&AttrPath::simple(s), true),
        (n, Some(s)) if is(n, "name") && is(s, "formatted") => Ok(Attr::Name),
        (n, Some(s))
            if is(n, "name")
                && ["givenName", "familyName", "middleName", "honorificPrefix", "honorificSuffix"]
                    .iter()
                    .any(|p| is(s, p)) =>
        {
            Err(FilterError::whole(format!(
                "'{path}' cannot be filtered on: Roster keeps one name (filter on displayName or name.formatted)"
            )))
        }
        (n, Some(s)) if is(n, "meta") && is(s, "created") => Ok(Attr::Created),
        (n, Some(s)) if is(n, "meta") && is(s, "lastModified") => Ok(Attr::Modified),
        (n, Some(s)) if is(n, "meta") && is(s, "resourceType") => Ok(Attr::ConstText("User")),
        _ => Err(unknown(path)),
    }
}

/// Normalizes a literal compared with an address as `Email::parse` does
/// (NFC, lower case, NFC again), without requiring it to be an address.
pub fn normalize_email_literal(s: &str) -> String {
    s.nfc().collect::<String>().to_lowercase().nfc().collect()
}

/// Compares two strings by a SCIM operator.
fn compare_text(op: CompareOp, left: &str, right: &str) -> bool {
    match op {
        CompareOp::Eq => left == right,
        CompareOp::Ne => left != right,
        CompareOp::Co => left.contains(right),
        CompareOp::Sw => left.starts_with(right),
        CompareOp::Ew => left.ends_with(right),
        CompareOp::Gt => left > right,
        CompareOp::Ge => left >= right,
        CompareOp::Lt => left < right,
        CompareOp::Le => left <= right,
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
    }
}

/// One comparison resolved.
fn compare(path: &AttrPath, attr: Attr, op: CompareOp, value: &Value) -> Result<UserFilter, FilterError> {
    use CompareOp::{Eq, Ne};
    let refuse = |what: &str| Err(FilterError::whole(format!("'{path} {} {value}': {what}", op.as_str())));
    if let Value::Null = value {
        // `eq null` asks that the attribute have no value; `ne null`, that it have one.
        let present = present(attr);
        return match op {
            Eq => Ok(negate(present)),
            Ne => Ok(present),
            _ => refuse("null can only be compared with eq or ne"),
        };
    }
    match (attr, value) {
        (Attr::Id, Value::String(s)) => match op {
            Eq | Ne => Ok(match uuid::Uuid::parse_str(s) {
                Ok(id) => UserFilter::Id { equal: op == Eq, id: UserId(id) },
                // No member has an id that is not a UUID.
                Err(_) => UserFilter::Const(op == Ne),
            }),
            _ => refuse("id can only be compared with eq or ne"),
        },
        (Attr::Email, Value::String(s)) => Ok(UserFilter::Email(op, normalize_email_literal(s))),
        (Attr::Name, Value::String(s)) => Ok(UserFilter::Name(op, s.to_ascii_lowercase())),
        (Attr::Active, Value::Bool(b)) => match op {
            Eq => Ok(UserFilter::Active(*b)),
            Ne => Ok(UserFilter::Active(!*b)),
            _ => refuse("a boolean can only be compared with eq or ne"),
        },
        (Attr::ConstBool(v), Value::Bool(b)) => match op {
            Eq => Ok(UserFilter::Const(v == *b)),
            Ne => Ok(UserFilter::Const(v != *b)),
            _ => refuse("a boolean can only be compared with eq or ne"),
        },
        (Attr::ConstText(v), Value::String(s)) => {
            Ok(UserFilter::Const(compare_text(op, &v.to_lowercase(), &s.to_lowercase())))
        }
        (Attr::Text(a), Value::String(s)) => Ok(UserFilter::Text(a, op, a.fold(s))),
        (Attr::Created | Attr::Modified, Value::String(s)) => {
            if matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) {
                return refuse("a date can be compared with eq, ne, gt, ge, lt or le");
            }
            let Some(at) = parse_date_time(s) else {
                return refuse("expected a date and time such as \"2011-05-13T04:42:34Z\"");
            };
            Ok(if attr == Attr::Created { UserFilter::Created(op, at) } else { UserFilter::Modified(op, at) })
        }
        (Attr::Active | Attr::ConstBool(_), v) => refuse(&format!("the attribute is a boolean, not {}", kind(v))),
        (Attr::Created | Attr::Modified, v) => refuse(&format!("the attribute is a date (a string), not {}", kind(v))),
        (_, v) => refuse(&format!("the attribute is a string, not {}", kind(v))),
    }
}

/// The attribute has a value (`pr`).
fn present(attr: Attr) -> UserFilter {
    match attr {
        Attr::Name => UserFilter::NameNotEmpty,
        Attr::Text(a) => UserFilter::Present(a),
        // Ids, addresses, statuses and times are never empty.
        _ => UserFilter::Const(true),
    }
}

fn negate(f: UserFilter) -> UserFilter {
    match f {
        UserFilter::Const(b) => UserFilter::Const(!b),
        f => UserFilter::Not(Box::new(f)),
    }
}

fn resolve_in(filter: &Filter, in_emails: bool) -> Result<UserFilter, FilterError> {
    Ok(match filter {
        Filter::Compare { path, op, value } => compare(path, attr(path, in_emails)?, *op, value)?,
        Filter::Present(path) => present(attr(path, in_emails)?),
        Filter::And(l, r) => UserFilter::And(Box::new(resolve_in(l, in_emails)?), Box::new(resolve_in(r, in_emails)?)),
        Filter::Or(l, r) => UserFilter::Or(Box::new(resolve_in(l, in_emails)?), Box::new(resolve_in(r, in_emails)?)),
        Filter::Not(inner) => UserFilter::Not(Box::new(resolve_in(inner, in_emails)?)),
        Filter::ValuePath { path, filter } => {
            let emails = !in_emails
                && path.sub.is_none()
                && is(&path.name, "emails")
                && path.uri.as_deref().is_none_or(|u| is(u, USER_SCHEMA));
            if !emails {
                return Err(FilterError::whole(format!(
                    "'{path}[…]': only emails can be filtered by value (a User in Roster has no other multi-valued attribute)"
                )));
            }
            // A member has one address, so "some address satisfies" is "the address satisfies".
            resolve_in(filter, true)?
        }
    })
}

impl UserFilter {
    /// Resolves a parsed filter against the User resource: each attribute
    /// named, each literal of the attribute's type (or `invalidFilter`).
    pub fn resolve(filter: &Filter) -> Result<Self, FilterError> {
        resolve_in(filter, false)
    }

    /// Parses and resolves a filter.
    pub fn parse(input: &str) -> Result<Self, FilterError> {
        Self::resolve(&super::filter::parse(input)?)
    }

    /// Whether a User satisfies the filter: the meaning the store's SQL
    /// must have (its property test holds them together).
    pub fn matches(&self, u: &ScimUser) -> bool {
        let m = &u.member;
        let at_op = |op: &CompareOp, c: Timestamp, at: Timestamp| match op {
            CompareOp::Eq => c == at,
            CompareOp::Ne => c != at,
            CompareOp::Gt => c > at,
            CompareOp::Ge => c >= at,
            CompareOp::Lt => c < at,
            CompareOp::Le => c <= at,
            CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
        };
        match self {
            UserFilter::Const(b) => *b,
            UserFilter::Id { equal, id } => (m.user_id == *id) == *equal,
            UserFilter::Email(op, v) => compare_text(*op, &m.email, v),
            UserFilter::Name(op, v) => compare_text(*op, &m.name.to_ascii_lowercase(), v),
            UserFilter::NameNotEmpty => !m.name.is_empty(),
            UserFilter::Active(b) => (m.status == MemberStatus::Active) == *b,
            UserFilter::Created(op, at) => at_op(op, m.created_at, *at),
            UserFilter::Modified(op, at) => at_op(op, u.last_modified(), *at),
            UserFilter::Text(a, op, v) => a.value_of(&u.attributes).is_some_and(|s| compare_text(*op, &a.fold(s), v)),
            UserFilter::Present(a) => a.value_of(&u.attributes).is_some(),
            UserFilter::And(l, r) => l.matches(u) && r.matches(u),
            UserFilter::Or(l, r) => l.matches(u) || r.matches(u),
            UserFilter::Not(f) => !f.matches(u),
        }
    }
}

/// The order of a User list (`sortBy`); ties are broken by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserSort {
    /// By sign-in address (`userName`, `emails`, `emails.value`).
    UserName,
    /// By name (`displayName`, `name.formatted`), by its bytes: case
    /// matters here (the order of the `(org_id, name, user_id)` index).
    DisplayName,
    /// By creation time (`meta.created`).
    Created,
    /// By the last change (`meta.lastModified`).
    Modified,
    /// By `externalId`, by its bytes; members without one first.
    ExternalId,
    /// By id (`id`), also the order without a `sortBy`.
    #[default]
    Id,
}

impl UserSort {
    /// Reads a `sortBy`. An attribute Roster cannot sort by is refused;
    /// RFC 7644 §3.4.2.3 leaves the error to the provider, and Roster
    /// answers it as `invalidFilter` like an unknown attribute in a filter.
    pub fn parse(sort_by: &str) -> Result<Self, FilterError> {
        let path = parse_path(sort_by)?;
        match attr(&path, false)? {
            Attr::Id => Ok(Self::Id),
            Attr::Email => Ok(Self::UserName),
            Attr::Name => Ok(Self::DisplayName),
            Attr::Created => Ok(Self::Created),
            Attr::Modified => Ok(Self::Modified),
            Attr::Text(TextAttr::ExternalId) => Ok(Self::ExternalId),
            Attr::Active | Attr::Text(_) | Attr::ConstText(_) | Attr::ConstBool(_) => {
                Err(FilterError::whole(format!("'{path}' cannot be sorted by")))
            }
        }
    }
}

/// Reads an ISO 8601 date and time (`2011-05-13T04:42:34Z`, with optional
/// fractions of a second and a `±hh:mm` offset instead of `Z`) or a date
/// alone (midnight UTC), as milliseconds since the epoch; digits past the
/// millisecond are dropped.
pub fn parse_date_time(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    let digits = |from: usize, n: usize| -> Option<i64> {
        let part = b.get(from..from + n)?;
        part.iter().all(u8::is_ascii_digit).then(|| part.iter().fold(0, |acc, d| acc * 10 + i64::from(d - b'0')))
    };
    let year = digits(0, 4)?;
    let month = digits(5, 2)?;
    let day = digits(8, 2)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || !(1..=12).contains(&month) {
        return None;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if day < 1 || day > month_days[(month - 1) as usize] {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if b.len() == 10 {
        return Some(Timestamp(days * 86_400_000));
    }
    if !matches!(b.get(10), Some(b'T' | b't')) || b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
        return None;
    }
    let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut millis = 0;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        let frac = &s[start..i.min(start + 3)];
        millis = frac.parse::<i64>().ok()? * 10_i64.pow(3 - frac.len() as u32);
    }
    let offset_minutes = match b.get(i) {
        Some(b'Z' | b'z') if b.len() == i + 1 => 0,
        Some(sign @ (b'+' | b'-')) if b.len() == i + 6 && b[i + 3] == b':' => {
            let (h, m) = (digits(i + 1, 2)?, digits(i + 4, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            if *sign == b'+' { h * 60 + m } else { -(h * 60 + m) }
        }
        _ => return None,
    };
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(Timestamp(seconds * 1000 + millis))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(s: &str) -> UserFilter {
        UserFilter::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn refused(s: &str) -> String {
        let e = UserFilter::parse(s).expect_err(s);
        assert_eq!(e.scim_type(), "invalidFilter");
        e.message
    }

    fn member(email: &str, name: &str, status: MemberStatus, created: i64) -> ScimUser {
        ScimUser {
            member: Member {
                user_id: UserId::new(),
                email: email.into(),
                name: name.into(),
                status,
                confirmed: true,
                created_at: Timestamp(created),
                last_active_at: None,
            },
            attributes: UserAttributes::default(),
            updated_at: None,
            manager_name: None,
        }
    }

    #[test]
    fn attributes_map_onto_the_member_row() {
        use CompareOp::*;
        assert_eq!(resolved(r#"userName eq "Ann@Example.COM""#), UserFilter::Email(Eq, "ann@example.com".into()));
        assert_eq!(resolved(r#"USERNAME Eq "ann@x.io""#), UserFilter::Email(Eq, "ann@x.io".into()));
        assert_eq!(
            resolved(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "A""#),
            UserFilter::Email(Sw, "a".into())
        );
        assert_eq!(resolved(r#"emails co "@Acme""#), UserFilter::Email(Co, "@acme".into()));
        assert_eq!(resolved(r#"emails.value ew ".io""#), UserFilter::Email(Ew, ".io".into()));
        assert_eq!(
            resolved(r#"emails[type eq "work" and value co "@acme"]"#),
            UserFilter::And(Box::new(UserFilter::Const(true)), Box::new(UserFilter::Email(Co, "@acme".into())))
        );
        assert_eq!(
            resolved(r#"emails[type eq "work"].value eq "a@b.c""#),
            UserFilter::And(Box::new(UserFilter::Const(true)), Box::new(UserFilter::Email(Eq, "a@b.c".into())))
        );
        assert_eq!(resolved(r#"emails[type eq "home"]"#), UserFilter::Const(false));
        assert_eq!(resolved(r#"emails.primary eq true"#), UserFilter::Const(true));
        assert_eq!(resolved(r#"displayName eq "Ann Smith""#), UserFilter::Name(Eq, "ann smith".into()));
        assert_eq!(resolved(r#"name.formatted co "ÉV""#), UserFilter::Name(Co, "Év".into()));
        assert_eq!(resolved("displayName pr"), UserFilter::NameNotEmpty);
        assert_eq!(resolved("active eq true"), UserFilter::Active(true));
        assert_eq!(resolved("active ne true"), UserFilter::Active(false));
        assert_eq!(resolved(r#"meta.created gt "1970-01-01T00:00:01Z""#), UserFilter::Created(Gt, Timestamp(1000)));
        assert_eq!(resolved(r#"meta.lastModified le "1970-01-02""#), UserFilter::Modified(Le, Timestamp(86_400_000)));
        assert_eq!(resolved(r#"externalId eq "AbC""#), UserFilter::Text(TextAttr::ExternalId, Eq, "AbC".into()));
        assert_eq!(resolved("externalId pr"), UserFilter::Present(TextAttr::ExternalId));
        assert_eq!(
            resolved("externalId eq null"),
            UserFilter::Not(Box::new(UserFilter::Present(TextAttr::ExternalId)))
        );
        assert_eq!(
            resolved(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department co "Sales""#),
            UserFilter::Text(TextAttr::Department, Co, "sales".into())
        );
        assert_eq!(
            resolved(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:EMPLOYEENUMBER pr"#),
            UserFilter::Present(TextAttr::EmployeeNumber)
        );
        assert_eq!(resolved("userName eq null"), UserFilter::Const(false));
        assert_eq!(resolved("displayName eq null"), UserFilter::Not(Box::new(UserFilter::NameNotEmpty)));
        assert_eq!(resolved(r#"meta.resourceType eq "user""#), UserFilter::Const(true));
        let id = UserId::new();
        assert_eq!(resolved(&format!(r#"id eq "{}""#, id.0)), UserFilter::Id { equal: true, id });
        assert_eq!(resolved(r#"id eq "not-a-uuid""#), UserFilter::Const(false));
        assert_eq!(resolved(r#"id ne "not-a-uuid""#), UserFilter::Const(true));
    }

    #[test]
    fn unknown_attributes_and_wrong_literals_are_invalid_filters() {
        assert_eq!(refused(r#"title pr"#), "'title' is not an attribute of a User that can be filtered on");
        assert_eq!(
            refused(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter eq "x""#),
            "'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter' is not an attribute of a User that can be filtered on"
        );
        assert!(refused(r#"department eq "x""#).contains("is not an attribute"));
        assert!(refused("externalId eq 5").contains("the attribute is a string, not a number"));
        assert!(refused(r#"meta.lastModified co "2011""#).contains("a date can be compared with"));
        assert!(refused(r#"name.givenName eq "Ann""#).contains("Roster keeps one name"));
        assert!(refused(r#"emails[display eq "x"]"#).contains("'display' is not an attribute"));
        assert!(refused(r#"addresses[type eq "work"]"#).contains("only emails"));
        assert!(refused(r#"active eq "true""#).contains("the attribute is a boolean, not a string"));
        assert!(refused("userName eq 5").contains("the attribute is a string, not a number"));
        assert!(refused(r#"meta.created gt "yesterday""#).contains("expected a date and time"));
        assert!(refused(r#"meta.created co "2011""#).contains("a date can be compared with"));
        assert!(refused(r#"id co "a""#).contains("id can only be compared with eq or ne"));
        assert!(refused("userName gt null").contains("null can only be compared"));
        assert!(refused("active gt true").contains("a boolean can only be compared"));
        assert!(refused("userName eq").starts_with("expected a value"));
    }

    #[test]
    fn matching_follows_scim_case_rules() {
        let mut ann = member("ann.o'malley@acme.example", "Ann O'Malley Élan", MemberStatus::Active, 5_000);
        ann.attributes.external_id = Some("AbC-1".into());
        ann.attributes.department = Some("Sales EMEA".into());
        ann.updated_at = Some(Timestamp(20_000));
        let bob = member("bob@other.example", "bob", MemberStatus::Disabled, 10_000);
        let check = |f: &str, expected: [bool; 2]| {
            let uf = resolved(f);
            assert_eq!([uf.matches(&ann), uf.matches(&bob)], expected, "{f}");
        };
        check(r#"userName eq "ANN.O'MALLEY@ACME.EXAMPLE""#, [true, false]);
        check(r#"emails[type eq "work" and value co "@ACME"]"#, [true, false]);
        check(r#"displayName sw "ann o'""#, [true, false]);
        check(r#"displayName co "élan""#, [false, false]);
        check(r#"displayName co "Élan""#, [true, false]);
        check(r#"displayName eq "BOB""#, [false, true]);
        check("active eq false", [false, true]);
        check(r#"not (active eq true) or userName sw "ann""#, [true, true]);
        check(r#"meta.created ge "1970-01-01T00:00:05Z" and meta.created lt "1970-01-01T00:00:10Z""#, [true, false]);
        check(r#"meta.created eq "1970-01-01T00:00:10.000Z""#, [false, true]);
        check(r#"userName gt "b""#, [false, true]);
        check(r#"externalId eq "AbC-1""#, [true, false]);
        check(r#"externalId eq "abc-1""#, [false, false]);
        check(r#"externalId ne "x""#, [true, false]);
        check("not (externalId pr)", [false, true]);
        check(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department sw "sales""#, [true, false]);
        check(r#"meta.lastModified gt "1970-01-01T00:00:15Z""#, [true, false]);
        check(r#"meta.lastModified eq "1970-01-01T00:00:10Z""#, [false, true]);
    }

    #[test]
    fn versions_follow_the_state_and_if_match_compares_weakly() {
        let ann = member("ann@acme.example", "Ann", MemberStatus::Active, 5_000);
        let v = ann.version();
        assert!(v.starts_with("W/\"") && v.ends_with('"') && v.len() == 2 + 32 + 2, "{v}");
        assert_eq!(v, ann.clone().version());
        let mut renamed = ann.clone();
        renamed.member.name = "Anne".into();
        let mut tagged = ann.clone();
        tagged.attributes.department = Some("".into());
        let mut touched = ann.clone();
        touched.updated_at = Some(Timestamp(6_000));
        let mut managed = ann.clone();
        managed.manager_name = Some("Bob".into());
        assert_eq!(managed.version(), v, "the manager's name is another User's");
        for other in [renamed, tagged, touched] {
            assert_ne!(other.version(), v);
        }
        assert!(if_match_allows(&v, &v));
        assert!(if_match_allows("*", &v));
        assert!(if_match_allows(&format!("\"x\", {}", v.trim_start_matches("W/")), &v));
        assert!(!if_match_allows("W/\"x\"", &v));
    }

    #[test]
    fn dates() {
        let at = |s| parse_date_time(s).map(|t| t.0);
        assert_eq!(at("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(at("2011-05-13T04:42:34Z"), Some(1_305_261_754_000));
        assert_eq!(at("2011-05-13T04:42:34.5Z"), Some(1_305_261_754_500));
        assert_eq!(at("2011-05-13T04:42:34.123456Z"), Some(1_305_261_754_123));
        assert_eq!(at("2011-05-13T06:42:34+02:00"), Some(1_305_261_754_000));
        assert_eq!(at("2011-05-12T23:42:34-05:00"), Some(1_305_261_754_000));
        assert_eq!(at("2000-02-29"), Some(951_782_400_000));
        assert_eq!(at("1969-12-31T23:59:59Z"), Some(-1000));
        for bad in
            ["2001-02-29", "2011-13-01", "2011-05-13T04:42:34", "2011-05-13 04:42:34Z", "2011-05-13T24:00:00Z", "", "x"]
        {
            assert_eq!(at(bad), None, "{bad}");
        }
    }

    #[test]
    fn sort_by() {
        assert_eq!(UserSort::parse("userName"), Ok(UserSort::UserName));
        assert_eq!(UserSort::parse("emails.value"), Ok(UserSort::UserName));
        assert_eq!(UserSort::parse("name.formatted"), Ok(UserSort::DisplayName));
        assert_eq!(UserSort::parse("meta.lastModified"), Ok(UserSort::Modified));
        assert_eq!(UserSort::parse("meta.created"), Ok(UserSort::Created));
        assert_eq!(UserSort::parse("externalId"), Ok(UserSort::ExternalId));
        assert!(UserSort::parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department").is_err());
        assert_eq!(UserSort::parse("urn:ietf:params:scim:schemas:core:2.0:User:id"), Ok(UserSort::Id));
        assert!(UserSort::parse("title").is_err());
        assert!(UserSort::parse("active").is_err());
        assert!(UserSort::parse("userName eq").is_err());
    }
}
