//! Password hashing on a fixed pool of worker threads.
//!
//! argon2id at Roster's parameters needs 19 MiB of memory per hash. Hashing
//! each password on a fresh blocking thread with a fresh allocation works,
//! but the allocator keeps the freed blocks (glibc raises its mmap threshold
//! to the size of the last freed block and then serves the next ones from
//! per-thread arenas), so a minute of sign-ins left the server at 823 MB of
//! anonymous memory. Here a fixed number of threads (one per core by
//! default) each own one memory block, allocated on its first job and reused
//! for every hash after it, so memory stays at `workers × 19 MiB` however
//! many people sign in.
//!
//! The pool admits at most `workers + queue` jobs at a time: a request takes
//! a [`Slot`] first ([`HashPool::try_slot`]), and when none is free it is
//! refused at once with [`AppError::Busy`] (429 with `Retry-After`) rather
//! than queued without limit. A sign-in takes its slot before the throttle
//! counts the attempt, so a refusal costs no database work and is not a
//! guess.
//!
//! Hashes imported from other systems (bcrypt, PBKDF2, scrypt: see
//! [`scheme_of`]) are verified on the same threads, and a sign-in that
//! matched one, or an argon2 hash at other parameters than Roster's
//! ([`needs_upgrade`]), gets the password hashed again in the same job
//! ([`Slot::verify_and_upgrade`]) for the caller to store.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;
use subtle::ConstantTimeEq;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::AppError;
use crate::error::Result;

mod schemes;

pub use schemes::{
    ARGON2_MAX_M_COST, ARGON2_MAX_P_COST, ARGON2_MAX_T_COST, BCRYPT_MAX_COST, PBKDF2_MAX_ROUNDS, SCRYPT_MAX_LOG_N,
    SCRYPT_MAX_MEMORY, SCRYPT_MAX_R_TIMES_P,
};
use schemes::{Stored, Unusable};

/// Jobs that may wait per worker, when the configuration does not say.
pub const DEFAULT_QUEUE_PER_WORKER: usize = 4;

/// What a refused request is told to wait (seconds): a full queue drains in
/// well under a second (a hash takes tens of milliseconds).
pub const BUSY_RETRY_AFTER_S: i64 = 1;

/// Length of a new hash's salt (bytes).
const SALT_LEN: usize = 16;
/// Length of a new hash's output (bytes).
const OUTPUT_LEN: usize = 32;

/// The parameters Roster hashes new passwords with: argon2id, version 0x13,
/// 19 MiB, two passes, one lane (OWASP's first recommendation, and the
/// argon2 crate's default).
pub fn roster_params() -> Params {
    Params::DEFAULT
}

/// The scheme of a stored password hash, when Roster can verify it:
/// `argon2id`, `argon2i`, `argon2d` (PHC strings), `bcrypt` (`$2a$`, `$2b$`,
/// `$2y$`), `pbkdf2-sha256`, `pbkdf2-sha512` or `scrypt` (PHC strings).
/// `None` when it is none of these, is not well-formed, or asks for more
/// work than the scheme's cap ([`BCRYPT_MAX_COST`], [`PBKDF2_MAX_ROUNDS`],
/// [`SCRYPT_MAX_LOG_N`], [`ARGON2_MAX_M_COST`] and the others): such a
/// hash matches no password. The importer checks a hash with it before
/// storing it.
pub fn scheme_of(hash: &str) -> Option<&'static str> {
    schemes::read(hash).ok().map(|s| s.scheme())
}

/// Whether a stored hash should be replaced at the next sign-in: it is not
/// argon2id v0x13 at [`roster_params`] with a 32-byte output (another
/// scheme, another argon2 variant, or other parameters). A hash Roster
/// cannot read needs it too (it matches no password, so it never is).
pub fn needs_upgrade(hash: &str) -> bool {
    needs_upgrade_to(hash, &roster_params())
}

/// [`needs_upgrade`] towards `params` (the pool's).
fn needs_upgrade_to(hash: &str, params: &Params) -> bool {
    !schemes::read(hash).is_ok_and(|s| s.is_argon2id_at(params))
}

/// What [`Slot::verify_and_upgrade`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Whether the password matches the stored hash.
    pub matches: bool,
    /// When it matches and the stored hash [needs an upgrade](needs_upgrade):
    /// the hash to store instead.
    pub upgrade: Option<Upgrade>,
}

/// A new hash of a verified password, to replace a stored hash in another
/// scheme or at weaker parameters.
#[derive(Clone, PartialEq, Eq)]
pub struct Upgrade {
    /// The scheme of the hash it replaces ([`scheme_of`]).
    pub from: &'static str,
    /// The new argon2id PHC string, at the pool's parameters.
    pub hash: String,
}

impl std::fmt::Debug for Upgrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The new hash stays out of logs.
        f.debug_struct("Upgrade").field("from", &self.from).finish_non_exhaustive()
    }
}

/// A password hashing pool: fixed worker threads, each reusing its own
/// argon2 memory, behind a bounded admission count. Cheap to share (`Arc`);
/// the threads end when the pool is dropped.
#[derive(Debug)]
pub struct HashPool {
    sender: mpsc::Sender<Job>,
    slots: Arc<Semaphore>,
    workers: usize,
    capacity: usize,
    params: Params,
    dummy_hash: String,
}

/// A place in the pool, taken before the work is known (so that a sign-in
/// can be refused before anything else is done) and used by one
/// [`Slot::verify`] or [`Slot::hash`]. Dropping it unused gives it back.
#[derive(Debug)]
pub struct Slot {
    sender: mpsc::Sender<Job>,
    permit: OwnedSemaphorePermit,
    params: Params,
}

enum Work {
    Verify { password: String, hash: String },
    VerifyAndUpgrade { password: String, hash: String },
    Hash { password: String },
}

enum Done {
    Verified(bool),
    Checked(Verification),
    Hashed(String),
}

struct Job {
    work: Work,
    reply: oneshot::Sender<Result<Done>>,
    params: Params,
    // Held until the job is done, so the slot counts it while it runs.
    permit: OwnedSemaphorePermit,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}

impl HashPool {
    /// A pool of `workers` threads (0: one per available core) admitting
    /// `queue` waiting jobs beyond the ones being hashed (`None`:
    /// [`DEFAULT_QUEUE_PER_WORKER`] per worker), at Roster's parameters.
    pub fn new(workers: usize, queue: Option<usize>) -> Self {
        Self::with_params(workers, queue, roster_params())
    }

    /// [`HashPool::new`] hashing new passwords with other parameters (tests
    /// use cheap ones). Verification always follows the hash's own.
    pub fn with_params(workers: usize, queue: Option<usize>, params: Params) -> Self {
        let workers = if workers == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { workers };
        let capacity = workers + queue.unwrap_or(DEFAULT_QUEUE_PER_WORKER * workers);
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for i in 0..workers {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("roster-hash-{i}"))
                .spawn(move || work(&receiver))
                .expect("spawning a hashing thread");
        }
        let dummy_hash = dummy_hash(&params);
        Self { sender, slots: Arc::new(Semaphore::new(capacity)), workers, capacity, params, dummy_hash }
    }

    /// The number of worker threads.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// How many jobs the pool admits at once (running and waiting).
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Takes a place in the pool, or refuses at once with
    /// [`AppError::Busy`] when every place is taken.
    pub fn try_slot(&self) -> Result<Slot> {
        let permit =
            self.slots.clone().try_acquire_owned().map_err(|_| AppError::Busy { retry_after_s: BUSY_RETRY_AFTER_S })?;
        Ok(Slot { sender: self.sender.clone(), permit, params: self.params.clone() })
    }

    /// A hash in Roster's format that no password matches (its output is
    /// random), to verify against when an email is unknown: the work is the
    /// same as for a real hash, on the same pool.
    pub fn dummy_hash(&self) -> &str {
        &self.dummy_hash
    }

    /// Whether `password` matches the stored `hash` (any argon2 variant and
    /// parameters, or another scheme [`scheme_of`] reads). A malformed or
    /// over-cost hash matches nothing.
    pub async fn verify(&self, password: String, hash: String) -> Result<bool> {
        self.try_slot()?.verify(password, hash).await
    }

    /// Hashes a new password with the pool's parameters; answers the PHC string.
    pub async fn hash(&self, password: String) -> Result<String> {
        self.try_slot()?.hash(password).await
    }

    /// Whether a stored hash is not the pool's own kind: argon2id v0x13 at
    /// the pool's parameters ([`needs_upgrade`] for Roster's).
    pub fn needs_upgrade(&self, hash: &str) -> bool {
        needs_upgrade_to(hash, &self.params)
    }
}

impl Slot {
    /// Whether `password` matches the stored `hash` (see
    /// [`HashPool::verify`]), computed on the pool.
    pub async fn verify(self, password: String, hash: String) -> Result<bool> {
        match self.run(Work::Verify { password, hash }).await? {
            Done::Verified(ok) => Ok(ok),
            _ => Err(AppError::Internal("hashing: a verification answered something else".into())),
        }
    }

    /// Whether `password` matches the stored `hash` (any scheme
    /// [`scheme_of`] reads); when it does and the hash
    /// [needs an upgrade](HashPool::needs_upgrade), the password is hashed
    /// again with the pool's parameters in the same job, on the pool, and
    /// the new hash is in the answer for the caller to store.
    pub async fn verify_and_upgrade(self, password: String, hash: String) -> Result<Verification> {
        match self.run(Work::VerifyAndUpgrade { password, hash }).await? {
            Done::Checked(v) => Ok(v),
            _ => Err(AppError::Internal("hashing: a verification answered something else".into())),
        }
    }

    /// Hashes a new password on the pool; answers the PHC string.
    pub async fn hash(self, password: String) -> Result<String> {
        match self.run(Work::Hash { password }).await? {
            Done::Hashed(h) => Ok(h),
            _ => Err(AppError::Internal("hashing: a hash answered something else".into())),
        }
    }

    async fn run(self, work: Work) -> Result<Done> {
        let (reply, answer) = oneshot::channel();
        let job = Job { work, reply, params: self.params, permit: self.permit };
        self.sender.send(job).map_err(|_| AppError::Internal("hashing: the pool has stopped".into()))?;
        answer.await.map_err(|_| AppError::Internal("hashing: the worker stopped".into()))?
    }
}

/// The scheduling priority (nice value) of the hashing threads: below the
/// rest of the server's, so that while sign-ins keep every core busy with
/// argon2, a directory request's thread hand-offs do not wait behind a
/// hashing time slice. An idle core still hashes at full speed.
pub const HASHING_NICE: i32 = 10;

/// Lowers the calling thread's scheduling priority to [`HASHING_NICE`]. On
/// Linux a nice value belongs to a thread: `setpriority(PRIO_PROCESS, tid)`
/// changes this thread's only. Where it cannot be set, hashing runs at the
/// server's priority.
fn lower_priority() {
    let tid = rustix::thread::gettid();
    if let Err(e) = rustix::process::setpriority_process(Some(tid), HASHING_NICE) {
        tracing::warn!(error = %e, "could not lower a hashing thread's priority");
    }
}

/// A worker: takes jobs until the pool is dropped, hashing into its own
/// memory, allocated on the first job and kept.
fn work(receiver: &Mutex<mpsc::Receiver<Job>>) {
    lower_priority();
    let mut memory: Vec<Block> = Vec::new();
    loop {
        // The lock is held only while waiting for the next job.
        let job = match receiver.lock() {
            Ok(r) => r.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        if job.reply.is_closed() {
            // The request went away while its job waited.
            continue;
        }
        let Job { work, reply, params, permit } = job;
        let done = std::panic::catch_unwind(AssertUnwindSafe(|| match work {
            Work::Verify { password, hash } => {
                verify_into(&mut memory, &params, password.as_bytes(), &hash).map(Done::Verified)
            }
            Work::VerifyAndUpgrade { password, hash } => {
                verify_and_upgrade_into(&mut memory, &params, password.as_bytes(), &hash).map(Done::Checked)
            }
            Work::Hash { password } => hash_into(&mut memory, &params, password.as_bytes()).map(Done::Hashed),
        }))
        .unwrap_or_else(|_| Err(AppError::Internal("hashing: a job panicked".into())));
        // The place is free before the answer arrives, so whoever is
        // answered can take a place again at once.
        drop(permit);
        let _ = reply.send(done);
    }
}

/// The worker's memory for `params`: its own block when that is large
/// enough (allocated the first time), else a block of the right size for
/// this job only (a hash stored with stronger parameters than the pool's).
fn memory_for<'m>(memory: &'m mut Vec<Block>, own: &Params, params: &Params) -> MemoryFor<'m> {
    let needed = params.block_count();
    if memory.is_empty() {
        memory.resize(own.block_count().max(Params::MIN_M_COST as usize), Block::new());
    }
    if needed <= memory.len() {
        MemoryFor::Own(&mut memory[..needed])
    } else {
        MemoryFor::Once(vec![Block::new(); needed])
    }
}

enum MemoryFor<'m> {
    Own(&'m mut [Block]),
    Once(Vec<Block>),
}

impl AsMut<[Block]> for MemoryFor<'_> {
    fn as_mut(&mut self) -> &mut [Block] {
        match self {
            Self::Own(m) => m,
            Self::Once(v) => v,
        }
    }
}

/// Whether `password` matches the stored hash `hash` (any scheme
/// [`scheme_of`] reads): an argon2 hash's algorithm, version, parameters and
/// salt are parsed, the hash is recomputed into `memory` and compared in
/// constant time; the other schemes are verified by their crates, in
/// constant time too. A hash that does not parse, or asks for more work
/// than its scheme's cap, matches nothing.
fn verify_into(memory: &mut Vec<Block>, own: &Params, password: &[u8], hash: &str) -> Result<bool> {
    Ok(match read_stored(hash) {
        Some(stored) => verify_stored(memory, own, password, &stored),
        None => false,
    })
}

/// [`verify_into`], then, when the password matches and the hash is not
/// argon2id at `own`, the password hashed again at `own` into `memory`.
fn verify_and_upgrade_into(memory: &mut Vec<Block>, own: &Params, password: &[u8], hash: &str) -> Result<Verification> {
    let Some(stored) = read_stored(hash) else { return Ok(Verification { matches: false, upgrade: None }) };
    let matches = verify_stored(memory, own, password, &stored);
    let upgrade = match matches && !stored.is_argon2id_at(own) {
        true => Some(Upgrade { from: stored.scheme(), hash: hash_into(memory, own, password)? }),
        false => None,
    };
    Ok(Verification { matches, upgrade })
}

/// A stored hash read, or `None` (logged) when it cannot be verified.
fn read_stored(hash: &str) -> Option<Stored<'_>> {
    match schemes::read(hash) {
        Ok(stored) => Some(stored),
        Err(Unusable::Malformed) => {
            tracing::warn!("a stored password hash could not be read");
            None
        }
        Err(Unusable::OverCost) => {
            tracing::warn!("a stored password hash asks for more work than Roster's caps allow; it matches nothing");
            None
        }
    }
}

/// Whether `password` matches a hash that was read.
fn verify_stored(memory: &mut Vec<Block>, own: &Params, password: &[u8], stored: &Stored<'_>) -> bool {
    let Stored::Argon2 { hasher, salt, expected, .. } = stored else { return stored.verify_foreign(password) };
    let mut computed = vec![0u8; expected.len()];
    let blocks = memory_for(memory, own, hasher.params());
    if hasher.hash_password_into_with_memory(password, salt.as_ref(), &mut computed, blocks).is_err() {
        return false;
    }
    computed.ct_eq(expected.as_bytes()).into()
}

/// A new PHC string for `password`: argon2id v0x13 at `params`, a random
/// 16-byte salt, computed into `memory`.
fn hash_into(memory: &mut Vec<Block>, params: &Params, password: &[u8]) -> Result<String> {
    let mut salt = [0u8; SALT_LEN];
    rand::rng().fill_bytes(&mut salt);
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = [0u8; OUTPUT_LEN];
    let blocks = memory_for(memory, params, params);
    argon
        .hash_password_into_with_memory(password, &salt, &mut out, blocks)
        .map_err(|e| AppError::Internal(format!("hashing: {e}")))?;
    phc_string(params, &salt, &out)
}

/// The PHC string of an argon2id v0x13 hash.
fn phc_string(params: &Params, salt: &[u8], out: &[u8]) -> Result<String> {
    fn internal(e: impl std::fmt::Display) -> AppError {
        AppError::Internal(format!("hashing: {e}"))
    }
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(internal)?,
        salt: Some(Salt::new(salt).map_err(internal)?),
        hash: Some(Output::new(out).map_err(internal)?),
    };
    Ok(hash.to_string())
}

/// A well-formed hash at `params` whose output is random bytes, so that no
/// password matches it and verifying against it costs a full hash.
fn dummy_hash(params: &Params) -> String {
    let mut salt = [0u8; SALT_LEN];
    let mut out = [0u8; OUTPUT_LEN];
    rand::rng().fill_bytes(&mut salt);
    rand::rng().fill_bytes(&mut out);
    phc_string(params, &salt, &out).expect("the dummy hash is well-formed")
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    use super::*;

    /// Cheap parameters, so the tests run fast in a debug build.
    fn cheap() -> Params {
        Params::new(64, 1, 1, None).unwrap()
    }

    #[tokio::test]
    async fn verifies_its_own_hashes_and_refuses_wrong_passwords() {
        let pool = HashPool::with_params(1, None, cheap());
        let hash = pool.hash("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{hash}");
        assert!(pool.verify("correct horse battery".into(), hash.clone()).await.unwrap());
        assert!(!pool.verify("correct horse batterY".into(), hash.clone()).await.unwrap());
        assert!(!pool.verify(String::new(), hash.clone()).await.unwrap());
        // Each hash has its own salt.
        assert_ne!(pool.hash("correct horse battery".into()).await.unwrap(), hash);
    }

    #[tokio::test]
    async fn hashes_of_the_plain_crate_verify_and_its_hashes_verify_there() {
        // Roster's own parameters, as stored by the code before the pool.
        let pool = HashPool::new(1, None);
        let plain = Argon2::default().hash_password(b"an older password").unwrap().to_string();
        assert!(pool.verify("an older password".into(), plain.clone()).await.unwrap());
        assert!(!pool.verify("another password".into(), plain).await.unwrap());
        let ours = pool.hash("a newer password".into()).await.unwrap();
        assert!(ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{ours}");
        assert!(Argon2::default().verify_password(b"a newer password", ours.as_str()).is_ok());
        // Other variants and parameters than the pool's verify too: fewer
        // blocks than the worker holds, and more (a block for that job).
        for params in [cheap(), Params::new(32 * 1024, 1, 2, None).unwrap()] {
            for alg in [Algorithm::Argon2i, Algorithm::Argon2d, Algorithm::Argon2id] {
                let h = Argon2::new(alg, Version::V0x13, params.clone()).hash_password(b"pw").unwrap().to_string();
                assert!(pool.verify("pw".into(), h.clone()).await.unwrap(), "{h}");
                assert!(!pool.verify("pW".into(), h).await.unwrap());
            }
        }
    }

    #[tokio::test]
    async fn the_dummy_hash_costs_a_hash_and_matches_nothing() {
        let pool = HashPool::new(1, None);
        let dummy = pool.dummy_hash().to_string();
        assert!(dummy.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{dummy}");
        assert_eq!(scheme_of(&dummy), Some("argon2id"));
        assert!(!needs_upgrade(&dummy));
        assert!(!pool.verify(String::new(), dummy.clone()).await.unwrap());
        assert_ne!(HashPool::new(1, None).dummy_hash(), dummy);
    }

    #[tokio::test]
    async fn malformed_hashes_match_nothing() {
        let pool = HashPool::with_params(1, None, cheap());
        for bad in ["", "plain", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ", "$scrypt$ln=4,r=8,p=1$c2FsdHNhbHQ$aGFzaA"] {
            assert!(!pool.verify("pw".into(), bad.into()).await.unwrap(), "{bad}");
        }
    }

    #[tokio::test]
    async fn concurrent_jobs_each_get_their_own_answer() {
        let pool = Arc::new(HashPool::with_params(2, Some(64), cheap()));
        let hashes: Vec<String> = hash_all(&pool, (0..8).map(|i| format!("password number {i}")).collect()).await;
        let mut checks = Vec::new();
        for (i, h) in hashes.iter().enumerate() {
            for j in 0..8 {
                let (pool, h) = (pool.clone(), h.clone());
                checks.push(tokio::spawn(async move {
                    (i == j, pool.verify(format!("password number {j}"), h).await.unwrap())
                }));
            }
        }
        for c in checks {
            let (expected, got) = c.await.unwrap();
            assert_eq!(expected, got);
        }
    }

    async fn hash_all(pool: &Arc<HashPool>, passwords: Vec<String>) -> Vec<String> {
        let tasks: Vec<_> = passwords
            .into_iter()
            .map(|p| {
                let pool = pool.clone();
                tokio::spawn(async move { pool.hash(p).await.unwrap() })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    }

    #[tokio::test]
    async fn a_full_pool_refuses_at_once_and_a_freed_slot_admits_again() {
        let pool = HashPool::with_params(1, Some(1), cheap());
        assert_eq!((pool.workers(), pool.capacity()), (1, 2));
        let first = pool.try_slot().unwrap();
        let second = pool.try_slot().unwrap();
        match pool.try_slot() {
            Err(AppError::Busy { retry_after_s }) => assert_eq!(retry_after_s, BUSY_RETRY_AFTER_S),
            other => panic!("expected Busy, got {other:?}"),
        }
        assert!(matches!(pool.hash("pw".into()).await, Err(AppError::Busy { .. })));
        // A slot is given back when its job is done, and when it is dropped unused.
        let hash = first.hash("pw".into()).await.unwrap();
        drop(second);
        let (a, b) = (pool.try_slot().unwrap(), pool.try_slot().unwrap());
        assert!(pool.try_slot().is_err());
        let (ok, wrong) = tokio::join!(a.verify("pw".into(), hash.clone()), b.verify("pw!".into(), hash));
        assert!(ok.unwrap() && !wrong.unwrap());
        assert!(pool.try_slot().is_ok());
    }

    #[tokio::test]
    async fn whoever_is_answered_can_take_a_place_again_at_once() {
        // One place: each job must have given it back before its answer came.
        let pool = HashPool::with_params(1, Some(0), cheap());
        let hash = pool.hash("pw".into()).await.unwrap();
        for _ in 0..50 {
            assert!(pool.verify("pw".into(), hash.clone()).await.unwrap());
        }
    }

    /// A hash of `password` in each foreign scheme, at low cost.
    fn foreign_hashes(password: &str) -> Vec<(&'static str, String)> {
        use argon2::password_hash::{CustomizedPasswordHasher, PasswordHasher};
        let pw = password.as_bytes();
        let bcrypt = bcrypt::hash_with_result(pw, 4).unwrap();
        let pbkdf2 = |alg: &str| {
            let params = pbkdf2::Params::new(1000).unwrap();
            pbkdf2::Pbkdf2::default()
                .hash_password_customized(pw, b"salt of sixteen!", Some(alg), None, params)
                .unwrap()
                .to_string()
        };
        let scrypt = scrypt::Scrypt::new_with_params(scrypt::Params::new(4, 8, 1).unwrap());
        vec![
            ("bcrypt", bcrypt.format_for_version(bcrypt::Version::TwoA)),
            ("bcrypt", bcrypt.format_for_version(bcrypt::Version::TwoB)),
            ("bcrypt", bcrypt.format_for_version(bcrypt::Version::TwoY)),
            ("pbkdf2-sha256", pbkdf2("pbkdf2-sha256")),
            ("pbkdf2-sha512", pbkdf2("pbkdf2-sha512")),
            ("scrypt", {
                let h: argon2::PasswordHash = scrypt.hash_password_with_salt(pw, b"salt of sixteen!").unwrap();
                h.to_string()
            }),
        ]
    }

    #[tokio::test]
    async fn imported_hashes_verify_and_are_upgraded_to_the_pools_argon2id() {
        let pool = HashPool::with_params(1, None, cheap());
        for (scheme, hash) in foreign_hashes("an imported password") {
            assert_eq!(scheme_of(&hash), Some(scheme), "{hash}");
            assert!(needs_upgrade(&hash) && pool.needs_upgrade(&hash), "{hash}");
            assert!(pool.verify("an imported password".into(), hash.clone()).await.unwrap(), "{hash}");
            assert!(!pool.verify("an imported passworD".into(), hash.clone()).await.unwrap(), "{hash}");
            assert!(!pool.verify(String::new(), hash.clone()).await.unwrap(), "{hash}");

            let wrong = pool.try_slot().unwrap().verify_and_upgrade("not it".into(), hash.clone()).await.unwrap();
            assert_eq!(wrong, Verification { matches: false, upgrade: None }, "{hash}");
            let right = pool.try_slot().unwrap().verify_and_upgrade("an imported password".into(), hash.clone());
            let right = right.await.unwrap();
            assert!(right.matches, "{hash}");
            let upgrade = right.upgrade.expect("an upgrade");
            assert_eq!(upgrade.from, scheme);
            assert!(upgrade.hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{}", upgrade.hash);
            assert!(!pool.needs_upgrade(&upgrade.hash));
            assert!(pool.verify("an imported password".into(), upgrade.hash.clone()).await.unwrap());
            assert!(!pool.verify("not it".into(), upgrade.hash).await.unwrap());
        }
    }

    #[tokio::test]
    async fn argon2_hashes_at_other_parameters_or_variants_are_upgraded_and_the_pools_own_are_not() {
        let pool = HashPool::with_params(1, None, cheap());
        let own = pool.hash("pw".into()).await.unwrap();
        assert!(!pool.needs_upgrade(&own));
        // Roster's parameters are not the test pool's cheap ones.
        assert!(needs_upgrade(&own));
        let at_roster = Argon2::default().hash_password(b"pw").unwrap().to_string();
        assert!(!needs_upgrade(&at_roster) && pool.needs_upgrade(&at_roster));
        let answer = pool.try_slot().unwrap().verify_and_upgrade("pw".into(), own.clone()).await.unwrap();
        assert_eq!(answer, Verification { matches: true, upgrade: None });

        let weaker = Params::new(32, 1, 1, None).unwrap();
        for (alg, scheme) in
            [(Algorithm::Argon2id, "argon2id"), (Algorithm::Argon2i, "argon2i"), (Algorithm::Argon2d, "argon2d")]
        {
            for (version, params) in [(Version::V0x13, weaker.clone()), (Version::V0x10, cheap())] {
                let h = Argon2::new(alg, version, params).hash_password(b"pw").unwrap().to_string();
                assert_eq!(scheme_of(&h), Some(scheme));
                assert!(pool.needs_upgrade(&h), "{h}");
                let answer = pool.try_slot().unwrap().verify_and_upgrade("pw".into(), h.clone()).await.unwrap();
                assert!(answer.matches, "{h}");
                let upgrade = answer.upgrade.expect("an upgrade");
                assert_eq!(upgrade.from, scheme);
                assert!(upgrade.hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{}", upgrade.hash);
            }
        }
        // A shorter output than Roster's is upgraded too.
        let short = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(64, 1, 1, Some(16)).unwrap())
            .hash_password(b"pw")
            .unwrap()
            .to_string();
        assert!(pool.needs_upgrade(&short));
        assert!(needs_upgrade("not a hash") && scheme_of("not a hash").is_none());
    }

    #[tokio::test]
    async fn hashes_made_by_other_implementations_verify() {
        // bcrypt's from Python's bcrypt (the crate's test vectors; the last
        // one is of 100 bytes, of which bcrypt reads 72), PBKDF2's and
        // scrypt's from Python's hashlib, and passlib's scrypt example.
        let pool = HashPool::with_params(1, None, cheap());
        let x100 = "x".repeat(100);
        let made = [
            ("password", "$2a$04$UuTkLRZZ6QofpDOlMz32MuuxEHA43WOemOYHPz6.SjsVsyO1tDU96"),
            ("correctbatteryhorsestapler", "$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie"),
            (x100.as_str(), "$2a$05$......................YgIDy4hFBdVlc/6LHnD9mX488r9cLd2"),
            (
                "correctbatteryhorsestapler",
                "$pbkdf2-sha256$i=1000,l=32$aW1wb3J0ZWQtc2FsdC0xNg$2Ed3SXgdio3vk2FdxDiwOnIMkkjZJS4Jw++hAG+ijCU",
            ),
            (
                "correctbatteryhorsestapler",
                "$pbkdf2-sha512$i=1000,l=64$aW1wb3J0ZWQtc2FsdC0xNg$9xuo5QBSPtDT78zY4kfQI//gKR1kgfGqcKfY8Sc4EgJevWRpgrXZW4uWY5TccQU+BEqeRx/Rh8o9yRl/WAo/aQ",
            ),
            (
                "correctbatteryhorsestapler",
                "$scrypt$ln=4,r=8,p=1$aW1wb3J0ZWQtc2FsdC0xNg$/DOm1FCtHZJ00xTbmTToWdKceYwhNsYiL9wdoOB9xsw",
            ),
            ("password", "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E"),
        ];
        for (password, hash) in made {
            assert!(scheme_of(hash).is_some(), "{hash}");
            assert!(pool.verify(password.into(), hash.into()).await.unwrap(), "{hash}");
            assert!(!pool.verify(format!("{password}!"), hash.into()).await.unwrap() || password == x100, "{hash}");
            assert!(!pool.verify("wrong".into(), hash.into()).await.unwrap(), "{hash}");
        }
    }

    #[tokio::test]
    async fn a_hash_over_its_schemes_cost_cap_matches_nothing_and_costs_nothing() {
        let pool = HashPool::with_params(1, None, cheap());
        let hashes: std::collections::HashMap<_, _> = foreign_hashes("pw").into_iter().rev().collect();
        let argon2 =
            Argon2::new(Algorithm::Argon2id, Version::V0x13, cheap()).hash_password(b"pw").unwrap().to_string();
        let over = [
            hashes["bcrypt"].replacen("$04$", "$17$", 1),
            hashes["pbkdf2-sha256"].replacen("i=1000", "i=10000001", 1),
            hashes["pbkdf2-sha512"].replacen("i=1000", "i=4000000000", 1),
            hashes["scrypt"].replacen("ln=4", "ln=21", 1),
            hashes["scrypt"].replacen("r=8,p=1", "r=8,p=5", 1),
            hashes["scrypt"].replacen("ln=4,r=8", "ln=20,r=16", 1),
            argon2.replacen("m=64", "m=1048577", 1),
            argon2.replacen("t=1", "t=11", 1),
            argon2.replacen("p=1", "p=17", 1).replacen("m=64", "m=256", 1),
        ];
        // Each one's parameters are otherwise well-formed: just below the cap it reads.
        let under = [
            hashes["bcrypt"].replacen("$04$", "$16$", 1),
            hashes["pbkdf2-sha256"].replacen("i=1000", "i=10000000", 1),
            hashes["scrypt"].replacen("ln=4", "ln=20", 1),
            hashes["scrypt"].replacen("r=8,p=1", "r=8,p=4", 1),
            argon2.replacen("m=64", "m=1048576", 1),
            argon2.replacen("t=1", "t=10", 1),
            argon2.replacen("p=1", "p=16", 1).replacen("m=64", "m=256", 1),
        ];
        for h in &under {
            assert!(scheme_of(h).is_some(), "{h}");
        }
        let started = std::time::Instant::now();
        for h in over {
            assert_eq!(scheme_of(&h), None, "{h}");
            assert!(!pool.verify("pw".into(), h.clone()).await.unwrap(), "{h}");
            let answer = pool.try_slot().unwrap().verify_and_upgrade("pw".into(), h.clone()).await.unwrap();
            assert_eq!(answer, Verification { matches: false, upgrade: None }, "{h}");
        }
        // Refused when read: none of that work was done.
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn hashes_in_no_scheme_roster_reads_match_nothing() {
        let pool = HashPool::with_params(1, None, cheap());
        let bcrypt = bcrypt::hash_with_result(b"pw", 4).unwrap();
        let pbkdf2 = &foreign_hashes("pw")[3].1;
        let bad = [
            bcrypt.format_for_version(bcrypt::Version::TwoX),
            bcrypt.format_for_version(bcrypt::Version::TwoB).replacen("$04$", "$03$", 1),
            bcrypt.format_for_version(bcrypt::Version::TwoB)[..59].to_string(),
            format!("$1${}", &bcrypt.format_for_version(bcrypt::Version::TwoB)[3..]),
            pbkdf2.replacen("i=1000", "i=999", 1),
            pbkdf2.replacen("pbkdf2-sha256", "pbkdf2-sha1", 1),
            pbkdf2.replacen("pbkdf2-sha256", "pbkdf2", 1),
            "$scrypt$ln=4,r=8,p=1$c2FsdHNhbHQ".into(),
            "$md5$abc$def".into(),
        ];
        for h in bad {
            assert_eq!(scheme_of(&h), None, "{h}");
            assert!(!pool.verify("pw".into(), h).await.unwrap());
        }
    }

    #[test]
    fn zero_workers_means_one_per_core() {
        let pool = HashPool::with_params(0, None, cheap());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(pool.workers(), cores);
        assert_eq!(pool.capacity(), cores * (1 + DEFAULT_QUEUE_PER_WORKER));
    }
}
