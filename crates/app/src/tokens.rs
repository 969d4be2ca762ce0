//! Random secrets and their hashes. Secrets are shown once and stored only
//! as SHA-256; comparisons of derived values run in constant time.

use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A fresh 256-bit secret, hex-encoded.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// SHA-256 of a secret: what the store keeps.
pub fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// The CSRF token that belongs to a session token. It is derived, not stored:
/// a request proves it can read the page (which carries this value) and not
/// merely send the cookie.
pub fn csrf_for_session(session_token: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"roster-csrf\0");
    h.update(session_token.as_bytes());
    hex::encode(h.finalize())
}

/// Whether `presented` is the CSRF token of `session_token`, compared in constant time.
pub fn csrf_matches(session_token: &str, presented: &str) -> bool {
    let expected = csrf_for_session(session_token);
    expected.as_bytes().ct_eq(presented.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_is_bound_to_the_session() {
        let a = new_secret();
        let b = new_secret();
        assert_ne!(a, b);
        assert!(csrf_matches(&a, &csrf_for_session(&a)));
        assert!(!csrf_matches(&a, &csrf_for_session(&b)));
        assert!(!csrf_matches(&a, ""));
        assert_eq!(hash_secret(&a).len(), 32);
    }
}
