//! Reading submitted forms whose fields repeat or are named per resource.

/// A form as ordered (name, value) pairs: the forms here have one field per
/// resource and repeated checkboxes, which a fixed struct cannot name.
pub(crate) type Pairs = Vec<(String, String)>;

/// The first value of a field, or "".
pub(crate) fn field<'a>(pairs: &'a Pairs, name: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
}

/// Every value of a repeated field.
pub(crate) fn fields<'a>(pairs: &'a Pairs, name: &str) -> Vec<&'a str> {
    pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
}
