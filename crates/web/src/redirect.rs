//! Redirect targets that come from the request.
//!
//! Sign-in's `next`, every form's `return_to` and the edit page's Cancel
//! link echo a location the request chose. [`safe_path`] is the one gate
//! they all pass through: it accepts only a path on this site and otherwise
//! answers the page's default, so a crafted link can neither send the user
//! elsewhere nor put a character into the `Location` header that the server
//! cannot send.

use axum::http::uri::PathAndQuery;

/// Answers `to` when it is a path on this site, else `fallback`.
///
/// Refused: anything not starting with a single `/` (schemes, hosts,
/// relative paths), a `//` or `/\` start (a host to a browser), a backslash
/// anywhere, a control character (below U+0020, or U+007F) raw or
/// percent-encoded (browsers strip tabs and newlines, so `/%09/evil.example`
/// becomes `//evil.example`; a raw CR or LF cannot go into a header), a
/// percent-encoded `/` or `\` right after the leading slash, and anything
/// that is not a valid ASCII URI path and query.
pub(crate) fn safe_path(to: &str, fallback: &str) -> String {
    if is_safe_path(to) { to.to_string() } else { fallback.to_string() }
}

/// Whether `to` is a same-origin path (see [`safe_path`]).
fn is_safe_path(to: &str) -> bool {
    if !to.starts_with('/') || to.starts_with("//") || to.contains('\\') || has_control(to) {
        return false;
    }
    let decoded = percent_decode(to);
    // Decoding reveals what a lenient browser or proxy might see; the same
    // rules must hold for it, or the check could be passed by encoding.
    if decoded.starts_with("//") || decoded.contains('\\') || has_control(&decoded) {
        return false;
    }
    // Decoding twice catches `%25XX` layers that are decoded again by a
    // second hop (for example `return_to` carried inside a `next`).
    let twice = percent_decode(&decoded);
    if twice.starts_with("//") || twice.contains('\\') || has_control(&twice) {
        return false;
    }
    // The header value must be a plain URI path and query, in ASCII (every
    // location Roster builds is percent-encoded).
    to.is_ascii() && PathAndQuery::try_from(to).is_ok_and(|p| p.as_str() == to)
}

/// Whether the text holds a C0 control character or DEL.
fn has_control(s: &str) -> bool {
    s.chars().any(|c| (c as u32) < 0x20 || c as u32 == 0x7f)
}

/// Decodes `%XX` escapes byte by byte (invalid escapes stay as they are);
/// bytes that do not form UTF-8 are replaced, which is enough for checking.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (bytes.get(i + 1).and_then(hex), bytes.get(i + 2).and_then(hex))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of one hexadecimal digit.
fn hex(b: &u8) -> Option<u8> {
    (*b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: &str = "/orgs/acme/settings/users";

    #[test]
    fn keeps_paths_of_this_site() {
        for good in [
            "/",
            "/orgs/acme/settings/users",
            "/orgs/acme/settings/users?q=ann%20lee&status=active,disabled&per_page=50",
            "/orgs/acme/settings/roles/compare?a=1&b=2",
            "/orgs/acme/settings/users?q=%C3%A9l%C3%A8ve",
            "/orgs/acme/settings/users?q=50%25",
        ] {
            assert_eq!(safe_path(good, DEFAULT), good, "{good:?} is a path of this site");
        }
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            "",
            "evil.example",
            "orgs/acme",
            "https://evil.example/",
            "http:/evil.example",
            "javascript:alert(1)",
            "data:text/html,x",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/orgs\\..\\evil",
            "/\t/evil.example",
            "/%09/evil.example",
            "/%0a/evil.example",
            "/%0D/evil.example",
            "/%0d%0aSet-Cookie:%20x=1",
            "/orgs/acme\r\nSet-Cookie: x=1",
            "/orgs/acme\n",
            "/orgs/acme%00",
            "/orgs/acme%7f",
            "/orgs/acme\u{7f}",
            "/orgs/acme%1b",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/%5cevil.example",
            "/%2509/evil.example",
            "/%250a",
            " /orgs/acme",
            "/orgs/acme users",
            "/orgs/é",
        ] {
            assert_eq!(safe_path(bad, DEFAULT), DEFAULT, "{bad:?} must be refused");
        }
    }
}
