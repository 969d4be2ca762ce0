//! Keyset pagination for every list: a cursor that names the boundary row
//! (its sort value and id) and the direction to read from there, and a page
//! of rows that says whether more follow or precede. The members directory
//! uses it; sessions, history, invitations and import rows will too.
//!
//! A cursor is opaque to clients (hex of a small text form) and belongs to
//! one sort and order: decoding it under another is refused, so a client
//! cannot mix pages of two orderings.

use std::fmt::Display;
use std::str::FromStr;

use crate::{Timestamp, ValidationError};

/// Ascending or descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Smallest first (the default).
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

impl FromStr for SortOrder {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "asc" => Ok(Self::Asc),
            "desc" => Ok(Self::Desc),
            other => Err(ValidationError::field("order", format!("unknown order '{other}'; use asc or desc"))),
        }
    }
}

impl SortOrder {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Asc => "asc",
            Self::Desc => "desc",
        }
    }
}

/// The columns a list sorts by: each has a stable wire name.
pub trait SortKey: Copy + PartialEq + FromStr {
    /// The wire name (`email`, `created`).
    fn as_str(self) -> &'static str;
}

/// The sort key value of one row, as a keyset cursor carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortValue {
    /// A text column (email, name).
    Text(String),
    /// A time column (created, last active); `None` for never.
    Time(Option<Timestamp>),
}

/// A keyset position in a list sorted by `S`, whose rows have ids of type
/// `I`: the boundary row's sort value and id, plus the direction to read in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor<S, I> {
    /// The sort this cursor belongs to; a cursor is refused under another sort.
    pub sort: S,
    /// The order this cursor belongs to.
    pub order: SortOrder,
    /// The boundary row's sort value.
    pub value: SortValue,
    /// The boundary row's id, breaking ties.
    pub id: I,
    /// `true` to read the rows before the boundary (a "previous" link).
    pub backward: bool,
}

impl<S: SortKey, I: Display + FromStr> Cursor<S, I> {
    /// Encodes the cursor as an opaque URL-safe string.
    pub fn encode(&self) -> String {
        let value = match &self.value {
            SortValue::Text(s) => format!("t{s}"),
            SortValue::Time(Some(t)) => format!("n{}", t.0),
            SortValue::Time(None) => "z".to_string(),
        };
        let raw = format!(
            "{}|{}|{}|{}|{}",
            self.sort.as_str(),
            self.order.as_str(),
            if self.backward { "b" } else { "f" },
            self.id,
            value
        );
        hex_encode(raw.as_bytes())
    }

    /// Decodes a cursor made by [`Cursor::encode`].
    pub fn decode(s: &str) -> Result<Self, ValidationError> {
        let bad = || ValidationError::field("cursor", "is not a cursor this server issued; start again from page 1");
        let bytes = hex_decode(s).ok_or_else(bad)?;
        let raw = String::from_utf8(bytes).map_err(|_| bad())?;
        let mut parts = raw.splitn(5, '|');
        let (Some(sort), Some(order), Some(dir), Some(id), Some(value)) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let value = match value.split_at_checked(1) {
            Some(("t", s)) => SortValue::Text(s.to_string()),
            Some(("n", n)) => SortValue::Time(Some(Timestamp(n.parse().map_err(|_| bad())?))),
            Some(("z", "")) => SortValue::Time(None),
            _ => return Err(bad()),
        };
        Ok(Self {
            sort: sort.parse().map_err(|_| bad())?,
            order: order.parse().map_err(|_| bad())?,
            backward: match dir {
                "f" => false,
                "b" => true,
                _ => return Err(bad()),
            },
            id: id.parse().map_err(|_| bad())?,
            value,
        })
    }

    /// Decodes a cursor and refuses one issued for another sort or order.
    pub fn decode_for(s: &str, sort: S, order: SortOrder) -> Result<Self, ValidationError> {
        let cursor = Self::decode(s)?;
        if cursor.sort != sort || cursor.order != order {
            return Err(ValidationError::field("cursor", "belongs to another sort or order; start again from page 1"));
        }
        Ok(cursor)
    }
}

/// One page of a keyset list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows, in display order.
    pub items: Vec<T>,
    /// Whether rows follow the last one (in display order).
    pub has_more_after: bool,
    /// Whether rows precede the first one.
    pub has_more_before: bool,
}

impl<T> Page<T> {
    /// The cursors of the next and previous pages, made from the boundary
    /// rows by `cursor_at(row, backward)`.
    pub fn cursors(&self, cursor_at: impl Fn(&T, bool) -> String) -> (Option<String>, Option<String>) {
        let next = self.has_more_after.then(|| self.items.last().map(|r| cursor_at(r, false))).flatten();
        let prev = self.has_more_before.then(|| self.items.first().map(|r| cursor_at(r, true))).flatten();
        (next, prev)
    }
}

fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 2048 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}
