//! The site as an ActivityPub actor: its handle and its key pair.

use rsa::RsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};

/// Bits of the actor's RSA key: what Mastodon and Ghost use, and what draft-cavage HTTP
/// Signatures (`rsa-sha256`) expect.
const KEY_BITS: usize = 2048;

/// A key pair in PEM: the private key as PKCS#8, the public key as SubjectPublicKeyInfo
/// (`BEGIN PUBLIC KEY`, which the fediverse reads).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyPair {
    pub private_key_pem: String,
    pub public_key_pem: String,
}

/// A new key pair; takes a fraction of a second of one core.
pub fn generate_key_pair() -> anyhow::Result<KeyPair> {
    let key = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, KEY_BITS)?;
    Ok(KeyPair {
        private_key_pem: key.to_pkcs8_pem(LineEnding::LF)?.to_string(),
        public_key_pem: key.to_public_key().to_public_key_pem(LineEnding::LF)?,
    })
}

/// The longest handle: Mastodon's limit for a user name.
const MAX_HANDLE: usize = 30;

/// The site's handle, the `NAME` of `@NAME@host`: its title in lowercase ASCII letters,
/// digits and underscores (`My Blog` → `my_blog`), at most 30 of them; `blog` when nothing
/// of the title is left.
pub fn handle(title: &str) -> String {
    let mut slug = crate::domain::slug::slugify(title).replace('-', "_");
    slug.truncate(MAX_HANDLE);
    let handle = slug.trim_end_matches('_');
    if handle.is_empty() {
        "blog".to_owned()
    } else {
        handle.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_come_from_the_title() {
        assert_eq!(handle("My Blog"), "my_blog");
        assert_eq!(handle("Ünïcode Notes!"), "unicode_notes");
        assert_eq!(handle("…"), "blog");
        assert_eq!(
            handle("A very long title for a small blog about birds"),
            "a_very_long_title_for_a_small"
        );
    }
}
