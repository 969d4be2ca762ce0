//! The query strings of the lists, read once for the API and the pages,
//! and the ids of paths: an id that is not well-formed answers 404, like
//! a missing object, so the form of an id reveals nothing.

use roster_app::AppError;
use roster_app::members::ListRequest;
use roster_domain::members::{Activity, PER_PAGE_DEFAULT};
use roster_domain::products::ProductKey;
use roster_domain::{MemberFilter, MemberStatus, Timestamp, ValidationError};

/// Reads an object's id from a path segment; one that is not well-formed
/// answers 404 naming `what`, like a missing one.
pub fn id<T: std::str::FromStr>(text: &str, what: &'static str) -> Result<T, AppError> {
    text.parse().map_err(|_| AppError::NotFound(what))
}

/// Where an unknown query parameter is an error (API) or ignored (pages).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Strictness {
    /// Unknown parameters are refused, naming them.
    Strict,
    /// Unknown parameters are ignored.
    Lenient,
}

/// Reads the members list's query parameters (`GET …/users`, the Users
/// tab, the bulk filter), collecting every bad one.
///
/// `now` is the moment `inactive_days` counts back from.
pub fn members_list(raw: Option<&str>, strict: Strictness, now: Timestamp) -> Result<ListRequest, ValidationError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| ValidationError::field("query", "is not a valid query string"))?;
    let mut errors = ValidationError { errors: vec![] };
    let mut req = ListRequest { page: 1, per_page: PER_PAGE_DEFAULT, ..Default::default() };
    let (mut q, mut name, mut email) = (String::new(), String::new(), String::new());
    let mut statuses = Vec::new();
    let (mut inactive_days, mut never_active) = (None, None);
    let mut product = None;
    for (k, v) in pairs {
        let v = v.trim().to_string();
        match k.as_str() {
            "q" => q = v,
            "name" => name = v,
            "email" => email = v,
            "status" => {
                for s in v.split(',').map(str::trim).filter(|s| !s.is_empty() && *s != "all") {
                    match s.parse::<MemberStatus>() {
                        Ok(s) => statuses.push(s),
                        Err(e) => errors.merge(e),
                    }
                }
            }
            "sort" if !v.is_empty() => v.parse().map(|s| req.sort = s).unwrap_or_else(|e| errors.merge(e)),
            "order" if !v.is_empty() => v.parse().map(|o| req.order = o).unwrap_or_else(|e| errors.merge(e)),
            "page" if !v.is_empty() => match v.parse::<u32>() {
                Ok(p) if p >= 1 => req.page = p,
                _ => errors.merge(ValidationError::field("page", "must be a whole number from 1")),
            },
            "per_page" if !v.is_empty() => match v.parse::<u32>() {
                Ok(p) => req.per_page = p,
                Err(_) => errors.merge(ValidationError::field("per_page", "must be a whole number between 10 and 200")),
            },
            "cursor" if !v.is_empty() => req.cursor = Some(v),
            "inactive_days" => inactive_days = Some(v),
            "never_active" => never_active = Some(v),
            "role" if !v.is_empty() => req.role = Some(v),
            // A malformed key is refused by the API and left out by pages;
            // a well-formed one the catalogue lacks, `list_members` refuses.
            "product" if !v.is_empty() && v != "all" => match ProductKey::parse(&v) {
                Ok(p) => product = Some(p),
                Err(_) if strict == Strictness::Lenient => {}
                Err(_) => errors.merge(ValidationError::field("product", format!("'{v}' is not a product"))),
            },
            "sort" | "order" | "page" | "per_page" | "cursor" | "role" | "product" => {}
            other if strict == Strictness::Strict => {
                errors.merge(ValidationError::field(other, "is not a parameter of this list"))
            }
            _ => {}
        }
    }
    let activity = Activity::parse(inactive_days.as_deref(), never_active.as_deref(), now);
    match (MemberFilter::parse(&q, &name, &email, statuses), activity) {
        (Ok(f), Ok(a)) => req.filter = f.with_activity(a).with_product(product),
        (f, a) => {
            f.err().into_iter().chain(a.err()).for_each(|e| errors.merge(e));
        }
    }
    if errors.errors.is_empty() { Ok(req) } else { Err(errors) }
}

/// Reads the query of a product's members (`GET …/products/{key}/members`):
/// the Users list's `q`, `status`, `sort`, `order`, `per_page` and `cursor`
/// (the product comes from the path; other parameters are refused when
/// `Strict`).
pub fn product_members(raw: Option<&str>, strict: Strictness, now: Timestamp) -> Result<ListRequest, ValidationError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| ValidationError::field("query", "is not a valid query string"))?;
    let mut errors = ValidationError { errors: vec![] };
    let mut kept = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "q" | "status" | "sort" | "order" | "per_page" | "cursor" => kept.push((k, v)),
            other if strict == Strictness::Strict => {
                errors.merge(ValidationError::field(other, "is not a parameter of this list"))
            }
            _ => {}
        }
    }
    let kept = serde_urlencoded::to_string(&kept).unwrap_or_default();
    match members_list(Some(&kept), strict, now) {
        Ok(req) if errors.errors.is_empty() => Ok(req),
        Ok(_) => Err(errors),
        Err(e) => {
            errors.merge(e);
            Err(errors)
        }
    }
}

/// Reads the invitations list's query, naming every bad parameter
/// (unknown ones too when `Strict`).
pub fn invitations_list(
    raw: Option<&str>,
    strict: Strictness,
) -> Result<roster_app::invitations::ListRequest, ValidationError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| ValidationError::field("query", "is not a valid query string"))?;
    let mut errors = ValidationError { errors: vec![] };
    let mut req = roster_app::invitations::ListRequest {
        per_page: roster_domain::members::PER_PAGE_DEFAULT,
        ..Default::default()
    };
    for (k, v) in pairs {
        let v = v.trim().to_string();
        match k.as_str() {
            "status" if v.is_empty() || v == "all" => {}
            "status" => v.parse().map(|s| req.state = Some(s)).unwrap_or_else(|e| errors.merge(e)),
            "per_page" if !v.is_empty() => match v.parse::<u32>() {
                Ok(p) => req.per_page = p,
                Err(_) => errors.merge(ValidationError::field("per_page", "must be a whole number between 10 and 200")),
            },
            "cursor" if !v.is_empty() => req.cursor = Some(v),
            "per_page" | "cursor" => {}
            other if strict == Strictness::Strict => {
                errors.merge(ValidationError::field(other, "is not a parameter of this list"))
            }
            _ => {}
        }
    }
    if errors.errors.is_empty() { Ok(req) } else { Err(errors) }
}

/// Reads the Active Sessions list's query (`q`, `cursor`, `per_page`),
/// naming every bad parameter (unknown ones too when `Strict`).
pub fn org_sessions_list(
    raw: Option<&str>,
    strict: Strictness,
) -> Result<roster_app::org_sessions::ActiveRequest, ValidationError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| ValidationError::field("query", "is not a valid query string"))?;
    let mut errors = ValidationError { errors: vec![] };
    let mut req = roster_app::org_sessions::ActiveRequest {
        per_page: roster_app::org_sessions::PER_PAGE_DEFAULT,
        ..Default::default()
    };
    for (k, v) in pairs {
        let v = v.trim().to_string();
        match k.as_str() {
            "q" => req.q = v,
            other => page_parameter(other, v, strict, &mut req.cursor, &mut req.per_page, &mut errors),
        }
    }
    if errors.errors.is_empty() { Ok(req) } else { Err(errors) }
}

/// Reads the Session History list's query (`user`, `reason`, `from`, `to`,
/// `cursor`, `per_page`), naming every bad parameter. `from` and `to` are
/// RFC 3339 times or dates (`2026-01-31`, in UTC); a date as `to` includes
/// that whole day.
pub fn org_session_history(
    raw: Option<&str>,
    strict: Strictness,
) -> Result<roster_app::org_sessions::HistoryRequest, ValidationError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| ValidationError::field("query", "is not a valid query string"))?;
    let mut errors = ValidationError { errors: vec![] };
    let mut req = roster_app::org_sessions::HistoryRequest {
        per_page: roster_app::org_sessions::PER_PAGE_DEFAULT,
        ..Default::default()
    };
    for (k, v) in pairs {
        let v = v.trim().to_string();
        match k.as_str() {
            "user" => req.user = v,
            "reason" if v.is_empty() || v == "all" => {}
            "reason" => v.parse().map(|r| req.reason = Some(r)).unwrap_or_else(|e| errors.merge(e)),
            "from" if !v.is_empty() => roster_app::history::parse_time("from", &v, false)
                .map(|t| req.from = Some(t))
                .unwrap_or_else(|e| errors.merge(e)),
            // `to` includes its moment (a date: its whole day); `until` is the first moment after.
            "to" if !v.is_empty() => roster_app::history::parse_time("to", &v, true)
                .map(|t| req.until = Some(Timestamp(t.0 + 1)))
                .unwrap_or_else(|e| errors.merge(e)),
            "from" | "to" => {}
            other => page_parameter(other, v, strict, &mut req.cursor, &mut req.per_page, &mut errors),
        }
    }
    if errors.errors.is_empty() { Ok(req) } else { Err(errors) }
}

/// The paging parameters every keyset list shares, and the refusal of
/// an unknown parameter when `Strict`.
fn page_parameter(
    name: &str,
    value: String,
    strict: Strictness,
    cursor: &mut Option<String>,
    per_page: &mut u32,
    errors: &mut ValidationError,
) {
    match name {
        "cursor" if !value.is_empty() => *cursor = Some(value),
        "per_page" if !value.is_empty() => match value.parse::<u32>() {
            Ok(p) => *per_page = p,
            Err(_) => errors.merge(ValidationError::field("per_page", "must be a whole number between 10 and 200")),
        },
        "cursor" | "per_page" => {}
        other if strict == Strictness::Strict => {
            errors.merge(ValidationError::field(other, "is not a parameter of this list"))
        }
        _ => {}
    }
}

/// Reads the Users export's query (`GET …/users/export`, the Users tab's
/// export links): the list's filters and order as [`members_list`] reads
/// them, and `format` (required: csv or xlsx). Paging (`page`, `per_page`,
/// `cursor`) means nothing to an export: the API refuses it, pages ignore it.
pub fn members_export(
    raw: Option<&str>,
    strict: Strictness,
    now: Timestamp,
) -> Result<roster_app::members::ExportRequest, ValidationError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| ValidationError::field("query", "is not a valid query string"))?;
    let mut errors = ValidationError { errors: vec![] };
    let mut format = None;
    let mut list = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        match k.as_str() {
            "format" => v.parse().map(|f| format = Some(f)).unwrap_or_else(|e| errors.merge(e)),
            "page" | "per_page" | "cursor" if strict == Strictness::Strict => {
                errors.merge(ValidationError::field(&k, "is not a parameter of the export (it has every row)"))
            }
            "page" | "per_page" | "cursor" => {}
            _ => list.push((k, v)),
        }
    }
    let list = serde_urlencoded::to_string(&list).unwrap_or_default();
    let req = members_list(Some(&list), strict, now).map_err(|e| errors.merge(e)).ok();
    if format.is_none() && errors.errors.is_empty() {
        errors.merge(ValidationError::field("format", "is required: csv or xlsx"));
    }
    match (req, format) {
        (Some(req), Some(format)) if errors.errors.is_empty() => Ok(roster_app::members::ExportRequest {
            filter: req.filter,
            role: req.role,
            sort: req.sort,
            order: req.order,
            format,
        }),
        _ => Err(errors),
    }
}

/// Reads the History list's query (`GET …/audit`, the History tab) and,
/// with `export`, the export's (`GET …/audit/export`, which takes `format`
/// instead of paging), collecting every bad parameter.
pub fn history_list(
    raw: Option<&str>,
    strict: Strictness,
    export: bool,
) -> Result<(roster_app::history::HistoryRequest, Option<roster_app::history::ExportFormat>), ValidationError> {
    use roster_domain::history::{ActionFilter, ActorFilter, TargetFilter, parse_limit};
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| ValidationError::field("query", "is not a valid query string"))?;
    let mut errors = ValidationError { errors: vec![] };
    let mut req = roster_app::history::HistoryRequest::default();
    let mut format = None;
    for (k, v) in pairs {
        let v = v.trim().to_string();
        let f = &mut req.filter;
        match k.as_str() {
            _ if v.is_empty() && matches!(k.as_str(), "actor" | "action" | "target" | "from" | "to" | "cursor") => {}
            "actor" => ActorFilter::parse(&v).map(|a| f.actor = Some(a)).unwrap_or_else(|e| errors.merge(e)),
            "action" => ActionFilter::parse(&v).map(|a| f.action = Some(a)).unwrap_or_else(|e| errors.merge(e)),
            "target" => TargetFilter::parse(&v).map(|t| f.target = Some(t)).unwrap_or_else(|e| errors.merge(e)),
            "from" => roster_app::history::parse_time("from", &v, false)
                .map(|t| f.from = Some(t))
                .unwrap_or_else(|e| errors.merge(e)),
            "to" => roster_app::history::parse_time("to", &v, true)
                .map(|t| f.to = Some(t))
                .unwrap_or_else(|e| errors.merge(e)),
            "cursor" if !export => req.cursor = Some(v),
            "limit" if !export => parse_limit(&v).map(|n| req.limit = n).unwrap_or_else(|e| errors.merge(e)),
            "format" if export => v.parse().map(|x| format = Some(x)).unwrap_or_else(|e| errors.merge(e)),
            other if strict == Strictness::Strict => {
                errors.merge(ValidationError::field(other, "is not a parameter of this list"))
            }
            _ => {}
        }
    }
    if errors.errors.is_empty() {
        req.filter.check_range().map_err(|e| errors.merge(e)).ok();
    }
    if export && format.is_none() && errors.errors.is_empty() {
        errors.merge(ValidationError::field("format", "is required: csv or jsonl"));
    }
    if errors.errors.is_empty() { Ok((req, format)) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_users_export_reads_the_list_filters_and_a_format() {
        use roster_app::members::ExportFormat;
        let now = Timestamp(0);
        let r = members_export(
            Some("format=xlsx&status=active,disabled&q=ann&sort=name&order=desc"),
            Strictness::Strict,
            now,
        )
        .unwrap();
        assert_eq!(r.format, ExportFormat::Xlsx);
        assert_eq!(r.filter.statuses, [MemberStatus::Active, MemberStatus::Disabled]);
        assert_eq!(
            (r.filter.q.as_str(), r.sort, r.order),
            ("ann", roster_domain::MemberSort::Name, roster_domain::SortOrder::Desc)
        );
        let fields = |raw: &str| -> Vec<String> {
            members_export(Some(raw), Strictness::Strict, now)
                .unwrap_err()
                .errors
                .into_iter()
                .map(|e| e.field)
                .collect()
        };
        assert_eq!(fields("status=active"), ["format"]);
        assert_eq!(fields("format=pdf"), ["format"]);
        assert_eq!(fields("format=csv&cursor=x&status=sleeping"), ["cursor", "status"]);
        assert_eq!(fields("format=csv&colour=red"), ["colour"]);
        // Pages drop the paging of the link they came from.
        let r = members_export(Some("format=csv&page=3&per_page=50&colour=red"), Strictness::Lenient, now).unwrap();
        assert_eq!(r.format, ExportFormat::Csv);
    }

    #[test]
    fn the_users_list_reads_a_product() {
        let now = Timestamp(0);
        let r = members_list(Some("product=quote&status=active"), Strictness::Strict, now).unwrap();
        assert_eq!(r.filter.product, Some(ProductKey::parse("quote").unwrap()));
        assert!(r.filter.narrows());
        for none in ["", "product=", "product=all"] {
            assert_eq!(members_list(Some(none), Strictness::Strict, now).unwrap().filter.product, None, "{none}");
        }
        // A malformed key: refused by the API naming `product`, left out by pages.
        let e = members_list(Some("product=Not%20A%20Key&q=ann"), Strictness::Strict, now).unwrap_err();
        assert_eq!(e.errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["product"]);
        let r = members_list(Some("product=Not%20A%20Key&q=ann"), Strictness::Lenient, now).unwrap();
        assert_eq!((r.filter.product, r.filter.q.as_str()), (None, "ann"));
    }

    #[test]
    fn history_ranges_read_dates_and_times() {
        let r = org_session_history(Some("from=2026-01-30&to=2026-01-31"), Strictness::Strict).unwrap();
        let day = 86_400_000;
        assert_eq!(r.from.unwrap().0 % day, 0);
        assert_eq!(r.until.unwrap().0 - r.from.unwrap().0, 2 * day, "the last day counts whole");
        let r = org_session_history(Some("to=2026-01-31T10:00:00Z"), Strictness::Strict).unwrap();
        assert_eq!(r.until.unwrap().0 % 1000, 1, "a time as `to` is included");
        let e = org_session_history(Some("from=yesterday&reason=lost&color=red"), Strictness::Strict).unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["from", "reason", "color"]);
        assert!(org_session_history(Some("color=red"), Strictness::Lenient).is_ok());
    }
}
