//! The password rule (NIST SP 800-63B, §3.1.1.2): length, not composition.
//!
//! While the password is an account's only factor it must have at least
//! [`MIN_CHARS`] characters; up to [`MAX_CHARS`] are accepted, any
//! characters at all (spaces and emoji too), and no mix of classes is
//! required. A password that is common, predictable or made of the account's
//! own email or name is refused with the reason: the check is offline, with
//! the zxcvbn estimator (its lists of common passwords, words, names and
//! keyboard patterns ship inside the crate), and asks for an estimate of at
//! least 10⁸ guesses.

use crate::ValidationError;

/// Fewest characters a password may have (the only factor: 15).
pub const MIN_CHARS: usize = 15;
/// Most characters a password may have (NIST asks that at least 64 be allowed).
pub const MAX_CHARS: usize = 128;

/// The field errors are reported under.
const FIELD: &str = "password";

/// Checks a new password. `context` holds what the password must not be
/// built from: the account's email, name, and the organization's name.
///
/// Errors say why, in words a person can act on ("must be at least 15
/// characters", "is too easy to guess: this is a very common password").
pub fn check(password: &str, context: &[&str]) -> Result<(), ValidationError> {
    let n = password.chars().count();
    if n < MIN_CHARS {
        return Err(ValidationError::field(FIELD, format!("must be at least {MIN_CHARS} characters (it has {n})")));
    }
    if n > MAX_CHARS {
        return Err(ValidationError::field(FIELD, format!("must be at most {MAX_CHARS} characters (it has {n})")));
    }
    let mut inputs: Vec<&str> = Vec::with_capacity(context.len() * 2);
    for c in context {
        inputs.push(c);
        // The parts of an email and a name are words of their own.
        inputs.extend(c.split(|ch: char| !ch.is_alphanumeric()).filter(|w| w.chars().count() >= 3));
    }
    let estimate = zxcvbn::zxcvbn(password, &inputs);
    if (estimate.score() as u8) >= 3 {
        return Ok(());
    }
    Err(ValidationError::field(FIELD, format!("is too easy to guess: {}", reason(&estimate))))
}

/// Why zxcvbn scored a password low, as one sentence.
fn reason(estimate: &zxcvbn::Entropy) -> String {
    let feedback = estimate.feedback();
    let warning = feedback.and_then(|f| f.warning()).map(|w| w.to_string());
    let suggestion = feedback.and_then(|f| f.suggestions().first()).map(|s| s.to_string());
    let mut out = match warning {
        Some(w) => lower_first(w.trim_end_matches('.')),
        None => "it follows a pattern that password crackers try early".to_string(),
    };
    out.push('.');
    match suggestion {
        Some(s) => {
            out.push(' ');
            out.push_str(&s);
        }
        None => out.push_str(" Add a few uncommon words."),
    }
    out
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(p: &str, ctx: &[&str]) -> String {
        check(p, ctx).unwrap_err().errors[0].message.clone()
    }

    #[test]
    fn fifteen_characters_at_least_and_the_count_is_in_the_message() {
        assert_eq!(message("short phrase", &[]), "must be at least 15 characters (it has 12)");
        // Characters, not bytes: 15 emoji are 15 characters.
        let crabs = "🦀🐙🦑🐳🦈🐠🐟🐡🦐🦞🦀🐙🦑🐳🦈";
        assert!(check(crabs, &[]).map_or_else(|e| !e.errors[0].message.starts_with("must be"), |_| true));
        assert!(message(&"x".repeat(129), &[]).starts_with("must be at most 128"));
    }

    #[test]
    fn no_composition_rules_and_long_passphrases_pass() {
        assert!(check("correct horse battery", &[]).is_ok());
        assert!(check("a long passphrase of several words", &[]).is_ok());
        assert!(check("all lower case with spaces only", &[]).is_ok());
        assert!(check(&"q7 wobbly tangerine ".repeat(6)[..120], &[]).is_ok(), "120 characters are allowed");
    }

    #[test]
    fn common_and_predictable_passwords_are_refused_with_the_reason() {
        for p in ["passwordpassword", "123456789012345", "qwertyuiopasdfgh", "aaaaaaaaaaaaaaaa", "iloveyouiloveyou"] {
            let m = message(p, &[]);
            assert!(m.starts_with("is too easy to guess: "), "{p}: {m}");
            assert!(m.ends_with('.'), "{p}: {m}");
        }
    }

    #[test]
    fn the_accounts_own_email_and_name_do_not_make_a_password() {
        let ctx = ["ann.lee@acme.test", "Ann Lee", "Acme Corporation"];
        assert!(check("ann.lee@acme.test", &ctx).is_err());
    }
}
