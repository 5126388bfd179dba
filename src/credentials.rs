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

/// Checks a password reusing `memory` for Argon2's blocks, so a hashing thread does
/// not allocate (and page in) 19 MiB per verification.
pub fn verify_password_with_memory(password: &SecretString, phc: &str, memory: &mut Vec<argon2::Block>) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else { return false };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else { return false };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm) else { return false };
    let Ok(params) = Params::try_from(&hash) else { return false };
    let version = hash.version.and_then(|v| Version::try_from(v).ok()).unwrap_or(Version::V0x13);
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else { return false };
    memory.resize(params.block_count(), argon2::Block::default());
    let mut out = vec![0u8; expected.len()];
    let hasher = Argon2::new(algorithm, version, params);
    if hasher
        .hash_password_into_with_memory(password.expose_secret().as_bytes(), salt, &mut out, &mut memory[..])
        .is_err()
    {
        return false;
    }
    out.ct_eq(expected.as_bytes()).into()
}

type Job = Box<dyn FnOnce(&mut Vec<argon2::Block>) + Send>;

/// A fixed set of threads that verify passwords, each reusing one Argon2 buffer. It
/// keeps hashing off the async workers and bounds its memory to threads × 19 MiB.
pub struct PasswordVerifierPool {
    jobs: tokio::sync::mpsc::Sender<Job>,
}

impl PasswordVerifierPool {
    /// Starts `threads` verifier threads (at least one).
    pub fn start(threads: usize) -> Self {
        let (jobs, queue) = tokio::sync::mpsc::channel::<Job>(1024);
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("vhod-argon2-{n}"))
                .spawn(move || {
                    let mut memory = Vec::new();
                    loop {
                        let job = queue.lock().unwrap_or_else(|p| p.into_inner()).blocking_recv();
                        match job {
                            Some(job) => job(&mut memory),
                            None => break,
                        }
                    }
                })
                .expect("cannot start a password-hashing thread");
        }
        Self { jobs }
    }

    /// Verifies `password` against `phc` on a pool thread.
    pub async fn verify(&self, password: SecretString, phc: String) -> Result<bool, CredentialError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let _ = tx.send(verify_password_with_memory(&password, &phc, memory));
        });
        self.jobs.send(job).await.map_err(|_| CredentialError::Hash("the hashing pool has stopped".into()))?;
        rx.await.map_err(|_| CredentialError::Hash("a hashing thread failed".into()))
    }
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
        let mut memory = Vec::new();
        assert!(verify_password_with_memory(&pw, &phc, &mut memory));
        assert!(!verify_password_with_memory(&SecretString::from("wrong"), &phc, &mut memory));
        assert!(!verify_password_with_memory(&pw, "$argon2id$v=19$m=8,t=1,p=1$bad", &mut memory));
        assert_eq!(memory.len(), 19_456, "the buffer is kept for the next verification");
    }
}
