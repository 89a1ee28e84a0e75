//! Passwords and secret tokens.
//!
//! Passwords are hashed with argon2id on a few threads of their own, never on the async
//! workers, and never more at once than the [`HashingGate`] lets through.
//! Session and invitation tokens are random; only their SHA-256 is stored, so a copy of the
//! database does not let anyone sign in.

use std::cell::RefCell;

use argon2::password_hash::phc::{Output, ParamsString, Salt};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};

use tokio::sync::Semaphore;

use crate::error::{Error, Result};

/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 10;
/// Longest password accepted (argon2 is fine with more, but a megabyte "password" is abuse).
pub const MAX_PASSWORD_LEN: usize = 1024;

/// Refuses passwords that are too short, too long or hold a NUL, with a message for the user.
pub fn check_password_strength(password: &str) -> Result<()> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(Error::invalid(
            "password",
            format!("Use at least {MIN_PASSWORD_LEN} characters."),
        ));
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(Error::invalid("password", "That password is too long."));
    }
    if password.contains('\0') {
        return Err(Error::invalid(
            "password",
            "A password cannot contain a NUL character.",
        ));
    }
    Ok(())
}

/// The argon2id PHC string of `password`, computed under the [`HashingGate`].
pub async fn hash_password(password: String) -> Result<String> {
    HashingGate::global()
        .run(move || {
            hash_with_thread_memory(password.as_bytes())
                .map_err(|e| Error::Other(anyhow::anyhow!("hashing a password: {e}")))
        })
        .await?
}

/// Whether `password` matches `hash`, checked under the [`HashingGate`]. With no hash
/// (unknown account), a dummy hash is checked anyway, through the same gate, so a response's
/// timing does not tell whether an account exists.
pub async fn verify_password(password: String, hash: Option<String>) -> Result<bool> {
    HashingGate::global()
        .run(move || match hash {
            Some(hash) => verify_with_thread_memory(password.as_bytes(), &hash),
            None => {
                let _ = verify_with_thread_memory(password.as_bytes(), &DUMMY_HASH);
                false
            }
        })
        .await
}

thread_local! {
    /// argon2's working memory (19 MiB with the default parameters), kept by each hashing
    /// thread from one computation to the next instead of being allocated every time: freed
    /// blocks of that size stay resident in the allocator's per-thread arenas, which made a
    /// flood of sign-ins grow a replica by hundreds of MiB.
    static ARGON2_MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// argon2 of `password` with `salt` into `out`, in this thread's reusable memory.
fn argon2_into(
    argon2: &Argon2,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> argon2::Result<()> {
    ARGON2_MEMORY.with_borrow_mut(|memory| {
        let blocks = argon2.params().block_count();
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        argon2.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
    })
}

/// The PHC string (`$argon2id$v=19$m=…`) of `password` with a new random salt and the
/// default parameters, as argon2's own `hash_password` writes it.
fn hash_with_thread_memory(password: &[u8]) -> Result<String, String> {
    let argon2 = Argon2::default();
    let mut salt = [0u8; argon2::RECOMMENDED_SALT_LEN];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2_into(&argon2, password, &salt, &mut out).map_err(|e| e.to_string())?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon2.params()).map_err(|e| e.to_string())?,
        salt: Some(Salt::new(&salt).map_err(|e| e.to_string())?),
        hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `phc` (with whatever argon2 parameters it was
/// made with); an unreadable string matches nothing.
fn verify_with_thread_memory(password: &[u8], phc: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let algorithm = Algorithm::try_from(hash.algorithm.as_str());
    let version = hash
        .version
        .map_or(Ok(Version::default()), Version::try_from);
    let params = Params::try_from(&hash);
    let (Ok(algorithm), Ok(version), Ok(params)) = (algorithm, version, params) else {
        return false;
    };
    let argon2 = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    argon2_into(&argon2, password, salt.as_ref(), &mut out).is_ok()
        && constant_time_eq(&out, expected.as_bytes())
}

/// Bounds the password hashing of the process. Each argon2id computation takes about 19 MiB
/// and tens of milliseconds of a core: unbounded, a flood of sign-ins takes gigabytes. At most
/// `concurrency` run at once (one per core), at most `max_waiting` more wait for their turn,
/// and any beyond are refused at once with [`Error::Busy`] (503 with `Retry-After`) without
/// hashing anything.
///
/// The work runs on the gate's own threads rather than the blocking pool: the allocator keeps
/// freed memory per thread (glibc arenas), so argon2 spread over many pool threads would leave
/// 19 MiB resident in each; on a fixed few threads the same blocks are reused.
pub struct HashingGate {
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
    jobs: std::sync::mpsc::Sender<Job>,
}

type Job = Box<dyn FnOnce() + Send>;

/// Seconds a client refused by the [`HashingGate`] is asked to wait.
pub const BUSY_RETRY_SECS: i64 = 1;

impl HashingGate {
    /// A gate with `concurrency` threads, letting `max_waiting` callers wait for them.
    pub fn new(concurrency: usize, max_waiting: usize) -> Self {
        let concurrency = concurrency.max(1);
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for i in 0..concurrency {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("quire-hash-{i}"))
                .spawn(move || {
                    loop {
                        // the lock is held only to take a job, not while it runs
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else {
                            return; // the gate is gone
                        };
                        // a panic is reported to the caller (its answer is dropped), and the
                        // thread lives on
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        HashingGate {
            permits: Arc::new(Semaphore::new(concurrency)),
            waiting: AtomicUsize::new(0),
            max_waiting,
            jobs,
        }
    }

    /// The process's gate: one computation per core, four per core waiting.
    pub fn global() -> &'static HashingGate {
        static GATE: LazyLock<HashingGate> = LazyLock::new(|| {
            let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
            HashingGate::new(cores, 4 * cores)
        });
        &GATE
    }

    /// Runs `work` on one of the gate's threads (in the current span) once it is its turn;
    /// refused with [`Error::Busy`] when `max_waiting` are already waiting. The turn is held
    /// until `work` ends, even if the caller stops waiting for it.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let waiting = Waiting::join(&self.waiting);
        if waiting.ahead >= self.max_waiting {
            return Err(Error::Busy(BUSY_RETRY_SECS));
        }
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| Error::Other(e.into()))?;
        drop(waiting);
        let span = tracing::Span::current();
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _permit = permit;
                let _entered = span.enter();
                let _ = answer.send(work());
            }))
            .map_err(|_| Error::Other(anyhow::anyhow!("the password hashing threads are gone")))?;
        answered
            .await
            .map_err(|_| Error::Other(anyhow::anyhow!("password hashing failed (panicked)")))
    }

    /// How many callers are waiting for their turn now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }
}

/// One place in the gate's queue, given up when dropped (the turn came, or the caller left).
struct Waiting<'a> {
    count: &'a AtomicUsize,
    ahead: usize,
}

impl<'a> Waiting<'a> {
    fn join(count: &'a AtomicUsize) -> Self {
        let ahead = count.fetch_add(1, Ordering::AcqRel);
        Waiting { count, ahead }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The hash of a password nobody knows, with the default parameters, so checking it costs
/// what checking a real one does.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let (random, _) = new_token();
    hash_with_thread_memory(random.as_bytes()).unwrap_or_default()
});

/// A new random token (64 hex characters) and the hash to store for it.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    let token = hex::encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

/// What the database stores for a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares secrets in constant time (for secrets of one length; the length is not secret).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    subtle::ConstantTimeEq::ct_eq(a, b).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[tokio::test]
    async fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            verify_password("correct horse battery".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !verify_password("wrong horse battery".into(), Some(hash))
                .await
                .unwrap()
        );
        assert!(!verify_password("anything".into(), None).await.unwrap());
    }

    #[tokio::test]
    async fn the_hashing_gate_refuses_at_once_when_its_queue_is_full() {
        let gate = Arc::new(HashingGate::new(1, 1));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let running = tokio::spawn({
            let gate = gate.clone();
            async move { gate.run(move || hold.recv().is_ok()).await }
        });
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while gate.permits.available_permits() > 0 {
            assert!(std::time::Instant::now() < deadline, "the first never ran");
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let queued = tokio::spawn({
            let gate = gate.clone();
            async move { gate.run(|| "queued").await }
        });
        while gate.waiting() < 1 {
            assert!(
                std::time::Instant::now() < deadline,
                "the second never queued"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let refused = gate.run(|| "refused").await.unwrap_err();
        assert!(matches!(refused, Error::Busy(_)), "{refused:?}");
        assert_eq!(
            refused.status(),
            axum::http::StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(gate.waiting(), 1, "a refusal leaves the queue as it was");
        release.send(()).unwrap();
        assert!(running.await.unwrap().unwrap());
        assert_eq!(queued.await.unwrap().unwrap(), "queued");
        assert_eq!(gate.run(|| "free again").await.unwrap(), "free again");
    }

    #[test]
    fn hashes_made_in_reused_memory_agree_with_argon2s_own() {
        let ours = hash_with_thread_memory(b"correct horse battery").unwrap();
        let theirs = Argon2::default()
            .hash_password(b"correct horse battery")
            .unwrap()
            .to_string();
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{ours}"
        );
        for hash in [&ours, &theirs] {
            assert!(verify_with_thread_memory(b"correct horse battery", hash));
            assert!(!verify_with_thread_memory(b"correct horse batterY", hash));
        }
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery", ours.as_str())
                .is_ok()
        );
        // other parameters (an older or a future default) still verify
        let small = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4096, 3, 1, None).unwrap(),
        )
        .hash_password(b"pw")
        .unwrap()
        .to_string();
        assert!(verify_with_thread_memory(b"pw", &small));
        assert!(!verify_with_thread_memory(b"pw", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, hash_a) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a), hash_a);
        assert_ne!(a, hash_a);
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_password_strength("short").is_err());
        assert!(check_password_strength("long enough now").is_ok());
        assert!(check_password_strength("long enough\0now").is_err());
    }
}
