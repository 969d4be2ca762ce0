//! Email addresses, compared case-insensitively.

use std::fmt;

use crate::ValidationError;

/// A syntactically plausible email address, stored lower-cased so that
/// uniqueness and look-ups are case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Parses an address: trims it, lower-cases it and checks its shape
    /// (one `@`, a non-empty local part, a dotted domain, at most 254 characters).
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let s = input.trim().to_lowercase();
        let bad = |m: &str| Err(ValidationError::field("email", m));
        if s.is_empty() {
            return bad("is required");
        }
        if s.len() > 254 {
            return bad("must be at most 254 characters");
        }
        let Some((local, domain)) = s.split_once('@') else {
            return bad("must contain an @, as in name@example.com");
        };
        if local.is_empty() || domain.contains('@') {
            return bad("must look like name@example.com");
        }
        if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') || domain.contains("..") {
            return bad("must have a domain such as example.com after the @");
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return bad("must not contain spaces");
        }
        Ok(Self(s))
    }

    /// The address as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercases_and_trims() {
        assert_eq!(Email::parse("  Ann@Example.COM ").unwrap().as_str(), "ann@example.com");
    }

    #[test]
    fn rejects_bad_shapes() {
        for bad in ["", "ann", "@x.com", "ann@", "ann@x", "ann@@x.com", "a b@x.com", "ann@.x.com"] {
            assert!(Email::parse(bad).is_err(), "{bad} should be rejected");
        }
    }
}
