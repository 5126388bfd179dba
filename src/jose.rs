//! JOSE primitives: RSA key generation, RFC 7638 thumbprints, public JWKs, compact
//! RS256 JWS signing with a private key parsed once, and sealing private keys with the
//! key-encryption key (AES-256-GCM).
//!
//! Signing builds the JWS by hand on a pre-parsed `aws_lc_rs` key pair: the
//! `jsonwebtoken` crate re-parses the key on every `encode()`, which costs about 60 %
//! of the signing throughput (see `DESIGN.md` §Tokens and keys).

mod jwk;
mod kek;
mod secrets;
mod signer;
mod verify;

pub use jwk::{Jwk, JwkSet};
pub use kek::{Kek, KekError};
pub use secrets::ServerSecrets;
pub use signer::{GeneratedKey, SigningKey};
pub use verify::{Verified, Verifier};

use base64::Engine as _;

/// base64url without padding (RFC 7515 §2).
pub fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A fresh random token of `bytes` bytes, base64url-encoded.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    aws_lc_rs::rand::fill(&mut buf).expect("the system random generator failed");
    b64url(&buf)
}

/// JOSE errors.
#[derive(Debug, thiserror::Error)]
pub enum JoseError {
    /// Key generation, parsing or signing failed.
    #[error("{0}")]
    Crypto(String),
}
