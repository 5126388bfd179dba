//! The key-encryption key: AES-256-GCM over stored private keys, with the key id as
//! associated data so a sealed key cannot be swapped onto another row.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::digest;
use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};

/// Why a KEK could not be loaded or used.
#[derive(Debug, thiserror::Error)]
pub enum KekError {
    /// The encoded key is not base64 of exactly 32 bytes.
    #[error("the key-encryption key must be base64 of exactly 32 bytes")]
    Malformed,
    /// Decryption failed: wrong KEK or tampered data.
    #[error("cannot decrypt: the key-encryption key is wrong or the data was altered")]
    Open,
}

/// A loaded key-encryption key.
pub struct Kek {
    key: LessSafeKey,
    id: String,
    prk: aws_lc_rs::hkdf::Prk,
}

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kek").field("id", &self.id).finish_non_exhaustive()
    }
}

impl Kek {
    /// Decodes a base64 (standard or URL-safe) 32-byte key.
    pub fn from_base64(encoded: &SecretString) -> Result<Self, KekError> {
        let text = encoded.expose_secret().trim();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(text)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text))
            .map_err(|_| KekError::Malformed)?;
        if raw.len() != 32 {
            return Err(KekError::Malformed);
        }
        let id = hex(&digest::digest(&digest::SHA256, &raw).as_ref()[..8]);
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &raw).map_err(|_| KekError::Malformed)?);
        let prk = aws_lc_rs::hkdf::Salt::new(aws_lc_rs::hkdf::HKDF_SHA256, b"vhod kek v1").extract(&raw);
        Ok(Self { key, id, prk })
    }

    /// A new random KEK, base64-encoded.
    pub fn generate() -> SecretString {
        let mut raw = [0u8; 32];
        aws_lc_rs::rand::fill(&mut raw).expect("the system random generator failed");
        SecretString::from(base64::engine::general_purpose::STANDARD.encode(raw))
    }

    /// A short public identifier of this KEK (first 8 bytes of its SHA-256, hex), so a
    /// mismatch is reported as such rather than as corrupt data.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// A 32-byte key for `purpose`, derived with HKDF-SHA256 (RFC 5869), so every node
    /// sharing the KEK derives the same CSRF, pairwise-subject and token-reference keys
    /// without more configuration.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        struct Len32;
        impl aws_lc_rs::hkdf::KeyType for Len32 {
            fn len(&self) -> usize {
                32
            }
        }
        let mut out = [0u8; 32];
        self.prk
            .expand(&[purpose.as_bytes()], Len32)
            .and_then(|okm| okm.fill(&mut out))
            .expect("HKDF output of 32 bytes is always valid");
        out
    }

    /// Encrypts `plaintext` bound to `context`; output is nonce ‖ ciphertext ‖ tag.
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).expect("the system random generator failed");
        let mut out = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(context.as_bytes()), &mut out)
            .expect("AES-GCM sealing cannot fail for inputs this small");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&out);
        sealed
    }

    /// Decrypts what [`Kek::seal`] produced for the same `context`.
    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, KekError> {
        if sealed.len() < NONCE_LEN {
            return Err(KekError::Open);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| KekError::Open)?;
        let mut buf = ciphertext.to_vec();
        let plain =
            self.key.open_in_place(nonce, Aad::from(context.as_bytes()), &mut buf).map_err(|_| KekError::Open)?;
        Ok(plain.to_vec())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_keys_open_only_with_the_same_kek_and_context() {
        let kek = Kek::from_base64(&Kek::generate()).unwrap();
        let sealed = kek.seal("kid-1", b"private");
        assert_eq!(kek.open("kid-1", &sealed).unwrap(), b"private");
        assert!(kek.open("kid-2", &sealed).is_err());
        let other = Kek::from_base64(&Kek::generate()).unwrap();
        assert!(other.open("kid-1", &sealed).is_err());
        assert_ne!(kek.id(), other.id());
    }

    #[test]
    fn derived_keys_are_stable_per_kek_and_distinct_per_purpose() {
        let encoded = Kek::generate();
        let a = Kek::from_base64(&encoded).unwrap();
        let b = Kek::from_base64(&encoded).unwrap();
        assert_eq!(a.derive("csrf"), b.derive("csrf"));
        assert_ne!(a.derive("csrf"), a.derive("pairwise"));
        let other = Kek::from_base64(&Kek::generate()).unwrap();
        assert_ne!(a.derive("csrf"), other.derive("csrf"));
    }

    #[test]
    fn malformed_keks_are_refused() {
        assert!(Kek::from_base64(&SecretString::from("c2hvcnQ=")).is_err());
        assert!(Kek::from_base64(&SecretString::from("not base64!")).is_err());
    }
}
