//! Passwords and secret tokens.
//!
//! Passwords are hashed with argon2id on the blocking pool, never on the async workers.
//! Session and invitation tokens are random; only their SHA-256 is stored, so a copy of the
//! database does not let anyone sign in.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

use crate::error::{Error, Result};

/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 10;
/// Longest password accepted (argon2 is fine with more, but a megabyte "password" is abuse).
pub const MAX_PASSWORD_LEN: usize = 1024;

/// Refuses passwords that are too short or too long, with a message for the user.
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
    Ok(())
}

/// The argon2id PHC string of `password`.
pub async fn hash_password(password: String) -> Result<String> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| Error::Other(anyhow::anyhow!("hashing a password: {e}")))
    })
    .await
    .map_err(|e| Error::Other(e.into()))?
}

/// Whether `password` matches `hash`. With no hash (unknown account), a dummy hash is checked
/// anyway, so a response's timing does not tell whether an account exists.
pub async fn verify_password(password: String, hash: Option<String>) -> Result<bool> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let argon2 = Argon2::default();
        match hash {
            Some(hash) => Ok(argon2
                .verify_password(password.as_bytes(), hash.as_str())
                .is_ok()),
            None => {
                let _ = argon2.verify_password(password.as_bytes(), DUMMY_HASH.as_str());
                Ok(false)
            }
        }
    })
    .await
    .map_err(|e| Error::Other(e.into()))?
}

/// The hash of a password nobody knows, with the default parameters, so checking it costs
/// what checking a real one does.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let (random, _) = new_token();
    Argon2::default()
        .hash_password(random.as_bytes())
        .map(|h| h.to_string())
        .unwrap_or_default()
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

/// Compares secrets in constant time.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
