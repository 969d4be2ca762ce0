//! A small MaxMind DB writer, so that the suite makes its own GeoIP
//! database instead of downloading one (the format:
//! <https://maxmind.github.io/MaxMind-DB/>).
//!
//! A file is a binary search tree over the 128 bits of an IPv6 address
//! (IPv4 networks sit under `::/96`), each node two 24-bit records (left
//! for a 0 bit, right for a 1): a record below the node count points at a
//! node, equal to it means "no data", above it points into the data
//! section. Sixteen zero bytes separate the tree from the data section, and
//! the metadata map follows the marker `\xAB\xCD\xEFMaxMind.com`.
//! [`fixture`] writes a GeoLite2-City-shaped file with the suite's networks
//! and opens it with Roster's real reader.

use std::net::IpAddr;
use std::sync::Arc;

/// A value of the data section (the types this writer needs).
#[derive(Debug, Clone)]
pub enum Value {
    /// A UTF-8 string.
    Str(String),
    /// An unsigned 16-bit integer.
    U16(u16),
    /// An unsigned 32-bit integer.
    U32(u32),
    /// An unsigned 64-bit integer.
    U64(u64),
    /// A map with string keys, in this order.
    Map(Vec<(String, Value)>),
    /// An array.
    Array(Vec<Value>),
}

impl Value {
    /// A map from `(key, value)` pairs.
    pub fn map<const N: usize>(pairs: [(&str, Value); N]) -> Self {
        Value::Map(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    /// A string.
    pub fn str(s: &str) -> Self {
        Value::Str(s.to_string())
    }
}

/// The control byte(s) of a field of type `kind` and `size`: the type in
/// the top three bits (types past 7 are "extended": 0 there, and the type
/// minus 7 in the next byte), the size in the low five, with 1–3 more
/// bytes for sizes of 29 or more.
fn control(out: &mut Vec<u8>, kind: u8, size: usize) {
    let (low, extra): (u8, Vec<u8>) = match size {
        0..29 => (size as u8, vec![]),
        29..285 => (29, vec![(size - 29) as u8]),
        285..65_821 => (30, ((size - 285) as u16).to_be_bytes().to_vec()),
        _ => (31, ((size - 65_821) as u32).to_be_bytes()[1..].to_vec()),
    };
    if kind <= 7 {
        out.push((kind << 5) | low);
    } else {
        out.push(low);
        out.push(kind - 7);
    }
    out.extend(extra);
}

/// An unsigned integer in as few big-endian bytes as it needs.
fn uint(out: &mut Vec<u8>, kind: u8, v: u64) {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    control(out, kind, 8 - skip);
    out.extend(&bytes[skip..]);
}

/// Appends a value's encoding.
pub fn encode(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Str(s) => {
            control(out, 2, s.len());
            out.extend(s.as_bytes());
        }
        Value::U16(n) => uint(out, 5, u64::from(*n)),
        Value::U32(n) => uint(out, 6, u64::from(*n)),
        Value::U64(n) => uint(out, 9, *n),
        Value::Map(pairs) => {
            control(out, 7, pairs.len());
            for (k, v) in pairs {
                encode(out, &Value::Str(k.clone()));
                encode(out, v);
            }
        }
        Value::Array(items) => {
            control(out, 11, items.len());
            for v in items {
                encode(out, v);
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Record {
    Empty,
    Node(usize),
    Data(usize),
}

/// Writes a MaxMind DB (IPv6 tree, 24-bit records) mapping each network
/// (`203.0.113.0/24`, `2001:db8::/32`) to its record. Networks must not
/// overlap.
pub fn write(database_type: &str, networks: &[(&str, Value)]) -> Vec<u8> {
    let mut data = Vec::new();
    let mut nodes: Vec<[Record; 2]> = vec![[Record::Empty; 2]];
    for (cidr, value) in networks {
        let (addr, prefix) = cidr.split_once('/').expect("a network with its prefix");
        let addr: IpAddr = addr.parse().expect("an address");
        let prefix: u32 = prefix.parse().expect("a prefix length");
        let (bits, depth) = match addr {
            IpAddr::V4(v4) => (u128::from(v4.to_bits()), 96 + prefix),
            IpAddr::V6(v6) => (v6.to_bits(), prefix),
        };
        let offset = data.len();
        encode(&mut data, value);
        let mut node = 0;
        for i in 0..depth {
            let bit = ((bits >> (127 - i)) & 1) as usize;
            if i + 1 == depth {
                nodes[node][bit] = Record::Data(offset);
                break;
            }
            node = match nodes[node][bit] {
                Record::Node(next) => next,
                _ => {
                    nodes.push([Record::Empty; 2]);
                    let next = nodes.len() - 1;
                    nodes[node][bit] = Record::Node(next);
                    next
                }
            };
        }
    }
    let count = nodes.len();
    let mut out = Vec::with_capacity(count * 6 + 16 + data.len() + 256);
    for pair in &nodes {
        for r in pair {
            let value = match *r {
                Record::Empty => count,
                Record::Node(n) => n,
                Record::Data(offset) => count + 16 + offset,
            };
            out.extend(&(value as u32).to_be_bytes()[1..]);
        }
    }
    out.extend([0u8; 16]);
    out.extend(&data);
    out.extend(b"\xAB\xCD\xEFMaxMind.com");
    let metadata = Value::map([
        ("node_count", Value::U32(count as u32)),
        ("record_size", Value::U16(24)),
        ("ip_version", Value::U16(6)),
        ("database_type", Value::str(database_type)),
        ("languages", Value::Array(vec![Value::str("en")])),
        ("binary_format_major_version", Value::U16(2)),
        ("binary_format_minor_version", Value::U16(0)),
        ("build_epoch", Value::U64(1_767_225_600)),
        ("description", Value::map([("en", Value::str("Roster test fixture"))])),
    ]);
    encode(&mut out, &metadata);
    out
}

/// A GeoIP2 City record: the city and the country, in English.
pub fn city(city: &str, country: &str, iso_code: &str) -> Value {
    Value::map([
        ("city", Value::map([("names", Value::map([("en", Value::str(city))]))])),
        (
            "country",
            Value::map([("iso_code", Value::str(iso_code)), ("names", Value::map([("en", Value::str(country))]))]),
        ),
    ])
}

/// The suite's networks: documentation addresses (RFC 5737, RFC 3849).
pub const BERLIN: &str = "203.0.113.0/24";
/// See [`BERLIN`].
pub const LISBON: &str = "198.51.100.0/24";
/// See [`BERLIN`].
pub const TOKYO: &str = "2001:db8::/32";

/// The bytes of the suite's City database: [`BERLIN`] → "Berlin, Germany",
/// [`LISBON`] → "Lisbon, Portugal", [`TOKYO`] → "Tokyo, Japan"; nothing else
/// (private and loopback addresses included) is known.
pub fn fixture_bytes() -> Vec<u8> {
    write(
        "GeoLite2-City",
        &[
            (BERLIN, city("Berlin", "Germany", "DE")),
            (LISBON, city("Lisbon", "Portugal", "PT")),
            (TOKYO, city("Tokyo", "Japan", "JP")),
        ],
    )
}

/// Writes [`fixture_bytes`] to a file and opens it with Roster's MaxMind
/// reader (the file is removed once read: the reader keeps it in memory).
pub fn fixture() -> Arc<dyn roster_app::geoip::GeoIp> {
    let path = std::env::temp_dir().join(format!("roster-geoip-{}.mmdb", uuid::Uuid::now_v7().simple()));
    std::fs::write(&path, fixture_bytes()).expect("write the GeoIP fixture");
    let db = roster_app::geoip::MaxMindDb::open(&path);
    let _ = std::fs::remove_file(&path);
    Arc::new(db.expect("the GeoIP fixture opens"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_fixture_locates_its_networks_and_nothing_else() {
        let geo = fixture();
        assert_eq!(geo.locate(ip("203.0.113.7")).as_deref(), Some("Berlin, Germany"));
        assert_eq!(geo.locate(ip("203.0.113.255")).as_deref(), Some("Berlin, Germany"));
        assert_eq!(geo.locate(ip("198.51.100.1")).as_deref(), Some("Lisbon, Portugal"));
        assert_eq!(geo.locate(ip("2001:db8:1::5")).as_deref(), Some("Tokyo, Japan"));
        for unknown in ["203.0.114.1", "127.0.0.1", "10.0.0.1", "192.168.1.1", "::1", "2001:db9::1"] {
            assert_eq!(geo.locate(ip(unknown)), None, "{unknown}");
        }
    }

    #[test]
    fn long_fields_use_the_extended_size_bytes() {
        // Sizes 29, 285 and 65,821 each need more size bytes; the reader reads them back.
        let names: Vec<String> = [3usize, 40, 300, 70_000].iter().map(|n| "x".repeat(*n)).collect();
        let nets = ["203.0.113.0/26", "203.0.113.64/26", "203.0.113.128/26", "203.0.113.192/26"];
        let rows: Vec<(&str, Value)> = nets.iter().zip(&names).map(|(n, name)| (*n, city(name, "Y", "YY"))).collect();
        let path = std::env::temp_dir().join(format!("roster-geoip-long-{}.mmdb", uuid::Uuid::now_v7().simple()));
        std::fs::write(&path, write("Test-City", &rows)).unwrap();
        let db = roster_app::geoip::MaxMindDb::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        use roster_app::geoip::GeoIp;
        for (i, name) in names.iter().enumerate() {
            let got = db.locate(ip(&format!("203.0.113.{}", i * 64 + 1))).unwrap();
            assert_eq!(got, format!("{name}, Y"));
        }
    }

    #[test]
    fn a_database_of_another_kind_is_refused() {
        let path = std::env::temp_dir().join(format!("roster-geoip-asn-{}.mmdb", uuid::Uuid::now_v7().simple()));
        std::fs::write(&path, write("GeoLite2-ASN", &[(BERLIN, Value::map([("x", Value::U32(1))]))])).unwrap();
        let e = roster_app::geoip::MaxMindDb::open(&path).unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert!(e.to_string().contains("GeoLite2-ASN"), "{e}");
    }
}
