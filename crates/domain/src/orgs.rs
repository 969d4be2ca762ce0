//! Organizations: slugs and names.

use std::fmt;

use crate::ValidationError;

/// A URL-safe organization handle: 2–63 characters of `a-z`, `0-9` and `-`,
/// starting with a letter, not ending with `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct OrgSlug(String);

impl OrgSlug {
    /// Parses a slug, lower-casing it first.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let s = input.trim().to_lowercase();
        let ok_chars = s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        let starts = s.chars().next().is_some_and(|c| c.is_ascii_lowercase());
        if !(2..=63).contains(&s.len()) || !ok_chars || !starts || s.ends_with('-') {
            return Err(ValidationError::field(
                "slug",
                "must be 2–63 characters of a-z, 0-9 and '-', start with a letter and not end with '-'",
            ));
        }
        Ok(Self(s))
    }

    /// The slug as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A display name for an organization or a person: trimmed, 1–200 characters,
/// no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct OrgName(String);

impl OrgName {
    /// Parses a name for the field called `field`.
    pub fn parse(field: &str, input: &str) -> Result<Self, ValidationError> {
        parse_display_name(field, input).map(Self)
    }

    /// The name as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a display name: trimmed, 1–200 characters, no control characters.
pub fn parse_display_name(field: &str, input: &str) -> Result<String, ValidationError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(ValidationError::field(field, "is required"));
    }
    if s.chars().count() > 200 {
        return Err(ValidationError::field(field, "must be at most 200 characters"));
    }
    if s.chars().any(char::is_control) {
        return Err(ValidationError::field(field, "must not contain control characters"));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(OrgSlug::parse("Acme-2").unwrap().as_str(), "acme-2");
        for bad in ["a", "-acme", "acme-", "ac me", "9acme", "acme_x"] {
            assert!(OrgSlug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names() {
        assert_eq!(parse_display_name("name", "  Ann Lee ").unwrap(), "Ann Lee");
        assert!(parse_display_name("name", "   ").is_err());
        assert!(parse_display_name("name", &"x".repeat(201)).is_err());
    }
}
