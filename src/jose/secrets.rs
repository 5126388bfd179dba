//! Per-deployment keys derived from the KEK: CSRF tokens, pairwise subjects and sealed
//! user references inside access tokens. Every node derives the same keys.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hmac;
use base64::Engine as _;

use super::{Kek, b64url};

/// Keys derived from the key-encryption key.
pub struct ServerSecrets {
    csrf: hmac::Key,
    pairwise: hmac::Key,
    otp: hmac::Key,
    reference: LessSafeKey,
}

impl std::fmt::Debug for ServerSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerSecrets(..)")
    }
}

impl ServerSecrets {
    /// Derives the keys from `kek`.
    pub fn derive(kek: &Kek) -> Self {
        let reference = UnboundKey::new(&AES_256_GCM, &kek.derive("token reference"))
            .expect("a 32-byte key is a valid AES-256 key");
        Self {
            csrf: hmac::Key::new(hmac::HMAC_SHA256, &kek.derive("csrf")),
            pairwise: hmac::Key::new(hmac::HMAC_SHA256, &kek.derive("pairwise subject")),
            otp: hmac::Key::new(hmac::HMAC_SHA256, &kek.derive("one-time code")),
            reference: LessSafeKey::new(reference),
        }
    }

    /// A CSRF token binding a form to a browser and a purpose.
    pub fn csrf_token(&self, browser: &str, purpose: &str) -> String {
        let tag = hmac::sign(&self.csrf, format!("{browser}\u{0}{purpose}").as_bytes());
        b64url(&tag.as_ref()[..24])
    }

    /// Checks a CSRF token in constant time.
    pub fn csrf_valid(&self, browser: &str, purpose: &str, token: &str) -> bool {
        let expected = self.csrf_token(browser, purpose);
        subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), token.as_bytes()).into()
    }

    /// The pairwise subject of `user_id` for `sector` (OIDC Core §8.1).
    pub fn pairwise_subject(&self, sector: &str, user_id: &str) -> String {
        let tag = hmac::sign(&self.pairwise, format!("{sector}\u{0}{user_id}").as_bytes());
        b64url(tag.as_ref())
    }

    /// The stored form of a one-time code sent in transaction `context`: a keyed
    /// digest, so a dump of the state store does not reveal codes (6 digits are too
    /// few to survive an unkeyed hash).
    pub fn otp_digest(&self, context: &str, code: &str) -> String {
        b64url(hmac::sign(&self.otp, format!("{context}\u{0}{code}").as_bytes()).as_ref())
    }

    /// A keyed digest naming a low-entropy value (a phone number) in state-store keys,
    /// so a dump of the store cannot be reversed by enumerating numbers.
    pub fn key_digest(&self, value: &str) -> String {
        b64url(&hmac::sign(&self.otp, format!("state key\u{0}{value}").as_bytes()).as_ref()[..24])
    }

    /// Checks a code against its stored digest in constant time.
    pub fn otp_matches(&self, context: &str, code: &str, stored: &str) -> bool {
        subtle::ConstantTimeEq::ct_eq(self.otp_digest(context, code).as_bytes(), stored.as_bytes()).into()
    }

    /// Seals a user id so a token can carry it without revealing it.
    pub fn seal_reference(&self, user_id: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).expect("the system random generator failed");
        let mut buf = user_id.as_bytes().to_vec();
        self.reference
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(b"uref"), &mut buf)
            .expect("sealing a short value cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        b64url(&out)
    }

    /// Opens what [`ServerSecrets::seal_reference`] produced.
    pub fn open_reference(&self, sealed: &str) -> Option<String> {
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if raw.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buf = ciphertext.to_vec();
        let plain = self.reference.open_in_place(nonce, Aad::from(b"uref"), &mut buf).ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> ServerSecrets {
        ServerSecrets::derive(&Kek::from_base64(&Kek::generate()).unwrap())
    }

    #[test]
    fn csrf_tokens_bind_browser_and_purpose() {
        let s = secrets();
        let token = s.csrf_token("browser-a", "login:1");
        assert!(s.csrf_valid("browser-a", "login:1", &token));
        assert!(!s.csrf_valid("browser-b", "login:1", &token));
        assert!(!s.csrf_valid("browser-a", "login:2", &token));
        assert!(!s.csrf_valid("browser-a", "login:1", ""));
    }

    #[test]
    fn pairwise_subjects_differ_per_sector_and_references_round_trip() {
        let s = secrets();
        assert_ne!(s.pairwise_subject("a.example.ru", "u1"), s.pairwise_subject("b.example.ru", "u1"));
        assert_eq!(s.pairwise_subject("a.example.ru", "u1"), s.pairwise_subject("a.example.ru", "u1"));
        let sealed = s.seal_reference("user-42");
        assert_ne!(sealed, s.seal_reference("user-42"), "sealing is randomised: tokens are unlinkable");
        assert_eq!(s.open_reference(&sealed).as_deref(), Some("user-42"));
        assert_eq!(secrets().open_reference(&sealed), None);
        assert_eq!(s.open_reference("garbage"), None);
    }
}
