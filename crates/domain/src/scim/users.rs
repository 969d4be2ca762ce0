//! The SCIM User resource's attributes as Roster stores them, and a filter
//! resolved against them.
//!
//! | SCIM attribute | Roster |
//! | --- | --- |
//! | `id` | `members.user_id` |
//! | `userName`, `emails`, `emails.value` | `members.email`, the sign-in address (stored lower-cased and NFC-normalized by `Email::parse`) |
//! | `emails.type`, `emails.primary` | the one address is `"work"` and primary |
//! | `displayName`, `name.formatted` | `members.name` |
//! | `active` | `members.status = 'active'` |
//! | `meta.created`, `meta.lastModified` | `members.created_at` (no row records a last change) |
//! | `meta.resourceType` | `"User"` |
//! | `externalId` | not stored yet: no member has one, so a comparison matches no one and `pr` is false |
//!
//! `name.givenName`, `name.familyName` and the other parts of a name are
//! refused (Roster keeps one name), as is any attribute not in the table.
//!
//! Case: `userName` and emails are case-insensitive in SCIM (`caseExact`
//! false); the stored address is already lower-cased, so the literal is
//! lower-cased the same way (Unicode) and compared as is, which keeps the
//! `(org_id, email)` index usable. `displayName` and `name.formatted` are
//! case-insensitive too, folded in ASCII only: that is what SQLite's
//! `lower()` does, and PostgreSQL's under the column's `"C"` collation, so
//! both backends agree (an `É` and an `é` stay apart). Strings order by
//! their bytes (UTF-8) on both. Dates are ISO 8601 literals compared as
//! points in time to the millisecond.

use unicode_normalization::UnicodeNormalization;

use super::filter::{AttrPath, CompareOp, Filter, FilterError, Value, parse_path};
use crate::members::Member;
use crate::{MemberStatus, Timestamp, UserId};

/// The schema URN of the core User resource; a qualified path must use it.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

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
    /// Both hold.
    And(Box<UserFilter>, Box<UserFilter>),
    /// Either holds.
    Or(Box<UserFilter>, Box<UserFilter>),
    /// It does not hold.
    Not(Box<UserFilter>),
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
    /// `meta.created`, `meta.lastModified`.
    Created,
    /// An attribute with the same value for every member.
    ConstText(&'static str),
    ConstBool(bool),
    /// An attribute no member has a value of (`externalId`).
    Unassigned,
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
    if let Some(uri) = &path.uri
        && (in_emails || !is(uri, USER_SCHEMA))
    {
        return Err(unknown(path));
    }
    let name = path.name.as_str();
    let sub = path.sub.as_deref();
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
        (n, None) if is(n, "externalId") => Ok(Attr::Unassigned),
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
        (n, Some(s)) if is(n, "meta") && (is(s, "created") || is(s, "lastModified")) => Ok(Attr::Created),
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
        (Attr::Unassigned, _) => Ok(UserFilter::Const(false)),
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
        (Attr::Created, Value::String(s)) => {
            if matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) {
                return refuse("a date can be compared with eq, ne, gt, ge, lt or le");
            }
            let Some(at) = parse_date_time(s) else {
                return refuse("expected a date and time such as \"2011-05-13T04:42:34Z\"");
            };
            Ok(UserFilter::Created(op, at))
        }
        (Attr::Active | Attr::ConstBool(_), v) => refuse(&format!("the attribute is a boolean, not {}", kind(v))),
        (Attr::Created, v) => refuse(&format!("the attribute is a date (a string), not {}", kind(v))),
        (_, v) => refuse(&format!("the attribute is a string, not {}", kind(v))),
    }
}

/// The attribute has a value (`pr`).
fn present(attr: Attr) -> UserFilter {
    match attr {
        Attr::Name => UserFilter::NameNotEmpty,
        Attr::Unassigned => UserFilter::Const(false),
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

    /// Whether a member satisfies the filter: the meaning the store's SQL
    /// must have (its property test holds them together).
    pub fn matches(&self, m: &Member) -> bool {
        match self {
            UserFilter::Const(b) => *b,
            UserFilter::Id { equal, id } => (m.user_id == *id) == *equal,
            UserFilter::Email(op, v) => compare_text(*op, &m.email, v),
            UserFilter::Name(op, v) => compare_text(*op, &m.name.to_ascii_lowercase(), v),
            UserFilter::NameNotEmpty => !m.name.is_empty(),
            UserFilter::Active(b) => (m.status == MemberStatus::Active) == *b,
            UserFilter::Created(op, at) => {
                let c = m.created_at;
                match op {
                    CompareOp::Eq => c == *at,
                    CompareOp::Ne => c != *at,
                    CompareOp::Gt => c > *at,
                    CompareOp::Ge => c >= *at,
                    CompareOp::Lt => c < *at,
                    CompareOp::Le => c <= *at,
                    CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
                }
            }
            UserFilter::And(l, r) => l.matches(m) && r.matches(m),
            UserFilter::Or(l, r) => l.matches(m) || r.matches(m),
            UserFilter::Not(f) => !f.matches(m),
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
    /// By creation time (`meta.created`, `meta.lastModified`).
    Created,
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
            Attr::Active | Attr::ConstText(_) | Attr::ConstBool(_) | Attr::Unassigned => {
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

    fn member(email: &str, name: &str, status: MemberStatus, created: i64) -> Member {
        Member {
            user_id: UserId::new(),
            email: email.into(),
            name: name.into(),
            status,
            confirmed: true,
            created_at: Timestamp(created),
            last_active_at: None,
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
        assert_eq!(resolved(r#"meta.lastModified le "1970-01-02""#), UserFilter::Created(Le, Timestamp(86_400_000)));
        assert_eq!(resolved(r#"externalId eq "abc""#), UserFilter::Const(false));
        assert_eq!(resolved("externalId pr"), UserFilter::Const(false));
        assert_eq!(resolved("externalId eq null"), UserFilter::Const(true));
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
            refused(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x""#),
            "'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department' is not an attribute of a User that can be filtered on"
        );
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
        let ann = member("ann.o'malley@acme.example", "Ann O'Malley Élan", MemberStatus::Active, 5_000);
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
        assert_eq!(UserSort::parse("meta.lastModified"), Ok(UserSort::Created));
        assert_eq!(UserSort::parse("urn:ietf:params:scim:schemas:core:2.0:User:id"), Ok(UserSort::Id));
        assert!(UserSort::parse("title").is_err());
        assert!(UserSort::parse("active").is_err());
        assert!(UserSort::parse("userName eq").is_err());
    }
}
