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
    /// The public URL, used in printed and mailed links.
    pub base_url: String,
    /// Application resources every organization can grant (the host
    /// application enforces them), as `[[resources]]` tables with `key`,
    /// `label` and `description`.
    #[serde(default)]
    pub resources: Vec<ResourceSetting>,
    /// How many days an invitation's link works (default 7).
    #[serde(default = "default_invitation_days")]
    pub invitation_days: u32,
}

fn default_invitation_days() -> u32 {
    7
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
            resources: vec![],
            invitation_days: default_invitation_days(),
        }
    }
}

impl Settings {
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

    /// Reads settings from the layers.
    pub fn load(file: Option<&str>) -> anyhow::Result<Self> {
        let mut f = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            f = f.merge(Toml::file_exact(path));
        }
        Ok(f.merge(Env::prefixed("ROSTER_").only(&["listen", "database_url", "base_url", "invitation_days"]))
            .extract()?)
    }
}
