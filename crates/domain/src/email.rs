//! Email addresses, compared case-insensitively.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

use crate::ValidationError;
use crate::unicode::unseen_in_identifier;

/// A syntactically plausible email address, stored in Unicode NFC and
/// lower-cased so that uniqueness and look-ups do not depend on case or on
/// how an accented letter was composed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Parses an address: trims it, normalizes it to NFC, lower-cases it
    /// and checks it: no control, invisible or direction-changing
    /// character, one `@`, a non-empty local part, a dotted domain, at most
    /// 254 bytes.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        // Lower-casing can decompose (`İ` becomes `i` and a combining dot),
        // so the result is normalized once more.
        let s: String = input.trim().nfc().collect::<String>().to_lowercase().nfc().collect();
        let bad = |m: &str| Err(ValidationError::field("email", m));
        if s.is_empty() {
            return bad("is required");
        }
        if let Some(unseen) = unseen_in_identifier(&s) {
            return bad(&unseen.message());
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
        if s.chars().any(char::is_whitespace) {
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
    fn normalizes_to_nfc_before_comparing() {
        // `e` + combining acute accent and the precomposed `é` are one address.
        let decomposed = Email::parse("Jose\u{301}@Example.com").unwrap();
        let composed = Email::parse("jos\u{e9}@example.com").unwrap();
        assert_eq!(decomposed, composed);
        assert_eq!(composed.as_str(), "jos\u{e9}@example.com");
        assert_eq!(Email::parse("\u{130}nci@example.com").unwrap().as_str(), "i\u{307}nci@example.com");
    }

    #[test]
    fn rejects_invisible_and_direction_changing_characters() {
        for c in [
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{2060}',
            '\u{FEFF}',
            '\u{202A}',
            '\u{202E}',
            '\u{2066}',
            '\u{2069}',
            '\u{200E}',
            '\u{200F}',
            '\u{061C}',
            '\u{00AD}',
            '\u{E0041}',
        ] {
            let err = Email::parse(&format!("ann{c}@example.com")).unwrap_err();
            assert_eq!(err.errors[0].field, "email");
            assert_eq!(
                err.errors[0].message,
                format!("contains an invisible or direction-changing character (U+{:04X})", c as u32)
            );
        }
        for c in ['\0', '\t', '\r', '\u{1B}', '\u{7F}', '\u{85}'] {
            let err = Email::parse(&format!("ann{c}x@example.com")).unwrap_err();
            assert!(err.errors[0].message.starts_with("contains a control character"), "{err}");
        }
        // A trailing zero-width space is not whitespace, so trimming keeps it.
        assert!(Email::parse("ann@example.com\u{200B}").is_err());
    }

    #[test]
    fn rejects_bad_shapes() {
        for bad in ["", "ann", "@x.com", "ann@", "ann@x", "ann@@x.com", "a b@x.com", "ann@.x.com"] {
            assert!(Email::parse(bad).is_err(), "{bad} should be rejected");
        }
    }
}
