//! Secrets at rest: client secrets (server-generated, ≥ 256 bits, stored as SHA-256,
//! compared in constant time) and citizen passwords (Argon2id with OWASP parameters).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};
use aws_lc_rs::digest;
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

/// Shortest client secret an operator may choose.
pub const MIN_CLIENT_SECRET_LEN: usize = 32;

/// Credential errors.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// Hashing failed (out of memory, bad parameters).
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// A new client secret: 32 random bytes, base64url (43 characters, 256 bits).
pub fn generate_client_secret() -> SecretString {
    SecretString::from(crate::jose::random_token(32))
}

/// SHA-256 of a client secret, as stored.
pub fn hash_client_secret(secret: &str) -> Vec<u8> {
    digest::digest(&digest::SHA256, secret.as_bytes()).as_ref().to_vec()
}

/// Compares a presented secret with a stored digest in constant time.
pub fn verify_client_secret(presented: &str, stored: &[u8]) -> bool {
    let digest = digest::digest(&digest::SHA256, presented.as_bytes());
    digest.as_ref().ct_eq(stored).into()
}

/// Argon2id with OWASP's first recommended parameters: m = 19 MiB, t = 2, p = 1.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("constant Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string. CPU-heavy: call it off the async workers.
pub fn hash_password(password: &SecretString) -> Result<String, CredentialError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CredentialError::Hash(e.to_string()))
}

/// Checks a password against a PHC string. CPU-heavy: call it off the async workers.
pub fn verify_password(password: &SecretString, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| argon2().verify_password(password.expose_secret().as_bytes(), &hash).is_ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_secrets_are_long_random_and_verify_only_themselves() {
        let a = generate_client_secret();
        let b = generate_client_secret();
        assert_eq!(a.expose_secret().len(), 43);
        assert_ne!(a.expose_secret(), b.expose_secret());
        let stored = hash_client_secret(a.expose_secret());
        assert!(verify_client_secret(a.expose_secret(), &stored));
        assert!(!verify_client_secret(b.expose_secret(), &stored));
        assert!(!verify_client_secret("", &stored));
    }

    #[test]
    fn passwords_hash_with_argon2id_owasp_parameters() {
        let pw = SecretString::from("correct horse battery staple");
        let phc = hash_password(&pw).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password(&pw, &phc));
        assert!(!verify_password(&SecretString::from("wrong"), &phc));
        assert!(!verify_password(&pw, "not a phc string"));
    }
}
