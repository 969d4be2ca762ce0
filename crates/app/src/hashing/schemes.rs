//! The stored password hashes Roster can verify: its own argon2 PHC strings
//! and, for members imported from other systems, bcrypt (`$2a$`, `$2b$`,
//! `$2y$`), PBKDF2 (`$pbkdf2-sha256$`, `$pbkdf2-sha512$`) and scrypt
//! (`$scrypt$`) hashes, which are replaced by argon2id at the member's next
//! sign-in.
//!
//! A stored hash chooses the work its verification takes, so each scheme's
//! cost is checked against a cap when the hash is read: a file of imported
//! members must not be able to make every sign-in take minutes of a hashing
//! thread or gigabytes of memory. A hash over a cap is refused like a
//! malformed one: it matches no password.

use argon2::password_hash::PasswordVerifier;
use argon2::password_hash::phc::{Output, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Params, Version};

/// The most memory an argon2 hash may ask for, in KiB (1 GiB).
pub const ARGON2_MAX_M_COST: u32 = 1024 * 1024;
/// The most passes an argon2 hash may ask for.
pub const ARGON2_MAX_T_COST: u32 = 10;
/// The most lanes an argon2 hash may ask for.
pub const ARGON2_MAX_P_COST: u32 = 16;
/// The highest bcrypt cost (2^16 rounds of its key schedule, a few seconds).
pub const BCRYPT_MAX_COST: u32 = 16;
/// The most PBKDF2 iterations.
pub const PBKDF2_MAX_ROUNDS: u32 = 10_000_000;
/// The highest scrypt `ln` (N = 2^20).
pub const SCRYPT_MAX_LOG_N: u8 = 20;
/// The highest scrypt `r × p` (the work is N × r × p).
pub const SCRYPT_MAX_R_TIMES_P: u64 = 32;
/// The most memory a scrypt hash may ask for (128 × r × N bytes): 1 GiB.
pub const SCRYPT_MAX_MEMORY: u64 = 1 << 30;

/// A stored hash that was read and is within its scheme's caps.
pub(super) enum Stored<'h> {
    /// An argon2 PHC string (Roster's own format), verified in the
    /// worker's memory.
    Argon2 {
        /// The hasher at the hash's algorithm, version and parameters.
        hasher: Argon2<'static>,
        /// argon2id, argon2i or argon2d.
        algorithm: Algorithm,
        /// The version (0x13 or 0x10).
        version: Version,
        /// The salt.
        salt: Salt,
        /// The output to compare with.
        expected: Output,
    },
    /// A bcrypt hash in Modular Crypt Format.
    Bcrypt(&'h str),
    /// A PBKDF2 PHC string (HMAC-SHA-256 or HMAC-SHA-512).
    Pbkdf2(&'static str, PasswordHash),
    /// A scrypt PHC string.
    Scrypt(PasswordHash),
}

/// Why a stored hash cannot be verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unusable {
    /// It is in no scheme Roster reads, or not well-formed in its own.
    Malformed,
    /// It asks for more work than its scheme's cap allows.
    OverCost,
}

impl Stored<'_> {
    /// The scheme's name, as [`super::scheme_of`] answers it.
    pub(super) fn scheme(&self) -> &'static str {
        match self {
            Self::Argon2 { algorithm: Algorithm::Argon2d, .. } => "argon2d",
            Self::Argon2 { algorithm: Algorithm::Argon2i, .. } => "argon2i",
            Self::Argon2 { .. } => "argon2id",
            Self::Bcrypt(_) => "bcrypt",
            Self::Pbkdf2(name, _) => name,
            Self::Scrypt(_) => "scrypt",
        }
    }

    /// Whether the hash is argon2id v0x13 at exactly `params`, with a
    /// 32-byte output, as Roster stores a new password.
    pub(super) fn is_argon2id_at(&self, params: &Params) -> bool {
        match self {
            Self::Argon2 { hasher, algorithm, version, expected, .. } => {
                let p = hasher.params();
                *algorithm == Algorithm::Argon2id
                    && *version == Version::V0x13
                    && p.m_cost() == params.m_cost()
                    && p.t_cost() == params.t_cost()
                    && p.p_cost() == params.p_cost()
                    && p.keyid().is_empty()
                    && p.data().is_empty()
                    && expected.len() == super::OUTPUT_LEN
            }
            _ => false,
        }
    }

    /// Whether `password` matches a bcrypt, PBKDF2 or scrypt hash; the
    /// crates compare in constant time. An argon2 hash is verified in the
    /// worker's memory instead ([`super::verify_stored`]) and answers false here.
    pub(super) fn verify_foreign(&self, password: &[u8]) -> bool {
        match self {
            // bcrypt reads at most 72 bytes of a password: the systems the
            // hash comes from truncated it the same way.
            Self::Bcrypt(hash) => bcrypt::verify(password, hash).unwrap_or(false),
            // The algorithm (SHA-256 or SHA-512) is the hash's own.
            Self::Pbkdf2(_, hash) => pbkdf2::Pbkdf2::default().verify_password(password, hash).is_ok(),
            Self::Scrypt(hash) => scrypt::Scrypt::new().verify_password(password, hash).is_ok(),
            Self::Argon2 { .. } => false,
        }
    }
}

/// Reads a stored hash: its scheme, parameters, salt and output, with the
/// cost checked against the scheme's cap.
pub(super) fn read(hash: &str) -> Result<Stored<'_>, Unusable> {
    if hash.starts_with("$2") {
        return read_bcrypt(hash);
    }
    let phc = PasswordHash::new(hash).map_err(|_| Unusable::Malformed)?;
    match phc.algorithm.as_str() {
        "argon2id" | "argon2i" | "argon2d" => read_argon2(phc),
        "pbkdf2-sha256" => read_pbkdf2("pbkdf2-sha256", phc),
        "pbkdf2-sha512" => read_pbkdf2("pbkdf2-sha512", phc),
        "scrypt" => read_scrypt(phc),
        _ => Err(Unusable::Malformed),
    }
}

fn read_argon2(phc: PasswordHash) -> Result<Stored<'static>, Unusable> {
    let algorithm = Algorithm::try_from(phc.algorithm.as_str()).map_err(|_| Unusable::Malformed)?;
    let version = match phc.version {
        Some(v) => Version::try_from(v).map_err(|_| Unusable::Malformed)?,
        None => Version::default(),
    };
    let params = Params::try_from(&phc).map_err(|_| Unusable::Malformed)?;
    if params.m_cost() > ARGON2_MAX_M_COST || params.t_cost() > ARGON2_MAX_T_COST || params.p_cost() > ARGON2_MAX_P_COST
    {
        return Err(Unusable::OverCost);
    }
    let (Some(salt), Some(expected)) = (phc.salt, phc.hash) else { return Err(Unusable::Malformed) };
    Ok(Stored::Argon2 { hasher: Argon2::new(algorithm, version, params), algorithm, version, salt, expected })
}

fn read_bcrypt(hash: &str) -> Result<Stored<'_>, Unusable> {
    // `$2x$` (the flawed PHP implementation's mark) is not taken.
    if !matches!(hash.get(..4), Some("$2a$" | "$2b$" | "$2y$")) {
        return Err(Unusable::Malformed);
    }
    let parts: bcrypt::HashParts = hash.parse().map_err(|_| Unusable::Malformed)?;
    match parts.get_cost() {
        cost if cost < 4 => Err(Unusable::Malformed),
        cost if cost > BCRYPT_MAX_COST => Err(Unusable::OverCost),
        _ => Ok(Stored::Bcrypt(hash)),
    }
}

fn read_pbkdf2(name: &'static str, phc: PasswordHash) -> Result<Stored<'static>, Unusable> {
    let params = pbkdf2::Params::try_from(&phc).map_err(|_| Unusable::Malformed)?;
    if phc.salt.is_none() || phc.hash.is_none() {
        return Err(Unusable::Malformed);
    }
    if params.rounds() > PBKDF2_MAX_ROUNDS {
        return Err(Unusable::OverCost);
    }
    Ok(Stored::Pbkdf2(name, phc))
}

fn read_scrypt(phc: PasswordHash) -> Result<Stored<'static>, Unusable> {
    let params = scrypt::Params::try_from(&phc).map_err(|_| Unusable::Malformed)?;
    if phc.salt.is_none() || phc.hash.is_none() {
        return Err(Unusable::Malformed);
    }
    let (log_n, r, p) = (params.log_n(), u64::from(params.r()), u64::from(params.p()));
    // `ln` first: with it capped, 128 × r × 2^ln cannot overflow a u64.
    if log_n > SCRYPT_MAX_LOG_N || r * p > SCRYPT_MAX_R_TIMES_P || (128 * r) << log_n > SCRYPT_MAX_MEMORY {
        return Err(Unusable::OverCost);
    }
    Ok(Stored::Scrypt(phc))
}
