//! Settings: defaults, then a TOML file, then `ROSTER_*` environment
//! variables, then command-line flags (applied by `main`).

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// What `roster` needs to run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    /// Address to listen on.
    pub listen: String,
    /// A SQLite file path or a postgres:// URL.
    pub database_url: String,
    /// The public URL, used in printed and mailed links (`public_url` /
    /// `ROSTER_PUBLIC_URL`; `base_url` is its older name).
    pub base_url: String,
    /// The public URL; when set it replaces `base_url`.
    #[serde(default)]
    pub public_url: Option<String>,
    /// The SMTP server (`smtp://host:port`, `smtps://user:pass@host:465`;
    /// `?tls=none` for a local relay). Without one, emails are kept on the
    /// Outbox page.
    #[serde(default)]
    pub smtp_url: Option<String>,
    /// The sender of Roster's emails.
    pub smtp_from: String,
    /// Application resources every organization can grant (the host
    /// application enforces them), as `[[resources]]` tables with `key`,
    /// `label` and `description`.
    #[serde(default)]
    pub resources: Vec<ResourceSetting>,
    /// The product catalogue, as `[[products]]` tables with `key`, `name`,
    /// `description` and `[[products.settings]]` (`key`, `label`, `kind`
    /// bool | text | number, `default`). Where none is declared, the
    /// built-in example catalogue.
    #[serde(default)]
    pub products: Vec<roster_domain::products::Product>,
    /// Password hashing threads (0: one per available core).
    #[serde(default)]
    pub hash_workers: usize,
    /// Password hashes that may wait beyond the ones being computed; more
    /// sign-ins at once answer 429 (unset: a few per thread).
    #[serde(default)]
    pub hash_queue: Option<usize>,
    /// How many days an invitation's link works (default 7).
    #[serde(default = "default_invitation_days")]
    pub invitation_days: u32,
    /// What SCIM's `DELETE /scim/v2/Users/{id}` does: `archive` (default) or `disable`.
    #[serde(default = "default_scim_delete")]
    pub scim_delete: String,
    /// How many SCIM requests are admitted at once (default 64); more answer 429 with `Retry-After`.
    #[serde(default = "default_scim_max_in_flight")]
    pub scim_max_in_flight: usize,
    /// The largest import file accepted, in MB (default 20).
    #[serde(default = "default_import_max_mb")]
    pub import_max_mb: usize,
    /// The most data rows an import file may have (default 100,000).
    #[serde(default = "default_import_max_rows")]
    pub import_max_rows: usize,
    /// Whether people without an account may sign up (`signup_enabled` /
    /// `ROSTER_SIGNUP_ENABLED`; default true). Off, only invitations make accounts.
    #[serde(default = "default_true")]
    pub signup_enabled: bool,
    /// How many days an access request waits for a decision before it expires (default 30).
    #[serde(default = "default_access_request_days")]
    pub access_request_days: u32,
    /// After a denial, how many days before the same person may ask again (default 7).
    #[serde(default = "default_access_request_cooldown_days")]
    pub access_request_cooldown_days: u32,
    /// Minutes without a request after which a session ends (default 30).
    #[serde(default = "default_session_idle_minutes")]
    pub session_idle_minutes: u32,
    /// Hours after sign-in after which a session ends, used or not (default 12).
    #[serde(default = "default_session_absolute_hours")]
    pub session_absolute_hours: u32,
    /// A MaxMind (GeoIP2/GeoLite2 City) or DB-IP (City Lite) `.mmdb` file
    /// locating sessions' addresses (`geoip_db` / `ROSTER_GEOIP_DB` /
    /// `--geoip-db`). Without one, locations show as "—".
    #[serde(default)]
    pub geoip_db: Option<String>,
    /// Networks of the proxies whose `X-Forwarded-For` names the client
    /// (`trusted_proxies = ["10.0.0.0/8"]`, or `ROSTER_TRUSTED_PROXIES` /
    /// `--trusted-proxy` as a comma-separated list). None by default: the
    /// header is then ignored.
    #[serde(default, deserialize_with = "list_or_commas")]
    pub trusted_proxies: Vec<String>,
}

/// A list given as a list (TOML) or as one comma-separated string (an
/// environment variable).
fn list_or_commas<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        List(Vec<String>),
        Text(String),
    }
    Ok(match Either::deserialize(d)? {
        Either::List(l) => l,
        Either::Text(t) => split_list(&t),
    })
}

/// The items of a comma-separated list, trimmed, empty ones left out.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

fn default_scim_max_in_flight() -> usize {
    64
}

fn default_import_max_mb() -> usize {
    20
}

fn default_import_max_rows() -> usize {
    100_000
}

fn default_scim_delete() -> String {
    "archive".into()
}

fn default_invitation_days() -> u32 {
    7
}

fn default_true() -> bool {
    true
}

fn default_access_request_days() -> u32 {
    30
}

fn default_access_request_cooldown_days() -> u32 {
    7
}

fn default_session_idle_minutes() -> u32 {
    30
}

fn default_session_absolute_hours() -> u32 {
    12
}

/// One application resource declared in the config file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResourceSetting {
    /// Its key in grants and checks (`billing`).
    pub key: String,
    /// What people read (`Billing`).
    pub label: String,
    /// What it covers.
    #[serde(default)]
    pub description: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: "roster.db".into(),
            base_url: "http://localhost:8080".into(),
            public_url: None,
            smtp_url: None,
            smtp_from: "Roster <roster@localhost>".into(),
            resources: vec![],
            products: vec![],
            hash_workers: 0,
            hash_queue: None,
            invitation_days: default_invitation_days(),
            scim_delete: default_scim_delete(),
            scim_max_in_flight: default_scim_max_in_flight(),
            import_max_mb: default_import_max_mb(),
            import_max_rows: default_import_max_rows(),
            signup_enabled: true,
            access_request_days: default_access_request_days(),
            access_request_cooldown_days: default_access_request_cooldown_days(),
            session_idle_minutes: default_session_idle_minutes(),
            session_absolute_hours: default_session_absolute_hours(),
            geoip_db: None,
            trusted_proxies: vec![],
        }
    }
}

impl Settings {
    /// What SCIM's DELETE does, as `scim_delete` names it.
    pub fn scim_delete(&self) -> anyhow::Result<roster_app::scim::ScimDelete> {
        match self.scim_delete.trim().to_ascii_lowercase().as_str() {
            "archive" => Ok(roster_app::scim::ScimDelete::Archive),
            "disable" => Ok(roster_app::scim::ScimDelete::Disable),
            other => anyhow::bail!("scim_delete must be archive or disable, not '{other}'"),
        }
    }

    /// The declared application resources, as the service takes them.
    pub fn app_resources(&self) -> Vec<roster_domain::permissions::AppResource> {
        self.resources
            .iter()
            .map(|r| roster_domain::permissions::AppResource {
                key: r.key.clone(),
                label: r.label.clone(),
                description: r.description.clone(),
            })
            .collect()
    }

    /// The product catalogue: the declared `[[products]]`, checked (keys
    /// unique, names present, each setting's default of its kind), or the
    /// built-in example where none is declared.
    pub fn catalogue(&self) -> anyhow::Result<roster_domain::products::Catalogue> {
        if self.products.is_empty() {
            return Ok(roster_domain::products::Catalogue::builtin());
        }
        roster_domain::products::Catalogue::new(self.products.clone())
            .map_err(|e| anyhow::anyhow!("the [[products]] of the configuration: {e}"))
    }

    /// A session's idle and absolute lifetimes in milliseconds: at least a
    /// minute and an hour, and the idle one never longer than the absolute.
    pub fn session_lifetimes_ms(&self) -> (i64, i64) {
        let absolute = i64::from(self.session_absolute_hours.max(1)) * 3_600_000;
        let idle = (i64::from(self.session_idle_minutes.max(1)) * 60_000).min(absolute);
        (idle, absolute)
    }

    /// The trusted proxies' networks, each checked.
    pub fn trusted_proxy_networks(&self) -> anyhow::Result<Vec<roster_domain::net::Cidr>> {
        self.trusted_proxies.iter().map(|t| t.parse().map_err(|e| anyhow::anyhow!("trusted_proxies: {e}"))).collect()
    }

    /// The public base URL links are built from.
    pub fn public_url(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| self.base_url.clone()).trim_end_matches('/').to_string()
    }

    /// Reads settings from the layers.
    pub fn load(file: Option<&str>) -> anyhow::Result<Self> {
        let mut f = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            f = f.merge(Toml::file_exact(path));
        }
        Ok(f.merge(Env::prefixed("ROSTER_").only(&[
            "listen",
            "database_url",
            "base_url",
            "public_url",
            "smtp_url",
            "smtp_from",
            "hash_workers",
            "hash_queue",
            "invitation_days",
            "scim_delete",
            "scim_max_in_flight",
            "import_max_mb",
            "import_max_rows",
            "signup_enabled",
            "access_request_days",
            "access_request_cooldown_days",
            "session_idle_minutes",
            "session_absolute_hours",
            "geoip_db",
            "trusted_proxies",
        ]))
        .extract()?)
    }
}

#[cfg(test)]
mod tests {
    use super::Settings;
    use figment::providers::Format;

    #[test]
    fn trusted_proxies_read_a_list_or_commas_and_are_checked() {
        let toml: Settings = figment::Figment::from(figment::providers::Serialized::defaults(Settings::default()))
            .merge(figment::providers::Toml::string("trusted_proxies = [\"10.0.0.0/8\", \"::1\"]"))
            .extract()
            .unwrap();
        assert_eq!(toml.trusted_proxies, ["10.0.0.0/8", "::1"]);
        assert_eq!(toml.trusted_proxy_networks().unwrap().len(), 2);
        let env: Settings = figment::Figment::from(figment::providers::Serialized::defaults(Settings::default()))
            .merge(figment::providers::Serialized::default("trusted_proxies", "10.0.0.0/8, 192.168.0.0/16"))
            .extract()
            .unwrap();
        assert_eq!(env.trusted_proxies, ["10.0.0.0/8", "192.168.0.0/16"]);
        let bad = Settings { trusted_proxies: vec!["10.0.0.0/40".into()], ..Settings::default() };
        assert!(bad.trusted_proxy_networks().unwrap_err().to_string().contains("10.0.0.0/40"));
        assert!(Settings::default().trusted_proxy_networks().unwrap().is_empty(), "nobody is trusted by default");
    }

    fn from_toml(text: &str) -> Result<Settings, Box<figment::Error>> {
        figment::Figment::from(figment::providers::Serialized::defaults(Settings::default()))
            .merge(figment::providers::Toml::string(text))
            .extract()
            .map_err(Box::new)
    }

    #[test]
    fn products_are_read_from_the_configuration_or_built_in() {
        assert_eq!(Settings::default().catalogue().unwrap(), roster_domain::products::Catalogue::builtin());
        let s = from_toml(
            r#"
            [[products]]
            key = "claims"
            name = "Claims Desk"
            description = "First notice of loss."

            [[products.settings]]
            key = "auto_assign"
            label = "Assign new claims automatically"
            kind = "bool"
            default = true

            [[products.settings]]
            key = "sla_hours"
            label = "Hours to first response"
            kind = "number"
            default = 24

            [[products]]
            key = "renewals"
            name = "Renewals"
            "#,
        )
        .unwrap();
        let c = s.catalogue().unwrap();
        let keys: Vec<&str> = c.products.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["claims", "renewals"], "only the declared ones, in order");
        let claims = c.get("claims").unwrap();
        assert_eq!(claims.settings[1].kind, roster_domain::products::SettingKind::Number);
        assert_eq!(claims.settings[1].default, serde_json::json!(24));
        assert!(c.get("renewals").unwrap().settings.is_empty());
        // A duplicate key or a default of the wrong kind is refused, naming it.
        let dup =
            from_toml("[[products]]\nkey = \"a\"\nname = \"A\"\n[[products]]\nkey = \"a\"\nname = \"B\"").unwrap();
        assert!(dup.catalogue().unwrap_err().to_string().contains("products[1].key"));
        let wrong = from_toml(
            "[[products]]\nkey = \"a\"\nname = \"A\"\n[[products.settings]]\nkey = \"n\"\nlabel = \"N\"\nkind = \"number\"\ndefault = \"x\"",
        )
        .unwrap();
        assert!(wrong.catalogue().unwrap_err().to_string().contains("products[0].settings[0].default"));
        // A malformed key or kind does not even parse.
        assert!(from_toml("[[products]]\nkey = \"Bad Key\"\nname = \"A\"").is_err());
        assert!(
            from_toml("[[products]]\nkey = \"a\"\nname = \"A\"\n[[products.settings]]\nkey = \"n\"\nlabel = \"N\"\nkind = \"date\"\ndefault = 1")
                .is_err()
        );
    }

    #[test]
    fn sessions_last_30_minutes_idle_and_12_hours_at_most_unless_configured() {
        let defaults = Settings::default();
        assert_eq!(defaults.session_lifetimes_ms(), (30 * 60_000, 12 * 3_600_000));
        let set = Settings { session_idle_minutes: 90, session_absolute_hours: 8, ..Settings::default() };
        assert_eq!(set.session_lifetimes_ms(), (90 * 60_000, 8 * 3_600_000));
        // The idle lifetime never outlasts the absolute one; zero means the least.
        let odd = Settings { session_idle_minutes: 10_000, session_absolute_hours: 0, ..Settings::default() };
        assert_eq!(odd.session_lifetimes_ms(), (3_600_000, 3_600_000));
    }
}
