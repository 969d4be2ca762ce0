//! The SCIM Group resource (RFC 7643 §4.2) as Roster holds it: a name an
//! identity provider pushes, bound to one role of the organization, whose
//! members are that role's holders.
//!
//! This module reads what a client sends, without I/O: a Group body (POST,
//! PUT) into a [`GroupInput`], a PatchOp (RFC 7644 §3.5.2) into a list of
//! [`GroupOp`]s in the shapes Okta and Entra ID send, and a list filter into
//! a [`GroupFilter`] (equality on `displayName`, `externalId` or `id`,
//! joined with `and`: what provisioning clients look groups up by). Member
//! values stay strings here; the use case checks that each names a user of
//! the organization.

use serde_json::Value as Json;

use super::filter::{CompareOp, Filter, Value, parse};

/// The Group schema's URN.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// The PatchOp message's URN.
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The longest group display name, in characters (a role's name: a group may make its role).
pub const MAX_NAME_CHARS: usize = 80;

/// Why a Group request is refused, with its `scimType` (RFC 7644 §3.12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupError {
    /// `invalidSyntax`, `invalidValue`, `invalidPath`, `noTarget`, `mutability`, `invalidFilter`.
    pub scim_type: &'static str,
    /// What is wrong, in words.
    pub detail: String,
}

fn refuse<T>(scim_type: &'static str, detail: impl Into<String>) -> Result<T, GroupError> {
    Err(GroupError { scim_type, detail: detail.into() })
}

/// A group's display name, checked: trimmed, 1 to [`MAX_NAME_CHARS`]
/// characters, no control characters. Answers the name and its key (lower
/// case, what uniqueness compares).
pub fn parse_group_name(raw: &str) -> Result<(String, String), GroupError> {
    let name = raw.trim();
    if name.is_empty() {
        return refuse("invalidValue", "displayName is required");
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return refuse("invalidValue", format!("displayName is longer than {MAX_NAME_CHARS} characters"));
    }
    if name.chars().any(|c| c.is_control()) {
        return refuse("invalidValue", "displayName holds a control character");
    }
    Ok((name.to_string(), name_key(name)))
}

/// What uniqueness of group names compares: the name in lower case.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// A POST or PUT body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupInput {
    /// `displayName` (required).
    pub display_name: String,
    /// `externalId`, if given.
    pub external_id: Option<String>,
    /// `members[].value`, if `members` was given at all.
    pub members: Option<Vec<String>>,
}

/// One change a PATCH asks for, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupOp {
    /// Rename the group.
    Rename(String),
    /// Set (or, `None`, clear) the external id.
    ExternalId(Option<String>),
    /// Add these members (user ids, as sent).
    AddMembers(Vec<String>),
    /// Remove these members.
    RemoveMembers(Vec<String>),
    /// Remove every member.
    RemoveAllMembers,
    /// The members become exactly these.
    ReplaceMembers(Vec<String>),
}

/// A key of a JSON object, case-insensitively (SCIM's attribute names are).
fn get<'v>(v: &'v Json, key: &str) -> Option<&'v Json> {
    v.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v)
}

fn has_schema(body: &Json, schema: &str) -> bool {
    get(body, "schemas")
        .and_then(Json::as_array)
        .is_some_and(|a| a.iter().any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(schema))))
}

fn string(attr: &str, v: &Json) -> Result<String, GroupError> {
    match v {
        Json::String(s) => Ok(s.trim().to_string()),
        _ => refuse("invalidValue", format!("{attr} must be a string")),
    }
}

/// An attribute name without the Group schema's URN.
fn bare(name: &str) -> &str {
    name.strip_prefix(GROUP_SCHEMA).map(|p| p.trim_start_matches(':')).unwrap_or(name)
}

/// `members`' values: a list of `{"value": id}` (or of plain ids), or one.
fn member_values(v: &Json) -> Result<Vec<String>, GroupError> {
    let one = |e: &Json| match e {
        Json::String(s) => Ok(s.trim().to_string()),
        other => match get(other, "value") {
            Some(id) => string("members.value", id),
            None => refuse("invalidValue", "each member must be {\"value\": a user's id}"),
        },
    };
    match v {
        Json::Array(items) => items.iter().map(one).collect(),
        Json::Null => Ok(vec![]),
        other => Ok(vec![one(other)?]),
    }
}

/// Reads a POST or PUT body (RFC 7644 §3.3, §3.5.1): a Group with its
/// schema and a `displayName`; `externalId` and `members` if given. Other
/// attributes (`id`, `meta`) are ignored.
pub fn read_group(body: &Json) -> Result<GroupInput, GroupError> {
    if !body.is_object() {
        return refuse("invalidSyntax", "the body must be a JSON object");
    }
    if !has_schema(body, GROUP_SCHEMA) {
        return refuse("invalidSyntax", format!("schemas must include {GROUP_SCHEMA}"));
    }
    let mut out = GroupInput::default();
    for (k, v) in body.as_object().into_iter().flatten() {
        match bare(k).to_ascii_lowercase().as_str() {
            "displayname" => out.display_name = string("displayName", v)?,
            "externalid" => out.external_id = Some(string("externalId", v)?).filter(|s| !s.is_empty()),
            "members" => out.members = Some(member_values(v)?),
            _ => {}
        }
    }
    parse_group_name(&out.display_name)?;
    Ok(out)
}

/// The ids a `members[…]` value filter names: `value eq "id"`, joined by
/// `or` (Okta's remove shape: `members[value eq "id"]`).
fn filtered_members(inner: &str) -> Result<Vec<String>, GroupError> {
    let f = match parse(inner) {
        Ok(f) => f,
        Err(e) => return refuse("invalidPath", format!("members[{inner}]: {e}")),
    };
    let mut out = vec![];
    let mut stack = vec![&f];
    while let Some(node) = stack.pop() {
        match node {
            Filter::Or(l, r) => {
                stack.push(r);
                stack.push(l);
            }
            Filter::Compare { path, op: CompareOp::Eq, value: Value::String(s) }
                if path.name.eq_ignore_ascii_case("value") && path.sub.is_none() =>
            {
                out.push(s.trim().to_string())
            }
            _ => return refuse("invalidPath", "a members filter may only be value eq \"…\", joined by or"),
        }
    }
    Ok(out)
}

/// Reads one object value of an operation without a path (Okta's
/// `{"op": "replace", "value": {"id": …, "displayName": …}}`).
fn object_value(kind: &str, v: &Json, out: &mut Vec<GroupOp>) -> Result<(), GroupError> {
    let Some(obj) = v.as_object() else {
        return refuse("invalidSyntax", "an operation without a path needs an object value");
    };
    for (k, v) in obj {
        match bare(k).to_ascii_lowercase().as_str() {
            "displayname" => out.push(GroupOp::Rename(string("displayName", v)?)),
            "externalid" => out.push(GroupOp::ExternalId(Some(string("externalId", v)?).filter(|s| !s.is_empty()))),
            "members" if kind == "add" => out.push(GroupOp::AddMembers(member_values(v)?)),
            "members" => out.push(GroupOp::ReplaceMembers(member_values(v)?)),
            _ => {}
        }
    }
    Ok(())
}

/// Reads a PATCH body (RFC 7644 §3.5.2) into its operations, in order: op
/// in any case (Entra sends "Add", "Remove"); `add` / `replace` / `remove`
/// of `members` (with a list of `{"value"}`; remove with a list is Entra's
/// shape, with `members[value eq "…"]` Okta's, with neither every member),
/// `displayName` and `externalId` by path, or an object of them without a
/// path (Okta's replace). Removing `displayName` is `mutability`; an
/// unknown path `invalidPath`.
pub fn read_patch(body: &Json) -> Result<Vec<GroupOp>, GroupError> {
    if !has_schema(body, PATCH_SCHEMA) {
        return refuse("invalidSyntax", format!("schemas must be [\"{PATCH_SCHEMA}\"]"));
    }
    let Some(ops) = get(body, "Operations").and_then(Json::as_array) else {
        return refuse("invalidSyntax", "Operations must be a list");
    };
    let mut out = vec![];
    for op in ops {
        let kind = get(op, "op").and_then(Json::as_str).map(str::to_ascii_lowercase);
        let kind = match kind.as_deref() {
            Some(k @ ("add" | "replace" | "remove")) => k.to_string(),
            _ => return refuse("invalidSyntax", "each operation's op must be add, replace or remove"),
        };
        let value = get(op, "value");
        let path = get(op, "path").and_then(Json::as_str).map(str::trim).filter(|p| !p.is_empty());
        let Some(path) = path else {
            match (kind.as_str(), value) {
                ("remove", _) => return refuse("noTarget", "remove needs a path"),
                (_, Some(v)) => object_value(&kind, v, &mut out)?,
                (_, None) => return refuse("invalidSyntax", format!("{kind} without a path needs a value")),
            }
            continue;
        };
        let path = bare(path);
        let lower = path.to_ascii_lowercase();
        if let Some(inner) = lower.strip_prefix("members[") {
            // Keep the filter as written: ids are compared as given.
            let inner = &path["members[".len()..path.len() - usize::from(inner.ends_with(']'))];
            if kind != "remove" {
                return refuse("invalidPath", format!("{kind} of {path}: only remove takes a members filter"));
            }
            out.push(GroupOp::RemoveMembers(filtered_members(inner)?));
            continue;
        }
        match (kind.as_str(), lower.as_str()) {
            ("remove", "members") => match value {
                Some(v) if !v.is_null() => out.push(GroupOp::RemoveMembers(member_values(v)?)),
                _ => out.push(GroupOp::RemoveAllMembers),
            },
            ("add", "members") => {
                let Some(v) = value else { return refuse("invalidSyntax", "add of members needs a value") };
                out.push(GroupOp::AddMembers(member_values(v)?));
            }
            ("replace", "members") => {
                out.push(GroupOp::ReplaceMembers(value.map(member_values).transpose()?.unwrap_or_default()))
            }
            ("remove", "displayname") => return refuse("mutability", "displayName cannot be removed"),
            (_, "displayname") => {
                let Some(v) = value else {
                    return refuse("invalidSyntax", format!("{kind} of displayName needs a value"));
                };
                out.push(GroupOp::Rename(string("displayName", v)?));
            }
            ("remove", "externalid") => out.push(GroupOp::ExternalId(None)),
            (_, "externalid") => {
                let Some(v) = value else {
                    return refuse("invalidSyntax", format!("{kind} of externalId needs a value"));
                };
                out.push(GroupOp::ExternalId(Some(string("externalId", v)?).filter(|s| !s.is_empty())));
            }
            _ => return refuse("invalidPath", format!("'{path}' is not an attribute of a Group here")),
        }
    }
    Ok(out)
}

/// One condition of a Group list's filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupCondition {
    /// `displayName eq`, by its key (lower case: displayName is not case-exact).
    NameKey(String),
    /// `externalId eq` (case-exact).
    ExternalId(String),
    /// `id eq`; `None` for a literal that is no id (it matches nothing).
    Id(Option<uuid::Uuid>),
    /// `members[value eq "…"]` or `members.value eq "…"` (Entra ID's
    /// membership check): the user is a member; `None`: matches nothing.
    Member(Option<uuid::Uuid>),
}

/// A Group list's filter: every condition holds (none: every group).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupFilter {
    /// The conditions, all of which must hold.
    pub all: Vec<GroupCondition>,
}

impl GroupFilter {
    /// Parses a filter: `eq` on `displayName`, `externalId` or `id` (schema
    /// URN allowed) and `members[value eq "…"]`, joined by `and`. Anything
    /// else is `invalidFilter`.
    pub fn parse(input: &str) -> Result<Self, GroupError> {
        let f = parse(input).map_err(|e| GroupError { scim_type: "invalidFilter", detail: e.to_string() })?;
        let mut all = vec![];
        let mut stack = vec![&f];
        while let Some(node) = stack.pop() {
            match node {
                Filter::And(l, r) => {
                    stack.push(r);
                    stack.push(l);
                }
                Filter::ValuePath { path, filter } if path.name.eq_ignore_ascii_case("members") => {
                    match filter.as_ref() {
                        Filter::Compare { path: inner, op: CompareOp::Eq, value: Value::String(s) }
                            if inner.name.eq_ignore_ascii_case("value") && inner.sub.is_none() =>
                        {
                            all.push(GroupCondition::Member(s.trim().parse().ok()))
                        }
                        _ => return refuse("invalidFilter", "a members filter may only be members[value eq \"…\"]"),
                    }
                }
                Filter::Compare { path, op: CompareOp::Eq, value: Value::String(s) }
                    if path.name.eq_ignore_ascii_case("members")
                        && path.sub.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("value")) =>
                {
                    all.push(GroupCondition::Member(s.trim().parse().ok()))
                }
                Filter::Compare { path, op: CompareOp::Eq, value: Value::String(s) } if path.sub.is_none() => {
                    match path.name.to_ascii_lowercase().as_str() {
                        "displayname" => all.push(GroupCondition::NameKey(name_key(s))),
                        "externalid" => all.push(GroupCondition::ExternalId(s.clone())),
                        "id" => all.push(GroupCondition::Id(s.trim().parse().ok())),
                        other => {
                            return refuse(
                                "invalidFilter",
                                format!("Groups are filtered by displayName, externalId or id, not '{other}'"),
                            );
                        }
                    }
                }
                _ => {
                    return refuse(
                        "invalidFilter",
                        "Groups are filtered by displayName, externalId or id with eq and a string, joined by and",
                    );
                }
            }
        }
        Ok(Self { all })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ops(o: Json) -> Json {
        json!({"schemas": [PATCH_SCHEMA], "Operations": o})
    }

    #[test]
    fn a_group_body_gives_its_name_external_id_and_members() {
        let g = read_group(&json!({"schemas": [GROUP_SCHEMA], "displayName": " Eng ", "externalId": "x1",
            "members": [{"value": "a", "display": "Ann"}, {"value": "b"}]}))
        .unwrap();
        assert_eq!(
            g,
            GroupInput {
                display_name: "Eng".into(),
                external_id: Some("x1".into()),
                members: Some(vec!["a".into(), "b".into()])
            }
        );
        let g = read_group(&json!({"schemas": [GROUP_SCHEMA], "displayName": "Eng"})).unwrap();
        assert_eq!(g.members, None);
        assert_eq!(read_group(&json!({"displayName": "Eng"})).unwrap_err().scim_type, "invalidSyntax");
        assert_eq!(read_group(&json!({"schemas": [GROUP_SCHEMA]})).unwrap_err().scim_type, "invalidValue");
        assert_eq!(
            read_group(&json!({"schemas": [GROUP_SCHEMA], "displayName": "a\u{7}"})).unwrap_err().scim_type,
            "invalidValue"
        );
    }

    #[test]
    fn okta_and_entra_patch_shapes_read_as_operations() {
        let p = read_patch(&ops(json!([
            {"op": "add", "path": "members", "value": [{"value": "a"}, {"value": "b"}]},
            {"op": "remove", "path": "members[value eq \"C-1\"]"},
            {"op": "Remove", "path": "members", "value": [{"value": "d"}]},
            {"op": "replace", "path": "displayName", "value": "New"},
            {"op": "replace", "value": {"id": "g", "displayName": "Newer"}},
            {"op": "replace", "path": "members", "value": [{"value": "e"}]},
            {"op": "remove", "path": "members"},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:core:2.0:Group:externalId", "value": "x"},
            {"op": "remove", "path": "members[value eq \"f\" or value eq \"g\"]"},
        ])))
        .unwrap();
        assert_eq!(
            p,
            vec![
                GroupOp::AddMembers(vec!["a".into(), "b".into()]),
                GroupOp::RemoveMembers(vec!["C-1".into()]),
                GroupOp::RemoveMembers(vec!["d".into()]),
                GroupOp::Rename("New".into()),
                GroupOp::Rename("Newer".into()),
                GroupOp::ReplaceMembers(vec!["e".into()]),
                GroupOp::RemoveAllMembers,
                GroupOp::ExternalId(Some("x".into())),
                GroupOp::RemoveMembers(vec!["f".into(), "g".into()]),
            ]
        );
        let kind = |o: Json| read_patch(&ops(o)).unwrap_err().scim_type;
        assert_eq!(kind(json!([{"op": "remove", "path": "displayName"}])), "mutability");
        assert_eq!(kind(json!([{"op": "add", "path": "owner", "value": 1}])), "invalidPath");
        assert_eq!(kind(json!([{"op": "remove"}])), "noTarget");
        assert_eq!(kind(json!([{"op": "remove", "path": "members[display eq \"x\"]"}])), "invalidPath");
        assert_eq!(kind(json!([{"op": "move", "path": "members"}])), "invalidSyntax");
    }

    #[test]
    fn group_filters_are_equalities_joined_by_and() {
        let f = GroupFilter::parse(r#"displayName eq "Eng Team" and externalId eq "X""#).unwrap();
        assert_eq!(f.all, vec![GroupCondition::NameKey("eng team".into()), GroupCondition::ExternalId("X".into())]);
        assert_eq!(GroupFilter::parse(r#"id eq "nope""#).unwrap().all, vec![GroupCondition::Id(None)]);
        assert_eq!(GroupFilter::parse(r#"displayName co "E""#).unwrap_err().scim_type, "invalidFilter");
        assert_eq!(GroupFilter::parse(r#"members eq "E""#).unwrap_err().scim_type, "invalidFilter");
        let id = "01920000-0000-7000-8000-0000000000aa";
        let f = GroupFilter::parse(&format!(r#"id eq "{id}" and members[value eq "{id}"]"#)).unwrap();
        assert_eq!(f.all, vec![GroupCondition::Id(id.parse().ok()), GroupCondition::Member(id.parse().ok())]);
        let f = GroupFilter::parse(&format!(r#"members.value eq "{id}""#)).unwrap();
        assert_eq!(f.all, vec![GroupCondition::Member(id.parse().ok())]);
        assert_eq!(GroupFilter::parse(r#"members[display eq "x"]"#).unwrap_err().scim_type, "invalidFilter");
        assert_eq!(GroupFilter::parse("displayName eq").unwrap_err().scim_type, "invalidFilter");
    }
}
