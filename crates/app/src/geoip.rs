//! Where an IP address is: the GeoIP port ([`GeoIp`]) and its one real
//! implementation, [`MaxMindDb`], over an operator-supplied MaxMind
//! (GeoIP2/GeoLite2 City) or DB-IP (City Lite) `.mmdb` file.
//!
//! A session's location is looked up once, at sign-in, and stored with the
//! session; lists show what was stored and never look up a row. Without a
//! database, and for an address the database does not know (private and
//! loopback addresses among them), the location is `None` ("—" on pages,
//! `null` in the API). Nothing is ever downloaded.

use std::net::IpAddr;
use std::path::Path;

use maxminddb::geoip2;

/// Finds the place of an IP address.
pub trait GeoIp: Send + Sync {
    /// "Berlin, Germany" (or only the country, or only the city, when the
    /// database knows only that); `None` for an address it does not know.
    fn locate(&self, ip: IpAddr) -> Option<String>;
}

/// Why a GeoIP database could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the GeoIP database {path}: {reason}")]
pub struct GeoIpError {
    /// The file.
    pub path: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A MaxMind DB file read into memory once (a City database is some tens of
/// megabytes; lookups then touch no disk).
pub struct MaxMindDb {
    reader: maxminddb::Reader<Vec<u8>>,
}

impl MaxMindDb {
    /// Opens and checks a `.mmdb` file: it must be a MaxMind DB whose
    /// records carry a city or a country (GeoIP2/GeoLite2 City or Country,
    /// DB-IP City Lite).
    pub fn open(path: &Path) -> Result<Self, GeoIpError> {
        let err = |reason: String| GeoIpError { path: path.display().to_string(), reason };
        let reader = maxminddb::Reader::open_readfile(path).map_err(|e| err(e.to_string()))?;
        let kind = reader.metadata().database_type.to_ascii_lowercase();
        if !(kind.contains("city") || kind.contains("country")) {
            return Err(err(format!(
                "its database type is '{}'; Roster reads City or Country databases",
                reader.metadata().database_type
            )));
        }
        Ok(Self { reader })
    }
}

impl GeoIp for MaxMindDb {
    fn locate(&self, ip: IpAddr) -> Option<String> {
        let found = self.reader.lookup(ip).ok()?;
        let city: geoip2::City<'_> = found.decode().ok()??;
        place(city.city.names.english, city.country.names.english)
    }
}

impl std::fmt::Debug for MaxMindDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MaxMindDb").field("database_type", &self.reader.metadata().database_type).finish()
    }
}

/// "City, Country" from the parts a record has.
fn place(city: Option<&str>, country: Option<&str>) -> Option<String> {
    let city = city.map(str::trim).filter(|c| !c.is_empty());
    let country = country.map(str::trim).filter(|c| !c.is_empty());
    match (city, country) {
        (Some(city), Some(country)) => Some(format!("{city}, {country}")),
        (Some(only), None) | (None, Some(only)) => Some(only.to_string()),
        (None, None) => None,
    }
}

/// The location of a request's address, when a database is configured and
/// the address is one it knows; `None` otherwise (also for an address that
/// does not parse).
pub fn locate(geoip: Option<&dyn GeoIp>, ip: Option<&str>) -> Option<String> {
    let ip: IpAddr = ip?.parse().ok()?;
    geoip?.locate(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_read_city_then_country() {
        assert_eq!(place(Some("Berlin"), Some("Germany")).as_deref(), Some("Berlin, Germany"));
        assert_eq!(place(None, Some("Germany")).as_deref(), Some("Germany"));
        assert_eq!(place(Some("Berlin"), Some(" ")).as_deref(), Some("Berlin"));
        assert_eq!(place(None, None), None);
    }

    #[test]
    fn nothing_is_located_without_a_database_or_an_address() {
        struct Everywhere;
        impl GeoIp for Everywhere {
            fn locate(&self, _: IpAddr) -> Option<String> {
                Some("Here".into())
            }
        }
        assert_eq!(locate(None, Some("203.0.113.5")), None);
        assert_eq!(locate(Some(&Everywhere), None), None);
        assert_eq!(locate(Some(&Everywhere), Some("not an address")), None);
        assert_eq!(locate(Some(&Everywhere), Some("203.0.113.5")).as_deref(), Some("Here"));
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused_with_its_path() {
        let path = std::env::temp_dir().join(format!("roster-not-mmdb-{}", uuid::Uuid::now_v7()));
        std::fs::write(&path, b"not a database").unwrap();
        let e = MaxMindDb::open(&path).unwrap_err();
        assert!(e.to_string().contains(&path.display().to_string()), "{e}");
        std::fs::remove_file(&path).unwrap();
    }
}
