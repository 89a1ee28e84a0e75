//! HTTP Signatures as the fediverse signs its requests (draft-cavage-http-signatures-12,
//! `rsa-sha256`, as Mastodon, Ghost and Fedify sign): the `Signature` header read and
//! written, the string a signature covers, and the body's `Digest`.
//!
//! RSA keys come as PEM; signing and verifying go through `ring`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::signature::{
    RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair, UnparsedPublicKey,
};
use rsa::pkcs1::{DecodeRsaPublicKey, EncodeRsaPublicKey};
use rsa::pkcs8::{DecodePublicKey, SecretDocument};

/// Why a signature is not taken.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("the Signature header cannot be read: {0}")]
    Unreadable(&'static str),
    #[error("the signature does not cover {0}")]
    NotCovered(&'static str),
    #[error("the signed header {0} is missing")]
    Missing(String),
    #[error("the key cannot be read")]
    BadKey,
    #[error("the signature does not match")]
    Mismatch,
}

/// A `Signature` header, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub key_id: String,
    /// The headers covered, in order, in lowercase (`(request-target)` among them).
    pub headers: Vec<String>,
    pub signature: Vec<u8>,
}

impl Signature {
    /// Reads `keyId="…",algorithm="rsa-sha256",headers="…",signature="…"`. Without
    /// `headers`, the draft says only `date` is covered; such a signature covers too little
    /// for us, and is read as covering nothing.
    pub fn parse(header: &str) -> Result<Signature, SignatureError> {
        let (mut key_id, mut headers, mut signature) = (None, None, None);
        for field in header.split(',') {
            let (name, value) = field
                .trim()
                .split_once('=')
                .ok_or(SignatureError::Unreadable("a field is not name=\"value\""))?;
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            match name {
                "keyId" => key_id = Some(value.to_owned()),
                "headers" => {
                    headers = Some(
                        value
                            .split_ascii_whitespace()
                            .map(str::to_ascii_lowercase)
                            .collect(),
                    )
                }
                "signature" => {
                    signature =
                        Some(BASE64.decode(value).map_err(|_| {
                            SignatureError::Unreadable("the signature is not base64")
                        })?)
                }
                _ => {}
            }
        }
        Ok(Signature {
            key_id: key_id.ok_or(SignatureError::Unreadable("no keyId"))?,
            headers: headers.unwrap_or_default(),
            signature: signature.ok_or(SignatureError::Unreadable("no signature"))?,
        })
    }

    /// Whether it covers what a request must not be able to change: the method and path,
    /// the host, the date and, for a request with a body, its digest.
    pub fn covers_enough(&self, with_body: bool) -> Result<(), SignatureError> {
        let has = |name: &str| self.headers.iter().any(|h| h == name);
        if !has("(request-target)") {
            return Err(SignatureError::NotCovered("(request-target)"));
        }
        if !has("host") {
            return Err(SignatureError::NotCovered("host"));
        }
        if !has("date") {
            return Err(SignatureError::NotCovered("date"));
        }
        if with_body && !has("digest") {
            return Err(SignatureError::NotCovered("digest"));
        }
        Ok(())
    }
}

/// The string a signature covers: each header in `names` as `name: value` on its own line,
/// `(request-target)` as `post /inbox` (the method in lowercase, the path and query).
/// `header` gives a header's value by its lowercase name.
pub fn signing_string<'a>(
    names: &[String],
    method: &str,
    path_and_query: &str,
    header: impl Fn(&str) -> Option<&'a str>,
) -> Result<String, SignatureError> {
    let mut lines = Vec::with_capacity(names.len());
    for name in names {
        let value = if name == "(request-target)" {
            format!("{} {path_and_query}", method.to_ascii_lowercase())
        } else {
            header(name)
                .ok_or_else(|| SignatureError::Missing(name.clone()))?
                .trim()
                .to_owned()
        };
        lines.push(format!("{name}: {value}"));
    }
    Ok(lines.join("\n"))
}

/// The `Digest` header of a body: `SHA-256=` and its hash in base64.
pub fn digest(body: &[u8]) -> String {
    let hash = ring::digest::digest(&ring::digest::SHA256, body);
    format!("SHA-256={}", BASE64.encode(hash.as_ref()))
}

/// Whether a `Digest` header holds the body's SHA-256 (other algorithms listed beside it are
/// not looked at; one of SHA-256 is required).
pub fn digest_matches(header: &str, body: &[u8]) -> bool {
    let expected = digest(body);
    header
        .split(',')
        .map(str::trim)
        .filter(|d| d.len() > 8 && d[..8].eq_ignore_ascii_case("SHA-256="))
        .any(|d| d[8..] == expected[8..])
}

/// A private key ready to sign with (parsing and checking a PEM key costs more than a
/// signature: keep one).
#[derive(Debug)]
pub struct Signer(RsaKeyPair);

impl Signer {
    /// Reads a private key in PKCS#8 PEM.
    pub fn from_pem(private_key_pem: &str) -> Result<Signer, SignatureError> {
        let (_, der) =
            SecretDocument::from_pem(private_key_pem).map_err(|_| SignatureError::BadKey)?;
        RsaKeyPair::from_pkcs8(der.as_bytes())
            .map(Signer)
            .map_err(|_| SignatureError::BadKey)
    }

    /// Signs `signing_string` (RSASSA-PKCS1-v1_5 with SHA-256); the signature in base64.
    pub fn sign(&self, signing_string: &str) -> Result<String, SignatureError> {
        let mut signature = vec![0; self.0.public().modulus_len()];
        self.0
            .sign(
                &RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                signing_string.as_bytes(),
                &mut signature,
            )
            .map_err(|_| SignatureError::BadKey)?;
        Ok(BASE64.encode(signature))
    }
}

/// Signs `signing_string` with a private key in PKCS#8 PEM; the signature in base64.
pub fn sign(private_key_pem: &str, signing_string: &str) -> Result<String, SignatureError> {
    Signer::from_pem(private_key_pem)?.sign(signing_string)
}

/// Checks a signature of `signing_string` against a public key in PEM, as
/// SubjectPublicKeyInfo (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`).
pub fn verify(
    public_key_pem: &str,
    signing_string: &str,
    signature: &[u8],
) -> Result<(), SignatureError> {
    let pem = public_key_pem.trim();
    let key = rsa::RsaPublicKey::from_public_key_pem(pem)
        .or_else(|_| rsa::RsaPublicKey::from_pkcs1_pem(pem))
        .map_err(|_| SignatureError::BadKey)?;
    let der = key.to_pkcs1_der().map_err(|_| SignatureError::BadKey)?;
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der.as_bytes())
        .verify(signing_string.as_bytes(), signature)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::activitypub::generate_key_pair;

    #[test]
    fn a_signed_request_verifies_and_a_changed_one_does_not() {
        let keys = generate_key_pair().unwrap();
        let body = br#"{"type":"Follow"}"#;
        let digest = digest(body);
        let date = "Thu, 03 Dec 2026 09:00:00 GMT";
        let names: Vec<String> = ["(request-target)", "host", "date", "digest"]
            .map(String::from)
            .to_vec();
        let headers = |name: &str| match name {
            "host" => Some("blog.example"),
            "date" => Some(date),
            "digest" => Some(digest.as_str()),
            _ => None,
        };
        let signed = signing_string(&names, "POST", "/activitypub/inbox", headers).unwrap();
        assert_eq!(
            signed,
            format!(
                "(request-target): post /activitypub/inbox\nhost: blog.example\n\
                 date: {date}\ndigest: {digest}"
            )
        );
        let header = format!(
            "keyId=\"https://blog.example/actor#main-key\",algorithm=\"rsa-sha256\",\
             headers=\"(request-target) host date digest\",signature=\"{}\"",
            sign(&keys.private_key_pem, &signed).unwrap()
        );
        let read = Signature::parse(&header).unwrap();
        assert_eq!(read.key_id, "https://blog.example/actor#main-key");
        assert_eq!(read.headers, names);
        read.covers_enough(true).unwrap();
        verify(&keys.public_key_pem, &signed, &read.signature).unwrap();
        assert!(digest_matches(&digest, body));
        assert!(!digest_matches(&digest, b"{}"));

        // another path, another key: refused
        let other = signing_string(&names, "POST", "/elsewhere", headers).unwrap();
        assert_eq!(
            verify(&keys.public_key_pem, &other, &read.signature),
            Err(SignatureError::Mismatch)
        );
        let stranger = generate_key_pair().unwrap();
        assert_eq!(
            verify(&stranger.public_key_pem, &signed, &read.signature),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn signatures_that_cover_too_little_or_cannot_be_read_are_refused() {
        let partial = Signature::parse("keyId=\"k\",headers=\"date\",signature=\"AAAA\"").unwrap();
        assert_eq!(
            partial.covers_enough(false),
            Err(SignatureError::NotCovered("(request-target)"))
        );
        let no_digest = Signature::parse(
            "keyId=\"k\",headers=\"(request-target) host date\",signature=\"AAAA\"",
        )
        .unwrap();
        no_digest.covers_enough(false).unwrap();
        assert_eq!(
            no_digest.covers_enough(true),
            Err(SignatureError::NotCovered("digest"))
        );
        assert!(Signature::parse("headers=\"date\",signature=\"AAAA\"").is_err());
        assert!(Signature::parse("keyId=\"k\",signature=\"not base64!\"").is_err());
        let missing = signing_string(&["date".to_owned()], "GET", "/", |_| None);
        assert_eq!(missing, Err(SignatureError::Missing("date".into())));
    }
}
