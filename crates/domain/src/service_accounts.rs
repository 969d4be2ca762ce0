//! Service accounts and API tokens: non-human principals of one
//! organization, and the bearer tokens programs present.
//!
//! A token reads `roster_` followed by 43 base62 characters (32 random
//! bytes) and a 6-character base62 CRC-32 of those 43 — 56 characters in
//! all. The fixed prefix lets secret scanners find leaked tokens, and the
//! checksum lets Roster (and a scanner) refuse a mistyped or made-up token
//! without asking the database. Only the token's SHA-256 is stored, with its
//! first 13 characters (`roster_` and 6 more) as a `prefix` that lists show
//! so people can tell tokens apart.

use std::fmt;

use crate::unicode::{unseen_in_name, unseen_in_text};
use crate::{Timestamp, ValidationError};

/// Every token begins with this.
pub const TOKEN_PREFIX: &str = "roster_";
/// The token's length: prefix, 43 characters of secret, 6 of checksum.
pub const TOKEN_LEN: usize = TOKEN_PREFIX.len() + SECRET_LEN + CHECK_LEN;
/// How much of a token lists show.
pub const SHOWN_PREFIX_LEN: usize = TOKEN_PREFIX.len() + 6;
const SECRET_LEN: usize = 43;
const CHECK_LEN: usize = 6;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The longest service account name.
pub const NAME_MAX: usize = 100;
/// The longest description.
pub const DESCRIPTION_MAX: usize = 500;
/// A token's lifetime when none is chosen.
pub const DEFAULT_TOKEN_DAYS: u32 = 90;
/// The longest rotation overlap: the old token keeps working this long at most.
pub const MAX_OVERLAP_HOURS: u32 = 30 * 24;

/// Writes `bytes` as exactly `len` base62 digits (most significant first).
fn base62(bytes: &[u8], len: usize) -> String {
    let mut n: Vec<u8> = bytes.to_vec();
    let mut out = vec![b'0'; len];
    for slot in out.iter_mut().rev() {
        let mut rem: u32 = 0;
        for b in n.iter_mut() {
            let cur = (rem << 8) | u32::from(*b);
            *b = (cur / 62) as u8;
            rem = cur % 62;
        }
        *slot = BASE62[rem as usize];
    }
    String::from_utf8(out).expect("base62 digits are ASCII")
}

/// CRC-32 (IEEE 802.3, as zlib computes it).
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// The token for 32 random bytes.
pub fn format_token(secret: &[u8; 32]) -> String {
    let body = base62(secret, SECRET_LEN);
    let check = base62(&crc32(body.as_bytes()).to_be_bytes(), CHECK_LEN);
    format!("{TOKEN_PREFIX}{body}{check}")
}

/// Whether a presented string is shaped like one of our tokens with a
/// right checksum (anything else is refused before the database is asked).
pub fn is_well_formed(token: &str) -> bool {
    let Some(rest) = token.strip_prefix(TOKEN_PREFIX) else { return false };
    if rest.len() != SECRET_LEN + CHECK_LEN || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let (body, check) = rest.split_at(SECRET_LEN);
    base62(&crc32(body.as_bytes()).to_be_bytes(), CHECK_LEN) == check
}

/// The part of a token that lists show (`roster_Ab3dE9`).
pub fn shown_prefix(token: &str) -> String {
    token.chars().take(SHOWN_PREFIX_LEN).collect()
}

/// A service account's stored status.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum AccountStatus {
    /// Its tokens work.
    Active,
    /// Its tokens stop on the next request; it can be enabled again.
    Disabled,
    /// Deleted: its tokens are revoked, its history stays.
    Archived,
}

impl AccountStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
            Self::Archived => "archived",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "disabled" => Some(Self::Disabled),
            "archived" => Some(Self::Archived),
            _ => None,
        }
    }

    /// The label a person reads.
    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Disabled => "Disabled",
            Self::Archived => "Deleted",
        }
    }
}

impl fmt::Display for AccountStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Checks a service account's name (`ci-deploy`, "Billing sync"): 1 to
/// [`NAME_MAX`] characters, no control or invisible characters.
pub fn parse_account_name(field: &str, input: &str) -> Result<String, ValidationError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(ValidationError::field(field, "is required"));
    }
    if s.chars().count() > NAME_MAX {
        return Err(ValidationError::field(field, format!("must be at most {NAME_MAX} characters")));
    }
    if let Some(unseen) = unseen_in_name(s) {
        return Err(ValidationError::field(field, unseen.message()));
    }
    Ok(s.to_string())
}

/// Checks a description: at most [`DESCRIPTION_MAX`] characters, lines kept,
/// no other control character.
pub fn parse_description(field: &str, input: &str) -> Result<String, ValidationError> {
    let s = input.trim();
    if s.chars().count() > DESCRIPTION_MAX {
        return Err(ValidationError::field(field, format!("must be at most {DESCRIPTION_MAX} characters")));
    }
    if let Some(unseen) = unseen_in_text(s) {
        return Err(ValidationError::field(field, unseen.message()));
    }
    Ok(s.replace("\r\n", "\n"))
}

/// A deployment's limits on token lifetimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenPolicy {
    /// The longest lifetime a token may be given, in days.
    pub max_days: u32,
    /// Whether a token may never expire.
    pub allow_never: bool,
}

impl Default for TokenPolicy {
    fn default() -> Self {
        Self { max_days: 365, allow_never: false }
    }
}

impl TokenPolicy {
    /// When a token made at `now` expires: `None` for the default
    /// ([`DEFAULT_TOKEN_DAYS`], or the maximum if lower), `Some(0)` for
    /// never (only where allowed), otherwise that many days, at most
    /// [`Self::max_days`]. `None` in the answer is "never".
    pub fn expiry(&self, days: Option<u32>, now: Timestamp) -> Result<Option<Timestamp>, ValidationError> {
        let days = match days {
            None => DEFAULT_TOKEN_DAYS.min(self.max_days.max(1)),
            Some(0) if self.allow_never => return Ok(None),
            Some(0) => {
                return Err(ValidationError::field(
                    "expires_in_days",
                    format!("tokens must expire on this deployment: choose 1 to {} days", self.max_days),
                ));
            }
            Some(d) if d > self.max_days => {
                return Err(ValidationError::field(
                    "expires_in_days",
                    format!("must be at most {} days on this deployment", self.max_days),
                ));
            }
            Some(d) => d,
        };
        Ok(Some(now.plus_millis(i64::from(days) * 86_400_000)))
    }
}

/// Checks a rotation's overlap: 0 to [`MAX_OVERLAP_HOURS`] hours.
pub fn check_overlap(hours: u32) -> Result<i64, ValidationError> {
    if hours > MAX_OVERLAP_HOURS {
        return Err(ValidationError::field("overlap_hours", format!("must be at most {MAX_OVERLAP_HOURS} hours")));
    }
    Ok(i64::from(hours) * 3_600_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_a_fixed_shape_and_a_checksum() {
        let t = format_token(&[7u8; 32]);
        assert_eq!(t.len(), TOKEN_LEN);
        assert!(t.starts_with("roster_"));
        assert!(is_well_formed(&t));
        assert_eq!(shown_prefix(&t).len(), 13);
        // One changed character breaks the checksum.
        let mut bad = t.clone().into_bytes();
        let i = TOKEN_PREFIX.len() + 5;
        bad[i] = if bad[i] == b'a' { b'b' } else { b'a' };
        assert!(!is_well_formed(&String::from_utf8(bad).unwrap()));
        assert!(!is_well_formed("roster_short"));
        assert!(!is_well_formed(&t.replace("roster_", "github_")));
        assert_ne!(format_token(&[0u8; 32]), format_token(&[1u8; 32]));
        assert!(is_well_formed(&format_token(&[0u8; 32])));
        assert!(is_well_formed(&format_token(&[255u8; 32])));
    }

    #[test]
    fn crc32_is_zlibs() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn base62_pads_and_orders() {
        assert_eq!(base62(&[0], 3), "000");
        assert_eq!(base62(&[61], 2), "0z");
        assert_eq!(base62(&[62], 2), "10");
        assert_eq!(base62(&[1, 0], 2), "48"); // 256 = 4·62 + 8
    }

    #[test]
    fn lifetimes_follow_the_deployment() {
        let now = Timestamp(0);
        let p = TokenPolicy::default();
        assert_eq!(p.expiry(None, now).unwrap(), Some(Timestamp(90 * 86_400_000)));
        assert_eq!(p.expiry(Some(1), now).unwrap(), Some(Timestamp(86_400_000)));
        assert!(p.expiry(Some(0), now).is_err());
        assert!(p.expiry(Some(366), now).is_err());
        let open = TokenPolicy { max_days: 30, allow_never: true };
        assert_eq!(open.expiry(Some(0), now).unwrap(), None);
        assert_eq!(open.expiry(None, now).unwrap(), Some(Timestamp(30 * 86_400_000)));
        assert!(check_overlap(721).is_err());
        assert_eq!(check_overlap(2).unwrap(), 7_200_000);
    }

    #[test]
    fn names_and_descriptions_are_checked() {
        assert_eq!(parse_account_name("name", "  ci-deploy ").unwrap(), "ci-deploy");
        assert!(parse_account_name("name", "").is_err());
        assert!(parse_account_name("name", "a\u{202e}b").is_err());
        assert_eq!(parse_description("d", "line\r\nnext").unwrap(), "line\nnext");
        assert!(parse_description("d", &"x".repeat(501)).is_err());
    }
}
