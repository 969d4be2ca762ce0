//! Formatting of times and numbers for the API and the pages.

use roster_domain::Timestamp;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// RFC 3339 in UTC, as the API writes times.
pub fn rfc3339(t: Timestamp) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.0) * 1_000_000)
        .ok()
        .and_then(|d| d.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// A short date for tables: `2026-11-22`.
pub fn date(t: Timestamp) -> String {
    rfc3339(t).get(..10).unwrap_or_default().to_string()
}

/// A date and minute in UTC, for expiries within a day: `2026-11-22 14:05 UTC`.
pub fn date_time(t: Timestamp) -> String {
    let s = rfc3339(t);
    match (s.get(..10), s.get(11..16)) {
        (Some(d), Some(m)) => format!("{d} {m} UTC"),
        _ => s,
    }
}

/// A relative time for "last active": `just now`, `5 min ago`, `3 days ago`, or a date.
pub fn ago(t: Option<Timestamp>, now: Timestamp) -> String {
    let Some(t) = t else { return "Never".into() };
    let s = (now.0 - t.0) / 1000;
    match s {
        i64::MIN..60 => "just now".into(),
        60..3600 => format!("{} min ago", s / 60),
        3600..86_400 => format!("{} h ago", s / 3600),
        86_400..172_800 => "yesterday".into(),
        172_800..2_592_000 => format!("{} days ago", s / 86_400),
        _ => date(t),
    }
}

/// A count with thousands separators: `1,234,567`.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(rfc3339(Timestamp(0)), "1970-01-01T00:00:00Z");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(12), "12");
        assert_eq!(ago(None, Timestamp(0)), "Never");
        assert_eq!(ago(Some(Timestamp(0)), Timestamp(120_000)), "2 min ago");
        assert_eq!(ago(Some(Timestamp(0)), Timestamp(90_000_000)), "yesterday");
        assert_eq!(ago(Some(Timestamp(0)), Timestamp(3 * 86_400_000)), "3 days ago");
    }
}
