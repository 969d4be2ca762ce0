//! Access requests: someone signed in asks to join an organization, and an
//! administrator approves (choosing roles and products) or denies.
//!
//! A request is stored `pending`, `approved`, `denied`, `withdrawn` (by the
//! requester) or `expired` (written when a pending one past its expiry is
//! noticed); a pending one past its expiry reads as expired before that
//! ([`RequestState::of`]), so nothing has to run at the moment it expires.
//!
//! An organization accepts requests from two kinds of people: those who
//! hold its join link (`/join/{slug}?code=…`, which an administrator turns
//! on or off and regenerates; the code is the link's only secret), and those
//! whose confirmed email address is in one of its declared email domains
//! ([`EmailDomain`]), who are offered a "Join your team" suggestion.

use std::fmt;
use std::str::FromStr;

use crate::unicode::unseen_in_text;
use crate::{Email, Timestamp, ValidationError};

/// The longest message a requester may write.
pub const MESSAGE_MAX: usize = 1000;

/// The longest reason an approver may give for a denial.
pub const REASON_MAX: usize = 500;

/// At most this many email domains per organization.
pub const DOMAINS_MAX: usize = 20;

/// A request's stored status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestStatus {
    /// Waiting for a decision (it may have expired).
    Pending,
    /// Approved: the requester is an active member.
    Approved,
    /// Denied, with an optional reason.
    Denied,
    /// Withdrawn by the requester.
    Withdrawn,
    /// Its expiry was noticed and recorded.
    Expired,
}

impl RequestStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Withdrawn => "withdrawn",
            Self::Expired => "expired",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "approved" => Some(Self::Approved),
            "denied" => Some(Self::Denied),
            "withdrawn" => Some(Self::Withdrawn),
            "expired" => Some(Self::Expired),
            _ => None,
        }
    }
}

/// Where a request stands as people see it: its status, with a pending one
/// past its expiry shown as expired.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum RequestState {
    /// Waiting for a decision.
    Pending,
    /// Approved.
    Approved,
    /// Denied.
    Denied,
    /// Withdrawn by the requester.
    Withdrawn,
    /// Not decided in time.
    Expired,
}

impl RequestState {
    /// The state of a request with this status and expiry, at `now`.
    pub fn of(status: RequestStatus, expires_at: Timestamp, now: Timestamp) -> Self {
        match status {
            RequestStatus::Pending if now.0 >= expires_at.0 => Self::Expired,
            RequestStatus::Pending => Self::Pending,
            RequestStatus::Approved => Self::Approved,
            RequestStatus::Denied => Self::Denied,
            RequestStatus::Withdrawn => Self::Withdrawn,
            RequestStatus::Expired => Self::Expired,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Withdrawn => "withdrawn",
            Self::Expired => "expired",
        }
    }

    /// The label a person reads.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Approved => "Approved",
            Self::Denied => "Denied",
            Self::Withdrawn => "Withdrawn",
            Self::Expired => "Expired",
        }
    }
}

impl fmt::Display for RequestState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Checks a requester's message: at most [`MESSAGE_MAX`] characters, which
/// may run over several lines but hold no other control character; may be
/// empty.
pub fn parse_message(field: &str, input: &str) -> Result<String, ValidationError> {
    parse_text(field, input, MESSAGE_MAX)
}

/// Checks a denial's reason, like a message, at most [`REASON_MAX`] characters.
pub fn parse_reason(field: &str, input: &str) -> Result<String, ValidationError> {
    parse_text(field, input, REASON_MAX)
}

fn parse_text(field: &str, input: &str, max: usize) -> Result<String, ValidationError> {
    let s = input.trim();
    if s.chars().count() > max {
        return Err(ValidationError::field(field, format!("must be at most {max} characters")));
    }
    if let Some(unseen) = unseen_in_text(s) {
        return Err(ValidationError::field(field, unseen.message()));
    }
    Ok(s.replace("\r\n", "\n"))
}

/// An email domain an organization declares as its own (`acme.com`):
/// lower case, at least two labels of letters, digits and inner hyphens,
/// each at most 63 characters, 253 in all. Public mail providers are
/// refused, so that an organization cannot offer itself to every user of
/// one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EmailDomain(String);

/// Domains of public mail providers, whose users share nothing but the provider.
const PUBLIC_PROVIDERS: [&str; 14] = [
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "yahoo.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "mail.com",
];

impl EmailDomain {
    /// Parses a domain typed by an administrator (`@` and surrounding
    /// spaces are dropped, case is folded).
    pub fn parse(field: &str, input: &str) -> Result<Self, ValidationError> {
        let s = input.trim().trim_start_matches('@').trim_end_matches('.').to_ascii_lowercase();
        let bad = |why: &str| Err(ValidationError::field(field, format!("'{}' {why}", input.trim())));
        if s.is_empty() {
            return bad("is empty");
        }
        if s.len() > 253 {
            return bad("is longer than 253 characters");
        }
        let labels: Vec<&str> = s.split('.').collect();
        if labels.len() < 2 {
            return bad("is not a domain (write it like example.com)");
        }
        for l in &labels {
            let ok = !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-');
            if !ok {
                return bad("is not a domain (letters, digits and hyphens between dots)");
            }
        }
        if PUBLIC_PROVIDERS.contains(&s.as_str()) {
            return bad("is a public mail provider; declare your organization's own domain");
        }
        Ok(Self(s))
    }

    /// The domain of an email address (after its last `@`, lower case).
    pub fn of(email: &Email) -> Self {
        let s = email.as_str();
        Self(s[s.rfind('@').map_or(0, |i| i + 1)..].to_ascii_lowercase())
    }

    /// The domain as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for EmailDomain {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse("email_domains", s)
    }
}

/// Parses an organization's list of domains: each checked, duplicates
/// dropped, at most [`DOMAINS_MAX`]; every bad one named by its place.
pub fn parse_domains(field: &str, inputs: &[String]) -> Result<Vec<EmailDomain>, ValidationError> {
    let mut errors = ValidationError { errors: vec![] };
    let mut out: Vec<EmailDomain> = Vec::new();
    for (i, d) in inputs.iter().enumerate().filter(|(_, d)| !d.trim().is_empty()) {
        match EmailDomain::parse(&format!("{field}[{i}]"), d) {
            Ok(d) if !out.contains(&d) => out.push(d),
            Ok(_) => {}
            Err(e) => errors.merge(e),
        }
    }
    if out.len() > DOMAINS_MAX {
        errors.merge(ValidationError::field(field, format!("at most {DOMAINS_MAX} domains")));
    }
    if errors.errors.is_empty() {
        out.sort();
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Whether a join code looks like one of ours (32 hex digits), so that
/// anything else is refused before the database is asked.
pub fn is_join_code(code: &str) -> bool {
    code.len() == 32 && code.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pending_request_expires_by_the_clock() {
        let end = Timestamp(1_000);
        assert_eq!(RequestState::of(RequestStatus::Pending, end, Timestamp(999)), RequestState::Pending);
        assert_eq!(RequestState::of(RequestStatus::Pending, end, Timestamp(1_000)), RequestState::Expired);
        assert_eq!(RequestState::of(RequestStatus::Denied, end, Timestamp(5_000)), RequestState::Denied);
    }

    #[test]
    fn domains_are_folded_checked_and_public_providers_refused() {
        assert_eq!(EmailDomain::parse("d", " @Acme.COM. ").unwrap().as_str(), "acme.com");
        assert!(EmailDomain::parse("d", "acme").is_err());
        assert!(EmailDomain::parse("d", "-acme.com").is_err());
        assert!(EmailDomain::parse("d", "ac me.com").is_err());
        assert!(EmailDomain::parse("d", "gmail.com").is_err());
        let e =
            parse_domains("email_domains", &["b.org".into(), "a.org".into(), "B.org".into(), "x".into()]).unwrap_err();
        assert_eq!(e.errors.len(), 1);
        assert_eq!(e.errors[0].field, "email_domains[3]");
        let ok = parse_domains("email_domains", &["b.org".into(), "a.org".into(), "B.org".into(), " ".into()]).unwrap();
        assert_eq!(ok.iter().map(EmailDomain::as_str).collect::<Vec<_>>(), ["a.org", "b.org"]);
    }

    #[test]
    fn an_email_has_its_domain() {
        let e = Email::parse("ann@Sub.Acme.com").unwrap();
        assert_eq!(EmailDomain::of(&e).as_str(), "sub.acme.com");
    }

    #[test]
    fn messages_keep_lines_and_refuse_controls() {
        assert_eq!(parse_message("m", " hi\r\nthere ").unwrap(), "hi\nthere");
        assert!(parse_message("m", "a\u{1b}b").is_err());
        assert!(parse_message("m", &"x".repeat(MESSAGE_MAX + 1)).is_err());
        assert!(is_join_code(&"ab".repeat(16)));
        assert!(!is_join_code("zz"));
    }
}
