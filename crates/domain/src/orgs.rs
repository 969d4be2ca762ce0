//! Organizations: slugs and names.

use std::fmt;

use crate::ValidationError;
use crate::unicode::unseen_in_name;

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
/// no control, bidirectional-control or zero-width characters.
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

/// Checks a display name: trimmed, 1–200 characters, no control,
/// bidirectional-control or zero-width characters (which would let a name
/// look like another or read backwards).
pub fn parse_display_name(field: &str, input: &str) -> Result<String, ValidationError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(ValidationError::field(field, "is required"));
    }
    if s.chars().count() > 200 {
        return Err(ValidationError::field(field, "must be at most 200 characters"));
    }
    if let Some(unseen) = unseen_in_name(s) {
        return Err(ValidationError::field(field, unseen.message()));
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
        assert_eq!(parse_display_name("name", "José Núñez").unwrap(), "José Núñez");
    }

    #[test]
    fn names_refuse_invisible_and_direction_changing_characters() {
        for c in ['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{202E}', '\u{2066}', '\u{200F}'] {
            let err = parse_display_name("name", &format!("Ann{c}Lee")).unwrap_err();
            assert_eq!(err.errors[0].field, "name");
            assert_eq!(
                err.errors[0].message,
                format!("contains an invisible or direction-changing character (U+{:04X})", c as u32)
            );
        }
        let err = OrgName::parse("name", "Acme\u{202E}cnI").unwrap_err();
        assert_eq!(err.errors[0].field, "name");
        let err = parse_display_name("owner_name", "Ann\tLee").unwrap_err();
        assert_eq!(
            (err.errors[0].field.as_str(), err.errors[0].message.as_str()),
            ("owner_name", "contains a control character (U+0009)")
        );
    }
}
