//! Products, subscriptions and licenses (seats).
//!
//! The deployment declares a catalogue of products (`[[products]]` in its
//! configuration, or [`Catalogue::builtin`]). An organization subscribes to
//! a product with a license (seat) count, possibly as a trial; members are
//! assigned licenses, never more than the count. A license grants the use of
//! its product only while the subscription is live (active, or a trial
//! before its end) and the membership is active: the host application asks
//! with the resource `product:<key>` and the action `read`.

use serde::{Deserialize, Serialize};

use crate::{Timestamp, UserId, ValidationError};

/// The resource prefix of a product in a permission check (`product:quote`).
pub const CHECK_PREFIX: &str = "product:";

/// The most licenses one subscription may count.
pub const MAX_LICENSES: i64 = 10_000_000;

/// The longest trial, in days.
pub const MAX_TRIAL_DAYS: i64 = 365;

/// The trial length when none is asked for, in days.
pub const DEFAULT_TRIAL_DAYS: i64 = 30;

/// The seats a trial starts with when none are asked for.
pub const DEFAULT_TRIAL_LICENSES: i64 = 10;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// A product's key: 1–40 characters, lowercase ASCII letters, digits, `_`
/// and `-`, beginning with a letter (`quote`, `claims-intake`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProductKey(String);

impl ProductKey {
    /// Parses a key.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let ok = !s.is_empty()
            && s.len() <= 40
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(ValidationError::field(
                "key",
                "a product key is 1-40 lowercase letters, digits, '_' or '-', beginning with a letter",
            ))
        }
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ProductKey {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<ProductKey> for String {
    fn from(k: ProductKey) -> Self {
        k.0
    }
}

impl std::fmt::Display for ProductKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The kind of value a product setting holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SettingKind {
    /// On or off.
    Bool,
    /// A line of text (at most 200 characters).
    Text,
    /// A whole number.
    Number,
}

/// A setting of a product that each organization's admins may change
/// (seed 000: "Review product-specific settings").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductSetting {
    /// Its key in the settings object.
    pub key: String,
    /// What people read.
    pub label: String,
    /// Its kind.
    pub kind: SettingKind,
    /// Its value until an organization changes it.
    pub default: serde_json::Value,
}

impl ProductSetting {
    /// Checks a value for this setting: the setting's kind, and text on one
    /// line of at most 200 characters.
    pub fn check(&self, field: &str, v: &serde_json::Value) -> Result<serde_json::Value, ValidationError> {
        let bad = |m: &str| Err(ValidationError::field(field, m.to_string()));
        match (self.kind, v) {
            (SettingKind::Bool, serde_json::Value::Bool(_)) => Ok(v.clone()),
            (SettingKind::Bool, _) => bad("must be true or false"),
            (SettingKind::Number, serde_json::Value::Number(n)) if n.is_i64() => Ok(v.clone()),
            (SettingKind::Number, _) => bad("must be a whole number"),
            (SettingKind::Text, serde_json::Value::String(s)) => {
                if s.chars().count() > 200 {
                    bad("must be at most 200 characters")
                } else if s.chars().any(char::is_control) {
                    bad("must not contain control characters")
                } else {
                    Ok(v.clone())
                }
            }
            (SettingKind::Text, _) => bad("must be text"),
        }
    }
}

/// A product of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    /// Its key.
    pub key: ProductKey,
    /// Its name (`Quote Assistant`).
    pub name: String,
    /// What it is.
    #[serde(default)]
    pub description: String,
    /// Its settings, in display order.
    #[serde(default)]
    pub settings: Vec<ProductSetting>,
}

/// Keys a product cannot have: the Products tab's own paths
/// (`/settings/products/workspace`).
pub const RESERVED_KEYS: &[&str] = &["workspace"];

/// The deployment's products, in display order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Catalogue {
    /// The products.
    pub products: Vec<Product>,
}

impl Catalogue {
    /// Checks a configured catalogue: keys unique, names present, setting
    /// keys unique per product and each default of its setting's kind.
    pub fn new(products: Vec<Product>) -> Result<Self, ValidationError> {
        let mut errors = ValidationError { errors: vec![] };
        for (i, p) in products.iter().enumerate() {
            if RESERVED_KEYS.contains(&p.key.as_str()) {
                errors.merge(ValidationError::field(
                    format!("products[{i}].key"),
                    format!("'{}' is a word of Roster's own paths; choose another key", p.key),
                ));
            }
            if products[..i].iter().any(|q| q.key == p.key) {
                errors
                    .merge(ValidationError::field(format!("products[{i}].key"), format!("'{}' appears twice", p.key)));
            }
            if p.name.trim().is_empty() {
                errors.merge(ValidationError::field(format!("products[{i}].name"), "must not be empty"));
            }
            for (j, s) in p.settings.iter().enumerate() {
                if p.settings[..j].iter().any(|t| t.key == s.key) {
                    errors.merge(ValidationError::field(
                        format!("products[{i}].settings[{j}].key"),
                        format!("'{}' appears twice", s.key),
                    ));
                }
                if let Err(e) = s.check(&format!("products[{i}].settings[{j}].default"), &s.default) {
                    errors.merge(e);
                }
            }
        }
        if errors.errors.is_empty() { Ok(Self { products }) } else { Err(errors) }
    }

    /// The small example catalogue used where the configuration names none
    /// (and by the demo).
    pub fn builtin() -> Self {
        let setting = |key: &str, label: &str, kind, default| ProductSetting {
            key: key.into(),
            label: label.into(),
            kind,
            default,
        };
        let product = |key: &str, name: &str, description: &str, settings| Product {
            key: ProductKey::parse(key).expect("a valid built-in key"),
            name: name.into(),
            description: description.into(),
            settings,
        };
        Self {
            products: vec![
                product(
                    "quote",
                    "Quote Assistant",
                    "Drafts insurance quotes from a submission.",
                    vec![
                        setting("auto_submit", "Submit finished quotes automatically", SettingKind::Bool, false.into()),
                        setting("default_carrier", "Default carrier", SettingKind::Text, "".into()),
                    ],
                ),
                product(
                    "intake",
                    "Submission Intake",
                    "Reads emailed submissions into structured applications.",
                    vec![setting("daily_limit", "Submissions per day", SettingKind::Number, 500.into())],
                ),
                product("analytics", "Analytics", "Dashboards of the book of business.", vec![]),
            ],
        }
    }

    /// A product by key.
    pub fn get(&self, key: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.key.as_str() == key)
    }
}

/// A subscription's status as stored: a trial, paid (active), or canceled.
/// A trial past its end reads as [`SubscriptionState::Expired`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriptionStatus {
    /// A trial with an end date.
    Trial,
    /// Paid.
    Active,
    /// Ended by the organization; licenses stay assigned but grant nothing.
    Canceled,
}

impl SubscriptionStatus {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trial => "trial",
            Self::Active => "active",
            Self::Canceled => "canceled",
        }
    }

    /// Reads the stored word.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "trial" => Some(Self::Trial),
            "active" => Some(Self::Active),
            "canceled" => Some(Self::Canceled),
            _ => None,
        }
    }
}

/// A subscription's status as shown at a moment: a trial past its end is
/// `expired`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriptionState {
    /// A trial before its end.
    Trial,
    /// Paid.
    Active,
    /// A trial past its end, not converted.
    Expired,
    /// Canceled.
    Canceled,
}

impl SubscriptionState {
    /// The word the API and pages use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trial => "trial",
            Self::Active => "active",
            Self::Expired => "expired",
            Self::Canceled => "canceled",
        }
    }

    /// Whether licenses of a subscription in this state grant the product.
    pub fn grants_access(self) -> bool {
        matches!(self, Self::Trial | Self::Active)
    }
}

impl std::fmt::Display for SubscriptionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A trial: when it started and ends, and who started it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trial {
    /// Its start.
    pub starts_at: Timestamp,
    /// Its end: from this moment its licenses grant nothing.
    pub ends_at: Timestamp,
    /// Who started it (none when the command line or Roster did).
    pub started_by: Option<UserId>,
    /// Who started it, as shown (an email, or `cli`).
    pub started_by_label: String,
}

impl Trial {
    /// A trial of `days` days from `now`.
    pub fn starting(now: Timestamp, days: i64, by: Option<UserId>, label: String) -> Self {
        Self { starts_at: now, ends_at: Timestamp(now.0 + days * DAY_MS), started_by: by, started_by_label: label }
    }

    /// Whole days left at `now` (rounded up; 0 once ended).
    pub fn days_left(&self, now: Timestamp) -> i64 {
        let left = self.ends_at.0 - now.0;
        if left <= 0 { 0 } else { (left + DAY_MS - 1) / DAY_MS }
    }
}

/// Reads a trial length in days (1–365).
pub fn check_trial_days(days: i64) -> Result<i64, ValidationError> {
    if (1..=MAX_TRIAL_DAYS).contains(&days) {
        Ok(days)
    } else {
        Err(ValidationError::field("days", format!("must be between 1 and {MAX_TRIAL_DAYS}")))
    }
}

/// Reads a license count (0–10,000,000).
pub fn check_license_count(n: i64) -> Result<i64, ValidationError> {
    if (0..=MAX_LICENSES).contains(&n) {
        Ok(n)
    } else {
        Err(ValidationError::field("license_count", format!("must be between 0 and {MAX_LICENSES}")))
    }
}

/// An organization's subscription to a product.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    /// The product.
    pub product: ProductKey,
    /// Stored status.
    pub status: SubscriptionStatus,
    /// Seats.
    pub license_count: i64,
    /// Licenses assigned (members of any status but archived: invited
    /// members hold the seats offered to them).
    pub used: i64,
    /// Licenses held by disabled members (seats an admin may reclaim).
    pub held_by_disabled: i64,
    /// The trial, if it began as one (kept after conversion).
    pub trial: Option<Trial>,
    /// The organization's values of the product's settings (missing keys
    /// read as the catalogue's defaults).
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// When the organization subscribed.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl Subscription {
    /// Its state at `now`.
    pub fn state(&self, now: Timestamp) -> SubscriptionState {
        match self.status {
            SubscriptionStatus::Active => SubscriptionState::Active,
            SubscriptionStatus::Canceled => SubscriptionState::Canceled,
            SubscriptionStatus::Trial => match &self.trial {
                Some(t) if now.0 >= t.ends_at.0 => SubscriptionState::Expired,
                _ => SubscriptionState::Trial,
            },
        }
    }

    /// Seats not assigned.
    pub fn free(&self) -> i64 {
        (self.license_count - self.used).max(0)
    }
}

/// Why assigning licenses fails for want of seats: the message the 409 says.
pub fn no_seats_message(product: &str, wanted: i64, free: i64, count: i64) -> String {
    if free == 0 {
        format!("No seats are free for {product}: all {count} are assigned")
    } else {
        format!("Not enough seats for {product}: {wanted} needed, {free} of {count} free")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert!(ProductKey::parse("quote").is_ok());
        assert!(ProductKey::parse("claims-intake_2").is_ok());
        for bad in ["", "Quote", "1x", "a b", "é", &"a".repeat(41)] {
            assert!(ProductKey::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn trial_expires_at_its_end() {
        let t = Trial::starting(Timestamp(0), 14, None, "cli".into());
        let s = Subscription {
            product: ProductKey::parse("quote").unwrap(),
            status: SubscriptionStatus::Trial,
            license_count: 5,
            used: 5,
            held_by_disabled: 0,
            trial: Some(t.clone()),
            settings: Default::default(),
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        };
        assert_eq!(s.state(Timestamp(t.ends_at.0 - 1)), SubscriptionState::Trial);
        assert_eq!(s.state(t.ends_at), SubscriptionState::Expired);
        assert!(!s.state(t.ends_at).grants_access());
        assert_eq!(t.days_left(Timestamp(0)), 14);
        assert_eq!(t.days_left(Timestamp(1)), 14);
        assert_eq!(t.days_left(Timestamp(DAY_MS + 1)), 13);
        assert_eq!(t.days_left(t.ends_at), 0);
        assert_eq!(s.free(), 0);
    }

    #[test]
    fn builtin_catalogue_is_valid() {
        let c = Catalogue::builtin();
        assert_eq!(Catalogue::new(c.products.clone()).unwrap(), c);
        assert!(c.get("quote").is_some());
    }

    #[test]
    fn settings_are_checked_by_kind() {
        let s = ProductSetting { key: "n".into(), label: "N".into(), kind: SettingKind::Number, default: 1.into() };
        assert!(s.check("n", &serde_json::json!(3)).is_ok());
        assert!(s.check("n", &serde_json::json!(1.5)).is_err());
        assert!(s.check("n", &serde_json::json!("3")).is_err());
        let t = ProductSetting { key: "t".into(), label: "T".into(), kind: SettingKind::Text, default: "".into() };
        assert!(t.check("t", &serde_json::json!("a\nb")).is_err());
        let dup =
            Catalogue::new(vec![Catalogue::builtin().products[0].clone(), Catalogue::builtin().products[0].clone()]);
        assert!(dup.is_err());
        let mut w = Catalogue::builtin().products[0].clone();
        w.key = ProductKey::parse("workspace").unwrap();
        assert!(Catalogue::new(vec![w]).is_err(), "the workspace's path is not a product");
    }
}
